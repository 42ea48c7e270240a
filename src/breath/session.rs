//! Session files: checks of meaning, the `--rhythm` shorthand, and the
//! conversion from the file format to a [`Plan`].

use std::path::Path;
use std::sync::Arc;

use super::format::*;
use super::plan::{Plan, SegmentPlan, ramp_periods};
use super::rhythm::{Rhythm, Sets};
use super::schedule::Schedule;
use super::time::{Micros, micros_from_s};
use crate::diagnostics::{Checker, FileErrors, PathStep, Problem, parse_ron_file, read_limited};

/// Longest session, minutes.
const MAX_MINUTES: f32 = 60.0;
/// Shortest session, minutes.
const MIN_MINUTES: f32 = 1.0;
/// Longest phase, seconds: a minute's hold is already far past comfortable.
const MAX_PHASE_S: f32 = 60.0;
/// Shortest phase that is not left out, seconds: shorter cannot be followed.
const MIN_PHASE_S: f32 = 0.5;
/// Most lines in a settle or close part.
const MAX_LINES: usize = 20;
/// Longest caption, characters: one line under the pacer.
const MAX_CAPTION_CHARS: usize = 60;
/// Most parts in a session: settling in, a ramp, the hold and a close need
/// four; a few more leave room for a session of several settles.
const MAX_SEGMENTS: usize = 12;

/// A session ready to run: its schedule and which pacer sounds it plays.
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    /// Name of the session.
    pub(crate) title: String,
    /// The session laid out in time, shared with the audio thread.
    pub schedule: Arc<Schedule>,
    /// The pacer sounds the session asks for.
    pub sounds: PacerSounds,
    /// The controller pulses the session asks for, in the headset.
    pub(crate) haptics: Haptics,
}

impl Guide {
    /// A guide from a checked session file; `rhythm` (from `--rhythm`)
    /// replaces the file's rhythm when given, as long as the session still
    /// has room to hold it (a much slower rhythm makes a longer ramp).
    pub fn from_file(
        file: &SessionFile,
        rhythm: Option<(Rhythm, Option<Sets>)>,
    ) -> Result<Self, String> {
        let mut plan = plan_of(file);
        if let Some((r, sets)) = rhythm {
            plan.rhythm = r;
            plan.sets = sets;
        }
        if let Some(problem) = room_to_hold(&plan).or(ramp_too_fast(&plan).map(|(_, p)| p)) {
            return Err(format!("{}: {problem}", file.title));
        }
        Ok(Self {
            title: file.title.clone(),
            schedule: Arc::new(Schedule::build(&plan)),
            sounds: file.sounds,
            haptics: file.haptics,
        })
    }

    /// `--rhythm` on its own: that rhythm from the first breath, 5 minutes
    /// (or `minutes`), with the default sounds.
    pub fn rhythm_only(rhythm: Rhythm, sets: Option<Sets>, minutes: f32) -> Self {
        let length = micros_from_s(f64::from(minutes) * 60.0);
        Self {
            title: "Breathing rhythm".into(),
            schedule: Arc::new(Schedule::build(&Plan::rhythm_only(rhythm, sets, length))),
            sounds: PacerSounds::default(),
            haptics: Haptics::default(),
        }
    }
}

impl Guide {
    /// This guide's pacer going on at `rhythm` instead, for `length`: from a
    /// breath of `from_per_min` breaths a minute (the one the person is
    /// breathing; a natural rate when they are not paced) it slows by at
    /// most one breath a minute per breath, as a session's ramp does, then
    /// holds the rhythm. A faster rhythm starts at once. Its title, sounds
    /// and pulses stay.
    pub(crate) fn retimed(
        &self,
        rhythm: Rhythm,
        sets: Option<Sets>,
        from_per_min: Option<f64>,
        length: Micros,
    ) -> Self {
        let from = from_per_min.unwrap_or(f64::from(defaults::ramp_from()));
        let plan = Plan {
            length,
            rhythm,
            sets,
            segments: vec![
                SegmentPlan::Ramp {
                    from_per_min: from,
                    step_per_min: 1.0,
                },
                SegmentPlan::Hold,
            ],
            captions: Captions::default(),
        };
        Self {
            title: self.title.clone(),
            schedule: Arc::new(Schedule::build(&plan)),
            sounds: self.sounds,
            haptics: self.haptics,
        }
    }
}

/// Reads and checks a session file.
pub fn load_session(path: &Path) -> Result<SessionFile, FileErrors> {
    let name = path.display().to_string();
    let bytes = read_limited(path, &name, "session file")?;
    parse_session(&name, &bytes)
}

/// Parses and checks a session file's bytes; errors name `file`, a line and
/// a column.
fn parse_session(file: &str, bytes: &[u8]) -> Result<SessionFile, FileErrors> {
    parse_ron_file(file, bytes, "session", validate_session)
}

/// Parses a `--rhythm` value: a preset name (`resonance`, `box`, `4-7-8`,
/// `sighing`) or four numbers of seconds, `IN,HOLD,OUT,HOLD` such as
/// `4,0,6,0`.
pub fn parse_rhythm(text: &str) -> Result<(Rhythm, Option<Sets>), String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "resonance" => return Ok((Rhythm::resonance(), None)),
        "box" => return Ok((Rhythm::box_breathing(), None)),
        "4-7-8" | "478" => return Ok((Rhythm::four_seven_eight(), Some(Sets::four_seven_eight()))),
        "sighing" | "cyclic-sighing" => return Ok((Rhythm::cyclic_sighing(), None)),
        _ => {}
    }
    let usage = "expected a preset (resonance, box, 4-7-8, sighing) or four numbers of seconds IN,HOLD,OUT,HOLD such as 4,0,6,0";
    let numbers: Vec<f32> = text
        .split(',')
        .map(|part| part.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("`{text}`: {usage}"))?;
    let [inhale_s, hold_in_s, exhale_s, hold_out_s] = numbers[..] else {
        return Err(format!("`{text}` has {} numbers; {usage}", numbers.len()));
    };
    let custom = CustomRhythm {
        inhale_s,
        top_up_s: 0.0,
        hold_in_s,
        exhale_s,
        hold_out_s,
        sets: None,
    };
    let mut c = Checker::default();
    custom_rhythm(&mut c, &custom);
    if let Some(problem) = c.problems.first() {
        let field = match problem.path.last() {
            Some(PathStep::Field(name)) => *name,
            _ => "rhythm",
        };
        return Err(format!("`{text}`: {field} {}", problem.message));
    }
    Ok(rhythm_of(&RhythmSpec::Custom(custom)))
}

/// Checks a parsed session.
fn validate_session(session: &SessionFile) -> Vec<Problem> {
    let mut c = Checker::default();
    c.text("title", &session.title, 80);
    if session.description.chars().count() > 200 {
        c.problem(
            "description",
            "is longer than 200 characters; expected one line".into(),
        );
    }
    c.range(
        "minutes",
        session.minutes,
        MIN_MINUTES,
        MAX_MINUTES,
        "minutes",
    );
    if let RhythmSpec::Custom(custom) = &session.rhythm {
        c.within("rhythm", |c| custom_rhythm(c, custom));
    }
    c.within("captions", |c| {
        let w = &session.captions;
        for (field, text) in [
            ("inhale", &w.inhale),
            ("top_up", &w.top_up),
            ("hold", &w.hold),
            ("exhale", &w.exhale),
            ("rest", &w.rest),
            ("done", &w.done),
        ] {
            c.text(field, text, MAX_CAPTION_CHARS);
        }
    });
    c.within("haptics", |c| {
        let h = &session.haptics;
        for (field, buzz) in [
            ("inhale", &h.inhale),
            ("hold", &h.hold),
            ("exhale", &h.exhale),
        ] {
            if let Buzz::Pulses(p) = buzz {
                c.within(field, |c| {
                    c.range("count", f32::from(p.count), 1.0, 4.0, "pulses");
                    c.range("length_ms", f32::from(p.length_ms), 10.0, 500.0, "ms");
                    c.range("gap_ms", f32::from(p.gap_ms), 0.0, 500.0, "ms");
                    c.range("strength", p.strength, 0.05, 0.5, "");
                });
            }
        }
    });
    c.list_len("segments", session.segments.len(), MAX_SEGMENTS, "parts");
    let mut holds = 0;
    let mut ramp_after_hold = false;
    c.within("segments", |c| {
        for (i, segment) in session.segments.iter().enumerate() {
            c.item(i, |c| match segment {
                Segment::Settle { seconds, captions } | Segment::Close { seconds, captions } => {
                    c.range("seconds", *seconds, 5.0, 600.0, "s");
                    lines(c, captions);
                }
                Segment::Ramp {
                    from_per_min,
                    step_per_min,
                } => {
                    c.item(0, |c| {
                        c.range(
                            "from_per_min",
                            *from_per_min,
                            3.0,
                            20.0,
                            "breaths per minute",
                        );
                        c.range(
                            "step_per_min",
                            *step_per_min,
                            0.1,
                            1.0,
                            "breaths per minute per breath",
                        );
                    });
                    if holds > 0 {
                        ramp_after_hold = true;
                    }
                }
                Segment::Hold => holds += 1,
            });
        }
    });
    if holds != 1 {
        c.problem(
            "segments",
            format!("has {holds} `Hold` parts; expected exactly one, where the rhythm is held"),
        );
    }
    if ramp_after_hold {
        c.problem(
            "segments",
            "has a `Ramp` after the `Hold`; expected the ramp to lead into the hold".into(),
        );
    }
    // The fixed parts must leave room for at least one breath of the hold.
    if c.problems.is_empty() {
        let plan = plan_of(session);
        if let Some((index, problem)) = ramp_too_fast(&plan) {
            c.within("segments", |c| {
                c.item(index, |c| c.problem("from_per_min", problem))
            });
        } else if let Some(problem) = room_to_hold(&plan) {
            c.problem("minutes", problem);
        }
    }
    c.problems
}

/// Whether the settle, ramp and close leave room for at least one breath of
/// the rhythm; if not, what is wrong.
fn room_to_hold(plan: &Plan) -> Option<String> {
    let fixed: Micros = plan
        .segments
        .iter()
        .map(|s| match s {
            SegmentPlan::Settle { duration, .. } | SegmentPlan::Close { duration, .. } => *duration,
            SegmentPlan::Ramp {
                from_per_min,
                step_per_min,
            } => ramp_periods(*from_per_min, *step_per_min, plan.rhythm)
                .iter()
                .sum(),
            SegmentPlan::Hold => 0,
        })
        .sum();
    (fixed + plan.rhythm.period() > plan.length).then(|| {
        format!(
            "{:.1} minutes leaves no time to hold the rhythm: the settle, ramp and close take {:.0} s; expected a longer session or shorter parts",
            plan.length as f64 / 60e6,
            fixed as f64 / 1e6
        )
    })
}

/// A ramp that starts so fast that a phase of the rhythm, shrunk with it,
/// is under [`MIN_PHASE_S`] (too short to follow, and it would chime in a
/// flurry): the segment's index and what is wrong.
fn ramp_too_fast(plan: &Plan) -> Option<(usize, String)> {
    for (index, segment) in plan.segments.iter().enumerate() {
        if let SegmentPlan::Ramp {
            from_per_min,
            step_per_min,
        } = segment
            && let Some(&first) = ramp_periods(*from_per_min, *step_per_min, plan.rhythm).first()
        {
            let r = plan.rhythm.scaled_to(first);
            let shortest = [r.inhale, r.top_up, r.hold_in, r.exhale, r.hold_out]
                .into_iter()
                .filter(|&d| d > 0)
                .min()
                .unwrap_or(0);
            if shortest < micros_from_s(f64::from(MIN_PHASE_S)) {
                return Some((
                    index,
                    format!(
                        "a ramp from {from_per_min} breaths a minute shortens a phase of this rhythm to {:.2} s; expected every phase at least {MIN_PHASE_S} s (start the ramp slower)",
                        shortest as f64 / 1e6
                    ),
                ));
            }
        }
    }
    None
}

/// The plan a checked session file describes.
fn plan_of(session: &SessionFile) -> Plan {
    let (rhythm, sets) = rhythm_of(&session.rhythm);
    let w = &session.captions;
    Plan {
        length: micros_from_s(f64::from(session.minutes) * 60.0),
        rhythm,
        sets,
        segments: session
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Settle { seconds, captions } => SegmentPlan::Settle {
                    duration: micros_from_s(f64::from(*seconds)),
                    captions: captions.clone(),
                },
                Segment::Ramp {
                    from_per_min,
                    step_per_min,
                } => SegmentPlan::Ramp {
                    from_per_min: f64::from(*from_per_min),
                    step_per_min: f64::from(*step_per_min),
                },
                Segment::Hold => SegmentPlan::Hold,
                Segment::Close { seconds, captions } => SegmentPlan::Close {
                    duration: micros_from_s(f64::from(*seconds)),
                    captions: captions.clone(),
                },
            })
            .collect(),
        captions: w.clone(),
    }
}

/// The rhythm and sets a spec names.
fn rhythm_of(spec: &RhythmSpec) -> (Rhythm, Option<Sets>) {
    match spec {
        RhythmSpec::Resonance => (Rhythm::resonance(), None),
        RhythmSpec::Box => (Rhythm::box_breathing(), None),
        RhythmSpec::FourSevenEight => (Rhythm::four_seven_eight(), Some(Sets::four_seven_eight())),
        RhythmSpec::CyclicSighing => (Rhythm::cyclic_sighing(), None),
        RhythmSpec::Custom(c) => {
            let mut rhythm = Rhythm::from_seconds(
                f64::from(c.inhale_s),
                f64::from(c.hold_in_s),
                f64::from(c.exhale_s),
                f64::from(c.hold_out_s),
            );
            rhythm.top_up = micros_from_s(f64::from(c.top_up_s));
            let sets = c.sets.as_ref().map(|s| Sets {
                cycles: s.cycles,
                rest: micros_from_s(f64::from(s.rest_s)),
            });
            (rhythm, sets)
        }
    }
}

fn custom_rhythm(c: &mut Checker, r: &CustomRhythm) {
    c.range("inhale_s", r.inhale_s, 1.0, MAX_PHASE_S, "s");
    c.range("exhale_s", r.exhale_s, 1.0, MAX_PHASE_S, "s");
    for (field, value) in [
        ("top_up_s", r.top_up_s),
        ("hold_in_s", r.hold_in_s),
        ("hold_out_s", r.hold_out_s),
    ] {
        if value != 0.0 {
            c.range(field, value, MIN_PHASE_S, MAX_PHASE_S, "s (or 0 for none)");
        }
    }
    if let Some(sets) = &r.sets {
        c.within("sets", |c| {
            c.count_between("cycles", sets.cycles, 1, 100);
            c.range("rest_s", sets.rest_s, 5.0, 300.0, "s");
        });
    }
}

fn lines(c: &mut Checker, captions: &[String]) {
    if captions.len() > MAX_LINES {
        c.problem(
            "captions",
            format!("has {} lines; expected at most {MAX_LINES}", captions.len()),
        );
        return;
    }
    c.within("captions", |c| {
        for (i, line) in captions.iter().enumerate() {
            c.item(i, |c| {
                if line.trim().is_empty() || line.chars().count() > MAX_CAPTION_CHARS {
                    let path = c.at.clone();
                    c.problem_at(
                        path,
                        format!("expected a line of 1 to {MAX_CAPTION_CHARS} characters"),
                    );
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_offered_is_a_rhythm_the_app_takes() {
        for preset in crate::breath::rhythm::PRESETS {
            assert!(parse_rhythm(preset.name).is_ok(), "{}", preset.name);
        }
    }

    #[test]
    fn rhythm_shorthand_takes_presets_and_four_numbers() {
        assert_eq!(parse_rhythm("4,0,6,0").unwrap().0, Rhythm::resonance());
        assert_eq!(parse_rhythm(" box ").unwrap().0, Rhythm::box_breathing());
        assert!(parse_rhythm("4-7-8").unwrap().1.is_some());
        let err = parse_rhythm("4,0,6").unwrap_err();
        assert!(err.contains("3 numbers"), "{err}");
        let err = parse_rhythm("0.2,0,6,0").unwrap_err();
        assert!(err.contains("inhale_s"), "{err}");
        assert!(parse_rhythm("4,0,6,nan").is_err());
        assert!(parse_rhythm("4,0,6,100").is_err());
    }

    #[test]
    fn a_session_errors_point_at_the_line() {
        let text = "(\n  title: \"Evening\",\n  minutes: 90,\n  segments: [Hold, Ramp(step_per_min: 2.0)],\n)";
        let errors = parse_session("evening.ron", text.as_bytes()).unwrap_err();
        let lines: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("evening.ron:3:12: minutes: 90")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("evening.ron:4:") && l.contains("step_per_min")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("after the `Hold`")),
            "{lines:?}"
        );
    }

    #[test]
    fn a_custom_rhythm_is_written_with_one_pair_of_brackets() {
        let text = "(title: \"Mine\",\n rhythm: Custom(inhale_s: 4, hold_in_s: 2, exhale_s: 90))";
        let errors = parse_session("mine.ron", text.as_bytes()).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert!(
            errors
                .to_string()
                .starts_with("mine.ron:2:54: rhythm.exhale_s: 90 s is out of range"),
            "{errors}"
        );
        let ok = parse_session(
            "ok.ron",
            b"(title: \"x\", rhythm: Custom(inhale_s: 4, exhale_s: 6))",
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn haptics_are_set_or_turned_off_per_phase_and_checked_where_written() {
        let text = "(title: \"Felt\",\n haptics: (\n  hold: Off,\n  exhale: Pulses(count: 2, length_ms: 60, gap_ms: 60, strength: 0.3),\n ),\n)";
        let session = parse_session("felt.ron", text.as_bytes()).expect("valid");
        let guide = Guide::from_file(&session, None).expect("a guide");
        assert_eq!(guide.haptics.hold, Buzz::Off);
        assert_eq!(guide.haptics.inhale, Haptics::default().inhale);
        assert_eq!(
            guide.haptics.exhale,
            Buzz::Pulses(Pulses {
                count: 2,
                length_ms: 60,
                gap_ms: 60,
                strength: 0.3
            })
        );
        let strong = text.replace("strength: 0.3", "strength: 0.9");
        let errors = parse_session("felt.ron", strong.as_bytes()).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert!(
            errors
                .to_string()
                .starts_with("felt.ron:4:65: haptics.exhale.strength: 0.9"),
            "{errors}"
        );
    }

    #[test]
    fn a_ramp_too_fast_for_the_rhythm_is_refused() {
        // Box breathing at 20 a minute would be 0.75 s a phase: fine. With a
        // top-up of a tenth of the breath, 20 a minute makes it 0.3 s.
        let text = "(title: \"x\", rhythm: Custom(inhale_s: 3, top_up_s: 1, exhale_s: 6), segments: [Ramp(from_per_min: 20, step_per_min: 1), Hold])";
        let errors = parse_session("x.ron", text.as_bytes()).unwrap_err();
        assert!(
            errors.to_string().contains("start the ramp slower"),
            "{errors}"
        );
        let box_ok = "(title: \"x\", rhythm: Box, segments: [Ramp(from_per_min: 20, step_per_min: 1), Hold])";
        assert!(parse_session("x.ron", box_ok.as_bytes()).is_ok());
    }

    #[test]
    fn parts_that_leave_no_room_to_hold_are_refused() {
        let text =
            "(title: \"x\", minutes: 1, segments: [Settle(seconds: 40), Hold, Close(seconds: 30)])";
        let errors = parse_session("x.ron", text.as_bytes()).unwrap_err();
        assert!(errors.to_string().contains("no time to hold"), "{errors}");
    }
}
