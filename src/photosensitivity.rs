//! Flash counting by WCAG 2.3.1 ("three flashes or below threshold"), for
//! checking that nothing Stillpoint shows can trigger a seizure.
//!
//! A *transition* is a change in relative luminance of at least 0.1 (10 % of
//! the maximum) between a local low and a local high, where the darker of
//! the two is below 0.8. A *flash* is a pair of opposing transitions. Over
//! any one second, no region may flash more than three times. Regions are
//! squares of about 5 degrees of the view (a quarter of a 10-degree field,
//! WCAG's smallest area that counts), and the whole frame is one more region,
//! since in a headset any full-field change counts.

/// Smallest luminance change that makes a transition (WCAG 2.3.1).
const TRANSITION_DELTA: f32 = 0.1;
/// A transition counts only when its darker state is below this.
const DARK_LIMIT: f32 = 0.8;
/// Most flashes allowed in any one second.
pub const MAX_FLASHES_PER_S: usize = 3;
/// Side of a region, degrees of the view.
const REGION_DEG: f32 = 5.0;

/// Relative luminance (0..1) of an 8-bit sRGB colour.
fn relative_luminance(rgb: [u8; 3]) -> f32 {
    let linear = |c: u8| {
        let c = f32::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/// Mean relative luminance of each region of an RGB8 frame, regions of
/// `cell` pixels square, row by row, then the whole frame last.
pub fn region_luminance(rgb: &[u8], width: usize, height: usize, cell: usize) -> Vec<f32> {
    let cell = cell.max(1);
    let (cols, rows) = (width.div_ceil(cell), height.div_ceil(cell));
    let mut sums = vec![0.0f64; cols * rows];
    let mut counts = vec![0u32; cols * rows];
    let mut total = 0.0f64;
    for y in 0..height {
        for x in 0..width {
            let i = (y * width + x) * 3;
            let l = f64::from(relative_luminance([rgb[i], rgb[i + 1], rgb[i + 2]]));
            let r = (y / cell) * cols + x / cell;
            sums[r] += l;
            counts[r] += 1;
            total += l;
        }
    }
    let mut out: Vec<f32> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &n)| (s / f64::from(n.max(1))) as f32)
        .collect();
    out.push((total / (width * height).max(1) as f64) as f32);
    out
}

/// Pixels per region for a view `height` pixels tall showing `fov_deg`
/// degrees vertically.
pub fn region_pixels(height: usize, fov_deg: f32) -> usize {
    ((height as f32 * REGION_DEG / fov_deg).round() as usize).max(1)
}

/// The worst case found in a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlashReport {
    /// Most flashes in any one-second window, in any region.
    pub worst_flashes: usize,
    /// The region where that happened.
    pub region: usize,
    /// The frame that ends that window.
    pub frame: usize,
    /// Transitions seen in all, in all regions.
    pub(crate) transitions: usize,
}

/// Counts flashes in `frames` (each a list of region luminances, as
/// [`region_luminance`] gives) shown `fps` frames per second.
pub fn count_flashes(frames: &[Vec<f32>], fps: f32) -> FlashReport {
    let regions = frames.first().map_or(0, Vec::len);
    let window = (fps.max(1.0)).round() as usize;
    let mut report = FlashReport::default();
    for region in 0..regions {
        let series: Vec<f32> = frames.iter().map(|f| f[region]).collect();
        let times = transitions(&series);
        report.transitions += times.len();
        // Transitions ending within any window of one second.
        for (k, &end) in times.iter().enumerate() {
            let within = times[..=k].iter().filter(|&&t| t + window > end).count();
            let flashes = within / 2;
            if flashes > report.worst_flashes {
                report = FlashReport {
                    worst_flashes: flashes,
                    region,
                    frame: end,
                    transitions: report.transitions,
                };
            }
        }
    }
    report
}

/// Frames at which a transition completes, by following the series from
/// turn to turn: a turn is confirmed once the value has moved back by at
/// least [`TRANSITION_DELTA`] from the extreme.
fn transitions(series: &[f32]) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(&first) = series.first() else {
        return out;
    };
    let mut pivot = first;
    let mut extreme = first;
    let mut direction = 0i8;
    for (t, &v) in series.iter().enumerate() {
        match direction {
            0 => {
                if (v - pivot).abs() >= TRANSITION_DELTA {
                    direction = if v > pivot { 1 } else { -1 };
                    extreme = v;
                    if pivot.min(v) < DARK_LIMIT {
                        out.push(t);
                    }
                }
            }
            1 => {
                if v > extreme {
                    extreme = v;
                } else if extreme - v >= TRANSITION_DELTA {
                    pivot = extreme;
                    extreme = v;
                    direction = -1;
                    if v < DARK_LIMIT {
                        out.push(t);
                    }
                }
            }
            _ => {
                if v < extreme {
                    extreme = v;
                } else if v - extreme >= TRANSITION_DELTA {
                    pivot = extreme;
                    extreme = v;
                    direction = 1;
                    if pivot < DARK_LIMIT {
                        out.push(t);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f32]) -> Vec<Vec<f32>> {
        values.iter().map(|&v| vec![v]).collect()
    }

    #[test]
    fn a_strobe_is_caught_and_slow_breathing_light_is_not() {
        // 5 Hz square wave between 0.1 and 0.6, at 20 frames per second.
        let strobe: Vec<f32> = (0..60)
            .map(|i| if (i / 2) % 2 == 0 { 0.1 } else { 0.6 })
            .collect();
        let report = count_flashes(&series(&strobe), 20.0);
        assert!(report.worst_flashes >= 4, "{report:?}");

        // A 10 s breath brightening by 40 %: one rise and one fall per breath.
        let breath: Vec<f32> = (0..300)
            .map(|i| 0.3 + 0.12 * (i as f32 / 100.0 * std::f32::consts::PI).sin().abs())
            .collect();
        assert_eq!(count_flashes(&series(&breath), 10.0).worst_flashes, 0);
    }

    #[test]
    fn changes_among_bright_states_or_below_a_tenth_do_not_count() {
        // Above 0.8 on both sides: not a flash by WCAG.
        let bright: Vec<f32> = (0..40)
            .map(|i| if i % 2 == 0 { 0.85 } else { 0.97 })
            .collect();
        assert_eq!(count_flashes(&series(&bright), 20.0).worst_flashes, 0);
        let faint: Vec<f32> = (0..40)
            .map(|i| if i % 2 == 0 { 0.30 } else { 0.38 })
            .collect();
        assert_eq!(count_flashes(&series(&faint), 20.0).worst_flashes, 0);
    }

    #[test]
    fn luminance_follows_the_srgb_curve() {
        assert_eq!(relative_luminance([0, 0, 0]), 0.0);
        assert!((relative_luminance([255, 255, 255]) - 1.0).abs() < 1e-5);
        assert!((relative_luminance([128, 128, 128]) - 0.2158).abs() < 1e-3);
        let regions = region_luminance(&[255; 4 * 4 * 3], 4, 4, 2);
        assert_eq!(regions.len(), 5);
        assert!(regions.iter().all(|&l| (l - 1.0).abs() < 1e-5));
    }
}
