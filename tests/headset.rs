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

/// One `headset report:` line.
#[derive(Debug, Clone, Copy)]
struct Report {
    submitted: u64,
    focused: bool,
    head: [f32; 3],
    head_yaw: f32,
    listener: [f32; 3],
    listener_yaw: f32,
    pacer: f64,
    audio: f64,
}

fn reports(output: &str) -> Vec<Report> {
    output
        .lines()
        .filter_map(|line| line.split_once("headset report: ").map(|(_, r)| r))
        .map(|r| {
            let w: Vec<&str> = r.split_whitespace().collect();
            let after = |key: &str, n: usize| -> &str {
                let i = w.iter().position(|x| *x == key).expect(key);
                w[i + n]
            };
            let f = |key: &str, n: usize| after(key, n).parse::<f32>().expect(key);
            Report {
                submitted: after("submitted", 1).parse().expect("submitted"),
                focused: after("focused", 1) == "true",
                head: [f("head", 1), f("head", 2), f("head", 3)],
                head_yaw: f("head", 5),
                listener: [f("listener", 1), f("listener", 2), f("listener", 3)],
                listener_yaw: f("listener", 5),
                pacer: f64::from(f("pacer", 1)),
                audio: f64::from(f("audio", 1)),
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

    // The pacer advances with the audio clock, behind it by the output's
    // delay only.
    let first = focused[0];
    let end = focused[focused.len() - 1];
    assert!(
        end.pacer - first.pacer > 10.0,
        "the pacer stood still: {first:?} {end:?}"
    );
    for r in &focused {
        let behind = r.audio - r.pacer;
        assert!(
            (0.0..0.3).contains(&behind),
            "pacer {behind} s behind: {r:?}"
        );
    }
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
    let index_at = |byte: usize| out[..byte].matches("headset report:").count();
    // While another app has the focus, the session stands still.
    let unfocused = &reports[index_at(paused)..index_at(resumed)];
    let still: Vec<f64> = unfocused.iter().skip(1).map(|r| r.pacer).collect();
    assert!(still.len() >= 2, "too few reports while paused: {still:?}");
    assert!(
        still.windows(2).all(|w| w[0] == w[1]),
        "the session moved while another app had the focus: {still:?}"
    );
    // In the window, the session keeps its place: it stands where the
    // headset left it (after the pause's fade), and stays there.
    let in_headset = &reports[..index_at(fell_back)];
    let last_in_headset = in_headset.last().expect("reports in the headset");
    let after = &reports[index_at(fell_back)..];
    assert!(after.len() >= 3, "too few reports from the window:\n{tail}");
    let held = after[after.len() - 1].pacer;
    assert!(
        after[1..].iter().all(|r| r.pacer == held),
        "the paused session moved in the window: {after:?}"
    );
    let moved = held - last_in_headset.pacer;
    assert!(
        (0.0..4.0).contains(&moved),
        "the session lost its place: {} in the headset, {held} in the window",
        last_in_headset.pacer
    );
    assert!(!after[after.len() - 1].focused);
}
