//! Generated geometry and materials handed to Bevy's asset stores: the one
//! place where a scene's `MeshData` becomes a `Mesh`, shared by the scene,
//! its props and the birds of exposure events.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;

use super::procgen::mesh::MeshData;

/// Uploads generated vertex data as a Bevy mesh.
pub(super) fn add_mesh(world: &mut World, data: &MeshData) -> Handle<Mesh> {
    world.resource_mut::<Assets<Mesh>>().add(to_mesh(data))
}

/// Converts generated vertex data into a Bevy mesh.
pub(super) fn to_mesh(data: &MeshData) -> Mesh {
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, data.positions.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, data.normals.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, data.colors.clone())
    .with_inserted_indices(Indices::U32(data.indices.clone()))
}

/// Adds a standard material, for the scene or a prop to own.
pub(super) fn add_standard(
    world: &mut World,
    material: StandardMaterial,
) -> Handle<StandardMaterial> {
    world
        .resource_mut::<Assets<StandardMaterial>>()
        .add(material)
}
