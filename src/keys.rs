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
//! | `↑`, `↓` | a step harder, easier (an exposure scene) |
//! | `1` to `9` | the scene's first to ninth event |
//! | `P` | the breathing pacer on or off |
//! | `D` | ask the person's SUDS (an exposure scene) |
//! | `←`, `→` | with a SUDS question open, the answer down or up by 5 |
//! | `Enter` | with a SUDS question open, give the answer |
//! | `Backspace` | with a SUDS question open, not now |

use bevy::prelude::*;

use crate::frame::AppSet;
use crate::state::suds::SUDS_STEP;
use crate::state::{Intent, PauseReason, SessionSnapshot, StepChange, SudsChange, VolumeChange};

/// The digit keys, for events in order.
const DIGITS: [KeyCode; 9] = [
    KeyCode::Digit1,
    KeyCode::Digit2,
    KeyCode::Digit3,
    KeyCode::Digit4,
    KeyCode::Digit5,
    KeyCode::Digit6,
    KeyCode::Digit7,
    KeyCode::Digit8,
    KeyCode::Digit9,
];

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Update, keys_to_intents.in_set(AppSet::Input));
}

/// The intent a key asks for in the state the app is in, as the snapshot
/// has it (made at the end of the last frame, so it holds every change
/// made before this frame's keys are read).
fn intent_for(key: KeyCode, snapshot: &SessionSnapshot) -> Option<Intent> {
    let asking = snapshot.suds.is_some();
    Some(match key {
        KeyCode::Escape => snapshot.pause_or_go_on(),
        KeyCode::KeyS => Intent::SafePlace,
        // With a SUDS question open, Enter gives the answer.
        KeyCode::Enter | KeyCode::NumpadEnter if asking => Intent::Suds(SudsChange::Answer),
        KeyCode::Enter | KeyCode::NumpadEnter => Intent::LeaveSafePlace,
        KeyCode::ArrowLeft if asking => Intent::Suds(SudsChange::By(-(SUDS_STEP as i8))),
        KeyCode::ArrowRight if asking => Intent::Suds(SudsChange::By(SUDS_STEP as i8)),
        KeyCode::Backspace if asking => Intent::Suds(SudsChange::SetAside),
        KeyCode::KeyD => Intent::Suds(SudsChange::Ask),
        KeyCode::KeyB => Intent::Pause(PauseReason::Break),
        KeyCode::Minus | KeyCode::NumpadSubtract => Intent::Volume(VolumeChange::By(-1)),
        KeyCode::Equal | KeyCode::NumpadAdd => Intent::Volume(VolumeChange::By(1)),
        KeyCode::KeyM => Intent::Mono(!snapshot.listening.mono),
        KeyCode::KeyR => Intent::Recentre,
        KeyCode::KeyQ if !snapshot.paused_for.is_empty() => Intent::Quit,
        KeyCode::ArrowUp => Intent::Step(StepChange::Up),
        KeyCode::ArrowDown => Intent::Step(StepChange::Down),
        KeyCode::KeyP => Intent::Pacer(snapshot.guide.is_none()),
        key => {
            let k = DIGITS.iter().position(|&d| d == key)?;
            let exposure = snapshot.exposure.as_ref()?;
            Intent::FireEvent(exposure.all_events.get(k)?.clone())
        }
    })
}

fn keys_to_intents(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    snapshot: Res<SessionSnapshot>,
    mut intents: MessageWriter<Intent>,
) {
    let Some(keys) = keys else { return };
    for key in keys.get_just_pressed() {
        if let Some(intent) = intent_for(*key, &snapshot) {
            intents.write(intent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StepNow;

    #[test]
    fn the_number_keys_fire_the_scene_s_events_by_place_and_q_does_nothing_while_running() {
        let mut snapshot = SessionSnapshot {
            exposure: Some(StepNow {
                step: 1,
                steps: 2,
                name: "Ground".into(),
                say: String::new(),
                events: Vec::new(),
                all_events: vec!["gust".into(), "creak".into()],
            }),
            ..SessionSnapshot::default()
        };
        assert_eq!(
            intent_for(KeyCode::Digit2, &snapshot),
            Some(Intent::FireEvent("creak".into()))
        );
        assert_eq!(intent_for(KeyCode::Digit3, &snapshot), None);
        assert_eq!(intent_for(KeyCode::KeyQ, &snapshot), None);
        assert_eq!(
            intent_for(KeyCode::Escape, &snapshot),
            Some(Intent::Pause(PauseReason::Person))
        );
        snapshot.break_suggested = true;
        assert_eq!(
            intent_for(KeyCode::Escape, &snapshot),
            Some(Intent::Pause(PauseReason::Break))
        );
        assert_eq!(
            intent_for(KeyCode::Enter, &snapshot),
            Some(Intent::LeaveSafePlace)
        );
    }
}
