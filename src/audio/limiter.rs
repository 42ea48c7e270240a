//! A look-ahead peak limiter for interleaved stereo that guarantees a sample-peak ceiling.
//!
//! How the guarantee works: for every incoming frame the gain it needs is
//! `min(1, ceiling / peak)`. The audio is delayed by L frames. The gain applied to the frame
//! leaving the delay is a moving average over the last L + 1 values of a signal that is itself
//! the minimum of the needed gains over the last L + 1 frames (followed by a release glide that
//! can only make it smaller). Every term of that average has "seen" the leaving frame inside its
//! minimum window, so every term — and therefore the average — is at most what that frame needs.
//! The averaging also turns each gain drop into a straight ramp across the look-ahead, which is
//! the smooth attack. A final clamp covers floating-point rounding only.

use super::dsp::{SAMPLE_RATE_F32_HZ, db_to_gain, glide_coeff};

/// Look-ahead (and therefore latency) in seconds.
pub(crate) const LOOKAHEAD_S: f32 = 0.005;

/// Release time constant in seconds: how fast the gain recovers once peaks have passed.
pub(crate) const RELEASE_S: f32 = 0.2;

/// A linked-stereo look-ahead limiter.
#[derive(Clone, Debug)]
pub struct Limiter {
    ceiling: f32,
    threshold: f32,
    lookahead: usize,
    delay: Vec<[f32; 2]>,
    delay_pos: usize,
    min_window: SlidingMin,
    released: f32,
    release_coeff: f32,
    ramp: Vec<f32>,
    ramp_pos: usize,
    ramp_sum: f64,
    clamp_events: u64,
}

impl Limiter {
    /// Creates a limiter whose output never exceeds `ceiling_db` dBFS in magnitude.
    pub fn new(ceiling_db: f32) -> Self {
        let lookahead = (LOOKAHEAD_S * SAMPLE_RATE_F32_HZ).round() as usize;
        let window = lookahead + 1;
        let ceiling = db_to_gain(ceiling_db);
        Self {
            ceiling,
            // Aiming a hair (about 0.0001 dB) under the ceiling keeps rounding in the gain maths
            // from ever reaching the safety clamp.
            threshold: ceiling * THRESHOLD_MARGIN,
            lookahead,
            delay: vec![[0.0; 2]; lookahead.max(1)],
            delay_pos: 0,
            min_window: SlidingMin::new(window),
            released: 1.0,
            release_coeff: glide_coeff(RELEASE_S),
            ramp: vec![1.0; window],
            ramp_pos: 0,
            ramp_sum: window as f64,
            clamp_events: 0,
        }
    }

    /// Returns the delay the limiter adds, in frames.
    pub(crate) fn latency_frames(&self) -> usize {
        self.lookahead
    }

    /// Returns how many samples the final safety clamp has had to change; it should stay zero,
    /// since the gain computer alone is meant to keep the ceiling.
    #[cfg(test)]
    pub(crate) fn safety_clamp_count(&self) -> u64 {
        self.clamp_events
    }

    /// Limits interleaved stereo in place (a trailing odd sample is left untouched).
    pub fn process(&mut self, interleaved: &mut [f32]) {
        let whole = interleaved.len() / 2 * 2;
        let quiet = |s: &f32| s.abs() <= self.threshold;
        if self.lookahead > 0 && self.is_transparent() && interleaved[..whole].iter().all(quiet) {
            // The usual case at Stillpoint's levels: no gain reduction in the
            // window and nothing loud arriving. The gain is exactly 1 for
            // every frame, so the block only passes through the delay.
            self.pass_through(&mut interleaved[..whole]);
            return;
        }
        self.process_general(interleaved);
    }

    /// The gain computer, frame by frame.
    fn process_general(&mut self, interleaved: &mut [f32]) {
        for frame in interleaved.chunks_exact_mut(2) {
            let (l, r) = (frame[0], frame[1]);
            let peak = l.abs().max(r.abs());
            // NaN peaks count as infinitely loud so the gain drops instead of propagating NaN.
            let needed = if peak > self.threshold {
                self.threshold / peak
            } else if peak.is_nan() {
                0.0
            } else {
                1.0
            };
            let held = self.min_window.push(needed);

            // Instant fall, exponential recovery; a recovery that is close enough snaps home so
            // that quiet passages get a gain of exactly 1.
            if held < self.released {
                self.released = held;
            } else {
                let next = self.released + self.release_coeff * (held - self.released);
                // Snap when the gap is negligible or rounding has stalled the glide.
                self.released = if next == self.released || held - next < RELEASE_SNAP {
                    held
                } else {
                    next
                };
            }

            self.ramp_sum += f64::from(self.released) - f64::from(self.ramp[self.ramp_pos]);
            self.ramp[self.ramp_pos] = self.released;
            self.ramp_pos += 1;
            if self.ramp_pos == self.ramp.len() {
                self.ramp_pos = 0;
                // Re-summing once per window stops the running sum drifting through rounding.
                self.ramp_sum = self.ramp.iter().map(|&g| f64::from(g)).sum();
            }
            let gain = (self.ramp_sum / self.ramp.len() as f64).min(1.0) as f32;

            let out = if self.lookahead == 0 {
                [l, r]
            } else {
                let delayed = self.delay[self.delay_pos];
                self.delay[self.delay_pos] = [l, r];
                // A compare instead of a remainder: this runs for every frame.
                self.delay_pos += 1;
                if self.delay_pos == self.delay.len() {
                    self.delay_pos = 0;
                }
                delayed
            };
            frame[0] = self.clamp(out[0] * gain);
            frame[1] = self.clamp(out[1] * gain);
        }
    }

    /// Whether the limiter is at rest: no reduction held anywhere in its
    /// window, its release at 1 and every gain in its ramp exactly 1.
    fn is_transparent(&self) -> bool {
        self.released == 1.0
            && self.ramp_sum == self.ramp.len() as f64
            && self.min_window.minimum() == 1.0
    }

    /// What the general loop does for a quiet block while at rest, without
    /// the gain computer: every needed gain is 1, so the window holds only
    /// 1, the release stays at 1, the ramp stays all 1.
    fn pass_through(&mut self, interleaved: &mut [f32]) {
        let frames = interleaved.len() / 2;
        for frame in interleaved.chunks_exact_mut(2) {
            let delayed = self.delay[self.delay_pos];
            self.delay[self.delay_pos] = [frame[0], frame[1]];
            self.delay_pos += 1;
            if self.delay_pos == self.delay.len() {
                self.delay_pos = 0;
            }
            frame[0] = self.clamp(delayed[0]);
            frame[1] = self.clamp(delayed[1]);
        }
        self.min_window.push_ones(frames);
        self.ramp_pos = (self.ramp_pos + frames) % self.ramp.len();
    }

    fn clamp(&mut self, x: f32) -> f32 {
        if x.abs() > self.ceiling {
            self.clamp_events += 1;
            x.clamp(-self.ceiling, self.ceiling)
        } else if x.is_nan() {
            self.clamp_events += 1;
            0.0
        } else {
            x
        }
    }
}

/// Fraction (dimensionless) of the ceiling that the gain computer aims for.
const THRESHOLD_MARGIN: f32 = 0.999_99;

/// Gain gap (dimensionless) below which the release snaps onto its target.
const RELEASE_SNAP: f32 = 1.0e-6;

/// Minimum over a sliding window of fixed length, in amortised O(1) per sample, using a
/// monotonic queue stored in a ring buffer (no allocation after construction).
#[derive(Clone, Debug)]
struct SlidingMin {
    window: usize,
    /// The ring's length less one: the ring is a power of two long, so
    /// indices wrap with a mask rather than a division.
    mask: usize,
    values: Vec<f32>,
    stamps: Vec<u64>,
    head: usize,
    len: usize,
    now: u64,
}

impl SlidingMin {
    fn new(window: usize) -> Self {
        let cap = window.max(1).next_power_of_two();
        Self {
            window,
            mask: cap - 1,
            values: vec![0.0; cap],
            stamps: vec![0; cap],
            head: 0,
            len: 0,
            now: 0,
        }
    }

    /// The minimum of the window (1 when empty). It may include an entry
    /// that is just past the window, which only ever makes it smaller.
    fn minimum(&self) -> f32 {
        if self.len == 0 {
            1.0
        } else {
            self.values[self.head]
        }
    }

    /// The same as pushing 1.0 `n` times when no entry is below 1: the
    /// queue keeps only the newest.
    fn push_ones(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.values[self.head] = 1.0;
        self.stamps[self.head] = self.now + n as u64 - 1;
        self.len = 1;
        self.now += n as u64;
    }

    fn push(&mut self, x: f32) -> f32 {
        let mask = self.mask;
        // Drop the front entry once it has left the window.
        if self.len > 0 && self.now - self.stamps[self.head] >= self.window as u64 {
            self.head = (self.head + 1) & mask;
            self.len -= 1;
        }
        // Entries larger than the newcomer can never be the minimum again.
        while self.len > 0 {
            let back = (self.head + self.len - 1) & mask;
            if self.values[back] >= x {
                self.len -= 1;
            } else {
                break;
            }
        }
        let slot = (self.head + self.len) & mask;
        self.values[slot] = x;
        self.stamps[slot] = self.now;
        self.len += 1;
        self.now += 1;
        self.values[self.head]
    }
}

#[cfg(test)]
mod tests {
    use super::super::dsp::Rng;
    use super::*;

    #[test]
    fn loud_random_input_never_exceeds_the_ceiling() {
        let mut rng = Rng::new(11);
        let mut lim = Limiter::new(-1.0);
        let ceiling = db_to_gain(-1.0);
        let peak_in = db_to_gain(12.0);
        let mut signal = vec![0.0f32; 2 * 48_000 * 5];
        let mut level = 0.0f32;
        for (i, s) in signal.iter_mut().enumerate() {
            // Bursts of varying loudness with occasional isolated full +12 dB spikes.
            if i % 9600 == 0 {
                level = rng.range(0.05, 1.0);
            }
            *s = if rng.chance(0.001) {
                peak_in * rng.next_f32().signum()
            } else {
                level * peak_in * rng.next_f32()
            };
        }
        let mut max_out = 0.0f32;
        for block in signal.chunks_mut(512) {
            lim.process(block);
            for &s in block.iter() {
                max_out = max_out.max(s.abs());
            }
        }
        assert!(max_out <= ceiling, "peak {max_out} above {ceiling}");
        assert!(
            max_out > 0.9 * ceiling,
            "limiter should not over-attenuate: {max_out}"
        );
        assert_eq!(
            lim.safety_clamp_count(),
            0,
            "the gain computer alone should keep the ceiling"
        );
    }

    #[test]
    fn quiet_input_passes_bit_exact_after_latency() {
        let mut rng = Rng::new(5);
        let mut lim = Limiter::new(-1.0);
        let input: Vec<f32> = (0..2 * 20_000).map(|_| 0.5 * rng.next_f32()).collect();
        let mut out = input.clone();
        for block in out.chunks_mut(300) {
            lim.process(block);
        }
        let lat = 2 * lim.latency_frames();
        assert_eq!(lim.latency_frames(), 240);
        assert!(out[..lat].iter().all(|&s| s == 0.0));
        assert_eq!(&out[lat..], &input[..input.len() - lat]);
    }

    #[test]
    fn the_quiet_shortcut_gives_exactly_what_the_gain_computer_gives() {
        // Quiet stretches with loud bursts now and then, in 64-frame blocks.
        let mut rng = Rng::new(11);
        let signal: Vec<f32> = (0..48_000 * 2)
            .map(|i| {
                let loud = (i / 9_000) % 3 == 1;
                rng.next_f32() * if loud { 2.5 } else { 0.3 }
            })
            .collect();
        let (mut fast, mut general) = (Limiter::new(-1.0), Limiter::new(-1.0));
        let (mut a, mut b) = (signal.clone(), signal);
        for (x, y) in a.chunks_mut(128).zip(b.chunks_mut(128)) {
            fast.process(x);
            general.process_general(y);
        }
        assert!(a == b, "the shortcut changed the output");
    }

    #[test]
    fn recovers_to_unity_after_a_peak() {
        let mut lim = Limiter::new(-1.0);
        let mut sig = vec![0.1f32; 2 * 96_000];
        sig[2000] = 4.0;
        lim.process(&mut sig);
        // A 200 ms release is fully home (and snapped to exactly 1) within about 3 s.
        assert!((sig[2 * 95_000] - 0.1).abs() < 1e-7);
        // The loud frame was brought down to the ceiling but no lower than needed.
        let peak = sig.iter().fold(0.0f32, |m, &s| m.max(s.abs()));
        assert!(peak <= db_to_gain(-1.0) && peak > 0.85);
        // The attack is a ramp across the look-ahead, so the gain before the peak falls gradually.
        let before = sig[2 * (1000 + 240) - 2 * 120];
        assert!(before < 0.1 && before > 0.05, "{before}");
    }
}
