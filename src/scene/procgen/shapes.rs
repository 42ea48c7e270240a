//! The shapes props are built from: boxes, upright cylinders, balls, and a
//! flat picture with a drawing made of strokes. Each stands with the middle
//! of its underside at the origin; colours are white (the prop's surface
//! gives the colour) except on pictures, whose paper and ink are baked in.

use super::mesh::MeshData;
use crate::scene::exposure::format::Drawing;

/// Vertex colours multiply the surface's colour, alpha and all: props are
/// opaque in their vertices, so a see-through surface shows as it asks.
const WHITE: [f32; 4] = [1.0, 1.0, 1.0, 1.0];
/// Pale paper, a little warm.
const PAPER: [f32; 4] = [0.82, 0.78, 0.68, 1.0];
/// Soft pencil-dark ink.
const INK: [f32; 4] = [0.06, 0.05, 0.05, 1.0];

impl MeshData {
    /// A box `size` = (width along x, height, depth along z), flat-shaded.
    pub(crate) fn block(size: [f32; 3]) -> Self {
        let mut mesh = Self::with_capacity(24, 36);
        mesh.add_box([0.0, size[1] / 2.0, 0.0], size, WHITE);
        mesh
    }

    /// An upright cylinder, with its caps.
    pub(crate) fn column(radius: f32, height: f32) -> Self {
        // Enough sides that the edge reads round at arm's length.
        let sides = 32;
        let mut mesh = Self::with_capacity(sides * 4 + 2, sides * 12);
        for i in 0..sides {
            let (a0, a1) = (
                i as f32 / sides as f32 * std::f32::consts::TAU,
                (i + 1) as f32 / sides as f32 * std::f32::consts::TAU,
            );
            let (n0, n1) = ([a0.sin(), 0.0, a0.cos()], [a1.sin(), 0.0, a1.cos()]);
            let at = |n: [f32; 3], y: f32| [n[0] * radius, y, n[2] * radius];
            let b0 = mesh.push_vertex(at(n0, 0.0), n0, WHITE);
            let b1 = mesh.push_vertex(at(n1, 0.0), n1, WHITE);
            let t0 = mesh.push_vertex(at(n0, height), n0, WHITE);
            let t1 = mesh.push_vertex(at(n1, height), n1, WHITE);
            mesh.indices.extend_from_slice(&[b0, b1, t1, b0, t1, t0]);
        }
        for (y, up) in [(0.0f32, -1.0f32), (height, 1.0)] {
            let centre = mesh.push_vertex([0.0, y, 0.0], [0.0, up, 0.0], WHITE);
            let ring: Vec<u32> = (0..sides)
                .map(|i| {
                    let a = i as f32 / sides as f32 * std::f32::consts::TAU;
                    mesh.push_vertex(
                        [a.sin() * radius, y, a.cos() * radius],
                        [0.0, up, 0.0],
                        WHITE,
                    )
                })
                .collect();
            for i in 0..sides {
                let (a, b) = (ring[i], ring[(i + 1) % sides]);
                if up > 0.0 {
                    mesh.indices.extend_from_slice(&[centre, a, b]);
                } else {
                    mesh.indices.extend_from_slice(&[centre, b, a]);
                }
            }
        }
        mesh
    }

    /// A ball resting on the origin.
    pub(crate) fn ball(radius: f32) -> Self {
        let mut mesh = Self::sphere(radius, (1.0, 1.0, 1.0));
        for p in &mut mesh.positions {
            p[1] += radius;
        }
        for c in &mut mesh.colors {
            *c = WHITE;
        }
        mesh
    }

    /// A spider's body for a leg span of `span`, in the spider's own frame
    /// (ahead is -z, the ground under its middle at the origin): the front
    /// part and the larger abdomen behind it, each an ellipsoid. Its legs
    /// are drawn apart, as they move.
    pub(crate) fn spider_body(span: f32) -> Self {
        let build = crate::scene::exposure::spider::build();
        let mut mesh = Self::with_capacity(400, 2000);
        for (centre, half) in [build.front, build.back] {
            let unit = Self::sphere(1.0, (1.0, 1.0, 1.0));
            let base = mesh.positions.len() as u32;
            for p in &unit.positions {
                let at = [
                    (centre.x + p[0] * half.x) * span,
                    (centre.y + p[1] * half.y) * span,
                    (centre.z + p[2] * half.z) * span,
                ];
                let n = [p[0] / half.x, p[1] / half.y, p[2] / half.z];
                let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                mesh.push_vertex(at, [n[0] / len, n[1] / len, n[2] / len], WHITE);
            }
            mesh.indices.extend(unit.indices.iter().map(|i| i + base));
        }
        mesh
    }

    /// A picture `size` = (width, height), upright, facing +z, a few
    /// millimetres thick, with `drawing` on its face.
    pub(crate) fn picture(size: [f32; 2], drawing: Drawing) -> Self {
        let (w, h) = (size[0], size[1]);
        let depth = 0.004;
        let mut mesh = Self::with_capacity(400, 600);
        mesh.add_box([0.0, h / 2.0, 0.0], [w, h, depth], PAPER);
        let face = depth / 2.0 + 0.0005;
        let scale = w.min(h);
        let centre = [0.0, h / 2.0];
        match drawing {
            Drawing::Spider => spider_drawing(&mut mesh, centre, scale, face),
        }
        mesh
    }

    /// Adds a flat-shaded box centred at `centre`.
    fn add_box(&mut self, centre: [f32; 3], size: [f32; 3], color: [f32; 4]) {
        let h = [size[0] / 2.0, size[1] / 2.0, size[2] / 2.0];
        // Each face: its normal and two axes along it.
        let faces: [([f32; 3], [f32; 3], [f32; 3]); 6] = [
            ([1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]),
            ([-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]),
            ([0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]),
            ([0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]),
            ([0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
            ([0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
        ];
        for (n, u, v) in faces {
            let corner = |su: f32, sv: f32| {
                let mut p = [0.0; 3];
                for k in 0..3 {
                    p[k] = centre[k] + (n[k] + u[k] * su + v[k] * sv) * h[k];
                }
                p
            };
            let a = self.push_vertex(corner(-1.0, -1.0), n, color);
            let b = self.push_vertex(corner(1.0, -1.0), n, color);
            let c = self.push_vertex(corner(1.0, 1.0), n, color);
            let d = self.push_vertex(corner(-1.0, 1.0), n, color);
            self.indices.extend_from_slice(&[a, b, c, a, c, d]);
        }
    }

    /// Adds a stroke from `a` to `b` (x, y on the face at depth `z`),
    /// `width` wide, facing +z.
    fn stroke(&mut self, a: [f32; 2], b: [f32; 2], width: f32, z: f32) {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt().max(1e-6);
        let (nx, ny) = (-dy / len * width / 2.0, dx / len * width / 2.0);
        let n = [0.0, 0.0, 1.0];
        let p = |x: f32, y: f32| [x, y, z];
        let i0 = self.push_vertex(p(a[0] - nx, a[1] - ny), n, INK);
        let i1 = self.push_vertex(p(b[0] - nx, b[1] - ny), n, INK);
        let i2 = self.push_vertex(p(b[0] + nx, b[1] + ny), n, INK);
        let i3 = self.push_vertex(p(a[0] + nx, a[1] + ny), n, INK);
        self.indices.extend_from_slice(&[i0, i1, i2, i0, i2, i3]);
    }

    /// Adds an ellipse outline, as strokes.
    fn ellipse(&mut self, centre: [f32; 2], radii: [f32; 2], width: f32, z: f32) {
        let steps = 24;
        let at = |i: usize| {
            let a = i as f32 / steps as f32 * std::f32::consts::TAU;
            [
                centre[0] + radii[0] * a.cos(),
                centre[1] + radii[1] * a.sin(),
            ]
        };
        for i in 0..steps {
            self.stroke(at(i), at(i + 1), width, z);
        }
    }
}

/// A simple, friendly drawing of a spider seen from above: a round body, a
/// smaller head, eight jointed legs. Drawn, not realistic: the first step of
/// a hierarchy is a picture.
fn spider_drawing(mesh: &mut MeshData, centre: [f32; 2], scale: f32, z: f32) {
    let s = scale * 0.5;
    let line = s * 0.035;
    let body = [centre[0], centre[1] - s * 0.12];
    let head = [centre[0], centre[1] + s * 0.2];
    mesh.ellipse(body, [s * 0.2, s * 0.26], line, z);
    mesh.ellipse(head, [s * 0.11, s * 0.1], line, z);
    // Four legs a side: a knee out and up, a foot out and down.
    for side in [-1.0f32, 1.0] {
        for k in 0..4 {
            let t = k as f32;
            let root = [head[0] + side * s * 0.08, head[1] - s * (0.02 + 0.06 * t)];
            let lift = [0.32, 0.18, 0.02, -0.14][k];
            let knee = [root[0] + side * s * (0.32 + 0.02 * t), root[1] + s * lift];
            let drop = [0.08, -0.02, -0.16, -0.3][k];
            let foot = [
                knee[0] + side * s * (0.22 - 0.02 * t),
                knee[1] + s * (drop - 0.18),
            ];
            mesh.stroke(root, knee, line, z);
            mesh.stroke(knee, foot, line, z);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(mesh: &MeshData) -> ([f32; 3], [f32; 3]) {
        mesh.positions
            .iter()
            .fold(([f32::MAX; 3], [f32::MIN; 3]), |(lo, hi), p| {
                (
                    [lo[0].min(p[0]), lo[1].min(p[1]), lo[2].min(p[2])],
                    [hi[0].max(p[0]), hi[1].max(p[1]), hi[2].max(p[2])],
                )
            })
    }

    #[test]
    fn shapes_stand_on_the_origin_at_their_size() {
        let (lo, hi) = bounds(&MeshData::block([2.0, 1.0, 0.5]));
        assert_eq!((lo, hi), ([-1.0, 0.0, -0.25], [1.0, 1.0, 0.25]));
        let (lo, hi) = bounds(&MeshData::column(0.5, 3.0));
        assert!((lo[1], hi[1]) == (0.0, 3.0) && (hi[0] - 0.5).abs() < 1e-5);
        let (lo, hi) = bounds(&MeshData::ball(0.2));
        assert!(lo[1].abs() < 1e-5 && (hi[1] - 0.4).abs() < 1e-5);
        let picture = MeshData::picture([0.6, 0.8], Drawing::Spider);
        let (lo, hi) = bounds(&picture);
        assert!((hi[1] - 0.8).abs() < 1e-5 && lo[1].abs() < 1e-5);
        assert!(picture.colors.iter().any(|c| c[0] < 0.1), "no ink");
    }

    #[test]
    fn vertices_are_opaque_so_the_surface_sets_the_clearness() {
        for mesh in [
            MeshData::block([1.0, 1.0, 1.0]),
            MeshData::column(0.3, 1.0),
            MeshData::ball(0.2),
            MeshData::picture([0.6, 0.8], Drawing::Spider),
            MeshData::spider_body(0.05),
        ] {
            assert!(mesh.colors.iter().all(|c| c[3] == 1.0));
        }
    }

    #[test]
    fn every_face_points_outwards() {
        for mesh in [MeshData::block([1.0, 2.0, 3.0]), MeshData::column(0.3, 1.0)] {
            for tri in mesh.indices.chunks_exact(3) {
                let [a, b, c] = [0, 1, 2].map(|k| mesh.positions[tri[k] as usize]);
                let e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
                let e2 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
                let n = [
                    e1[1] * e2[2] - e1[2] * e2[1],
                    e1[2] * e2[0] - e1[0] * e2[2],
                    e1[0] * e2[1] - e1[1] * e2[0],
                ];
                let given = mesh.normals[tri[0] as usize];
                let dot: f32 = (0..3).map(|k| n[k] * given[k]).sum();
                assert!(dot > 0.0, "a face winds inwards");
            }
        }
    }
}
