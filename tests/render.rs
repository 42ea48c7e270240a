//! Real frames: every shipped scene rendered offscreen by `stillpoint
//! screenshot` (on the CPU with lavapipe where there is no GPU), saved under
//! `target/test-output/render/` for people to look at, and checked pixel by
//! pixel; and the picture's phase changes, found frame by frame through the
//! same offscreen path, against the chimes heard in the sound over an hour.

use std::path::{Path, PathBuf};

use image::RgbImage;

use crate::common::{output_dir, scenes_dir, stillpoint};

const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;

fn screenshot(scene: &Path, out: &Path, at: f64) -> RgbImage {
    screenshot_at_step(scene, out, at, None)
}

/// A screenshot of an exposure scene at `step` (counted from 1).
fn screenshot_at_step(scene: &Path, out: &Path, at: f64, step: Option<u32>) -> RgbImage {
    let mut command = stillpoint();
    if let Some(step) = step {
        command.args(["--step", &step.to_string()]);
    }
    let status = command
        .args([
            "screenshot",
            "--width",
            &WIDTH.to_string(),
            "--height",
            &HEIGHT.to_string(),
        ])
        .arg("--at")
        .arg(at.to_string())
        .arg("--scene")
        .arg(scene)
        .arg("--out")
        .arg(out)
        .status()
        .expect("stillpoint runs");
    assert!(
        status.success(),
        "screenshot of {} failed: {status}",
        scene.display()
    );
    image::open(out).expect("the screenshot is a PNG").to_rgb8()
}

/// Mean colour of a band of rows, `from` and `to` as fractions of the height.
fn band_mean(image: &RgbImage, from: f32, to: f32) -> [f32; 3] {
    let (y0, y1) = (
        (image.height() as f32 * from) as u32,
        (image.height() as f32 * to) as u32,
    );
    let mut sum = [0.0f64; 3];
    let mut n = 0.0;
    for y in y0..y1 {
        for x in 0..image.width() {
            let p = image.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
            n += 1.0;
        }
    }
    [
        (sum[0] / n) as f32,
        (sum[1] / n) as f32,
        (sum[2] / n) as f32,
    ]
}

fn luma(c: [f32; 3]) -> f32 {
    0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
}

/// Fraction of pixels in a band of rows for which `test` holds.
fn fraction(image: &RgbImage, from: f32, to: f32, test: impl Fn([f32; 3]) -> bool) -> f32 {
    let (y0, y1) = (
        (image.height() as f32 * from) as u32,
        (image.height() as f32 * to) as u32,
    );
    let mut hits = 0;
    let mut n = 0;
    for y in y0..y1 {
        for x in 0..image.width() {
            let p = image.get_pixel(x, y);
            if test([f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]) {
                hits += 1;
            }
            n += 1;
        }
    }
    hits as f32 / n as f32
}

fn distinct_colours(image: &RgbImage) -> usize {
    let mut seen = std::collections::HashSet::new();
    for p in image.pixels() {
        seen.insert((p[0] / 8, p[1] / 8, p[2] / 8));
    }
    seen.len()
}

fn mean_difference(a: &RgbImage, b: &RgbImage) -> f32 {
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f32 / a.as_raw().len() as f32
}

struct Shot {
    name: &'static str,
    image: RgbImage,
}

#[test]
fn every_scene_renders_as_the_place_it_names() {
    let out = output_dir("render");
    let shots: Vec<Shot> = ["lake_dusk", "forest_clearing", "beach_sunset"]
        .into_iter()
        .map(|name| {
            let scene: PathBuf = scenes_dir().join(format!("{name}.ron"));
            let image = screenshot(&scene, &out.join(format!("{name}.png")), 12.0);
            Shot { name, image }
        })
        .collect();

    for shot in &shots {
        let image = &shot.image;
        assert_eq!((image.width(), image.height()), (WIDTH, HEIGHT));
        let colours = distinct_colours(image);
        assert!(
            colours > 150,
            "{}: only {colours} colours: a flat picture",
            shot.name
        );
        let sky = band_mean(image, 0.0, 0.12);
        let ground = band_mean(image, 0.88, 1.0);
        assert!(luma(sky) > 40.0, "{}: the sky is dark: {sky:?}", shot.name);
        assert!(
            luma(sky) > luma(ground) + 10.0,
            "{}: sky {sky:?} is not brighter than the ground {ground:?}",
            shot.name
        );
        // Nothing is blown out to white over a large area: no glare.
        let white = fraction(image, 0.0, 1.0, |p| p.iter().all(|&c| c > 250.0));
        assert!(
            white < 0.02,
            "{}: {:.1} % of the picture is white",
            shot.name,
            white * 100.0
        );
    }

    let lake = &shots[0].image;
    // A warm peach glow low in the sky, a cooler dusty blue above it, and
    // dark green shores.
    let low_sky = band_mean(lake, 0.30, 0.40);
    let high_sky = band_mean(lake, 0.0, 0.08);
    assert!(
        low_sky[0] > low_sky[2] + 15.0,
        "lake: the horizon is not warm: {low_sky:?}"
    );
    assert!(
        high_sky[2] - high_sky[0] > low_sky[2] - low_sky[0] + 10.0,
        "lake: the sky does not cool upwards: {high_sky:?} vs {low_sky:?}"
    );
    let dark_green = fraction(lake, 0.3, 1.0, |[r, g, b]| g > r && g >= b && g < 110.0);
    assert!(
        dark_green > 0.08,
        "lake: {:.1} % dark green",
        dark_green * 100.0
    );

    let forest = &shots[1].image;
    let green = fraction(forest, 0.0, 1.0, |[r, g, b]| g > r + 8.0 && g > b + 8.0);
    assert!(
        green > 0.35,
        "forest: only {:.1} % of the picture is green",
        green * 100.0
    );
    let blue_sky = fraction(forest, 0.0, 0.4, |[r, _, b]| b > r + 20.0);
    assert!(
        blue_sky > 0.02,
        "forest: no blue sky shows through: {:.2} %",
        blue_sky * 100.0
    );

    let beach = &shots[2].image;
    let orange = fraction(beach, 0.0, 0.45, |[r, g, b]| r > g + 30.0 && g > b);
    assert!(
        orange > 0.2,
        "beach: the sky is not orange: {:.1} %",
        orange * 100.0
    );
    let sand = fraction(beach, 0.75, 1.0, |[r, g, b]| {
        r > b + 25.0 && g > b && r > 90.0
    });
    assert!(
        sand > 0.4,
        "beach: no pale sand in the foreground: {:.1} %",
        sand * 100.0
    );
    // The sea under a sunset sky is cooler than the sky just above it.
    let sea = band_mean(beach, 0.42, 0.48);
    let sky_above = band_mean(beach, 0.30, 0.37);
    assert!(
        sea[2] - sea[0] > sky_above[2] - sky_above[0] + 5.0,
        "beach: the sea {sea:?} is not cooler than the sky {sky_above:?}"
    );

    for (i, a) in shots.iter().enumerate() {
        for b in &shots[i + 1..] {
            let difference = mean_difference(&a.image, &b.image);
            assert!(
                difference > 20.0,
                "{} and {} look alike (mean difference {difference})",
                a.name,
                b.name
            );
        }
    }
}

#[test]
fn the_scene_moves_slowly_over_time() {
    let out = output_dir("render");
    let scene = scenes_dir().join("lake_dusk.ron");
    let a = screenshot(&scene, &out.join("lake_dusk_t0.png"), 0.0);
    let b = screenshot(&scene, &out.join("lake_dusk_t3.png"), 3.0);
    let difference = mean_difference(&a, &b);
    // The water and the fireflies move; the place stays the same place.
    assert!(difference > 0.05, "nothing moved in 3 s: {difference}");
    assert!(
        difference < 8.0,
        "the picture changed too much in 3 s: {difference}"
    );
}

#[test]
fn the_sun_lights_open_ground_and_the_tree_casts_a_shadow() {
    let out = output_dir("render");
    let lit = crate::common::fixture("open_ground.ron");
    let text = std::fs::read_to_string(&lit).unwrap();
    let dir = crate::common::scratch("shadows");
    let unshadowed = dir.join("open_ground_no_shadows.ron");
    std::fs::write(
        &unshadowed,
        text.replacen(
            "illuminance_lux: 30000.0)",
            "illuminance_lux: 30000.0, shadows: false)",
            1,
        ),
    )
    .unwrap();
    let with = screenshot(&lit, &out.join("open_ground.png"), 0.0);
    let without = screenshot(&unshadowed, &out.join("open_ground_no_shadows.png"), 0.0);
    // The near ground, left of the tree (the sun is in the east, so the
    // tree's shadow falls west, to the left): nothing stands between it and
    // the sun on the right half, so shadows change nothing there.
    let right_near = |image: &RgbImage| {
        let mut sum = 0.0;
        let mut n = 0.0;
        for y in (HEIGHT * 3 / 4)..HEIGHT {
            for x in (WIDTH * 3 / 4)..WIDTH {
                let p = image.get_pixel(x, y);
                sum += luma([f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]);
                n += 1.0;
            }
        }
        sum / n
    };
    let (a, b) = (right_near(&with), right_near(&without));
    assert!(
        b > 60.0,
        "the sunlit ground is dark even without shadows: {b}"
    );
    assert!(
        (a - b).abs() < b * 0.1,
        "open ground is shaded: {a} with shadows, {b} without"
    );
    // And shadows do something: the picture differs where the tree's shadow falls.
    let difference = mean_difference(&with, &without);
    assert!(difference > 0.2, "the tree casts no shadow: {difference}");
}

/// Renders `frames` frames of `scene` from `at`, `every` seconds apart, at a
/// small size, and returns them in order.
fn frame_sequence(scene: &Path, name: &str, at: f64, frames: u32, every: f64) -> Vec<RgbImage> {
    let dir = output_dir("flash").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("frame.png");
    let status = stillpoint()
        .args(["screenshot", "--width", "256", "--height", "144"])
        .args(["--at", &at.to_string(), "--every", &every.to_string()])
        .args(["--frames", &frames.to_string()])
        .arg("--scene")
        .arg(scene)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("stillpoint runs");
    assert!(status.success(), "frames of {name} failed: {status}");
    (0..frames)
        .map(|i| {
            let path = dir.join(format!("frame-{i:04}.png"));
            image::open(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .to_rgb8()
        })
        .collect()
}

// Each calm scene with its pacer running, in a test of its own so that
// the three run beside the rest of the suite.

#[test]
fn no_flashes_at_the_lake_with_its_pacer_running() {
    no_scene_flashes_with_its_pacer_running("lake_dusk.ron");
}

#[test]
fn no_flashes_in_the_forest_with_its_pacer_running() {
    no_scene_flashes_with_its_pacer_running("forest_clearing.ron");
}

#[test]
fn no_flashes_on_the_beach_with_its_pacer_running() {
    no_scene_flashes_with_its_pacer_running("beach_sunset.ron");
}

/// No more flashes than the limit in `scene` over the first paced breaths,
/// and the pacer seen to move.
fn no_scene_flashes_with_its_pacer_running(scene: &str) {
    use stillpoint::photosensitivity::{
        MAX_FLASHES_PER_S, count_flashes, region_luminance, region_pixels,
    };
    const FPS: f64 = 10.0;
    // 11 s from the first paced breath (after the 30 s of settling in).
    let frames = frame_sequence(&scenes_dir().join(scene), scene, 30.0, 110, 1.0 / FPS);
    let cell = region_pixels(144, 55.0);
    let series: Vec<Vec<f32>> = frames
        .iter()
        .map(|f| region_luminance(f.as_raw(), 256, 144, cell))
        .collect();
    let report = count_flashes(&series, FPS as f32);
    println!("{scene}: {report:?}");
    assert!(
        report.worst_flashes <= MAX_FLASHES_PER_S,
        "{scene}: {} flashes in one second in region {} ending at frame {}",
        report.worst_flashes,
        report.region,
        report.frame
    );
    // The pacer really ran: between empty and full lungs (30 s and
    // 32.4 s: the first breath in, at 10 a minute, takes 2.4 s) more
    // pixels changed strongly around it than in boxes of the same size
    // to either side, where only the scene moves.
    let changed = |x0: u32| {
        (60..120)
            .flat_map(|y| (x0..x0 + 64).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (a, b) = (frames[0].get_pixel(x, y), frames[24].get_pixel(x, y));
                (0..3).map(|c| u32::from(a[c].abs_diff(b[c]))).sum::<u32>() > 60
            })
            .count()
    };
    let (left, pacer, right) = (changed(16), changed(96), changed(176));
    println!("{scene}: pixels changed left {left}, around the pacer {pacer}, right {right}");
    assert!(
        pacer > left.max(right),
        "{scene}: the pacer did not move ({pacer} pixels changed around it, {left} and {right} to the sides)"
    );
}

#[test]
fn the_orb_is_larger_at_full_inhale_than_at_full_exhale() {
    let dir = output_dir("render");
    let lake = scenes_dir().join("lake_dusk.ron");
    let shot = |at: f64, name: &str| {
        let out = dir.join(name);
        let status = stillpoint()
            .args(["screenshot", "--width", "640", "--height", "360"])
            .args(["--rhythm", "4,0,6,0", "--at", &at.to_string()])
            .arg("--scene")
            .arg(&lake)
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("stillpoint runs");
        assert!(status.success());
        image::open(&out).unwrap().to_rgb8()
    };
    // At 4 s the breath in is complete; at 10 s the breath out.
    let full = shot(4.0, "pacer-full-inhale.png");
    let empty = shot(10.0, "pacer-full-exhale.png");
    // The orb is unlit and evenly coloured: count the pixels around the
    // middle of the view that have the colour of its centre.
    let orb = |image: &RgbImage| {
        let centre = *image.get_pixel(320, 207);
        assert!(centre[0] > 180, "no orb at the centre: {centre:?}");
        let mut n = 0;
        for y in 160..275 {
            for x in 240..400 {
                let p = image.get_pixel(x, y);
                let distance: u32 = (0..3).map(|c| u32::from(p[c].abs_diff(centre[c]))).sum();
                if distance <= 12 {
                    n += 1;
                }
            }
        }
        n
    };
    let (at_full, at_empty) = (orb(&full), orb(&empty));
    println!("orb pixels: full {at_full}, empty {at_empty}");
    assert!(
        at_empty > 30,
        "the orb is visible at empty lungs ({at_empty} pixels)"
    );
    assert!(
        at_full as f32 > 3.0 * at_empty as f32,
        "full inhale {at_full} pixels, full exhale {at_empty}"
    );
}

#[test]
fn without_a_sound_card_or_a_headset_the_app_runs_in_a_window_and_says_each_once() {
    let no_sound_card = std::fs::read_to_string("/proc/asound/cards")
        .map_or(true, |cards| cards.contains("no soundcards"));
    // No headset answers: a runtime file that does not exist means none,
    // even where an OpenXR loader is installed.
    let output = stillpoint()
        .args(["--quit-after", "6"])
        .env("RUST_LOG", "warn")
        .env("XR_RUNTIME_JSON", "/nonexistent/openxr_runtime.json")
        .output()
        .expect("stillpoint runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}\n{stderr}", output.status);
    let said = stderr.matches("runs silently").count();
    if no_sound_card {
        assert_eq!(said, 1, "said {said} times:\n{stderr}");
    } else {
        assert!(said <= 1, "said {said} times:\n{stderr}");
    }
    let why = stderr.matches("stillpoint: running in a window: ").count();
    assert_eq!(why, 1, "the window's reason said {why} times:\n{stderr}");
    assert!(
        stderr.contains("no OpenXR runtime"),
        "the reason does not name the missing runtime:\n{stderr}"
    );

    // Asked for the desktop, it never asks for a headset, so has nothing
    // to say about one.
    let output = stillpoint()
        .args(["--desktop", "--quit-after", "3"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("stillpoint runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}\n{stderr}", output.status);
    assert!(
        !stderr.contains("OpenXR") && !stderr.contains("headset"),
        "--desktop spoke of the headset:\n{stderr}"
    );
}

/// The rhythm of the sync test, in seconds: in, hold, out. Each breath is
/// 12 s, so an hour is 300 breaths and 900 changes.
const SYNC_RHYTHM: (f64, f64, f64) = (4.0, 2.0, 6.0);

/// The session file of the sync test: that rhythm, held for an hour.
fn sync_session(dir: &Path) -> PathBuf {
    let (inhale, hold, exhale) = SYNC_RHYTHM;
    let path = dir.join("sessions").join("hour.ron");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            "(\n    title: \"An hour\",\n    minutes: 60,\n    rhythm: Custom(inhale_s: {inhale}, hold_in_s: {hold}, exhale_s: {exhale}),\n)\n"
        ),
    )
    .unwrap();
    path
}

/// Every moment the rhythm's numbers say the phase changes, microseconds:
/// the end of each breath in, hold and breath out, for an hour.
fn sync_changes() -> Vec<u64> {
    let (inhale, hold, exhale) = SYNC_RHYTHM;
    let breath = inhale + hold + exhale;
    let breaths = (3600.0 / breath) as u64;
    (0..breaths)
        .flat_map(|n| {
            let start = n as f64 * breath;
            [start + inhale, start + inhale + hold, start + breath]
        })
        .map(|t| (t * 1e6).round() as u64)
        .collect()
}

/// The app as `stillpoint screenshot` builds it, in this process: the sync
/// meadow, offscreen at 640x360, the clocks set by hand.
fn offscreen_app(session: &Path) -> bevy::prelude::App {
    use stillpoint::breath::Guide;
    use stillpoint::breath::session::load_session;
    let guide = Guide::from_file(&load_session(session).expect("valid session"), None)
        .expect("room to hold");
    let mut app = guided_offscreen(
        &crate::common::fixture("sync_meadow.ron"),
        guide,
        (WIDTH, HEIGHT),
    );
    // Shaders and the first frames' one-off work settle.
    for _ in 0..6 {
        app.update();
    }
    app
}

/// Frames asked for at set clocks and read back through the offscreen
/// target, as `stillpoint screenshot` does. A frame comes back a few updates
/// after it is drawn, so several are kept in flight: each update draws one.
struct Prober {
    back: std::sync::Arc<std::sync::Mutex<Vec<(usize, RgbImage)>>>,
    asked: usize,
}

impl Prober {
    fn new() -> Self {
        Self {
            back: Default::default(),
            asked: 0,
        }
    }

    /// Draws the frame the picture shows when the sound leaving the app is
    /// at `heard` (microseconds), with `latency` still on its way to the
    /// ears; its number, to find it among [`Prober::update`]'s results.
    fn ask(&mut self, app: &mut bevy::prelude::App, heard: u64, latency: u64) -> usize {
        use bevy::prelude::*;
        use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
        {
            let mut clock = app
                .world_mut()
                .resource_mut::<stillpoint::clock::SessionClock>();
            clock.heard = heard;
            clock.latency = latency;
        }
        let target = app
            .world()
            .resource::<stillpoint::capture::OffscreenImage>()
            .0
            .clone();
        let id = self.asked;
        self.asked += 1;
        let back = std::sync::Arc::clone(&self.back);
        app.world_mut().spawn(Screenshot::image(target)).observe(
            move |captured: On<ScreenshotCaptured>| {
                let image = captured
                    .image
                    .clone()
                    .try_into_dynamic()
                    .expect("a readable frame")
                    .to_rgb8();
                back.lock().unwrap().push((id, image));
            },
        );
        self.update(app);
        id
    }

    fn update(&mut self, app: &mut bevy::prelude::App) {
        app.update();
    }

    /// The frames that have come back since the last call.
    fn take(&mut self) -> Vec<(usize, RgbImage)> {
        std::mem::take(&mut *self.back.lock().unwrap())
    }
}

/// Finding one change in the picture by halving an interval of the clock.
struct Bisection {
    index: usize,
    latency: u64,
    lo: u64,
    hi: u64,
    before: Option<RgbImage>,
    after: Option<RgbImage>,
    waiting: Option<(usize, u64)>,
}

impl Bisection {
    fn done(&self) -> bool {
        self.before.is_some() && self.after.is_some() && self.hi - self.lo <= 100
    }

    /// The next clock to look at, if this one is not waiting or done.
    fn next(&self) -> Option<u64> {
        if self.waiting.is_some() {
            return None;
        }
        match (&self.before, &self.after) {
            (None, _) => Some(self.lo),
            (_, None) => Some(self.hi),
            _ if self.done() => None,
            _ => Some((self.lo + self.hi) / 2),
        }
    }

    fn seen(&mut self, at: u64, frame: RgbImage) {
        self.waiting = None;
        match (&self.before, &self.after) {
            (None, _) => self.before = Some(frame),
            (_, None) => self.after = Some(frame),
            (Some(before), Some(after)) => {
                if caption_difference(&frame, before) < caption_difference(&frame, after) {
                    self.lo = at;
                } else {
                    self.hi = at;
                }
            }
        }
    }
}

/// How different two frames are in the caption's band (under the pacer).
fn caption_difference(a: &RgbImage, b: &RgbImage) -> u64 {
    let (y0, y1) = (HEIGHT * 3 / 4, HEIGHT - 8);
    let mut total = 0;
    for y in y0..y1 {
        for x in WIDTH / 6..WIDTH * 5 / 6 {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
            total += (0..3).map(|c| u64::from(p[c].abs_diff(q[c]))).sum::<u64>();
        }
    }
    total
}

#[test]
fn over_an_hour_the_picture_changes_phase_where_the_sound_chimes() {
    use stillpoint::audio::SAMPLE_RATE_HZ;
    use stillpoint::audio::engine::{CHIME_LEAD, MixSettings, Mixer};
    use stillpoint::audio::spatial::Listener;
    use stillpoint::breath::Guide;
    use stillpoint::breath::session::load_session;
    use stillpoint::breath::time::micros_from_frames;

    let dir = crate::common::scratch("sync");
    let session = sync_session(&dir);
    let changes = sync_changes();
    assert_eq!(changes.len(), 900);

    // The sound: the session rendered offline, the chime alone, and every
    // onset found in it.
    let guide = Guide::from_file(&load_session(&session).unwrap(), None).unwrap();
    let settings = MixSettings {
        nature: 0.0,
        swell: false,
        tone: false,
        ..MixSettings::default()
    };
    let mut mixer = Mixer::new(
        &[],
        Some(guide.schedule.clone()),
        settings,
        Listener::from_yaw([0.0; 3], 0.0),
    );
    let mut chunk = vec![0.0f32; 48_000 * 2];
    let mut left = vec![0.0f32; 48_000];
    let mut onsets = vec![];
    let mut detector = crate::common::Onsets::default();
    let mut frame = 0u64;
    while frame < 3_601 * u64::from(SAMPLE_RATE_HZ) {
        mixer.render(&mut chunk);
        for (l, pair) in left.iter_mut().zip(chunk.chunks_exact(2)) {
            *l = pair[0];
        }
        crate::common::chime_onsets(&left, frame, &mut detector, &mut onsets);
        frame += 48_000;
    }
    let heard_at: Vec<u64> = onsets
        .iter()
        .map(|&f| micros_from_frames(f, SAMPLE_RATE_HZ))
        .collect();
    assert_eq!(heard_at.len(), changes.len(), "one chime per change");
    let sound_errors_ms: Vec<f64> = heard_at
        .iter()
        .zip(&changes)
        .map(|(&at, &change)| (at as f64 - (change - CHIME_LEAD) as f64) / 1000.0)
        .collect();

    // The picture: for changes spread through the hour, the moment the
    // caption's pixels change, found by halving the interval between a
    // frame half a second before and one half a second after. Half of
    // them with an output latency set: the picture then waits for the sound
    // on its way to the ears.
    let mut app = offscreen_app(&session);
    let out = output_dir("sync");
    let mut searches: Vec<Bisection> = (0..changes.len())
        .step_by(75)
        .enumerate()
        .map(|(n, index)| {
            let latency = if n % 2 == 0 { 0 } else { 180_000 };
            Bisection {
                index,
                latency,
                lo: changes[index] + latency - 500_000,
                hi: changes[index] + latency + 500_000,
                before: None,
                after: None,
                waiting: None,
            }
        })
        .collect();
    let mut prober = Prober::new();
    let mut updates = 0;
    while !searches.iter().all(Bisection::done) {
        assert!(updates < 2_000, "the search does not end");
        updates += 1;
        // One frame asked for per update, taking turns.
        let turn = searches.iter().position(|s| s.next().is_some());
        match turn {
            Some(k) => {
                let at = searches[k].next().unwrap();
                let id = prober.ask(&mut app, at, searches[k].latency);
                searches[k].waiting = Some((id, at));
            }
            None => prober.update(&mut app),
        }
        for (id, frame) in prober.take() {
            let search = searches
                .iter_mut()
                .find(|s| s.waiting.is_some_and(|(w, _)| w == id))
                .expect("a frame that was asked for");
            let at = search.waiting.unwrap().1;
            search.seen(at, frame);
        }
    }
    println!("found {} changes in {updates} frames", searches.len());
    let mut picture_vs_sound_ms = vec![];
    for search in &searches {
        let (before, after) = (
            search.before.as_ref().unwrap(),
            search.after.as_ref().unwrap(),
        );
        let apart = caption_difference(before, after);
        assert!(
            apart > 1_000,
            "the caption did not change at change {} ({apart})",
            search.index
        );
        if search.index == 0 {
            before.save(out.join("before-change.png")).unwrap();
            after.save(out.join("after-change.png")).unwrap();
        }
        // Where the picture changed, as the ears hear it, against where the
        // sound's chime says the change is (its onset plus its lead).
        let seen = search.hi - search.latency;
        let heard = heard_at[search.index] + CHIME_LEAD;
        picture_vs_sound_ms.push((seen as f64 - heard as f64) / 1000.0);
        let change = changes[search.index];
        assert!(
            seen.abs_diff(change) <= 200,
            "change {}: the picture changed at {seen} µs, the rhythm says {change} µs",
            search.index
        );
    }
    let mean = |e: &[f64]| e.iter().map(|x| x.abs()).sum::<f64>() / e.len() as f64;
    let worst = |e: &[f64]| e.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    println!(
        "sound against the rhythm: {} chimes over an hour, mean error {:.3} ms, worst {:.3} ms",
        sound_errors_ms.len(),
        mean(&sound_errors_ms),
        worst(&sound_errors_ms)
    );
    println!(
        "picture against sound: {} changes, mean {:.3} ms, worst {:.3} ms",
        picture_vs_sound_ms.len(),
        mean(&picture_vs_sound_ms),
        worst(&picture_vs_sound_ms)
    );
    assert!(mean(&sound_errors_ms) < 2.0 && worst(&sound_errors_ms) < 5.0);
    let tenth = sound_errors_ms.len() / 10;
    let (early, late) = (
        mean(&sound_errors_ms[..tenth]),
        mean(&sound_errors_ms[sound_errors_ms.len() - tenth..]),
    );
    assert!(
        (late - early).abs() < 0.5,
        "the error grew from {early} to {late} ms"
    );
    assert!(
        mean(&picture_vs_sound_ms) < 2.0 && worst(&picture_vs_sound_ms) < 5.0,
        "{picture_vs_sound_ms:?}"
    );
}

/// Fraction of all pixels for which `test` holds, in the rectangle of
/// fractions `x` by `y`.
fn fraction_in(
    image: &RgbImage,
    x: (f32, f32),
    y: (f32, f32),
    test: impl Fn([f32; 3]) -> bool,
) -> f32 {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (mut hits, mut n) = (0u32, 0u32);
    for py in (y.0 * h) as u32..(y.1 * h) as u32 {
        for px in (x.0 * w) as u32..(x.1 * w) as u32 {
            let p = image.get_pixel(px, py);
            if test([f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]) {
                hits += 1;
            }
            n += 1;
        }
    }
    hits as f32 / n.max(1) as f32
}

fn sky_blue(c: [f32; 3]) -> bool {
    c[2] > c[0] + 10.0 && c[2] >= c[1] && luma(c) > 90.0
}

fn green(c: [f32; 3]) -> bool {
    c[1] > c[0] + 5.0 && c[1] > c[2] + 5.0
}

#[test]
fn the_heights_go_from_a_wall_at_the_foot_to_the_ground_far_below() {
    let out = output_dir("exposure");
    let scene = scenes_dir().join("heights.ron");
    let low = screenshot_at_step(&scene, &out.join("heights-step-1.png"), 6.0, Some(1));
    let high = screenshot_at_step(&scene, &out.join("heights-step-9.png"), 6.0, Some(9));
    let full = (0.0, 1.0);
    // At the foot: sky above the trees, the stone wall filling the bottom.
    let low_sky = fraction_in(&low, full, (0.0, 0.3), sky_blue);
    let low_wall = fraction_in(&low, full, (0.7, 1.0), |c| !green(c));
    // At the edge, looking down 40 m: the lawn and the tree tops fill the
    // picture down to the roof's edge, with no sky.
    let high_sky = fraction_in(&high, full, (0.0, 0.3), sky_blue);
    let high_ground = fraction_in(&high, full, (0.0, 0.75), green);
    println!(
        "heights: step 1 sky {low_sky:.2}, wall {low_wall:.2}; step 9 sky {high_sky:.2}, ground {high_ground:.2}"
    );
    assert!(low_sky > 0.3, "no sky above the terrace: {low_sky}");
    assert!(
        low_wall > 0.9,
        "no wall in front of the terrace: {low_wall}"
    );
    assert!(
        high_sky < 0.01,
        "sky seen looking down from the edge: {high_sky}"
    );
    assert!(
        high_ground > 0.7,
        "no ground far below the edge: {high_ground}"
    );
    // The roof's edge is under the person's feet: the bottom rows are the
    // pale roof, not the lawn.
    let roof = fraction_in(&high, full, (0.9, 1.0), |c| !green(c) && luma(c) > 100.0);
    assert!(roof > 0.8, "no roof at the bottom of the view: {roof}");
}

#[test]
fn the_spiders_go_from_a_poster_to_a_spider_near_the_hands() {
    let out = output_dir("exposure");
    let scene = scenes_dir().join("spiders.ron");
    let low = screenshot_at_step(&scene, &out.join("spiders-step-1.png"), 6.0, Some(1));
    let high = screenshot_at_step(&scene, &out.join("spiders-step-8.png"), 6.0, Some(8));
    // Spider-dark pixels on the near half of the table, in front of the
    // person: none at the first step, the large spider's at the last.
    let dark = |c: [f32; 3]| luma(c) < 28.0;
    let near = |image: &RgbImage| fraction_in(image, (0.2, 0.8), (0.6, 1.0), dark);
    let (before, after) = (near(&low), near(&high));
    println!("spiders: dark pixels near the person, step 1 {before:.4}, step 8 {after:.4}");
    assert!(
        before < 0.0005,
        "something dark near the person at step 1: {before}"
    );
    assert!(
        after > 0.003,
        "no spider near the person at step 8: {after}"
    );
    // The poster's drawing is there at both steps, on the far wall.
    let ink = |image: &RgbImage| fraction_in(image, (0.28, 0.4), (0.12, 0.35), dark);
    assert!(
        ink(&low) > 0.01 && ink(&high) > 0.01,
        "no drawing on the poster"
    );
}

/// An exposure scene offscreen at `width` x `height` from `step` (from
/// 0), its clock held so a test sets it frame by frame.
fn exposure_offscreen_at(scene: &str, width: u32, height: u32, step: usize) -> bevy::prelude::App {
    exposure_offscreen_as(scene, width, height, step, false)
}

/// The same, presented as in the headset when `headset`: the world-locked
/// panel, the veil as a shell around the head, the pacer's headset place;
/// the offscreen camera is then the head (see [`head_at_seat`]). The
/// window's own veil draws over it too, as on the headset's mirror, so a
/// change of place darkens this picture at least as much as the eyes'.
fn exposure_offscreen_as(
    scene: &str,
    width: u32,
    height: u32,
    step: usize,
    headset: bool,
) -> bevy::prelude::App {
    let launch = stillpoint::app::Launch {
        scene: scenes_dir().join(scene),
        output: stillpoint::app::Output::Offscreen { width, height },
        quit_after: None,
        frozen_at: Some(0.0),
        hints: false,
        guide: None,
        settings: stillpoint::settings::Settings::default(),
        silent: true,
        tap_mix: None,
        near_voice: None,
        headset: None,
        exposure_step: Some(step),
        journal: None,
        console: None,
    };
    let mut app = stillpoint::app::build_app(&launch).expect("the app builds");
    if headset {
        use stillpoint::state::{AppState, Listening, Presentation};
        stillpoint::overlay::panel::plugin(&mut app);
        let file = app
            .world()
            .resource::<stillpoint::scene::CurrentScene>()
            .path
            .clone();
        app.insert_resource(
            AppState::new(file, None, Listening::default(), Presentation::Headset)
                .for_exposure(step)
                .without_suds_questions(),
        );
    }
    app.finish();
    app.cleanup();
    assert!(
        crate::common::update_until(&mut app, std::time::Duration::from_secs(120), |w| {
            crate::common::generation(w) > 0
        }),
        "{scene} never appeared"
    );
    for _ in 0..10 {
        app.update();
    }
    app
}

/// Frames as they come back: their number and their region luminances.
type Frames = std::sync::Arc<std::sync::Mutex<Vec<(usize, Vec<f32>)>>>;

/// Walks an exposure scene up its whole hierarchy and fires every event at
/// the first step that allows it, drawing a frame every 0.1 s of scene time
/// throughout (the veil, on wall time, runs at least as fast as it would
/// for the person, since a frame takes longer to draw here than 0.1 s);
/// returns each frame's region luminances.
fn exposure_frames(scene: &str, headset: bool) -> Vec<Vec<f32>> {
    use bevy::prelude::*;
    use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
    use stillpoint::photosensitivity::{region_luminance, region_pixels};
    use stillpoint::state::{Intent, StepChange};
    const W: u32 = 256;
    const H: u32 = 144;
    let mut app = exposure_offscreen_as(scene, W, H, 0, headset);
    let plan = app
        .world()
        .resource::<stillpoint::scene::CurrentScene>()
        .shown
        .as_ref()
        .unwrap()
        .exposure
        .clone()
        .unwrap();
    let fov = app
        .world()
        .resource::<stillpoint::scene::CurrentScene>()
        .shown
        .as_ref()
        .unwrap()
        .seat
        .fov_deg;
    // What happens, and for how many frames it is watched.
    let mut script: Vec<(Option<Intent>, usize)> = vec![(None, 10)];
    for step in 0..plan.steps.len() {
        if step > 0 {
            script.push((
                Some(Intent::Step(StepChange::Up)),
                (plan.glide_s * 10.0) as usize + 2,
            ));
        }
        for event in plan
            .events
            .iter()
            .filter(|e| e.steps.first() == Some(&step))
        {
            script.push((
                Some(Intent::FireEvent(event.name.clone())),
                (event.seconds * 10.0) as usize + 2,
            ));
        }
    }
    let cell = region_pixels(H as usize, fov) as usize;
    let back: Frames = Default::default();
    let target = app
        .world()
        .resource::<stillpoint::capture::OffscreenImage>()
        .0
        .clone();
    let mut frame = 0usize;
    for (intent, frames) in script {
        if let Some(intent) = intent {
            app.world_mut().write_message(intent);
        }
        for _ in 0..frames {
            app.world_mut()
                .resource_mut::<stillpoint::clock::SceneClock>()
                .seconds = frame as f64 / 10.0;
            if headset {
                head_at_seat(&mut app);
            }
            let back = std::sync::Arc::clone(&back);
            let id = frame;
            app.world_mut()
                .spawn(Screenshot::image(target.clone()))
                .observe(move |captured: On<ScreenshotCaptured>| {
                    let image = captured
                        .image
                        .clone()
                        .try_into_dynamic()
                        .expect("a readable frame")
                        .to_rgb8();
                    let regions = region_luminance(image.as_raw(), W as usize, H as usize, cell);
                    back.lock().unwrap().push((id, regions));
                });
            app.update();
            frame += 1;
        }
    }
    let start = std::time::Instant::now();
    while back.lock().unwrap().len() < frame {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "frames lost"
        );
        app.update();
    }
    let mut frames = std::mem::take(&mut *back.lock().unwrap());
    frames.sort_by_key(|(id, _)| *id);
    frames.into_iter().map(|(_, regions)| regions).collect()
}

/// In the headset's presentation the head, not the app, places the view:
/// here the head sits still at the person's place, looking where the place
/// faces, as a person keeping still would.
fn head_at_seat(app: &mut bevy::prelude::App) {
    use bevy::prelude::*;
    let world = app.world_mut();
    let Some(view) = world
        .get_resource::<stillpoint::scene::spawn::SceneView>()
        .cloned()
    else {
        return;
    };
    let rotation = stillpoint::view::view_rotation(
        view.heading_deg,
        view.pitch_deg,
        &stillpoint::view::Look::default(),
    );
    let mut cameras = world.query_filtered::<&mut Transform, With<stillpoint::view::ViewCamera>>();
    for mut transform in cameras.iter_mut(world) {
        *transform = Transform::from_translation(view.eye).with_rotation(rotation);
    }
}

// The exposure scenes' steps and events, watched at ten frames a second:
// both scenes in the window, and the tower, whose steps move the person
// through the veil, in the headset's presentation too. One test each, so
// that the three run beside the rest of the suite, not one after another.

#[test]
fn no_step_change_or_event_flashes_at_the_heights() {
    no_step_change_or_event_flashes("heights.ron", false);
}

#[test]
fn no_step_change_or_event_flashes_among_the_spiders() {
    no_step_change_or_event_flashes("spiders.ron", false);
}

#[test]
fn no_step_change_or_event_flashes_at_the_heights_in_the_headset() {
    no_step_change_or_event_flashes("heights.ron", true);
}

/// Every step of `scene` and every event, watched: no more flashes than
/// the limit anywhere, and the steps changed what is seen.
fn no_step_change_or_event_flashes(scene: &str, headset: bool) {
    use stillpoint::photosensitivity::{MAX_FLASHES_PER_S, count_flashes};
    let frames = exposure_frames(scene, headset);
    let report = count_flashes(&frames, 10.0);
    let scene = if headset {
        format!("{scene} in the headset's presentation")
    } else {
        scene.to_owned()
    };
    println!("{scene}: {} frames, {report:?}", frames.len());
    assert!(
        report.worst_flashes <= MAX_FLASHES_PER_S,
        "{scene}: {} flashes in one second in region {} ending at frame {}",
        report.worst_flashes,
        report.region,
        report.frame
    );
    // The frames saw the steps: some region at the top of the
    // hierarchy is not as it was at the bottom.
    let (first, last) = (&frames[5], &frames[frames.len() - 1]);
    let change = first
        .iter()
        .zip(last)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        change > 0.02,
        "{scene}: the steps changed nothing on screen ({change})"
    );
}

/// The frame drawn at scene time `at`, read back.
fn capture_at(app: &mut bevy::prelude::App, at: f64) -> RgbImage {
    use bevy::prelude::*;
    use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
    app.world_mut()
        .resource_mut::<stillpoint::clock::SceneClock>()
        .seconds = at;
    let target = app
        .world()
        .resource::<stillpoint::capture::OffscreenImage>()
        .0
        .clone();
    let back: std::sync::Arc<std::sync::Mutex<Option<RgbImage>>> = Default::default();
    let slot = std::sync::Arc::clone(&back);
    app.world_mut().spawn(Screenshot::image(target)).observe(
        move |captured: On<ScreenshotCaptured>| {
            let image = captured.image.clone().try_into_dynamic().unwrap().to_rgb8();
            *slot.lock().unwrap() = Some(image);
        },
    );
    for _ in 0..100 {
        app.update();
        if let Some(image) = back.lock().unwrap().take() {
            return image;
        }
    }
    panic!("the frame never came back");
}

/// Pixels that differ between the same moment of `scene` at `step` (from
/// 0) without and with `event`, `into_s` seconds into it; the frame with it
/// is saved as `saved`.
fn seen_of_event(scene: &str, step: usize, event: &str, into_s: f64, saved: &str) -> usize {
    use stillpoint::state::Intent;
    let mut app = exposure_offscreen_at(scene, WIDTH, HEIGHT, step);
    let at = 10.0 + into_s;
    let before = capture_at(&mut app, at);
    app.world_mut()
        .resource_mut::<stillpoint::clock::SceneClock>()
        .seconds = 10.0;
    app.world_mut()
        .write_message(Intent::FireEvent(event.into()));
    app.update();
    let during = capture_at(&mut app, at);
    during.save(output_dir("exposure").join(saved)).unwrap();
    before
        .pixels()
        .zip(during.pixels())
        .filter(|(a, b)| (0..3).map(|c| u32::from(a[c].abs_diff(b[c]))).sum::<u32>() > 60)
        .count()
}

#[test]
fn the_bird_and_the_spider_on_its_thread_are_seen() {
    // From the open balcony, 24 m up (step 5), the bird passes below,
    // 2.6 s into its 6 s flight.
    let bird = seen_of_event("heights.ron", 4, "bird", 2.6, "heights-bird.png");
    // In the kitchen with the lid off (step 6), the spider hangs on its
    // thread over the table half-way through its 9 s drop.
    let spider = seen_of_event("spiders.ron", 5, "drop", 4.5, "spiders-drop.png");
    let all = (WIDTH * HEIGHT) as usize;
    println!("the bird changed {bird} pixels, the spider on its thread {spider}");
    // Something small and distinct, not a change of the whole view.
    for (what, n) in [("bird", bird), ("spider", spider)] {
        assert!(n >= 6, "no {what} seen: {n} pixels changed");
        assert!(n < all / 100, "too much changed for a {what}: {n}");
    }
}

#[test]
fn every_breathing_caption_sits_on_one_line_inside_its_box() {
    use bevy::prelude::*;
    use bevy::text::TextLayoutInfo;
    use stillpoint::breath::Guide;
    use stillpoint::breath::session::parse_rhythm;
    use stillpoint::pacer::PacerCaption;

    let (rhythm, sets) = parse_rhythm("4,7,8,2").expect("a rhythm");
    let mut app = guided_offscreen(
        &crate::common::scenes_dir().join("lake_dusk.ron"),
        Guide::rhythm_only(rhythm, sets, 5.0),
        (1280, 720),
    );
    // The captions one after another, as a person sees them change: every
    // count of a breath in, a hold, a breath out and a hold, so the box
    // laid out for one caption is laid out again for the next.
    let mut seen = Vec::new();
    for tenth in (5..=205).step_by(10) {
        let at_us = tenth * 100_000;
        app.world_mut()
            .resource_mut::<stillpoint::clock::SessionClock>()
            .heard = at_us;
        // Laid out, not drawn: the check reads the layout, no pixels.
        for _ in 0..3 {
            crate::common::update_undrawn(&mut app);
        }
        let world = app.world_mut();
        let mut captions =
            world.query_filtered::<(&Text, &TextLayoutInfo, &ComputedNode), With<PacerCaption>>();
        let (text, layout, node) = captions.single(world).expect("one caption in a window");
        assert!(!layout.glyphs.is_empty(), "{:?} was not laid out", text.0);
        let lines = layout
            .glyphs
            .iter()
            .map(|g| g.line_index)
            .max()
            .unwrap_or(0)
            + 1;
        assert_eq!(lines, 1, "{:?} wraps onto {lines} lines", text.0);
        // The words, all of them, inside the box that backs them.
        let inset = node.content_inset();
        let inner = node.size() - inset.min_inset - inset.max_inset;
        assert!(
            layout.size.x <= inner.x + 1.0,
            "{:?}: {} px of words in a box {} px wide",
            text.0,
            layout.size.x,
            inner.x
        );
        seen.push(text.0.clone());
    }
    for words in ["Breathe in", "Hold", "Breathe out"] {
        assert!(
            seen.iter().any(|s| s.starts_with(words)),
            "never saw {words:?}: {seen:?}"
        );
    }
}

/// The whole app rendering `scene` offscreen at `size`, its clocks held at
/// 0 for the test to set, with `guide` from the start; once it is shown.
fn guided_offscreen(
    scene: &Path,
    guide: stillpoint::breath::Guide,
    (width, height): (u32, u32),
) -> bevy::prelude::App {
    let launch = stillpoint::app::Launch {
        scene: scene.to_path_buf(),
        output: stillpoint::app::Output::Offscreen { width, height },
        quit_after: None,
        frozen_at: Some(0.0),
        hints: false,
        guide: Some(guide),
        settings: stillpoint::settings::Settings::default(),
        silent: true,
        tap_mix: None,
        near_voice: None,
        headset: None,
        exposure_step: None,
        journal: None,
        console: None,
    };
    let mut app = stillpoint::app::build_app(&launch).expect("the app builds");
    app.finish();
    app.cleanup();
    assert!(
        crate::common::update_until(&mut app, std::time::Duration::from_secs(120), |w| {
            crate::common::generation(w) > 0
        }),
        "{} never appeared",
        scene.display()
    );
    app
}
