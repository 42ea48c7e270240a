//! The `stillpoint` command: parses the command line and hands it to the
//! command it names. What each command does lives in the library.

use std::process::ExitCode;

use clap::Parser;

use stillpoint::cli::{Cli, Command};
use stillpoint::commands::open::{self, Profile, Screenshot};
use stillpoint::commands::render_audio::{self, RenderAudio};
use stillpoint::commands::{scenes, settings_file};
use stillpoint::journal;
use stillpoint::scene::folder::scenes_dir;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let settings = settings_file();
    let Some(command) = cli.command.take() else {
        return open::window_or_headset(&cli, settings);
    };
    match command {
        Command::Scenes { dir } => scenes::list_scenes(&dir.unwrap_or_else(scenes_dir)),
        Command::Sessions { dir } => {
            scenes::list_sessions(&dir.unwrap_or_else(|| scenes_dir().join("sessions")))
        }
        Command::Validate { paths } => scenes::validate(&paths),
        Command::Steps { scene } => scenes::print_steps(&scene),
        Command::Journal { what } => journal::command::run(what),
        Command::Plan { what } => journal::plan_command::run(what),
        Command::RenderAudio {
            scene,
            seconds,
            out,
            scene_args,
            sound,
        } => render_audio::run(
            RenderAudio {
                scene: &scene,
                seconds,
                out: &out,
                options: scene_args,
                sound,
            },
            settings,
            &cli,
        ),
        Command::Screenshot {
            scene,
            out,
            width,
            height,
            at,
            frames,
            every,
            scene_args,
            reduced_motion,
        } => open::screenshot(
            Screenshot {
                scene,
                out,
                size: (width, height),
                at,
                frames,
                every,
                options: scene_args,
                reduced_motion,
            },
            settings,
            &cli,
        ),
        Command::Profile {
            scene,
            frames,
            warmup,
            width,
            height,
            scene_args,
            comfort,
        } => open::profile(
            Profile {
                scene,
                frames,
                warmup,
                size: (width, height),
                options: scene_args,
                comfort,
            },
            settings,
            &cli,
        ),
    }
}
