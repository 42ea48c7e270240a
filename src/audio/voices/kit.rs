//! The machinery every voice shares: a control-rate clock, ramps, slow
//! oscillators, wandering values and pools of chirps.

use crate::audio::dsp::{Rng, SAMPLE_RATE_F32_HZ};

/// Samples per control update.
pub(super) const CONTROL_SAMPLES: usize = 32;

/// Duration of one control period in seconds.
pub(super) const CONTROL_PERIOD_S: f32 = CONTROL_SAMPLES as f32 / SAMPLE_RATE_F32_HZ;

/// Full turn in radians.
pub(super) const TAU: f32 = std::f32::consts::TAU;

/// How often a synth's per-sample `tick` runs.
///
/// Voices whose content stays below about 6 kHz (lapping water, surf, stream) tick at half the
/// output rate, which halves their cost; the driver fills in every other output sample by linear
/// interpolation. Content at f then also images at 24 kHz - f, so for content under 6 kHz the
/// images lie above 18 kHz and the interpolation holds them at least 16 dB down, on top of the
/// voices' own roll-off (their 3-8 kHz energy is already 15-20 dB under their main band).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rate {
    Full,
    Half,
}

impl Rate {
    /// Ticks per second.
    pub(super) const fn hz(self) -> f32 {
        match self {
            Rate::Full => SAMPLE_RATE_F32_HZ,
            Rate::Half => 0.5 * SAMPLE_RATE_F32_HZ,
        }
    }

    /// Ticks per control period; the control period itself is the same at both rates.
    pub(super) const fn ticks_per_control(self) -> usize {
        match self {
            Rate::Full => CONTROL_SAMPLES,
            Rate::Half => CONTROL_SAMPLES / 2,
        }
    }

    /// The frequency to give the (48 kHz) filter designers so that a filter ticked at this rate
    /// lands on `freq_hz`: a digital filter only knows frequency relative to its tick rate.
    pub(super) fn filter_hz(self, freq_hz: f32) -> f32 {
        freq_hz * SAMPLE_RATE_F32_HZ / self.hz()
    }
}

/// Timing state that every voice carries between render calls.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Clock {
    pub(super) ticks_to_control: usize,
    pub(super) held: f32,
    pub(super) odd: bool,
}

/// A voice split into a control-rate update and a per-tick sample generator.
pub(super) trait ControlRateSynth {
    /// The rate at which `tick` runs.
    const RATE: Rate;
    /// The clock kept by the voice, so that timing persists across render calls.
    fn clock(&mut self) -> &mut Clock;
    /// Advances the slow state by one control period and retargets the per-tick ramps.
    fn control(&mut self);
    /// Produces one sample at `RATE`.
    fn tick(&mut self) -> f32;
}

/// Runs a control-rate synth over `out`, with control updates every [`CONTROL_SAMPLES`] output
/// samples regardless of how the caller chose its block size.
pub(super) fn render_with_control<S: ControlRateSynth>(synth: &mut S, out: &mut [f32]) {
    let mut clock = *synth.clock();
    match S::RATE {
        Rate::Full => {
            let mut i = 0;
            while i < out.len() {
                if clock.ticks_to_control == 0 {
                    synth.control();
                    clock.ticks_to_control = CONTROL_SAMPLES;
                }
                let n = clock.ticks_to_control.min(out.len() - i);
                for s in &mut out[i..i + n] {
                    *s = synth.tick();
                }
                clock.ticks_to_control -= n;
                i += n;
            }
        }
        Rate::Half => {
            for s in out.iter_mut() {
                if clock.odd {
                    *s = clock.held;
                } else {
                    if clock.ticks_to_control == 0 {
                        synth.control();
                        clock.ticks_to_control = Rate::Half.ticks_per_control();
                    }
                    clock.ticks_to_control -= 1;
                    let x = synth.tick();
                    // The midpoint between ticks, then the tick itself: linear interpolation.
                    *s = 0.5 * (clock.held + x);
                    clock.held = x;
                }
                clock.odd = !clock.odd;
            }
        }
    }
    *synth.clock() = clock;
}

/// A value that moves in equal per-sample steps to the target set at each control update, so
/// envelopes evaluated at control rate come out as smooth piecewise-linear curves.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ramp {
    pub(super) value: f32,
    pub(super) step: f32,
    pub(super) inv_ticks: f32,
}

impl Ramp {
    pub(super) fn new(rate: Rate) -> Self {
        Self {
            value: 0.0,
            step: 0.0,
            inv_ticks: 1.0 / rate.ticks_per_control() as f32,
        }
    }

    pub(super) fn retarget(&mut self, target: f32) {
        if (target - self.value).abs() < 1.0e-7 {
            // Landing exactly lets envelopes reach true silence.
            self.value = target;
            self.step = 0.0;
        } else {
            self.step = (target - self.value) * self.inv_ticks;
        }
    }

    #[inline]
    pub(super) fn next(&mut self) -> f32 {
        self.value += self.step;
        self.value
    }

    pub(super) fn is_silent(&self) -> bool {
        self.value == 0.0 && self.step == 0.0
    }
}

/// A unit phasor advanced at control rate; its imaginary part is a slow sine with no per-sample
/// trigonometry.
#[derive(Clone, Copy, Debug)]
pub(super) struct SlowSine {
    pub(super) re: f32,
    pub(super) im: f32,
    pub(super) rot_re: f32,
    pub(super) rot_im: f32,
}

impl SlowSine {
    pub(super) fn new(freq_hz: f32, rng: &mut Rng) -> Self {
        let phase = rng.range(0.0, TAU);
        let step = TAU * freq_hz * CONTROL_PERIOD_S;
        Self {
            re: phase.cos(),
            im: phase.sin(),
            rot_re: step.cos(),
            rot_im: step.sin(),
        }
    }

    /// Advances one control period and returns the sine value in [-1, 1].
    pub(super) fn advance(&mut self) -> f32 {
        let re = self.re * self.rot_re - self.im * self.rot_im;
        let im = self.re * self.rot_im + self.im * self.rot_re;
        // One Newton step toward unit length stops rounding from growing or shrinking the phasor.
        let g = 1.5 - 0.5 * (re * re + im * im);
        self.re = re * g;
        self.im = im * g;
        self.im
    }
}

/// A slowly wandering random value: uniform noise low-passed at control rate.
#[derive(Clone, Copy, Debug)]
pub(super) struct Wander {
    pub(super) value: f32,
    pub(super) coeff: f32,
}

impl Wander {
    pub(super) fn new(cutoff_hz: f32) -> Self {
        Self {
            value: 0.0,
            coeff: 1.0 - (-TAU * cutoff_hz * CONTROL_PERIOD_S).exp(),
        }
    }

    pub(super) fn advance(&mut self, rng: &mut Rng) -> f32 {
        self.value += self.coeff * (rng.next_f32() - self.value);
        self.value
    }
}

/// A decaying sine whose pitch rises linearly: the sound of a small bubble (its resonance rises
/// as it nears the surface) or a water drop. The damped rotation makes the decay free; a short
/// linear attack keeps the onset soft.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Chirp {
    pub(super) re: f32,
    pub(super) im: f32,
    pub(super) rot_re: f32,
    pub(super) rot_im: f32,
    pub(super) glide_re: f32,
    pub(super) glide_im: f32,
    pub(super) attack: f32,
    pub(super) attack_step: f32,
}

impl Chirp {
    pub(super) fn new(
        rate: Rate,
        freq_hz: f32,
        rise_hz_per_s: f32,
        decay_s: f32,
        amplitude: f32,
        attack_s: f32,
    ) -> Self {
        let w = TAU * freq_hz / rate.hz();
        let r = (-1.0 / (decay_s * rate.hz())).exp();
        // The per-tick angle grows by this much at each control update, a linear pitch glide.
        let dw = TAU * rise_hz_per_s * CONTROL_PERIOD_S / rate.hz();
        Self {
            re: amplitude,
            im: 0.0,
            rot_re: r * w.cos(),
            rot_im: r * w.sin(),
            glide_re: dw.cos(),
            glide_im: dw.sin(),
            attack: 0.0,
            attack_step: 1.0 / (attack_s * rate.hz()).max(1.0),
        }
    }

    /// Applies the pitch glide; returns false once the chirp has decayed to inaudibility.
    pub(super) fn control(&mut self) -> bool {
        let re = self.rot_re * self.glide_re - self.rot_im * self.glide_im;
        self.rot_im = self.rot_re * self.glide_im + self.rot_im * self.glide_re;
        self.rot_re = re;
        self.re * self.re + self.im * self.im > CHIRP_SILENCE_POWER
    }

    #[inline]
    pub(super) fn tick(&mut self) -> f32 {
        let re = self.re * self.rot_re - self.im * self.rot_im;
        self.im = self.re * self.rot_im + self.im * self.rot_re;
        self.re = re;
        self.attack = (self.attack + self.attack_step).min(1.0);
        self.im * self.attack
    }
}

/// Squared amplitude under which a chirp is retired (-70 dBFS, far under the beds they sit in).
pub(super) const CHIRP_SILENCE_POWER: f32 = 1.0e-7;

/// A fixed-capacity set of chirps kept packed at the front so the per-sample loop only visits
/// live ones.
#[derive(Clone, Debug)]
pub(super) struct ChirpPool<const N: usize> {
    pub(super) chirps: [Chirp; N],
    pub(super) live: usize,
}

impl<const N: usize> ChirpPool<N> {
    pub(super) fn new() -> Self {
        Self {
            chirps: [Chirp::default(); N],
            live: 0,
        }
    }

    /// Starts a chirp if there is room; when full, the new one is dropped (it would be masked by
    /// the others anyway).
    pub(super) fn spawn(&mut self, chirp: Chirp) {
        if self.live < N {
            self.chirps[self.live] = chirp;
            self.live += 1;
        }
    }

    pub(super) fn control(&mut self) {
        let mut i = 0;
        while i < self.live {
            if self.chirps[i].control() {
                i += 1;
            } else {
                self.live -= 1;
                self.chirps[i] = self.chirps[self.live];
            }
        }
    }

    #[inline]
    pub(super) fn tick(&mut self) -> f32 {
        let mut sum = 0.0;
        for c in &mut self.chirps[..self.live] {
            sum += c.tick();
        }
        sum
    }
}

/// Returns the smoothstep 3u^2 - 2u^3 of `u` clamped to [0, 1]: an S-curve with flat ends.
pub(super) fn smoothstep(u: f32) -> f32 {
    let u = u.clamp(0.0, 1.0);
    u * u * (3.0 - 2.0 * u)
}

/// Per-control-period multiplier of an exponential decay with the given time constant.
pub(super) fn decay_per_control(time_constant_s: f32) -> f32 {
    (-CONTROL_PERIOD_S / time_constant_s).exp()
}

/// Number of control periods in `seconds`, at least one.
pub(super) fn control_periods(seconds: f32) -> u32 {
    ((seconds / CONTROL_PERIOD_S).round() as u32).max(1)
}
