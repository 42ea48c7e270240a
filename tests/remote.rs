//! Remote sessions: the app's WebRTC end against a second WebRTC end made
//! here in the test (str0m, offering a data channel and a voice as the
//! therapist's browser does), over loopback.

use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stillpoint::audio::FarVoiceInput;
use stillpoint::audio::far_voice::far_voice;
use stillpoint::audio::spatial::Listener;
use stillpoint::remote::{Media, Peer, PeerEvent};
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
    let (answer, peer) = Peer::answer(
        &offer,
        "127.0.0.1".parse().unwrap(),
        Media {
            far: voice,
            ..Media::default()
        },
    )
    .unwrap();
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
    // Anyone who learns the port can send it anything: junk, something that
    // looks like STUN, like DTLS, like RTP. It is dropped, and the
    // connection goes on.
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut junk: Vec<Vec<u8>> = vec![
        vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42],
        vec![0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2],
        vec![0x80, 0x6f, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 9],
        vec![0xff; 1500],
        vec![],
    ];
    junk.extend((0..200u32).map(|i| (0..(i % 97)).map(|k| (k * 31 + i) as u8).collect()));
    for datagram in &junk {
        stranger.send_to(datagram, peer.local).unwrap();
    }
    therapist.pump(Duration::from_millis(200));
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

/// A phrase as a voice says it: six syllables of a voiced sound, each on a
/// pitch of its own gliding as speech does, with pauses between, then
/// silence; three seconds at 48 kHz.
fn phrase() -> Vec<f32> {
    let rate = 48_000.0;
    let mut out = vec![0.0f32; 3 * 48_000];
    let pitches = [140.0, 180.0, 120.0, 200.0, 160.0, 220.0];
    let mut phase = 0.0f32;
    for (k, f0) in pitches.iter().enumerate() {
        let start = (0.1 + k as f32 * 0.42) * rate;
        let len = (0.3 * rate) as usize;
        for i in 0..len {
            let t = i as f32 / len as f32;
            let f = f0 * (1.0 + 0.15 * (t - 0.5));
            phase += std::f32::consts::TAU * f / rate;
            let envelope = (std::f32::consts::PI * t).sin().powi(2);
            let voiced: f32 = (1..=8).map(|h| (phase * h as f32).sin() / h as f32).sum();
            out[start as usize + i] = 0.25 * envelope * voiced;
        }
    }
    out
}

/// `samples` as a mono WAV at 48 kHz: 16-bit (what Chromium takes as a
/// fake microphone), or 32-bit float (what the app takes as one).
fn wav(samples: &[f32], float: bool) -> Vec<u8> {
    let (tag, bytes): (u16, u16) = if float { (3, 4) } else { (1, 2) };
    let data = samples.len() as u32 * u32::from(bytes);
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&48_000u32.to_le_bytes());
    out.extend_from_slice(&(48_000 * u32::from(bytes)).to_le_bytes());
    out.extend_from_slice(&bytes.to_le_bytes());
    out.extend_from_slice(&(bytes * 8).to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        if float {
            out.extend_from_slice(&s.to_le_bytes());
        } else {
            out.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
        }
    }
    out
}

/// The loudness of each 10 ms of `mono`.
fn envelope(mono: &[f32]) -> Vec<f32> {
    mono.chunks_exact(480)
        .map(|c| (c.iter().map(|s| s * s).sum::<f32>() / 480.0).sqrt())
        .collect()
}

/// The best normalised correlation of `pattern` (repeating) against
/// `heard`, over every shift within one repeat, and that shift.
fn best_correlation(pattern: &[f32], heard: &[f32]) -> (f32, usize) {
    let n = heard.len();
    let mean = |x: &[f32]| x.iter().sum::<f32>() / x.len() as f32;
    let hm = mean(heard);
    let pm = mean(pattern);
    (0..pattern.len())
        .map(|shift| {
            let (mut num, mut hh, mut pp) = (0.0, 0.0, 0.0);
            for i in 0..n {
                let h = heard[i] - hm;
                let p = pattern[(i + shift) % pattern.len()] - pm;
                num += h * p;
                hh += h * h;
                pp += p * p;
            }
            (num / (hh * pp).sqrt().max(1e-9), shift)
        })
        .fold((f32::MIN, 0), |a, b| if b.0 > a.0 { b } else { a })
}

/// The pitch of a voiced stretch, Hz: the shortest lag between 100 and
/// 300 Hz at which it is (nearly) most like itself.
fn pitch(x: &[f32]) -> f32 {
    let (lo, hi) = (48_000 / 300, 48_000 / 100);
    let n = x.len() - hi;
    let alike: Vec<f32> = (lo..=hi)
        .map(|lag| {
            let c: f32 = (0..n).map(|i| x[i] * x[i + lag]).sum();
            let e: f32 = (0..n).map(|i| x[i + lag] * x[i + lag]).sum();
            c / e.sqrt().max(1e-9)
        })
        .collect();
    let most = alike.iter().copied().fold(f32::MIN, f32::max);
    // The shortest lag nearly as alike: a period, not a multiple of it.
    let lag = lo + alike.iter().position(|&a| a >= 0.9 * most).unwrap_or(0);
    48_000.0 / lag as f32
}

#[test]
fn a_therapist_speaks_into_the_scene_and_controls_it_over_the_connection() {
    use crate::console::{Browser, Launched, launched, within};
    let home = crate::common::scratch("remote-browser");
    let source = phrase();
    let spoken = home.join("phrase.wav");
    std::fs::write(&spoken, wav(&source, false)).unwrap();
    let tap = home.join("mix.f32");
    let tap_arg = tap.display().to_string();
    // The client's voice: a 330 Hz hum, as a float WAV.
    let hum: Vec<f32> = (0..48_000)
        .map(|i| 0.3 * (std::f32::consts::TAU * 330.0 * i as f32 / 48_000.0).sin())
        .collect();
    let client = home.join("client.wav");
    std::fs::write(&client, wav(&hum, true)).unwrap();
    let client_arg = client.display().to_string();
    let Launched {
        mut app,
        address,
        code,
        printed,
    } = launched(
        &home,
        &[
            "--desktop",
            "--no-journal",
            "--console",
            "--tap-mix",
            &tap_arg,
            "--headphones",
            "--fake-microphone",
            &client_arg,
            "--quit-after",
            "200",
        ],
    );
    let browser = Browser::start_with(
        &home.join("profile"),
        &[
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            format!("--use-file-for-fake-audio-capture={}", spoken.display()),
            "--allow-loopback-in-peer-connection".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
        ],
    );
    browser.go(&format!("{address}/"));
    browser.type_in("#code", &code);
    browser.click("#pair-form button");
    browser.until("the session, paired", |v| {
        v["paused_for"] == serde_json::json!(["therapist"])
    });
    // The therapist wears headphones: no echo cancelling, which would thin
    // their voice while the client speaks.
    browser.click("#voice-headphones");
    browser.click("#voice-call");
    let state = || {
        browser
            .run("return document.getElementById('voice-state').textContent")
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        within(Duration::from_secs(30), || state().starts_with("Connected")),
        "the voice never connected: {:?}",
        state()
    );
    // A control goes over the connection's data channel now, and its
    // answer comes back on it.
    browser.control("button[data-do=start]");
    assert_eq!(
        browser.run("return document.body.dataset.channelAnswers"),
        "1",
        "the control went over the data channel"
    );
    browser.until("the session started", |v| {
        v["paused_for"] == serde_json::json!([])
    });
    // Four seconds of the phrase, looping, into the scene, once the voice's
    // wait has settled to this machine (a loaded one runs it dry at first,
    // and the wait grows).
    std::thread::sleep(Duration::from_secs(3));
    let from = std::fs::metadata(&tap).unwrap().len() as usize;
    std::thread::sleep(Duration::from_secs(5));
    let bytes = std::fs::read(&tap).unwrap();
    let heard: Vec<f32> = bytes[from - from % 8..]
        .chunks_exact(8)
        .map(|f| {
            let l = f32::from_le_bytes(f[..4].try_into().unwrap());
            let r = f32::from_le_bytes(f[4..].try_into().unwrap());
            l + r
        })
        .collect();
    assert!(heard.len() > 4 * 48_000, "the mix was written as heard");
    let heard_env = envelope(&heard[..4 * 48_000]);
    let source_env = envelope(&source);
    let (r, shift) = best_correlation(&source_env, &heard_env);
    assert!(
        r > 0.7,
        "the phrase's syllables are in the client's mix: correlation {r}"
    );
    // And each syllable is on its own pitch, as the phrase says it: the
    // pitch of every voiced 20 ms heard against the phrase's at the same
    // moment.
    let (mut compared, mut close) = (0, 0);
    for frame in (0..heard_env.len().saturating_sub(2)).step_by(2) {
        let at = (frame + shift) % source_env.len();
        if at + 2 > source_env.len() || source_env[at] < 0.05 || source_env[at + 1] < 0.05 {
            continue;
        }
        let mine = pitch(&heard[frame * 480..frame * 480 + 960]);
        let theirs = pitch(&source[at * 480..at * 480 + 960]);
        compared += 1;
        close += usize::from((mine / theirs - 1.0).abs() < 0.06);
    }
    eprintln!(
        "the phrase in the mix: correlation {r}, {close} of {compared} voiced frames on pitch"
    );
    assert!(
        compared > 60 && close * 10 >= compared * 8,
        "the phrase's pitches in the mix: {close} of {compared} frames within 6 %"
    );
    // The client's view: at least 30 frames decoded, 640×360, and they
    // look like the app's own capture of its window.
    let frames = || {
        browser
            .run(
                "const v = document.getElementById('client-view');
                 return v.hidden ? 0 : v.getVideoPlaybackQuality().totalVideoFrames;",
            )
            .as_u64()
            .unwrap_or(0)
    };
    assert!(
        within(Duration::from_secs(30), || frames() >= 30),
        "the browser decoded {} frames of the client's view",
        frames()
    );
    let size = browser.run(
        "const v = document.getElementById('client-view'); return [v.videoWidth, v.videoHeight];",
    );
    assert_eq!(size, serde_json::json!([640, 360]));
    let alike = browser.done(
        "compare the view with the app's capture",
        browser.client().execute_async(
            "const done = arguments[0];
             const grey = (source) => {
               const c = document.createElement('canvas');
               c.width = 64; c.height = 36;
               const g = c.getContext('2d');
               g.drawImage(source, 0, 0, 64, 36);
               const d = g.getImageData(0, 0, 64, 36).data;
               const out = [];
               for (let i = 0; i < d.length; i += 4) out.push((d[i] + d[i + 1] + d[i + 2]) / 3);
               return out;
             };
             const seen = grey(document.getElementById('client-view'));
             const img = new Image();
             img.onload = () => {
               const app = grey(img);
               const mean = (x) => x.reduce((a, b) => a + b, 0) / x.length;
               const ms = mean(seen), ma = mean(app);
               let num = 0, ss = 0, aa = 0, diff = 0;
               for (let i = 0; i < seen.length; i++) {
                 num += (seen[i] - ms) * (app[i] - ma);
                 ss += (seen[i] - ms) ** 2;
                 aa += (app[i] - ma) ** 2;
                 diff += Math.abs(seen[i] - app[i]);
               }
               done([num / Math.sqrt(ss * aa), diff / seen.length, Math.sqrt(aa / app.length)]);
             };
             img.onerror = () => done([-2, 255]);
             img.src = '/api/mirror?at=' + Date.now();",
            Vec::new(),
        ),
    );
    let (correlation, difference, spread) = (
        alike[0].as_f64().unwrap_or(-3.0),
        alike[1].as_f64().unwrap_or(255.0),
        alike[2].as_f64().unwrap_or(0.0),
    );
    // A picture with something in it: the lake, its shore and the sky, not
    // a flat field two blank pictures would match.
    assert!(spread > 8.0, "the app's capture is nearly flat: {spread}");
    eprintln!(
        "the client's view against the app's capture: correlation {correlation:.3}, mean difference {difference:.1} of 255 (its spread {spread:.1})"
    );
    assert!(
        correlation > 0.9 && difference < 12.0,
        "the view the therapist sees is the app's window: correlation {correlation}, mean difference {difference}"
    );
    // The client's voice reaches the therapist's page, at its pitch.
    let pitch = browser.done(
        "hear the client's voice",
        browser.client().execute_async(
            "const done = arguments[0];
             if (!voice.remote) return done(-1);
             const context = new AudioContext();
             const analyser = context.createAnalyser();
             analyser.fftSize = 8192;
             context.createMediaStreamSource(voice.remote).connect(analyser);
             setTimeout(() => {
               const db = new Float32Array(analyser.frequencyBinCount);
               analyser.getFloatFrequencyData(db);
               let best = 0;
               for (let i = 1; i < db.length; i++) if (db[i] > db[best]) best = i;
               done(db[best] < -90 ? 0 : best * context.sampleRate / analyser.fftSize);
             }, 1500);",
            Vec::new(),
        ),
    );
    let pitch = pitch.as_f64().unwrap_or(-2.0);
    assert!(
        (pitch - 330.0).abs() < 12.0,
        "the client's 330 Hz voice heard on the therapist's page at {pitch} Hz"
    );
    assert!(
        within(Duration::from_secs(5), || browser.run(
            "return document.getElementById('client-speaking').hidden"
        ) == false),
        "the page never showed the client speaking"
    );
    // The connection goes: the session waits for the therapist, and goes
    // on when they connect again.
    browser.click("#voice-end");
    browser.until("the session waiting for the connection", |v| {
        v["paused_for"] == serde_json::json!(["connection"])
    });
    browser.click("#voice-call");
    assert!(
        within(Duration::from_secs(30), || state().starts_with("Connected")),
        "the voice never connected again: {:?}",
        state()
    );
    browser.until("the session going on", |v| {
        v["paused_for"] == serde_json::json!([])
    });
    drop(browser);
    let _ = app.kill();
    let _ = app.wait();
    let _ = printed.join();
}
