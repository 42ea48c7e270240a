//! The session file format: what a guide or therapist writes in RON.
//!
//! These types are the external format only; [`super::session`] checks them
//! and turns them into a [`super::plan::Plan`]. Times are in seconds,
//! rates in breaths per minute.

use serde::{Deserialize, Serialize};

/// A guided breathing session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    /// Name shown by `stillpoint sessions`.
    pub(crate) title: String,
    /// One line saying what the session is for.
    #[serde(default)]
    pub(crate) description: String,
    /// Length of the whole session, minutes. 1 to 60; default 5.
    #[serde(default = "defaults::minutes")]
    pub(crate) minutes: f32,
    /// The breathing rhythm the session guides towards. Default: resonance.
    #[serde(default)]
    pub(crate) rhythm: RhythmSpec,
    /// The parts of the session, in order. Exactly one `Hold`; a `Ramp` comes
    /// before it. Default: `[Hold]`, the rhythm from the first breath.
    #[serde(default = "defaults::segments")]
    pub(crate) segments: Vec<Segment>,
    /// The words shown for each phase.
    #[serde(default)]
    pub(crate) captions: Captions,
    /// Which pacer sounds play. The person can turn each off too.
    #[serde(default)]
    pub(crate) sounds: PacerSounds,
    /// The pulses a headset's controllers give at the start of each phase.
    #[serde(default)]
    pub(crate) haptics: Haptics,
}

/// A breathing rhythm: a preset, or phases in seconds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) enum RhythmSpec {
    /// 6 breaths a minute: 4 s in, 6 s out.
    #[default]
    Resonance,
    /// 4 s in, hold 4 s, 4 s out, hold 4 s.
    Box,
    /// 4 s in, hold 7 s, 8 s out, in sets of 6 with 30 s of natural breathing
    /// between.
    FourSevenEight,
    /// Cyclic sighing: 3 s in, a 1 s top-up breath in, 6 s out.
    CyclicSighing,
    /// Phases of your own.
    Custom(CustomRhythm),
}

/// A rhythm of your own. Each phase 0 or 0.5 to 60 s; the inhale and the
/// exhale at least 1 s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomRhythm {
    /// Breathing in, seconds.
    pub(crate) inhale_s: f32,
    /// A short top-up breath in after the inhale, seconds; default 0 (none).
    #[serde(default)]
    pub(crate) top_up_s: f32,
    /// Holding with full lungs, seconds; default 0.
    #[serde(default)]
    pub(crate) hold_in_s: f32,
    /// Breathing out, seconds.
    pub(crate) exhale_s: f32,
    /// Holding with empty lungs, seconds; default 0.
    #[serde(default)]
    pub(crate) hold_out_s: f32,
    /// Run in sets with natural breathing between; default: no sets.
    #[serde(default)]
    pub(crate) sets: Option<SetsSpec>,
}

/// Sets of paced breaths with natural breathing between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetsSpec {
    /// Paced breaths in a set. 1 to 100.
    pub(crate) cycles: u32,
    /// Natural breathing between sets, seconds. 5 to 300.
    pub(crate) rest_s: f32,
}

/// One part of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Segment {
    /// Natural breathing while settling in; the lines are shown in turn.
    Settle {
        /// How long, seconds. 5 to 600.
        seconds: f32,
        /// What the guide says, shown in turn. At most 20 lines.
        #[serde(default)]
        captions: Vec<String>,
    },
    /// Paced breaths slowing from a natural rate to the rhythm's rate.
    Ramp {
        /// Rate of the first paced breath, breaths per minute. 3 to 20;
        /// default 10.
        #[serde(default = "defaults::ramp_from")]
        from_per_min: f32,
        /// How much slower each breath is than the one before, breaths per
        /// minute. 0.1 to 1; default 0.5.
        #[serde(default = "defaults::ramp_step")]
        step_per_min: f32,
    },
    /// The rhythm, for the rest of the session's length.
    Hold,
    /// Natural breathing to close; the lines are shown in turn.
    Close {
        /// How long, seconds. 5 to 600.
        seconds: f32,
        /// What the guide says, shown in turn. At most 20 lines.
        #[serde(default)]
        captions: Vec<String>,
    },
}

/// The words for each phase, shown (and, in a guide's voice, said). Each at
/// most 60 characters. The plan keeps them as the file gave them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Captions {
    /// Breathing in. Default "Breathe in".
    pub(crate) inhale: String,
    /// The top-up breath in. Default "A little more".
    pub(crate) top_up: String,
    /// Either hold. Default "Hold".
    pub(crate) hold: String,
    /// Breathing out. Default "Breathe out".
    pub(crate) exhale: String,
    /// Natural breathing between sets. Default "Breathe normally".
    pub(crate) rest: String,
    /// After the session.
    pub(crate) done: String,
}

impl Default for Captions {
    fn default() -> Self {
        Self {
            inhale: "Breathe in".into(),
            top_up: "A little more".into(),
            hold: "Hold".into(),
            exhale: "Breathe out".into(),
            rest: "Breathe normally".into(),
            done: "Well done. Take your time before you get up.".into(),
        }
    }
}

/// Which pacer sounds a session plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PacerSounds {
    /// A soft breath-like swell that follows the lungs. Default on.
    pub swell: bool,
    /// A soft tone that rises on the inhale and falls on the exhale. Default off.
    pub tone: bool,
    /// A soft chime just before each phase change. Default on.
    pub chime: bool,
}

impl Default for PacerSounds {
    fn default() -> Self {
        Self {
            swell: true,
            tone: false,
            chime: true,
        }
    }
}

/// Controller pulses in the headset, one pattern for each kind of phase, so
/// the hands feel the rhythm with the eyes closed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Haptics {
    /// At the start of each breath in (and a sigh's top-up). Default: one
    /// soft pulse of 120 ms.
    pub(crate) inhale: Buzz,
    /// At the start of each hold. Default: two light taps.
    pub(crate) hold: Buzz,
    /// At the start of each breath out. Default: one long, faint pulse.
    pub(crate) exhale: Buzz,
}

impl Default for Haptics {
    fn default() -> Self {
        Self {
            inhale: Buzz::Pulses(Pulses {
                count: 1,
                length_ms: 120,
                gap_ms: 0,
                strength: 0.25,
            }),
            hold: Buzz::Pulses(Pulses {
                count: 2,
                length_ms: 40,
                gap_ms: 140,
                strength: 0.15,
            }),
            exhale: Buzz::Pulses(Pulses {
                count: 1,
                length_ms: 300,
                gap_ms: 0,
                strength: 0.12,
            }),
        }
    }
}

/// One phase's controller pulses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) enum Buzz {
    /// No pulse.
    Off,
    /// A few equal pulses.
    Pulses(Pulses),
}

/// Equal pulses in a row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pulses {
    /// How many, 1 to 4.
    pub(crate) count: u8,
    /// Each pulse's length, 10 to 500 ms.
    pub(crate) length_ms: u16,
    /// The pause between pulses, 0 to 500 ms.
    pub(crate) gap_ms: u16,
    /// How strong, 0.05 to 0.5 of the controller's strongest: always gentle.
    pub(crate) strength: f32,
}

/// Defaults that are not the type's own.
pub(super) mod defaults {
    use super::Segment;

    pub(super) fn minutes() -> f32 {
        5.0
    }
    pub(super) fn segments() -> Vec<Segment> {
        vec![Segment::Hold]
    }
    pub(crate) fn ramp_from() -> f32 {
        10.0
    }
    pub(super) fn ramp_step() -> f32 {
        0.5
    }
}
