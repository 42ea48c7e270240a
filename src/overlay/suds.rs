//! The SUDS prompt in the window: a question and a 0 to 100 scale in the
//! lower right corner of the view, with its five anchors and the answer as it stands.
//! It keeps clear of the middle of the view and nothing waits for it: the
//! scene goes on behind. The arrows move the answer, Enter gives it,
//! Backspace sets the question aside, and a click on the scale gives the
//! value clicked. (In the headset the panel under the pacer asks the same,
//! in words large enough to read: see [`headset_words`].)

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use crate::frame::AppSet;
use crate::state::suds::ANCHORS;
use crate::state::{Intent, SessionSnapshot, SudsChange};
use crate::typeface;

/// The scale's length on screen, pixels at a 720-line window.
const SCALE_PX: f32 = 400.0;

#[derive(Component)]
struct SudsPanel;

/// The scale's track, which a click answers on.
#[derive(Component)]
struct SudsTrack;

/// The mark at the answer.
#[derive(Component)]
struct SudsMark;

/// The answer in figures.
#[derive(Component)]
struct SudsValue;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_prompt).add_systems(
        Update,
        (
            click_on_scale.in_set(AppSet::Input),
            show_prompt.in_set(AppSet::Ui),
        ),
    );
}

/// Most characters in a line of the headset's panel: at its 60-pixel type
/// a line of Ubuntu Light averages under 30 pixels a character, so 32 fit
/// its 1024 pixels with room at the sides.
#[cfg(test)]
const PANEL_LINE_CHARS: usize = 32;

/// The question as the headset's panel shows it: two lines, the second the
/// anchors.
pub(super) fn headset_words(value: u8) -> String {
    format!("How distressed are you?  < {value} >\n0 calm  25  50  75  100 worst")
}

fn spawn_prompt(mut commands: Commands) {
    let ink = typeface::INK;
    commands
        .spawn((
            SudsPanel,
            Node {
                position_type: PositionType::Absolute,
                bottom: px(24),
                right: px(24),
                ..default()
            },
            Visibility::Hidden,
            GlobalZIndex(13),
        ))
        .with_children(|row| {
            let (mut node, backing) = typeface::backing(14.0);
            node.flex_direction = FlexDirection::Column;
            node.align_items = AlignItems::Center;
            node.row_gap = px(8);
            row.spawn((node, backing)).with_children(|card| {
                card.spawn((
                    Text::new("How distressed are you right now?"),
                    TextFont::from_font_size(20.0),
                    TextColor(ink),
                    typeface::spacing(),
                ));
                card.spawn((
                    SudsValue,
                    Text::new("50"),
                    TextFont::from_font_size(26.0),
                    TextColor(ink),
                ));
                // The track, with the mark on it and the anchors under it.
                card.spawn((
                    SudsTrack,
                    Node {
                        width: px(SCALE_PX),
                        height: px(10),
                        margin: UiRect::vertical(px(6)),
                        border_radius: BorderRadius::all(px(5)),
                        ..default()
                    },
                    BackgroundColor(Color::srgba(0.85, 0.85, 0.82, 0.35)),
                ))
                .with_children(|track| {
                    track.spawn((
                        SudsMark,
                        Node {
                            position_type: PositionType::Absolute,
                            left: percent(50),
                            top: px(-6),
                            width: px(6),
                            height: px(22),
                            margin: UiRect::left(px(-3)),
                            border_radius: BorderRadius::all(px(3)),
                            ..default()
                        },
                        BackgroundColor(ink),
                    ));
                });
                card.spawn(Node {
                    width: px(SCALE_PX + 120.0),
                    height: px(44),
                    ..default()
                })
                .with_children(|anchors| {
                    for (at, words) in ANCHORS {
                        anchors
                            .spawn(Node {
                                position_type: PositionType::Absolute,
                                left: px(SCALE_PX * f32::from(at) / 100.0),
                                width: px(120),
                                flex_direction: FlexDirection::Column,
                                align_items: AlignItems::Center,
                                ..default()
                            })
                            .with_children(|anchor| {
                                anchor.spawn((
                                    Text::new(at.to_string()),
                                    TextFont::from_font_size(16.0),
                                    TextColor(ink),
                                ));
                                anchor.spawn((
                                    Text::new(words),
                                    TextFont::from_font_size(13.0),
                                    TextColor(ink.with_alpha(0.8)),
                                    TextLayout::justify(Justify::Center),
                                ));
                            });
                    }
                });
                card.spawn((
                    Text::new("Left, Right  move     Enter  answer     Backspace  not now"),
                    TextFont::from_font_size(13.0),
                    TextColor(ink.with_alpha(0.7)),
                ));
            });
        });
}

/// Shows the question while one is open, with the answer as it stands.
fn show_prompt(
    snapshot: Res<SessionSnapshot>,
    mut panels: Query<&mut Visibility, With<SudsPanel>>,
    mut marks: Query<&mut Node, With<SudsMark>>,
    mut values: Query<&mut Text, With<SudsValue>>,
    mut shown: Local<Option<u8>>,
) {
    let now = snapshot.suds.map(|s| s.value);
    if *shown == now {
        return;
    }
    *shown = now;
    for mut visibility in &mut panels {
        visibility.set_if_neq(if now.is_some() {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        });
    }
    let Some(value) = now else { return };
    for mut mark in &mut marks {
        mark.left = percent(f32::from(value));
    }
    for mut text in &mut values {
        text.0 = value.to_string();
    }
}

/// A click on the scale (or just above or below it) gives the value there.
fn click_on_scale(
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    snapshot: Res<SessionSnapshot>,
    tracks: Query<(&ComputedNode, &UiGlobalTransform), With<SudsTrack>>,
    mut intents: MessageWriter<Intent>,
) {
    if snapshot.suds.is_none() {
        return;
    }
    let Some(buttons) = buttons else { return };
    if !buttons.just_pressed(MouseButton::Left) {
        return;
    }
    let Some(cursor) = windows.iter().find_map(Window::physical_cursor_position) else {
        return;
    };
    for (node, transform) in &tracks {
        let size = node.size();
        let centre = transform.translation;
        let left = centre.x - size.x / 2.0;
        let near = (cursor.y - centre.y).abs()
            <= size.y / 2.0 + 16.0 * node.inverse_scale_factor().recip();
        if near && (left..=left + size.x).contains(&cursor.x) {
            let value = ((cursor.x - left) / size.x * 100.0)
                .round()
                .clamp(0.0, 100.0) as u8;
            intents.write(Intent::Suds(SudsChange::Set(value)));
            intents.write(Intent::Suds(SudsChange::Answer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headset_question_fits_the_panel_in_two_lines() {
        for value in [0, 5, 50, 100] {
            let words = headset_words(value);
            assert_eq!(words.lines().count(), 2);
            for line in words.lines() {
                assert!(line.chars().count() <= PANEL_LINE_CHARS, "{line}");
            }
            assert!(words.contains(&value.to_string()));
        }
        // Two lines of the panel's type fit its height.
        let line_px = crate::seating::PANEL_FONT_PX * 1.2;
        assert!(2.0 * line_px <= crate::seating::PANEL_PX.1 as f32);
    }
}
