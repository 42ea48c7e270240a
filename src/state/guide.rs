//! The guide: which guided session is in force, the changes to come (each
//! at a set moment, so the sound and the picture change at one sample),
//! whether it is over, and the session the pacer keeps for when it is
//! turned on. Its rules start, stop and replace a session, turn the pacer
//! on and off, change the rhythm at the next breath in, and follow the
//! clock to the session's end.

use std::collections::VecDeque;

use super::lifecycle::{Ending, Lifecycle};
use super::refusal::Refusal;
use crate::breath::rhythm::Sets;
use crate::breath::{BreathState, Guide, Micros, Phase, Rhythm};

/// How far ahead of the sound leaving the mix a new guided session begins:
/// time for the command to reach the mix before its first sample, so the
/// sound and the picture change at the same sample.
pub(super) const GUIDE_LEAD: Micros = 150_000;

/// How long a pacer started by a rhythm or turned on in an exposure scene
/// runs, minutes, when no guided session says otherwise.
pub(super) const PACER_MINUTES: f32 = 20.0;

/// A guided session in force from a moment of the session's clock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GuideRun {
    /// The session.
    pub(crate) guide: Guide,
    /// The session time its schedule starts at.
    pub(crate) origin: Micros,
}

impl GuideRun {
    /// Where `t` (session time) falls in this guide: its start until the
    /// origin comes.
    pub(crate) fn at(&self, t: Micros) -> BreathState {
        self.guide.schedule.at(t.saturating_sub(self.origin))
    }

    /// Whether the guide is over at `t`.
    fn done_at(&self, t: Micros) -> bool {
        t >= self.origin + self.guide.schedule.length()
    }
}

/// Which guided session is in force, and the changes to come, each at a
/// set moment (so that the sound and the picture change at one sample).
/// Changes asked for in quick succession each take effect at their own
/// moment, in order, on both sides.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Guided {
    current: Option<GuideRun>,
    changes: VecDeque<(Option<GuideRun>, Micros)>,
    generation: u32,
}

impl Guided {
    /// The guide in force at session time `t`.
    pub(crate) fn at(&self, t: Micros) -> Option<&GuideRun> {
        self.changes
            .iter()
            .rev()
            .find(|(_, from)| *from <= t)
            .map_or(self.current.as_ref(), |(run, _)| run.as_ref())
    }

    /// The latest guide asked for, whether or not it is in force yet.
    fn latest(&self) -> Option<&GuideRun> {
        match self.changes.back() {
            Some((run, _)) => run.as_ref(),
            None => self.current.as_ref(),
        }
    }

    /// The newest change asked for and not yet in force, with the time it
    /// takes effect.
    pub(crate) fn newest_change(&self) -> Option<(Option<&GuideRun>, Micros)> {
        self.changes.back().map(|(run, at)| (run.as_ref(), *at))
    }

    /// Counts the changes asked for, so a follower can tell a new one.
    pub(crate) fn generation(&self) -> u32 {
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

/// A breathing rhythm chosen while the app runs, with the words it was
/// chosen by (a preset's name, or the four numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct RhythmChoice {
    /// How the rhythm was named: `box`, `4,0,6,0`.
    pub(crate) name: String,
    /// One breath's phases.
    pub(crate) rhythm: Rhythm,
    /// Sets with rests between, if the rhythm has them (4-7-8).
    pub(crate) sets: Option<Sets>,
}

/// The guide's side of the state: the guided session in force and to come,
/// whether it is over, and the pacer's session for when it is turned on.
#[derive(Debug, Clone, Default)]
pub(super) struct Guidance {
    guided: Guided,
    ended: bool,
    /// The guided session the pacer runs when turned on in an exposure
    /// scene (where it is off until asked for).
    pacer: Option<Guide>,
}

impl Guidance {
    /// Runs `guide`, if any, from the start of the session.
    pub(super) fn new(guide: Option<Guide>) -> Self {
        Self {
            guided: Guided {
                current: guide.map(|guide| GuideRun { guide, origin: 0 }),
                ..Guided::default()
            },
            ..Self::default()
        }
    }

    /// For an exposure scene: the guided session waits, off, until the
    /// pacer is asked for.
    pub(super) fn off_until_asked(&mut self) {
        self.pacer = self.guided.current.take().map(|run| run.guide);
    }

    /// The guided session in force and any change to come.
    pub(super) fn guided(&self) -> &Guided {
        &self.guided
    }

    /// Whether the guided session is over (run to its end, or stopped).
    pub(super) fn ended(&self) -> bool {
        self.ended
    }

    /// The latest guide asked for, unless it is over.
    fn running(&self) -> Option<&GuideRun> {
        self.guided.latest().filter(|_| !self.ended)
    }

    /// Starts `guide`, replacing the one running if any, from a moment just
    /// ahead of `heard`.
    pub(super) fn start(&mut self, guide: &Guide, heard: Micros, said: &mut Vec<Lifecycle>) {
        if let Some(old) = self.running() {
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

    /// Stops the guided session from a moment just ahead of `heard`; with
    /// none running, says so.
    pub(super) fn stop(&mut self, heard: Micros, said: &mut Vec<Lifecycle>) {
        match self.running() {
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
        }
    }

    /// Turns the pacer on (with the session it keeps, or a resonance
    /// rhythm) or off; already as asked, nothing changes.
    pub(super) fn pacer_on(&mut self, on: bool, heard: Micros, said: &mut Vec<Lifecycle>) {
        let running = self.running().is_some();
        match (on, running) {
            (true, false) => {
                let guide = self.pacer.clone().unwrap_or_else(|| {
                    Guide::rhythm_only(Rhythm::resonance(), None, PACER_MINUTES)
                });
                self.start(&guide, heard, said);
            }
            (false, true) => self.stop(heard, said),
            // Already as asked.
            _ => {}
        }
    }

    /// Breathes to `choice` from now on: a running pacer changes at its
    /// next breath in, slowing by at most one breath a minute per breath;
    /// with the pacer off, it is what the pacer starts with.
    pub(super) fn change_rhythm(
        &mut self,
        choice: &RhythmChoice,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        let Some(run) = self.running().cloned() else {
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
                Some(crate::breath::rhythm::per_minute(period)),
            ),
            None => (soon.max(run.origin), None),
        };
        let left = (run.origin + run.guide.schedule.length()).saturating_sub(origin);
        let length = left.max(crate::breath::time::micros_from_s(5.0 * 60.0));
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

    /// Arriving in an exposure scene: the running session is kept for when
    /// the pacer is asked for, and stops.
    pub(super) fn set_aside_for_exposure(&mut self, heard: Micros, said: &mut Vec<Lifecycle>) {
        if let Some(guide) = self.running().map(|run| run.guide.clone()) {
            self.pacer = Some(guide);
            self.stop(heard, said);
        }
    }

    /// Follows the clock to `shown` (the session time the picture shows):
    /// settles the changes that have come, says when the phase changes
    /// (`last` keeps the phase said last), and ends the session when its
    /// guide is over. Whether it ended now.
    pub(super) fn follow(
        &mut self,
        shown: Micros,
        last: &mut Option<(Micros, Phase)>,
        said: &mut Vec<Lifecycle>,
    ) -> bool {
        if !self.guided.changes.is_empty() {
            self.guided.settle(shown);
        }
        if self.ended {
            *last = None;
            return false;
        }
        let Some(run) = self.guided.at(shown) else {
            *last = None;
            return false;
        };
        let phase = run.at(shown).phase;
        if *last != Some((run.origin, phase)) {
            *last = Some((run.origin, phase));
            said.push(Lifecycle::PhaseChanged {
                phase,
                into: shown.saturating_sub(run.origin),
            });
        }
        if !run.done_at(shown) {
            return false;
        }
        let title = run.guide.title.clone();
        self.ended = true;
        said.push(Lifecycle::SessionEnded {
            title,
            how: Ending::Completed,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{AppState, Flow, Intent, Listening, Presentation, Refusal};

    fn choice(name: &str) -> RhythmChoice {
        let (rhythm, sets) = crate::breath::session::parse_rhythm(name).unwrap();
        RhythmChoice {
            name: name.into(),
            rhythm,
            sets,
        }
    }

    #[test]
    fn a_new_guide_takes_over_at_a_moment_just_ahead_and_stopping_ends_the_session() {
        let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
        let boxed = Guide::rhythm_only(Rhythm::box_breathing(), None, 5.0);
        let mut state = AppState::new(
            "forest.ron",
            Some(resonance.clone()),
            Listening::default(),
            Presentation::Desktop,
        );
        let heard = 12_000_000;
        let said = state.apply(&Intent::StartGuide(boxed.clone()), heard);
        let origin = heard + GUIDE_LEAD;
        assert!(said.contains(&Lifecycle::SessionStarted {
            title: boxed.title.clone(),
            origin
        }));
        // Until the moment comes, the old one is in force; from it, the new
        // one, from its own start.
        let before = state.guided().at(origin - 1).unwrap();
        assert_eq!(before.guide.schedule, resonance.schedule);
        let after = state.guided().at(origin).unwrap();
        assert_eq!(after.guide.schedule, boxed.schedule);
        assert_eq!(after.at(origin).progress, 0.0);
        let said = state.apply(&Intent::StopGuide, origin + 5_000_000);
        assert!(said.contains(&Lifecycle::SessionEnded {
            title: boxed.title.clone(),
            how: Ending::Stopped
        }));
        assert_eq!(state.flow(), Flow::Ended);
        assert!(state.guided().at(origin + 5_000_000 + GUIDE_LEAD).is_none());
        // Nothing to stop now; a new one can start.
        assert!(matches!(
            state.apply(&Intent::StopGuide, origin + 6_000_000)[..],
            [Lifecycle::Refused {
                why: Refusal::NoGuideRunning,
                ..
            }]
        ));
        state.apply(&Intent::StartGuide(resonance), origin + 7_000_000);
        assert_eq!(state.flow(), Flow::Running);
    }

    #[test]
    fn changes_asked_in_quick_succession_each_come_at_their_own_moment() {
        let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
        let boxed = Guide::rhythm_only(Rhythm::box_breathing(), None, 5.0);
        let sighing = Guide::rhythm_only(Rhythm::cyclic_sighing(), None, 5.0);
        let mut state = AppState::new(
            "forest.ron",
            Some(resonance.clone()),
            Listening::default(),
            Presentation::Desktop,
        );
        state.apply(&Intent::StartGuide(boxed.clone()), 10_000_000);
        state.apply(&Intent::StartGuide(sighing.clone()), 10_050_000);
        let schedule_at =
            |state: &AppState, t| state.guided().at(t).unwrap().guide.schedule.clone();
        assert_eq!(schedule_at(&state, 10_100_000), resonance.schedule);
        assert_eq!(schedule_at(&state, 10_170_000), boxed.schedule);
        assert_eq!(schedule_at(&state, 10_250_000), sighing.schedule);
        state.guide.guided.settle(10_170_000);
        assert_eq!(schedule_at(&state, 10_170_000), boxed.schedule);
        assert_eq!(
            state.guided().newest_change().map(|(_, at)| at),
            Some(10_050_000 + GUIDE_LEAD)
        );
        state.guide.guided.settle(11_000_000);
        assert!(state.guided().newest_change().is_none());
        assert_eq!(schedule_at(&state, 11_000_000), sighing.schedule);
    }

    #[test]
    fn a_rhythm_chosen_with_the_pacer_off_is_the_one_it_starts_with() {
        let mut state = AppState::new(
            "spiders.ron",
            None,
            Listening::default(),
            Presentation::Desktop,
        )
        .for_exposure(0);
        let said = state.apply(&Intent::Rhythm(choice("box")), 0);
        assert_eq!(
            said,
            [Lifecycle::RhythmChanged {
                name: "box".into(),
                from: None
            }]
        );
        assert!(state.guided().latest().is_none(), "the pacer stays off");
        state.apply(&Intent::Pacer(true), 1_000_000);
        let run = state.guided().latest().unwrap();
        let first = &run.guide.schedule.steps()[..4];
        let seconds: Vec<f64> = first.iter().map(|s| s.duration as f64 / 1e6).collect();
        assert_eq!(seconds, [4.0, 4.0, 4.0, 4.0]);
    }

    #[test]
    fn a_running_pacer_takes_a_new_rhythm_at_its_next_breath_in_and_slows_gently() {
        // Resonance: 10 s breaths, 4 in and 6 out.
        let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 10.0);
        let mut state = AppState::new(
            "lake.ron",
            Some(resonance.clone()),
            Listening::default(),
            Presentation::Desktop,
        );
        // 23 s in: the third breath's out-breath; the next breath in is at 30 s.
        let heard = 23_000_000;
        let said = state.apply(&Intent::Rhythm(choice("4-7-8")), heard);
        assert_eq!(
            said,
            [Lifecycle::RhythmChanged {
                name: "4-7-8".into(),
                from: Some(30_000_000)
            }]
        );
        // The breath under way is the old rhythm's to its end.
        let old = state.guided().at(29_999_999).unwrap();
        assert_eq!(old.guide.schedule, resonance.schedule);
        let new = state.guided().at(30_000_000).unwrap();
        assert_eq!(new.origin, 30_000_000);
        assert_eq!(new.at(30_000_000).phase, Phase::Inhale);
        // From 6 breaths a minute down to 4-7-8's 3.16: no breath is more than
        // one breath a minute slower than the one before.
        let schedule = new.guide.schedule.clone();
        let mut rates = Vec::new();
        let mut t = 0;
        while let Some((start, period)) = schedule.breath_at(t) {
            rates.push(60e6 / period as f64);
            t = start + period;
            if rates.len() > 12 {
                break;
            }
        }
        assert!(rates.len() > 3, "{rates:?}");
        assert!(rates[0] <= 6.0 + 1e-6, "{rates:?}");
        for pair in rates.windows(2) {
            assert!(pair[0] - pair[1] <= 1.0 + 1e-6, "{rates:?}");
        }
        assert!(
            (rates.last().unwrap() - 60.0 / 19.0).abs() < 0.01,
            "{rates:?}"
        );
        // The pacer turned off and on again keeps the new rhythm.
        state.apply(&Intent::Pacer(false), 40_000_000);
        state.apply(&Intent::Pacer(true), 50_000_000);
        let again = state.guided().latest().unwrap();
        assert_eq!(again.guide.schedule, schedule);
    }

    #[test]
    fn the_guide_followed_to_its_end_says_each_phase_once_and_then_that_it_ended() {
        let mut guidance = Guidance::new(Some(Guide::rhythm_only(Rhythm::resonance(), None, 0.5)));
        let (mut last, mut said) = (None, Vec::new());
        assert!(!guidance.follow(0, &mut last, &mut said));
        assert!(!guidance.follow(1_000, &mut last, &mut said));
        assert_eq!(
            said,
            [Lifecycle::PhaseChanged {
                phase: Phase::Inhale,
                into: 0
            }]
        );
        let length = guidance.guided().at(0).unwrap().guide.schedule.length();
        said.clear();
        assert!(guidance.follow(length, &mut last, &mut said));
        assert!(guidance.ended());
        assert!(matches!(
            said.last(),
            Some(Lifecycle::SessionEnded {
                how: Ending::Completed,
                ..
            })
        ));
        said.clear();
        assert!(!guidance.follow(length + 1, &mut last, &mut said));
        assert!(said.is_empty());
    }
}
