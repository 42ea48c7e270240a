//! Our own time per frame in the headset: the whole app as it runs in the
//! headset (scene animation, clock, pacer, sound link, overlays and every
//! headset system), stepped at 90 frames a second with a moving head, less
//! Bevy alone stepping the same way. No runtime and no GPU: what is measured
//! is what we add on top of Bevy and the runtime.
//!
//! After the timings it prints how many heap allocations a frame makes, for
//! the app and for Bevy alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use bevy::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};
use stillpoint::app::harness::{FRAME, Harness, bare_app, single_threaded};

/// Counts allocations, for the figures printed after the timings.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn scenes() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

/// A head that looks slowly around, as a seated person does.
fn head_at(frame: u64) -> Transform {
    let t = frame as f32 / 90.0;
    Transform::from_xyz(0.02 * (t * 0.7).sin(), 0.01 * (t * 0.5).sin(), 0.0).with_rotation(
        Quat::from_rotation_y(0.5 * (t * 0.3).sin()) * Quat::from_rotation_x(0.1 * (t * 0.4).sin()),
    )
}

fn headset(scene: &str, one_thread: bool) -> (Harness, u64) {
    let mut harness = Harness::new(&scenes(), scene);
    assert!(harness.until_shown(2_000), "{scene} did not load");
    if one_thread {
        single_threaded(&mut harness.app);
    }
    // Past the first frames' one-off work (placing the pacer, the panel).
    let mut frame = 0;
    for _ in 0..180 {
        frame += 1;
        harness.set_head(head_at(frame));
        harness.step();
    }
    (harness, frame)
}

fn frame_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("headset frame");
    for one_thread in [false, true] {
        let how = if one_thread { "one thread" } else { "parallel" };
        for scene in ["lake_dusk.ron", "forest_clearing.ron", "beach_sunset.ron"] {
            let (mut harness, mut frame) = headset(scene, one_thread);
            group.bench_function(format!("{how}: {scene}, the app"), |b| {
                b.iter(|| {
                    frame += 1;
                    harness.set_head(head_at(frame));
                    harness.step();
                })
            });
        }
        let mut bare = bare_app(&scenes(), FRAME, false);
        bare.update();
        if one_thread {
            single_threaded(&mut bare);
        }
        group.bench_function(format!("{how}: Bevy alone"), |b| b.iter(|| bare.update()));
    }
    group.finish();
}

/// The headset frame in the spiders scene with no record, a plain record
/// and an encrypted one, a SUDS given every 90 frames so the record is
/// written to: the frame only queues what its writer thread commits.
fn with_the_record(c: &mut Criterion) {
    let mut group = c.benchmark_group("headset frame, the record");
    for how in ["none", "plain", "encrypted"] {
        let dir = std::env::temp_dir().join(format!(
            "stillpoint-bench-record-{}-{how}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mut harness = Harness::new(&scenes(), "spiders.ron");
        if how != "none" {
            let passphrase = (how == "encrypted").then(|| {
                stillpoint::journal::store::Passphrase::new(
                    "a calm lake at dusk, for the bench".into(),
                )
            });
            harness.app.add_plugins(stillpoint::journal::JournalPlugin {
                recording: stillpoint::journal::Recording {
                    path: dir.join("journal.sqlite3"),
                    client: stillpoint::journal::store::ClientRef::Alias("bench".into()),
                    relaxation: false,
                    encrypt: passphrase.is_some(),
                    passphrase,
                },
            });
        }
        assert!(harness.until_shown(2_000), "the kitchen did not load");
        let mut frame = 0u64;
        for _ in 0..180 {
            frame += 1;
            harness.set_head(head_at(frame));
            harness.step();
        }
        group.bench_function(format!("spiders, record {how}"), |b| {
            b.iter(|| {
                frame += 1;
                if frame.is_multiple_of(90) {
                    let world = harness.app.world_mut();
                    world.write_message(stillpoint::state::Intent::Suds(
                        stillpoint::state::SudsChange::Record((frame % 100) as u8),
                    ));
                }
                harness.set_head(head_at(frame));
                harness.step();
            })
        });
        drop(harness);
        let _ = std::fs::remove_dir_all(&dir);
    }
    group.finish();
}

/// The frame that starts a step change or an event, against a plain frame
/// of the same scene: how much the change itself costs the frame it lands
/// in (the frames after it glide, and cost what a plain frame does plus the
/// glide).
fn exposure_changes(c: &mut Criterion) {
    use std::time::{Duration, Instant};
    use stillpoint::state::{Intent, StepChange};
    let mut group = c.benchmark_group("headset exposure");
    // (scene, the step to start at, from 0, what to time)
    let cases: [(&str, usize, &str); 5] = [
        ("heights.ron", 4, "plain frame"),
        ("heights.ron", 4, "step change to another place"),
        ("heights.ron", 4, "event: gust"),
        ("spiders.ron", 6, "plain frame"),
        ("spiders.ron", 6, "step change, spiders appear"),
    ];
    for (scene, step, what) in cases {
        let mut harness = Harness::new(&scenes(), scene).at_step(step);
        assert!(harness.until_shown(2_000), "{scene} did not load");
        let mut frame = 0u64;
        for _ in 0..180 {
            frame += 1;
            harness.set_head(head_at(frame));
            harness.step();
        }
        let mut up = true;
        group.bench_function(format!("{scene}: {what}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let intent = match what {
                        "plain frame" => None,
                        "event: gust" => Some(Intent::FireEvent("gust".into())),
                        _ => Some(Intent::Step(if up {
                            StepChange::Up
                        } else {
                            StepChange::Down
                        })),
                    };
                    up = !up;
                    if let Some(intent) = intent {
                        harness.app.world_mut().write_message(intent);
                    }
                    frame += 1;
                    harness.set_head(head_at(frame));
                    let start = Instant::now();
                    harness.step();
                    total += start.elapsed();
                    // Untimed frames between, so each change starts from
                    // a scene at rest as a therapist's would.
                    for _ in 0..3 {
                        frame += 1;
                        harness.set_head(head_at(frame));
                        harness.step();
                    }
                }
                total
            })
        });
    }
    group.finish();
}

fn allocations(_: &mut Criterion) {
    for one_thread in [false, true] {
        count_allocations(one_thread);
    }
}

fn count_allocations(one_thread: bool) {
    let (mut harness, mut frame) = headset("lake_dusk.ron", one_thread);
    let frames = 900;
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..frames {
        frame += 1;
        harness.set_head(head_at(frame));
        harness.step();
    }
    let app = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / frames as f64;
    let mut bare = bare_app(&scenes(), FRAME, false);
    bare.update();
    if one_thread {
        single_threaded(&mut bare);
    }
    for _ in 0..180 {
        bare.update();
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..frames {
        bare.update();
    }
    let alone = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / frames as f64;
    let how = if one_thread { "one thread" } else { "parallel" };
    println!(
        "{how}: allocations per frame over {frames} frames: the app {app:.2}, Bevy alone {alone:.2}"
    );
    if one_thread {
        by_schedule(&mut harness, frame, "the app");
        by_schedule_bare(&mut bare);
    }
}

/// Allocations per frame in each of the main schedules, run one by one as
/// the main schedule runs them.
fn count_by_schedule(
    world: &mut World,
    frames: u32,
    mut before_frame: impl FnMut(&mut World),
) -> Vec<(String, f64)> {
    let labels = world
        .resource::<bevy::app::MainScheduleOrder>()
        .labels
        .clone();
    let mut counts = vec![0u64; labels.len()];
    for _ in 0..frames {
        before_frame(world);
        for (i, label) in labels.iter().enumerate() {
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            let _ = world.try_run_schedule(*label);
            counts[i] += ALLOCATIONS.load(Ordering::Relaxed) - before;
        }
        world.clear_trackers();
    }
    labels
        .iter()
        .zip(counts)
        .map(|(label, n)| (format!("{label:?}"), n as f64 / f64::from(frames)))
        .collect()
}

fn by_schedule(harness: &mut Harness, mut frame: u64, who: &str) {
    let clock = harness.clock.clone();
    let counts = count_by_schedule(harness.app.world_mut(), 900, |world| {
        frame += 1;
        let samples = frame * 48_000 / 90;
        clock.publish(samples, samples, true);
        let head = head_at(frame);
        let mut eyes = world.query::<(&bevy_mod_xr::camera::XrCamera, &mut Transform)>();
        for (_, mut transform) in eyes.iter_mut(world) {
            *transform = head;
        }
    });
    print_counts(who, &counts);
}

fn by_schedule_bare(bare: &mut App) {
    let counts = count_by_schedule(bare.world_mut(), 900, |_| {});
    print_counts("Bevy alone", &counts);
}

fn print_counts(who: &str, counts: &[(String, f64)]) {
    let parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0.0)
        .map(|(label, n)| format!("{label} {n:.2}"))
        .collect();
    println!(
        "one thread, {who}, allocations per frame by schedule: {}",
        parts.join(", ")
    );
}

criterion_group!(
    benches,
    frame_time,
    exposure_changes,
    with_the_record,
    allocations
);
criterion_main!(benches);
