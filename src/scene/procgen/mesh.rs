//! Generated meshes: plain vertex data, and the plants and stones that
//! scenes scatter.
//!
//! Colours are baked into the vertices, so one material can draw every copy
//! of a kind; the alpha channel carries the sway weight (0 at the roots, 1 at
//! the tips) that the wind shader reads.

use bevy::math::Vec3;

use super::noise::{Rng, value_noise};
use crate::scene::format::{Rgb, ScatterKind};

/// Vertex data of one mesh, independent of any renderer.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MeshData {
    /// Positions, metres.
    pub(crate) positions: Vec<[f32; 3]>,
    /// Unit normals.
    pub(crate) normals: Vec<[f32; 3]>,
    /// Linear-light colours; alpha is the sway weight.
    pub(crate) colors: Vec<[f32; 4]>,
    /// Triangle list, counter-clockwise when seen from the front.
    pub(crate) indices: Vec<u32>,
}

/// Level of detail of a scattered mesh. The person is seated and never
/// moves, so each copy's distance, and so its detail, is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Full detail, for copies near the viewpoint.
    Near,
    /// About a third of the triangles, for copies far away.
    Far,
}

/// Distance from the viewpoint beyond which copies use [`Detail::Far`],
/// metres: a 9 m pine there is under 40 pixels tall in a 720-line view.
pub(super) const FAR_DETAIL_FROM_M: f32 = 120.0;

/// Bark of every generated tree, linear light.
const BARK: Rgb = (0.13, 0.085, 0.05);
/// Bark of palms, lighter and greyer.
const PALM_BARK: Rgb = (0.28, 0.22, 0.15);

impl MeshData {
    /// An empty mesh with room for `vertices` and `indices`.
    pub(crate) fn with_capacity(vertices: usize, indices: usize) -> Self {
        Self {
            positions: Vec::with_capacity(vertices),
            normals: Vec::with_capacity(vertices),
            colors: Vec::with_capacity(vertices),
            indices: Vec::with_capacity(indices),
        }
    }

    /// Adds one vertex and returns its index.
    pub(crate) fn push_vertex(
        &mut self,
        position: [f32; 3],
        normal: [f32; 3],
        color: [f32; 4],
    ) -> u32 {
        self.positions.push(position);
        self.normals.push(normal);
        self.colors.push(color);
        (self.positions.len() - 1) as u32
    }

    /// Number of triangles.
    #[cfg(test)]
    fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    /// A generated mesh of `kind`, with `color` as its main colour, at full
    /// detail.
    #[cfg(test)]
    fn kind(kind: ScatterKind, color: Rgb, seed: u64) -> Self {
        Self::kind_at(kind, color, seed, Detail::Near)
    }

    /// A generated mesh of `kind` at the given level of detail.
    pub(crate) fn kind_at(kind: ScatterKind, color: Rgb, seed: u64, detail: Detail) -> Self {
        let near = detail == Detail::Near;
        let pick = |full: u32, reduced: u32| if near { full } else { reduced };
        let mut rng = Rng::new(seed, kind as u64 + 0x5CA7);
        let mut mesh = Self::default();
        // Subdivision of the lumps that make crowns, bushes and stones.
        let lumps = pick(1, 0);
        match kind {
            ScatterKind::Pine => {
                mesh.tapered_tube(
                    pick(7, 3),
                    [0.0, 0.0, 0.0],
                    [0.0, 9.0, 0.0],
                    0.2,
                    0.05,
                    BARK,
                    BARK,
                );
                let tiers = pick(6, 4);
                for i in 0..tiers {
                    let t = i as f32 / (tiers - 1) as f32;
                    let base = 1.5 + t * 6.3;
                    let radius = 2.3 * (1.0 - t * 0.78);
                    let shade = 0.62 + 0.45 * t;
                    let lean = [rng.range(-0.1, 0.1), 0.0, rng.range(-0.1, 0.1)];
                    mesh.cone(
                        pick(9, 5),
                        [lean[0], base, lean[2]],
                        radius,
                        2.6 - t * 0.9,
                        mul(color, shade * 0.8),
                        mul(color, shade),
                        rng.next_u64(),
                    );
                }
            }
            ScatterKind::Broadleaf => {
                mesh.tapered_tube(
                    pick(7, 3),
                    [0.0, 0.0, 0.0],
                    [0.1, 4.6, 0.0],
                    0.28,
                    0.14,
                    BARK,
                    BARK,
                );
                mesh.tapered_tube(5, [0.05, 3.0, 0.0], [1.2, 5.0, 0.3], 0.1, 0.05, BARK, BARK);
                mesh.tapered_tube(
                    5,
                    [0.05, 3.4, 0.0],
                    [-1.0, 5.4, -0.4],
                    0.1,
                    0.05,
                    BARK,
                    BARK,
                );
                for _ in 0..7 {
                    let center = [
                        rng.range(-1.6, 1.6),
                        rng.range(4.8, 7.2),
                        rng.range(-1.6, 1.6),
                    ];
                    let r = rng.range(1.4, 2.1);
                    let shade = 0.75 + 0.35 * (center[1] - 4.8) / 2.4;
                    mesh.blob(
                        lumps,
                        center,
                        [r, r * 0.8, r],
                        0.3,
                        mul(color, shade),
                        rng.next_u64(),
                    );
                }
            }
            ScatterKind::Bush => {
                for _ in 0..4 {
                    let center = [
                        rng.range(-0.5, 0.5),
                        rng.range(0.35, 0.7),
                        rng.range(-0.5, 0.5),
                    ];
                    let r = rng.range(0.45, 0.7);
                    mesh.blob(
                        lumps,
                        center,
                        [r, r * 0.8, r],
                        0.3,
                        mul(color, rng.range(0.8, 1.05)),
                        rng.next_u64(),
                    );
                }
            }
            ScatterKind::Palm => {
                let segments = pick(8, 3);
                let top_y = 7.0;
                let mut previous = [0.0, 0.0, 0.0];
                for s in 1..=segments {
                    let t = s as f32 / segments as f32;
                    let point = [1.4 * t * t, top_y * t, 0.0];
                    let r0 = 0.2 - 0.06 * (t - 1.0 / segments as f32);
                    mesh.tapered_tube(
                        6,
                        previous,
                        point,
                        r0,
                        r0 - 0.008,
                        PALM_BARK,
                        mul(PALM_BARK, 0.85),
                    );
                    previous = point;
                }
                let fronds = pick(9, 4);
                for i in 0..fronds {
                    let yaw =
                        i as f32 / fronds as f32 * std::f32::consts::TAU + rng.range(-0.2, 0.2);
                    let droop = rng.range(1.2, 1.9);
                    mesh.frond(previous, yaw, rng.range(2.6, 3.3), droop, color);
                }
            }
            ScatterKind::Rock => {
                mesh.blob(
                    lumps,
                    [0.0, 0.12, 0.0],
                    [0.45, 0.3, 0.4],
                    0.45,
                    color,
                    rng.next_u64(),
                );
            }
            ScatterKind::Reeds => {
                for _ in 0..pick(12, 5) {
                    let base = [rng.range(-0.25, 0.25), -0.05, rng.range(-0.25, 0.25)];
                    let height = rng.range(0.9, 1.6);
                    let lean = [rng.range(-0.25, 0.25), rng.range(-0.25, 0.25)];
                    mesh.blade(base, height, 0.035, lean, mul(color, rng.range(0.75, 1.1)));
                }
                for _ in 0..pick(3, 1) {
                    let x = rng.range(-0.15, 0.15);
                    let z = rng.range(-0.15, 0.15);
                    let h = rng.range(1.1, 1.5);
                    mesh.tapered_tube(
                        5,
                        [x, h, z],
                        [x, h + 0.22, z],
                        0.03,
                        0.028,
                        (0.16, 0.08, 0.035),
                        (0.16, 0.08, 0.035),
                    );
                }
            }
            ScatterKind::Grass => {
                for _ in 0..pick(10, 4) {
                    let base = [rng.range(-0.15, 0.15), -0.02, rng.range(-0.15, 0.15)];
                    let height = rng.range(0.22, 0.48);
                    let lean = [rng.range(-0.18, 0.18), rng.range(-0.18, 0.18)];
                    mesh.blade(base, height, 0.03, lean, mul(color, rng.range(0.7, 1.15)));
                }
            }
        }
        // Stones do not sway; everything else bends more towards its top.
        if kind != ScatterKind::Rock {
            mesh.set_sway_by_height();
        }
        mesh
    }

    /// A sphere made by subdividing an icosahedron twice: round enough for
    /// particles and the sun's disc.
    pub(crate) fn sphere(radius: f32, color: Rgb) -> Self {
        let mut mesh = Self::default();
        let (positions, indices) = icosphere(2);
        for p in positions {
            mesh.push_vertex(
                [p[0] * radius, p[1] * radius, p[2] * radius],
                p,
                [color.0, color.1, color.2, 0.0],
            );
        }
        mesh.indices = indices;
        mesh
    }

    /// Sets each vertex's sway weight from its height: roots stay put,
    /// tips move most.
    fn set_sway_by_height(&mut self) {
        let top = self
            .positions
            .iter()
            .map(|p| p[1])
            .fold(0.0f32, f32::max)
            .max(0.01);
        for (p, c) in self.positions.iter().zip(self.colors.iter_mut()) {
            let t = (p[1] / top).clamp(0.0, 1.0);
            c[3] = t * t;
        }
    }

    /// A tube from `a` to `b` whose radius goes from `r0` to `r1`.
    #[allow(clippy::too_many_arguments)]
    fn tapered_tube(
        &mut self,
        segments: u32,
        a: [f32; 3],
        b: [f32; 3],
        r0: f32,
        r1: f32,
        c0: Rgb,
        c1: Rgb,
    ) {
        let (a, b) = (Vec3::from_array(a), Vec3::from_array(b));
        let axis = (b - a).normalize_or(Vec3::Y);
        let (u, v) = basis(axis);
        let first = self.positions.len() as u32;
        for i in 0..=segments {
            let angle = i as f32 / segments as f32 * std::f32::consts::TAU;
            let dir = u * angle.cos() + v * angle.sin();
            let normal = dir.to_array();
            self.push_vertex((a + dir * r0).to_array(), normal, [c0.0, c0.1, c0.2, 0.0]);
            self.push_vertex((b + dir * r1).to_array(), normal, [c1.0, c1.1, c1.2, 0.0]);
        }
        for i in 0..segments {
            let k = first + i * 2;
            self.indices
                .extend_from_slice(&[k, k + 2, k + 1, k + 1, k + 2, k + 3]);
        }
    }

    /// A cone standing on `base`, with a closed bottom so that it looks solid
    /// from below.
    #[allow(clippy::too_many_arguments)]
    fn cone(
        &mut self,
        segments: u32,
        base: [f32; 3],
        radius: f32,
        height: f32,
        c0: Rgb,
        c1: Rgb,
        seed: u64,
    ) {
        let mut rng = Rng::new(seed, 1);
        let tip = self.push_vertex(
            [base[0], base[1] + height, base[2]],
            [0.0, 1.0, 0.0],
            [c1.0, c1.1, c1.2, 0.0],
        );
        let bottom = self.push_vertex(base, [0.0, -1.0, 0.0], [c0.0, c0.1, c0.2, 0.0]);
        let first = self.positions.len() as u32;
        let slope = radius / height;
        for i in 0..segments {
            let angle = i as f32 / segments as f32 * std::f32::consts::TAU;
            let r = radius * rng.range(0.85, 1.1);
            let droop = rng.range(-0.25, 0.05);
            let (s, c) = angle.sin_cos();
            let normal = Vec3::new(c, slope, s).normalize_or(Vec3::Y);
            self.push_vertex(
                [base[0] + c * r, base[1] + droop, base[2] + s * r],
                normal.to_array(),
                [c0.0, c0.1, c0.2, 0.0],
            );
        }
        for i in 0..segments {
            let a = first + i;
            let b = first + (i + 1) % segments;
            self.indices.extend_from_slice(&[a, tip, b, a, b, bottom]);
        }
    }

    /// A lumpy, roughly ellipsoidal blob: a tree crown, a bush, a stone.
    fn blob(
        &mut self,
        level: u32,
        center: [f32; 3],
        radii: [f32; 3],
        lumpiness: f32,
        color: Rgb,
        seed: u64,
    ) {
        let (positions, indices) = icosphere(level);
        let first = self.positions.len() as u32;
        let noise_seed = seed as u32;
        for p in positions {
            let n = value_noise(
                noise_seed,
                p[0] * 1.7 + p[1] * 0.9 + 11.0,
                p[2] * 1.7 - p[1] * 0.6 + 5.0,
            );
            let k = 1.0 + lumpiness * n;
            let pos = [
                center[0] + p[0] * radii[0] * k,
                center[1] + p[1] * radii[1] * k,
                center[2] + p[2] * radii[2] * k,
            ];
            // Undersides are in shade: darken them a little so crowns read as round.
            let shade = 0.78 + 0.22 * (p[1] * 0.5 + 0.5);
            let normal = (Vec3::from_array(p) / Vec3::from_array(radii)).normalize_or(Vec3::Y);
            self.push_vertex(
                pos,
                normal.to_array(),
                [color.0 * shade, color.1 * shade, color.2 * shade, 0.0],
            );
        }
        self.indices.extend(indices.into_iter().map(|i| i + first));
    }

    /// A thin tapering blade of grass or reed, rising from `base`.
    fn blade(&mut self, base: [f32; 3], height: f32, width: f32, lean: [f32; 2], color: Rgb) {
        let steps = 4;
        let first = self.positions.len() as u32;
        let side = Vec3::new(-lean[1], 0.0, lean[0] + 1e-3).normalize_or(Vec3::Y);
        let side = if side.x.abs() + side.z.abs() < 1e-3 {
            Vec3::X
        } else {
            side
        };
        for s in 0..=steps {
            let t = s as f32 / steps as f32;
            let bend = t * t;
            let center = Vec3::new(
                base[0] + lean[0] * height * bend,
                base[1] + height * t,
                base[2] + lean[1] * height * bend,
            );
            let half = width * (1.0 - t * 0.9) * 0.5;
            let normal = Vec3::new(-lean[0], 0.4, -lean[1])
                .normalize_or(Vec3::Y)
                .to_array();
            let shade = 0.6 + 0.4 * t;
            let c = [color.0 * shade, color.1 * shade, color.2 * shade, 0.0];
            self.push_vertex((center + side * -half).to_array(), normal, c);
            self.push_vertex((center + side * half).to_array(), normal, c);
        }
        for s in 0..steps {
            let k = first + s * 2;
            self.indices
                .extend_from_slice(&[k, k + 1, k + 2, k + 1, k + 3, k + 2]);
        }
    }

    /// An arching palm frond from `start`, pointing at compass angle `yaw`.
    fn frond(&mut self, start: [f32; 3], yaw: f32, length: f32, droop: f32, color: Rgb) {
        let steps = 6;
        let dir = [yaw.cos(), 0.0, yaw.sin()];
        let side = [-yaw.sin(), 0.0, yaw.cos()];
        let first = self.positions.len() as u32;
        for s in 0..=steps {
            let t = s as f32 / steps as f32;
            let along = length * t;
            let rise = 0.9 * t - droop * t * t;
            let center = Vec3::new(
                start[0] + dir[0] * along,
                start[1] + rise,
                start[2] + dir[2] * along,
            );
            let half = 0.42 * (1.0 - t).powf(0.6) * (0.3 + t).min(1.0);
            let shade = 0.7 + 0.3 * (1.0 - t);
            let c = [color.0 * shade, color.1 * shade, color.2 * shade, 0.0];
            // The leaflets hang down a little at each side: a shallow V.
            self.push_vertex(
                (center + Vec3::new(side[0] * -half, -0.12 * half, side[2] * -half)).to_array(),
                [0.0, 1.0, 0.0],
                c,
            );
            self.push_vertex(
                (center + Vec3::new(side[0] * half, -0.12 * half, side[2] * half)).to_array(),
                [0.0, 1.0, 0.0],
                c,
            );
        }
        for s in 0..steps {
            let k = first + s * 2;
            self.indices
                .extend_from_slice(&[k, k + 2, k + 1, k + 1, k + 2, k + 3]);
        }
    }
}

/// An icosahedron subdivided `levels` times, projected onto the unit sphere.
fn icosphere(levels: u32) -> (Vec<[f32; 3]>, Vec<u32>) {
    let t = (1.0 + 5.0f32.sqrt()) / 2.0;
    let mut positions: Vec<[f32; 3]> = [
        [-1.0, t, 0.0],
        [1.0, t, 0.0],
        [-1.0, -t, 0.0],
        [1.0, -t, 0.0],
        [0.0, -1.0, t],
        [0.0, 1.0, t],
        [0.0, -1.0, -t],
        [0.0, 1.0, -t],
        [t, 0.0, -1.0],
        [t, 0.0, 1.0],
        [-t, 0.0, -1.0],
        [-t, 0.0, 1.0],
    ]
    .into_iter()
    .map(|p| Vec3::from_array(p).normalize_or(Vec3::Y).to_array())
    .collect();
    let mut indices: Vec<u32> = vec![
        0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7,
        1, 8, 3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9,
        8, 1,
    ];
    for _ in 0..levels {
        let mut midpoints = std::collections::HashMap::new();
        let mut next = Vec::with_capacity(indices.len() * 4);
        let mut midpoint = |a: u32, b: u32, positions: &mut Vec<[f32; 3]>| -> u32 {
            let key = (a.min(b), a.max(b));
            *midpoints.entry(key).or_insert_with(|| {
                let (pa, pb) = (positions[a as usize], positions[b as usize]);
                let mid = (Vec3::from_array(pa) + Vec3::from_array(pb)) * 0.5;
                positions.push(mid.normalize_or(Vec3::Y).to_array());
                (positions.len() - 1) as u32
            })
        };
        for tri in indices.chunks_exact(3) {
            let (a, b, c) = (tri[0], tri[1], tri[2]);
            let ab = midpoint(a, b, &mut positions);
            let bc = midpoint(b, c, &mut positions);
            let ca = midpoint(c, a, &mut positions);
            next.extend_from_slice(&[a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca]);
        }
        indices = next;
    }
    (positions, indices)
}

fn mul(c: Rgb, k: f32) -> Rgb {
    (c.0 * k, c.1 * k, c.2 * k)
}

/// Two unit vectors perpendicular to `axis` and to each other.
fn basis(axis: Vec3) -> (Vec3, Vec3) {
    let helper = if axis.y.abs() < 0.9 { Vec3::Y } else { Vec3::X };
    let u = axis.cross(helper).normalize_or(Vec3::Y);
    let v = axis.cross(u);
    (u, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ScatterKind; 7] = [
        ScatterKind::Pine,
        ScatterKind::Broadleaf,
        ScatterKind::Bush,
        ScatterKind::Palm,
        ScatterKind::Rock,
        ScatterKind::Reeds,
        ScatterKind::Grass,
    ];

    #[test]
    fn every_kind_is_a_valid_mesh_of_a_sensible_size() {
        for kind in KINDS {
            let mesh = MeshData::kind(kind, (0.2, 0.4, 0.1), 9);
            assert!(mesh.triangle_count() > 10, "{kind:?} is too simple");
            assert!(
                mesh.triangle_count() < 3000,
                "{kind:?} is too heavy to scatter"
            );
            assert!(
                mesh.indices
                    .iter()
                    .all(|&i| (i as usize) < mesh.positions.len())
            );
            let top = mesh.positions.iter().map(|p| p[1]).fold(f32::MIN, f32::max);
            assert!((0.2..12.0).contains(&top), "{kind:?} is {top} m tall");
            for n in &mesh.normals {
                let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                assert!(
                    (len - 1.0).abs() < 1e-3,
                    "{kind:?} has a normal of length {len}"
                );
            }
        }
    }

    #[test]
    fn far_copies_are_lighter() {
        for kind in KINDS {
            let near = MeshData::kind_at(kind, (0.2, 0.4, 0.1), 9, Detail::Near);
            let far = MeshData::kind_at(kind, (0.2, 0.4, 0.1), 9, Detail::Far);
            assert!(
                far.triangle_count() * 2 <= near.triangle_count(),
                "{kind:?}: {} far triangles against {} near",
                far.triangle_count(),
                near.triangle_count()
            );
        }
    }

    #[test]
    fn roots_stay_still_and_tips_sway() {
        let mesh = MeshData::kind(ScatterKind::Grass, (0.2, 0.4, 0.1), 1);
        for (p, c) in mesh.positions.iter().zip(&mesh.colors) {
            if p[1] <= 0.0 {
                assert_eq!(c[3], 0.0);
            }
        }
        assert!(mesh.colors.iter().any(|c| c[3] > 0.9));
        let rock = MeshData::kind(ScatterKind::Rock, (0.3, 0.3, 0.3), 1);
        assert!(rock.colors.iter().all(|c| c[3] == 0.0));
    }
}
