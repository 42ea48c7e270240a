//! The headset session as the app follows it: the runtime's session
//! states, focus (which pauses and resumes the session through intents),
//! and the fall back to the window when the headset goes.
//!
//! **Invariant:** the session pauses whenever the headset is not focused,
//! and a headset that goes leaves the person in the window, paused where
//! the session was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bevy::prelude::*;
use bevy_mod_openxr::poll_events::OxrEventIn;
use bevy_mod_openxr::resources::OxrSessionStarted;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::XrState;

use crate::clock::SessionClock;
use crate::state::{AppState, Intent, PauseReason, Presentation};

/// Whether the runtime still answers, shared by the app's world and the
/// render world: whichever sees it fail first tells the other.
#[derive(Resource, Debug, Clone)]
pub(crate) struct RuntimeAlive(Arc<AtomicBool>);

impl Default for RuntimeAlive {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl RuntimeAlive {
    /// Whether no failure has been seen.
    pub(super) fn answers(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Marks the runtime gone, for both worlds.
    pub(super) fn gone(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The headset session as the app sees it.
#[derive(Resource, Debug, Default)]
pub struct HeadsetStatus {
    /// The runtime's last session state.
    pub state: Option<openxr::SessionState>,
    /// Frames the runtime let us start.
    pub(crate) frames_waited: u64,
    /// Frames handed to the runtime, counted on the render thread.
    pub(crate) submitted: Arc<AtomicU64>,
    /// Why the headset is gone, once it is.
    pub lost: Option<String>,
    /// Whether the runtime still answers; shared with the render world.
    pub(crate) alive: RuntimeAlive,
    /// Whether the app is closing, so a session that ends is expected.
    pub(crate) closing: bool,
}

impl HeadsetStatus {
    /// Whether the session is focused: the person is in it and it has input.
    pub(super) fn focused(&self) -> bool {
        self.state == Some(openxr::SessionState::FOCUSED)
    }

    /// Whether the runtime itself failed (as opposed to ending the session
    /// in order): then nothing more is asked of it.
    pub(super) fn broken(&self) -> bool {
        !self.alive.answers()
    }

    /// Frames handed to the runtime so far.
    pub(super) fn frames_submitted(&self) -> u64 {
        self.submitted.load(Ordering::Relaxed)
    }

    /// The headset is gone, for `why`; `broken`: the runtime itself failed.
    pub(super) fn lose(&mut self, why: String, broken: bool) {
        if self.lost.is_none() {
            self.lost = Some(why);
        }
        if broken {
            // A runtime that stopped answering has no session state left.
            self.alive.gone();
            self.state = None;
        }
    }
}

/// Follows the session's states: says each, notes focus and loss.
pub(super) fn track_session(event: OxrEventIn, mut status: ResMut<HeadsetStatus>) {
    use openxr::SessionState as S;
    match *event {
        openxr::Event::SessionStateChanged(change) => {
            let state = change.state();
            let before = status.state.replace(state);
            let said = match state {
                S::IDLE => "idle",
                S::READY => "ready",
                S::SYNCHRONIZED => "running, not visible",
                S::VISIBLE => "running, visible, not focused",
                S::FOCUSED => "running and focused",
                S::STOPPING => "stopping",
                S::LOSS_PENDING => "lost",
                S::EXITING => "exiting",
                _ => "in an unknown state",
            };
            info!("headset session: {said}");
            let ending = matches!(state, S::STOPPING | S::EXITING | S::LOSS_PENDING);
            if ending && !status.closing && before.is_some() {
                let why = if state == S::LOSS_PENDING {
                    "the runtime lost the session"
                } else {
                    "the runtime ended the session"
                };
                status.lose(why.to_owned(), false);
            }
        }
        openxr::Event::InstanceLossPending(_) => {
            status.lose("the runtime is shutting down".to_owned(), false);
        }
        _ => {}
    }
}

/// Losing focus (headset off, the runtime's menu up) pauses the session
/// with its fade; regaining it takes back that pause (a pause the person
/// chose stays).
pub(super) fn follow_focus(
    status: Res<HeadsetStatus>,
    state: Res<AppState>,
    mut intents: MessageWriter<Intent>,
    mut was_focused: Local<bool>,
) {
    let focused = status.focused();
    if focused == *was_focused || state.presentation() != Presentation::Headset {
        return;
    }
    *was_focused = focused;
    if status.lost.is_some() {
        return;
    }
    let held = state.paused_for().contains(PauseReason::Headset);
    if focused && held {
        info!("headset: focused again, resuming the session");
        intents.write(Intent::Resume(PauseReason::Headset));
    } else if !focused && !held {
        info!("headset: not focused, pausing the session");
        intents.write(Intent::Pause(PauseReason::Headset));
    }
}

/// When the headset is gone, the window takes over where the session was:
/// paused, with the place kept, the desktop camera back at the seat.
pub(super) fn fall_back_to_desktop(
    mut commands: Commands,
    mut status: ResMut<HeadsetStatus>,
    state: Res<AppState>,
    mut intents: MessageWriter<Intent>,
    eyes: Query<Entity, With<XrCamera>>,
    clock: Res<SessionClock>,
    mut fell_back: Local<bool>,
) {
    if *fell_back || state.presentation() == Presentation::Desktop || status.closing {
        return;
    }
    // The render world may be the one that saw the runtime go.
    if status.broken() && status.lost.is_none() {
        status.lose("the runtime stopped answering".to_owned(), true);
    }
    let Some(why) = status.lost.clone() else {
        return;
    };
    *fell_back = true;
    warn!(
        "the headset session ended ({why}): going on in the window from {:.1} s into the session, paused; press Esc to continue",
        clock.shown() as f64 / 1e6
    );
    if status.broken() {
        // Nothing more is asked of a runtime that stopped answering.
        commands.insert_resource(OxrSessionStarted(false));
        commands.insert_resource(XrState::Unavailable);
    }
    for eye in &eyes {
        commands.entity(eye).despawn();
    }
    intents.write(Intent::HeadsetGone { why });
}

/// Notes that the app is closing, so the session ending is expected.
pub(super) fn note_closing(mut exits: MessageReader<AppExit>, mut status: ResMut<HeadsetStatus>) {
    if exits.read().next().is_some() && !status.closing {
        status.closing = true;
        info!(
            "headset: closing after {} frames submitted",
            status.frames_submitted()
        );
    }
}
