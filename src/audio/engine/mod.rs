//! The mix and its clock: nature sounds placed in the scene, the pacer's
//! sounds, fades, bus volumes and the limiter, rendered in small blocks.
//!
//! **Invariant:** the count of session samples the mix has rendered *is* the
//! session's clock. The pacer's sounds are synthesised from
//! [`Schedule::at`] at that count, and the picture reads the same count
//! through [`ClockShared`], so what is heard and what is seen cannot drift
//! apart. The count is taken after the limiter's look-ahead, so it names the
//! sample leaving the mix, not one still inside it.
//!
//! **Invariant:** rendering never allocates, frees or waits. Commands come
//! through a bounded queue, the listener through a slot the mix only tries
//! to lock, and what the mix has finished with (a scene's sounds, a
//! session's schedule) goes back to the app to be freed there.

mod bed;
mod link;
mod pacing;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::mpsc::TrySendError;

pub use bed::{Bed, PlacedSound};
pub(crate) use link::MixLink;
pub use link::{Command, Garbage, GuideChange, MixerEnd, mix_link};

use super::dsp::{Smoothed, db_to_gain};
use super::far_voice::FarVoice;
use super::limiter::Limiter;
use super::pacer_sounds::{Chime, Swell, Tone};
use super::sample_clock::{ClockShared, SAMPLE_RATE_HZ};
use super::shots::{MAX_SHOTS, ShotVoice};
use super::spatial::{Listener, Spatializer};
use crate::breath::Schedule;
use crate::breath::time::{Micros, frames_from_micros};
use pacing::MixGuide;

/// Frames mixed at a time: 1.3 ms at 48 kHz, so commands and the published
/// clock are never more than that behind.
pub(crate) const BLOCK_FRAMES: usize = 64;
/// The chime starts this long before the phase it announces.
pub const CHIME_LEAD: Micros = 150_000;
/// Loudest sample the mix ever sends, dBFS.
pub(crate) const CEILING_DBFS: f32 = -1.0;
/// Fade-in when a session starts, seconds.
pub(crate) const START_FADE_S: f32 = 3.0;
/// Fade out on pause and in on resume, seconds.
pub(crate) const PAUSE_FADE_S: f32 = 1.5;
/// Fade out when the app closes, seconds.
pub(crate) const STOP_FADE_S: f32 = 0.5;
/// Crossfade between the sounds of two scenes, seconds.
pub(crate) const SCENE_CROSSFADE_S: f32 = 2.0;
/// Level of the nature bus: each kind is calibrated to about -20 LUFS on its
/// own; this brings a scene of several placed sounds to about -30 LUFS, the
/// quiet default (a soft 50 dB(A) room at a typical listening level).
pub(crate) const NATURE_TRIM_DB: f32 = -11.0;
/// Level of the pacer bus: a little above nature, so the pacer is followed
/// without being loud.
pub(crate) const PACER_TRIM_DB: f32 = -10.0;
/// Glide of volume changes and sound switches, seconds: no zipper noise.
const VOLUME_GLIDE_S: f32 = 0.05;
/// Most scenes' sounds mixed at once: the new one and two fading out.
const MAX_BEDS: usize = 3;
/// Fade of a scene's sounds overtaken by two newer scenes, seconds.
const QUICK_FADE_S: f32 = 0.05;
/// Most voices one scene may bring; matches the scene format's limit.
pub(crate) const MAX_VOICES: usize = 16;
/// Commands that can wait for the mix at once. The app sends a handful a
/// minute; a stalled output that takes no sound fills this, and the app
/// then keeps the rest itself.
pub(crate) const COMMAND_QUEUE: usize = 64;
/// Most scene sound sets and schedules the mix may hold or have queued at
/// once; the app counts what it has sent and not had back, so the mix's
/// way back (of this capacity) always has room.
pub(crate) const MAX_IN_MIX: usize = 8;
/// Changes of session the mix keeps waiting for their moment: asked for in
/// quick succession (each comes 150 ms after it is asked), a few at most.
const MAX_CHANGES: usize = 8;

/// What the person hears, and how loud. Volumes are linear gains from 0
/// (silent) to 2; 1 is the calibrated default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixSettings {
    /// Everything.
    pub master: f32,
    /// Nature sounds.
    pub nature: f32,
    /// Pacer sounds.
    pub pacer: f32,
    /// Both ears hear the same, for people who hear with one ear.
    pub mono: bool,
    /// The breath-like swell.
    pub swell: bool,
    /// The rising and falling tone.
    pub tone: bool,
    /// The chime before each phase change.
    pub chime: bool,
}

impl Default for MixSettings {
    fn default() -> Self {
        Self {
            master: 1.0,
            nature: 1.0,
            pacer: 1.0,
            mono: false,
            swell: true,
            tone: false,
            chime: true,
        }
    }
}

/// The whole mix. Deterministic: the same commands at the same blocks give
/// the same samples.
pub struct Mixer {
    end: Option<MixerEnd>,
    /// What could not be sent back at once (the way back was full): sent
    /// at a later block. Its room is reserved up front.
    unsent: Vec<Garbage>,
    clock: Arc<ClockShared>,
    /// The guided session followed now, if any.
    guide: Option<MixGuide>,
    /// Changes of session to come, each at a synth frame, in order. Its
    /// room is reserved up front ([`MAX_CHANGES`]).
    changes: Vec<(Option<MixGuide>, u64)>,
    /// The lung fill at the end of the last block.
    last_fill: f32,
    /// Whether the pacer's sounds are still sounding (a session runs, or
    /// one just stopped and its swell is emptying).
    pacing: bool,
    settings: MixSettings,
    listener: Listener,
    beds: Vec<Bed>,
    /// Event sounds playing, each with its own place in the ears.
    shots: [Option<ShotVoice>; MAX_SHOTS],
    shot_ears: [Spatializer; MAX_SHOTS],
    swell: Swell,
    tone: Tone,
    chime: Chime,
    master: Smoothed,
    nature: Smoothed,
    pacer: Smoothed,
    swell_on: Smoothed,
    tone_on: Smoothed,
    chime_on: Smoothed,
    fade: f32,
    fade_target: f32,
    fade_step: f32,
    transport: Transport,
    /// Session frame being synthesised: ahead of what leaves the mix by the
    /// limiter's look-ahead.
    synth_frame: u64,
    total_frames: u64,
    limiter: Limiter,
    lookahead: u64,
    mono: [f32; BLOCK_FRAMES],
    bed_l: [f32; BLOCK_FRAMES],
    bed_r: [f32; BLOCK_FRAMES],
    left: [f32; BLOCK_FRAMES],
    right: [f32; BLOCK_FRAMES],
    pace: [f32; BLOCK_FRAMES],
    extra: [f32; BLOCK_FRAMES],
    block: [f32; BLOCK_FRAMES * 2],
    /// The therapist's voice in a remote session, and its block in each
    /// ear.
    far: Option<FarVoice>,
    far_l: [f32; BLOCK_FRAMES],
    far_r: [f32; BLOCK_FRAMES],
    block_len: usize,
    block_pos: usize,
}

impl Mixer {
    /// A mix of `sounds` heard by `listener`, pacing `schedule` from the
    /// session's start if there is one. It starts playing, fading in.
    pub fn new(
        sounds: &[PlacedSound],
        schedule: Option<Arc<Schedule>>,
        settings: MixSettings,
        listener: Listener,
    ) -> Self {
        let limiter = Limiter::new(CEILING_DBFS);
        let lookahead = limiter.latency_frames() as u64;
        let on = |b: bool| Smoothed::new(if b { 1.0 } else { 0.0 }, VOLUME_GLIDE_S);
        let mut beds = Vec::with_capacity(MAX_BEDS + 1);
        beds.push(Bed::new(sounds));
        // The first scene fades in with the session, not on its own.
        beds[0].gain = 1.0;
        let clock = ClockShared::new();
        clock.publish_listener(listener.position, listener.forward);
        let guide = schedule.map(|s| MixGuide::new(s, 0, lookahead));
        Self {
            end: None,
            unsent: Vec::with_capacity(MAX_IN_MIX),
            clock,
            pacing: guide.is_some(),
            guide,
            changes: Vec::with_capacity(MAX_CHANGES),
            last_fill: 0.0,
            settings,
            listener,
            beds,
            shots: Default::default(),
            shot_ears: std::array::from_fn(|_| Spatializer::new()),
            swell: Swell::new(0x5EED_B4EA),
            tone: Tone::new(),
            chime: Chime::new(),
            master: Smoothed::new(settings.master, VOLUME_GLIDE_S),
            nature: Smoothed::new(settings.nature * db_to_gain(NATURE_TRIM_DB), VOLUME_GLIDE_S),
            pacer: Smoothed::new(settings.pacer * db_to_gain(PACER_TRIM_DB), VOLUME_GLIDE_S),
            swell_on: on(settings.swell),
            tone_on: on(settings.tone),
            chime_on: on(settings.chime),
            fade: 0.0,
            fade_target: 1.0,
            fade_step: 1.0 / (START_FADE_S * SAMPLE_RATE_HZ as f32),
            transport: Transport::Playing,
            synth_frame: lookahead,
            total_frames: 0,
            limiter,
            lookahead,
            mono: [0.0; BLOCK_FRAMES],
            bed_l: [0.0; BLOCK_FRAMES],
            bed_r: [0.0; BLOCK_FRAMES],
            left: [0.0; BLOCK_FRAMES],
            right: [0.0; BLOCK_FRAMES],
            pace: [0.0; BLOCK_FRAMES],
            extra: [0.0; BLOCK_FRAMES],
            block: [0.0; BLOCK_FRAMES * 2],
            far: None,
            far_l: [0.0; BLOCK_FRAMES],
            far_r: [0.0; BLOCK_FRAMES],
            block_len: 0,
            block_pos: 0,
        }
    }

    /// Takes commands, the listener and the way back from the app's
    /// [`MixerEnd`], at each block.
    pub fn with_end(mut self, end: MixerEnd) -> Self {
        self.end = Some(end);
        self
    }

    /// Plays the therapist's voice of a remote session over the scene,
    /// paused or not, and ducks the scene's sounds while it speaks.
    pub fn with_far_voice(mut self, voice: FarVoice) -> Self {
        self.far = Some(voice);
        self
    }

    /// The clock this mix publishes.
    pub fn clock(&self) -> Arc<ClockShared> {
        Arc::clone(&self.clock)
    }

    /// Places the listener's head (the offline renderer and tests; the app
    /// uses the [`ListenerSlot`]).
    pub(crate) fn set_listener(&mut self, listener: Listener) {
        self.clock
            .publish_listener(listener.position, listener.forward);
        self.listener = listener;
    }

    /// Applies a command now (the offline renderer and tests use this; the
    /// app sends them through the queue).
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Nature(bed) => {
                // The scene on until now crossfades out; any older one still
                // fading goes quickly (but not in one step: no click).
                let count = self.beds.len();
                for (i, old) in self.beds.iter_mut().enumerate() {
                    old.target = 0.0;
                    if i + 1 < count {
                        old.step = old.step.max(1.0 / (QUICK_FADE_S * SAMPLE_RATE_HZ as f32));
                    }
                }
                if self.beds.len() >= MAX_BEDS {
                    let oldest = self.beds.remove(0);
                    self.bury(Garbage::Bed(oldest));
                }
                self.beds.push(bed);
            }
            Command::Guide(change) => {
                let at = frames_from_micros(change.origin, SAMPLE_RATE_HZ);
                let next = change
                    .schedule
                    .map(|s| MixGuide::new(s, change.origin, self.synth_frame.max(at)));
                // Changes come in the order of their moments; one asked for
                // earlier than another still waiting overtakes it, and with
                // no room left the newest waiting gives way.
                while self.changes.last().is_some_and(|(_, later)| *later > at)
                    || self.changes.len() == self.changes.capacity()
                {
                    if let Some((Some(overtaken), _)) = self.changes.pop() {
                        self.bury(Garbage::Schedule(overtaken.schedule));
                    }
                }
                self.changes.push((next, at));
            }
            Command::Switches(on) => {
                if let Some(bed) = self.beds.last_mut() {
                    for (v, &on) in bed.voices.iter_mut().zip(&on) {
                        v.target = if on { 1.0 } else { 0.0 };
                    }
                }
            }
            Command::Shot(shot) => {
                // A free slot, else the one nearest its end.
                let slot = self
                    .shots
                    .iter()
                    .position(Option::is_none)
                    .unwrap_or_else(|| {
                        (0..MAX_SHOTS)
                            .max_by(|&a, &b| {
                                let left =
                                    |i: usize| self.shots[i].as_ref().map_or(0.0, ShotVoice::left);
                                left(b).total_cmp(&left(a))
                            })
                            .unwrap_or(0)
                    });
                self.shots[slot] = Some(ShotVoice::new(shot));
                self.shot_ears[slot].restart();
            }
            Command::Settings(settings) => {
                self.settings = settings;
                self.master.set_target(settings.master);
                self.nature
                    .set_target(settings.nature * db_to_gain(NATURE_TRIM_DB));
                self.pacer
                    .set_target(settings.pacer * db_to_gain(PACER_TRIM_DB));
                let on = |b: bool| if b { 1.0 } else { 0.0 };
                self.swell_on.set_target(on(settings.swell));
                self.tone_on.set_target(on(settings.tone));
                self.chime_on.set_target(on(settings.chime));
            }
            Command::Pause => {
                if matches!(self.transport, Transport::Playing) {
                    self.transport = Transport::Pausing;
                    self.fade_to(0.0, PAUSE_FADE_S);
                }
            }
            Command::Resume => {
                if matches!(self.transport, Transport::Pausing | Transport::Paused) {
                    self.transport = Transport::Playing;
                    self.fade_to(1.0, PAUSE_FADE_S);
                }
            }
            Command::Stop => {
                if !matches!(self.transport, Transport::Stopped) {
                    self.transport = Transport::Stopping;
                    self.fade_to(0.0, STOP_FADE_S);
                }
            }
        }
    }

    /// Whether the mix has faded out for good after [`Command::Stop`].
    pub fn is_stopped(&self) -> bool {
        self.transport == Transport::Stopped
    }

    /// Session samples that have left the mix.
    pub fn session_frames(&self) -> u64 {
        self.synth_frame.saturating_sub(self.lookahead)
    }

    /// Fills `out` with interleaved stereo samples.
    pub fn render(&mut self, out: &mut [f32]) {
        let mut written = 0;
        while written < out.len() {
            if self.block_pos == self.block_len {
                self.render_block();
            }
            let n = (self.block_len - self.block_pos).min(out.len() - written);
            out[written..written + n]
                .copy_from_slice(&self.block[self.block_pos..self.block_pos + n]);
            self.block_pos += n;
            written += n;
        }
    }

    /// The next interleaved sample (for an output that pulls one at a time).
    pub(crate) fn next_sample(&mut self) -> f32 {
        if self.block_pos == self.block_len {
            self.render_block();
        }
        let sample = self.block[self.block_pos];
        self.block_pos += 1;
        sample
    }

    /// Sends what the mix has finished with back to the app. Offline, with
    /// no app to send to, it is freed here.
    fn bury(&mut self, garbage: Garbage) {
        let Some(end) = &self.end else {
            drop(garbage);
            return;
        };
        match end.garbage.try_send(garbage) {
            Ok(()) => {}
            Err(TrySendError::Full(garbage)) => {
                if self.unsent.len() < self.unsent.capacity() {
                    self.unsent.push(garbage);
                } else {
                    // Cannot happen while the app keeps its count (it never
                    // has more than MAX_IN_MIX things in the mix); if it
                    // did, leaking is better than freeing on this thread.
                    std::mem::forget(garbage);
                }
            }
            // The app has gone: nothing is listening any more.
            Err(TrySendError::Disconnected(garbage)) => std::mem::forget(garbage),
        }
    }

    fn fade_to(&mut self, target: f32, seconds: f32) {
        self.fade_target = target;
        self.fade_step = 1.0 / (seconds * SAMPLE_RATE_HZ as f32);
    }

    /// Takes what the app has left: its commands, the listener, and room on
    /// the way back for anything not yet sent.
    fn take_from_app(&mut self) {
        let Some(end) = self.end.take() else { return };
        while let Some(garbage) = self.unsent.pop() {
            if let Err(TrySendError::Full(garbage) | TrySendError::Disconnected(garbage)) =
                end.garbage.try_send(garbage)
            {
                self.unsent.push(garbage);
                break;
            }
        }
        if let Some(listener) = end.listener.take() {
            self.set_listener(listener);
        }
        self.end = Some(end);
        while let Some(command) = self.end.as_ref().and_then(|e| e.commands.try_recv().ok()) {
            self.apply(command);
        }
    }

    fn render_block(&mut self) {
        self.take_from_app();
        let n = BLOCK_FRAMES;
        let silent = matches!(self.transport, Transport::Paused | Transport::Stopped);
        // The therapist's voice first: it speaks over a paused scene too,
        // and lowers the scene's sounds while it does.
        let duck = self.far_block(n);
        if silent {
            // Held in place: nothing is synthesised and the session does not
            // move; the limiter still drains its look-ahead.
            self.block[..2 * n].fill(0.0);
        } else {
            self.mix_block(n, duck);
            self.synth_frame += n as u64;
        }
        if self.far.is_some() {
            let gain = self.master.value();
            for i in 0..n {
                self.block[2 * i] += self.far_l[i] * gain;
                self.block[2 * i + 1] += self.far_r[i] * gain;
            }
        }
        self.limiter.process(&mut self.block[..2 * n]);
        self.total_frames += n as u64;
        self.block_len = 2 * n;
        self.block_pos = 0;
        let advancing = !silent;
        self.clock
            .publish(self.session_frames(), self.total_frames, advancing);
    }
    /// The far voice's block into `far_l` and `far_r`; the gain the scene's
    /// sounds take under it.
    fn far_block(&mut self, n: usize) -> f32 {
        let Some(far) = self.far.as_mut() else {
            return 1.0;
        };
        self.far_l[..n].fill(0.0);
        self.far_r[..n].fill(0.0);
        far.render(
            &self.listener,
            self.settings.mono,
            &mut self.extra[..n],
            &mut self.far_l[..n],
            &mut self.far_r[..n],
        )
    }

    /// The scene's sounds (lowered by `duck`) and the pacer's into the
    /// block, through the buses and the fade.
    fn mix_block(&mut self, n: usize, duck: f32) {
        // Nature: every bed spatialised, crossfaded by its own gain.
        self.left[..n].fill(0.0);
        self.right[..n].fill(0.0);
        for bed in &mut self.beds {
            if bed.gain == 1.0 && bed.target == 1.0 {
                // A scene fully faded in goes straight into the mix.
                bed.render(
                    &self.listener,
                    self.settings.mono,
                    &mut self.mono[..n],
                    &mut self.left[..n],
                    &mut self.right[..n],
                );
                continue;
            }
            self.bed_l[..n].fill(0.0);
            self.bed_r[..n].fill(0.0);
            bed.render(
                &self.listener,
                self.settings.mono,
                &mut self.mono[..n],
                &mut self.bed_l[..n],
                &mut self.bed_r[..n],
            );
            for i in 0..n {
                bed.gain = approach(bed.gain, bed.target, bed.step);
                self.left[i] += self.bed_l[i] * bed.gain;
                self.right[i] += self.bed_r[i] * bed.gain;
            }
        }
        let mut i = 0;
        while i < self.beds.len() {
            if self.beds[i].target == 0.0 && self.beds[i].gain == 0.0 {
                let done = self.beds.remove(i);
                self.bury(Garbage::Bed(done));
            } else {
                i += 1;
            }
        }

        // Event sounds over the scene's, on the same bus.
        for (slot, ears) in self.shots.iter_mut().zip(&mut self.shot_ears) {
            let Some(shot) = slot else { continue };
            let emitter = shot.emitter();
            shot.render(&mut self.mono[..n]);
            ears.process(
                &emitter,
                &self.listener,
                &self.mono[..n],
                &mut self.left[..n],
                &mut self.right[..n],
                self.settings.mono,
            );
            if shot.done() {
                *slot = None;
            }
        }

        // The pacer, from the schedule at this block's session time.
        self.pace_block(n);

        // Buses, fade and master into the interleaved block, then the limiter.
        let steady = self.nature.is_settled()
            && self.pacer.is_settled()
            && self.master.is_settled()
            && self.fade == self.fade_target;
        if steady {
            // Nothing is gliding: one gain for the block.
            let gain = self.master.value() * self.fade * self.fade;
            let (nature, pacer) = (self.nature.value() * gain * duck, self.pacer.value() * gain);
            for i in 0..n {
                let p = pacer * self.pace[i];
                self.block[2 * i] = self.left[i] * nature + p;
                self.block[2 * i + 1] = self.right[i] * nature + p;
            }
        }
        for i in 0..if steady { 0 } else { n } {
            let nature = self.nature.next() * duck;
            let pacer = self.pacer.next() * self.pace[i];
            self.fade = approach(self.fade, self.fade_target, self.fade_step);
            // A squared ramp: it starts and ends gently to the ear.
            let gain = self.master.next() * self.fade * self.fade;
            self.block[2 * i] = (self.left[i] * nature + pacer) * gain;
            self.block[2 * i + 1] = (self.right[i] * nature + pacer) * gain;
        }
        if self.fade == 0.0 && self.fade_target == 0.0 {
            self.transport = match self.transport {
                Transport::Pausing => Transport::Paused,
                Transport::Stopping => Transport::Stopped,
                other => other,
            };
        }
    }
}

/// Renders `frames` frames of the mix offline, with a fixed listener, into
/// interleaved stereo. Same inputs, same samples.
pub fn render_offline(
    sounds: &[PlacedSound],
    schedule: Option<Arc<Schedule>>,
    settings: MixSettings,
    listener: Listener,
    frames: usize,
) -> Vec<f32> {
    let mut mixer = Mixer::new(sounds, schedule, settings, listener);
    let mut out = vec![0.0; frames * 2];
    mixer.render(&mut out);
    out
}

/// Where the mix stands: playing, fading out to a pause or a stop, or held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Playing,
    Pausing,
    Paused,
    Stopping,
    Stopped,
}

/// One step of a linear ramp from `value` towards `target`.
fn approach(value: f32, target: f32, step: f32) -> f32 {
    if value < target {
        (value + step).min(target)
    } else {
        (value - step).max(target)
    }
}
