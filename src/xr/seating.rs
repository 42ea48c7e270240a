//! Seating in the headset: the head read from the eyes the runtime places,
//! the tracking root at the scene's seat (recentred when asked, and once
//! at the first tracked pose), and the window's camera at the head, so the
//! window mirrors what the person sees and the sound is heard from there.
//!
//! **Invariant:** nothing but the person's own head moves their view. The
//! root moves with a new scene (behind the veil) and when the person asks
//! to recentre; recentring turns about the vertical only.

use bevy::prelude::*;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::XrTrackingRoot;

use crate::scene::spawn::SceneView;
use crate::seating;
use crate::state::{AppState, Intent, Presentation};
use crate::view::ViewCamera;

/// Where the person sits and how they last recentred.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct SeatState {
    /// The head in the reference space when the person last recentred.
    pub recentred_on: Option<Transform>,
    /// The head in the reference space this frame, once tracked.
    pub(crate) head: Option<Transform>,
    /// A recentre is asked for; done on the next tracked head pose.
    pub(crate) wanted: bool,
}

/// The head in the reference space, from the two eyes: between them,
/// facing as the first one does.
fn head_from_eyes(eyes: &Query<(&XrCamera, &Transform)>) -> Option<Transform> {
    let mut left = None;
    let mut right = None;
    for (camera, transform) in eyes {
        match camera.0 {
            0 => left = Some(*transform),
            1 => right = Some(*transform),
            _ => {}
        }
    }
    let left = left?;
    let middle = right.map_or(left.translation, |r| {
        (left.translation + r.translation) / 2.0
    });
    Some(Transform::from_translation(middle).with_rotation(left.rotation))
}

/// Reads the head from the eye cameras the runtime just placed.
pub(super) fn track_head_from_eyes(
    eyes: Query<(&XrCamera, &Transform)>,
    mut seat: ResMut<SeatState>,
) {
    let head = head_from_eyes(&eyes);
    if head.is_some() && seat.head.is_none() {
        // The first tracked pose seats the person, wherever they sit.
        seat.wanted = true;
    }
    seat.head = head;
}

/// Places the tracking root at the scene's seat, recentred as asked.
pub(super) fn place_root(
    view: Option<Res<SceneView>>,
    mut intents: MessageReader<Intent>,
    mut seat: ResMut<SeatState>,
    mut roots: Query<&mut Transform, With<XrTrackingRoot>>,
) {
    if intents.read().any(|i| matches!(i, Intent::Recentre)) {
        seat.wanted = true;
    }
    let Some(view) = view else { return };
    if seat.wanted
        && let Some(head) = seat.head
    {
        seat.wanted = false;
        seat.recentred_on = Some(head);
        info!("headset: recentred");
    }
    let root = Transform::from_isometry(seating::tracking_root(
        seating::seat(view.eye, view.heading_deg),
        seat.recentred_on.map(|head| head.to_isometry()),
    ));
    for mut transform in &mut roots {
        if *transform != root {
            *transform = root;
        }
    }
}

/// The window shows what the person sees: the desktop camera sits at the
/// head, between the eyes, looking where they look.
pub(super) fn mirror_head(
    seat: Res<SeatState>,
    state: Res<AppState>,
    roots: Query<&Transform, (With<XrTrackingRoot>, Without<ViewCamera>)>,
    mut cameras: Query<&mut Transform, With<ViewCamera>>,
) {
    let (Presentation::Headset, Some(head), Ok(root)) =
        (state.presentation(), seat.head, roots.single())
    else {
        return;
    };
    let pose = *root * head;
    for mut camera in &mut cameras {
        *camera = pose;
    }
}
