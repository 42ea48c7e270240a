//! A client's progress across their sessions: per session the date, the
//! plan, the highest step reached, the minutes and the peak SUDS at each
//! step, what they expected of each step against what they found, their
//! safety behaviours (the pacer, the safe place) and their questionnaires.
//! As a printable page with a chart of the peak SUDS at each step from
//! session to session (between-session habituation), a table (CSV) or
//! data (JSON). From the record alone, so the same record gives the same
//! bytes.

use std::fmt::Write as _;

use serde::Serialize;

use super::dates::utc;
use super::spans::{scene_index, step_name, time_at_steps};
use crate::journal::EntryKind;
use crate::journal::store::SessionRecord;

/// A client's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The client's code.
    pub client: String,
    /// Their sessions, oldest first.
    pub sessions: Vec<SessionProgress>,
}

/// One session, as progress counts it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionProgress {
    /// Its number in the record.
    pub session: i64,
    /// Its date (UTC).
    pub date: String,
    /// The plan in force (the last named in the session), if any.
    pub plan: Option<i64>,
    /// The highest step reached, of its first scene.
    pub highest_step: Option<i64>,
    /// Each step it was at.
    pub steps: Vec<StepProgress>,
    /// How often the client turned to the pacer.
    pub pacer_uses: usize,
    /// How often they went to the safe place.
    pub safe_place_visits: usize,
    /// The questionnaires given.
    pub questionnaires: Vec<Given>,
}

/// A step of a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepProgress {
    /// The scene.
    pub scene: String,
    /// The step, from 1.
    pub step: i64,
    /// Its name.
    pub name: String,
    /// Minutes there (session time, pauses not counted).
    pub minutes: f64,
    /// The highest SUDS given there.
    pub peak_suds: Option<i64>,
    /// How likely the feared outcome was expected to be, per cent.
    pub expected_likelihood: Option<i64>,
    /// The peak SUDS expected.
    pub expected_peak: Option<i64>,
    /// Whether the feared outcome happened.
    pub happened: Option<bool>,
    /// How surprised the client was.
    pub surprise: Option<i64>,
    /// The peak SUDS felt, as they said it after the step.
    pub felt_peak: Option<i64>,
}

/// A questionnaire given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Given {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Before, after or alone.
    pub when: String,
    /// Its total.
    pub total: f64,
    /// Its band, if it has cut-offs.
    pub band: Option<String>,
    /// The lowest and highest totals it can give, where the record says.
    pub range: Option<(f64, f64)>,
    /// The bands it was judged by.
    pub cutoffs: Vec<Band>,
}

/// A band of a questionnaire's total, `from` to `to` inclusive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// Its lowest total.
    pub from: f64,
    /// Its highest total.
    pub to: f64,
    /// Its label.
    pub label: String,
}

/// `v` to two decimals (a total kept as `f32` reads back as 235.6199…).
fn hundredths(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The progress of client `client` from their sessions, oldest first.
pub fn progress(client: &str, records: &[SessionRecord]) -> Progress {
    Progress {
        client: client.to_owned(),
        sessions: records.iter().map(session).collect(),
    }
}

fn session(record: &SessionRecord) -> SessionProgress {
    let record = &super::amended::amended(record);
    let first = record.session.scene.as_str();
    let mut steps: Vec<StepProgress> = time_at_steps(record)
        .into_iter()
        .map(|(scene, step, us)| StepProgress {
            scene: record
                .scenes
                .get(scene)
                .map_or_else(String::new, |s| s.scene.clone()),
            step,
            name: step_name(record, scene, step),
            minutes: hundredths(us as f64 / 60e6),
            peak_suds: None,
            expected_likelihood: None,
            expected_peak: None,
            happened: None,
            surprise: None,
            felt_peak: None,
        })
        .collect();
    steps.sort_by(|a, b| (&a.scene, a.step).cmp(&(&b.scene, b.step)));
    let mut plan = None;
    let mut questionnaires = Vec::new();
    for entry in &record.entries {
        let json = || serde_json::from_str::<serde_json::Value>(&entry.text).unwrap_or_default();
        let at = |steps: &mut Vec<StepProgress>| -> Option<usize> {
            let step = entry.step?;
            let scene = record
                .scenes
                .get(scene_index(record, &entry.scene))?
                .scene
                .clone();
            steps
                .iter()
                .position(|s| s.scene == scene && s.step == step)
        };
        match entry.kind {
            EntryKind::Suds => {
                if let Some(i) = at(&mut steps) {
                    let s = &mut steps[i];
                    s.peak_suds = s.peak_suds.max(entry.value);
                }
            }
            EntryKind::ExpectBefore => {
                if let Some(i) = at(&mut steps) {
                    let v = json();
                    steps[i].expected_likelihood = v["likelihood_percent"].as_i64();
                    steps[i].expected_peak = v["expected_peak_suds"].as_i64();
                }
            }
            EntryKind::ExpectAfter => {
                if let Some(i) = at(&mut steps) {
                    let v = json();
                    steps[i].happened = v["happened"].as_bool();
                    steps[i].surprise = v["surprise"].as_i64();
                    steps[i].felt_peak = v["felt_peak_suds"].as_i64();
                }
            }
            EntryKind::Plan => plan = entry.value,
            EntryKind::Form => {
                let v = json();
                let number = |v: &serde_json::Value| v.as_f64().map(hundredths);
                questionnaires.push(Given {
                    id: v["id"].as_str().unwrap_or_default().to_owned(),
                    title: v["title"].as_str().unwrap_or_default().to_owned(),
                    when: v["when"].as_str().unwrap_or_default().to_owned(),
                    total: number(&v["total"]).unwrap_or_default(),
                    band: v["band"].as_str().map(str::to_owned),
                    range: number(&v["range"][0]).zip(number(&v["range"][1])),
                    cutoffs: v["cutoffs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| {
                            Some(Band {
                                from: number(&c["from"])?,
                                to: number(&c["to"])?,
                                label: c["label"].as_str()?.to_owned(),
                            })
                        })
                        .collect(),
                });
            }
            EntryKind::Questionnaire => {
                let v = json();
                let ssq = crate::questionnaire::simulator_sickness::form();
                let (low, high) = ssq.range();
                questionnaires.push(Given {
                    id: "ssq".into(),
                    title: ssq.title.clone(),
                    when: v["when"].as_str().unwrap_or_default().to_owned(),
                    total: hundredths(v["total"].as_f64().unwrap_or_default()),
                    band: None,
                    range: Some((hundredths(low.into()), hundredths(high.into()))),
                    cutoffs: Vec::new(),
                });
            }
            _ => {}
        }
    }
    let count = |kind| record.entries.iter().filter(|e| e.kind == kind).count();
    SessionProgress {
        session: record.session.id,
        date: utc(record.session.started_ms)[..10].to_owned(),
        plan,
        highest_step: steps
            .iter()
            .filter(|s| s.scene == first)
            .map(|s| s.step)
            .max(),
        steps,
        pacer_uses: count(EntryKind::PacerOn),
        safe_place_visits: count(EntryKind::SafeEntered),
        questionnaires,
    }
}

/// As JSON.
pub fn progress_json(progress: &Progress) -> String {
    let mut text = serde_json::to_string_pretty(progress).unwrap_or_default();
    text.push('\n');
    text
}

/// As CSV: one row a step of a session, the session's own columns
/// repeated on each.
pub fn progress_csv(progress: &Progress) -> String {
    let mut out = String::from(
        "client,session,date,plan,scene,step,name,minutes,peak_suds,expected_likelihood,\
         expected_peak,happened,surprise,felt_peak,pacer_uses,safe_place_visits,questionnaires\r\n",
    );
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for s in &progress.sessions {
        let given = s
            .questionnaires
            .iter()
            .map(|q| {
                format!(
                    "{} {} {}{}",
                    q.id,
                    q.when,
                    q.total,
                    q.band
                        .as_ref()
                        .map(|b| format!(" ({b})"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let rows: Vec<Option<&StepProgress>> = if s.steps.is_empty() {
            vec![None]
        } else {
            s.steps.iter().map(Some).collect()
        };
        for step in rows {
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
                super::data::csv_text(&progress.client),
                s.session,
                s.date,
                opt(s.plan),
                super::data::csv_text(step.map_or("", |t| t.scene.as_str())),
                step.map(|t| t.step.to_string()).unwrap_or_default(),
                super::data::csv_text(step.map_or("", |t| t.name.as_str())),
                step.map(|t| format!("{:.2}", t.minutes))
                    .unwrap_or_default(),
                opt(step.and_then(|t| t.peak_suds)),
                opt(step.and_then(|t| t.expected_likelihood)),
                opt(step.and_then(|t| t.expected_peak)),
                step.and_then(|t| t.happened)
                    .map(|h| if h { "yes" } else { "no" })
                    .unwrap_or_default(),
                opt(step.and_then(|t| t.surprise)),
                opt(step.and_then(|t| t.felt_peak)),
                s.pacer_uses,
                s.safe_place_visits,
                super::data::csv_text(&given),
            );
        }
    }
    out
}
