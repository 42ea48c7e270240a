//! Where the mix goes: the sound card through rodio, or, with no sound
//! card, nowhere, on a thread that keeps the same clock in real time.
//!
//! Either way the same [`Mixer`] renders every sample on its own thread, so
//! the session's clock (its count of samples) behaves the same with and
//! without a device.

use std::num::NonZero;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::dsp::SAMPLE_RATE_HZ;
use super::engine::Mixer;

/// Frames the silent output renders between sleeps: 10 ms.
const SILENT_CHUNK_FRAMES: usize = 480;
/// The buffer rodio aims for when the device does not say: 50 ms.
const DEFAULT_BUFFER_LATENCY: Duration = Duration::from_millis(50);
/// Behind real time by more than this (the machine stalled), the silent
/// output carries on from now instead of rushing to catch up.
const SILENT_MAX_LAG: Duration = Duration::from_millis(100);

/// A running output. Dropping it stops the sound.
pub enum Output {
    /// Playing on the sound card.
    Device(rodio::MixerDeviceSink),
    /// No sound card: the mix runs silently on its own thread, in real time.
    Silent(SilentOutput),
}

impl Output {
    /// Whether sound reaches a device.
    pub fn is_audible(&self) -> bool {
        matches!(self, Output::Device(_))
    }

    /// How long a sample waits in the device's buffer after the mix has
    /// counted it: the picture waits as long.
    pub fn buffer_latency(&self) -> Duration {
        match self {
            Output::Device(sink) => {
                let config = sink.config();
                match config.buffer_size() {
                    rodio::cpal::BufferSize::Fixed(frames) => Duration::from_secs_f64(
                        f64::from(*frames) / f64::from(config.sample_rate().get()),
                    ),
                    rodio::cpal::BufferSize::Default => DEFAULT_BUFFER_LATENCY,
                }
            }
            Output::Silent(_) => Duration::ZERO,
        }
    }
}

/// The silent output's thread.
pub struct SilentOutput {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for SilentOutput {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Why there is no sound.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NoDevice(String);

/// Plays `mixer` on the default sound card, or, failing that, runs it
/// silently in real time; the error says why there is no sound.
pub fn start(mixer: Mixer, force_silent: bool) -> (Output, Option<NoDevice>) {
    if force_silent {
        return (
            Output::Silent(run_silently(mixer)),
            Some(NoDevice("sound is turned off (--silent)".into())),
        );
    }
    match rodio::DeviceSinkBuilder::open_default_sink() {
        Ok(mut sink) => {
            sink.log_on_drop(false);
            sink.mixer().add(MixSource { mixer });
            (Output::Device(sink), None)
        }
        Err(e) => (
            Output::Silent(run_silently(mixer)),
            Some(NoDevice(format!("no sound output could be opened ({e})"))),
        ),
    }
}

/// Runs the mix on a thread that renders into nothing at the pace of real
/// time, so the session's clock advances exactly as it would on a device.
pub fn run_silently(mut mixer: Mixer) -> SilentOutput {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("stillpoint-audio".into())
        .spawn(move || {
            let mut buffer = vec![0.0f32; SILENT_CHUNK_FRAMES * 2];
            let mut start = Instant::now();
            let mut frames: u64 = 0;
            while !flag.load(Ordering::Acquire) && !mixer.is_stopped() {
                mixer.render(&mut buffer);
                frames += SILENT_CHUNK_FRAMES as u64;
                let due = Duration::from_micros(frames * 1_000_000 / u64::from(SAMPLE_RATE_HZ));
                let elapsed = start.elapsed();
                if let Some(wait) = due.checked_sub(elapsed) {
                    std::thread::sleep(wait);
                } else if elapsed - due > SILENT_MAX_LAG {
                    // The session does not jump ahead after a stall.
                    start = Instant::now();
                    frames = 0;
                }
            }
        })
        .ok();
    SilentOutput { stop, thread }
}

/// The mix as a rodio source: interleaved stereo at 48 kHz, endless until
/// the mix has faded out after a stop.
struct MixSource {
    mixer: Mixer,
}

impl Iterator for MixSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        if self.mixer.is_stopped() {
            return None;
        }
        Some(self.mixer.next_sample())
    }
}

impl rodio::Source for MixSource {
    fn current_span_len(&self) -> Option<usize> {
        // The format never changes. (A finite span would make rodio start a
        // new sample-rate converter at each one, which on a 44.1 kHz card
        // buzzes and slows the clock.)
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        NonZero::new(2).expect("2 is not zero")
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        NonZero::new(SAMPLE_RATE_HZ).expect("the sample rate is not zero")
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}
