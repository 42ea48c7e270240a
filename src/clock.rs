//! The two clocks: the scene's ([`SceneClock`], the world's time: water,
//! wind, particles and clouds are functions of it, so a frame at a given
//! second always looks the same) and the session's ([`SessionClock`], the
//! guided session's time, held while paused). The audio module advances
//! both from the mix's sample count (`audio::clocks`); screenshots and tests
//! set them by hand.

use bevy::prelude::*;

use crate::breath::Micros;

/// Seconds since the scene started.
#[derive(Resource, Debug, Clone, Default)]
pub struct SceneClock {
    /// Elapsed scene time, seconds.
    pub seconds: f64,
    /// When set, the clock holds still (screenshots at a fixed time).
    pub(crate) frozen: bool,
}

/// Everything periodic in the shaders repeats well within this span, and
/// `f32` keeps millisecond precision below it.
const WRAP_S: f64 = 3600.0 * 4.0;

impl SceneClock {
    /// The time as the shaders take it: `f32`, wrapped every four hours so
    /// that precision never degrades in a long session.
    pub(crate) fn wrapped_seconds(&self) -> f32 {
        (self.seconds % WRAP_S) as f32
    }
}

/// The session's time, as heard and as shown: the pacer is drawn from it,
/// and it stops while the session is paused. Read from the mix's sample
/// count by the audio module; set by hand in screenshots and tests.
#[derive(Resource, Debug, Clone, Default)]
pub struct SessionClock {
    /// Session time of the sound leaving the app now, microseconds.
    pub heard: Micros,
    /// How late the sound reaches the ears (the output-latency setting and
    /// the device's buffer).
    pub latency: Micros,
    /// When set, nothing advances the clock: tests and screenshots set
    /// `heard` themselves.
    pub manual: bool,
}

impl SessionClock {
    /// The session time the picture shows: what the ears hear now, so the
    /// picture waits for sound that is still on its way to the headphones.
    pub(crate) fn shown(&self) -> Micros {
        self.heard.saturating_sub(self.latency)
    }
}

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<SceneClock>()
        .init_resource::<SessionClock>();
}
