//! Lifecycle messages: what happened, for every watcher (overlays, the
//! headset's report, a console, a journal, the tests).

use bevy::prelude::*;

use super::refusal::Refusal;
use super::scene_facts::ShownScene;
use super::{Listening, PauseReason};
use crate::breath::{Micros, Phase};

/// Something that happened.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum Lifecycle {
    /// A scene is on screen (the first, a switch, or an edit reloaded).
    SceneShown(ShownScene),
    /// A guided session started; its schedule begins at `origin`.
    SessionStarted {
        /// Its name.
        title: String,
        /// The session time its first breath starts at.
        origin: Micros,
    },
    /// A guided session ended.
    SessionEnded {
        /// Its name.
        title: String,
        /// How.
        how: Ending,
    },
    /// The pacer moved on to a new phase.
    PhaseChanged {
        /// The phase now.
        phase: Phase,
        /// Time into the guided session, microseconds.
        into: Micros,
    },
    /// The therapist of a remote session is connected, or has lost the
    /// connection.
    TherapistLink {
        /// Connected now.
        connected: bool,
    },
    /// The session paused for `reason` (it may already have been paused for
    /// another).
    Paused {
        /// Why.
        reason: PauseReason,
    },
    /// The pause for `reason` is over (another may still hold).
    Resumed {
        /// Which pause ended.
        reason: PauseReason,
    },
    /// The person went to the safe place.
    SafePlaceEntered {
        /// The scene they were in.
        from: String,
        /// The safe scene.
        safe: String,
    },
    /// The person left the safe place.
    SafePlaceLeft {
        /// The safe scene.
        from: String,
        /// The scene they went back to.
        to: String,
    },
    /// The person asked for the safe place and is already in one (or in a
    /// scene that is itself one): they are told so.
    AlreadySafe {
        /// Where they are.
        scene: String,
    },
    /// The step of a graded exposure changed (steps counted from 1).
    StepChanged {
        /// The step before.
        from: usize,
        /// The step now.
        to: usize,
        /// Its name.
        name: String,
    },
    /// An event of a graded exposure happened.
    EventFired {
        /// Its name.
        name: String,
        /// The step it happened at, from 1.
        step: usize,
    },
    /// The person is asked for their SUDS (the prompt appears; nothing
    /// waits for it).
    SudsAsked {
        /// Why.
        why: SudsWhy,
        /// The step, from 1.
        step: usize,
    },
    /// The person gave their SUDS.
    SudsAnswered {
        /// 0 to 100.
        value: u8,
        /// Why they were asked.
        why: SudsWhy,
        /// The step they were at when they answered, from 1.
        step: usize,
        /// When, session time (microseconds of sound heard).
        at: Micros,
    },
    /// A question went unanswered: set aside, or replaced by a newer one.
    SudsSetAside {
        /// Why it had been asked.
        why: SudsWhy,
    },
    /// The headset has gone; the window is the view.
    HeadsetLost {
        /// What happened.
        why: String,
    },
    /// Whether the sound reaches a device, said once at the start.
    SoundStarted(Sound),
    /// The sound output stopped taking sound (headphones asleep, a device
    /// unplugged): the session holds its place until it takes sound again.
    OutputStalled,
    /// The output takes sound again.
    OutputResumed,
    /// The volume or mono changed.
    Listening(Listening),
    /// A break is suggested (the session goes on unless the person takes it).
    BreakSuggested {
        /// Minutes of continuous use.
        after_min: u32,
    },
    /// The cybersickness questionnaire was answered and scored.
    QuestionnaireScored {
        /// Before or after the session.
        when: crate::questionnaire::simulator_sickness::When,
        /// The answers, 0 to 3, in the questionnaire's order.
        answers: [u8; 16],
        /// The scores.
        scores: crate::questionnaire::simulator_sickness::Scores,
    },
    /// A questionnaire was given and scored.
    FormScored(crate::state::FormAnswered),
    /// What the client expects of a step, or found, was recorded.
    ExpectancyRecorded {
        /// The step, from 1.
        step: usize,
        /// What.
        what: crate::state::Expectancy,
    },
    /// A client's plan is in force for a scene (its steps in the plan's
    /// order), or no longer (`id` none).
    PlanChosen {
        /// The plan's number in the record.
        id: Option<i64>,
        /// The scene.
        scene: String,
        /// The scene's steps, from 1, in the plan's order.
        steps: Vec<usize>,
    },
    /// The therapist chose whom the session is recorded for.
    ClientChosen(crate::state::ClientChoice),
    /// A note was added to the session.
    NoteAdded {
        /// Its words.
        text: String,
    },
    /// The pacer's rhythm was chosen.
    RhythmChanged {
        /// The rhythm as it was named (`box`, `4,0,6,0`).
        name: String,
        /// The session time the running pacer takes it up at (its next
        /// breath in); `None` when the pacer is off and will start with it.
        from: Option<Micros>,
    },
    /// The person is being taken to another scene (it appears through the
    /// veil once loaded, and is said with [`Lifecycle::SceneShown`]).
    SceneChanged {
        /// The scene they were in (their own, not a safe place).
        from: String,
        /// The scene they go to.
        to: String,
        /// The step of its hierarchy they arrive at, from 1, if asked.
        step: Option<usize>,
    },
    /// An intent could not be done; nothing changed.
    Refused {
        /// What was asked.
        what: String,
        /// Why it could not be done (its `Display` gives the words).
        why: Refusal,
    },
}

/// How a guided session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It ran to its end.
    Completed,
    /// It was stopped.
    Stopped,
    /// Another took its place.
    Replaced,
}

/// Where the sound goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sound {
    /// Not started yet (or no mix at all: still frames, tests).
    #[default]
    None,
    /// Playing on a device.
    Audible,
    /// No device: the mix runs silently on the same clock.
    Silent {
        /// Why there is no sound.
        why: String,
    },
    /// The device stopped taking sound.
    Stalled,
}

/// Why the person is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SudsWhy {
    /// The hierarchy has just appeared: before the first step.
    Start,
    /// The step changed (counted from 1): the rating after one step and
    /// before the next.
    StepChange {
        /// The step left.
        from: usize,
        /// The step now.
        to: usize,
    },
    /// The interval since the last question has passed.
    Interval,
    /// Someone asked (a key, the therapist's console).
    Asked,
    /// The person said it aloud, unasked on screen, and the therapist
    /// recorded it.
    Heard,
}
