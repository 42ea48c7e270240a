//! Sounds that accompany the breathing pacer, all mono.
//!
//! "Fill" is the pacer's lung fill in [0, 1]; the `render` calls of [`Swell`] and [`Tone`] take the
//! fill at the start and end of the block and assume it moves linearly in between. [`Swell`] and
//! [`Tone`] OVERWRITE their output buffer; [`Chime`] ADDS into it so that it can be mixed on top of
//! another sound in the same buffer.

use super::dsp::{BUTTERWORTH_Q, Biquad, OnePole, PinkNoise, SAMPLE_RATE_F32_HZ, Smoothed};

/// Length in seconds of the chime's raised-cosine attack, which begins exactly at the onset
/// sample.
pub(crate) const CHIME_ATTACK_S: f32 = 0.003;

/// Fill speed in fill units per second that gives the swell its reference level: a 4 s inhale
/// (0 to 1 in 4 s).
pub(crate) const SWELL_REFERENCE_SPEED_PER_S: f32 = 0.25;

/// A soft, breath-like noise that follows the movement of the lungs: it is as loud as the air
/// is moving fast, silent while the fill holds, and a little brighter when the lungs are full
/// and while inhaling.
#[derive(Clone, Debug)]
pub struct Swell {
    pink: PinkNoise,
    rumble_cut: OnePole,
    body: Biquad,
    gain: Smoothed,
    inhale: Smoothed,
    countdown: usize,
}

impl Swell {
    /// Creates a swell with its own noise stream.
    pub fn new(seed: u64) -> Self {
        Self {
            pink: PinkNoise::new(seed),
            rumble_cut: OnePole::new(180.0),
            body: Biquad::low_pass(600.0, BUTTERWORTH_Q),
            gain: Smoothed::new(0.0, SWELL_GLIDE_S),
            inhale: Smoothed::new(0.0, SWELL_GLIDE_S),
            countdown: 0,
        }
    }

    /// Renders one block, OVERWRITING `out`, while the fill moves linearly from `fill_start` to
    /// `fill_end` across it.
    pub fn render(&mut self, out: &mut [f32], fill_start: f32, fill_end: f32) {
        if out.is_empty() {
            return;
        }
        let block_s = out.len() as f32 / SAMPLE_RATE_F32_HZ;
        let delta = fill_end - fill_start;
        let speed = delta.abs() / block_s;
        // Level in proportion to airflow; the gain glides, so a change of pace between blocks
        // becomes a smooth swell instead of a step.
        self.gain.set_target(
            SWELL_GAIN * (speed / SWELL_REFERENCE_SPEED_PER_S).min(SWELL_MAX_SPEED_RATIO),
        );
        self.inhale.set_target(if delta > 0.0 { 1.0 } else { 0.0 });
        if self.gain.is_settled() && self.gain.value() == 0.0 {
            // The lungs hold still and the swell has faded: silence, for free.
            out.fill(0.0);
            return;
        }
        let per_sample = delta / out.len() as f32;
        for (i, s) in out.iter_mut().enumerate() {
            if self.countdown == 0 {
                self.countdown = PACER_CONTROL_SAMPLES;
                let fill = (fill_start + per_sample * i as f32).clamp(0.0, 1.0);
                // Brightness rises with fill, and inhaling opens it a further 25 %.
                let cutoff = 500.0 * (1.0 + 1.6 * fill) * (1.0 + 0.25 * self.inhale.value());
                self.body.set_low_pass(cutoff, BUTTERWORTH_Q);
            }
            self.countdown -= 1;
            self.inhale.next();
            let n = self
                .body
                .process(self.rumble_cut.high_pass(self.pink.next()));
            *s = n * self.gain.next();
        }
    }
}

/// An optional soft tone that rises and falls with the fill: a sine with a touch of second
/// harmonic, from about 196 Hz (G3) at empty to about 294 Hz (D4) at full, a musical fifth.
#[derive(Clone, Debug)]
pub(crate) struct Tone {
    re: f32,
    im: f32,
    rot_re: f32,
    rot_im: f32,
    level: Smoothed,
    countdown: usize,
}

impl Default for Tone {
    fn default() -> Self {
        Self::new()
    }
}

impl Tone {
    /// Creates a tone that fades in over its first few tens of milliseconds.
    pub fn new() -> Self {
        let mut level = Smoothed::new(0.0, TONE_FADE_IN_S);
        level.set_target(TONE_GAIN);
        Self {
            re: 1.0,
            im: 0.0,
            rot_re: 1.0,
            rot_im: 0.0,
            level,
            countdown: 0,
        }
    }

    /// Renders one block, OVERWRITING `out`; the pitch follows the fill moving linearly from
    /// `fill_start` to `fill_end`, and the phase continues seamlessly from the previous block.
    pub fn render(&mut self, out: &mut [f32], fill_start: f32, fill_end: f32) {
        if out.is_empty() {
            return;
        }
        let per_sample = (fill_end - fill_start) / out.len() as f32;
        for (i, s) in out.iter_mut().enumerate() {
            if self.countdown == 0 {
                self.countdown = PACER_CONTROL_SAMPLES;
                // Evaluate the pitch in the middle of the coming control period.
                let mid = i as f32 + 0.5 * PACER_CONTROL_SAMPLES as f32;
                let fill = (fill_start + per_sample * mid).clamp(0.0, 1.0);
                let freq = TONE_LOW_HZ * (TONE_HIGH_HZ / TONE_LOW_HZ).powf(fill);
                let w = std::f32::consts::TAU * freq / SAMPLE_RATE_F32_HZ;
                self.rot_re = w.cos();
                self.rot_im = w.sin();
                let g = 1.5 - 0.5 * (self.re * self.re + self.im * self.im);
                self.re *= g;
                self.im *= g;
            }
            self.countdown -= 1;
            let re = self.re * self.rot_re - self.im * self.rot_im;
            self.im = self.re * self.rot_im + self.im * self.rot_re;
            self.re = re;
            // sin(2x) = 2 sin(x) cos(x): the second harmonic comes free from the same phasor.
            let y = self.im + TONE_SECOND_HARMONIC * 2.0 * self.re * self.im;
            *s = y * self.level.next();
        }
    }
}

/// A soft bell for marking phase changes. Inharmonic partials ring down exponentially; each
/// strike starts with a 3 ms raised-cosine attack beginning exactly at the requested sample.
///
/// Striking while it still rings adds a new strike on top (as a real bell does) instead of
/// cutting the old one, so retriggering never clicks.
#[derive(Clone, Debug)]
pub struct Chime {
    ring: [[f32; 2]; CHIME_PARTIALS],
    strike: [[f32; 2]; CHIME_PARTIALS],
    rotation: [[f32; 2]; CHIME_PARTIALS],
    attack: Vec<f32>,
    attack_pos: usize,
    pending: Option<usize>,
    ringing: bool,
}

impl Default for Chime {
    fn default() -> Self {
        Self::new()
    }
}

impl Chime {
    /// Creates a silent chime.
    pub fn new() -> Self {
        let attack_len = (CHIME_ATTACK_S * SAMPLE_RATE_F32_HZ).round() as usize;
        let attack = (0..attack_len)
            .map(|n| 0.5 * (1.0 - (std::f32::consts::PI * n as f32 / attack_len as f32).cos()))
            .collect();
        let rotation = std::array::from_fn(|k| {
            let w =
                std::f32::consts::TAU * CHIME_FUNDAMENTAL_HZ * CHIME_RATIOS[k] / SAMPLE_RATE_F32_HZ;
            let r = (-1.0 / (CHIME_DECAYS_S[k] * SAMPLE_RATE_F32_HZ)).exp();
            [r * w.cos(), r * w.sin()]
        });
        Self {
            ring: [[0.0; 2]; CHIME_PARTIALS],
            strike: [[0.0; 2]; CHIME_PARTIALS],
            rotation,
            attack,
            attack_pos: attack_len,
            pending: None,
            ringing: false,
        }
    }

    /// Schedules a strike at sample `offset` of the NEXT `render` call. An offset beyond that
    /// block carries over into later calls; a second trigger before the first sounds replaces it.
    pub fn trigger(&mut self, offset: usize) {
        self.pending = Some(offset);
    }

    /// Renders one block, ADDING the chime into `out` (other sounds may already be there).
    pub fn render(&mut self, out: &mut [f32]) {
        let onset = self.pending.filter(|&p| p < out.len());
        self.pending = self
            .pending
            .map(|p| p.saturating_sub(out.len()))
            .filter(|_| onset.is_none());
        if !self.ringing && onset.is_none() {
            return;
        }
        for (i, s) in out.iter_mut().enumerate() {
            if onset == Some(i) {
                self.strike_now();
            }
            let mut y = 0.0;
            for k in 0..CHIME_PARTIALS {
                y += self.ring[k][1];
                self.ring[k] = rotate(self.ring[k], self.rotation[k]);
            }
            if self.attack_pos < self.attack.len() {
                let mut fresh = 0.0;
                for k in 0..CHIME_PARTIALS {
                    fresh += self.strike[k][1];
                    self.strike[k] = rotate(self.strike[k], self.rotation[k]);
                }
                y += fresh * self.attack[self.attack_pos];
                self.attack_pos += 1;
                if self.attack_pos == self.attack.len() {
                    // The attack is over: the strike now rings exactly like the bank it joins.
                    self.merge_strike(1.0);
                }
            }
            *s += y * CHIME_GAIN;
        }
        let power: f32 = self.ring.iter().map(|p| p[0] * p[0] + p[1] * p[1]).sum();
        self.ringing = self.attack_pos < self.attack.len() || power > CHIME_SILENCE_POWER;
        if !self.ringing {
            self.ring = [[0.0; 2]; CHIME_PARTIALS];
        }
    }

    fn strike_now(&mut self) {
        if self.attack_pos < self.attack.len() {
            // A strike interrupted during its attack keeps the level it had reached, so its
            // contribution continues without a step.
            let a = self.attack[self.attack_pos];
            self.merge_strike(a);
        }
        for (partial, &amplitude) in self.strike.iter_mut().zip(&CHIME_AMPLITUDES) {
            // Starting at phase zero (sine part 0) means the strike begins from silence.
            *partial = [amplitude, 0.0];
        }
        self.attack_pos = 0;
        self.ringing = true;
    }

    fn merge_strike(&mut self, scale: f32) {
        for k in 0..CHIME_PARTIALS {
            self.ring[k][0] += scale * self.strike[k][0];
            self.ring[k][1] += scale * self.strike[k][1];
            self.strike[k] = [0.0; 2];
        }
    }
}

/// Samples between control updates of the pacer sounds.
const PACER_CONTROL_SAMPLES: usize = 32;

/// Glide time constant in seconds of the swell's level and inhale brightness.
const SWELL_GLIDE_S: f32 = 0.08;

/// Largest speed, as a multiple of the reference speed, that still raises the swell's level.
const SWELL_MAX_SPEED_RATIO: f32 = 3.0;

/// Swell output gain (dimensionless) at the reference speed, calibrated for -24 LUFS over a
/// 4 s inhale / 6 s exhale cycle.
const SWELL_GAIN: f32 = 0.237;

/// Tone pitch in hertz at empty and full lungs.
const TONE_LOW_HZ: f32 = 196.0;
const TONE_HIGH_HZ: f32 = 294.0;

/// Relative amplitude (dimensionless) of the tone's second harmonic.
const TONE_SECOND_HARMONIC: f32 = 0.12;

/// Tone amplitude (dimensionless), calibrated for -28 LUFS.
const TONE_GAIN: f32 = 0.0437;

/// Tone fade-in time constant in seconds, so that switching it on does not click.
const TONE_FADE_IN_S: f32 = 0.03;

/// Number of chime partials.
const CHIME_PARTIALS: usize = 4;

/// Chime fundamental in hertz.
const CHIME_FUNDAMENTAL_HZ: f32 = 740.0;

/// Partial frequency ratios (dimensionless); those of a free bar, clearly inharmonic.
const CHIME_RATIOS: [f32; CHIME_PARTIALS] = [1.0, 2.756, 5.404, 8.933];

/// Partial amplitudes (dimensionless), falling steeply so the bell stays soft.
const CHIME_AMPLITUDES: [f32; CHIME_PARTIALS] = [1.0, 0.22, 0.07, 0.025];

/// Partial decay time constants in seconds; higher partials die away sooner, as in real bells.
const CHIME_DECAYS_S: [f32; CHIME_PARTIALS] = [1.5, 0.8, 0.4, 0.22];

/// Chime output gain (dimensionless), calibrated for -26 LUFS when struck every 5 s.
const CHIME_GAIN: f32 = 0.1057;

/// Summed squared partial amplitude (dimensionless) below which the chime stops computing
/// (about -100 dB).
const CHIME_SILENCE_POWER: f32 = 1.0e-10;

#[inline]
fn rotate(p: [f32; 2], r: [f32; 2]) -> [f32; 2] {
    [p[0] * r[0] - p[1] * r[1], p[0] * r[1] + p[1] * r[0]]
}

#[cfg(test)]
mod tests {
    use super::super::loudness::integrated_lufs;
    use super::*;

    const BLOCK: usize = 480;

    /// Renders `cycles` breaths (4 s in, 6 s out) with a render function taking fill ranges.
    fn breathe(cycles: usize, mut render: impl FnMut(&mut [f32], f32, f32)) -> Vec<f32> {
        let mut out = Vec::new();
        let mut block = vec![0.0; BLOCK];
        let block_s = BLOCK as f32 / SAMPLE_RATE_F32_HZ;
        for _ in 0..cycles {
            for (dur_s, from, to) in [(4.0f32, 0.0f32, 1.0f32), (6.0, 1.0, 0.0)] {
                let blocks = (dur_s / block_s).round() as usize;
                for b in 0..blocks {
                    let a = from + (to - from) * b as f32 / blocks as f32;
                    let z = from + (to - from) * (b + 1) as f32 / blocks as f32;
                    render(&mut block, a, z);
                    out.extend_from_slice(&block);
                }
            }
        }
        out
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|s| s * s).sum::<f32>() / x.len().max(1) as f32).sqrt()
    }

    fn max_step(x: &[f32]) -> f32 {
        x.windows(2)
            .map(|p| (p[1] - p[0]).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn swell_is_calibrated() {
        let mut swell = Swell::new(1);
        let x = breathe(6, |o, a, b| swell.render(o, a, b));
        let lufs = integrated_lufs(&x, &x);
        println!("swell: {lufs:.2} LUFS");
        assert!((lufs + 24.0).abs() < 1.0, "{lufs}");
    }

    #[test]
    fn swell_is_silent_when_still_and_louder_when_faster() {
        let mut still = Swell::new(1);
        let mut out = vec![1.0; 48_000];
        for b in out.chunks_mut(BLOCK) {
            still.render(b, 0.4, 0.4);
        }
        assert!(out.iter().all(|&s| s == 0.0));

        let level = |seconds_per_breath: f32| {
            let mut s = Swell::new(2);
            let blocks = (seconds_per_breath * SAMPLE_RATE_F32_HZ / BLOCK as f32) as usize;
            let mut all = Vec::new();
            let mut block = vec![0.0; BLOCK];
            for b in 0..blocks {
                let a = 0.2 + 0.6 * b as f32 / blocks as f32;
                let z = 0.2 + 0.6 * (b + 1) as f32 / blocks as f32;
                s.render(&mut block, a, z);
                all.extend_from_slice(&block);
            }
            rms(&all[all.len() / 4..])
        };
        let slow = level(8.0);
        let fast = level(3.0);
        assert!(fast > 2.0 * slow, "fast {fast} slow {slow}");

        // After moving, holding still decays to silence.
        let mut s = Swell::new(3);
        let mut block = vec![0.0; BLOCK];
        for _ in 0..50 {
            s.render(&mut block, 0.2, 0.21);
        }
        for _ in 0..200 {
            s.render(&mut block, 0.21, 0.21);
        }
        assert!(rms(&block) < 1.0e-6);
    }

    #[test]
    fn swell_changes_pace_without_zipper() {
        // Alternating block speeds would produce steps at block boundaries if the gain jumped.
        let mut s = Swell::new(4);
        let mut out = Vec::new();
        let mut block = vec![0.0; 256];
        let mut fill = 0.0;
        for b in 0..400 {
            let step = if (b / 20) % 2 == 0 { 0.0005 } else { 0.004 };
            s.render(&mut block, fill, fill + step);
            fill += step;
            out.extend_from_slice(&block);
        }
        // Low-passed pink noise under 2 kHz steps by well under its RMS per sample.
        let r = rms(&out[out.len() / 2..]);
        assert!(max_step(&out) < 1.0 * r, "step {} rms {r}", max_step(&out));
    }

    #[test]
    fn tone_is_calibrated_continuous_and_follows_fill() {
        let mut tone = Tone::new();
        let x = breathe(6, |o, a, b| tone.render(o, a, b));
        let lufs = integrated_lufs(&x, &x);
        println!("tone: {lufs:.2} LUFS");
        assert!((lufs + 28.0).abs() < 1.0, "{lufs}");
        // Phase continuity: the largest step is what a 294 Hz sine of this level produces.
        let peak = x.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        let bound = peak * std::f32::consts::TAU * 2.0 * TONE_HIGH_HZ / SAMPLE_RATE_F32_HZ;
        assert!(max_step(&x) < bound);

        // Zero crossings per second reveal the pitch at empty and full lungs.
        let crossings = |fill: f32| {
            let mut t = Tone::new();
            let mut out = vec![0.0; 48_000];
            for b in out.chunks_mut(BLOCK) {
                t.render(b, fill, fill);
            }
            out[..]
                .windows(2)
                .filter(|p| p[0] < 0.0 && p[1] >= 0.0)
                .count()
        };
        assert!((crossings(0.0) as i32 - 196).abs() <= 2);
        assert!((crossings(1.0) as i32 - 294).abs() <= 2);
    }

    /// First sample whose magnitude exceeds 2 % of the strike's eventual peak.
    fn detect_onset(x: &[f32]) -> Option<usize> {
        let peak = x.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        x.iter().position(|s| s.abs() > 0.02 * peak)
    }

    #[test]
    fn chime_onset_is_sample_accurate() {
        for (block_len, offset) in [
            (512usize, 0usize),
            (512, 100),
            (512, 511),
            (256, 700),
            (1024, 333),
        ] {
            let mut chime = Chime::new();
            let mut out = vec![0.0; 48_000];
            chime.trigger(offset);
            for b in out.chunks_mut(block_len) {
                chime.render(b);
            }
            let found = detect_onset(&out).unwrap();
            assert!(
                found >= offset && found <= offset + 48,
                "offset {offset} found {found}"
            );
            assert!(
                out[..offset + 1].iter().all(|&s| s == 0.0),
                "sound before onset"
            );
        }
    }

    #[test]
    fn chime_adds_into_the_buffer() {
        let mut chime = Chime::new();
        let mut out = vec![0.25; 4800];
        chime.trigger(0);
        chime.render(&mut out);
        assert_eq!(out[0], 0.25);
        assert!(out.iter().any(|&s| (s - 0.25).abs() > 0.01));
    }

    #[test]
    fn chime_is_calibrated() {
        let mut chime = Chime::new();
        let mut x = vec![0.0; 60 * 48_000];
        for (b, block) in x.chunks_mut(BLOCK).enumerate() {
            if (b * BLOCK).is_multiple_of(5 * 48_000) {
                chime.trigger(0);
            }
            chime.render(block);
        }
        let lufs = integrated_lufs(&x, &x);
        println!("chime: {lufs:.2} LUFS");
        assert!((lufs + 26.0).abs() < 1.0, "{lufs}");
    }

    #[test]
    fn chime_retrigger_while_ringing_does_not_click() {
        let single = {
            let mut c = Chime::new();
            let mut out = vec![0.0; 48_000];
            c.trigger(10);
            c.render(&mut out);
            out
        };
        let mut c = Chime::new();
        let mut out = vec![0.0; 48_000];
        // Strike, strike again while ringing, and again in the middle of that strike's attack.
        c.trigger(10);
        c.render(&mut out[..12_000]);
        c.trigger(5);
        c.render(&mut out[12_000..12_070]);
        c.trigger(0);
        c.render(&mut out[12_070..]);
        // Overlapping strikes add, so steps may reach at most the sum of two strikes' steps.
        assert!(
            max_step(&out) < 2.2 * max_step(&single),
            "{} vs {}",
            max_step(&out),
            max_step(&single)
        );
        assert!(detect_onset(&out[12_000..]).is_some());
    }
}
