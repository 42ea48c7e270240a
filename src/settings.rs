//! The person's own settings: volumes, mono sound, reduced motion, output
//! latency and which pacer sounds play. Read from a RON file in the user's
//! config folder; the command line overrides each.
//!
//! A broken settings file never stops a session: its error is printed with
//! line and column and the defaults are used.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Checker, FileErrors, Problem, parse_ron_file, read_limited};

pub use crate::state::MAX_VOLUME;
/// Longest continuous use a break can be suggested after, minutes.
pub const MAX_BREAK_AFTER_MIN: f32 = 240.0;
/// Longest output latency that can be compensated, milliseconds: Bluetooth
/// headphones add 100 to 250 ms.
pub const MAX_LATENCY_MS: f32 = 500.0;

/// The settings file's format, with every field optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Master volume, 0 (silent) to 2; default 1, the quiet calibrated level.
    pub volume: f32,
    /// Nature sounds' volume, 0 to 2; default 1.
    pub nature_volume: f32,
    /// Pacer sounds' volume, 0 to 2; default 1.
    pub pacer_volume: f32,
    /// The same sound in both ears, for people who hear with one ear.
    pub mono: bool,
    /// Show only the caption and a gentle brightening, not a moving pacer.
    pub reduced_motion: bool,
    /// How late the sound reaches the ears after it leaves the app,
    /// milliseconds (Bluetooth headphones: 100 to 250). The picture is
    /// delayed by as much. 0 to 500; default 0.
    pub output_latency_ms: f32,
    /// The breath-like swell: `Some(false)` turns it off whatever the
    /// session says. Default: as the session says.
    pub swell: Option<bool>,
    /// The rising and falling tone; default as the session says.
    pub tone: Option<bool>,
    /// The chime before each phase change; default as the session says.
    pub chime: Option<bool>,
    /// Controller pulses per breathing phase in the headset; default on,
    /// with the patterns the session sets.
    pub haptics: bool,
    /// Minutes of continuous use after which a break is suggested (gently;
    /// nothing pauses by itself). 0 turns the suggestion off; 5 to 240;
    /// default 30.
    pub break_after_min: f32,
    /// Keep a record of the person's own relaxation sessions in the session
    /// record, as exposure sessions always are; default off.
    pub record_relaxation: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            volume: 1.0,
            nature_volume: 1.0,
            pacer_volume: 1.0,
            mono: false,
            reduced_motion: false,
            output_latency_ms: 0.0,
            swell: None,
            tone: None,
            chime: None,
            haptics: true,
            break_after_min: 30.0,
            record_relaxation: false,
        }
    }
}

impl Settings {
    /// How long before a break is suggested; `None`: never.
    pub fn break_after(&self) -> Option<std::time::Duration> {
        (self.break_after_min > 0.0)
            .then(|| std::time::Duration::from_secs_f32(self.break_after_min * 60.0))
    }
}

/// Where the settings file is: `$STILLPOINT_SETTINGS`, else
/// `$XDG_CONFIG_HOME/stillpoint/settings.ron`, else
/// `~/.config/stillpoint/settings.ron`.
pub fn settings_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STILLPOINT_SETTINGS") {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("stillpoint").join("settings.ron"))
}

/// Reads the settings file if there is one. No file: the defaults. A broken
/// file: the defaults and its errors.
pub fn load_settings() -> (Settings, Option<FileErrors>) {
    let Some(path) = settings_path() else {
        return (Settings::default(), None);
    };
    if !path.exists() {
        return (Settings::default(), None);
    }
    let shown = path.display().to_string();
    match read_limited(&path, &shown, "settings file")
        .and_then(|bytes| parse_settings(&shown, &bytes))
    {
        Ok(settings) => (settings, None),
        Err(errors) => (Settings::default(), Some(errors)),
    }
}

/// Parses and checks settings; errors name `file`, a line and a column.
pub fn parse_settings(file: &str, bytes: &[u8]) -> Result<Settings, FileErrors> {
    parse_ron_file(file, bytes, "settings file", check)
}

/// Checks the ranges of settings from any source.
pub fn check(settings: &Settings) -> Vec<Problem> {
    let mut c = Checker::default();
    c.range("volume", settings.volume, 0.0, MAX_VOLUME, "");
    c.range("nature_volume", settings.nature_volume, 0.0, MAX_VOLUME, "");
    c.range("pacer_volume", settings.pacer_volume, 0.0, MAX_VOLUME, "");
    c.range(
        "output_latency_ms",
        settings.output_latency_ms,
        0.0,
        MAX_LATENCY_MS,
        "ms",
    );
    if settings.break_after_min != 0.0 {
        c.range(
            "break_after_min",
            settings.break_after_min,
            5.0,
            MAX_BREAK_AFTER_MIN,
            "minutes (or 0 for never)",
        );
    }
    c.problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_errors_point_at_the_line() {
        let text = "(\n  volume: 0.5,\n  output_latency_ms: 900,\n)";
        let errors = parse_settings("settings.ron", text.as_bytes()).unwrap_err();
        assert!(
            errors
                .to_string()
                .starts_with("settings.ron:3:22: output_latency_ms: 900 ms is out of range"),
            "{errors}"
        );
        let ok = parse_settings("s.ron", b"(mono: true, chime: false)").unwrap();
        assert!(ok.mono && ok.chime == Some(false) && ok.volume == 1.0);
    }
}
