//! The therapist's console over real HTTP on loopback: nothing listens
//! unless asked, and never on every network; pairing (a used, a wrong, an
//! expired code, a withdrawn one, tries limited); the token, the `Host` and
//! the `Origin` on every request and the WebSocket; connections capped and
//! closed when quiet, without locking a paired page out; bad and oversized
//! input refused with a clear message and nothing changed; controls that
//! change the snapshot, each done exactly when it is answered done; exports
//! of this run's session only; the server gone with the app.

use std::io::{BufRead as _, Read, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use stillpoint::console::listener::MAX_CONNECTIONS;
use stillpoint::console::pairing::{CODE_LIFE, MAX_TRIES};
use stillpoint::console::server::ANSWER_WITHIN;
use stillpoint::console::{Console, ConsoleOptions};
use stillpoint::journal::Recording;
use stillpoint::scene::{CurrentScene, SceneAsset};
use stillpoint::state::{Intent, Lifecycle, PauseReason, SessionSnapshot};

use crate::common::{app_on, fixture, heard, passphrase, scene_folder, stillpoint, update_until};

const FRAME: Duration = Duration::from_millis(20);

/// The exposure fixture with the console on a free port.
fn console_app(test: &str) -> (App, SocketAddr) {
    recorded_console_app(test, None)
}

/// [`console_app`], keeping the session record at `journal` (for `alias`).
fn recorded_console_app(test: &str, journal: Option<(&Path, &str)>) -> (App, SocketAddr) {
    console_app_with(test, journal, ANSWER_WITHIN)
}

/// [`recorded_console_app`] with the record locked: its passphrase is given
/// on the page.
fn locked_console_app(test: &str, record: &Path) -> (App, SocketAddr) {
    console_app_keyed(test, Some((record, "R.K.")), ANSWER_WITHIN, None)
}

/// [`recorded_console_app`], giving the app `answer_within` to take a
/// control.
fn console_app_with(
    test: &str,
    journal: Option<(&Path, &str)>,
    answer_within: Duration,
) -> (App, SocketAddr) {
    console_app_keyed(test, journal, answer_within, Some(passphrase()))
}

/// [`console_app_with`], the record's passphrase known from the start or
/// not.
fn console_app_keyed(
    test: &str,
    journal: Option<(&Path, &str)>,
    answer_within: Duration,
    known: Option<stillpoint::journal::store::Passphrase>,
) -> (App, SocketAddr) {
    let (dir, _) = scene_folder(test, "lake_dusk.ron", "lake_dusk.ron");
    std::fs::copy(fixture("exposure_steps.ron"), dir.join("steps.ron")).unwrap();
    let mut app = app_on(&dir, "steps.ron", FRAME, None);
    let alias = journal.map_or("R.K.", |(_, a)| a).to_owned();
    if let Some((path, _)) = journal {
        app.add_plugins(stillpoint::journal::JournalPlugin {
            recording: Recording {
                path: path.to_path_buf(),
                client: stillpoint::journal::store::ClientRef::Alias(alias.clone()),
                relaxation: false,
                passphrase: known.clone(),
                encrypt: true,
            },
        });
    }
    app.add_plugins(stillpoint::console::ConsolePlugin {
        options: ConsoleOptions {
            bind: "127.0.0.1:0".parse().unwrap(),
            alias,
            journal: journal.map(|(p, _)| stillpoint::journal::RecordFile {
                path: p.to_path_buf(),
                passphrase: known.clone(),
            }),
            scenes: stillpoint::console::view::scene_choices(&dir),
            answer_within,
        },
    });
    assert!(update_until(&mut app, Duration::from_secs(60), |w| {
        w.resource::<CurrentScene>().generation == 1
            && w.resource::<Assets<SceneAsset>>().len() >= 2
    }));
    // The live view is composed at most every 50 ms: long enough for the
    // view with the scene in it to be out.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(120) {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    let addr = app.world().resource::<Console>().server.addr;
    (app, addr)
}

/// The view a paired page gets now.
fn view_of(app: &mut App, addr: SocketAddr, cookie: &str) -> serde_json::Value {
    // The view is composed at most every 50 ms.
    for _ in 0..10 {
        app.update();
        std::thread::sleep(Duration::from_millis(10));
    }
    let r = send(
        app,
        addr,
        Ask::new(addr, "GET", "/api/view").cookie(cookie).raw(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// A reply: status, headers (names lower-cased), body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    /// A reply's bytes: the status, the headers, the body.
    fn parse(bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not HTTP: {text:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `raw` (a whole HTTP/1.1 request) and reads the reply, updating the
/// app meanwhile so that it can act on controls.
fn send(app: &mut App, addr: SocketAddr, raw: Vec<u8>) -> Reply {
    let exchange = std::thread::spawn(move || plain(addr, &raw));
    let start = Instant::now();
    while !exchange.is_finished() {
        assert!(start.elapsed() < Duration::from_secs(20), "no reply");
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    exchange.join().unwrap()
}

/// POSTs the JSON `body` to `path` with the pairing's `cookie`, as the page
/// does, and reads the reply ([`send`]).
fn post_json(app: &mut App, addr: SocketAddr, cookie: &str, path: &str, body: &str) -> Reply {
    send(
        app,
        addr,
        Ask::new(addr, "POST", path).json(body).cookie(cookie).raw(),
    )
}

/// Sends `raw` and reads the reply (the app runs elsewhere).
fn plain(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    // A body the server refuses early (too large) may not all be taken:
    // the reply is read all the same.
    let _ = stream.write_all(raw);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    Reply::parse(&bytes)
}

/// A request as a browser on the console's page sends it.
struct Ask<'a> {
    method: &'a str,
    path: &'a str,
    host: Option<String>,
    origin: Option<String>,
    cookie: Option<String>,
    body: Vec<u8>,
    extra: &'a str,
}

impl<'a> Ask<'a> {
    fn new(addr: SocketAddr, method: &'a str, path: &'a str) -> Self {
        Self {
            method,
            path,
            host: Some(addr.to_string()),
            origin: (method != "GET").then(|| format!("http://{addr}")),
            cookie: None,
            body: Vec::new(),
            extra: "",
        }
    }

    fn json(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }

    fn cookie(mut self, cookie: &str) -> Self {
        self.cookie = Some(cookie.to_owned());
        self
    }

    fn raw(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nConnection: close\r\n",
            self.method, self.path
        );
        if let Some(host) = &self.host {
            head += &format!("Host: {host}\r\n");
        }
        if let Some(origin) = &self.origin {
            head += &format!("Origin: {origin}\r\n");
        }
        if let Some(cookie) = &self.cookie {
            head += &format!("Cookie: {cookie}\r\n");
        }
        if !self.body.is_empty() {
            head += &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                self.body.len()
            );
        }
        head += self.extra;
        head += "\r\n";
        let mut raw = head.into_bytes();
        raw.extend_from_slice(&self.body);
        raw
    }
}

fn code(app: &App) -> String {
    let console = app.world().resource::<Console>();
    let pairing = console.shared.pairing.lock().unwrap();
    pairing.shown(Instant::now()).expect("a code is shown").0
}

/// Pairs as a browser does; returns the cookie to send.
fn paired(app: &mut App, addr: SocketAddr) -> String {
    let code = code(app);
    let reply = send(
        app,
        addr,
        Ask::new(addr, "POST", "/api/pair")
            .json(&format!("{{\"code\":\"{code}\"}}"))
            .raw(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let cookie = reply.header("set-cookie").expect("a cookie").to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    cookie.split(';').next().unwrap().to_owned()
}

fn snapshot(app: &App) -> &SessionSnapshot {
    app.world().resource::<SessionSnapshot>()
}

fn error_of(reply: &Reply) -> String {
    serde_json::from_str::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no error in {} {:?}", reply.status, reply.body))
}

#[test]
fn pairing_gives_a_token_once_and_every_request_needs_it_the_host_and_the_origin() {
    let (mut app, addr) = console_app("console-security");
    // The page itself, with its policy.
    let page = send(&mut app, addr, Ask::new(addr, "GET", "/").raw());
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(
        page.body.contains("/console.js") && !page.body.contains("http"),
        "the page loads only its own files"
    );

    // Not paired yet.
    let view = || Ask::new(addr, "GET", "/api/view");
    let r = send(&mut app, addr, view().raw());
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(error_of(&r).contains("not paired"));

    // Wrong codes, a malformed one, then the right one, then it again.
    let right = code(&app);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let pair =
        |code: &str| Ask::new(addr, "POST", "/api/pair").json(&format!("{{\"code\":\"{code}\"}}"));
    let r = send(&mut app, addr, pair(wrong).raw());
    assert_eq!(r.status, 403);
    assert!(error_of(&r).contains("4 tries left"));
    let r = send(&mut app, addr, pair("12ab56").raw());
    assert!(error_of(&r).contains("six digits"));
    let cookie = paired(&mut app, addr);
    let r = send(&mut app, addr, pair(&right).raw());
    assert_eq!(r.status, 403, "a code works once");
    assert!(error_of(&r).contains("no pairing code is shown"));

    // With the token.
    let r = send(&mut app, addr, view().cookie(&cookie).raw());
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["alias"], "R.K.");
    assert_eq!(v["step"], serde_json::json!({"number": 1, "of": 4}));
    // A wrong token, a malformed one.
    let forged = format!("stillpoint_console={}", "ab".repeat(32));
    assert_eq!(
        send(&mut app, addr, view().cookie(&forged).raw()).status,
        401
    );
    assert_eq!(
        send(
            &mut app,
            addr,
            view().cookie("stillpoint_console=xyz").raw()
        )
        .status,
        401
    );

    // A wrong Host (a rebound name pointing here), or none.
    let mut rebound = view().cookie(&cookie);
    rebound.host = Some(format!("evil.example:{}", addr.port()));
    let r = send(&mut app, addr, rebound.raw());
    assert_eq!(r.status, 421);
    assert!(error_of(&r).contains(&addr.to_string()));
    let mut nameless = view().cookie(&cookie);
    nameless.host = None;
    assert_eq!(send(&mut app, addr, nameless.raw()).status, 421);
    let mut localhost = view().cookie(&cookie);
    localhost.host = Some(format!("localhost:{}", addr.port()));
    assert_eq!(send(&mut app, addr, localhost.raw()).status, 421);

    // A control from another site, or with no origin: refused, nothing done.
    let pause = || {
        Ask::new(addr, "POST", "/api/control")
            .json(r#"{"do":"pause"}"#)
            .cookie(&cookie)
    };
    let mut foreign = pause();
    foreign.origin = Some("http://evil.example".into());
    let r = send(&mut app, addr, foreign.raw());
    assert_eq!(r.status, 403);
    let mut no_origin = pause();
    no_origin.origin = None;
    assert_eq!(send(&mut app, addr, no_origin.raw()).status, 403);
    // Pairing from another site is refused too.
    let mut foreign_pair = pair("123456");
    foreign_pair.origin = Some("http://evil.example".into());
    assert_eq!(send(&mut app, addr, foreign_pair.raw()).status, 403);

    // The WebSocket: the upgrade needs the token and this origin.
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let live = |origin: Option<String>, cookie: Option<&str>| {
        let mut ask = Ask::new(addr, "GET", "/api/live");
        ask.origin = origin;
        ask.cookie = cookie.map(str::to_owned);
        ask.extra = upgrade;
        let mut raw = ask.raw();
        // "Connection: close" and "Connection: Upgrade" both present would
        // confuse the upgrade: keep only the latter.
        let text = String::from_utf8(raw.clone())
            .unwrap()
            .replace("Connection: close\r\n", "");
        raw = text.into_bytes();
        raw
    };
    let ours = Some(format!("http://{addr}"));
    let r = send(
        &mut app,
        addr,
        live(Some("http://evil.example".into()), Some(&cookie)),
    );
    assert_eq!(r.status, 403, "cross-site WebSocket hijacking");
    let r = send(&mut app, addr, live(ours.clone(), None));
    assert_eq!(r.status, 401);
    let r = first_frame(&mut app, addr, live(ours, Some(&cookie)));
    assert!(r.starts_with("HTTP/1.1 101"), "{r}");
    assert!(
        r.contains("\"type\":\"view\"") && r.contains("\"alias\":\"R.K.\""),
        "{r}"
    );

    // An expired code, made five minutes ago.
    let old = {
        let console = app.world().resource::<Console>();
        let mut pairing = console.shared.pairing.lock().unwrap();
        pairing.renew(Instant::now() - CODE_LIFE - Duration::from_secs(1))
    };
    let r = send(&mut app, addr, pair(&old).raw());
    assert_eq!(r.status, 403);
    assert!(error_of(&r).contains("no pairing code is shown"));
    // Five wrong tries withdraw the code: no new one is made until the
    // person at the app asks for one. (Tries so far, wrong, malformed or of
    // no code: four; a right one does not count.)
    let fresh = {
        let console = app.world().resource::<Console>();
        let mut pairing = console.shared.pairing.lock().unwrap();
        pairing.renew(Instant::now())
    };
    let made = app
        .world()
        .resource::<Console>()
        .shared
        .pairing
        .lock()
        .unwrap()
        .made;
    let wrong = if fresh == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..4 {
        assert_eq!(send(&mut app, addr, pair(wrong).raw()).status, 403);
    }
    let r = send(&mut app, addr, pair(wrong).raw());
    assert_eq!(r.status, 403);
    assert!(
        error_of(&r)
            .contains("the code is withdrawn; ask the person at the app to press C for a new one"),
        "{}",
        r.body
    );
    {
        let console = app.world().resource::<Console>();
        let pairing = console.shared.pairing.lock().unwrap();
        assert!(
            pairing.shown(Instant::now()).is_none(),
            "a code is still shown"
        );
        assert_eq!(pairing.made, made, "a wrong try made a new code");
    }
    // The right code is refused now: the tenth try in the minute.
    let r = send(&mut app, addr, pair(&fresh).raw());
    assert_eq!(r.status, 403);
    assert!(error_of(&r).contains("withdrawn"), "{}", r.body);
    // Past ten tries, even a right code is refused unchecked: the person
    // presses C, and the new code is not used up by the refused try.
    let new = {
        let console = app.world().resource::<Console>();
        let mut pairing = console.shared.pairing.lock().unwrap();
        pairing.renew(Instant::now())
    };
    let r = send(&mut app, addr, pair(&new).raw());
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(error_of(&r), "too many tries; wait a minute");
    assert_eq!(code(&app), new, "a try past the limit used the code");
    assert!(
        snapshot(&app).paused_for.contains(PauseReason::Therapist),
        "nothing refused changed the session"
    );

    // Connections are capped. With the cap full of connections that have
    // shown the token, one more is closed at once, unanswered.
    let keep_alive = |ask: Ask<'_>| {
        String::from_utf8(ask.raw())
            .unwrap()
            .replace("Connection: close\r\n", "")
            .into_bytes()
    };
    let mut held: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream
                .write_all(&keep_alive(view().cookie(&cookie)))
                .unwrap();
            assert_eq!(one_reply(&mut stream).status, 200);
            stream
        })
        .collect();
    let mut over = TcpStream::connect(addr).unwrap();
    over.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = over.write_all(&Ask::new(addr, "GET", "/").raw());
    let mut bytes = Vec::new();
    let closed = over.read_to_end(&mut bytes);
    assert!(
        bytes.is_empty() && closed.is_ok_or_reset(),
        "a connection past a cap of paired ones was answered: {closed:?} {:?}",
        String::from_utf8_lossy(&bytes)
    );
    // A connection that has shown no token holds its place only until one
    // more comes: that one is served, and the holder is closed.
    drop(held.pop());
    std::thread::sleep(Duration::from_millis(200));
    let mut holder = TcpStream::connect(addr).unwrap();
    holder
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        send(&mut app, addr, Ask::new(addr, "GET", "/").raw()).status,
        200
    );
    let mut byte = [0u8; 1];
    let evicted = holder.read(&mut byte);
    assert!(
        matches!(evicted, Ok(0)) || (evicted.is_err() && evicted.is_ok_or_reset()),
        "the unpaired holder was kept: {evicted:?}"
    );
    // The paired ones are still served.
    held[0]
        .write_all(&keep_alive(view().cookie(&cookie)))
        .unwrap();
    assert_eq!(one_reply(&mut held[0]).status, 200);
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        send(&mut app, addr, Ask::new(addr, "GET", "/").raw()).status,
        200
    );
}

/// Reads one reply on a connection kept alive: its head, and a body of its
/// `Content-Length`.
fn one_reply(stream: &mut TcpStream) -> Reply {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                break;
            }
        }
        let n = stream.read(&mut buf).expect("the reply comes");
        assert!(
            n > 0,
            "closed mid-reply: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.extend_from_slice(&buf[..n]);
    }
    Reply::parse(&bytes)
}

/// A read that ended because the other side closed (or reset) the
/// connection, rather than timing out.
trait ClosedRead {
    fn is_ok_or_reset(&self) -> bool;
}

impl ClosedRead for std::io::Result<usize> {
    fn is_ok_or_reset(&self) -> bool {
        match self {
            Ok(_) => true,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
        }
    }
}

/// Sends an upgrade and reads until the first WebSocket frame has come (or
/// the reply is not an upgrade); the reply's head and the frame's text.
fn first_frame(app: &mut App, addr: SocketAddr, raw: Vec<u8>) -> String {
    let exchange = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(&raw).unwrap();
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&bytes);
            if let Some(end) = text.find("\r\n\r\n") {
                if !text.starts_with("HTTP/1.1 101") {
                    break;
                }
                let frame = &bytes[end + 4..];
                if frame.len() >= 4 {
                    // An unmasked text frame from the server.
                    let len = match frame[1] & 0x7f {
                        126 => u16::from_be_bytes([frame[2], frame[3]]) as usize + 4,
                        n => n as usize + 2,
                    };
                    if frame.len() >= len {
                        break;
                    }
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let start = Instant::now();
    while !exchange.is_finished() {
        assert!(start.elapsed() < Duration::from_secs(20));
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    exchange.join().unwrap()
}

#[test]
fn controls_change_the_session_and_bad_input_changes_nothing() {
    let (mut app, addr) = console_app("console-controls");
    let cookie = paired(&mut app, addr);
    let go = |app: &mut App, body: &str| {
        send(
            app,
            addr,
            Ask::new(addr, "POST", "/api/control")
                .json(body)
                .cookie(&cookie)
                .raw(),
        )
    };
    // The session waits for the therapist.
    assert!(snapshot(&app).paused_for.contains(PauseReason::Therapist));
    let r = go(&mut app, r#"{"do":"start"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Resumed (therapist)"), "{}", r.body);
    assert!(snapshot(&app).paused_for.is_empty());

    let step = |app: &App| snapshot(app).exposure.as_ref().unwrap().step;
    let r = go(&mut app, r#"{"do":"step","change":"up"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(step(&app), 2);
    let r = go(&mut app, r#"{"do":"step","to":4}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(step(&app), 4);
    // The step change opened a question: what the therapist records
    // answers it, as one answer, not a question asked, set aside and
    // answered again.
    assert!(snapshot(&app).suds.is_some());
    let r = go(&mut app, r#"{"do":"record_suds","value":55}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(snapshot(&app).last_suds, Some(55));
    assert!(snapshot(&app).suds.is_none());
    let said: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(said["said"].as_array().map(Vec::len), Some(1), "{}", r.body);
    // Expectancies, before and after the step, said in words.
    let r = go(
        &mut app,
        r#"{"do":"expect_before","likelihood":80,"expected_peak":70}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("Before step 4: the feared outcome 80% likely, peak SUDS 70 expected"),
        "{}",
        r.body
    );
    let r = go(
        &mut app,
        r#"{"do":"expect_after","happened":false,"surprise":65,"felt_peak":45}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("After step 4: the feared outcome did not happen, surprise 65"),
        "{}",
        r.body
    );

    // Each bad input: a clear 4xx, nothing changed.
    let before = snapshot(&app).clone();
    let huge_note = format!(
        r#"{{"do":"note","text":"{}"}}"#,
        "a".repeat(10 * 1024 * 1024)
    );
    for (body, status, words) in [
        (r#"{"do":"record_suds","value":101}"#, 422, "0 to 100"),
        (
            r#"{"do":"form","id":"phq9","when":"alone","answers":[0,0,0,0,0,0,0,0]}"#,
            422,
            "9 items; 8 answers",
        ),
        (
            r#"{"do":"form","id":"phq9","when":"alone","answers":[0,0,0,0,0,0,0,0,4]}"#,
            422,
            "item 9 (Thoughts",
        ),
        (
            r#"{"do":"form","id":"beck","when":"alone","answers":[]}"#,
            422,
            "no questionnaire \"beck\"",
        ),
        (
            r#"{"do":"expect_before","likelihood":101,"expected_peak":50}"#,
            422,
            "the likelihood 101: expected a whole number from 0 to 100",
        ),
        (
            r#"{"do":"expect_after","happened":"maybe","surprise":1,"felt_peak":1}"#,
            400,
            "not a control",
        ),
        (r#"{"do":"step","to":99}"#, 422, "steps are 1 to 4"),
        (
            r#"{"do":"event","name":"earthquake"}"#,
            422,
            "cannot be fired",
        ),
        (r#"{"do":"volume","to":-1}"#, 422, "0 (silent)"),
        (r#"{"do":"note","text":""}"#, 422, "empty"),
        (r#"{"do":"launch"}"#, 400, "not a control"),
        (r#"{"do":"step","to":"#, 400, "not a control"),
        ("not json at all", 400, "not a control"),
        (huge_note.as_str(), 413, ""),
    ] {
        let r = go(&mut app, body);
        assert_eq!(
            r.status,
            status,
            "{} -> {}",
            &body[..body.len().min(60)],
            r.body
        );
        if !words.is_empty() {
            assert!(error_of(&r).contains(words), "{}", r.body);
        }
        for _ in 0..3 {
            app.update();
        }
        let now = snapshot(&app);
        assert_eq!(
            (
                now.exposure.clone(),
                now.last_suds,
                now.listening,
                now.paused_for
            ),
            (
                before.exposure.clone(),
                before.last_suds,
                before.listening,
                before.paused_for
            ),
            "{} changed the session",
            &body[..body.len().min(60)]
        );
    }
    // Refused by the app itself: already in the safe place.
    assert_eq!(go(&mut app, r#"{"do":"safe_place"}"#).status, 200);
    assert!(update_until(&mut app, Duration::from_secs(10), |w| w
        .resource::<SessionSnapshot>()
        .place
        .as_ref()
        .is_some_and(|p| p.is_safe_place())));
    let r = go(&mut app, r#"{"do":"leave_safe_place"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(update_until(&mut app, Duration::from_secs(10), |w| !w
        .resource::<SessionSnapshot>()
        .place
        .as_ref()
        .is_some_and(|p| p.is_safe_place())));
    assert_eq!(step(&app), 4, "back at the same step");
    let r = go(
        &mut app,
        r#"{"do":"questionnaire","when":"after","answers":[1,1,0,1,0,0,1,0,1,0,0,1,0,0,1,0]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Questionnaire (after)") && r.body.contains("total 33.7"),
        "{}",
        r.body
    );
    let r = go(
        &mut app,
        r#"{"do":"questionnaire","when":"after","answers":[1,1,1]}"#,
    );
    assert_eq!(r.status, 422);
    assert!(error_of(&r).contains("16 items"));
    let r = go(&mut app, r#"{"do":"note","text":"Calm after the lake."}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Note: Calm after the lake."));

    // The rhythm, chosen while the pacer is off, is the one it starts with.
    assert!(snapshot(&app).guide.is_none(), "the pacer starts off");
    let r = go(&mut app, r#"{"do":"rhythm","seconds":[4,4,4,4]}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Rhythm 4,4,4,4 when the pacer goes on"),
        "{}",
        r.body
    );
    let r = go(&mut app, r#"{"do":"pacer","on":true}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = go(&mut app, r#"{"do":"rhythm","preset":"resonance"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Rhythm resonance from the next breath in"),
        "{}",
        r.body
    );
    for (body, words) in [
        (r#"{"do":"rhythm","preset":"gasp"}"#, "expected a preset"),
        (r#"{"do":"rhythm","seconds":[4,0,6]}"#, "has 3 numbers"),
        (r#"{"do":"rhythm","seconds":[4,0,600,0]}"#, "rhythm"),
        (
            r#"{"do":"scene","file":"spiders.ron"}"#,
            "these are: lake_dusk.ron, steps.ron",
        ),
        (
            r#"{"do":"scene","file":"steps.ron","step":99}"#,
            "steps are 1 to 4",
        ),
        (
            r#"{"do":"scene","file":"lake_dusk.ron","step":2}"#,
            "has no steps",
        ),
    ] {
        let r = go(&mut app, body);
        assert_eq!(r.status, 422, "{body} -> {}", r.body);
        assert!(error_of(&r).contains(words), "{body} -> {}", r.body);
    }

    // Another scene, and back to the exposure at a step: it arrives through
    // the veil with the pacer off.
    let r = go(&mut app, r#"{"do":"scene","file":"lake_dusk.ron"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Going to lake_dusk.ron"), "{}", r.body);
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<SessionSnapshot>()
        .scene
        .as_ref()
        .is_some_and(|s| s.path == "lake_dusk.ron")));
    assert!(snapshot(&app).exposure.is_none());
    assert!(
        snapshot(&app).guide.is_some(),
        "the pacer goes on in the lake"
    );
    let r = go(&mut app, r#"{"do":"scene","file":"steps.ron","step":3}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    // The step is the person's from the moment they are sent; the scene
    // is shown once the veil has closed over the lake.
    assert!(update_until(&mut app, Duration::from_secs(30), |w| {
        let s = w.resource::<SessionSnapshot>();
        s.exposure.as_ref().is_some_and(|e| e.step == 3)
            && s.scene.as_ref().is_some_and(|s| s.path == "steps.ron")
    }));
    assert!(update_until(&mut app, Duration::from_secs(5), |w| w
        .resource::<SessionSnapshot>()
        .guide
        .is_none()));

    // The server goes with the app.
    drop(app);
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "the console still listens after the app closed"
    );
}

/// The TCP ports a process listens on, from its sockets and the kernel's
/// table of listening sockets.
fn listening(pid: u32) -> Vec<String> {
    let mut inodes = Vec::new();
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in fds.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path()) {
                let link = link.to_string_lossy().into_owned();
                if let Some(inode) = link
                    .strip_prefix("socket:[")
                    .and_then(|s| s.strip_suffix(']'))
                {
                    inodes.push(inode.to_owned());
                }
            }
        }
    }
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // State 0A is LISTEN; column 9 is the socket's inode.
            if cols.len() > 9 && cols[3] == "0A" && inodes.iter().any(|i| i == cols[9]) {
                found.push(cols[1].to_owned());
            }
        }
    }
    found
}

#[test]
fn nothing_listens_unless_the_console_is_asked_for_and_then_only_on_loopback() {
    for console in [false, true] {
        let mut command = stillpoint();
        command.args(["--desktop", "--silent", "--quit-after", "8", "--no-journal"]);
        if console {
            command.arg("--console");
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(5));
        let ports = listening(child.id());
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        if console {
            assert_eq!(ports.len(), 1, "{ports:?}\n{printed}");
            // 0100007F is 127.0.0.1 in the kernel's table.
            assert!(ports[0].starts_with("0100007F:"), "{ports:?}");
            let port = u16::from_str_radix(ports[0].split(':').nth(1).unwrap(), 16).unwrap();
            assert!(
                printed.contains(&format!("http://127.0.0.1:{port}/"))
                    && printed.contains("pairing code"),
                "{printed}"
            );
        } else {
            assert!(ports.is_empty(), "listening without --console: {ports:?}");
        }
    }
}

/// Asks `holds` every 50 ms until it is true or `limit` has passed; whether
/// it came true.
pub(crate) fn within(limit: Duration, mut holds: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !holds() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A WebDriver session with chromedriver, through fantoccini, on a runtime
/// of the test's own: each command waits for its answer.
pub(crate) struct Browser {
    driver: std::process::Child,
    runtime: tokio::runtime::Runtime,
    client: Option<fantoccini::Client>,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with an empty profile.
    fn start(profile: &std::path::Path) -> Self {
        Self::start_with(profile, &[])
    }

    /// [`Browser::start`], with more of Chromium's switches.
    pub(crate) fn start_with(profile: &std::path::Path, more: &[String]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = crate::common::output_dir("console").join("chromedriver.log");
        let driver = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            // Cargo points the library path at the build's own folders for
            // tests; the browser wants the system's.
            .env_remove("LD_LIBRARY_PATH")
            // A process group of its own, with the browser it starts, so
            // that nothing outlives the test.
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/setup installs it)");
        assert!(
            within(Duration::from_secs(20), || {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            }),
            "chromedriver never listened"
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // As root, without a sandbox; no background traffic to anywhere.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,1000",
        ]
        .iter()
        .map(|a| serde_json::Value::from(*a))
        .chain([format!("--user-data-dir={}", profile.display()).into()])
        .chain(more.iter().map(|a| serde_json::Value::from(a.as_str())))
        .collect::<Vec<_>>();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        // chromedriver is on loopback: plain HTTP, no TLS.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = runtime
            .block_on(
                fantoccini::ClientBuilder::new(connector)
                    .capabilities(capabilities)
                    .connect(&format!("http://127.0.0.1:{port}")),
            )
            .unwrap_or_else(|e| panic!("no browser session: {e}"));
        Self {
            driver,
            runtime,
            client: Some(client),
        }
    }

    pub(crate) fn client(&self) -> &fantoccini::Client {
        self.client.as_ref().expect("the browser session is open")
    }

    /// Runs one WebDriver command to its answer.
    pub(crate) fn done<T>(
        &self,
        what: &str,
        command: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> T {
        self.runtime
            .block_on(command)
            .unwrap_or_else(|e| panic!("the browser could not {what}: {e}"))
    }

    pub(crate) fn go(&self, url: &str) {
        self.done(&format!("open {url}"), self.client().goto(url));
    }

    pub(crate) fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.done(
            &format!("find {css}"),
            self.client().find(fantoccini::Locator::Css(css)),
        )
    }

    /// Clicks once the control is enabled (the page enables a control when
    /// the view it has been sent allows it).
    pub(crate) fn click(&self, css: &str) {
        let element = self.element(css);
        assert!(
            within(Duration::from_secs(10), || {
                self.done(
                    &format!("see whether {css} is enabled"),
                    element.is_enabled(),
                )
            }),
            "{css} stayed disabled"
        );
        self.done(&format!("click {css}"), element.click());
    }

    pub(crate) fn type_in(&self, css: &str, text: &str) {
        let element = self.element(css);
        // The page shows its sections once it knows whether it is paired.
        assert!(
            within(Duration::from_secs(10), || {
                self.done(
                    &format!("see whether {css} is shown"),
                    element.is_displayed(),
                )
            }),
            "{css} was never shown"
        );
        self.done(&format!("clear {css}"), element.clear());
        self.done(&format!("type in {css}"), element.send_keys(text));
    }

    /// Runs a script in the page and returns its result.
    pub(crate) fn run(&self, script: &str) -> serde_json::Value {
        self.done("run a script", self.client().execute(script, Vec::new()))
    }

    /// The app's view, as the page fetches it with its own cookie.
    pub(crate) fn view(&self) -> serde_json::Value {
        let text = self.done(
            "fetch the view",
            self.client().execute_async(
                "const done = arguments[0]; fetch('/api/view').then(r => r.text()).then(done, e => done(String(e)));",
                Vec::new(),
            ),
        );
        serde_json::from_str(text.as_str().unwrap_or("")).unwrap_or_else(|_| text.clone())
    }

    /// Waits until `holds` is true of the app's view; the last view.
    pub(crate) fn until(
        &self,
        what: &str,
        holds: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let view = self.view();
            if holds(&view) {
                return view;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the app's snapshot never showed {what}: {view}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn feedback(&self) -> String {
        self.run("return document.getElementById('feedback').textContent")
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Clicks and waits until the page says the app has done it.
    pub(crate) fn control(&self, css: &str) {
        self.run("document.getElementById('feedback').textContent = ''");
        self.click(css);
        assert!(
            within(Duration::from_secs(30), || self
                .feedback()
                .starts_with("Done")),
            "{css}: the page never said done: {:?}",
            self.feedback()
        );
    }

    pub(crate) fn screenshot(&self, out: &std::path::Path) {
        let png = self.done("take a screenshot", self.client().screenshot());
        std::fs::write(out, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        // Closing the session quits the browser; should it not have (the
        // test failed mid-command, or chromedriver did not get to it), the
        // group goes with chromedriver.
        let group = self.driver.id() as libc::pid_t;
        // SAFETY: kill(2) with a negative pid signals the process group
        // that `process_group(0)` made for chromedriver; it touches no memory.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.driver.wait();
    }
}

/// The app with its console, run as the therapist runs it, and what it
/// printed.
pub(crate) struct Launched {
    /// Killed should the test fail before the app closes on stop.
    pub(crate) app: crate::common::Reaped,
    /// The console's address, `http://127.0.0.1:PORT`.
    pub(crate) address: String,
    /// The pairing code.
    pub(crate) code: String,
    /// The rest of what it prints, once it ends.
    pub(crate) printed: std::thread::JoinHandle<String>,
}

/// Starts the app with `args` and its data under `home`, with no
/// passphrase file and no terminal to ask on (the record is made from the
/// page, after pairing), and reads its console's address and code.
pub(crate) fn launched(home: &Path, args: &[&str]) -> Launched {
    let mut command = stillpoint();
    command.env_remove("STILLPOINT_PASSPHRASE_FILE");
    // SAFETY: setsid only makes the child the leader of a session of its
    // own, without the test's terminal.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::setsid();
            Ok(())
        });
    }
    let mut app = crate::common::Reaped(
        command
            .env("XDG_DATA_HOME", home.join("data"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = std::io::BufReader::new(app.stdout.take().unwrap());
    let (mut address, mut code) = (String::new(), String::new());
    while address.is_empty() || code.is_empty() {
        let mut line = String::new();
        assert!(
            std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
            "the app ended before printing its console's address and code"
        );
        if let Some(rest) = line.split("console is at ").nth(1) {
            address = rest.trim().trim_end_matches('/').to_owned();
        }
        if let Some(rest) = line.split("pairing code: ").nth(1) {
            code = rest.split_whitespace().next().unwrap().to_owned();
        }
    }
    let printed = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = out.read_to_string(&mut rest);
        rest
    });
    Launched {
        app,
        address,
        code,
        printed,
    }
}

#[test]
fn a_therapist_runs_a_session_from_a_real_browser_and_the_report_holds_it_all() {
    let home = crate::common::scratch("console-browser");
    let shots = crate::common::output_dir("console");
    let Launched {
        mut app,
        address,
        code,
        printed,
    } = launched(
        &home,
        // The default scene: the therapist chooses the spiders from the
        // console.
        &[
            "--desktop",
            "--silent",
            "--alias",
            "R.K.",
            "--console",
            "--quit-after",
            "300",
        ],
    );

    let browser = Browser::start(&home.join("profile"));
    browser.go(&format!("{address}/"));
    browser.type_in("#code", &code);
    browser.click("#pair-form button");
    let view = browser.until("the session, paired", |v| v["alias"] == "R.K.");
    assert_eq!(view["paused_for"], serde_json::json!(["therapist"]));
    assert_eq!(view["record"]["locked"], "new_passphrase");
    browser.screenshot(&shots.join("paired.png"));

    // The record is locked: the session does not start, and the page says
    // why; two passphrases that differ, or one too short, make nothing.
    browser.click("button[data-do=start]");
    assert!(
        within(Duration::from_secs(10), || browser
            .feedback()
            .contains("choose its passphrase")),
        "a locked record's session started: {:?}",
        browser.feedback()
    );
    let record = home.join("data/stillpoint/journal.sqlite3");
    let unlock = |pass: &str, again: &str| {
        browser.run("document.getElementById('unlock-result').textContent = ''");
        browser.type_in("#unlock-pass", pass);
        browser.type_in("#unlock-again", again);
        browser.click("#unlock-form button");
        let mut said = String::new();
        assert!(
            within(Duration::from_secs(20), || {
                said = browser
                    .run("return document.getElementById('unlock-result').textContent")
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                !said.is_empty() && said != "Checking…"
            }),
            "the page never answered the passphrase"
        );
        said
    };
    let said = unlock("a calm lake at dusk", "a calm lake at dawn");
    assert_eq!(said, "the two were not the same");
    let said = unlock("too short", "too short");
    assert!(said.contains("at least 10 characters"), "{said}");
    assert!(!record.exists() || std::fs::metadata(&record).unwrap().len() == 0);
    browser.screenshot(&shots.join("locked.png"));
    let said = unlock(crate::common::PASSPHRASE, crate::common::PASSPHRASE);
    // A machine this loaded can take longer than a control's wait to run
    // the frame that takes it: the page then says so, and the view shows
    // when it has.
    assert!(
        said == "Unlocked." || said.contains("the app has not taken it yet"),
        "{said}"
    );
    browser.until("the record unlocked", |v| v["record"]["locked"].is_null());
    assert!(
        browser.run("return document.getElementById('unlock').hidden") == true,
        "the unlock form is still shown"
    );
    // A new client for this course of treatment, made before the start.
    browser.type_in("#client-new", "R.K., second course");
    browser.control("#client-make");
    browser.until("the new client", |v| v["alias"] == "R.K., second course");
    // The lake has no steps: the page offers none.
    assert!(
        within(Duration::from_secs(10), || {
            browser.run("return document.querySelector('button[data-change=up]').disabled") == true
        }),
        "step up is offered in a scene without steps"
    );

    // Start the spiders scene, at its first step.
    assert_eq!(view["scene"]["file"], "lake_dusk.ron");
    browser.run(
        "const s = document.getElementById('scene-choice'); s.value = 'spiders.ron'; \
         s.dispatchEvent(new Event('change'));",
    );
    browser.control("#scene-go");
    let spiders = browser.until("the spiders scene", |v| {
        v["scene"]["file"] == "spiders.ron" && v["step"]["number"] == 1
    });
    assert_eq!(
        spiders["pacer"],
        serde_json::Value::Null,
        "the pacer is off"
    );
    // The client's plan for the kitchen, made on the page: the first three
    // steps and the fifth, in that order, in the client's words.
    browser.run("document.getElementById('plan-box').open = true");
    // The editor fills from /api/plan once the page has the scene: on a
    // loaded machine that comes after the view says the scene is shown.
    assert!(
        within(Duration::from_secs(20), || browser
            .run("return document.querySelectorAll('#plan-rows tr').length")
            .as_u64()
            .is_some_and(|n| n >= 5)),
        "the plan editor never listed the kitchen's steps"
    );
    for (row, order) in [(1, 1), (2, 2), (3, 3), (5, 4)] {
        browser.type_in(
            &format!("#plan-rows tr:nth-child({row}) .order"),
            &order.to_string(),
        );
    }
    browser.type_in(
        "#plan-rows tr:nth-child(1) .words",
        "the drawing on the fridge",
    );
    browser.type_in("#plan-rows tr:nth-child(3) .predicted", "60");
    browser.type_in(
        "#plan-rows tr:nth-child(3) .feared",
        "it will run onto my hand",
    );
    browser.click("#plan-save");
    assert!(
        within(Duration::from_secs(20), || browser
            .run("return document.getElementById('plan-result').textContent")
            .as_str()
            .is_some_and(|t| t.starts_with("Saved as plan"))),
        "the plan was not saved: {:?}",
        browser.run("return document.getElementById('plan-result').textContent")
    );
    let planned = browser.until("the plan in force", |v| {
        v["plan"]["steps"].as_array().is_some_and(|s| s.len() == 4)
    });
    assert_eq!(
        planned["plan"]["steps"][2]["feared"],
        "it will run onto my hand"
    );
    browser.screenshot(&shots.join("plan.png"));
    browser.control("button[data-do=start]");
    browser.until("the session running", |v| v["flow"] == "running");
    browser.control("button[data-change=up]");
    browser.until("step 2", |v| v["step"]["number"] == 2);
    browser.control("button[data-change=up]");
    let at3 = browser.until("step 3", |v| v["step"]["number"] == 3);
    let event = at3["events"][0]
        .as_str()
        .expect("an event at step 3")
        .to_owned();
    // What the client expects of this step, and then what they found.
    browser.type_in("#expect-likely", "80");
    browser.type_in("#expect-peak", "70");
    browser.control("#expect-before");
    browser.control("#events button");
    browser.type_in("#suds-heard", "40");
    browser.control("#suds-record");
    browser.run("document.getElementById('expect-happened').value = 'no'");
    browser.type_in("#expect-surprise", "65");
    browser.type_in("#expect-felt", "45");
    browser.control("#expect-after");
    browser.until("SUDS 40", |v| v["last_suds"] == 40);
    browser.control("button[data-do=safe_place]");
    browser.until("the safe place", |v| v["safe_place"] == true);
    browser.control("button[data-do=leave_safe_place]");
    browser.until("back at step 3", |v| {
        v["safe_place"] == false && v["step"]["number"] == 3
    });
    browser.type_in("#note", "Calmer after the lake; asked to go on.");
    browser.control("#note-add");
    // Every line the page logged is marked recorded once it is on the disk.
    let view = browser.until("everything committed", |v| {
        v["record"]["committed"] == v["record"]["made"] && v["record"]["made"].as_u64() > Some(8)
    });
    assert!(
        within(Duration::from_secs(10), || {
            browser.run("return document.querySelectorAll('#log .rec:not(.done)').length") == 0
        }),
        "lines never marked recorded"
    );
    // The mirror of the client's window, small, kept fresh.
    assert!(
        within(Duration::from_secs(15), || {
            browser.run("return document.getElementById('mirror').naturalWidth") == 320
        }),
        "no mirror of the window came"
    );
    // The PHQ-9, given after the session's part, from its file.
    browser.run(
        "const d = document.getElementById('forms-box'); d.open = true; \
         const c = document.getElementById('form-choice'); c.value = 'phq9'; \
         c.dispatchEvent(new Event('change')); \
         document.getElementById('form-when').value = 'after';",
    );
    for (i, v) in [1, 2, 1, 1, 0, 1, 1, 0, 0].iter().enumerate() {
        browser.run(&format!(
            "document.getElementById('form-{i}').value = '{v}'"
        ));
    }
    browser.control("#form-record");
    assert!(
        browser
            .feedback()
            .contains("PHQ-9 (depression) (after): 7, mild"),
        "{}",
        browser.feedback()
    );
    // The SUDS of 40 corrected to 35, and the note closed, from the page.
    browser.run("const d = document.getElementById('amend-box'); d.open = true;");
    let row = |starts: &str| {
        format!(
            "[...document.querySelectorAll('#amend-rows tr')].find((tr) => \
             tr.children[3].textContent.startsWith({starts:?}))"
        )
    };
    assert!(
        within(Duration::from_secs(10), || browser
            .run(&format!("return !!({})", row("SUDS 40")))
            == true),
        "the page never listed the SUDS to correct"
    );
    browser.run(&format!(
        "const tr = {}; tr.querySelector('.amend-value').value = '35'; \
         tr.querySelector('.amend-why').value = 'misheard; the client said 35'; \
         tr.querySelector('.amend-correct').click();",
        row("SUDS 40")
    ));
    let amended = || {
        browser
            .run("return document.getElementById('amend-result').textContent")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        within(Duration::from_secs(10), || amended()
            .starts_with("Done: entry")),
        "the correction was not kept: {}",
        amended()
    );
    assert!(
        within(Duration::from_secs(10), || browser
            .run(&format!("return !!({})", row("SUDS 35")))
            == true),
        "the page does not list the corrected SUDS"
    );
    browser.type_in("#amend-by", "Dr A. Moss");
    browser.run(&format!(
        "{}.querySelector('.amend-close').click();",
        row("Calmer after the lake")
    ));
    assert!(
        within(Duration::from_secs(10), || amended().contains("closed")),
        "the note was not closed: {}",
        amended()
    );
    browser.screenshot(&shots.join("console.png"));

    // The report, from the page's own export link.
    let session = view["record"]["session"]
        .as_i64()
        .expect("a recorded session");
    browser.go(&format!("{address}/api/export/{session}?format=html"));
    std::thread::sleep(Duration::from_millis(500));
    let report = browser.run("return document.documentElement.outerHTML");
    let report = report.as_str().unwrap();
    browser.screenshot(&shots.join("report.png"));
    let client = view["record"]["client"]
        .as_str()
        .expect("the client's code in the view")
        .to_owned();
    assert!(
        !report.contains("R.K."),
        "the report names the client's alias"
    );
    for item in [
        client.as_str(),
        "The kitchen",
        "The step changed",
        "Jar, near",
        "An event was fired",
        event.as_str(),
        "SUDS given",
        "40",
        "Went to the safe place",
        "Came back from the safe place",
        "Paused (therapist)",
        "Calmer after the lake; asked to go on.",
        "plan in force",
        "Expected before the step",
        "Found after the step",
        "PHQ-9 (depression)",
        "mild",
        "corrected from 40",
        "misheard; the client said 35",
        "closed by Dr A. Moss",
    ] {
        assert!(report.contains(item), "the report lacks {item:?}");
    }

    // The client's progress, from the page's link: this session, with its
    // plan, its steps' peak SUDS and the PHQ-9's band.
    browser.go(&format!("{address}/api/progress?format=html"));
    std::thread::sleep(Duration::from_millis(500));
    let progress = browser.run("return document.documentElement.outerHTML");
    let progress = progress.as_str().unwrap();
    browser.screenshot(&shots.join("progress.png"));
    for item in [
        "Progress across sessions",
        client.as_str(),
        "<polyline",
        "phq9 (after) 7, mild",
    ] {
        assert!(progress.contains(item), "the progress lacks {item:?}");
    }
    assert!(!progress.contains("R.K."), "the progress names the alias");

    // Stop: the app fades out and closes, and the record says it ended.
    browser.go(&format!("{address}/"));
    browser.until("the console again", |v| v["alias"] == "R.K., second course");
    browser.click("button[data-do=stop]");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = app.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the app did not close on stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(browser);
    let _ = printed.join();
    assert!(status.success(), "{status}");
    let record = home.join("data").join("stillpoint").join("journal.sqlite3");
    let db = stillpoint::journal::store::open(&record, false, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let ended = stillpoint::journal::store::session(&db, session).unwrap();
    assert!(ended.session.ended_ms.is_some(), "the end is recorded");
}

/// The child of the console's crash test: a session with the console and
/// the record on; a client thread pairs, then adds notes as fast as the
/// console takes them, printing each once the console shows it committed.
#[test]
#[ignore = "run by the console's crash test as its child process"]
fn console_crash_child() {
    let Some(record) = std::env::var_os("STILLPOINT_CRASH_RECORD") else {
        return;
    };
    let run: u32 = std::env::var("STILLPOINT_CRASH_RUN")
        .unwrap()
        .parse()
        .unwrap();
    let alias = format!("crash-{run}");
    let record = std::path::PathBuf::from(record);
    let (mut app, addr) =
        recorded_console_app(&format!("console-crash-{run}"), Some((&record, &alias)));
    let code = code(&app);
    std::thread::spawn(move || {
        let pair = Ask::new(addr, "POST", "/api/pair").json(&format!("{{\"code\":\"{code}\"}}"));
        let reply = plain(addr, &pair.raw());
        let cookie = reply
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut out = std::io::stdout().lock();
        for n in 1u64.. {
            writeln!(out, "sent {n}").unwrap();
            out.flush().unwrap();
            let note = Ask::new(addr, "POST", "/api/control")
                .json(&format!(
                    "{{\"do\":\"note\",\"text\":\"{alias} note {n}\"}}"
                ))
                .cookie(&cookie);
            assert_eq!(plain(addr, &note.raw()).status, 200);
            // Recorded once the view says every write made is committed.
            let mut wanted = None;
            loop {
                let view = plain(
                    addr,
                    &Ask::new(addr, "GET", "/api/view").cookie(&cookie).raw(),
                );
                let v: serde_json::Value = serde_json::from_str(&view.body).unwrap();
                let made = v["record"]["made"].as_u64().unwrap();
                let committed = v["record"]["committed"].as_u64().unwrap();
                let wanted = *wanted.get_or_insert(made);
                if committed >= wanted {
                    break;
                }
            }
            writeln!(out, "acked {n}").unwrap();
            out.flush().unwrap();
        }
    });
    loop {
        app.update();
    }
}

#[test]
fn a_session_killed_while_the_console_records_keeps_every_entry_it_showed_recorded() {
    let dir = crate::common::scratch("console-crash");
    let record = dir.join("journal.sqlite3");
    let mut random = crate::common::random_source(0x2545_F491_4F6C_DD1D);
    const KILLS: u32 = 50;
    let (mut in_flight, mut acked_in_all) = (0, 0);
    for run in 1..=KILLS {
        let killed = crate::common::kill_at_random(
            "console::console_crash_child",
            &record,
            run,
            "sent",
            Duration::from_millis(300),
            &mut random,
        );
        let (acked, sent) = (killed.acked, killed.started);
        if sent > acked {
            in_flight += 1;
        }
        let db = rusqlite::Connection::open(&record).unwrap();
        stillpoint::journal::store::unlock(&db, &record, &passphrase()).unwrap();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "run {run}");
        let alias = format!("crash-{run}");
        for n in 1..=acked {
            let there: i64 = db
                .query_row(
                    "SELECT COUNT(*) FROM entries e JOIN sessions s ON s.id = e.session
                     JOIN clients c ON c.id = s.client WHERE c.alias = ?1 AND e.kind = 'note' AND e.text = ?2",
                    rusqlite::params![alias, format!("{alias} note {n}")],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(
                there, 1,
                "run {run}: note {n} was shown recorded but is not there"
            );
        }
        acked_in_all += acked;
    }
    println!(
        "{KILLS} kills through the console: {acked_in_all} notes shown recorded, all there; {in_flight} kills came with a note in flight"
    );
    assert!(
        in_flight >= KILLS * 4 / 5,
        "only {in_flight} of {KILLS} kills came mid-write"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_the_headset_the_pairing_code_is_on_the_panel_while_the_session_waits() {
    use stillpoint::app::harness::Harness;
    use stillpoint::overlay::panel::PanelText;

    let mut h = Harness::new(&crate::common::scenes_dir(), "spiders.ron").at_step(0);
    h.app.add_plugins(stillpoint::console::ConsolePlugin {
        options: ConsoleOptions {
            bind: "127.0.0.1:0".parse().unwrap(),
            alias: "R.K.".into(),
            journal: None,
            scenes: Vec::new(),
            answer_within: ANSWER_WITHIN,
        },
    });
    assert!(h.until_shown(3_000), "the kitchen did not load");
    for _ in 0..3 {
        h.step();
    }
    let panel = |h: &mut Harness| {
        let world = h.app.world_mut();
        world
            .query_filtered::<&Text, With<PanelText>>()
            .single(world)
            .unwrap()
            .0
            .clone()
    };
    let code = code(&h.app);
    let words = panel(&mut h);
    assert!(words.contains("therapist"), "{words:?}");
    assert!(
        words.ends_with(&format!(
            "Therapist's console code: {} {}",
            &code[..3],
            &code[3..]
        )),
        "{words:?}"
    );
    // Once the therapist starts the session, the client's panel has the
    // pacer's or the scene's words again, and no code.
    h.app
        .world_mut()
        .write_message(Intent::Resume(PauseReason::Therapist));
    for _ in 0..3 {
        h.step();
    }
    let words = panel(&mut h);
    assert!(!words.contains("console code"), "{words:?}");
}

/// The real app (the `stillpoint` binary, in a window under the tests' X
/// server) in the spiders scene with the console on; what it prints is read
/// as it goes. Dropping it kills the app.
struct Running {
    process: std::process::Child,
    addr: SocketAddr,
    code: String,
    out: Option<std::thread::JoinHandle<String>>,
    err: Option<std::thread::JoinHandle<String>>,
}

impl Running {
    /// Starts the app and waits for its console's address and code.
    fn start() -> Self {
        let mut process = stillpoint()
            .args([
                "--desktop",
                "--silent",
                "--no-journal",
                "--console",
                "--quit-after",
                "120",
                "--scene",
            ])
            .arg(crate::common::scenes_dir().join("spiders.ron"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = process.stderr.take().unwrap();
        let err = std::thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            all
        });
        let mut stdout = std::io::BufReader::new(process.stdout.take().unwrap());
        // Made first, so that the app is killed should it never print.
        let mut running = Running {
            process,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            code: String::new(),
            out: None,
            err: Some(err),
        };
        let mut printed = String::new();
        let mut addr: Option<SocketAddr> = None;
        while addr.is_none() || running.code.is_empty() {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the app ended before printing its console's address and code: {printed}"
            );
            if let Some(rest) = line.split("console is at http://").nth(1) {
                addr = rest.trim().trim_end_matches('/').parse().ok();
            }
            if let Some(rest) = line.split("pairing code: ").nth(1) {
                running.code = rest.split_whitespace().next().unwrap_or("").to_owned();
            }
            printed.push_str(&line);
        }
        running.addr = addr.unwrap();
        running.out = Some(std::thread::spawn(move || {
            let _ = stdout.read_to_string(&mut printed);
            printed
        }));
        running
    }

    /// Stops the app; everything it printed on its output and its errors.
    fn stop(mut self) -> (String, String) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let out = self
            .out
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default();
        let err = self
            .err
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default();
        (out, err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Tries `code` at `addr` as the page does.
fn pair_with(addr: SocketAddr, code: &str) -> Reply {
    plain(
        addr,
        &Ask::new(addr, "POST", "/api/pair")
            .json(&format!("{{\"code\":\"{code}\"}}"))
            .raw(),
    )
}

/// Whether a read ended because the server closed (or reset) the
/// connection, rather than with data or a timeout.
fn closed_by_server(read: &std::io::Result<usize>) -> bool {
    match read {
        Ok(n) => *n == 0,
        Err(e) => matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::ConnectionAborted
        ),
    }
}

#[test]
fn wrong_codes_withdraw_the_code_and_tries_are_limited_with_a_line_for_each_not_per_try() {
    let app = Running::start();
    let (addr, code) = (app.addr, app.code.clone());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..5).rev() {
        let r = pair_with(addr, wrong);
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(
            error_of(&r).contains(&format!("{left} tries left")),
            "{}",
            r.body
        );
    }
    let r = pair_with(addr, wrong);
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        error_of(&r),
        "too many wrong codes: the code is withdrawn; ask the person at the app to press C for a new one"
    );
    // The code the app printed pairs no more.
    let r = pair_with(addr, &code);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(error_of(&r).contains("withdrawn"), "{}", r.body);

    // Twenty tries as fast as they go: of the ten a minute looked at, six
    // are gone; the rest are refused unchecked.
    let statuses: Vec<u16> = (0..20).map(|_| pair_with(addr, wrong).status).collect();
    let looked = MAX_TRIES - 6;
    assert!(
        statuses[..looked].iter().all(|s| *s == 403)
            && statuses[looked..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    let r = pair_with(addr, &code);
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(error_of(&r), "too many tries; wait a minute");
    assert_eq!(r.header("retry-after"), Some("60"));

    // No new code was made or printed; each change was said once.
    let (out, err) = app.stop();
    let printed = format!("{out}\n{err}");
    let codes: Vec<&str> = printed
        .lines()
        .filter(|l| l.contains("pairing code:"))
        .collect();
    assert_eq!(
        codes.len(),
        1,
        "a code was printed after wrong tries: {codes:?}"
    );
    let said = |words: &str| printed.lines().filter(|l| l.contains(words)).count();
    assert_eq!(said("withdrawn"), 1, "{err}");
    assert_eq!(said("tries in a minute"), 1, "{err}");
}

#[test]
fn idle_connections_are_closed_and_never_lock_the_therapist_out() {
    let app = Running::start();
    let addr = app.addr;
    // More connections than the cap, sending nothing.
    let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS + 8)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    // The server has taken them all.
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let paired = pair_with(addr, &app.code);
    assert_eq!(paired.status, 200, "{}", paired.body);
    let cookie = paired
        .header("set-cookie")
        .expect("a cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let view = plain(
        addr,
        &Ask::new(addr, "GET", "/api/view").cookie(&cookie).raw(),
    );
    assert_eq!(view.status, 200, "{}", view.body);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "pairing and the view took {:?} past {} idle connections",
        start.elapsed(),
        idle.len()
    );
    // The oldest idle connection made room: it is closed.
    let mut oldest = &idle[0];
    oldest
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut byte = [0u8; 1];
    let read = oldest.read(&mut byte);
    assert!(
        closed_by_server(&read),
        "the oldest idle connection was kept: {read:?}"
    );
    drop(idle);

    // On their own: one connection that sends nothing, one that stalls in
    // the middle of its head. Each is closed once quiet for five seconds.
    let silent = TcpStream::connect(addr).unwrap();
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    let start = Instant::now();
    for (what, mut stream) in [("sends nothing", &silent), ("stalls mid-head", &stalled)] {
        stream
            .set_read_timeout(Some(Duration::from_secs(12)))
            .unwrap();
        let read = stream.read(&mut byte);
        assert!(
            closed_by_server(&read),
            "a connection that {what} was kept: {read:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "a connection that {what} was kept {:?}",
            start.elapsed()
        );
    }
    assert!(
        start.elapsed() >= Duration::from_secs(4),
        "closed after only {:?}, before it was quiet for long",
        start.elapsed()
    );
    drop(app);
}

#[test]
fn a_console_exports_the_session_it_runs_and_no_other() {
    let dir = crate::common::scratch("console-export-record");
    let record = dir.join("journal.sqlite3");
    // An earlier session of another client, in the same record.
    let other = {
        let db = stillpoint::journal::store::open(&record, true, Some(&passphrase()))
            .unwrap()
            .unwrap();
        db.execute(
            "INSERT INTO sessions (alias, scene, title, kind, started_ms)
             VALUES ('J.D.', 'steps.ron', 'Another client', 'exposure', 1)",
            [],
        )
        .unwrap();
        db.last_insert_rowid()
    };
    let (mut app, addr) = recorded_console_app("console-export", Some((&record, "R.K.")));
    assert!(
        update_until(&mut app, Duration::from_secs(30), |w| {
            let r = &w.resource::<SessionSnapshot>().record;
            r.session.is_some() && r.committed >= r.made
        }),
        "the session was never recorded"
    );
    let own = snapshot(&app).record.session.unwrap();
    assert_ne!(own, other);
    let cookie = paired(&mut app, addr);
    let export = |id: i64| {
        Ask::new(addr, "GET", &format!("/api/export/{id}?format=json"))
            .cookie(&cookie)
            .raw()
    };
    for id in [other, own + 1000] {
        let r = send(&mut app, addr, export(id));
        assert_eq!(r.status, 404, "session {id}: {}", r.body);
        assert_eq!(
            error_of(&r),
            "this console exports only the session it runs"
        );
    }
    let r = send(&mut app, addr, export(own));
    assert_eq!(r.status, 200, "{}", r.body);
    let client = snapshot(&app).record.client.clone().unwrap();
    assert!(
        r.body.contains(&format!("\"client\": \"{client}\""))
            && !r.body.contains("R.K.")
            && !r.body.contains("J.D.")
            && !r.body.contains("Another client"),
        "{}",
        r.body
    );
    // Saved by the client's code and the date, and in the audit trail.
    let date = &stillpoint::journal::report::utc(stillpoint::journal::store::now_ms())[..10];
    let disposition = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-disposition"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"{client}-{date}-session-{own}.json\"")
    );
    let db = stillpoint::journal::store::open_read(&record, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let trail = stillpoint::journal::store::trail(&db).unwrap();
    assert!(
        trail.iter().any(|row| row.what == "exported"
            && row.detail == format!("session {own} as json, from the console")),
        "{trail:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The notes the app has added, in order.
fn notes(app: &App) -> Vec<String> {
    heard(app)
        .iter()
        .filter_map(|m| match m {
            Lifecycle::NoteAdded { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// A note control, as the page sends it.
fn note(addr: SocketAddr, cookie: &str, text: &str) -> Vec<u8> {
    Ask::new(addr, "POST", "/api/control")
        .json(&format!(r#"{{"do":"note","text":"{text}"}}"#))
        .cookie(cookie)
        .raw()
}

#[test]
fn a_control_answered_not_done_is_never_done() {
    let (mut app, addr) = console_app_with("console-not-done", None, Duration::from_millis(300));
    let cookie = paired(&mut app, addr);
    // The app does not update, so nothing takes the control.
    let r = plain(addr, &note(addr, &cookie, "Not done."));
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(
        error_of(&r),
        "the app did not act on it in time; it was not done"
    );
    // Now it updates, long enough to come to the control left waiting.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        !notes(&app).iter().any(|n| n == "Not done."),
        "a control answered not done was done: {:?}",
        notes(&app)
    );
    // The next control is taken and done, once.
    let r = send(&mut app, addr, note(addr, &cookie, "Done."));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(notes(&app), vec!["Done.".to_owned()]);
}

#[test]
fn of_many_controls_at_once_each_is_done_once_if_answered_done_and_never_if_not() {
    let (mut app, addr) = console_app_with("console-many", None, Duration::from_millis(300));
    let cookie = paired(&mut app, addr);
    // A hundred notes from fifty senders at once (fewer connections than
    // the cap, so that none is evicted).
    const SENDERS: usize = 50;
    const EACH: usize = 2;
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let cookie = cookie.clone();
            std::thread::spawn(move || {
                (0..EACH)
                    .map(|i| {
                        let text = format!("Note {} of many.", s * EACH + i);
                        let status = plain(addr, &note(addr, &cookie, &text)).status;
                        (text, status)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    // The app updates slowly: a frame every 40 ms, taking at most one
    // control a frame.
    let start = Instant::now();
    while !senders.iter().all(|s| s.is_finished()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the notes were never all answered"
        );
        app.update();
        std::thread::sleep(Duration::from_millis(40));
    }
    let answered: Vec<(String, u16)> = senders
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    // Long enough to come to every control left waiting.
    for _ in 0..50 {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    let notes = notes(&app);
    for (text, status) in &answered {
        let times = notes.iter().filter(|n| *n == text).count();
        match status {
            200 => assert_eq!(times, 1, "{text:?} was answered done"),
            503 => assert_eq!(times, 0, "{text:?} was answered not done"),
            other => panic!("{text:?} was answered {other}"),
        }
    }
    let done = answered.iter().filter(|(_, s)| *s == 200).count();
    assert_eq!(notes.len(), done, "notes done that were not answered done");
    assert!(
        done > 0 && done < answered.len(),
        "{done} of {} done: the test wants both answers",
        answered.len()
    );
}

#[test]
fn the_console_never_listens_on_every_network() {
    for wildcard in ["0.0.0.0", "::"] {
        let out = stillpoint()
            .args([
                "--desktop",
                "--silent",
                "--no-journal",
                "--console",
                "--console-bind",
                wildcard,
                "--quit-after",
                "5",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{wildcard}: {err}");
        assert!(
            err.contains(&format!(
                "--console-bind {wildcard} listens on every network; give the one address of \
                 this machine the therapist's laptop reaches, e.g. 192.168.1.20"
            )),
            "{err}"
        );
    }
}

#[test]
fn a_locked_record_holds_the_session_until_the_page_unlocks_it() {
    let dir = crate::common::scratch("console-unlock");
    let record = dir.join("journal.sqlite3");
    // An encrypted record with a session of another run in it.
    {
        let db = stillpoint::journal::store::open(&record, true, Some(&passphrase()))
            .unwrap()
            .unwrap();
        drop(db);
    }
    let before = std::fs::read(&record).unwrap();
    let (mut app, addr) = locked_console_app("console-unlock-app", &record);
    let cookie = paired(&mut app, addr);
    let post = |app: &mut App, path: &str, body: &str| {
        send(
            app,
            addr,
            Ask::new(addr, "POST", path)
                .json(body)
                .cookie(&cookie)
                .raw(),
        )
    };
    let v = view_of(&mut app, addr, &cookie);
    assert_eq!(v["record"]["locked"], "passphrase");
    // Start and Resume are refused, and the page is told why.
    for control in [r#"{"do":"start"}"#, r#"{"do":"resume"}"#] {
        let r = post(&mut app, "/api/control", control);
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            error_of(&r).contains("the session record is locked"),
            "{}",
            r.body
        );
    }
    assert!(snapshot(&app).paused_for.contains(PauseReason::Therapist));
    // A wrong passphrase: refused, with nothing changed.
    let r = post(
        &mut app,
        "/api/unlock",
        r#"{"passphrase":"a calm lake at dawn"}"#,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(error_of(&r).contains("does not open"), "{}", r.body);
    assert!(
        std::fs::read(&record).unwrap() == before,
        "a wrong passphrase changed the record"
    );
    assert_eq!(
        view_of(&mut app, addr, &cookie)["record"]["locked"],
        "passphrase"
    );
    // Not JSON, or no passphrase: refused.
    let r = post(&mut app, "/api/unlock", r#"{"pass":"x"}"#);
    assert_eq!(r.status, 400, "{}", r.body);
    // Without the pairing token: refused before anything is checked.
    let r = send(
        &mut app,
        addr,
        Ask::new(addr, "POST", "/api/unlock")
            .json(&format!(
                "{{\"passphrase\":\"{}\"}}",
                crate::common::PASSPHRASE
            ))
            .raw(),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    // The right one: unlocked, the session starts and is recorded.
    let r = post(
        &mut app,
        "/api/unlock",
        &format!("{{\"passphrase\":\"{}\"}}", crate::common::PASSPHRASE),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(view_of(&mut app, addr, &cookie)["record"]["locked"].is_null());
    let r = post(
        &mut app,
        "/api/unlock",
        &format!("{{\"passphrase\":\"{}\"}}", crate::common::PASSPHRASE),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    let r = post(&mut app, "/api/control", r#"{"do":"start"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        update_until(&mut app, Duration::from_secs(30), |w| {
            let r = &w.resource::<SessionSnapshot>().record;
            r.session.is_some() && r.committed >= r.made && r.trouble.is_none()
        }),
        "the session was not recorded once unlocked: {:?}",
        snapshot(&app).record
    );
    drop(app);
    let db = stillpoint::journal::store::open_read(&record, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let trail = stillpoint::journal::store::trail(&db).unwrap();
    assert!(
        trail
            .iter()
            .any(|row| row.what == "unlocked" && row.detail == "by the app, to record"),
        "{trail:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_therapist_chooses_the_client_before_the_start_and_it_stays_after() {
    let dir = crate::common::scratch("console-client");
    let record = dir.join("journal.sqlite3");
    // An earlier session of J.D.'s.
    let jd = {
        let mut db = stillpoint::journal::store::open(&record, true, Some(&passphrase()))
            .unwrap()
            .unwrap();
        let tx = db.transaction().unwrap();
        let (id, client) = stillpoint::journal::store::begin(
            &tx,
            &stillpoint::journal::NewSession {
                client: stillpoint::journal::store::ClientRef::Alias("J.D.".into()),
                scene: "steps.ron".into(),
                title: "Steps".into(),
                kind: stillpoint::journal::SessionKind::Exposure,
                started_ms: 1,
                started_at_us: 0,
                steps: Vec::new(),
            },
        )
        .unwrap();
        stillpoint::journal::store::end(&tx, id, 2, 0).unwrap();
        tx.commit().unwrap();
        client.code
    };
    let (mut app, addr) = recorded_console_app("console-client-app", Some((&record, "R.K.")));
    let cookie = paired(&mut app, addr);
    let recorded = |app: &mut App| {
        assert!(
            update_until(app, Duration::from_secs(30), |w| {
                let r = &w.resource::<SessionSnapshot>().record;
                r.session.is_some() && r.committed >= r.made && r.trouble.is_none()
            }),
            "not recorded: {:?}",
            snapshot(app).record
        );
    };
    recorded(&mut app);
    let rk = snapshot(&app).record.client.clone().unwrap();
    let session = snapshot(&app).record.session.unwrap();
    assert_ne!(rk, jd);
    // The page lists both, newest first, with their aliases.
    let r = send(
        &mut app,
        addr,
        Ask::new(addr, "GET", "/api/clients").cookie(&cookie).raw(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let listed: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(listed[0]["code"], rk.as_str());
    assert_eq!(listed[1]["code"], jd.as_str());
    assert_eq!(
        (&listed[1]["alias"], &listed[1]["sessions"]),
        (&"J.D.".into(), &1.into())
    );
    let control =
        |app: &mut App, body: String| post_json(app, addr, &cookie, "/api/control", &body);
    // J.D., by code (typed in lower case): the session becomes theirs.
    let r = control(
        &mut app,
        format!(r#"{{"do":"client","code":"{}"}}"#, jd.to_lowercase()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    recorded(&mut app);
    assert!(
        update_until(&mut app, Duration::from_secs(10), |w| {
            w.resource::<SessionSnapshot>().record.client.as_deref() == Some(jd.as_str())
        }),
        "the session did not become J.D.'s"
    );
    // A code that is not one, or both kinds at once: refused.
    for body in [
        r#"{"do":"client","code":"K0HF-3M"}"#.to_owned(),
        format!(r#"{{"do":"client","code":"{jd}","new":"x"}}"#),
    ] {
        let r = control(&mut app, body);
        assert_eq!(r.status, 422, "{}", r.body);
    }
    // A new client, with an alias.
    let r = control(&mut app, r#"{"do":"client","new":"Tuesday group"}"#.into());
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        update_until(&mut app, Duration::from_secs(10), |w| {
            let c = w.resource::<SessionSnapshot>().record.client.clone();
            c.is_some() && c != Some(jd.clone()) && c != Some(rk.clone())
        }),
        "no new client"
    );
    recorded(&mut app);
    let tuesday = snapshot(&app).record.client.clone().unwrap();
    // Started: the client stays.
    let r = control(&mut app, r#"{"do":"start"}"#.into());
    assert_eq!(r.status, 200, "{}", r.body);
    let r = control(&mut app, format!(r#"{{"do":"client","code":"{jd}"}}"#));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(error_of(&r).contains("has started"), "{}", r.body);
    recorded(&mut app);
    drop(app);
    let db = stillpoint::journal::store::open_read(&record, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let s = stillpoint::journal::store::session(&db, session).unwrap();
    assert_eq!(s.session.client, tuesday);
    let found = stillpoint::journal::store::find_client(&db, "Tuesday group")
        .unwrap()
        .unwrap();
    assert_eq!(found.code, tuesday);
    // The links were made again for the new client: the record verifies.
    let checked = stillpoint::journal::store::verify(&db, true).unwrap();
    assert!(checked.broken.is_empty(), "{:?}", checked.broken);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_plan_made_in_the_console_is_kept_and_walked_at_once() {
    let dir = crate::common::scratch("console-plan");
    let record = dir.join("journal.sqlite3");
    let (mut app, addr) = recorded_console_app("console-plan-app", Some((&record, "R.K.")));
    let cookie = paired(&mut app, addr);
    assert!(
        update_until(&mut app, Duration::from_secs(30), |w| {
            w.resource::<SessionSnapshot>().record.client.is_some()
        }),
        "no client"
    );
    // The page's view has caught up with the client.
    assert!(view_of(&mut app, addr, &cookie)["record"]["client"].is_string());
    let get = |app: &mut App| {
        let r = send(
            app,
            addr,
            Ask::new(addr, "GET", "/api/plan?scene=steps.ron")
                .cookie(&cookie)
                .raw(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
    };
    let post = |app: &mut App, body: &str| post_json(app, addr, &cookie, "/api/plan", body);
    // None yet: every step to choose from.
    let sent = get(&mut app);
    assert!(sent["id"].is_null());
    assert_eq!(sent["scene_steps"][2], "High");
    // A step the scene lacks, or a SUDS over 100: refused, nothing kept.
    let r = post(
        &mut app,
        r#"{"scene":"steps.ron","steps":[{"step":"Roof","words":"","predicted_suds":10,"feared":""}]}"#,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        error_of(&r).contains("\"Roof\" is not a step of steps.ron"),
        "{}",
        r.body
    );
    let r = post(
        &mut app,
        r#"{"scene":"steps.ron","steps":[{"step":"High","words":"","predicted_suds":140,"feared":""}]}"#,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(get(&mut app)["id"].is_null());
    // High, then Ground: kept, and in force at once at its first step.
    let r = post(
        &mut app,
        r#"{"scene":"steps.ron","steps":[
            {"step":"High","words":"the top","predicted_suds":70,"feared":"I will fall"},
            {"step":"Ground","words":"behind the wall","predicted_suds":20,"feared":""}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        update_until(&mut app, Duration::from_secs(20), |w| {
            let s = w.resource::<SessionSnapshot>();
            s.plan.as_ref().is_some_and(|p| p.numbers() == [3, 1])
                && s.exposure.as_ref().is_some_and(|e| e.step == 3)
        }),
        "the plan saved is not in force: {:?}",
        snapshot(&app).plan
    );
    let v = view_of(&mut app, addr, &cookie);
    assert_eq!(v["plan"]["steps"][0]["words"], "the top");
    assert_eq!(get(&mut app)["plan"]["steps"][1]["step"], "Ground");
    // A step the plan leaves out is refused, with the plan's steps.
    let r = send(
        &mut app,
        addr,
        Ask::new(addr, "POST", "/api/control")
            .json(r#"{"do":"step","to":2}"#)
            .cookie(&cookie)
            .raw(),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        error_of(&r).contains("step 2 is not in the client's plan; its steps are 3, 1"),
        "{}",
        r.body
    );
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_console_corrects_its_session_s_suds_and_closes_its_notes() {
    let dir = crate::common::scratch("console-amend");
    let record = dir.join("journal.sqlite3");
    // An earlier session of another client's, in the same record, with a
    // SUDS of its own.
    let (other, others_suds) = {
        use stillpoint::journal::{Entry, EntryKind, NewSession, SessionKind, store};
        let mut db = store::open(&record, true, Some(&passphrase()))
            .unwrap()
            .unwrap();
        let tx = db.transaction().unwrap();
        let (other, _) = store::begin(
            &tx,
            &NewSession {
                client: store::ClientRef::Alias("J.D.".into()),
                scene: "steps.ron".into(),
                title: "Another client".into(),
                kind: SessionKind::Exposure,
                started_ms: 1,
                started_at_us: 0,
                steps: vec![("Ground".into(), "On the ground.".into())],
            },
        )
        .unwrap();
        store::add(
            &tx,
            other,
            &Entry {
                scene: "steps.ron".into(),
                at_us: 0,
                wall_ms: 1,
                kind: EntryKind::Suds,
                step: Some(1),
                value: Some(30),
                text: "at the start".into(),
                corrects: None,
                id: None,
            },
        )
        .unwrap();
        let suds = tx.last_insert_rowid();
        store::end(&tx, other, 2, 1).unwrap();
        tx.commit().unwrap();
        (other, suds)
    };
    let (mut app, addr) = recorded_console_app("console-amend-app", Some((&record, "R.K.")));
    let cookie = paired(&mut app, addr);
    let control = |app: &mut App, body: &str| {
        let r = post_json(app, addr, &cookie, "/api/control", body);
        assert_eq!(r.status, 200, "{body}: {}", r.body);
    };
    control(&mut app, r#"{"do":"start"}"#);
    control(&mut app, r#"{"do":"record_suds","value":70}"#);
    control(
        &mut app,
        r#"{"do":"note","text":"Held the rail; note-words-5521"}"#,
    );
    assert!(
        update_until(&mut app, Duration::from_secs(30), |w| {
            let r = &w.resource::<SessionSnapshot>().record;
            r.session.is_some() && r.committed >= r.made
        }),
        "the session was never recorded"
    );
    let session = snapshot(&app).record.session.unwrap();
    let list = |app: &mut App, session: i64| {
        send(
            app,
            addr,
            Ask::new(addr, "GET", &format!("/api/entries?session={session}"))
                .cookie(&cookie)
                .raw(),
        )
    };
    let r = list(&mut app, session);
    assert_eq!(r.status, 200, "{}", r.body);
    let listed: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let id_of = |kind: &str| -> i64 {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind)
            .and_then(|e| e["id"].as_i64())
            .unwrap_or_else(|| panic!("no {kind} in {listed}"))
    };
    let (suds, note) = (id_of("suds"), id_of("note"));
    let amend = |app: &mut App, body: String| post_json(app, addr, &cookie, "/api/amend", &body);
    // Corrected while the session is being recorded.
    let r = amend(
        &mut app,
        format!(r#"{{"session":{session},"entry":{suds},"suds":40,"why":"misheard"}}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = amend(
        &mut app,
        format!(r#"{{"session":{session},"entry":{note},"close_by":"Dr A. Moss"}}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Refused: a closed note, no reason, both at once, a SUDS over 100,
    // another session, an unpaired page.
    for (body, status, said) in [
        (
            format!(r#"{{"session":{session},"entry":{note},"note":"x","why":"x"}}"#),
            422,
            "was closed",
        ),
        (
            format!(r#"{{"session":{session},"entry":{suds},"suds":30}}"#),
            400,
            "a correction is suds or note with why",
        ),
        (
            format!(r#"{{"session":{session},"entry":{suds},"suds":30,"why":"x","close_by":"x"}}"#),
            400,
            "a correction is suds or note with why",
        ),
        (
            format!(r#"{{"session":{session},"entry":{suds},"suds":130,"why":"x"}}"#),
            422,
            "a SUDS is 0 to 100",
        ),
        (
            format!(
                r#"{{"session":{},"entry":{suds},"suds":30,"why":"x"}}"#,
                session + 7
            ),
            404,
            "this console corrects only the session it runs",
        ),
        (
            format!(r#"{{"session":{other},"entry":{others_suds},"suds":30,"why":"x"}}"#),
            404,
            "this console corrects only the session it runs",
        ),
        (
            format!(r#"{{"session":{session},"entry":{others_suds},"suds":30,"why":"x"}}"#),
            422,
            "has no entry",
        ),
    ] {
        let r = amend(&mut app, body.clone());
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(error_of(&r).contains(said), "{body}: {}", r.body);
    }
    let r = send(
        &mut app,
        addr,
        Ask::new(addr, "POST", "/api/amend")
            .json(&format!(
                r#"{{"session":{session},"entry":{suds},"suds":30,"why":"x"}}"#
            ))
            .raw(),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(list(&mut app, session + 7).status, 404);
    assert_eq!(list(&mut app, other).status, 404);
    // The page's list reads the corrected SUDS and the closed note.
    let r = list(&mut app, session);
    let listed: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let row = |id: i64| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row(suds)["value"], 40, "{listed}");
    assert!(
        row(suds)["text"]
            .as_str()
            .unwrap()
            .contains("corrected from 70 ("),
        "{listed}"
    );
    assert_eq!(row(note)["closed"], true, "{listed}");
    // More is recorded after the corrections, in the same chain, and the
    // session ends: the record verifies.
    control(&mut app, r#"{"do":"note","text":"after the correction"}"#);
    assert!(update_until(&mut app, Duration::from_secs(30), |w| {
        let r = &w.resource::<SessionSnapshot>().record;
        r.committed >= r.made
    }));
    drop(app);
    let db = stillpoint::journal::store::open(&record, false, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let verified = stillpoint::journal::store::verify(&db, true).unwrap();
    assert!(verified.broken.is_empty(), "{:?}", verified.broken);
    let seen = stillpoint::journal::store::session(&db, session).unwrap();
    let kinds: Vec<&str> = seen
        .entries
        .iter()
        .filter(|e| e.corrects.is_some() || e.text == "after the correction")
        .map(|e| match e.kind {
            stillpoint::journal::EntryKind::Correction => "correction",
            stillpoint::journal::EntryKind::NoteClosed => "closed",
            _ => "note",
        })
        .collect();
    assert_eq!(kinds, ["correction", "closed", "note"]);
    let trail = stillpoint::journal::store::trail(&db).unwrap();
    assert!(
        trail
            .iter()
            .any(|row| row.what == "closed a note" && row.detail.ends_with("by Dr A. Moss")),
        "{trail:?}"
    );
    assert!(
        !trail
            .iter()
            .any(|row| row.detail.contains("note-words-5521") || row.detail.contains("misheard"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
