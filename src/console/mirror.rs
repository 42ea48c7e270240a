//! The window's mirror for the console: while a page watches, the window is
//! captured about twice a second and shrunk to a small PNG on a thread of
//! its own, so the frame only asks for the capture. While a remote
//! connection wants the client's view, it is captured up to 15 times a
//! second and each capture goes to the video encoder too
//! ([`crate::remote::video`]).

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::PrimaryWindow;

use super::Console;

/// How often the mirror is taken while a page watches.
const EVERY: Duration = Duration::from_millis(500);

/// How often the window is taken while a connection wants the view.
const VIDEO_EVERY: Duration = Duration::from_millis(1000 / crate::remote::video::FPS as u64);

/// The mirror's width in pixels (its height follows the window's shape).
const WIDTH: u32 = 320;

/// The latest mirror, as PNG bytes, for the server to hand out.
#[derive(Default)]
pub(crate) struct Latest {
    /// The PNG, once one is made.
    pub(crate) png: Mutex<Option<Arc<Vec<u8>>>>,
}

/// The app's side: when the last capture was asked for, whether one is
/// still on its way, and the way to the shrinking thread.
#[derive(Resource)]
pub(super) struct Mirror {
    asked: Option<Instant>,
    /// When a capture last went to the PNG.
    shrunk: Option<Instant>,
    waiting: Arc<std::sync::atomic::AtomicBool>,
    to_shrink: SyncSender<Image>,
}

impl Mirror {
    /// Starts the shrinking thread, which puts each mirror in `latest`.
    pub(super) fn start(latest: Arc<Latest>) -> std::io::Result<Self> {
        // One capture at a time: the queue holds one.
        let (to_shrink, shrink) = sync_channel(1);
        std::thread::Builder::new()
            .name("stillpoint mirror".into())
            .spawn(move || shrink_each(shrink, latest))?;
        Ok(Self {
            asked: None,
            shrunk: None,
            waiting: Arc::default(),
            to_shrink,
        })
    }
}

fn shrink_each(images: Receiver<Image>, latest: Arc<Latest>) {
    for image in images {
        let Ok(picture) = image.try_into_dynamic() else {
            continue;
        };
        let rgb = picture.to_rgb8();
        let height = (rgb.height() * WIDTH / rgb.width().max(1)).max(1);
        let small = image::imageops::thumbnail(&rgb, WIDTH, height);
        let mut png = Vec::new();
        if small
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .is_ok()
        {
            *latest.png.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(png));
        }
    }
}

/// Asks for a capture of the window while a page watches, at most every
/// [`EVERY`], one at a time.
pub(super) fn capture(
    mut commands: Commands,
    console: Res<Console>,
    mirror: Option<ResMut<Mirror>>,
    windows: Query<(), With<PrimaryWindow>>,
) {
    let Some(mut mirror) = mirror else {
        return;
    };
    let video = console.shared.video.get().filter(|v| v.wanted()).cloned();
    let watched = console.shared.watching() > 0;
    if (!watched && video.is_none()) || windows.is_empty() {
        return;
    }
    let now = Instant::now();
    let every = if video.is_some() { VIDEO_EVERY } else { EVERY };
    if mirror.asked.is_some_and(|t| now.duration_since(t) < every)
        || mirror.waiting.load(std::sync::atomic::Ordering::Acquire)
    {
        return;
    }
    mirror.asked = Some(now);
    let shrink = watched && mirror.shrunk.is_none_or(|t| now.duration_since(t) >= EVERY);
    if shrink {
        mirror.shrunk = Some(now);
    }
    mirror
        .waiting
        .store(true, std::sync::atomic::Ordering::Release);
    let waiting = mirror.waiting.clone();
    let to_shrink = mirror.to_shrink.clone();
    commands.spawn(Screenshot::primary_window()).observe(
        move |mut captured: On<ScreenshotCaptured>| {
            // A mirror still being shrunk means this one is dropped.
            if shrink {
                let _ = to_shrink.try_send(captured.image.clone());
            }
            if let Some(video) = video.as_ref() {
                let image = &mut captured.image;
                let bgra = matches!(
                    image.texture_descriptor.format,
                    bevy::render::render_resource::TextureFormat::Bgra8Unorm
                        | bevy::render::render_resource::TextureFormat::Bgra8UnormSrgb
                );
                let (width, height) = (image.width(), image.height());
                // The pixels move to the encoder, not copied; dropped
                // there when it is still busy with the last.
                if let Some(rgba) = image.data.take() {
                    video.offer(crate::remote::video::Picture {
                        rgba,
                        width,
                        height,
                        bgra,
                    });
                }
            }
            waiting.store(false, std::sync::atomic::Ordering::Release);
        },
    );
}
