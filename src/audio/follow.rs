//! The followers: systems that follow the app's state into the mix (the
//! pause, volume and mono, the guided session, the scene on screen and its
//! step's sounds, exposure events, the head as the listener, the exit fade).

use std::time::Duration;

use bevy::prelude::*;

use super::engine::{self, Bed, Command, GuideChange};
use super::link::AudioLink;
use super::offline::{scene_sounds, shot_for};
use super::spatial::Listener;
use crate::scene::CurrentScene;
use crate::state::{AppState, Flow, Lifecycle};
use crate::view::ViewCamera;

/// The listener at a camera's pose.
pub(crate) fn listener_from(camera: &GlobalTransform) -> Listener {
    let forward = camera.forward();
    let up = camera.up();
    Listener {
        position: camera.translation().to_array(),
        forward: forward.to_array(),
        up: up.to_array(),
    }
}

/// Pausing fades the sound out and holds the session's place; going on
/// (running, or the session ended with the scene still there) fades back
/// in.
pub(super) fn follow_flow(link: Option<ResMut<AudioLink>>, flow: Res<State<Flow>>) {
    let Some(mut link) = link else { return };
    if flow.is_changed() && !flow.is_added() {
        link.send(match flow.get() {
            Flow::Paused => Command::Pause,
            Flow::Running | Flow::Ended => Command::Resume,
        });
    }
}

/// Volume and mono follow the person's choices, gliding in the mix.
pub(super) fn follow_listening(link: Option<ResMut<AudioLink>>, state: Res<AppState>) {
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

/// A guided session started, replaced or stopped reaches the mix with the
/// session time it takes effect at, so the sound changes at the same sample
/// as the picture.
pub(super) fn follow_guide(link: Option<ResMut<AudioLink>>, state: Res<AppState>) {
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

/// A newly shown scene brings its sounds, crossfaded in; sounds the mix has
/// finished with are freed here.
pub(super) fn follow_scene(link: Option<ResMut<AudioLink>>, current: Res<CurrentScene>) {
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
pub(super) fn follow_switches(
    link: Option<ResMut<AudioLink>>,
    on: Res<crate::scene::exposure::stage::SoundsOn>,
) {
    if let Some(mut link) = link
        && on.is_changed()
        && !on.is_added()
    {
        link.send(Command::Switches(on.0));
    }
}

/// Each exposure event fired is heard: a gust round the head, a creak
/// where the scene puts it, a bird's wings along its way.
pub(super) fn play_events(
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

/// The camera is the listener's head.
pub(super) fn follow_head(
    link: Option<ResMut<AudioLink>>,
    cameras: Query<&GlobalTransform, With<ViewCamera>>,
) {
    let (Some(mut link), Ok(camera)) = (link, cameras.single()) else {
        return;
    };
    link.place_listener(listener_from(camera));
}

/// Whatever waited for room in the mix's queue is tried again each frame.
pub(super) fn send_waiting(link: Option<ResMut<AudioLink>>) {
    if let Some(mut link) = link
        && link.bypass_change_detection().waiting() > 0
    {
        link.flush();
    }
}

/// Closing the app fades the sound out instead of cutting it.
pub(super) fn fade_out_on_exit(link: Option<ResMut<AudioLink>>, mut exits: MessageReader<AppExit>) {
    let Some(mut link) = link else { return };
    if exits.read().next().is_some() {
        link.send(Command::Stop);
        if link.audible {
            std::thread::sleep(Duration::from_secs_f32(engine::STOP_FADE_S + 0.05));
        }
    }
}
