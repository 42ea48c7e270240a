//! The console's controls: each a JSON body, checked against the session as
//! it stands, then one intent, like any other input's.

use serde::Deserialize;

use super::view::View;
use crate::state::{
    Intent, MAX_NOTE_CHARS, PauseReason, RhythmChoice, StepChange, SudsChange, VolumeChange,
};

/// A control, as the page sends it: `{"do": "step", "to": 3}`. Every
/// variant has braces, so that a field it does not have is refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Control {
    /// Let the session run (it waits for the therapist when the console is
    /// on).
    Start {},
    /// Pause for the therapist.
    Pause {},
    /// End the therapist's pause.
    Resume {},
    /// End the session: the app fades out and closes, and the record ends.
    Stop {},
    /// A step up or down, or to a step (from 1).
    Step {
        /// `up` or `down`.
        #[serde(default)]
        change: Option<UpDown>,
        /// A step, from 1.
        #[serde(default)]
        to: Option<usize>,
    },
    /// Fire an event allowed at this step.
    Event {
        /// Its name.
        name: String,
    },
    /// Go to the safe place.
    SafePlace {},
    /// Come back from it, to the same step.
    LeaveSafePlace {},
    /// The breathing pacer on or off.
    Pacer {
        /// On.
        on: bool,
    },
    /// The pacer's rhythm: a preset (`resonance`, `box`, `4-7-8`,
    /// `sighing`) or four numbers of seconds (in, hold, out, hold).
    Rhythm {
        /// A preset's name.
        #[serde(default)]
        preset: Option<String>,
        /// Four numbers of seconds.
        #[serde(default)]
        seconds: Option<Vec<f64>>,
    },
    /// Take the person to a scene of the scene folder, at a step (from 1)
    /// of its hierarchy.
    Scene {
        /// Its file, as the view lists it.
        file: String,
        /// A step, from 1 (an exposure scene only; the first when not
        /// given).
        #[serde(default)]
        step: Option<usize>,
    },
    /// The master volume, 0 to 2.
    Volume {
        /// The volume.
        to: f32,
    },
    /// Put the SUDS question to the person.
    AskSuds {},
    /// Record a SUDS the therapist heard.
    RecordSuds {
        /// 0 to 100.
        value: i64,
    },
    /// The cybersickness questionnaire, before or after.
    Questionnaire {
        /// `before` or `after`.
        when: BeforeAfter,
        /// Sixteen answers, 0 to 3.
        answers: Vec<i64>,
    },
    /// A note for the record.
    Note {
        /// Its words.
        text: String,
    },
    /// A questionnaire of the questionnaires folder, answered.
    Form {
        /// Its id.
        id: String,
        /// `before`, `after` or `alone`.
        when: FormWhen,
        /// One answer an item, in its order.
        answers: Vec<i64>,
    },
    /// Before the step: how likely the client thinks the feared outcome
    /// is (per cent) and the peak SUDS they expect.
    ExpectBefore {
        /// 0 to 100.
        likelihood: i64,
        /// 0 to 100.
        expected_peak: i64,
    },
    /// After the step: whether the feared outcome happened, how surprised
    /// the client is, and the peak SUDS they felt.
    ExpectAfter {
        /// It happened.
        happened: bool,
        /// 0 to 100.
        surprise: i64,
        /// 0 to 100.
        felt_peak: i64,
    },
    /// Record the session for a client, before it starts: one of the
    /// record's by code, or a new one with an alias (or none).
    Client {
        /// An existing client's code.
        #[serde(default)]
        code: Option<String>,
        /// A new client's alias (empty: none).
        #[serde(default)]
        new: Option<String>,
    },
}

/// When the questionnaire was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum BeforeAfter {
    /// The baseline.
    Before,
    /// After the session.
    After,
}

/// When a questionnaire from the folder was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum FormWhen {
    /// Before the session.
    Before,
    /// After it.
    After,
    /// On its own.
    Alone,
}

/// A step's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum UpDown {
    /// Harder.
    Up,
    /// Easier.
    Down,
}

/// A number from 0 to 100, or why not.
fn percent(what: &str, value: i64) -> Result<u8, String> {
    u8::try_from(value)
        .ok()
        .filter(|v| *v <= 100)
        .ok_or_else(|| format!("{what} {value}: expected a whole number from 0 to 100"))
}

/// Turns a control into intents, or says why it cannot be done now.
pub(super) fn intents(
    control: Control,
    now: &View,
    forms: &[crate::questionnaire::form::Questionnaire],
) -> Result<Vec<Intent>, String> {
    let exposure = || {
        now.step
            .ok_or_else(|| "the scene shown has no steps (it is not an exposure scene)".to_owned())
    };
    Ok(match control {
        Control::Start {} | Control::Resume {} if now.record.locked.is_some() => {
            let locked = now
                .record
                .locked
                .unwrap_or(crate::state::Locked::Passphrase);
            return Err(super::server::why_locked(locked).into());
        }
        Control::Start {} => {
            if !now.paused_for.contains(&"therapist") {
                return Err("the session is already running".into());
            }
            vec![Intent::Resume(PauseReason::Therapist)]
        }
        Control::Pause {} => vec![Intent::Pause(PauseReason::Therapist)],
        Control::Resume {} => vec![Intent::Resume(PauseReason::Therapist)],
        Control::Stop {} => vec![Intent::Quit],
        Control::Step { change, to } => {
            let steps = exposure()?.of;
            match (change, to) {
                (Some(UpDown::Up), None) => vec![Intent::Step(StepChange::Up)],
                (Some(UpDown::Down), None) => vec![Intent::Step(StepChange::Down)],
                (None, Some(n)) if (1..=steps).contains(&n) => {
                    vec![Intent::Step(StepChange::To(n))]
                }
                (None, Some(n)) => {
                    return Err(format!(
                        "step {n} does not exist; the steps are 1 to {steps}"
                    ));
                }
                _ => {
                    return Err(
                        "give either \"change\": \"up\" or \"down\", or \"to\": a step".into(),
                    );
                }
            }
        }
        Control::Event { name } => {
            exposure()?;
            if !now.events.contains(&name) {
                return Err(if now.events.is_empty() {
                    format!("no event can be fired at this step; {name:?} is not one")
                } else {
                    format!(
                        "{name:?} cannot be fired at this step; these can: {}",
                        now.events.join(", ")
                    )
                });
            }
            vec![Intent::FireEvent(name)]
        }
        Control::SafePlace {} => vec![Intent::SafePlace],
        Control::LeaveSafePlace {} => vec![Intent::LeaveSafePlace],
        Control::Pacer { on } => vec![Intent::Pacer(on)],
        Control::Rhythm { preset, seconds } => {
            let name = match (preset, seconds) {
                (Some(preset), None) => preset,
                (None, Some(seconds)) => seconds
                    .iter()
                    .map(f64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                _ => {
                    return Err(
                        "give either \"preset\" (resonance, box, 4-7-8 or sighing) or \"seconds\": four numbers"
                            .into(),
                    );
                }
            };
            let (rhythm, sets) = crate::breath::session::parse_rhythm(&name)
                .map_err(|why| format!("rhythm {why}"))?;
            vec![Intent::Rhythm(RhythmChoice { name, rhythm, sets })]
        }
        Control::Scene { file, step } => {
            let Some(scene) = now.scenes.iter().find(|s| s.file == file) else {
                let files: Vec<&str> = now.scenes.iter().map(|s| s.file.as_str()).collect();
                return Err(format!(
                    "no scene {file:?} in the scene folder; these are: {}",
                    files.join(", ")
                ));
            };
            match (step, scene.steps.len()) {
                (Some(_), 0) => {
                    return Err(format!(
                        "{} has no steps (it is not an exposure scene)",
                        scene.title
                    ));
                }
                (Some(n), steps) if !(1..=steps).contains(&n) => {
                    return Err(format!(
                        "step {n} does not exist in {}; the steps are 1 to {steps}",
                        scene.title
                    ));
                }
                _ => {}
            }
            vec![Intent::ChangeScene { path: file, step }]
        }
        Control::Volume { to } => {
            if !(0.0..=crate::state::MAX_VOLUME).contains(&to) {
                return Err(format!(
                    "volume {to}: expected 0 (silent) to {}",
                    crate::state::MAX_VOLUME
                ));
            }
            vec![Intent::Volume(VolumeChange::To(to))]
        }
        Control::AskSuds {} => {
            exposure()?;
            vec![Intent::Suds(SudsChange::Ask)]
        }
        Control::RecordSuds { value } => {
            exposure()?;
            let Ok(value) = u8::try_from(value)
                .map_err(|_| ())
                .and_then(|v| if v <= 100 { Ok(v) } else { Err(()) })
            else {
                return Err(format!(
                    "SUDS {value}: expected a whole number from 0 to 100"
                ));
            };
            // One answer: to the question on screen if one is open, else a
            // rating the person said aloud.
            vec![Intent::Suds(SudsChange::Record(value))]
        }
        Control::Questionnaire { when, answers } => {
            let items = &crate::questionnaire::simulator_sickness::form().items;
            let n = items.len();
            if answers.len() != n {
                return Err(format!(
                    "the questionnaire has {n} items; {} answers were given",
                    answers.len()
                ));
            }
            let mut rated = [0u8; 16];
            for (i, (slot, a)) in rated.iter_mut().zip(&answers).enumerate() {
                *slot = u8::try_from(*a).ok().filter(|a| *a <= 3).ok_or_else(|| {
                    format!(
                        "item {} ({}): {a} is not a rating; expected 0 (none) to 3 (severe)",
                        i + 1,
                        items[i]
                    )
                })?;
            }
            vec![Intent::Questionnaire {
                when: match when {
                    BeforeAfter::Before => crate::questionnaire::simulator_sickness::When::Before,
                    BeforeAfter::After => crate::questionnaire::simulator_sickness::When::After,
                },
                answers: rated,
            }]
        }
        Control::Form { id, when, answers } => {
            let Some(form) = forms.iter().find(|f| f.id == id) else {
                return Err(format!(
                    "no questionnaire {id:?}; the console has {}",
                    forms
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            let answers: Vec<u8> = answers
                .iter()
                .map(|a| u8::try_from(*a).unwrap_or(u8::MAX))
                .collect();
            let scored = form.score(&answers)?;
            vec![Intent::Form(crate::state::FormAnswered {
                id: form.id.clone(),
                title: form.title.clone(),
                when: match when {
                    FormWhen::Before => "before",
                    FormWhen::After => "after",
                    FormWhen::Alone => "alone",
                },
                answers,
                scored,
            })]
        }
        Control::ExpectBefore {
            likelihood,
            expected_peak,
        } => {
            exposure()?;
            vec![Intent::Expectancy(crate::state::Expectancy::Before {
                likelihood: percent("the likelihood", likelihood)?,
                expected_peak: percent("the expected peak SUDS", expected_peak)?,
            })]
        }
        Control::ExpectAfter {
            happened,
            surprise,
            felt_peak,
        } => {
            exposure()?;
            vec![Intent::Expectancy(crate::state::Expectancy::After {
                happened,
                surprise: percent("the surprise", surprise)?,
                felt_peak: percent("the peak SUDS felt", felt_peak)?,
            })]
        }
        Control::Client { .. } if now.started => {
            return Err(
                "the session has started: its client is chosen before Start, and stays".into(),
            );
        }
        Control::Client {
            code: Some(code),
            new: None,
        } => {
            let code = crate::journal::store::parse_code(&code)?;
            vec![Intent::Client(crate::state::ClientChoice::Code(code))]
        }
        Control::Client {
            code: None,
            new: Some(alias),
        } => {
            let alias = alias.trim();
            if alias.chars().count() > 64 || alias.chars().any(char::is_control) {
                return Err("an alias has at most 64 characters, and no control characters".into());
            }
            vec![Intent::Client(crate::state::ClientChoice::New(
                alias.to_owned(),
            ))]
        }
        Control::Client { .. } => {
            return Err("name one client: an existing one's code, or a new one's alias".into());
        }
        Control::Note { text } => {
            let chars = text.trim().chars().count();
            if chars == 0 {
                return Err("the note is empty".into());
            }
            if chars > MAX_NOTE_CHARS {
                return Err(format!(
                    "the note has {chars} characters; at most {MAX_NOTE_CHARS} fit in one"
                ));
            }
            vec![Intent::Note(text)]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_step(step: usize, events: &[&str]) -> View {
        View {
            step: Some(super::super::view::StepView {
                number: step,
                of: 8,
            }),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            ..View::default()
        }
    }

    fn parse(json: &str) -> Result<Control, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn controls_become_the_intents_any_input_sends() {
        let now = at_step(3, &["drop"]);
        let go = |json: &str| intents(parse(json).unwrap(), &now, &[]);
        assert_eq!(
            go(r#"{"do":"step","change":"up"}"#),
            Ok(vec![Intent::Step(StepChange::Up)])
        );
        assert_eq!(
            go(r#"{"do":"step","to":8}"#),
            Ok(vec![Intent::Step(StepChange::To(8))])
        );
        assert_eq!(
            go(r#"{"do":"event","name":"drop"}"#),
            Ok(vec![Intent::FireEvent("drop".into())])
        );
        assert_eq!(go(r#"{"do":"safe_place"}"#), Ok(vec![Intent::SafePlace]));
        assert_eq!(
            go(r#"{"do":"record_suds","value":100}"#),
            Ok(vec![Intent::Suds(SudsChange::Record(100))])
        );
    }

    #[test]
    fn out_of_range_or_unknown_controls_are_refused_with_the_reason() {
        let now = at_step(3, &["drop"]);
        let go = |json: &str| intents(parse(json).unwrap(), &now, &[]).unwrap_err();
        assert!(go(r#"{"do":"step","to":9}"#).contains("steps are 1 to 8"));
        assert!(go(r#"{"do":"step","to":0}"#).contains("does not exist"));
        assert!(go(r#"{"do":"step","change":"up","to":2}"#).contains("either"));
        assert!(go(r#"{"do":"event","name":"gust"}"#).contains("these can: drop"));
        assert!(go(r#"{"do":"record_suds","value":101}"#).contains("0 to 100"));
        assert!(go(r#"{"do":"record_suds","value":-1}"#).contains("0 to 100"));
        assert!(go(r#"{"do":"volume","to":3}"#).contains("0 (silent) to 2"));
        assert!(go(r#"{"do":"note","text":"  "}"#).contains("empty"));
        assert!(go(r#"{"do":"start"}"#).contains("already running"));
        assert!(
            go(r#"{"do":"questionnaire","when":"after","answers":[0,1]}"#).contains("16 items")
        );
        assert!(
            go(r#"{"do":"questionnaire","when":"before","answers":[0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,0]}"#)
                .contains("item 8 (Nausea): 4")
        );
        assert!(parse(r#"{"do":"launch"}"#).is_err());
        assert!(parse(r#"{"do":"step","to":"three"}"#).is_err());
        assert!(parse(r#"{"do":"pause","extra":1}"#).is_err());
        let calm = View::default();
        assert!(
            intents(parse(r#"{"do":"ask_suds"}"#).unwrap(), &calm, &[])
                .unwrap_err()
                .contains("no steps")
        );
    }

    fn with_scenes() -> View {
        let scene = |file: &str, steps: usize| super::super::view::SceneChoice {
            file: file.into(),
            title: file.trim_end_matches(".ron").into(),
            steps: (1..=steps).map(|n| format!("step {n}")).collect(),
        };
        View {
            scenes: vec![scene("lake_dusk.ron", 0), scene("spiders.ron", 8)].into(),
            ..View::default()
        }
    }

    #[test]
    fn a_scene_and_a_rhythm_are_chosen_from_what_there_is() {
        let now = with_scenes();
        let go = |json: &str| intents(parse(json).unwrap(), &now, &[]);
        assert_eq!(
            go(r#"{"do":"scene","file":"spiders.ron","step":2}"#),
            Ok(vec![Intent::ChangeScene {
                path: "spiders.ron".into(),
                step: Some(2)
            }])
        );
        assert_eq!(
            go(r#"{"do":"scene","file":"lake_dusk.ron"}"#),
            Ok(vec![Intent::ChangeScene {
                path: "lake_dusk.ron".into(),
                step: None
            }])
        );
        let Ok(rhythm) = go(r#"{"do":"rhythm","seconds":[4,0,6,0]}"#) else {
            panic!("four numbers are a rhythm");
        };
        assert!(matches!(&rhythm[..], [Intent::Rhythm(c)]
            if c.name == "4,0,6,0" && c.rhythm == crate::breath::Rhythm::resonance()));
        let Ok(rhythm) = go(r#"{"do":"rhythm","preset":"4-7-8"}"#) else {
            panic!("a preset is a rhythm");
        };
        assert!(matches!(&rhythm[..], [Intent::Rhythm(c)] if c.sets.is_some()));

        let refused = |json: &str| go(json).unwrap_err();
        assert!(
            refused(r#"{"do":"scene","file":"../etc/passwd"}"#)
                .contains("these are: lake_dusk.ron, spiders.ron")
        );
        assert!(
            refused(r#"{"do":"scene","file":"spiders.ron","step":9}"#).contains("steps are 1 to 8")
        );
        assert!(
            refused(r#"{"do":"scene","file":"lake_dusk.ron","step":1}"#).contains("has no steps")
        );
        assert!(refused(r#"{"do":"rhythm","preset":"fast"}"#).contains("expected a preset"));
        assert!(refused(r#"{"do":"rhythm","seconds":[4,0]}"#).contains("has 2 numbers"));
        assert!(refused(r#"{"do":"rhythm","seconds":[0.1,0,6,0]}"#).starts_with("rhythm"));
        assert!(
            refused(r#"{"do":"rhythm","seconds":[4,0,6,0],"preset":"box"}"#).contains("either")
        );
        assert!(refused(r#"{"do":"rhythm"}"#).contains("either"));
    }
}
