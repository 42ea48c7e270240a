//! The snapshot: everything a watcher needs to know about the session, as
//! of the end of the last frame, in one resource.

use bevy::prelude::*;

use super::breaks::BreakAdvice;
use super::guide::GuideRun;
use super::intent::Intent;
use super::lifecycle::{Lifecycle, Sound};
use super::scene_facts::{ExposureFacts, ShownScene};
use super::{AppState, Flow, Listening, PauseReasons, Place, Presentation};
use crate::breath::{Micros, Phase};
use crate::clock::SessionClock;

/// Where the person is in a graded exposure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepNow {
    /// The step, counted from 1.
    pub step: usize,
    /// How many steps there are.
    pub steps: usize,
    /// Its name.
    pub name: String,
    /// The sentence for the therapist.
    pub(crate) say: String,
    /// The events that can be fired now.
    pub events: Vec<String>,
    /// Every event of the hierarchy, in the scene's order (the number keys
    /// fire them by place; [`StepNow::events`] says which can happen now).
    pub(crate) all_events: Vec<String>,
}

/// The guided session at this moment.
#[derive(Debug, Clone, PartialEq)]
pub struct GuideNow {
    /// Its name.
    pub(crate) title: String,
    /// What the person is asked to do.
    pub(crate) phase: Phase,
    /// Time into the guided session, microseconds.
    pub(crate) into: Micros,
    /// Its whole length, microseconds.
    pub(crate) length: Micros,
    /// Whole seconds left in the phase, as the caption counts them.
    pub(crate) seconds_left: u64,
}

/// What a watcher needs, in one place.
#[derive(Resource, Debug, Clone, PartialEq, Default)]
pub struct SessionSnapshot {
    /// Running, paused or ended.
    pub flow: Flow,
    /// Why it is paused, if it is.
    pub paused_for: PauseReasons,
    /// Where the person is.
    pub place: Option<Place>,
    /// Window or headset.
    pub presentation: Presentation,
    /// The scene on screen.
    pub scene: Option<ShownScene>,
    /// The guided session in force, if any, at the time shown.
    pub guide: Option<GuideNow>,
    /// The guided session in force at the time shown, whole (its schedule,
    /// pulses and origin), as the pacer and the sound follow it: unlike
    /// [`SessionSnapshot::guide`], kept while a stop is still to take
    /// effect and after it has run to its end.
    pub(crate) guide_in_force: Option<GuideRun>,
    /// Session time the picture shows (paused time not counted),
    /// microseconds.
    pub elapsed: Micros,
    /// Where the sound goes.
    pub(crate) sound: Sound,
    /// Volume and mono.
    pub listening: Listening,
    /// Whether a break is being suggested now.
    pub break_suggested: bool,
    /// Where the person is in a graded exposure, in an exposure scene.
    pub exposure: Option<StepNow>,
    /// The client's plan in force for the person's scene, if any.
    pub plan: Option<crate::state::PlanInForce>,
    /// The SUDS question on screen, if any.
    pub suds: Option<super::SudsPrompt>,
    /// The last SUDS answer given, if any.
    pub last_suds: Option<u8>,
    /// How far the session record has got.
    pub record: RecordNow,
}

impl SessionSnapshot {
    /// What the person's one pause control (`Esc`, the menu button) asks
    /// for now (see [`Intent::pause_or_go_on`]).
    pub(crate) fn pause_or_go_on(&self) -> Intent {
        Intent::pause_or_go_on(self.paused_for, self.break_suggested)
    }
}

/// How far the session record has got: written by the journal, copied into
/// the snapshot each frame.
#[derive(Resource, Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordNow {
    /// Whether a record is kept in this run.
    pub on: bool,
    /// The record's number of the session being recorded, once begun.
    pub session: Option<i64>,
    /// The code of the client it is recorded for, once begun.
    pub client: Option<String>,
    /// Why the record cannot be written until someone acts, while it
    /// cannot: a session that must be recorded does not start meanwhile.
    pub locked: Option<Locked>,
    /// The number of the last write made (counted from 1 in this run).
    pub made: u64,
    /// Every write up to this number is committed to the disk.
    pub committed: u64,
    /// Why the record cannot be written now, if it cannot (it is kept and
    /// tried again).
    pub trouble: Option<String>,
}

/// Why a therapist's record cannot be written yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Locked {
    /// It is encrypted, and its passphrase was not given.
    Passphrase,
    /// There is no record yet, and no passphrase to make it with.
    NewPassphrase,
    /// It is plain, and a therapist's record must be encrypted first
    /// (`stillpoint journal encrypt`).
    Plain,
}

/// Composes the snapshot from the state, the clock and what the feature
/// modules reported this frame. Fields are written in place, and words are
/// copied only when they change, so a frame allocates nothing here.
pub(super) fn publish(
    state: Res<AppState>,
    clock: Res<SessionClock>,
    advice: Option<Res<BreakAdvice>>,
    record: Res<RecordNow>,
    mut heard: MessageReader<Lifecycle>,
    mut snapshot: ResMut<SessionSnapshot>,
) {
    let snap = snapshot.bypass_change_detection();
    let mut changed = false;
    for message in heard.read() {
        changed = true;
        match message {
            Lifecycle::SceneShown(scene) => snap.scene = Some(scene.clone()),
            Lifecycle::SoundStarted(sound) => snap.sound = sound.clone(),
            Lifecycle::OutputStalled => snap.sound = Sound::Stalled,
            Lifecycle::OutputResumed => snap.sound = Sound::Audible,
            _ => {}
        }
    }
    let shown = clock.shown();
    set(&mut snap.flow, state.flow(), &mut changed);
    set(&mut snap.paused_for, state.paused_for(), &mut changed);
    set(&mut snap.presentation, state.presentation(), &mut changed);
    set(&mut snap.listening, state.listening(), &mut changed);
    set(&mut snap.elapsed, shown, &mut changed);
    let suggesting = advice.is_some_and(|a| a.suggesting());
    set(&mut snap.break_suggested, suggesting, &mut changed);
    if snap.place.as_ref() != Some(state.place()) {
        snap.place = Some(state.place().clone());
        changed = true;
    }
    match state.guided().at(shown).filter(|_| !state.guide.ended()) {
        Some(run) => {
            let now = run.at(shown);
            let into = shown.saturating_sub(run.origin);
            let length = run.guide.schedule.length();
            match &mut snap.guide {
                Some(guide) if guide.title == run.guide.title => {
                    set(&mut guide.phase, now.phase, &mut changed);
                    set(&mut guide.into, into, &mut changed);
                    set(&mut guide.length, length, &mut changed);
                    set(&mut guide.seconds_left, now.seconds_left(), &mut changed);
                }
                slot => {
                    *slot = Some(GuideNow {
                        title: run.guide.title.clone(),
                        phase: now.phase,
                        into,
                        length,
                        seconds_left: now.seconds_left(),
                    });
                    changed = true;
                }
            }
        }
        None => {
            if snap.guide.take().is_some() {
                changed = true;
            }
        }
    }
    let in_force = state.guided().at(shown);
    if !same_run(snap.guide_in_force.as_ref(), in_force) {
        snap.guide_in_force = in_force.cloned();
        changed = true;
    }
    if snap.suds.as_ref() != state.suds() {
        snap.suds = state.suds().copied();
        changed = true;
    }
    if snap.last_suds != state.last_suds() {
        snap.last_suds = state.last_suds();
        changed = true;
    }
    let step_now = state.step_now();
    let same = match (snap.exposure.as_ref(), step_now) {
        (Some(now), Some((facts, step))) => now.is(facts, step),
        (None, None) => true,
        _ => false,
    };
    if !same {
        snap.exposure = step_now.map(|(facts, step)| StepNow {
            step: step + 1,
            steps: facts.steps.len(),
            name: facts.steps[step].0.clone(),
            say: facts.steps[step].1.clone(),
            events: allowed(facts, step).cloned().collect(),
            all_events: facts
                .events
                .iter()
                .map(|(name, _, _)| name.clone())
                .collect(),
        });
        changed = true;
    }
    if snap.plan.as_ref() != state.plan_now() {
        snap.plan = state.plan_now().cloned();
        changed = true;
    }
    if record.is_changed() && snap.record != *record {
        snap.record.clone_from(&record);
        changed = true;
    }
    if changed {
        snapshot.set_changed();
    }
}

impl StepNow {
    /// Whether this is step `step` (from 0) of the hierarchy `facts`, as it
    /// is now (a scene edited while shown may rename its steps and events).
    fn is(&self, facts: &ExposureFacts, step: usize) -> bool {
        self.step == step + 1
            && self.steps == facts.steps.len()
            && self.name == facts.steps[step].0
            && self.say == facts.steps[step].1
            && self.events.iter().eq(allowed(facts, step))
            && self
                .all_events
                .iter()
                .eq(facts.events.iter().map(|(name, _, _)| name))
    }
}

/// The names of the events of `facts` allowed at `step` (from 0).
fn allowed(facts: &ExposureFacts, step: usize) -> impl Iterator<Item = &String> {
    facts
        .events
        .iter()
        .filter(move |(_, _, steps)| steps.contains(&step))
        .map(|(name, _, _)| name)
}

/// Whether two guided sessions in force are the same, looking at the
/// schedule's steps only when it is not the one shared.
fn same_run(a: Option<&GuideRun>, b: Option<&GuideRun>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.origin == b.origin
                && a.guide.title == b.guide.title
                && a.guide.sounds == b.guide.sounds
                && a.guide.haptics == b.guide.haptics
                && (std::sync::Arc::ptr_eq(&a.guide.schedule, &b.guide.schedule)
                    || a.guide.schedule == b.guide.schedule)
        }
        (None, None) => true,
        _ => false,
    }
}

fn set<T: PartialEq>(slot: &mut T, value: T, changed: &mut bool) {
    if *slot != value {
        *slot = value;
        *changed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breath::{Guide, Rhythm};
    use crate::state::fixtures::spiders;

    #[test]
    fn a_step_is_the_same_only_while_its_names_and_events_are() {
        let mut facts = spiders().exposure.unwrap();
        facts.events = vec![("gust".into(), String::new(), vec![1])];
        let now = StepNow {
            step: 2,
            steps: 4,
            name: "s2".into(),
            say: String::new(),
            events: vec!["gust".into()],
            all_events: vec!["gust".into()],
        };
        assert!(now.is(&facts, 1));
        assert!(!now.is(&facts, 0), "another step");
        // The scene edited while shown: an event renamed is news.
        facts.events[0].0 = "breeze".into();
        assert!(!now.is(&facts, 1));
    }

    #[test]
    fn a_guide_in_force_is_the_same_only_with_the_same_session_from_the_same_moment() {
        let guide = Guide::rhythm_only(Rhythm::resonance(), None, 1.0);
        let run = GuideRun { guide, origin: 0 };
        let copy = run.clone();
        assert!(same_run(Some(&run), Some(&copy)));
        assert!(same_run(None, None));
        assert!(!same_run(Some(&run), None));
        let later = GuideRun {
            origin: 150_000,
            ..run.clone()
        };
        assert!(!same_run(Some(&run), Some(&later)));
        let boxed = GuideRun {
            guide: Guide::rhythm_only(Rhythm::box_breathing(), None, 1.0),
            origin: 0,
        };
        assert!(!same_run(Some(&run), Some(&boxed)));
    }
}
