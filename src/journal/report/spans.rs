//! What the report reads out of a record beyond its entries: when the
//! session ended, the spans in which it was paused, in the safe place or at
//! a step, and the session time spent at each step.

use crate::journal::EntryKind;
use crate::journal::store::SessionRecord;

/// When a session ended: as it said, or at its last entry. A correction
/// or a note closed later is not part of its time.
pub(super) fn ended_ms(record: &SessionRecord) -> i64 {
    let last = record
        .entries
        .iter()
        .rev()
        .find(|e| !matches!(e.kind, EntryKind::Correction | EntryKind::NoteClosed))
        .map_or(0, |e| e.wall_ms);
    record
        .session
        .ended_ms
        .unwrap_or(last)
        .max(record.session.started_ms)
        .max(last)
}

/// Spans of wall time (from the session's start, ms) in which something
/// held: pauses (any reason), the safe place, steps.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Spans {
    /// Paused: from, to, the reasons.
    pub(super) paused: Vec<(i64, i64, String)>,
    /// In the safe place: from, to.
    pub(super) safe: Vec<(i64, i64)>,
    /// At a step: from, to, the scene (its index in the record's scenes),
    /// the step (from 1).
    pub(super) steps: Vec<(i64, i64, usize, i64)>,
}

/// The spans in which something held in `record`.
pub(super) fn spans(record: &SessionRecord) -> Spans {
    let start = record.session.started_ms;
    let end = ended_ms(record) - start;
    let mut out = Spans::default();
    let mut reasons: Vec<String> = Vec::new();
    let mut paused_since = None;
    let mut all_reasons: Vec<String> = Vec::new();
    let mut safe_since = None;
    let mut step: Option<(i64, usize, i64)> = None;
    for entry in &record.entries {
        let t = entry.wall_ms - start;
        match entry.kind {
            EntryKind::Paused => {
                if !reasons.contains(&entry.text) {
                    reasons.push(entry.text.clone());
                }
                if !all_reasons.contains(&entry.text) {
                    all_reasons.push(entry.text.clone());
                }
                paused_since.get_or_insert(t);
            }
            EntryKind::Resumed => {
                reasons.retain(|r| r != &entry.text);
                if reasons.is_empty()
                    && let Some(from) = paused_since.take()
                {
                    out.paused.push((from, t, all_reasons.join(", ")));
                    all_reasons.clear();
                }
            }
            EntryKind::SafeEntered => {
                safe_since.get_or_insert(t);
            }
            EntryKind::SafeLeft => {
                if let Some(from) = safe_since.take() {
                    out.safe.push((from, t));
                }
            }
            EntryKind::Start | EntryKind::Step => {
                if let Some(n) = entry.step {
                    if let Some((from, scene, was)) = step.take() {
                        out.steps.push((from, t, scene, was));
                    }
                    step = Some((t, scene_index(record, &entry.scene), n));
                }
            }
            // Another scene: the step of the one left ends there.
            EntryKind::SceneEntered => {
                if let Some((from, scene, was)) = step.take() {
                    out.steps.push((from, t, scene, was));
                }
            }
            _ => {}
        }
    }
    if let Some(from) = paused_since {
        out.paused.push((from, end, all_reasons.join(", ")));
    }
    if let Some(from) = safe_since {
        out.safe.push((from, end));
    }
    if let Some((from, scene, n)) = step {
        out.steps.push((from, end, scene, n));
    }
    out
}

/// Where `scene` is in the record's scenes (the first when it is not
/// there).
pub(super) fn scene_index(record: &SessionRecord, scene: &str) -> usize {
    record
        .scenes
        .iter()
        .position(|s| s.scene == scene)
        .unwrap_or(0)
}

/// Session time (the sound heard, pauses not counted) spent at each step:
/// the scene's index, the step (from 1), microseconds. Measured from the
/// entries' session times, so a pause, at any step or before the start,
/// counts for none.
pub(super) fn time_at_steps(record: &SessionRecord) -> Vec<(usize, i64, i64)> {
    let s = &record.session;
    let end_us = s.started_at_us + s.length_us;
    let mut out: Vec<(usize, i64, i64)> = Vec::new();
    let mut add = |scene: usize, n: i64, us: i64| match out
        .iter_mut()
        .find(|(sc, m, _)| *sc == scene && *m == n)
    {
        Some(found) => found.2 += us.max(0),
        None => out.push((scene, n, us.max(0))),
    };
    let mut at: Option<(i64, usize, i64)> = None;
    for entry in &record.entries {
        match entry.kind {
            EntryKind::Start | EntryKind::Step if entry.step.is_some() => {
                if let Some((since, scene, n)) = at.take() {
                    add(scene, n, entry.at_us - since);
                }
                let n = entry.step.unwrap_or(1);
                at = Some((entry.at_us, scene_index(record, &entry.scene), n));
            }
            EntryKind::SceneEntered => {
                if let Some((since, scene, n)) = at.take() {
                    add(scene, n, entry.at_us - since);
                }
            }
            _ => {}
        }
    }
    if let Some((since, scene, n)) = at {
        add(scene, n, end_us - since);
    }
    out
}

/// The name of step `step` (counted from 1) of the scene at `scene` in the
/// record's scenes.
pub(super) fn step_name(record: &SessionRecord, scene: usize, step: i64) -> String {
    usize::try_from(step - 1)
        .ok()
        .and_then(|i| record.scenes.get(scene)?.steps.get(i))
        .map_or_else(|| format!("step {step}"), |(name, _)| name.clone())
}
