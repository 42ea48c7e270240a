//! Graded exposure as the runtime follows it, in plain Rust: the places,
//! the steps with their references resolved, each step's whole state (the
//! steps before it folded in), and how a state glides to the next.

use super::format::{self, Happening, Prop};
use super::validate::SEAT;
use crate::scene::format::Sound;

/// A scene's hierarchy, checked, with names turned into indices.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposurePlan {
    /// Where the person can stand; 0 is the scene's own viewpoint.
    pub places: Vec<PlaceSpec>,
    /// The steps, lowest first.
    pub steps: Vec<StepSpec>,
    /// The events.
    pub events: Vec<EventSpec>,
    /// How long a step's values take to glide, seconds.
    pub glide_s: f32,
    /// How often the person is asked their SUDS, minutes; 0: only at the
    /// start, at step changes and when asked.
    pub(crate) suds_every_min: f32,
    /// The distinct names of props, in order; a prop's name is an index
    /// into it.
    pub(crate) prop_names: Vec<String>,
    /// The distinct names of sounds, likewise.
    pub(crate) sound_names: Vec<String>,
}

/// A place to stand.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceSpec {
    /// Its name (`"seat"` for the viewpoint).
    pub(crate) name: String,
    /// The eyes, metres.
    pub eye: [f32; 3],
    /// Heading, degrees clockwise from north.
    pub heading_deg: f32,
    /// Pitch, degrees.
    pub(crate) pitch_deg: f32,
}

/// One step, its references resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    /// Its name.
    pub(crate) name: String,
    /// The sentence for the therapist.
    pub(crate) say: String,
    /// The place it puts the person at, if it says.
    pub(crate) place: Option<usize>,
    /// Prop names shown.
    pub(crate) show: Vec<usize>,
    /// Prop names hidden.
    pub(crate) hide: Vec<usize>,
    /// Prop names moved, and by how much.
    pub(crate) moves: Vec<(usize, [f32; 3])>,
    /// Spider names set wandering (or stopped): radius and top speed.
    pub(crate) wander: Vec<(usize, Wandering)>,
    /// The wind's strength, if it says.
    pub(crate) wind: Option<f32>,
    /// Sound names turned on.
    pub(crate) sounds_on: Vec<usize>,
    /// Sound names turned off.
    pub(crate) sounds_off: Vec<usize>,
}

/// How spiders walk about their place.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Wandering {
    /// How far from their place, metres; 0 stands them still.
    pub(crate) radius: f32,
    /// Their fastest, metres a second.
    pub(crate) speed: f32,
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// Its name.
    pub name: String,
    /// The sentence for the therapist.
    pub(crate) say: String,
    /// What happens.
    pub(crate) does: EventKind,
    /// How long, seconds.
    pub seconds: f32,
    /// The steps (from 0) at which it can happen.
    pub steps: Vec<usize>,
}

/// What an event does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum EventKind {
    /// The wind swells to this strength and dies away.
    Gust {
        /// Strength at the peak, 0 to 1.
        strength: f32,
    },
    /// A creak from a point.
    Creak {
        /// Where, metres.
        at: [f32; 3],
    },
    /// Spiders of a prop name let themselves down on their threads.
    SpiderDrops {
        /// The prop name.
        spider: usize,
        /// How far down, metres.
        fall: f32,
    },
    /// A bird flies from one point to another.
    BirdPasses {
        /// Start, metres.
        from: [f32; 3],
        /// End, metres.
        to: [f32; 3],
    },
}

/// Everything a step decides, the steps before it folded in. Presences
/// and sounds not yet decided by any step are `None`: each prop and sound
/// then keeps what the scene gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    /// The place the person is at.
    pub place: usize,
    /// Per prop name: shown, hidden, or as the scene has it.
    pub(crate) present: Vec<Option<bool>>,
    /// Per prop name: how far moved, metres.
    pub(crate) offset: Vec<[f32; 3]>,
    /// Per prop name: how its spiders walk about (still, to begin with).
    pub(crate) wander: Vec<Wandering>,
    /// The wind's strength, 0 to 1.
    pub(crate) wind: f32,
    /// Per sound name: on, off, or as the scene has it.
    pub(crate) sounds: Vec<Option<bool>>,
}

impl ExposurePlan {
    /// The plan of a checked exposure section.
    pub(crate) fn from_checked(
        exposure: &format::Exposure,
        props: &[Prop],
        sounds: &[Sound],
        seat: &PlaceSpec,
    ) -> Self {
        let distinct = |names: Vec<&str>| {
            let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
            names.sort();
            names.dedup();
            names
        };
        let prop_names = distinct(props.iter().filter_map(|p| p.name.as_deref()).collect());
        let sound_names = distinct(sounds.iter().filter_map(|s| s.name.as_deref()).collect());
        let mut places = vec![seat.clone()];
        places.extend(exposure.places.iter().map(|p| PlaceSpec {
            name: p.name.clone(),
            eye: [p.eye_m.0, p.eye_m.1, p.eye_m.2],
            heading_deg: p.heading_deg,
            pitch_deg: p.pitch_deg,
        }));
        let index = |names: &[String], name: &str| names.iter().position(|n| n == name);
        let all = |names: &[String], of: &[String]| -> Vec<usize> {
            of.iter().filter_map(|n| index(names, n)).collect()
        };
        let place_names: Vec<String> = places.iter().map(|p| p.name.clone()).collect();
        let steps = exposure
            .steps
            .iter()
            .map(|s| StepSpec {
                name: s.name.clone(),
                say: s.say.clone(),
                place: s.place.as_deref().and_then(|p| index(&place_names, p)),
                show: all(&prop_names, &s.show),
                hide: all(&prop_names, &s.hide),
                moves: s
                    .moves
                    .iter()
                    .filter_map(|m| {
                        index(&prop_names, &m.name).map(|i| (i, [m.by_m.0, m.by_m.1, m.by_m.2]))
                    })
                    .collect(),
                wander: s
                    .wander
                    .iter()
                    .filter_map(|w| {
                        index(&prop_names, &w.name).map(|i| {
                            (
                                i,
                                Wandering {
                                    radius: w.radius_m,
                                    speed: w.speed_m_per_s,
                                },
                            )
                        })
                    })
                    .collect(),
                wind: s.wind,
                sounds_on: all(&sound_names, &s.sounds_on),
                sounds_off: all(&sound_names, &s.sounds_off),
            })
            .collect();
        let point = |(x, y, z): (f32, f32, f32)| [x, y, z];
        let events = exposure
            .events
            .iter()
            .map(|e| EventSpec {
                name: e.name.clone(),
                say: e.say.clone(),
                does: match &e.does {
                    Happening::Gust { strength } => EventKind::Gust {
                        strength: *strength,
                    },
                    Happening::Creak { at_m } => EventKind::Creak { at: point(*at_m) },
                    Happening::SpiderDrops { spider, fall_m } => EventKind::SpiderDrops {
                        spider: prop_names.iter().position(|n| n == spider).unwrap_or(0),
                        fall: *fall_m,
                    },
                    Happening::BirdPasses { from_m, to_m } => EventKind::BirdPasses {
                        from: point(*from_m),
                        to: point(*to_m),
                    },
                },
                seconds: e.seconds,
                steps: e.steps.iter().map(|&s| s as usize - 1).collect(),
            })
            .collect();
        Self {
            places,
            steps,
            events,
            glide_s: exposure.glide_s,
            suds_every_min: exposure.suds_every_min,
            prop_names,
            sound_names,
        }
    }

    /// The state before any step, with the scene's own wind.
    pub fn opening(&self, wind: f32) -> StepState {
        StepState {
            place: 0,
            present: vec![None; self.prop_names.len()],
            offset: vec![[0.0; 3]; self.prop_names.len()],
            wander: vec![Wandering::default(); self.prop_names.len()],
            wind,
            sounds: vec![None; self.sound_names.len()],
        }
    }

    /// The whole state at `step` (from 0; past the last, the last), from
    /// `opening`.
    pub fn state_at(&self, step: usize, opening: &StepState) -> StepState {
        let mut state = opening.clone();
        for spec in self.steps.iter().take(step + 1) {
            if let Some(place) = spec.place {
                state.place = place;
            }
            for &i in &spec.show {
                state.present[i] = Some(true);
            }
            for &i in &spec.hide {
                state.present[i] = Some(false);
            }
            for &(i, by) in &spec.moves {
                state.offset[i] = by;
            }
            for &(i, wandering) in &spec.wander {
                state.wander[i] = wandering;
            }
            if let Some(wind) = spec.wind {
                state.wind = wind;
            }
            for &i in &spec.sounds_on {
                state.sounds[i] = Some(true);
            }
            for &i in &spec.sounds_off {
                state.sounds[i] = Some(false);
            }
        }
        state
    }

    /// The events that can happen at `step` (from 0).
    #[cfg(test)]
    fn events_at(&self, step: usize) -> impl Iterator<Item = &EventSpec> {
        self.events.iter().filter(move |e| e.steps.contains(&step))
    }

    /// The index of the prop name `name`.
    pub fn prop_name(&self, name: &str) -> Option<usize> {
        self.prop_names.iter().position(|n| n == name)
    }

    /// The index of the sound name `name`.
    pub(crate) fn sound_name(&self, name: &str) -> Option<usize> {
        self.sound_names.iter().position(|n| n == name)
    }
}

impl PlaceSpec {
    /// The seat: the scene's own viewpoint.
    pub(crate) fn seat(eye: [f32; 3], heading_deg: f32, pitch_deg: f32) -> Self {
        Self {
            name: SEAT.to_owned(),
            eye,
            heading_deg,
            pitch_deg,
        }
    }
}

/// Where a value is on its way from one step's to the next: 0 at the start
/// of the glide, 1 once there; eased, so it starts and ends gently.
pub(super) fn glide(elapsed_s: f32, glide_s: f32) -> f32 {
    let t = (elapsed_s / glide_s.max(1e-3)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A prop's presence, 0 (gone) to 1 (there), part way from one state to the
/// next.
pub(super) fn presence(from: bool, to: bool, along: f32) -> f32 {
    let (a, b) = (f32::from(u8::from(from)), f32::from(u8::from(to)));
    a + (b - a) * along
}

/// A value part way between two.
pub(super) fn between(a: f32, b: f32, along: f32) -> f32 {
    a + (b - a) * along
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> ExposurePlan {
        let text = r#"(
            places: [(name: "high", eye_m: (0, 40, 0))],
            steps: [
                (name: "Low", say: "Low down."),
                (name: "Rail", say: "A rail.", show: ["rail"], wind: Some(0.5)),
                (name: "High", say: "High up.", place: Some("high"), moves: [(name: "lift", by_m: (0, 38, 0))]),
                (name: "Open", say: "No rail.", hide: ["rail"], sounds_on: ["wind"]),
            ],
            events: [(name: "gust", say: "A gust.", does: Gust(strength: 0.9), seconds: 3, steps: [3, 4])],
        )"#;
        let exposure: format::Exposure = crate::diagnostics::ron_options().from_str(text).unwrap();
        let prop = |name: &str| -> Prop {
            crate::diagnostics::ron_options()
                .from_str(&format!(
                    r#"(name: Some("{name}"), shape: Block(size_m: (1, 1, 1)), at_m: (0, 0, 0), present: false)"#
                ))
                .unwrap()
        };
        let sound: Sound = crate::diagnostics::ron_options()
            .from_str(r#"(name: Some("wind"), on: false, kind: LeafWind, position_m: (0, 2, 0))"#)
            .unwrap();
        ExposurePlan::from_checked(
            &exposure,
            &[prop("rail"), prop("lift"), prop("rail")],
            &[sound],
            &PlaceSpec::seat([0.0, 1.2, 0.0], 0.0, -3.0),
        )
    }

    #[test]
    fn a_step_keeps_what_the_steps_before_it_set_unless_it_says_otherwise() {
        let plan = plan();
        assert_eq!(plan.prop_names, ["lift", "rail"]);
        let opening = plan.opening(0.2);
        let rail = plan.prop_name("rail").unwrap();
        let lift = plan.prop_name("lift").unwrap();
        let first = plan.state_at(0, &opening);
        assert_eq!(first, opening, "the first step changes nothing");
        let second = plan.state_at(1, &opening);
        assert_eq!(second.present[rail], Some(true));
        assert_eq!(second.wind, 0.5);
        let third = plan.state_at(2, &opening);
        assert_eq!(third.place, 1);
        assert_eq!(third.present[rail], Some(true), "still shown");
        assert_eq!(third.offset[lift], [0.0, 38.0, 0.0]);
        assert_eq!(third.wind, 0.5, "still windy");
        let fourth = plan.state_at(3, &opening);
        assert_eq!(fourth.present[rail], Some(false));
        assert_eq!(fourth.place, 1, "still high up");
        assert_eq!(fourth.sounds[plan.sound_name("wind").unwrap()], Some(true));
        // Going back down gives back the earlier step's state exactly.
        assert_eq!(plan.state_at(1, &opening), second);
    }

    #[test]
    fn events_happen_only_at_their_steps() {
        let plan = plan();
        assert_eq!(plan.events_at(1).count(), 0);
        assert_eq!(
            plan.events_at(2)
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>(),
            ["gust"]
        );
        assert_eq!(plan.events_at(3).count(), 1);
    }

    #[test]
    fn glides_start_and_end_gently() {
        assert_eq!(glide(0.0, 4.0), 0.0);
        assert_eq!(glide(4.0, 4.0), 1.0);
        assert_eq!(glide(9.0, 4.0), 1.0);
        assert!((glide(2.0, 4.0) - 0.5).abs() < 1e-6);
        // Slower at the ends than in the middle.
        assert!(glide(0.4, 4.0) < 0.1 && glide(3.6, 4.0) > 0.9);
        assert_eq!(presence(false, true, 0.25), 0.25);
        assert_eq!(between(2.0, 4.0, 0.5), 3.0);
    }
}
