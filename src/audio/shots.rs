//! The sounds of exposure events, each played once: a gust of wind that
//! swells round the person and dies away, a creak of the structure
//! underfoot, a bird's wingbeats passing from one point to another. Pure,
//! synthesised in code, and allocation-free: a shot is a few numbers, and
//! its voice lives in a slot the mix set aside when it was made.
//!
//! Every shot rises and falls smoothly (no click, no jump): its loudness at
//! its height is set well under the scene's bed plus 10 LU, which the tests
//! check through the whole mix.

use super::dsp::{Biquad, PinkNoise, Rng, SAMPLE_RATE_F32_HZ, db_to_gain};
use super::spatial::Emitter;

/// Most shots sounding at once; a new one takes the slot of the one
/// nearest its end.
pub(crate) const MAX_SHOTS: usize = 4;

/// What a shot sounds like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShotKind {
    /// Wind swelling to `strength` (0 to 1) and dying away, all round.
    Gust {
        /// At its height, 0 to 1.
        strength: f32,
    },
    /// A slow creak of wood or steel under load.
    Creak,
    /// A bird's wingbeats as it flies past.
    Wings,
}

/// One event's sound: what, from where to where, for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shot {
    /// What it sounds like.
    pub kind: ShotKind,
    /// Where it starts, metres.
    pub from: [f32; 3],
    /// Where it ends (the same as `from` for one that stays), metres.
    pub to: [f32; 3],
    /// How long, seconds.
    pub seconds: f32,
    /// Its own randomness.
    pub seed: u64,
}

/// A shot sounding.
#[derive(Debug, Clone)]
pub(crate) struct ShotVoice {
    shot: Shot,
    /// Samples played, and in all.
    at: u32,
    len: u32,
    noise: PinkNoise,
    rng: Rng,
    low: Biquad,
    high: Biquad,
    /// Phase of the creak's slips or the wings' beats, 0 to 1.
    phase: f32,
}

/// The voice's own level: its output stays well under full scale; the
/// emitter carries the rest of [`level_db`].
const VOICE_DB: f32 = -12.0;

/// Level of each kind at its height, dB, for a source at 1 m (the
/// distance takes it down from there).
fn level_db(kind: ShotKind) -> f32 {
    match kind {
        ShotKind::Gust { .. } => -4.0,
        ShotKind::Creak => 2.0,
        ShotKind::Wings => 22.0,
    }
}

impl ShotVoice {
    /// A voice for `shot`, from its start.
    pub fn new(shot: Shot) -> Self {
        let (low, high) = match shot.kind {
            ShotKind::Gust { .. } => (Biquad::band_pass(320.0, 0.8), Biquad::low_pass(1800.0, 0.7)),
            ShotKind::Creak => (
                Biquad::band_pass(310.0, 9.0),
                Biquad::band_pass(870.0, 12.0),
            ),
            ShotKind::Wings => (
                Biquad::band_pass(1600.0, 1.2),
                Biquad::high_pass(500.0, 0.7),
            ),
        };
        Self {
            shot,
            at: 0,
            len: (shot.seconds.max(0.1) * SAMPLE_RATE_F32_HZ) as u32,
            noise: PinkNoise::new(shot.seed),
            rng: Rng::new(shot.seed ^ 0xC4EA_u64),
            low,
            high,
            phase: 0.0,
        }
    }

    /// Seconds left to play.
    pub fn left(&self) -> f32 {
        self.len.saturating_sub(self.at) as f32 / SAMPLE_RATE_F32_HZ
    }

    /// Whether it has played to its end.
    pub fn done(&self) -> bool {
        self.at >= self.len
    }

    /// How far through, 0 to 1.
    fn along(&self) -> f32 {
        self.at as f32 / self.len as f32
    }

    /// Where it sounds from now, and how large and loud.
    pub fn emitter(&self) -> Emitter {
        let u = self.along().clamp(0.0, 1.0);
        let (a, b) = (self.shot.from, self.shot.to);
        Emitter {
            position: [
                a[0] + (b[0] - a[0]) * u,
                a[1] + (b[1] - a[1]) * u,
                a[2] + (b[2] - a[2]) * u,
            ],
            gain_db: level_db(self.shot.kind) - VOICE_DB,
            size_m: match self.shot.kind {
                ShotKind::Gust { .. } => 30.0,
                ShotKind::Creak => 1.5,
                ShotKind::Wings => 0.5,
            },
        }
    }

    /// The overall rise and fall: a raised cosine for a gust, a quick
    /// attack and a long fall for the rest, never a step.
    fn envelope(&self, u: f32) -> f32 {
        match self.shot.kind {
            ShotKind::Gust { strength } => {
                let e = 0.5 - 0.5 * (u * std::f32::consts::TAU).cos();
                strength * e * e.sqrt()
            }
            _ => {
                let rise = (u / 0.1).min(1.0);
                let fall = ((1.0 - u) / 0.4).min(1.0);
                let s = |x: f32| x * x * (3.0 - 2.0 * x);
                s(rise) * s(fall)
            }
        }
    }

    /// Fills `out` with the next samples (zeros once done).
    pub fn render(&mut self, out: &mut [f32]) {
        let gain = db_to_gain(VOICE_DB);
        let dt = 1.0 / SAMPLE_RATE_F32_HZ;
        for (i, sample) in out.iter_mut().enumerate() {
            if self.done() {
                *sample = 0.0;
                continue;
            }
            let u = self.along();
            let env = self.envelope(u);
            *sample = gain
                * env
                * match self.shot.kind {
                    ShotKind::Gust { .. } => {
                        if i % 64 == 0 {
                            // The wind's pitch rises with its strength.
                            self.low.set_band_pass(260.0 + 420.0 * env, 0.8);
                        }
                        self.high.process(self.low.process(self.noise.next()))
                    }
                    ShotKind::Creak => {
                        // Stick and slip: a train of small slips whose rate
                        // rises and falls, ringing the structure's modes.
                        let rate = 38.0 + 55.0 * (u * std::f32::consts::PI).sin();
                        self.phase += rate * dt;
                        let slip = if self.phase >= 1.0 {
                            self.phase -= 1.0;
                            self.rng.range(0.6, 1.0)
                        } else {
                            0.0
                        };
                        // The modes ring narrowly: a slip rings them at a
                        // small part of its size, made up here.
                        let x = 40.0 * (slip + 0.02 * self.noise.next());
                        self.low.process(x) * 2.0 + self.high.process(x)
                    }
                    ShotKind::Wings => {
                        // About seven beats a second: each a soft swish.
                        self.phase = (self.phase + 7.0 * dt).fract();
                        let beat = (self.phase * std::f32::consts::PI).sin();
                        let swish = beat * beat * beat * beat;
                        self.high.process(self.low.process(self.noise.next())) * swish
                    }
                };
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shot(kind: ShotKind) -> Shot {
        Shot {
            kind,
            from: [0.0, 1.0, -3.0],
            to: [4.0, 1.0, -3.0],
            seconds: 2.0,
            seed: 7,
        }
    }

    #[test]
    fn each_shot_sounds_rises_without_a_click_and_ends_silent() {
        for kind in [
            ShotKind::Gust { strength: 1.0 },
            ShotKind::Creak,
            ShotKind::Wings,
        ] {
            let mut voice = ShotVoice::new(shot(kind));
            let mut out = vec![0.0; (2.5 * SAMPLE_RATE_F32_HZ) as usize];
            voice.render(&mut out);
            assert!(voice.done());
            let peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            assert!(peak > 1e-3, "{kind:?} is silent");
            assert!(peak < 1.0, "{kind:?} peaks at {peak}");
            // The first and last 10 ms are near silence: no click in or out.
            let edge = (0.01 * SAMPLE_RATE_F32_HZ) as usize;
            let end = (2.0 * SAMPLE_RATE_F32_HZ) as usize;
            let quiet = |s: &[f32]| s.iter().all(|x| x.abs() < peak * 0.1);
            assert!(quiet(&out[..edge]), "{kind:?} starts with a click");
            assert!(quiet(&out[end - edge..end]), "{kind:?} ends with a click");
            assert!(out[end..].iter().all(|&x| x == 0.0));
        }
    }

    #[test]
    fn a_passing_bird_moves_from_its_start_to_its_end() {
        let mut voice = ShotVoice::new(shot(ShotKind::Wings));
        assert_eq!(voice.emitter().position, [0.0, 1.0, -3.0]);
        let mut out = vec![0.0; SAMPLE_RATE_F32_HZ as usize];
        voice.render(&mut out);
        assert!((voice.emitter().position[0] - 2.0).abs() < 1e-3);
    }
}
