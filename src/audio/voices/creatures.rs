//! Creatures: crickets at dusk and birdsong.

use super::Voice;
use super::kit::*;
use crate::audio::dsp::{Rng, SAMPLE_RATE_F32_HZ};

// ---------------------------------------------------------------------------------------------
// Crickets.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings the crickets to -20 LUFS.
const CRICKETS_GAIN: f32 = 0.37;

/// Number of crickets singing.
const CRICKET_COUNT: usize = 3;

/// Typical fraction of time (dimensionless) a cricket's tone is on; a cricket with exactly this
/// duty cycle sings at its distance weight.
const CRICKET_REFERENCE_DUTY: f32 = 0.06;

/// Several crickets, each singing chirps made of a few short tone pulses around 4-5 kHz with
/// soft (sine-squared) edges, separated by pauses, each with its own pitch and rhythm.
pub(super) struct Crickets {
    clock: Clock,
    rng: Rng,
    crickets: [Cricket; CRICKET_COUNT],
}

#[derive(Clone, Copy, Debug)]
struct Cricket {
    re: f32,
    im: f32,
    rot_re: f32,
    rot_im: f32,
    env: Ramp,
    amplitude: f32,
    pulse_periods: u32,
    pulse_spacing_periods: u32,
    pulses_per_chirp: (u32, u32),
    chirp_spacing_s: f32,
    pulses_left: u32,
    position: u32,
    rest_periods: u32,
}

impl Cricket {
    fn new(rng: &mut Rng, index: usize) -> Self {
        let freq = rng.range(4100.0, 4900.0);
        let w = TAU * freq / SAMPLE_RATE_F32_HZ;
        let pulse_s = rng.range(0.012, 0.02);
        let spacing_s = pulse_s * rng.range(1.7, 2.3);
        let pulses_per_chirp = if rng.chance(0.5) { (2, 4) } else { (3, 6) };
        let chirp_spacing_s = rng.range(0.45, 1.1);
        // The fraction of time this cricket's tone is on. Scaling its amplitude by the inverse
        // square root keeps its long-term power fixed whatever rhythm it drew, so the total
        // loudness does not depend on the seed; the crickets still stand at different
        // distances through the per-index weight.
        let mean_pulses = 0.5 * (pulses_per_chirp.0 + pulses_per_chirp.1) as f32;
        let duty = pulse_s * mean_pulses / (chirp_spacing_s + mean_pulses * spacing_s);
        let distance_weight = [1.0, 0.7, 0.5][index % 3];
        Self {
            re: 1.0,
            im: 0.0,
            rot_re: w.cos(),
            rot_im: w.sin(),
            env: Ramp::new(Rate::Full),
            amplitude: distance_weight * (CRICKET_REFERENCE_DUTY / duty).sqrt(),
            pulse_periods: control_periods(pulse_s),
            pulse_spacing_periods: control_periods(spacing_s),
            pulses_per_chirp,
            chirp_spacing_s,
            pulses_left: 0,
            position: 0,
            rest_periods: control_periods(rng.range(0.1, 2.0)),
        }
    }

    fn control(&mut self, rng: &mut Rng) {
        if self.rest_periods > 0 {
            self.rest_periods -= 1;
            if self.rest_periods == 0 {
                let (lo, hi) = self.pulses_per_chirp;
                self.pulses_left = lo + (rng.next_u64() % u64::from(hi - lo + 1)) as u32;
                self.position = 0;
            }
            self.env.retarget(0.0);
            return;
        }
        self.position += 1;
        if self.position >= self.pulse_spacing_periods {
            self.position = 0;
            self.pulses_left -= 1;
            if self.pulses_left == 0 {
                // Mostly a regular rhythm, sometimes a longer silence.
                let rest_s = if rng.chance(0.06) {
                    rng.range(3.0, 8.0)
                } else {
                    self.chirp_spacing_s * rng.range(0.85, 1.15)
                };
                self.rest_periods = control_periods(rest_s);
                self.env.retarget(0.0);
                return;
            }
        }
        // Sine-squared pulse shape evaluated at the end of this control period.
        let target = if self.position < self.pulse_periods {
            let s = (std::f32::consts::PI * self.position as f32 / self.pulse_periods as f32).sin();
            self.amplitude * s * s
        } else {
            0.0
        };
        self.env.retarget(target);
        let g = 1.5 - 0.5 * (self.re * self.re + self.im * self.im);
        self.re *= g;
        self.im *= g;
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let re = self.re * self.rot_re - self.im * self.rot_im;
        self.im = self.re * self.rot_im + self.im * self.rot_re;
        self.re = re;
        self.im * self.env.next()
    }
}

impl Crickets {
    pub(super) fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let crickets = std::array::from_fn(|i| Cricket::new(&mut rng, i));
        Self {
            clock: Clock::default(),
            rng,
            crickets,
        }
    }
}

impl ControlRateSynth for Crickets {
    const RATE: Rate = Rate::Full;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        for c in &mut self.crickets {
            c.control(&mut self.rng);
        }
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        let mut sum = 0.0;
        for c in &mut self.crickets {
            // Silent crickets skip the oscillator; their phase simply pauses, which is inaudible.
            if !c.env.is_silent() {
                sum += c.tick();
            }
        }
        sum * CRICKETS_GAIN
    }
}

impl Voice for Crickets {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Birdsong.
// ---------------------------------------------------------------------------------------------

/// Output gain (dimensionless) that brings birdsong to -20 LUFS (measured over its phrases;
/// the silences between them fall below the loudness gate).
const BIRDSONG_GAIN: f32 = 0.13;

/// Most notes in one phrase.
const MAX_NOTES: usize = 12;

/// Occasional phrases from two bird "species" in random order, with several seconds of silence
/// between them: a quick descending trill ending in a flourish, and a slower, vibrato-laden
/// whistle. Each note is a frequency-swept sine (2-6 kHz) with soft attack and release.
pub(super) struct Birdsong {
    clock: Clock,
    rng: Rng,
    re: f32,
    im: f32,
    rot_re: f32,
    rot_im: f32,
    env: Ramp,
    notes: [Note; MAX_NOTES],
    note_count: usize,
    note_index: usize,
    position: u32,
    silence_periods: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct Note {
    start_hz: f32,
    end_hz: f32,
    duration_periods: u32,
    gap_periods: u32,
    vibrato_hz: f32,
    vibrato_depth: f32,
    amplitude: f32,
}

/// Attack and release times of a note in seconds.
const NOTE_ATTACK_S: f32 = 0.012;
const NOTE_RELEASE_S: f32 = 0.025;

impl Birdsong {
    pub(super) fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let silence = control_periods(rng.range(0.5, 3.0));
        Self {
            clock: Clock::default(),
            rng,
            re: 1.0,
            im: 0.0,
            rot_re: 1.0,
            rot_im: 0.0,
            env: Ramp::new(Rate::Full),
            notes: [Note::default(); MAX_NOTES],
            note_count: 0,
            note_index: 0,
            position: 0,
            silence_periods: silence,
        }
    }

    /// Composes the next phrase into the fixed note array.
    fn compose(&mut self) {
        let rng = &mut self.rng;
        let mut count = 0;
        if rng.chance(0.5) {
            // Species A: a descending trill of short down-sweeps, then a lower flourish.
            let trill = 4 + (rng.next_u64() % 5) as usize;
            let mut top = rng.range(5000.0, 5900.0);
            let note_s = rng.range(0.055, 0.08);
            let gap_s = rng.range(0.03, 0.05);
            for _ in 0..trill {
                self.notes[count] = Note {
                    start_hz: top,
                    end_hz: top * rng.range(0.7, 0.8),
                    duration_periods: control_periods(note_s * rng.range(0.9, 1.1)),
                    gap_periods: control_periods(gap_s),
                    vibrato_hz: 0.0,
                    vibrato_depth: 0.0,
                    amplitude: rng.range(0.75, 1.0),
                };
                top *= rng.range(0.93, 0.97);
                count += 1;
            }
            self.notes[count] = Note {
                start_hz: rng.range(2600.0, 3200.0),
                end_hz: rng.range(3600.0, 4400.0),
                duration_periods: control_periods(rng.range(0.14, 0.22)),
                gap_periods: 1,
                vibrato_hz: 0.0,
                vibrato_depth: 0.0,
                amplitude: 0.9,
            };
            count += 1;
        } else {
            // Species B: a few slower whistles with gentle glides and vibrato.
            let whistles = 2 + (rng.next_u64() % 3) as usize;
            for _ in 0..whistles {
                let start = rng.range(2200.0, 3600.0);
                self.notes[count] = Note {
                    start_hz: start,
                    end_hz: start * rng.range(0.85, 1.2),
                    duration_periods: control_periods(rng.range(0.18, 0.38)),
                    gap_periods: control_periods(rng.range(0.09, 0.2)),
                    vibrato_hz: rng.range(5.0, 9.0),
                    vibrato_depth: rng.range(0.015, 0.035),
                    amplitude: rng.range(0.6, 0.9),
                };
                count += 1;
            }
        }
        self.note_count = count;
        self.note_index = 0;
        self.position = 0;
    }

    /// Envelope of the current note at control period `k` (0 outside the note).
    fn note_envelope(note: &Note, k: u32) -> f32 {
        if k >= note.duration_periods {
            return 0.0;
        }
        let t = k as f32 * CONTROL_PERIOD_S;
        let end = note.duration_periods as f32 * CONTROL_PERIOD_S;
        note.amplitude * smoothstep(t / NOTE_ATTACK_S) * smoothstep((end - t) / NOTE_RELEASE_S)
    }
}

impl ControlRateSynth for Birdsong {
    const RATE: Rate = Rate::Full;

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn control(&mut self) {
        if self.silence_periods > 0 {
            self.silence_periods -= 1;
            if self.silence_periods == 0 {
                self.compose();
            }
            self.env.retarget(0.0);
            return;
        }
        let note = self.notes[self.note_index];
        if self.position >= note.duration_periods + note.gap_periods {
            self.note_index += 1;
            self.position = 0;
            if self.note_index >= self.note_count {
                self.silence_periods = control_periods(self.rng.range(3.0, 9.0));
                self.env.retarget(0.0);
                return;
            }
        }
        let note = self.notes[self.note_index];
        let k = self.position;
        if k < note.duration_periods {
            let u = k as f32 / note.duration_periods as f32;
            let t = k as f32 * CONTROL_PERIOD_S;
            let vibrato = 1.0 + note.vibrato_depth * (TAU * note.vibrato_hz * t).sin();
            let freq = note.start_hz * (note.end_hz / note.start_hz).powf(u) * vibrato;
            let w = TAU * freq / SAMPLE_RATE_F32_HZ;
            self.rot_re = w.cos();
            self.rot_im = w.sin();
            let g = 1.5 - 0.5 * (self.re * self.re + self.im * self.im);
            self.re *= g;
            self.im *= g;
        }
        self.env
            .retarget(Self::note_envelope(&note, k + 1) * BIRDSONG_GAIN);
        self.position += 1;
    }

    #[inline]
    fn tick(&mut self) -> f32 {
        if self.env.is_silent() {
            return 0.0;
        }
        let re = self.re * self.rot_re - self.im * self.rot_im;
        self.im = self.re * self.rot_im + self.im * self.rot_re;
        self.re = re;
        self.im * self.env.next()
    }
}

impl Voice for Birdsong {
    fn render(&mut self, out: &mut [f32]) {
        render_with_control(self, out);
    }
}
