//! A scene's sounds in the mix (its bed): each voice placed around the
//! listener's head and faded in or out as a step turns it on or off; the
//! whole bed crossfades with the scene before or after it.

use super::{MAX_VOICES, SCENE_CROSSFADE_S, approach};
use crate::audio::sample_clock::SAMPLE_RATE_HZ;
use crate::audio::spatial::{Emitter, Listener, Spatializer};
use crate::audio::voices::{SoundKind, Voice, voice};

/// A sound placed in the scene, ready to mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedSound {
    /// What it is.
    pub kind: SoundKind,
    /// Where, how loud, how big.
    pub emitter: Emitter,
    /// Seed of its variation.
    pub seed: u64,
    /// Whether it plays from the start.
    pub on: bool,
}

/// How long a scene's sound takes to fade in or out when a step turns it on
/// or off, seconds.
pub(crate) const SWITCH_FADE_S: f32 = 3.0;

/// The sounds of one scene, with their state. Built outside the audio
/// thread, so the mix never allocates voices while it plays.
pub struct Bed {
    pub(super) voices: Vec<BedVoice>,
    pub(super) gain: f32,
    pub(super) target: f32,
    pub(super) step: f32,
}

impl Bed {
    /// Voices for `sounds` (at most [`MAX_VOICES`]).
    pub fn new(sounds: &[PlacedSound]) -> Self {
        let on = |s: &PlacedSound| if s.on { 1.0 } else { 0.0 };
        Self {
            voices: sounds
                .iter()
                .take(MAX_VOICES)
                .map(|s| BedVoice {
                    voice: voice(s.kind, s.seed),
                    spatializer: Spatializer::new(),
                    emitter: s.emitter,
                    gain: on(s),
                    target: on(s),
                })
                .collect(),
            gain: 0.0,
            target: 1.0,
            step: 1.0 / (SCENE_CROSSFADE_S * SAMPLE_RATE_HZ as f32),
        }
    }
}

impl Bed {
    /// Renders every voice, placed around `listener`, adding into `left`
    /// and `right`; `mono` is scratch space of the same length.
    pub(super) fn render(
        &mut self,
        listener: &Listener,
        mono_mode: bool,
        mono: &mut [f32],
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let step = 1.0 / (SWITCH_FADE_S * SAMPLE_RATE_HZ as f32);
        for v in &mut self.voices {
            if v.gain == 0.0 && v.target == 0.0 {
                // Off and faded out: it costs nothing.
                continue;
            }
            v.voice.render(mono);
            if v.gain != 1.0 || v.target != 1.0 {
                for s in mono.iter_mut() {
                    v.gain = approach(v.gain, v.target, step);
                    *s *= v.gain;
                }
            }
            v.spatializer
                .process(&v.emitter, listener, mono, left, right, mono_mode);
        }
    }
}

/// A voice of a scene's bed: the sound, where it is heard from, and how far
/// faded in (a scene's step can turn it on and off).
pub(super) struct BedVoice {
    voice: Box<dyn Voice>,
    spatializer: Spatializer,
    emitter: Emitter,
    gain: f32,
    pub(super) target: f32,
}
