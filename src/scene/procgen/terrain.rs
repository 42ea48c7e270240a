//! The ground: a seeded height function and the mesh sampled from it.

use bevy::math::Vec3;

use super::mesh::MeshData;
use super::noise::{Rng, fbm};
use crate::scene::format::{GroundColors, Landform, Rgb, Terrain};

/// How many noise layers the terrain sums: detail down to about 1/16 of the
/// feature size, which is where the grid stops resolving it anyway.
const TERRAIN_OCTAVES: u32 = 5;

/// A terrain's height function, ready to sample.
#[derive(Debug, Clone)]
pub(crate) struct TerrainShape {
    /// Width of the square, metres.
    pub(crate) size_m: f32,
    /// Grid cells per side.
    pub(crate) resolution: u32,
    base_height_m: f32,
    roughness_m: f32,
    feature_size_m: f32,
    shapes: Vec<Landform>,
    noise_seed: u32,
}

impl TerrainShape {
    /// Prepares the height function of `terrain` for `seed`.
    pub(crate) fn new(terrain: &Terrain, seed: u64) -> Self {
        let noise_seed = Rng::new(seed, 0x7E44).next_u64() as u32;
        Self {
            size_m: terrain.size_m,
            resolution: terrain.resolution,
            base_height_m: terrain.base_height_m,
            roughness_m: terrain.roughness_m,
            feature_size_m: terrain.feature_size_m.max(1.0),
            shapes: terrain.shapes.clone(),
            noise_seed,
        }
    }

    /// Ground height at `(x, z)`, metres.
    pub(crate) fn height_at(&self, x: f32, z: f32) -> f32 {
        let noise = fbm(
            self.noise_seed,
            x / self.feature_size_m,
            z / self.feature_size_m,
            TERRAIN_OCTAVES,
        );
        let mut height = self.base_height_m + self.roughness_m * noise;
        for shape in &self.shapes {
            height += landform_height(shape, x, z);
        }
        height
    }

    /// Whether `(x, z)` lies on the terrain.
    pub(super) fn contains(&self, x: f32, z: f32) -> bool {
        let half = self.size_m * 0.5;
        x.abs() <= half && z.abs() <= half
    }

    /// The terrain mesh: a grid of `resolution` cells a side, coloured by
    /// height above `water_level_m` and by steepness.
    pub(crate) fn mesh(&self, colors: &GroundColors, water_level_m: f32) -> MeshData {
        let cells = self.resolution as usize;
        let verts = cells + 1;
        let half = self.size_m * 0.5;
        let step = self.size_m / cells as f32;
        let mut mesh = MeshData::with_capacity(verts * verts, cells * cells * 6);
        let heights: Vec<f32> = (0..verts * verts)
            .map(|i| {
                let (ix, iz) = (i % verts, i / verts);
                self.height_at(-half + ix as f32 * step, -half + iz as f32 * step)
            })
            .collect();
        let height = |ix: usize, iz: usize| heights[iz.min(cells) * verts + ix.min(cells)];
        for iz in 0..verts {
            for ix in 0..verts {
                let x = -half + ix as f32 * step;
                let z = -half + iz as f32 * step;
                let h = height(ix, iz);
                let dx = height(ix + 1, iz) - height(ix.saturating_sub(1), iz);
                let dz = height(ix, iz + 1) - height(ix, iz.saturating_sub(1));
                let normal = Vec3::new(-dx, 2.0 * step, -dz)
                    .normalize_or(Vec3::Y)
                    .to_array();
                // A little large-scale colour noise so the ground is not flat paint.
                let mottle = fbm(self.noise_seed ^ 0xC0105, x / 9.0, z / 9.0, 3);
                let color = ground_color(colors, h - water_level_m, normal[1], mottle);
                mesh.push_vertex([x, h, z], normal, [color.0, color.1, color.2, 0.0]);
            }
        }
        for iz in 0..cells {
            for ix in 0..cells {
                let a = (iz * verts + ix) as u32;
                let b = a + 1;
                let c = a + verts as u32;
                let d = c + 1;
                mesh.indices.extend_from_slice(&[a, c, b, b, c, d]);
            }
        }
        mesh
    }
}

/// Height that one landform adds at `(x, z)`.
fn landform_height(shape: &Landform, x: f32, z: f32) -> f32 {
    match *shape {
        Landform::Basin {
            center_m,
            radius_m,
            depth_m,
        } => -depth_m * bump(distance(x, z, center_m) / radius_m),
        Landform::Hill {
            center_m,
            radius_m,
            height_m,
        } => height_m * bump(distance(x, z, center_m) / radius_m),
        Landform::Slope {
            toward_deg,
            drop_per_100m,
            flatten_beyond_m,
        } => {
            let (dir_x, dir_z) = compass(toward_deg);
            let mut along = x * dir_x + z * dir_z;
            if flatten_beyond_m > 0.0 {
                // Ease into the flat part so the ground has no crease.
                let limit = flatten_beyond_m;
                if along.abs() > limit * 0.5 {
                    let sign = along.signum();
                    let excess = (along.abs() - limit * 0.5) / (limit * 0.5);
                    along = sign * limit * 0.5 * (1.0 + smooth_saturate(excess));
                }
            }
            -along * drop_per_100m / 100.0
        }
    }
}

/// A smooth bump: 1 at 0, falling to 0 at 1 with zero slope at both ends.
fn bump(t: f32) -> f32 {
    if t >= 1.0 {
        0.0
    } else {
        let s = 1.0 - t * t;
        s * s
    }
}

/// Rises from 0 with slope 1 and levels off at 1.
fn smooth_saturate(t: f32) -> f32 {
    if t >= 2.0 { 1.0 } else { t - t * t / 4.0 }
}

fn distance(x: f32, z: f32, (cx, cz): (f32, f32)) -> f32 {
    ((x - cx).powi(2) + (z - cz).powi(2)).sqrt()
}

/// The ground-plane unit vector `(x, z)` of a compass direction (0 = north = -z).
pub(crate) fn compass(deg: f32) -> (f32, f32) {
    let r = deg.to_radians();
    (r.sin(), -r.cos())
}

/// Colour of the ground at `above_water_m` metres above the water, with
/// `up` the normal's vertical part and `mottle` a noise value in -1..1.
fn ground_color(colors: &GroundColors, above_water_m: f32, up: f32, mottle: f32) -> Rgb {
    let band = colors.shore_band_m.max(0.01);
    let mut color = if above_water_m < 0.0 {
        // Under water the shore colour darkens with depth, as a wet lake bed.
        let dim = 1.0 / (1.0 + (-above_water_m) * 0.35);
        scale(colors.shore, 0.55 + 0.3 * dim)
    } else if above_water_m < band {
        mix(
            colors.shore,
            colors.low,
            smoothstep(band * 0.5, band, above_water_m),
        )
    } else {
        let t = smoothstep(band, colors.high_from_m.max(band + 0.01), above_water_m);
        mix(colors.low, colors.high, t)
    };
    // Slopes steeper than about 40 degrees show rock.
    let steep = 1.0 - smoothstep(0.70, 0.80, up);
    color = mix(color, colors.steep, steep);
    scale(color, 1.0 + 0.18 * mottle)
}

fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Linear blend of two colours.
pub(crate) fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    (
        a.0 + (b.0 - a.0) * t,
        a.1 + (b.1 - a.1) * t,
        a.2 + (b.2 - a.2) * t,
    )
}

/// A colour scaled by `k`.
pub(crate) fn scale(c: Rgb, k: f32) -> Rgb {
    (c.0 * k, c.1 * k, c.2 * k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::defaults;

    fn terrain(shapes: Vec<Landform>) -> Terrain {
        Terrain {
            size_m: 200.0,
            resolution: 32,
            base_height_m: 1.0,
            roughness_m: 0.0,
            feature_size_m: 50.0,
            shapes,
            colors: GroundColors {
                shore: (0.6, 0.55, 0.4),
                low: (0.2, 0.35, 0.1),
                high: (0.4, 0.4, 0.3),
                steep: defaults::rock(),
                shore_band_m: 0.8,
                high_from_m: 25.0,
            },
        }
    }

    #[test]
    fn basin_is_deepest_at_its_centre_and_flat_outside() {
        let shape = TerrainShape::new(
            &terrain(vec![Landform::Basin {
                center_m: (10.0, -20.0),
                radius_m: 30.0,
                depth_m: 5.0,
            }]),
            1,
        );
        assert!((shape.height_at(10.0, -20.0) - (1.0 - 5.0)).abs() < 1e-4);
        assert!((shape.height_at(10.0, 20.0) - 1.0).abs() < 1e-4);
        assert!(shape.height_at(10.0, -5.0) > shape.height_at(10.0, -15.0));
    }

    #[test]
    fn slope_falls_towards_its_direction() {
        let shape = TerrainShape::new(
            &terrain(vec![Landform::Slope {
                toward_deg: 0.0,
                drop_per_100m: 4.0,
                flatten_beyond_m: 0.0,
            }]),
            1,
        );
        // North is -z: the ground 100 m north is 4 m lower.
        assert!((shape.height_at(0.0, -100.0) - (1.0 - 4.0)).abs() < 1e-4);
        assert!((shape.height_at(0.0, 100.0) - (1.0 + 4.0)).abs() < 1e-4);
    }

    #[test]
    fn mesh_has_a_vertex_per_grid_point_and_upward_normals() {
        let t = terrain(vec![]);
        let mesh = TerrainShape::new(&t, 3).mesh(&t.colors, 0.0);
        assert_eq!(mesh.positions.len(), 33 * 33);
        assert_eq!(mesh.indices.len(), 32 * 32 * 6);
        assert!(mesh.normals.iter().all(|n| n[1] > 0.9));
        assert!(
            mesh.indices
                .iter()
                .all(|&i| (i as usize) < mesh.positions.len())
        );
    }

    #[test]
    fn same_seed_same_ground_and_another_seed_another() {
        let mut t = terrain(vec![]);
        t.roughness_m = 3.0;
        let a = TerrainShape::new(&t, 5);
        let b = TerrainShape::new(&t, 5);
        let c = TerrainShape::new(&t, 6);
        assert_eq!(a.height_at(12.5, 7.0), b.height_at(12.5, 7.0));
        assert_ne!(a.height_at(12.5, 7.0), c.height_at(12.5, 7.0));
    }
}
