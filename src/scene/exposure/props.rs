//! The props of a scene spawned with it (walls, glass, tables, jars,
//! pictures) and its spiders: a body on sixteen leg segments and a thread,
//! with the components the stage moves them by.

use bevy::light::NotShadowCaster;
use bevy::prelude::*;

use super::plan::Wandering;
use super::spider::{Gait, LEGS};
use crate::scene::model::Scene;
use crate::scene::procgen::mesh::MeshData;
use crate::scene::upload::{add_mesh, add_standard};

/// A prop as the scene stands it: the exposure steps show, hide and move
/// it from here.
#[derive(Component, Debug, Clone)]
pub struct PropPart {
    /// Its name, as an index into the exposure plan's names.
    pub name: Option<usize>,
    /// Where the scene stands it.
    pub(crate) base: Vec3,
    /// Whether it is there when the scene opens.
    pub(crate) present: bool,
    /// Its opacity when fully there: 1 less its clearness.
    pub(crate) opacity: f32,
}

/// A spider: where it stands (as its step puts it), how it walks about,
/// and its feet. Its transform is its body's; `walk_spiders` moves it.
#[derive(Component, Debug, Clone)]
pub(super) struct Walker {
    /// Leg span, metres.
    pub(super) span: f32,
    /// Its place as the step has it (glides and all), the ground under its
    /// middle.
    pub(super) anchor: Vec3,
    /// The way it faces.
    pub(super) facing: Quat,
    /// How it walks about its place now.
    pub(super) wandering: Wandering,
    /// How far along its wandering loop, metres.
    pub(super) travelled: f32,
    /// Its own loop's shape.
    pub(super) seed: f32,
    /// The scene time and place it was last shown at.
    pub(super) last: Option<(f64, Vec3)>,
    /// Its feet.
    pub(super) gait: Gait,
    /// A drop on its thread under way: start (scene seconds), length
    /// (seconds) and how far down (metres).
    pub(super) drop: Option<(f64, f32, f32)>,
}

/// A spider's thread.
#[derive(Component, Debug, Clone, Copy)]
pub(super) struct SpiderThread;

/// One segment of a spider's leg: the upper (hip to knee) or the lower
/// (knee to foot) of leg `leg`.
#[derive(Component, Debug, Clone, Copy)]
pub(super) struct LegPart {
    /// Which leg, in [`super::spider`]'s order.
    pub(super) leg: usize,
    /// The upper segment, else the lower.
    pub(super) upper: bool,
}

/// The props, each with a material of its own (so it can fade alone).
pub(crate) fn spawn_props(world: &mut World, root: Entity, scene: &Scene) {
    for prop in &scene.props {
        let mesh = add_mesh(world, &prop.mesh);
        let (r, g, b) = prop.color;
        let opacity = 1.0 - prop.clear;
        let see_through = prop.clear > 0.0 || !prop.present;
        let material = add_standard(
            world,
            StandardMaterial {
                base_color: Color::linear_rgba(r, g, b, if prop.present { opacity } else { 0.0 }),
                perceptual_roughness: prop.roughness,
                metallic: prop.metal,
                reflectance: if prop.clear > 0.0 { 0.5 } else { 0.3 },
                alpha_mode: if see_through {
                    AlphaMode::Blend
                } else {
                    AlphaMode::Opaque
                },
                // Glass is seen from both sides.
                double_sided: prop.clear > 0.0,
                cull_mode: if prop.clear > 0.0 {
                    None
                } else {
                    Some(bevy::render::render_resource::Face::Back)
                },
                ..default()
            },
        );
        let base = Vec3::from(prop.at);
        let mut entity = world.spawn((
            PropPart {
                name: prop.name,
                base,
                present: prop.present,
                opacity,
            },
            Mesh3d(mesh),
            MeshMaterial3d(material.clone()),
            Transform::from_translation(base)
                .with_rotation(Quat::from_rotation_y(-prop.turn_deg.to_radians())),
            if prop.present {
                Visibility::Inherited
            } else {
                Visibility::Hidden
            },
            ChildOf(root),
        ));
        if prop.clear > 0.5 {
            // Clear glass lets the sun through.
            entity.insert(NotShadowCaster);
        }
        if let Some(span) = prop.spider {
            let facing = Quat::from_rotation_y(-prop.turn_deg.to_radians());
            entity.insert(Walker {
                span,
                anchor: base,
                facing,
                wandering: Default::default(),
                travelled: 0.0,
                seed: (prop.at[0] * 7.0 + prop.at[2] * 13.0).sin() * 3.0,
                last: None,
                gait: Gait::standing(span, base, facing),
                drop: None,
            });
            let body = entity.id();
            let leg_mesh = add_mesh(world, &MeshData::column(1.0, 1.0));
            // Its thread, seen only while it hangs on it.
            let silk = add_standard(
                world,
                StandardMaterial {
                    base_color: Color::linear_rgba(0.85, 0.85, 0.85, 0.6),
                    alpha_mode: AlphaMode::Blend,
                    unlit: true,
                    ..default()
                },
            );
            world.spawn((
                SpiderThread,
                Mesh3d(leg_mesh.clone()),
                MeshMaterial3d(silk),
                Transform::default(),
                Visibility::Hidden,
                NotShadowCaster,
                ChildOf(body),
            ));
            for leg in 0..LEGS {
                for upper in [true, false] {
                    world.spawn((
                        LegPart { leg, upper },
                        Mesh3d(leg_mesh.clone()),
                        MeshMaterial3d(material.clone()),
                        Transform::default(),
                        Visibility::Inherited,
                        ChildOf(body),
                    ));
                }
            }
        }
    }
}
