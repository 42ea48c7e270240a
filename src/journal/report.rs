//! A recorded session written out: a printable HTML report with a chart of
//! SUDS over time drawn here as SVG, a CSV table, or JSON. The same record
//! gives the same bytes (times come from the record, never from the clock).

use std::fmt::Write as _;

use super::store::{SceneSteps, SessionRecord};
use super::{Entry, EntryKind, SessionKind};

/// A wall time, milliseconds since 1970, as `2026-12-03 05:30:07 UTC`.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Year, month and day of a day counted from 1970-01-01 (the proleptic
/// Gregorian calendar, in 400-year eras of 146,097 days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A length of time as `1 h 05 min`, `12 min 30 s` or `45 s`.
pub fn length(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// Minutes and seconds since the session started, as `12:05`.
fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// When a session ended: as it said, or at its last entry.
fn ended_ms(record: &SessionRecord) -> i64 {
    let last = record.entries.last().map_or(0, |e| e.wall_ms);
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
struct Spans {
    /// Paused: from, to, the reasons.
    paused: Vec<(i64, i64, String)>,
    /// In the safe place: from, to.
    safe: Vec<(i64, i64)>,
    /// At a step: from, to, the scene (its index in the record's scenes),
    /// the step (from 1).
    steps: Vec<(i64, i64, usize, i64)>,
}

fn spans(record: &SessionRecord) -> Spans {
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
fn scene_index(record: &SessionRecord, scene: &str) -> usize {
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
fn time_at_steps(record: &SessionRecord) -> Vec<(usize, i64, i64)> {
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

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The name of step `step` (counted from 1) of the scene at `scene` in the
/// record's scenes.
fn step_name(record: &SessionRecord, scene: usize, step: i64) -> String {
    usize::try_from(step - 1)
        .ok()
        .and_then(|i| record.scenes.get(scene)?.steps.get(i))
        .map_or_else(|| format!("step {step}"), |(name, _)| name.clone())
}

/// The chart's tick spacing, minutes: the first of 1, 2, 5, 10, 15, 30, 60
/// that gives at most 12 ticks.
fn tick_minutes(total_ms: i64) -> i64 {
    let minutes = total_ms / 60_000 + 1;
    [1, 2, 5, 10, 15, 30, 60]
        .into_iter()
        .find(|t| minutes / t <= 12)
        .unwrap_or(120)
}

/// The chart of SUDS over time: steps as bands under it, events as marks
/// along its top, pauses and the safe place shaded.
pub fn chart(record: &SessionRecord) -> String {
    const W: f64 = 680.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 668.0;
    const TOP: f64 = 26.0;
    const BOTTOM: f64 = 206.0;
    const BAND: f64 = 22.0;
    let start = record.session.started_ms;
    let total = (ended_ms(record) - start).max(60_000);
    let x = |ms: i64| LEFT + (RIGHT - LEFT) * (ms.clamp(0, total) as f64 / total as f64);
    let y = |suds: i64| BOTTOM - (BOTTOM - TOP) * (suds.clamp(0, 100) as f64 / 100.0);
    let spans = spans(record);
    let bands_top = BOTTOM + 26.0;
    let height = bands_top + BAND + 30.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" role="img" aria-label="SUDS over the session, with its steps, events, pauses and time in the safe place">"#
    );
    for (from, to, why) in &spans.paused {
        let _ = write!(
            svg,
            r#"<rect class="paused" x="{:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>Paused ({}): {} to {}</title></rect>"#,
            x(*from),
            (x(*to) - x(*from)).max(1.0),
            BOTTOM - TOP,
            escape(why),
            clock(*from),
            clock(*to)
        );
    }
    for (from, to) in &spans.safe {
        let _ = write!(
            svg,
            r#"<rect class="safe" x="{:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>In the safe place: {} to {}</title></rect>"#,
            x(*from),
            (x(*to) - x(*from)).max(1.0),
            BOTTOM - TOP,
            clock(*from),
            clock(*to)
        );
    }
    for anchor in [0, 25, 50, 75, 100] {
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{0:.1}" x2="{RIGHT}" y2="{0:.1}"/><text class="axis" x="{1}" y="{2:.1}" text-anchor="end">{anchor}</text>"#,
            y(anchor),
            LEFT - 6.0,
            y(anchor) + 4.0
        );
    }
    let _ = write!(
        svg,
        r#"<text class="axis" x="{}" y="{}" text-anchor="end">SUDS</text>"#,
        LEFT - 6.0,
        TOP - 12.0
    );
    let tick = tick_minutes(total);
    let mut minute = 0;
    while minute * 60_000 <= total {
        let tx = x(minute * 60_000);
        // The axis's name sits at its end.
        if tx > RIGHT - 40.0 {
            break;
        }
        let _ = write!(
            svg,
            r#"<line class="tick" x1="{tx:.1}" y1="{BOTTOM}" x2="{tx:.1}" y2="{}"/><text class="axis" x="{tx:.1}" y="{}" text-anchor="middle">{minute}</text>"#,
            BOTTOM + 4.0,
            BOTTOM + 16.0
        );
        minute += tick;
    }
    let _ = write!(
        svg,
        r#"<text class="axis" x="{RIGHT}" y="{}" text-anchor="end">minutes</text>"#,
        BOTTOM + 16.0
    );
    for (from, to, scene, n) in &spans.steps {
        let (x0, x1) = (x(*from), x(*to));
        let _ = write!(
            svg,
            r#"<rect class="step s{}" x="{x0:.1}" y="{bands_top}" width="{:.1}" height="{BAND}"><title>Step {n}, {}: {} to {}</title></rect>"#,
            n % 2,
            (x1 - x0).max(1.0),
            escape(&step_name(record, *scene, *n)),
            clock(*from),
            clock(*to)
        );
        if x1 - x0 >= 14.0 {
            let _ = write!(
                svg,
                r#"<text class="band" x="{:.1}" y="{}" text-anchor="middle">{n}</text>"#,
                (x0 + x1) / 2.0,
                bands_top + 15.0
            );
        }
    }
    let _ = write!(
        svg,
        r#"<text class="axis" x="{}" y="{}" text-anchor="end">step</text>"#,
        LEFT - 6.0,
        bands_top + 15.0
    );
    let mut named_until = f64::MIN;
    for entry in record.entries.iter().filter(|e| e.kind == EntryKind::Event) {
        let ex = x(entry.wall_ms - start);
        // Named above its mark where the last name leaves room.
        if ex > named_until {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{ex:.1}" y="{}" text-anchor="middle">{}</text>"#,
                TOP - 12.0,
                escape(&entry.text)
            );
            named_until = ex + 8.0 + 5.0 * entry.text.chars().count() as f64;
        }
        let _ = write!(
            svg,
            r#"<path class="event" d="M{:.1} {} l-5 -9 h10 z"><title>{} at {}</title></path>"#,
            ex,
            TOP - 1.0,
            escape(&entry.text),
            clock(entry.wall_ms - start)
        );
    }
    let suds: Vec<&Entry> = record
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Suds && e.value.is_some())
        .collect();
    if suds.len() > 1 {
        let points: Vec<String> = suds
            .iter()
            .map(|e| format!("{:.1},{:.1}", x(e.wall_ms - start), y(e.value.unwrap_or(0))))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="suds" points="{}"/>"#,
            points.join(" ")
        );
    }
    for e in &suds {
        let value = e.value.unwrap_or(0);
        let _ = write!(
            svg,
            r#"<circle class="suds" cx="{:.1}" cy="{:.1}" r="3.5"><title>SUDS {value} at {}</title></circle>"#,
            x(e.wall_ms - start),
            y(value),
            clock(e.wall_ms - start)
        );
    }
    let key_y = height - 8.0;
    let _ = write!(
        svg,
        concat!(
            r#"<rect class="paused" x="{0}" y="{1}" width="12" height="10"/><text class="axis" x="{2}" y="{3}">paused</text>"#,
            r#"<rect class="safe" x="{4}" y="{1}" width="12" height="10"/><text class="axis" x="{5}" y="{3}">safe place</text>"#,
            r#"<path class="event" d="M{6} {7} l-5 -9 h10 z"/><text class="axis" x="{8}" y="{3}">event</text>"#,
            r#"<circle class="suds" cx="{9}" cy="{10}" r="3.5"/><text class="axis" x="{11}" y="{3}">SUDS</text>"#,
        ),
        LEFT,
        key_y - 9.0,
        LEFT + 16.0,
        key_y,
        LEFT + 80.0,
        LEFT + 96.0,
        LEFT + 186.0,
        key_y + 1.0,
        LEFT + 196.0,
        LEFT + 256.0,
        key_y - 4.0,
        LEFT + 264.0,
    );
    svg.push_str("</svg>");
    svg
}

const STYLE: &str = "
@page { size: A4; margin: 16mm 15mm; }
* { box-sizing: border-box; }
body { font-family: 'Ubuntu', 'Noto Sans', 'DejaVu Sans', sans-serif; color: #222; margin: 0 auto; max-width: 180mm; font-size: 10.5pt; line-height: 1.4; }
h1 { font-size: 17pt; font-weight: 500; margin: 0 0 2mm; }
h2 { font-size: 12pt; font-weight: 500; margin: 7mm 0 2mm; border-bottom: 0.3mm solid #bbb; }
h3 { font-size: 10.5pt; font-weight: 500; margin: 4mm 0 1mm; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.5mm 6mm; margin: 0; }
dt { color: #555; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { text-align: left; padding: 0.8mm 2mm; border-bottom: 0.2mm solid #ddd; vertical-align: top; }
th { font-weight: 500; color: #555; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
figure { margin: 3mm 0; break-inside: avoid; }
svg { width: 100%; height: auto; font-family: inherit; }
svg .grid { stroke: #ddd; stroke-width: 0.6; }
svg .tick { stroke: #888; stroke-width: 0.6; }
svg .axis { font-size: 9px; fill: #555; }
svg .band { font-size: 10px; fill: #222; }
svg .paused { fill: #d9d9d9; opacity: 0.7; }
svg .safe { fill: #bfe3c6; opacity: 0.8; }
svg .step.s0 { fill: #e8e1d4; } svg .step.s1 { fill: #d4dbe8; }
svg .step { stroke: #fff; stroke-width: 1; }
svg .event { fill: #b5651d; }
svg polyline.suds { fill: none; stroke: #1f4e79; stroke-width: 1.6; }
svg circle.suds { fill: #1f4e79; }
.note { white-space: pre-wrap; }
.quiet { color: #666; }
";

/// The printable report: one self-contained HTML file that loads nothing.
pub fn html(record: &SessionRecord) -> String {
    let s = &record.session;
    let start = s.started_ms;
    let end = ended_ms(record);
    let alias = if s.alias.is_empty() {
        "(no alias given)".to_owned()
    } else {
        s.alias.clone()
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Session {} · {} · {}</title><style>{STYLE}</style></head><body>\n",
        s.id,
        escape(&alias),
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
        escape(&alias),
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
        &["Time", "Step", "SUDS", "Asked"],
        suds.iter()
            .map(|e| {
                vec![
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
        &["Time", "Step", "Note"],
        record
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Note)
            .map(|e| {
                vec![
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
        &["Time", "Step", "What", "Detail"],
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
                    (EntryKind::Step | EntryKind::Start, _) => escape(&e.text),
                    _ => escape(&e.text),
                };
                vec![at(e), step_of(e), e.kind.label().to_owned(), detail]
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

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A cell of words from the record (an alias, a note, a name). A
/// spreadsheet takes a cell that begins with `=`, `+`, `-` or `@` (or a tab
/// or a carriage return before one) for a formula and runs it: such a cell
/// starts with a single quote, which shows the words as they were typed
/// (OWASP's advice on CSV injection). The numbers the report writes itself
/// are not words and keep their sign.
fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_cell(&format!("'{text}"))
    } else {
        csv_cell(text)
    }
}

/// One row per entry, with a header row: `since_start_s` is wall time
/// since the session began (pauses included), `session_time_s` the session
/// time since it began (pauses not counted).
pub fn csv(record: &SessionRecord) -> String {
    let s = &record.session;
    let mut out = String::from(
        "session,alias,wall_time_utc,since_start_s,session_time_s,scene,kind,step,value,text\r\n",
    );
    for e in &record.entries {
        let _ = write!(
            out,
            "{},{},{},{:.3},{:.3},{},{},{},{},{}\r\n",
            s.id,
            csv_text(&s.alias),
            utc(e.wall_ms),
            (e.wall_ms - s.started_ms) as f64 / 1000.0,
            // Session time from the session's own start.
            (e.at_us - s.started_at_us) as f64 / 1e6,
            csv_text(&e.scene),
            e.kind.as_str(),
            e.step.map_or_else(String::new, |v| v.to_string()),
            e.value.map_or_else(String::new, |v| v.to_string()),
            csv_text(&e.text)
        );
    }
    out
}

/// The session, its steps and its entries.
pub fn json(record: &SessionRecord) -> String {
    let mut text = serde_json::to_string_pretty(record).expect("a record is plain data");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_calendar_s() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_796_275_807_000), "2026-12-03 05:30:07 UTC");
        assert_eq!(utc(-1000), "1969-12-31 23:59:59 UTC");
        assert_eq!(length(45_000), "45 s");
        assert_eq!(length(750_000), "12 min 30 s");
        assert_eq!(length(3_900_000), "1 h 05 min");
    }

    #[test]
    fn cells_with_commas_quotes_or_lines_are_quoted() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"no\"\nthen"), "\"say \"\"no\"\"\nthen\"");
    }

    #[test]
    fn words_that_a_spreadsheet_would_run_as_formulas_are_written_as_words() {
        let t0 = 1_796_275_807_000;
        let entry = |value: Option<i64>, text: &str| Entry {
            scene: "spiders.ron".into(),
            at_us: -2_000_000,
            wall_ms: t0 - 1000,
            kind: EntryKind::Note,
            step: Some(1),
            value,
            text: text.into(),
        };
        let record = SessionRecord {
            session: crate::journal::store::SessionRow {
                id: 7,
                alias: "@SUM(1)".into(),
                scene: "spiders.ron".into(),
                title: "The kitchen".into(),
                kind: SessionKind::Exposure,
                started_ms: t0,
                ended_ms: Some(t0 + 60_000),
                started_at_us: 0,
                length_us: 60_000_000,
                entries: 4,
            },
            scenes: vec![SceneSteps {
                scene: "spiders.ron".into(),
                title: "The kitchen".into(),
                steps: vec![("Poster".into(), "A poster.".into())],
            }],
            entries: vec![
                entry(None, "=HYPERLINK(\"http://x\",\"y\")"),
                entry(Some(-5), "-1+1"),
                entry(None, "\t=1+1"),
                entry(None, "plain words"),
            ],
        };
        let csv = csv(&record);
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            rows[1],
            "7,'@SUM(1),2026-12-03 05:30:06 UTC,-1.000,-2.000,spiders.ron,note,1,,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        // The numbers the report writes stay numbers, minus sign and all.
        assert_eq!(
            rows[2],
            "7,'@SUM(1),2026-12-03 05:30:06 UTC,-1.000,-2.000,spiders.ron,note,1,-5,'-1+1"
        );
        assert!(rows[3].ends_with(",'\t=1+1"), "{}", rows[3]);
        assert!(rows[4].ends_with(",plain words"), "{}", rows[4]);
        for row in &rows[1..5] {
            let cells: Vec<&str> = row.split(',').collect();
            assert!(
                !cells
                    .iter()
                    .any(|c| c.starts_with(['=', '+', '@', '\t', '\r'])),
                "a live formula in {row:?}"
            );
        }
    }

    #[test]
    fn words_in_the_page_cannot_become_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
