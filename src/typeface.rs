//! How the words a person reads are set: Ubuntu Light, a calm proportional
//! face (Bevy's own default is a monospace, which reads as programmer text),
//! a little letter spacing, soft off-white on a faint dark backing. The face
//! comes as bytes from the `epaint_default_fonts` crate, under the Ubuntu
//! Font Licence, and is put in place of Bevy's default font, so every `Text`
//! uses it without naming it.

use bevy::asset::AssetId;
use bevy::prelude::*;
use bevy::text::LetterSpacing;

/// Sets the default font, where the app draws text at all.
pub(crate) fn plugin(app: &mut App) {
    if let Some(mut fonts) = app.world_mut().get_resource_mut::<Assets<Font>>() {
        let face = Font::from_bytes(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
        // The default id is always free to take: it is the one the default
        // handle names.
        if fonts.insert(AssetId::default(), face).is_err() {
            warn!("the typeface could not be set; text keeps Bevy's own");
        }
    }
}

/// Soft off-white, never pure white.
pub(crate) const INK: Color = Color::srgba(0.97, 0.95, 0.9, 0.95);

/// Letter spacing of the words a person reads: a little more than the
/// face's own.
pub(crate) fn spacing() -> LetterSpacing {
    LetterSpacing::Rem(0.03)
}

/// A faint dark backing behind words over the scene, so they read on a
/// bright sky or a dark lake alike, with room around them.
pub(crate) fn backing(padding_px: f32) -> (Node, BackgroundColor) {
    (
        Node {
            padding: UiRect::axes(px(padding_px * 1.6), px(padding_px * 0.5)),
            border_radius: BorderRadius::all(px(padding_px)),
            ..default()
        },
        BackgroundColor(Color::srgba(0.02, 0.03, 0.05, 0.3)),
    )
}
