//! One WebRTC connection to the therapist's browser, on a thread of its own.
//!
//! `str0m` does WebRTC without doing any I/O itself: this thread owns it and
//! one UDP socket, feeds it what arrives and the passing of time, and sends
//! what it asks to be sent. Everything between the two ends is encrypted
//! by WebRTC itself (DTLS for the data channel, SRTP for the voice), so a
//! relay on the way sees nothing readable.
//!
//! The app's end answers the browser's offer ([`Peer::answer`]); then the
//! data channel carries text both ways ([`Peer::send`], [`PeerEvent::Text`])
//! and the therapist's voice is decoded ([`super::voice`]) into the mix.
//! When the connection goes, the thread says why ([`PeerEvent::Gone`]) and
//! ends; a new connection is a new peer.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::channel::ChannelId;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};

use super::video::VideoTaken;
use super::voice::{VoiceDecoder, VoiceEncoder};
use crate::audio::FarVoiceInput;

/// What a connection carries besides its data channel: the therapist's
/// voice into the mix, the person's from their microphone, the person's
/// view.
#[derive(Clone, Default)]
pub struct Media {
    /// Where the therapist's voice goes.
    pub far: Option<FarVoiceInput>,
    /// Where the person's voice comes from.
    pub near: Option<crate::audio::NearVoiceLink>,
    /// The person's view, encoded.
    pub video: Option<super::video::Video>,
}

/// The largest data-channel message taken, bytes: a control or an entry is
/// a few hundred.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Messages that may wait to be sent: beyond this the newest is refused.
const MAX_WAITING: usize = 1024;
/// The longest the thread sleeps before it looks for messages to send.
const POLL: Duration = Duration::from_millis(5);
/// How long the two ends have to connect after the answer.
pub const CONNECT_WITHIN: Duration = Duration::from_secs(30);

/// What the connection says, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    /// The two ends reached each other (ICE and DTLS are done).
    Connected,
    /// The data channel is open: text can go both ways.
    Open,
    /// A message on the data channel.
    Text(String),
    /// The therapist's voice has started to arrive.
    Voice,
    /// The connection has gone, and why; nothing more will come.
    Gone(String),
}

/// Why an offer could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The offer is not a WebRTC offer.
    #[error("the offer could not be read: {0}")]
    Offer(String),
    /// No socket for the connection.
    #[error("no UDP socket on {ip}: {why}")]
    Socket {
        /// The address asked for.
        ip: IpAddr,
        /// The reason.
        why: std::io::Error,
    },
    /// WebRTC refused the offer.
    #[error("the offer was refused: {0}")]
    Refused(String),
    /// The thread did not start.
    #[error("the connection's thread did not start: {0}")]
    Thread(std::io::Error),
}

/// The app's end of one connection.
pub struct Peer {
    outbox: SyncSender<String>,
    events: Receiver<PeerEvent>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Where this end listens for the browser's packets.
    pub local: SocketAddr,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Sends on a connection's data channel ([`Peer::send`]).
#[derive(Clone)]
pub struct PeerSender(SyncSender<String>);

impl PeerSender {
    /// As [`Peer::send`].
    pub fn send(&self, text: String) -> bool {
        match self.0.try_send(text) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

/// str0m's cryptography (OpenSSL), installed once for the process.
fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| str0m::crypto::from_feature_flags().install_process_default());
}

impl Peer {
    /// Answers the browser's `offer` (its JSON, as
    /// `JSON.stringify(pc.localDescription)` gives it) from a UDP socket on
    /// `ip`, and starts the connection's thread. The therapist's voice goes
    /// into the mix, the person's comes from their microphone and their
    /// view from the window when `media` has them (each is taken while the
    /// connection lasts).
    pub fn answer(offer: &str, ip: IpAddr, media: Media) -> Result<(String, Peer), PeerError> {
        install_crypto();
        let offer: SdpOffer =
            serde_json::from_str(offer).map_err(|e| PeerError::Offer(e.to_string()))?;
        let socket = UdpSocket::bind((ip, 0)).map_err(|why| PeerError::Socket { ip, why })?;
        let local = socket
            .local_addr()
            .map_err(|why| PeerError::Socket { ip, why })?;
        let now = Instant::now();
        let mut rtc = RtcConfig::new()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(now);
        let candidate = Candidate::host(local, "udp")
            .map_err(|e| PeerError::Refused(format!("{local} cannot be offered: {e}")))?;
        rtc.add_local_candidate(candidate);
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| PeerError::Refused(e.to_string()))?;
        let answer = serde_json::to_string(&answer).map_err(|e| PeerError::Offer(e.to_string()))?;
        let (outbox, outgoing) = mpsc::sync_channel(MAX_WAITING);
        let (said, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let run = Run {
            rtc,
            socket,
            local,
            outgoing,
            said,
            stop: stop.clone(),
            channel: None,
            waiting: VecDeque::new(),
            voice: media.far.map(VoiceDecoder::new),
            near: media.near.map(VoiceEncoder::new),
            video: media.video.and_then(|v| v.take()),
            video_mid: None,
            connected: false,
            started: now,
        };
        let thread = std::thread::Builder::new()
            .name("stillpoint-remote".into())
            .spawn(move || run.run())
            .map_err(PeerError::Thread)?;
        Ok((
            answer,
            Peer {
                outbox,
                events,
                stop,
                thread: Some(thread),
                local,
            },
        ))
    }

    /// Sends `text` on the data channel (once it is open; until then it
    /// waits). False when too much waits already or the connection has
    /// gone.
    pub fn send(&self, text: String) -> bool {
        self.sender().send(text)
    }

    /// A way to send on the data channel from elsewhere.
    pub fn sender(&self) -> PeerSender {
        PeerSender(self.outbox.clone())
    }

    /// What the connection has said since last asked.
    pub fn events(&self) -> impl Iterator<Item = PeerEvent> + '_ {
        self.events.try_iter()
    }

    /// Waits up to `within` for what the connection says next.
    pub fn next_event(&self, within: Duration) -> Option<PeerEvent> {
        self.events.recv_timeout(within).ok()
    }
}

/// The connection's thread.
struct Run {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    outgoing: Receiver<String>,
    said: mpsc::Sender<PeerEvent>,
    stop: Arc<AtomicBool>,
    channel: Option<ChannelId>,
    /// Taken from the app, not yet taken by the channel.
    waiting: VecDeque<String>,
    voice: Option<VoiceDecoder>,
    near: Option<VoiceEncoder>,
    /// The person's view, while this connection has it, and where it goes.
    video: Option<VideoTaken>,
    video_mid: Option<Mid>,
    connected: bool,
    started: Instant,
}

impl Run {
    fn run(mut self) {
        let why = self.serve().unwrap_or_else(|why| why);
        // The app may have gone already; then no one is told.
        let _ = self.said.send(PeerEvent::Gone(why));
    }

    /// Runs until the connection goes; the reason.
    fn serve(&mut self) -> Result<String, String> {
        let mut buf = vec![0u8; 2000];
        loop {
            if self.stop.load(Ordering::Acquire) {
                self.rtc.disconnect();
                self.drain()?;
                return Ok("this end closed the connection".into());
            }
            if !self.connected && self.started.elapsed() > CONNECT_WITHIN {
                return Ok(format!(
                    "the therapist's browser was not reached within {} s",
                    CONNECT_WITHIN.as_secs()
                ));
            }
            self.take_outgoing()?;
            self.send_voice()?;
            self.send_video()?;
            let deadline = match self.drain()? {
                Some(deadline) => deadline,
                None => return Ok("the connection was lost".into()),
            };
            let now = Instant::now();
            let wait = deadline.saturating_duration_since(now).min(POLL);
            if wait.is_zero() {
                self.input(Input::Timeout(now))?;
                continue;
            }
            self.socket
                .set_read_timeout(Some(wait))
                .map_err(|e| e.to_string())?;
            match self.socket.recv_from(&mut buf) {
                Ok((n, source)) => {
                    let Ok(contents) = buf[..n].try_into() else {
                        // Not STUN, DTLS or SRTP: ignored.
                        continue;
                    };
                    // A packet str0m cannot take (malformed, or not for
                    // this connection) is dropped: anyone who knows the
                    // port can send one, and it must not end the session.
                    let _ = self.rtc.handle_input(Input::Receive(
                        Instant::now(),
                        Receive {
                            proto: Protocol::Udp,
                            source,
                            destination: self.local,
                            contents,
                        },
                    ));
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    self.input(Input::Timeout(Instant::now()))?;
                }
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    // An ICMP answer to an earlier send: nothing to read.
                }
                Err(e) => return Err(format!("the socket failed: {e}")),
            }
        }
    }

    fn input(&mut self, input: Input) -> Result<(), String> {
        self.rtc.handle_input(input).map_err(|e| e.to_string())
    }

    /// Hands the channel what waits, as much as it takes.
    fn take_outgoing(&mut self) -> Result<(), String> {
        while self.waiting.len() < MAX_WAITING {
            match self.outgoing.try_recv() {
                Ok(text) => self.waiting.push_back(text),
                Err(_) => break,
            }
        }
        let Some(id) = self.channel else {
            return Ok(());
        };
        while let Some(text) = self.waiting.front() {
            let Some(mut channel) = self.rtc.channel(id) else {
                break;
            };
            match channel.write(false, text.as_bytes()) {
                Ok(true) => {
                    self.waiting.pop_front();
                }
                // Its buffer is full: the rest waits for it to empty.
                Ok(false) => break,
                Err(e) => return Err(format!("the data channel failed: {e}")),
            }
            // str0m wants what a write makes sent before the next.
            self.drain()?;
        }
        Ok(())
    }

    /// Sends the person's voice, frame by frame, once connected.
    fn send_voice(&mut self) -> Result<(), String> {
        loop {
            let Some(near) = self.near.as_mut() else {
                return Ok(());
            };
            let Some((packet, time)) = near.next_packet() else {
                return Ok(());
            };
            if let Some(mid) = near.mid.filter(|_| self.connected) {
                let time = MediaTime::new(time, Frequency::FORTY_EIGHT_KHZ);
                self.write_media(mid, Codec::Opus, Instant::now(), time, packet)?;
            }
        }
    }

    /// Sends the person's view, frame by frame, once connected.
    fn send_video(&mut self) -> Result<(), String> {
        loop {
            let Some(video) = self.video.as_ref() else {
                return Ok(());
            };
            let Some(frame) = video.next() else {
                return Ok(());
            };
            if let Some(mid) = self.video_mid.filter(|_| self.connected) {
                let since = frame.at.saturating_duration_since(self.started);
                let time = MediaTime::from_90khz(since.as_micros() as u64 * 9 / 100);
                self.write_media(mid, Codec::Vp8, frame.at, time, frame.data)?;
            }
        }
    }

    /// Writes one encoded frame on `mid` in `codec`; nothing when the
    /// connection's media has no such codec.
    fn write_media(
        &mut self,
        mid: Mid,
        codec: Codec,
        taken: Instant,
        time: MediaTime,
        data: Vec<u8>,
    ) -> Result<(), String> {
        let Some(writer) = self.rtc.writer(mid) else {
            return Ok(());
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
        else {
            return Ok(());
        };
        writer
            .write(pt, taken, time, data)
            .map_err(|e| format!("{codec:?} could not be sent: {e}"))?;
        // str0m wants what a write makes sent before the next.
        self.drain().map(|_| ())
    }

    /// Does everything str0m asks until it waits; when it next wants the
    /// time, or `None` once the connection is over.
    fn drain(&mut self) -> Result<Option<Instant>, String> {
        loop {
            if !self.rtc.is_alive() {
                return Ok(None);
            }
            match self.rtc.poll_output().map_err(|e| e.to_string())? {
                Output::Timeout(at) => return Ok(Some(at)),
                Output::Transmit(t) => {
                    // A send that fails is a packet lost; ICE and the
                    // channel's own retries deal with it.
                    let _ = self.socket.send_to(&t.contents, t.destination);
                }
                Output::Event(event) => {
                    if !self.event(event) {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Acts on one event; false when it ends the connection.
    fn event(&mut self, event: Event) -> bool {
        match event {
            Event::Connected => {
                self.connected = true;
                let _ = self.said.send(PeerEvent::Connected);
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => return false,
            // The first channel is the console's; any other is ignored.
            Event::ChannelOpen(id, _label) if self.channel.is_none() => {
                self.channel = Some(id);
                let _ = self.said.send(PeerEvent::Open);
            }
            Event::ChannelData(data) if Some(data.id) == self.channel => {
                if data.binary || data.data.len() > MAX_MESSAGE {
                    return true;
                }
                if let Ok(text) = String::from_utf8(data.data) {
                    let _ = self.said.send(PeerEvent::Text(text));
                }
            }
            Event::ChannelClose(id) if Some(id) == self.channel => return false,
            Event::MediaData(data) => self.media(&data),
            Event::MediaAdded(added)
                if added.kind == MediaKind::Video
                    && matches!(added.direction, Direction::SendRecv | Direction::SendOnly) =>
            {
                self.video_mid = Some(added.mid);
            }
            Event::KeyframeRequest(_) => {
                if let Some(video) = self.video.as_ref() {
                    video.ask_key_frame();
                }
            }
            Event::MediaAdded(added) if added.kind == MediaKind::Audio => {
                if let Some(near) = self.near.as_mut()
                    && matches!(added.direction, Direction::SendRecv | Direction::SendOnly)
                {
                    near.mid = Some(added.mid);
                }
            }
            _ => {}
        }
        true
    }

    fn media(&mut self, data: &MediaData) {
        if data.params.spec().codec != Codec::Opus {
            return;
        }
        if let Some(voice) = self.voice.as_mut()
            && voice.packet(data.time.numer(), &data.data)
        {
            let _ = self.said.send(PeerEvent::Voice);
        }
    }
}
