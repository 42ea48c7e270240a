//! The commands that read the scene folder and print: `scenes`,
//! `sessions`, `validate` and `steps`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::breath::session::load_session;
use crate::commands::choose::check;
use crate::scene::display_path;
use crate::scene::folder::{RonFile, ron_files};

/// `stillpoint steps SCENE`: the hierarchy and the events, as a therapist
/// reads them.
pub fn print_steps(path: &Path) -> ExitCode {
    let file = match check(path) {
        Ok(file) => file,
        Err(errors) => {
            crate::tell!("{errors}");
            return ExitCode::from(2);
        }
    };
    let Some(exposure) = file.exposure else {
        crate::tell!(
            "{}: {} is not an exposure scene; it has no steps",
            display_path(path),
            file.title
        );
        return ExitCode::from(2);
    };
    crate::say!("{}: {} steps", file.title, exposure.steps.len());
    for (i, step) in exposure.steps.iter().enumerate() {
        let events: Vec<&str> = exposure
            .events
            .iter()
            .filter(|e| e.steps.contains(&(i as u32 + 1)))
            .map(|e| e.name.as_str())
            .collect();
        crate::say!("{:>3}  {}: {}", i + 1, step.name, step.say);
        if !events.is_empty() {
            crate::say!("       events: {}", events.join(", "));
        }
    }
    if !exposure.events.is_empty() {
        crate::say!("events:");
        for event in &exposure.events {
            let steps: Vec<String> = event.steps.iter().map(u32::to_string).collect();
            crate::say!(
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

/// Whether a path names a questionnaire: one in a `questionnaires` folder,
/// or a file whose first word (after comments) is `Questionnaire`.
fn is_questionnaire(path: &Path) -> bool {
    if path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|name| name == "questionnaires")
    {
        return true;
    }
    // Only a regular file is looked into: opening a pipe would wait for a
    // writer (the check that refuses it comes after).
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(file) = std::os::unix::fs::OpenOptionsExt::custom_flags(
        std::fs::OpenOptions::new().read(true),
        libc::O_NONBLOCK,
    )
    .open(path) else {
        return false;
    };
    let mut head = String::new();
    let _ = std::io::Read::read_to_string(&mut std::io::Read::take(file, 4096), &mut head);
    head.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("//"))
        .is_some_and(|line| line.starts_with("Questionnaire"))
}

/// `stillpoint validate PATH...`: each file (a scene, a session or a
/// questionnaire) checked, its problems at their lines; exit 1 when any has
/// one.
pub fn validate(paths: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for path in paths {
        let result = if is_session(path) {
            load_session(path).map(|s| s.title)
        } else if is_questionnaire(path) {
            crate::questionnaire::form::read(path).map(|q| q.title)
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
            Ok(title) => crate::say!("{}: ok ({title})", display_path(path)),
            Err(errors) => {
                failed += 1;
                crate::tell!("{errors}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        crate::tell!("{failed} of {} files have problems", paths.len());
        ExitCode::FAILURE
    }
}

/// `stillpoint sessions`: the session files of `dir` with their titles.
pub fn list_sessions(dir: &Path) -> ExitCode {
    let files = match ron_files(dir) {
        Ok(files) => files,
        Err(e) => {
            crate::tell!("{}: cannot list sessions: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let mut status = ExitCode::SUCCESS;
    for RonFile { path, name } in files {
        match load_session(&path) {
            Ok(session) => crate::say!(
                "{name:<22} {} ({} min): {}",
                session.title,
                session.minutes,
                session.description
            ),
            Err(errors) => {
                crate::say!(
                    "{name:<22} (invalid: see `stillpoint validate {}`)",
                    display_path(&path)
                );
                crate::tell!("{errors}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}

/// `stillpoint scenes`: the scene files of `dir` with their titles.
pub fn list_scenes(dir: &Path) -> ExitCode {
    let files = match ron_files(dir) {
        Ok(files) => files,
        Err(e) => {
            crate::tell!("{}: cannot list scenes: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let mut status = ExitCode::SUCCESS;
    for RonFile { path, name } in files {
        match check(&path) {
            Ok(scene) => crate::say!("{name:<20} {}: {}", scene.title, scene.description),
            Err(errors) => {
                crate::say!(
                    "{name:<20} (invalid: see `stillpoint validate {}`)",
                    display_path(&path)
                );
                crate::tell!("{errors}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
