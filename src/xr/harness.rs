//! A headset frame without a runtime: the whole app as it runs in the
//! headset (scene, clock, pacer, sound link, overlays and every headset
//! system), on a bare Bevy with no window and no GPU, with two eye cameras
//! that the caller moves as a runtime would.
//!
//! The headset benchmark measures our own time per frame with it, and the
//! headless tests check the headset's systems with it.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use bevy::asset::AssetPlugin;
use bevy::input::InputPlugin;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy::time::TimeUpdateStrategy;
use bevy::transform::TransformPlugin;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::XrTrackingRoot;

use crate::audio::AudioLink;
use crate::audio::engine::{ClockShared, Command};
use crate::audio::spatial::Listener;
use crate::breath::{Guide, Rhythm};
use crate::pacer::ActiveGuide;
use crate::render::{PlantMaterial, WaterMaterial};
use crate::scene::{CurrentScene, SceneFolder};

/// The frame the harness steps: 90 frames a second, a headset's rate.
pub const FRAME: Duration = Duration::from_nanos(11_111_111);

/// The app, the mix's clock it reads, and what it sends to the mix.
pub struct Harness {
    /// The app.
    pub app: App,
    /// The clock a mix would publish.
    pub clock: Arc<ClockShared>,
    /// Commands the app sends to the mix.
    sent: Receiver<Command>,
    /// The last listener the app sent to the mix.
    pub listener: Option<Listener>,
    frames: u64,
}

/// Bevy alone, as the harness runs it: the baseline our time is measured
/// against.
pub fn bare_app(folder: &Path) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: folder.to_string_lossy().into_owned(),
            watch_for_changes_override: Some(false),
            ..default()
        },
        TransformPlugin,
        InputPlugin,
        StatesPlugin,
    ))
    .init_asset::<Mesh>()
    .init_asset::<StandardMaterial>()
    .init_asset::<Image>()
    .init_asset::<PlantMaterial>()
    .init_asset::<WaterMaterial>()
    .insert_resource(TimeUpdateStrategy::ManualDuration(FRAME));
    app
}

pub use super::single_threaded;

impl Harness {
    /// The app in headset mode on the scene `file` of `folder`, with a
    /// resonance session, and the head at the seat.
    pub fn new(folder: &Path, file: &str) -> Self {
        let mut app = bare_app(folder);
        crate::configure_sets(&mut app);
        let (tx, sent) = channel();
        let clock = ClockShared::new();
        app.insert_resource(SceneFolder {
            root: folder.to_path_buf(),
        })
        .insert_resource(CurrentScene::new(file))
        .insert_resource(ActiveGuide(Some(Guide::rhythm_only(
            Rhythm::resonance(),
            None,
            5.0,
        ))))
        .insert_resource(AudioLink::new(tx, clock.clone(), false));
        app.add_plugins((
            crate::clock::plugin,
            crate::scene::plugin,
            crate::render::animate,
            crate::view::plugin,
            crate::overlay::plugin,
            crate::audio::plugin,
            crate::pacer::plugin,
            super::frame_plugin,
        ));
        let root = app.world_mut().spawn(XrTrackingRoot).id();
        for eye in 0..2 {
            app.world_mut()
                .spawn((XrCamera(eye), Transform::default(), ChildOf(root)));
        }
        Self {
            app,
            clock,
            sent,
            listener: None,
            frames: 0,
        }
    }

    /// Places the eyes for a head at `head` (in the reference space), 64 mm
    /// apart.
    pub fn set_head(&mut self, head: Transform) {
        let world = self.app.world_mut();
        let mut eyes = world.query::<(&XrCamera, &mut Transform)>();
        for (eye, mut transform) in eyes.iter_mut(world) {
            let side = if eye.0 == 0 { -0.032 } else { 0.032 };
            *transform = head * Transform::from_xyz(side, 0.0, 0.0);
        }
    }

    /// One frame: the mix's clock moves on by a frame, the app updates, and
    /// what it sent the mix is taken.
    pub fn step(&mut self) {
        self.frames += 1;
        let samples = self.frames * 48_000 / 90;
        self.clock.publish(samples, samples, true);
        self.app.update();
        while let Ok(command) = self.sent.try_recv() {
            if let Command::Listener(listener) = command {
                self.listener = Some(listener);
            }
        }
    }

    /// Steps until the first scene is on screen (at most `limit` frames).
    pub fn until_shown(&mut self, limit: u32) -> bool {
        for _ in 0..limit {
            self.step();
            if self.app.world().resource::<CurrentScene>().generation > 0 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    }
}
