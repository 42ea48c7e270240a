//! Where the mix goes: the sound card through rodio, or, with no sound
//! card, nowhere, on a thread that keeps the same clock in real time.
//!
//! Either way the same [`Mixer`] renders every sample on its own thread, so
//! the session's clock (its count of samples) behaves the same with and
//! without a device.

use std::io::Write;
use std::num::NonZero;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::engine::Mixer;
use super::sample_clock::SAMPLE_RATE_HZ;

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
    pub(crate) fn is_audible(&self) -> bool {
        matches!(self, Output::Device(_))
    }

    /// How long a sample waits in the device's buffer after the mix has
    /// counted it: the picture waits as long.
    pub(crate) fn buffer_latency(&self) -> Duration {
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

/// Why the mix could not run at all: not even silently.
#[derive(Debug, thiserror::Error)]
#[error("the sound could not start: {why}")]
pub struct NoMix {
    why: String,
}

/// Plays `mixer` on the default sound card, or, failing that, runs it
/// silently in real time; the second value says why there is no sound. An
/// error: the mix could not run at all.
pub fn start(
    mixer: Mixer,
    force_silent: bool,
    tap: Option<&Path>,
) -> Result<(Output, Option<NoDevice>), NoMix> {
    if let Some(path) = tap {
        let file = std::fs::File::create(path).map_err(|e| NoMix {
            why: format!("{}: the mix's file could not be made ({e})", path.display()),
        })?;
        return Ok((
            Output::Silent(run_silently_into(mixer, Some(file))?),
            Some(NoDevice(format!("the mix goes to {}", path.display()))),
        ));
    }
    if force_silent {
        return Ok((
            Output::Silent(run_silently(mixer)?),
            Some(NoDevice("sound is turned off (--silent)".into())),
        ));
    }
    match rodio::DeviceSinkBuilder::open_default_sink() {
        Ok(mut sink) => {
            sink.log_on_drop(false);
            sink.mixer().add(MixSource { mixer });
            Ok((Output::Device(sink), None))
        }
        Err(e) => Ok((
            Output::Silent(run_silently(mixer)?),
            Some(NoDevice(format!("no sound output could be opened ({e})"))),
        )),
    }
}

/// Runs the mix on a thread that renders into nothing at the pace of real
/// time, so the session's clock advances exactly as it would on a device.
pub(crate) fn run_silently(mixer: Mixer) -> Result<SilentOutput, NoMix> {
    run_silently_into(mixer, None)
}

/// [`run_silently`], writing every sample to `tap` as it is rendered.
fn run_silently_into(mixer: Mixer, tap: Option<std::fs::File>) -> Result<SilentOutput, NoMix> {
    run_silently_with(mixer, tap, |work| {
        std::thread::Builder::new()
            .name("stillpoint-audio".into())
            .spawn(work)
    })
}

/// Work for a thread.
type Work = Box<dyn FnOnce() + Send + 'static>;

/// [`run_silently`] with the thread started by `spawn`.
fn run_silently_with(
    mut mixer: Mixer,
    mut tap: Option<std::fs::File>,
    spawn: impl FnOnce(Work) -> std::io::Result<JoinHandle<()>>,
) -> Result<SilentOutput, NoMix> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = spawn(Box::new(move || {
        let mut buffer = vec![0.0f32; SILENT_CHUNK_FRAMES * 2];
        let mut start = Instant::now();
        let mut frames: u64 = 0;
        while !flag.load(Ordering::Acquire) && !mixer.is_stopped() {
            mixer.render(&mut buffer);
            if let Some(file) = tap.as_mut() {
                let bytes: Vec<u8> = buffer.iter().flat_map(|s| s.to_le_bytes()).collect();
                if let Err(e) = file.write_all(&bytes) {
                    eprintln!("the mix's file could not be written ({e}); it stops here");
                    tap = None;
                }
            }
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
    }))
    .map_err(|e| NoMix {
        why: format!("its thread did not start ({e})"),
    })?;
    Ok(SilentOutput {
        stop,
        thread: Some(thread),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::engine::MixSettings;
    use crate::audio::spatial::Listener;

    #[test]
    fn a_silent_thread_that_cannot_start_says_why() {
        let mixer = Mixer::new(
            &[],
            None,
            MixSettings::default(),
            Listener::from_yaw([0.0; 3], 0.0),
        );
        let failed = run_silently_with(mixer, None, |_| {
            Err(std::io::Error::other("no threads left"))
        });
        let why = failed.err().expect("the failure is reported").to_string();
        assert_eq!(
            why,
            "the sound could not start: its thread did not start (no threads left)"
        );
    }
}
