//! The `stillpoint` command: parses the command line and starts the right
//! mode. Everything else lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::AppExit;
use clap::Parser;

use stillpoint::breath::Guide;
use stillpoint::breath::session::load_session;
use stillpoint::cli::{Cli, Command};
use stillpoint::console::ConsoleOptions;
use stillpoint::diagnostics::FileErrors;
use stillpoint::journal::Recording;
use stillpoint::launch::{choose_guide, effective_settings, mix_settings};
use stillpoint::scene::folder::{DEFAULT_SCENE, RonFile, ron_files, scenes_dir};
use stillpoint::scene::parse::read_scene;
use stillpoint::scene::{display_path, format::SceneFile, load_scene};
use stillpoint::settings::{Settings, load_settings};
use stillpoint::xr::probe::{Decision, Mode, decide, probe};
use stillpoint::{HeadsetOptions, Launch, Output, audio, build_app, capture};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let loaded = load_settings();
    if let (Some(errors), Some(outcome)) = (&loaded.errors, loaded.outcome()) {
        stillpoint::tell!("{errors}");
        stillpoint::tell!("{outcome}");
    }
    let settings = effective_settings(loaded.settings, &cli.comfort);
    // The session for a scene, or the reason there is none (exit 2).
    let guide_for = |scene: &Path| -> Result<Option<Guide>, ExitCode> {
        choose_guide(scene, &cli.guide).map_err(|e| {
            stillpoint::tell!("{e}");
            ExitCode::from(2)
        })
    };
    let launch = |scene: PathBuf, output, frozen_at, hints| -> Result<Launch, ExitCode> {
        let exposure_step = start_step(&scene, cli.step).map_err(|why| {
            stillpoint::tell!("{why}");
            ExitCode::from(2)
        })?;
        Ok(Launch {
            guide: guide_for(&scene)?,
            scene,
            output,
            quit_after: cli.quit_after,
            frozen_at,
            hints,
            settings: settings.clone(),
            silent: cli.comfort.silent,
            headset: None,
            exposure_step,
            journal: None,
            console: None,
        })
    };
    match cli.command {
        None => {
            let scene = cli
                .scene
                .unwrap_or_else(|| scenes_dir().join(DEFAULT_SCENE));
            let output = Output::Window {
                vsync: true,
                size: (1280, 720),
            };
            let mut launch = match launch(scene, output, None, true) {
                Ok(launch) => launch,
                Err(code) => return code,
            };
            if !cli.no_journal {
                launch.journal = recording(cli.alias.clone(), &settings);
            }
            if cli.console {
                let ip = cli
                    .console_bind
                    .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
                launch.console = Some(ConsoleOptions {
                    bind: std::net::SocketAddr::new(ip, cli.console_port.unwrap_or(0)),
                    alias: cli.alias.clone().unwrap_or_default(),
                    journal: launch.journal.as_ref().map(|r| r.path.clone()),
                    // Read from the scene's folder when the app is built.
                    scenes: Vec::new(),
                    ..ConsoleOptions::default()
                });
            }
            let mode = if cli.xr {
                Mode::Xr
            } else if cli.desktop {
                Mode::Desktop
            } else {
                Mode::Auto
            };
            match decide(mode, probe) {
                Decision::Headset(headset) => {
                    stillpoint::tell!(
                        "stillpoint: in the headset: {} on {}",
                        headset.system,
                        headset.runtime
                    );
                    launch.headset = Some(HeadsetOptions {
                        eye_size: cli.eye_size,
                        haptics: settings.haptics,
                        eye_screenshot: cli.eye_screenshot.clone(),
                    });
                }
                Decision::Desktop { why: Some(why) } => stillpoint::tell!("stillpoint: {why}"),
                Decision::Desktop { why: None } => {}
                Decision::Refuse(why) => {
                    stillpoint::tell!("stillpoint: {why}");
                    return ExitCode::from(3);
                }
            }
            run(launch, |_| {})
        }
        Some(Command::Steps { ref scene }) => print_steps(scene),
        Some(Command::Journal { what }) => stillpoint::journal::command::run(what),
        Some(Command::Sessions { dir }) => {
            list_sessions(&dir.unwrap_or_else(|| scenes_dir().join("sessions")))
        }
        Some(Command::RenderAudio {
            ref scene,
            seconds,
            ref out,
        }) => {
            // The step is checked as the app checks it: one the scene
            // lacks is an error, not a silent first step.
            let step = match start_step(scene, cli.step) {
                Ok(step) => step,
                Err(why) => {
                    stillpoint::tell!("{why}");
                    return ExitCode::from(2);
                }
            };
            match guide_for(scene) {
                Ok(guide) => render_audio(scene, guide, &settings, seconds, out, step),
                Err(code) => code,
            }
        }
        Some(Command::Scenes { dir }) => list_scenes(&dir.unwrap_or_else(scenes_dir)),
        Some(Command::Validate { paths }) => validate(&paths),
        Some(Command::Screenshot {
            ref scene,
            ref out,
            width,
            height,
            at,
            frames,
            every,
        }) => match launch(
            scene.clone(),
            Output::Offscreen { width, height },
            Some(at),
            false,
        ) {
            Ok(launch) => run(launch, |app| {
                capture::add_screenshot(app, out.clone(), at, frames, every)
            }),
            Err(code) => code,
        },
        Some(Command::Profile {
            scene,
            frames,
            warmup,
            width,
            height,
        }) => {
            let name = display_path(&scene);
            let output = Output::Window {
                vsync: false,
                size: (width, height),
            };
            match launch(scene, output, None, false) {
                Ok(launch) => run(launch, |app| {
                    capture::add_profiler(app, warmup, frames, name.clone())
                }),
                Err(code) => code,
            }
        }
    }
}

/// Where the session record is kept and for whom; `None` (said once) when
/// there is no data folder to keep it in.
fn recording(alias: Option<String>, settings: &Settings) -> Option<Recording> {
    match stillpoint::journal::store::default_path() {
        Some(path) => Some(Recording {
            path,
            alias: alias.unwrap_or_default(),
            relaxation: settings.record_relaxation,
        }),
        None => {
            stillpoint::tell!(
                "stillpoint: neither XDG_DATA_HOME nor HOME is set: no session record is kept"
            );
            None
        }
    }
}

/// Builds and runs the app, with `extra` adding what the mode needs.
fn run(launch: Launch, extra: impl FnOnce(&mut bevy::prelude::App)) -> ExitCode {
    let mut app = match build_app(&launch) {
        Ok(app) => app,
        Err(e) => {
            stillpoint::tell!("{e}");
            return ExitCode::from(2);
        }
    };
    extra(&mut app);
    let exit = app.run();
    // The session record's writer finishes when the app is dropped; only
    // then is it known whether everything was recorded.
    drop(app);
    match exit {
        AppExit::Success if stillpoint::journal::lost_anything() => {
            let lost = stillpoint::journal::lost();
            let were = if lost == 1 {
                "entry was"
            } else {
                "entries were"
            };
            stillpoint::tell!(
                "stillpoint: the session record could not be written: {lost} {were} not \
                 recorded (see above)"
            );
            ExitCode::from(4)
        }
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// Reads and checks one scene file.
fn check(path: &Path) -> Result<SceneFile, FileErrors> {
    read_scene(path, &display_path(path))
}

/// For an exposure scene, the step to start at (from 0): `--step` (counted
/// from 1), else the first. A step the scene does not have, or a step for a
/// scene with none, is an error that says so. A scene that cannot be read
/// has its own error when it loads.
fn start_step(scene: &Path, step: Option<u32>) -> Result<Option<usize>, String> {
    let Ok(file) = check(scene) else {
        return Ok(None);
    };
    let shown = display_path(scene);
    match (file.exposure, step) {
        (None, None) => Ok(None),
        (None, Some(n)) => Err(format!(
            "--step {n}: {shown} is not an exposure scene; it has no steps"
        )),
        (Some(exposure), step) => {
            let steps = exposure.steps.len();
            match step {
                None => Ok(Some(0)),
                Some(n) if (1..=steps).contains(&(n as usize)) => Ok(Some(n as usize - 1)),
                Some(n) => Err(format!(
                    "--step {n}: {shown} has {steps} steps; expected 1 to {steps}"
                )),
            }
        }
    }
}

/// `stillpoint steps SCENE`: the hierarchy and the events, as a therapist
/// reads them.
fn print_steps(path: &Path) -> ExitCode {
    let file = match check(path) {
        Ok(file) => file,
        Err(errors) => {
            stillpoint::tell!("{errors}");
            return ExitCode::from(2);
        }
    };
    let Some(exposure) = file.exposure else {
        stillpoint::tell!(
            "{}: {} is not an exposure scene; it has no steps",
            display_path(path),
            file.title
        );
        return ExitCode::from(2);
    };
    stillpoint::say!("{}: {} steps", file.title, exposure.steps.len());
    for (i, step) in exposure.steps.iter().enumerate() {
        let events: Vec<&str> = exposure
            .events
            .iter()
            .filter(|e| e.steps.contains(&(i as u32 + 1)))
            .map(|e| e.name.as_str())
            .collect();
        stillpoint::say!("{:>3}  {}: {}", i + 1, step.name, step.say);
        if !events.is_empty() {
            stillpoint::say!("       events: {}", events.join(", "));
        }
    }
    if !exposure.events.is_empty() {
        stillpoint::say!("events:");
        for event in &exposure.events {
            let steps: Vec<String> = event.steps.iter().map(u32::to_string).collect();
            stillpoint::say!(
                "  {} ({} s, at steps {}): {}",
                event.name,
                event.seconds,
                steps.join(", "),
                event.say
            );
        }
    }
    ExitCode::SUCCESS
}

/// Whether a path names a session file: one in a `sessions` folder.
fn is_session(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|name| name == "sessions")
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for path in paths {
        let result = if is_session(path) {
            load_session(path).map(|s| s.title)
        } else {
            // A scene is valid only with a valid session, if it names one.
            check(path).and_then(|scene| {
                let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
                match &scene.session {
                    Some(session) => load_session(&folder.join(session)).map(|_| scene.title),
                    None => Ok(scene.title),
                }
            })
        };
        match result {
            Ok(title) => stillpoint::say!("{}: ok ({title})", display_path(path)),
            Err(errors) => {
                failed += 1;
                stillpoint::tell!("{errors}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        stillpoint::tell!("{failed} of {} files have problems", paths.len());
        ExitCode::FAILURE
    }
}

fn list_sessions(dir: &Path) -> ExitCode {
    let files = match ron_files(dir) {
        Ok(files) => files,
        Err(e) => {
            stillpoint::tell!("{}: cannot list sessions: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let mut status = ExitCode::SUCCESS;
    for RonFile { path, name } in files {
        match load_session(&path) {
            Ok(session) => stillpoint::say!(
                "{name:<22} {} ({} min): {}",
                session.title,
                session.minutes,
                session.description
            ),
            Err(errors) => {
                stillpoint::say!(
                    "{name:<22} (invalid: see `stillpoint validate {}`)",
                    display_path(&path)
                );
                stillpoint::tell!("{errors}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}

/// `render-audio`: the mix of a scene and its session, offline, to a WAV.
fn render_audio(
    scene_path: &Path,
    guide: Option<Guide>,
    settings: &Settings,
    seconds: f64,
    out: &Path,
    step: Option<usize>,
) -> ExitCode {
    let scene = match load_scene(scene_path) {
        Ok(scene) => scene,
        Err(errors) => {
            stillpoint::tell!("{errors}");
            return ExitCode::from(2);
        }
    };
    let mix = mix_settings(settings, guide.as_ref());
    // Written as it is rendered: an hour of sound never sits in memory.
    let written = std::fs::File::create(out).and_then(|file| {
        audio::render_scene_to(
            std::io::BufWriter::new(file),
            &scene,
            guide.as_ref(),
            mix,
            seconds,
            step,
        )
    });
    match written {
        Ok(()) => {
            stillpoint::say!("wrote {} ({seconds} s)", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            stillpoint::tell!("{}: cannot write the sound: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

fn list_scenes(dir: &Path) -> ExitCode {
    let files = match ron_files(dir) {
        Ok(files) => files,
        Err(e) => {
            stillpoint::tell!("{}: cannot list scenes: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let mut status = ExitCode::SUCCESS;
    for RonFile { path, name } in files {
        match check(&path) {
            Ok(scene) => stillpoint::say!("{name:<20} {}: {}", scene.title, scene.description),
            Err(errors) => {
                stillpoint::say!(
                    "{name:<20} (invalid: see `stillpoint validate {}`)",
                    display_path(&path)
                );
                stillpoint::tell!("{errors}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
