//! The printable report: one self-contained HTML page, its style kept in
//! `assets/journal/report.css`.

use std::fmt::Write as _;

use super::amended::{amended, reason};
use super::chart::chart;
use super::dates::{clock, length, utc};
use super::markup::escape;
use super::spans::{ended_ms, scene_index, spans, time_at_steps};
use crate::journal::store::{SceneSteps, SessionRecord};
use crate::journal::{Entry, EntryKind, SessionKind};

/// The printable report: one self-contained HTML file that loads nothing.
/// Corrected entries read as corrected, saying what they were
/// ([`amended`]); the first column of its tables numbers the entries as
/// the record does, for `journal correct`.
pub fn html(record: &SessionRecord) -> String {
    let record = &amended(record);
    let s = &record.session;
    let start = s.started_ms;
    let end = ended_ms(record);
    // The client's code, never their alias: a report leaves the record.
    let client = if s.client.is_empty() {
        "(recorded before clients had codes)".to_owned()
    } else {
        s.client.clone()
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Session {} · {} · {}</title><style>{STYLE}</style></head><body>\n",
        s.id,
        escape(&client),
        &utc(start)[..10]
    );
    let _ = write!(
        h,
        "<h1>{} session record</h1>\n<dl>\
         <dt>Client</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd>\
         <dt>Session</dt><dd>{} in the record</dd>\
         <dt>Started</dt><dd>{}</dd>\
         <dt>Ended</dt><dd>{}</dd>\
         <dt>Length</dt><dd>{} on the clock from start to end, pauses included; {} of \
         session time, pauses not counted</dd>\
         </dl>\n",
        match s.kind {
            SessionKind::Exposure => "Exposure",
            SessionKind::Relaxation => "Relaxation",
        },
        escape(&client),
        if record.scenes.len() > 1 {
            "Scenes"
        } else {
            "Scene"
        },
        record
            .scenes
            .iter()
            .map(|scene| format!(
                "{} <span class=\"quiet\">({})</span>",
                escape(&scene.title),
                escape(&scene.scene)
            ))
            .collect::<Vec<_>>()
            .join(", then "),
        s.id,
        utc(start),
        match s.ended_ms {
            Some(ms) => utc(ms),
            None => format!(
                "not recorded: the session is still running, or the app did not close normally; the last entry is at {}",
                utc(end)
            ),
        },
        length(end - start),
        length(s.length_us / 1000),
    );
    let suds: Vec<&Entry> = record
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Suds)
        .collect();
    let _ = write!(
        h,
        "<h2>SUDS over time</h2>\n<figure>{}</figure>\n",
        chart(record)
    );
    let spans = spans(record);
    let times = time_at_steps(record);
    let with_steps: Vec<(usize, &SceneSteps)> = record
        .scenes
        .iter()
        .enumerate()
        .filter(|(_, scene)| !scene.steps.is_empty())
        .collect();
    if !with_steps.is_empty() {
        h.push_str("<h2>Steps</h2>\n");
    }
    for (index, scene) in &with_steps {
        if with_steps.len() > 1 {
            let _ = writeln!(h, "<h3>{}</h3>", escape(&scene.title));
        }
        h.push_str(
            "<table><tr><th class=\"n\">Step</th><th>Name</th><th class=\"n\">Time there, pauses not counted</th><th>Reached at</th></tr>\n",
        );
        for (i, (name, say)) in scene.steps.iter().enumerate() {
            let n = i as i64 + 1;
            let there = times
                .iter()
                .find(|(sc, m, _)| sc == index && *m == n)
                .map(|(_, _, us)| *us);
            let reached = spans
                .steps
                .iter()
                .filter(|(_, _, sc, m)| sc == index && *m == n)
                .map(|(a, _, _, _)| clock(*a))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{n}</td><td>{}<br><span class=\"quiet\">{}</span></td><td class=\"n\">{}</td><td>{}</td></tr>",
                escape(name),
                escape(say),
                there.map_or_else(|| "—".to_owned(), |us| length(us / 1000)),
                if reached.is_empty() {
                    "not reached".to_owned()
                } else {
                    reached
                }
            );
        }
        h.push_str("</table>\n");
    }
    let table =
        |h: &mut String, title: &str, heads: &[&str], rows: Vec<Vec<String>>, none: &str| {
            let _ = writeln!(h, "<h2>{title}</h2>");
            if rows.is_empty() {
                let _ = writeln!(h, "<p class=\"quiet\">{none}</p>");
                return;
            }
            h.push_str("<table><tr>");
            for head in heads {
                let _ = write!(h, "<th>{head}</th>");
            }
            h.push_str("</tr>\n");
            for row in rows {
                h.push_str("<tr>");
                for cell in row {
                    let _ = write!(h, "<td>{cell}</td>");
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table>\n");
        };
    let at = |e: &Entry| clock(e.wall_ms - start);
    let number = |e: &Entry| e.id.map_or_else(String::new, |id| id.to_string());
    // In a session of several scenes with steps, a step says whose it is.
    let step_of = |e: &Entry| match e.step {
        None => String::new(),
        Some(n) if with_steps.len() > 1 => format!(
            "{n} ({})",
            escape(&record.scenes[scene_index(record, &e.scene)].title)
        ),
        Some(n) => n.to_string(),
    };
    table(
        &mut h,
        "SUDS",
        &["No.", "Time", "Step", "SUDS", "Asked"],
        suds.iter()
            .map(|e| {
                vec![
                    number(e),
                    at(e),
                    step_of(e),
                    e.value.map_or_else(String::new, |v| v.to_string()),
                    escape(&e.text),
                ]
            })
            .collect(),
        "No SUDS was given.",
    );
    table(
        &mut h,
        "Events",
        &["Time", "Step", "Event"],
        record
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Event)
            .map(|e| vec![at(e), step_of(e), escape(&e.text)])
            .collect(),
        "No events were fired.",
    );
    let mut breaks: Vec<Vec<String>> = spans
        .paused
        .iter()
        .map(|(a, b, why)| vec![clock(*a), clock(*b), format!("Paused ({})", escape(why))])
        .chain(
            spans
                .safe
                .iter()
                .map(|(a, b)| vec![clock(*a), clock(*b), "In the safe place".to_owned()]),
        )
        .collect();
    breaks.sort();
    table(
        &mut h,
        "Pauses and the safe place",
        &["From", "To", "What"],
        breaks,
        "No pauses, and the safe place was not used.",
    );
    table(
        &mut h,
        "Cybersickness questionnaire",
        &[
            "Time",
            "When",
            "Nausea",
            "Oculomotor",
            "Disorientation",
            "Total",
        ],
        record
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Questionnaire)
            .map(|e| {
                let q: serde_json::Value = serde_json::from_str(&e.text).unwrap_or_default();
                let score = |name: &str| {
                    q[name]
                        .as_f64()
                        .map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))
                };
                vec![
                    at(e),
                    escape(q["when"].as_str().unwrap_or("")),
                    score("nausea"),
                    score("oculomotor"),
                    score("disorientation"),
                    score("total"),
                ]
            })
            .collect(),
        "The questionnaire was not taken.",
    );
    table(
        &mut h,
        "Notes",
        &["No.", "Time", "Step", "Note"],
        record
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Note)
            .map(|e| {
                vec![
                    number(e),
                    at(e),
                    step_of(e),
                    format!("<span class=\"note\">{}</span>", escape(&e.text)),
                ]
            })
            .collect(),
        "No notes.",
    );
    table(
        &mut h,
        "Everything that happened",
        &["No.", "Time", "Step", "What", "Detail"],
        record
            .entries
            .iter()
            .map(|e| {
                let detail = match (e.kind, e.value) {
                    (EntryKind::Suds, Some(v)) => format!("{v} ({})", escape(&e.text)),
                    (EntryKind::BreakSuggested, Some(v)) => format!("after {v} min"),
                    (EntryKind::Questionnaire, Some(v)) => {
                        let q: serde_json::Value =
                            serde_json::from_str(&e.text).unwrap_or_default();
                        format!(
                            "{}: total {:.1}",
                            escape(q["when"].as_str().unwrap_or("")),
                            v as f64 / 100.0
                        )
                    }
                    (EntryKind::Correction, value) => {
                        let target = e.corrects.map_or_else(String::new, |t| t.to_string());
                        match value {
                            Some(v) => {
                                format!("entry {target}: SUDS {v} ({})", escape(&reason(&e.text)))
                            }
                            None => format!(
                                "entry {target}: the note's words ({})",
                                escape(&reason(&e.text))
                            ),
                        }
                    }
                    (EntryKind::NoteClosed, _) => format!(
                        "note {} closed by {}",
                        e.corrects.map_or_else(String::new, |t| t.to_string()),
                        escape(&e.text)
                    ),
                    _ => escape(&e.text),
                };
                vec![
                    number(e),
                    at(e),
                    step_of(e),
                    e.kind.label().to_owned(),
                    detail,
                ]
            })
            .collect(),
        "Nothing was recorded.",
    );
    h.push_str(
        "<p class=\"quiet\">Times are minutes:seconds from the start of the session. \
         Written by Stillpoint from its local session record; nothing in it was sent anywhere.</p>\n\
         </body></html>\n",
    );
    h
}

/// The page's style, printable on A4. It opens with a line break, as the
/// page has always had it.
pub(super) const STYLE: &str = concat!("\n", include_str!("../../../assets/journal/report.css"));
