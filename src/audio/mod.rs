//! Sound: every sound synthesised in code, placed around the listener's
//! head, mixed with the pacer's sounds under a limiter, on its own thread.
//! Only this module touches rodio.
//!
//! The pure parts ([`dsp`], [`voices`], [`pacer_sounds`], [`spatial`],
//! [`limiter`], [`loudness`], [`wav`], [`engine`]) have no Bevy types; the
//! plugin here is a thin adapter that tells the mix where the head is, which
//! scene is on screen and whether the session is paused, and publishes the
//! mix's sample count as the app's clock.

pub mod dsp;
pub mod engine;
pub mod limiter;
pub mod loudness;
pub mod output;
pub mod pacer_sounds;
pub mod spatial;
pub mod voices;
pub mod wav;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};
use std::time::Duration;

use bevy::prelude::*;

pub use dsp::SAMPLE_RATE_HZ;
use engine::{Bed, ClockShared, Command, MixSettings, Mixer, PlacedSound, STOP_FADE_S};
use spatial::{Emitter, Listener};
use voices::SoundKind;

use crate::AppSet;
use crate::breath::Schedule;
use crate::procgen::terrain::TerrainShape;
use crate::scene::CurrentScene;
use crate::scene::format::{self, SceneFile};
use crate::view::{Flow, ViewCamera};

/// What the audio starts with.
#[derive(Resource, Debug, Clone)]
pub struct AudioStart {
    /// The session the pacer sounds follow, if any.
    pub schedule: Option<Arc<Schedule>>,
    /// Volumes and sound choices.
    pub settings: MixSettings,
    /// Never open a sound device (the app stays silent on the same clock).
    pub force_silent: bool,
}

/// The app's link to the running mix.
#[derive(Resource, Debug)]
pub struct AudioLink {
    commands: Sender<Command>,
    /// The mix's clock.
    pub clock: Arc<ClockShared>,
    /// Whether sound reaches a device.
    pub audible: bool,
    last_listener: Option<Listener>,
    scene_generation: u32,
    graveyard: Option<Mutex<Receiver<Bed>>>,
    /// The volumes and choices the mix has now.
    pub settings: MixSettings,
}

impl AudioLink {
    /// A link that sends to `commands` and reads `clock`.
    pub fn new(commands: Sender<Command>, clock: Arc<ClockShared>, audible: bool) -> Self {
        Self {
            settings: MixSettings::default(),
            commands,
            clock,
            audible,
            last_listener: None,
            scene_generation: 0,
            graveyard: None,
        }
    }

    /// Sends a command to the mix; a mix that has gone away is ignored.
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Listener(_) => "Listener",
            Command::Nature(_) => "Nature",
            Command::Settings(_) => "Settings",
            Command::Pause => "Pause",
            Command::Resume => "Resume",
            Command::Stop => "Stop",
        })
    }
}

impl std::fmt::Debug for ClockShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClockShared")
            .field("now", &self.read())
            .finish()
    }
}

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, start_audio)
        .add_systems(Update, follow_scene.in_set(AppSet::Animate))
        .add_systems(Update, (follow_flow, volume_keys).in_set(AppSet::Input))
        // After the camera's final pose of the frame is propagated, so the
        // sound is placed for the head the picture is drawn from.
        .add_systems(
            PostUpdate,
            follow_head.after(bevy::transform::TransformSystems::Propagate),
        )
        .add_systems(Last, fade_out_on_exit);
}

/// The sounds a scene places, with heights taken from its terrain.
pub fn scene_sounds(scene: &SceneFile) -> Vec<PlacedSound> {
    let shape = TerrainShape::new(&scene.terrain, scene.seed);
    scene
        .sounds
        .iter()
        .enumerate()
        .map(|(i, sound)| {
            let (x, height, z) = sound.position_m;
            PlacedSound {
                kind: sound_kind(sound.kind),
                emitter: Emitter {
                    position: [x, shape.height_at(x, z) + height, z],
                    gain_db: sound.gain_db,
                    size_m: sound.size_m,
                },
                seed: scene.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            }
        })
        .collect()
}

/// The listener seated at the scene's viewpoint, facing its heading: the
/// fixed pose of offline renders.
pub fn seated_listener(scene: &SceneFile) -> Listener {
    let shape = TerrainShape::new(&scene.terrain, scene.seed);
    let (x, z) = scene.viewpoint.position_m;
    let eye = shape.height_at(x, z) + scene.viewpoint.eye_height_m;
    // Headings are clockwise from north; yaw turns counter-clockwise.
    Listener::from_yaw([x, eye, z], -scene.viewpoint.heading_deg.to_radians())
}

/// The exact mix of `scene` and its session over `seconds`, offline, heard
/// from the seat: interleaved stereo at [`SAMPLE_RATE_HZ`].
pub fn render_scene(
    scene: &SceneFile,
    guide: Option<&crate::breath::Guide>,
    settings: MixSettings,
    seconds: f64,
) -> Vec<f32> {
    let frames = (seconds * f64::from(SAMPLE_RATE_HZ)).round() as usize;
    engine::render_offline(
        &scene_sounds(scene),
        guide.map(|g| g.schedule.clone()),
        settings,
        seated_listener(scene),
        frames,
    )
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
/// same clock when there is none (said once).
fn start_audio(world: &mut World) {
    let Some(start) = world.get_resource::<AudioStart>().cloned() else {
        return;
    };
    let (tx, rx) = channel();
    let listener = Listener::from_yaw([0.0, 1.2, 0.0], 0.0);
    // Room for a few faded scenes between two frames of the app.
    let (graves, graveyard) = sync_channel(4);
    let mixer = Mixer::new(&[], start.schedule.clone(), start.settings, listener)
        .with_commands(rx)
        .with_graveyard(graves);
    let clock = mixer.clock();
    let (output, why_silent) = output::start(mixer, start.force_silent);
    if let Some(why) = why_silent {
        warn!("{why}: Stillpoint runs silently, on the same clock");
    }
    // Samples wait in the device's buffer after the mix counts them; the
    // picture waits as long.
    let buffered = output.buffer_latency().as_micros() as u64;
    if let Some(mut clock) = world.get_resource_mut::<crate::clock::SessionClock>() {
        clock.latency += buffered;
    }
    let mut link = AudioLink::new(tx, clock, output.is_audible());
    link.settings = start.settings;
    link.graveyard = Some(Mutex::new(graveyard));
    world.insert_resource(link);
    world.insert_non_send(output);
}

/// A newly shown scene brings its sounds, crossfaded in.
fn follow_scene(link: Option<ResMut<AudioLink>>, current: Res<CurrentScene>) {
    let Some(mut link) = link else { return };
    // Scene sounds the mix has finished with are freed here.
    if let Some(graveyard) = link.graveyard.as_ref().and_then(|g| g.lock().ok()) {
        while graveyard.try_recv().is_ok() {}
    }
    if current.generation == link.scene_generation {
        return;
    }
    link.scene_generation = current.generation;
    if let Some(scene) = &current.shown {
        link.send(Command::Nature(Bed::new(&scene_sounds(scene))));
    }
}

/// The camera is the listener's head.
fn follow_head(
    link: Option<ResMut<AudioLink>>,
    cameras: Query<&GlobalTransform, With<ViewCamera>>,
) {
    let (Some(mut link), Ok(camera)) = (link, cameras.single()) else {
        return;
    };
    let listener = listener_from(camera);
    if link.last_listener != Some(listener) {
        link.last_listener = Some(listener);
        link.send(Command::Listener(listener));
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

/// One press of `-` or `+`: a tenth of the default volume.
pub const VOLUME_STEP: f32 = 0.1;

/// `-` and `+` (or `=`) make everything quieter or louder, within 0 to 2;
/// `M` switches mono sound. Each change glides in the mix.
fn volume_keys(keys: Option<Res<ButtonInput<KeyCode>>>, link: Option<ResMut<AudioLink>>) {
    let (Some(keys), Some(mut link)) = (keys, link) else {
        return;
    };
    let mut settings = link.settings;
    if keys.just_pressed(KeyCode::Minus) || keys.just_pressed(KeyCode::NumpadSubtract) {
        settings.master = (settings.master - VOLUME_STEP).max(0.0);
    }
    if keys.just_pressed(KeyCode::Equal) || keys.just_pressed(KeyCode::NumpadAdd) {
        settings.master = (settings.master + VOLUME_STEP).min(crate::settings::MAX_VOLUME);
    }
    if keys.just_pressed(KeyCode::KeyM) {
        settings.mono = !settings.mono;
    }
    if settings != link.settings {
        // Rounded to the step, so repeated presses land on round numbers.
        settings.master = (settings.master / VOLUME_STEP).round() * VOLUME_STEP;
        info!(
            "volume {:.1}, {}",
            settings.master,
            if settings.mono { "mono" } else { "stereo" }
        );
        link.settings = settings;
        link.send(Command::Settings(settings));
    }
}

/// Pausing fades the sound out and holds the session's place; resuming
/// fades back in.
fn follow_flow(link: Option<Res<AudioLink>>, flow: Res<State<Flow>>) {
    let Some(link) = link else { return };
    if flow.is_changed() && !flow.is_added() {
        link.send(match flow.get() {
            Flow::Paused => Command::Pause,
            Flow::Running => Command::Resume,
        });
    }
}

/// Closing the app fades the sound out instead of cutting it.
fn fade_out_on_exit(link: Option<Res<AudioLink>>, mut exits: MessageReader<AppExit>) {
    let Some(link) = link else { return };
    if exits.read().next().is_some() {
        link.send(Command::Stop);
        if link.audible {
            std::thread::sleep(Duration::from_secs_f32(STOP_FADE_S + 0.05));
        }
    }
}
