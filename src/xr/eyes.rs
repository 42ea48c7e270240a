//! The headset's eyes: the eye cameras the runtime spawns take the scene's
//! look; on a CPU renderer the headset spares what it can; the left eye's
//! picture can be saved.

use bevy::camera::{Exposure, Hdr};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::pbr::DistanceFog;
use bevy::prelude::*;
use bevy::render::renderer::RenderAdapterInfo;
use bevy_mod_xr::camera::XrCamera;

use super::session::HeadsetStatus;
use crate::state::{AppState, Presentation};
use crate::view::{SceneLook, ViewCamera, renders_on_cpu};

/// Saves what the left eye sees, once.
#[derive(Resource, Debug)]
pub(super) struct EyeScreenshot {
    path: Option<std::path::PathBuf>,
}

impl EyeScreenshot {
    /// Frames the headset shows before the picture is taken.
    const AFTER_FRAMES: u64 = 60;

    /// A picture to save at `path`.
    pub(super) fn new(path: std::path::PathBuf) -> Self {
        Self { path: Some(path) }
    }
}

pub(super) fn take_eye_screenshot(
    mut shot: ResMut<EyeScreenshot>,
    status: Res<HeadsetStatus>,
    state: Res<AppState>,
    mut commands: Commands,
) {
    if state.presentation() != Presentation::Headset
        || status.frames_submitted() < EyeScreenshot::AFTER_FRAMES
    {
        return;
    }
    let Some(path) = shot.path.take() else { return };
    info!(
        "headset: saving the left eye's picture to {}",
        path.display()
    );
    let left = bevy::camera::ManualTextureViewHandle(bevy_mod_openxr::render::XR_TEXTURE_INDEX);
    commands
        .spawn(bevy::render::view::screenshot::Screenshot::texture_view(
            left,
        ))
        .observe(bevy::render::view::screenshot::save_to_disk(path));
}

/// The eye cameras the runtime's plugin spawns get the scene's look: its
/// exposure, fog and tone mapping.
pub(super) fn dress_eye_cameras(
    mut commands: Commands,
    eyes: Query<Entity, (With<XrCamera>, Without<SceneLook>)>,
    adapter: Option<Res<RenderAdapterInfo>>,
) {
    let on_cpu = adapter.is_some_and(|a| renders_on_cpu(&a));
    for eye in &eyes {
        commands.entity(eye).insert((
            SceneLook,
            Hdr,
            Tonemapping::KhronosPbrNeutral,
            Exposure::default(),
            DistanceFog::default(),
            if on_cpu { Msaa::Off } else { Msaa::Sample4 },
        ));
    }
}

/// How the headset spares a renderer that runs on the CPU (no GPU): the
/// sun casts no shadows (each eye would render its own shadow maps) and the
/// mirror window is redrawn on every fourth frame only. On a GPU, nothing
/// is spared.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Spare {
    /// Sun shadows are off.
    pub(super) no_shadows: bool,
    /// The mirror is drawn on one frame in this many.
    pub(super) mirror_every: u32,
}

impl Spare {
    /// What to spare on this kind of renderer.
    fn for_renderer(on_cpu: bool) -> Self {
        if on_cpu {
            Self {
                no_shadows: true,
                mirror_every: 4,
            }
        } else {
            Self {
                no_shadows: false,
                mirror_every: 1,
            }
        }
    }
}

pub(super) fn choose_spare(adapter: Option<Res<RenderAdapterInfo>>, mut commands: Commands) {
    let on_cpu = adapter.is_some_and(|a| renders_on_cpu(&a));
    let spare = Spare::for_renderer(on_cpu);
    if on_cpu {
        info!(
            "headset on a CPU renderer: no sun shadows, and the mirror window is redrawn on one frame in {}",
            spare.mirror_every
        );
    }
    commands.insert_resource(spare);
}

/// Applies [`Spare`]: the sun's shadows of each scene as it appears, and the
/// mirror's turn to be drawn.
pub(super) fn spare_renderer(
    spare: Option<Res<Spare>>,
    state: Res<AppState>,
    mut suns: Query<&mut DirectionalLight, Added<DirectionalLight>>,
    mut mirrors: Query<&mut Camera, With<ViewCamera>>,
    mut frame: Local<u32>,
) {
    let Some(spare) = spare else { return };
    if spare.no_shadows {
        for mut sun in &mut suns {
            sun.shadow_maps_enabled = false;
        }
    }
    *frame = frame.wrapping_add(1);
    // Back on the desktop, the window is the view and drawn every frame.
    let draw =
        state.presentation() == Presentation::Desktop || frame.is_multiple_of(spare.mirror_every);
    for mut camera in &mut mirrors {
        if camera.is_active != draw {
            camera.is_active = draw;
        }
    }
}
