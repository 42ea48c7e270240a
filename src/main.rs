//! The `stillpoint` command: parses the command line and starts the right
//! mode. Everything else lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::AppExit;
use clap::Parser;

use stillpoint::cli::{Cli, Command, DEFAULT_SCENE, scenes_dir};
use stillpoint::scene::parse::{MAX_SCENE_BYTES, SceneErrors, parse_scene};
use stillpoint::scene::{display_path, format::SceneFile};
use stillpoint::{Launch, Output, build_app, capture};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => {
            let scene = cli
                .scene
                .unwrap_or_else(|| scenes_dir().join(DEFAULT_SCENE));
            run(
                Launch {
                    scene,
                    output: Output::Window {
                        vsync: true,
                        size: (1280, 720),
                    },
                    quit_after: cli.quit_after,
                    frozen_at: None,
                    hints: true,
                },
                |_| {},
            )
        }
        Some(Command::Scenes { dir }) => list_scenes(&dir.unwrap_or_else(scenes_dir)),
        Some(Command::Validate { paths }) => validate(&paths),
        Some(Command::Screenshot {
            scene,
            out,
            width,
            height,
            at,
        }) => run(
            Launch {
                scene,
                output: Output::Offscreen { width, height },
                quit_after: cli.quit_after,
                frozen_at: Some(at),
                hints: false,
            },
            |app| capture::add_screenshot(app, out.clone()),
        ),
        Some(Command::Profile {
            scene,
            frames,
            warmup,
            width,
            height,
        }) => {
            let name = display_path(&scene);
            run(
                Launch {
                    scene,
                    output: Output::Window {
                        vsync: false,
                        size: (width, height),
                    },
                    quit_after: cli.quit_after,
                    frozen_at: None,
                    hints: false,
                },
                |app| capture::add_profiler(app, warmup, frames, name.clone()),
            )
        }
    }
}

/// Builds and runs the app, with `extra` adding what the mode needs.
fn run(launch: Launch, extra: impl FnOnce(&mut bevy::prelude::App)) -> ExitCode {
    let mut app = match build_app(&launch) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    extra(&mut app);
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// Reads and checks one scene file.
fn check(path: &Path) -> Result<SceneFile, SceneErrors> {
    let shown = display_path(path);
    let fail = |message: String| {
        SceneErrors(vec![stillpoint::scene::parse::SceneError {
            file: shown.clone(),
            line: 1,
            column: 1,
            message,
        }])
    };
    let size = std::fs::metadata(path)
        .map_err(|e| fail(format!("cannot read the file: {e}")))?
        .len();
    if size > MAX_SCENE_BYTES as u64 {
        return Err(fail(format!(
            "the file is {size} bytes; expected a scene of at most {MAX_SCENE_BYTES} bytes"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_scene(&shown, &bytes, &|p| folder.join(p).is_file())
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for path in paths {
        match check(path) {
            Ok(scene) => println!("{}: ok ({})", display_path(path), scene.title),
            Err(errors) => {
                failed += 1;
                eprintln!("{errors}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{failed} of {} scene files have problems", paths.len());
        ExitCode::FAILURE
    }
}

fn list_scenes(dir: &Path) -> ExitCode {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("{}: cannot list scenes: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "ron"))
        .collect();
    files.sort();
    let mut status = ExitCode::SUCCESS;
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match check(&path) {
            Ok(scene) => println!("{name:<20} {}: {}", scene.title, scene.description),
            Err(errors) => {
                println!(
                    "{name:<20} (invalid: see `stillpoint validate {}`)",
                    display_path(&path)
                );
                eprintln!("{errors}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
