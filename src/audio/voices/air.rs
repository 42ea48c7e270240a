//! Air: wind moving through leaves.

use super::Voice;
use super::kit::*;
use crate::audio::dsp::{Biquad, OnePole, Rng};

// ---------------------------------------------------------------------------------------------
// Wind in leaves.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings leaf wind to -20 LUFS.
const LEAF_WIND_GAIN: f32 = 0.45;

/// Wind in leaves: band-passed noise whose level follows slow overlapping gusts (three slow
/// sines between 0.03 and 0.2 Hz) and, during gusts, a faster random flutter of the leaves.
pub(super) struct LeafWind {
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
    pub(super) fn new(seed: u64) -> Self {
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
