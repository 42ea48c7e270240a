//! What is drawn over the scene for the person: scene errors, the pause
//! panel (with why the session is paused), the first hint about the keys,
//! gentle notices (the safe place, a suggested break), and the veil that
//! fades between scenes. [`panel`] is the headset's counterpart: a
//! world-locked panel under the pacer, and the veil as a shell around the
//! head.
//!
//! **Invariant:** the veil is the only thing that changes the whole picture
//! at once, and it changes slowly (see `scene::transition`), so
//! switching scenes never flashes. Notices fade in and out over a second.

pub mod panel;
mod suds;

use bevy::prelude::*;

use crate::frame::AppSet;
use crate::scene::{CurrentScene, Veil};
use crate::state::{Flow, Lifecycle, PauseReason, PauseReasons, SessionSnapshot, StepNow};
use crate::typeface;

/// How long the controls hint stays before it fades, seconds of real time
/// (on a slow renderer the app's own clock runs slower than the wall).
const HINT_S: f32 = 10.0;
/// How long a notice stays, seconds of real time, fades included.
const NOTICE_S: f32 = 8.0;
/// How long a notice takes to fade in or out, seconds.
const NOTICE_FADE_S: f32 = 1.0;
/// Colour of the veil: a deep blue-grey, softer than black.
const VEIL: (f32, f32, f32) = (0.035, 0.04, 0.055);

/// Whether to show the controls hint (off for screenshots).
#[derive(Resource, Debug, Clone, Copy)]
struct ShowHints(bool);

/// The words a notice or prompt shows the person now, if any: the window
/// shows them at the bottom, the headset on its panel.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct Notice {
    /// What it says.
    pub words: String,
    /// How visible it is, 0 to 1 (it fades in and out).
    pub alpha: f32,
    /// Seconds of real time left.
    left_s: f32,
}

/// What the safe-place notices say.
const ALREADY_SAFE: &str = "This is your safe place. Stay as long as you like.";
/// What a suggested break says.
pub const BREAK_WORDS: &str = "You have been here a while. A short break?  B or Esc pauses.";

#[derive(Component)]
struct VeilNode;

#[derive(Component)]
struct ErrorPanel;

#[derive(Component)]
struct ErrorText;

#[derive(Component)]
struct PausePanel;

/// The pause panel's words, each written for the reasons of the pause.
#[derive(Component, Clone, Copy, PartialEq, Eq)]
enum PauseText {
    /// Why it is paused.
    Why,
    /// What the keys do.
    KeyList,
    /// An exposure scene's steps and events, with their keys.
    StepKeys,
}

#[derive(Component)]
struct Hint;

#[derive(Component)]
struct NoticeText;

/// The overlays, configured: whether the controls hint shows.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OverlayPlugin {
    /// Show the controls hint at the start.
    pub(crate) hints: bool,
}

impl Plugin for OverlayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ShowHints(self.hints));
        plugin(app);
    }
}

fn plugin(app: &mut App) {
    app.add_plugins(suds::plugin);
    app.init_resource::<Notice>()
        .add_systems(Startup, spawn_overlay)
        .add_systems(
            Update,
            (
                draw_veil,
                show_error,
                show_pause,
                fade_hint,
                (keep_notice, show_notice).chain(),
            )
                .in_set(AppSet::Ui),
        );
}

/// What the keys do while paused for `reasons`, a line each, as the pause
/// panel lists them. While the therapist holds the session (before they
/// start it, or after pausing it), Esc cannot go on, so it is not offered,
/// and the list is kept short so it covers nothing else on screen (a SUDS
/// question asked as the hierarchy appears).
fn pause_keys(reasons: PauseReasons) -> &'static str {
    if reasons.contains(PauseReason::Connection) {
        "The session waits for your therapist to reconnect\n\
         S  go to your safe place\n\
         Q  quit"
    } else if reasons.contains(PauseReason::Therapist) {
        "Your therapist goes on with the session\n\
         S  go to your safe place\n\
         Q  quit"
    } else {
        "Esc  go on\n\
         S  go to your safe place\n\
         Enter  back from the safe place\n\
         B  take a break\n\
         F  fullscreen\n\
         -  /  +  quieter, louder\n\
         M  mono sound (both ears the same)\n\
         P  the breathing pacer on or off\n\
         Q  quit\n\
         Drag with the mouse to look around"
    }
}

/// How to go on while paused for `reasons`, as the headset's panel adds it
/// after why: the menu button, unless the therapist holds the session.
fn pause_how(reasons: PauseReasons) -> &'static str {
    if reasons.contains(PauseReason::Connection) {
        "  \u{b7}  it waits for your therapist"
    } else if reasons.contains(PauseReason::Therapist) {
        "  \u{b7}  your therapist goes on"
    } else {
        "  \u{b7}  the menu button goes on"
    }
}

/// Why the session is paused, in the person's words.
fn pause_words(reasons: PauseReasons) -> &'static str {
    if reasons.contains(PauseReason::Connection) {
        "Your therapist has lost the connection"
    } else if reasons.contains(PauseReason::Therapist) {
        "Paused by your therapist"
    } else if reasons.contains(PauseReason::Headset) {
        "Paused while the headset is off"
    } else if reasons.contains(PauseReason::Break) {
        "Taking a break"
    } else {
        "Paused"
    }
}

fn spawn_overlay(mut commands: Commands, hints: Option<Res<ShowHints>>) {
    let full = Node {
        position_type: PositionType::Absolute,
        width: percent(100),
        height: percent(100),
        ..default()
    };
    commands.spawn((
        VeilNode,
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
                PauseText::Why,
                Text::new("Paused"),
                TextFont::from_font_size(44.0),
                TextColor(Color::srgb(0.93, 0.93, 0.9)),
            ));
            panel.spawn((
                PauseText::KeyList,
                Text::new(pause_keys(PauseReasons::default())),
                TextFont::from_font_size(22.0),
                TextColor(Color::srgb(0.82, 0.84, 0.86)),
                TextLayout::justify(Justify::Center),
                // The lines a little apart, as separate lines were.
                bevy::text::LineHeight::RelativeToFont(1.6),
            ));
            panel.spawn((
                PauseText::StepKeys,
                Text::new(""),
                TextFont::from_font_size(22.0),
                TextColor(Color::srgb(0.86, 0.84, 0.78)),
                TextLayout::justify(Justify::Center),
                Node {
                    margin: UiRect::top(px(12)),
                    ..default()
                },
            ));
        });
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                top: percent(12),
                width: percent(100),
                justify_content: JustifyContent::Center,
                ..default()
            },
            GlobalZIndex(12),
        ))
        .with_child((
            NoticeText,
            Text::new(""),
            TextFont::from_font_size(24.0),
            TextColor(typeface::INK.with_alpha(0.0)),
            typeface::spacing(),
            typeface::backing(12.0),
            TextLayout::justify(Justify::Center),
            Visibility::Hidden,
        ));
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

/// The window's veil follows the scene's.
fn draw_veil(veil: Res<Veil>, mut nodes: Query<&mut BackgroundColor, With<VeilNode>>) {
    if !veil.is_changed() {
        return;
    }
    let color = Color::linear_rgba(VEIL.0, VEIL.1, VEIL.2, veil.alpha());
    for mut background in &mut nodes {
        // Touched only when it changes: an unchanged UI is not re-prepared
        // for rendering every frame.
        background.set_if_neq(BackgroundColor(color));
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

/// The keys of an exposure scene's steps and events, as the pause panel
/// lists them: the step now, and each event with its number key.
fn step_keys(exposure: Option<&StepNow>) -> String {
    let Some(now) = exposure else {
        return String::new();
    };
    let mut lines = format!(
        "Up / Down  a step harder, easier  (now {} of {}: {})",
        now.step, now.steps, now.name
    );
    for (k, name) in now.all_events.iter().enumerate().take(9) {
        let when = if now.events.contains(name) {
            ""
        } else {
            "  (not at this step)"
        };
        lines.push_str(&format!("\n{}  {name}{when}", k + 1));
    }
    lines.push_str("\nD  how distressed are you (SUDS, 0 to 100)");
    lines
}

fn show_pause(
    snapshot: Res<SessionSnapshot>,
    mut panels: Query<&mut Visibility, With<PausePanel>>,
    mut texts: Query<(&PauseText, &mut Text)>,
    mut shown: Local<Option<(PauseReasons, Option<usize>)>>,
) {
    let paused = (snapshot.flow == Flow::Paused).then_some((
        snapshot.paused_for,
        snapshot.exposure.as_ref().map(|e| e.step),
    ));
    if *shown == paused {
        return;
    }
    *shown = paused;
    let paused = paused.map(|(reasons, _)| reasons);
    for mut visibility in &mut panels {
        *visibility = match paused {
            Some(_) => Visibility::Inherited,
            None => Visibility::Hidden,
        };
    }
    let Some(reasons) = paused else {
        return;
    };
    for (part, mut text) in &mut texts {
        text.0 = match part {
            PauseText::Why => pause_words(reasons).to_owned(),
            PauseText::KeyList => pause_keys(reasons).to_owned(),
            // The therapist holds the session: the steps are theirs to
            // change.
            PauseText::StepKeys if reasons.contains(PauseReason::Therapist) => String::new(),
            PauseText::StepKeys => step_keys(snapshot.exposure.as_ref()),
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

/// Notices come from what happened; a suggested break stays while it is
/// suggested. Each fades in and out with real time.
/// Said when a remote session's therapist connects: who is there, and
/// what happens should the connection go.
const THERAPIST_WORDS: &str = "Your therapist is connected.  Should the connection go, \
     the session waits for them, and S takes you to your safe place.";

fn keep_notice(
    time: Res<Time<Real>>,
    mut heard: MessageReader<Lifecycle>,
    snapshot: Res<SessionSnapshot>,
    mut notice: ResMut<Notice>,
) {
    for message in heard.read() {
        let words = match message {
            Lifecycle::AlreadySafe { .. } => ALREADY_SAFE.to_owned(),
            Lifecycle::SafePlaceEntered { .. } => {
                "Your safe place.  Enter takes you back when you are ready.".to_owned()
            }
            Lifecycle::BreakSuggested { .. } => BREAK_WORDS.to_owned(),
            Lifecycle::TherapistLink { connected: true } => THERAPIST_WORDS.to_owned(),
            _ => continue,
        };
        notice.words = words;
        notice.left_s = NOTICE_S;
    }
    if notice.words == BREAK_WORDS && snapshot.break_suggested {
        // Stays while suggested, however long that is.
        notice.left_s = notice.left_s.max(NOTICE_FADE_S + 0.5);
    }
    if notice.left_s <= 0.0 && notice.alpha == 0.0 {
        return;
    }
    notice.left_s = (notice.left_s - time.delta_secs()).max(0.0);
    let shown = NOTICE_S - notice.left_s;
    let alpha = (shown / NOTICE_FADE_S)
        .min(notice.left_s / NOTICE_FADE_S)
        .clamp(0.0, 1.0);
    if notice.alpha != alpha {
        notice.alpha = alpha;
    }
    if notice.left_s == 0.0 {
        notice.words.clear();
    }
}

fn show_notice(
    notice: Res<Notice>,
    mut texts: Query<(&mut Text, &mut TextColor), With<NoticeText>>,
) {
    if !notice.is_changed() {
        return;
    }
    for (mut text, mut color) in &mut texts {
        if text.0 != notice.words {
            text.0.clone_from(&notice.words);
        }
        color.0.set_alpha(0.95 * notice.alpha);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_lists_the_step_and_every_event_saying_which_wait_for_another_step() {
        assert_eq!(step_keys(None), "");
        let now = StepNow {
            step: 2,
            steps: 4,
            name: "Rail".into(),
            say: String::new(),
            events: vec!["gust".into()],
            all_events: vec!["gust".into(), "creak".into()],
        };
        assert_eq!(
            step_keys(Some(&now)),
            "Up / Down  a step harder, easier  (now 2 of 4: Rail)\n\
             1  gust\n\
             2  creak  (not at this step)\n\
             D  how distressed are you (SUDS, 0 to 100)"
        );
    }
}
