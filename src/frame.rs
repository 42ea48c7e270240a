//! The order of work in a frame: the sets every module's systems join.
//! It names nothing of the crate's own, so any module may use it.

use bevy::prelude::*;

/// The order of work in a frame. Each set runs after the one before it.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AppSet {
    /// Inputs (keys, mouse, controllers) send their intents.
    Input,
    /// The intents take effect on the app's state; followers of the state
    /// (the sound) pick the changes up.
    Intents,
    /// The clocks advance.
    Clock,
    /// Scene loading, switching through the veil, hot reload.
    Scene,
    /// Everything that moves with the clock: water, wind, particles,
    /// clouds, the pacer.
    Animate,
    /// The camera follows the seated view and the person's look.
    View,
    /// Overlays: errors, pause, hints, notices, the caption.
    Ui,
    /// The snapshot of the frame, for watchers.
    Report,
}

/// Orders the frame: inputs, intents, clocks, scene, animation, view,
/// overlays, the snapshot.
pub(crate) fn configure_sets(app: &mut App) {
    app.configure_sets(
        Update,
        (
            AppSet::Input,
            AppSet::Intents,
            AppSet::Clock,
            AppSet::Scene,
            AppSet::Animate,
            AppSet::View,
            AppSet::Ui,
            AppSet::Report,
        )
            .chain(),
    );
}
