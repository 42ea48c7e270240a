//! Our own steps of the runtime's frame loop, in place of those of
//! `bevy_mod_openxr` that unwrap their results: the event poll and the frame
//! wait in the app's world, and in the render world beginning a frame and
//! taking, waiting for and giving back the swapchain image.
//!
//! **Invariant:** the runtime never takes the app down and never hangs it.
//! A lost instance or session, or a runtime failure, in any step marks the
//! runtime gone ([`RuntimeAlive`], shared by both worlds); nothing more is
//! asked of it and the window takes over. Waiting for an image has a limit;
//! an image index from the runtime is checked before it is used.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bevy::ecs::system::SystemId;
use bevy::prelude::*;
use bevy::render::texture::ManualTextureViews;
use bevy::render::{Render, RenderApp};
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::poll_events::OxrEventIn;
use bevy_mod_openxr::render::OxrWaitFrameSystem;
use bevy_mod_openxr::resources::{
    OxrCurrentSessionConfig, OxrFrameState, OxrFrameStream, OxrFrameWaiter, OxrInstance,
    OxrSwapchain, OxrSwapchainImages,
};
use bevy_mod_xr::session::{XrFirst, XrHandleEvents, XrRenderSystems};

use super::session::{HeadsetStatus, RuntimeAlive, track_session};

/// The longest the render thread waits for the runtime to hand back an
/// image before it counts the runtime as gone: a compositor that has stopped
/// never hands it back, and the wait would hold the app for ever.
const IMAGE_WAIT: Duration = Duration::from_millis(500);

/// The event handlers our poll hands each runtime event to: the runtime
/// plugin's state tracking, then ours.
#[derive(Resource, Clone, Copy)]
struct EventHandlers([SystemId<OxrEventIn<'static>>; 2]);

/// The frames handed to the runtime, in the render world.
#[derive(Resource, Clone)]
struct SubmittedFrames(Arc<AtomicU64>);

/// The render world's frame steps, in place of the runtime plugin's.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FrameSteps {
    /// Begin the frame, take the swapchain image, place the views.
    Begin,
    /// Give the image back and end the frame.
    End,
}

/// Puts our steps in place of the runtime plugin's.
pub(super) fn plugin(app: &mut App) {
    let handlers = [
        app.register_system(bevy_mod_openxr::init::handle_events),
        app.register_system(track_session),
    ];
    app.insert_resource(EventHandlers(handlers))
        .configure_sets(XrFirst, XrHandleEvents::Poll.run_if(never))
        .add_systems(
            XrFirst,
            (
                poll_events
                    .before(XrHandleEvents::ExitEvents)
                    .run_if(bevy_mod_openxr::openxr_session_available),
                wait_frame
                    .run_if(should_run_frame_loop)
                    .in_set(OxrWaitFrameSystem)
                    .in_set(XrHandleEvents::FrameLoop),
            ),
        );
    let status = app.world().resource::<HeadsetStatus>();
    let (submitted, alive) = (status.submitted.clone(), status.alive.clone());
    if let Some(render) = app.get_sub_app_mut(RenderApp) {
        render
            .insert_resource(SubmittedFrames(submitted))
            .insert_resource(alive)
            // The runtime plugin's own view placing and frame ending (which
            // only log) are kept, in the same order.
            .configure_sets(
                Render,
                (XrRenderSystems::PreRender, XrRenderSystems::PostRender).run_if(never),
            )
            .configure_sets(
                Render,
                (
                    FrameSteps::Begin
                        .after(XrRenderSystems::HandleEvents)
                        .before(bevy::render::RenderSystems::PrepareViews)
                        .before(bevy::render::RenderSystems::PrepareAssets),
                    FrameSteps::End
                        .after(bevy::render::RenderSystems::Render)
                        .before(bevy::render::RenderSystems::Cleanup),
                ),
            )
            .add_systems(
                Render,
                (
                    (
                        begin_frame,
                        take_image,
                        bevy_mod_openxr::render::locate_views,
                        bevy_mod_openxr::render::update_views_render_world,
                        wait_image,
                    )
                        .chain()
                        .in_set(FrameSteps::Begin),
                    (
                        give_image,
                        bevy_mod_openxr::render::end_frame,
                        count_submitted,
                    )
                        .chain()
                        .in_set(FrameSteps::End),
                )
                    .run_if(should_run_frame_loop)
                    .run_if(runtime_answers),
            );
    }
}

fn never() -> bool {
    false
}

fn runtime_answers(alive: Res<RuntimeAlive>) -> bool {
    alive.answers()
}

/// What a failed step means: a lost instance or session, or a failed
/// runtime, is the runtime gone; anything else is said and the frame goes on.
fn step_failed(alive: &RuntimeAlive, step: &str, error: &dyn std::fmt::Display, lost: bool) {
    if lost {
        alive.gone();
        warn!("headset: the runtime failed to {step} ({error})");
    } else {
        error!("headset: could not {step} ({error})");
    }
}

fn is_loss(result: openxr::sys::Result) -> bool {
    use openxr::sys::Result as R;
    matches!(
        result,
        R::ERROR_INSTANCE_LOST | R::ERROR_SESSION_LOST | R::ERROR_RUNTIME_FAILURE
    )
}

/// Hands every pending runtime event to the handlers; a runtime that fails
/// to answer ends the headset session.
fn poll_events(world: &mut World) {
    let Some(instance) = world.get_resource::<OxrInstance>().cloned() else {
        return;
    };
    if world.resource::<HeadsetStatus>().broken() {
        return;
    }
    let handlers = *world.resource::<EventHandlers>();
    let mut buffer = openxr::EventDataBuffer::default();
    loop {
        match instance.poll_event(&mut buffer) {
            Ok(Some(event)) => {
                for handler in &handlers.0 {
                    if let Err(e) = world.run_system_with(*handler, event) {
                        error!("a headset event handler failed: {e}");
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                world
                    .resource_mut::<HeadsetStatus>()
                    .lose(format!("the runtime stopped answering ({e})"), true);
                break;
            }
        }
    }
}

/// Waits for the runtime's next frame; an error ends the headset session.
fn wait_frame(
    mut waiter: ResMut<OxrFrameWaiter>,
    mut status: ResMut<HeadsetStatus>,
    mut commands: Commands,
) {
    if status.broken() {
        return;
    }
    match waiter.wait() {
        Ok(state) => {
            status.frames_waited += 1;
            commands.insert_resource(OxrFrameState(state));
        }
        Err(e) => status.lose(format!("the runtime stopped giving frames ({e})"), true),
    }
}

fn count_submitted(frames: Res<SubmittedFrames>) {
    frames.0.fetch_add(1, Ordering::Relaxed);
}

fn begin_frame(mut stream: ResMut<OxrFrameStream>, alive: Res<RuntimeAlive>) {
    if let Err(e) = stream.begin() {
        step_failed(&alive, "begin a frame", &e, is_loss(e));
    }
}

/// The image with the runtime's `index`, if the runtime gave that many.
fn image_at<T>(images: &[T], index: u32) -> Option<&T> {
    usize::try_from(index).ok().and_then(|i| images.get(i))
}

/// Whether a wait for the image that returned `result` after `took` means
/// the runtime has stopped: it failed, or (as the `openxr` crate reports a
/// wait that ran out as a success) it took the whole limit.
fn image_wait_failed<E: std::fmt::Display>(
    result: &Result<(), E>,
    took: Duration,
) -> Option<String> {
    match result {
        Err(e) => Some(e.to_string()),
        Ok(()) if took >= IMAGE_WAIT => Some(format!("no answer in {} ms", IMAGE_WAIT.as_millis())),
        Ok(()) => None,
    }
}

fn take_image(
    images: Res<OxrSwapchainImages>,
    mut swapchain: ResMut<OxrSwapchain>,
    mut views: ResMut<ManualTextureViews>,
    config: Res<OxrCurrentSessionConfig>,
    frame: Res<OxrFrameState>,
    alive: Res<RuntimeAlive>,
) {
    if !frame.should_render || !alive.answers() {
        return;
    }
    match swapchain.acquire_image() {
        // The index is the runtime's word: one past the images it gave us
        // would panic here, so it is checked.
        Ok(index) => match image_at(&images, index) {
            Some(image) => {
                for eye in 0..2 {
                    bevy_mod_openxr::render::add_texture_view(&mut views, image, &config, eye);
                }
            }
            None => step_failed(
                &alive,
                "give an image to draw",
                &format!("image {index} of {}", images.len()),
                true,
            ),
        },
        Err(e) => step_failed(&alive, "give an image to draw", &e, true),
    }
}

/// Waits, at most [`IMAGE_WAIT`], for the image to be free to draw into. The
/// `openxr` crate reports a wait that ran out as a success, so a wait that
/// took the whole limit is taken for one: the runtime has stopped.
fn wait_image(
    mut swapchain: ResMut<OxrSwapchain>,
    frame: Res<OxrFrameState>,
    alive: Res<RuntimeAlive>,
) {
    if !frame.should_render || !alive.answers() {
        return;
    }
    let limit = openxr::Duration::from_nanos(IMAGE_WAIT.as_nanos() as i64);
    let started = Instant::now();
    let result = swapchain.wait_image(limit);
    if let Some(why) = image_wait_failed(&result, started.elapsed()) {
        step_failed(&alive, "let the image be drawn", &why, true);
    }
}

fn give_image(
    mut swapchain: ResMut<OxrSwapchain>,
    frame: Res<OxrFrameState>,
    alive: Res<RuntimeAlive>,
) {
    if frame.should_render
        && alive.answers()
        && let Err(e) = swapchain.release_image()
    {
        step_failed(&alive, "take the drawn image", &e, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_index_past_the_images_is_refused() {
        let images = [10, 11, 12];
        assert_eq!(image_at(&images, 2), Some(&12));
        assert_eq!(image_at(&images, 3), None);
        assert_eq!(image_at(&images, u32::MAX), None);
    }

    #[test]
    fn a_wait_that_takes_the_whole_limit_or_fails_is_the_runtime_gone() {
        let quick = Duration::from_millis(3);
        let fine: Result<(), openxr::sys::Result> = Ok(());
        assert_eq!(image_wait_failed(&fine, quick), None);
        let ran_out = image_wait_failed(&fine, IMAGE_WAIT).expect("counted as gone");
        assert!(ran_out.contains("no answer in 500 ms"), "{ran_out}");
        let lost = Err(openxr::sys::Result::ERROR_SESSION_LOST);
        assert!(image_wait_failed(&lost, quick).is_some());
        // Never waited for without limit.
        assert!(IMAGE_WAIT <= Duration::from_secs(1));
    }
}
