//! Intents: what an input asks of the app. Keys, controllers, a console and
//! the tests all send these; [`AppState::apply`] is where they take effect.

use bevy::prelude::*;

use super::lifecycle::SudsWhy;
use super::lifecycle::{Ending, Lifecycle};
use super::refusal::Refusal;
use super::suds::SudsChange;
use super::{
    AppState, GUIDE_LEAD, GuideRun, MAX_VOLUME, PauseReason, Place, Presentation, VOLUME_STEP,
};
use crate::breath::schedule::Sets;
use crate::breath::{Guide, Micros, Rhythm};

/// Something an input asks for.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum Intent {
    /// Pause for `reason` (a pause already held for it stays one pause).
    Pause(PauseReason),
    /// Take back the pause for `reason`; the session goes on when no
    /// reason is left. The person's own resume also ends a break they took.
    Resume(PauseReason),
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
    /// Close the app (its sound fades out first).
    Quit,
}

/// A breathing rhythm chosen while the app runs, with the words it was
/// chosen by (a preset's name, or the four numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct RhythmChoice {
    /// How the rhythm was named: `box`, `4,0,6,0`.
    pub name: String,
    /// One breath's phases.
    pub rhythm: Rhythm,
    /// Sets with rests between, if the rhythm has them (4-7-8).
    pub sets: Option<Sets>,
}

/// How long a pacer started by a rhythm or turned on in an exposure scene
/// runs, minutes, when no guided session says otherwise.
pub const PACER_MINUTES: f32 = 20.0;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// A move through the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepChange {
    /// One step harder.
    Up,
    /// One step easier.
    Down,
    /// To a step, counted from 1.
    To(usize),
}

/// A change of the master volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolumeChange {
    /// Up (positive) or down by this many steps of [`VOLUME_STEP`].
    By(i32),
    /// To this volume, 0 to [`MAX_VOLUME`].
    To(f32),
}

impl AppState {
    /// What the person's one pause control (`Esc`, the menu button) asks
    /// for now: to go on when they paused (or took a break), else to pause,
    /// and with a break suggested, to take it.
    pub fn pause_or_go_on(&self, break_suggested: bool) -> Intent {
        let reasons = self.paused_for;
        if reasons.contains(PauseReason::Person) || reasons.contains(PauseReason::Break) {
            Intent::Resume(PauseReason::Person)
        } else if break_suggested {
            Intent::Pause(PauseReason::Break)
        } else {
            Intent::Pause(PauseReason::Person)
        }
    }

    /// Applies one intent at session time `heard` (the sound leaving the
    /// mix now) and says what changed. An intent that cannot be done
    /// changes nothing and says why.
    pub fn apply(&mut self, intent: &Intent, heard: Micros) -> Vec<Lifecycle> {
        let mut said = Vec::new();
        match intent {
            Intent::Pause(reason) => {
                if self.paused_for.insert(*reason) {
                    said.push(Lifecycle::Paused { reason: *reason });
                }
            }
            Intent::Resume(reason) => {
                let mut taken = vec![*reason];
                if *reason == PauseReason::Person {
                    taken.push(PauseReason::Break);
                }
                for reason in taken {
                    if self.paused_for.remove(reason) {
                        said.push(Lifecycle::Resumed { reason });
                    }
                }
            }
            Intent::SafePlace => self.go_to_safe_place(&mut said),
            Intent::LeaveSafePlace => {
                if let Place::SafePlace { path, return_to } = &self.place {
                    let (from, to) = (path.clone(), return_to.clone());
                    self.place = Place::Scene { path: to.clone() };
                    said.push(Lifecycle::SafePlaceLeft { from, to });
                } else {
                    said.push(Lifecycle::Refused {
                        what: "leave the safe place".into(),
                        why: Refusal::NotInSafePlace,
                    });
                }
            }
            // Nothing to keep: the headset's seat does it.
            Intent::Recentre | Intent::Quit => {}
            Intent::Volume(change) => {
                let volume = match change {
                    VolumeChange::By(steps) => self.listening.volume + *steps as f32 * VOLUME_STEP,
                    VolumeChange::To(volume) => *volume,
                };
                if !volume.is_finite() {
                    said.push(Lifecycle::Refused {
                        what: "set the volume".into(),
                        why: Refusal::NotAVolume {
                            volume,
                            most: MAX_VOLUME,
                        },
                    });
                } else {
                    // Rounded to the step, so repeated presses land on
                    // round numbers.
                    let volume = ((volume.clamp(0.0, MAX_VOLUME) / VOLUME_STEP).round()
                        * VOLUME_STEP)
                        .clamp(0.0, MAX_VOLUME);
                    if volume != self.listening.volume {
                        self.listening.volume = volume;
                        said.push(Lifecycle::Listening(self.listening));
                    }
                }
            }
            Intent::Mono(mono) => {
                if self.listening.mono != *mono {
                    self.listening.mono = *mono;
                    said.push(Lifecycle::Listening(self.listening));
                }
            }
            Intent::StartGuide(guide) => {
                if let Some(old) = self.guided.latest().filter(|_| !self.ended) {
                    said.push(Lifecycle::SessionEnded {
                        title: old.guide.title.clone(),
                        how: Ending::Replaced,
                    });
                }
                let origin = heard + GUIDE_LEAD;
                self.guided.set_from(
                    Some(GuideRun {
                        guide: guide.clone(),
                        origin,
                    }),
                    origin,
                );
                self.ended = false;
                said.push(Lifecycle::SessionStarted {
                    title: guide.title.clone(),
                    origin,
                });
            }
            Intent::StopGuide => match self.guided.latest().filter(|_| !self.ended) {
                Some(run) => {
                    let title = run.guide.title.clone();
                    self.guided.set_from(None, heard + GUIDE_LEAD);
                    self.ended = true;
                    said.push(Lifecycle::SessionEnded {
                        title,
                        how: Ending::Stopped,
                    });
                }
                None => said.push(Lifecycle::Refused {
                    what: "stop the guided session".into(),
                    why: Refusal::NoGuideRunning,
                }),
            },
            Intent::Step(change) => self.change_step(*change, heard, &mut said),
            Intent::FireEvent(name) => self.fire(name, &mut said),
            Intent::Note(text) => said.push(note(text)),
            Intent::Questionnaire { when, answers } => said.push(
                match crate::questionnaire::simulator_sickness::score(answers) {
                    Ok(scores) => Lifecycle::QuestionnaireScored {
                        when: *when,
                        answers: *answers,
                        scores,
                    },
                    Err(why) => Lifecycle::Refused {
                        what: "score the questionnaire".into(),
                        why: Refusal::Unscorable(why),
                    },
                },
            ),
            Intent::Pacer(on) => self.pacer_on(*on, heard, &mut said),
            Intent::Rhythm(choice) => self.change_rhythm(choice, heard, &mut said),
            Intent::ChangeScene { path, step } => {
                self.change_scene(path, *step, heard, &mut said);
            }
            Intent::Suds(change) => self.change_suds(*change, heard, &mut said),
            Intent::HeadsetGone { why } => {
                if self.presentation == Presentation::Headset {
                    self.presentation = Presentation::Desktop;
                    said.push(Lifecycle::HeadsetLost { why: why.clone() });
                    // The window goes on where the session was, paused
                    // until the person chooses to go on.
                    if self.paused_for.remove(PauseReason::Headset) {
                        said.push(Lifecycle::Resumed {
                            reason: PauseReason::Headset,
                        });
                    }
                    if self.paused_for.insert(PauseReason::Person) {
                        said.push(Lifecycle::Paused {
                            reason: PauseReason::Person,
                        });
                    }
                }
            }
        }
        said
    }

    fn change_step(&mut self, change: StepChange, heard: Micros, said: &mut Vec<Lifecycle>) {
        let refuse = |said: &mut Vec<Lifecycle>, why: Refusal| {
            said.push(Lifecycle::Refused {
                what: "change the step".into(),
                why,
            });
        };
        if self.place.is_safe_place() {
            return refuse(said, Refusal::InSafePlace);
        }
        let Some((facts, step)) = self.step_now() else {
            return refuse(said, Refusal::NoSteps);
        };
        let steps = facts.steps.len();
        let to = match change {
            StepChange::Up if step + 1 >= steps => {
                return refuse(said, Refusal::AtLastStep { steps });
            }
            StepChange::Up => step + 1,
            StepChange::Down if step == 0 => {
                return refuse(said, Refusal::AtFirstStep);
            }
            StepChange::Down => step - 1,
            StepChange::To(n) if n == 0 || n > steps => {
                return refuse(said, Refusal::NoSuchStep { step: n, steps });
            }
            StepChange::To(n) => n - 1,
        };
        let name = facts.steps[to].0.clone();
        if to != step {
            self.moved_to_step(step, to, name, heard, said);
        }
    }

    /// The person is at step `to` now, from `from` (both from 0), named
    /// `name`: said, and asked about (the rating that ends one step and
    /// begins the next), whatever moved them.
    pub(super) fn moved_to_step(
        &mut self,
        from: usize,
        to: usize,
        name: String,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        self.step = to;
        said.push(Lifecycle::StepChanged {
            from: from + 1,
            to: to + 1,
            name,
        });
        let why = SudsWhy::StepChange {
            from: from + 1,
            to: to + 1,
        };
        self.ask_suds(why, heard, said);
    }

    fn fire(&mut self, name: &str, said: &mut Vec<Lifecycle>) {
        let refuse = |said: &mut Vec<Lifecycle>, why: Refusal| {
            said.push(Lifecycle::Refused {
                what: format!("fire the event \"{name}\""),
                why,
            });
        };
        if self.place.is_safe_place() {
            return refuse(said, Refusal::InSafePlace);
        }
        let Some((facts, step)) = self.step_now() else {
            return refuse(said, Refusal::NoEvents);
        };
        match facts.events.iter().find(|(n, _, _)| n == name) {
            None => {
                let expected = facts.events.iter().map(|(n, _, _)| n.clone()).collect();
                refuse(said, Refusal::NoSuchEvent { expected });
            }
            Some((_, _, steps)) if !steps.contains(&step) => {
                refuse(said, Refusal::NotAtThisStep { step: step + 1 })
            }
            Some(_) => said.push(Lifecycle::EventFired {
                name: name.to_owned(),
                step: step + 1,
            }),
        }
    }

    fn pacer_on(&mut self, on: bool, heard: Micros, said: &mut Vec<Lifecycle>) {
        let running = self.guided.latest().is_some() && !self.ended;
        match (on, running) {
            (true, false) => {
                let guide = self.pacer.clone().unwrap_or_else(|| {
                    Guide::rhythm_only(Rhythm::resonance(), None, PACER_MINUTES)
                });
                said.extend(self.apply(&Intent::StartGuide(guide), heard));
            }
            (false, true) => said.extend(self.apply(&Intent::StopGuide, heard)),
            // Already as asked.
            _ => {}
        }
    }

    fn change_rhythm(&mut self, choice: &RhythmChoice, heard: Micros, said: &mut Vec<Lifecycle>) {
        let running = self.guided.latest().filter(|_| !self.ended).cloned();
        let Some(run) = running else {
            // Kept for when the pacer is turned on.
            let mut guide = Guide::rhythm_only(choice.rhythm, choice.sets, PACER_MINUTES);
            if let Some(old) = &self.pacer {
                guide.title.clone_from(&old.title);
            }
            self.pacer = Some(guide);
            said.push(Lifecycle::RhythmChanged {
                name: choice.name.clone(),
                from: None,
            });
            return;
        };
        // The breath under way is finished first: the new rhythm takes over
        // at the next breath in, so the orb and the sound never jump.
        let soon = heard + GUIDE_LEAD;
        let into = soon.saturating_sub(run.origin);
        let (origin, from_per_min) = match run.guide.schedule.breath_at(into) {
            Some((start, period)) => (
                run.origin + start + period,
                Some(crate::breath::schedule::per_minute(period)),
            ),
            None => (soon.max(run.origin), None),
        };
        let left = (run.origin + run.guide.schedule.length()).saturating_sub(origin);
        let length = left.max(crate::breath::schedule::micros_from_s(5.0 * 60.0));
        let guide = run
            .guide
            .retimed(choice.rhythm, choice.sets, from_per_min, length);
        self.pacer = Some(guide.clone());
        self.guided
            .set_from(Some(GuideRun { guide, origin }), origin);
        said.push(Lifecycle::RhythmChanged {
            name: choice.name.clone(),
            from: Some(origin),
        });
    }

    fn change_scene(
        &mut self,
        path: &str,
        step: Option<usize>,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        let refuse = |said: &mut Vec<Lifecycle>, why: Refusal| {
            said.push(Lifecycle::Refused {
                what: format!("go to the scene \"{path}\""),
                why,
            });
        };
        if path.trim().is_empty() {
            return refuse(said, Refusal::NoSceneNamed);
        }
        if step == Some(0) {
            return refuse(said, Refusal::StepsCountFromOne);
        }
        let from = self.place_scene().to_owned();
        if !self.place.is_safe_place() && from == path {
            return refuse(said, Refusal::AlreadyThere);
        }
        if let Place::SafePlace { path: safe, .. } = &self.place {
            said.push(Lifecycle::SafePlaceLeft {
                from: safe.clone(),
                to: path.to_owned(),
            });
        }
        // The new scene's SUDS begin afresh: a question left open belongs
        // to the scene left.
        if let Some(open) = self.suds.open.take() {
            said.push(Lifecycle::SudsSetAside { why: open.why });
        }
        self.suds.last_asked = None;
        self.suds.last_value = None;
        self.safe_wanted = false;
        self.place = Place::Scene {
            path: path.to_owned(),
        };
        self.step = step.map_or(0, |n| n - 1);
        self.arriving = true;
        said.push(Lifecycle::SceneChanged {
            from,
            to: path.to_owned(),
            step,
        });
        self.arrive(heard, said);
    }

    /// Once the scene the person was taken to is known: an exposure scene
    /// starts with the pacer off (kept for when it is asked for), at a step
    /// it has.
    fn arrive(&mut self, heard: Micros, said: &mut Vec<Lifecycle>) {
        let Some(shown) = self.known.get(self.place.scene()) else {
            return;
        };
        self.arriving = false;
        let Some(facts) = &shown.exposure else {
            return;
        };
        self.step = self.step.min(facts.steps.len().saturating_sub(1));
        if let Some(run) = self.guided.latest().filter(|_| !self.ended) {
            self.pacer = Some(run.guide.clone());
            said.extend(self.apply(&Intent::StopGuide, heard));
        }
    }

    fn go_to_safe_place(&mut self, said: &mut Vec<Lifecycle>) {
        let here = self.place.scene().to_owned();
        if self.place.is_safe_place() {
            said.push(Lifecycle::AlreadySafe { scene: here });
            return;
        }
        // A scene that names no safe scene is a safe place itself. One not
        // loaded yet is waited for: the ask is kept, not dropped.
        match self.known.get(&here).map(|s| s.safe_scene.clone()) {
            Some(Some(safe)) => {
                self.safe_wanted = false;
                self.place = Place::SafePlace {
                    path: safe.clone(),
                    return_to: here.clone(),
                };
                // Going somewhere safe is the person acting: their own
                // pause ends, so the place is heard as well as seen.
                if self.paused_for.remove(PauseReason::Person) {
                    said.push(Lifecycle::Resumed {
                        reason: PauseReason::Person,
                    });
                }
                said.push(Lifecycle::SafePlaceEntered { from: here, safe });
            }
            Some(None) => {
                self.safe_wanted = false;
                said.push(Lifecycle::AlreadySafe { scene: here });
            }
            None => self.safe_wanted = true,
        }
    }

    /// Goes on with an ask that waited for a scene to be known.
    pub(super) fn resolve_waiting(&mut self, heard: Micros) -> Vec<Lifecycle> {
        let mut said = Vec::new();
        if self.arriving {
            self.arrive(heard, &mut said);
        }
        if self.safe_wanted && self.known.contains_key(self.place.scene()) {
            self.go_to_safe_place(&mut said);
        }
        said
    }
}

/// A note as it is recorded, or why it is not.
fn note(text: &str) -> Lifecycle {
    let text = text.trim();
    let refuse = |why: Refusal| Lifecycle::Refused {
        what: "add a note".into(),
        why,
    };
    let chars = text.chars().count();
    if chars == 0 {
        refuse(Refusal::EmptyNote)
    } else if chars > MAX_NOTE_CHARS {
        refuse(Refusal::NoteTooLong {
            chars,
            most: MAX_NOTE_CHARS,
        })
    } else if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        refuse(Refusal::NoteHasControlCharacters)
    } else {
        Lifecycle::NoteAdded { text: text.into() }
    }
}
