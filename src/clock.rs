//! The clocks, both read from the audio mix's sample count.
//!
//! The mix publishes how many samples have left it through [`ClockShared`]
//! (atomics, no locks); [`advance`] reads that count each frame into the
//! session's clock ([`crate::state::SessionClock`], which stops while
//! paused and from which the pacer is drawn) and into the [`SceneClock`]
//! (the world's time: water, wind, particles and clouds are functions of
//! it, so a frame at a given second always looks the same). Screenshots and
//! tests set both by hand. Without a mix, both follow real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::breath::Micros;
use crate::breath::time::micros_from_frames;
use crate::frame::AppSet;
use crate::state::{AppState, Flow, SessionClock};

/// The mix's sample rate, frames per second: the clock's unit.
pub const SAMPLE_RATE_HZ: u32 = 48_000;

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

/// The running mix's clock, once the sound has started.
#[derive(Resource, Debug, Clone)]
pub struct MixClock(pub Arc<ClockShared>);

pub fn plugin(app: &mut App) {
    app.init_resource::<SceneClock>()
        .add_systems(Update, advance.in_set(AppSet::Clock));
}

/// Reads the mix's count into both clocks; without a mix, real time moves
/// them (the session's only while it runs).
pub fn advance(
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

/// The clock the mix keeps, readable from any thread without locks.
pub struct ClockShared {
    session_frames: AtomicU64,
    total_frames: AtomicU64,
    stamp_ns: AtomicU64,
    advancing: AtomicBool,
    epoch: Instant,
    /// The listener the mix last took: position, then forward, as f32 bits.
    heard_from: [AtomicU32; 6],
}

/// One reading of the mix's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockReading {
    /// Session samples that have left the mix (paused time not counted).
    pub session_frames: u64,
    /// All samples that have left the mix since it started.
    pub total_frames: u64,
    /// Whether the session is moving (not paused).
    pub advancing: bool,
    /// How long ago the mix last published, for smoothing between blocks.
    pub age: Duration,
}

impl ClockShared {
    /// A clock at zero.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            session_frames: AtomicU64::new(0),
            total_frames: AtomicU64::new(0),
            stamp_ns: AtomicU64::new(0),
            advancing: AtomicBool::new(false),
            epoch: Instant::now(),
            heard_from: Default::default(),
        })
    }

    /// The latest counts.
    pub fn read(&self) -> ClockReading {
        let stamp = Duration::from_nanos(self.stamp_ns.load(Ordering::Acquire));
        ClockReading {
            session_frames: self.session_frames.load(Ordering::Acquire),
            total_frames: self.total_frames.load(Ordering::Acquire),
            advancing: self.advancing.load(Ordering::Acquire),
            age: self.epoch.elapsed().saturating_sub(stamp),
        }
    }

    /// The position and facing of the listener the mix is rendering for,
    /// as the mix itself took it: proof that a head pose reached the sound.
    pub fn heard_from(&self) -> ([f32; 3], [f32; 3]) {
        let v = |i: usize| f32::from_bits(self.heard_from[i].load(Ordering::Relaxed));
        ([v(0), v(1), v(2)], [v(3), v(4), v(5)])
    }

    /// Records the listener the mix has taken.
    pub fn publish_listener(&self, position: [f32; 3], forward: [f32; 3]) {
        let values = position.iter().chain(forward.iter());
        for (slot, value) in self.heard_from.iter().zip(values) {
            slot.store(value.to_bits(), Ordering::Relaxed);
        }
    }

    /// Publishes new counts. The mix calls this after every block; tests
    /// call it by hand to drive the clock.
    pub fn publish(&self, session: u64, total: u64, advancing: bool) {
        self.session_frames.store(session, Ordering::Release);
        self.total_frames.store(total, Ordering::Release);
        self.advancing.store(advancing, Ordering::Release);
        let now = self.epoch.elapsed().as_nanos() as u64;
        self.stamp_ns.store(now, Ordering::Release);
    }
}

impl ClockReading {
    /// Session time, microseconds, carried forward by up to `max_ahead` of
    /// real time since the last block so that the picture moves smoothly
    /// between the output's bursts of blocks.
    pub fn session_micros(&self, max_ahead: Duration) -> Micros {
        let base = micros_from_frames(self.session_frames, SAMPLE_RATE_HZ);
        if self.advancing {
            base + self.age.min(max_ahead).as_micros() as Micros
        } else {
            base
        }
    }

    /// All time since the mix started, microseconds, carried forward likewise.
    pub fn total_micros(&self, max_ahead: Duration) -> Micros {
        micros_from_frames(self.total_frames, SAMPLE_RATE_HZ)
            + self.age.min(max_ahead).as_micros() as Micros
    }
}

impl std::fmt::Debug for ClockShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClockShared")
            .field("now", &self.read())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::time::TimeUpdateStrategy;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, bevy::state::app::StatesPlugin))
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
                100,
            )));
        crate::frame::configure_sets(&mut app);
        app.add_plugins((crate::state::plugin, plugin));
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
