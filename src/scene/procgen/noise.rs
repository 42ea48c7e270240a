//! Seeded value noise and a small deterministic random number generator.
//!
//! Written here rather than taken from a crate so that the same seed gives
//! the same place on every machine and in every version of the dependencies.

/// A small, fast, seeded random number generator (SplitMix64).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for `seed`, decorrelated by `stream` so that two uses of
    /// one seed (terrain, scatter) do not repeat each other.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Self(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in 0..1.
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A number in `min..max`.
    pub(crate) fn range(&mut self, min: f32, max: f32) -> f32 {
        min + (max - min) * self.unit()
    }
}

/// Hashes a lattice point to a value in -1..1.
fn lattice(seed: u32, x: i32, z: i32) -> f32 {
    let mut h = seed ^ (x as u32).wrapping_mul(0x27D4_EB2D) ^ (z as u32).wrapping_mul(0x1656_67B1);
    h = (h ^ (h >> 15)).wrapping_mul(0x85EB_CA6B);
    h = (h ^ (h >> 13)).wrapping_mul(0xC2B2_AE35);
    h ^= h >> 16;
    (h as f32 / u32::MAX as f32) * 2.0 - 1.0
}

/// Smoothly interpolated value noise in -1..1 at a point measured in
/// lattice cells.
pub(super) fn value_noise(seed: u32, x: f32, z: f32) -> f32 {
    let x0 = x.floor();
    let z0 = z.floor();
    let (fx, fz) = (x - x0, z - z0);
    // Quintic fade: continuous slope and curvature across cells.
    let fade = |t: f32| t * t * t * (t * (t * 6.0 - 15.0) + 10.0);
    let (u, v) = (fade(fx), fade(fz));
    let (ix, iz) = (x0 as i32, z0 as i32);
    let a = lattice(seed, ix, iz);
    let b = lattice(seed, ix + 1, iz);
    let c = lattice(seed, ix, iz + 1);
    let d = lattice(seed, ix + 1, iz + 1);
    let top = a + (b - a) * u;
    let bottom = c + (d - c) * u;
    top + (bottom - top) * v
}

/// Fractal noise: `octaves` layers of value noise, each half the size and
/// half the height of the last. Roughly in -1..1.
pub(super) fn fbm(seed: u32, x: f32, z: f32, octaves: u32) -> f32 {
    let mut sum = 0.0;
    let mut amplitude = 0.5;
    let mut frequency = 1.0;
    let mut norm = 0.0;
    for octave in 0..octaves {
        sum += amplitude
            * value_noise(
                seed.wrapping_add(octave * 101),
                x * frequency,
                z * frequency,
            );
        norm += amplitude;
        amplitude *= 0.5;
        frequency *= 2.03;
    }
    sum / norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers() {
        let mut a = Rng::new(7, 1);
        let mut b = Rng::new(7, 1);
        let mut c = Rng::new(7, 2);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn unit_stays_in_range() {
        let mut rng = Rng::new(1, 0);
        for _ in 0..10_000 {
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn noise_is_bounded_and_continuous() {
        let mut previous = value_noise(3, 0.0, 0.5);
        for i in 1..2000 {
            let x = i as f32 * 0.01;
            let n = value_noise(3, x, 0.5);
            assert!((-1.0..=1.0).contains(&n));
            assert!((n - previous).abs() < 0.05, "jump at x = {x}");
            previous = n;
        }
        assert!((-1.0..=1.0).contains(&fbm(3, 12.3, -4.5, 5)));
    }
}
