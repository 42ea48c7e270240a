//! `stillpoint render-audio`: the mix of a scene and its session, offline,
//! to a WAV file.

use std::path::Path;
use std::process::ExitCode;

use crate::app::mix_settings;
use crate::audio;
use crate::cli::{Cli, ComfortArgs, SceneArgs, SoundArgs};
use crate::commands::choose::{choose_guide, effective_settings, start_step};
use crate::scene::load_scene;
use crate::settings::Settings;

/// What `render-audio` was given.
pub struct RenderAudio<'a> {
    /// The scene whose sounds to render.
    pub scene: &'a Path,
    /// Seconds of sound.
    pub seconds: f64,
    /// The WAV file to write.
    pub out: &'a Path,
    /// The step and the session, over those given before the subcommand.
    pub options: SceneArgs,
    /// What is heard, over what was given before the subcommand.
    pub sound: SoundArgs,
}

/// Renders the sound as asked, with the settings file's choices under the
/// command line's; exit 2 for a scene, session or step that is wrong.
pub fn run(asked: RenderAudio, file: Settings, cli: &Cli) -> ExitCode {
    let comfort = ComfortArgs {
        sound: asked.sound.or(&cli.comfort.sound),
        ..ComfortArgs::default()
    };
    let settings = effective_settings(file, &comfort);
    let options = asked.options.or(cli);
    // The step is checked as the app checks it: one the scene lacks is an
    // error, not a silent first step.
    let step = match start_step(asked.scene, options.step) {
        Ok(step) => step,
        Err(why) => {
            crate::tell!("{why}");
            return ExitCode::from(2);
        }
    };
    let guide = match choose_guide(asked.scene, &options.guide) {
        Ok(guide) => guide,
        Err(e) => {
            crate::tell!("{e}");
            return ExitCode::from(2);
        }
    };
    let scene = match load_scene(asked.scene) {
        Ok(scene) => scene,
        Err(errors) => {
            crate::tell!("{errors}");
            return ExitCode::from(2);
        }
    };
    let mix = mix_settings(&settings, guide.as_ref());
    let (seconds, out) = (asked.seconds, asked.out);
    // Written as it is rendered: an hour of sound never sits in memory.
    let written = std::fs::File::create(out).and_then(|file| {
        audio::render_scene_to(
            std::io::BufWriter::new(file),
            &scene,
            guide.as_ref(),
            mix,
            seconds,
            step,
        )
    });
    match written {
        Ok(()) => {
            crate::say!("wrote {} ({seconds} s)", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::tell!("{}: cannot write the sound: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
