//! The exposure scene on screen following the person's step: props fade in
//! and out and move, the wind rises and falls, all gliding over the
//! hierarchy's `glide_s`; a step in another place moves the person there
//! behind the veil; events (a gust) play over the step.
//!
//! **Invariant:** a step never moves the person's viewpoint unless it puts
//! them in another place, and then only behind the closed veil. Nothing
//! else changes at once: what appears fades in, what moves glides.

use bevy::prelude::*;

use super::plan::{EventKind, ExposurePlan, StepState, Wandering, between, glide, presence};
use super::props::{LegPart, PropPart, SpiderThread, Walker};
use super::spider;
use crate::clock::SceneClock;
use crate::frame::AppSet;
use crate::render::PlantMaterial;
use crate::scene::CurrentScene;
use crate::scene::model::Scene;
use crate::scene::procgen::terrain::compass;
use crate::scene::spawn::SceneView;
use crate::scene::transition::{SceneSwitch, Switch};
use crate::state::{AppState, Lifecycle};

/// How a gust swells and dies: a raised cosine over its seconds.
fn gust_envelope(into_s: f32, seconds: f32) -> f32 {
    if !(0.0..seconds).contains(&into_s) {
        return 0.0;
    }
    0.5 - 0.5 * (into_s / seconds * std::f32::consts::TAU).cos()
}

/// The wind blowing now, 0 to 1: the step's, with any gust on top. Sound
/// and plants follow it.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct WindNow {
    /// Strength, 0 to 1.
    pub strength: f32,
}

/// Which of the scene's sounds play at the step, in the order the scene
/// placed them (the mix fades each in or out).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct SoundsOn(pub(crate) [bool; crate::scene::validate::MAX_SOUNDS]);

/// Where the scene on screen stands in its hierarchy.
#[derive(Resource, Debug, Default)]
struct Stage {
    /// The scene generation followed.
    generation: u32,
    /// The step followed, from 0.
    step: usize,
    /// Gliding from this state...
    from: Option<StepState>,
    /// ...to this one...
    to: Option<StepState>,
    /// ...since this scene time, seconds.
    since: f64,
    /// The last glide applied in full: nothing to do until the next.
    settled: bool,
    /// Gusts blowing: start (scene seconds), length, strength.
    gusts: Vec<(f64, f32, f32)>,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Stage>()
        .init_resource::<WindNow>()
        .init_resource::<SoundsOn>()
        .add_systems(
            Update,
            (
                follow_step.after(SceneSwitch).in_set(AppSet::Scene),
                (start_events, show_step, walk_spiders)
                    .chain()
                    .in_set(AppSet::Animate),
            ),
        );
}

/// The plan and the state of the person's step in the scene on screen, if
/// it is an exposure scene and their own (not the safe place).
fn plan_of<'a>(current: &'a CurrentScene, state: &AppState) -> Option<&'a ExposurePlan> {
    let scene: &Scene = current.shown.as_deref()?;
    if state.place().is_safe_place() || current.path != state.place_scene() {
        return None;
    }
    scene.exposure.as_ref()
}

/// Follows the person's step: at once on a new scene (it appears behind
/// the veil, or as the first), through the veil to another place, gliding
/// otherwise.
fn follow_step(
    state: Res<AppState>,
    current: Res<CurrentScene>,
    clock: Res<SceneClock>,
    time: Res<Time<Real>>,
    mut switch: ResMut<Switch>,
    mut stage: ResMut<Stage>,
    mut view: Option<ResMut<SceneView>>,
    mut sounds_on: ResMut<SoundsOn>,
) {
    let Some(plan) = plan_of(&current, &state) else {
        stage.from = None;
        stage.to = None;
        return;
    };
    let Some(scene) = current.shown.as_deref() else {
        return;
    };
    let Some((_, step)) = state.step_now() else {
        return;
    };
    let opening = plan.opening(scene.wind.strength);
    let target = plan.state_at(step, &opening);
    let mut on = [false; crate::scene::validate::MAX_SOUNDS];
    for (slot, playing) in on.iter_mut().zip(scene.sounds_at(Some(step))) {
        *slot = playing;
    }
    let now = clock.seconds;
    let new_scene = stage.generation != current.generation || stage.to.is_none();
    if new_scene {
        // A new scene's sounds start as the scene places them: they are
        // told the step's at once.
        *sounds_on = SoundsOn(on);
    } else {
        sounds_on.set_if_neq(SoundsOn(on));
    }
    let at_place = |view: &mut SceneView, state: &StepState| {
        let place = &plan.places[state.place];
        let eye = Vec3::from(place.eye);
        if view.eye != eye
            || view.heading_deg != place.heading_deg
            || view.pitch_deg != place.pitch_deg
        {
            view.eye = eye;
            view.heading_deg = place.heading_deg;
            view.pitch_deg = place.pitch_deg;
        }
    };
    if new_scene {
        // Behind the veil, or the first scene: at the step at once.
        stage.generation = current.generation;
        stage.step = step;
    }
    if new_scene || switch.take_place_moment(time.elapsed()) {
        // Or the veil is closed: the person is moved, and the step's state
        // is there when it opens.
        if let Some(view) = view.as_deref_mut() {
            at_place(view, &target);
        }
        stage.from = Some(target.clone());
        stage.to = Some(target);
        stage.since = now;
        stage.settled = false;
        return;
    }
    if step == stage.step {
        return;
    }
    let here = stage.to.as_ref().map_or(0, |s| s.place);
    stage.step = step;
    if target.place != here {
        switch.move_place(time.elapsed());
        return;
    }
    if switch.moving_place() {
        // Back to where the person is before the veil closed for a move.
        return;
    }
    // Glide from wherever the last glide had got to.
    let along = stage_along(&stage, plan, now);
    let from = match (&stage.from, &stage.to) {
        (Some(a), Some(b)) => Some(blend(a, b, along)),
        _ => None,
    };
    stage.from = from.or(Some(target.clone()));
    stage.to = Some(target);
    stage.since = now;
    stage.settled = false;
}

fn stage_along(stage: &Stage, plan: &ExposurePlan, now: f64) -> f32 {
    glide((now - stage.since) as f32, plan.glide_s)
}

/// A state part way from `a` to `b`, as far as its glide had got: props
/// half there are kept as the nearer of the two (their fade restarts from
/// the shown alpha, which is close enough and never jumps by more than a
/// glide step), moves and wind in between.
fn blend(a: &StepState, b: &StepState, along: f32) -> StepState {
    let lerp3 = |x: [f32; 3], y: [f32; 3]| {
        [
            between(x[0], y[0], along),
            between(x[1], y[1], along),
            between(x[2], y[2], along),
        ]
    };
    StepState {
        place: b.place,
        present: if along < 0.5 {
            a.present.clone()
        } else {
            b.present.clone()
        },
        offset: a
            .offset
            .iter()
            .zip(&b.offset)
            .map(|(&x, &y)| lerp3(x, y))
            .collect(),
        wander: a
            .wander
            .iter()
            .zip(&b.wander)
            .map(|(x, y)| Wandering {
                radius: between(x.radius, y.radius, along),
                speed: between(x.speed, y.speed, along),
            })
            .collect(),
        wind: between(a.wind, b.wind, along),
        sounds: b.sounds.clone(),
    }
}

/// Events of the scene on screen start here (a gust for now: the sounds of
/// events are the mix's).
fn start_events(
    mut heard: MessageReader<Lifecycle>,
    state: Res<AppState>,
    current: Res<CurrentScene>,
    clock: Res<SceneClock>,
    mut stage: ResMut<Stage>,
    mut walkers: Query<(&PropPart, &mut Walker)>,
) {
    for message in heard.read() {
        if plan_of(&current, &state).is_none() {
            continue;
        }
        let Some(event) = current.fired(message) else {
            continue;
        };
        if let EventKind::SpiderDrops { spider, fall } = event.does {
            for (part, mut walker) in &mut walkers {
                if part.name == Some(spider) {
                    walker.drop = Some((clock.seconds, event.seconds, fall));
                }
            }
        }
        if let EventKind::Gust { strength } = event.does {
            let now = clock.seconds;
            stage
                .gusts
                .retain(|&(start, seconds, _)| now < start + f64::from(seconds));
            stage.gusts.push((now, event.seconds, strength));
            stage.settled = false;
        }
    }
}

/// What `show_step` changes on each prop.
type PropItems = (
    &'static PropPart,
    &'static mut Transform,
    &'static mut Visibility,
    &'static MeshMaterial3d<StandardMaterial>,
    Option<&'static mut Walker>,
);

/// Shows the step as far as its glide has got: each prop's presence and
/// place, and the wind.
fn show_step(
    state: Res<AppState>,
    current: Res<CurrentScene>,
    clock: Res<SceneClock>,
    mut stage: ResMut<Stage>,
    mut wind: ResMut<WindNow>,
    mut props: Query<PropItems>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut plants: ResMut<Assets<PlantMaterial>>,
) {
    let Some(plan) = plan_of(&current, &state) else {
        return;
    };
    let (Some(from), Some(to)) = (stage.from.clone(), stage.to.clone()) else {
        return;
    };
    if stage.settled {
        return;
    }
    let now = clock.seconds;
    let along = stage_along(&stage, plan, now);
    for (part, mut transform, mut visibility, material, walker) in &mut props {
        let Some(name) = part.name else { continue };
        let was = from.present[name].unwrap_or(part.present);
        let will = to.present[name].unwrap_or(part.present);
        let alpha = presence(was, will, along);
        let offset = Vec3::from(from.offset[name]).lerp(Vec3::from(to.offset[name]), along);
        let at = part.base + offset;
        if let Some(mut walker) = walker {
            // A spider walks there: `walk_spiders` carries it.
            let (a, b) = (from.wander[name], to.wander[name]);
            walker.anchor = at;
            walker.wandering = Wandering {
                radius: between(a.radius, b.radius, along),
                speed: between(a.speed, b.speed, along),
            };
        } else if transform.translation != at {
            transform.translation = at;
        }
        visibility.set_if_neq(if alpha > 0.0 {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        });
        if let Some(mut material) = materials.get_mut(&material.0) {
            let opacity = part.opacity * alpha;
            if material.base_color.alpha() != opacity {
                material.base_color.set_alpha(opacity);
                // Fully there and solid, it is drawn as a solid again.
                material.alpha_mode = if opacity >= 1.0 {
                    AlphaMode::Opaque
                } else {
                    AlphaMode::Blend
                };
            }
        }
    }
    let gust = stage
        .gusts
        .iter()
        .map(|&(start, seconds, strength)| strength * gust_envelope((now - start) as f32, seconds))
        .fold(0.0f32, f32::max);
    let strength = between(from.wind, to.wind, along).max(gust).clamp(0.0, 1.0);
    if wind.strength != strength {
        wind.strength = strength;
        if let Some(scene) = current.shown.as_ref() {
            let (x, z) = compass(scene.wind.toward_deg);
            for (_, plant) in plants.iter_mut() {
                plant.extension.wind.x = x * strength;
                plant.extension.wind.z = z * strength;
            }
        }
    }
    let gusting = stage
        .gusts
        .iter()
        .any(|&(start, seconds, _)| now < start + f64::from(seconds));
    stage.settled = along >= 1.0 && !gusting;
}

/// How quickly a spider turns to the way it walks: the part of the turn
/// left after a second.
const TURN_LEFT_AFTER_1_S: f32 = 0.002;

/// A leg segment, apart from the spider and its thread.
type LegItems = (&'static LegPart, &'static mut Transform);
type LegFilter = (Without<Walker>, Without<SpiderThread>);
/// A spider's thread, apart from the spider.
type ThreadItems = (&'static mut Transform, &'static mut Visibility);
type ThreadFilter = (With<SpiderThread>, Without<Walker>);

/// Walks every spider to where its step and its wandering put it: the body
/// there, facing the way it goes, its feet planted and stepping by the gait,
/// each leg from hip through knee to foot.
fn walk_spiders(
    clock: Res<SceneClock>,
    mut walkers: Query<(&mut Walker, &mut Transform, &Children)>,
    mut legs: Query<LegItems, LegFilter>,
    mut threads: Query<ThreadItems, ThreadFilter>,
) {
    let now = clock.seconds;
    for (mut walker, mut body, children) in &mut walkers {
        let walker = &mut *walker;
        let dt = walker.last.map_or(0.0, |(t, _)| (now - t) as f32);
        if (0.0..0.5).contains(&dt) {
            walker.travelled += spider::burst_speed(now, walker.wandering.speed) * dt;
        }
        let (off, along_loop) =
            spider::wander(walker.travelled, walker.wandering.radius, walker.seed);
        let at = walker.anchor + off;
        // Face the way it goes: along its loop when wandering, along its
        // path when a step carries it.
        let moved = walker.last.map_or(Vec3::ZERO, |(_, was)| at - was);
        let target = if walker.wandering.radius > 0.0 && walker.wandering.speed > 0.0 {
            Some(along_loop)
        } else if dt > 0.0 && moved.length() / dt > 0.01 {
            Some(spider::facing_along(moved))
        } else {
            None
        };
        if let Some(target) = target
            && dt > 0.0
        {
            let turn = 1.0 - TURN_LEFT_AFTER_1_S.powf(dt.min(0.5));
            walker.facing = walker.facing.slerp(target, turn);
        }
        // Hanging on its thread, its legs hang about it; back on its feet,
        // it stands afresh.
        let depth = walker.drop.map_or(0.0, |(start, seconds, fall)| {
            spider::drop_depth(((now - start) / f64::from(seconds)) as f32, fall)
        });
        if walker
            .drop
            .is_some_and(|(start, seconds, _)| now >= start + f64::from(seconds))
        {
            walker.drop = None;
            walker.gait = spider::Gait::standing(walker.span, at, walker.facing);
        }
        let hanging = depth > 0.0;
        let at = at - Vec3::Y * depth;
        if hanging {
            walker.gait = spider::Gait::hanging(walker.span, at, walker.facing);
        } else {
            walker.gait.walk(at, walker.facing, dt);
        }
        walker.last = Some((now, at + Vec3::Y * depth));
        if body.translation != at || body.rotation != walker.facing {
            body.translation = at;
            body.rotation = walker.facing;
        }
        let inverse = walker.facing.inverse();
        let span = walker.span;
        let lift = walker.gait.lift();
        for child in children.iter() {
            if let Ok((mut transform, mut visibility)) = threads.get_mut(child) {
                visibility.set_if_neq(if hanging {
                    Visibility::Inherited
                } else {
                    Visibility::Hidden
                });
                if hanging {
                    let top = spider::build().back.0.y * span;
                    *transform = Transform {
                        translation: Vec3::Y * top,
                        rotation: Quat::IDENTITY,
                        scale: Vec3::new(0.0004, depth, 0.0004),
                    };
                }
                continue;
            }
            let Ok((part, mut transform)) = legs.get_mut(child) else {
                continue;
            };
            let hip = walker.gait.hip_at(part.leg, at, walker.facing);
            let foot = walker.gait.feet[part.leg].at(lift);
            let knee = spider::knee(hip, foot, spider::UPPER * span, spider::LOWER * span);
            let (from, to) = if part.upper {
                (hip, knee)
            } else {
                (knee, foot)
            };
            let along = to - from;
            let length = along.length().max(1e-5);
            let local = inverse * along;
            *transform = Transform {
                translation: inverse * (from - at),
                rotation: Quat::from_rotation_arc(Vec3::Y, local / length),
                scale: Vec3::new(spider::LEG_RADIUS * span, length, spider::LEG_RADIUS * span),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gust_swells_and_dies_without_a_jump() {
        assert_eq!(gust_envelope(0.0, 4.0), 0.0);
        assert!((gust_envelope(2.0, 4.0) - 1.0).abs() < 1e-6);
        assert!(gust_envelope(3.99, 4.0) < 1e-3);
        assert_eq!(gust_envelope(5.0, 4.0), 0.0);
        let steps: Vec<f32> = (0..=400)
            .map(|i| gust_envelope(i as f32 / 100.0, 4.0))
            .collect();
        assert!(steps.windows(2).all(|w| (w[1] - w[0]).abs() < 0.01));
    }
}
