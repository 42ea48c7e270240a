//! Helpers shared by the test modules.
//!
//! Tests are hermetic: every command they start runs with its own empty
//! config and data folders (never the person's settings), and in-process
//! apps read no settings at all.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use stillpoint::breath::Guide;
use stillpoint::scene::CurrentScene;
use stillpoint::state::{AppState, Intent, Lifecycle, Listening, Presentation};

/// The shipped scenes folder.
pub fn scenes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

/// Every shipped scene file, sorted.
pub fn shipped_scenes() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenes_dir())
        .expect("the scenes folder exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ron"))
        .collect();
    files.sort();
    files
}

/// Where tests leave files for people to look at (screenshots).
pub fn output_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("test-output")
        .join(name);
    std::fs::create_dir_all(&dir).expect("can create the test output folder");
    dir
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stillpoint-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("can create a scratch folder");
    dir
}

/// Makes a named pipe (FIFO) at `path`: a file that blocks whoever opens it
/// to read until something writes to it.
pub fn make_fifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A file in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// A process a test started, killed and reaped when it is dropped: a test
/// that fails half-way leaves nothing running to load the machine under the
/// tests after it.
pub struct Reaped(pub std::process::Child);

impl std::ops::Deref for Reaped {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The passphrase every test's record is encrypted with, unless the test
/// says otherwise.
pub const PASSPHRASE: &str = "a calm lake at dusk, for the tests";

/// [`PASSPHRASE`], as the record takes it.
pub fn passphrase() -> stillpoint::journal::store::Passphrase {
    stillpoint::journal::store::Passphrase::new(PASSPHRASE.into())
}

/// A file holding [`PASSPHRASE`] (0600), for `STILLPOINT_PASSPHRASE_FILE`.
pub fn passphrase_file() -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("stillpoint-test-passphrase-{}", std::process::id()));
    stillpoint::journal::passphrase::make_file(&path, PASSPHRASE).unwrap();
    path
}

/// The `stillpoint` command, with a home of its own: empty config and data
/// folders, no settings file, no headset runtime, and the test passphrase
/// for the record.
pub fn stillpoint() -> Command {
    let home = std::env::temp_dir().join(format!("stillpoint-test-home-{}", std::process::id()));
    let _ = std::fs::create_dir_all(home.join("config"));
    let _ = std::fs::create_dir_all(home.join("data"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_stillpoint"));
    command
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("STILLPOINT_SETTINGS", home.join("config").join("none.ron"))
        .env("XR_RUNTIME_JSON", "/nonexistent/openxr_runtime.json")
        .env("STILLPOINT_PASSPHRASE_FILE", passphrase_file())
        .env_remove("STILLPOINT_SCENES");
    command
}

/// A scratch folder holding the shipped scene `shipped` under the name
/// `as_name`, with the lake beside it (the other scenes name it as their
/// safe place) and the sessions. Returns the folder and the scene's text.
pub fn scene_folder(test: &str, shipped: &str, as_name: &str) -> (PathBuf, String) {
    let dir = scratch(test);
    std::fs::copy(
        scenes_dir().join("lake_dusk.ron"),
        dir.join("lake_dusk.ron"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("sessions")).unwrap();
    for entry in std::fs::read_dir(scenes_dir().join("sessions")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("sessions").join(path.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(scenes_dir().join(shipped)).unwrap();
    std::fs::write(dir.join(as_name), &text).unwrap();
    (dir, text)
}

/// Everything that happened, as the app said it.
#[derive(Resource, Default, Debug)]
pub struct Heard(pub Vec<Lifecycle>);

fn listen(mut heard: MessageReader<Lifecycle>, mut all: ResMut<Heard>) {
    all.0.extend(heard.read().cloned());
}

/// The whole app (every plugin, the same list the app uses) on a bare Bevy
/// with no window, GPU or sound, in the scene `file` of `folder`, each
/// update `frame` of time; `guide` runs from the start.
pub fn app_on(folder: &Path, file: &str, frame: Duration, guide: Option<Guide>) -> App {
    app_with(folder, file, frame, guide, Presentation::Desktop, false)
}

/// [`app_on`] with a choice of presentation, and of watching the files.
pub fn app_with(
    folder: &Path,
    file: &str,
    frame: Duration,
    guide: Option<Guide>,
    presentation: Presentation,
    watch: bool,
) -> App {
    let mut app = stillpoint::app::bare_app(folder, frame, watch);
    app.insert_resource(AppState::new(
        file,
        guide,
        Listening::default(),
        presentation,
    ))
    .insert_resource(CurrentScene::new(file));
    app.add_plugins(stillpoint::app::StillpointPlugins::default());
    listen_to(&mut app);
    app
}

/// Keeps everything `app` says, for [`heard`].
pub fn listen_to(app: &mut App) {
    app.init_resource::<Heard>().add_systems(Last, listen);
}

/// Updates until `done` holds, for at most `limit` of real time.
pub fn update_until(app: &mut App, limit: Duration, done: impl Fn(&World) -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        app.update();
        if done(app.world()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// One frame of the app's own world (input, state, layout, everything up
/// to `Last`) with nothing extracted to the renderer or drawn: for checks
/// that read the world and no pixels. On a CPU renderer a drawn frame costs
/// far more than the rest of the frame.
pub fn update_undrawn(app: &mut App) {
    app.main_mut().update();
}

/// How many scenes have been shown.
pub fn generation(world: &World) -> u32 {
    world.resource::<CurrentScene>().generation
}

/// Sends an intent, as any input would.
pub fn ask(app: &mut App, intent: Intent) {
    app.world_mut().write_message(intent);
}

/// What the app has said so far.
pub fn heard(app: &App) -> &[Lifecycle] {
    &app.world().resource::<Heard>().0
}

/// Presses and releases a key over two frames, as a person does.
pub fn press(app: &mut App, key: KeyCode) {
    use bevy::input::ButtonState;
    use bevy::input::keyboard::{Key, KeyboardInput};
    for state in [ButtonState::Pressed, ButtonState::Released] {
        app.world_mut().write_message(KeyboardInput {
            key_code: key,
            logical_key: Key::Unidentified(bevy::input::keyboard::NativeKey::Unidentified),
            state,
            text: None,
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
        app.update();
    }
}

/// Finds chime onsets in one channel of sound starting at frame
/// `first_frame`: the first sample of each sharp rise, where the signal
/// climbs above twice the loudest of the 10 ms before it (2 to 12 ms back:
/// the tail of the last chime) and above an absolute floor; one per half
/// second. Keeps its memory in `detector`, so a long sound can be fed in
/// pieces.
pub fn chime_onsets(
    samples: &[f32],
    first_frame: u64,
    detector: &mut Onsets,
    found: &mut Vec<u64>,
) {
    const BLOCK: usize = 48;
    for (i, &x) in samples.iter().enumerate() {
        let frame = first_frame + i as u64;
        let level = x.abs();
        if frame >= detector.quiet_until {
            // The loudest of the 1 ms blocks from 12 ms to 2 ms ago.
            let before = detector
                .peaks
                .iter()
                .rev()
                .skip(2)
                .take(10)
                .fold(0.0f32, |m, &p| m.max(p));
            if level > 1e-4 && level > 2.0 * before {
                found.push(frame);
                detector.quiet_until = frame + 24_000;
            }
        }
        detector.block_peak = detector.block_peak.max(level);
        detector.in_block += 1;
        if detector.in_block == BLOCK {
            if detector.peaks.len() == 12 {
                detector.peaks.remove(0);
            }
            detector.peaks.push(detector.block_peak);
            detector.block_peak = 0.0;
            detector.in_block = 0;
        }
    }
}

/// The memory of [`chime_onsets`].
#[derive(Default)]
pub struct Onsets {
    peaks: Vec<f32>,
    block_peak: f32,
    in_block: usize,
    quiet_until: u64,
}

/// What a crash test's child had printed when it was killed: the highest
/// number it acknowledged (`acked N`) and the highest it had started on
/// (`{started} N`: written, queued or sent).
pub struct Killed {
    /// The last entry acknowledged.
    pub acked: u64,
    /// The last entry started on.
    pub started: u64,
}

/// Runs the test `child` of this binary (an ignored test that writes until
/// it is killed), with `STILLPOINT_CRASH_RECORD` and `STILLPOINT_CRASH_RUN`
/// set; once it has acknowledged one entry, waits a random 0 to `within`
/// more, kills it with SIGKILL (asserting it was still running) and returns
/// what it had printed.
pub fn kill_at_random(
    child: &str,
    record: &Path,
    run: u32,
    started: &'static str,
    within: Duration,
    random: &mut impl FnMut() -> u64,
) -> Killed {
    use std::io::BufRead;
    let mut process = Command::new(std::env::current_exe().unwrap())
        .args([
            child,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STILLPOINT_CRASH_RECORD", record)
        .env("STILLPOINT_CRASH_RUN", run.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = process.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let (ack, n) = match (line.strip_prefix("acked "), line.split_once(' ')) {
                (Some(n), _) => (true, n),
                (None, Some((tag, n))) if tag == started => (false, n),
                _ => continue,
            };
            let _ = tx.send((ack, n.parse::<u64>().unwrap()));
        }
    });
    let mut killed = Killed {
        acked: 0,
        started: 0,
    };
    let note = |(ack, n): (bool, u64), killed: &mut Killed| {
        let slot = if ack {
            &mut killed.acked
        } else {
            &mut killed.started
        };
        *slot = (*slot).max(n);
    };
    while killed.acked == 0 {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the child acknowledges entries");
        note(line, &mut killed);
    }
    let until = Instant::now() + Duration::from_micros(random() % within.as_micros().max(1) as u64);
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => note(line, &mut killed),
            Err(_) => break,
        }
    }
    process.kill().unwrap();
    let status = process.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "run {run}: the child was still running when killed"
    );
    reader.join().unwrap();
    // What it printed before the kill and was read after it.
    while let Ok(line) = rx.try_recv() {
        note(line, &mut killed);
    }
    killed
}

/// A small random generator (xorshift), seeded from the clock, for moments
/// to kill a child at.
pub fn random_source(salt: u64) -> impl FnMut() -> u64 {
    let mut seed = salt
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
