//! Checks of meaning on a scene's props and its exposure section: sizes and
//! ranges, names that are unique where they must be, and references (a step
//! that shows a prop, puts the person in a place, or turns on a sound, and
//! an event allowed at a step) that point at something that exists.

use super::format::{Event, Exposure, Happening, Prop, Shape, Step, Surface};
use crate::diagnostics::{Checker, PathStep};
use crate::scene::format::Sound;

/// Most props a scene may build.
const MAX_PROPS: usize = 400;
/// Most places, steps and events.
const MAX_PLACES: usize = 16;
/// Most steps in a hierarchy.
const MAX_STEPS: usize = 20;
/// Most events.
const MAX_EVENTS: usize = 16;
/// Longest name, characters.
const MAX_NAME_CHARS: usize = 40;
/// The name a step uses for the scene's own viewpoint.
pub(super) const SEAT: &str = "seat";

/// Checks the names of the scene's sounds.
pub(crate) fn sound_names(c: &mut Checker, sounds: &[Sound]) {
    c.within("sounds", |c| {
        for (i, sound) in sounds.iter().enumerate() {
            if let Some(n) = &sound.name {
                c.item(i, |c| name(c, "name", n));
            }
        }
    });
}

/// Checks the props.
pub(crate) fn props(c: &mut Checker, props: &[Prop]) {
    c.list_len("props", props.len(), MAX_PROPS, "props");
    c.within("props", |c| {
        for (i, prop) in props.iter().enumerate() {
            c.item(i, |c| self::prop(c, prop));
        }
    });
}

fn prop(c: &mut Checker, prop: &Prop) {
    if let Some(name) = &prop.name {
        self::name(c, "name", name);
    }
    c.within("shape", |c| match &prop.shape {
        Shape::Block { size_m } => triple(c, "size_m", *size_m, 0.002, 500.0),
        Shape::Column { radius_m, height_m } => {
            c.range("radius_m", *radius_m, 0.002, 500.0, "m");
            c.range("height_m", *height_m, 0.002, 500.0, "m");
        }
        Shape::Ball { radius_m } => c.range("radius_m", *radius_m, 0.002, 500.0, "m"),
        Shape::Picture { size_m, .. } => c.within("size_m", |c| {
            for (i, v) in [size_m.0, size_m.1].into_iter().enumerate() {
                c.item(i, |c| c.range_here(v, 0.002, 500.0, "m"));
            }
        }),
        Shape::Spider { span_m } => c.range("span_m", *span_m, 0.01, 0.3, "m"),
    });
    triple(c, "at_m", prop.at_m, -10_000.0, 10_000.0);
    c.range("turn_deg", prop.turn_deg, -360.0, 360.0, "degrees");
    c.within("surface", |c| surface(c, &prop.surface));
}

fn surface(c: &mut Checker, s: &Surface) {
    c.color("color", s.color);
    c.range("roughness", s.roughness, 0.05, 1.0, "");
    c.range("metal", s.metal, 0.0, 1.0, "");
    c.range("clear", s.clear, 0.0, 0.9, "");
}

/// Checks the exposure section against the scene's props and sounds.
pub(crate) fn exposure(c: &mut Checker, exposure: &Exposure, props: &[Prop], sounds: &[Sound]) {
    let names_of = |names: &mut Vec<&str>| {
        names.sort_unstable();
        names.dedup();
    };
    let mut prop_names: Vec<&str> = props.iter().filter_map(|p| p.name.as_deref()).collect();
    let mut sound_names: Vec<&str> = sounds.iter().filter_map(|s| s.name.as_deref()).collect();
    let mut spider_names: Vec<&str> = props
        .iter()
        .filter(|p| matches!(p.shape, Shape::Spider { .. }))
        .filter_map(|p| p.name.as_deref())
        .collect();
    names_of(&mut spider_names);
    names_of(&mut prop_names);
    names_of(&mut sound_names);
    c.within("exposure", |c| {
        c.range("glide_s", exposure.glide_s, 1.0, 30.0, "s");
        c.range(
            "suds_every_min",
            exposure.suds_every_min,
            0.0,
            60.0,
            "minutes",
        );
        c.list_len("places", exposure.places.len(), MAX_PLACES, "places");
        let mut places: Vec<&str> = vec![SEAT];
        c.within("places", |c| {
            for (i, place) in exposure.places.iter().enumerate() {
                c.item(i, |c| {
                    name(c, "name", &place.name);
                    if places.contains(&place.name.as_str()) {
                        c.problem(
                            "name",
                            format!(
                                "\"{}\" is already a place; expected a name of its own",
                                place.name
                            ),
                        );
                    }
                    triple(c, "eye_m", place.eye_m, -10_000.0, 10_000.0);
                    c.range("heading_deg", place.heading_deg, -360.0, 360.0, "degrees");
                    c.range("pitch_deg", place.pitch_deg, -60.0, 30.0, "degrees");
                });
                places.push(&place.name);
            }
        });
        if exposure.steps.is_empty() {
            c.problem("steps", "is empty; expected at least one step".into());
        }
        c.list_len("steps", exposure.steps.len(), MAX_STEPS, "steps");
        let known = Known {
            places: &places,
            props: &prop_names,
            spiders: &spider_names,
            sounds: &sound_names,
        };
        c.within("steps", |c| {
            for (i, step) in exposure.steps.iter().enumerate() {
                c.item(i, |c| self::step(c, step, &known));
            }
        });
        c.list_len("events", exposure.events.len(), MAX_EVENTS, "events");
        let steps = exposure.steps.len();
        c.within("events", |c| {
            for (i, event) in exposure.events.iter().enumerate() {
                c.item(i, |c| self::event(c, event, steps, &spider_names));
                if exposure.events[..i].iter().any(|e| e.name == event.name) {
                    c.item(i, |c| {
                        c.problem(
                            "name",
                            format!(
                                "\"{}\" is already an event; expected a name of its own",
                                event.name
                            ),
                        )
                    });
                }
            }
        });
    });
}

/// The names a step may refer to.
struct Known<'a> {
    places: &'a [&'a str],
    props: &'a [&'a str],
    spiders: &'a [&'a str],
    sounds: &'a [&'a str],
}

fn step(c: &mut Checker, step: &Step, known: &Known) {
    c.text("name", &step.name, MAX_NAME_CHARS);
    c.text("say", &step.say, 200);
    if let Some(place) = &step.place {
        refers(c, "place", place, known.places, "place (or \"seat\")");
    }
    for (field, names) in [("show", &step.show), ("hide", &step.hide)] {
        c.within(field, |c| {
            for (i, name) in names.iter().enumerate() {
                c.item(i, |c| refers_here(c, name, known.props, "named prop"));
            }
        });
    }
    c.within("moves", |c| {
        for (i, m) in step.moves.iter().enumerate() {
            c.item(i, |c| {
                refers(c, "name", &m.name, known.props, "named prop");
                triple(c, "by_m", m.by_m, -100.0, 100.0);
            });
        }
    });
    c.within("wander", |c| {
        for (i, w) in step.wander.iter().enumerate() {
            c.item(i, |c| {
                refers(c, "name", &w.name, known.spiders, "named spider");
                c.range("radius_m", w.radius_m, 0.0, 2.0, "m");
                c.range("speed_m_per_s", w.speed_m_per_s, 0.005, 0.3, "m/s");
            });
        }
    });
    if let Some(wind) = step.wind {
        c.range("wind", wind, 0.0, 1.0, "");
    }
    for (field, names) in [
        ("sounds_on", &step.sounds_on),
        ("sounds_off", &step.sounds_off),
    ] {
        c.within(field, |c| {
            for (i, name) in names.iter().enumerate() {
                c.item(i, |c| refers_here(c, name, known.sounds, "named sound"));
            }
        });
    }
}

fn event(c: &mut Checker, event: &Event, steps: usize, spiders: &[&str]) {
    name(c, "name", &event.name);
    c.text("say", &event.say, 200);
    c.range("seconds", event.seconds, 0.5, 30.0, "s");
    c.within("does", |c| match &event.does {
        Happening::Gust { strength } => c.range("strength", *strength, 0.0, 1.0, ""),
        Happening::Creak { at_m } => triple(c, "at_m", *at_m, -10_000.0, 10_000.0),
        Happening::SpiderDrops { spider, fall_m } => {
            refers(c, "spider", spider, spiders, "named spider");
            c.range("fall_m", *fall_m, 0.05, 3.0, "m");
        }
        Happening::BirdPasses { from_m, to_m } => {
            triple(c, "from_m", *from_m, -10_000.0, 10_000.0);
            triple(c, "to_m", *to_m, -10_000.0, 10_000.0);
        }
    });
    if event.steps.is_empty() {
        c.problem(
            "steps",
            "is empty; expected the steps (counted from 1) at which it can happen".into(),
        );
    }
    c.within("steps", |c| {
        for (i, &step) in event.steps.iter().enumerate() {
            if step == 0 || step as usize > steps {
                c.item(i, |c| {
                    let path = c.at.clone();
                    c.problem_at(
                        path,
                        format!("step {step} does not exist; expected 1 to {steps}"),
                    );
                });
            }
        }
    });
}

/// A name steps and events can use: not empty, at most
/// [`MAX_NAME_CHARS`], letters, digits, `_` and `-` only.
fn name(c: &mut Checker, field: &'static str, name: &str) {
    let fine = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
    if !fine {
        c.problem(
            field,
            format!(
                "\"{name}\" is not a name; expected 1 to {MAX_NAME_CHARS} letters, digits, `_` or `-`"
            ),
        );
    }
}

/// The field `field` must be one of `names`.
fn refers(c: &mut Checker, field: &'static str, name: &str, names: &[&str], what: &str) {
    c.within(field, |c| refers_here(c, name, names, what));
}

fn refers_here(c: &mut Checker, name: &str, names: &[&str], what: &str) {
    if !names.contains(&name) {
        let listed = if names.is_empty() {
            "none is defined".to_owned()
        } else {
            format!("one of: {}", names.join(", "))
        };
        let path = c.at.clone();
        c.problem_at(
            path,
            format!("\"{name}\" is not a {what}; expected {listed}"),
        );
    }
}

/// An `(x, y, z)` each within `min..=max` metres.
fn triple(c: &mut Checker, field: &'static str, (x, y, z): (f32, f32, f32), min: f32, max: f32) {
    c.within(field, |c| {
        for (i, v) in [x, y, z].into_iter().enumerate() {
            c.at.push(PathStep::Index(i));
            c.range_here(v, min, max, "m");
            c.at.pop();
        }
    });
}
