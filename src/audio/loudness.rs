//! Integrated loudness of stereo audio at 48 kHz per ITU-R BS.1770-4 / EBU R128.
//!
//! The signal is K-weighted (a high shelf modelling the head, then a high-pass modelling the
//! ear's low-frequency insensitivity), squared, averaged over 400 ms blocks that overlap by 75 %,
//! and the block loudnesses are gated: first absolutely at -70 LUFS, then relatively at 10 LU
//! below the loudness of the blocks that passed the first gate.
//!
//! The meter is an analysis tool rather than a render path, so it filters and accumulates in
//! `f64`: the high-pass pole sits within 0.01 of the unit circle, where `f32` state would add
//! measurable error over a minute of audio.

use super::sample_clock::SAMPLE_RATE_HZ;

/// Offset in dB from BS.1770 that makes a 1 kHz full-scale sine in one channel read -3.01 LUFS.
pub(crate) const LOUDNESS_OFFSET_DB: f64 = -0.691;

/// Absolute gate threshold in LUFS.
pub(crate) const ABSOLUTE_GATE_LUFS: f64 = -70.0;

/// Relative gate distance below the absolutely gated loudness, in LU.
pub(crate) const RELATIVE_GATE_LU: f64 = 10.0;

/// Gating block length in samples (400 ms at 48 kHz).
pub(crate) const BLOCK_SAMPLES: usize = (SAMPLE_RATE_HZ as usize * 400) / 1000;

/// Step between the starts of consecutive blocks in samples (100 ms, i.e. 75 % overlap).
pub(crate) const HOP_SAMPLES: usize = BLOCK_SAMPLES / 4;

/// Returns the integrated loudness in LUFS of a stereo signal, or negative infinity when no
/// block passes the gates (silence or less than 400 ms of audio).
///
/// # Panics
/// Panics if the two channels differ in length.
pub fn integrated_lufs(left: &[f32], right: &[f32]) -> f32 {
    assert_eq!(left.len(), right.len(), "channels must have equal length");
    let mut meter = LoudnessMeter::new();
    meter.push(left, right);
    meter.integrated_lufs()
}

/// The momentary loudness (EBU R128: 400 ms, ungated) every 100 ms of a
/// stereo signal, LUFS; the first value covers its first 400 ms.
///
/// # Panics
/// Panics if the two channels differ in length.
pub fn momentary_lufs(left: &[f32], right: &[f32]) -> Vec<f32> {
    assert_eq!(left.len(), right.len(), "channels must have equal length");
    let mut meter = LoudnessMeter::new();
    meter.push(left, right);
    meter.momentary_lufs()
}

/// A streaming integrated-loudness meter; feed it audio in any block sizes.
#[derive(Clone, Debug)]
pub(crate) struct LoudnessMeter {
    filters: [KWeighting; 2],
    hop_energy: f64,
    hop_fill: usize,
    recent_hops: [f64; 4],
    hops_seen: usize,
    block_energies: Vec<f64>,
}

impl Default for LoudnessMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl LoudnessMeter {
    /// Creates an empty meter.
    pub fn new() -> Self {
        Self {
            filters: [KWeighting::new(), KWeighting::new()],
            hop_energy: 0.0,
            hop_fill: 0,
            recent_hops: [0.0; 4],
            hops_seen: 0,
            block_energies: Vec::new(),
        }
    }

    /// Adds a stereo block (both channels the same length).
    ///
    /// # Panics
    /// Panics if the two channels differ in length.
    pub fn push(&mut self, left: &[f32], right: &[f32]) {
        assert_eq!(left.len(), right.len(), "channels must have equal length");
        for (&l, &r) in left.iter().zip(right) {
            self.push_frame(l, r);
        }
    }

    /// Returns the integrated loudness so far in LUFS (negative infinity when nothing passes
    /// the gates).
    pub fn integrated_lufs(&self) -> f32 {
        let absolute_gate = lufs_to_energy(ABSOLUTE_GATE_LUFS);
        let Some(ungated_mean) = mean_above(&self.block_energies, absolute_gate) else {
            return f32::NEG_INFINITY;
        };
        let relative_gate = ungated_mean * lufs_to_energy_ratio(-RELATIVE_GATE_LU);
        match mean_above(&self.block_energies, absolute_gate.max(relative_gate)) {
            Some(mean) => energy_to_lufs(mean) as f32,
            None => f32::NEG_INFINITY,
        }
    }

    /// The momentary loudness of each 400 ms block so far (one every
    /// 100 ms), LUFS.
    pub fn momentary_lufs(&self) -> Vec<f32> {
        self.block_energies
            .iter()
            .map(|&e| energy_to_lufs(e) as f32)
            .collect()
    }

    fn push_frame(&mut self, l: f32, r: f32) {
        let wl = self.filters[0].process(f64::from(l));
        let wr = self.filters[1].process(f64::from(r));
        // Left and right both carry channel weight 1 in BS.1770.
        self.hop_energy += wl * wl + wr * wr;
        self.hop_fill += 1;
        if self.hop_fill == HOP_SAMPLES {
            self.recent_hops[self.hops_seen % 4] = self.hop_energy;
            self.hops_seen += 1;
            self.hop_energy = 0.0;
            self.hop_fill = 0;
            if self.hops_seen >= 4 {
                // A 400 ms block is exactly four 100 ms hops, so its mean square is their sum
                // over the block length.
                let sum: f64 = self.recent_hops.iter().sum();
                self.block_energies.push(sum / BLOCK_SAMPLES as f64);
            }
        }
    }
}

/// The two-stage K-weighting filter for 48 kHz, with the coefficients published in
/// ITU-R BS.1770-4.
#[derive(Clone, Debug)]
struct KWeighting {
    stages: [Section64; 2],
}

impl KWeighting {
    fn new() -> Self {
        Self {
            stages: [
                // Stage 1: the +4 dB high shelf around 1.5 kHz that models the head's acoustics.
                Section64 {
                    b: [
                        1.535_124_859_586_97,
                        -2.691_696_189_406_38,
                        1.198_392_810_852_85,
                    ],
                    a: [-1.690_659_293_182_41, 0.732_480_774_215_85],
                    z: [0.0; 2],
                },
                // Stage 2: the revised low-frequency B-curve (RLB) high-pass near 38 Hz.
                Section64 {
                    b: [1.0, -2.0, 1.0],
                    a: [-1.990_047_454_833_98, 0.990_072_250_366_21],
                    z: [0.0; 2],
                },
            ],
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.stages[0].process(x);
        self.stages[1].process(y)
    }
}

/// A transposed direct form II biquad in `f64` with normalised coefficients.
#[derive(Clone, Debug)]
struct Section64 {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Section64 {
    fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
}

/// Returns the mean of the energies strictly above `threshold`, or `None` if there are none.
fn mean_above(energies: &[f64], threshold: f64) -> Option<f64> {
    let (sum, count) = energies
        .iter()
        .filter(|&&e| e > threshold)
        .fold((0.0, 0usize), |(s, c), &e| (s + e, c + 1));
    (count > 0).then(|| sum / count as f64)
}

fn energy_to_lufs(energy: f64) -> f64 {
    LOUDNESS_OFFSET_DB + 10.0 * energy.log10()
}

fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs - LOUDNESS_OFFSET_DB) / 10.0)
}

fn lufs_to_energy_ratio(lu: f64) -> f64 {
    10f64.powf(lu / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq_hz: f32, amplitude: f32, seconds: f32) -> Vec<f32> {
        let n = (seconds * SAMPLE_RATE_HZ as f32) as usize;
        let w = 2.0 * std::f64::consts::PI * f64::from(freq_hz) / f64::from(SAMPLE_RATE_HZ);
        (0..n)
            .map(|i| (f64::from(amplitude) * (w * i as f64).sin()) as f32)
            .collect()
    }

    #[test]
    fn full_scale_997_hz_in_one_channel_reads_minus_3_01() {
        let s = sine(997.0, 1.0, 10.0);
        let silent = vec![0.0; s.len()];
        let l = integrated_lufs(&s, &silent);
        assert!((l + 3.01).abs() < 0.1, "{l}");
    }

    #[test]
    fn full_scale_997_hz_in_both_channels_reads_zero() {
        // Each channel alone is -3.01 LUFS; their energies add, giving +3.01 dB, i.e. 0 LUFS.
        let s = sine(997.0, 1.0, 10.0);
        let l = integrated_lufs(&s, &s);
        assert!(l.abs() < 0.1, "{l}");
    }

    #[test]
    fn level_tracks_gain_and_k_weighting_shapes_frequency() {
        let quiet = sine(997.0, 0.1, 5.0);
        assert!((integrated_lufs(&quiet, &quiet) + 20.0).abs() < 0.1);
        // The RLB high-pass makes 20 Hz read far quieter. At 10 kHz the K-weighting gain is
        // +4.04 dB against +0.69 dB at 997 Hz, so the reading is -20 + 4.04 - 0.69 = -16.65.
        let low = sine(20.0, 0.1, 5.0);
        assert!(integrated_lufs(&low, &low) < -30.0);
        let high = sine(10_000.0, 0.1, 5.0);
        let h = integrated_lufs(&high, &high);
        assert!((h + 16.65).abs() < 0.1, "{h}");
    }

    #[test]
    fn silence_and_short_input_are_negative_infinity() {
        let z = vec![0.0; 96_000];
        assert_eq!(integrated_lufs(&z, &z), f32::NEG_INFINITY);
        let short = sine(997.0, 1.0, 0.3);
        assert_eq!(integrated_lufs(&short, &short), f32::NEG_INFINITY);
    }

    #[test]
    fn relative_gate_ignores_quiet_stretches() {
        // 10 s at -20 LUFS then 10 s at -40 LUFS. Both halves pass the absolute gate and average
        // to about -22.6 LUFS, which puts the relative gate near -32.6 LUFS; the quiet half falls
        // under it, so the result is the loud half alone (an ungated mean would read -22.6).
        let mut a = sine(997.0, 0.1, 10.0);
        a.extend(sine(997.0, 0.01, 10.0));
        let l = integrated_lufs(&a, &a);
        assert!((l + 20.0).abs() < 0.3, "{l}");
    }

    #[test]
    fn streaming_matches_one_shot() {
        let s = sine(440.0, 0.3, 3.0);
        let mut m = LoudnessMeter::new();
        for c in s.chunks(333) {
            m.push(c, c);
        }
        assert_eq!(m.integrated_lufs(), integrated_lufs(&s, &s));
    }
}
