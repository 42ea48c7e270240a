//! The snapshot: everything a watcher needs to know about the session, as
//! of the end of the last frame, in one resource.

use bevy::prelude::*;

use super::breaks::BreakAdvice;
use super::lifecycle::{Lifecycle, Sound};
use super::scene_facts::ShownScene;
use super::{AppState, Flow, Listening, PauseReasons, Place, Presentation, SessionClock};
use crate::breath::{Micros, Phase};

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
    pub say: String,
    /// The events that can be fired now.
    pub events: Vec<String>,
}

/// The guided session at this moment.
#[derive(Debug, Clone, PartialEq)]
pub struct GuideNow {
    /// Its name.
    pub title: String,
    /// What the person is asked to do.
    pub phase: Phase,
    /// Time into the guided session, microseconds.
    pub into: Micros,
    /// Its whole length, microseconds.
    pub length: Micros,
    /// Whole seconds left in the phase, as the caption counts them.
    pub seconds_left: u64,
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
    /// Session time the picture shows (paused time not counted),
    /// microseconds.
    pub elapsed: Micros,
    /// Where the sound goes.
    pub sound: Sound,
    /// Volume and mono.
    pub listening: Listening,
    /// Whether a break is being suggested now.
    pub break_suggested: bool,
    /// Where the person is in a graded exposure, in an exposure scene.
    pub exposure: Option<StepNow>,
    /// The SUDS question on screen, if any.
    pub suds: Option<super::SudsPrompt>,
    /// The last SUDS answer given, if any.
    pub last_suds: Option<u8>,
    /// How far the session record has got.
    pub record: RecordNow,
}

/// How far the session record has got: written by the journal, copied into
/// the snapshot each frame.
#[derive(Resource, Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordNow {
    /// Whether a record is kept in this run.
    pub on: bool,
    /// The record's number of the session being recorded, once begun.
    pub session: Option<i64>,
    /// The number of the last write made (counted from 1 in this run).
    pub made: u64,
    /// Every write up to this number is committed to the disk.
    pub committed: u64,
    /// Why the record cannot be written now, if it cannot (it is kept and
    /// tried again).
    pub trouble: Option<String>,
}

/// Composes the snapshot from the state, the clock and what the feature
/// modules reported this frame. Fields are written in place, and words are
/// copied only when they change, so a frame allocates nothing here.
pub fn publish(
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
    if snap.suds.as_ref() != state.suds() {
        snap.suds = state.suds().copied();
        changed = true;
    }
    if snap.last_suds != state.last_suds() {
        snap.last_suds = state.last_suds();
        changed = true;
    }
    let step_now = state.step_now();
    if snap.exposure.as_ref().map(|e| (e.step, e.steps))
        != step_now.map(|(f, step)| (step + 1, f.steps.len()))
    {
        snap.exposure = step_now.map(|(facts, step)| StepNow {
            step: step + 1,
            steps: facts.steps.len(),
            name: facts.steps[step].0.clone(),
            say: facts.steps[step].1.clone(),
            events: facts
                .events
                .iter()
                .filter(|(_, _, steps)| steps.contains(&step))
                .map(|(name, _, _)| name.clone())
                .collect(),
        });
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

fn set<T: PartialEq>(slot: &mut T, value: T, changed: &mut bool) {
    if *slot != value {
        *slot = value;
        *changed = true;
    }
}
