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
//! [`report`] (the log line), [`harness`] (a headset frame on bare Bevy).

pub mod controls;
pub mod eyes;
pub mod haptics;
pub mod harness;
pub mod probe;
pub mod report;
pub mod runtime;
pub mod seating;
pub mod session;

use bevy::prelude::*;
use bevy::transform::TransformSystems;

pub use eyes::{EyeScreenshot, Spare};
pub use runtime::RuntimeAlive;
pub use seating::SeatState;
pub use session::HeadsetStatus;

use crate::frame::AppSet;
use crate::view::CameraPlaced;

/// Where the head is read from the eyes and everything placed from it.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeadSystems;

/// Everything the headset adds to the app. Added only when the app is built
/// for the headset, after `bevy_mod_openxr`'s plugins.
pub fn plugin(app: &mut App) {
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
pub fn frame_plugin(app: &mut App) {
    app.insert_resource(HeadsetStatus::default())
        .init_resource::<SeatState>()
        .add_systems(
            Update,
            (
                session::follow_focus.in_set(AppSet::Input),
                (
                    seating::place_root.after(crate::state::apply_intents),
                    eyes::dress_eye_cameras,
                )
                    .in_set(AppSet::View),
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
