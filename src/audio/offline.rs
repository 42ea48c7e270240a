//! What a scene gives the mix (its placed sounds, the seated listener, the
//! sounds of its exposure events), and the scene's mix rendered offline to
//! a WAV file behind `render-audio`.

use super::engine::{MixSettings, Mixer, PlacedSound};
use super::sample_clock::SAMPLE_RATE_HZ;
use super::shots::{Shot, ShotKind};
use super::spatial::{Emitter, Listener};
use super::voices::SoundKind;
use super::wav;
use crate::breath::Guide;
use crate::scene::format;
use crate::scene::model::Scene;

/// Frames rendered at a time when streaming to a file: a tenth of a second.
const STREAM_FRAMES: usize = 4_800;

/// The sounds a scene places.
pub fn scene_sounds(scene: &Scene) -> Vec<PlacedSound> {
    scene
        .sounds
        .iter()
        .map(|sound| PlacedSound {
            kind: sound_kind(sound.kind),
            emitter: Emitter {
                position: sound.position_m,
                gain_db: sound.gain_db,
                size_m: sound.size_m,
            },
            seed: sound.seed,
            on: sound.on,
        })
        .collect()
}

/// The listener seated at the scene's viewpoint, facing its heading: the
/// fixed pose of offline renders.
pub fn seated_listener(scene: &Scene) -> Listener {
    // Headings are clockwise from north; yaw turns counter-clockwise.
    Listener::from_yaw(scene.seat.eye, -scene.seat.heading_deg.to_radians())
}

/// The exact mix of `scene` and its session over `seconds`, offline, at
/// `step` (from 0) of an exposure scene's hierarchy, heard from the seat, written to `out` as a WAV (32-bit float, stereo) as it is
/// rendered: an hour takes no more memory than a second.
pub(crate) fn render_scene_to(
    out: impl std::io::Write,
    scene: &Scene,
    guide: Option<&Guide>,
    settings: MixSettings,
    seconds: f64,
    step: Option<usize>,
) -> std::io::Result<()> {
    let frames = (seconds * f64::from(SAMPLE_RATE_HZ)).round() as usize;
    // An exposure scene sounds as its step has it.
    let mut sounds = scene_sounds(scene);
    for (sound, on) in sounds.iter_mut().zip(scene.sounds_at(step)) {
        sound.on = on;
    }
    let mut mixer = Mixer::new(
        &sounds,
        guide.map(|g| g.schedule.clone()),
        settings,
        seated_listener(scene),
    );
    let mut wav = wav::WavWriter::start(out, SAMPLE_RATE_HZ, 2, frames * 2)?;
    let mut buffer = vec![0.0f32; STREAM_FRAMES * 2];
    let mut left = frames;
    while left > 0 {
        let n = left.min(STREAM_FRAMES);
        mixer.render(&mut buffer[..n * 2]);
        wav.write(&buffer[..n * 2])?;
        left -= n;
    }
    wav.finish()
}

/// The sound of `event`, heard by a head at `head`; `None` for a silent
/// one (a spider on its thread).
pub fn shot_for(
    event: &crate::scene::exposure::plan::EventSpec,
    head: [f32; 3],
    seed: u64,
) -> Option<Shot> {
    use crate::scene::exposure::plan::EventKind;
    let (kind, from, to) = match event.does {
        EventKind::Gust { strength } => {
            let around = [head[0], head[1] + 1.5, head[2]];
            (ShotKind::Gust { strength }, around, around)
        }
        EventKind::Creak { at } => (ShotKind::Creak, at, at),
        EventKind::BirdPasses { from, to } => (ShotKind::Wings, from, to),
        EventKind::SpiderDrops { .. } => return None,
    };
    Some(Shot {
        kind,
        from,
        to,
        seconds: event.seconds,
        seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5107,
    })
}

fn sound_kind(kind: format::SoundKind) -> SoundKind {
    match kind {
        format::SoundKind::LappingWater => SoundKind::LappingWater,
        format::SoundKind::Surf => SoundKind::Surf,
        format::SoundKind::LeafWind => SoundKind::LeafWind,
        format::SoundKind::Stream => SoundKind::Stream,
        format::SoundKind::Rain => SoundKind::Rain,
        format::SoundKind::Crickets => SoundKind::Crickets,
        format::SoundKind::Birdsong => SoundKind::Birdsong,
    }
}
