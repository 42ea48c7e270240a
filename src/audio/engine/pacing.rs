//! The pacer in the mix: the guided session the mix follows, the changes of
//! session waiting for their sample, the chimes before each change, and the
//! swell and tone drawn from the schedule's lung fill.

use std::sync::Arc;

use super::{CHIME_LEAD, Garbage, Mixer};
use crate::audio::dsp::Smoothed;
use crate::audio::sample_clock::SAMPLE_RATE_HZ;
use crate::breath::Schedule;
use crate::breath::time::{Micros, frames_from_micros, micros_from_frames};

/// How fast the pacer's swell empties when a session stops: the speed of a
/// calm 4-second breath, so it sounds like a last breath out.
const STOP_EMPTY_PER_S: f32 = 0.25;

/// A guided session as the mix follows it.
pub(super) struct MixGuide {
    pub(super) schedule: Arc<Schedule>,
    origin: Micros,
    /// Synth frame of its next chime.
    next_cue: Option<u64>,
}

impl MixGuide {
    pub(super) fn new(schedule: Arc<Schedule>, origin: Micros, frame: u64) -> Self {
        let mut guide = Self {
            schedule,
            origin,
            next_cue: None,
        };
        guide.next_cue = guide.cue_from(frame);
        guide
    }

    /// The first chime at or after synth frame `frame`: [`CHIME_LEAD`]
    /// before a change (a change earlier than that has none).
    fn cue_from(&self, frame: u64) -> Option<u64> {
        let t = micros_from_frames(frame, SAMPLE_RATE_HZ).saturating_sub(self.origin);
        let change = self.schedule.next_change(t + CHIME_LEAD)?;
        Some(frames_from_micros(
            self.origin + change - CHIME_LEAD,
            SAMPLE_RATE_HZ,
        ))
    }

    fn fill_at(&self, frame: u64) -> f32 {
        let t = micros_from_frames(frame, SAMPLE_RATE_HZ).saturating_sub(self.origin);
        self.schedule.at(t).fill
    }
}

impl Mixer {
    /// Makes the first change of session waiting the session followed.
    fn take_change(&mut self) {
        if self.changes.is_empty() {
            return;
        }
        let (next, _) = self.changes.remove(0);
        if let Some(old) = std::mem::replace(&mut self.guide, next) {
            self.bury(Garbage::Schedule(old.schedule));
        }
        if self.guide.is_some() {
            self.pacing = true;
        }
    }

    /// The moment of the first change waiting, if it comes before `end`.
    fn change_before(&self, end: u64) -> Option<u64> {
        self.changes
            .first()
            .map(|(_, at)| *at)
            .filter(|at| *at < end)
    }

    /// Chimes due in `from..to` of the session followed now.
    fn trigger_cues(&mut self, start: u64, from: u64, to: u64) {
        let Some(guide) = self.guide.as_mut() else {
            return;
        };
        while let Some(cue) = guide.next_cue {
            if cue >= to {
                break;
            }
            if cue >= from {
                self.chime.trigger((cue - start) as usize);
            }
            guide.next_cue = guide.cue_from(cue + 1);
        }
    }

    /// The pacer's sounds for the block `start..end`, into `self.pace`.
    pub(super) fn pace_block(&mut self, n: usize) {
        self.pace[..n].fill(0.0);
        let start = self.synth_frame;
        let end = start + n as u64;
        while self.change_before(start + 1).is_some() {
            self.take_change();
        }
        // A change inside the block: the chimes of the session before it,
        // then those of the new one.
        let mut fill_start = self.last_fill;
        let mut from = start;
        while let Some(at) = self.change_before(end) {
            self.trigger_cues(start, from, at);
            self.take_change();
            from = at;
            // A new session starts from its own first breath: the swell
            // picks up there rather than sweeping across.
            fill_start = self.guide.as_ref().map_or(fill_start, |g| g.fill_at(at));
        }
        self.trigger_cues(start, from, end);
        if !self.pacing {
            return;
        }
        let fill_end = match &self.guide {
            Some(guide) => guide.fill_at(end),
            // Stopped: the swell empties like a last breath out, then the
            // pacer falls silent.
            None => {
                let fill =
                    (fill_start - STOP_EMPTY_PER_S * n as f32 / SAMPLE_RATE_HZ as f32).max(0.0);
                if fill == 0.0 && fill_start == 0.0 {
                    self.pacing = false;
                }
                fill
            }
        };
        self.last_fill = fill_end;
        // A sound that is off (and has finished gliding out) costs nothing.
        if audible(&self.swell_on) {
            self.swell
                .render(&mut self.extra[..n], fill_start, fill_end);
            add_switched(&mut self.pace[..n], &self.extra[..n], &mut self.swell_on);
        }
        if audible(&self.tone_on) {
            self.tone.render(&mut self.extra[..n], fill_start, fill_end);
            add_switched(&mut self.pace[..n], &self.extra[..n], &mut self.tone_on);
        }
        self.extra[..n].fill(0.0);
        self.chime.render(&mut self.extra[..n]);
        add_switched(&mut self.pace[..n], &self.extra[..n], &mut self.chime_on);
    }
}

/// Adds `sound` into `bus` through its on/off glide.
fn add_switched(bus: &mut [f32], sound: &[f32], on: &mut Smoothed) {
    for (b, &x) in bus.iter_mut().zip(sound) {
        *b += x * on.next();
    }
}

/// Whether a sound switched by `on` is playing or still gliding.
fn audible(on: &Smoothed) -> bool {
    on.target() > 0.0 || on.value() > 1e-4
}
