//! The person's own settings: volumes, mono sound, reduced motion, output
//! latency and which pacer sounds play. Read from a RON file in the user's
//! config folder; the command line overrides each.
//!
//! A broken settings file never stops a session: its error is printed with
//! line and column and the defaults are used.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Checker, FileErrors, Problem, parse_ron_file, read_limited};

pub(crate) use crate::state::MAX_VOLUME;
/// Longest continuous use a break can be suggested after, minutes.
pub(crate) const MAX_BREAK_AFTER_MIN: f32 = 240.0;
/// Longest output latency that can be compensated, milliseconds: Bluetooth
/// headphones add 100 to 250 ms.
pub(crate) const MAX_LATENCY_MS: f32 = 500.0;

/// The settings file's format, with every field optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Master volume, 0 (silent) to 2; default 1, the quiet calibrated level.
    pub(crate) volume: f32,
    /// Nature sounds' volume, 0 to 2; default 1.
    pub(crate) nature_volume: f32,
    /// Pacer sounds' volume, 0 to 2; default 1.
    pub(crate) pacer_volume: f32,
    /// The same sound in both ears, for people who hear with one ear.
    pub(crate) mono: bool,
    /// Show only the caption and a gentle brightening, not a moving pacer.
    pub(crate) reduced_motion: bool,
    /// How late the sound reaches the ears after it leaves the app,
    /// milliseconds (Bluetooth headphones: 100 to 250). The picture is
    /// delayed by as much. 0 to 500; default 0.
    pub(crate) output_latency_ms: f32,
    /// The breath-like swell: `Some(false)` turns it off whatever the
    /// session says. Default: as the session says.
    pub(crate) swell: Option<bool>,
    /// The rising and falling tone; default as the session says.
    pub(crate) tone: Option<bool>,
    /// The chime before each phase change; default as the session says.
    pub(crate) chime: Option<bool>,
    /// Controller pulses per breathing phase in the headset; default on,
    /// with the patterns the session sets.
    pub(crate) haptics: bool,
    /// Minutes of continuous use after which a break is suggested (gently;
    /// nothing pauses by itself). 0 turns the suggestion off; 5 to 240;
    /// default 30.
    pub(crate) break_after_min: f32,
    /// Keep a record of the person's own relaxation sessions in the session
    /// record, as exposure sessions always are; default off.
    pub(crate) record_relaxation: bool,
    /// The person listens through headphones: in a remote session their
    /// voice goes to the therapist whenever they speak; without, only
    /// while they hold the talk key (T), so the scene does not echo back.
    pub(crate) headphones: bool,
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
            headphones: false,
        }
    }
}

impl Settings {
    /// How long before a break is suggested; `None`: never.
    pub(crate) fn break_after(&self) -> Option<std::time::Duration> {
        (self.break_after_min > 0.0)
            .then(|| std::time::Duration::from_secs_f32(self.break_after_min * 60.0))
    }
}

/// Where the settings file is: `$STILLPOINT_SETTINGS`, else
/// `$XDG_CONFIG_HOME/stillpoint/settings.ron`, else
/// `~/.config/stillpoint/settings.ron`.
fn settings_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STILLPOINT_SETTINGS") {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("stillpoint").join("settings.ron"))
}

/// Reads the settings file if there is one. No file: the defaults. A broken
/// file: what can be kept of it, and its errors. A field that is unknown,
/// of the wrong kind or out of range is left out (its default is used) and
/// named in the errors; the good fields beside it are kept, so one typo does
/// not undo a person's volume or mono sound. A file that is not RON at all,
/// or cannot be read, gives the defaults.
pub(crate) fn load_settings() -> LoadedSettings {
    let Some(path) = settings_path() else {
        return LoadedSettings::default();
    };
    if !path.exists() {
        return LoadedSettings::default();
    }
    let shown = path.display().to_string();
    let bytes = match read_limited(&path, &shown, "settings file") {
        Ok(bytes) => bytes,
        Err(errors) => {
            return LoadedSettings {
                errors: Some(errors),
                ..LoadedSettings::default()
            };
        }
    };
    match parse_settings(&shown, &bytes) {
        Ok(settings) => LoadedSettings {
            settings,
            ..LoadedSettings::default()
        },
        Err(errors) => match salvage(&shown, &bytes) {
            Some((settings, dropped, located)) => LoadedSettings {
                settings,
                errors: Some(located),
                dropped,
            },
            None => LoadedSettings {
                errors: Some(errors),
                ..LoadedSettings::default()
            },
        },
    }
}

/// The settings as read, with what was wrong in the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LoadedSettings {
    /// The settings to use.
    pub(crate) settings: Settings,
    /// The file's problems, if it had any.
    pub(crate) errors: Option<FileErrors>,
    /// The fields left out of a file with problems (the rest were kept);
    /// empty with errors means the whole file was left out.
    pub(crate) dropped: Vec<String>,
}

impl LoadedSettings {
    /// One line on what became of a file with problems, for the terminal.
    pub(crate) fn outcome(&self) -> Option<String> {
        self.errors.as_ref()?;
        Some(if self.dropped.is_empty() {
            "the settings file has problems; using the default settings".into()
        } else {
            format!(
                "the settings file has problems: left out {} (the default is used); \
                 the other settings are used",
                self.dropped.join(", ")
            )
        })
    }
}

/// Keeps the good fields of a settings file that failed as a whole: each
/// top-level field is tried alone, with the same parser and checks, and
/// kept if it passes. Returns the settings, the names left out and their
/// errors at their own lines; `None` when the file is not a RON struct.
fn salvage(file: &str, bytes: &[u8]) -> Option<(Settings, Vec<String>, FileErrors)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let ron::Value::Map(fields) = crate::diagnostics::ron_options()
        .from_str::<ron::Value>(text)
        .ok()?
    else {
        return None;
    };
    let mut kept: Vec<String> = Vec::new();
    let mut dropped = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in fields.iter() {
        let ron::Value::String(name) = key else {
            return None;
        };
        let one = ron::to_string(value)
            .ok()
            .map(|value| format!("{name}: {value}"));
        let alone = one
            .as_ref()
            .map(|field| parse_settings(file, format!("({field})").as_bytes()));
        match (one, alone) {
            (Some(field), Some(Ok(_))) => kept.push(field),
            (_, outcome) => {
                let message = match outcome {
                    Some(Err(why)) => why.0.into_iter().next().map(|e| e.message),
                    _ => None,
                }
                .unwrap_or_else(|| format!("{name}: this value cannot be read"));
                let (line, column) = field_position(text, name).unwrap_or((1, 1));
                errors.push(crate::diagnostics::FileError {
                    file: file.to_owned(),
                    line,
                    column,
                    message: format!("{message}; left out, its default is used"),
                });
                dropped.push(name.clone());
            }
        }
    }
    if dropped.is_empty() {
        return None;
    }
    let settings = parse_settings(file, format!("({})", kept.join(", ")).as_bytes()).ok()?;
    Some((settings, dropped, FileErrors(errors)))
}

/// Where the top-level field `name` is written in a settings file: the
/// line and column of its name, outside strings, comments and brackets.
fn field_position(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let (mut line, mut column) = (1, 1);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let here = (line, column);
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '"' => {
                // Skip a string, with its escapes.
                let mut escaped = false;
                for (_, c) in chars.by_ref() {
                    column += 1;
                    if c == '\n' {
                        line += 1;
                        column = 1;
                    }
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '/' if chars.peek().is_some_and(|(_, c)| *c == '/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        column = 1;
                        break;
                    }
                }
            }
            _ if depth == 1 && text[i..].starts_with(name) => {
                let before = text[..i].chars().next_back();
                let after = text[i + name.len()..].trim_start();
                let starts_word = before.is_none_or(|b| !(b.is_alphanumeric() || b == '_'));
                if starts_word && after.starts_with(':') {
                    return Some(here);
                }
            }
            _ => {}
        }
    }
    None
}

/// Parses and checks settings; errors name `file`, a line and a column.
fn parse_settings(file: &str, bytes: &[u8]) -> Result<Settings, FileErrors> {
    parse_ron_file(file, bytes, "settings file", check)
}

/// Checks the ranges of settings from any source.
fn check(settings: &Settings) -> Vec<Problem> {
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

    #[test]
    fn one_bad_field_is_left_out_and_the_good_ones_are_kept() {
        let text = "(\n  volume: 0.5,\n  mono: true,\n  colour: \"blue\",\n  chime: false,\n  \
                    output_latency_ms: 900,\n  swell: Some(false),\n)";
        let (settings, dropped, errors) = salvage("settings.ron", text.as_bytes()).unwrap();
        assert_eq!(dropped, ["colour", "output_latency_ms"]);
        assert_eq!(settings.volume, 0.5);
        assert!(settings.mono);
        assert_eq!(settings.chime, Some(false));
        assert_eq!(settings.swell, Some(false));
        assert_eq!(settings.output_latency_ms, 0.0, "the default");
        let said = errors.to_string();
        assert!(said.contains("settings.ron:4:3: "), "{said}");
        assert!(said.contains("colour"), "{said}");
        assert!(
            said.contains("settings.ron:6:3: output_latency_ms: 900 ms is out of range"),
            "{said}"
        );
        // Nothing to keep from a file that is not RON at all.
        assert!(salvage("s.ron", b"volume = 0.5").is_none());
    }
}
