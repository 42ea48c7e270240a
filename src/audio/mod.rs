//! Sound: every sound synthesised in code, placed around the listener's
//! head, mixed with the pacer's sounds under a limiter, on its own thread.
//! Only this module touches rodio.
//!
//! The pure parts ([`dsp`], [`voices`], [`pacer_sounds`], [`spatial`],
//! [`limiter`], [`loudness`], [`wav`], [`engine`], [`sample_clock`]) have
//! no Bevy types. The plugin here is a thin adapter over them: `link.rs`
//! holds the app's end of the mix ([`AudioLink`]) and starts it, and watches
//! the output; `clocks.rs` reads the mix's sample count ([`MixClock`]) into
//! the session's and the scene's clocks each frame;
//! `follow.rs` follows the app's state (the scene on screen, pause, volume,
//! the guided session) into the mix and places the listener at the head;
//! `offline.rs` turns a scene into what the mix takes and renders it to a
//! file.

mod clocks;
pub mod dsp;
pub mod engine;
pub mod far_voice;
mod follow;
pub mod limiter;
mod link;
pub mod loudness;
pub mod near_voice;
mod offline;
pub mod output;
pub mod pacer_sounds;
pub mod sample_clock;
pub mod shots;
pub mod spatial;
pub mod voices;
pub mod wav;

use bevy::prelude::*;

use crate::frame::AppSet;
use engine::MixSettings;
use follow::{
    fade_out_on_exit, follow_flow, follow_guide, follow_head, follow_listening, follow_scene,
    follow_switches, play_events, send_waiting,
};
pub use link::{AudioLink, FarVoiceInput, MixClock, NearVoiceLink, connect};
use link::{follow_talk_key, start_audio, watch_output};
pub(crate) use offline::render_scene_to;
pub use offline::{scene_sounds, seated_listener, shot_for};
pub use sample_clock::SAMPLE_RATE_HZ;

/// How the sound starts.
#[derive(Resource, Debug, Clone)]
pub(crate) struct AudioStart {
    /// Volumes and sound choices at the start.
    pub settings: MixSettings,
    /// Never open a sound device (the app stays silent on the same clock).
    pub(crate) force_silent: bool,
    /// Write the mix to this file, on the same clock, instead of a device.
    pub(crate) tap: Option<std::path::PathBuf>,
    /// Listen for the person's voice, for a remote session's therapist.
    pub(crate) near: Option<near_voice::NearSource>,
    /// The person wears headphones: their voice is always heard.
    pub(crate) headphones: bool,
}

/// Sound, configured: how the mix starts; with no start, there is no mix
/// (still frames, headless tests) and the clocks follow real time.
#[derive(Debug, Clone, Default)]
pub(crate) struct AudioPlugin {
    /// How the sound starts; `None`: no mix.
    pub start: Option<AudioStart>,
}

impl Plugin for AudioPlugin {
    fn build(&self, app: &mut App) {
        if let Some(start) = &self.start {
            app.insert_resource(start.clone());
        }
        plugin(app);
    }
}

fn plugin(app: &mut App) {
    app.add_systems(Startup, start_audio)
        .add_systems(
            Update,
            (
                (watch_output, clocks::advance).in_set(AppSet::Clock),
                (follow_flow, follow_listening, follow_guide).in_set(AppSet::Intents),
                follow_talk_key.in_set(AppSet::Input),
                (follow_scene, follow_switches, play_events)
                    .chain()
                    .in_set(AppSet::Animate),
            ),
        )
        // After the camera's final pose of the frame is propagated, so the
        // sound is placed for the head the picture is drawn from.
        .add_systems(
            PostUpdate,
            (follow_head, send_waiting)
                .chain()
                .after(bevy::transform::TransformSystems::Propagate),
        )
        .add_systems(Last, fade_out_on_exit);
}
