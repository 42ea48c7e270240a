//! The controller pulses that mark each breathing phase, laid out from the
//! same [`Schedule`] the sound and the pacer follow. Pure: no runtime.

use crate::breath::format::{Buzz, Haptics};
use crate::breath::{Micros, Phase, Schedule};

/// One pulse to give.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Pulse {
    /// When it starts, on the session clock.
    pub(super) at: Micros,
    /// How long it lasts, milliseconds.
    pub(super) length_ms: u16,
    /// How strong, 0 to 1 of the controller's strongest.
    pub(super) strength: f32,
}

/// The pattern for a phase that starts: breaths in (and a sigh's top-up),
/// holds, and breaths out each have their own; rest has none.
fn buzz_for(haptics: &Haptics, phase: Phase) -> Buzz {
    match phase {
        Phase::Inhale | Phase::TopUp => haptics.inhale,
        Phase::HoldIn | Phase::HoldOut => haptics.hold,
        Phase::Exhale => haptics.exhale,
        Phase::Rest | Phase::Done => Buzz::Off,
    }
}

/// The longest a pattern can last (4 pulses of 500 ms with 500 ms gaps).
const LONGEST_PATTERN: Micros = 4 * 1_000_000;

/// Calls `give` for every pulse that starts after `after` and at or before
/// `upto`, in order. A pattern starts at each phase change; its later
/// pulses are found even when the change itself fell in an earlier window.
/// Allocates nothing: it is called every frame.
pub(super) fn pulses_between(
    schedule: &Schedule,
    haptics: &Haptics,
    after: Micros,
    upto: Micros,
    mut give: impl FnMut(Pulse),
) {
    if upto <= after {
        return;
    }
    let mut change = schedule.next_change(after.saturating_sub(LONGEST_PATTERN));
    while let Some(at) = change {
        if at > upto {
            break;
        }
        if let Buzz::Pulses(p) = buzz_for(haptics, schedule.at(at).phase) {
            let every = (u64::from(p.length_ms) + u64::from(p.gap_ms)) * 1000;
            for k in 0..u64::from(p.count) {
                let start = at + k * every;
                if start > after && start <= upto {
                    give(Pulse {
                        at: start,
                        length_ms: p.length_ms,
                        strength: p.strength,
                    });
                }
            }
        }
        change = schedule.next_change(at + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breath::Rhythm;
    use crate::breath::format::Pulses;
    use crate::breath::plan::Plan;
    use crate::breath::time::micros_from_s;

    fn box_schedule() -> Schedule {
        Schedule::build(&Plan::rhythm_only(
            Rhythm::box_breathing(),
            None,
            micros_from_s(120.0),
        ))
    }

    fn collect(schedule: &Schedule, haptics: &Haptics, windows: &[(Micros, Micros)]) -> Vec<Pulse> {
        let mut out = Vec::new();
        for &(a, b) in windows {
            pulses_between(schedule, haptics, a, b, |p| out.push(p));
        }
        out
    }

    #[test]
    fn each_phase_change_starts_its_own_pattern() {
        let schedule = box_schedule();
        let haptics = Haptics::default();
        let pulses = collect(&schedule, &haptics, &[(0, micros_from_s(16.5))]);
        // Box breathing, 4 s each: hold at 4, out at 8, hold at 12, in at 16.
        let s = |x: f64| micros_from_s(x);
        let expected = [
            (s(4.0), 40, 0.15),
            (s(4.18), 40, 0.15),
            (s(8.0), 300, 0.12),
            (s(12.0), 40, 0.15),
            (s(12.18), 40, 0.15),
            (s(16.0), 120, 0.25),
        ];
        assert_eq!(pulses.len(), expected.len(), "{pulses:?}");
        for (p, (at, len, strength)) in pulses.iter().zip(expected) {
            assert_eq!((p.at, p.length_ms, p.strength), (at, len, strength));
            // Every pulse starts exactly on the model's change, or within
            // its pattern after it.
            let change = schedule
                .next_change(p.at.saturating_sub(1_000_000))
                .unwrap();
            assert!(p.at >= change && p.at - change < 1_000_000);
        }
    }

    #[test]
    fn frame_by_frame_windows_give_each_pulse_once() {
        let schedule = box_schedule();
        let haptics = Haptics::default();
        let whole = collect(&schedule, &haptics, &[(0, micros_from_s(60.0))]);
        // 11 ms frames (90 Hz), with a paused stretch where the clock stands.
        let mut windows = Vec::new();
        let mut t = 0;
        while t < micros_from_s(60.0) {
            let next = (t + 11_111).min(micros_from_s(60.0));
            windows.push((t, next));
            windows.push((next, next));
            t = next;
        }
        assert_eq!(collect(&schedule, &haptics, &windows), whole);
        // 4 changes every 16 s: 2 holds of 2 taps, one in, one out.
        assert_eq!(whole.len(), 3 * 6 + 4, "{}", whole.len());
    }

    #[test]
    fn a_phase_turned_off_gives_nothing_and_others_keep_theirs() {
        let schedule = box_schedule();
        let haptics = Haptics {
            hold: Buzz::Off,
            exhale: Buzz::Pulses(Pulses {
                count: 3,
                length_ms: 50,
                gap_ms: 50,
                strength: 0.3,
            }),
            ..Haptics::default()
        };
        let pulses = collect(&schedule, &haptics, &[(0, micros_from_s(16.5))]);
        let times: Vec<Micros> = pulses.iter().map(|p| p.at).collect();
        assert_eq!(
            times,
            vec![
                micros_from_s(8.0),
                micros_from_s(8.1),
                micros_from_s(8.2),
                micros_from_s(16.0)
            ]
        );
    }

    #[test]
    fn rest_and_the_end_give_no_pulse() {
        assert_eq!(buzz_for(&Haptics::default(), Phase::Rest), Buzz::Off);
        assert_eq!(buzz_for(&Haptics::default(), Phase::Done), Buzz::Off);
        assert_eq!(
            buzz_for(&Haptics::default(), Phase::TopUp),
            Haptics::default().inhale
        );
    }
}
