//! Rhythms: one breath's phases, the published presets, breaths per minute,
//! and paced breaths in sets.

use super::time::{MICROS_PER_S, Micros, micros_from_s};

/// One breath's phases, microseconds each; any may be zero except that a
/// breath needs some inhale and some exhale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rhythm {
    /// Breathing in.
    pub(crate) inhale: Micros,
    /// A short top-up breath in after the inhale; 0 for none.
    pub(crate) top_up: Micros,
    /// Holding after the inhale.
    pub(crate) hold_in: Micros,
    /// Breathing out.
    pub(crate) exhale: Micros,
    /// Holding after the exhale.
    pub(crate) hold_out: Micros,
}

impl Rhythm {
    /// A rhythm from seconds: inhale, hold after inhale, exhale, hold after
    /// exhale.
    pub fn from_seconds(inhale_s: f64, hold_in_s: f64, exhale_s: f64, hold_out_s: f64) -> Self {
        Self {
            inhale: micros_from_s(inhale_s),
            top_up: 0,
            hold_in: micros_from_s(hold_in_s),
            exhale: micros_from_s(exhale_s),
            hold_out: micros_from_s(hold_out_s),
        }
    }

    /// Resonance-frequency breathing: 6 breaths a minute, 4 s in and 6 s out
    /// (Lehrer and Gevirtz 2014). The default.
    pub fn resonance() -> Self {
        Self::from_seconds(4.0, 0.0, 6.0, 0.0)
    }

    /// Box breathing: 4 s in, hold 4 s, 4 s out, hold 4 s.
    pub fn box_breathing() -> Self {
        Self::from_seconds(4.0, 4.0, 4.0, 4.0)
    }

    /// 4-7-8: 4 s in, hold 7 s, 8 s out. Run in sets (see [`Sets::four_seven_eight`]).
    pub(super) fn four_seven_eight() -> Self {
        Self::from_seconds(4.0, 7.0, 8.0, 0.0)
    }

    /// Cyclic sighing: a 3 s breath in through the nose, a 1 s top-up breath
    /// in, then a long 6 s breath out (Balban et al. 2023): 6 breaths a minute.
    pub(crate) fn cyclic_sighing() -> Self {
        Self {
            top_up: micros_from_s(1.0),
            ..Self::from_seconds(3.0, 0.0, 6.0, 0.0)
        }
    }

    /// One whole breath.
    pub(super) fn period(&self) -> Micros {
        self.inhale + self.top_up + self.hold_in + self.exhale + self.hold_out
    }

    /// Breaths per minute.
    pub(super) fn per_minute(&self) -> f64 {
        per_minute(self.period())
    }

    /// The same proportions stretched or shrunk to a whole breath of
    /// `period`. Rounding is given to the exhale so the phases add up to
    /// exactly `period`.
    pub(super) fn scaled_to(&self, period: Micros) -> Self {
        let from = u128::from(self.period().max(1));
        let scale = |d: Micros| (u128::from(d) * u128::from(period) / from) as Micros;
        let mut out = Self {
            inhale: scale(self.inhale),
            top_up: scale(self.top_up),
            hold_in: scale(self.hold_in),
            exhale: 0,
            hold_out: scale(self.hold_out),
        };
        out.exhale = period - (out.inhale + out.top_up + out.hold_in + out.hold_out);
        out
    }
}

/// Breaths per minute for a breath lasting `period`.
pub(crate) fn per_minute(period: Micros) -> f64 {
    60.0 * MICROS_PER_S as f64 / period.max(1) as f64
}

/// Paced breaths in sets, with natural breathing between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sets {
    /// Paced breaths in a set.
    pub(crate) cycles: u32,
    /// Natural breathing between sets.
    pub(crate) rest: Micros,
}

impl Sets {
    /// 4-7-8 is run in sets of about six cycles with normal breathing between.
    pub(super) fn four_seven_eight() -> Self {
        Self {
            cycles: 6,
            rest: micros_from_s(30.0),
        }
    }
}

/// A named rhythm: the name `--rhythm`, a session file and the console's
/// `rhythm` control take ([`crate::breath::session::parse_rhythm`]), and
/// its timing in words for the therapist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Preset {
    /// The name.
    pub(crate) name: &'static str,
    /// The name with its timing.
    pub(crate) label: &'static str,
}

/// The rhythm presets, in the order they are offered.
pub(crate) const PRESETS: [Preset; 4] = [
    Preset {
        name: "resonance",
        label: "resonance (4 s in, 6 s out)",
    },
    Preset {
        name: "box",
        label: "box (4, 4, 4, 4)",
    },
    Preset {
        name: "4-7-8",
        label: "4-7-8 (in sets of six)",
    },
    Preset {
        name: "sighing",
        label: "cyclic sighing",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn s(seconds: f64) -> Micros {
        micros_from_s(seconds)
    }

    #[test]
    fn presets_have_their_published_timings() {
        let r = Rhythm::resonance();
        assert_eq!(
            (r.inhale, r.hold_in, r.exhale, r.hold_out),
            (s(4.0), 0, s(6.0), 0)
        );
        assert_eq!(r.per_minute(), 6.0);
        let b = Rhythm::box_breathing();
        assert_eq!([b.inhale, b.hold_in, b.exhale, b.hold_out], [s(4.0); 4]);
        let f = Rhythm::four_seven_eight();
        assert_eq!(
            (f.inhale, f.hold_in, f.exhale, f.hold_out),
            (s(4.0), s(7.0), s(8.0), 0)
        );
        let c = Rhythm::cyclic_sighing();
        assert!(c.top_up > 0 && c.top_up < c.inhale && c.exhale > c.inhale + c.top_up);
    }
}
