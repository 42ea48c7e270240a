//! The headset, end to end, against a real OpenXR runtime: Monado's
//! simulated headset and null compositor, in the trixie chroot that
//! `.ci/xr-runtime` builds (`.ci/xr-run` starts it and runs the app).
//!
//! Everything is asserted from the app's own output: when the runtime cannot
//! be reached the OpenXR plugin carries on flat and the app still exits 0,
//! so an exit code proves nothing on its own.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// One headset run at a time: they share the chroot and its mounts.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Each eye's image: small, so that the CPU renderer keeps up with the
/// runtime's 20 frames a second.
const EYE_SIZE: &str = "256x256";

/// The lake with a resonance rhythm in the headset, closing after `seconds`.
fn lake_in_the_headset(seconds: &str) -> [&str; 9] {
    [
        "--xr",
        "--scene",
        "scenes/lake_dusk.ron",
        "--rhythm",
        "resonance",
        "--eye-size",
        EYE_SIZE,
        "--quit-after",
        seconds,
    ]
}

struct Run {
    status: i32,
    output: String,
}

fn xr_run(actions: &[&str], args: &[&str]) -> Run {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(root.join(".ci/xr-run"));
    for action in actions {
        command.args(["--at", action]);
    }
    command.arg(env!("CARGO_BIN_EXE_stillpoint")).args(args);
    let out = command.output().expect(".ci/xr-run starts");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = crate::common::output_dir("headset").join(format!(
        "{}.log",
        if actions.is_empty() {
            "session"
        } else {
            "interrupted"
        }
    ));
    std::fs::write(&log, &output).expect("can write the log");
    Run {
        status: out.status.code().unwrap_or(-1),
        output,
    }
}

/// One `headset report:` line, written from the app's snapshot.
#[derive(Debug, Clone)]
struct Report {
    /// When it was written, seconds since midnight (the log's own clock).
    wall: f64,
    submitted: u64,
    focused: bool,
    /// "window" or "headset".
    view: String,
    flow: String,
    paused: String,
    /// The session's time, seconds (pauses not counted).
    session: f64,
    /// Time into the guided session, seconds.
    guide: f64,
    phase: String,
    head: [f32; 3],
    head_yaw: f32,
    listener: [f32; 3],
    listener_yaw: f32,
}

/// The time of a log line, seconds since midnight, from its timestamp
/// (`2026-12-02T18:27:26.417613Z`).
fn wall_clock(line: &str) -> Option<f64> {
    let at = line.find('T')?;
    let clock = line.get(at + 1..at + 16)?;
    let h: f64 = clock.get(0..2)?.parse().ok()?;
    let m: f64 = clock.get(3..5)?.parse().ok()?;
    let s: f64 = clock.get(6..15)?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

fn reports(output: &str) -> Vec<Report> {
    output
        .lines()
        .filter_map(|line| {
            let (head, report) = line.split_once("headset report: ")?;
            Some((wall_clock(head)?, report))
        })
        .map(|(wall, r)| {
            let w: Vec<&str> = r.split_whitespace().collect();
            let after = |key: &str, n: usize| -> &str {
                let i = w.iter().position(|x| *x == key).expect(key);
                w[i + n]
            };
            let f = |key: &str, n: usize| after(key, n).parse::<f32>().expect(key);
            Report {
                wall,
                submitted: after("submitted", 1).parse().expect("submitted"),
                focused: after("focused", 1) == "true",
                view: after("view", 1).to_owned(),
                flow: after("flow", 1).to_owned(),
                paused: after("paused", 1).to_owned(),
                session: f64::from(f("session", 1)),
                guide: f64::from(f("guide", 1)),
                phase: after("phase", 1).to_owned(),
                head: [f("head", 1), f("head", 2), f("head", 3)],
                head_yaw: f("head", 5),
                listener: [f("listener", 1), f("listener", 2), f("listener", 3)],
                listener_yaw: f("listener", 5),
            }
        })
        .collect()
}

fn angle_between(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[test]
fn in_the_simulated_headset_the_session_runs_focused_follows_the_head_and_exits_cleanly() {
    let eye = crate::common::output_dir("headset").join("left-eye.png");
    let _ = std::fs::remove_file(&eye);
    let picture = "target/test-output/headset/left-eye.png";
    let mut args = lake_in_the_headset("90").to_vec();
    args.extend(["--eye-screenshot", picture]);
    let run = xr_run(&[], &args);
    let out = &run.output;
    let tail: String = out.lines().rev().take(40).collect::<Vec<_>>().join("\n");
    assert_eq!(run.status, 0, "the app failed:\n{tail}");
    assert!(
        out.contains("stillpoint: in the headset:"),
        "the probe found no headset:\n{tail}"
    );
    assert!(
        out.contains("headset session: running and focused"),
        "never focused:\n{tail}"
    );
    assert!(
        !out.contains("the headset session ended"),
        "the session was lost:\n{tail}"
    );
    let reports = reports(out);
    let last = reports.last().expect("no headset reports");
    assert!(
        last.submitted >= 200,
        "only {} frames submitted:\n{tail}",
        last.submitted
    );

    // The head moves, and the listener the mix renders for follows it.
    let focused: Vec<&Report> = reports.iter().filter(|r| r.focused).collect();
    assert!(focused.len() >= 5, "{} focused reports", focused.len());
    let yaws: Vec<f32> = focused.iter().map(|r| r.head_yaw).collect();
    let spread = yaws
        .iter()
        .map(|&a| {
            yaws.iter()
                .map(|&b| angle_between(a, b))
                .fold(0.0, f32::max)
        })
        .fold(0.0, f32::max);
    assert!(spread > 10.0, "the simulated head hardly turned: {yaws:?}");
    for r in &focused {
        let apart: f32 = r
            .head
            .iter()
            .zip(r.listener)
            .map(|(h, l)| (h - l).powi(2))
            .sum::<f32>()
            .sqrt();
        assert!(apart < 0.05, "listener {apart} m from the head: {r:?}");
        assert!(
            angle_between(r.head_yaw, r.listener_yaw) < 5.0,
            "listener faces away from the head: {r:?}"
        );
    }

    // The session's clock keeps real time while the headset is focused and
    // running (the silent output plays in real time), as the log's own
    // clock measures it.
    let running: Vec<&Report> = focused
        .iter()
        .copied()
        .filter(|r| r.flow == "Running" && r.view == "headset")
        .collect();
    let (first, end) = (running[0], running[running.len() - 1]);
    let wall = end.wall - first.wall;
    let moved = end.session - first.session;
    assert!(wall > 20.0, "only {wall} s of focused reports");
    assert!(
        (moved / wall - 1.0).abs() < 0.05,
        "the session moved {moved:.2} s in {wall:.2} s of wall time"
    );
    // The pacer's phase is the rhythm's: resonance, 4 s in and 6 s out
    // from the first breath. Reports within 50 ms of a change are left out.
    let mut checked = 0;
    for r in &running {
        let into = r.guide % 10.0;
        if into.min((into - 4.0).abs()).min(10.0 - into) < 0.05 {
            continue;
        }
        let want = if into < 4.0 { "inhale" } else { "exhale" };
        assert_eq!(r.phase, want, "at {:.3} s into the rhythm: {r:?}", r.guide);
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} reports checked against the rhythm"
    );
    assert!(
        out.contains("closing after 90 s, as asked") && out.contains("headset: closing after"),
        "did not close as asked:\n{tail}"
    );

    // What the left eye saw: the scene, not an empty or washed-out frame.
    let image = image::open(&eye)
        .unwrap_or_else(|e| {
            panic!(
                "no picture of the left eye at {}: {e}\n{tail}",
                eye.display()
            )
        })
        .to_rgb8();
    assert_eq!(image.dimensions(), (256, 256));
    let luma = |p: &image::Rgb<u8>| {
        (0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2])) / 255.0
    };
    let band = |from: u32, to: u32| {
        let (mut sum, mut n) = (0.0, 0.0);
        for y in from..to {
            for x in 0..256 {
                sum += luma(image.get_pixel(x, y));
                n += 1.0;
            }
        }
        sum / n
    };
    let mean = band(0, 256);
    let colours: std::collections::HashSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    assert!(
        (0.03..0.9).contains(&mean) && colours.len() > 300,
        "the left eye's picture is empty or washed out: mean {mean}, {} colours",
        colours.len()
    );
    let (top, bottom) = (band(0, 64), band(192, 256));
    assert!(
        (top - bottom).abs() > 0.01,
        "no sky above and ground below: top {top}, bottom {bottom}"
    );
}

#[test]
fn losing_focus_pauses_and_a_stopped_runtime_falls_back_to_the_window() {
    // Another app opens a session at 15 s and takes the runtime's focus; it
    // closes 20 s after it starts, giving the focus back; the runtime is
    // stopped at 50 s.
    let run = xr_run(
        &["15:second", "50:stop-runtime"],
        &lake_in_the_headset("64"),
    );
    let out = &run.output;
    let tail: String = out.lines().rev().take(60).collect::<Vec<_>>().join("\n");
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in the output:\n{tail}"))
    };
    let focused = at("headset session: running and focused");
    let paused = at("headset: not focused, pausing the session");
    let resumed = at("headset: focused again, resuming the session");
    let fell_back = at("going on in the window from");
    assert!(
        focused < paused && paused < resumed && resumed < fell_back,
        "out of order:\n{tail}"
    );
    assert_eq!(
        run.status, 0,
        "the app failed after the runtime stopped:\n{tail}"
    );
    assert!(out.contains("closing after 64 s, as asked"), "{tail}");
    assert!(!out.contains("panicked"), "{tail}");

    let reports = reports(out);
    let line_clock = |byte: usize| {
        let start = out[..byte].rfind('\n').map_or(0, |i| i + 1);
        wall_clock(&out[start..byte]).expect("a timestamped line")
    };
    let (paused_at, resumed_at, fell_back_at) = (
        line_clock(paused),
        line_clock(resumed),
        line_clock(fell_back),
    );
    // While another app has the focus, the session stands still, paused
    // for the headset (after the sound's 1.5 s fade out).
    let still: Vec<&Report> = reports
        .iter()
        .filter(|r| r.wall > paused_at + 2.5 && r.wall < resumed_at)
        .collect();
    assert!(still.len() >= 2, "too few reports while paused: {still:?}");
    assert!(
        still
            .iter()
            .all(|r| r.session == still[0].session && r.flow == "Paused"),
        "the session moved while another app had the focus: {still:?}"
    );
    assert!(still.iter().all(|r| r.paused == "headset"), "{still:?}");
    // Focused again, it runs on.
    let again: Vec<&Report> = reports
        .iter()
        .filter(|r| r.wall > resumed_at + 0.5 && r.wall < fell_back_at)
        .collect();
    assert!(
        again
            .iter()
            .any(|r| r.flow == "Running" && r.session > still[0].session + 1.0),
        "the session did not go on after the focus came back: {again:?}"
    );
    // In the window, the session keeps its place: it stands where the
    // headset left it (after the pause's fade), paused for the person, and
    // stays there.
    let last_in_headset = reports
        .iter()
        .rfind(|r| r.wall < fell_back_at)
        .expect("reports in the headset");
    let after: Vec<&Report> = reports
        .iter()
        .filter(|r| r.wall > fell_back_at + 2.5)
        .collect();
    assert!(after.len() >= 3, "too few reports from the window:\n{tail}");
    let held = after[0].session;
    assert!(
        after
            .iter()
            .all(|r| r.session == held && r.view == "window" && r.paused == "person"),
        "the paused session moved in the window: {after:?}"
    );
    // Where the app said it went on from: the last report in the headset
    // was before that (reports come every 2 s), and the window holds the
    // session there, plus the pause's fade of 1.5 s of sound (a slow frame
    // or two more on a CPU renderer).
    let from: f64 = out[fell_back..]
        .split_once("going on in the window from ")
        .and_then(|(_, rest)| rest.split_once(" s into"))
        .and_then(|(number, _)| number.parse().ok())
        .expect("the session time it went on from");
    assert!(
        last_in_headset.session <= from + 0.05,
        "the headset reported {} after going on from {from}",
        last_in_headset.session
    );
    let moved = held - from;
    assert!(
        (0.0..2.5).contains(&moved),
        "the session lost its place: it went on in the window from {from} s and holds {held} s \
         (the last report in the headset said {})",
        last_in_headset.session
    );
    assert!(!after[after.len() - 1].focused);
}
