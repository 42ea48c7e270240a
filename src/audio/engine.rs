//! The mix and its clock: nature sounds placed in the scene, the pacer's
//! sounds, fades, bus volumes and the limiter, rendered in small blocks.
//!
//! **Invariant:** the count of session samples the mix has rendered *is* the
//! session's clock. The pacer's sounds are synthesised from
//! [`Schedule::at`] at that count, and the picture reads the same count
//! through [`ClockShared`], so what is heard and what is seen cannot drift
//! apart. The count is taken after the limiter's look-ahead, so it names the
//! sample leaving the mix, not one still inside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use super::dsp::{SAMPLE_RATE_HZ, Smoothed, db_to_gain};
use super::limiter::Limiter;
use super::pacer_sounds::{Chime, Swell, Tone};
use super::spatial::{Emitter, Listener, Spatializer};
use super::voices::{SoundKind, Voice, voice};
use crate::breath::schedule::{Micros, Schedule, frames_from_micros, micros_from_frames};

/// Frames mixed at a time: 1.3 ms at 48 kHz, so commands and the published
/// clock are never more than that behind.
pub const BLOCK_FRAMES: usize = 64;
/// The chime starts this long before the phase it announces.
pub const CHIME_LEAD: Micros = 150_000;
/// Loudest sample the mix ever sends, dBFS.
pub const CEILING_DBFS: f32 = -1.0;
/// Fade-in when a session starts, seconds.
pub const START_FADE_S: f32 = 3.0;
/// Fade out on pause and in on resume, seconds.
pub const PAUSE_FADE_S: f32 = 1.5;
/// Fade out when the app closes, seconds.
pub const STOP_FADE_S: f32 = 0.5;
/// Crossfade between the sounds of two scenes, seconds.
pub const SCENE_CROSSFADE_S: f32 = 2.0;
/// Level of the nature bus: each kind is calibrated to about -20 LUFS on its
/// own; this brings a scene of several placed sounds to about -30 LUFS, the
/// quiet default (a soft 50 dB(A) room at a typical listening level).
pub const NATURE_TRIM_DB: f32 = -11.0;
/// Level of the pacer bus: a little above nature, so the pacer is followed
/// without being loud.
pub const PACER_TRIM_DB: f32 = -10.0;
/// Glide of volume changes and sound switches, seconds: no zipper noise.
const VOLUME_GLIDE_S: f32 = 0.05;
/// Most scenes' sounds mixed at once: the new one and two fading out.
const MAX_BEDS: usize = 3;
/// Fade of a scene's sounds overtaken by two newer scenes, seconds.
const QUICK_FADE_S: f32 = 0.05;
/// Most voices one scene may bring; matches the scene format's limit.
pub const MAX_VOICES: usize = 16;

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

/// A sound placed in the scene, ready to mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedSound {
    /// What it is.
    pub kind: SoundKind,
    /// Where, how loud, how big.
    pub emitter: Emitter,
    /// Seed of its variation.
    pub seed: u64,
}

/// The sounds of one scene, with their state. Built outside the audio
/// thread, so the mix never allocates voices while it plays.
pub struct Bed {
    voices: Vec<(Box<dyn Voice>, Spatializer, Emitter)>,
    gain: f32,
    target: f32,
    step: f32,
}

impl Bed {
    /// Voices for `sounds` (at most [`MAX_VOICES`]).
    pub fn new(sounds: &[PlacedSound]) -> Self {
        Self {
            voices: sounds
                .iter()
                .take(MAX_VOICES)
                .map(|s| (voice(s.kind, s.seed), Spatializer::new(), s.emitter))
                .collect(),
            gain: 0.0,
            target: 1.0,
            step: 1.0 / (SCENE_CROSSFADE_S * SAMPLE_RATE_HZ as f32),
        }
    }
}

impl Bed {
    /// Renders every voice, placed around `listener`, adding into `left`
    /// and `right`; `mono` is scratch space of the same length.
    fn render(
        &mut self,
        listener: &Listener,
        mono_mode: bool,
        mono: &mut [f32],
        left: &mut [f32],
        right: &mut [f32],
    ) {
        for (voice, spatializer, emitter) in &mut self.voices {
            voice.render(mono);
            spatializer.process(emitter, listener, mono, left, right, mono_mode);
        }
    }
}

/// One step of a linear ramp from `value` towards `target`.
fn approach(value: f32, target: f32, step: f32) -> f32 {
    if value < target {
        (value + step).min(target)
    } else {
        (value - step).max(target)
    }
}

/// Messages from the app to the mix. Each takes effect at the next block.
pub enum Command {
    /// Where the listener's head is now.
    Listener(Listener),
    /// Crossfade to another scene's sounds.
    Nature(Bed),
    /// New volumes or sound choices; changes glide.
    Settings(MixSettings),
    /// Fade out and hold the session's place.
    Pause,
    /// Fade back in from the same place.
    Resume,
    /// Fade out for good (the app is closing).
    Stop,
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

    fn publish_listener(&self, listener: &Listener) {
        let values = listener.position.iter().chain(listener.forward.iter());
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Playing,
    Pausing,
    Paused,
    Stopping,
    Stopped,
}

/// The whole mix. Deterministic: the same commands at the same blocks give
/// the same samples.
pub struct Mixer {
    commands: Option<Receiver<Command>>,
    /// Where scene sounds that have faded out go to be freed, off the audio
    /// thread.
    graveyard: Option<SyncSender<Bed>>,
    clock: Arc<ClockShared>,
    schedule: Option<Arc<Schedule>>,
    /// Session frames at which a chime starts, in order.
    cues: Vec<u64>,
    next_cue: usize,
    /// The session frame and lung fill at the end of the last block.
    last_fill: Option<(u64, f32)>,
    settings: MixSettings,
    listener: Listener,
    beds: Vec<Bed>,
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
    block_len: usize,
    block_pos: usize,
}

impl Mixer {
    /// A mix of `sounds` heard by `listener`, pacing `schedule` if there is
    /// one. It starts playing, fading in.
    pub fn new(
        sounds: &[PlacedSound],
        schedule: Option<Arc<Schedule>>,
        settings: MixSettings,
        listener: Listener,
    ) -> Self {
        let limiter = Limiter::new(CEILING_DBFS);
        let lookahead = limiter.latency_frames() as u64;
        let cues = schedule
            .as_deref()
            .map(|s| {
                s.changes()
                    .filter(|&t| t >= CHIME_LEAD)
                    .map(|t| frames_from_micros(t - CHIME_LEAD, SAMPLE_RATE_HZ))
                    .collect()
            })
            .unwrap_or_default();
        let on = |b: bool| Smoothed::new(if b { 1.0 } else { 0.0 }, VOLUME_GLIDE_S);
        let mut beds = Vec::with_capacity(MAX_BEDS + 1);
        beds.push(Bed::new(sounds));
        // The first scene fades in with the session, not on its own.
        beds[0].gain = 1.0;
        let clock = ClockShared::new();
        clock.publish_listener(&listener);
        Self {
            commands: None,
            graveyard: None,
            clock,
            schedule,
            cues,
            next_cue: 0,
            last_fill: None,
            settings,
            listener,
            beds,
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
            block_len: 0,
            block_pos: 0,
        }
    }

    /// Takes commands from `commands` at each block.
    pub fn with_commands(mut self, commands: Receiver<Command>) -> Self {
        self.commands = Some(commands);
        self
    }

    /// Hands scene sounds that have faded out to `graveyard`, so that their
    /// memory is freed on the app's thread, not the audio thread. The channel
    /// is bounded, so sending never allocates either.
    pub fn with_graveyard(mut self, graveyard: SyncSender<Bed>) -> Self {
        self.graveyard = Some(graveyard);
        self
    }

    /// Publishes the clock to `clock` as it plays.
    pub fn with_clock(mut self, clock: Arc<ClockShared>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock this mix publishes.
    pub fn clock(&self) -> Arc<ClockShared> {
        Arc::clone(&self.clock)
    }

    /// Applies a command now (the offline renderer and tests use this; the
    /// app sends them through the channel).
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Listener(listener) => {
                self.clock.publish_listener(&listener);
                self.listener = listener;
            }
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
                    self.bury(oldest);
                }
                self.beds.push(bed);
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
    pub fn next_sample(&mut self) -> f32 {
        if self.block_pos == self.block_len {
            self.render_block();
        }
        let sample = self.block[self.block_pos];
        self.block_pos += 1;
        sample
    }

    fn bury(&mut self, bed: Bed) {
        if let Some(graveyard) = &self.graveyard
            && let Err(TrySendError::Full(bed) | TrySendError::Disconnected(bed)) =
                graveyard.try_send(bed)
        {
            // Only if the app has not collected the last few: free it here.
            drop(bed);
        }
    }

    fn fade_to(&mut self, target: f32, seconds: f32) {
        self.fade_target = target;
        self.fade_step = 1.0 / (seconds * SAMPLE_RATE_HZ as f32);
    }

    fn render_block(&mut self) {
        if let Some(rx) = self.commands.take() {
            while let Ok(command) = rx.try_recv() {
                self.apply(command);
            }
            self.commands = Some(rx);
        }
        let n = BLOCK_FRAMES;
        let silent = matches!(self.transport, Transport::Paused | Transport::Stopped);
        if silent {
            // Held in place: nothing is synthesised and the session does not
            // move; the limiter still drains its look-ahead.
            self.block[..2 * n].fill(0.0);
            self.limiter.process(&mut self.block[..2 * n]);
        } else {
            self.mix_block(n);
            self.synth_frame += n as u64;
        }
        self.total_frames += n as u64;
        self.block_len = 2 * n;
        self.block_pos = 0;
        let advancing = !silent;
        self.clock
            .publish(self.session_frames(), self.total_frames, advancing);
    }

    fn mix_block(&mut self, n: usize) {
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
                self.bury(done);
            } else {
                i += 1;
            }
        }

        // The pacer, from the schedule at this block's session time.
        self.pace[..n].fill(0.0);
        if let Some(schedule) = self.schedule.as_deref() {
            let start = self.synth_frame;
            let end = start + n as u64;
            // A block starts where the one before ended (unless a pause
            // came between): its fill is already known.
            let fill_start = match self.last_fill {
                Some((frame, fill)) if frame == start => fill,
                _ => schedule.at(micros_from_frames(start, SAMPLE_RATE_HZ)).fill,
            };
            let fill_end = schedule.at(micros_from_frames(end, SAMPLE_RATE_HZ)).fill;
            self.last_fill = Some((end, fill_end));
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
            while let Some(&cue) = self.cues.get(self.next_cue) {
                if cue >= end {
                    break;
                }
                if cue >= start {
                    self.chime.trigger((cue - start) as usize);
                }
                self.next_cue += 1;
            }
            self.extra[..n].fill(0.0);
            self.chime.render(&mut self.extra[..n]);
            add_switched(&mut self.pace[..n], &self.extra[..n], &mut self.chime_on);
        }

        // Buses, fade and master into the interleaved block, then the limiter.
        let steady = self.nature.is_settled()
            && self.pacer.is_settled()
            && self.master.is_settled()
            && self.fade == self.fade_target;
        if steady {
            // Nothing is gliding: one gain for the block.
            let gain = self.master.value() * self.fade * self.fade;
            let (nature, pacer) = (self.nature.value() * gain, self.pacer.value() * gain);
            for i in 0..n {
                let p = pacer * self.pace[i];
                self.block[2 * i] = self.left[i] * nature + p;
                self.block[2 * i + 1] = self.right[i] * nature + p;
            }
        }
        for i in 0..if steady { 0 } else { n } {
            let nature = self.nature.next();
            let pacer = self.pacer.next() * self.pace[i];
            self.fade = approach(self.fade, self.fade_target, self.fade_step);
            // A squared ramp: it starts and ends gently to the ear.
            let gain = self.master.next() * self.fade * self.fade;
            self.block[2 * i] = (self.left[i] * nature + pacer) * gain;
            self.block[2 * i + 1] = (self.right[i] * nature + pacer) * gain;
        }
        self.limiter.process(&mut self.block[..2 * n]);
        if self.fade == 0.0 && self.fade_target == 0.0 {
            self.transport = match self.transport {
                Transport::Pausing => Transport::Paused,
                Transport::Stopping => Transport::Stopped,
                other => other,
            };
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sound(kind: SoundKind) -> PlacedSound {
        PlacedSound {
            kind,
            emitter: Emitter {
                position: [0.0, 1.0, -5.0],
                gain_db: 0.0,
                size_m: 2.0,
            },
            seed: 3,
        }
    }

    #[test]
    fn a_scene_switch_crossfades_and_frees_the_old_sounds_off_the_audio_thread() {
        let (graves, graveyard) = std::sync::mpsc::sync_channel(4);
        let listener = Listener::from_yaw([0.0, 1.2, 0.0], 0.0);
        let mut mixer = Mixer::new(
            &[sound(SoundKind::Surf)],
            None,
            MixSettings::default(),
            listener,
        )
        .with_graveyard(graves);
        let mut out = vec![0.0f32; SAMPLE_RATE_HZ as usize * 2 * 4];
        mixer.render(&mut out);
        mixer.apply(Command::Nature(Bed::new(&[sound(SoundKind::Rain)])));
        // Mid-crossfade both scenes sound; nothing is freed yet.
        mixer.render(&mut out[..SAMPLE_RATE_HZ as usize * 2]);
        assert!(graveyard.try_recv().is_err());
        assert_eq!(mixer.beds.len(), 2);
        // After the crossfade the old scene's sounds come back to be freed.
        mixer.render(&mut out);
        assert_eq!(mixer.beds.len(), 1);
        assert!(graveyard.try_recv().is_ok());
        // And the new scene sounds without a gap.
        let tail = &out[out.len() - 96_000..];
        assert!(tail.iter().any(|&s| s.abs() > 1e-4));
    }
}
