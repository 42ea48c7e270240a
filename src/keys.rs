//! The keyboard, as an input like any other: each key sends an
//! [`Intent`]. (`F` for fullscreen and mouse drags to look around are the
//! window's own, in [`crate::view`].)
//!
//! | key | intent |
//! |---|---|
//! | `Esc` | pause, or go on |
//! | `S` | the safe place |
//! | `Enter` | back from the safe place |
//! | `B` | take a break |
//! | `-`, `+` | quieter, louder |
//! | `M` | mono sound on or off |
//! | `R` | recentre (in the headset) |
//! | `Q` | quit (from the pause panel) |

use bevy::prelude::*;

use crate::AppSet;
use crate::state::{AppState, Intent, PauseReason, SessionSnapshot, VolumeChange};

pub fn plugin(app: &mut App) {
    app.add_systems(Update, keys_to_intents.in_set(AppSet::Input));
}

/// The intent a key asks for in the state the app is in.
pub fn intent_for(key: KeyCode, state: &AppState, snapshot: &SessionSnapshot) -> Option<Intent> {
    Some(match key {
        KeyCode::Escape => state.pause_or_go_on(snapshot.break_suggested),
        KeyCode::KeyS => Intent::SafePlace,
        KeyCode::Enter | KeyCode::NumpadEnter => Intent::LeaveSafePlace,
        KeyCode::KeyB => Intent::Pause(PauseReason::Break),
        KeyCode::Minus | KeyCode::NumpadSubtract => Intent::Volume(VolumeChange::By(-1)),
        KeyCode::Equal | KeyCode::NumpadAdd => Intent::Volume(VolumeChange::By(1)),
        KeyCode::KeyM => Intent::Mono(!state.listening().mono),
        KeyCode::KeyR => Intent::Recentre,
        KeyCode::KeyQ if !state.paused_for().is_empty() => Intent::Quit,
        _ => return None,
    })
}

fn keys_to_intents(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    state: Res<AppState>,
    snapshot: Res<SessionSnapshot>,
    mut intents: MessageWriter<Intent>,
) {
    let Some(keys) = keys else { return };
    for key in keys.get_just_pressed() {
        if let Some(intent) = intent_for(*key, &state, &snapshot) {
            intents.write(intent);
        }
    }
}
