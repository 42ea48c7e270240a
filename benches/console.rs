//! The console under load: the headset frame with the console serving eight
//! live pages, a stream of snapshot reads and a stream of controls on
//! loopback, against the same frame with no console; and, printed after the
//! timings, what the load saw: requests a second and latency percentiles
//! for the snapshot and for controls, and live updates a second per page.
//!
//! The load comes from a second process, this bench run again as a load
//! generator, talking HTTP and WebSocket to the app's server over loopback
//! as browsers would, while the app renders its headset frames.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use criterion::{Criterion, criterion_group};
use stillpoint::app::harness::Harness;
use stillpoint::console::{Console, ConsoleOptions};

fn scenes() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

/// A head that looks slowly around.
fn head_at(frame: u64) -> Transform {
    let t = frame as f32 / 90.0;
    Transform::from_rotation(Quat::from_rotation_y(0.5 * (t * 0.3).sin()))
}

fn headset(console: bool) -> (Harness, u64) {
    let mut harness = Harness::new(&scenes(), "spiders.ron");
    if console {
        harness.app.add_plugins(stillpoint::console::ConsolePlugin {
            options: ConsoleOptions {
                bind: "127.0.0.1:0".parse().unwrap(),
                alias: "bench".into(),
                journal: None,
                scenes: stillpoint::console::view::scene_choices(&scenes()),
                ..ConsoleOptions::default()
            },
        });
    }
    assert!(harness.until_shown(2_000), "the scene did not load");
    let mut frame = 0;
    for _ in 0..180 {
        frame += 1;
        harness.set_head(head_at(frame));
        harness.step();
    }
    (harness, frame)
}

/// One request on a fresh connection; the status and the body.
fn request(addr: SocketAddr, method: &str, path: &str, cookie: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\n\
         Connection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// Counts the WebSocket messages a live page receives until `stop`.
fn watch(addr: SocketAddr, cookie: String, stop: Arc<AtomicBool>, count: Arc<AtomicU64>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /api/live HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut bytes: Vec<u8> = Vec::new();
    let mut buf = [0u8; 65536];
    let mut upgraded = false;
    while !stop.load(Ordering::Relaxed) {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(_) => continue,
        }
        if !upgraded {
            let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            assert!(
                bytes.starts_with(b"HTTP/1.1 101"),
                "the upgrade was refused"
            );
            bytes.drain(..end + 4);
            upgraded = true;
        }
        // Whole frames from the server (unmasked).
        loop {
            if bytes.len() < 2 {
                break;
            }
            let (len, head) = match bytes[1] & 0x7f {
                126 if bytes.len() >= 4 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
                127 if bytes.len() >= 10 => (
                    u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                126 | 127 => break,
                n => (n as usize, 2),
            };
            if bytes.len() < head + len {
                break;
            }
            bytes.drain(..head + len);
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Milliseconds at a quantile of `samples`.
fn quantile(samples: &mut [f64], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

fn console_under_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("console");
    let (mut plain, mut frame) = headset(false);
    group.bench_function("spiders, headset frame, no console", |b| {
        b.iter(|| {
            frame += 1;
            plain.set_head(head_at(frame));
            plain.step();
        })
    });
    drop(plain);

    let (mut harness, mut frame) = headset(true);
    let (addr, code) = {
        let console = harness.app.world().resource::<Console>();
        let code = console.shared.pairing.lock().unwrap().renew(Instant::now());
        (console.server.addr, code)
    };
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = format!("{{\"code\":\"{code}\"}}");
    write!(
        stream,
        "POST /api/pair HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let cookie = reply
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("paired")
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    // The load generator: this bench again, in a process of its own.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(LOAD, format!("{addr} {cookie}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the load generator did not start");
    let mut said = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(
        said.next().and_then(Result::ok).as_deref(),
        Some("loading"),
        "the load generator did not start its load"
    );
    group.bench_function(
        "spiders, headset frame, console: 8 live pages, snapshots and controls from another process",
        |b| {
            b.iter(|| {
                frame += 1;
                harness.set_head(head_at(frame));
                harness.step();
            })
        },
    );
    group.finish();
    // Stop the load; the controls waiting on an answer need frames to get
    // one, so the app goes on while the generator finishes.
    drop(child.stdin.take());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(said.next().and_then(Result::ok));
    });
    let figures = loop {
        if let Ok(line) = rx.try_recv() {
            break line.expect("the load generator said nothing");
        }
        frame += 1;
        harness.set_head(head_at(frame));
        harness.step();
    };
    assert!(child.wait().unwrap().success(), "the load generator failed");
    println!("{figures}");
}

/// The environment variable that makes this bench the load generator: the
/// console's address and the paired cookie.
const LOAD: &str = "STILLPOINT_CONSOLE_LOAD";

/// The load generator: eight live pages, two clients reading the snapshot
/// and one sending controls, until its input closes; then one line of
/// figures.
fn generate_load(spec: &str) {
    let (addr, cookie) = spec.split_once(' ').expect("address and cookie");
    let addr: SocketAddr = addr.parse().expect("an address");
    let cookie = cookie.to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let updates = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for _ in 0..8 {
        let (cookie, stop, updates) = (cookie.clone(), stop.clone(), updates.clone());
        load.push(std::thread::spawn(move || {
            watch(addr, cookie, stop, updates)
        }));
    }
    let view_ms = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..2 {
        let (cookie, stop, view_ms) = (cookie.clone(), stop.clone(), view_ms.clone());
        load.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let (status, _) = request(addr, "GET", "/api/view", &cookie, "");
                assert_eq!(status, 200);
                view_ms
                    .lock()
                    .unwrap()
                    .push(t.elapsed().as_secs_f64() * 1e3);
            }
        }));
    }
    let control_ms = Arc::new(Mutex::new(Vec::new()));
    {
        let (cookie, stop, control_ms) = (cookie.clone(), stop.clone(), control_ms.clone());
        load.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                // Up and down the first steps: each changes what the pages see.
                let body = if n % 2 == 0 {
                    r#"{"do":"step","change":"down"}"#
                } else {
                    r#"{"do":"step","change":"up"}"#
                };
                let t = Instant::now();
                let (status, reply) = request(addr, "POST", "/api/control", &cookie, body);
                assert!(status == 200 || status == 409, "{status} {reply}");
                control_ms
                    .lock()
                    .unwrap()
                    .push(t.elapsed().as_secs_f64() * 1e3);
            }
        }));
    }
    let started = Instant::now();
    println!("loading");
    // Until the bench closes this process's input.
    let _ = std::io::stdin().lines().count();
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    let mut views = view_ms.lock().unwrap().clone();
    let mut controls = control_ms.lock().unwrap().clone();
    println!(
        "console load from another process over {seconds:.1} s: snapshot {:.0} requests/s (2 clients), p50 {:.2} ms, p99 {:.2} ms; \
         controls {:.0} requests/s (1 client), p50 {:.2} ms, p99 {:.2} ms; live messages (views at most 10/s, and every event) {:.1}/s per page (8 pages)",
        views.len() as f64 / seconds,
        quantile(&mut views, 0.5),
        quantile(&mut views, 0.99),
        controls.len() as f64 / seconds,
        quantile(&mut controls, 0.5),
        quantile(&mut controls, 0.99),
        updates.load(Ordering::Relaxed) as f64 / seconds / 8.0,
    );
}

criterion_group!(benches, console_under_load);
fn main() {
    if let Ok(spec) = std::env::var(LOAD) {
        generate_load(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
