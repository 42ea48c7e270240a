//! Remote sessions: the app's WebRTC end against a second WebRTC end made
//! here in the test (str0m, offering a data channel and a voice as the
//! therapist's browser does), over loopback.

use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stillpoint::audio::FarVoiceInput;
use stillpoint::audio::far_voice::far_voice;
use stillpoint::audio::spatial::Listener;
use stillpoint::remote::{Peer, PeerEvent};
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::channel::ChannelId;
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

/// The therapist's end, as a browser would be: it offers a data channel
/// and sends a voice.
struct Therapist {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    pending: Option<SdpPendingOffer>,
    channel: ChannelId,
    mid: Mid,
    open: bool,
    connected: bool,
    texts: Vec<String>,
}

impl Therapist {
    /// The offer's JSON, as `JSON.stringify(pc.localDescription)` gives it.
    fn offer() -> (Self, String) {
        str0m::crypto::from_feature_flags().install_process_default();
        let mut rtc = RtcConfig::new()
            .clear_codecs()
            .enable_opus(true, false)
            .build(Instant::now());
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let local = socket.local_addr().unwrap();
        rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
        let mut api = rtc.sdp_api();
        let mid = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let channel = api.add_channel("console".into());
        let (offer, pending) = api.apply().unwrap();
        let json = serde_json::to_string(&offer).unwrap();
        (
            Self {
                rtc,
                socket,
                local,
                pending: Some(pending),
                channel,
                mid,
                open: false,
                connected: false,
                texts: Vec::new(),
            },
            json,
        )
    }

    fn accept(&mut self, answer: &str) {
        let answer: SdpAnswer = serde_json::from_str(answer).unwrap();
        let pending = self.pending.take().unwrap();
        self.rtc.sdp_api().accept_answer(pending, answer).unwrap();
    }

    /// Runs the connection for `time`.
    fn pump(&mut self, time: Duration) {
        let end = Instant::now() + time;
        let mut buf = vec![0u8; 2000];
        while Instant::now() < end {
            let deadline = loop {
                match self.rtc.poll_output().unwrap() {
                    Output::Timeout(at) => break at,
                    Output::Transmit(t) => {
                        let _ = self.socket.send_to(&t.contents, t.destination);
                    }
                    Output::Event(Event::Connected) => self.connected = true,
                    Output::Event(Event::ChannelOpen(..)) => self.open = true,
                    Output::Event(Event::ChannelData(d)) => {
                        self.texts.push(String::from_utf8(d.data).unwrap())
                    }
                    Output::Event(_) => {}
                }
            };
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .clamp(Duration::from_millis(1), Duration::from_millis(5));
            self.socket.set_read_timeout(Some(wait)).unwrap();
            let input = match self.socket.recv_from(&mut buf) {
                Ok((n, source)) => Input::Receive(
                    Instant::now(),
                    Receive {
                        proto: Protocol::Udp,
                        source,
                        destination: self.local,
                        contents: buf[..n].try_into().unwrap(),
                    },
                ),
                Err(_) => Input::Timeout(Instant::now()),
            };
            self.rtc.handle_input(input).unwrap();
        }
    }

    fn send_text(&mut self, text: &str) {
        let mut channel = self.rtc.channel(self.channel).unwrap();
        assert!(channel.write(false, text.as_bytes()).unwrap());
    }

    fn send_voice(&mut self, packet: Vec<u8>, time: u64) {
        let writer = self.rtc.writer(self.mid).unwrap();
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::Opus)
            .unwrap()
            .pt();
        writer
            .write(
                pt,
                Instant::now(),
                MediaTime::new(time, str0m::media::Frequency::FORTY_EIGHT_KHZ),
                packet,
            )
            .unwrap();
    }
}

/// Connects a therapist to a new peer of the app's, over loopback.
fn connected(voice: Option<FarVoiceInput>) -> (Therapist, Peer) {
    let (mut therapist, offer) = Therapist::offer();
    let (answer, peer) = Peer::answer(&offer, "127.0.0.1".parse().unwrap(), voice).unwrap();
    therapist.accept(&answer);
    let end = Instant::now() + Duration::from_secs(10);
    while !therapist.open && Instant::now() < end {
        therapist.pump(Duration::from_millis(20));
    }
    assert!(
        therapist.connected && therapist.open,
        "the two ends connect"
    );
    (therapist, peer)
}

#[test]
fn the_data_channel_carries_text_both_ways() {
    let (mut therapist, peer) = connected(None);
    let mut events = Vec::new();
    let end = Instant::now() + Duration::from_secs(5);
    while !events.contains(&PeerEvent::Open) && Instant::now() < end {
        events.extend(peer.next_event(Duration::from_millis(50)));
    }
    assert_eq!(events[..2], [PeerEvent::Connected, PeerEvent::Open]);
    therapist.send_text(r#"{"control":"pause"}"#);
    assert!(peer.send("the session is paused".into()));
    let end = Instant::now() + Duration::from_secs(5);
    let mut got = None;
    while got.is_none() && Instant::now() < end {
        therapist.pump(Duration::from_millis(20));
        got = peer.events().find_map(|e| match e {
            PeerEvent::Text(t) => Some(t),
            _ => None,
        });
    }
    assert_eq!(got.as_deref(), Some(r#"{"control":"pause"}"#));
    therapist.pump(Duration::from_millis(100));
    assert_eq!(therapist.texts, ["the session is paused"]);
    // This end closing is said, with its reason.
    drop(peer);
}

#[test]
fn the_therapists_voice_reaches_the_mix_in_time_and_in_order() {
    let (feed, mut mix_voice) = far_voice();
    let input = FarVoiceInput(Arc::new(Mutex::new(Some(feed))));
    let (mut therapist, peer) = connected(Some(input.clone()));
    // A second of a 440 Hz tone, as 50 Opus packets sent in real time.
    let mut encoder =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
    let tone: Vec<f32> = (0..48_000)
        .map(|i| 0.3 * (std::f32::consts::TAU * 440.0 * i as f32 / 48_000.0).sin())
        .collect();
    let listener = Listener::from_yaw([0.0, 1.2, 0.0], 0.0);
    let mut heard = Vec::new();
    for (k, frame) in tone.chunks_exact(960).enumerate() {
        therapist.send_voice(
            encoder.encode_vec_float(frame, 4000).unwrap(),
            k as u64 * 960,
        );
        therapist.pump(Duration::from_millis(20));
        // The mix takes 20 ms a packet, as it would on the sample clock.
        for _ in 0..15 {
            let (mut m, mut l, mut r) = ([0.0; 64], [0.0; 64], [0.0; 64]);
            mix_voice.render(&listener, false, &mut m, &mut l, &mut r);
            heard.extend(l);
        }
    }
    assert!(
        peer.events().any(|e| e == PeerEvent::Voice),
        "the voice was noticed"
    );
    let loud = heard.iter().filter(|s| s.abs() > 0.02).count();
    assert!(
        loud > 48_000 / 2,
        "most of the second was heard: {loud} loud samples"
    );
    // Its pitch is the tone's: count the zero crossings of the heard part.
    let start = heard.iter().position(|s| s.abs() > 0.05).unwrap();
    let part = &heard[start + 4800..start + 4800 + 24_000];
    let crossings = part
        .windows(2)
        .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
        .count();
    assert!(
        (215..=225).contains(&crossings),
        "440 Hz over half a second: {crossings} rising crossings"
    );
    drop(peer);
    assert!(
        input.0.lock().unwrap().is_some(),
        "the mix's input is given back for the next connection"
    );
}
