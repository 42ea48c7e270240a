// Wind sway for plants: a vertex shader over the standard PBR material.
// Each vertex's colour alpha says how free it is to move (0 at the roots,
// 1 at the tips); copies sway a little out of step with their neighbours.

#import bevy_pbr::{
    mesh_functions,
    forward_io::{Vertex, VertexOutput},
    view_transformations::position_world_to_clip,
}

struct Sway {
    // x, z: wind direction scaled by strength; y: sway period (s); w: time (s)
    wind: vec4<f32>,
}

@group(#{MATERIAL_BIND_GROUP}) @binding(100) var<uniform> sway: Sway;

const TAU: f32 = 6.283185307;

@vertex
fn vertex(vertex: Vertex) -> VertexOutput {
    var out: VertexOutput;
    let world_from_local = mesh_functions::get_world_from_local(vertex.instance_index);
    var world = mesh_functions::mesh_position_local_to_world(world_from_local, vec4<f32>(vertex.position, 1.0));
    var weight = 0.0;
#ifdef VERTEX_COLORS
    weight = vertex.color.a;
    out.color = vertex.color;
#endif
    let origin = world_from_local[3].xyz;
    let phase = dot(origin.xz, vec2<f32>(0.13, 0.17));
    let t = sway.wind.w;
    let period = sway.wind.y;
    let s = 0.7 * sin(TAU * t / period + phase) + 0.3 * sin(TAU * t / (period * 0.61) + phase * 1.7);
    // A bend of up to about 8 cm per metre of height: plants lean with the
    // wind and sway about that lean.
    let bend = weight * (world.y - origin.y) * 0.08 * (0.55 + 0.45 * s);
    world.x += sway.wind.x * bend;
    world.z += sway.wind.z * bend;
    out.world_position = world;
    out.position = position_world_to_clip(world.xyz);
    out.world_normal = mesh_functions::mesh_normal_local_to_world(vertex.normal, vertex.instance_index);
#ifdef VERTEX_UVS_A
    out.uv = vertex.uv;
#endif
#ifdef VERTEX_OUTPUT_INSTANCE_INDEX
    out.instance_index = vertex.instance_index;
#endif
    return out;
}
