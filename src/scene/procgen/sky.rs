//! The sky: a gradient dome with a glow around the sun, and cloud banks.

use super::mesh::MeshData;
use super::noise::Rng;
use super::terrain::mix;
use crate::scene::format::{Rgb, Sky};

/// Segments around the dome. The glow and the gradient are smooth at this
/// density because colours are interpolated between vertices.
const DOME_SEGMENTS: u32 = 96;
/// Rings from the nadir to the zenith.
const DOME_RINGS: u32 = 64;

/// Unit vector towards the sun from compass azimuth and elevation, degrees.
pub(crate) fn sun_direction(azimuth_deg: f32, elevation_deg: f32) -> [f32; 3] {
    let (az, el) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
    [az.sin() * el.cos(), el.sin(), -az.cos() * el.cos()]
}

/// The sky's colour looking along the unit vector `dir`.
fn sky_color(sky: &Sky, sun: [f32; 3], dir: [f32; 3]) -> Rgb {
    let up = dir[1];
    let base = if up >= 0.0 {
        let t = up.powf(sky.horizon_blend);
        mix(sky.horizon, sky.zenith, t)
    } else {
        mix(sky.horizon, sky.below, (-up * 8.0).min(1.0))
    };
    let cos = (dir[0] * sun[0] + dir[1] * sun[1] + dir[2] * sun[2]).clamp(-1.0, 1.0);
    let angle = cos.acos();
    let radius = sky.sun_glow_deg.to_radians();
    // A soft glow that falls off smoothly, strongest near the horizon where
    // the light crosses the most air.
    let glow = (-(angle / radius).powi(2) * 2.0).exp();
    let horizon_boost = 1.0 - up.abs().min(1.0) * 0.5;
    let g = glow * horizon_boost;
    (
        base.0 + sky.sun_glow.0 * g,
        base.1 + sky.sun_glow.1 * g,
        base.2 + sky.sun_glow.2 * g,
    )
}

/// A dome of `radius` metres around the origin, coloured by [`sky_color`]. The
/// triangles face inwards.
pub(crate) fn dome(sky: &Sky, sun: [f32; 3], radius: f32) -> MeshData {
    let mut mesh = MeshData::with_capacity(
        ((DOME_SEGMENTS + 1) * (DOME_RINGS + 1)) as usize,
        (DOME_SEGMENTS * DOME_RINGS * 6) as usize,
    );
    for ring in 0..=DOME_RINGS {
        // More rings near the horizon, where the colour changes fastest.
        let v = ring as f32 / DOME_RINGS as f32 * 2.0 - 1.0;
        let elevation = v.signum() * v.abs().powf(1.6) * std::f32::consts::FRAC_PI_2;
        for seg in 0..=DOME_SEGMENTS {
            let azimuth = seg as f32 / DOME_SEGMENTS as f32 * std::f32::consts::TAU;
            let dir = [
                azimuth.sin() * elevation.cos(),
                elevation.sin(),
                -azimuth.cos() * elevation.cos(),
            ];
            let c = sky_color(sky, sun, dir);
            mesh.push_vertex(
                [dir[0] * radius, dir[1] * radius, dir[2] * radius],
                [-dir[0], -dir[1], -dir[2]],
                [c.0, c.1, c.2, 1.0],
            );
        }
    }
    let row = DOME_SEGMENTS + 1;
    for ring in 0..DOME_RINGS {
        for seg in 0..DOME_SEGMENTS {
            let a = ring * row + seg;
            let b = a + 1;
            let c = a + row;
            let d = c + 1;
            mesh.indices.extend_from_slice(&[a, b, c, b, d, c]);
        }
    }
    mesh
}

/// A bank of cloud, about 1 unit long, lit from above: `lit` on top fading to
/// `shade` underneath.
pub(crate) fn cloud_bank(lit: Rgb, shade: Rgb, seed: u64) -> MeshData {
    let mut rng = Rng::new(seed, 0xC10D);
    let mut mesh = MeshData::default();
    let puffs = 4 + (rng.next_u64() % 4) as usize;
    for i in 0..puffs {
        let t = i as f32 / (puffs - 1) as f32 - 0.5;
        let r = rng.range(0.12, 0.22) * (1.0 - t.abs());
        let center = [t * 0.9, rng.range(-0.02, 0.04), rng.range(-0.05, 0.05)];
        let puff = MeshData::sphere(1.0, (1.0, 1.0, 1.0));
        let first = mesh.positions.len() as u32;
        for (p, n) in puff.positions.iter().zip(&puff.normals) {
            let pos = [
                center[0] + p[0] * r * 1.6,
                center[1] + p[1] * r * 0.45,
                center[2] + p[2] * r,
            ];
            let c = mix(shade, lit, (n[1] * 0.5 + 0.5).powf(0.8));
            mesh.push_vertex(pos, *n, [c.0, c.1, c.2, 1.0]);
        }
        mesh.indices.extend(puff.indices.iter().map(|i| i + first));
    }
    mesh
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::defaults;

    fn sky() -> Sky {
        Sky {
            zenith: (0.2, 0.3, 0.6),
            horizon: (0.9, 0.6, 0.4),
            below: defaults::sky_ground(),
            horizon_blend: 0.6,
            sun_glow: (0.5, 0.3, 0.1),
            sun_glow_deg: 20.0,
            clouds: None,
        }
    }

    #[test]
    fn horizon_and_zenith_take_their_colours_away_from_the_sun() {
        let sun = sun_direction(90.0, 5.0);
        let up = sky_color(&sky(), sun, [0.0, 1.0, 0.0]);
        assert!((up.2 - 0.6).abs() < 0.01, "zenith {up:?}");
        let north = sky_color(&sky(), sun, [0.0, 0.0, -1.0]);
        assert!((north.0 - 0.9).abs() < 0.01, "horizon {north:?}");
    }

    #[test]
    fn the_sky_glows_around_the_sun() {
        let sun = sun_direction(270.0, 5.0);
        let toward = sky_color(&sky(), sun, sun);
        let away = sky_color(&sky(), sun, sun_direction(90.0, 5.0));
        assert!(toward.0 > away.0 + 0.3);
    }

    #[test]
    fn sun_direction_follows_the_compass() {
        let east = sun_direction(90.0, 0.0);
        assert!((east[0] - 1.0).abs() < 1e-6 && east[2].abs() < 1e-6);
        let north = sun_direction(0.0, 0.0);
        assert!((north[2] + 1.0).abs() < 1e-6);
    }
}
