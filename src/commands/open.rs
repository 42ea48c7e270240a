//! The commands that open a scene and run the app: the default (a window
//! or a headset), `screenshot` (frames rendered offscreen) and `profile`
//! (frame times in a window).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::{App, AppExit};

use crate::app::{HeadsetOptions, Launch, Output, build_app};
use crate::capture;
use crate::cli::{Cli, ComfortArgs, GuideArgs, SceneArgs};
use crate::commands::choose::{choose_guide, effective_settings, start_step};
use crate::console::ConsoleOptions;
use crate::journal::Recording;
use crate::journal::store::{ClientRef, Passphrase};
use crate::scene::display_path;
use crate::scene::folder::{DEFAULT_SCENE, scenes_dir};
use crate::settings::Settings;
use crate::xr::probe::{Decision, Mode, decide, probe};

/// What `screenshot` was given.
pub struct Screenshot {
    /// The scene to render.
    pub scene: PathBuf,
    /// The PNG file to write.
    pub out: PathBuf,
    /// The image's size, pixels.
    pub size: (u32, u32),
    /// Scene and session time of the first frame, seconds.
    pub at: f64,
    /// Frames to render.
    pub frames: u32,
    /// Scene time between frames, seconds.
    pub every: f64,
    /// The step and the session, over those given before the subcommand.
    pub options: SceneArgs,
    /// Only a caption and a gentle brightening.
    pub reduced_motion: bool,
}

/// What `profile` was given.
pub struct Profile {
    /// The scene to measure.
    pub scene: PathBuf,
    /// Frames measured.
    pub frames: u32,
    /// Frames rendered before measuring.
    pub warmup: u32,
    /// The window's size, pixels.
    pub size: (u32, u32),
    /// The step and the session, over those given before the subcommand.
    pub options: SceneArgs,
    /// Sound and comfort, over those given before the subcommand.
    pub comfort: ComfortArgs,
}

/// The app itself: the scene in the headset when one answers (or `--xr`
/// asks for it), else in a window, with its session record and, when asked
/// for, the therapist's console.
pub fn window_or_headset(cli: &Cli, file: Settings) -> ExitCode {
    let settings = effective_settings(file, &cli.comfort);
    let scene = cli
        .scene
        .clone()
        .unwrap_or_else(|| scenes_dir().join(DEFAULT_SCENE));
    let output = Output::Window {
        vsync: true,
        size: (1280, 720),
    };
    let scene_args = SceneArgs {
        step: cli.step,
        guide: cli.guide.clone(),
    };
    let mut launch = match launch(scene, &scene_args, &settings, output, None, true) {
        Ok(launch) => launch,
        Err(code) => return code,
    };
    launch.quit_after = cli.quit_after;
    launch.silent = cli.comfort.silent;
    launch.tap_mix = cli.tap_mix.clone();
    if cli.console {
        // The person's voice, for a remote connection begun from the
        // console: the microphone opens only while one is open.
        launch.near_voice = Some(match &cli.fake_microphone {
            Some(file) => crate::audio::near_voice::NearSource::File(file.clone()),
            None => crate::audio::near_voice::NearSource::Microphone,
        });
    }
    if !cli.no_journal {
        // A therapist's session (an exposure scene, or the console) is kept
        // only in an encrypted record.
        let therapist = cli.console || launch.exposure_step.is_some();
        let client = match (&cli.client, &cli.alias) {
            (Some(code), _) => ClientRef::Code(code.clone()),
            (None, alias) => ClientRef::Alias(alias.clone().unwrap_or_default()),
        };
        launch.journal = match recording(client, &settings, therapist, cli.console) {
            Ok(recording) => recording,
            Err(code) => return code,
        };
    }
    if cli.console {
        let ip = cli
            .console_bind
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        launch.console = Some(ConsoleOptions {
            bind: std::net::SocketAddr::new(ip, cli.console_port.unwrap_or(0)),
            alias: cli.alias.clone().unwrap_or_default(),
            journal: launch.journal.as_ref().map(|r| r.file()),
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
            crate::tell!(
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
        Decision::Desktop { why: Some(why) } => crate::tell!("stillpoint: {why}"),
        Decision::Desktop { why: None } => {}
        Decision::Refuse(why) => {
            crate::tell!("stillpoint: {why}");
            return ExitCode::from(3);
        }
    }
    run(launch, |_| {})
}

/// `stillpoint screenshot`: frames of a scene rendered offscreen, saved as
/// PNG.
pub fn screenshot(asked: Screenshot, file: Settings, cli: &Cli) -> ExitCode {
    let comfort = ComfortArgs {
        reduced_motion: asked.reduced_motion,
        ..ComfortArgs::default()
    }
    .or(&cli.comfort);
    let settings = effective_settings(file, &comfort);
    let (width, height) = asked.size;
    let options = asked.options.or(cli);
    let at = asked.at;
    match launch(
        asked.scene,
        &options,
        &settings,
        Output::Offscreen { width, height },
        Some(at),
        false,
    ) {
        Ok(mut launch) => {
            launch.quit_after = cli.quit_after;
            let (out, frames, every) = (asked.out, asked.frames, asked.every);
            run(launch, |app| {
                capture::add_screenshot(app, out, at, frames, every)
            })
        }
        Err(code) => code,
    }
}

/// `stillpoint profile`: frame times of a scene in a window.
pub fn profile(asked: Profile, file: Settings, cli: &Cli) -> ExitCode {
    let comfort = asked.comfort.or(&cli.comfort);
    let settings = effective_settings(file, &comfort);
    let name = display_path(&asked.scene);
    let output = Output::Window {
        vsync: false,
        size: asked.size,
    };
    let options = asked.options.or(cli);
    match launch(asked.scene, &options, &settings, output, None, false) {
        Ok(mut launch) => {
            launch.quit_after = cli.quit_after;
            launch.silent = comfort.silent;
            let (warmup, frames) = (asked.warmup, asked.frames);
            run(launch, |app| {
                capture::add_profiler(app, warmup, frames, name)
            })
        }
        Err(code) => code,
    }
}

/// How to start the app on `scene`: its session and step, or exit 2 with
/// the reason there is none.
fn launch(
    scene: PathBuf,
    options: &SceneArgs,
    settings: &Settings,
    output: Output,
    frozen_at: Option<f64>,
    hints: bool,
) -> Result<Launch, ExitCode> {
    let exposure_step = start_step(&scene, options.step).map_err(|why| {
        crate::tell!("{why}");
        ExitCode::from(2)
    })?;
    Ok(Launch {
        guide: guide_for(&scene, &options.guide)?,
        scene,
        output,
        quit_after: None,
        frozen_at,
        hints,
        settings: settings.clone(),
        silent: false,
        tap_mix: None,
        near_voice: None,
        headset: None,
        exposure_step,
        journal: None,
        console: None,
    })
}

/// The session for a scene, or the reason there is none (exit 2).
fn guide_for(
    scene: &std::path::Path,
    args: &GuideArgs,
) -> Result<Option<crate::breath::Guide>, ExitCode> {
    choose_guide(scene, args).map_err(|e| {
        crate::tell!("{e}");
        ExitCode::from(2)
    })
}

/// Where the session record is kept and for whom; `None` (said once) when
/// there is no data folder to keep it in. A `therapist`'s record, and any
/// record that is already encrypted, needs the passphrase: from
/// `STILLPOINT_PASSPHRASE_FILE`, or asked on the terminal once; without it
/// the record stays locked and nothing is written to it. A client named by
/// a code the record does not have is refused (exit 2) before the app
/// starts, as is a passphrase that does not open the record.
fn recording(
    client: ClientRef,
    settings: &Settings,
    therapist: bool,
    console: bool,
) -> Result<Option<Recording>, ExitCode> {
    let Some(path) = crate::journal::store::default_path() else {
        crate::tell!(
            "stillpoint: neither XDG_DATA_HOME nor HOME is set: no session record is kept"
        );
        return Ok(None);
    };
    let encrypted = match crate::journal::store::is_encrypted(&path) {
        Ok(encrypted) => encrypted,
        Err(why) => {
            crate::tell!("stillpoint: {why}");
            None
        }
    };
    let refuse = |why: String| {
        crate::tell!("stillpoint: {why}");
        ExitCode::from(2)
    };
    let record = |passphrase: Option<Passphrase>, encrypt: bool| {
        Ok(Some(Recording {
            path: path.clone(),
            client: client.clone(),
            relaxation: settings.record_relaxation,
            encrypt,
            passphrase,
        }))
    };
    if therapist && encrypted == Some(false) {
        // Not asked for a passphrase that could not be used. A session that
        // must be recorded does not start: the console holds it (and says
        // why); without the console the run stops here.
        let why = format!(
            "the session record {} is not encrypted, and a therapist's record must be: \
             `stillpoint journal encrypt` encrypts it",
            path.display()
        );
        if !console {
            return Err(refuse(format!(
                "{why}; or start with --no-journal to keep no record of this run"
            )));
        }
        crate::tell!("stillpoint: {why}; the console will not start a session until it is");
        return record(None, true);
    }
    // A person's own relaxation log is asked for only when it is kept.
    let needed = therapist || (settings.record_relaxation && encrypted == Some(true));
    if !needed {
        return record(None, false);
    }
    let passphrase = crate::journal::passphrase::for_record(&path, encrypted);
    let Some(passphrase) = passphrase else {
        if therapist && console {
            crate::tell!(
                "stillpoint: the session record {} is locked: unlock it on the console's page \
                 once paired; the session will not start until then",
                path.display()
            );
            return record(None, true);
        }
        if therapist {
            return Err(refuse(format!(
                "an exposure session must be recorded, and the session record {} needs its \
                 passphrase (typed when asked, or in the file STILLPOINT_PASSPHRASE_FILE names); \
                 start with --console to unlock it from the page, or with --no-journal to keep \
                 no record of this run",
                path.display()
            )));
        }
        crate::tell!(
            "stillpoint: the session record {} stays locked without its passphrase: nothing \
             will be recorded in this run",
            path.display()
        );
        return record(None, true);
    };
    // A wrong passphrase is said now, with nothing changed, not found by
    // the writer once the session runs.
    if encrypted == Some(true)
        && let Err(why) = crate::journal::store::open_read(&path, Some(&passphrase))
    {
        return Err(refuse(why.to_string()));
    }
    if let ClientRef::Code(code) = &client {
        known_client(&path, Some(&passphrase), code)?;
    }
    record(Some(passphrase), true)
}

/// Refuses (exit 2) a client's code the record at `path` does not have, or
/// a passphrase that does not open it: said before the session starts, not
/// found once it is being recorded.
fn known_client(path: &Path, passphrase: Option<&Passphrase>, code: &str) -> Result<(), ExitCode> {
    let refuse = |why: String| {
        crate::tell!("stillpoint: {why}");
        ExitCode::from(2)
    };
    let db = match crate::journal::store::open_read(path, passphrase) {
        Ok(Some(db)) => db,
        Ok(None) => {
            return Err(refuse(format!(
                "there is no client {code} yet: the session record {} is empty",
                path.display()
            )));
        }
        Err(why) => return Err(refuse(why.to_string())),
    };
    match crate::journal::store::client_named(&db, code, path) {
        Ok(_) => Ok(()),
        Err(why) => Err(refuse(why.to_string())),
    }
}

/// Builds and runs the app, with `extra` adding what the mode needs.
fn run(launch: Launch, extra: impl FnOnce(&mut App)) -> ExitCode {
    let mut app = match build_app(&launch) {
        Ok(app) => app,
        Err(e) => {
            crate::tell!("{e}");
            return ExitCode::from(2);
        }
    };
    extra(&mut app);
    let exit = app.run();
    // The session record's writer finishes when the app is dropped; only
    // then is it known whether everything was recorded.
    drop(app);
    match exit {
        AppExit::Success if crate::journal::lost_anything() => {
            let lost = crate::journal::lost();
            let were = if lost == 1 {
                "entry was"
            } else {
                "entries were"
            };
            crate::tell!(
                "stillpoint: the session record could not be written: {lost} {were} not \
                 recorded (see above)"
            );
            ExitCode::from(4)
        }
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}
