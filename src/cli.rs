//! The command line: what each subcommand takes, and where scenes are found.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::journal::command::JournalCommand;
use crate::scene::folder::scenes_dir;

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
    /// Scene file to open, or the name of a shipped scene (as `stillpoint
    /// scenes` lists them). Default: scenes/lake_dusk.ron.
    #[arg(long, value_name = "PATH", value_parser = scene_path)]
    pub(crate) scene: Option<PathBuf>,
    /// Close cleanly after this many seconds (kiosks, demos, scripted runs).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub(crate) quit_after: Option<f64>,
    /// Run in an OpenXR headset, or exit with the reason when none answers.
    /// Without --xr or --desktop, the headset is used when one answers and
    /// the window otherwise.
    #[arg(long, conflicts_with = "desktop")]
    pub(crate) xr: bool,
    /// Run in a desktop window; OpenXR is never touched.
    #[arg(long)]
    pub(crate) desktop: bool,
    /// Each eye's image in the headset, WIDTHxHEIGHT pixels. Default: the
    /// runtime's recommendation.
    #[arg(long, value_name = "WxH", value_parser = eye_size)]
    pub(crate) eye_size: Option<(u32, u32)>,
    /// In the headset, save what the left eye sees as a PNG, once it has
    /// shown 60 frames (for checking a scene's framing in the headset).
    #[arg(long, value_name = "FILE.png")]
    pub(crate) eye_screenshot: Option<PathBuf>,
    /// In an exposure scene, the step to start at, counted from 1 (default
    /// the first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=99))]
    pub(crate) step: Option<u32>,
    /// The client's alias, as the therapist wants it in the session record
    /// (1 to 64 characters): the session is recorded for the latest client
    /// with it, or a new client (with a new code) if none has it. Nothing
    /// else about the client is kept.
    #[arg(long, value_name = "NAME", value_parser = alias, conflicts_with = "client")]
    pub(crate) alias: Option<String>,
    /// The client the session is recorded for, by their code (as
    /// `stillpoint journal clients` lists them, like K7HF-3M).
    #[arg(long, value_name = "CODE", value_parser = crate::journal::store::parse_code)]
    pub(crate) client: Option<String>,
    /// Keep no session record in this run, even of an exposure scene.
    #[arg(long)]
    pub(crate) no_journal: bool,
    /// Start the therapist's console: a page for a browser at
    /// http://127.0.0.1:PORT/, paired with a code the app shows. Without
    /// it, nothing listens on the network.
    #[arg(long)]
    pub(crate) console: bool,
    /// The console's port (default: a free one, printed at the start).
    #[arg(long, value_name = "PORT", requires = "console")]
    pub(crate) console_port: Option<u16>,
    /// Listen on ADDRESS instead of 127.0.0.1 (for a laptop beside the
    /// headset on a trusted network; a warning is printed): one address of
    /// this machine, never every network (0.0.0.0 or ::).
    #[arg(long, value_name = "ADDRESS", requires = "console", value_parser = one_address)]
    pub(crate) console_bind: Option<std::net::IpAddr>,
    /// Write what the person hears to FILE instead of the sound card, on the
    /// same clock: raw 32-bit float stereo at 48 kHz (`sox -t f32 -r 48000
    /// -c 2 FILE out.wav` makes it a WAV), written as it is heard.
    #[arg(long, value_name = "FILE", hide = true)]
    pub(crate) tap_mix: Option<PathBuf>,
    /// In a remote session, send this 32-bit float WAV, looping in real
    /// time, as the person's voice instead of the microphone's.
    #[arg(long, value_name = "FILE.wav", hide = true)]
    pub(crate) fake_microphone: Option<PathBuf>,
    /// The guided session.
    #[command(flatten)]
    pub(crate) guide: GuideArgs,
    /// Sound and comfort.
    #[command(flatten)]
    pub(crate) comfort: ComfortArgs,
}

/// Which guided session runs. By default, the one the scene names.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct GuideArgs {
    /// Session file to follow instead of the scene's own.
    #[arg(long, value_name = "PATH")]
    pub(crate) session: Option<PathBuf>,
    /// Breathing rhythm: resonance, box, 4-7-8, sighing, or seconds
    /// IN,HOLD,OUT,HOLD such as 4,0,6,0. On its own it paces from the first
    /// breath, with no settling in or slowing down; with --session it
    /// replaces the session's rhythm.
    #[arg(long, value_name = "RHYTHM")]
    pub(crate) rhythm: Option<String>,
    /// Length of a --rhythm session on its own, minutes (1 to 60; default 5).
    #[arg(long, value_name = "MINUTES", value_parser = minutes)]
    pub(crate) minutes: Option<f32>,
    /// No pacer: the scene alone, even if it names a session.
    #[arg(long, conflicts_with_all = ["session", "rhythm"])]
    pub(crate) no_session: bool,
}

/// Sound and comfort; each overrides the settings file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ComfortArgs {
    /// What is heard.
    #[command(flatten)]
    pub(crate) sound: SoundArgs,
    /// Output latency of your headphones, milliseconds (Bluetooth: 100 to
    /// 250); the picture waits as long, so sound and picture meet.
    #[arg(long, value_name = "MS", value_parser = latency_ms)]
    pub(crate) latency_ms: Option<f32>,
    /// Only a caption and a gentle brightening, no moving pacer.
    #[arg(long)]
    pub(crate) reduced_motion: bool,
    /// Never open a sound device; the session keeps the same clock.
    #[arg(long)]
    pub(crate) silent: bool,
    /// Controller pulses per breathing phase in the headset: on or off.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub(crate) haptics: Option<bool>,
    /// Suggest a break after this many minutes of continuous use (5 to 240;
    /// default 30); 0 never suggests one.
    #[arg(long = "break-after", value_name = "MINUTES", value_parser = break_minutes)]
    pub(crate) break_after_min: Option<f32>,
}

/// What is heard, and how loud; each overrides the settings file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SoundArgs {
    /// Master volume, 0 (silent) to 2; 1 is the quiet default.
    #[arg(long, value_name = "GAIN", value_parser = volume)]
    pub(crate) volume: Option<f32>,
    /// Nature sounds' volume, 0 to 2.
    #[arg(long, value_name = "GAIN", value_parser = volume)]
    pub(crate) nature_volume: Option<f32>,
    /// Pacer sounds' volume, 0 to 2.
    #[arg(long, value_name = "GAIN", value_parser = volume)]
    pub(crate) pacer_volume: Option<f32>,
    /// The same sound in both ears.
    #[arg(long)]
    pub(crate) mono: bool,
    /// You listen through headphones: in a remote session your therapist
    /// hears you whenever you speak (without, while you hold T).
    #[arg(long)]
    pub(crate) headphones: bool,
    /// The breath-like swell: on or off.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub(crate) swell: Option<bool>,
    /// The rising and falling tone: on or off.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub(crate) tone: Option<bool>,
    /// The chime before each phase change: on or off.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub(crate) chime: Option<bool>,
}

/// The step and the guided session, for the subcommands that show or sound
/// a scene; given after the subcommand, or before it as for the app.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SceneArgs {
    /// In an exposure scene, the step, counted from 1 (default the first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=99))]
    pub(crate) step: Option<u32>,
    /// The guided session.
    #[command(flatten)]
    pub(crate) guide: GuideArgs,
}

impl SceneArgs {
    /// These, with what was given before the subcommand where these leave
    /// it open.
    pub(crate) fn or(self, before: &Cli) -> SceneArgs {
        SceneArgs {
            step: self.step.or(before.step),
            guide: self.guide.or(&before.guide),
        }
    }
}

impl GuideArgs {
    /// These, with what was given before the subcommand where these leave
    /// it open.
    fn or(self, before: &GuideArgs) -> GuideArgs {
        GuideArgs {
            session: self.session.or_else(|| before.session.clone()),
            rhythm: self.rhythm.or_else(|| before.rhythm.clone()),
            minutes: self.minutes.or(before.minutes),
            no_session: self.no_session || before.no_session,
        }
    }
}

impl SoundArgs {
    /// These, with what was given before the subcommand where these leave
    /// it open.
    pub(crate) fn or(self, before: &SoundArgs) -> SoundArgs {
        SoundArgs {
            volume: self.volume.or(before.volume),
            nature_volume: self.nature_volume.or(before.nature_volume),
            pacer_volume: self.pacer_volume.or(before.pacer_volume),
            mono: self.mono || before.mono,
            headphones: self.headphones || before.headphones,
            swell: self.swell.or(before.swell),
            tone: self.tone.or(before.tone),
            chime: self.chime.or(before.chime),
        }
    }
}

impl ComfortArgs {
    /// These, with what was given before the subcommand where these leave
    /// it open.
    pub(crate) fn or(self, before: &ComfortArgs) -> ComfortArgs {
        ComfortArgs {
            sound: self.sound.or(&before.sound),
            latency_ms: self.latency_ms.or(before.latency_ms),
            reduced_motion: self.reduced_motion || before.reduced_motion,
            silent: self.silent || before.silent,
            haptics: self.haptics.or(before.haptics),
            break_after_min: self.break_after_min.or(before.break_after_min),
        }
    }
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
    /// Check scene, session and questionnaire files without opening a
    /// window. Exit status 0 when all are valid; each problem is printed as
    /// FILE:LINE:COLUMN: message.
    Validate {
        /// Files to check.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print an exposure scene's hierarchy: its steps, lowest first, and the
    /// events the therapist can fire at each.
    Steps {
        /// The scene file.
        #[arg(value_name = "SCENE", value_parser = scene_path)]
        scene: PathBuf,
    },
    /// List the shipped guided sessions, with their titles.
    Sessions {
        /// Folder to list instead of the shipped sessions.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Render the sound of a scene and its session offline to a WAV file
    /// (32-bit float, stereo, 48 kHz), with the listener seated at the
    /// scene's viewpoint. Same inputs, same bytes.
    RenderAudio {
        /// Scene file whose sounds to render.
        #[arg(long, value_name = "PATH", value_parser = scene_path)]
        scene: PathBuf,
        /// Seconds of sound.
        #[arg(long, value_name = "SECONDS", value_parser = audio_seconds)]
        seconds: f64,
        /// WAV file to write.
        #[arg(long, value_name = "FILE.wav")]
        out: PathBuf,
        /// The exposure step whose sounds play, and the guided session.
        #[command(flatten)]
        scene_args: SceneArgs,
        /// What is heard.
        #[command(flatten)]
        sound: SoundArgs,
    },
    /// Render one frame of a scene offscreen and save it as a PNG.
    Screenshot {
        /// Scene file to render.
        #[arg(long, value_name = "PATH", value_parser = scene_path)]
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
        /// Scene and session time of the frame, seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = non_negative_seconds)]
        at: f64,
        /// Frames to render, one every --every seconds of scene time from
        /// --at; with more than one, OUT gets a number before .png.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        frames: u32,
        /// Scene time between frames, seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 0.1, value_parser = positive_seconds)]
        every: f64,
        /// The exposure step shown, and the guided session whose pacer shows.
        #[command(flatten)]
        scene_args: SceneArgs,
        /// Only a caption and a gentle brightening, no moving pacer.
        #[arg(long)]
        reduced_motion: bool,
    },
    /// The session record: list, export or delete recorded sessions. It is
    /// kept in $XDG_DATA_HOME/stillpoint/journal.sqlite3 (by default
    /// ~/.local/share/stillpoint/journal.sqlite3) and never leaves it unless
    /// exported.
    Journal {
        /// What to do with it.
        #[command(subcommand)]
        what: JournalCommand,
    },
    /// A client's plan for an exposure scene (the steps chosen for them, in
    /// their order and words, with their predicted SUDS and feared
    /// outcomes): written out as RON to edit, and read back in.
    Plan {
        /// What to do with it.
        #[command(subcommand)]
        what: crate::journal::plan_command::PlanCommand,
    },
    /// Measure frame times of a scene in a window, after a warm-up.
    Profile {
        /// Scene file to measure.
        #[arg(long, value_name = "PATH", value_parser = scene_path)]
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
        /// The exposure step shown, and the guided session.
        #[command(flatten)]
        scene_args: SceneArgs,
        /// Sound and comfort.
        #[command(flatten)]
        comfort: ComfortArgs,
    },
}

/// The longest alias, in characters.
const MAX_ALIAS_CHARS: usize = 64;

fn alias(text: &str) -> Result<String, String> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_ALIAS_CHARS || text.chars().any(char::is_control) {
        Err(format!(
            "{text:?}: expected 1 to {MAX_ALIAS_CHARS} characters, no control characters"
        ))
    } else {
        Ok(text.to_owned())
    }
}

/// A scene as typed: a path to a file, or else the name of a shipped scene
/// (`beach_sunset.ron`, or `beach_sunset`), as `stillpoint scenes` lists
/// them. A name that is neither stays as typed, and reading it says why.
fn scene_path(text: &str) -> Result<PathBuf, String> {
    let typed = PathBuf::from(text);
    if typed.exists() || typed.components().count() != 1 {
        return Ok(typed);
    }
    let shipped = scenes_dir();
    let named = [shipped.join(text), shipped.join(format!("{text}.ron"))];
    Ok(named
        .into_iter()
        .find(|path| path.is_file())
        .unwrap_or(typed))
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

fn audio_seconds(text: &str) -> Result<f64, String> {
    let value = positive_seconds(text)?;
    if value <= 3600.0 {
        Ok(value)
    } else {
        Err(format!("{text} s: expected at most 3600 seconds"))
    }
}

fn minutes(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(v) if (1.0..=60.0).contains(&v) => Ok(v),
        _ => Err(format!("{text}: expected 1 to 60 minutes")),
    }
}

fn volume(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(v) if (0.0..=crate::settings::MAX_VOLUME).contains(&v) => Ok(v),
        _ => Err(format!(
            "{text}: expected a volume from 0 (silent) to {} (1 is the default)",
            crate::settings::MAX_VOLUME
        )),
    }
}

fn latency_ms(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(v) if (0.0..=crate::settings::MAX_LATENCY_MS).contains(&v) => Ok(v),
        _ => Err(format!(
            "{text}: expected 0 to {} milliseconds",
            crate::settings::MAX_LATENCY_MS
        )),
    }
}

fn break_minutes(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(v) if v == 0.0 || (5.0..=crate::settings::MAX_BREAK_AFTER_MIN).contains(&v) => Ok(v),
        _ => Err(format!(
            "{text}: expected 5 to {} minutes, or 0 for never",
            crate::settings::MAX_BREAK_AFTER_MIN
        )),
    }
}

fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{text}: expected on or off")),
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

/// An address the console can listen on: one of this machine's. A wildcard
/// is refused: the console answers only requests that name the address it
/// listens on as their `Host`, which no request names as 0.0.0.0.
fn one_address(text: &str) -> Result<std::net::IpAddr, String> {
    let ip: std::net::IpAddr = text
        .parse()
        .map_err(|_| format!("{text:?} is not an IP address (like 192.168.1.20)"))?;
    if ip.to_canonical().is_unspecified() {
        return Err(format!(
            "--console-bind {text} listens on every network; give the one address of this \
             machine the therapist's laptop reaches, e.g. 192.168.1.20"
        ));
    }
    Ok(ip)
}

fn eye_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!("expected WIDTHxHEIGHT in pixels, 64 to 8192 each, like 1440x1600; got {text:?}")
    };
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(64..=8192).contains(&w) || !(64..=8192).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
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
    fn the_console_listens_on_one_address_never_on_every_network() {
        for wildcard in ["0.0.0.0", "::", "::ffff:0.0.0.0"] {
            let refused =
                Cli::try_parse_from(["stillpoint", "--console", "--console-bind", wildcard])
                    .unwrap_err()
                    .to_string();
            assert!(refused.contains("listens on every network"), "{refused}");
        }
        let cli =
            Cli::try_parse_from(["stillpoint", "--console", "--console-bind", "192.168.1.20"])
                .unwrap();
        assert_eq!(
            cli.console_bind,
            Some(std::net::IpAddr::V4(std::net::Ipv4Addr::new(
                192, 168, 1, 20
            )))
        );
    }

    #[test]
    fn the_headset_flags_conflict_and_eye_sizes_are_checked() {
        assert!(Cli::try_parse_from(["stillpoint", "--xr", "--desktop"]).is_err());
        let cli = Cli::try_parse_from(["stillpoint", "--xr", "--eye-size", "320x288"]).unwrap();
        assert!(cli.xr && !cli.desktop);
        assert_eq!(cli.eye_size, Some((320, 288)));
        for bad in ["320", "0x100", "100x", "99999x100", "axb"] {
            assert!(
                Cli::try_parse_from(["stillpoint", "--eye-size", bad]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_nonsense_durations() {
        assert!(Cli::try_parse_from(["stillpoint", "--quit-after", "-3"]).is_err());
        assert!(Cli::try_parse_from(["stillpoint", "--quit-after", "soon"]).is_err());
        let cli = Cli::try_parse_from(["stillpoint", "--quit-after", "2.5"]).unwrap();
        assert_eq!(cli.quit_after, Some(2.5));
    }
}
