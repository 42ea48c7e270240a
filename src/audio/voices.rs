//! Synthesised nature sounds ("voices"), each a calm, slowly varying mono loop-free texture.
//!
//! All voices share one structure: slow decisions (envelopes, event scheduling, filter sweeps)
//! happen at a control rate of one update per 32 samples, and the per-sample loop only runs
//! noise generators, fixed-coefficient filters, oscillator recurrences and linear ramps. The
//! control clock persists across `render` calls, so the output is identical whatever block sizes
//! the caller uses. Every voice is calibrated to about -20 LUFS at unit gain (mono copied to
//! both channels, measured over 60 s).

use super::dsp::{BUTTERWORTH_Q, Biquad, OnePole, PinkNoise, Rng, SAMPLE_RATE_F32_HZ};

/// The available nature sounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoundKind {
    LappingWater,
    Surf,
    LeafWind,
    Stream,
    Rain,
    Crickets,
    Birdsong,
}

impl SoundKind {
    /// Every kind, in a fixed order (handy for menus and tests).
    pub const ALL: [SoundKind; 7] = [
        SoundKind::LappingWater,
        SoundKind::Surf,
        SoundKind::LeafWind,
        SoundKind::Stream,
        SoundKind::Rain,
        SoundKind::Crickets,
        SoundKind::Birdsong,
    ];
}

/// A running sound generator.
pub trait Voice: Send {
    /// Renders the next `out.len()` mono samples, overwriting `out`. Never allocates.
    fn render(&mut self, out: &mut [f32]);
}

/// Creates the voice for `kind`; the same seed always produces the same samples.
pub fn voice(kind: SoundKind, seed: u64) -> Box<dyn Voice> {
    match kind {
        SoundKind::LappingWater => Box::new(LappingWater::new(seed)),
        SoundKind::Surf => Box::new(Surf::new(seed)),
        SoundKind::LeafWind => Box::new(LeafWind::new(seed)),
        SoundKind::Stream => Box::new(Stream::new(seed)),
        SoundKind::Rain => Box::new(Rain::new(seed)),
        SoundKind::Crickets => Box::new(Crickets::new(seed)),
        SoundKind::Birdsong => Box::new(Birdsong::new(seed)),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared control-rate machinery.
// ---------------------------------------------------------------------------------------------

/// Samples per control update.
const CONTROL_SAMPLES: usize = 32;

/// Duration of one control period in seconds.
const CONTROL_PERIOD_S: f32 = CONTROL_SAMPLES as f32 / SAMPLE_RATE_F32_HZ;

/// Full turn in radians.
const TAU: f32 = std::f32::consts::TAU;

/// How often a synth's per-sample `tick` runs.
///
/// Voices whose content stays below about 6 kHz (lapping water, surf, stream) tick at half the
/// output rate, which halves their cost; the driver fills in every other output sample by linear
/// interpolation. Content at f then also images at 24 kHz - f, so for content under 6 kHz the
/// images lie above 18 kHz and the interpolation holds them at least 16 dB down, on top of the
/// voices' own roll-off (their 3-8 kHz energy is already 15-20 dB under their main band).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rate {
    Full,
    Half,
}

impl Rate {
    /// Ticks per second.
    const fn hz(self) -> f32 {
        match self {
            Rate::Full => SAMPLE_RATE_F32_HZ,
            Rate::Half => 0.5 * SAMPLE_RATE_F32_HZ,
        }
    }

    /// Ticks per control period; the control period itself is the same at both rates.
    const fn ticks_per_control(self) -> usize {
        match self {
            Rate::Full => CONTROL_SAMPLES,
            Rate::Half => CONTROL_SAMPLES / 2,
        }
    }

    /// The frequency to give the (48 kHz) filter designers so that a filter ticked at this rate
    /// lands on `freq_hz`: a digital filter only knows frequency relative to its tick rate.
    fn filter_hz(self, freq_hz: f32) -> f32 {
        freq_hz * SAMPLE_RATE_F32_HZ / self.hz()
    }
}

/// Timing state that every voice carries between render calls.
#[derive(Clone, Copy, Debug, Default)]
struct Clock {
    ticks_to_control: usize,
    held: f32,
    odd: bool,
}

/// A voice split into a control-rate update and a per-tick sample generator.
trait ControlRateSynth {
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
fn render_with_control<S: ControlRateSynth>(synth: &mut S, out: &mut [f32]) {
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
struct Ramp {
    value: f32,
    step: f32,
    inv_ticks: f32,
}

impl Ramp {
    fn new(rate: Rate) -> Self {
        Self {
            value: 0.0,
            step: 0.0,
            inv_ticks: 1.0 / rate.ticks_per_control() as f32,
        }
    }

    fn retarget(&mut self, target: f32) {
        if (target - self.value).abs() < 1.0e-7 {
            // Landing exactly lets envelopes reach true silence.
            self.value = target;
            self.step = 0.0;
        } else {
            self.step = (target - self.value) * self.inv_ticks;
        }
    }

    #[inline]
    fn next(&mut self) -> f32 {
        self.value += self.step;
        self.value
    }

    fn is_silent(&self) -> bool {
        self.value == 0.0 && self.step == 0.0
    }
}

/// A unit phasor advanced at control rate; its imaginary part is a slow sine with no per-sample
/// trigonometry.
#[derive(Clone, Copy, Debug)]
struct SlowSine {
    re: f32,
    im: f32,
    rot_re: f32,
    rot_im: f32,
}

impl SlowSine {
    fn new(freq_hz: f32, rng: &mut Rng) -> Self {
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
    fn advance(&mut self) -> f32 {
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
struct Wander {
    value: f32,
    coeff: f32,
}

impl Wander {
    fn new(cutoff_hz: f32) -> Self {
        Self {
            value: 0.0,
            coeff: 1.0 - (-TAU * cutoff_hz * CONTROL_PERIOD_S).exp(),
        }
    }

    fn advance(&mut self, rng: &mut Rng) -> f32 {
        self.value += self.coeff * (rng.next_f32() - self.value);
        self.value
    }
}

/// A decaying sine whose pitch rises linearly: the sound of a small bubble (its resonance rises
/// as it nears the surface) or a water drop. The damped rotation makes the decay free; a short
/// linear attack keeps the onset soft.
#[derive(Clone, Copy, Debug, Default)]
struct Chirp {
    re: f32,
    im: f32,
    rot_re: f32,
    rot_im: f32,
    glide_re: f32,
    glide_im: f32,
    attack: f32,
    attack_step: f32,
}

impl Chirp {
    fn new(
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
    fn control(&mut self) -> bool {
        let re = self.rot_re * self.glide_re - self.rot_im * self.glide_im;
        self.rot_im = self.rot_re * self.glide_im + self.rot_im * self.glide_re;
        self.rot_re = re;
        self.re * self.re + self.im * self.im > CHIRP_SILENCE_POWER
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let re = self.re * self.rot_re - self.im * self.rot_im;
        self.im = self.re * self.rot_im + self.im * self.rot_re;
        self.re = re;
        self.attack = (self.attack + self.attack_step).min(1.0);
        self.im * self.attack
    }
}

/// Squared amplitude under which a chirp is retired (-70 dBFS, far under the beds they sit in).
const CHIRP_SILENCE_POWER: f32 = 1.0e-7;

/// A fixed-capacity set of chirps kept packed at the front so the per-sample loop only visits
/// live ones.
#[derive(Clone, Debug)]
struct ChirpPool<const N: usize> {
    chirps: [Chirp; N],
    live: usize,
}

impl<const N: usize> ChirpPool<N> {
    fn new() -> Self {
        Self {
            chirps: [Chirp::default(); N],
            live: 0,
        }
    }

    /// Starts a chirp if there is room; when full, the new one is dropped (it would be masked by
    /// the others anyway).
    fn spawn(&mut self, chirp: Chirp) {
        if self.live < N {
            self.chirps[self.live] = chirp;
            self.live += 1;
        }
    }

    fn control(&mut self) {
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
    fn tick(&mut self) -> f32 {
        let mut sum = 0.0;
        for c in &mut self.chirps[..self.live] {
            sum += c.tick();
        }
        sum
    }
}

/// Returns the smoothstep 3u^2 - 2u^3 of `u` clamped to [0, 1]: an S-curve with flat ends.
fn smoothstep(u: f32) -> f32 {
    let u = u.clamp(0.0, 1.0);
    u * u * (3.0 - 2.0 * u)
}

/// Per-control-period multiplier of an exponential decay with the given time constant.
fn decay_per_control(time_constant_s: f32) -> f32 {
    (-CONTROL_PERIOD_S / time_constant_s).exp()
}

/// Number of control periods in `seconds`, at least one.
fn control_periods(seconds: f32) -> u32 {
    ((seconds / CONTROL_PERIOD_S).round() as u32).max(1)
}

// ---------------------------------------------------------------------------------------------
// Lapping water.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings lapping water to -20 LUFS.
const LAPPING_WATER_GAIN: f32 = 0.58;

/// Small waves on a lake shore: every 2-5 s a soft wash of low/mid band noise rises and ebbs,
/// brightening at its peak, with a few bubbly gurgles as it drains back.
struct LappingWater {
    clock: Clock,
    rng: Rng,
    pink: PinkNoise,
    high_pass: Biquad,
    low_pass: Biquad,
    waves: [Wash; 3],
    periods_to_next_wave: u32,
    level: Ramp,
    gurgles: ChirpPool<6>,
    drain: f32,
}

/// One wave's wash: a smoothstep rise then an exponential ebb, evaluated at control rate.
#[derive(Clone, Copy, Debug, Default)]
struct Wash {
    age_periods: u32,
    rise_periods: u32,
    peak: f32,
    ebb: f32,
    ebb_mult: f32,
}

impl Wash {
    fn advance(&mut self) -> f32 {
        self.age_periods = self.age_periods.saturating_add(1);
        if self.age_periods < self.rise_periods {
            self.peak * smoothstep(self.age_periods as f32 / self.rise_periods as f32)
        } else {
            self.ebb *= self.ebb_mult;
            self.ebb
        }
    }

    fn is_ebbing(&self) -> bool {
        self.age_periods >= self.rise_periods
    }
}

impl LappingWater {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let pink = PinkNoise::new(rng.next_u64());
        let first = control_periods(rng.range(0.2, 1.5));
        Self {
            clock: Clock::default(),
            rng,
            pink,
            high_pass: Biquad::high_pass(Self::RATE.filter_hz(150.0), BUTTERWORTH_Q),
            low_pass: Biquad::low_pass(Self::RATE.filter_hz(400.0), BUTTERWORTH_Q),
            waves: [Wash::default(); 3],
            periods_to_next_wave: first,
            level: Ramp::new(Self::RATE),
            gurgles: ChirpPool::new(),
            drain: 0.0,
        }
    }

    fn start_wave(&mut self) {
        // Reuse the quietest slot; by then it has ebbed for several seconds.
        let slot = (0..self.waves.len())
            .min_by(|&a, &b| self.waves[a].ebb.total_cmp(&self.waves[b].ebb))
            .unwrap_or(0);
        let peak = self.rng.range(0.45, 1.0);
        self.waves[slot] = Wash {
            age_periods: 0,
            rise_periods: control_periods(self.rng.range(0.35, 0.8)),
            peak,
            ebb: peak,
            ebb_mult: decay_per_control(self.rng.range(0.45, 1.1)),
        };
        // Small lake waves come irregularly, sometimes in quick pairs.
        let gap_s = if self.rng.chance(0.2) {
            self.rng.range(1.2, 2.0)
        } else {
            self.rng.range(2.0, 5.0)
        };
        self.periods_to_next_wave = control_periods(gap_s);
    }
}

impl ControlRateSynth for LappingWater {
    const RATE: Rate = Rate::Half;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        self.periods_to_next_wave -= 1;
        if self.periods_to_next_wave == 0 {
            self.start_wave();
        }
        let mut wash = 0.0;
        let mut ebbing = 0.0;
        for w in &mut self.waves {
            let v = w.advance();
            wash += v;
            if w.is_ebbing() {
                ebbing += v;
            }
        }
        // The water never falls fully silent: a faint lapping bed remains between waves.
        self.level.retarget((0.12 + wash) * LAPPING_WATER_GAIN);
        self.low_pass
            .set_low_pass(Self::RATE.filter_hz(350.0 + 1100.0 * wash.min(1.2)), 0.8);

        // Gurgles happen while water drains back through pebbles, so their rate follows the ebb.
        self.drain = ebbing;
        if self.rng.chance(9.0 * ebbing * CONTROL_PERIOD_S) {
            let freq = self.rng.log_range(280.0, 1100.0);
            let chirp = Chirp::new(
                Self::RATE,
                freq,
                freq * self.rng.range(6.0, 18.0),
                self.rng.range(0.012, 0.04),
                self.rng.range(0.04, 0.12) * self.drain.min(1.0),
                0.002,
            );
            self.gurgles.spawn(chirp);
        }
        self.gurgles.control();
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let n = self.high_pass.process(self.pink.next());
        let wash = self.low_pass.process(n) * self.level.next();
        wash + self.gurgles.tick() * LAPPING_WATER_GAIN
    }
}

impl Voice for LappingWater {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Surf.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings surf to -20 LUFS.
const SURF_GAIN: f32 = 0.418;

/// Time constant in seconds of the roar fading after a wave breaks.
const SURF_ROAR_DECAY_S: f32 = 1.8;

/// Time constants in seconds of the retreating hiss (its rise and its long fall).
const SURF_HISS_RISE_S: f32 = 0.35;
const SURF_HISS_FALL_S: f32 = 2.4;

/// Ocean surf: each 8-13 s swell builds as a deepening, brightening roar, breaks, and drains back
/// as a fizzing hiss that falls in level and pitch. The same pink noise feeds both bands; after
/// filtering into separate ranges they sound independent.
struct Surf {
    clock: Clock,
    rng: Rng,
    pink: PinkNoise,
    rumble_cut: OnePole,
    roar_filter: Biquad,
    hiss_filter: Biquad,
    cycle_periods: u32,
    crest_periods: u32,
    age_periods: u32,
    peak: f32,
    roar_tail: f32,
    hiss_slow: f32,
    hiss_fast: f32,
    fizz: Wander,
    roar_level: Ramp,
    hiss_level: Ramp,
    roar_tail_mult: f32,
    hiss_slow_mult: f32,
    hiss_fast_mult: f32,
}

impl Surf {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let pink = PinkNoise::new(rng.next_u64());
        let mut s = Self {
            clock: Clock::default(),
            rng,
            pink,
            rumble_cut: OnePole::new(Self::RATE.filter_hz(45.0)),
            roar_filter: Biquad::low_pass(Self::RATE.filter_hz(300.0), BUTTERWORTH_Q),
            hiss_filter: Biquad::band_pass(Self::RATE.filter_hz(3000.0), 0.7),
            cycle_periods: 1,
            crest_periods: 1,
            age_periods: 0,
            peak: 0.0,
            // Start mid-retreat so the first seconds are not silent.
            roar_tail: 0.3,
            hiss_slow: 0.3,
            hiss_fast: 0.0,
            fizz: Wander::new(25.0),
            roar_level: Ramp::new(Self::RATE),
            hiss_level: Ramp::new(Self::RATE),
            roar_tail_mult: decay_per_control(SURF_ROAR_DECAY_S),
            hiss_slow_mult: decay_per_control(SURF_HISS_FALL_S),
            hiss_fast_mult: decay_per_control(SURF_HISS_RISE_S),
        };
        s.new_swell();
        s
    }

    fn new_swell(&mut self) {
        let cycle_s = self.rng.range(8.0, 13.0);
        self.cycle_periods = control_periods(cycle_s);
        self.crest_periods = control_periods(cycle_s * self.rng.range(0.4, 0.55));
        self.age_periods = 0;
        self.peak = self.rng.range(0.6, 1.0);
    }
}

impl ControlRateSynth for Surf {
    const RATE: Rate = Rate::Half;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        self.age_periods += 1;
        if self.age_periods == self.crest_periods {
            // The break hands the roar over to its decaying tail and kicks off the hiss; both are
            // added to states that decay continuously, so no envelope ever jumps.
            self.roar_tail += self.peak;
            self.hiss_slow += self.peak;
            self.hiss_fast += self.peak;
        }
        if self.age_periods >= self.cycle_periods {
            self.new_swell();
        }
        let build = if self.age_periods < self.crest_periods {
            // Squared smoothstep: a slow approach that steepens toward the break, then flattens.
            let s = smoothstep(self.age_periods as f32 / self.crest_periods as f32);
            self.peak * s * s
        } else {
            0.0
        };
        self.roar_tail *= self.roar_tail_mult;
        self.hiss_slow *= self.hiss_slow_mult;
        self.hiss_fast *= self.hiss_fast_mult;
        let roar = build + self.roar_tail;
        let hiss = (self.hiss_slow - self.hiss_fast).max(0.0);

        self.roar_filter.set_low_pass(
            Self::RATE.filter_hz(220.0 + 1600.0 * roar.min(1.2)),
            BUTTERWORTH_Q,
        );
        self.hiss_filter
            .set_band_pass(Self::RATE.filter_hz(2000.0 + 2600.0 * hiss.min(1.0)), 0.6);
        let fizz = 1.0 + 2.5 * self.fizz.advance(&mut self.rng);
        self.roar_level.retarget((0.15 + roar) * SURF_GAIN);
        self.hiss_level
            .retarget(0.9 * hiss * fizz.max(0.3) * SURF_GAIN);
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let n = self.pink.next();
        let roar = self.roar_filter.process(self.rumble_cut.high_pass(n));
        let hiss = self.hiss_filter.process(n);
        roar * self.roar_level.next() + hiss * self.hiss_level.next()
    }
}

impl Voice for Surf {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Wind in leaves.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings leaf wind to -20 LUFS.
const LEAF_WIND_GAIN: f32 = 0.45;

/// Wind in leaves: band-passed noise whose level follows slow overlapping gusts (three slow
/// sines between 0.03 and 0.2 Hz) and, during gusts, a faster random flutter of the leaves.
struct LeafWind {
    clock: Clock,
    rng: Rng,
    band: Biquad,
    soften: OnePole,
    gusts: [SlowSine; 3],
    flutter: Wander,
    shimmer: Wander,
    level: Ramp,
}

impl LeafWind {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let gusts = [
            SlowSine::new(rng.range(0.03, 0.05), &mut rng),
            SlowSine::new(rng.range(0.06, 0.1), &mut rng),
            SlowSine::new(rng.range(0.12, 0.2), &mut rng),
        ];
        Self {
            clock: Clock::default(),
            rng,
            band: Biquad::band_pass(1800.0, 0.55),
            soften: OnePole::new(6000.0),
            gusts,
            flutter: Wander::new(6.0),
            shimmer: Wander::new(18.0),
            level: Ramp::new(Self::RATE),
        }
    }
}

impl ControlRateSynth for LeafWind {
    const RATE: Rate = Rate::Full;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        let g = 0.5
            + 0.24 * self.gusts[0].advance()
            + 0.16 * self.gusts[1].advance()
            + 0.1 * self.gusts[2].advance();
        // Squaring deepens lulls and sharpens gust peaks, as real wind is more peaky than a sine.
        let gust = g * g;
        // Leaves flutter harder the stronger the gust.
        let flutter =
            4.0 * self.flutter.advance(&mut self.rng) + 2.5 * self.shimmer.advance(&mut self.rng);
        let depth = 1.4 * gust;
        // A small floor keeps a faint rustle in the calmest lulls.
        let level = (0.1 + gust) * (1.0 + depth * flutter).clamp(0.25, 2.2);
        self.level.retarget(level * LEAF_WIND_GAIN);
        self.band.set_band_pass(1300.0 + 1700.0 * gust, 0.55);
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let n = self.rng.next_f32();
        self.soften.low_pass(self.band.process(n)) * self.level.next()
    }
}

impl Voice for LeafWind {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Stream.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings the stream to -20 LUFS.
const STREAM_GAIN: f32 = 0.373;

/// Mean number of bubble chirps per second.
const STREAM_BUBBLES_PER_S: f32 = 24.0;

/// A small brook: a continuous low-passed rush plus many short bubbly chirps (decaying sines
/// with rising pitch, 300-1500 Hz) at random times, with the babbling rate wandering slowly.
struct Stream {
    clock: Clock,
    rng: Rng,
    pink: PinkNoise,
    bed_low_pass: Biquad,
    bed_high_pass: OnePole,
    bubbles: ChirpPool<12>,
    babble: Wander,
    swell: SlowSine,
    bed_level: Ramp,
}

impl Stream {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let pink = PinkNoise::new(rng.next_u64());
        let swell = SlowSine::new(rng.range(0.05, 0.09), &mut rng);
        Self {
            clock: Clock::default(),
            rng,
            pink,
            bed_low_pass: Biquad::low_pass(Self::RATE.filter_hz(1000.0), 0.6),
            bed_high_pass: OnePole::new(Self::RATE.filter_hz(120.0)),
            bubbles: ChirpPool::new(),
            babble: Wander::new(0.4),
            swell,
            bed_level: Ramp::new(Self::RATE),
        }
    }
}

impl ControlRateSynth for Stream {
    const RATE: Rate = Rate::Half;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        let swell = self.swell.advance();
        self.bed_level.retarget((0.8 + 0.1 * swell) * STREAM_GAIN);
        // The babbling rate drifts between about a third and twice its mean.
        let rate =
            STREAM_BUBBLES_PER_S * (1.0 + 6.0 * self.babble.advance(&mut self.rng)).clamp(0.3, 2.0);
        if self.rng.chance(rate * CONTROL_PERIOD_S) {
            let freq = self.rng.log_range(300.0, 1500.0);
            // Bigger (lower) bubbles ring longer and louder.
            let size = (600.0 / freq).sqrt();
            let chirp = Chirp::new(
                Self::RATE,
                freq,
                freq * self.rng.range(8.0, 20.0),
                self.rng.range(0.006, 0.02) * size,
                self.rng.range(0.05, 0.16) * size * STREAM_GAIN,
                0.0015,
            );
            self.bubbles.spawn(chirp);
        }
        self.bubbles.control();
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let bed = self
            .bed_low_pass
            .process(self.bed_high_pass.high_pass(self.pink.next()));
        bed * self.bed_level.next() + self.bubbles.tick()
    }
}

impl Voice for Stream {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Rain.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings rain to -20 LUFS.
const RAIN_GAIN: f32 = 0.2245;

/// Mean number of audible droplet taps per second.
const RAIN_TAPS_PER_S: f32 = 70.0;

/// Mean number of pitched drops into puddles per second.
const RAIN_PLINKS_PER_S: f32 = 1.5;

/// Steady soft rain: a band-limited noise bed plus sparse droplet taps (noise bursts shaped by a
/// difference of two exponentials, which starts at zero with no corner) and the odd pitched
/// "plink" of a drop into a puddle.
struct Rain {
    clock: Clock,
    rng: Rng,
    bed_high_pass: Biquad,
    bed_low_pass: OnePole,
    tap_filter: Biquad,
    tap_slow: f32,
    tap_fast: f32,
    plinks: ChirpPool<4>,
    swell: SlowSine,
    bed_level: Ramp,
}

/// Per-sample decay multipliers of the droplet-tap envelope (time constants 6 ms and 0.6 ms).
const RAIN_TAP_SLOW_MULT: f32 = 0.996_533; // exp(-1 / (0.006 * 48000))
const RAIN_TAP_FAST_MULT: f32 = 0.965_880; // exp(-1 / (0.0006 * 48000))

impl Rain {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let swell = SlowSine::new(rng.range(0.02, 0.05), &mut rng);
        Self {
            clock: Clock::default(),
            rng,
            bed_high_pass: Biquad::high_pass(500.0, 0.6),
            bed_low_pass: OnePole::new(7000.0),
            tap_filter: Biquad::band_pass(3200.0, 1.0),
            tap_slow: 0.0,
            tap_fast: 0.0,
            plinks: ChirpPool::new(),
            swell,
            bed_level: Ramp::new(Self::RATE),
        }
    }
}

impl ControlRateSynth for Rain {
    const RATE: Rate = Rate::Full;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        let swell = self.swell.advance();
        self.bed_level.retarget((0.5 + 0.06 * swell) * RAIN_GAIN);
        if self.rng.chance(RAIN_TAPS_PER_S * CONTROL_PERIOD_S) {
            // Mostly faint taps, occasionally a nearer, louder one.
            let u = self.rng.next_unit();
            let amp = (0.15 + 1.3 * u * u * u) * RAIN_GAIN;
            // Adding the same amount to both states keeps their difference (the envelope)
            // continuous at the instant of the tap.
            self.tap_slow += amp;
            self.tap_fast += amp;
        }
        if self.rng.chance(RAIN_PLINKS_PER_S * CONTROL_PERIOD_S) {
            let freq = self.rng.log_range(1400.0, 3800.0);
            let chirp = Chirp::new(
                Self::RATE,
                freq,
                freq * self.rng.range(4.0, 10.0),
                self.rng.range(0.006, 0.016),
                self.rng.range(0.03, 0.08) * RAIN_GAIN,
                0.001,
            );
            self.plinks.spawn(chirp);
        }
        self.plinks.control();
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let n = self.rng.next_f32();
        let bed = self.bed_low_pass.low_pass(self.bed_high_pass.process(n));
        self.tap_slow *= RAIN_TAP_SLOW_MULT;
        self.tap_fast *= RAIN_TAP_FAST_MULT;
        let tap = self.tap_filter.process(n * (self.tap_slow - self.tap_fast));
        bed * self.bed_level.next() + tap + self.plinks.tick()
    }
}

impl Voice for Rain {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Crickets.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings the crickets to -20 LUFS.
const CRICKETS_GAIN: f32 = 0.37;

/// Number of crickets singing.
const CRICKET_COUNT: usize = 3;

/// Typical fraction of time (dimensionless) a cricket's tone is on; a cricket with exactly this
/// duty cycle sings at its distance weight.
const CRICKET_REFERENCE_DUTY: f32 = 0.06;

/// Several crickets, each singing chirps made of a few short tone pulses around 4-5 kHz with
/// soft (sine-squared) edges, separated by pauses, each with its own pitch and rhythm.
struct Crickets {
    clock: Clock,
    rng: Rng,
    crickets: [Cricket; CRICKET_COUNT],
}

#[derive(Clone, Copy, Debug)]
struct Cricket {
    re: f32,
    im: f32,
    rot_re: f32,
    rot_im: f32,
    env: Ramp,
    amplitude: f32,
    pulse_periods: u32,
    pulse_spacing_periods: u32,
    pulses_per_chirp: (u32, u32),
    chirp_spacing_s: f32,
    pulses_left: u32,
    position: u32,
    rest_periods: u32,
}

impl Cricket {
    fn new(rng: &mut Rng, index: usize) -> Self {
        let freq = rng.range(4100.0, 4900.0);
        let w = TAU * freq / SAMPLE_RATE_F32_HZ;
        let pulse_s = rng.range(0.012, 0.02);
        let spacing_s = pulse_s * rng.range(1.7, 2.3);
        let pulses_per_chirp = if rng.chance(0.5) { (2, 4) } else { (3, 6) };
        let chirp_spacing_s = rng.range(0.45, 1.1);
        // The fraction of time this cricket's tone is on. Scaling its amplitude by the inverse
        // square root keeps its long-term power fixed whatever rhythm it drew, so the total
        // loudness does not depend on the seed; the crickets still stand at different
        // distances through the per-index weight.
        let mean_pulses = 0.5 * (pulses_per_chirp.0 + pulses_per_chirp.1) as f32;
        let duty = pulse_s * mean_pulses / (chirp_spacing_s + mean_pulses * spacing_s);
        let distance_weight = [1.0, 0.7, 0.5][index % 3];
        Self {
            re: 1.0,
            im: 0.0,
            rot_re: w.cos(),
            rot_im: w.sin(),
            env: Ramp::new(Rate::Full),
            amplitude: distance_weight * (CRICKET_REFERENCE_DUTY / duty).sqrt(),
            pulse_periods: control_periods(pulse_s),
            pulse_spacing_periods: control_periods(spacing_s),
            pulses_per_chirp,
            chirp_spacing_s,
            pulses_left: 0,
            position: 0,
            rest_periods: control_periods(rng.range(0.1, 2.0)),
        }
    }

    fn control(&mut self, rng: &mut Rng) {
        if self.rest_periods > 0 {
            self.rest_periods -= 1;
            if self.rest_periods == 0 {
                let (lo, hi) = self.pulses_per_chirp;
                self.pulses_left = lo + (rng.next_u64() % u64::from(hi - lo + 1)) as u32;
                self.position = 0;
            }
            self.env.retarget(0.0);
            return;
        }
        self.position += 1;
        if self.position >= self.pulse_spacing_periods {
            self.position = 0;
            self.pulses_left -= 1;
            if self.pulses_left == 0 {
                // Mostly a regular rhythm, sometimes a longer silence.
                let rest_s = if rng.chance(0.06) {
                    rng.range(3.0, 8.0)
                } else {
                    self.chirp_spacing_s * rng.range(0.85, 1.15)
                };
                self.rest_periods = control_periods(rest_s);
                self.env.retarget(0.0);
                return;
            }
        }
        // Sine-squared pulse shape evaluated at the end of this control period.
        let target = if self.position < self.pulse_periods {
            let s = (std::f32::consts::PI * self.position as f32 / self.pulse_periods as f32).sin();
            self.amplitude * s * s
        } else {
            0.0
        };
        self.env.retarget(target);
        let g = 1.5 - 0.5 * (self.re * self.re + self.im * self.im);
        self.re *= g;
        self.im *= g;
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let re = self.re * self.rot_re - self.im * self.rot_im;
        self.im = self.re * self.rot_im + self.im * self.rot_re;
        self.re = re;
        self.im * self.env.next()
    }
}

impl Crickets {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let crickets = std::array::from_fn(|i| Cricket::new(&mut rng, i));
        Self {
            clock: Clock::default(),
            rng,
            crickets,
        }
    }
}

impl ControlRateSynth for Crickets {
    const RATE: Rate = Rate::Full;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        for c in &mut self.crickets {
            c.control(&mut self.rng);
        }
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let mut sum = 0.0;
        for c in &mut self.crickets {
            // Silent crickets skip the oscillator; their phase simply pauses, which is inaudible.
            if !c.env.is_silent() {
                sum += c.tick();
            }
        }
        sum * CRICKETS_GAIN
    }
}

impl Voice for Crickets {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Birdsong.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings birdsong to -20 LUFS (measured over its phrases;
/// the silences between them fall below the loudness gate).
const BIRDSONG_GAIN: f32 = 0.13;

/// Most notes in one phrase.
const MAX_NOTES: usize = 12;

/// Occasional phrases from two bird "species" in random order, with several seconds of silence
/// between them: a quick descending trill ending in a flourish, and a slower, vibrato-laden
/// whistle. Each note is a frequency-swept sine (2-6 kHz) with soft attack and release.
struct Birdsong {
    clock: Clock,
    rng: Rng,
    re: f32,
    im: f32,
    rot_re: f32,
    rot_im: f32,
    env: Ramp,
    notes: [Note; MAX_NOTES],
    note_count: usize,
    note_index: usize,
    position: u32,
    silence_periods: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct Note {
    start_hz: f32,
    end_hz: f32,
    duration_periods: u32,
    gap_periods: u32,
    vibrato_hz: f32,
    vibrato_depth: f32,
    amplitude: f32,
}

/// Attack and release times of a note in seconds.
const NOTE_ATTACK_S: f32 = 0.012;
const NOTE_RELEASE_S: f32 = 0.025;

impl Birdsong {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let silence = control_periods(rng.range(0.5, 3.0));
        Self {
            clock: Clock::default(),
            rng,
            re: 1.0,
            im: 0.0,
            rot_re: 1.0,
            rot_im: 0.0,
            env: Ramp::new(Rate::Full),
            notes: [Note::default(); MAX_NOTES],
            note_count: 0,
            note_index: 0,
            position: 0,
            silence_periods: silence,
        }
    }

    /// Composes the next phrase into the fixed note array.
    fn compose(&mut self) {
        let rng = &mut self.rng;
        let mut count = 0;
        if rng.chance(0.5) {
            // Species A: a descending trill of short down-sweeps, then a lower flourish.
            let trill = 4 + (rng.next_u64() % 5) as usize;
            let mut top = rng.range(5000.0, 5900.0);
            let note_s = rng.range(0.055, 0.08);
            let gap_s = rng.range(0.03, 0.05);
            for _ in 0..trill {
                self.notes[count] = Note {
                    start_hz: top,
                    end_hz: top * rng.range(0.7, 0.8),
                    duration_periods: control_periods(note_s * rng.range(0.9, 1.1)),
                    gap_periods: control_periods(gap_s),
                    vibrato_hz: 0.0,
                    vibrato_depth: 0.0,
                    amplitude: rng.range(0.75, 1.0),
                };
                top *= rng.range(0.93, 0.97);
                count += 1;
            }
            self.notes[count] = Note {
                start_hz: rng.range(2600.0, 3200.0),
                end_hz: rng.range(3600.0, 4400.0),
                duration_periods: control_periods(rng.range(0.14, 0.22)),
                gap_periods: 1,
                vibrato_hz: 0.0,
                vibrato_depth: 0.0,
                amplitude: 0.9,
            };
            count += 1;
        } else {
            // Species B: a few slower whistles with gentle glides and vibrato.
            let whistles = 2 + (rng.next_u64() % 3) as usize;
            for _ in 0..whistles {
                let start = rng.range(2200.0, 3600.0);
                self.notes[count] = Note {
                    start_hz: start,
                    end_hz: start * rng.range(0.85, 1.2),
                    duration_periods: control_periods(rng.range(0.18, 0.38)),
                    gap_periods: control_periods(rng.range(0.09, 0.2)),
                    vibrato_hz: rng.range(5.0, 9.0),
                    vibrato_depth: rng.range(0.015, 0.035),
                    amplitude: rng.range(0.6, 0.9),
                };
                count += 1;
            }
        }
        self.note_count = count;
        self.note_index = 0;
        self.position = 0;
    }

    /// Envelope of the current note at control period `k` (0 outside the note).
    fn note_envelope(note: &Note, k: u32) -> f32 {
        if k >= note.duration_periods {
            return 0.0;
        }
        let t = k as f32 * CONTROL_PERIOD_S;
        let end = note.duration_periods as f32 * CONTROL_PERIOD_S;
        note.amplitude * smoothstep(t / NOTE_ATTACK_S) * smoothstep((end - t) / NOTE_RELEASE_S)
    }
}

impl ControlRateSynth for Birdsong {
    const RATE: Rate = Rate::Full;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        if self.silence_periods > 0 {
            self.silence_periods -= 1;
            if self.silence_periods == 0 {
                self.compose();
            }
            self.env.retarget(0.0);
            return;
        }
        let note = self.notes[self.note_index];
        if self.position >= note.duration_periods + note.gap_periods {
            self.note_index += 1;
            self.position = 0;
            if self.note_index >= self.note_count {
                self.silence_periods = control_periods(self.rng.range(3.0, 9.0));
                self.env.retarget(0.0);
                return;
            }
        }
        let note = self.notes[self.note_index];
        let k = self.position;
        if k < note.duration_periods {
            let u = k as f32 / note.duration_periods as f32;
            let t = k as f32 * CONTROL_PERIOD_S;
            let vibrato = 1.0 + note.vibrato_depth * (TAU * note.vibrato_hz * t).sin();
            let freq = note.start_hz * (note.end_hz / note.start_hz).powf(u) * vibrato;
            let w = TAU * freq / SAMPLE_RATE_F32_HZ;
            self.rot_re = w.cos();
            self.rot_im = w.sin();
            let g = 1.5 - 0.5 * (self.re * self.re + self.im * self.im);
            self.re *= g;
            self.im *= g;
        }
        self.env
            .retarget(Self::note_envelope(&note, k + 1) * BIRDSONG_GAIN);
        self.position += 1;
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        if self.env.is_silent() {
            return 0.0;
        }
        let re = self.re * self.rot_re - self.im * self.rot_im;
        self.im = self.re * self.rot_im + self.im * self.rot_re;
        self.re = re;
        self.im * self.env.next()
    }
}

impl Voice for Birdsong {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::loudness::integrated_lufs;
    use super::*;

    const SECONDS: usize = 60;

    fn render_seconds(kind: SoundKind, seed: u64, seconds: usize) -> Vec<f32> {
        let mut v = voice(kind, seed);
        let mut out = vec![0.0; seconds * SAMPLE_RATE_F32_HZ as usize];
        for block in out.chunks_mut(512) {
            v.render(block);
        }
        out
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len() as f64).sqrt() as f32
    }

    /// For every 5 ms frame, the largest sample-to-sample step divided by the RMS of the
    /// surrounding 105 ms; the worst frame is returned. A click is a step that is large compared
    /// with what the sound is locally doing, so a local reference catches clicks in quiet
    /// passages that a global RMS would hide. Steps in near-silence are compared with a floor
    /// of 1e-4 (-80 dBFS) so that inaudible dust does not count.
    fn worst_click_ratio(x: &[f32]) -> f32 {
        let mut prefix = vec![0.0f64; x.len() + 1];
        for (i, &s) in x.iter().enumerate() {
            prefix[i + 1] = prefix[i] + f64::from(s) * f64::from(s);
        }
        let frame = 240;
        let reach = 2400;
        let mut worst = 0.0f32;
        for start in (1..x.len()).step_by(frame) {
            let end = (start + frame).min(x.len());
            let step = (start..end)
                .map(|i| (x[i] - x[i - 1]).abs())
                .fold(0.0f32, f32::max);
            let lo = start.saturating_sub(reach);
            let hi = (end + reach).min(x.len());
            let local = ((prefix[hi] - prefix[lo]) / (hi - lo) as f64).sqrt() as f32;
            worst = worst.max(step / local.max(1.0e-4));
        }
        worst
    }

    /// Largest acceptable click ratio per voice, from the band each voice occupies. Band-limited
    /// noise has peaks near 4x its RMS, and its steps are bounded by about 2 sin(pi f_top / fs)
    /// times the peak; a tone's steps are 2 sin(pi f / fs) times its amplitude, i.e. about
    /// 2.8 sin(pi f / fs) times its RMS, and more when the window around it is partly silent.
    fn click_bound(kind: SoundKind) -> f32 {
        match kind {
            // Low/mid band noise (under ~1.5 kHz): natural steps are well below the RMS.
            // Pink noise low-passed near 1.5 kHz peaks near 4x its RMS, so its steps stay under
            // 2 sin(pi 1500 / 48000) x 4 = 0.8x the RMS.
            SoundKind::LappingWater | SoundKind::Stream => 0.8,
            // The surf's hiss band reaches about 5 kHz.
            SoundKind::Surf => 3.0,
            // Band-passed noise reaching about 5 kHz: 2 sin(pi 5000 / 48000) x 4 = 2.6, plus the
            // flutter modulation.
            SoundKind::LeafWind => 4.0,
            // Noise reaching 7 kHz (2 sin(pi 7000 / 48000) x 4 = 3.6) plus sparse taps on top.
            SoundKind::Rain => 7.0,
            // A 4.9 kHz tone steps by 0.63x its amplitude; a lone pulse in a 105 ms window has
            // an RMS of about 0.15x its amplitude, giving about 4.
            SoundKind::Crickets => 5.0,
            // Notes up to 6 kHz step by 0.77x their amplitude; the shortest trill notes fill a
            // good part of the window, so the ratio stays near 2.
            SoundKind::Birdsong => 3.0,
        }
    }

    #[test]
    fn every_voice_is_sane_deterministic_and_seed_dependent() {
        for kind in SoundKind::ALL {
            let a = render_seconds(kind, 1, 20);
            let b = render_seconds(kind, 1, 20);
            let c = render_seconds(kind, 2, 20);
            assert!(
                a.iter().all(|s| s.is_finite() && s.abs() <= 1.0),
                "{kind:?} out of range"
            );
            assert!(rms(&a) > 1.0e-3, "{kind:?} is silent");
            assert_eq!(a, b, "{kind:?} is not deterministic");
            assert_ne!(a, c, "{kind:?} ignores its seed");
        }
    }

    #[test]
    fn output_does_not_depend_on_block_size() {
        for kind in SoundKind::ALL {
            let reference = render_seconds(kind, 9, 5);
            let mut v = voice(kind, 9);
            let mut out = vec![0.0; reference.len()];
            for block in out.chunks_mut(37) {
                v.render(block);
            }
            assert_eq!(out, reference, "{kind:?}");
        }
    }

    #[test]
    fn voices_are_calibrated_to_minus_20_lufs() {
        for kind in SoundKind::ALL {
            for seed in [1, 2, 3] {
                let x = render_seconds(kind, seed, SECONDS);
                let lufs = integrated_lufs(&x, &x);
                println!(
                    "{kind:?} seed {seed}: {lufs:.2} LUFS, peak {:.3}",
                    x.iter().fold(0.0f32, |m, s| m.max(s.abs()))
                );
                assert!(
                    (lufs + 20.0).abs() <= 1.5,
                    "{kind:?} seed {seed}: {lufs} LUFS"
                );
            }
        }
    }

    #[test]
    fn voices_do_not_click() {
        for kind in SoundKind::ALL {
            let x = render_seconds(kind, 4, 30);
            let ratio = worst_click_ratio(&x);
            println!("{kind:?}: worst step / local RMS = {ratio:.2}");
            assert!(ratio < click_bound(kind), "{kind:?}: {ratio}");
        }
    }

    #[test]
    fn click_detector_catches_a_click() {
        // Guards the detector itself: a step the size of the stream's own RMS must trip it.
        let mut x = render_seconds(SoundKind::Stream, 4, 2);
        let step = rms(&x);
        for s in &mut x[48_000..] {
            *s += step;
        }
        assert!(worst_click_ratio(&x) > click_bound(SoundKind::Stream));
    }
}
