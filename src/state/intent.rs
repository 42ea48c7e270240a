//! Intents: what an input asks of the app. Keys, controllers, a console and
//! the tests all send these; [`apply_intents`](super::apply_intents)
//! is where they take effect. Each rule owns the words it is asked in (a step
//! change, a volume change, a rhythm, a SUDS change); the intent gathers
//! them.

use bevy::prelude::*;

use super::exposure::StepChange;
use super::guide::RhythmChoice;
use super::listening::VolumeChange;
use super::pause::{PauseReason, PauseReasons};
use super::suds::SudsChange;
use crate::breath::Guide;

/// Something an input asks for.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum Intent {
    /// Pause for `reason` (a pause already held for it stays one pause).
    Pause(PauseReason),
    /// Take back the pause for `reason`; the session goes on when no
    /// reason is left. The person's own resume also ends a break they took.
    Resume(PauseReason),
    /// A remote session's therapist connected (the session goes on if only
    /// the lost connection held it) or lost the connection (it waits for
    /// them).
    TherapistLink(bool),
    /// Go to the scene's safe place, from wherever the person is.
    SafePlace,
    /// Leave the safe place for the scene the person came from.
    LeaveSafePlace,
    /// Turn the seat so that the scene's view is ahead (the headset).
    Recentre,
    /// Change the master volume.
    Volume(VolumeChange),
    /// The same sound in both ears, or not.
    Mono(bool),
    /// Start a guided session, replacing the one running if any, from a
    /// moment just ahead; the mix and the picture change at that moment.
    StartGuide(Guide),
    /// Stop the guided session.
    StopGuide,
    /// Move through the hierarchy of an exposure scene.
    Step(StepChange),
    /// Make an event of an exposure scene happen, by name.
    FireEvent(String),
    /// Ask for, move, give or set aside the person's SUDS.
    Suds(SudsChange),
    /// Turn the breathing pacer on or off. In an exposure scene it starts
    /// off (relaxing can keep the fear from being faced); each use is said.
    Pacer(bool),
    /// Breathe to this rhythm from now on: a running pacer changes at its
    /// next breath in (slowing by at most one breath a minute per breath),
    /// and a pacer turned on later starts with it.
    Rhythm(RhythmChoice),
    /// Take the person to another scene (a path inside the scene folder),
    /// at a step of its hierarchy (from 1; the first when not given),
    /// through the veil. An exposure scene arrives with the pacer off.
    ChangeScene {
        /// The scene.
        path: String,
        /// The step, from 1.
        step: Option<usize>,
    },
    /// The headset has gone (the runtime stopped, or ended the session):
    /// the window takes over, paused for the person.
    HeadsetGone {
        /// What happened.
        why: String,
    },
    /// The cybersickness questionnaire's sixteen answers, 0 to 3 each,
    /// before the session or after it.
    Questionnaire {
        /// Before or after.
        when: crate::questionnaire::simulator_sickness::When,
        /// The answers, in the questionnaire's order.
        answers: [u8; 16],
    },
    /// Add a note to the session's record (the therapist's words, with the
    /// time they were written).
    Note(String),
    /// A questionnaire of the questionnaires folder was given, answered
    /// and scored (by the same code for every one).
    Form(FormAnswered),
    /// Record the session for this client (the therapist chooses before
    /// the session starts).
    Client(ClientChoice),
    /// What the client expects of the step they are at, or found, said
    /// aloud and recorded by the therapist.
    Expectancy(Expectancy),
    /// The client's plan for the person's scene is in force from now on
    /// (`None`: none is); the step controls walk it.
    Plan(Option<crate::state::PlanInForce>),
    /// Close the app (its sound fades out first).
    Quit,
}

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

impl Intent {
    /// What the person's one pause control (`Esc`, the menu button) asks
    /// for while paused for `reasons`: to go on when they paused (or took a
    /// break), else to pause, and with a break suggested, to take it.
    pub(super) fn pause_or_go_on(reasons: PauseReasons, break_suggested: bool) -> Intent {
        if reasons.contains(PauseReason::Person) || reasons.contains(PauseReason::Break) {
            Intent::Resume(PauseReason::Person)
        } else if break_suggested {
            Intent::Pause(PauseReason::Break)
        } else {
            Intent::Pause(PauseReason::Person)
        }
    }
}

/// Whom the session is recorded for, as the therapist chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientChoice {
    /// The client with this code.
    Code(String),
    /// The latest client with this alias, or a new one if none has it.
    Alias(String),
    /// A new client with this alias (empty: none).
    New(String),
}

/// What a client expects before a step and finds after it, as
/// inhibitory-learning exposure asks (Craske et al. 2014): each number 0 to
/// 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectancy {
    /// Before the step.
    Before {
        /// How likely they think the feared outcome is, per cent.
        likelihood: u8,
        /// The peak SUDS they expect.
        expected_peak: u8,
    },
    /// After it.
    After {
        /// Whether the feared outcome happened.
        happened: bool,
        /// How surprised they are by what happened.
        surprise: u8,
        /// The peak SUDS they felt.
        felt_peak: u8,
    },
}

/// A questionnaire given, with its answers and scores.
#[derive(Debug, Clone, PartialEq)]
pub struct FormAnswered {
    /// Its id (`phq9`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// `before`, `after` or `alone` (on its own, not with a session's part).
    pub when: &'static str,
    /// The answers, in its order.
    pub answers: Vec<u8>,
    /// Its scores, its band and its alerts.
    pub scored: crate::questionnaire::form::Scored,
}
