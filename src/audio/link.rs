//! The app's end of the mix: the [`AudioLink`] resource (commands waiting
//! for room, what the mix gives back, the listener), starting the mix on a
//! sound card or silently, watching its output, and the mix's clock handed
//! to the app ([`MixClock`]).

use std::collections::VecDeque;
use std::sync::mpsc::TrySendError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::prelude::*;

use super::AudioStart;
use super::engine::{self, Command, GuideChange, MAX_IN_MIX, MixLink, MixSettings, Mixer};
use super::output;
use super::sample_clock::ClockShared;
use super::spatial::Listener;
use crate::breath::Schedule;
use crate::state::{AppState, Lifecycle, Sound};

/// A playing mix that has not taken sound for this long has lost its output
/// (headphones gone to sleep, a device unplugged).
const STALLED: Duration = Duration::from_secs(1);

/// The running mix's clock, once the sound has started: the audio plugin's
/// output, which [`crate::clock`] reads each frame.
#[derive(Resource, Debug, Clone)]
pub struct MixClock(pub Arc<ClockShared>);

/// The app's link to the running mix. Commands wait here, in order, when
/// the mix's queue is full (an output that has stopped taking sound); what
/// the mix sends back is freed here.
#[derive(Resource)]
pub struct AudioLink {
    /// Behind a lock only to be shared between Bevy's threads; only ever
    /// reached through `&mut` (`get_mut`), so never waited on.
    mix: Mutex<MixLink>,
    backlog: Mutex<VecDeque<Command>>,
    /// Scene sound sets and schedules sent to the mix and not yet back.
    in_mix: usize,
    /// The mix's clock.
    pub clock: Arc<ClockShared>,
    /// Whether sound reaches a device.
    pub(crate) audible: bool,
    last_listener: Option<Listener>,
    pub(super) scene_generation: u32,
    pub(super) guide_generation: u32,
    settings: MixSettings,
}

impl std::fmt::Debug for AudioLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioLink")
            .field("in_mix", &self.in_mix)
            .field("audible", &self.audible)
            .finish()
    }
}

impl AudioLink {
    /// A link over `mix` to a mix that already holds `in_mix` sound sets
    /// and schedules, plays with `settings` and follows the guide of
    /// `guide_generation`.
    pub fn new(
        mix: MixLink,
        clock: Arc<ClockShared>,
        audible: bool,
        settings: MixSettings,
        in_mix: usize,
        guide_generation: u32,
    ) -> Self {
        Self {
            mix: Mutex::new(mix),
            backlog: Mutex::new(VecDeque::new()),
            in_mix,
            clock,
            audible,
            last_listener: None,
            scene_generation: 0,
            guide_generation,
            settings,
        }
    }

    /// The volumes and choices the mix has been asked for.
    pub fn settings(&self) -> MixSettings {
        self.settings
    }

    /// Commands still waiting for room in the mix's queue.
    pub fn waiting(&mut self) -> usize {
        unpoisoned(&mut self.backlog).len()
    }

    /// Sends a command to the mix, or keeps it until there is room; a new
    /// choice of settings replaces one still waiting.
    pub fn send(&mut self, command: Command) {
        if let Command::Settings(settings) = &command {
            self.settings = *settings;
            if let Some(waiting) = unpoisoned(&mut self.backlog)
                .iter_mut()
                .find(|c| matches!(c, Command::Settings(_)))
            {
                *waiting = command;
                return self.flush();
            }
        }
        unpoisoned(&mut self.backlog).push_back(command);
        self.flush();
    }

    /// Sends what waits, in order, while the mix has room; a sound set or a
    /// schedule waits until the mix has given enough back.
    pub fn flush(&mut self) {
        let waiting = unpoisoned(&mut self.backlog);
        let mix = unpoisoned(&mut self.mix);
        while let Some(command) = waiting.pop_front() {
            let carries = matches!(
                command,
                Command::Nature(_)
                    | Command::Guide(GuideChange {
                        schedule: Some(_),
                        ..
                    })
            );
            if carries && self.in_mix >= MAX_IN_MIX {
                waiting.push_front(command);
                return;
            }
            match mix.commands.try_send(command) {
                Ok(()) => self.in_mix += usize::from(carries),
                Err(TrySendError::Full(command)) => {
                    waiting.push_front(command);
                    return;
                }
                // The mix has gone (the app is closing).
                Err(TrySendError::Disconnected(_)) => {
                    waiting.clear();
                    return;
                }
            }
        }
    }

    /// Frees what the mix has finished with.
    pub fn collect(&mut self) {
        while let Ok(garbage) = unpoisoned(&mut self.mix).garbage.try_recv() {
            self.in_mix = self.in_mix.saturating_sub(1);
            drop(garbage);
        }
    }

    /// Leaves the listener's pose for the mix, if it moved.
    pub(crate) fn place_listener(&mut self, listener: Listener) {
        if self.last_listener != Some(listener) {
            self.last_listener = Some(listener);
            unpoisoned(&mut self.mix).listener.put(listener);
        }
    }
}

/// A mix for `schedule` (from the session's start) with `settings`, and the
/// app's link to it.
pub fn connect(
    schedule: Option<Arc<Schedule>>,
    settings: MixSettings,
    guide_generation: u32,
) -> (AudioLink, Mixer) {
    let (app, mix) = engine::mix_link();
    // The first scene's sounds arrive once it is on screen.
    let in_mix = 1 + usize::from(schedule.is_some());
    let mixer = Mixer::new(
        &[],
        schedule,
        settings,
        Listener::from_yaw([0.0, 1.2, 0.0], 0.0),
    )
    .with_end(mix);
    let link = AudioLink::new(
        app,
        mixer.clock(),
        false,
        settings,
        in_mix,
        guide_generation,
    );
    (link, mixer)
}

/// Where a remote session's voice goes into the mix: taken by the peer
/// that plays it, and given back when it ends.
#[derive(Resource, Clone)]
pub struct FarVoiceInput(pub Arc<Mutex<Option<super::far_voice::FarVoiceFeed>>>);

/// The person's voice for a remote session: where it comes from (opened
/// by a connection while it lasts) and whether they talk now.
#[derive(Resource, Clone)]
pub struct NearVoiceLink {
    /// The microphone, or a file.
    pub source: super::near_voice::NearSource,
    /// Whether the person talks, and over loudspeakers.
    pub hush: super::near_voice::Hush,
}

/// The key the person holds to talk to a remote session's therapist when
/// they listen through loudspeakers.
pub(crate) const TALK_KEY: KeyCode = KeyCode::KeyT;

/// Over loudspeakers, the person is heard while they hold the talk key;
/// with headphones, always.
pub(super) fn follow_talk_key(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    link: Option<Res<NearVoiceLink>>,
) {
    let (Some(keys), Some(link)) = (keys, link) else {
        return;
    };
    if link.hush.speakers() {
        link.hush.set_talking(keys.pressed(TALK_KEY));
    }
}

/// Starts the mix on its own thread: on the sound card, or silently on the
/// same clock when there is none (said once). If not even the silent
/// thread can start, that is said once too, and the clocks follow real
/// time with no sound.
pub(super) fn start_audio(world: &mut World) {
    let Some(start) = world.get_resource::<AudioStart>().cloned() else {
        return;
    };
    let (schedule, generation) = {
        let state = world.resource::<AppState>();
        (
            state.guided().at(0).map(|run| run.guide.schedule.clone()),
            state.guided().generation(),
        )
    };
    let (mut link, mixer) = connect(schedule, start.settings, generation);
    let (feed, voice) = super::far_voice::far_voice();
    world.insert_resource(FarVoiceInput(Arc::new(Mutex::new(Some(feed)))));
    let hush = super::near_voice::Hush::default();
    let mixer = mixer.with_far_voice(voice.with_hush(hush.clone()));
    if let Some(source) = start.near.clone() {
        // With headphones the person is always heard; over loudspeakers
        // only while they hold the talk key.
        hush.set_speakers(!start.headphones);
        hush.set_talking(start.headphones);
        world.insert_resource(NearVoiceLink { source, hush });
    }
    let sound = match output::start(mixer, start.force_silent, start.tap.as_deref()) {
        Ok((output, why_silent)) => {
            // Samples wait in the device's buffer after the mix counts
            // them; the picture waits as long.
            let buffered = output.buffer_latency().as_micros() as u64;
            world.resource_mut::<crate::clock::SessionClock>().latency += buffered;
            link.audible = output.is_audible();
            world.insert_resource(MixClock(link.clock.clone()));
            world.insert_resource(link);
            world.insert_non_send(output);
            match why_silent {
                Some(why) => {
                    warn!("{why}: Stillpoint runs silently, on the same clock");
                    Sound::Silent {
                        why: why.to_string(),
                    }
                }
                None => Sound::Audible,
            }
        }
        Err(failed) => {
            warn!("{failed}: Stillpoint runs without sound, on the frame clock");
            Sound::Silent {
                why: failed.to_string(),
            }
        }
    };
    world.write_message(Lifecycle::SoundStarted(sound));
}

/// Says once when the output stops taking sound, and when it takes it again.
pub(super) fn watch_output(
    link: Option<Res<AudioLink>>,
    mut said: MessageWriter<Lifecycle>,
    mut stalled: Local<bool>,
) {
    let Some(link) = link else { return };
    let reading = link.clock.read();
    let now_stalled = reading.advancing && reading.age > STALLED;
    if now_stalled != *stalled {
        *stalled = now_stalled;
        if now_stalled {
            warn!(
                "the sound output has stopped taking sound; the session holds its place until it does again"
            );
            said.write(Lifecycle::OutputStalled);
        } else {
            info!("the sound output takes sound again");
            said.write(Lifecycle::OutputResumed);
        }
    }
}

/// What `lock` holds, reached through `&mut`: never waited on, and a lock
/// poisoned by a panic elsewhere still gives what it holds.
fn unpoisoned<T>(lock: &mut Mutex<T>) -> &mut T {
    lock.get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
