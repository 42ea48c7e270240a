//! The cost of the whole mix of each shipped scene with its session: nature
//! sounds spatialised, pacer sounds, buses, fades and the limiter.
//!
//! Criterion reports the time to render 10 s of sound; seconds of sound per
//! second of CPU is 10 s divided by that (the goal is at least 200).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stillpoint::audio::engine::{MixSettings, Mixer};
use stillpoint::audio::{SAMPLE_RATE_HZ, scene_sounds, seated_listener};
use stillpoint::breath::Guide;
use stillpoint::breath::session::load_session;
use stillpoint::commands::choose::session_named_by;
use stillpoint::scene::load_scene;

const SECONDS: usize = 10;

fn mix(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut group = c.benchmark_group("mix_10s");
    group.sample_size(20);
    group.throughput(Throughput::Elements(
        (SECONDS * SAMPLE_RATE_HZ as usize) as u64,
    ));
    for name in ["lake_dusk", "forest_clearing", "beach_sunset"] {
        let path = dir.join(format!("{name}.ron"));
        let scene = load_scene(&path).expect("valid scene");
        let session = session_named_by(&path).expect("a session");
        let guide = Guide::from_file(&load_session(&session).expect("valid session"), None)
            .expect("room to hold");
        let sounds = scene_sounds(&scene);
        let listener = seated_listener(&scene);
        // The sounds each scene's session asks for.
        let settings = MixSettings {
            swell: guide.sounds.swell,
            tone: guide.sounds.tone,
            chime: guide.sounds.chime,
            ..MixSettings::default()
        };
        let mut buffer = vec![0.0f32; SECONDS * SAMPLE_RATE_HZ as usize * 2];
        group.bench_function(name, |b| {
            // One mixer across iterations, as in the app: a long session is
            // rendered 10 s at a time, from the settling in to the hold.
            let mut mixer = Mixer::new(&sounds, Some(guide.schedule.clone()), settings, listener);
            b.iter(|| {
                mixer.render(&mut buffer);
                std::hint::black_box(&buffer);
            });
        });
    }
    group.finish();
}

/// The parts of the mix, one second each: every voice kind alone, and one
/// spatialised emitter, to see where the time goes.
fn parts(c: &mut Criterion) {
    use stillpoint::audio::spatial::{Emitter, Spatializer};
    use stillpoint::audio::voices::{SoundKind, voice};
    let frames = SAMPLE_RATE_HZ as usize;
    let mut group = c.benchmark_group("parts_1s");
    group.sample_size(20);
    group.throughput(Throughput::Elements(frames as u64));
    let mut mono = vec![0.0f32; frames];
    for kind in SoundKind::ALL {
        let mut v = voice(kind, 1);
        group.bench_function(format!("{kind:?}"), |b| {
            b.iter(|| {
                for block in mono.chunks_mut(64) {
                    v.render(block);
                }
                std::hint::black_box(&mono);
            });
        });
    }
    let emitter = Emitter {
        position: [-5.0, 1.0, -3.0],
        gain_db: 0.0,
        size_m: 2.0,
    };
    let listener = stillpoint::audio::spatial::Listener::from_yaw([0.0, 1.2, 0.0], 0.3);
    let mut spatializer = Spatializer::new();
    let (mut left, mut right) = (vec![0.0f32; frames], vec![0.0f32; frames]);
    group.bench_function("spatializer", |b| {
        b.iter(|| {
            for ((m, l), r) in mono
                .chunks(64)
                .zip(left.chunks_mut(64))
                .zip(right.chunks_mut(64))
            {
                spatializer.process(&emitter, &listener, m, l, r, false);
            }
            std::hint::black_box(&left);
        });
    });
    let mut limiter = stillpoint::audio::limiter::Limiter::new(-1.0);
    let mut stereo: Vec<f32> = (0..frames * 2)
        .map(|i| ((i as f32) * 0.01).sin() * 0.5)
        .collect();
    group.bench_function("limiter", |b| {
        b.iter(|| {
            for block in stereo.chunks_mut(128) {
                limiter.process(block);
            }
            std::hint::black_box(&stereo);
        });
    });
    let mut swell = stillpoint::audio::pacer_sounds::Swell::new(3);
    group.bench_function("swell", |b| {
        b.iter(|| {
            for (k, block) in mono.chunks_mut(64).enumerate() {
                let f = (k as f32 * 0.001).sin().abs();
                swell.render(block, f, f + 0.0005);
            }
            std::hint::black_box(&mono);
        });
    });
    let mut chime = stillpoint::audio::pacer_sounds::Chime::new();
    group.bench_function("chime", |b| {
        b.iter(|| {
            chime.trigger(10);
            for block in mono.chunks_mut(64) {
                chime.render(block);
            }
            std::hint::black_box(&mono);
        });
    });
    group.finish();
}

criterion_group!(benches, mix, parts);
criterion_main!(benches);
