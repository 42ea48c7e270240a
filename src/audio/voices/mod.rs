//! Synthesised nature sounds ("voices"), each a calm, slowly varying mono loop-free texture.
//!
//! All voices share one structure: slow decisions (envelopes, event scheduling, filter sweeps)
//! happen at a control rate of one update per 32 samples, and the per-sample loop only runs
//! noise generators, fixed-coefficient filters, oscillator recurrences and linear ramps. The
//! control clock persists across `render` calls, so the output is identical whatever block sizes
//! the caller uses. Every voice is calibrated to about -20 LUFS at unit gain (mono copied to
//! both channels, measured over 60 s). The shared machinery is in [`kit`]; the voices are
//! grouped by what they are: [`water`], [`air`] and [`creatures`].

mod air;
mod creatures;
mod kit;
mod water;

use air::LeafWind;
use creatures::{Birdsong, Crickets};
use water::{LappingWater, Rain, Stream, Surf};

/// The available nature sounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoundKind {
    LappingWater,
    Surf,
    LeafWind,
    Stream,
    Rain,
    Crickets,
    Birdsong,
}

impl SoundKind {
    /// Every kind, in a fixed order (handy for menus and tests).
    pub const ALL: [SoundKind; 7] = [
        SoundKind::LappingWater,
        SoundKind::Surf,
        SoundKind::LeafWind,
        SoundKind::Stream,
        SoundKind::Rain,
        SoundKind::Crickets,
        SoundKind::Birdsong,
    ];
}

/// A running sound generator.
pub trait Voice: Send {
    /// Renders the next `out.len()` mono samples, overwriting `out`. Never allocates.
    fn render(&mut self, out: &mut [f32]);
}

/// Creates the voice for `kind`; the same seed always produces the same samples.
pub fn voice(kind: SoundKind, seed: u64) -> Box<dyn Voice> {
    match kind {
        SoundKind::LappingWater => Box::new(LappingWater::new(seed)),
        SoundKind::Surf => Box::new(Surf::new(seed)),
        SoundKind::LeafWind => Box::new(LeafWind::new(seed)),
        SoundKind::Stream => Box::new(Stream::new(seed)),
        SoundKind::Rain => Box::new(Rain::new(seed)),
        SoundKind::Crickets => Box::new(Crickets::new(seed)),
        SoundKind::Birdsong => Box::new(Birdsong::new(seed)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::loudness::integrated_lufs;
    use super::*;
    use crate::audio::dsp::SAMPLE_RATE_F32_HZ;

    const SECONDS: usize = 60;

    fn render_seconds(kind: SoundKind, seed: u64, seconds: usize) -> Vec<f32> {
        let mut v = voice(kind, seed);
        let mut out = vec![0.0; seconds * SAMPLE_RATE_F32_HZ as usize];
        for block in out.chunks_mut(512) {
            v.render(block);
        }
        out
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len() as f64).sqrt() as f32
    }

    /// For every 5 ms frame, the largest sample-to-sample step divided by the RMS of the
    /// surrounding 105 ms; the worst frame is returned. A click is a step that is large compared
    /// with what the sound is locally doing, so a local reference catches clicks in quiet
    /// passages that a global RMS would hide. Steps in near-silence are compared with a floor
    /// of 1e-4 (-80 dBFS) so that inaudible dust does not count.
    fn worst_click_ratio(x: &[f32]) -> f32 {
        let mut prefix = vec![0.0f64; x.len() + 1];
        for (i, &s) in x.iter().enumerate() {
            prefix[i + 1] = prefix[i] + f64::from(s) * f64::from(s);
        }
        let frame = 240;
        let reach = 2400;
        let mut worst = 0.0f32;
        for start in (1..x.len()).step_by(frame) {
            let end = (start + frame).min(x.len());
            let step = (start..end)
                .map(|i| (x[i] - x[i - 1]).abs())
                .fold(0.0f32, f32::max);
            let lo = start.saturating_sub(reach);
            let hi = (end + reach).min(x.len());
            let local = ((prefix[hi] - prefix[lo]) / (hi - lo) as f64).sqrt() as f32;
            worst = worst.max(step / local.max(1.0e-4));
        }
        worst
    }

    /// Largest acceptable click ratio per voice, from the band each voice occupies. Band-limited
    /// noise has peaks near 4x its RMS, and its steps are bounded by about 2 sin(pi f_top / fs)
    /// times the peak; a tone's steps are 2 sin(pi f / fs) times its amplitude, i.e. about
    /// 2.8 sin(pi f / fs) times its RMS, and more when the window around it is partly silent.
    fn click_bound(kind: SoundKind) -> f32 {
        match kind {
            // Low/mid band noise (under ~1.5 kHz): natural steps are well below the RMS.
            // Pink noise low-passed near 1.5 kHz peaks near 4x its RMS, so its steps stay under
            // 2 sin(pi 1500 / 48000) x 4 = 0.8x the RMS.
            SoundKind::LappingWater | SoundKind::Stream => 0.8,
            // The surf's hiss band reaches about 5 kHz.
            SoundKind::Surf => 3.0,
            // Band-passed noise reaching about 5 kHz: 2 sin(pi 5000 / 48000) x 4 = 2.6, plus the
            // flutter modulation.
            SoundKind::LeafWind => 4.0,
            // Noise reaching 7 kHz (2 sin(pi 7000 / 48000) x 4 = 3.6) plus sparse taps on top.
            SoundKind::Rain => 7.0,
            // A 4.9 kHz tone steps by 0.63x its amplitude; a lone pulse in a 105 ms window has
            // an RMS of about 0.15x its amplitude, giving about 4.
            SoundKind::Crickets => 5.0,
            // Notes up to 6 kHz step by 0.77x their amplitude; the shortest trill notes fill a
            // good part of the window, so the ratio stays near 2.
            SoundKind::Birdsong => 3.0,
        }
    }

    #[test]
    fn every_voice_is_sane_deterministic_and_seed_dependent() {
        for kind in SoundKind::ALL {
            let a = render_seconds(kind, 1, 20);
            let b = render_seconds(kind, 1, 20);
            let c = render_seconds(kind, 2, 20);
            assert!(
                a.iter().all(|s| s.is_finite() && s.abs() <= 1.0),
                "{kind:?} out of range"
            );
            assert!(rms(&a) > 1.0e-3, "{kind:?} is silent");
            assert_eq!(a, b, "{kind:?} is not deterministic");
            assert_ne!(a, c, "{kind:?} ignores its seed");
        }
    }

    #[test]
    fn output_does_not_depend_on_block_size() {
        for kind in SoundKind::ALL {
            let reference = render_seconds(kind, 9, 5);
            let mut v = voice(kind, 9);
            let mut out = vec![0.0; reference.len()];
            for block in out.chunks_mut(37) {
                v.render(block);
            }
            assert_eq!(out, reference, "{kind:?}");
        }
    }

    #[test]
    fn voices_are_calibrated_to_minus_20_lufs() {
        for kind in SoundKind::ALL {
            for seed in [1, 2, 3] {
                let x = render_seconds(kind, seed, SECONDS);
                let lufs = integrated_lufs(&x, &x);
                println!(
                    "{kind:?} seed {seed}: {lufs:.2} LUFS, peak {:.3}",
                    x.iter().fold(0.0f32, |m, s| m.max(s.abs()))
                );
                assert!(
                    (lufs + 20.0).abs() <= 1.5,
                    "{kind:?} seed {seed}: {lufs} LUFS"
                );
            }
        }
    }

    #[test]
    fn voices_do_not_click() {
        for kind in SoundKind::ALL {
            let x = render_seconds(kind, 4, 30);
            let ratio = worst_click_ratio(&x);
            println!("{kind:?}: worst step / local RMS = {ratio:.2}");
            assert!(ratio < click_bound(kind), "{kind:?}: {ratio}");
        }
    }

    #[test]
    fn click_detector_catches_a_click() {
        // Guards the detector itself: a step the size of the stream's own RMS must trip it.
        let mut x = render_seconds(SoundKind::Stream, 4, 2);
        let step = rms(&x);
        for s in &mut x[48_000..] {
            *s += step;
        }
        assert!(worst_click_ratio(&x) > click_bound(SoundKind::Stream));
    }
}
