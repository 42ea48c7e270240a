//! Water: waves lapping at a lake shore, surf on a beach, a stream over
//! stones, and rain.

use super::Voice;
use super::kit::*;
use crate::audio::dsp::{BUTTERWORTH_Q, Biquad, OnePole, PinkNoise, Rng};

// ---------------------------------------------------------------------------------------------
// Lapping water.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings lapping water to -20 LUFS.
const LAPPING_WATER_GAIN: f32 = 0.58;

/// Small waves on a lake shore: every 2-5 s a soft wash of low/mid band noise rises and ebbs,
/// brightening at its peak, with a few bubbly gurgles as it drains back.
pub(super) struct LappingWater {
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
    pub(super) fn new(seed: u64) -> Self {
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
pub(super) struct Surf {
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
    pub(super) fn new(seed: u64) -> Self {
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
// Stream.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings the stream to -20 LUFS.
const STREAM_GAIN: f32 = 0.373;

/// Mean number of bubble chirps per second.
const STREAM_BUBBLES_PER_S: f32 = 24.0;

/// A small brook: a continuous low-passed rush plus many short bubbly chirps (decaying sines
/// with rising pitch, 300-1500 Hz) at random times, with the babbling rate wandering slowly.
pub(super) struct Stream {
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
    pub(super) fn new(seed: u64) -> Self {
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
pub(super) struct Rain {
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
    pub(super) fn new(seed: u64) -> Self {
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
