//! The scene's clock: the world's time. Water, wind, particles and clouds
//! are functions of it, so a frame at a given second always looks the same.
//! The audio module advances it, with the session's clock, from the mix's
//! sample count (`audio::clocks`); screenshots and tests set it by hand.

use bevy::prelude::*;

/// Seconds since the scene started.
#[derive(Resource, Debug, Clone, Default)]
pub struct SceneClock {
    /// Elapsed scene time, seconds.
    pub seconds: f64,
    /// When set, the clock holds still (screenshots at a fixed time).
    pub frozen: bool,
}

/// Everything periodic in the shaders repeats well within this span, and
/// `f32` keeps millisecond precision below it.
const WRAP_S: f64 = 3600.0 * 4.0;

impl SceneClock {
    /// The time as the shaders take it: `f32`, wrapped every four hours so
    /// that precision never degrades in a long session.
    pub fn wrapped_seconds(&self) -> f32 {
        (self.seconds % WRAP_S) as f32
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<SceneClock>();
}
