//! SUDS, the person's distress from 0 to 100, asked in an exposure scene:
//! when the hierarchy first appears, at every change of step (the rating
//! that ends one step and begins the next), at the interval the scene sets
//! (5 minutes unless it says), and whenever asked. The prompt never blocks
//! anything: the scene goes on, steps and events still happen, and a new
//! question sets an unanswered one aside.

use super::lifecycle::{Lifecycle, SudsWhy};
use super::refusal::Refusal;
use super::scene_facts::ExposureFacts;
use crate::breath::Micros;

/// The anchors of the scale and the words shown under them.
pub(crate) const ANCHORS: [(u8, &str); 5] = [
    (0, "calm"),
    (25, "a little uneasy"),
    (50, "uneasy"),
    (75, "very distressed"),
    (100, "the worst"),
];

/// How far one press of the arrow keys (or a push of the stick) moves the
/// answer.
pub(crate) const SUDS_STEP: u8 = 5;

/// A change to the SUDS prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SudsChange {
    /// Ask now.
    Ask,
    /// Move the answer up (positive) or down by this much.
    By(i8),
    /// Set the answer (a click on the scale), 0 to 100.
    Set(u8),
    /// Give the answer shown.
    Answer,
    /// Close the prompt without an answer.
    SetAside,
    /// The therapist records a rating the person said aloud (0 to 100): the
    /// answer to the question on screen if one is open, else a rating of
    /// its own. Either way it is one answer, recorded once.
    Record(u8),
}

/// The question on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SudsPrompt {
    /// Why it was asked.
    pub why: SudsWhy,
    /// The answer as it stands (the last answer given, or 50 at first).
    pub value: u8,
    /// The step it was asked at, from 1.
    pub(crate) step: usize,
    /// When it was asked, session time.
    pub(crate) asked_at: Micros,
}

/// The SUDS side of the state. Its rules are given the hierarchy of the
/// person's scene and their step in it (`now`, the step from 0), if it has
/// one.
#[derive(Debug, Clone, Default)]
pub(super) struct Suds {
    /// The question on screen, if any.
    open: Option<SudsPrompt>,
    /// When the person was last asked, session time; `None`: not yet in
    /// this scene.
    last_asked: Option<Micros>,
    /// The last answer given.
    last_value: Option<u8>,
    /// Nothing is asked by itself.
    unasked: bool,
}

impl Suds {
    /// Never asks by itself (for still frames, where nobody answers);
    /// asking on request still works.
    pub(super) fn ask_only_on_request(&mut self) {
        self.unasked = true;
    }

    /// The question on screen, if any.
    pub(super) fn open(&self) -> Option<&SudsPrompt> {
        self.open.as_ref()
    }

    /// The last answer given, if any.
    pub(super) fn last_value(&self) -> Option<u8> {
        self.last_value
    }

    /// Asks, moves, gives, sets aside or records an answer.
    pub(super) fn change(
        &mut self,
        change: SudsChange,
        now: Option<(&ExposureFacts, usize)>,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        let step = now.map(|(_, step)| step);
        match change {
            SudsChange::Ask => {
                if step.is_none() {
                    said.push(Lifecycle::Refused {
                        what: "ask for SUDS".into(),
                        why: Refusal::NoSteps,
                    });
                } else {
                    self.ask(SudsWhy::Asked, step, heard, said);
                }
            }
            SudsChange::By(by) => {
                if let Some(open) = &mut self.open {
                    open.value = (i16::from(open.value) + i16::from(by)).clamp(0, 100) as u8;
                }
            }
            SudsChange::Set(value) => {
                if let Some(open) = &mut self.open {
                    open.value = value.min(100);
                }
            }
            SudsChange::Answer => match self.open.take() {
                Some(open) => {
                    self.last_value = Some(open.value);
                    said.push(Lifecycle::SudsAnswered {
                        value: open.value,
                        why: open.why,
                        step: step.map_or(open.step, |s| s + 1),
                        at: heard,
                    });
                }
                None => said.push(Lifecycle::Refused {
                    what: "answer SUDS".into(),
                    why: Refusal::NoQuestionOpen,
                }),
            },
            SudsChange::SetAside => {
                if let Some(open) = self.open.take() {
                    said.push(Lifecycle::SudsSetAside { why: open.why });
                }
            }
            SudsChange::Record(value) => {
                let Some(step) = step else {
                    return said.push(Lifecycle::Refused {
                        what: "record SUDS".into(),
                        why: Refusal::NoSteps,
                    });
                };
                let value = value.min(100);
                let why = match self.open.take() {
                    Some(open) => open.why,
                    None => {
                        // A rating given starts the interval afresh.
                        self.last_asked = Some(heard);
                        SudsWhy::Heard
                    }
                };
                self.last_value = Some(value);
                said.push(Lifecycle::SudsAnswered {
                    value,
                    why,
                    step: step + 1,
                    at: heard,
                });
            }
        }
    }

    /// Opens a question at `step` (from 0; none without a hierarchy),
    /// setting aside one left unanswered.
    pub(super) fn ask(
        &mut self,
        why: SudsWhy,
        step: Option<usize>,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        let Some(step) = step else {
            return;
        };
        if let Some(open) = self.open.take() {
            said.push(Lifecycle::SudsSetAside { why: open.why });
        }
        let value = self.last_value.unwrap_or(50);
        self.open = Some(SudsPrompt {
            why,
            value,
            step: step + 1,
            asked_at: heard,
        });
        self.last_asked = Some(heard);
        said.push(Lifecycle::SudsAsked {
            why,
            step: step + 1,
        });
    }

    /// A new scene's SUDS begin afresh: a question left open belongs to the
    /// scene left, and the new one is asked at its start.
    pub(super) fn afresh(&mut self, said: &mut Vec<Lifecycle>) {
        if let Some(open) = self.open.take() {
            said.push(Lifecycle::SudsSetAside { why: open.why });
        }
        self.last_asked = None;
        self.last_value = None;
    }

    /// Whether a question is due at `heard` (see [`Self::due`]).
    pub(super) fn is_due(
        &self,
        now: Option<(&ExposureFacts, usize)>,
        in_safe_place: bool,
        heard: Micros,
    ) -> bool {
        if self.unasked || in_safe_place {
            return false;
        }
        let Some((facts, _)) = now else {
            return false;
        };
        match self.last_asked {
            None => true,
            Some(last) => facts.suds_every > 0 && heard >= last + facts.suds_every,
        }
    }

    /// The questions that are due at `heard`: the first when the hierarchy
    /// appears, then one each interval. None while in the safe place.
    pub(super) fn due(
        &mut self,
        now: Option<(&ExposureFacts, usize)>,
        in_safe_place: bool,
        heard: Micros,
    ) -> Vec<Lifecycle> {
        let mut said = Vec::new();
        if in_safe_place {
            return said;
        }
        let Some((facts, step)) = now else {
            return said;
        };
        let every = facts.suds_every;
        match self.last_asked {
            None => self.ask(SudsWhy::Start, Some(step), heard, &mut said),
            Some(last) if every > 0 && heard >= last + every => {
                self.ask(SudsWhy::Interval, Some(step), heard, &mut said)
            }
            Some(_) => {}
        }
        said
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::spiders;
    use crate::state::{AppState, Intent, Listening, Presentation};

    #[test]
    fn a_suds_the_therapist_records_is_one_answer_to_the_open_question_or_one_of_its_own() {
        let mut state = AppState::new(
            "spiders.ron",
            None,
            Listening::default(),
            Presentation::Desktop,
        );
        state.know(spiders());
        // The question of the start is open: what the therapist heard answers
        // it, once, with its own reason.
        assert!(matches!(
            &state.suds_due(0)[..],
            [Lifecycle::SudsAsked {
                why: SudsWhy::Start,
                ..
            }]
        ));
        let said = state.apply(&Intent::Suds(SudsChange::Record(40)), 1_000_000);
        assert_eq!(
            said,
            [Lifecycle::SudsAnswered {
                value: 40,
                why: SudsWhy::Start,
                step: 1,
                at: 1_000_000,
            }]
        );
        assert!(state.suds().is_none());
        // With none open, it is a rating of its own, said aloud.
        let said = state.apply(&Intent::Suds(SudsChange::Record(55)), 2_000_000);
        assert_eq!(
            said,
            [Lifecycle::SudsAnswered {
                value: 55,
                why: SudsWhy::Heard,
                step: 1,
                at: 2_000_000,
            }]
        );
        assert_eq!(state.last_suds(), Some(55));
    }

    #[test]
    fn a_newer_question_sets_an_unanswered_one_aside_and_keeps_the_last_answer_shown() {
        let mut suds = Suds::default();
        let mut said = Vec::new();
        suds.ask(SudsWhy::Start, Some(0), 0, &mut said);
        suds.change(SudsChange::By(-20), None, 1, &mut said);
        suds.change(SudsChange::Answer, None, 2, &mut said);
        suds.ask(SudsWhy::Asked, Some(1), 3, &mut said);
        suds.ask(SudsWhy::Interval, Some(1), 4, &mut said);
        assert_eq!(
            said,
            [
                Lifecycle::SudsAsked {
                    why: SudsWhy::Start,
                    step: 1
                },
                Lifecycle::SudsAnswered {
                    value: 30,
                    why: SudsWhy::Start,
                    step: 1,
                    at: 2
                },
                Lifecycle::SudsAsked {
                    why: SudsWhy::Asked,
                    step: 2
                },
                Lifecycle::SudsSetAside {
                    why: SudsWhy::Asked
                },
                Lifecycle::SudsAsked {
                    why: SudsWhy::Interval,
                    step: 2
                },
            ]
        );
        assert_eq!(suds.open().map(|open| open.value), Some(30));
        // Without a hierarchy nothing is asked, and in the safe place
        // nothing is due.
        suds.ask(SudsWhy::Asked, None, 5, &mut said);
        assert_eq!(said.len(), 5);
        let facts = spiders().exposure.unwrap();
        assert!(!suds.is_due(Some((&facts, 0)), true, 0));
    }
}
