//! The operating system's requests to stop as an input of intents: SIGTERM
//! (a shutdown, `kill`) and SIGHUP (the terminal closed) quit the app as
//! closing its window does, so the sound fades, the session record is ended
//! properly and the console shuts down. Bevy turns Ctrl+C (SIGINT) into an
//! exit itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bevy::prelude::*;

use crate::frame::AppSet;
use crate::state::Intent;

/// Set by a signal handler; read once a frame.
#[derive(Resource)]
struct Asked(Arc<AtomicBool>);

/// Listens for SIGTERM and SIGHUP for the rest of the process. Added by the
/// app builder, not by tests' apps (a handler is for the whole process).
pub(crate) fn plugin(app: &mut App) {
    let asked = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        if let Err(e) = signal_hook::flag::register(signal, asked.clone()) {
            warn!(
                "a request to stop (signal {signal}) will end the app without closing the session: {e}"
            );
        }
    }
    app.insert_resource(Asked(asked))
        .add_systems(Update, quit_when_asked.in_set(AppSet::Input));
}

fn quit_when_asked(asked: Res<Asked>, mut intents: MessageWriter<Intent>) {
    if asked.0.swap(false, Ordering::SeqCst) {
        info!("asked to stop: closing");
        intents.write(Intent::Quit);
    }
}
