//! Load + validate + spawn of each shipped scene, and of a stress scene
//! with 10,000 scattered instances.
//!
//! Everything up to the GPU: checking the file, generating the terrain,
//! water, sky and plant meshes and placing every instance (which the app's
//! loader does off the main thread), then creating the entities and assets
//! in a Bevy world (which a frame does).

use std::hint::black_box;
use std::path::Path;

use bevy::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};
use stillpoint::diagnostics::ron_options;
use stillpoint::render::{PlantMaterial, WaterMaterial};
use stillpoint::scene::format::{Area, Scatter, ScatterKind};
use stillpoint::scene::model::Scene;
use stillpoint::scene::parse::parse_scene;
use stillpoint::scene::spawn::spawn_scene;

fn world() -> World {
    let mut world = World::new();
    world.init_resource::<Assets<Mesh>>();
    world.init_resource::<Assets<StandardMaterial>>();
    world.init_resource::<Assets<PlantMaterial>>();
    world.init_resource::<Assets<WaterMaterial>>();
    world
}

fn load_validate_spawn(name: &str, bytes: &[u8]) {
    let file = parse_scene(name, bytes, &|_| true).expect("a valid scene");
    let scene = Scene::from_checked(&file, bytes);
    let mut world = world();
    black_box(spawn_scene(&mut world, &scene));
}

/// The lake scene with its scatter replaced by 10,000 instances of five
/// kinds.
fn stress_scene(lake: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(lake).expect("UTF-8");
    let mut scene: stillpoint::scene::format::SceneFile =
        ron_options().from_str(text).expect("parses");
    let kinds = [
        ScatterKind::Pine,
        ScatterKind::Broadleaf,
        ScatterKind::Rock,
        ScatterKind::Grass,
        ScatterKind::Bush,
    ];
    scene.scatter = kinds
        .iter()
        .map(|&kind| Scatter {
            kind,
            count: 2_000,
            area: Area::Everywhere,
            altitude_m: None,
            scale: (0.8, 1.2),
            color: (0.1, 0.2, 0.05),
            color_variation: 0.1,
        })
        .collect();
    ron_options()
        .to_string_pretty(&scene, ron::ser::PrettyConfig::default())
        .expect("serialises")
        .into_bytes()
}

fn benches(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut group = c.benchmark_group("load_validate_spawn");
    group.sample_size(10);
    for name in ["lake_dusk", "forest_clearing", "beach_sunset"] {
        let bytes = std::fs::read(dir.join(format!("{name}.ron"))).expect("shipped scene");
        group.bench_function(name, |b| b.iter(|| load_validate_spawn(name, &bytes)));
    }
    let lake = std::fs::read(dir.join("lake_dusk.ron")).expect("shipped scene");
    let stress = stress_scene(&lake);
    let placed = {
        let scene = parse_scene("stress", &stress, &|_| true).expect("valid");
        stillpoint::scene::blueprint::Blueprint::new(&scene).instance_count()
    };
    println!("stress scene: {placed} instances placed");
    group.bench_function("stress_10k_instances", |b| {
        b.iter(|| load_validate_spawn("stress", &stress))
    });
    group.finish();
}

criterion_group!(scene, benches);
criterion_main!(scene);
