//! The parts of the scene format for graded exposure: things built into a
//! place (props), the places a person can stand in it, and the hierarchy of
//! steps and the events a therapist chooses from. The scene file
//! ([`crate::scene::format::SceneFile`]) holds them in its `props` and
//! `exposure` sections; like the rest of the format, nothing at runtime
//! reads them.
//!
//! A step says only what it changes; everything it does not name keeps the
//! previous step's value. Values glide to a step's over the exposure's
//! `glide_s`; a change of place goes through the veil.
//!
//! The scene format names these types, so this file names none of the
//! scene format's, which would make the two import each other: a colour is
//! written out as `(f32, f32, f32)` (the format's `Rgb`), and the defaults
//! used here are kept here.

use serde::{Deserialize, Serialize};

/// Something built into the scene: a wall, a floor, a rail, a pane of glass,
/// a table, a jar. Several props may share a name: steps and events show,
/// hide and move them together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Prop {
    /// The name steps and events use for it (letters, digits, `_` and `-`,
    /// at most 40). Default: none, for a prop that never changes.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Its shape and size.
    pub(crate) shape: Shape,
    /// Where the middle of its underside stands, `(x, y, z)` metres. `y` is
    /// the height above 0, not above the ground. Each within 10 km.
    pub(crate) at_m: (f32, f32, f32),
    /// Turn about the vertical, degrees clockwise from north. -360 to 360;
    /// default 0.
    #[serde(default)]
    pub(crate) turn_deg: f32,
    /// What it is made of.
    #[serde(default)]
    pub(crate) surface: Surface,
    /// Whether it is there when the scene opens. Default true.
    #[serde(default = "defaults::yes")]
    pub(crate) present: bool,
}

/// The shapes of props. Sizes are metres, each 0.002 to 500.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) enum Shape {
    /// A box: `(width along x, height, depth along z)` before its turn.
    Block {
        /// Width, height and depth, metres.
        size_m: (f32, f32, f32),
    },
    /// An upright cylinder.
    Column {
        /// Radius, metres.
        radius_m: f32,
        /// Height, metres.
        height_m: f32,
    },
    /// A ball.
    Ball {
        /// Radius, metres.
        radius_m: f32,
    },
    /// A flat picture, upright, facing its turn (a turn of 0 faces south,
    /// towards +z), with a drawing made in code.
    Picture {
        /// Width and height, metres.
        size_m: (f32, f32),
        /// What is drawn on it.
        drawing: Drawing,
    },
    /// A spider, made in code, on eight legs that walk: it walks where a
    /// step moves it (facing the way it goes) and about its place when a
    /// step sets it wandering. `at_m` is the ground under its middle;
    /// `turn_deg` the way it faces (0 faces north).
    Spider {
        /// Leg span, tip to tip, metres: 0.01 to 0.3 (a house spider is
        /// about 0.05, a large one 0.12).
        span_m: f32,
    },
}

/// Drawings a picture can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Drawing {
    /// A friendly line drawing of a spider, dark on pale paper.
    Spider,
}

/// What a prop is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Surface {
    /// Its colour, linear-light `(r, g, b)`, each 0 to 1.
    pub(crate) color: (f32, f32, f32),
    /// How rough: 0.05 (polished) to 1 (chalk); default 0.8.
    pub(crate) roughness: f32,
    /// How metallic: 0 to 1; default 0.
    pub(crate) metal: f32,
    /// How clear: 0 (opaque) to 0.9 (clear glass); default 0.
    pub(crate) clear: f32,
}

impl Default for Surface {
    fn default() -> Self {
        Self {
            color: (0.6, 0.6, 0.6),
            roughness: 0.8,
            metal: 0.0,
            clear: 0.0,
        }
    }
}

/// Graded exposure: where the person can stand, the steps of rising
/// difficulty, and the events the therapist can fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    /// Places other than the scene's viewpoint where a step can put the
    /// person. At most 16.
    #[serde(default)]
    pub(crate) places: Vec<Place>,
    /// The hierarchy, lowest first. 1 to 20 steps.
    pub steps: Vec<Step>,
    /// Discrete things the therapist can make happen. At most 16.
    #[serde(default)]
    pub(crate) events: Vec<Event>,
    /// How long a step's values take to glide to the next step's, seconds.
    /// 1 to 30; default 4.
    #[serde(default = "defaults::glide_s")]
    pub(crate) glide_s: f32,
    /// How often the person is asked their SUDS (0 to 100), minutes, on top
    /// of the start of the hierarchy and every change of step. 0 (never by
    /// time) to 60; default 5.
    #[serde(default = "defaults::suds_every_min")]
    pub(crate) suds_every_min: f32,
}

/// A place to stand (or sit): the eyes and where they face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Place {
    /// Its name, which steps use (letters, digits, `_` and `-`).
    pub(crate) name: String,
    /// The eyes, `(x, y, z)` metres; `y` is the height above 0.
    pub(crate) eye_m: (f32, f32, f32),
    /// Direction faced, degrees clockwise from north. -360 to 360.
    #[serde(default)]
    pub(crate) heading_deg: f32,
    /// Pitch, degrees; negative looks down. -60 to 30; default -3.
    #[serde(default = "defaults::pitch_deg")]
    pub(crate) pitch_deg: f32,
}

/// One step of the hierarchy: what changes when the therapist moves to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A short name ("Balcony"). At most 40 characters.
    pub(crate) name: String,
    /// A sentence for the therapist saying what the person faces. At most
    /// 200 characters.
    pub(crate) say: String,
    /// The place the person stands at this step: a name from `places`, or
    /// `"seat"` for the scene's viewpoint. Default: where the step before
    /// left them (the viewpoint at the first step).
    #[serde(default)]
    pub(crate) place: Option<String>,
    /// Props (by name) that appear, fading in.
    #[serde(default)]
    pub(crate) show: Vec<String>,
    /// Props (by name) that go, fading out.
    #[serde(default)]
    pub(crate) hide: Vec<String>,
    /// Props (by name) moved from where they stand, gliding there.
    #[serde(default)]
    pub(crate) moves: Vec<Move>,
    /// The wind's strength at this step, 0 to 1.
    #[serde(default)]
    pub(crate) wind: Option<f32>,
    /// Spiders (by name) that walk about their place, or stop.
    #[serde(default)]
    pub(crate) wander: Vec<Wander>,
    /// Scene sounds (by name) that fade in.
    #[serde(default)]
    pub(crate) sounds_on: Vec<String>,
    /// Scene sounds (by name) that fade out.
    #[serde(default)]
    pub(crate) sounds_off: Vec<String>,
}

/// A move of the props of a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Move {
    /// The props' name.
    pub(crate) name: String,
    /// How far from where the scene stands them, `(x, y, z)` metres; each
    /// within 100 m. `(0, 0, 0)` puts them back.
    pub(crate) by_m: (f32, f32, f32),
}

/// Spiders of a name walking about where they stand, in bursts: a winding
/// loop, walked, slowed to a stop, walked again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Wander {
    /// The spiders' name.
    pub(crate) name: String,
    /// How far from their place they go, metres: 0 (standing still) to 2.
    pub(crate) radius_m: f32,
    /// Their fastest, metres a second: 0.005 to 0.3; default 0.05. A spider
    /// walks smoothly up to about one and a half leg spans a second.
    #[serde(default = "defaults::wander_m_per_s")]
    pub(crate) speed_m_per_s: f32,
}

/// Something the therapist can make happen, for a moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Event {
    /// Its name (letters, digits, `_` and `-`).
    pub(crate) name: String,
    /// A sentence for the therapist saying what happens. At most 200
    /// characters.
    pub(crate) say: String,
    /// What happens.
    pub(crate) does: Happening,
    /// How long it lasts, seconds. 0.5 to 30.
    pub(crate) seconds: f32,
    /// The steps (counted from 1) at which it can happen.
    pub(crate) steps: Vec<u32>,
}

/// What an event does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) enum Happening {
    /// A gust: the wind swells to `strength` (0 to 1) and dies away, heard
    /// around the person.
    Gust {
        /// How strong at its height, 0 to 1.
        strength: f32,
    },
    /// A creak of the structure underfoot, heard from `at_m`.
    Creak {
        /// Where it comes from, `(x, y, z)` metres.
        at_m: (f32, f32, f32),
    },
    /// A spider (by name) lets itself down on its thread by `fall_m`,
    /// hangs a moment, and climbs back up.
    SpiderDrops {
        /// The spiders' name.
        spider: String,
        /// How far it lets itself down, metres: 0.05 to 3.
        fall_m: f32,
    },
    /// A bird flies past from `from_m` to `to_m`, heard as it goes.
    BirdPasses {
        /// Where it starts, `(x, y, z)` metres.
        from_m: (f32, f32, f32),
        /// Where it ends, `(x, y, z)` metres.
        to_m: (f32, f32, f32),
    },
}

/// Default values, named so the format documentation and the code agree.
mod defaults {
    /// A prop is there when the scene opens.
    pub(super) fn yes() -> bool {
        true
    }
    /// A place's pitch: a little down, as the scene's viewpoint has it.
    pub(super) fn pitch_deg() -> f32 {
        -3.0
    }
    pub(super) fn glide_s() -> f32 {
        4.0
    }
    pub(super) fn suds_every_min() -> f32 {
        5.0
    }
    pub(super) fn wander_m_per_s() -> f32 {
        0.05
    }
}
