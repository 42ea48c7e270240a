//! The breathing model: rhythms, the plan of a guided session, and the
//! schedule that answers where in a breath any moment falls.
//!
//! Time is counted in whole microseconds from the start of the session. Every
//! phase starts at an integer sum of integer durations, so a boundary an hour
//! in is exactly where it should be: there is no accumulated floating-point
//! error, and the audio engine (which counts samples) and the picture (which
//! reads that count) agree on every boundary.

use std::sync::Arc;

/// A time or a duration, whole microseconds.
pub type Micros = u64;

/// Microseconds in a second.
pub const MICROS_PER_S: Micros = 1_000_000;

/// Lung fill at the end of the first inhale when a top-up inhale follows (the
/// cyclic sigh's second, shorter breath in fills the rest).
pub const TOP_UP_FROM_FILL: f32 = 0.8;

/// Seconds to microseconds, rounded to the nearest; negative and non-finite
/// values give 0 (validation keeps them out of files).
pub fn micros_from_s(seconds: f64) -> Micros {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * MICROS_PER_S as f64).round() as Micros
    } else {
        0
    }
}

/// The time at which sample frame `frames` starts, at `rate_hz`, rounded down
/// to the microsecond. Exact integer arithmetic: no drift at any length.
pub fn micros_from_frames(frames: u64, rate_hz: u32) -> Micros {
    (u128::from(frames) * u128::from(MICROS_PER_S) / u128::from(rate_hz.max(1))) as Micros
}

/// The first sample frame at or after time `t`, at `rate_hz`.
pub fn frames_from_micros(t: Micros, rate_hz: u32) -> u64 {
    (u128::from(t) * u128::from(rate_hz)).div_ceil(u128::from(MICROS_PER_S)) as u64
}

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
    pub fn is_paced(self) -> bool {
        !matches!(self, Phase::Rest | Phase::Done)
    }
}

/// One breath's phases, microseconds each; any may be zero except that a
/// breath needs some inhale and some exhale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rhythm {
    /// Breathing in.
    pub inhale: Micros,
    /// A short top-up breath in after the inhale; 0 for none.
    pub top_up: Micros,
    /// Holding after the inhale.
    pub hold_in: Micros,
    /// Breathing out.
    pub exhale: Micros,
    /// Holding after the exhale.
    pub hold_out: Micros,
}

impl Rhythm {
    /// A rhythm from seconds: inhale, hold after inhale, exhale, hold after
    /// exhale.
    pub fn from_seconds(inhale_s: f64, hold_in_s: f64, exhale_s: f64, hold_out_s: f64) -> Self {
        Self {
            inhale: micros_from_s(inhale_s),
            top_up: 0,
            hold_in: micros_from_s(hold_in_s),
            exhale: micros_from_s(exhale_s),
            hold_out: micros_from_s(hold_out_s),
        }
    }

    /// Resonance-frequency breathing: 6 breaths a minute, 4 s in and 6 s out
    /// (Lehrer and Gevirtz 2014). The default.
    pub fn resonance() -> Self {
        Self::from_seconds(4.0, 0.0, 6.0, 0.0)
    }

    /// Box breathing: 4 s in, hold 4 s, 4 s out, hold 4 s.
    pub fn box_breathing() -> Self {
        Self::from_seconds(4.0, 4.0, 4.0, 4.0)
    }

    /// 4-7-8: 4 s in, hold 7 s, 8 s out. Run in sets (see [`Sets::four_seven_eight`]).
    pub fn four_seven_eight() -> Self {
        Self::from_seconds(4.0, 7.0, 8.0, 0.0)
    }

    /// Cyclic sighing: a 3 s breath in through the nose, a 1 s top-up breath
    /// in, then a long 6 s breath out (Balban et al. 2023): 6 breaths a minute.
    pub fn cyclic_sighing() -> Self {
        Self {
            top_up: micros_from_s(1.0),
            ..Self::from_seconds(3.0, 0.0, 6.0, 0.0)
        }
    }

    /// One whole breath.
    pub fn period(&self) -> Micros {
        self.inhale + self.top_up + self.hold_in + self.exhale + self.hold_out
    }

    /// Breaths per minute.
    pub fn per_minute(&self) -> f64 {
        per_minute(self.period())
    }

    /// The same proportions stretched or shrunk to a whole breath of
    /// `period`. Rounding is given to the exhale so the phases add up to
    /// exactly `period`.
    pub fn scaled_to(&self, period: Micros) -> Self {
        let from = u128::from(self.period().max(1));
        let scale = |d: Micros| (u128::from(d) * u128::from(period) / from) as Micros;
        let mut out = Self {
            inhale: scale(self.inhale),
            top_up: scale(self.top_up),
            hold_in: scale(self.hold_in),
            exhale: 0,
            hold_out: scale(self.hold_out),
        };
        out.exhale = period - (out.inhale + out.top_up + out.hold_in + out.hold_out);
        out
    }
}

/// Breaths per minute for a breath lasting `period`.
pub fn per_minute(period: Micros) -> f64 {
    60.0 * MICROS_PER_S as f64 / period.max(1) as f64
}

/// Paced breaths in sets, with natural breathing between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sets {
    /// Paced breaths in a set.
    pub cycles: u32,
    /// Natural breathing between sets.
    pub rest: Micros,
}

impl Sets {
    /// 4-7-8 is run in sets of about six cycles with normal breathing between.
    pub fn four_seven_eight() -> Self {
        Self {
            cycles: 6,
            rest: micros_from_s(30.0),
        }
    }
}

/// The words shown (and, in a guide's voice, said) for each phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseCaptions {
    /// Breathing in.
    pub inhale: String,
    /// The top-up breath in.
    pub top_up: String,
    /// Either hold.
    pub hold: String,
    /// Breathing out.
    pub exhale: String,
    /// Natural breathing between sets.
    pub rest: String,
    /// After the session.
    pub done: String,
}

impl Default for PhaseCaptions {
    fn default() -> Self {
        Self {
            inhale: "Breathe in".into(),
            top_up: "A little more".into(),
            hold: "Hold".into(),
            exhale: "Breathe out".into(),
            rest: "Breathe normally".into(),
            done: "Well done. Take your time before you get up.".into(),
        }
    }
}

/// One part of a guided session.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentPlan {
    /// Natural breathing while settling in, with the guide's lines shown in
    /// turn, each for an equal share of the time.
    Settle {
        /// How long.
        duration: Micros,
        /// The guide's lines.
        captions: Vec<String>,
    },
    /// Paced breaths from a natural rate down to the target rhythm's rate.
    Ramp {
        /// Breaths per minute of the first paced breath.
        from_per_min: f64,
        /// How much slower each breath is than the one before, breaths per
        /// minute. At most 1.
        step_per_min: f64,
    },
    /// The target rhythm, for the rest of the session's length.
    Hold,
    /// Natural breathing to close, with the guide's lines.
    Close {
        /// How long (any time the hold could not fill is added).
        duration: Micros,
        /// The guide's lines.
        captions: Vec<String>,
    },
}

/// Which part of the session a moment is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentKind {
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

/// A guided session, before it is laid out in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The whole session.
    pub length: Micros,
    /// The target rhythm.
    pub rhythm: Rhythm,
    /// Sets of the target rhythm with rests between, if any.
    pub sets: Option<Sets>,
    /// The parts, in order.
    pub segments: Vec<SegmentPlan>,
    /// Words for each phase.
    pub captions: PhaseCaptions,
}

impl Plan {
    /// The default: 5 minutes of resonance breathing, paced from the first
    /// breath.
    pub fn rhythm_only(rhythm: Rhythm, sets: Option<Sets>, length: Micros) -> Self {
        Self {
            length,
            rhythm,
            sets,
            segments: vec![SegmentPlan::Hold],
            captions: PhaseCaptions::default(),
        }
    }
}

/// One phase laid out in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// When it starts, from the session's start.
    pub start: Micros,
    /// How long it lasts (never 0).
    pub duration: Micros,
    /// What the person does.
    pub phase: Phase,
    /// Lung fill at the start, 0..1.
    pub fill_from: f32,
    /// Lung fill at the end, 0..1.
    pub fill_to: f32,
    /// Index of its words in [`Schedule::caption`].
    pub caption: u16,
    /// The part of the session it belongs to.
    pub segment: SegmentKind,
}

impl Step {
    /// When it ends.
    pub fn end(&self) -> Micros {
        self.start + self.duration
    }
}

/// Where a moment falls in the session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreathState {
    /// What the person is asked to do.
    pub phase: Phase,
    /// How far through the phase, 0 at its start up to (not including) 1.
    pub progress: f64,
    /// Lung fill, 0 (empty) to 1 (full), eased like a real breath: slow at
    /// the turns, fastest mid-breath.
    pub fill: f32,
    /// Time until the phase changes; 0 once the session is over.
    pub to_next: Micros,
    /// Index of the words to show, for [`Schedule::caption`].
    pub caption: u16,
    /// The part of the session.
    pub segment: SegmentKind,
}

impl BreathState {
    /// Whole seconds left in the phase, rounded up, as a countdown shows them.
    pub fn seconds_left(&self) -> u64 {
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

/// A schedule shared between the audio thread and the picture.
pub type SharedSchedule = Arc<Schedule>;

impl Schedule {
    /// Lays a plan out in time.
    pub fn build(plan: &Plan) -> Self {
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
    pub fn at(&self, t: Micros) -> BreathState {
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
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The whole session's length.
    pub fn length(&self) -> Micros {
        self.steps.last().map_or(0, Step::end)
    }

    /// The words with index `index` (from a [`BreathState`]).
    pub fn caption(&self, index: u16) -> &str {
        self.captions
            .get(usize::from(index))
            .map_or("", String::as_str)
    }

    /// The moments where what the person is asked to do changes: the start
    /// of each step whose phase differs from the one before, and the end of
    /// the session. The session's very start is not one.
    pub fn changes(&self) -> impl Iterator<Item = Micros> + '_ {
        self.steps
            .windows(2)
            .filter(|pair| pair[0].phase != pair[1].phase)
            .map(|pair| pair[1].start)
            .chain(self.steps.last().map(Step::end))
    }

    /// The paced breath `t` falls in: when its breath in began and how long
    /// the whole breath lasts. `None` when `t` is not in a paced breath
    /// (settling in, a rest, the close, after the end).
    pub fn breath_at(&self, t: Micros) -> Option<(Micros, Micros)> {
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
    pub fn next_change(&self, t: Micros) -> Option<Micros> {
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
pub fn ease(progress: f64) -> f64 {
    0.5 - 0.5 * (std::f64::consts::PI * progress.clamp(0.0, 1.0)).cos()
}

/// Whole-breath periods of a ramp: from `from_per_min` down by
/// `step_per_min` a breath, stopping before the target rate is reached (the
/// hold's first breath is the target). Empty when the start is not faster.
pub fn ramp_periods(from_per_min: f64, step_per_min: f64, target: Rhythm) -> Vec<Micros> {
    let target_rate = target.per_minute();
    let mut periods = Vec::new();
    if step_per_min.is_nan() || step_per_min <= 0.0 || !from_per_min.is_finite() {
        return periods;
    }
    let mut k = 0u32;
    loop {
        // Each rate is computed from the start, not by repeated subtraction,
        // so no error builds up over a long ramp.
        let rate = from_per_min - f64::from(k) * step_per_min;
        if rate <= target_rate + 1e-9 || k >= 1000 {
            break;
        }
        periods.push(micros_from_s(60.0 / rate));
        k += 1;
    }
    periods
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
    fn new(words: &PhaseCaptions) -> Self {
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
            captions: PhaseCaptions::default(),
        }
    }

    #[test]
    fn presets_have_their_published_timings() {
        let r = Rhythm::resonance();
        assert_eq!(
            (r.inhale, r.hold_in, r.exhale, r.hold_out),
            (s(4.0), 0, s(6.0), 0)
        );
        assert_eq!(r.per_minute(), 6.0);
        let b = Rhythm::box_breathing();
        assert_eq!([b.inhale, b.hold_in, b.exhale, b.hold_out], [s(4.0); 4]);
        let f = Rhythm::four_seven_eight();
        assert_eq!(
            (f.inhale, f.hold_in, f.exhale, f.hold_out),
            (s(4.0), s(7.0), s(8.0), 0)
        );
        let c = Rhythm::cyclic_sighing();
        assert!(c.top_up > 0 && c.top_up < c.inhale && c.exhale > c.inhale + c.top_up);
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
