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
use super::markup::escape;
use super::page::STYLE;
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
    /// Before, after or alone.
    pub when: String,
    /// Its total.
    pub total: f64,
    /// Its band, if it has cut-offs.
    pub band: Option<String>,
}

/// The progress of client `client` from their sessions, oldest first.
pub fn progress(client: &str, records: &[SessionRecord]) -> Progress {
    Progress {
        client: client.to_owned(),
        sessions: records.iter().map(session).collect(),
    }
}

fn session(record: &SessionRecord) -> SessionProgress {
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
            minutes: (us as f64 / 60e6 * 100.0).round() / 100.0,
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
                questionnaires.push(Given {
                    id: v["id"].as_str().unwrap_or_default().to_owned(),
                    when: v["when"].as_str().unwrap_or_default().to_owned(),
                    total: v["total"].as_f64().unwrap_or_default(),
                    band: v["band"].as_str().map(str::to_owned),
                });
            }
            EntryKind::Questionnaire => {
                let v = json();
                questionnaires.push(Given {
                    id: "ssq".into(),
                    when: v["when"].as_str().unwrap_or_default().to_owned(),
                    total: (v["total"].as_f64().unwrap_or_default() * 100.0).round() / 100.0,
                    band: None,
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

/// As a printable page: the chart of peak SUDS at each step across the
/// sessions, then a table for each session.
pub fn progress_html(progress: &Progress) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Progress · {client}</title><style>{STYLE}</style></head><body>\n\
         <h1>Progress across sessions</h1>\n<dl><dt>Client</dt><dd>{client}</dd>\
         <dt>Sessions</dt><dd>{n}</dd></dl>\n",
        client = escape(&progress.client),
        n = progress.sessions.len()
    );
    h.push_str("<h2>Peak SUDS at each step, session by session</h2>\n");
    h.push_str(&peak_chart(progress));
    for s in &progress.sessions {
        let _ = write!(
            h,
            "<h2>Session {} · {}</h2>\n<p>Plan: {} · highest step: {} · pacer used {} time{} · \
             safe place {} time{}</p>\n",
            s.session,
            s.date,
            s.plan.map_or("none".into(), |p| p.to_string()),
            s.highest_step.map_or("none".into(), |p| p.to_string()),
            s.pacer_uses,
            if s.pacer_uses == 1 { "" } else { "s" },
            s.safe_place_visits,
            if s.safe_place_visits == 1 { "" } else { "s" },
        );
        h.push_str(
            "<table><thead><tr><th>Step</th><th>Minutes</th><th>Peak SUDS</th>\
             <th>Expected: likely, peak</th><th>Found: happened, surprise, peak</th></tr></thead><tbody>\n",
        );
        for t in &s.steps {
            let n = |v: Option<i64>| v.map_or("—".to_owned(), |v| v.to_string());
            let _ = writeln!(
                h,
                "<tr><td>{} {}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t.step,
                escape(&t.name),
                t.minutes,
                n(t.peak_suds),
                match (t.expected_likelihood, t.expected_peak) {
                    (None, None) => "—".to_owned(),
                    (l, p) => format!("{}%, {}", n(l), n(p)),
                },
                match (t.happened, t.surprise, t.felt_peak) {
                    (None, None, None) => "—".to_owned(),
                    (h, s, p) => format!(
                        "{}, {}, {}",
                        h.map_or("—", |h| if h { "yes" } else { "no" }),
                        n(s),
                        n(p)
                    ),
                },
            );
        }
        h.push_str("</tbody></table>\n");
        if !s.questionnaires.is_empty() {
            h.push_str("<p>Questionnaires: ");
            let given: Vec<String> = s
                .questionnaires
                .iter()
                .map(|q| {
                    escape(&format!(
                        "{} ({}) {}{}",
                        q.id,
                        q.when,
                        q.total,
                        q.band
                            .as_ref()
                            .map(|b| format!(", {b}"))
                            .unwrap_or_default()
                    ))
                })
                .collect();
            h.push_str(&given.join(" · "));
            h.push_str("</p>\n");
        }
    }
    h.push_str("</body></html>\n");
    h
}

/// An SVG line for each step (of each scene) through the peak SUDS of the
/// sessions that reached it: falling lines are between-session
/// habituation.
fn peak_chart(progress: &Progress) -> String {
    let (w, ht, left, top, bottom) = (640.0, 240.0, 40.0, 10.0, 30.0);
    let n = progress.sessions.len().max(2) as f64;
    let x = |i: usize| left + (w - left - 20.0) * i as f64 / (n - 1.0);
    let y = |suds: i64| top + (ht - top - bottom) * (1.0 - suds as f64 / 100.0);
    let mut keys: Vec<(String, i64, String)> = Vec::new();
    for s in &progress.sessions {
        for t in &s.steps {
            if !keys
                .iter()
                .any(|(sc, st, _)| *sc == t.scene && *st == t.step)
            {
                keys.push((t.scene.clone(), t.step, t.name.clone()));
            }
        }
    }
    keys.sort();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {ht}\" role=\"img\" \
         aria-label=\"Peak SUDS at each step, session by session\">\n"
    );
    for suds in [0, 25, 50, 75, 100] {
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"end\">{suds}</text>",
            w - 20.0,
            left - 4.0,
            y(suds) + 3.0,
            y = y(suds)
        );
    }
    for (i, s) in progress.sessions.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
            x(i),
            ht - 12.0,
            escape(&s.date)
        );
    }
    let mut legend = String::new();
    let shades = [
        "#1f4e79", "#b5651d", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#827717", "#4e342e",
    ];
    for (k, (scene, step, name)) in keys.iter().enumerate() {
        let points: Vec<String> = progress
            .sessions
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let peak = s
                    .steps
                    .iter()
                    .find(|t| t.scene == *scene && t.step == *step)?
                    .peak_suds?;
                Some(format!("{:.1},{:.1}", x(i), y(peak)))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        let colour = shades[k % shades.len()];
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\">\
             <title>step {step}: {}</title></polyline>",
            points.join(" "),
            escape(name)
        );
        for p in &points {
            let (px, py) = p.split_once(',').unwrap_or_default();
            let _ = writeln!(
                svg,
                "<circle cx=\"{px}\" cy=\"{py}\" r=\"2.5\" fill=\"{colour}\"/>"
            );
        }
        let _ = write!(
            legend,
            "<span style=\"color: {colour}\">\u{25cf} step {step}: {}</span> ",
            escape(name)
        );
    }
    svg.push_str("</svg>\n<p class=\"quiet\">");
    svg.push_str(&legend);
    svg.push_str("</p>\n");
    svg
}
