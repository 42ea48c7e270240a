//! What is drawn over the scene: scene errors, the pause panel, the first
//! hint about the controls, and the veil that fades between scenes.
//!
//! **Invariant:** the veil is the only thing that changes the whole picture
//! at once, and it changes slowly (a fade of under half a second each way),
//! so switching scenes never flashes.

use bevy::prelude::*;

use crate::AppSet;
use crate::scene::{CurrentScene, ShowScene};
use crate::view::Flow;

/// Time for the veil to close or open, seconds.
pub const FADE_S: f32 = 0.4;
/// How long the controls hint stays before it fades, seconds of real time
/// (on a slow renderer the app's own clock runs slower than the wall).
const HINT_S: f32 = 10.0;
/// Colour of the veil: a deep blue-grey, softer than black.
pub(crate) const VEIL: (f32, f32, f32) = (0.035, 0.04, 0.055);

/// Whether to show the controls hint (off for screenshots).
#[derive(Resource, Debug, Clone, Copy)]
pub struct ShowHints(pub bool);

/// The veil between scenes.
#[derive(Resource, Debug, Default)]
pub struct Fade {
    /// How closed the veil is, 0 (open) to 1 (closed).
    pub alpha: f32,
    /// The scene to show once the veil is closed.
    pending: Option<String>,
    /// The scene generation the veil waits for before it opens.
    waiting_for: Option<u32>,
}

impl Fade {
    /// Starts a fade to the scene at `path` (inside the scene folder).
    pub fn to_scene(&mut self, path: String) {
        self.pending = Some(path);
    }

    /// Whether a fade is under way.
    pub fn busy(&self) -> bool {
        self.pending.is_some() || self.waiting_for.is_some() || self.alpha > 0.0
    }
}

#[derive(Component)]
struct Veil;

#[derive(Component)]
struct ErrorPanel;

#[derive(Component)]
struct ErrorText;

#[derive(Component)]
struct PausePanel;

#[derive(Component)]
struct Hint;

pub fn plugin(app: &mut App) {
    app.init_resource::<Fade>()
        .add_systems(Startup, spawn_overlay)
        .add_systems(
            Update,
            (fade, show_error, show_pause, fade_hint).in_set(AppSet::Ui),
        );
}

fn spawn_overlay(mut commands: Commands, hints: Option<Res<ShowHints>>) {
    let full = Node {
        position_type: PositionType::Absolute,
        width: percent(100),
        height: percent(100),
        ..default()
    };
    commands.spawn((
        Veil,
        full.clone(),
        BackgroundColor(Color::linear_rgba(VEIL.0, VEIL.1, VEIL.2, 0.0)),
        GlobalZIndex(20),
    ));
    commands
        .spawn((
            ErrorPanel,
            Node {
                position_type: PositionType::Absolute,
                top: px(16),
                left: px(16),
                right: px(16),
                padding: UiRect::all(px(14)),
                flex_direction: FlexDirection::Column,
                ..default()
            },
            BackgroundColor(Color::srgba(0.10, 0.09, 0.08, 0.88)),
            Visibility::Hidden,
            GlobalZIndex(10),
        ))
        .with_children(|panel| {
            panel.spawn((
                Text::new(
                    "This scene file has a problem. The last good scene stays until it is fixed.",
                ),
                TextFont::from_font_size(18.0),
                TextColor(Color::srgb(0.95, 0.9, 0.82)),
            ));
            panel.spawn((
                ErrorText,
                Text::new(""),
                TextFont::from_font_size(16.0),
                TextColor(Color::srgb(0.98, 0.78, 0.5)),
                Node {
                    margin: UiRect::top(px(8)),
                    ..default()
                },
            ));
        });
    commands
        .spawn((
            PausePanel,
            Node {
                flex_direction: FlexDirection::Column,
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                row_gap: px(10),
                ..full
            },
            BackgroundColor(Color::srgba(0.03, 0.04, 0.06, 0.6)),
            Visibility::Hidden,
            GlobalZIndex(15),
        ))
        .with_children(|panel| {
            panel.spawn((
                Text::new("Paused"),
                TextFont::from_font_size(44.0),
                TextColor(Color::srgb(0.93, 0.93, 0.9)),
            ));
            for line in [
                "Esc  resume",
                "S  go to your safe place",
                "F  fullscreen",
                "-  /  +  quieter, louder",
                "M  mono sound (both ears the same)",
                "Q  quit",
                "Drag with the mouse to look around",
            ] {
                panel.spawn((
                    Text::new(line),
                    TextFont::from_font_size(22.0),
                    TextColor(Color::srgb(0.82, 0.84, 0.86)),
                ));
            }
        });
    if hints.is_none_or(|h| h.0) {
        commands.spawn((
            Hint,
            Text::new("Drag to look around     Esc  pause     S  safe place     F  fullscreen"),
            TextFont::from_font_size(16.0),
            TextColor(Color::srgba(0.9, 0.92, 0.95, 0.8)),
            Node {
                position_type: PositionType::Absolute,
                bottom: px(16),
                left: px(16),
                ..default()
            },
        ));
    }
}

fn fade(
    time: Res<Time>,
    mut state: ResMut<Fade>,
    mut show: MessageWriter<ShowScene>,
    current: Res<CurrentScene>,
    mut veils: Query<&mut BackgroundColor, With<Veil>>,
) {
    let step = time.delta_secs() / FADE_S;
    let state = state.as_mut();
    if let Some(path) = state.pending.clone() {
        state.alpha = (state.alpha + step).min(1.0);
        if state.alpha >= 1.0 {
            show.write(ShowScene(path));
            state.pending = None;
            state.waiting_for = Some(current.generation + 1);
        }
    } else if let Some(generation) = state.waiting_for {
        // Open again once the new scene is on screen, or at once if it
        // failed to load and the old one stays.
        if current.generation >= generation || current.error.is_some() {
            state.waiting_for = None;
        }
    } else if state.alpha > 0.0 {
        state.alpha = (state.alpha - step).max(0.0);
    }
    // Touch the veil only when it changes: an unchanged UI is not
    // re-prepared for rendering every frame.
    let veil = Color::linear_rgba(VEIL.0, VEIL.1, VEIL.2, state.alpha);
    for mut color in &mut veils {
        color.set_if_neq(BackgroundColor(veil));
    }
}

fn show_error(
    current: Res<CurrentScene>,
    mut panels: Query<&mut Visibility, With<ErrorPanel>>,
    mut texts: Query<&mut Text, With<ErrorText>>,
) {
    if !current.is_changed() {
        return;
    }
    for mut visibility in &mut panels {
        *visibility = if current.error.is_some() {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
    }
    if let Some(error) = &current.error {
        for mut text in &mut texts {
            text.0.clone_from(error);
        }
    }
}

fn show_pause(flow: Res<State<Flow>>, mut panels: Query<&mut Visibility, With<PausePanel>>) {
    if !flow.is_changed() {
        return;
    }
    for mut visibility in &mut panels {
        *visibility = match flow.get() {
            Flow::Paused => Visibility::Inherited,
            Flow::Running => Visibility::Hidden,
        };
    }
}

fn fade_hint(
    time: Res<Time<Real>>,
    mut hints: Query<(Entity, &mut TextColor), With<Hint>>,
    mut commands: Commands,
) {
    let elapsed = time.elapsed_secs();
    for (entity, mut color) in &mut hints {
        let alpha = 0.8 * (1.0 - ((elapsed - HINT_S) / 2.0).clamp(0.0, 1.0));
        color.0.set_alpha(alpha);
        if alpha <= 0.0 {
            commands.entity(entity).despawn();
        }
    }
}
