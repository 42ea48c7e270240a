//! The seated view on the desktop: the camera, mouse look, fullscreen and
//! the window title.
//!
//! **Invariant:** nothing moves the camera but the person. Mouse drags turn
//! the head; the horizon stays level (no roll) and the eye stays where the
//! scene seats it.

use bevy::camera::{Exposure, Hdr, RenderTarget};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::AccumulatedMouseMotion;
use bevy::pbr::{DistanceFog, FogFalloff};
use bevy::post_process::bloom::Bloom;
use bevy::prelude::*;
use bevy::render::renderer::RenderAdapterInfo;
use bevy::window::{PrimaryWindow, WindowMode};

use crate::frame::AppSet;
use crate::scene::spawn::SceneView;
use crate::state::{AppState, Place, Presentation};

/// Far clipping distance, metres: past the sky dome.
const FAR_M: f32 = 20_000.0;
/// How far a mouse drag turns the view, degrees per pixel.
const LOOK_DEG_PER_PIXEL: f32 = 0.12;
/// How far the person may look up or down, degrees.
const MAX_PITCH_DEG: f32 = 60.0;

/// The person's camera.
#[derive(Component, Debug)]
pub struct ViewCamera;

/// How the person has turned their head, relative to the scene's view.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct Look {
    /// Turn to the right, degrees.
    pub yaw_deg: f32,
    /// Turn upwards, degrees.
    pub(crate) pitch_deg: f32,
}

/// A camera that takes the scene's exposure and fog: the desktop camera
/// and the headset's eyes.
#[derive(Component, Debug, Default)]
pub(crate) struct SceneLook;

/// In `PostUpdate`, before transforms propagate: where the window's camera
/// takes its final pose of the frame (the headset moves it to the head
/// here). What follows the head is placed after it.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CameraPlaced;

/// Where the camera renders: the window, or an offscreen image.
#[derive(Resource, Debug, Clone)]
pub(crate) struct CameraTarget(pub(crate) RenderTarget);

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<Look>()
        .configure_sets(
            PostUpdate,
            CameraPlaced.before(bevy::transform::TransformSystems::Propagate),
        )
        .add_systems(Startup, spawn_camera)
        .add_systems(PostStartup, lighten_for_software_renderers)
        .add_systems(
            Update,
            (
                (mouse_look, fullscreen_key).in_set(AppSet::Input),
                (look_per_place, apply_view, apply_look, window_title)
                    .chain()
                    .in_set(AppSet::View),
                (fit_shadows_to_view, fit_bloom_to_view).in_set(AppSet::View),
            ),
        );
}

/// The side of the sun's shadow map, texels, for pictures `height_px` tall
/// (the tallest of the scene's cameras): Bevy's 2048 from 720 pixels up,
/// and as many texels per pixel below, down to 512. A small picture keeps
/// the shadows it would have at 720 p, scaled, and does not rasterise three
/// cascades of 2048 x 2048 for a few thousand pixels: on a renderer that
/// runs on the CPU that was most of a small frame's time.
fn shadow_map_size(height_px: u32) -> usize {
    const FULL: usize = 2048;
    const FULL_AT_PX: usize = 720;
    let wanted = (height_px as usize * FULL).div_ceil(FULL_AT_PX);
    wanted.next_power_of_two().clamp(512, FULL)
}

/// The height of the first step of the bloom's blur, pixels, for a picture
/// `height_px` tall: Bevy's 512 from 512 pixels up, else the largest power
/// of two the picture holds. The steps halve down to about four pixels
/// whatever the first, so the glow spreads as far across the picture at any
/// size; a small picture is no longer blurred at 512 pixels, which on a
/// renderer that runs on the CPU took most of its frame.
fn bloom_mip_dimension(height_px: u32) -> u32 {
    let full = Bloom::NATURAL.max_mip_dimension;
    if height_px >= full {
        full
    } else {
        (1u32 << height_px.max(16).ilog2()).min(full)
    }
}

/// The camera's rotation for a scene heading and pitch plus the person's
/// own look, in degrees. Yaw only turns about the vertical and pitch only
/// tilts: the horizon stays level.
pub fn view_rotation(heading_deg: f32, pitch_deg: f32, look: &Look) -> Quat {
    let yaw = -(heading_deg + look.yaw_deg).to_radians();
    let pitch = (pitch_deg + look.pitch_deg)
        .clamp(-MAX_PITCH_DEG, MAX_PITCH_DEG)
        .to_radians();
    Quat::from_rotation_y(yaw) * Quat::from_rotation_x(pitch)
}

fn spawn_camera(mut commands: Commands, target: Option<Res<CameraTarget>>) {
    let mut camera = commands.spawn((
        ViewCamera,
        SceneLook,
        Camera3d::default(),
        Hdr,
        // Keeps the hues of dusk skies: TonyMcMapface and AgX wash the
        // peach and violet of a sunset out to grey.
        Tonemapping::KhronosPbrNeutral,
        Bloom {
            intensity: 0.08,
            ..Bloom::NATURAL
        },
        Msaa::Sample4,
        Exposure::default(),
        DistanceFog::default(),
        Projection::Perspective(PerspectiveProjection {
            fov: 55f32.to_radians(),
            far: FAR_M,
            ..default()
        }),
        Transform::default(),
        Name::new("view"),
    ));
    // The overlays and the caption belong to this camera's picture, whatever
    // other cameras (a headset's eyes) draw.
    camera.insert(IsDefaultUiCamera);
    if let Some(target) = target {
        camera.insert(target.0.clone());
    }
}

/// Whether frames are drawn by a renderer on the CPU (no GPU).
pub(crate) fn renders_on_cpu(adapter: &RenderAdapterInfo) -> bool {
    adapter.device_type == wgpu_types::DeviceType::Cpu
}

/// On a renderer that runs on the CPU (Mesa's lavapipe, on machines with no
/// GPU), multisampling makes a frame about three times slower; it is turned
/// off there, and the person is told once.
fn lighten_for_software_renderers(
    adapter: Option<Res<RenderAdapterInfo>>,
    mut cameras: Query<&mut Msaa, With<ViewCamera>>,
) {
    let Some(adapter) = adapter else { return };
    if renders_on_cpu(&adapter) {
        info!(
            "rendering on the CPU ({}): anti-aliasing is off to keep the frame rate",
            adapter.name
        );
        for mut msaa in &mut cameras {
            *msaa = Msaa::Off;
        }
    }
}

fn mouse_look(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    state: Res<AppState>,
    mut look: ResMut<Look>,
) {
    // In the headset only the head turns the view.
    if state.presentation() == Presentation::Headset
        || !buttons.pressed(MouseButton::Left)
        || motion.delta == Vec2::ZERO
    {
        return;
    }
    // Drag the world: moving the mouse right turns the view left, like
    // grabbing the scene and pulling it.
    look.yaw_deg -= motion.delta.x * LOOK_DEG_PER_PIXEL;
    look.pitch_deg =
        (look.pitch_deg + motion.delta.y * LOOK_DEG_PER_PIXEL).clamp(-MAX_PITCH_DEG, MAX_PITCH_DEG);
}

fn fullscreen_key(
    keys: Res<ButtonInput<KeyCode>>,
    mut windows: Query<&mut Window, With<PrimaryWindow>>,
) {
    if keys.just_pressed(KeyCode::KeyF)
        && let Ok(mut window) = windows.single_mut()
    {
        window.mode = match window.mode {
            WindowMode::Windowed => WindowMode::BorderlessFullscreen(MonitorSelection::Current),
            _ => WindowMode::Windowed,
        };
    }
}

/// The person keeps their look in each place: the safe place opens facing
/// its own view, and going back restores where they were looking. The look
/// changes when the new scene appears, behind the veil, never before.
fn look_per_place(
    state: Res<AppState>,
    view: Option<Res<SceneView>>,
    mut look: ResMut<Look>,
    mut kept: Local<Option<Look>>,
    mut coming: Local<Option<Look>>,
    mut place: Local<Option<Place>>,
) {
    let now = state.place();
    if place.as_ref() != Some(now) {
        match (place.as_ref(), now) {
            (Some(Place::Scene { .. }), Place::SafePlace { .. }) => {
                *kept = Some(look.clone());
                *coming = Some(Look::default());
            }
            (Some(Place::SafePlace { .. }), Place::Scene { .. }) => {
                *coming = Some(kept.take().unwrap_or_default());
            }
            _ => {}
        }
        *place = Some(now.clone());
    }
    if view.is_some_and(|v| v.is_changed())
        && let Some(next) = coming.take()
    {
        *look = next;
    }
}

/// On the desktop, the camera sits at the scene's eye, turned by the
/// person's look.
fn apply_view(
    view: Option<Res<SceneView>>,
    look: Res<Look>,
    state: Res<AppState>,
    mut cameras: Query<(&mut Transform, &mut Projection), With<ViewCamera>>,
    mut presented: Local<Presentation>,
) {
    let Some(view) = view else { return };
    let presentation = state.presentation();
    let presented_anew = presentation != *presented;
    *presented = presentation;
    if presentation == Presentation::Headset
        || (!view.is_changed() && !look.is_changed() && !presented_anew)
    {
        return;
    }
    for (mut transform, mut projection) in &mut cameras {
        transform.translation = view.eye;
        transform.rotation = view_rotation(view.heading_deg, view.pitch_deg, &look);
        if let Projection::Perspective(perspective) = projection.as_mut() {
            perspective.fov = view.fov_deg.to_radians();
        }
    }
}

/// Every camera that shows the scene takes its exposure and fog, when the
/// scene changes and when the camera is new.
fn apply_look(
    view: Option<Res<SceneView>>,
    mut cameras: Query<(Ref<SceneLook>, &mut Exposure, &mut DistanceFog)>,
) {
    let Some(view) = view else { return };
    for (added, mut exposure, mut fog) in &mut cameras {
        if !view.is_changed() && !added.is_added() {
            continue;
        }
        exposure.ev100 = view.exposure_ev100;
        let c = view.fog_color;
        let s = view.fog_sun_color;
        *fog = DistanceFog {
            color: Color::linear_rgb(c.0, c.1, c.2),
            directional_light_color: Color::linear_rgba(s.0, s.1, s.2, 0.5),
            directional_light_exponent: 12.0,
            falloff: FogFalloff::from_visibility_squared(view.fog_visibility_m),
        };
    }
}

fn window_title(
    view: Option<Res<SceneView>>,
    mut windows: Query<&mut Window, With<PrimaryWindow>>,
) {
    let Some(view) = view else { return };
    if !view.is_changed() {
        return;
    }
    if let Ok(mut window) = windows.single_mut() {
        window.title = format!("Stillpoint — {}", view.title);
    }
}

/// Keeps each glowing camera's bloom at the size of its picture
/// ([`bloom_mip_dimension`]).
fn fit_bloom_to_view(mut cameras: Query<(&Camera, &mut Bloom)>) {
    for (camera, mut bloom) in &mut cameras {
        let Some(size) = camera.physical_target_size() else {
            continue;
        };
        let wanted = bloom_mip_dimension(size.y);
        if bloom.max_mip_dimension != wanted {
            bloom.max_mip_dimension = wanted;
        }
    }
}

/// Keeps the sun's shadow map as fine as the tallest scene camera's
/// picture needs ([`shadow_map_size`]); a headset's eyes count too, so a
/// small window beside them does not coarsen what the eyes see.
fn fit_shadows_to_view(
    cameras: Query<&Camera, With<Camera3d>>,
    shadows: Option<ResMut<bevy::light::DirectionalLightShadowMap>>,
) {
    let Some(mut shadows) = shadows else { return };
    let Some(height) = cameras
        .iter()
        .filter_map(Camera::physical_target_size)
        .map(|size| size.y)
        .max()
    else {
        return;
    };
    let size = shadow_map_size(height);
    if shadows.size != size {
        shadows.size = size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_turns_the_view_clockwise_from_north() {
        let forward = |heading| view_rotation(heading, 0.0, &Look::default()) * Vec3::NEG_Z;
        assert!(forward(0.0).abs_diff_eq(Vec3::NEG_Z, 1e-5));
        assert!(
            forward(90.0).abs_diff_eq(Vec3::X, 1e-5),
            "{}",
            forward(90.0)
        );
        assert!(forward(180.0).abs_diff_eq(Vec3::Z, 1e-5));
    }

    #[test]
    fn shadows_keep_their_texels_per_pixel_and_never_pass_bevys_default() {
        assert_eq!(shadow_map_size(720), 2048);
        assert_eq!(shadow_map_size(2160), 2048);
        assert_eq!(shadow_map_size(360), 1024);
        assert_eq!(shadow_map_size(361), 2048);
        assert_eq!(shadow_map_size(144), 512);
        assert_eq!(shadow_map_size(1), 512);
    }

    #[test]
    fn the_bloom_starts_at_the_pictures_size_up_to_bevys_default() {
        assert_eq!(bloom_mip_dimension(720), 512);
        assert_eq!(bloom_mip_dimension(512), 512);
        assert_eq!(bloom_mip_dimension(511), 256);
        assert_eq!(bloom_mip_dimension(360), 256);
        assert_eq!(bloom_mip_dimension(144), 128);
        assert_eq!(bloom_mip_dimension(0), 16);
    }

    #[test]
    fn looking_around_never_rolls_the_horizon() {
        for (yaw, pitch) in [(30.0, 20.0), (-170.0, -45.0), (400.0, 80.0)] {
            let rotation = view_rotation(
                12.0,
                -3.0,
                &Look {
                    yaw_deg: yaw,
                    pitch_deg: pitch,
                },
            );
            let right = rotation * Vec3::X;
            assert!(right.y.abs() < 1e-5, "the horizon tilts: right = {right}");
        }
    }

    #[test]
    fn pitch_is_limited() {
        let rotation = view_rotation(
            0.0,
            20.0,
            &Look {
                yaw_deg: 0.0,
                pitch_deg: 80.0,
            },
        );
        let up = (rotation * Vec3::NEG_Z).y.asin().to_degrees();
        assert!((up - MAX_PITCH_DEG).abs() < 1e-3, "{up}");
    }
}
