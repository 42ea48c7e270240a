//! A headset frame without a runtime: the whole app as it runs in the
//! headset (the same plugins, and the headset's frame systems), on a bare
//! Bevy with no window and no GPU, with two eye cameras that the caller
//! moves as a runtime would, and the mix's clock driven by hand.
//!
//! The headset benchmark measures our own time per frame with it, and the
//! headless tests check the headset's systems with it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bevy::prelude::*;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::XrTrackingRoot;

use crate::audio::AudioLink;
use crate::audio::MixClock;
use crate::audio::engine::{MixSettings, MixerEnd};
use crate::audio::sample_clock::ClockShared;
use crate::audio::spatial::Listener;
use crate::breath::{Guide, Rhythm};
use crate::scene::CurrentScene;
use crate::state::{AppState, Listening, Presentation};

/// The frame the harness steps: 90 frames a second, a headset's rate.
pub const FRAME: Duration = Duration::from_nanos(11_111_111);

/// The app, the mix's clock it reads, and the mix's ends of its links.
pub struct Harness {
    /// The app.
    pub app: App,
    /// The clock a mix would publish.
    pub clock: Arc<ClockShared>,
    /// What the app sends a mix.
    pub mix: MixerEnd,
    /// The last listener the app left for the mix.
    pub listener: Option<Listener>,
    frames: u64,
}

pub use super::bare_app;
pub use crate::xr::single_threaded;

impl Harness {
    /// The app in headset mode on the scene `file` of `folder`, with a
    /// resonance session, and the head at the seat.
    pub fn new(folder: &Path, file: &str) -> Self {
        let mut app = bare_app(folder, FRAME, false);
        let guide = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
        app.insert_resource(AppState::new(
            file,
            Some(guide),
            Listening::default(),
            Presentation::Headset,
        ))
        .insert_resource(CurrentScene::new(file));
        app.add_plugins(super::StillpointPlugins::default());
        crate::xr::frame_plugin(&mut app);
        let (ends, mix) = crate::audio::engine::mix_link();
        let clock = ClockShared::new();
        app.insert_resource(AudioLink::new(
            ends,
            clock.clone(),
            false,
            MixSettings::default(),
            2,
            0,
        ))
        .insert_resource(MixClock(clock.clone()));
        let root = app.world_mut().spawn(XrTrackingRoot).id();
        for eye in 0..2 {
            app.world_mut()
                .spawn((XrCamera(eye), Transform::default(), ChildOf(root)));
        }
        Self {
            app,
            clock,
            mix,
            listener: None,
            frames: 0,
        }
    }

    /// For an exposure scene: the hierarchy from `step` (from 0), the pacer
    /// off, as the app starts one.
    pub fn at_step(mut self, step: usize) -> Self {
        let world = self.app.world_mut();
        if let Some(state) = world.remove_resource::<AppState>() {
            world.insert_resource(state.for_exposure(step));
        }
        self
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
    /// the listener it left for the mix is taken.
    pub fn step(&mut self) {
        self.frames += 1;
        let samples = self.frames * 48_000 / 90;
        self.clock.publish(samples, samples, true);
        self.app.update();
        if let Some(listener) = self.mix.listener.take() {
            self.listener = Some(listener);
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
