//! The person's own voice, for the therapist of a remote session.
//!
//! A thread of its own reads the microphone (or, for tests and
//! demonstrations, a WAV file played in real time), makes it 48 kHz mono
//! and cuts it into 20 ms frames, which go to the connection only while
//! the person talks: always when they wear headphones, else while they
//! hold the talk key. The microphone is opened only while a remote
//! connection is open: the connection starts it, and closes it as it ends.
//!
//! While the person talks over loudspeakers, the mix hushes the
//! therapist's voice and lowers the scene ([`Hush`]), so that neither comes
//! back to the therapist through the microphone.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::sample_clock::SAMPLE_RATE_HZ;

/// Samples in one frame: 20 ms at 48 kHz.
pub const FRAME: usize = 960;
/// Frames that may wait for the connection: beyond this they are dropped.
const WAITING: usize = 25;

/// Where the person's voice comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum NearSource {
    /// The default microphone.
    Microphone,
    /// A 32-bit float WAV, played in a loop in real time.
    File(PathBuf),
}

/// Whether the person talks now, and whether through loudspeakers (then
/// the mix hushes what would echo).
#[derive(Debug, Default, Clone)]
pub struct Hush {
    talking: Arc<AtomicBool>,
    speakers: Arc<AtomicBool>,
}

impl Hush {
    /// The person talks (or stops).
    pub fn set_talking(&self, talking: bool) {
        self.talking.store(talking, Ordering::Release);
    }

    /// Whether their voice goes to the therapist now.
    pub fn talking(&self) -> bool {
        self.talking.load(Ordering::Acquire)
    }

    /// Through loudspeakers (true) or headphones.
    pub fn set_speakers(&self, speakers: bool) {
        self.speakers.store(speakers, Ordering::Release);
    }

    /// Whether the person listens through loudspeakers.
    pub fn speakers(&self) -> bool {
        self.speakers.load(Ordering::Acquire)
    }

    /// Whether the mix should hush what would echo.
    pub fn echoes(&self) -> bool {
        self.talking() && self.speakers.load(Ordering::Acquire)
    }
}

/// The running capture. Dropping it closes the microphone.
pub struct NearVoice {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for NearVoice {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts capturing from `source`; frames are sent while `hush` says the
/// person talks, and come out of the receiver. The capture's failures (no microphone, a file that does
/// not read) are said once on its thread, and it ends.
pub fn start(source: NearSource, hush: Hush) -> std::io::Result<(NearVoice, Receiver<Vec<f32>>)> {
    let (frames, out) = sync_channel(WAITING);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("stillpoint-microphone".into())
        .spawn(move || {
            let mut framer = Framer::new(frames, hush);
            let result = match source {
                NearSource::Microphone => from_microphone(&mut framer, &flag),
                NearSource::File(path) => from_file(&path, &mut framer, &flag),
            };
            if let Err(why) = result {
                crate::tell!("stillpoint: your voice cannot reach your therapist: {why}");
            }
        })?;
    Ok((
        NearVoice {
            stop,
            thread: Some(thread),
        },
        out,
    ))
}

/// Cuts mono samples at any rate into 48 kHz frames.
struct Framer {
    frames: SyncSender<Vec<f32>>,
    hush: Hush,
    frame: Vec<f32>,
    /// Where the next output sample lies between the last two inputs.
    phase: f64,
    step: f64,
    last: f32,
}

impl Framer {
    fn new(frames: SyncSender<Vec<f32>>, hush: Hush) -> Self {
        Self {
            frames,
            hush,
            frame: Vec::with_capacity(FRAME),
            phase: 0.0,
            step: 1.0,
            last: 0.0,
        }
    }

    fn set_rate(&mut self, rate: u32) {
        self.step = f64::from(rate) / f64::from(SAMPLE_RATE_HZ);
    }

    /// Takes one input sample.
    fn push(&mut self, sample: f32) {
        // Linear interpolation: speech through a microphone has little
        // above 8 kHz for it to fold down.
        while self.phase < 1.0 {
            let s = self.last + (sample - self.last) * self.phase as f32;
            self.frame.push(s);
            if self.frame.len() == FRAME {
                let frame = std::mem::replace(&mut self.frame, Vec::with_capacity(FRAME));
                if self.hush.talking() {
                    // Full: the connection is behind, and this is dropped.
                    let _ = self.frames.try_send(frame);
                }
            }
            self.phase += self.step;
        }
        self.phase -= 1.0;
        self.last = sample;
    }
}

fn from_microphone(framer: &mut Framer, stop: &AtomicBool) -> Result<(), String> {
    use rodio::Source as _;
    let mic = rodio::microphone::MicrophoneBuilder::new()
        .default_device()
        .map_err(|e| format!("no microphone ({e})"))?
        .default_config()
        .map_err(|e| format!("the microphone has no usable setting ({e})"))?
        .open_stream()
        .map_err(|e| format!("the microphone did not open ({e})"))?;
    let channels = usize::from(mic.channels().get());
    framer.set_rate(mic.sample_rate().get());
    let mut sum = 0.0;
    for (i, sample) in mic.enumerate() {
        sum += sample;
        if (i + 1) % channels == 0 {
            framer.push(sum / channels as f32);
            sum = 0.0;
            if stop.load(Ordering::Acquire) {
                return Ok(());
            }
        }
    }
    Err("the microphone stopped".into())
}

fn from_file(path: &std::path::Path, framer: &mut Framer, stop: &AtomicBool) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (rate, channels, samples) =
        super::wav::read_wav_f32(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let channels = usize::from(channels);
    let mono: Vec<f32> = samples
        .chunks_exact(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    if mono.is_empty() {
        return Err(format!("{}: no samples", path.display()));
    }
    framer.set_rate(rate);
    // In real time, 10 ms at a go.
    let chunk = (rate / 100) as usize;
    let start = Instant::now();
    let mut played = 0u64;
    for piece in mono.chunks(chunk).cycle() {
        if stop.load(Ordering::Acquire) {
            return Ok(());
        }
        for &s in piece {
            framer.push(s);
        }
        played += piece.len() as u64;
        let due = Duration::from_micros(played * 1_000_000 / u64::from(rate));
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_48_khz_and_only_sent_while_talking() {
        let (tx, rx) = sync_channel(100);
        let hush = Hush::default();
        let mut framer = Framer::new(tx, hush.clone());
        framer.set_rate(16_000);
        for i in 0..16_000 / 50 * 3 {
            framer.push((i as f32 * 0.01).sin());
        }
        assert!(rx.try_recv().is_err(), "nothing sent while not talking");
        hush.set_talking(true);
        for i in 0..16_000 / 50 * 3 {
            framer.push((i as f32 * 0.01).sin());
        }
        let frames: Vec<_> = rx.try_iter().collect();
        // 60 ms at 16 kHz make three 20 ms frames at 48 kHz.
        assert_eq!(frames.len(), 3);
        assert!(frames.iter().all(|f| f.len() == FRAME));
        assert!(!hush.echoes(), "headphones: nothing to hush");
        hush.set_speakers(true);
        assert!(hush.echoes());
    }
}
