//! The mix's sample clock: the one sample rate, and the counts the mix
//! publishes after every block through atomics (no locks), so the picture
//! and the tests can read on any thread how many samples have left the mix.
//!
//! Pure: the audio thread writes it, and [`crate::clock`] (the Bevy side)
//! reads it into the session's and the scene's clocks each frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::breath::Micros;
use crate::breath::time::micros_from_frames;

/// The mix's sample rate, frames per second: the clock's unit.
pub const SAMPLE_RATE_HZ: u32 = 48_000;

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
    pub(crate) total_frames: u64,
    /// Whether the session is moving (not paused).
    pub advancing: bool,
    /// How long ago the mix last published, for smoothing between blocks.
    pub(crate) age: Duration,
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
    pub(crate) fn heard_from(&self) -> ([f32; 3], [f32; 3]) {
        let v = |i: usize| f32::from_bits(self.heard_from[i].load(Ordering::Relaxed));
        ([v(0), v(1), v(2)], [v(3), v(4), v(5)])
    }

    /// Records the listener the mix has taken.
    pub(crate) fn publish_listener(&self, position: [f32; 3], forward: [f32; 3]) {
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
    pub(crate) fn session_micros(&self, max_ahead: Duration) -> Micros {
        let base = micros_from_frames(self.session_frames, SAMPLE_RATE_HZ);
        if self.advancing {
            base + self.age.min(max_ahead).as_micros() as Micros
        } else {
            base
        }
    }

    /// All time since the mix started, microseconds, carried forward likewise.
    pub(crate) fn total_micros(&self, max_ahead: Duration) -> Micros {
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
