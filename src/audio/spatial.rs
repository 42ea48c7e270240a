//! Head-relative spatialisation of mono sources onto two ears.
//!
//! Coordinates follow Bevy: right-handed, +X right, +Y up, -Z forward. The model is deliberately
//! simple and cheap: an interaural time difference from Woodworth's spherical-head formula, an
//! interaural level difference, a head-shadow low-pass on the far ear, a slight dulling of
//! sources behind, inverse-distance attenuation, and a narrowing of the cues for large, close
//! sources. Every parameter glides per sample toward targets computed once per call, so moving
//! the listener or the emitter never clicks.

use bevy::math::Vec3;

use super::dsp::{DelayLine, OnePole, SAMPLE_RATE_F32_HZ, Smoothed, db_to_gain, one_pole_coeff};

/// Radius of the modelled spherical head in metres.
pub(crate) const HEAD_RADIUS_M: f32 = 0.0875;

/// Speed of sound in metres per second.
pub(crate) const SPEED_OF_SOUND_M_PER_S: f32 = 343.0;

/// Largest interaural time difference in seconds (a source at 90 degrees): Woodworth's
/// r / c * (theta + sin theta) at theta = pi / 2, about 0.656 ms.
pub(crate) const MAX_ITD_S: f32 =
    HEAD_RADIUS_M / SPEED_OF_SOUND_M_PER_S * (std::f32::consts::FRAC_PI_2 + 1.0);

/// Time constant in seconds with which every parameter glides to its new target.
pub(crate) const PARAMETER_GLIDE_S: f32 = 0.04;

/// The listening head: a position and an orientation given by forward and up vectors (they need
/// not be normalised, but must not be parallel).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Listener {
    pub position: [f32; 3],
    pub forward: [f32; 3],
    pub up: [f32; 3],
}

impl Listener {
    /// Creates an upright listener turned by `yaw_rad` about +Y: yaw 0 faces -Z, and positive
    /// yaw turns left (counter-clockwise seen from above), as `Quat::from_rotation_y` does.
    pub fn from_yaw(position: [f32; 3], yaw_rad: f32) -> Self {
        let (s, c) = yaw_rad.sin_cos();
        // Rotating (0, 0, -1) about +Y by yaw gives (-sin, 0, -cos).
        Self {
            position,
            forward: [-s, 0.0, -c],
            up: [0.0, 1.0, 0.0],
        }
    }
}

/// A sound source: where it is, how loud it is at (or within) its reference distance, and how
/// large it is (a large source such as a stream or the sea sounds wide when close).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Emitter {
    pub position: [f32; 3],
    pub gain_db: f32,
    pub size_m: f32,
}

/// Per-emitter spatialisation state: one shared delay line and, per ear, gliding delay, gain and
/// head-shadow filter.
#[derive(Clone, Debug)]
pub struct Spatializer {
    delay: DelayLine,
    ears: [Ear; 2],
    mono_mix: Smoothed,
    primed: bool,
    last_geometry: Option<(Emitter, Listener, bool)>,
}

impl Default for Spatializer {
    fn default() -> Self {
        Self::new()
    }
}

impl Spatializer {
    /// Creates the state for one emitter (allocates its delay line).
    pub fn new() -> Self {
        let max_delay = (MAX_ITD_S * SAMPLE_RATE_F32_HZ).ceil() as usize + 2;
        Self {
            delay: DelayLine::new(max_delay),
            ears: [Ear::new(), Ear::new()],
            mono_mix: Smoothed::new(0.0, PARAMETER_GLIDE_S),
            primed: false,
            last_geometry: None,
        }
    }

    /// Starts afresh for a new sound: no echo of the last one in its
    /// delay, and its first block at its own place.
    pub(crate) fn restart(&mut self) {
        self.delay.reset();
        self.primed = false;
        self.last_geometry = None;
    }

    /// Spatialises `mono` for `listener` and ADDS the result into `out_left` and `out_right`
    /// (so several emitters can share one pair of buffers). Only the common length of the three
    /// slices is processed.
    ///
    /// With `mono_mode` both channels get the same signal, the power average of the two ears
    /// without time or level differences, so the overall level is preserved for people who
    /// hear with one ear. Switching the mode glides too.
    pub fn process(
        &mut self,
        emitter: &Emitter,
        listener: &Listener,
        mono: &[f32],
        out_left: &mut [f32],
        out_right: &mut [f32],
        mono_mode: bool,
    ) {
        // The geometry rarely changes between blocks (the head is mostly
        // still); its trigonometry is worked out only when it does.
        let geometry = (*emitter, *listener, mono_mode);
        if self.last_geometry != Some(geometry) {
            self.last_geometry = Some(geometry);
            let targets = ear_targets(emitter, listener, mono_mode);
            for (ear, t) in self.ears.iter_mut().zip(&targets) {
                ear.set_targets(t);
            }
        }
        self.mono_mix.set_target(if mono_mode { 1.0 } else { 0.0 });
        if !self.primed {
            // The first call starts at its targets: there is no earlier sound to glide from.
            for ear in &mut self.ears {
                ear.snap();
            }
            self.mono_mix.snap_to(self.mono_mix.target());
            self.primed = true;
        }

        let n = mono.len().min(out_left.len()).min(out_right.len());
        if self.ears.iter().all(Ear::is_settled) && self.mono_mix.is_settled() {
            // Nothing is gliding (the usual case: the head is still), so the
            // parameters are constants for the whole block.
            self.process_settled(&mono[..n], &mut out_left[..n], &mut out_right[..n]);
        } else {
            for i in 0..n {
                self.delay.push(mono[i]);
                let yl = self.ears[0].tick(&self.delay);
                let yr = self.ears[1].tick(&self.delay);
                let mix = self.mono_mix.next();
                let mid = 0.5 * (yl + yr);
                // Written as a weighted sum so that mix = 1 yields exactly `mid` on both sides.
                out_left[i] += (1.0 - mix) * yl + mix * mid;
                out_right[i] += (1.0 - mix) * yr + mix * mid;
            }
        }
        // A voice that falls silent between its calls (birdsong, crickets) leaves the ears'
        // filters decaying into subnormal floats, where every later sample of silence would be
        // computed many times slower; at the block's end they are cleared instead.
        for ear in &mut self.ears {
            ear.filter.flush_subnormal();
        }
    }

    /// The block loop with every parameter held: each ear's delay split
    /// once, its filter coefficient set once.
    fn process_settled(&mut self, mono: &[f32], out_left: &mut [f32], out_right: &mut [f32]) {
        let max = self.delay.max_delay_samples() as f32;
        let split = |ear: &Ear| {
            let d = ear.delay_samples.value().clamp(0.0, max);
            (d as usize, d - d.trunc())
        };
        let (whole_l, frac_l) = split(&self.ears[0]);
        let (whole_r, frac_r) = split(&self.ears[1]);
        let (gain_l, gain_r) = (self.ears[0].gain.value(), self.ears[1].gain.value());
        let (coeff_l, coeff_r) = (
            self.ears[0].filter_coeff.value(),
            self.ears[1].filter_coeff.value(),
        );
        self.ears[0].filter.set_coeff(coeff_l);
        self.ears[1].filter.set_coeff(coeff_r);
        let (coeff_l, coeff_r) = (self.ears[0].filter.coeff(), self.ears[1].filter.coeff());
        let mix = self.mono_mix.value();
        // Filter memories live in locals for the block, so the loop is not
        // held up by stores and reloads.
        let (mut state_l, mut state_r) = (self.ears[0].filter.state(), self.ears[1].filter.state());
        let taps = [(whole_l, frac_l), (whole_r, frac_r)];
        self.delay.run_two_taps(mono, taps, |i, tap_l, tap_r| {
            state_l += coeff_l * (tap_l - state_l);
            state_r += coeff_r * (tap_r - state_r);
            let (yl, yr) = (gain_l * state_l, gain_r * state_r);
            if mix == 0.0 {
                out_left[i] += yl;
                out_right[i] += yr;
            } else {
                let mid = 0.5 * (yl + yr);
                out_left[i] += (1.0 - mix) * yl + mix * mid;
                out_right[i] += (1.0 - mix) * yr + mix * mid;
            }
        });
        self.ears[0].filter.set_state(state_l);
        self.ears[1].filter.set_state(state_r);
    }

    /// Forgets all history, so the next call starts fresh at its targets.
    pub fn reset(&mut self) {
        self.delay.reset();
        for ear in &mut self.ears {
            ear.filter.reset();
        }
        self.primed = false;
        self.last_geometry = None;
    }
}

/// Cutoff in hertz of the ear filter for a source straight ahead (effectively open).
const OPEN_CUTOFF_HZ: f32 = 18_000.0;

/// Cutoff in hertz of the far-ear head shadow for a source at 90 degrees.
const SHADOW_CUTOFF_HZ: f32 = 1_500.0;

/// Cutoff in hertz applied to both ears for a source directly behind.
const BEHIND_CUTOFF_HZ: f32 = 8_000.0;

/// Level change in dB of the near ear for a source at 90 degrees.
const NEAR_EAR_DB: f32 = 1.0;

/// Level change in dB of the far ear for a source at 90 degrees (7 dB apart in total).
const FAR_EAR_DB: f32 = -6.0;

/// Smallest reference distance in metres for distance attenuation.
const MIN_REFERENCE_DISTANCE_M: f32 = 1.0;

/// Distance in metres under which the direction is undefined and the source is centred.
const MIN_DIRECTION_DISTANCE_M: f32 = 1.0e-4;

/// What one ear should converge to.
#[derive(Clone, Copy, Debug)]
struct EarTarget {
    delay_samples: f32,
    gain: f32,
    filter_coeff: f32,
}

#[derive(Clone, Debug)]
struct Ear {
    delay_samples: Smoothed,
    gain: Smoothed,
    filter_coeff: Smoothed,
    filter: OnePole,
}

impl Ear {
    fn new() -> Self {
        Self {
            delay_samples: Smoothed::new(0.0, PARAMETER_GLIDE_S),
            gain: Smoothed::new(0.0, PARAMETER_GLIDE_S),
            filter_coeff: Smoothed::new(1.0, PARAMETER_GLIDE_S),
            filter: OnePole::new(OPEN_CUTOFF_HZ),
        }
    }

    fn set_targets(&mut self, t: &EarTarget) {
        self.delay_samples.set_target(t.delay_samples);
        self.gain.set_target(t.gain);
        // Gliding the coefficient rather than the cutoff avoids an exponential per sample; the
        // one-pole stays stable for any coefficient in (0, 1], so the glide is always safe.
        self.filter_coeff.set_target(t.filter_coeff);
    }

    fn is_settled(&self) -> bool {
        self.delay_samples.is_settled() && self.gain.is_settled() && self.filter_coeff.is_settled()
    }

    fn snap(&mut self) {
        self.delay_samples.snap_to(self.delay_samples.target());
        self.gain.snap_to(self.gain.target());
        self.filter_coeff.snap_to(self.filter_coeff.target());
    }

    #[inline]
    fn tick(&mut self, line: &DelayLine) -> f32 {
        let x = line.read(self.delay_samples.next());
        self.filter.set_coeff(self.filter_coeff.next());
        self.gain.next() * self.filter.low_pass(x)
    }
}

/// Computes both ears' targets ([left, right]) for the current geometry.
fn ear_targets(emitter: &Emitter, listener: &Listener, mono_mode: bool) -> [EarTarget; 2] {
    let to_source = Vec3::from_array(emitter.position) - Vec3::from_array(listener.position);
    let distance = to_source.length();
    let (forward, up) = (
        Vec3::from_array(listener.forward),
        Vec3::from_array(listener.up),
    );
    let right = forward.cross(up).normalize_or(Vec3::X);
    let forward = forward.normalize_or(Vec3::NEG_Z);

    // Sine of the lateral angle (+1 = fully right) and the front/back component, both in [-1, 1].
    let (mut lateral, mut behind) = if distance > MIN_DIRECTION_DISTANCE_M {
        (
            to_source.dot(right) / distance,
            (-to_source.dot(forward) / distance).max(0.0),
        )
    } else {
        (0.0, 0.0)
    };
    // A source whose radius is comparable to its distance surrounds the listener, so its
    // directional cues fade: size / (2 * distance) approximates the sine of its half-angle.
    let spread =
        (emitter.size_m.max(0.0) / (2.0 * distance.max(MIN_DIRECTION_DISTANCE_M))).min(1.0);
    lateral = lateral.clamp(-1.0, 1.0) * (1.0 - spread);
    behind *= 1.0 - spread;

    let reference_m = emitter.size_m.max(MIN_REFERENCE_DISTANCE_M);
    let level = db_to_gain(emitter.gain_db) * reference_m / distance.max(reference_m);

    let side = lateral.abs();
    let theta = side.asin();
    let itd_samples =
        HEAD_RADIUS_M / SPEED_OF_SOUND_M_PER_S * (theta + theta.sin()) * SAMPLE_RATE_F32_HZ;
    let behind_cutoff = OPEN_CUTOFF_HZ * (BEHIND_CUTOFF_HZ / OPEN_CUTOFF_HZ).powf(behind);
    let near = EarTarget {
        delay_samples: 0.0,
        gain: level * db_to_gain(NEAR_EAR_DB * side),
        filter_coeff: one_pole_coeff(behind_cutoff),
    };
    let far = EarTarget {
        delay_samples: itd_samples,
        gain: level * db_to_gain(FAR_EAR_DB * side),
        filter_coeff: one_pole_coeff(
            behind_cutoff * (SHADOW_CUTOFF_HZ / OPEN_CUTOFF_HZ).powf(side),
        ),
    };

    if mono_mode {
        // Equal power in both ears: the same total energy as the two differing ears together.
        let gain = (0.5 * (near.gain * near.gain + far.gain * far.gain)).sqrt();
        let both = EarTarget {
            delay_samples: 0.0,
            gain,
            filter_coeff: near.filter_coeff,
        };
        [both, both]
    } else if lateral >= 0.0 {
        [far, near]
    } else {
        [near, far]
    }
}

#[cfg(test)]
mod tests {
    use super::super::dsp::Rng;
    use super::*;

    const N: usize = 48_000;

    fn noise(seed: u64) -> Vec<f32> {
        let mut r = Rng::new(seed);
        (0..N).map(|_| 0.5 * r.next_f32()).collect()
    }

    fn render(emitter: &Emitter, listener: &Listener, mono_mode: bool) -> (Vec<f32>, Vec<f32>) {
        let input = noise(1);
        let mut sp = Spatializer::new();
        let (mut l, mut r) = (vec![0.0; N], vec![0.0; N]);
        for ((i, lo), ro) in input
            .chunks(480)
            .zip(l.chunks_mut(480))
            .zip(r.chunks_mut(480))
        {
            sp.process(emitter, listener, i, lo, ro, mono_mode);
        }
        (l, r)
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt()
    }

    /// Lag in samples that best aligns right with left; positive means the right ear hears it later.
    fn lag_right_behind_left(l: &[f32], r: &[f32]) -> i32 {
        let mut best = (0, f32::MIN);
        for lag in -48i32..=48 {
            let mut acc = 0.0f32;
            for n in 100..l.len() - 100 {
                acc += l[n] * r[(n as i32 + lag) as usize];
            }
            if acc > best.1 {
                best = (lag, acc);
            }
        }
        best.0
    }

    #[test]
    fn yaw_convention_matches_bevy() {
        let l = Listener::from_yaw([0.0; 3], std::f32::consts::FRAC_PI_2);
        // A quarter turn left faces -X.
        assert!((l.forward[0] + 1.0).abs() < 1e-6 && l.forward[2].abs() < 1e-6);
    }

    #[test]
    fn source_on_the_left_is_louder_and_earlier_on_the_left() {
        let e = Emitter {
            position: [-3.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let (l, r) = render(&e, &Listener::from_yaw([0.0; 3], 0.0), false);
        assert!(rms(&l) > 1.5 * rms(&r), "{} vs {}", rms(&l), rms(&r));
        let lag = lag_right_behind_left(&l, &r);
        let lag_ms = lag as f32 / SAMPLE_RATE_F32_HZ * 1000.0;
        assert!((0.5..=0.67).contains(&lag_ms), "lag {lag_ms} ms");
        // 3 m with a 1 m reference distance is about -9.5 dB.
        assert!(rms(&l) < 0.5 * rms(&noise(1)));
    }

    #[test]
    fn turning_around_swaps_the_ears() {
        let e = Emitter {
            position: [-3.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let (l, r) = render(
            &e,
            &Listener::from_yaw([0.0; 3], std::f32::consts::PI),
            false,
        );
        assert!(rms(&r) > 1.5 * rms(&l));
        let lag_ms = lag_right_behind_left(&l, &r) as f32 / SAMPLE_RATE_F32_HZ * 1000.0;
        assert!((-0.67..=-0.5).contains(&lag_ms), "lag {lag_ms} ms");
    }

    #[test]
    fn straight_ahead_is_centred_and_distance_attenuates() {
        let near = Emitter {
            position: [0.0, 0.0, -1.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let far = Emitter {
            position: [0.0, 0.0, -4.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let listener = Listener::from_yaw([0.0; 3], 0.0);
        let (l, r) = render(&near, &listener, false);
        assert_eq!(l, r);
        let (l4, _) = render(&far, &listener, false);
        // Inverse distance: 4 m is a quarter of the 1 m level; no boost closer than 1 m.
        assert!((rms(&l4) / rms(&l) - 0.25).abs() < 0.01);
        let closer = Emitter {
            position: [0.0, 0.0, -0.3],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let (lc, _) = render(&closer, &listener, false);
        assert!((rms(&lc) / rms(&l) - 1.0).abs() < 0.01);
    }

    #[test]
    fn a_large_close_source_is_spread() {
        let listener = Listener::from_yaw([0.0; 3], 0.0);
        let big = Emitter {
            position: [-3.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 6.0,
        };
        let (l, r) = render(&big, &listener, false);
        // Radius equals distance, so the cues vanish entirely.
        assert_eq!(l, r);
        // Half that size keeps half the lateral cues: still left-heavy, but less than a point.
        let medium = Emitter {
            position: [-3.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 3.0,
        };
        let (lm, rm) = render(&medium, &listener, false);
        let point = Emitter {
            position: [-3.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let (lp, rp) = render(&point, &listener, false);
        let (medium_ratio, point_ratio) = (rms(&lm) / rms(&rm), rms(&lp) / rms(&rp));
        assert!(
            medium_ratio > 1.2 && medium_ratio < 0.8 * point_ratio,
            "{medium_ratio} vs {point_ratio}"
        );
    }

    #[test]
    fn mono_mode_gives_identical_channels_at_preserved_level() {
        let e = Emitter {
            position: [-3.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let listener = Listener::from_yaw([0.0; 3], 0.0);
        let (l, r) = render(&e, &listener, true);
        assert_eq!(l, r);
        let (sl, sr) = render(&e, &listener, false);
        let stereo_power = rms(&sl).powi(2) + rms(&sr).powi(2);
        let mono_power = 2.0 * rms(&l).powi(2);
        // Equal within 1 dB (the far ear's head-shadow filtering is not part of the mono mix).
        assert!((10.0 * (mono_power / stereo_power).log10()).abs() < 1.0);
    }

    #[test]
    fn the_ears_come_to_rest_at_zero_when_the_sound_stops() {
        // A source to the side: the far ear's head-shadow filter has a coefficient under one
        // half, whose memory would otherwise stay subnormal (and slow) through the silence.
        let e = Emitter {
            position: [-3.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let listener = Listener::from_yaw([0.0; 3], 0.0);
        let mut sp = Spatializer::new();
        let (mut l, mut r) = ([0.0; 64], [0.0; 64]);
        sp.process(&e, &listener, &noise(1)[..64], &mut l, &mut r, false);
        assert!(sp.ears.iter().all(|ear| ear.filter.state() != 0.0));
        for _ in 0..100 {
            sp.process(&e, &listener, &[0.0; 64], &mut l, &mut r, false);
        }
        for ear in &sp.ears {
            assert_eq!(ear.filter.state(), 0.0);
        }
    }

    #[test]
    fn abrupt_move_from_left_to_right_does_not_click() {
        // A 100 Hz sine has a largest natural step of 2*pi*100/48000 of its amplitude. A jump in
        // delay, gain or filter would create a step of the order of the amplitude itself; with
        // gliding parameters the step stays close to the natural one.
        let amp = 0.5;
        let w = 2.0 * std::f32::consts::PI * 100.0 / SAMPLE_RATE_F32_HZ;
        let input: Vec<f32> = (0..N).map(|n| amp * (w * n as f32).sin()).collect();
        let natural_step = amp * w;
        let listener = Listener::from_yaw([0.0; 3], 0.0);
        let left = Emitter {
            position: [-1.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let right = Emitter {
            position: [1.0, 0.0, 0.0],
            gain_db: 0.0,
            size_m: 0.0,
        };
        let mut sp = Spatializer::new();
        let (mut l, mut r) = (vec![0.0; N], vec![0.0; N]);
        let block = 512;
        for (k, ((i, lo), ro)) in input
            .chunks(block)
            .zip(l.chunks_mut(block))
            .zip(r.chunks_mut(block))
            .enumerate()
        {
            let e = if k < 40 { &left } else { &right };
            let mono_mode = (60..70).contains(&k);
            sp.process(e, &listener, i, lo, ro, mono_mode);
        }
        for ch in [&l, &r] {
            let max_step = ch
                .windows(2)
                .map(|p| (p[1] - p[0]).abs())
                .fold(0.0f32, f32::max);
            // The near ear is 1 dB up, and the delay glide adds a brief Doppler shift of a few
            // per cent: 1.3x the natural step covers both.
            assert!(
                max_step < 1.3 * natural_step,
                "step {max_step} vs natural {natural_step}"
            );
        }
    }
}
