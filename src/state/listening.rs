//! What the person hears: the master volume and mono, the choices that can
//! change while the app runs, and the rules that change them (volume on
//! round steps, never out of range). The rules say whether anything
//! changed; the one entry point (`apply.rs`) says it.

/// Loudest the master volume may be set: twice the calibrated default
/// (+6 dB).
pub(crate) const MAX_VOLUME: f32 = 2.0;
/// One step of the volume keys: a tenth of the default volume.
pub(super) const VOLUME_STEP: f32 = 0.1;

/// The person's sound choices that can change while the app runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Listening {
    /// Master volume, 0 (silent) to [`MAX_VOLUME`]; 1 is the calibrated
    /// default.
    pub volume: f32,
    /// The same sound in both ears.
    pub mono: bool,
}

impl Default for Listening {
    fn default() -> Self {
        Self {
            volume: 1.0,
            mono: false,
        }
    }
}

/// A change of the master volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolumeChange {
    /// Up (positive) or down by this many steps of [`VOLUME_STEP`].
    By(i32),
    /// To this volume, 0 to [`MAX_VOLUME`].
    To(f32),
}

impl Listening {
    /// Changes the volume, rounded to a step and kept in range: whether it
    /// changed, or, when what was asked is no number, that number (nothing
    /// changes).
    pub(super) fn change_volume(&mut self, change: VolumeChange) -> Result<bool, f32> {
        let volume = match change {
            VolumeChange::By(steps) => self.volume + steps as f32 * VOLUME_STEP,
            VolumeChange::To(volume) => volume,
        };
        if !volume.is_finite() {
            return Err(volume);
        }
        // Rounded to the step, so repeated presses land on round numbers.
        let volume = ((volume.clamp(0.0, MAX_VOLUME) / VOLUME_STEP).round() * VOLUME_STEP)
            .clamp(0.0, MAX_VOLUME);
        let changed = volume != self.volume;
        self.volume = volume;
        Ok(changed)
    }

    /// The same sound in both ears, or not; whether it changed.
    pub(super) fn set_mono(&mut self, mono: bool) -> bool {
        let changed = self.mono != mono;
        self.mono = mono;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::in_the_forest;
    use crate::state::{Intent, Lifecycle, Refusal};

    #[test]
    fn the_volume_stays_in_range_on_round_steps_and_nonsense_is_refused() {
        let mut state = in_the_forest();
        state.apply(&Intent::Volume(VolumeChange::By(-1)), 0);
        assert!((state.listening().volume - 0.9).abs() < 1e-6);
        for _ in 0..30 {
            state.apply(&Intent::Volume(VolumeChange::By(1)), 0);
        }
        assert_eq!(state.listening().volume, MAX_VOLUME);
        state.apply(&Intent::Volume(VolumeChange::To(-4.0)), 0);
        assert_eq!(state.listening().volume, 0.0);
        let said = state.apply(&Intent::Volume(VolumeChange::To(f32::NAN)), 0);
        assert!(matches!(
            said[..],
            [Lifecycle::Refused {
                why: Refusal::NotAVolume { .. },
                ..
            }]
        ));
        assert_eq!(state.listening().volume, 0.0);
        state.apply(&Intent::Mono(true), 0);
        assert!(state.listening().mono);
    }

    #[test]
    fn a_volume_already_as_asked_is_no_change() {
        let mut listening = Listening::default();
        assert_eq!(listening.change_volume(VolumeChange::To(1.04)), Ok(false));
        assert_eq!(listening.change_volume(VolumeChange::By(3)), Ok(true));
        assert!((listening.volume - 1.3).abs() < 1e-6);
        assert!(
            listening
                .change_volume(VolumeChange::To(f32::INFINITY))
                .is_err()
        );
        assert!(!listening.set_mono(false));
        assert!(listening.set_mono(true));
    }
}
