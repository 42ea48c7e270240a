//! A line in the log every two seconds saying how the headset session
//! stands, written from the [`SessionSnapshot`] (with the frames, the head
//! and the listener the mix renders for): what someone watching the log,
//! and the headset tests, read.

use std::time::Duration;

use bevy::prelude::*;

use super::session::HeadsetStatus;
use crate::audio::MixClock;
use crate::seating;
use crate::state::{Presentation, SessionSnapshot};
use crate::view::ViewCamera;

/// How often the headset's state is written to the log.
const REPORT_EVERY: Duration = Duration::from_secs(2);

/// Writes the report line.
pub(super) fn report(
    time: Res<Time<Real>>,
    status: Res<HeadsetStatus>,
    snapshot: Res<SessionSnapshot>,
    cameras: Query<&GlobalTransform, With<ViewCamera>>,
    mix: Option<Res<MixClock>>,
    mut last: Local<Duration>,
) {
    let elapsed = time.elapsed();
    if elapsed < *last + REPORT_EVERY {
        return;
    }
    *last = elapsed;
    // The desktop camera is the head: it follows the headset while there
    // is one, and is the view once the window takes over.
    let head = cameras
        .single()
        .map(|c| c.compute_transform())
        .unwrap_or_default();
    let yaw = seating::yaw_of(head.rotation).to_degrees();
    let (heard_at, heard_facing) = mix.as_ref().map(|m| m.0.heard_from()).unwrap_or_default();
    let listener_yaw = seating::yaw_of_forward(Vec3::from_array(heard_facing)).to_degrees();
    let p = head.translation;
    let phase = snapshot.guide.as_ref().map_or("none".to_owned(), |g| {
        format!("{:?}", g.phase).to_lowercase()
    });
    let into = snapshot.guide.as_ref().map_or(0.0, |g| g.into as f64 / 1e6);
    info!(
        "headset report: frames {} submitted {} focused {} view {} flow {:?} paused {} session {:.3} guide {:.3} phase {} head {:.3} {:.3} {:.3} yaw {:.2} listener {:.3} {:.3} {:.3} yaw {:.2}",
        status.frames_waited,
        status.frames_submitted(),
        status.focused(),
        match snapshot.presentation {
            Presentation::Desktop => "window",
            Presentation::Headset => "headset",
        },
        snapshot.flow,
        snapshot.paused_for,
        snapshot.elapsed as f64 / 1e6,
        into,
        phase,
        p.x,
        p.y,
        p.z,
        yaw,
        heard_at[0],
        heard_at[1],
        heard_at[2],
        listener_yaw,
    );
}
