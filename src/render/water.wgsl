// Water: slow wave trains displace the surface; finer ripples only bend the
// normal. The colour mixes the water body with the reflected sky by the
// Fresnel term, adds the sun's glint, and is fogged like the rest of the
// scene. Colours are in the same display-referred units as the unlit sky.

#import bevy_pbr::{
    mesh_functions,
    forward_io::{Vertex, VertexOutput},
    view_transformations::position_world_to_clip,
    mesh_view_bindings::{view, fog},
    fog::exponential_squared_fog,
}

struct Water {
    deep: vec4<f32>,
    shallow: vec4<f32>,
    zenith: vec4<f32>,
    horizon: vec4<f32>,
    // rgb: sun colour, a: glint strength
    sun_color: vec4<f32>,
    // xyz: unit vector towards the sun
    sun_dir: vec4<f32>,
    // x: crest-to-trough height (m), y: wavelength (m), z: period (s), w: direction (rad)
    waves: vec4<f32>,
    // x: time (s), y: horizon blend exponent, z: foam strength, w: fog sun exponent
    params: vec4<f32>,
}

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> water: Water;

const TAU: f32 = 6.283185307;

// One wave train at `p`: (height, d height/dx, d height/dz).
fn train(p: vec2<f32>, angle: f32, length: f32, amplitude: f32, period: f32, t: f32) -> vec3<f32> {
    let dir = vec2<f32>(sin(angle), -cos(angle));
    let k = TAU / length;
    let phase = k * dot(p, dir) - TAU * t / period;
    let slope = amplitude * k * cos(phase);
    return vec3<f32>(amplitude * sin(phase), slope * dir.x, slope * dir.y);
}

// The swell: a few long trains, used both to move vertices and for normals.
fn swell(p: vec2<f32>, t: f32) -> vec3<f32> {
    let a = water.waves.x * 0.5;
    let l = water.waves.y;
    let period = water.waves.z;
    let angle = water.waves.w;
    return train(p, angle, l, a * 0.6, period, t)
        + train(p, angle + 0.6, l * 0.63, a * 0.28, period * 0.79, t)
        + train(p, angle - 0.9, l * 0.41, a * 0.18, period * 0.64, t);
}

// Ripples: short trains that only bend the normal.
fn ripples(p: vec2<f32>, t: f32) -> vec3<f32> {
    let a = water.waves.x * 0.5;
    let l = water.waves.y;
    let period = water.waves.z;
    let angle = water.waves.w;
    return train(p, angle + 1.7, l * 0.23, a * 0.10, period * 0.48, t)
        + train(p, angle - 2.3, l * 0.17, a * 0.07, period * 0.41, t)
        + train(p, angle + 2.9, l * 0.11, a * 0.045, period * 0.33, t)
        + train(p, angle - 0.4, l * 0.071, a * 0.03, period * 0.27, t);
}

fn sky_color(dir: vec3<f32>) -> vec3<f32> {
    let up = max(dir.y, 0.0);
    let base = mix(water.horizon.rgb, water.zenith.rgb, pow(up, water.params.y));
    return base;
}

@vertex
fn vertex(vertex: Vertex) -> VertexOutput {
    var out: VertexOutput;
    let world_from_local = mesh_functions::get_world_from_local(vertex.instance_index);
    var world = mesh_functions::mesh_position_local_to_world(world_from_local, vec4<f32>(vertex.position, 1.0));
#ifdef VERTEX_COLORS
    // Green carries how much this vertex may move: the coarse outer skirt
    // stays flat so that it cannot alias.
    world.y += swell(world.xz, water.params.x).x * vertex.color.g;
    out.color = vertex.color;
#endif
    out.world_position = world;
    out.position = position_world_to_clip(world.xyz);
    out.world_normal = vec3<f32>(0.0, 1.0, 0.0);
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let t = water.params.x;
    let p = in.world_position.xz;
    let to_eye = view.world_position - in.world_position.xyz;
    let distance = length(to_eye);
    let v = to_eye / max(distance, 1e-4);
    // Ripples fade out with distance, where they would only shimmer.
    let detail = clamp(1.0 - distance / (water.waves.y * 40.0), 0.0, 1.0);
    let s = swell(p, t) + ripples(p, t) * detail;
    let n = normalize(vec3<f32>(-s.y, 1.0, -s.z));

    // Schlick's Fresnel with water's 2 % reflectance head-on.
    let cos_v = clamp(dot(n, v), 0.0, 1.0);
    let fresnel = 0.02 + 0.98 * pow(1.0 - cos_v, 5.0);
    let r = reflect(-v, n);
    let reflected = sky_color(r);

    var shallow = 0.0;
#ifdef VERTEX_COLORS
    shallow = in.color.r;
#endif
    let body = mix(water.deep.rgb, water.shallow.rgb, shallow);
    let glint = pow(max(dot(r, water.sun_dir.xyz), 0.0), 400.0) * water.sun_color.a;
    var color = mix(body, reflected, fresnel) + water.sun_color.rgb * glint;

    // Soft foam where the water is shallowest, drifting slowly with the swell.
    let foam_band = smoothstep(0.82, 0.97, shallow) * (0.55 + 0.45 * sin(TAU * t / (water.waves.z * 2.0) + p.x * 0.05 + p.y * 0.07));
    color = mix(color, vec3<f32>(0.85, 0.85, 0.82) * (water.horizon.rgb * 0.5 + 0.5), foam_band * water.params.z);

    var out = vec4<f32>(color, 1.0);
    let view_dir = -v;
    let scattering = vec3<f32>(pow(max(dot(view_dir, water.sun_dir.xyz), 0.0), water.params.w));
    out = exponential_squared_fog(fog, out, distance, scattering);
    return out;
}
