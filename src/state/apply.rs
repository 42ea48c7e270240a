//! The one way in: `AppState::apply` hands each intent to the rule it
//! asks (pauses, listening, the place, the guide, exposure with SUDS) and
//! keeps the rules that reach across them: a scene change and the arrival
//! it waits for, the headset gone, a scene shown again with fewer steps, a
//! note and the questionnaire. Each says what changed, in order.

use super::lifecycle::Lifecycle;
use super::pause::PauseReason;
use super::refusal::Refusal;
use super::scene_facts::ShownScene;
use super::{AppState, Intent, MAX_NOTE_CHARS, Presentation};
use crate::breath::Micros;

impl AppState {
    /// Applies one intent at session time `heard` (the sound leaving the
    /// mix now) and says what changed. An intent that cannot be done
    /// changes nothing and says why.
    pub(super) fn apply(&mut self, intent: &Intent, heard: Micros) -> Vec<Lifecycle> {
        let mut said = Vec::new();
        let in_safe_place = self.whereabouts.place().is_safe_place();
        match intent {
            Intent::Pause(reason) => {
                if self.paused_for.pause(*reason) {
                    said.push(Lifecycle::Paused { reason: *reason });
                }
            }
            Intent::Resume(reason) => {
                for reason in self.paused_for.resume(*reason).iter() {
                    said.push(Lifecycle::Resumed { reason });
                }
            }
            Intent::TherapistLink(connected) => {
                said.push(Lifecycle::TherapistLink {
                    connected: *connected,
                });
                if !connected && self.paused_for.pause(PauseReason::Connection) {
                    said.push(Lifecycle::Paused {
                        reason: PauseReason::Connection,
                    });
                }
                if *connected {
                    for reason in self.paused_for.resume(PauseReason::Connection).iter() {
                        said.push(Lifecycle::Resumed { reason });
                    }
                }
            }
            Intent::SafePlace => self
                .whereabouts
                .go_to_safe_place(&mut self.paused_for, &mut said),
            Intent::LeaveSafePlace => self.whereabouts.leave_safe_place(&mut said),
            // Nothing to keep: the headset's seat does it.
            Intent::Recentre | Intent::Quit => {}
            Intent::Volume(change) => match self.listening.change_volume(*change) {
                Ok(true) => said.push(Lifecycle::Listening(self.listening)),
                Ok(false) => {}
                Err(volume) => said.push(Lifecycle::Refused {
                    what: "set the volume".into(),
                    why: Refusal::NotAVolume {
                        volume,
                        most: super::MAX_VOLUME,
                    },
                }),
            },
            Intent::Mono(mono) => {
                if self.listening.set_mono(*mono) {
                    said.push(Lifecycle::Listening(self.listening));
                }
            }
            Intent::StartGuide(guide) => self.guide.start(guide, heard, &mut said),
            Intent::StopGuide => self.guide.stop(heard, &mut said),
            Intent::Pacer(on) => self.guide.pacer_on(*on, heard, &mut said),
            Intent::Rhythm(choice) => self.guide.change_rhythm(choice, heard, &mut said),
            Intent::Step(change) => self.exposure.change_step(
                *change,
                self.whereabouts.facts(),
                self.whereabouts.own_scene(),
                in_safe_place,
                heard,
                &mut said,
            ),
            Intent::Expectancy(what) => said.push(self.expectancy(*what)),
            Intent::Form(given) => said.push(Lifecycle::FormScored(given.clone())),
            Intent::Plan(plan) => self.exposure.set_plan(
                plan.clone(),
                self.whereabouts.facts(),
                self.whereabouts.own_scene(),
                heard,
                &mut said,
            ),
            Intent::FireEvent(name) => {
                self.exposure
                    .fire(name, self.whereabouts.facts(), in_safe_place, &mut said)
            }
            Intent::Suds(change) => {
                let now = self.exposure.now(self.whereabouts.facts());
                self.exposure.suds.change(*change, now, heard, &mut said);
            }
            Intent::ChangeScene { path, step } => {
                self.change_scene(path, *step, heard, &mut said);
            }
            Intent::HeadsetGone { why } => self.headset_gone(why, &mut said),
            Intent::Note(text) => said.push(note(text)),
            Intent::Client(choice) => said.push(Lifecycle::ClientChosen(choice.clone())),
            Intent::Questionnaire { when, answers } => said.push(
                match crate::questionnaire::simulator_sickness::score(answers) {
                    Ok(scores) => Lifecycle::QuestionnaireScored {
                        when: *when,
                        answers: *answers,
                        scores,
                    },
                    Err(why) => Lifecycle::Refused {
                        what: "score the questionnaire".into(),
                        why: Refusal::Unscorable(why),
                    },
                },
            ),
        }
        said
    }

    /// Takes in what a scene is (said when it is shown).
    pub(super) fn know(&mut self, scene: ShownScene) {
        self.whereabouts.know(scene);
    }

    /// [`AppState::know`], saying any change of step it makes: the
    /// person's scene edited while they are in it, with fewer steps than
    /// the one they are at, puts them at its last step. That is a change of
    /// step like any other: said, recorded, and asked about (SUDS).
    pub(super) fn learn(&mut self, scene: ShownScene, heard: Micros) -> Vec<Lifecycle> {
        let before = self.step_now().map(|(_, step)| step);
        self.know(scene);
        let mut said = Vec::new();
        if let (Some(before), Some((facts, now))) = (before, self.step_now())
            && before != now
        {
            let name = facts.steps[now].0.clone();
            self.exposure.moved(before, now, name, heard, &mut said);
        }
        said
    }

    /// Goes on with an ask that waited for a scene to be known.
    pub(super) fn resolve_waiting(&mut self, heard: Micros) -> Vec<Lifecycle> {
        let mut said = Vec::new();
        self.arrive(heard, &mut said);
        if self.whereabouts.safe_place_decidable() {
            self.whereabouts
                .go_to_safe_place(&mut self.paused_for, &mut said);
        }
        said
    }

    /// Whether a SUDS question is due at `heard` (see [`Self::suds_due`]).
    pub(super) fn suds_is_due(&self, heard: Micros) -> bool {
        let in_safe_place = self.whereabouts.place().is_safe_place();
        self.exposure
            .suds
            .is_due(self.step_now(), in_safe_place, heard)
    }

    /// The SUDS questions that are due at `heard`: the first when the
    /// hierarchy appears, then one each interval. None while in the safe
    /// place.
    pub(super) fn suds_due(&mut self, heard: Micros) -> Vec<Lifecycle> {
        let in_safe_place = self.whereabouts.place().is_safe_place();
        let now = self.exposure.now(self.whereabouts.facts());
        self.exposure.suds.due(now, in_safe_place, heard)
    }

    /// Takes the person to another scene: out of the safe place if they
    /// are in it, the new scene's SUDS afresh, at the step asked; once the
    /// scene is known, they arrive.
    fn change_scene(
        &mut self,
        path: &str,
        step: Option<usize>,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        let from = match self.whereabouts.go_to(path, step, said) {
            Ok(from) => from,
            Err(why) => {
                return said.push(Lifecycle::Refused {
                    what: format!("go to the scene \"{path}\""),
                    why,
                });
            }
        };
        self.exposure.begin_at(step, said);
        said.push(Lifecycle::SceneChanged {
            from,
            to: path.to_owned(),
            step,
        });
        self.arrive(heard, said);
    }

    /// Once the scene the person was taken to is known: an exposure scene
    /// starts with the pacer off (kept for when it is asked for), at a step
    /// it has.
    fn arrive(&mut self, heard: Micros, said: &mut Vec<Lifecycle>) {
        let Some(shown) = self.whereabouts.arrived() else {
            return;
        };
        let Some(facts) = &shown.exposure else {
            return;
        };
        self.exposure.keep_within(facts.steps.len());
        self.guide.set_aside_for_exposure(heard, said);
    }

    /// The headset has gone: the window goes on where the session was,
    /// paused until the person chooses to go on.
    fn headset_gone(&mut self, why: &str, said: &mut Vec<Lifecycle>) {
        if self.presentation != Presentation::Headset {
            return;
        }
        self.presentation = Presentation::Desktop;
        said.push(Lifecycle::HeadsetLost {
            why: why.to_owned(),
        });
        if self.paused_for.remove(PauseReason::Headset) {
            said.push(Lifecycle::Resumed {
                reason: PauseReason::Headset,
            });
        }
        if self.paused_for.pause(PauseReason::Person) {
            said.push(Lifecycle::Paused {
                reason: PauseReason::Person,
            });
        }
    }
}

/// A note as it is recorded, or why it is not.
impl AppState {
    /// An expectancy at the person's step, if every number is 0 to 100 and
    /// the scene has steps.
    fn expectancy(&self, what: crate::state::Expectancy) -> Lifecycle {
        use crate::state::Expectancy;
        let refuse = |why: Refusal| Lifecycle::Refused {
            what: "record the expectancy".into(),
            why,
        };
        let Some((_, step)) = self.step_now() else {
            return refuse(Refusal::NoSteps);
        };
        let numbers = match what {
            Expectancy::Before {
                likelihood,
                expected_peak,
            } => [likelihood, expected_peak, 0],
            Expectancy::After {
                surprise,
                felt_peak,
                ..
            } => [surprise, felt_peak, 0],
        };
        if let Some(&wrong) = numbers.iter().find(|&&n| n > 100) {
            return refuse(Refusal::OutOfRange {
                value: i64::from(wrong),
            });
        }
        Lifecycle::ExpectancyRecorded {
            step: step + 1,
            what,
        }
    }
}

fn note(text: &str) -> Lifecycle {
    let text = text.trim();
    let refuse = |why: Refusal| Lifecycle::Refused {
        what: "add a note".into(),
        why,
    };
    let chars = text.chars().count();
    if chars == 0 {
        refuse(Refusal::EmptyNote)
    } else if chars > MAX_NOTE_CHARS {
        refuse(Refusal::NoteTooLong {
            chars,
            most: MAX_NOTE_CHARS,
        })
    } else if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        refuse(Refusal::NoteHasControlCharacters)
    } else {
        Lifecycle::NoteAdded { text: text.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Listening;

    #[test]
    fn a_headset_that_goes_leaves_the_window_paused_for_the_person() {
        let mut state = AppState::new(
            "lake.ron",
            None,
            Listening::default(),
            Presentation::Headset,
        );
        state.apply(&Intent::Pause(PauseReason::Headset), 0);
        let said = state.apply(&Intent::HeadsetGone { why: "test".into() }, 0);
        assert_eq!(said[0], Lifecycle::HeadsetLost { why: "test".into() });
        assert_eq!(state.presentation(), Presentation::Desktop);
        assert_eq!(state.paused_for().to_string(), "person");
    }

    #[test]
    fn a_note_is_kept_trimmed_and_refused_empty_too_long_or_with_control_characters() {
        assert_eq!(
            note("  calmer now \n"),
            Lifecycle::NoteAdded {
                text: "calmer now".into()
            }
        );
        let why = |text: &str| match note(text) {
            Lifecycle::Refused { why, .. } => Some(why),
            _ => None,
        };
        assert_eq!(why(" \t"), Some(Refusal::EmptyNote));
        assert_eq!(
            why(&"x".repeat(MAX_NOTE_CHARS + 1)),
            Some(Refusal::NoteTooLong {
                chars: MAX_NOTE_CHARS + 1,
                most: MAX_NOTE_CHARS
            })
        );
        assert_eq!(why("a\u{7}b"), Some(Refusal::NoteHasControlCharacters));
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;
    use crate::state::Listening;

    #[test]
    fn a_lost_therapist_holds_the_session_until_they_connect_and_the_therapists_own_pause_stays() {
        let mut state = AppState::new(
            "lake.ron",
            None,
            Listening::default(),
            Presentation::Desktop,
        );
        let said = state.apply(&Intent::TherapistLink(false), 0);
        assert_eq!(
            said,
            [
                Lifecycle::TherapistLink { connected: false },
                Lifecycle::Paused {
                    reason: PauseReason::Connection
                }
            ]
        );
        assert_eq!(state.paused_for().to_string(), "connection");
        // The person's own resume does not go on without the therapist.
        state.apply(&Intent::Resume(PauseReason::Person), 0);
        assert_eq!(state.paused_for().to_string(), "connection");
        // The therapist had paused too: connecting again leaves that pause.
        state.apply(&Intent::Pause(PauseReason::Therapist), 0);
        let said = state.apply(&Intent::TherapistLink(true), 0);
        assert_eq!(
            said,
            [
                Lifecycle::TherapistLink { connected: true },
                Lifecycle::Resumed {
                    reason: PauseReason::Connection
                }
            ]
        );
        assert_eq!(state.paused_for().to_string(), "therapist");
    }
}
