//! The app-wide state, in one place: whether the session runs, is paused
//! (and why) or has ended; where the person is (their scene, or the safe
//! place and what to return to); how they see it (window or headset); what
//! they hear (volume, mono); which guided session runs; where they are in a
//! graded exposure, with their SUDS; and the session's clock.
//!
//! This module imports no feature module (only the pure breathing model
//! and the questionnaire's scoring). Every input (keys, controllers, a
//! console, a test) asks for a change by sending an [`Intent`].
//! [`AppState`] changes only inside this module: [`apply_intents`] applies
//! what was asked and takes in the scenes shown, and the rules that follow
//! the clock ([`StateSystems::Settle`]: the guide's end, the break timer)
//! settle before the snapshot is made; its changing methods are private to
//! `state`, so the compiler keeps the promise. Every watcher (overlays, the
//! keys and controllers deciding what a press asks, the headset's report, a
//! console, the tests) reads the [`SessionSnapshot`] and the [`Lifecycle`]
//! messages; the feature modules that follow the state (the sound, the
//! scene, the view, the pacer) read [`AppState`] itself.
//!
//! Each rule has a room of its own, composed by [`AppState`] behind the one
//! entry point (`apply.rs`): [`pause`] (why the session is paused),
//! [`listening`] (volume and mono), [`place`] (the person's scene, the safe
//! place, arriving in another scene), [`guide`] (the guided session, the
//! pacer, the rhythm), [`exposure`] (the step and events) with [`suds`].

mod apply;
mod breaks;
mod exposure;
#[cfg(test)]
mod fixtures;
mod guide;
mod intent;
mod lifecycle;
mod listening;
mod pause;
mod place;
mod plan;
mod refusal;
mod scene_facts;
mod snapshot;
pub(crate) mod suds;

use bevy::prelude::*;

pub use breaks::BreakAdvice;
pub use exposure::StepChange;
use guide::Guided;
pub(crate) use guide::RhythmChoice;
pub use intent::{ClientChoice, Expectancy, FormAnswered, Intent, MAX_NOTE_CHARS};
pub(crate) use lifecycle::Sound;
pub use lifecycle::{Ending, Lifecycle, SudsWhy};
pub use listening::Listening;
pub(crate) use listening::{MAX_VOLUME, VolumeChange};
pub use pause::PauseReason;
pub(crate) use pause::PauseReasons;
pub use place::Place;
pub use plan::{PlanInForce, PlannedStep};
pub use refusal::Refusal;
pub(crate) use scene_facts::{ExposureFacts, ShownScene};
pub use snapshot::Locked;
pub use snapshot::SessionSnapshot;
pub(crate) use snapshot::{RecordNow, StepNow};
pub use suds::SudsChange;
pub(crate) use suds::SudsPrompt;

use crate::breath::{Guide, Micros, Phase};
use crate::clock::SessionClock;
use crate::frame::AppSet;

/// The state's own order inside [`AppSet::Report`]: the rules that follow
/// the frame (the guided session's end, the break timer) settle, then the
/// snapshot is published. A watcher that reads the snapshot in the frame it
/// is made orders itself after [`StateSystems::Publish`].
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StateSystems {
    /// The rules that follow the frame change the state.
    Settle,
    /// The snapshot of the frame is made.
    Publish,
}

/// Whether the session runs. The flow follows from [`AppState`]: paused
/// while any [`PauseReason`] holds, ended once the guided session has
/// finished or been stopped, running otherwise.
#[derive(States, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flow {
    /// The session runs: its clock moves and its sounds play.
    #[default]
    Running,
    /// Held in place: the sound fades out and the clock stands still.
    Paused,
    /// The guided session is over; the scene stays, with its sounds.
    Ended,
}

/// Where the person's eyes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Presentation {
    /// The desktop window is the view; the mouse turns it.
    #[default]
    Desktop,
    /// A headset's eyes are the view; the window mirrors the head.
    Headset,
}

/// The decisions the person, the headset and the therapist make, as they
/// stand: each rule's room, composed. Changed only inside this module
/// (see the module's words); everything else reads.
#[derive(Resource, Debug, Clone)]
pub struct AppState {
    /// Why the session is paused.
    paused_for: PauseReasons,
    /// Where the person is, the scenes known, the asks waiting for one.
    whereabouts: place::Whereabouts,
    /// Window or headset.
    presentation: Presentation,
    /// Volume and mono.
    listening: Listening,
    /// The guided session in force and to come, and the pacer's.
    guide: guide::Guidance,
    /// The step of a graded exposure, and the SUDS.
    exposure: exposure::Exposure,
}

impl AppState {
    /// The state at launch: in `scene`, running `guide` from the start.
    pub fn new(
        scene: impl Into<String>,
        guide: Option<Guide>,
        listening: Listening,
        presentation: Presentation,
    ) -> Self {
        Self {
            paused_for: PauseReasons::default(),
            whereabouts: place::Whereabouts::new(scene.into()),
            presentation,
            listening,
            guide: guide::Guidance::new(guide),
            exposure: exposure::Exposure::default(),
        }
    }

    /// For an exposure scene: the guided session waits, off, until the
    /// pacer is asked for, and the hierarchy starts at `step` (from 0).
    pub fn for_exposure(mut self, step: usize) -> Self {
        self.guide.off_until_asked();
        self.exposure.start_at(step);
        self
    }

    /// Never asks SUDS by itself (for still frames, where nobody answers);
    /// asking on request still works.
    pub fn without_suds_questions(mut self) -> Self {
        self.exposure.suds.ask_only_on_request();
        self
    }

    /// The hierarchy of the person's scene and their step in it, once the
    /// scene is known and if it has one.
    pub(crate) fn step_now(&self) -> Option<(&ExposureFacts, usize)> {
        self.exposure.now(self.whereabouts.facts())
    }

    /// The client's plan in force for the person's scene, if one fits it.
    pub(crate) fn plan_now(&self) -> Option<&PlanInForce> {
        let (facts, _) = self.step_now()?;
        self.exposure
            .plan_for(self.whereabouts.own_scene(), facts.steps.len())
    }

    /// The person's own scene: the one they are in, or, in the safe place,
    /// the one they will go back to.
    pub(crate) fn place_scene(&self) -> &str {
        self.whereabouts.own_scene()
    }

    /// Why the session is paused, if it is.
    pub(crate) fn paused_for(&self) -> PauseReasons {
        self.paused_for
    }

    /// Where the person is.
    pub(crate) fn place(&self) -> &Place {
        self.whereabouts.place()
    }

    /// Window or headset.
    pub(crate) fn presentation(&self) -> Presentation {
        self.presentation
    }

    /// Volume and mono.
    pub(crate) fn listening(&self) -> Listening {
        self.listening
    }

    /// The guided session in force and any change to come.
    pub(crate) fn guided(&self) -> &Guided {
        self.guide.guided()
    }

    /// The SUDS question on screen, if any.
    fn suds(&self) -> Option<&SudsPrompt> {
        self.exposure.suds.open()
    }

    /// The last SUDS answer given, if any.
    fn last_suds(&self) -> Option<u8> {
        self.exposure.suds.last_value()
    }

    /// What the person's one pause control asks for now (see
    /// [`Intent::pause_or_go_on`]).
    pub fn pause_or_go_on(&self, break_suggested: bool) -> Intent {
        Intent::pause_or_go_on(self.paused_for, break_suggested)
    }

    /// The flow these decisions make.
    pub(crate) fn flow(&self) -> Flow {
        if !self.paused_for.is_empty() {
            Flow::Paused
        } else if self.guide.ended() && self.step_now().is_none() {
            // An exposure goes on with its pacer off: only a guided
            // session can be over.
            Flow::Ended
        } else {
            Flow::Running
        }
    }
}

/// The state, configured: when a break is suggested.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatePlugin {
    /// When to suggest a break.
    pub(crate) breaks: BreakAdvice,
}

impl Plugin for StatePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.breaks.clone());
        plugin(app);
    }
}

/// Adds the state, its messages and the systems that keep it. Needs an
/// [`AppState`] (inserted by the app builder); without one, the app starts
/// in an empty place with no session.
pub(crate) fn plugin(app: &mut App) {
    if !app.world().contains_resource::<AppState>() {
        app.insert_resource(AppState::new(
            String::new(),
            None,
            Listening::default(),
            Presentation::Desktop,
        ));
    }
    app.add_message::<Intent>()
        .add_message::<Lifecycle>()
        .init_state::<Flow>()
        .init_resource::<SessionClock>()
        .init_resource::<SessionSnapshot>()
        .init_resource::<RecordNow>()
        .add_systems(
            Update,
            (
                (note_facts, apply_intents).chain().in_set(AppSet::Intents),
                follow_the_guide.in_set(StateSystems::Settle),
                snapshot::publish.in_set(StateSystems::Publish),
            ),
        )
        .configure_sets(
            Update,
            (StateSystems::Settle, StateSystems::Publish)
                .chain()
                .in_set(AppSet::Report),
        );
    breaks::plugin(app);
}

/// Takes in what the feature modules report that decisions depend on: each
/// scene shown, and its safe scene.
/// A change of step that a scene shown again makes is said here too (the
/// messages are read and written through one cursor, since a system cannot
/// both read and write them through the usual parameters).
fn note_facts(
    mut messages: ResMut<Messages<Lifecycle>>,
    mut heard: Local<bevy::ecs::message::MessageCursor<Lifecycle>>,
    mut state: ResMut<AppState>,
    clock: Res<SessionClock>,
) {
    let mut changes = Vec::new();
    for message in heard.read(&messages) {
        if let Lifecycle::SceneShown(scene) = message {
            changes.extend(state.learn(scene.clone(), clock.heard));
        }
    }
    if !changes.is_empty() {
        messages.write_batch(changes);
    }
}

/// Turns every intent of this frame into changes of the state, in the order
/// they were sent, and says what changed. The one writer of the flow.
fn apply_intents(
    mut intents: MessageReader<Intent>,
    mut state: ResMut<AppState>,
    clock: Res<SessionClock>,
    mut said: MessageWriter<Lifecycle>,
    mut next: ResMut<NextState<Flow>>,
    flow: Res<State<Flow>>,
    mut exit: MessageWriter<AppExit>,
) {
    for intent in intents.read() {
        if matches!(intent, Intent::Quit) {
            exit.write(AppExit::Success);
            continue;
        }
        for message in state.apply(intent, clock.heard) {
            said.write(message);
        }
    }
    if state.whereabouts.waiting() {
        for message in state.resolve_waiting(clock.heard) {
            said.write(message);
        }
    }
    if state.suds_is_due(clock.heard) {
        for message in state.suds_due(clock.heard) {
            said.write(message);
        }
    }
    if state.flow() != *flow.get() {
        next.set(state.flow());
    }
}

/// Settles guide changes that have come, says when the phase changes, and
/// ends the session when its guide is over.
fn follow_the_guide(
    mut state: ResMut<AppState>,
    clock: Res<SessionClock>,
    mut said: MessageWriter<Lifecycle>,
    mut next: ResMut<NextState<Flow>>,
    flow: Res<State<Flow>>,
    mut last: Local<Option<(Micros, Phase)>>,
) {
    let mut heard = Vec::new();
    let ended = state.guide.follow(clock.shown(), &mut last, &mut heard);
    said.write_batch(heard);
    if ended && state.flow() != *flow.get() {
        next.set(state.flow());
    }
}
