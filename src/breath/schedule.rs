//! The schedule: a guided session's plan laid out in time, phase by phase,
//! and the one pure function that answers where in a breath any moment falls.
//!
//! Time is counted in whole microseconds from the start of the session (see
//! [`super::time`]), so the audio engine and the picture agree on every
//! boundary.

use super::format::Captions;
use super::plan::{Plan, SegmentPlan, ramp_periods};
use super::rhythm::{Rhythm, Sets};
use super::time::{MICROS_PER_S, Micros};

/// Lung fill at the end of the first inhale when a top-up inhale follows (the
/// cyclic sigh's second, shorter breath in fills the rest).
const TOP_UP_FROM_FILL: f32 = 0.8;

/// What the person is asked to do at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Breathe naturally: settling in, resting between sets, closing.
    Rest,
    /// Breathe in.
    Inhale,
    /// A short second breath in on top of the first (cyclic sighing).
    TopUp,
    /// Hold with the lungs full.
    HoldIn,
    /// Breathe out.
    Exhale,
    /// Hold with the lungs empty.
    HoldOut,
    /// The session is over.
    Done,
}

impl Phase {
    /// Whether this phase paces the breath (everything but rest and done).
    pub(crate) fn is_paced(self) -> bool {
        !matches!(self, Phase::Rest | Phase::Done)
    }
}

/// Which part of the session a moment is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SegmentKind {
    /// Settling in.
    Settle,
    /// Slowing down towards the target.
    Ramp,
    /// At the target rhythm.
    Hold,
    /// Closing.
    Close,
    /// After the end.
    Done,
}

/// One phase laid out in time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// When it starts, from the session's start.
    pub(crate) start: Micros,
    /// How long it lasts (never 0).
    pub(crate) duration: Micros,
    /// What the person does.
    pub(crate) phase: Phase,
    /// Lung fill at the start, 0..1.
    pub(crate) fill_from: f32,
    /// Lung fill at the end, 0..1.
    pub(crate) fill_to: f32,
    /// Index of its words in [`Schedule::caption`].
    pub(crate) caption: u16,
    /// The part of the session it belongs to.
    pub(crate) segment: SegmentKind,
}

impl Step {
    /// When it ends.
    fn end(&self) -> Micros {
        self.start + self.duration
    }
}

/// Where a moment falls in the session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BreathState {
    /// What the person is asked to do.
    pub(crate) phase: Phase,
    /// How far through the phase, 0 at its start up to (not including) 1.
    pub(crate) progress: f64,
    /// Lung fill, 0 (empty) to 1 (full), eased like a real breath: slow at
    /// the turns, fastest mid-breath.
    pub(crate) fill: f32,
    /// Time until the phase changes; 0 once the session is over.
    pub(crate) to_next: Micros,
    /// Index of the words to show, for [`Schedule::caption`].
    pub(crate) caption: u16,
    /// The part of the session.
    pub(crate) segment: SegmentKind,
}

impl BreathState {
    /// Whole seconds left in the phase, rounded up, as a countdown shows them.
    pub(crate) fn seconds_left(&self) -> u64 {
        self.to_next.div_ceil(MICROS_PER_S)
    }
}

/// A guided session laid out in time: answers [`Schedule::at`] for any moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    steps: Vec<Step>,
    captions: Vec<String>,
    done_caption: u16,
}

impl Schedule {
    /// Lays a plan out in time.
    pub(crate) fn build(plan: &Plan) -> Self {
        let mut b = Builder::new(&plan.captions);
        let target = plan.rhythm;
        let ramp_len: Micros = plan
            .segments
            .iter()
            .map(|s| match s {
                SegmentPlan::Ramp {
                    from_per_min,
                    step_per_min,
                } => ramp_periods(*from_per_min, *step_per_min, target)
                    .iter()
                    .sum(),
                _ => 0,
            })
            .sum();
        let fixed: Micros = plan
            .segments
            .iter()
            .map(|s| match s {
                SegmentPlan::Settle { duration, .. } | SegmentPlan::Close { duration, .. } => {
                    *duration
                }
                _ => 0,
            })
            .sum::<Micros>()
            + ramp_len;
        let mut hold_left = plan.length.saturating_sub(fixed);
        let mut spare: Micros = 0;
        for segment in &plan.segments {
            match segment {
                SegmentPlan::Settle { duration, captions } => {
                    b.lines(*duration, captions, SegmentKind::Settle);
                }
                SegmentPlan::Ramp {
                    from_per_min,
                    step_per_min,
                } => {
                    for period in ramp_periods(*from_per_min, *step_per_min, target) {
                        b.breath(&target.scaled_to(period), SegmentKind::Ramp);
                    }
                }
                SegmentPlan::Hold => {
                    spare += b.hold(target, plan.sets, &mut hold_left);
                }
                SegmentPlan::Close { duration, captions } => {
                    // Time the hold could not fill with whole breaths closes
                    // the session, so the session lasts its full length.
                    b.lines(*duration + spare, captions, SegmentKind::Close);
                    spare = 0;
                }
            }
        }
        b.finish()
    }

    /// Where `t` (from the session's start) falls: phase, progress, lung
    /// fill, time to the next change and words. Pure and exact: the same `t`
    /// always gives the same answer, and at a boundary the new phase starts
    /// with progress 0.
    pub(crate) fn at(&self, t: Micros) -> BreathState {
        // The last step starting at or before t.
        let index = self.steps.partition_point(|s| s.start <= t);
        let Some(step) = index.checked_sub(1).and_then(|i| self.steps.get(i)) else {
            return self.done();
        };
        if t >= step.end() {
            return self.done();
        }
        let into = t - step.start;
        let progress = into as f64 / step.duration as f64;
        let eased = ease(progress) as f32;
        BreathState {
            phase: step.phase,
            progress,
            fill: step.fill_from + (step.fill_to - step.fill_from) * eased,
            to_next: step.duration - into,
            caption: step.caption,
            segment: step.segment,
        }
    }

    /// The steps, in order, without gaps.
    #[cfg(test)]
    pub(crate) fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The whole session's length.
    pub(crate) fn length(&self) -> Micros {
        self.steps.last().map_or(0, Step::end)
    }

    /// The words with index `index` (from a [`BreathState`]).
    pub(crate) fn caption(&self, index: u16) -> &str {
        self.captions
            .get(usize::from(index))
            .map_or("", String::as_str)
    }

    /// The moments where what the person is asked to do changes: the start
    /// of each step whose phase differs from the one before, and the end of
    /// the session. The session's very start is not one.
    #[cfg(test)]
    fn changes(&self) -> impl Iterator<Item = Micros> + '_ {
        self.steps
            .windows(2)
            .filter(|pair| pair[0].phase != pair[1].phase)
            .map(|pair| pair[1].start)
            .chain(self.steps.last().map(Step::end))
    }

    /// The paced breath `t` falls in: when its breath in began and how long
    /// the whole breath lasts. `None` when `t` is not in a paced breath
    /// (settling in, a rest, the close, after the end).
    pub(crate) fn breath_at(&self, t: Micros) -> Option<(Micros, Micros)> {
        let index = self
            .steps
            .partition_point(|s| s.start <= t)
            .checked_sub(1)?;
        let step = &self.steps[index];
        if t >= step.end() || !step.phase.is_paced() {
            return None;
        }
        let begin = self.steps[..=index]
            .iter()
            .rposition(|s| s.phase == Phase::Inhale || !s.phase.is_paced())
            .filter(|&i| self.steps[i].phase == Phase::Inhale)?;
        let end = self.steps[index + 1..]
            .iter()
            .find(|s| s.phase == Phase::Inhale || !s.phase.is_paced())
            .map_or_else(|| self.length(), |s| s.start);
        let start = self.steps[begin].start;
        Some((start, end - start))
    }

    /// The first change at or after `t`, if any.
    pub(crate) fn next_change(&self, t: Micros) -> Option<Micros> {
        let index = self.steps.partition_point(|s| s.start < t);
        self.steps
            .iter()
            .enumerate()
            .skip(index)
            .find(|(i, s)| *i > 0 && self.steps[i - 1].phase != s.phase)
            .map(|(_, s)| s.start)
            .or_else(|| self.steps.last().map(Step::end).filter(|&end| end >= t))
    }

    fn done(&self) -> BreathState {
        BreathState {
            phase: Phase::Done,
            progress: 0.0,
            fill: 0.0,
            to_next: 0,
            caption: self.done_caption,
            segment: SegmentKind::Done,
        }
    }
}

/// The easing of a breath: a half cosine, so the lungs turn slowly at full
/// and empty and move fastest mid-breath. Continuous and monotonic on 0..1.
fn ease(progress: f64) -> f64 {
    0.5 - 0.5 * (std::f64::consts::PI * progress.clamp(0.0, 1.0)).cos()
}

struct Builder {
    steps: Vec<Step>,
    captions: Vec<String>,
    now: Micros,
    inhale: u16,
    top_up: u16,
    hold: u16,
    exhale: u16,
    rest: u16,
    done: u16,
}

impl Builder {
    fn new(words: &Captions) -> Self {
        let captions = vec![
            words.inhale.clone(),
            words.top_up.clone(),
            words.hold.clone(),
            words.exhale.clone(),
            words.rest.clone(),
            words.done.clone(),
        ];
        Self {
            steps: Vec::new(),
            captions,
            now: 0,
            inhale: 0,
            top_up: 1,
            hold: 2,
            exhale: 3,
            rest: 4,
            done: 5,
        }
    }

    fn push(
        &mut self,
        duration: Micros,
        phase: Phase,
        fill: (f32, f32),
        caption: u16,
        segment: SegmentKind,
    ) {
        if duration == 0 {
            return;
        }
        self.steps.push(Step {
            start: self.now,
            duration,
            phase,
            fill_from: fill.0,
            fill_to: fill.1,
            caption,
            segment,
        });
        self.now += duration;
    }

    fn caption(&mut self, text: &str) -> u16 {
        if let Some(i) = self.captions.iter().position(|c| c == text) {
            return i as u16;
        }
        self.captions.push(text.to_owned());
        (self.captions.len() - 1) as u16
    }

    /// Natural breathing for `duration`, the lines shown in turn.
    fn lines(&mut self, duration: Micros, lines: &[String], segment: SegmentKind) {
        if lines.is_empty() {
            let rest = self.rest;
            self.push(duration, Phase::Rest, (0.0, 0.0), rest, segment);
            return;
        }
        let n = lines.len() as Micros;
        let share = duration / n;
        for (i, line) in lines.iter().enumerate() {
            let caption = self.caption(line);
            // The last line takes the remainder, so the lines add up exactly.
            let d = if i + 1 == lines.len() {
                duration - share * (n - 1)
            } else {
                share
            };
            self.push(d, Phase::Rest, (0.0, 0.0), caption, segment);
        }
    }

    fn breath(&mut self, r: &Rhythm, segment: SegmentKind) {
        let top = if r.top_up > 0 { TOP_UP_FROM_FILL } else { 1.0 };
        let (inhale, top_up, hold, exhale) = (self.inhale, self.top_up, self.hold, self.exhale);
        self.push(r.inhale, Phase::Inhale, (0.0, top), inhale, segment);
        self.push(r.top_up, Phase::TopUp, (top, 1.0), top_up, segment);
        self.push(r.hold_in, Phase::HoldIn, (1.0, 1.0), hold, segment);
        self.push(r.exhale, Phase::Exhale, (1.0, 0.0), exhale, segment);
        self.push(r.hold_out, Phase::HoldOut, (0.0, 0.0), hold, segment);
    }

    /// Whole breaths of `r` (in sets, if any) while they fit in `left`;
    /// returns the time left over.
    fn hold(&mut self, r: Rhythm, sets: Option<Sets>, left: &mut Micros) -> Micros {
        let period = r.period();
        if period == 0 {
            return std::mem::take(left);
        }
        let mut in_set = 0u32;
        while *left >= period {
            if let Some(sets) = sets
                && in_set == sets.cycles.max(1)
            {
                // A rest only when a breath still fits after it.
                if *left < sets.rest + period {
                    break;
                }
                let rest = self.rest;
                self.push(sets.rest, Phase::Rest, (0.0, 0.0), rest, SegmentKind::Hold);
                *left -= sets.rest;
                in_set = 0;
                continue;
            }
            self.breath(&r, SegmentKind::Hold);
            *left -= period;
            in_set += 1;
        }
        std::mem::take(left)
    }

    fn finish(self) -> Schedule {
        Schedule {
            steps: self.steps,
            captions: self.captions,
            done_caption: self.done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breath::rhythm::per_minute;
    use crate::breath::time::{frames_from_micros, micros_from_frames, micros_from_s};

    fn s(seconds: f64) -> Micros {
        micros_from_s(seconds)
    }

    fn guided() -> Plan {
        Plan {
            length: s(300.0),
            rhythm: Rhythm::resonance(),
            sets: None,
            segments: vec![
                SegmentPlan::Settle {
                    duration: s(30.0),
                    captions: vec![
                        "Let your shoulders drop".into(),
                        "Notice your breath".into(),
                    ],
                },
                SegmentPlan::Ramp {
                    from_per_min: 11.0,
                    step_per_min: 0.75,
                },
                SegmentPlan::Hold,
                SegmentPlan::Close {
                    duration: s(20.0),
                    captions: vec!["Let your breath find its own pace".into()],
                },
            ],
            captions: Captions::default(),
        }
    }

    #[test]
    fn a_rhythm_alone_starts_pacing_at_once_with_exact_phase_starts() {
        let schedule = Schedule::build(&Plan::rhythm_only(Rhythm::box_breathing(), None, s(300.0)));
        let expected = [
            (0.0, Phase::Inhale),
            (4.0, Phase::HoldIn),
            (8.0, Phase::Exhale),
            (12.0, Phase::HoldOut),
            (16.0, Phase::Inhale),
        ];
        for (at, phase) in expected {
            let state = schedule.at(s(at));
            assert_eq!(state.phase, phase, "at {at} s");
            assert_eq!(state.progress, 0.0, "at {at} s");
            assert_eq!(state.to_next, s(4.0), "at {at} s");
        }
        // Just before a boundary, the old phase with 1 µs to go.
        let before = schedule.at(s(8.0) - 1);
        assert_eq!((before.phase, before.to_next), (Phase::HoldIn, 1));
        assert_eq!(schedule.length(), s(300.0) - s(300.0) % s(16.0));
    }

    #[test]
    fn boundaries_are_exact_after_an_hour() {
        let schedule = Schedule::build(&Plan::rhythm_only(Rhythm::resonance(), None, s(3700.0)));
        // 360 breaths of exactly 10 s: breath 360 starts at exactly 3600 s.
        let state = schedule.at(s(3600.0));
        assert_eq!(
            (state.phase, state.progress, state.to_next),
            (Phase::Inhale, 0.0, s(4.0))
        );
        let exhale = schedule.at(s(3604.0));
        assert_eq!(
            (exhale.phase, exhale.progress, exhale.fill),
            (Phase::Exhale, 0.0, 1.0)
        );
        // Every phase change is a whole number of seconds: nothing drifted.
        for t in schedule.changes() {
            assert_eq!(t % MICROS_PER_S, 0, "change at {t} µs");
        }
        // The same from samples: sample 3600 s x 48 kHz is exactly 3600 s.
        assert_eq!(micros_from_frames(3600 * 48_000, 48_000), s(3600.0));
        assert_eq!(frames_from_micros(s(3604.0), 44_100), 3604 * 44_100);
    }

    #[test]
    fn the_ramp_never_slows_by_more_than_one_breath_per_minute_per_breath() {
        for (from, step) in [(11.0, 0.75), (12.0, 1.0), (10.0, 0.5), (20.0, 1.0)] {
            let mut plan = guided();
            plan.segments[1] = SegmentPlan::Ramp {
                from_per_min: from,
                step_per_min: step,
            };
            let schedule = Schedule::build(&plan);
            let starts: Vec<Micros> = schedule
                .steps()
                .iter()
                .filter(|st| st.phase == Phase::Inhale)
                .map(|st| st.start)
                .collect();
            let rates: Vec<f64> = starts
                .windows(2)
                .map(|pair| per_minute(pair[1] - pair[0]))
                .collect();
            assert!((rates[0] - from).abs() < 1e-3, "first rate {}", rates[0]);
            for pair in rates.windows(2) {
                let slowed = pair[0] - pair[1];
                assert!(
                    (-1e-6..=step + 1e-4).contains(&slowed) && slowed <= 1.0 + 1e-4,
                    "from {from} by {step}: {} then {}",
                    pair[0],
                    pair[1]
                );
            }
            assert!((rates.last().copied().unwrap() - 6.0).abs() < 1e-9);
        }
    }

    #[test]
    fn a_guided_session_settles_ramps_holds_and_closes_in_its_length() {
        let schedule = Schedule::build(&guided());
        assert_eq!(schedule.length(), s(300.0));
        let first = schedule.at(0);
        assert_eq!(
            (first.phase, first.segment),
            (Phase::Rest, SegmentKind::Settle)
        );
        assert_eq!(schedule.caption(first.caption), "Let your shoulders drop");
        assert_eq!(
            schedule.caption(schedule.at(s(20.0)).caption),
            "Notice your breath"
        );
        let paced = schedule.at(s(30.0));
        assert_eq!(
            (paced.phase, paced.segment),
            (Phase::Inhale, SegmentKind::Ramp)
        );
        assert_eq!(schedule.caption(paced.caption), "Breathe in");
        let closing = schedule.at(s(299.0));
        assert_eq!(
            (closing.phase, closing.segment),
            (Phase::Rest, SegmentKind::Close)
        );
        let after = schedule.at(s(300.0));
        assert_eq!((after.phase, after.to_next), (Phase::Done, 0));
    }

    #[test]
    fn lung_fill_is_continuous_and_moves_one_way_within_inhale_and_exhale() {
        let mut plan = guided();
        plan.rhythm = Rhythm::cyclic_sighing();
        let schedule = Schedule::build(&plan);
        for pair in schedule.steps().windows(2) {
            assert_eq!(pair[0].end(), pair[1].start, "no gaps");
            assert_eq!(
                pair[0].fill_to, pair[1].fill_from,
                "no jumps at {}",
                pair[1].start
            );
        }
        // Sample densely: within a phase the fill moves only one way, and no
        // step between samples 10 ms apart is large.
        let mut last: Option<BreathState> = None;
        let mut t = 0;
        while t < schedule.length() {
            let now = schedule.at(t);
            assert!((0.0..=1.0).contains(&now.fill));
            if let Some(before) = last {
                assert!((now.fill - before.fill).abs() < 0.02, "jump at {t} µs");
                if before.phase == now.phase {
                    match now.phase {
                        Phase::Inhale | Phase::TopUp => assert!(now.fill >= before.fill),
                        Phase::Exhale => assert!(now.fill <= before.fill),
                        _ => assert_eq!(now.fill, before.fill),
                    }
                }
            }
            last = Some(now);
            t += 10_000;
        }
    }

    #[test]
    fn sets_rest_between_groups_of_cycles() {
        let schedule = Schedule::build(&Plan::rhythm_only(
            Rhythm::four_seven_eight(),
            Some(Sets::four_seven_eight()),
            s(300.0),
        ));
        let set = 6 * s(19.0);
        let rest = schedule.at(set);
        assert_eq!((rest.phase, rest.to_next), (Phase::Rest, s(30.0)));
        assert_eq!(schedule.caption(rest.caption), "Breathe normally");
        assert_eq!(schedule.at(set + s(30.0)).phase, Phase::Inhale);
    }

    #[test]
    fn changes_skip_repeated_phases_and_end_with_the_session() {
        let schedule = Schedule::build(&guided());
        let changes: Vec<Micros> = schedule.changes().collect();
        // The settle's two lines are one rest: the first change is the first
        // breath in.
        assert_eq!(changes[0], s(30.0));
        assert_eq!(*changes.last().unwrap(), s(300.0));
        assert_eq!(schedule.next_change(s(1.0)), Some(s(30.0)));
        assert_eq!(schedule.next_change(s(30.0)), Some(s(30.0)));
        assert_eq!(schedule.next_change(s(301.0)), None);
    }
}
