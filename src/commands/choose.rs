//! From the command line, the settings file and the scene to what a run
//! needs: the guided session (if any), the step to start at and the
//! comfort options in force.

use std::path::{Path, PathBuf};

use crate::breath::Guide;
use crate::breath::Rhythm;
use crate::breath::rhythm::Sets;
use crate::breath::session::{load_session, parse_rhythm};
use crate::cli::{ComfortArgs, GuideArgs};
use crate::diagnostics::FileErrors;
use crate::scene::display_path;
use crate::scene::format::SceneFile;
use crate::scene::parse::read_scene;
use crate::settings::Settings;

/// Why a session could not be chosen.
#[derive(Debug, thiserror::Error)]
pub(super) enum GuideError {
    /// The session file has problems.
    #[error("{0}")]
    Session(FileErrors),
    /// `--rhythm` is not a rhythm.
    #[error("--rhythm {0}")]
    Rhythm(String),
}

/// The session for a run: `--session`, else the one the scene names; with
/// `--rhythm` its rhythm replaces the session's, and on its own it paces
/// from the first breath. `None`: the scene alone.
pub(super) fn choose_guide(scene: &Path, args: &GuideArgs) -> Result<Option<Guide>, GuideError> {
    if args.no_session {
        return Ok(None);
    }
    let rhythm: Option<(Rhythm, Option<Sets>)> = args
        .rhythm
        .as_deref()
        .map(parse_rhythm)
        .transpose()
        .map_err(GuideError::Rhythm)?;
    let file = match &args.session {
        Some(path) => Some(path.clone()),
        // `--rhythm` on its own means that rhythm from the first breath.
        None if rhythm.is_some() => None,
        None => session_named_by(scene),
    };
    match (file, rhythm) {
        (Some(path), rhythm) => {
            let session = load_session(&path).map_err(GuideError::Session)?;
            Guide::from_file(&session, rhythm)
                .map(Some)
                .map_err(GuideError::Rhythm)
        }
        (None, Some((r, sets))) => Ok(Some(Guide::rhythm_only(
            r,
            sets,
            args.minutes.unwrap_or(5.0),
        ))),
        (None, None) => Ok(None),
    }
}

/// The session file a scene names, resolved against the scene's folder. A
/// scene that cannot be read names none here; its own error is reported
/// when it loads.
pub fn session_named_by(scene: &Path) -> Option<PathBuf> {
    let file = read_scene(scene, &scene.display().to_string()).ok()?;
    let folder = scene.parent().map(Path::to_path_buf).unwrap_or_default();
    file.session.map(|name| folder.join(name))
}

/// The settings in force: the file's, with the command line on top.
pub(super) fn effective_settings(file: Settings, args: &ComfortArgs) -> Settings {
    Settings {
        volume: args.sound.volume.unwrap_or(file.volume),
        nature_volume: args.sound.nature_volume.unwrap_or(file.nature_volume),
        pacer_volume: args.sound.pacer_volume.unwrap_or(file.pacer_volume),
        mono: args.sound.mono || file.mono,
        reduced_motion: args.reduced_motion || file.reduced_motion,
        output_latency_ms: args.latency_ms.unwrap_or(file.output_latency_ms),
        swell: args.sound.swell.or(file.swell),
        tone: args.sound.tone.or(file.tone),
        chime: args.sound.chime.or(file.chime),
        haptics: args.haptics.unwrap_or(file.haptics),
        break_after_min: args.break_after_min.unwrap_or(file.break_after_min),
        record_relaxation: file.record_relaxation,
        headphones: args.sound.headphones || file.headphones,
    }
}

/// Reads and checks one scene file.
pub(super) fn check(path: &Path) -> Result<SceneFile, FileErrors> {
    read_scene(path, &display_path(path))
}

/// For an exposure scene, the step to start at (from 0): `--step` (counted
/// from 1), else the first. A step the scene does not have, or a step for a
/// scene with none, is an error that says so. A scene that cannot be read
/// has its own error when it loads.
pub(super) fn start_step(scene: &Path, step: Option<u32>) -> Result<Option<usize>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_person_overrides_the_session_and_the_command_line_the_file() {
        let file = Settings {
            volume: 0.5,
            chime: Some(false),
            ..Settings::default()
        };
        let args = ComfortArgs {
            sound: crate::cli::SoundArgs {
                volume: Some(0.8),
                tone: Some(true),
                ..Default::default()
            },
            ..ComfortArgs::default()
        };
        let settings = effective_settings(file, &args);
        assert_eq!(settings.volume, 0.8);
        let guide = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
        let mix = crate::app::mix_settings(&settings, Some(&guide));
        assert!(!mix.chime && mix.tone && mix.swell);
    }
}
