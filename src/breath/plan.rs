//! The plan of a guided session before it is laid out in time: its parts
//! (settling in, a ramp, the hold, a close), the words for each phase, and
//! the breaths a ramp takes.

use super::format::Captions;
use super::rhythm::{Rhythm, Sets};
use super::time::{Micros, micros_from_s};

/// One part of a guided session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SegmentPlan {
    /// Natural breathing while settling in, with the guide's lines shown in
    /// turn, each for an equal share of the time.
    Settle {
        /// How long.
        duration: Micros,
        /// The guide's lines.
        captions: Vec<String>,
    },
    /// Paced breaths from a natural rate down to the target rhythm's rate.
    Ramp {
        /// Breaths per minute of the first paced breath.
        from_per_min: f64,
        /// How much slower each breath is than the one before, breaths per
        /// minute. At most 1.
        step_per_min: f64,
    },
    /// The target rhythm, for the rest of the session's length.
    Hold,
    /// Natural breathing to close, with the guide's lines.
    Close {
        /// How long (any time the hold could not fill is added).
        duration: Micros,
        /// The guide's lines.
        captions: Vec<String>,
    },
}

/// A guided session, before it is laid out in time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// The whole session.
    pub(crate) length: Micros,
    /// The target rhythm.
    pub(crate) rhythm: Rhythm,
    /// Sets of the target rhythm with rests between, if any.
    pub(crate) sets: Option<Sets>,
    /// The parts, in order.
    pub(crate) segments: Vec<SegmentPlan>,
    /// Words for each phase.
    pub(crate) captions: Captions,
}

impl Plan {
    /// The default: 5 minutes of resonance breathing, paced from the first
    /// breath.
    pub(crate) fn rhythm_only(rhythm: Rhythm, sets: Option<Sets>, length: Micros) -> Self {
        Self {
            length,
            rhythm,
            sets,
            segments: vec![SegmentPlan::Hold],
            captions: Captions::default(),
        }
    }
}

/// Whole-breath periods of a ramp: from `from_per_min` down by
/// `step_per_min` a breath, stopping before the target rate is reached (the
/// hold's first breath is the target). Empty when the start is not faster.
pub(super) fn ramp_periods(from_per_min: f64, step_per_min: f64, target: Rhythm) -> Vec<Micros> {
    let target_rate = target.per_minute();
    let mut periods = Vec::new();
    if step_per_min.is_nan() || step_per_min <= 0.0 || !from_per_min.is_finite() {
        return periods;
    }
    let mut k = 0u32;
    loop {
        // Each rate is computed from the start, not by repeated subtraction,
        // so no error builds up over a long ramp.
        let rate = from_per_min - f64::from(k) * step_per_min;
        if rate <= target_rate + 1e-9 || k >= 1000 {
            break;
        }
        periods.push(micros_from_s(60.0 / rate));
        k += 1;
    }
    periods
}
