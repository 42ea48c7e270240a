//! The breathing pacer you see: an orb (or a ring, or the scene's light)
//! that follows the lungs, and a caption with the phase and the seconds
//! left.
//!
//! **Invariant:** the pacer is drawn from [`SessionClock::shown`], the mix's
//! sample count shifted by the output latency, through the same
//! [`Schedule::at`] the mix plays from, for the guided session in force at
//! that moment. It has no timer of its own.

use bevy::camera::Exposure;
use bevy::prelude::*;

use crate::breath::{BreathState, Micros, Phase, Schedule};
use crate::clock::SessionClock;
use crate::frame::AppSet;
use crate::scene::CurrentScene;
use crate::scene::format::PacerStyle;
use crate::scene::model::PacerLook;
use crate::scene::spawn::SceneView;
use crate::state::{AppState, Presentation};
use crate::view::{Look, SceneLook, view_rotation};

/// The pacer's angular size at empty lungs, as radius over distance (about
/// 1.4 degrees): a small light that is still easy to find.
const EMPTY_RADIUS_PER_M: f32 = 0.025;
/// The pacer's angular size at full lungs (about 3.4 degrees): plainly
/// grown, without filling the view.
const FULL_RADIUS_PER_M: f32 = 0.06;
/// The halo around the orb, as a multiple of its radius.
const HALO_SCALE: f32 = 1.7;
/// The halo's strength relative to the orb's colour: a faint glow, added.
const HALO_STRENGTH: f32 = 0.2;
/// How much the light brightens at full lungs in the light style and in
/// reduced motion, EV: about 10 %, gentle enough never to read as a flash.
pub const LIGHT_EV_AT_FULL: f32 = 0.14;
/// The pacer's glow at empty lungs, relative to full: it dims as it shrinks.
const EMPTY_GLOW: f32 = 0.6;

/// The person's choice of pacer.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct PacerOptions {
    /// Only the caption and a gentle brightening; no moving object.
    pub reduced_motion: bool,
}

/// What the pacer shows this frame (for the caption, and for tests).
#[derive(Resource, Debug, Clone, Default)]
pub(crate) struct PacerNow {
    /// The session time shown.
    pub(crate) shown: Micros,
    /// Where that time falls in the guided session in force, if any.
    pub(crate) state: Option<BreathState>,
    /// That session's start, to tell one session from the next.
    pub(crate) origin: Option<Micros>,
}

/// The orb or ring.
#[derive(Component, Debug)]
pub struct PacerBody {
    /// Distance from the seat, metres.
    pub(crate) distance_m: f32,
    /// Its base colour times its glow.
    color: LinearRgba,
}

/// A caption of the pacer: the one in the window, and the one on the
/// headset's panel. [`write_caption`] fills every one.
#[derive(Component, Debug)]
pub struct PacerCaption;

/// The window's caption, under the view.
#[derive(Component, Debug)]
struct WindowCaption;

/// The pacer, configured: how it moves.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PacerPlugin {
    /// The person's choice of pacer.
    pub(crate) options: PacerOptions,
}

impl Plugin for PacerPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.options);
        plugin(app);
    }
}

fn plugin(app: &mut App) {
    app.init_resource::<PacerOptions>()
        .init_resource::<PacerNow>()
        .add_systems(Startup, spawn_caption)
        .add_systems(
            Update,
            (
                read_schedule.in_set(AppSet::Animate),
                place_pacer.in_set(AppSet::Animate).after(read_schedule),
                (
                    move_pacer,
                    write_caption,
                    brighten_light,
                    caption_where_seen,
                )
                    .in_set(AppSet::Ui),
            ),
        );
}

/// Radius of the orb (or the ring) at `fill`, `distance_m` from the eye.
fn body_radius_m(fill: f32, distance_m: f32) -> f32 {
    distance_m
        * (EMPTY_RADIUS_PER_M + (FULL_RADIUS_PER_M - EMPTY_RADIUS_PER_M) * fill.clamp(0.0, 1.0))
}

/// The caption for a moment: the phase's words and, while a phase is paced,
/// the whole seconds left ("Breathe in   3").
pub(crate) fn caption_text(schedule: &Schedule, state: &BreathState) -> String {
    let words = schedule.caption(state.caption);
    if state.phase.is_paced() {
        format!("{words}   {}", state.seconds_left())
    } else {
        words.to_owned()
    }
}

fn read_schedule(state: Res<AppState>, clock: Res<SessionClock>, mut now: ResMut<PacerNow>) {
    let shown = clock.shown();
    let run = state.guided().at(shown);
    now.shown = shown;
    now.state = run.map(|run| run.at(shown));
    now.origin = run.map(|run| run.origin);
}

/// Spawns the pacer in front of each scene's seat, in the scene's style.
fn place_pacer(
    mut commands: Commands,
    current: Res<CurrentScene>,
    view: Option<Res<SceneView>>,
    now: Res<PacerNow>,
    options: Res<PacerOptions>,
    state: Res<AppState>,
    bodies: Query<Entity, With<PacerBody>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut placed: Local<Option<(u32, Presentation, bool)>>,
) {
    let Some(view) = view else { return };
    let presentation = state.presentation();
    let guided = now.state.is_some();
    let key = (current.generation, presentation, guided);
    // A new place in the scene (an exposure step's) moves the pacer with
    // the person, behind the veil.
    if *placed == Some(key) && !options.is_changed() && !view.is_changed() {
        return;
    }
    *placed = Some(key);
    for body in &bodies {
        commands.entity(body).despawn();
    }
    let Some(scene) = current.shown.as_ref() else {
        return;
    };
    let style: &PacerLook = &scene.pacer;
    if !guided || options.reduced_motion || style.style == PacerStyle::Light {
        return;
    }
    let facing = view_rotation(view.heading_deg, 0.0, &Look::default());
    let (at, distance_m) = match presentation {
        Presentation::Desktop => (
            view.eye + facing * Vec3::NEG_Z * style.distance_m - Vec3::Y * style.below_eye_m,
            style.distance_m,
        ),
        // In the headset the pacer is world-locked within the comfortable
        // band, whatever the scene asks for the desktop.
        Presentation::Headset => {
            let offset = crate::seating::pacer_offset(style.distance_m, style.below_eye_m);
            (
                crate::seating::seat(view.eye, view.heading_deg) * offset,
                offset.length(),
            )
        }
    };
    let (r, g, b) = style.color;
    let color = LinearRgba::rgb(r * style.glow, g * style.glow, b * style.glow);
    let mesh = match style.style {
        // A ring reads smaller than a disc of the same radius: it is drawn
        // a little wider, with a band thick enough to see at a glance.
        PacerStyle::Ring => meshes.add(Torus::new(1.22, 1.4)),
        _ => meshes.add(
            Sphere::new(1.0)
                .mesh()
                .ico(4)
                .unwrap_or_else(|_| Sphere::new(1.0).mesh().uv(32, 18)),
        ),
    };
    let material = materials.add(StandardMaterial {
        base_color: Color::from(color),
        unlit: true,
        fog_enabled: false,
        ..default()
    });
    // The ring stands upright, facing the seat.
    let rotation = match style.style {
        PacerStyle::Ring => facing * Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
        _ => Quat::IDENTITY,
    };
    let halo = (style.style == PacerStyle::Orb).then(|| {
        materials.add(StandardMaterial {
            base_color: Color::from(color * HALO_STRENGTH),
            unlit: true,
            fog_enabled: false,
            alpha_mode: AlphaMode::Add,
            ..default()
        })
    });
    let mut body = commands.spawn((
        PacerBody { distance_m, color },
        Mesh3d(mesh.clone()),
        MeshMaterial3d(material),
        Transform::from_translation(at)
            .with_rotation(rotation)
            .with_scale(Vec3::splat(body_radius_m(0.0, distance_m))),
        bevy::light::NotShadowCaster,
        Name::new("pacer"),
    ));
    if let Some(halo) = halo {
        // A soft glow around the orb, growing with it.
        body.with_child((
            Mesh3d(mesh),
            MeshMaterial3d(halo),
            Transform::from_scale(Vec3::splat(HALO_SCALE)),
            bevy::light::NotShadowCaster,
            Name::new("pacer halo"),
        ));
    }
}

fn move_pacer(
    now: Res<PacerNow>,
    mut bodies: Query<(
        &PacerBody,
        &mut Transform,
        &MeshMaterial3d<StandardMaterial>,
    )>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let fill = now.state.map_or(0.0, |s| s.fill);
    for (body, mut transform, material) in &mut bodies {
        transform.scale = Vec3::splat(body_radius_m(fill, body.distance_m));
        if let Some(mut material) = materials.get_mut(&material.0) {
            let glow = EMPTY_GLOW + (1.0 - EMPTY_GLOW) * fill;
            material.base_color = Color::from(body.color * glow);
        }
    }
}

fn spawn_caption(mut commands: Commands) {
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                bottom: percent(9),
                width: percent(100),
                justify_content: JustifyContent::Center,
                ..default()
            },
            GlobalZIndex(10),
        ))
        .with_children(|parent| {
            parent.spawn((
                PacerCaption,
                WindowCaption,
                Text::new(""),
                TextFont::from_font_size(30.0),
                TextColor(crate::typeface::INK),
                crate::typeface::spacing(),
                crate::typeface::backing(12.0),
                // One line, always: the caption's box is sized to its words,
                // and a count that wrapped would fall outside it.
                TextLayout::new(Justify::Center, LineBreak::NoWrap),
                Visibility::Hidden,
            ));
        });
}

/// The words the pacer says now, if a guided session is in force.
fn caption_now(state: &AppState, now: &PacerNow) -> String {
    match (state.guided().at(now.shown), now.state.as_ref()) {
        (Some(run), Some(breath)) => caption_text(&run.guide.schedule, breath),
        _ => String::new(),
    }
}

fn write_caption(
    state: Res<AppState>,
    now: Res<PacerNow>,
    mut captions: Query<&mut Text, With<PacerCaption>>,
    mut shown: Local<Option<(Micros, u16, u64, bool)>>,
) {
    // What the caption says changes a few times a second at most: the text
    // is built (and laid out again) only then, not every frame.
    let key = match (now.origin, now.state.as_ref()) {
        (Some(origin), Some(breath)) => Some((
            origin,
            breath.caption,
            breath.seconds_left(),
            breath.phase.is_paced(),
        )),
        _ => None,
    };
    if key == *shown {
        return;
    }
    *shown = key;
    let text = caption_now(&state, &now);
    for mut caption in &mut captions {
        caption.0.clone_from(&text);
    }
}

/// In the headset the caption is on the panel under the pacer, which the
/// window mirrors: the window's own caption is hidden, so it is not read
/// twice.
fn caption_where_seen(
    state: Res<AppState>,
    mut captions: Query<(&Text, &mut Visibility), With<WindowCaption>>,
) {
    for (text, mut visibility) in &mut captions {
        // An empty caption's backing is not shown either.
        let wanted = if state.presentation() == Presentation::Desktop && !text.0.is_empty() {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        visibility.set_if_neq(wanted);
    }
}

/// In the light style and in reduced motion, the scene's light brightens a
/// little as the lungs fill.
fn brighten_light(
    current: Res<CurrentScene>,
    options: Res<PacerOptions>,
    view: Option<Res<SceneView>>,
    now: Res<PacerNow>,
    mut cameras: Query<&mut Exposure, With<SceneLook>>,
) {
    let (Some(view), Some(scene)) = (view, current.shown.as_ref()) else {
        return;
    };
    let light = options.reduced_motion || scene.pacer.style == PacerStyle::Light;
    if !light || now.state.is_none() {
        return;
    }
    let fill = now
        .state
        .filter(|s| s.phase != Phase::Done)
        .map_or(0.0, |s| s.fill);
    for mut exposure in &mut cameras {
        exposure.ev100 = view.exposure_ev100 - LIGHT_EV_AT_FULL * fill;
    }
}
