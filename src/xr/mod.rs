//! The headset: OpenXR through `bevy_mod_openxr`, with the person seated at
//! the scene's eye, the head as the listener, the pacer and a panel
//! world-locked in front of them, controller pulses per phase, focus
//! pauses, and a fall back to the desktop window when the runtime goes
//! away. Only this module touches OpenXR.
//!
//! **Invariants:** nothing but the person's own head moves their viewpoint
//! (recentring is theirs to ask for, and once at the start); the session
//! pauses whenever the headset is not focused; a runtime that stops
//! answering ends the headset session without ending (or hanging) the app.
//!
//! The decisions (which mode, where the seat is, which pulses) are pure
//! functions in [`probe`], [`crate::seat`] and [`haptics`]. The rest:
//! [`runtime`] (our frame steps and event poll), [`session`] (session
//! states, focus, the fall back), [`seating`] (head, root, mirror),
//! [`eyes`] (the eye cameras), [`controls`] (controllers, as intents),
//! and [`report`] (the log line); `app::harness` runs a headset frame on bare
//! Bevy.

mod controls;
mod eyes;
mod haptics;
pub(crate) mod probe;
mod report;
mod runtime;
mod seating;
mod session;

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::transform::TransformSystems;

use eyes::EyeScreenshot;
pub use seating::SeatState;
pub use session::HeadsetStatus;

use crate::frame::AppSet;
use crate::view::CameraPlaced;

/// Where the head is read from the eyes and everything placed from it.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct HeadSystems;

/// How the headset runs.
#[derive(Debug, Clone, Default)]
pub struct HeadsetOptions {
    /// Each eye's image size in pixels; the runtime's recommendation when
    /// not given.
    pub(crate) eye_size: Option<(u32, u32)>,
    /// Controller pulses per breathing phase.
    pub(crate) haptics: bool,
    /// Save what the left eye sees, once the headset has shown 60 frames.
    pub(crate) eye_screenshot: Option<PathBuf>,
}

/// The headset's part of the app, configured: added only when the app is
/// built for the headset, after `bevy_mod_openxr`'s plugins
/// ([`with_openxr`]).
pub(crate) struct XrPlugin {
    /// How the headset runs.
    pub(crate) options: HeadsetOptions,
}

impl Plugin for XrPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(controls::HapticsOn(self.options.haptics));
        if let Some(path) = &self.options.eye_screenshot {
            app.insert_resource(EyeScreenshot::new(path.clone()));
        }
        if let Some((w, h)) = self.options.eye_size {
            app.insert_resource(bevy_mod_openxr::resources::OxrSessionConfig {
                resolutions: Some(vec![UVec2::new(w, h)]),
                ..default()
            });
        }
        plugin(app);
    }

    fn finish(&self, app: &mut App) {
        single_threaded(app);
    }
}

/// Bevy's plugins with OpenXR's: the runtime makes the graphics device,
/// the session is seated (local space), and the window stays as the mirror.
pub(crate) fn with_openxr(
    plugins: bevy::app::PluginGroupBuilder,
    window: WindowPlugin,
) -> bevy::app::PluginGroupBuilder {
    use bevy_mod_openxr::features::handtracking::HandTrackingPlugin;
    use bevy_mod_openxr::features::overlay::OxrOverlayPlugin;
    use bevy_mod_openxr::init::OxrInitPlugin;
    use bevy_mod_openxr::reference_space::OxrReferenceSpacePlugin;
    use bevy_mod_openxr::render::OxrRenderPlugin;
    use bevy_mod_openxr::types::AppInfo;
    bevy_mod_openxr::add_xr_plugins(plugins)
        .set(OxrInitPlugin {
            app_info: AppInfo {
                name: "Stillpoint".into(),
                version: bevy_mod_openxr::types::Version(0, 1, 0),
            },
            exts: default(),
            backends: None,
            synchronous_pipeline_compilation: false,
            render_debug_flags: default(),
        })
        .set(OxrReferenceSpacePlugin {
            default_primary_ref_space: openxr::ReferenceSpaceType::LOCAL,
        })
        // Our own frame wait, which outlives a runtime that goes away.
        .set(OxrRenderPlugin {
            spawn_cameras: true,
            default_wait_frame: false,
        })
        .disable::<HandTrackingPlugin>()
        .disable::<OxrOverlayPlugin>()
        // Ours, in place of the runtime plugin's transparent window.
        .set(window)
}

/// Everything the headset adds to the app. Added only when the app is built
/// for the headset, after `bevy_mod_openxr`'s plugins.
fn plugin(app: &mut App) {
    frame_plugin(app);
    // The runtime's events and frame waits go through our own systems,
    // which treat a runtime that stops answering as the end of the
    // headset session rather than a reason to stop the app.
    runtime::plugin(app);
    app.configure_sets(
        PostUpdate,
        HeadSystems.after(bevy_mod_openxr::render::update_views),
    );
    controls::plugin(app);
    app.add_systems(
        Update,
        eyes::take_eye_screenshot.run_if(resource_exists::<EyeScreenshot>),
    );
}

/// Runs every schedule of `app`'s main world on the calling thread, one
/// system after another. Our work per frame is small (about 0.3 ms, see the
/// headset benchmark); spread over threads, the hand-offs cost more than the
/// work (about 2 ms a frame on two cores), which a 90 Hz frame cannot spare.
/// Rendering keeps its own threads.
pub fn single_threaded(app: &mut App) {
    let mut schedules = app
        .world_mut()
        .resource_mut::<bevy::ecs::schedule::Schedules>();
    for (_, schedule) in schedules.iter_mut() {
        schedule.set_executor(bevy::ecs::schedule::SingleThreadedExecutor::new());
    }
}

/// The headset's part of every frame that needs no runtime: seating,
/// mirroring, the panel and the veil around the head, focus pauses, the
/// fall back to the window, and the report. The benchmark and the headless
/// tests run this with eye cameras of their own.
pub(crate) fn frame_plugin(app: &mut App) {
    app.insert_resource(HeadsetStatus::default())
        .init_resource::<SeatState>()
        .add_systems(
            Update,
            (
                session::follow_focus.in_set(AppSet::Input),
                (seating::place_root, eyes::dress_eye_cameras).in_set(AppSet::View),
                session::fall_back_to_desktop.in_set(AppSet::Ui),
                eyes::spare_renderer.after(AppSet::Ui),
                report::report.after(AppSet::Report),
            ),
        )
        .add_systems(PostStartup, eyes::choose_spare)
        .add_systems(
            PostUpdate,
            (
                seating::track_head_from_eyes.in_set(HeadSystems),
                seating::mirror_head.after(HeadSystems).in_set(CameraPlaced),
            )
                .before(TransformSystems::Propagate),
        )
        .add_systems(Last, session::note_closing);
    crate::overlay::panel::plugin(app);
}
