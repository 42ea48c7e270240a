//! Where the person sits in the headset, and the comfort limits of what is
//! placed around them. Plain math, no runtime: the headset places its
//! tracking root with it, the pacer and the headset's panel keep to its
//! limits.
//!
//! The tracking root carries the headset's reference space into the scene:
//! `root * head` is the head in the scene. Seated, the root puts the origin
//! of the runtime's local space (the head where the session began) at the
//! scene's eye, facing the scene's heading. Recentring folds the head's
//! current offset and turn into the root, so the person ends up at the eye,
//! facing the view; their own pitch and roll are never touched.

use bevy::math::{Isometry3d, Quat, Vec3};

/// Nothing is placed closer to the eyes than this, metres.
pub const MIN_DISTANCE_M: f32 = 0.5;
/// The pacer's distance in the headset: about arm's length and a little
/// more, metres.
pub const PACER_DISTANCE_M: (f32, f32) = (1.0, 1.5);
/// How far below eye level the pacer sits in the headset, metres.
const PACER_BELOW_EYE_M: (f32, f32) = (0.1, 0.35);
/// The smallest angle a line of text may take in the headset, degrees.
pub const MIN_TEXT_DEG: f32 = 1.5;

/// The caption panel in the headset: a texture of this many pixels...
pub(crate) const PANEL_PX: (u32, u32) = (1024, 160);
/// ...shown this many metres wide, so one pixel is the same size both ways.
pub(crate) const PANEL_WIDTH_M: f32 = 1.1;
/// The caption's font size on the panel, pixels.
pub(crate) const PANEL_FONT_PX: f32 = 60.0;
/// How far below the pacer the caption panel hangs, metres.
const PANEL_BELOW_PACER_M: f32 = 0.22;
/// A capital letter's height as a share of the font size (the UI font's cap
/// height is 0.69 of its em).
const CAP_HEIGHT_PER_EM: f32 = 0.69;

/// The panel's height, metres.
pub(crate) fn panel_height_m() -> f32 {
    PANEL_WIDTH_M * PANEL_PX.1 as f32 / PANEL_PX.0 as f32
}

/// The angle a capital letter on the panel takes at `distance_m`, degrees.
pub fn text_angle_deg(distance_m: f32) -> f32 {
    let metres_per_px = PANEL_WIDTH_M / PANEL_PX.0 as f32;
    let cap_m = PANEL_FONT_PX * CAP_HEIGHT_PER_EM * metres_per_px;
    (2.0 * (cap_m / 2.0 / distance_m).atan()).to_degrees()
}

/// The pacer's place in the headset for a scene's chosen distance and
/// height: kept within the comfortable band.
pub(crate) fn pacer_offset(distance_m: f32, below_eye_m: f32) -> Vec3 {
    let d = distance_m.clamp(PACER_DISTANCE_M.0, PACER_DISTANCE_M.1);
    let below = below_eye_m.clamp(PACER_BELOW_EYE_M.0, PACER_BELOW_EYE_M.1);
    Vec3::new(0.0, -below, -d)
}

/// The caption panel's place, below the pacer and as far away.
pub(crate) fn panel_offset(pacer: Vec3) -> Vec3 {
    pacer - Vec3::Y * PANEL_BELOW_PACER_M
}

/// The turn about the vertical of a head facing `rotation`, radians: the
/// yaw alone, with pitch and roll dropped.
pub fn yaw_of(rotation: Quat) -> f32 {
    let forward = rotation * Vec3::NEG_Z;
    if forward.x * forward.x + forward.z * forward.z > 1e-6 {
        yaw_of_forward(forward)
    } else {
        // Looking straight up or down: the top of the head points the way
        // the face would.
        let up = rotation * Vec3::Y;
        yaw_of_forward(if forward.y > 0.0 { -up } else { up })
    }
}

/// The turn about the vertical of a facing direction, radians: 0 facing
/// -Z, positive turning left (towards -X).
pub(crate) fn yaw_of_forward(forward: Vec3) -> f32 {
    (-forward.x).atan2(-forward.z)
}

/// The scene's seat: at `eye`, facing `heading_deg` (clockwise from north,
/// the scene files' convention).
pub fn seat(eye: Vec3, heading_deg: f32) -> Isometry3d {
    Isometry3d::new(eye, Quat::from_rotation_y(-heading_deg.to_radians()))
}

/// The tracking root that seats the person: with no recentring, the
/// reference space's origin at the seat; recentred on `head` (the head in
/// the reference space when the person asked), the head's offset and turn
/// taken out, so that head is at the seat, facing the scene's view.
pub(crate) fn tracking_root(seat: Isometry3d, head: Option<Isometry3d>) -> Isometry3d {
    let Some(head) = head else { return seat };
    let taken_out = Isometry3d::new(
        head.translation,
        Quat::from_rotation_y(yaw_of(head.rotation)),
    );
    seat * taken_out.inverse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::FRAC_PI_2;

    fn head(x: f32, y: f32, z: f32, yaw: f32, pitch: f32) -> Isometry3d {
        Isometry3d::new(
            Vec3::new(x, y, z),
            Quat::from_rotation_y(yaw) * Quat::from_rotation_x(pitch),
        )
    }

    #[test]
    fn recentring_puts_the_head_at_the_seat_facing_the_view() {
        let seat = seat(Vec3::new(3.0, 11.5, -2.0), 40.0);
        for h in [
            head(0.0, 0.0, 0.0, 0.0, 0.0),
            head(0.3, -0.2, 0.5, 1.2, 0.3),
            head(-1.0, 0.4, -0.7, -2.9, -0.5),
        ] {
            let root = tracking_root(seat, Some(h));
            let in_scene = root * h;
            assert!(
                in_scene.translation.abs_diff_eq(seat.translation, 1e-4),
                "{} vs {}",
                in_scene.translation,
                seat.translation
            );
            let yaw = yaw_of(in_scene.rotation);
            assert!(
                (yaw - yaw_of(seat.rotation)).abs() < 1e-4,
                "faces {yaw} not {}",
                yaw_of(seat.rotation)
            );
            // The person's own pitch is kept: the world turns about the
            // vertical only.
            let pitch = |t: Isometry3d| (t.rotation * Vec3::NEG_Z).y;
            assert!((pitch(in_scene) - pitch(h)).abs() < 1e-4);
            // The root never tilts the horizon.
            assert!((root.rotation * Vec3::Y).abs_diff_eq(Vec3::Y, 1e-5));
        }
    }

    #[test]
    fn without_recentring_the_origin_is_the_seat() {
        let seat = seat(Vec3::new(1.0, 2.0, 3.0), -90.0);
        assert_eq!(tracking_root(seat, None), seat);
        let facing = seat.rotation * Vec3::NEG_Z;
        assert!(facing.abs_diff_eq(Vec3::NEG_X, 1e-5), "{facing}");
    }

    #[test]
    fn yaw_ignores_pitch_and_roll_and_survives_looking_straight_up() {
        let q =
            Quat::from_rotation_y(0.7) * Quat::from_rotation_x(0.4) * Quat::from_rotation_z(0.3);
        assert!((yaw_of(q) - 0.7).abs() < 1e-4, "{}", yaw_of(q));
        let up = Quat::from_rotation_y(0.7) * Quat::from_rotation_x(FRAC_PI_2);
        assert!((yaw_of(up) - 0.7).abs() < 1e-3, "{}", yaw_of(up));
        let down = Quat::from_rotation_y(-0.7) * Quat::from_rotation_x(-FRAC_PI_2);
        assert!((yaw_of(down) + 0.7).abs() < 1e-3, "{}", yaw_of(down));
    }

    #[test]
    fn the_pacer_stays_within_the_comfortable_band() {
        for (distance, below) in [(0.2, 0.0), (1.5, 0.2), (3.0, 1.0), (1.2, 0.25)] {
            let at = pacer_offset(distance, below);
            let d = -at.z;
            assert!(
                (PACER_DISTANCE_M.0..=PACER_DISTANCE_M.1).contains(&d),
                "{d}"
            );
            assert!(at.y < 0.0 && -at.y <= PACER_BELOW_EYE_M.1, "{}", at.y);
            assert!(at.length() >= MIN_DISTANCE_M);
            let panel = panel_offset(at);
            assert!(panel.length() >= MIN_DISTANCE_M);
        }
        assert_eq!(pacer_offset(1.2, 0.25), Vec3::new(0.0, -0.25, -1.2));
    }

    #[test]
    fn caption_text_is_at_least_one_and_a_half_degrees_tall_at_its_farthest() {
        let farthest = pacer_offset(f32::MAX, f32::MAX);
        let panel = panel_offset(farthest);
        let angle = text_angle_deg(panel.length());
        assert!(angle >= MIN_TEXT_DEG, "{angle} degrees");
        // And not a billboard: under 4 degrees at the nearest.
        let nearest = panel_offset(pacer_offset(0.0, 0.0));
        assert!(text_angle_deg(nearest.length()) < 4.0);
        // The panel's pixels are square.
        let px_w = PANEL_WIDTH_M / PANEL_PX.0 as f32;
        let px_h = panel_height_m() / PANEL_PX.1 as f32;
        assert!((px_w - px_h).abs() < 1e-7);
    }
}
