//! Why the session is paused: a set of reasons (the person, the headset's
//! focus, the therapist, a break, a remote therapist's lost connection), and the rules that add and take them
//! back. The session runs only when no reason holds. The rules say what
//! changed in reasons; the one entry point (`apply.rs`) says it
//! as lifecycle messages.

/// Why the session is paused. Several can hold at once; the session runs
/// again only when none does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PauseReason {
    /// The person paused (`Esc`, the menu button).
    Person,
    /// The headset is not focused (taken off, the runtime's menu).
    Headset,
    /// The therapist paused.
    Therapist,
    /// The person took a suggested break.
    Break,
    /// The therapist of a remote session lost the connection.
    Connection,
}

impl PauseReason {
    /// Every reason, in the order they are listed.
    pub(crate) const ALL: [PauseReason; 5] = [
        Self::Person,
        Self::Headset,
        Self::Therapist,
        Self::Break,
        Self::Connection,
    ];

    /// The reason as a watcher names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Headset => "headset",
            Self::Therapist => "therapist",
            Self::Break => "break",
            Self::Connection => "connection",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`PauseReason`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PauseReasons(u8);

impl PauseReasons {
    /// Whether `reason` holds.
    pub fn contains(self, reason: PauseReason) -> bool {
        self.0 & reason.bit() != 0
    }

    /// Whether none holds.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The reasons that hold, in order.
    pub(super) fn iter(self) -> impl Iterator<Item = PauseReason> {
        PauseReason::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }

    /// Pauses for `reason`; whether it is new (a pause already held for it
    /// stays one pause).
    pub(super) fn pause(&mut self, reason: PauseReason) -> bool {
        let new = !self.contains(reason);
        self.0 |= reason.bit();
        new
    }

    /// Takes back the pause for `reason`; the person's own resume also ends
    /// a break they took. The reasons that held and are taken, in order.
    pub(super) fn resume(&mut self, reason: PauseReason) -> PauseReasons {
        let mut asked = PauseReasons::default();
        asked.pause(reason);
        if reason == PauseReason::Person {
            asked.pause(PauseReason::Break);
        }
        let taken = PauseReasons(self.0 & asked.0);
        self.0 &= !asked.0;
        taken
    }

    /// Takes back the pause for `reason` alone; whether it held.
    pub(super) fn remove(&mut self, reason: PauseReason) -> bool {
        let held = self.contains(reason);
        self.0 &= !reason.bit();
        held
    }
}

impl std::fmt::Display for PauseReasons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, reason) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(reason.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::in_the_forest;
    use crate::state::{Flow, Intent, Lifecycle};

    #[test]
    fn a_resume_takes_only_the_reasons_that_held_and_the_person_s_takes_their_break() {
        let mut reasons = PauseReasons::default();
        assert!(reasons.pause(PauseReason::Break));
        assert!(reasons.pause(PauseReason::Therapist));
        assert!(!reasons.pause(PauseReason::Therapist), "held already");
        let taken = reasons.resume(PauseReason::Person);
        assert_eq!(taken.iter().collect::<Vec<_>>(), [PauseReason::Break]);
        assert_eq!(reasons.to_string(), "therapist");
        assert!(reasons.resume(PauseReason::Headset).is_empty());
        assert!(!reasons.remove(PauseReason::Person));
        assert!(reasons.remove(PauseReason::Therapist));
        assert_eq!(reasons.to_string(), "none");
    }

    #[test]
    fn the_session_runs_only_when_no_reason_to_pause_is_left() {
        let mut state = in_the_forest();
        assert_eq!(state.flow(), Flow::Running);
        let said = state.apply(&Intent::Pause(PauseReason::Person), 0);
        assert_eq!(
            said,
            [Lifecycle::Paused {
                reason: PauseReason::Person
            }]
        );
        state.apply(&Intent::Pause(PauseReason::Headset), 0);
        // The same reason again is one pause, said once.
        assert!(
            state
                .apply(&Intent::Pause(PauseReason::Headset), 0)
                .is_empty()
        );
        state.apply(&Intent::Resume(PauseReason::Headset), 0);
        assert_eq!(state.flow(), Flow::Paused, "the person's pause stays");
        assert_eq!(
            state.paused_for().iter().collect::<Vec<_>>(),
            [PauseReason::Person]
        );
        state.apply(&Intent::Resume(PauseReason::Person), 0);
        assert_eq!(state.flow(), Flow::Running);
        // A therapist's pause is not the person's to take back.
        state.apply(&Intent::Pause(PauseReason::Therapist), 0);
        state.apply(&Intent::Resume(PauseReason::Person), 0);
        assert_eq!(state.flow(), Flow::Paused);
    }

    #[test]
    fn the_person_coming_back_ends_the_break_they_took() {
        let mut state = in_the_forest();
        state.apply(&Intent::Pause(PauseReason::Break), 0);
        assert_eq!(state.paused_for().to_string(), "break");
        let said = state.apply(&Intent::Resume(PauseReason::Person), 0);
        assert_eq!(
            said,
            [Lifecycle::Resumed {
                reason: PauseReason::Break
            }]
        );
        assert_eq!(state.flow(), Flow::Running);
    }
}
