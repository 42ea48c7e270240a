//! Turns a checked scene into entities: light, sky, ground, water, plants,
//! particles and clouds, with its props (spawned by
//! [`super::exposure::props`]), all under one [`SceneRoot`] so that a reload
//! or a change of scene replaces them in one step.

use bevy::light::{CascadeShadowConfigBuilder, NotShadowCaster, NotShadowReceiver};
use bevy::prelude::*;

use super::blueprint::{CLOUD_DISTANCE_M, DriftSpec, SUN_DISC_DEG, SUN_DISTANCE_M};
use super::exposure::props::spawn_props;
use super::format::Rgb;
use super::model::Scene;
use super::procgen::mesh::MeshData;
use super::procgen::scatter::SHADES;
use super::procgen::terrain::compass;
use super::upload::{add_mesh, add_standard};
use crate::render::{PlantMaterial, Sway, WaterMaterial, WaterUniform};

/// The parent of everything a scene spawned.
#[derive(Component, Debug)]
pub struct SceneRoot;

/// What the camera takes from the scene: where the person sits and how the
/// air and the exposure look.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct SceneView {
    /// Eye position, metres.
    pub eye: Vec3,
    /// Heading the scene faces at the start, degrees from north.
    pub heading_deg: f32,
    /// Pitch at the start, degrees.
    pub pitch_deg: f32,
    /// Vertical field of view on the desktop, degrees.
    pub(crate) fov_deg: f32,
    /// Exposure, EV100.
    pub exposure_ev100: f32,
    /// Fog colour, linear.
    pub(crate) fog_color: Rgb,
    /// Fog glow towards the sun, linear.
    pub(crate) fog_sun_color: Rgb,
    /// Fog visibility, metres.
    pub(crate) fog_visibility_m: f32,
    /// Window title.
    pub title: String,
}

/// A particle drifting around its anchor.
#[derive(Component, Debug, Clone)]
pub(super) struct Drift {
    /// Centre of its wandering, metres.
    pub(super) anchor: Vec3,
    /// How far it wanders, metres.
    pub(super) reach_m: f32,
    /// Phases of its wandering, radians.
    pub(super) phase: Vec3,
    /// Angular rates of its wandering, radians per second.
    pub(super) rate: Vec3,
    /// Period of a firefly's glow, seconds; 0 for a steady mote.
    pub(super) pulse_period_s: f32,
}

/// The cloud layer, turning slowly about the viewer.
#[derive(Component, Debug, Clone)]
pub(super) struct CloudDrift {
    /// Turn rate, radians per second.
    pub(super) rate: f32,
}

impl From<&DriftSpec> for Drift {
    fn from(spec: &DriftSpec) -> Self {
        Self {
            anchor: Vec3::from(spec.anchor),
            reach_m: spec.reach_m,
            phase: Vec3::from(spec.phase),
            rate: Vec3::from(spec.rate),
            pulse_period_s: spec.pulse_period_s,
        }
    }
}

impl SceneView {
    /// What the camera takes from `scene`.
    fn of(scene: &Scene) -> Self {
        Self {
            eye: Vec3::from(scene.seat.eye),
            heading_deg: scene.seat.heading_deg,
            pitch_deg: scene.seat.pitch_deg,
            fov_deg: scene.seat.fov_deg,
            exposure_ev100: scene.air.exposure_ev100,
            fog_color: scene.air.fog_color,
            fog_sun_color: scene.air.fog_sun_color,
            fog_visibility_m: scene.air.fog_visibility_m,
            title: scene.title.clone(),
        }
    }
}

/// Spawns `scene` into `world`: uploads its generated meshes and materials
/// and returns the [`SceneRoot`] entity. Nothing is generated here: the
/// loader did that.
pub fn spawn_scene(world: &mut World, scene: &Scene) -> Entity {
    let blueprint = &scene.blueprint;
    let light = &scene.light;
    let sun_dir = Vec3::from(light.sun_dir);
    let root = world
        .spawn((
            SceneRoot,
            Transform::default(),
            Visibility::default(),
            Name::new("scene"),
        ))
        .id();

    world.insert_resource(GlobalAmbientLight {
        color: rgb(light.ambient_color),
        brightness: light.ambient_brightness,
        affects_lightmapped_meshes: true,
    });
    world.insert_resource(ClearColor(rgb(light.sky_horizon)));
    world.insert_resource(SceneView::of(scene));

    // The sun: a directional light shining along -sun_dir.
    let sun = world
        .spawn((
            DirectionalLight {
                color: rgb(light.sun_color),
                illuminance: light.sun_illuminance_lux,
                shadow_maps_enabled: light.sun_shadows,
                ..default()
            },
            Transform::from_translation(sun_dir).looking_at(Vec3::ZERO, Vec3::Y),
            CascadeShadowConfigBuilder {
                num_cascades: 3,
                first_cascade_far_bound: 15.0,
                maximum_distance: 250.0,
                ..default()
            }
            .build(),
            Name::new("sun"),
        ))
        .id();
    world.entity_mut(root).add_child(sun);

    let sky_mesh = add_mesh(world, &blueprint.sky_mesh);
    let sky_material = add_standard(
        world,
        StandardMaterial {
            base_color: Color::WHITE,
            unlit: true,
            fog_enabled: false,
            cull_mode: None,
            ..default()
        },
    );
    // The sky surrounds everything: it must never shade the sun's light.
    spawn_child(
        world,
        root,
        (
            Mesh3d(sky_mesh),
            MeshMaterial3d(sky_material),
            Transform::from_translation(Vec3::from(blueprint.eye)),
            NotShadowCaster,
            NotShadowReceiver,
            Name::new("sky"),
        ),
    );

    if light.sun_disc {
        let radius = SUN_DISTANCE_M * SUN_DISC_DEG.to_radians().tan();
        let disc = add_mesh(world, &MeshData::sphere(radius, (1.0, 1.0, 1.0)));
        let c = light.sun_color;
        let material = add_standard(
            world,
            StandardMaterial {
                // Brighter than white, so the tonemapper and bloom give it a
                // soft halo rather than a flat disc.
                base_color: Color::linear_rgb(c.0 * 6.0, c.1 * 6.0, c.2 * 6.0),
                unlit: true,
                fog_enabled: false,
                ..default()
            },
        );
        let at = Vec3::from(blueprint.eye) + sun_dir * SUN_DISTANCE_M;
        spawn_child(
            world,
            root,
            (
                Mesh3d(disc),
                MeshMaterial3d(material),
                Transform::from_translation(at),
                NotShadowCaster,
                NotShadowReceiver,
                Name::new("sun disc"),
            ),
        );
    }

    if !blueprint.clouds.is_empty() {
        let drift = light.cloud_drift_deg_per_min;
        let layer = world
            .spawn((
                CloudDrift {
                    rate: drift.to_radians() / 60.0,
                },
                Transform::from_translation(Vec3::from(blueprint.eye)),
                Visibility::default(),
                Name::new("clouds"),
            ))
            .id();
        world.entity_mut(root).add_child(layer);
        let material = add_standard(
            world,
            StandardMaterial {
                base_color: Color::WHITE,
                unlit: true,
                fog_enabled: false,
                ..default()
            },
        );
        for (mesh, azimuth, elevation, width) in &blueprint.clouds {
            let handle = add_mesh(world, mesh);
            let dir = Vec3::new(
                azimuth.sin() * elevation.cos(),
                elevation.sin(),
                -azimuth.cos() * elevation.cos(),
            );
            let length = CLOUD_DISTANCE_M * width.tan();
            let transform = Transform::from_translation(dir * CLOUD_DISTANCE_M)
                .looking_at(Vec3::ZERO, Vec3::Y)
                .with_scale(Vec3::splat(length));
            spawn_child(
                world,
                layer,
                (
                    Mesh3d(handle),
                    MeshMaterial3d(material.clone()),
                    transform,
                    NotShadowCaster,
                    NotShadowReceiver,
                ),
            );
        }
    }

    let ground = add_mesh(world, &blueprint.terrain_mesh);
    let ground_material = add_standard(
        world,
        StandardMaterial {
            base_color: Color::WHITE,
            perceptual_roughness: 0.95,
            reflectance: 0.2,
            ..default()
        },
    );
    spawn_child(
        world,
        root,
        (
            Mesh3d(ground),
            MeshMaterial3d(ground_material),
            Transform::default(),
            Name::new("terrain"),
        ),
    );

    if let (Some(water), Some(mesh)) = (&scene.water, &blueprint.water_mesh) {
        let handle = add_mesh(world, mesh);
        let sun = light.sun_color;
        // The glint fades as the sun sinks into the haze.
        let glint = 3.0 + 9.0 * (light.sun_elevation_deg / 30.0).clamp(0.0, 1.0);
        let uniform = WaterUniform {
            deep: vec4(water.deep_color),
            shallow: vec4(water.shallow_color),
            zenith: vec4(light.sky_zenith),
            horizon: vec4(light.sky_horizon),
            sun_color: Vec4::new(sun.0, sun.1, sun.2, glint),
            sun_dir: sun_dir.extend(0.0),
            waves: Vec4::new(
                water.wave_height_m,
                water.wave_length_m,
                water.wave_period_s,
                water.wave_toward_deg.to_radians(),
            ),
            params: Vec4::new(0.0, light.sky_horizon_blend, 1.0, 8.0),
        };
        let material = world
            .resource_mut::<Assets<WaterMaterial>>()
            .add(WaterMaterial { uniform });
        spawn_child(
            world,
            root,
            (
                Mesh3d(handle),
                MeshMaterial3d(material),
                Transform::default(),
                Name::new("water"),
            ),
        );
    }

    let (wind_x, wind_z) = compass(scene.wind.toward_deg);
    let wind = Vec4::new(
        wind_x * scene.wind.strength,
        scene.wind.period_s,
        wind_z * scene.wind.strength,
        0.0,
    );
    for generated in &blueprint.scatter {
        if generated.placements.is_empty() {
            continue;
        }
        let near = add_mesh(world, &generated.near);
        let far = add_mesh(world, &generated.far);
        let materials: Vec<Handle<PlantMaterial>> = (0..SHADES)
            .map(|shade| {
                let spread = if SHADES > 1 {
                    shade as f32 / (SHADES - 1) as f32 * 2.0 - 1.0
                } else {
                    0.0
                };
                let k = 1.0 + generated.color_variation * spread;
                world
                    .resource_mut::<Assets<PlantMaterial>>()
                    .add(PlantMaterial {
                        base: StandardMaterial {
                            base_color: Color::linear_rgb(
                                k,
                                k * (1.0 + 0.1 * generated.color_variation * spread),
                                k,
                            ),
                            perceptual_roughness: 0.85,
                            reflectance: 0.25,
                            double_sided: true,
                            cull_mode: None,
                            ..default()
                        },
                        extension: Sway { wind },
                    })
            })
            .collect();
        let batch: Vec<_> = generated
            .placements
            .iter()
            .map(|p| {
                (
                    Mesh3d(if p.far { far.clone() } else { near.clone() }),
                    MeshMaterial3d(materials[p.shade].clone()),
                    Transform::from_translation(Vec3::from(p.position))
                        .with_rotation(Quat::from_rotation_y(p.yaw))
                        .with_scale(Vec3::splat(p.scale)),
                    ChildOf(root),
                )
            })
            .collect();
        world.spawn_batch(batch);
    }

    spawn_props(world, root, scene);

    for particles in &blueprint.particles {
        if particles.drifts.is_empty() {
            continue;
        }
        let mesh = add_mesh(
            world,
            &MeshData::sphere(particles.radius_m, (1.0, 1.0, 1.0)),
        );
        let [r, g, b] = particles.color;
        let material = add_standard(
            world,
            StandardMaterial {
                base_color: Color::linear_rgb(r, g, b),
                unlit: true,
                ..default()
            },
        );
        let batch: Vec<_> = particles
            .drifts
            .iter()
            .map(|spec| {
                let drift = Drift::from(spec);
                (
                    Mesh3d(mesh.clone()),
                    MeshMaterial3d(material.clone()),
                    Transform::from_translation(drift.anchor),
                    NotShadowCaster,
                    drift,
                    ChildOf(root),
                )
            })
            .collect();
        world.spawn_batch(batch);
    }
    root
}

/// A particle's transform at scene time `t`: a slow wander about its anchor,
/// and for fireflies a glow that swells and fades.
pub(super) fn drift_transform(drift: &Drift, t: f32) -> Transform {
    let wander = Vec3::new(
        (drift.rate.x * t + drift.phase.x).sin(),
        0.4 * (drift.rate.y * t + drift.phase.y).sin(),
        (drift.rate.z * t + drift.phase.z).cos(),
    ) * drift.reach_m;
    let scale = if drift.pulse_period_s > 0.0 {
        // Raised cosine: smooth, slow, and never a flash.
        let phase = (t / drift.pulse_period_s + drift.phase.x) * std::f32::consts::TAU;
        0.25 + 0.75 * (0.5 - 0.5 * phase.cos())
    } else {
        1.0
    };
    Transform::from_translation(drift.anchor + wander).with_scale(Vec3::splat(scale))
}

fn spawn_child(world: &mut World, parent: Entity, bundle: impl Bundle) {
    world.spawn((bundle, ChildOf(parent)));
}

fn rgb(c: Rgb) -> Color {
    Color::linear_rgb(c.0, c.1, c.2)
}

fn vec4(c: Rgb) -> Vec4 {
    Vec4::new(c.0, c.1, c.2, 1.0)
}
