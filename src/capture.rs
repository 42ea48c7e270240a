//! Offscreen frames and frame timing: `stillpoint screenshot` renders a scene
//! to a PNG with no window, and `stillpoint profile` measures frame times.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::{PipelineCache, TextureFormat, TextureUsages};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{Render, RenderApp, RenderSystems};

use crate::clock::SceneClock;
use crate::clock::SessionClock;
use crate::scene::CurrentScene;
use crate::view::CameraTarget;

/// Frames rendered after the scene appears and before the capture, so that
/// shadows, bloom and automatic exposure of the first frames have settled.
const SETTLE_FRAMES: u32 = 6;
/// Most frames a capture waits for pipelines still compiling (a pipeline
/// that fails is not waiting, so this is only a backstop).
const PIPELINE_WAIT_FRAMES: u32 = 2000;
/// Longest a capture may wait for its scene, real time.
const CAPTURE_TIMEOUT: Duration = Duration::from_secs(180);

/// The offscreen image the camera renders into.
#[derive(Resource, Debug, Clone)]
pub struct OffscreenImage(pub Handle<Image>);

/// Makes the camera render into an offscreen image of this size.
pub(crate) fn add_offscreen_target(app: &mut App, width: u32, height: u32) {
    let mut image = Image::new_target_texture(width, height, TextureFormat::Rgba8UnormSrgb, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let handle = app.world_mut().resource_mut::<Assets<Image>>().add(image);
    app.insert_resource(CameraTarget(RenderTarget::Image(handle.clone().into())))
        .insert_resource(OffscreenImage(handle))
        // Text keeps the proportions it has in a 720-pixel-high window, so a
        // small render is a small copy of the real view.
        .insert_resource(UiScale(height as f32 / 720.0));
}

/// How many render pipelines the render world is still compiling, as it
/// last saw. A material drawn for the first time (glass, or a prop fading
/// in) needs a pipeline of its own, compiled in the background; until it
/// is ready the thing is not drawn, so a capture waits for none to be
/// waiting.
#[derive(Resource, Debug, Clone, Default)]
struct PipelinesWaiting(Arc<AtomicUsize>);

fn count_waiting_pipelines(cache: Res<PipelineCache>, waiting: Res<PipelinesWaiting>) {
    waiting
        .0
        .store(cache.waiting_pipelines().count(), Ordering::Relaxed);
}

/// Where the screenshots go and how the capture is getting on.
#[derive(Resource, Debug)]
struct CaptureJob {
    out: PathBuf,
    at: f64,
    every: f64,
    frames: u32,
    settled: u32,
    /// Frames whose capture has been asked for.
    requested: u32,
    /// Frames written.
    saved: u32,
    /// Frames in a row that found no pipeline still compiling.
    ready_frames: u32,
}

/// The path of frame `index` of a capture of `frames` frames: `out` itself
/// for one frame, else `out` with a four-digit number before the extension.
fn frame_path(out: &std::path::Path, index: u32, frames: u32) -> PathBuf {
    if frames <= 1 {
        return out.to_path_buf();
    }
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "frame".into());
    out.with_file_name(format!("{stem}-{index:04}.png"))
}

/// Captures `frames` frames, `every` seconds of scene and session time apart
/// from `at`, once the scene is on screen, then exits: with success when every
/// PNG is written, with an error when the scene cannot load.
pub(crate) fn add_screenshot(app: &mut App, out: PathBuf, at: f64, frames: u32, every: f64) {
    app.insert_resource(CaptureJob {
        out,
        at,
        every,
        frames: frames.max(1),
        settled: 0,
        requested: 0,
        saved: 0,
        ready_frames: 0,
    })
    .add_systems(Last, request_capture);
    let waiting = PipelinesWaiting::default();
    app.insert_resource(waiting.clone());
    if let Some(render) = app.get_sub_app_mut(RenderApp) {
        render.insert_resource(waiting).add_systems(
            Render,
            count_waiting_pipelines.in_set(RenderSystems::Cleanup),
        );
    }
}

fn request_capture(
    mut job: ResMut<CaptureJob>,
    current: Res<CurrentScene>,
    image: Res<OffscreenImage>,
    time: Res<Time<Real>>,
    mut scene_clock: ResMut<SceneClock>,
    mut session_clock: ResMut<SessionClock>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
    waiting: Res<PipelinesWaiting>,
) {
    if job.saved >= job.frames {
        exit.write(AppExit::Success);
        return;
    }
    if job.requested >= job.frames {
        return;
    }
    if current.generation == 0 {
        if let Some(error) = &current.error {
            crate::tell!("{error}");
            exit.write(AppExit::error());
        } else if time.elapsed() > CAPTURE_TIMEOUT {
            crate::tell!(
                "the scene did not appear within {} s",
                CAPTURE_TIMEOUT.as_secs()
            );
            exit.write(AppExit::error());
        }
        return;
    }
    job.settled += 1;
    // The render world reports a frame late: two frames in a row with
    // nothing compiling mean everything on screen is drawn.
    if waiting.0.load(Ordering::Relaxed) == 0 {
        job.ready_frames += 1;
    } else {
        job.ready_frames = 0;
    }
    let drawn = job.ready_frames >= 2 || job.settled >= PIPELINE_WAIT_FRAMES;
    if job.settled < SETTLE_FRAMES || !drawn {
        return;
    }
    // This frame was drawn at the time set for frame `requested`; capture it,
    // then set the time of the next one for the next frame.
    let index = job.requested;
    let path = frame_path(&job.out, index, job.frames);
    job.requested += 1;
    commands.spawn(Screenshot::image(image.0.clone())).observe(
        move |captured: On<ScreenshotCaptured>,
              mut job: ResMut<CaptureJob>,
              mut exit: MessageWriter<AppExit>| {
            match save_png(&captured, &path) {
                Ok(()) => {
                    crate::say!("wrote {}", path.display());
                    job.saved += 1;
                }
                Err(e) => {
                    crate::tell!("{}: cannot write the screenshot: {e}", path.display());
                    exit.write(AppExit::error());
                }
            }
        },
    );
    let next = job.at + job.every * f64::from(job.requested);
    scene_clock.seconds = next;
    session_clock.heard = crate::breath::time::micros_from_s(next);
}

fn save_png(captured: &ScreenshotCaptured, path: &std::path::Path) -> Result<(), String> {
    captured
        .image
        .clone()
        .try_into_dynamic()
        .map_err(|e| e.to_string())
        .and_then(|image| {
            image
                .to_rgb8()
                .save_with_format(path, image::ImageFormat::Png)
                .map_err(|e| e.to_string())
        })
}

/// Frame-time statistics, milliseconds.
#[derive(Debug, Clone, PartialEq)]
struct FrameStats {
    /// Frames measured.
    frames: usize,
    /// Mean frame time.
    mean_ms: f64,
    /// Median frame time.
    median_ms: f64,
    /// 95th percentile.
    p95_ms: f64,
    /// Longest frame.
    max_ms: f64,
}

impl FrameStats {
    /// Statistics of frame times given in seconds; `None` for no frames.
    fn from_seconds(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted: Vec<f64> = samples.iter().map(|s| s * 1000.0).collect();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        Some(Self {
            frames: sorted.len(),
            mean_ms: sorted.iter().sum::<f64>() / sorted.len() as f64,
            median_ms: at(0.5),
            p95_ms: at(0.95),
            max_ms: at(1.0),
        })
    }
}

#[derive(Resource, Debug)]
struct Profiler {
    warmup: u32,
    frames: u32,
    seen: u32,
    samples: Vec<f64>,
    scene: String,
}

/// Measures `frames` frame times after `warmup` frames of the scene on
/// screen, prints them, and exits.
pub(crate) fn add_profiler(app: &mut App, warmup: u32, frames: u32, scene: String) {
    app.insert_resource(Profiler {
        warmup,
        frames,
        seen: 0,
        samples: Vec::with_capacity(frames as usize),
        scene,
    })
    .add_systems(Last, measure_frames);
}

fn measure_frames(
    mut profiler: ResMut<Profiler>,
    current: Res<CurrentScene>,
    time: Res<Time<Real>>,
    mut exit: MessageWriter<AppExit>,
) {
    if current.generation == 0 {
        if let Some(error) = &current.error {
            crate::tell!("{error}");
            exit.write(AppExit::error());
        }
        return;
    }
    profiler.seen += 1;
    if profiler.seen <= profiler.warmup {
        return;
    }
    profiler.samples.push(time.delta_secs_f64());
    if profiler.samples.len() as u32 >= profiler.frames {
        if let Some(stats) = FrameStats::from_seconds(&profiler.samples) {
            crate::say!(
                "{}: {} frames: mean {:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({:.1} frames per second)",
                profiler.scene,
                stats.frames,
                stats.mean_ms,
                stats.median_ms,
                stats.p95_ms,
                stats.max_ms,
                1000.0 / stats.mean_ms
            );
        }
        exit.write(AppExit::Success);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_stats_are_in_milliseconds() {
        let stats = FrameStats::from_seconds(&[0.010, 0.020, 0.030, 0.040, 0.100]).unwrap();
        assert_eq!(stats.frames, 5);
        assert!((stats.mean_ms - 40.0).abs() < 1e-9);
        assert!((stats.median_ms - 30.0).abs() < 1e-9);
        assert!((stats.max_ms - 100.0).abs() < 1e-9);
        assert!(FrameStats::from_seconds(&[]).is_none());
    }
}
