//! The voices on the network: the therapist's as it comes off it (Opus
//! packets decoded in order, with what was lost on the way filled in by
//! Opus's own loss concealment, into the mix's ring,
//! [`crate::audio::far_voice`]), and the person's as it goes out (their
//! microphone's frames, [`crate::audio::near_voice`], encoded).

use std::sync::mpsc::Receiver;
use std::time::Instant;

use str0m::media::Mid;

use crate::audio::FarVoiceInput;
use crate::audio::NearVoiceLink;
use crate::audio::far_voice::FarVoiceFeed;
use crate::audio::near_voice::NearVoice;

/// Opus at 48 kHz, the mix's rate: 20 ms is this many samples.
const FRAME: u64 = 960;
/// The most lost frames concealed at once; a longer gap is silence.
const MOST_CONCEALED: u64 = 5;
/// The longest Opus frame, samples (120 ms).
const LONGEST: usize = 5760;

/// Decodes one connection's voice into the mix.
pub(crate) struct VoiceDecoder {
    input: FarVoiceInput,
    feed: Option<FarVoiceFeed>,
    decoder: Option<opus::Decoder>,
    /// The RTP time the next packet should have.
    next: Option<u64>,
    pcm: Vec<f32>,
    started: bool,
}

impl VoiceDecoder {
    /// Takes the mix's input for as long as the connection lasts.
    pub(crate) fn new(input: FarVoiceInput) -> Self {
        let feed = input.0.lock().ok().and_then(|mut slot| slot.take());
        Self {
            input,
            feed,
            decoder: opus::Decoder::new(48_000, opus::Channels::Mono).ok(),
            next: None,
            pcm: vec![0.0; LONGEST],
            started: false,
        }
    }

    /// Decodes the packet of RTP time `time`; true the first time a packet
    /// is heard.
    pub(crate) fn packet(&mut self, time: u64, payload: &[u8]) -> bool {
        let (Some(feed), Some(decoder)) = (self.feed.as_mut(), self.decoder.as_mut()) else {
            return false;
        };
        if let Some(next) = self.next {
            if time < next {
                // Late, or a repeat: its moment has been played.
                return false;
            }
            let lost = (time - next) / FRAME;
            for _ in 0..lost.min(MOST_CONCEALED) {
                if let Ok(n) = decoder.decode_float(&[], &mut self.pcm[..FRAME as usize], false) {
                    feed.push(&self.pcm[..n]);
                }
            }
        }
        match decoder.decode_float(payload, &mut self.pcm, false) {
            Ok(n) => {
                feed.push(&self.pcm[..n]);
                self.next = Some(time + n as u64);
            }
            Err(_) => {
                // A packet Opus cannot read: counted as lost.
                self.next = Some(time + FRAME);
            }
        }
        let first = !self.started;
        self.started = true;
        first
    }
}

impl Drop for VoiceDecoder {
    /// Gives the mix's input back for the next connection.
    fn drop(&mut self) {
        if let (Some(feed), Ok(mut slot)) = (self.feed.take(), self.input.0.lock()) {
            *slot = Some(feed);
        }
    }
}

/// The bitrate of the person's voice: plenty for speech in Opus.
const VOICE_BITS: i32 = 32_000;

/// Encodes one connection's share of the person's voice.
pub(crate) struct VoiceEncoder {
    /// The microphone, open while the connection lasts.
    _capture: Option<NearVoice>,
    frames: Option<Receiver<Vec<f32>>>,
    encoder: Option<opus::Encoder>,
    /// The connection's audio, once the browser's offer has it.
    pub(crate) mid: Option<Mid>,
    started: Instant,
    /// The RTP time of the last frame sent.
    last: Option<u64>,
}

impl VoiceEncoder {
    /// Opens the microphone for as long as the connection lasts; one that
    /// cannot be opened is said once, and the connection goes on without.
    pub(crate) fn new(link: NearVoiceLink) -> Self {
        let (capture, frames) = match crate::audio::near_voice::start(link.source, link.hush) {
            Ok((capture, frames)) => (Some(capture), Some(frames)),
            Err(e) => {
                crate::tell!("stillpoint: the microphone's thread did not start ({e})");
                (None, None)
            }
        };
        let mut encoder =
            opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).ok();
        if let Some(e) = encoder.as_mut() {
            // Some packets are lost on the way: Opus carries a little of
            // each frame in the next, and the browser fills the rest in.
            let _ = e.set_bitrate(opus::Bitrate::Bits(VOICE_BITS));
            let _ = e.set_inband_fec(true);
            let _ = e.set_packet_loss_perc(5);
        }
        Self {
            _capture: capture,
            frames,
            encoder,
            mid: None,
            started: Instant::now(),
            last: None,
        }
    }

    /// The next frame waiting, encoded, with its RTP time (on the clock of
    /// real time since the connection began, so a pause in talking is a
    /// pause in time too).
    pub(crate) fn next_packet(&mut self) -> Option<(Vec<u8>, u64)> {
        let frame = self.frames.as_ref()?.try_recv().ok()?;
        let encoder = self.encoder.as_mut()?;
        let packet = encoder.encode_vec_float(&frame, 1500).ok()?;
        let now = self.started.elapsed().as_micros() as u64 * 48 / 1000;
        let time = match self.last {
            Some(last) => now.max(last + FRAME),
            None => now,
        };
        self.last = Some(time);
        Some((packet, time))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::audio::far_voice::far_voice;
    use crate::audio::spatial::Listener;

    fn packets(seconds: f32) -> Vec<Vec<u8>> {
        let mut encoder =
            opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
        let n = (seconds * 48_000.0) as usize;
        let signal: Vec<f32> = (0..n)
            .map(|i| 0.3 * (std::f32::consts::TAU * 220.0 * i as f32 / 48_000.0).sin())
            .collect();
        signal
            .chunks_exact(FRAME as usize)
            .map(|frame| encoder.encode_vec_float(frame, 4000).unwrap())
            .collect()
    }

    #[test]
    fn fills_lost_frames_drops_late_ones_and_gives_the_input_back() {
        let (feed, mut voice) = far_voice();
        let input = FarVoiceInput(Arc::new(Mutex::new(Some(feed))));
        let mut decoder = VoiceDecoder::new(input.clone());
        assert!(input.0.lock().unwrap().is_none(), "taken while it lasts");
        let packets = packets(0.2);
        assert!(decoder.packet(0, &packets[0]));
        assert_eq!(voice.waiting(), 960);
        // Two lost: concealed, so the voice keeps its time.
        assert!(!decoder.packet(3 * FRAME, &packets[3]));
        assert_eq!(voice.waiting(), 4 * 960);
        // The lost one arriving late is not played twice.
        decoder.packet(FRAME, &packets[1]);
        assert_eq!(voice.waiting(), 4 * 960);
        // Junk is counted as lost, and nothing breaks.
        decoder.packet(4 * FRAME, &[0xff; 3]);
        decoder.packet(5 * FRAME, &packets[5]);
        assert!(voice.waiting() >= 5 * 960);
        let listener = Listener::from_yaw([0.0; 3], 0.0);
        let (mut m, mut l, mut r) = ([0.0; 64], [0.0; 64], [0.0; 64]);
        voice.render(&listener, false, &mut m, &mut l, &mut r);
        drop(decoder);
        assert!(input.0.lock().unwrap().is_some(), "given back");
    }
}
