//! Breaks: after half an hour of continuous use a break is suggested,
//! gently, without pausing anything; taking it pauses the session for the
//! reason "break". Comfort guidance for headsets asks for a break every 30
//! minutes.

use std::time::Duration;

use bevy::prelude::*;

use super::lifecycle::Lifecycle;
use super::{AppState, Flow};

/// Continuous use after which a break is suggested, by default.
const DEFAULT_BREAK_AFTER: Duration = Duration::from_secs(30 * 60);
/// How long the suggestion stays on screen if the person does not take it.
const PROMPT_FOR: Duration = Duration::from_secs(30);
/// A pause at least this long is a break in itself: use counts from zero
/// again after it.
const PAUSE_IS_A_BREAK: Duration = Duration::from_secs(5 * 60);

/// When to suggest a break, and how the person is getting on.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct BreakAdvice {
    /// Continuous use after which a break is suggested; `None`: never.
    pub(crate) every: Option<Duration>,
    used: Duration,
    paused: Duration,
    prompt_left: Duration,
}

impl BreakAdvice {
    /// Suggests a break after `every` of continuous use (`None`: never).
    pub fn new(every: Option<Duration>) -> Self {
        Self {
            every,
            used: Duration::ZERO,
            paused: Duration::ZERO,
            prompt_left: Duration::ZERO,
        }
    }

    /// Whether the suggestion is showing.
    pub(super) fn suggesting(&self) -> bool {
        !self.prompt_left.is_zero()
    }

    /// Continuous use so far.
    #[cfg(test)]
    fn used(&self) -> Duration {
        self.used
    }

    /// Moves on by `dt` of real time, running or paused; whether a break is
    /// to be suggested now.
    fn advance(&mut self, dt: Duration, paused: bool) -> bool {
        self.prompt_left = self.prompt_left.saturating_sub(dt);
        if paused {
            // A pause ends the suggestion: the person stopped.
            self.prompt_left = Duration::ZERO;
            self.paused += dt;
            if self.paused >= PAUSE_IS_A_BREAK {
                self.used = Duration::ZERO;
            }
            return false;
        }
        self.paused = Duration::ZERO;
        self.used += dt;
        match self.every {
            Some(every) if self.used >= every => {
                // Asked again after as long once more, if not taken.
                self.used = Duration::ZERO;
                self.prompt_left = PROMPT_FOR;
                true
            }
            _ => false,
        }
    }

    /// The person took the break: use counts from zero when they are back.
    fn taken(&mut self) {
        self.used = Duration::ZERO;
        self.prompt_left = Duration::ZERO;
    }
}

impl Default for BreakAdvice {
    fn default() -> Self {
        Self::new(Some(DEFAULT_BREAK_AFTER))
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<BreakAdvice>()
        .add_systems(Update, keep_time.in_set(super::StateSystems::Settle));
}

/// Counts continuous use in real time (a slow renderer's frames do not
/// stretch it) and suggests a break when it is due.
fn keep_time(
    time: Res<Time<Real>>,
    state: Res<AppState>,
    mut advice: ResMut<BreakAdvice>,
    mut said: MessageWriter<Lifecycle>,
) {
    if state.paused_for().contains(super::PauseReason::Break) {
        advice.taken();
    }
    let paused = state.flow() == Flow::Paused;
    if advice.advance(time.delta(), paused)
        && let Some(every) = advice.every
    {
        let minutes = (every.as_secs_f64() / 60.0).round() as u32;
        info!("a break is suggested after {minutes} minutes");
        said.write(Lifecycle::BreakSuggested { after_min: minutes });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_break_is_suggested_after_half_an_hour_of_use_and_again_half_an_hour_later() {
        let mut advice = BreakAdvice::default();
        let mut suggested = vec![];
        for minute in 1..=75 {
            if advice.advance(MINUTE, false) {
                suggested.push(minute);
            }
        }
        assert_eq!(suggested, [30, 60]);
    }

    #[test]
    fn a_long_pause_counts_as_a_break_and_a_short_one_does_not() {
        let mut advice = BreakAdvice::default();
        for _ in 0..20 {
            advice.advance(MINUTE, false);
        }
        for _ in 0..2 {
            advice.advance(MINUTE, true);
        }
        assert_eq!(advice.used(), 20 * MINUTE, "a short pause is no break");
        for _ in 0..5 {
            advice.advance(MINUTE, true);
        }
        assert_eq!(
            advice.used(),
            Duration::ZERO,
            "five minutes away is a break"
        );
    }

    #[test]
    fn the_suggestion_fades_by_itself_and_never_comes_when_turned_off() {
        let mut advice = BreakAdvice::new(Some(10 * MINUTE));
        for _ in 0..10 {
            advice.advance(MINUTE, false);
        }
        assert!(advice.suggesting());
        advice.advance(PROMPT_FOR, false);
        assert!(!advice.suggesting());
        let mut off = BreakAdvice::new(None);
        assert!((0..600).all(|_| !off.advance(MINUTE, false)));
    }
}
