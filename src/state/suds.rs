//! SUDS, the person's distress from 0 to 100, asked in an exposure scene:
//! when the hierarchy first appears, at every change of step (the rating
//! that ends one step and begins the next), at the interval the scene sets
//! (5 minutes unless it says), and whenever asked. The prompt never blocks
//! anything: the scene goes on, steps and events still happen, and a new
//! question sets an unanswered one aside.

use super::lifecycle::{Lifecycle, SudsWhy};
use super::refusal::Refusal;
use super::{AppState, Place};
use crate::breath::Micros;

/// The anchors of the scale and the words shown under them.
pub const ANCHORS: [(u8, &str); 5] = [
    (0, "calm"),
    (25, "a little uneasy"),
    (50, "uneasy"),
    (75, "very distressed"),
    (100, "the worst"),
];

/// How far one press of the arrow keys (or a push of the stick) moves the
/// answer.
pub const SUDS_STEP: u8 = 5;

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
    pub step: usize,
    /// When it was asked, session time.
    pub asked_at: Micros,
}

/// The SUDS side of the state.
#[derive(Debug, Clone, Default)]
pub(super) struct Suds {
    /// The question on screen, if any.
    pub open: Option<SudsPrompt>,
    /// When the person was last asked, session time; `None`: not yet in
    /// this scene.
    pub last_asked: Option<Micros>,
    /// The last answer given.
    pub last_value: Option<u8>,
    /// Nothing is asked by itself.
    pub unasked: bool,
}

impl AppState {
    /// Never asks by itself (for still frames, where nobody answers);
    /// asking on request still works.
    pub fn without_suds_questions(mut self) -> Self {
        self.suds.unasked = true;
        self
    }

    /// The question on screen, if any.
    pub fn suds(&self) -> Option<&SudsPrompt> {
        self.suds.open.as_ref()
    }

    /// The last answer given, if any.
    pub fn last_suds(&self) -> Option<u8> {
        self.suds.last_value
    }

    pub(super) fn change_suds(
        &mut self,
        change: SudsChange,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        match change {
            SudsChange::Ask => {
                if self.step_now().is_none() {
                    said.push(Lifecycle::Refused {
                        what: "ask for SUDS".into(),
                        why: Refusal::NoSteps,
                    });
                } else {
                    self.ask_suds(SudsWhy::Asked, heard, said);
                }
            }
            SudsChange::By(by) => {
                if let Some(open) = &mut self.suds.open {
                    open.value = (i16::from(open.value) + i16::from(by)).clamp(0, 100) as u8;
                }
            }
            SudsChange::Set(value) => {
                if let Some(open) = &mut self.suds.open {
                    open.value = value.min(100);
                }
            }
            SudsChange::Answer => match self.suds.open.take() {
                Some(open) => {
                    self.suds.last_value = Some(open.value);
                    said.push(Lifecycle::SudsAnswered {
                        value: open.value,
                        why: open.why,
                        step: self.step_now().map_or(open.step, |(_, s)| s + 1),
                        at: heard,
                    });
                }
                None => said.push(Lifecycle::Refused {
                    what: "answer SUDS".into(),
                    why: Refusal::NoQuestionOpen,
                }),
            },
            SudsChange::SetAside => {
                if let Some(open) = self.suds.open.take() {
                    said.push(Lifecycle::SudsSetAside { why: open.why });
                }
            }
            SudsChange::Record(value) => {
                let Some((_, step)) = self.step_now() else {
                    return said.push(Lifecycle::Refused {
                        what: "record SUDS".into(),
                        why: Refusal::NoSteps,
                    });
                };
                let value = value.min(100);
                let why = match self.suds.open.take() {
                    Some(open) => open.why,
                    None => {
                        // A rating given starts the interval afresh.
                        self.suds.last_asked = Some(heard);
                        SudsWhy::Heard
                    }
                };
                self.suds.last_value = Some(value);
                said.push(Lifecycle::SudsAnswered {
                    value,
                    why,
                    step: step + 1,
                    at: heard,
                });
            }
        }
    }

    /// Opens a question, setting aside one left unanswered.
    pub(super) fn ask_suds(&mut self, why: SudsWhy, heard: Micros, said: &mut Vec<Lifecycle>) {
        let Some((_, step)) = self.step_now() else {
            return;
        };
        if let Some(open) = self.suds.open.take() {
            said.push(Lifecycle::SudsSetAside { why: open.why });
        }
        let value = self.suds.last_value.unwrap_or(50);
        self.suds.open = Some(SudsPrompt {
            why,
            value,
            step: step + 1,
            asked_at: heard,
        });
        self.suds.last_asked = Some(heard);
        said.push(Lifecycle::SudsAsked {
            why,
            step: step + 1,
        });
    }

    /// Whether a question is due at `heard` (see [`Self::suds_due`]).
    pub(super) fn suds_is_due(&self, heard: Micros) -> bool {
        if self.suds.unasked || matches!(self.place, Place::SafePlace { .. }) {
            return false;
        }
        let Some((facts, _)) = self.step_now() else {
            return false;
        };
        match self.suds.last_asked {
            None => true,
            Some(last) => facts.suds_every > 0 && heard >= last + facts.suds_every,
        }
    }

    /// The questions that are due at `heard`: the first when the hierarchy
    /// appears, then one each interval. None while in the safe place.
    pub(super) fn suds_due(&mut self, heard: Micros) -> Vec<Lifecycle> {
        let mut said = Vec::new();
        if matches!(self.place, Place::SafePlace { .. }) {
            return said;
        }
        let Some((facts, _)) = self.step_now() else {
            return said;
        };
        let every = facts.suds_every;
        match self.suds.last_asked {
            None => self.ask_suds(SudsWhy::Start, heard, &mut said),
            Some(last) if every > 0 && heard >= last + every => {
                self.ask_suds(SudsWhy::Interval, heard, &mut said)
            }
            Some(_) => {}
        }
        said
    }
}
