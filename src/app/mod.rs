//! Building the app: Bevy configured for where frames go (a window, a
//! headset, an offscreen image), and every Stillpoint plugin on top; and
//! the same plugins on a bare Bevy, for the benchmarks and headless tests
//! ([`bare_app`], the headset's [`harness`]).

// Public only for the integration tests and the benches, which are other
// crates; hidden because it is no part of the app (see the crate's
// documentation for why this is not a cargo feature).
#[doc(hidden)]
pub mod harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bevy::app::ScheduleRunnerPlugin;
use bevy::asset::AssetPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::window::{ExitCondition, PresentMode, WindowResolution};
use bevy::winit::WinitPlugin;

use crate::audio::engine::MixSettings;
use crate::breath::Guide;
use crate::frame::{self, AppSet};
use crate::settings::Settings;
pub(crate) use crate::xr::HeadsetOptions;
use crate::{
    audio, breath, capture, clock, console, journal, keys, overlay, pacer, render, scene, settings,
    signals, state, typeface, view, xr,
};

/// Where frames go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Output {
    /// A desktop window.
    Window {
        /// Vertical sync: off when measuring frame times.
        vsync: bool,
        /// Window size, pixels.
        size: (u32, u32),
    },
    /// An offscreen image of this size; no window and no display needed.
    Offscreen {
        /// Width, pixels.
        width: u32,
        /// Height, pixels.
        height: u32,
    },
}

/// How to start the app.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The scene file to open first.
    pub scene: PathBuf,
    /// Window or offscreen.
    pub output: Output,
    /// Close after this many seconds of real time.
    pub quit_after: Option<f64>,
    /// Hold the scene clock at this time (screenshots).
    pub frozen_at: Option<f64>,
    /// Show the controls hint.
    pub hints: bool,
    /// The guided session, if any.
    pub guide: Option<breath::Guide>,
    /// The person's settings in force.
    pub settings: settings::Settings,
    /// Never open a sound device.
    pub silent: bool,
    /// Write the mix to this file instead of a sound card.
    pub tap_mix: Option<PathBuf>,
    /// Listen for the person's voice (a remote session), from here.
    pub near_voice: Option<audio::near_voice::NearSource>,
    /// Show the scene in a headset (a runtime answered the probe), with the
    /// window as its mirror.
    pub headset: Option<HeadsetOptions>,
    /// For an exposure scene, the step to start at, from 0: its guided
    /// session then waits, off, until the pacer is asked for.
    pub exposure_step: Option<usize>,
    /// Keep the session record, where and for whom; `None`: keep none
    /// (still frames, rendered sound, tests that do not look at it).
    pub journal: Option<journal::Recording>,
    /// Run the therapist's console; `None`: nothing listens.
    pub console: Option<console::ConsoleOptions>,
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The scene file does not exist or its folder cannot be read.
    #[error("{path}: cannot open the scene file: {source}")]
    SceneFile {
        /// The path as given.
        path: String,
        /// The reason.
        source: std::io::Error,
    },
}

/// Close the app after this much real time, seconds.
#[derive(Resource, Debug, Clone, Copy)]
struct QuitAfter(f64);

/// Builds the whole app for `launch`: Bevy, and every Stillpoint plugin.
pub fn build_app(launch: &Launch) -> Result<App, LaunchError> {
    let scene_error = |source| LaunchError::SceneFile {
        path: launch.scene.display().to_string(),
        source,
    };
    let full = std::fs::canonicalize(&launch.scene).map_err(scene_error)?;
    if !full.is_file() {
        return Err(scene_error(std::io::Error::other("not a file")));
    }
    let folder = full.parent().map(Path::to_path_buf).unwrap_or_default();
    let file = full
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut app = App::new();
    let offscreen = matches!(launch.output, Output::Offscreen { .. });
    let window = match launch.output {
        Output::Window { vsync, size } => WindowPlugin {
            primary_window: Some(Window {
                title: "Stillpoint".into(),
                resolution: WindowResolution::new(size.0, size.1),
                // A headset's mirror never waits for the monitor: the
                // headset paces frames.
                present_mode: if vsync && launch.headset.is_none() {
                    PresentMode::AutoVsync
                } else {
                    PresentMode::AutoNoVsync
                },
                ..default()
            }),
            ..default()
        },
        Output::Offscreen { .. } => WindowPlugin {
            primary_window: None,
            exit_condition: ExitCondition::DontExit,
            ..default()
        },
    };
    let bevy = DefaultPlugins
        .set(AssetPlugin {
            file_path: folder.to_string_lossy().into_owned(),
            // Scene authors see their edits within a second in a window;
            // one-shot renders read each file once.
            watch_for_changes_override: Some(!offscreen),
            ..default()
        })
        .set(RenderPlugin {
            synchronous_pipeline_compilation: offscreen,
            ..default()
        })
        .set(bevy::log::LogPlugin {
            // Scenes are the only files the asset server loads, and the
            // scene module says a failed load once, as FILE:LINE:COLUMN.
            // The asset server would say it twice more (once for the
            // reload, once for a retry), with a backtrace each when
            // RUST_BACKTRACE is set.
            filter: format!(
                "{},bevy_asset::server=off",
                bevy::log::DEFAULT_FILTER.trim_end_matches(',')
            ),
            ..default()
        });
    if offscreen {
        app.add_plugins((
            bevy.set(window).disable::<WinitPlugin>(),
            ScheduleRunnerPlugin::run_loop(Duration::ZERO),
        ));
    } else if launch.headset.is_some() {
        app.add_plugins(xr::with_openxr(bevy, window));
    } else {
        app.add_plugins(bevy.set(window));
    }

    let presentation = if launch.headset.is_some() {
        state::Presentation::Headset
    } else {
        state::Presentation::Desktop
    };
    app.insert_resource(scene::SceneFolder {
        root: folder.clone(),
    })
    .insert_resource(scene::CurrentScene::new(file.clone()))
    .insert_resource({
        let state = state::AppState::new(
            file,
            launch.guide.clone(),
            state::Listening {
                volume: launch.settings.volume,
                mono: launch.settings.mono,
            },
            presentation,
        );
        match launch.exposure_step {
            // A still frame has nobody to answer SUDS: it shows the
            // scene at the step, unasked.
            Some(step) if launch.frozen_at.is_some() => {
                state.for_exposure(step).without_suds_questions()
            }
            Some(step) => state.for_exposure(step),
            None => state,
        }
    });
    if let Output::Offscreen { width, height } = launch.output {
        capture::add_offscreen_target(&mut app, width, height);
    }
    if let Some(at) = launch.frozen_at {
        // A still frame: both clocks held at `at`, no sound.
        app.insert_resource(clock::SceneClock {
            seconds: at,
            frozen: true,
        })
        .insert_resource(clock::SessionClock {
            heard: breath::time::micros_from_s(at),
            latency: 0,
            manual: true,
        });
    } else {
        app.insert_resource(clock::SessionClock {
            heard: 0,
            latency: breath::time::micros_from_s(
                f64::from(launch.settings.output_latency_ms) / 1000.0,
            ),
            manual: false,
        });
    }
    let console = launch.console.clone().map(|mut options| {
        if options.scenes.is_empty() {
            options.scenes = console::view::scene_choices(&folder);
        }
        options
    });
    app.add_plugins((
        StillpointPlugins {
            hints: launch.hints,
            pacer: pacer::PacerOptions {
                reduced_motion: launch.settings.reduced_motion,
            },
            breaks: state::BreakAdvice::new(launch.settings.break_after()),
            // A still frame has no sound.
            audio: launch.frozen_at.is_none().then(|| audio::AudioStart {
                settings: mix_settings(&launch.settings, launch.guide.as_ref()),
                force_silent: launch.silent,
                tap: launch.tap_mix.clone(),
                near: launch.near_voice.clone(),
                headphones: launch.settings.headphones,
            }),
            journal: launch.journal.clone(),
            console,
            headset: launch.headset.clone(),
        },
        signals::plugin,
    ));
    if let Some(seconds) = launch.quit_after {
        // In `Update`, so that every `Last` system (the sound's fade-out
        // among them) sees the exit in the same frame.
        app.insert_resource(QuitAfter(seconds))
            .add_systems(Update, quit_after.in_set(AppSet::Input));
    }
    Ok(app)
}

/// The mix's settings: the person's choices, else the session's.
pub(crate) fn mix_settings(settings: &Settings, guide: Option<&Guide>) -> MixSettings {
    let session = guide.map(|g| g.sounds).unwrap_or_default();
    MixSettings {
        master: settings.volume,
        nature: settings.nature_volume,
        pacer: settings.pacer_volume,
        mono: settings.mono,
        swell: settings.swell.unwrap_or(session.swell),
        tone: settings.tone.unwrap_or(session.tone),
        chime: settings.chime.unwrap_or(session.chime),
    }
}

/// Every Stillpoint plugin, configured, in one list: the app, the
/// headset's harness and the tests all add this, on whatever Bevy they run
/// on (the default: no hint, no sound, no record, no console, no headset).
/// Needs the resources [`build_app`] inserts: a [`scene::SceneFolder`] and
/// the first scene's [`scene::CurrentScene`] (and, to begin somewhere, a
/// [`state::AppState`]).
#[derive(Debug, Clone, Default)]
pub struct StillpointPlugins {
    /// Show the controls hint at the start.
    pub(crate) hints: bool,
    /// How the pacer moves.
    pub(crate) pacer: pacer::PacerOptions,
    /// When a break is suggested.
    pub(crate) breaks: state::BreakAdvice,
    /// How the sound starts; `None`: no mix, the clocks follow real time.
    pub(crate) audio: Option<audio::AudioStart>,
    /// Keep the session record, where and for whom.
    pub(crate) journal: Option<journal::Recording>,
    /// Run the therapist's console.
    pub(crate) console: Option<console::ConsoleOptions>,
    /// Show the scene in a headset, after OpenXR's plugins ([`xr::with_openxr`]).
    pub(crate) headset: Option<HeadsetOptions>,
}

impl Plugin for StillpointPlugins {
    fn build(&self, app: &mut App) {
        frame::configure_sets(app);
        app.add_plugins((
            typeface::plugin,
            state::StatePlugin {
                breaks: self.breaks.clone(),
            },
            keys::plugin,
            clock::plugin,
            scene::plugin,
            render::plugin,
            view::plugin,
            overlay::OverlayPlugin { hints: self.hints },
            audio::AudioPlugin {
                start: self.audio.clone(),
            },
            pacer::PacerPlugin {
                options: self.pacer,
            },
        ));
        if let Some(recording) = &self.journal {
            app.add_plugins(journal::JournalPlugin {
                recording: recording.clone(),
            });
        }
        if let Some(options) = &self.console {
            app.add_plugins(console::ConsolePlugin {
                options: options.clone(),
            });
        }
        if let Some(options) = &self.headset {
            app.add_plugins(xr::XrPlugin {
                options: options.clone(),
            });
        }
    }
}

/// Bevy with no window and no GPU, stepped by `frame` of time each update,
/// reading assets from `folder` (and, with `watch`, seeing edits to them):
/// how the benchmarks and the headless tests run the app's plugins.
pub fn bare_app(folder: &Path, frame: Duration, watch: bool) -> App {
    use bevy::time::TimeUpdateStrategy;
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: folder.to_string_lossy().into_owned(),
            watch_for_changes_override: Some(watch),
            ..default()
        },
        bevy::transform::TransformPlugin,
        bevy::input::InputPlugin,
        bevy::state::app::StatesPlugin,
    ))
    .init_asset::<Mesh>()
    .init_asset::<StandardMaterial>()
    .init_asset::<Image>()
    .init_asset::<Shader>()
    .insert_resource(scene::SceneFolder {
        root: folder.to_path_buf(),
    })
    .insert_resource(TimeUpdateStrategy::ManualDuration(frame));
    app
}

fn quit_after(limit: Res<QuitAfter>, time: Res<Time<Real>>, mut exit: MessageWriter<AppExit>) {
    if time.elapsed_secs_f64() >= limit.0 {
        info!("closing after {} s, as asked", limit.0);
        exit.write(AppExit::Success);
    }
}
