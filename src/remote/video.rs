//! The client's view for the therapist: pictures of the window (or the
//! headset's mirror, which the window shows) made small, turned into I420
//! and encoded as VP8 on a thread of its own, for whichever connection is
//! open.
//!
//! The frame loop only asks for a capture while a connection wants the
//! picture, and hands it over without waiting: a picture that finds the
//! encoder busy is dropped, never waited for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::vp8::Vp8Encoder;

/// The picture sent: 640×360 (the window's shape; another shape is fitted
/// inside with black bars).
pub const WIDTH: u32 = 640;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 360;
/// Pictures a second asked for while a connection wants them.
pub const FPS: u32 = 15;
/// About this many kilobits a second.
const KBPS: u32 = 700;
/// Encoded frames that may wait for the connection.
const WAITING: usize = 4;

/// A window's picture as the capture gives it: 8-bit RGBA, row by row.
pub struct Picture {
    /// The pixels.
    pub rgba: Vec<u8>,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// Blue, green, red, alpha instead (a window's usual order).
    pub bgra: bool,
}

/// One encoded frame, with when its picture was taken.
pub struct VideoFrame {
    /// VP8.
    pub data: Vec<u8>,
    /// A key frame.
    pub key: bool,
    /// When the picture was taken.
    pub at: Instant,
}

/// The encoder's frames, for the connection that takes them.
pub struct VideoOutput {
    frames: Receiver<VideoFrame>,
    key: Arc<AtomicBool>,
}

impl VideoOutput {
    /// The next encoded frame waiting.
    pub fn next(&self) -> Option<VideoFrame> {
        self.frames.try_recv().ok()
    }

    /// Asks for a key frame next (a connection begins, or the browser
    /// lost one).
    pub fn ask_key_frame(&self) {
        self.key.store(true, Ordering::Release);
    }
}

/// The encoder's thread and its two ends.
#[derive(Clone)]
pub struct Video {
    pictures: SyncSender<Picture>,
    /// The frames, while no connection has taken them.
    pub output: Arc<Mutex<Option<VideoOutput>>>,
    wanted: Arc<AtomicBool>,
}

impl Video {
    /// Starts the encoder's thread; it waits for pictures.
    pub fn start() -> std::io::Result<Self> {
        let (pictures, taken) = sync_channel::<Picture>(1);
        let (frames, out) = sync_channel(WAITING);
        let key = Arc::new(AtomicBool::new(true));
        let asked = key.clone();
        let wanted = Arc::new(AtomicBool::new(false));
        let flowing = wanted.clone();
        std::thread::Builder::new()
            .name("stillpoint-video".into())
            .spawn(move || encode_each(taken, frames, asked, flowing))?;
        Ok(Self {
            pictures,
            output: Arc::new(Mutex::new(Some(VideoOutput { frames: out, key }))),
            wanted,
        })
    }

    /// Whether a connection wants pictures now.
    pub fn wanted(&self) -> bool {
        self.wanted.load(Ordering::Acquire)
    }

    /// Hands a picture over; false when the encoder is still busy with the
    /// last (this one is dropped).
    pub fn offer(&self, picture: Picture) -> bool {
        match self.pictures.try_send(picture) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }

    /// A connection takes the frames for as long as it lasts (a key frame
    /// first); `None` when another has them.
    pub fn take(&self) -> Option<VideoTaken> {
        let output = self.output.lock().ok()?.take()?;
        output.ask_key_frame();
        // What waited for an earlier connection is stale.
        while output.next().is_some() {}
        self.wanted.store(true, Ordering::Release);
        Some(VideoTaken {
            output: Some(output),
            video: self.clone(),
        })
    }
}

/// The frames, taken by a connection; given back when it ends.
pub struct VideoTaken {
    output: Option<VideoOutput>,
    video: Video,
}

impl std::ops::Deref for VideoTaken {
    type Target = VideoOutput;
    fn deref(&self) -> &VideoOutput {
        self.output.as_ref().expect("held until dropped")
    }
}

impl Drop for VideoTaken {
    fn drop(&mut self) {
        self.video.wanted.store(false, Ordering::Release);
        if let (Some(output), Ok(mut slot)) = (self.output.take(), self.video.output.lock()) {
            *slot = Some(output);
        }
    }
}

/// Encodes each picture as it comes; while a connection wants the view and
/// no new picture has come for a frame's time (a window drawn slowly, or a
/// still one), the last is sent again, so the picture keeps its pace.
fn encode_each(
    pictures: Receiver<Picture>,
    frames: SyncSender<VideoFrame>,
    key: Arc<AtomicBool>,
    wanted: Arc<AtomicBool>,
) {
    let mut encoder = match Vp8Encoder::new(WIDTH, HEIGHT, FPS, KBPS) {
        Ok(e) => e,
        Err(why) => {
            crate::tell!("stillpoint: the client's view cannot be sent: {why}");
            return;
        }
    };
    let mut i420 = vec![0u8; (WIDTH * HEIGHT * 3 / 2) as usize];
    let mut have = false;
    let pace = std::time::Duration::from_millis(1000 / u64::from(FPS));
    loop {
        match pictures.recv_timeout(pace) {
            Ok(picture) => {
                to_i420(&picture, &mut i420);
                have = true;
            }
            Err(RecvTimeoutError::Timeout) if have && wanted.load(Ordering::Acquire) => {}
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let at = Instant::now();
        let asked = key.swap(false, Ordering::AcqRel);
        let Ok(encoded) = encoder.encode(&i420, asked) else {
            continue;
        };
        for frame in encoded {
            // The connection is behind: the frame is dropped, and the next
            // key frame puts the picture right.
            if frames
                .try_send(VideoFrame {
                    data: frame.data,
                    key: frame.key,
                    at,
                })
                .is_err()
            {
                key.store(true, Ordering::Release);
            }
        }
    }
}

/// The picture fitted into [`WIDTH`]×[`HEIGHT`] (black bars where its
/// shape differs), averaged over the pixels each sent pixel covers, in
/// I420 (BT.601, studio range, as VP8 expects).
pub fn to_i420(picture: &Picture, out: &mut [u8]) {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let (sw, sh) = (picture.width as usize, picture.height as usize);
    let (y_plane, chroma) = out.split_at_mut(w * h);
    let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
    y_plane.fill(16);
    u_plane.fill(128);
    v_plane.fill(128);
    if sw == 0 || sh == 0 || picture.rgba.len() < sw * sh * 4 {
        return;
    }
    // The scale that fits, and where the fitted picture sits.
    let scale = (sw as f64 / w as f64).max(sh as f64 / h as f64);
    let (fw, fh) = (
        ((sw as f64 / scale) as usize).min(w),
        ((sh as f64 / scale) as usize).min(h),
    );
    let (x0, y0) = (((w - fw) / 2) & !1, ((h - fh) / 2) & !1);
    // The two rows of a chroma row: an even row and the odd one under it.
    let mut pair = [vec![[0f32; 3]; fw], vec![[0f32; 3]; fw]];
    for y in 0..fh {
        let rgb_row = &mut pair[y % 2];
        let from = y * sh / fh;
        let to = ((y + 1) * sh / fh).max(from + 1);
        for (x, px) in rgb_row.iter_mut().enumerate() {
            let cx0 = x * sw / fw;
            let cx1 = ((x + 1) * sw / fw).max(cx0 + 1);
            let mut sum = [0u32; 3];
            for sy in from..to {
                let row = &picture.rgba[sy * sw * 4..(sy + 1) * sw * 4];
                for sx in cx0..cx1 {
                    for (c, total) in sum.iter_mut().enumerate() {
                        let c = if picture.bgra { 2 - c } else { c };
                        *total += u32::from(row[sx * 4 + c]);
                    }
                }
            }
            let n = ((to - from) * (cx1 - cx0)) as f32;
            *px = [sum[0] as f32 / n, sum[1] as f32 / n, sum[2] as f32 / n];
        }
        for (x, [r, g, b]) in rgb_row.iter().enumerate() {
            let luma = 16.0 + 0.257 * r + 0.504 * g + 0.098 * b;
            y_plane[(y0 + y) * w + x0 + x] = luma.round().clamp(0.0, 255.0) as u8;
        }
        if y % 2 == 1 || y + 1 == fh {
            let rows = &pair[..=y % 2];
            let cy = (y0 + y) / 2;
            for cx in 0..fw.div_ceil(2) {
                let mut sum = [0f32; 3];
                let mut n = 0.0;
                for row in rows {
                    for px in row.iter().skip(cx * 2).take(2) {
                        for c in 0..3 {
                            sum[c] += px[c];
                        }
                        n += 1.0;
                    }
                }
                let [r, g, b] = sum.map(|s| s / n);
                let u = 128.0 - 0.148 * r - 0.291 * g + 0.439 * b;
                let v = 128.0 + 0.439 * r - 0.368 * g - 0.071 * b;
                let at = cy * w / 2 + x0 / 2 + cx;
                u_plane[at] = u.round().clamp(0.0, 255.0) as u8;
                v_plane[at] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32, rgb: [u8; 3]) -> Picture {
        Picture {
            rgba: (0..width * height)
                .flat_map(|_| [rgb[0], rgb[1], rgb[2], 255])
                .collect(),
            width,
            height,
            bgra: false,
        }
    }

    #[test]
    fn a_window_becomes_i420_of_the_right_colours_with_bars_where_its_shape_differs() {
        let mut out = vec![0u8; (WIDTH * HEIGHT * 3 / 2) as usize];
        // The window's shape: filled edge to edge; white is Y 235.
        to_i420(&picture(1280, 720, [255, 255, 255]), &mut out);
        let (y, uv) = out.split_at((WIDTH * HEIGHT) as usize);
        assert!(y.iter().all(|&v| v == 235));
        assert!(uv.iter().all(|&v| v == 128), "white has no colour");
        // A square window: black bars left and right, red in the middle.
        to_i420(&picture(400, 400, [255, 0, 0]), &mut out);
        let row = &out[(HEIGHT as usize / 2) * WIDTH as usize..][..WIDTH as usize];
        assert_eq!(row[0], 16, "a bar is black");
        assert_eq!(row[WIDTH as usize / 2], 82, "red's luma");
        let v_plane = &out[(WIDTH * HEIGHT * 5 / 4) as usize..];
        let middle = (HEIGHT as usize / 4) * (WIDTH as usize / 2) + WIDTH as usize / 4;
        assert_eq!(v_plane[middle], 240, "red's V");
        // The same red in a window's blue-first order.
        let mut blue_first = picture(400, 400, [0, 0, 255]);
        blue_first.bgra = true;
        to_i420(&blue_first, &mut out);
        assert_eq!(out[(WIDTH * HEIGHT * 5 / 4) as usize + middle], 240);
    }

    #[test]
    fn frames_go_to_whoever_takes_them_and_come_back_with_a_key_frame() {
        let video = Video::start().unwrap();
        assert!(!video.wanted());
        let taken = video.take().unwrap();
        assert!(video.wanted());
        assert!(video.take().is_none(), "one connection at a time");
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        let mut got = Vec::new();
        while got.len() < 3 && Instant::now() < deadline {
            video.offer(picture(1280, 720, [30, 60, 90]));
            std::thread::sleep(std::time::Duration::from_millis(20));
            got.extend(std::iter::from_fn(|| taken.next()));
        }
        assert!(got.len() >= 3);
        assert!(got[0].key, "a connection begins with a key frame");
        drop(taken);
        assert!(!video.wanted());
        let again = video.take().unwrap();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        let mut first = None;
        while first.is_none() && Instant::now() < deadline {
            video.offer(picture(1280, 720, [30, 60, 90]));
            std::thread::sleep(std::time::Duration::from_millis(20));
            first = again.next();
        }
        assert!(
            first.unwrap().key,
            "the next connection begins with a key frame too"
        );
    }
}
