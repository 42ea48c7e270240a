//! Small, allocation-free DSP building blocks shared by every sound in this module tree.
//!
//! Everything here works on `f32` samples at the fixed rate [`SAMPLE_RATE_HZ`]. Filter
//! coefficients are computed in `f64` (only when a cutoff changes) because low cutoffs put the
//! poles so close to the unit circle that `f32` trigonometry would noticeably detune them.

use std::f64::consts::PI as PI_F64;

use super::sample_clock::SAMPLE_RATE_HZ;

/// The sample rate as `f32`, in hertz, so that per-sample maths needs no casts.
pub(crate) const SAMPLE_RATE_F32_HZ: f32 = SAMPLE_RATE_HZ as f32;

/// Quality factor (dimensionless) of a maximally flat (Butterworth) second-order section.
pub(crate) const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Converts a level in decibels to a linear amplitude gain.
pub(crate) fn db_to_gain(db: f32) -> f32 {
    // 10^(dB/20) written as an exponential, which is cheaper than `powf` and exact enough.
    (db * (std::f32::consts::LN_10 / 20.0)).exp()
}

/// Converts a linear amplitude gain to decibels; zero or negative gains give negative infinity.
#[cfg(test)]
pub(crate) fn gain_to_db(gain: f32) -> f32 {
    if gain > 0.0 {
        20.0 * gain.log10()
    } else {
        f32::NEG_INFINITY
    }
}

/// Converts a time constant in seconds into the per-sample coefficient of a one-pole glide.
///
/// After `time_constant_s` the glide has covered 1 - 1/e (about 63 %) of the distance to its
/// target. A non-positive time constant gives 1, i.e. an instant jump.
pub(crate) fn glide_coeff(time_constant_s: f32) -> f32 {
    if time_constant_s <= 0.0 {
        1.0
    } else {
        1.0 - (-1.0 / (time_constant_s * SAMPLE_RATE_F32_HZ)).exp()
    }
}

/// A small, fast, seeded pseudo-random generator (xorshift64* seeded through a SplitMix64
/// scramble).
///
/// It is deterministic: the same seed always yields the same stream, so every voice can be
/// reproduced exactly. It is not suitable for anything security-related.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// Creates a generator; any seed, including zero, is valid.
    pub fn new(seed: u64) -> Self {
        // The SplitMix64 finaliser spreads nearby seeds (0, 1, 2, ...) into unrelated states and
        // guarantees the non-zero state that xorshift needs in all but one astronomically rare case,
        // which is patched explicitly.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self {
            state: if z == 0 { 0x1234_5678_9ABC_DEF1 } else { z },
        }
    }

    /// Returns 64 uniformly distributed random bits.
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        // The multiply scrambles the low-quality low bits of plain xorshift.
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Returns a uniform value in [0, 1).
    #[inline]
    pub(crate) fn next_unit(&mut self) -> f32 {
        bits23_to_unit(self.next_u64() >> 41)
    }

    /// Returns a uniform value in [-1, 1).
    #[inline]
    pub(crate) fn next_f32(&mut self) -> f32 {
        bits23_to_bipolar(self.next_u64() >> 41)
    }

    /// Returns a uniform value in [`low`, `high`).
    #[inline]
    pub fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_unit()
    }

    /// Returns a value whose logarithm is uniform between `low` and `high` (both positive), which
    /// is how pitches and durations are naturally spread.
    pub(crate) fn log_range(&mut self, low: f32, high: f32) -> f32 {
        low * (high / low).powf(self.next_unit())
    }

    /// Returns true with probability `p`.
    pub(crate) fn chance(&mut self, p: f32) -> bool {
        self.next_unit() < p
    }
}

/// A one-pole (6 dB per octave) filter usable as a low-pass or a high-pass.
///
/// One instance should be used in only one mode, because both modes share the same state.
#[derive(Clone, Debug)]
pub(crate) struct OnePole {
    coeff: f32,
    state: f32,
}

impl OnePole {
    /// Creates a filter with its -3 dB point near `cutoff_hz`.
    pub fn new(cutoff_hz: f32) -> Self {
        Self {
            coeff: one_pole_coeff(cutoff_hz),
            state: 0.0,
        }
    }

    /// Sets the smoothing coefficient directly (0 = frozen, 1 = no filtering); this lets callers
    /// glide the coefficient per sample without evaluating an exponential per sample.
    pub(crate) fn set_coeff(&mut self, coeff: f32) {
        self.coeff = coeff.clamp(0.0, 1.0);
    }

    /// The filter's memory (its last output).
    pub fn state(&self) -> f32 {
        self.state
    }

    /// Sets the filter's memory, for loops that keep it in a local.
    pub fn set_state(&mut self, state: f32) {
        self.state = state;
    }

    /// Returns the current smoothing coefficient.
    pub(crate) fn coeff(&self) -> f32 {
        self.coeff
    }

    /// Filters one sample as a low-pass.
    #[inline]
    pub(crate) fn low_pass(&mut self, x: f32) -> f32 {
        self.state += self.coeff * (x - self.state);
        self.state
    }

    /// Filters one sample as a high-pass (the input minus its low-passed part).
    #[inline]
    pub(crate) fn high_pass(&mut self, x: f32) -> f32 {
        x - self.low_pass(x)
    }

    /// Clears the filter memory.
    pub fn reset(&mut self) {
        self.state = 0.0;
    }

    /// Clears a memory that has decayed below the smallest normal `f32`.
    ///
    /// Fed silence, the memory shrinks by `1 - coeff` a sample into the subnormal floats, and a
    /// coefficient under one half leaves it there for good (the step it would take rounds to
    /// zero). Arithmetic on subnormals takes the processor many times longer than on normal
    /// numbers, although the instruction count is the same. What such a memory adds to the
    /// output is under 1e-38, far below what any sample of the mix can resolve.
    pub(crate) fn flush_subnormal(&mut self) {
        if self.state.is_subnormal() {
            self.state = 0.0;
        }
    }
}

/// Returns the one-pole coefficient whose -3 dB point is close to `cutoff_hz`.
///
/// It matches the decay of the analogue RC filter (impulse-invariant mapping), which is accurate
/// well below Nyquist and still stable and monotonic near it.
pub(crate) fn one_pole_coeff(cutoff_hz: f32) -> f32 {
    let nyquist_hz = 0.5 * SAMPLE_RATE_F32_HZ;
    let fc = f64::from(cutoff_hz.clamp(0.0, nyquist_hz));
    (1.0 - (-2.0 * PI_F64 * fc / f64::from(SAMPLE_RATE_HZ)).exp()) as f32
}

/// A second-order IIR section (transposed direct form II) with the RBJ "audio EQ cookbook"
/// responses.
///
/// The `set_*` methods recompute coefficients but keep the state, so a filter can be swept
/// while it runs; callers should do so at control rate (every 32 to 64 samples), never per
/// sample, because each update costs a sine and a cosine.
#[derive(Clone, Debug)]
pub(crate) struct Biquad {
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
    z1: f32,
    z2: f32,
}

impl Biquad {
    /// Creates a pass-through section (useful as a placeholder before the first `set_*`).
    pub(crate) fn identity() -> Self {
        Self {
            b0: 1.0,
            b1: 0.0,
            b2: 0.0,
            a1: 0.0,
            a2: 0.0,
            z1: 0.0,
            z2: 0.0,
        }
    }

    /// Creates a low-pass with its corner at `cutoff_hz` and resonance `q` (0.707 is flat).
    pub(crate) fn low_pass(cutoff_hz: f32, q: f32) -> Self {
        let mut f = Self::identity();
        f.set_low_pass(cutoff_hz, q);
        f
    }

    /// Creates a high-pass with its corner at `cutoff_hz` and resonance `q`.
    pub(crate) fn high_pass(cutoff_hz: f32, q: f32) -> Self {
        let mut f = Self::identity();
        f.set_high_pass(cutoff_hz, q);
        f
    }

    /// Creates a band-pass centred on `center_hz` with 0 dB peak gain and bandwidth set by `q`.
    pub(crate) fn band_pass(center_hz: f32, q: f32) -> Self {
        let mut f = Self::identity();
        f.set_band_pass(center_hz, q);
        f
    }

    /// Creates a high shelf of `gain_db` above `corner_hz` (the gain is half-way, in dB, at the
    /// corner), with shelf steepness set by `q` (0.707 gives the classic monotonic shelf).
    #[cfg(test)]
    pub(crate) fn high_shelf(corner_hz: f32, gain_db: f32, q: f32) -> Self {
        let mut f = Self::identity();
        f.set_high_shelf(corner_hz, gain_db, q);
        f
    }

    /// Re-tunes as a low-pass, keeping the state.
    pub(crate) fn set_low_pass(&mut self, cutoff_hz: f32, q: f32) {
        // The analogue prototype 1 / (s^2 + s/Q + 1) is mapped with the bilinear transform
        // s -> (1 - z^-1) / (1 + z^-1), pre-warped so the corner lands exactly at w0. The
        // numerator (1 + z^-1)^2 scaled by (1 - cos w0) / 2 gives unity gain at DC.
        let (cw, alpha) = warp(cutoff_hz, q);
        let b1 = 1.0 - cw;
        self.set_normalised(0.5 * b1, b1, 0.5 * b1, 1.0 + alpha, -2.0 * cw, 1.0 - alpha);
    }

    /// Re-tunes as a high-pass, keeping the state.
    pub(crate) fn set_high_pass(&mut self, cutoff_hz: f32, q: f32) {
        // Same denominator as the low-pass; the numerator s^2 maps to (1 - z^-1)^2, scaled by
        // (1 + cos w0) / 2 for unity gain at Nyquist.
        let (cw, alpha) = warp(cutoff_hz, q);
        let b0 = 0.5 * (1.0 + cw);
        self.set_normalised(b0, -2.0 * b0, b0, 1.0 + alpha, -2.0 * cw, 1.0 - alpha);
    }

    /// Re-tunes as a band-pass with 0 dB peak gain, keeping the state.
    pub(crate) fn set_band_pass(&mut self, center_hz: f32, q: f32) {
        // The numerator s/Q maps to alpha * (1 - z^-2); at w0 the response is exactly alpha /
        // alpha = 1.
        let (cw, alpha) = warp(center_hz, q);
        self.set_normalised(alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cw, 1.0 - alpha);
    }

    /// Re-tunes as a high shelf, keeping the state.
    #[cfg(test)]
    pub(crate) fn set_high_shelf(&mut self, corner_hz: f32, gain_db: f32, q: f32) {
        // Prototype A * (A s^2 + sqrt(A) s / Q + 1) / (s^2 + sqrt(A) s / Q + A) with
        // A = 10^(gain/40): at s = 0 it is 1, at s = infinity it is A^2 (the full gain), and at
        // the corner its magnitude is A (half the gain in dB). The bilinear transform gives the
        // terms below.
        let (cw, alpha) = warp(corner_hz, q);
        let a = 10f64.powf(f64::from(gain_db) / 40.0);
        let root_a_alpha = 2.0 * a.sqrt() * alpha;
        let b0 = a * ((a + 1.0) + (a - 1.0) * cw + root_a_alpha);
        let b1 = -2.0 * a * ((a - 1.0) + (a + 1.0) * cw);
        let b2 = a * ((a + 1.0) + (a - 1.0) * cw - root_a_alpha);
        let a0 = (a + 1.0) - (a - 1.0) * cw + root_a_alpha;
        let a1 = 2.0 * ((a - 1.0) - (a + 1.0) * cw);
        let a2 = (a + 1.0) - (a - 1.0) * cw - root_a_alpha;
        self.set_normalised(b0, b1, b2, a0, a1, a2);
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        y
    }

    /// Returns the magnitude response at `freq_hz` (used by tests and calibration).
    #[cfg(test)]
    pub(crate) fn magnitude_at(&self, freq_hz: f32) -> f32 {
        let w = 2.0 * PI_F64 * f64::from(freq_hz) / f64::from(SAMPLE_RATE_HZ);
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let num_re = f64::from(self.b0) + f64::from(self.b1) * c1 + f64::from(self.b2) * c2;
        let num_im = -(f64::from(self.b1) * s1 + f64::from(self.b2) * s2);
        let den_re = 1.0 + f64::from(self.a1) * c1 + f64::from(self.a2) * c2;
        let den_im = -(f64::from(self.a1) * s1 + f64::from(self.a2) * s2);
        ((num_re * num_re + num_im * num_im) / (den_re * den_re + den_im * den_im)).sqrt() as f32
    }

    fn set_normalised(&mut self, b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) {
        let inv = 1.0 / a0;
        self.b0 = (b0 * inv) as f32;
        self.b1 = (b1 * inv) as f32;
        self.b2 = (b2 * inv) as f32;
        self.a1 = (a1 * inv) as f32;
        self.a2 = (a2 * inv) as f32;
    }
}

/// Pink (1/f, -3 dB per octave) noise from the Voss-McCartney scheme: a bank of held random
/// rows where row k is refreshed every 2^k samples, plus one fresh white value per sample.
///
/// It costs one random draw per sample. The output RMS is about 0.58 and peaks stay below 3.6.
#[derive(Clone, Debug)]
pub(crate) struct PinkNoise {
    rng: Rng,
    rows: [f32; PINK_ROWS],
    sum: f32,
    counter: u32,
}

impl PinkNoise {
    /// Creates a generator with its own random stream.
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut rows = [0.0; PINK_ROWS];
        for r in &mut rows {
            *r = rng.next_f32();
        }
        let sum = rows.iter().sum();
        Self {
            rng,
            rows,
            sum,
            counter: 0,
        }
    }

    /// Returns the next sample.
    #[inline]
    #[allow(
        clippy::should_implement_trait,
        reason = "an endless per-sample generator, not an iterator"
    )]
    pub fn next(&mut self) -> f32 {
        let bits = self.rng.next_u64();
        self.counter = self.counter.wrapping_add(1);
        let row = self.counter.trailing_zeros() as usize;
        if row < PINK_ROWS {
            // The low 23 bits feed the held row and the high 23 bits the white part, so one draw
            // serves both.
            let v = bits23_to_bipolar(bits);
            self.sum += v - self.rows[row];
            self.rows[row] = v;
        } else {
            // Once every 2^PINK_ROWS samples no row changes; re-summing here stops the running
            // sum from drifting through accumulated rounding.
            self.sum = self.rows.iter().sum();
        }
        (self.sum + bits23_to_bipolar(bits >> 41)) * PINK_SCALE
    }
}

/// A value that glides exponentially toward a target, one step per sample, to remove zipper
/// noise from parameter changes.
#[derive(Clone, Debug)]
pub(crate) struct Smoothed {
    value: f32,
    target: f32,
    coeff: f32,
}

impl Smoothed {
    /// Creates a glide resting at `initial` with the given time constant in seconds.
    pub fn new(initial: f32, time_constant_s: f32) -> Self {
        Self {
            value: initial,
            target: initial,
            coeff: glide_coeff(time_constant_s),
        }
    }

    /// Sets where the value should glide to.
    pub(crate) fn set_target(&mut self, target: f32) {
        self.target = target;
    }

    /// Changes how fast it glides: a coefficient from [`glide_coeff`].
    pub(crate) fn set_coeff(&mut self, coeff: f32) {
        self.coeff = coeff;
    }

    /// Jumps straight to `value` (for initialisation, when there is nothing audible to smooth).
    pub(crate) fn snap_to(&mut self, value: f32) {
        self.value = value;
        self.target = value;
    }

    /// Advances one sample and returns the new value.
    #[inline]
    #[allow(
        clippy::should_implement_trait,
        reason = "an endless per-sample glide, not an iterator"
    )]
    pub fn next(&mut self) -> f32 {
        let next = self.value + self.coeff * (self.target - self.value);
        // Snapping once the gap is negligible, or once rounding stops the value from moving at
        // all, makes the glide actually arrive, so that "gain 1" becomes exactly 1 and "gain 0"
        // exactly 0 instead of stalling a few ulps short forever.
        self.value = if next == self.value || (self.target - next).abs() < SMOOTHED_SNAP_EPSILON {
            self.target
        } else {
            next
        };
        self.value
    }

    /// Returns the current value without advancing.
    pub fn value(&self) -> f32 {
        self.value
    }

    /// Returns the current target.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// Whether the glide has arrived: the value no longer moves.
    pub(crate) fn is_settled(&self) -> bool {
        self.value == self.target
    }
}

/// A delay line with a fixed maximum length and linearly interpolated fractional reads.
#[derive(Clone, Debug)]
pub(crate) struct DelayLine {
    buffer: Vec<f32>,
    mask: usize,
    write: usize,
    max_delay_samples: usize,
}

impl DelayLine {
    /// Allocates a line that can delay by up to `max_delay_samples` samples.
    pub fn new(max_delay_samples: usize) -> Self {
        // A power-of-two length lets indices wrap with a mask; two spare slots cover the
        // interpolation partner of the longest delay.
        let len = (max_delay_samples + 2).next_power_of_two();
        Self {
            buffer: vec![0.0; len],
            mask: len - 1,
            write: 0,
            max_delay_samples,
        }
    }

    /// Writes the newest sample.
    #[inline]
    pub fn push(&mut self, x: f32) {
        self.buffer[self.write] = x;
        self.write = (self.write + 1) & self.mask;
    }

    /// Reads the signal `delay_samples` samples ago (0 = the sample just pushed), interpolating
    /// linearly between neighbours; the delay is clamped to [0, max].
    #[inline]
    pub fn read(&self, delay_samples: f32) -> f32 {
        let d = delay_samples.clamp(0.0, self.max_delay_samples as f32);
        let whole = d as usize;
        let frac = d - whole as f32;
        let newest = self.write.wrapping_sub(1);
        let a = self.buffer[newest.wrapping_sub(whole) & self.mask];
        let b = self.buffer[newest.wrapping_sub(whole + 1) & self.mask];
        a + frac * (b - a)
    }

    /// Pushes every sample of `input` and, after each push, reads two taps
    /// (each a delay split into whole samples, at most the maximum, and a
    /// fraction) and hands them to `each`. The write position stays in a
    /// register for the whole block, which matters in the mix's hottest loop.
    #[inline]
    pub(crate) fn run_two_taps(
        &mut self,
        input: &[f32],
        taps: [(usize, f32); 2],
        mut each: impl FnMut(usize, f32, f32),
    ) {
        let mask = self.mask;
        let buffer = &mut self.buffer[..];
        let mut write = self.write;
        let [(whole_a, frac_a), (whole_b, frac_b)] = taps;
        for (i, &x) in input.iter().enumerate() {
            buffer[write & mask] = x;
            let newest = write;
            write = (write + 1) & mask;
            let tap = |whole: usize, frac: f32| {
                let a = buffer[newest.wrapping_sub(whole) & mask];
                let b = buffer[newest.wrapping_sub(whole + 1) & mask];
                a + frac * (b - a)
            };
            each(i, tap(whole_a, frac_a), tap(whole_b, frac_b));
        }
        self.write = write;
    }

    /// Returns the longest supported delay in samples.
    pub(crate) fn max_delay_samples(&self) -> usize {
        self.max_delay_samples
    }

    /// Clears the stored signal.
    pub fn reset(&mut self) {
        self.buffer.iter_mut().for_each(|s| *s = 0.0);
    }
}

/// Number of held rows (dimensionless) in the pink-noise generator; 12 rows keep the spectrum
/// pink down to about 48 000 / 2^13 ≈ 6 Hz.
const PINK_ROWS: usize = 12;

/// Output scale (dimensionless) that brings the sum of 13 uniform values to unit-uniform RMS.
const PINK_SCALE: f32 = 0.277_350_1; // 1 / sqrt(13)

/// Gap (in the smoothed value's own unit) below which a glide snaps onto its target.
const SMOOTHED_SNAP_EPSILON: f32 = 1.0e-6;

/// Maps the low 23 bits of `bits` to [0, 1).
///
/// The bits become the mantissa of a float in [1, 2), from which 1 is subtracted. This avoids an
/// integer-to-float conversion, which is notably slow for 64-bit unsigned values on x86-64.
#[inline]
fn bits23_to_unit(bits: u64) -> f32 {
    f32::from_bits(0x3F80_0000 | (bits as u32 & 0x007F_FFFF)) - 1.0
}

/// Maps the low 23 bits of `bits` to [-1, 1), via a float in [2, 4) minus 3.
#[inline]
fn bits23_to_bipolar(bits: u64) -> f32 {
    f32::from_bits(0x4000_0000 | (bits as u32 & 0x007F_FFFF)) - 3.0
}

/// Returns (cos w0, alpha) for a corner frequency in hertz and a quality factor, in `f64`.
fn warp(freq_hz: f32, q: f32) -> (f64, f64) {
    let nyquist_hz = 0.5 * f64::from(SAMPLE_RATE_HZ);
    let f = f64::from(freq_hz).clamp(1.0, nyquist_hz * 0.999);
    let w0 = 2.0 * PI_F64 * f / f64::from(SAMPLE_RATE_HZ);
    let q = f64::from(q).max(1.0e-3);
    (w0.cos(), w0.sin() / (2.0 * q))
}

#[cfg(test)]
mod tests;
