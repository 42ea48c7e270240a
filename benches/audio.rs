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
use stillpoint::launch::session_named_by;
use stillpoint::scene::parse::parse_scene;

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
        let bytes = std::fs::read(&path).expect("scene");
        let scene = parse_scene(name, &bytes, &|p| dir.join(p).is_file()).expect("valid scene");
        let session = session_named_by(&path).expect("a session");
        let guide = Guide::from_file(&load_session(&session).expect("valid session"), None);
        let sounds = scene_sounds(&scene);
        let listener = seated_listener(&scene);
        let settings = MixSettings {
            tone: true,
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

criterion_group!(benches, mix);
criterion_main!(benches);
