//! Session time: whole microseconds from the session's start, and the
//! conversions from seconds and from sample frames.
//!
//! Every phase starts at an integer sum of integer durations, so a boundary an
//! hour in is exactly where it should be: there is no accumulated
//! floating-point error, and the audio engine (which counts samples) and the
//! picture (which reads that count) agree on every boundary.

/// A time or a duration, whole microseconds.
pub(crate) type Micros = u64;

/// Microseconds in a second.
pub(super) const MICROS_PER_S: Micros = 1_000_000;

/// Seconds to microseconds, rounded to the nearest; negative and non-finite
/// values give 0 (validation keeps them out of files).
pub fn micros_from_s(seconds: f64) -> Micros {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * MICROS_PER_S as f64).round() as Micros
    } else {
        0
    }
}

/// The time at which sample frame `frames` starts, at `rate_hz`, rounded down
/// to the microsecond. Exact integer arithmetic: no drift at any length.
pub fn micros_from_frames(frames: u64, rate_hz: u32) -> Micros {
    (u128::from(frames) * u128::from(MICROS_PER_S) / u128::from(rate_hz.max(1))) as Micros
}

/// The first sample frame at or after time `t`, at `rate_hz`.
pub(crate) fn frames_from_micros(t: Micros, rate_hz: u32) -> u64 {
    (u128::from(t) * u128::from(rate_hz)).div_ceil(u128::from(MICROS_PER_S)) as u64
}
