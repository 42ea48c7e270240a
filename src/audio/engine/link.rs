//! The link between the app and the mix: the commands the app sends, the
//! listener's slot, and the way back for what the mix has finished with.
//! The app's end and the mixer's end are made together by [`mix_link`].

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use super::{Bed, COMMAND_QUEUE, MAX_IN_MIX, MAX_VOICES, MixSettings};
use crate::audio::shots::Shot;
use crate::audio::spatial::Listener;
use crate::breath::Schedule;
use crate::breath::time::Micros;

/// Messages from the app to the mix. Each takes effect at the next block.
pub enum Command {
    /// Crossfade to another scene's sounds.
    Nature(Bed),
    /// Follow another guided session (or none) from a session time on.
    Guide(GuideChange),
    /// Which of the scene's sounds play, in the order the scene placed them;
    /// each fades in or out over [`SWITCH_FADE_S`].
    Switches([bool; MAX_VOICES]),
    /// An exposure event's sound, played once over the scene's (a few
    /// numbers: its voice lives in a slot set aside up front).
    Shot(Shot),
    /// New volumes or sound choices; changes glide.
    Settings(MixSettings),
    /// Fade out and hold the session's place.
    Pause,
    /// Fade back in from the same place.
    Resume,
    /// Fade out for good (the app is closing).
    Stop,
}

/// A new guided session for the pacer's sounds, or none.
pub struct GuideChange {
    /// The schedule to follow from its start; `None` stops the pacer.
    pub schedule: Option<Arc<Schedule>>,
    /// The session time the change takes effect, and where the schedule's
    /// time 0 falls.
    pub origin: Micros,
}

/// What the mix has finished with, sent back to be freed off the audio
/// thread.
pub enum Garbage {
    /// A scene's sounds that have faded out.
    Bed(Bed),
    /// A schedule no longer followed.
    Schedule(Arc<Schedule>),
}

/// The latest listener pose, handed from the app to the mix without a
/// queue: the app overwrites it each frame, the mix takes it at its next
/// block if the slot is free at that instant (it never waits for it).
#[derive(Default)]
pub struct ListenerSlot(Mutex<Option<Listener>>);

impl ListenerSlot {
    /// Leaves `listener` for the mix, replacing any it has not taken.
    pub fn put(&self, listener: Listener) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(listener);
        }
    }

    /// The pose left since the last take, if the slot is free now.
    pub fn take(&self) -> Option<Listener> {
        self.0.try_lock().ok().and_then(|mut slot| slot.take())
    }
}

/// The mixer's end of its link with the app.
pub struct MixerEnd {
    /// Commands from the app.
    pub commands: Receiver<Command>,
    /// The way back for what the mix has finished with.
    pub garbage: SyncSender<Garbage>,
    /// The listener's pose.
    pub listener: Arc<ListenerSlot>,
}

/// The app's end of its link with the mix (held inside
/// [`crate::audio::AudioLink`]).
pub struct MixLink {
    /// Commands to the mix (bounded: see [`COMMAND_QUEUE`]).
    pub commands: SyncSender<Command>,
    /// What the mix has finished with, to be freed.
    pub garbage: Receiver<Garbage>,
    /// The listener's pose.
    pub listener: Arc<ListenerSlot>,
}

/// A new link between the app and a mix: the app's end and the mixer's,
/// made together.
pub fn mix_link() -> (MixLink, MixerEnd) {
    let (commands, from_app) = std::sync::mpsc::sync_channel(COMMAND_QUEUE);
    let (garbage, to_app) = std::sync::mpsc::sync_channel(MAX_IN_MIX);
    let listener = Arc::new(ListenerSlot::default());
    (
        MixLink {
            commands,
            garbage: to_app,
            listener: Arc::clone(&listener),
        },
        MixerEnd {
            commands: from_app,
            garbage,
            listener,
        },
    )
}
