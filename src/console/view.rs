//! What the console sees: the snapshot as the page shows it, each
//! lifecycle message in words, and the choices the page offers (the scenes,
//! the rhythm presets, the questionnaire's items and ratings).

use std::sync::Arc;

use serde::Serialize;

use crate::breath::Phase;
use crate::state::{Lifecycle, Place, Presentation, RecordNow, SessionSnapshot, Sound};

/// The session as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub(super) struct View {
    /// The client's alias.
    pub(super) alias: String,
    /// The therapist has started the session (its client is then fixed).
    pub(super) started: bool,
    /// The scene on screen.
    pub(super) scene: Option<SceneOnScreen>,
    /// In the safe place.
    pub(super) safe_place: bool,
    /// Running, paused or ended.
    pub(super) flow: &'static str,
    /// Why it is paused.
    pub(super) paused_for: Vec<&'static str>,
    /// Session time, seconds.
    pub(super) elapsed_s: f64,
    /// `window` or `headset`.
    pub(super) presentation: &'static str,
    /// `audible`, `silent: why`, `stalled` or `none`.
    pub(super) sound: String,
    /// Master volume.
    pub(super) volume: f32,
    /// The step, in an exposure scene.
    pub(super) step: Option<StepView>,
    /// The step's name and sentence.
    pub(super) step_name: String,
    /// The step's sentence for the therapist.
    pub(super) step_say: String,
    /// Every step's name, lowest first.
    pub(super) steps: Vec<String>,
    /// The client's plan in force for this scene: its steps, in its order.
    pub(super) plan: Option<PlanView>,
    /// The events that can be fired now.
    pub(super) events: Vec<String>,
    /// The pacer: on, its phase.
    pub(super) pacer: Option<String>,
    /// The SUDS question on screen: why.
    pub(super) suds_asked: bool,
    /// The last SUDS given.
    pub(super) last_suds: Option<u8>,
    /// How far the session record has got.
    pub(super) record: RecordView,
    /// A break is being suggested.
    pub(super) break_suggested: bool,
    /// The headset is on the person's head and shows the session (`None`
    /// in the window).
    pub(super) headset_focused: Option<bool>,
    /// The scenes the therapist can take the person to.
    #[serde(serialize_with = "each")]
    pub(super) scenes: Arc<[SceneChoice]>,
    /// The pacer's rhythms the therapist can choose by name.
    pub(super) rhythms: &'static [crate::breath::rhythm::Preset],
}

/// The scene on screen, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct SceneOnScreen {
    /// Its title.
    pub(super) title: String,
    /// Its file, inside the scene folder.
    pub(super) file: String,
}

/// Where the person is in a graded exposure, as the console shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(super) struct StepView {
    /// The step, counted from 1.
    pub(super) number: usize,
    /// How many steps there are.
    pub(super) of: usize,
}

/// The cybersickness questionnaire as the page asks it: its symptoms and
/// the words for each rating, from 0, as its file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Questionnaire {
    /// The symptoms, in the questionnaire's order.
    pub(super) items: Vec<String>,
    /// The words for the ratings, from 0.
    pub(super) ratings: Vec<String>,
}

/// The questionnaire the page shows.
pub(super) fn questionnaire() -> Questionnaire {
    let form = crate::questionnaire::simulator_sickness::form();
    Questionnaire {
        items: form.items.clone(),
        ratings: form.scale.iter().map(|a| a.words.clone()).collect(),
    }
}

/// A client's plan in force, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct PlanView {
    /// Its number in the record.
    pub(super) id: i64,
    /// Its steps, in its order.
    pub(super) steps: Vec<PlanStepView>,
}

/// A step of a plan in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct PlanStepView {
    /// The scene's step, from 1.
    pub(super) number: usize,
    /// The client's words for it.
    pub(super) words: String,
    /// The SUDS they predict at it.
    pub(super) predicted_suds: u8,
    /// The outcome they fear.
    pub(super) feared: String,
}

/// A scene in the scene folder, as the console offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SceneChoice {
    /// Its file, inside the scene folder.
    pub(crate) file: String,
    /// Its title.
    pub(crate) title: String,
    /// Its hierarchy's step names, lowest first (empty: a relaxation
    /// scene).
    pub(crate) steps: Vec<String>,
}

/// The scenes in `folder` that read and check, by file name. One that does
/// not is left out (`stillpoint validate` says why).
pub fn scene_choices(folder: &std::path::Path) -> Vec<SceneChoice> {
    let Ok(files) = crate::scene::folder::ron_files(folder) else {
        return Vec::new();
    };
    files
        .into_iter()
        .filter_map(|crate::scene::folder::RonFile { path, name: file }| {
            let scene = crate::scene::parse::read_scene(&path, &file).ok()?;
            Some(SceneChoice {
                file,
                title: scene.title,
                steps: scene
                    .exposure
                    .map(|e| e.steps.into_iter().map(|s| s.name).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// How far the session record has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub(super) struct RecordView {
    /// A record is kept.
    pub(super) on: bool,
    /// The session's number in the record.
    pub(super) session: Option<i64>,
    /// The code of the client it is recorded for.
    pub(super) client: Option<String>,
    /// Why the record cannot be written yet (a session does not start
    /// meanwhile).
    pub(super) locked: Option<crate::state::Locked>,
    /// Writes made.
    pub(super) made: u64,
    /// Writes on the disk.
    pub(super) committed: u64,
    /// Why it cannot be written now.
    pub(super) trouble: Option<String>,
}

impl View {
    /// The view of a snapshot, with how far the record has got as the
    /// journal says it now (which the snapshot carries a frame later).
    pub(super) fn of(
        snapshot: &SessionSnapshot,
        record: &RecordNow,
        alias: &str,
        started: bool,
        scenes: &Arc<[SceneChoice]>,
    ) -> Self {
        let exposure = snapshot.exposure.as_ref();
        Self {
            alias: alias.to_owned(),
            started,
            scene: snapshot.scene.as_ref().map(|s| SceneOnScreen {
                title: s.title.clone(),
                file: s.path.clone(),
            }),
            safe_place: matches!(snapshot.place, Some(Place::SafePlace { .. })),
            flow: match snapshot.flow {
                crate::state::Flow::Running => "running",
                crate::state::Flow::Paused => "paused",
                crate::state::Flow::Ended => "ended",
            },
            paused_for: crate::state::PauseReason::ALL
                .into_iter()
                .filter(|r| snapshot.paused_for.contains(*r))
                .map(|r| r.name())
                .collect(),
            elapsed_s: snapshot.elapsed as f64 / 1e6,
            presentation: match snapshot.presentation {
                Presentation::Desktop => "window",
                Presentation::Headset => "headset",
            },
            sound: match &snapshot.sound {
                Sound::None => "none".into(),
                Sound::Audible => "audible".into(),
                Sound::Silent { why } => format!("silent: {why}"),
                Sound::Stalled => "stalled".into(),
            },
            volume: snapshot.listening.volume,
            step: exposure.map(|e| StepView {
                number: e.step,
                of: e.steps,
            }),
            step_name: exposure.map(|e| e.name.clone()).unwrap_or_default(),
            step_say: exposure.map(|e| e.say.clone()).unwrap_or_default(),
            steps: snapshot
                .scene
                .as_ref()
                .and_then(|s| s.exposure.as_ref())
                .map(|f| f.steps.iter().map(|(n, _)| n.clone()).collect())
                .unwrap_or_default(),
            plan: snapshot.plan.as_ref().map(|plan| PlanView {
                id: plan.id,
                steps: plan
                    .steps
                    .iter()
                    .map(|s| PlanStepView {
                        number: s.number,
                        words: s.words.clone(),
                        predicted_suds: s.predicted_suds,
                        feared: s.feared.clone(),
                    })
                    .collect(),
            }),
            events: exposure.map(|e| e.events.clone()).unwrap_or_default(),
            pacer: snapshot.guide.as_ref().map(|g| phase(g.phase).to_owned()),
            suds_asked: snapshot.suds.is_some(),
            last_suds: snapshot.last_suds,
            record: RecordView {
                on: record.on,
                session: record.session,
                client: record.client.clone(),
                locked: record.locked,
                made: record.made,
                committed: record.committed,
                trouble: record.trouble.clone(),
            },
            break_suggested: snapshot.break_suggested,
            headset_focused: match snapshot.presentation {
                Presentation::Desktop => None,
                Presentation::Headset => Some(
                    !snapshot
                        .paused_for
                        .contains(crate::state::PauseReason::Headset),
                ),
            },
            scenes: scenes.clone(),
            rhythms: &crate::breath::rhythm::PRESETS,
        }
    }
}

/// A lifecycle message in words for the console's log, or `None` for those
/// it does not show (phase changes, which the live view carries).
pub(super) fn said(message: &Lifecycle) -> Option<String> {
    Some(match message {
        Lifecycle::SceneShown(s) => format!("Showing {}", s.title),
        Lifecycle::SessionStarted { title, .. } => format!("Pacer on: {title}"),
        Lifecycle::SessionEnded { title, how } => format!("Pacer off: {title} ({how:?})"),
        Lifecycle::PhaseChanged { .. } => return None,
        Lifecycle::TherapistLink { connected: true } => "The therapist is connected".into(),
        Lifecycle::TherapistLink { connected: false } => {
            "The therapist's connection was lost".into()
        }
        Lifecycle::Paused { reason } => format!("Paused ({})", reason.name()),
        Lifecycle::Resumed { reason } => format!("Resumed ({})", reason.name()),
        Lifecycle::SafePlaceEntered { .. } => "In the safe place".into(),
        Lifecycle::SafePlaceLeft { .. } => "Back from the safe place".into(),
        Lifecycle::AlreadySafe { .. } => "Already in a safe place".into(),
        Lifecycle::StepChanged { to, name, .. } => format!("Step {to}: {name}"),
        Lifecycle::EventFired { name, .. } => format!("Event: {name}"),
        Lifecycle::SudsAsked { .. } => "SUDS asked".into(),
        Lifecycle::SudsAnswered { value, .. } => format!("SUDS {value}"),
        Lifecycle::SudsSetAside { .. } => "SUDS question left unanswered".into(),
        Lifecycle::HeadsetLost { why } => format!("Headset lost: {why}"),
        Lifecycle::SoundStarted(sound) => format!("Sound: {sound:?}"),
        Lifecycle::OutputStalled => "The sound stopped reaching the headphones".into(),
        Lifecycle::OutputResumed => "The sound is back".into(),
        Lifecycle::Listening(l) => format!(
            "Volume {:.2}{}",
            l.volume,
            if l.mono { ", mono" } else { "" }
        ),
        Lifecycle::BreakSuggested { after_min } => format!("Break suggested after {after_min} min"),
        Lifecycle::NoteAdded { text } => format!("Note: {text}"),
        Lifecycle::PlanChosen {
            id: Some(id),
            steps,
            ..
        } => format!(
            "The client's plan {id} is in force: steps {}",
            steps
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Lifecycle::PlanChosen { id: None, .. } => "No plan is in force".into(),
        Lifecycle::FormScored(given) => format!(
            "{} ({}): {}{}{}",
            given.title,
            given.when,
            given.scored.total,
            given
                .scored
                .band
                .as_ref()
                .map(|b| format!(", {b}"))
                .unwrap_or_default(),
            if given.scored.alerts.is_empty() {
                String::new()
            } else {
                format!(" · {}", given.scored.alerts.join(" "))
            }
        ),
        Lifecycle::ExpectancyRecorded { step, what } => match what {
            crate::state::Expectancy::Before {
                likelihood,
                expected_peak,
            } => format!(
                "Before step {step}: the feared outcome {likelihood}% likely, peak SUDS \
                 {expected_peak} expected"
            ),
            crate::state::Expectancy::After {
                happened,
                surprise,
                felt_peak,
            } => format!(
                "After step {step}: the feared outcome {}, surprise {surprise}, peak SUDS \
                 {felt_peak} felt",
                if *happened {
                    "happened"
                } else {
                    "did not happen"
                }
            ),
        },
        Lifecycle::ClientChosen(choice) => match choice {
            crate::state::ClientChoice::Code(code) => format!("Recording for client {code}"),
            crate::state::ClientChoice::Alias(alias) => {
                format!("Recording for the client {alias}")
            }
            crate::state::ClientChoice::New(_) => "Recording for a new client".into(),
        },
        Lifecycle::QuestionnaireScored { when, scores, .. } => format!(
            "Questionnaire ({}): nausea {:.1}, oculomotor {:.1}, disorientation {:.1}, total {:.1}",
            when.name(),
            scores.nausea,
            scores.oculomotor,
            scores.disorientation,
            scores.total
        ),
        Lifecycle::RhythmChanged {
            name,
            from: Some(_),
        } => {
            format!("Rhythm {name} from the next breath in")
        }
        Lifecycle::RhythmChanged { name, from: None } => {
            format!("Rhythm {name} when the pacer goes on")
        }
        Lifecycle::SceneChanged { to, step, .. } => match step {
            Some(step) => format!("Going to {to}, step {step}"),
            None => format!("Going to {to}"),
        },
        Lifecycle::Refused { what, why } => format!("Could not {what}: {why}"),
    })
}

fn each<S: serde::Serializer>(scenes: &Arc<[SceneChoice]>, to: S) -> Result<S::Ok, S::Error> {
    scenes.as_ref().serialize(to)
}

fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Rest => "breathe naturally",
        Phase::Inhale => "breathe in",
        Phase::TopUp => "a little more in",
        Phase::HoldIn => "hold",
        Phase::Exhale => "breathe out",
        Phase::HoldOut => "hold out",
        Phase::Done => "done",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rating_offered_is_one_the_questionnaire_takes_and_no_more() {
        let items = questionnaire().items.len();
        let highest = questionnaire().ratings.len() - 1;
        assert!(
            crate::questionnaire::simulator_sickness::score(&vec![highest as u8; items]).is_ok()
        );
        assert!(
            crate::questionnaire::simulator_sickness::score(&vec![highest as u8 + 1; items])
                .is_err()
        );
    }
}
