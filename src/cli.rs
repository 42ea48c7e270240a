//! The command line: what each subcommand takes, and where scenes are found.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

/// The scene opened when none is named.
pub const DEFAULT_SCENE: &str = "lake_dusk.ron";

/// Guided relaxation in calming 3D scenes, on the desktop or in a headset.
///
/// With no subcommand, opens a scene in a window. Drag with the mouse to look
/// around; Esc pauses; S goes to the scene's safe place; F toggles
/// fullscreen. Everything runs offline: nothing is sent anywhere.
#[derive(Debug, Parser)]
#[command(name = "stillpoint", version)]
pub struct Cli {
    /// What to do; with none, open the scene in a window.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Scene file to open. Default: scenes/lake_dusk.ron.
    #[arg(long, value_name = "PATH")]
    pub scene: Option<PathBuf>,
    /// Close cleanly after this many seconds (kiosks, demos, scripted runs).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub quit_after: Option<f64>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the scenes shipped in the scenes folder, with their titles.
    Scenes {
        /// Folder to list instead of the shipped scenes.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check scene files without opening a window. Exit status 0 when all
    /// are valid; each problem is printed as FILE:LINE:COLUMN: message.
    Validate {
        /// Scene files to check.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Render one frame of a scene offscreen and save it as a PNG.
    Screenshot {
        /// Scene file to render.
        #[arg(long, value_name = "PATH")]
        scene: PathBuf,
        /// PNG file to write.
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// Image width, pixels.
        #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(16..=8192))]
        width: u32,
        /// Image height, pixels.
        #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(16..=8192))]
        height: u32,
        /// Scene time of the frame, seconds (water, wind and particles move).
        #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = non_negative_seconds)]
        at: f64,
    },
    /// Measure frame times of a scene in a window, after a warm-up.
    Profile {
        /// Scene file to measure.
        #[arg(long, value_name = "PATH")]
        scene: PathBuf,
        /// Frames measured.
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        frames: u32,
        /// Frames rendered before measuring (shader compilation, caches).
        #[arg(long, default_value_t = 60)]
        warmup: u32,
        /// Window width, pixels.
        #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(16..=8192))]
        width: u32,
        /// Window height, pixels.
        #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(16..=8192))]
        height: u32,
    },
}

/// The folder of shipped scenes: `$STILLPOINT_SCENES`, else `scenes/` in the
/// working folder, else the one in the source tree this binary was built from.
pub fn scenes_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STILLPOINT_SCENES") {
        return PathBuf::from(dir);
    }
    let local = Path::new("scenes");
    if local.join(DEFAULT_SCENE).is_file() {
        return local.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(format!(
            "{text} s: expected a number of seconds greater than 0"
        ))
    }
}

fn non_negative_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if value.is_finite() && (0.0..=86_400.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{text} s: expected 0 to 86400 seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn rejects_nonsense_durations() {
        assert!(Cli::try_parse_from(["stillpoint", "--quit-after", "-3"]).is_err());
        assert!(Cli::try_parse_from(["stillpoint", "--quit-after", "soon"]).is_err());
        let cli = Cli::try_parse_from(["stillpoint", "--quit-after", "2.5"]).unwrap();
        assert_eq!(cli.quit_after, Some(2.5));
    }
}
