//! The app's clocks, both read from the audio mix's sample count.
//!
//! [`SessionClock`] is the guided session's time: it stops while paused, and
//! the pacer is drawn from it. [`SceneClock`] is the world's time: water,
//! wind, particles and clouds are functions of it, so a frame at a given
//! second always looks the same. With the mix running, both come from the
//! count of samples it has played ([`crate::audio::engine::ClockShared`]);
//! screenshots and tests set them by hand.

use std::time::Duration;

use bevy::prelude::*;

use crate::AppSet;
use crate::audio::AudioLink;
use crate::breath::Micros;

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

/// How far past the mix's last block the clocks are carried by real time:
/// the output takes samples in bursts (about 50 ms with rodio), and the
/// picture should move smoothly between them.
const MAX_CARRY: Duration = Duration::from_millis(100);

impl SceneClock {
    /// The time as the shaders take it: `f32`, wrapped every four hours so
    /// that precision never degrades in a long session.
    pub fn wrapped_seconds(&self) -> f32 {
        (self.seconds % WRAP_S) as f32
    }
}

/// The guided session's time, as heard and as shown.
#[derive(Resource, Debug, Clone, Default)]
pub struct SessionClock {
    /// Session time of the sound leaving the app now, microseconds.
    pub heard: Micros,
    /// How late the sound reaches the ears (the output-latency setting).
    pub latency: Micros,
    /// When set, nothing advances the clock: tests and screenshots set
    /// `heard` themselves.
    pub manual: bool,
}

impl SessionClock {
    /// The session time the picture shows: what the ears hear now, so the
    /// picture waits for sound that is still on its way to the headphones.
    pub fn shown(&self) -> Micros {
        self.heard.saturating_sub(self.latency)
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<SceneClock>()
        .init_resource::<SessionClock>()
        .add_systems(Update, advance.in_set(AppSet::Clock));
}

/// A playing mix that has not published for this long has lost its output
/// (headphones gone to sleep, a device unplugged).
const STALLED: Duration = Duration::from_secs(1);

fn advance(
    time: Res<Time>,
    link: Option<Res<AudioLink>>,
    mut scene: ResMut<SceneClock>,
    mut session: ResMut<SessionClock>,
    mut stalled: Local<bool>,
) {
    match link {
        Some(link) if !session.manual => {
            let reading = link.clock.read();
            let now_stalled = reading.advancing && reading.age > STALLED;
            if now_stalled && !*stalled {
                warn!(
                    "the sound output has stopped taking sound; the session holds its place until it does again"
                );
            }
            *stalled = now_stalled;
            // Never backwards, even if a reading lands between bursts.
            session.heard = session.heard.max(reading.session_micros(MAX_CARRY));
            if !scene.frozen {
                let total = reading.total_micros(MAX_CARRY) as f64 / 1e6;
                scene.seconds = scene.seconds.max(total);
            }
        }
        _ => {
            if !scene.frozen {
                scene.seconds += time.delta_secs_f64();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::time::TimeUpdateStrategy;

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

    #[test]
    fn the_picture_waits_for_sound_still_on_its_way() {
        let clock = SessionClock {
            heard: 10_000_000,
            latency: 180_000,
            manual: true,
        };
        assert_eq!(clock.shown(), 9_820_000);
        let early = SessionClock {
            heard: 50_000,
            ..clock
        };
        assert_eq!(early.shown(), 0);
    }
}
