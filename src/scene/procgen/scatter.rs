//! Where scattered plants and stones stand: seeded, bounded placement.

use super::mesh::FAR_DETAIL_FROM_M;
use super::noise::Rng;
use super::terrain::TerrainShape;
use crate::scene::format::{Area, Scatter, ScatterKind};

/// Number of colour shades each scatter entry is drawn with. Every shade is
/// one material, so copies of a kind still batch into a few draws.
pub(crate) const SHADES: usize = 4;

/// How many random tries a scatter may spend per instance before it gives up
/// on ground that does not fit (too high, under water, outside the terrain).
const TRIES_PER_INSTANCE: u32 = 8;

/// One placed copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placement {
    /// Base of the copy on the ground, metres.
    pub(crate) position: [f32; 3],
    /// Turn about the vertical, radians.
    pub(crate) yaw: f32,
    /// Size relative to the kind's natural size.
    pub(crate) scale: f32,
    /// Which of the [`SHADES`] colour shades it takes.
    pub(crate) shade: usize,
    /// Far enough from the viewpoint for the lighter mesh.
    pub(crate) far: bool,
}

/// What placement needs to know about the rest of the scene.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Surroundings<'a> {
    /// The ground.
    pub(crate) terrain: &'a TerrainShape,
    /// Height that altitudes are measured from: the water level, or 0.
    pub(crate) datum_m: f32,
    /// Whether the scene has water (then plants keep out of it by default).
    pub(crate) has_water: bool,
    /// The seated viewpoint `(x, z)`, which nothing may crowd.
    pub(crate) viewpoint: (f32, f32),
    /// The scene's seed.
    pub(crate) seed: u64,
}

/// Places the copies of scatter entry number `index`.
pub(crate) fn place(entry: &Scatter, index: usize, around: Surroundings<'_>) -> Vec<Placement> {
    let mut rng = Rng::new(around.seed, 0x5CA7_7E12 + index as u64);
    let mut placed = Vec::with_capacity(entry.count as usize);
    let (low, high) = entry.altitude_m.unwrap_or(if around.has_water {
        (0.05, f32::INFINITY)
    } else {
        (f32::NEG_INFINITY, f32::INFINITY)
    });
    let clear = keep_clear_m(entry.kind);
    let half = around.terrain.size_m * 0.5;
    let budget = entry.count.saturating_mul(TRIES_PER_INSTANCE);
    for _ in 0..budget {
        if placed.len() >= entry.count as usize {
            break;
        }
        let (x, z) = sample(&entry.area, half, &mut rng);
        let yaw = rng.range(0.0, std::f32::consts::TAU);
        let scale = rng.range(entry.scale.0, entry.scale.1);
        let shade = (rng.next_u64() % SHADES as u64) as usize;
        if !around.terrain.contains(x, z) {
            continue;
        }
        let (vx, vz) = around.viewpoint;
        let distance = ((x - vx).powi(2) + (z - vz).powi(2)).sqrt();
        if distance < clear * scale.max(1.0) {
            continue;
        }
        let y = around.terrain.height_at(x, z);
        let altitude = y - around.datum_m;
        if altitude < low || altitude > high {
            continue;
        }
        placed.push(Placement {
            position: [x, y, z],
            yaw,
            scale,
            shade,
            far: distance > FAR_DETAIL_FROM_M,
        });
    }
    placed
}

/// How far from the viewpoint a kind must stand: trees never loom over the
/// person, and nothing is ever closer than half a metre.
fn keep_clear_m(kind: ScatterKind) -> f32 {
    match kind {
        ScatterKind::Pine | ScatterKind::Broadleaf | ScatterKind::Palm => 6.0,
        ScatterKind::Bush => 2.0,
        ScatterKind::Rock | ScatterKind::Reeds => 1.0,
        ScatterKind::Grass => 0.6,
    }
}

/// A uniformly distributed point in `area`; `half` is half the terrain's
/// width, for [`Area::Everywhere`].
pub(crate) fn sample(area: &Area, half: f32, rng: &mut Rng) -> (f32, f32) {
    match *area {
        Area::Everywhere => (rng.range(-half, half), rng.range(-half, half)),
        Area::Ring {
            center_m,
            inner_m,
            outer_m,
        } => {
            // Uniform by area: the radius goes as the square root.
            let r2 = rng.range(inner_m * inner_m, outer_m * outer_m);
            let angle = rng.range(0.0, std::f32::consts::TAU);
            let r = r2.max(0.0).sqrt();
            (center_m.0 + r * angle.cos(), center_m.1 + r * angle.sin())
        }
        Area::Rect { min_m, max_m } => (rng.range(min_m.0, max_m.0), rng.range(min_m.1, max_m.1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::{GroundColors, Terrain, defaults};

    fn flat() -> TerrainShape {
        TerrainShape::new(
            &Terrain {
                size_m: 100.0,
                resolution: 16,
                base_height_m: 1.0,
                roughness_m: 0.0,
                feature_size_m: 10.0,
                shapes: vec![],
                colors: GroundColors {
                    shore: (0.5, 0.5, 0.4),
                    low: (0.2, 0.4, 0.1),
                    high: (0.4, 0.4, 0.4),
                    steep: defaults::rock(),
                    shore_band_m: 0.5,
                    high_from_m: 20.0,
                },
            },
            1,
        )
    }

    fn entry(kind: ScatterKind, count: u32, area: Area) -> Scatter {
        Scatter {
            kind,
            count,
            area,
            altitude_m: None,
            scale: (1.0, 1.0),
            color: (0.2, 0.4, 0.1),
            color_variation: 0.1,
        }
    }

    fn around(terrain: &TerrainShape) -> Surroundings<'_> {
        Surroundings {
            terrain,
            datum_m: 0.0,
            has_water: true,
            viewpoint: (0.0, 0.0),
            seed: 4,
        }
    }

    #[test]
    fn places_the_count_asked_for_inside_the_ring() {
        let terrain = flat();
        let area = Area::Ring {
            center_m: (0.0, 0.0),
            inner_m: 10.0,
            outer_m: 30.0,
        };
        let placed = place(&entry(ScatterKind::Pine, 200, area), 0, around(&terrain));
        assert_eq!(placed.len(), 200);
        for p in &placed {
            let r = (p.position[0].powi(2) + p.position[2].powi(2)).sqrt();
            assert!((10.0..=30.001).contains(&r), "radius {r}");
            assert!((p.position[1] - 1.0).abs() < 1e-4, "stands on the ground");
        }
    }

    #[test]
    fn keeps_clear_of_the_viewpoint() {
        let terrain = flat();
        let area = Area::Rect {
            min_m: (-5.0, -5.0),
            max_m: (5.0, 5.0),
        };
        let placed = place(&entry(ScatterKind::Grass, 500, area), 0, around(&terrain));
        assert!(!placed.is_empty());
        for p in placed {
            let r = (p.position[0].powi(2) + p.position[2].powi(2)).sqrt();
            assert!(r >= 0.5, "a blade at {r} m from the eyes");
        }
    }

    #[test]
    fn gives_up_on_ground_that_never_fits() {
        let terrain = flat();
        let mut e = entry(ScatterKind::Rock, 1000, Area::Everywhere);
        e.altitude_m = Some((50.0, 60.0));
        assert!(place(&e, 0, around(&terrain)).is_empty());
    }
}
