//! The app-wide state, in one place: whether the session runs, is paused
//! (and why) or has ended; where the person is (their scene, or the safe
//! place and what to return to); how they see it (window or headset); what
//! they hear (volume, mono); which guided session runs; and the session's
//! clock.
//!
//! This module imports no feature module (only the pure breathing model).
//! Every input (keys, controllers, a console, a test) asks for a change by
//! sending an [`Intent`]; [`apply_intents`] is the only place that turns
//! intents into changes of [`AppState`] and the [`Flow`]. Every watcher
//! (overlays, the headset's report, a console, a journal, the tests) reads
//! the [`SessionSnapshot`] and the [`Lifecycle`] messages.

pub mod breaks;
pub mod intent;
pub mod lifecycle;
pub mod refusal;
pub mod scene_facts;
pub mod snapshot;
pub mod suds;

use bevy::prelude::*;

pub use breaks::BreakAdvice;
pub use intent::{Intent, MAX_NOTE_CHARS, PACER_MINUTES, RhythmChoice, StepChange, VolumeChange};
pub use lifecycle::{Ending, Lifecycle, Sound, SudsWhy};
pub use refusal::Refusal;
pub use scene_facts::{ExposureFacts, ShownScene};
pub use snapshot::{GuideNow, RecordNow, SessionSnapshot, StepNow};
pub use suds::{SudsChange, SudsPrompt};

use crate::breath::{BreathState, Guide, Micros};
use crate::frame::AppSet;

/// Loudest the master volume may be set: twice the calibrated default
/// (+6 dB).
pub const MAX_VOLUME: f32 = 2.0;
/// One step of the volume keys: a tenth of the default volume.
pub const VOLUME_STEP: f32 = 0.1;
/// How far ahead of the sound leaving the mix a new guided session begins:
/// time for the command to reach the mix before its first sample, so the
/// sound and the picture change at the same sample.
pub const GUIDE_LEAD: Micros = 150_000;

/// The state's own order inside [`AppSet::Report`]: the rules that follow
/// the frame (the guided session's end, the break timer) settle, then the
/// snapshot is published. A watcher that reads the snapshot in the frame it
/// is made orders itself after [`StateSystems::Publish`].
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateSystems {
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

/// Why the session is paused. Several can hold at once; the session runs
/// again only when none does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PauseReason {
    /// The person paused (`Esc`, the menu button).
    Person,
    /// The headset is not focused (taken off, the runtime's menu).
    Headset,
    /// The therapist paused.
    Therapist,
    /// The person took a suggested break.
    Break,
}

impl PauseReason {
    /// Every reason, in the order they are listed.
    pub const ALL: [PauseReason; 4] = [Self::Person, Self::Headset, Self::Therapist, Self::Break];

    /// The reason as a watcher names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Headset => "headset",
            Self::Therapist => "therapist",
            Self::Break => "break",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`PauseReason`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PauseReasons(u8);

impl PauseReasons {
    /// Whether `reason` holds.
    pub fn contains(self, reason: PauseReason) -> bool {
        self.0 & reason.bit() != 0
    }

    /// Whether none holds.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The reasons that hold, in order.
    pub fn iter(self) -> impl Iterator<Item = PauseReason> {
        PauseReason::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }

    /// Adds `reason`; whether it was new.
    fn insert(&mut self, reason: PauseReason) -> bool {
        let new = !self.contains(reason);
        self.0 |= reason.bit();
        new
    }

    /// Removes `reason`; whether it held.
    fn remove(&mut self, reason: PauseReason) -> bool {
        let held = self.contains(reason);
        self.0 &= !reason.bit();
        held
    }
}

impl std::fmt::Display for PauseReasons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, reason) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(reason.name())?;
        }
        Ok(())
    }
}

/// Where the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In their scene (a path inside the scene folder).
    Scene {
        /// The scene.
        path: String,
    },
    /// In the safe place, with the scene to go back to.
    SafePlace {
        /// The safe scene.
        path: String,
        /// The scene they came from.
        return_to: String,
    },
}

impl Place {
    /// The scene the person should see.
    pub fn scene(&self) -> &str {
        match self {
            Self::Scene { path } | Self::SafePlace { path, .. } => path,
        }
    }

    /// Whether the person is in the safe place.
    pub fn is_safe_place(&self) -> bool {
        matches!(self, Self::SafePlace { .. })
    }
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

/// A guided session in force from a moment of the session's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct GuideRun {
    /// The session.
    pub guide: Guide,
    /// The session time its schedule starts at.
    pub origin: Micros,
}

impl GuideRun {
    /// Where `t` (session time) falls in this guide: its start until the
    /// origin comes.
    pub fn at(&self, t: Micros) -> BreathState {
        self.guide.schedule.at(t.saturating_sub(self.origin))
    }

    /// Whether the guide is over at `t`.
    pub fn done_at(&self, t: Micros) -> bool {
        t >= self.origin + self.guide.schedule.length()
    }
}

/// Which guided session is in force, and the changes to come, each at a
/// set moment (so that the sound and the picture change at one sample).
/// Changes asked for in quick succession each take effect at their own
/// moment, in order, on both sides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guided {
    current: Option<GuideRun>,
    changes: std::collections::VecDeque<(Option<GuideRun>, Micros)>,
    generation: u32,
}

impl Guided {
    /// The guide in force at session time `t`.
    pub fn at(&self, t: Micros) -> Option<&GuideRun> {
        self.changes
            .iter()
            .rev()
            .find(|(_, from)| *from <= t)
            .map_or(self.current.as_ref(), |(run, _)| run.as_ref())
    }

    /// The latest guide asked for, whether or not it is in force yet.
    pub fn latest(&self) -> Option<&GuideRun> {
        match self.changes.back() {
            Some((run, _)) => run.as_ref(),
            None => self.current.as_ref(),
        }
    }

    /// The newest change asked for and not yet in force, with the time it
    /// takes effect.
    pub fn newest_change(&self) -> Option<(Option<&GuideRun>, Micros)> {
        self.changes.back().map(|(run, at)| (run.as_ref(), *at))
    }

    /// Counts the changes asked for, so a follower can tell a new one.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    fn set_from(&mut self, run: Option<GuideRun>, from: Micros) {
        self.generation = self.generation.wrapping_add(1);
        // Times only move on; a change asked for earlier than one still to
        // come (which the clock never does) overtakes it.
        while self.changes.back().is_some_and(|(_, at)| *at > from) {
            self.changes.pop_back();
        }
        self.changes.push_back((run, from));
    }

    /// Makes the changes that have come the current guide.
    fn settle(&mut self, t: Micros) {
        while self.changes.front().is_some_and(|(_, from)| *from <= t) {
            if let Some((run, _)) = self.changes.pop_front() {
                self.current = run;
            }
        }
    }
}

/// The person's sound choices that can change while the app runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Listening {
    /// Master volume, 0 (silent) to [`MAX_VOLUME`]; 1 is the calibrated
    /// default.
    pub volume: f32,
    /// The same sound in both ears.
    pub mono: bool,
}

impl Default for Listening {
    fn default() -> Self {
        Self {
            volume: 1.0,
            mono: false,
        }
    }
}

/// The decisions the person, the headset and (later) the therapist make,
/// as they stand. Only [`apply_intents`] changes it; everything else reads.
#[derive(Resource, Debug, Clone)]
pub struct AppState {
    paused_for: PauseReasons,
    place: Place,
    presentation: Presentation,
    listening: Listening,
    guided: Guided,
    ended: bool,
    /// What each scene shown so far is: its safe scene and its hierarchy.
    known: std::collections::HashMap<String, ShownScene>,
    /// The safe place was asked for before its scene was known.
    safe_wanted: bool,
    /// The step of the graded exposure (from 0), in an exposure scene.
    step: usize,
    /// The guided session the pacer runs when turned on in an exposure
    /// scene (where it is off until asked for).
    pacer: Option<Guide>,
    /// Distress asked and answered in an exposure scene.
    suds: suds::Suds,
    /// The person was taken to a scene not yet known: what it is decides
    /// the pacer and the step once it is.
    arriving: bool,
}

impl AppState {
    /// The state at launch: in `scene`, running `guide` from the start.
    pub fn new(
        scene: impl Into<String>,
        guide: Option<Guide>,
        listening: Listening,
        presentation: Presentation,
    ) -> Self {
        let guided = Guided {
            current: guide.map(|guide| GuideRun { guide, origin: 0 }),
            ..Guided::default()
        };
        Self {
            paused_for: PauseReasons::default(),
            place: Place::Scene { path: scene.into() },
            presentation,
            listening,
            guided,
            ended: false,
            known: Default::default(),
            safe_wanted: false,
            step: 0,
            pacer: None,
            suds: Default::default(),
            arriving: false,
        }
    }

    /// For an exposure scene: the guided session waits, off, until the
    /// pacer is asked for, and the hierarchy starts at `step` (from 0).
    pub fn for_exposure(mut self, step: usize) -> Self {
        self.pacer = self.guided.current.take().map(|run| run.guide);
        self.step = step;
        self
    }

    /// The hierarchy of the person's scene and their step in it, once the
    /// scene is known and if it has one.
    pub fn step_now(&self) -> Option<(&ExposureFacts, usize)> {
        let facts = self.known.get(self.place_scene())?.exposure.as_ref()?;
        let last = facts.steps.len().checked_sub(1)?;
        Some((facts, self.step.min(last)))
    }

    /// The person's own scene: the one they are in, or, in the safe place,
    /// the one they will go back to.
    pub fn place_scene(&self) -> &str {
        match &self.place {
            Place::Scene { path } => path,
            Place::SafePlace { return_to, .. } => return_to,
        }
    }

    /// Why the session is paused, if it is.
    pub fn paused_for(&self) -> PauseReasons {
        self.paused_for
    }

    /// Where the person is.
    pub fn place(&self) -> &Place {
        &self.place
    }

    /// Window or headset.
    pub fn presentation(&self) -> Presentation {
        self.presentation
    }

    /// Volume and mono.
    pub fn listening(&self) -> Listening {
        self.listening
    }

    /// The guided session in force and any change to come.
    pub fn guided(&self) -> &Guided {
        &self.guided
    }

    /// Takes in what a scene is (said when it is shown).
    pub fn know(&mut self, scene: ShownScene) {
        self.known.insert(scene.path.clone(), scene);
    }

    /// [`AppState::know`], saying any change of step it makes: the
    /// person's scene edited while they are in it, with fewer steps than
    /// the one they are at, puts them at its last step. That is a change of
    /// step like any other: said, recorded, and asked about (SUDS).
    pub fn learn(&mut self, scene: ShownScene, heard: Micros) -> Vec<Lifecycle> {
        let before = self.step_now().map(|(_, step)| step);
        self.know(scene);
        let mut said = Vec::new();
        if let (Some(before), Some((facts, now))) = (before, self.step_now())
            && before != now
        {
            let name = facts.steps[now].0.clone();
            self.moved_to_step(before, now, name, heard, &mut said);
        }
        said
    }

    /// The flow these decisions make.
    pub fn flow(&self) -> Flow {
        if !self.paused_for.is_empty() {
            Flow::Paused
        } else if self.ended && self.step_now().is_none() {
            // An exposure goes on with its pacer off: only a guided
            // session can be over.
            Flow::Ended
        } else {
            Flow::Running
        }
    }
}

/// The session's time, as heard and as shown. Read from the mix's sample
/// count by the clock module; set by hand in screenshots and tests.
#[derive(Resource, Debug, Clone, Default)]
pub struct SessionClock {
    /// Session time of the sound leaving the app now, microseconds.
    pub heard: Micros,
    /// How late the sound reaches the ears (the output-latency setting and
    /// the device's buffer).
    pub latency: Micros,
    /// When set, nothing advances the clock: tests and screenshots set
    /// `heard` themselves.
    pub manual: bool,
}

impl SessionClock {
    /// The session time the picture shows: what the ears hear now, so the
    /// picture waits for sound that is still on its way to the headphones.
    pub fn shown(&self) -> Micros {
        self.heard.saturating_sub(self.latency)
    }
}

/// Adds the state, its messages and the systems that keep it. Needs an
/// [`AppState`] (inserted by the app builder); without one, the app starts
/// in an empty place with no session.
pub fn plugin(app: &mut App) {
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
pub fn apply_intents(
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
    if state.safe_wanted || state.arriving {
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
    mut last: Local<Option<(Micros, crate::breath::Phase)>>,
) {
    let shown = clock.shown();
    if !state.guided.changes.is_empty() {
        state.guided.settle(shown);
    }
    if state.ended {
        *last = None;
        return;
    }
    let Some(run) = state.guided.at(shown) else {
        *last = None;
        return;
    };
    let phase = run.at(shown).phase;
    if *last != Some((run.origin, phase)) {
        *last = Some((run.origin, phase));
        said.write(Lifecycle::PhaseChanged {
            phase,
            into: shown.saturating_sub(run.origin),
        });
    }
    if run.done_at(shown) {
        let title = run.guide.title.clone();
        state.ended = true;
        said.write(Lifecycle::SessionEnded {
            title,
            how: Ending::Completed,
        });
        if state.flow() != *flow.get() {
            next.set(state.flow());
        }
    }
}

#[cfg(test)]
mod tests;
