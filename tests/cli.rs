//! The command line, run as a user runs it.

use crate::common::{scenes_dir, scratch, shipped_scenes, stillpoint};

#[test]
fn help_names_every_subcommand() {
    let out = stillpoint().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "scenes",
        "validate",
        "screenshot",
        "profile",
        "sessions",
        "render-audio",
        "journal",
        "plan",
        "--client",
        "--scene",
        "--quit-after",
        "--session",
        "--rhythm",
        "--volume",
        "--nature-volume",
        "--pacer-volume",
        "--mono",
        "--latency-ms",
        "--reduced-motion",
    ] {
        assert!(
            text.contains(word),
            "--help does not mention {word}:\n{text}"
        );
    }
}

#[test]
fn scenes_lists_every_shipped_scene_with_its_title() {
    let out = stillpoint().arg("scenes").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for title in ["Lake at dusk", "Forest clearing", "Beach at sunset"] {
        assert!(text.contains(title), "{title} missing from:\n{text}");
    }
    assert_eq!(text.lines().count(), shipped_scenes().len());
}

#[test]
fn validate_passes_the_shipped_scenes() {
    let out = stillpoint()
        .arg("validate")
        .args(shipped_scenes())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validate_fails_with_one_located_error_per_problem() {
    let dir = scratch("validate");
    let text = std::fs::read_to_string(crate::common::fixture("base_scene.ron"))
        .unwrap()
        .replacen("count: 14,", "count: 900,", 1)
        .replacen("glow: 8.0,", "glow: 80.0,", 1);
    let broken = dir.join("broken.ron");
    std::fs::write(&broken, text).unwrap();
    let good = scenes_dir().join("beach_sunset.ron");
    let out = stillpoint()
        .arg("validate")
        .arg(&good)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let errors = String::from_utf8_lossy(&out.stderr);
    let located: Vec<&str> = errors
        .lines()
        .filter(|l| l.contains("broken.ron:"))
        .collect();
    assert_eq!(located.len(), 2, "{errors}");
    assert!(
        located.iter().any(|l| l.contains("sky.clouds.count")),
        "{errors}"
    );
    assert!(
        located.iter().any(|l| l.contains("particles[0].glow")),
        "{errors}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (Beach at sunset)"));
}

#[test]
fn a_missing_scene_file_is_an_error_not_a_crash() {
    let out = stillpoint()
        .args(["--scene", "no/such/scene.ron", "--quit-after", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/scene.ron"));
}

#[test]
fn sessions_lists_and_validate_checks_every_shipped_session() {
    let out = stillpoint().arg("sessions").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for title in [
        "Resonance breathing",
        "Box breathing",
        "4-7-8",
        "Cyclic sighing",
    ] {
        assert!(text.contains(title), "{title} missing from:\n{text}");
    }
    let sessions: Vec<_> = std::fs::read_dir(scenes_dir().join("sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    let out = stillpoint()
        .arg("validate")
        .args(&sessions)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_broken_session_is_reported_at_its_line_and_the_app_does_not_start() {
    let dir = scratch("broken-session");
    std::fs::create_dir_all(dir.join("sessions")).unwrap();
    let session = dir.join("sessions").join("mine.ron");
    std::fs::write(
        &session,
        "(\n    title: \"Mine\",\n    rhythm: Custom(inhale_s: 4, exhale_s: 90),\n)\n",
    )
    .unwrap();
    let out = stillpoint().arg("validate").arg(&session).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("mine.ron:3:") && err.contains("exhale_s: 90 s is out of range"),
        "{err}"
    );
    // Asked for on the command line, it stops the run before a window opens.
    let out = stillpoint()
        .args(["screenshot", "--out"])
        .arg(dir.join("x.png"))
        .arg("--scene")
        .arg(scenes_dir().join("lake_dusk.ron"))
        .arg("--session")
        .arg(&session)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mine.ron:3:"));
    let out = stillpoint().args(["--rhythm", "4,0,6"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 numbers"));
    // A rhythm so slow that the session's ramp would fill its whole length.
    let out = stillpoint()
        .arg("--session")
        .arg(scenes_dir().join("sessions/resonance.ron"))
        .args(["--rhythm", "20,20,20,20"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no time to hold"));
}

#[test]
fn render_audio_is_deterministic_and_follows_the_rhythm() {
    let dir = scratch("render-audio");
    let render = |name: &str, extra: &[&str]| {
        let out_path = dir.join(name);
        let out = stillpoint()
            .arg("render-audio")
            .arg("--scene")
            .arg(scenes_dir().join("beach_sunset.ron"))
            .args(["--seconds", "8", "--out"])
            .arg(&out_path)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(out_path).unwrap()
    };
    let a = render("a.wav", &[]);
    let b = render("b.wav", &[]);
    assert!(a == b, "two renders of the same inputs differ");
    let (rate, channels, samples) = stillpoint::audio::wav::read_wav_f32(&a).unwrap();
    assert_eq!((rate, channels, samples.len()), (48_000, 2, 8 * 48_000 * 2));
    // A rhythm from the first breath changes the pacer's sound; the scene's
    // session starts with 30 s of settling in, so its first 8 s differ.
    let paced = render("paced.wav", &["--rhythm", "box"]);
    assert!(paced != a);
    // Silence when every volume is 0.
    let silent = render("silent.wav", &["--volume", "0"]);
    let (_, _, samples) = stillpoint::audio::wav::read_wav_f32(&silent).unwrap();
    assert!(samples.iter().all(|&s| s == 0.0));
}

#[test]
fn asked_for_the_headset_when_none_answers_it_says_why_and_exits_3() {
    // A runtime file that does not exist: no headset can answer, whether or
    // not an OpenXR loader is installed.
    let output = stillpoint()
        .args(["--xr", "--quit-after", "2"])
        .env("XR_RUNTIME_JSON", "/nonexistent/openxr_runtime.json")
        .output()
        .expect("stillpoint runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, not {}:\n{stderr}", lines.len());
    assert!(
        lines[0].starts_with("stillpoint: no headset: ") && lines[0].contains("no OpenXR runtime"),
        "{stderr}"
    );
}

/// Runs `command` and returns its exit status and the most memory it held
/// at once (its peak resident set), in bytes.
fn peak_memory(mut command: std::process::Command) -> (i32, u64) {
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("stillpoint runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that `wait4` fills in, and the child is
    // waited for here only (its `Child` is never waited on).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux gives the peak in kilobytes.
    (code, usage.ru_maxrss as u64 * 1024)
}

#[test]
fn render_audio_streams_so_a_long_render_takes_no_more_memory_than_a_short_one() {
    let dir = scratch("render-audio-memory");
    let render = |seconds: &str| {
        let mut command = stillpoint();
        command
            .arg("render-audio")
            .arg("--scene")
            .arg(scenes_dir().join("beach_sunset.ron"))
            .args(["--seconds", seconds, "--out"])
            .arg(dir.join(format!("{seconds}.wav")));
        let (code, peak) = peak_memory(command);
        assert_eq!(code, 0, "render-audio of {seconds} s failed");
        peak
    };
    let short = render("20");
    // Ten minutes of stereo float sound is 230 MB: held whole, it would
    // show in the peak.
    let long = render("600");
    println!(
        "render-audio peak memory: 20 s {:.1} MB, 600 s {:.1} MB",
        short as f64 / 1e6,
        long as f64 / 1e6
    );
    assert!(
        long < short + 16_000_000,
        "600 s took {long} bytes at its peak, 20 s took {short}"
    );
    let written = std::fs::metadata(dir.join("600.wav")).unwrap().len();
    assert_eq!(
        written,
        600 * 48_000 * 2 * 4 + 58,
        "the whole render was written"
    );
}

#[test]
fn endless_or_oversized_files_are_refused_before_they_are_parsed() {
    // A file over the limit is refused after reading one byte past it.
    let dir = scratch("endless");
    std::fs::create_dir_all(dir.join("sessions")).unwrap();
    let huge = dir.join("sessions").join("huge.ron");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(2 << 20)
        .unwrap();
    let out = stillpoint().arg("validate").arg(&huge).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("huge.ron:1:1: the file is larger than 1048576 bytes"),
        "{err}"
    );
    // `/dev/zero` never ends, and a FIFO blocks whoever opens it until
    // something writes to it: both are refused at once, as what they are,
    // wherever a file is read (a scene, a session, the settings).
    let fifo = dir.join("fifo.ron");
    crate::common::make_fifo(&fifo);
    let session = dir.join("sessions").join("endless.ron");
    std::os::unix::fs::symlink("/dev/zero", &session).unwrap();
    let out = run_within(
        stillpoint()
            .arg("validate")
            .arg("/dev/zero")
            .arg(&session)
            .arg(&fifo),
        60,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("/dev/zero: cannot read the scene: it is a device; expected a regular file"),
        "{err}"
    );
    assert!(
        err.contains("endless.ron: cannot read the session file: it is a device"),
        "{err}"
    );
    assert!(
        err.contains("fifo.ron: cannot read the scene: it is a pipe (FIFO)"),
        "{err}"
    );
    // A settings file that is a FIFO: the defaults are used, and why is
    // said; the command does its work.
    for settings in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        let out = run_within(
            stillpoint()
                .arg("scenes")
                .env("STILLPOINT_SETTINGS", settings),
            60,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains("expected a regular file"), "{err}");
        assert!(err.contains("using the default settings"), "{err}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Lake at dusk"));
    }
}

/// Runs `command` and waits for it, killing it after `limit_s` seconds (a
/// command that hangs fails the test rather than the whole run).
fn run_within(command: &mut std::process::Command, limit_s: u64) -> std::process::Output {
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let (done, waited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match waited.recv_timeout(std::time::Duration::from_secs(limit_s)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-9", &id.to_string()])
                .status();
            panic!("the command did not finish within {limit_s} s: it blocked");
        }
    }
}

#[test]
fn writing_to_a_closed_pipe_ends_quietly() {
    // `stillpoint scenes | head -1`, with the reader gone before the first
    // line: no panic, no backtrace, exit 0. The same for stderr.
    for (args, on_stderr) in [
        (vec!["scenes"], false),
        (vec!["sessions"], false),
        (vec!["steps", "heights.ron"], false),
        (vec!["journal", "list"], false),
        (vec!["validate", "/nonexistent.ron"], true),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut command = stillpoint();
        command.args(&args).stdin(std::process::Stdio::null());
        let out = if on_stderr {
            command
                .stdout(std::process::Stdio::null())
                .stderr(writer)
                .output()
                .unwrap()
        } else {
            command
                .stdout(writer)
                .stderr(std::process::Stdio::piped())
                .output()
                .unwrap()
        };
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
}

#[test]
fn a_shipped_scene_is_found_by_the_name_the_scenes_list_gives() {
    let listed = stillpoint().arg("scenes").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("heights.ron"), "{listed}");
    for name in ["heights.ron", "heights"] {
        let out = stillpoint().args(["steps", name]).output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Terrace"));
    }
    // A name that is no scene is said to be missing, not wrong at 1:1.
    let out = stillpoint()
        .args(["steps", "nowhere.ron"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.starts_with("nowhere.ron: cannot read the scene: "),
        "{err}"
    );
    assert!(!err.contains(":1:1"), "{err}");
}

#[test]
fn a_settings_file_with_one_bad_field_keeps_the_good_ones_and_names_the_bad() {
    let dir = scratch("settings-salvage");
    let settings = dir.join("settings.ron");
    std::fs::write(
        &settings,
        "(\n  volume: 0.5,\n  mono: true,\n  colour: \"blue\",\n)\n",
    )
    .unwrap();
    let out = stillpoint()
        .arg("scenes")
        .env("STILLPOINT_SETTINGS", &settings)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("settings.ron:4:3: "), "{err}");
    assert!(err.contains("left out colour"), "{err}");
    assert!(!err.contains("using the default settings"), "{err}");
}

#[test]
fn render_audio_takes_the_step_and_refuses_one_the_scene_lacks() {
    let dir = scratch("render-audio-step");
    let heights = scenes_dir().join("heights.ron");
    let out = stillpoint()
        .args(["--step", "12", "render-audio", "--seconds", "1", "--scene"])
        .arg(&heights)
        .arg("--out")
        .arg(dir.join("twelve.wav"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--step 12"), "{err}");
    assert!(err.contains("9 steps"), "{err}");
    assert!(!dir.join("twelve.wav").exists());
    // The roof's high wind plays from the sixth step: the renders differ.
    let render = |step: &str| {
        let out_file = dir.join(format!("step{step}.wav"));
        let out = stillpoint()
            .args(["--step", step, "render-audio", "--seconds", "2", "--scene"])
            .arg(&heights)
            .arg("--out")
            .arg(&out_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(&out_file).unwrap()
    };
    let first = render("1");
    assert_eq!(first, render("1"), "the same step renders the same bytes");
    assert_ne!(first, render("9"), "the ninth step sounds as the ninth");
}

#[test]
fn a_scene_saved_broken_while_it_is_open_is_said_once_without_a_backtrace() {
    use std::io::BufRead;
    use std::sync::{Arc, Mutex};

    let (dir, _) = crate::common::scene_folder("broken-save", "beach_sunset.ron", "beach.ron");
    let scene = dir.join("beach.ron");
    let mut child = stillpoint()
        .env("RUST_BACKTRACE", "1")
        .arg("--scene")
        .arg(&scene)
        .args([
            "--desktop",
            "--silent",
            "--no-session",
            "--quit-after",
            "120",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let lines = lines.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        })
    };
    let wait_for = |what: &str, limit_s: u64| {
        let start = std::time::Instant::now();
        while !lines.lock().unwrap().iter().any(|l| l.contains(what)) {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(limit_s),
                "never said {what:?}:\n{}",
                lines.lock().unwrap().join("\n")
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    wait_for("showing scene \"Beach at sunset\"", 240);
    // Let the watcher settle, then save a scene with a mistake on line 2.
    std::thread::sleep(std::time::Duration::from_secs(2));
    std::fs::write(&scene, "(\n    title: 12,\n)\n").unwrap();
    wait_for("beach.ron:2:", 60);
    // Whatever else arrives about it within a few seconds is counted too.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let said = lines.lock().unwrap().clone();
    let about: Vec<&String> = said.iter().filter(|l| l.contains("beach.ron")).collect();
    assert_eq!(about.len(), 1, "said more than once:\n{}", said.join("\n"));
    assert!(
        !said
            .iter()
            .any(|l| l.contains("backtrace") || l.contains("stack backtrace")),
        "{}",
        said.join("\n")
    );
}

#[test]
fn validate_checks_questionnaires_shipped_or_a_clinic_s_own_at_their_lines() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/questionnaires");
    let shipped: Vec<_> = ["phq9.ron", "gad7.ron", "ssq.ron"]
        .iter()
        .map(|f| folder.join(f))
        .collect();
    let out = stillpoint()
        .arg("validate")
        .args(&shipped)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("ok (PHQ-9 (depression))"), "{said}");
    // A clinic's own, anywhere, known by its first word: an item out of
    // range and a band past the highest total, each at its line.
    let dir = scratch("validate-questionnaire");
    let own = dir.join("acrophobia.ron");
    let text = std::fs::read_to_string(folder.join("gad7.ron"))
        .unwrap()
        .replace("id: \"gad7\"", "id: \"own\"")
        .replace("(from: 15, to: 21,", "(from: 15, to: 40,")
        .replace(
            "alerts: [],",
            "alerts: [(item: 8, at_least: 1, says: \"Look.\")],",
        );
    std::fs::write(&own, &text).unwrap();
    let out = stillpoint().arg("validate").arg(&own).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        err.contains(&format!("acrophobia.ron:{}:", line_of("to: 40")))
            && err.contains("outside the totals this questionnaire gives (0 to 21)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("acrophobia.ron:{}:", line_of("item: 8")))
            && err.contains("item 8: the items are 1 to 7"),
        "{err}"
    );
}
