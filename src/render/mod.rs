//! The scene's own materials: water and wind-swayed plants, with their WGSL
//! embedded in the binary so that rendering needs no asset folder.
//!
//! Every animated uniform reads [`crate::clock::SceneClock`], never Bevy's
//! own time, so that a screenshot at `--at 30` shows exactly second 30.

use bevy::asset::uuid_handle;
use bevy::pbr::{ExtendedMaterial, MaterialExtension};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, ShaderType};
use bevy::shader::ShaderRef;

use crate::clock::SceneClock;
use crate::frame::AppSet;

const WATER_SHADER: Handle<Shader> = uuid_handle!("3c0c3f52-6a0e-4b0c-9c55-0d1f7a3e2b11");
const SWAY_SHADER: Handle<Shader> = uuid_handle!("9a7d2e41-1f3b-4c8e-8f2a-5b6c7d8e9f02");

/// Material of plants and stones: the standard PBR material with wind sway.
pub type PlantMaterial = ExtendedMaterial<StandardMaterial, Sway>;

/// Registers the materials and their shaders, and keeps their clocks. On a
/// Bevy that does not render (the headless tests, the headset benchmark)
/// the materials are only assets, still animated by the clock.
pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Update, (tick_water, tick_sway).in_set(AppSet::Animate));
    if app.get_sub_app(bevy::render::RenderApp).is_none() {
        app.init_asset::<WaterMaterial>()
            .init_asset::<PlantMaterial>();
        return;
    }
    app.add_plugins((
        MaterialPlugin::<WaterMaterial>::default(),
        MaterialPlugin::<PlantMaterial>::default(),
    ));
    let mut shaders = app.world_mut().resource_mut::<Assets<Shader>>();
    // Inserting under a fixed id cannot fail for a uuid handle; a failure
    // would mean Bevy changed its asset ids, and the shaders would be missing.
    shaders
        .insert(
            WATER_SHADER.id(),
            Shader::from_wgsl(include_str!("water.wgsl"), "stillpoint/water.wgsl"),
        )
        .expect("the water shader's fixed id is valid");
    shaders
        .insert(
            SWAY_SHADER.id(),
            Shader::from_wgsl(include_str!("sway.wgsl"), "stillpoint/sway.wgsl"),
        )
        .expect("the sway shader's fixed id is valid");
}

/// The water surface. All parameters live in one uniform block.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct WaterMaterial {
    /// Colours, waves and time, as the shader reads them.
    #[uniform(0)]
    pub(crate) uniform: WaterUniform,
}

/// Layout of the water shader's uniform block; see `water.wgsl`.
#[derive(ShaderType, Clone, Debug, Default)]
pub(crate) struct WaterUniform {
    /// Colour of deep water.
    pub(crate) deep: Vec4,
    /// Colour of shallow water.
    pub(crate) shallow: Vec4,
    /// Sky colour overhead, for reflections.
    pub(crate) zenith: Vec4,
    /// Sky colour at the horizon, for reflections.
    pub(crate) horizon: Vec4,
    /// Sun colour (rgb) and glint strength (a).
    pub(crate) sun_color: Vec4,
    /// Unit vector towards the sun.
    pub(crate) sun_dir: Vec4,
    /// Crest-to-trough height (m), wavelength (m), period (s), direction (rad).
    pub(crate) waves: Vec4,
    /// Time (s), horizon blend, foam strength, fog sun exponent.
    pub(crate) params: Vec4,
}

impl Material for WaterMaterial {
    fn vertex_shader() -> ShaderRef {
        WATER_SHADER.into()
    }

    fn fragment_shader() -> ShaderRef {
        WATER_SHADER.into()
    }

    // The surface moves in the vertex shader; a shadow pass with the default
    // shader would disagree with it, and water casts no useful shadow.
    fn enable_shadows() -> bool {
        false
    }

    fn enable_prepass() -> bool {
        false
    }
}

/// Wind sway added to a standard material.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug, Default)]
pub struct Sway {
    /// Wind direction times strength (x, z), sway period in seconds (y),
    /// time in seconds (w).
    #[uniform(100)]
    pub(crate) wind: Vec4,
}

impl MaterialExtension for Sway {
    fn vertex_shader() -> ShaderRef {
        SWAY_SHADER.into()
    }
}

/// Keeps the water's waves on the scene clock.
fn tick_water(clock: Res<SceneClock>, mut materials: ResMut<Assets<WaterMaterial>>) {
    let t = clock.wrapped_seconds();
    for (_, material) in materials.iter_mut() {
        material.uniform.params.x = t;
    }
}

/// Keeps the plants' sway on the scene clock.
fn tick_sway(clock: Res<SceneClock>, mut materials: ResMut<Assets<PlantMaterial>>) {
    let t = clock.wrapped_seconds();
    for (_, material) in materials.iter_mut() {
        material.extension.wind.w = t;
    }
}
