//! A scene's blueprint: all the generated geometry and placements, made from
//! a checked scene file in plain Rust, before anything touches the ECS.

use crate::scene::format::{ParticleKind, SceneFile, Water};
use crate::scene::procgen::mesh::{Detail, MeshData};
use crate::scene::procgen::noise::Rng;
use crate::scene::procgen::scatter::{self, Placement, Surroundings};
use crate::scene::procgen::sky;
use crate::scene::procgen::terrain::TerrainShape;

/// Radius of the sky dome, metres: beyond the farthest water and terrain.
const SKY_RADIUS_M: f32 = 12_000.0;
/// Distance of the sun's disc, metres: just inside the sky dome.
pub(super) const SUN_DISTANCE_M: f32 = 11_000.0;
/// Apparent radius of the sun's disc, degrees; a little larger than the real
/// sun, as it looks low in the sky.
pub(super) const SUN_DISC_DEG: f32 = 0.7;
/// Distance of cloud banks, metres.
pub(super) const CLOUD_DISTANCE_M: f32 = 9_000.0;
/// Most grid cells along a side of the inner water surface.
const MAX_WATER_CELLS: u32 = 192;
/// Water deeper than this shows only its deep colour, metres.
const SHALLOW_DEPTH_M: f32 = 2.5;

/// One scatter entry, generated.
#[derive(Debug, Clone)]
pub(crate) struct ScatterBlueprint {
    /// Mesh for copies near the viewpoint.
    pub(crate) near: MeshData,
    /// Lighter mesh for copies far away.
    pub(crate) far: MeshData,
    /// Where the copies stand.
    pub(crate) placements: Vec<Placement>,
    /// How much the copies' colours vary, 0 to 0.5.
    pub(crate) color_variation: f32,
}

/// One particle entry, generated.
#[derive(Debug, Clone)]
pub(crate) struct ParticleBlueprint {
    /// Radius of each particle, metres.
    pub(crate) radius_m: f32,
    /// Colour times glow, linear.
    pub(crate) color: [f32; 3],
    /// Each particle's wandering.
    pub(crate) drifts: Vec<DriftSpec>,
}

/// How one particle wanders about its anchor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DriftSpec {
    /// Centre of its wandering, metres.
    pub(crate) anchor: [f32; 3],
    /// How far it wanders, metres.
    pub(crate) reach_m: f32,
    /// Phases of its wandering, radians.
    pub(crate) phase: [f32; 3],
    /// Angular rates of its wandering, radians per second.
    pub(crate) rate: [f32; 3],
    /// Period of a firefly's glow, seconds; 0 for a steady mote.
    pub(crate) pulse_period_s: f32,
}

/// The slowest a firefly's glow may swell and fade, seconds per cycle.
const FIREFLY_PERIOD_S: (f32, f32) = (3.0, 7.0);

/// Everything generated for one scene.
#[derive(Debug, Clone)]
pub struct Blueprint {
    /// The ground's height function.
    pub(crate) terrain: TerrainShape,
    /// The ground mesh.
    pub(crate) terrain_mesh: MeshData,
    /// The sky dome.
    pub(crate) sky_mesh: MeshData,
    /// Unit vector towards the sun.
    pub(crate) sun_dir: [f32; 3],
    /// The water surface, if any.
    pub(crate) water_mesh: Option<MeshData>,
    /// Per scatter entry: the near and far meshes, and the placements.
    pub(crate) scatter: Vec<ScatterBlueprint>,
    /// Cloud banks: mesh, azimuth (rad), elevation (rad), angular width (rad).
    pub(crate) clouds: Vec<(MeshData, f32, f32, f32)>,
    /// Per particle entry: the particles and how they wander.
    pub(crate) particles: Vec<ParticleBlueprint>,
    /// The eye of the seated viewpoint, metres.
    pub(crate) eye: [f32; 3],
}

impl Blueprint {
    /// Generates everything `scene` describes. The scene must have passed
    /// validation, which bounds every size and count used here.
    pub fn new(scene: &SceneFile) -> Self {
        let terrain = TerrainShape::new(&scene.terrain, scene.seed);
        let datum = scene.water.as_ref().map_or(0.0, |w| w.level_m);
        let terrain_mesh = terrain.mesh(&scene.terrain.colors, datum);
        let sun_dir = sky::sun_direction(scene.sun.azimuth_deg, scene.sun.elevation_deg);
        let sky_mesh = sky::dome(&scene.sky, sun_dir, SKY_RADIUS_M);
        let water_mesh = scene.water.as_ref().map(|w| water_mesh(w, &terrain));
        let (vx, vz) = scene.viewpoint.position_m;
        let around = Surroundings {
            terrain: &terrain,
            datum_m: datum,
            has_water: scene.water.is_some(),
            viewpoint: (vx, vz),
            seed: scene.seed,
        };
        let scatter = scene
            .scatter
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let seed = scene.seed.wrapping_add(i as u64);
                ScatterBlueprint {
                    near: MeshData::kind_at(entry.kind, entry.color, seed, Detail::Near),
                    far: MeshData::kind_at(entry.kind, entry.color, seed, Detail::Far),
                    placements: scatter::place(entry, i, around),
                    color_variation: entry.color_variation,
                }
            })
            .collect();
        let clouds = scene
            .sky
            .clouds
            .as_ref()
            .map(|c| {
                let mut rng = crate::scene::procgen::noise::Rng::new(scene.seed, 0xC1);
                let shade = crate::scene::procgen::terrain::mix(c.color, scene.sky.horizon, 0.6);
                (0..c.count)
                    .map(|i| {
                        let mesh = sky::cloud_bank(
                            c.color,
                            crate::scene::procgen::terrain::scale(shade, 0.85),
                            scene.seed ^ u64::from(i),
                        );
                        let azimuth = rng.range(0.0, std::f32::consts::TAU);
                        let elevation =
                            rng.range(c.elevation_deg.0, c.elevation_deg.1).to_radians();
                        let width = rng.range(8.0, 22.0).to_radians();
                        (mesh, azimuth, elevation, width)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let eye = [
            vx,
            terrain.height_at(vx, vz) + scene.viewpoint.eye_height_m,
            vz,
        ];
        let particles = scene
            .particles
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let mut rng = Rng::new(scene.seed, 0xD21F7 + index as u64);
                let half = terrain.size_m * 0.5;
                let floor = scene.water.as_ref().map_or(f32::MIN, |w| w.level_m);
                let drifts = (0..entry.count)
                    .map(|_| {
                        let (x, z) = scatter::sample(&entry.area, half, &mut rng);
                        let y = terrain.height_at(x, z).max(floor)
                            + rng.range(entry.height_m.0, entry.height_m.1);
                        DriftSpec {
                            anchor: [x, y, z],
                            // About ten seconds of drift at the scene's speed.
                            reach_m: entry.drift_m_per_s * 10.0,
                            phase: [
                                rng.range(0.0, 6.3),
                                rng.range(0.0, 6.3),
                                rng.range(0.0, 6.3),
                            ],
                            rate: [
                                rng.range(0.05, 0.12),
                                rng.range(0.04, 0.09),
                                rng.range(0.05, 0.12),
                            ],
                            pulse_period_s: match entry.kind {
                                ParticleKind::Motes => 0.0,
                                ParticleKind::Fireflies => {
                                    rng.range(FIREFLY_PERIOD_S.0, FIREFLY_PERIOD_S.1)
                                }
                            },
                        }
                    })
                    .collect();
                let (r, g, b) = entry.color;
                ParticleBlueprint {
                    radius_m: entry.size_m * 0.5,
                    color: [r * entry.glow, g * entry.glow, b * entry.glow],
                    drifts,
                }
            })
            .collect();
        Self {
            terrain,
            terrain_mesh,
            sky_mesh,
            sun_dir,
            water_mesh,
            scatter,
            clouds,
            particles,
            eye,
        }
    }

    /// Number of particles.
    pub fn particle_count(&self) -> usize {
        self.particles.iter().map(|p| p.drifts.len()).sum()
    }

    /// Number of scattered instances actually placed.
    pub fn instance_count(&self) -> usize {
        self.scatter.iter().map(|s| s.placements.len()).sum()
    }
}

/// The water surface: a grid over the terrain, where the shore is, and a
/// flat skirt out to the water's full size. Vertex colour red is how shallow
/// the water is (1 at the shore), green how much the swell may move it.
fn water_mesh(water: &Water, terrain: &TerrainShape) -> MeshData {
    let size = water.size_m.unwrap_or(terrain.size_m).max(terrain.size_m);
    let inner = terrain.size_m;
    let cells = terrain.resolution.min(MAX_WATER_CELLS) as usize;
    let step = inner / cells as f32;
    // Waves shorter than four grid cells would alias: only the ripples in the
    // fragment shader show them.
    let displace = ((water.wave_length_m / step - 4.0) / 4.0).clamp(0.0, 1.0);
    let level = water.level_m;
    let verts = cells + 1;
    let half = inner * 0.5;
    let mut mesh = MeshData::with_capacity(verts * verts + 16, cells * cells * 6 + 48);
    let mut depth = Vec::with_capacity(verts * verts);
    for iz in 0..verts {
        for ix in 0..verts {
            let x = -half + ix as f32 * step;
            let z = -half + iz as f32 * step;
            let d = level - terrain.height_at(x, z);
            depth.push(d);
            let shallow = 1.0 - (d / SHALLOW_DEPTH_M).clamp(0.0, 1.0);
            mesh.push_vertex(
                [x, level, z],
                [0.0, 1.0, 0.0],
                [shallow, displace, 0.0, 1.0],
            );
        }
    }
    for iz in 0..cells {
        for ix in 0..cells {
            let a = iz * verts + ix;
            let (b, c, d) = (a + 1, a + verts, a + verts + 1);
            // Skip cells where the ground is well above the water everywhere:
            // they would only be drawn and hidden.
            if [a, b, c, d].iter().all(|&k| depth[k] < -1.0) {
                continue;
            }
            let (a, b, c, d) = (a as u32, b as u32, c as u32, d as u32);
            mesh.indices.extend_from_slice(&[a, c, b, b, c, d]);
        }
    }
    if size > inner + 1.0 {
        // A skirt of eight quads from the terrain's edge to the water's edge.
        let outer = size * 0.5;
        let ring = |r: f32| [[-r, -r], [r, -r], [r, r], [-r, r]];
        let first = mesh.positions.len() as u32;
        for [x, z] in ring(half).into_iter().chain(ring(outer)) {
            mesh.push_vertex([x, level, z], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]);
        }
        for i in 0..4u32 {
            let (a, b) = (first + i, first + (i + 1) % 4);
            let (c, d) = (first + 4 + i, first + 4 + (i + 1) % 4);
            mesh.indices.extend_from_slice(&[a, b, c, b, d, c]);
        }
    }
    mesh
}
