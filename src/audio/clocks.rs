//! The clocks, both read from the mix's sample count: the mix publishes how
//! many samples have left it through [`ClockShared`](super::sample_clock::ClockShared)
//! (atomics, no locks), handed to the app as [`MixClock`]; [`advance`]
//! reads that count each frame into the session's clock
//! ([`SessionClock`], which stops while paused and from which the pacer is
//! drawn) and into the [`SceneClock`]. Without a mix, both follow real time.

use std::time::Duration;

use bevy::prelude::*;

use super::link::MixClock;
use crate::breath::Micros;

use crate::clock::{SceneClock, SessionClock};
use crate::state::{AppState, Flow};

/// How far past the mix's last block the clocks are carried by real time:
/// the output takes samples in bursts (about 50 ms with rodio), and the
/// picture should move smoothly between them.
const MAX_CARRY: Duration = Duration::from_millis(100);

/// Reads the mix's count into both clocks; without a mix, real time moves
/// them (the session's only while it runs).
pub(crate) fn advance(
    time: Res<Time<Real>>,
    mix: Option<Res<MixClock>>,
    state: Res<AppState>,
    mut scene: ResMut<SceneClock>,
    mut session: ResMut<SessionClock>,
) {
    if session.manual {
        return;
    }
    match mix {
        Some(mix) => {
            let reading = mix.0.read();
            // Never backwards, even if a reading lands between bursts.
            session.heard = session.heard.max(reading.session_micros(MAX_CARRY));
            if !scene.frozen {
                let total = reading.total_micros(MAX_CARRY) as f64 / 1e6;
                scene.seconds = scene.seconds.max(total);
            }
        }
        None => {
            let dt = time.delta();
            if !scene.frozen {
                scene.seconds += dt.as_secs_f64();
            }
            if state.flow() != Flow::Paused {
                session.heard += dt.as_micros() as Micros;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::sample_clock::ClockShared;
    use crate::frame::AppSet;
    use bevy::time::TimeUpdateStrategy;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, bevy::state::app::StatesPlugin))
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
                100,
            )));
        crate::frame::configure_sets(&mut app);
        app.add_plugins((crate::state::plugin, crate::clock::plugin))
            .add_systems(Update, advance.in_set(AppSet::Clock));
        app
    }

    #[test]
    fn without_a_mix_both_clocks_follow_real_time_unless_frozen_or_paused() {
        let mut app = app();
        for _ in 0..11 {
            app.update();
        }
        let seconds = app.world().resource::<SceneClock>().seconds;
        assert!((seconds - 1.0).abs() < 1e-9, "{seconds}");
        assert_eq!(app.world().resource::<SessionClock>().heard, 1_000_000);
        app.world_mut().resource_mut::<SceneClock>().frozen = true;
        app.world_mut().write_message(crate::state::Intent::Pause(
            crate::state::PauseReason::Person,
        ));
        app.update();
        app.update();
        app.update();
        assert!((app.world().resource::<SceneClock>().seconds - 1.0).abs() < 1e-9);
        // The pause holds from the frame it was asked in.
        assert_eq!(app.world().resource::<SessionClock>().heard, 1_000_000);
    }

    #[test]
    fn with_a_mix_the_clocks_are_its_sample_count() {
        let mut app = app();
        let clock = ClockShared::new();
        app.insert_resource(MixClock(clock.clone()));
        clock.publish(48_000 * 3, 48_000 * 5, false);
        app.update();
        assert_eq!(app.world().resource::<SessionClock>().heard, 3_000_000);
        let scene = app.world().resource::<SceneClock>().seconds;
        assert!((scene - 5.0).abs() < 0.11, "{scene}");
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
