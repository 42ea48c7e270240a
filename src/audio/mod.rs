//! Sound: every sound synthesised in code, placed around the listener's
//! head, mixed with the pacer's sounds under a limiter, on its own thread.
//! Only this module touches rodio.
//!
//! The pure parts ([`dsp`], [`voices`], [`pacer_sounds`], [`spatial`],
//! [`limiter`], [`loudness`], [`wav`], [`engine`]) have no Bevy types; the
//! plugin here is a thin adapter that follows the app's state (the scene on
//! screen, pause, volume, the guided session) and tells the mix, places the
//! listener at the head, and hands the mix's clock to [`crate::clock`].

pub mod dsp;
pub mod engine;
pub mod limiter;
pub mod loudness;
pub mod output;
pub mod pacer_sounds;
pub mod sample_clock;
pub mod shots;
pub mod spatial;
pub mod voices;
pub mod wav;

use std::collections::VecDeque;
use std::sync::mpsc::TrySendError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::prelude::*;

use engine::{Bed, Command, GuideChange, MAX_IN_MIX, MixLink, MixSettings, Mixer, PlacedSound};
use sample_clock::ClockShared;
pub use sample_clock::SAMPLE_RATE_HZ;
use shots::{Shot, ShotKind};
use spatial::{Emitter, Listener};
use voices::SoundKind;

use crate::breath::{Guide, Schedule};
use crate::frame::AppSet;
use crate::scene::CurrentScene;
use crate::scene::format;
use crate::scene::model::Scene;
use crate::state::{AppState, Flow, Lifecycle, Sound};
use crate::view::ViewCamera;

/// How the sound starts.
#[derive(Resource, Debug, Clone)]
pub struct AudioStart {
    /// Volumes and sound choices at the start.
    pub settings: MixSettings,
    /// Never open a sound device (the app stays silent on the same clock).
    pub force_silent: bool,
}

/// The running mix's clock, once the sound has started: the audio plugin's
/// output, which [`crate::clock`] reads each frame.
#[derive(Resource, Debug, Clone)]
pub struct MixClock(pub Arc<ClockShared>);

/// A playing mix that has not taken sound for this long has lost its output
/// (headphones gone to sleep, a device unplugged).
const STALLED: Duration = Duration::from_secs(1);

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
    pub audible: bool,
    last_listener: Option<Listener>,
    scene_generation: u32,
    guide_generation: u32,
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
        backlog(&mut self.backlog).len()
    }

    /// Sends a command to the mix, or keeps it until there is room; a new
    /// choice of settings replaces one still waiting.
    pub fn send(&mut self, command: Command) {
        if let Command::Settings(settings) = &command {
            self.settings = *settings;
            if let Some(waiting) = backlog(&mut self.backlog)
                .iter_mut()
                .find(|c| matches!(c, Command::Settings(_)))
            {
                *waiting = command;
                return self.flush();
            }
        }
        backlog(&mut self.backlog).push_back(command);
        self.flush();
    }

    /// Sends what waits, in order, while the mix has room; a sound set or a
    /// schedule waits until the mix has given enough back.
    pub fn flush(&mut self) {
        let waiting = backlog(&mut self.backlog);
        let mix = mix_link(&mut self.mix);
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
        while let Ok(garbage) = mix_link(&mut self.mix).garbage.try_recv() {
            self.in_mix = self.in_mix.saturating_sub(1);
            drop(garbage);
        }
    }

    /// Leaves the listener's pose for the mix, if it moved.
    pub fn place_listener(&mut self, listener: Listener) {
        if self.last_listener != Some(listener) {
            self.last_listener = Some(listener);
            mix_link(&mut self.mix).listener.put(listener);
        }
    }
}

fn backlog(waiting: &mut Mutex<VecDeque<Command>>) -> &mut VecDeque<Command> {
    waiting
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn mix_link(mix: &mut Mutex<MixLink>) -> &mut MixLink {
    mix.get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, start_audio)
        .add_systems(
            Update,
            (
                watch_output.in_set(AppSet::Clock),
                (follow_flow, follow_listening, follow_guide).in_set(AppSet::Intents),
                (follow_scene, follow_switches, play_events)
                    .chain()
                    .in_set(AppSet::Animate),
            ),
        )
        // After the camera's final pose of the frame is propagated, so the
        // sound is placed for the head the picture is drawn from.
        .add_systems(
            PostUpdate,
            (follow_head, send_waiting)
                .chain()
                .after(bevy::transform::TransformSystems::Propagate),
        )
        .add_systems(Last, fade_out_on_exit);
}

/// The sounds a scene places.
pub fn scene_sounds(scene: &Scene) -> Vec<PlacedSound> {
    scene
        .sounds
        .iter()
        .map(|sound| PlacedSound {
            kind: sound_kind(sound.kind),
            emitter: Emitter {
                position: sound.position_m,
                gain_db: sound.gain_db,
                size_m: sound.size_m,
            },
            seed: sound.seed,
            on: sound.on,
        })
        .collect()
}

/// The listener seated at the scene's viewpoint, facing its heading: the
/// fixed pose of offline renders.
pub fn seated_listener(scene: &Scene) -> Listener {
    // Headings are clockwise from north; yaw turns counter-clockwise.
    Listener::from_yaw(scene.seat.eye, -scene.seat.heading_deg.to_radians())
}

/// Frames rendered at a time when streaming to a file: a tenth of a second.
const STREAM_FRAMES: usize = 4_800;

/// The exact mix of `scene` and its session over `seconds`, offline, at
/// `step` (from 0) of an exposure scene's hierarchy, heard from the seat, written to `out` as a WAV (32-bit float, stereo) as it is
/// rendered: an hour takes no more memory than a second.
pub fn render_scene_to(
    out: impl std::io::Write,
    scene: &Scene,
    guide: Option<&Guide>,
    settings: MixSettings,
    seconds: f64,
    step: Option<usize>,
) -> std::io::Result<()> {
    let frames = (seconds * f64::from(SAMPLE_RATE_HZ)).round() as usize;
    // An exposure scene sounds as its step has it.
    let mut sounds = scene_sounds(scene);
    for (sound, on) in sounds.iter_mut().zip(scene.sounds_at(step)) {
        sound.on = on;
    }
    let mut mixer = Mixer::new(
        &sounds,
        guide.map(|g| g.schedule.clone()),
        settings,
        seated_listener(scene),
    );
    let mut wav = wav::WavWriter::start(out, SAMPLE_RATE_HZ, 2, frames * 2)?;
    let mut buffer = vec![0.0f32; STREAM_FRAMES * 2];
    let mut left = frames;
    while left > 0 {
        let n = left.min(STREAM_FRAMES);
        mixer.render(&mut buffer[..n * 2]);
        wav.write(&buffer[..n * 2])?;
        left -= n;
    }
    wav.finish()
}

fn sound_kind(kind: format::SoundKind) -> SoundKind {
    match kind {
        format::SoundKind::LappingWater => SoundKind::LappingWater,
        format::SoundKind::Surf => SoundKind::Surf,
        format::SoundKind::LeafWind => SoundKind::LeafWind,
        format::SoundKind::Stream => SoundKind::Stream,
        format::SoundKind::Rain => SoundKind::Rain,
        format::SoundKind::Crickets => SoundKind::Crickets,
        format::SoundKind::Birdsong => SoundKind::Birdsong,
    }
}

/// Starts the mix on its own thread: on the sound card, or silently on the
/// same clock when there is none (said once). If not even the silent
/// thread can start, that is said once too, and the clocks follow real
/// time with no sound.
fn start_audio(world: &mut World) {
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
    let sound = match output::start(mixer, start.force_silent) {
        Ok((output, why_silent)) => {
            // Samples wait in the device's buffer after the mix counts
            // them; the picture waits as long.
            let buffered = output.buffer_latency().as_micros() as u64;
            world.resource_mut::<crate::state::SessionClock>().latency += buffered;
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
fn watch_output(
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

/// A newly shown scene brings its sounds, crossfaded in; sounds the mix has
/// finished with are freed here.
fn follow_scene(link: Option<ResMut<AudioLink>>, current: Res<CurrentScene>) {
    let Some(mut link) = link else { return };
    link.collect();
    if current.generation == link.scene_generation {
        return;
    }
    link.scene_generation = current.generation;
    if let Some(scene) = &current.shown {
        link.send(Command::Nature(Bed::new(&scene_sounds(scene))));
    }
}

/// The scene's sounds a step turns on or off fade in or out.
fn follow_switches(link: Option<ResMut<AudioLink>>, on: Res<crate::scene::stage::SoundsOn>) {
    if let Some(mut link) = link
        && on.is_changed()
        && !on.is_added()
    {
        link.send(Command::Switches(on.0));
    }
}

/// Each exposure event fired is heard: a gust round the head, a creak
/// where the scene puts it, a bird's wings along its way.
fn play_events(
    link: Option<ResMut<AudioLink>>,
    mut heard: MessageReader<Lifecycle>,
    current: Res<CurrentScene>,
    cameras: Query<&GlobalTransform, With<ViewCamera>>,
    mut fired: Local<u64>,
) {
    let Some(mut link) = link else {
        heard.clear();
        return;
    };
    for message in heard.read() {
        let Some(event) = current.fired(message) else {
            continue;
        };
        let head = cameras
            .single()
            .map_or([0.0, 1.2, 0.0], |c| c.translation().to_array());
        *fired += 1;
        if let Some(shot) = shot_for(event, head, *fired) {
            link.send(Command::Shot(shot));
        }
    }
}

/// The sound of `event`, heard by a head at `head`; `None` for a silent
/// one (a spider on its thread).
pub fn shot_for(
    event: &crate::scene::exposure::EventSpec,
    head: [f32; 3],
    seed: u64,
) -> Option<Shot> {
    use crate::scene::exposure::EventKind;
    let (kind, from, to) = match event.does {
        EventKind::Gust { strength } => {
            let around = [head[0], head[1] + 1.5, head[2]];
            (ShotKind::Gust { strength }, around, around)
        }
        EventKind::Creak { at } => (ShotKind::Creak, at, at),
        EventKind::BirdPasses { from, to } => (ShotKind::Wings, from, to),
        EventKind::SpiderDrops { .. } => return None,
    };
    Some(Shot {
        kind,
        from,
        to,
        seconds: event.seconds,
        seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5107,
    })
}

/// The camera is the listener's head.
fn follow_head(
    link: Option<ResMut<AudioLink>>,
    cameras: Query<&GlobalTransform, With<ViewCamera>>,
) {
    let (Some(mut link), Ok(camera)) = (link, cameras.single()) else {
        return;
    };
    link.place_listener(listener_from(camera));
}

/// Whatever waited for room in the mix's queue is tried again each frame.
fn send_waiting(link: Option<ResMut<AudioLink>>) {
    if let Some(mut link) = link
        && link.bypass_change_detection().waiting() > 0
    {
        link.flush();
    }
}

/// The listener at a camera's pose.
pub fn listener_from(camera: &GlobalTransform) -> Listener {
    let forward = camera.forward();
    let up = camera.up();
    Listener {
        position: camera.translation().to_array(),
        forward: forward.to_array(),
        up: up.to_array(),
    }
}

/// Volume and mono follow the person's choices, gliding in the mix.
fn follow_listening(link: Option<ResMut<AudioLink>>, state: Res<AppState>) {
    let Some(mut link) = link else { return };
    let listening = state.listening();
    let mut settings = link.settings();
    settings.master = listening.volume;
    settings.mono = listening.mono;
    if settings != link.settings() {
        info!(
            "volume {:.1}, {}",
            settings.master,
            if settings.mono { "mono" } else { "stereo" }
        );
        link.send(Command::Settings(settings));
    }
}

/// Pausing fades the sound out and holds the session's place; going on
/// (running, or the session ended with the scene still there) fades back
/// in.
fn follow_flow(link: Option<ResMut<AudioLink>>, flow: Res<State<Flow>>) {
    let Some(mut link) = link else { return };
    if flow.is_changed() && !flow.is_added() {
        link.send(match flow.get() {
            Flow::Paused => Command::Pause,
            Flow::Running | Flow::Ended => Command::Resume,
        });
    }
}

/// A guided session started, replaced or stopped reaches the mix with the
/// session time it takes effect at, so the sound changes at the same sample
/// as the picture.
fn follow_guide(link: Option<ResMut<AudioLink>>, state: Res<AppState>) {
    let Some(mut link) = link else { return };
    let guided = state.guided();
    if guided.generation() == link.guide_generation {
        return;
    }
    link.guide_generation = guided.generation();
    if let Some((run, from)) = guided.newest_change() {
        link.send(Command::Guide(GuideChange {
            schedule: run.map(|r| r.guide.schedule.clone()),
            origin: from,
        }));
    }
}

/// Closing the app fades the sound out instead of cutting it.
fn fade_out_on_exit(link: Option<ResMut<AudioLink>>, mut exits: MessageReader<AppExit>) {
    let Some(mut link) = link else { return };
    if exits.read().next().is_some() {
        link.send(Command::Stop);
        if link.audible {
            std::thread::sleep(Duration::from_secs_f32(engine::STOP_FADE_S + 0.05));
        }
    }
}
