//! The scene clock: one time for everything that moves.
//!
//! Water, wind, particles and clouds are all functions of this clock, so a
//! frame at a given second always looks the same, and later the breathing
//! pacer and the audio can drive it from one source.

use bevy::prelude::*;

use crate::AppSet;

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
    app.init_resource::<SceneClock>()
        .add_systems(Update, advance.in_set(AppSet::Clock));
}

fn advance(time: Res<Time>, mut clock: ResMut<SceneClock>) {
    if !clock.frozen {
        clock.seconds += time.delta_secs_f64();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::time::TimeUpdateStrategy;
    use std::time::Duration;

    #[test]
    fn advances_with_time_unless_frozen() {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
                100,
            )))
            .configure_sets(Update, AppSet::Clock)
            .add_plugins(plugin);
        for _ in 0..11 {
            app.update();
        }
        let seconds = app.world().resource::<SceneClock>().seconds;
        assert!((seconds - 1.0).abs() < 1e-9, "{seconds}");
        app.world_mut().resource_mut::<SceneClock>().frozen = true;
        app.update();
        assert!((app.world().resource::<SceneClock>().seconds - 1.0).abs() < 1e-9);
    }
}
