//! A client's progress as a printable page: three charts drawn as SVG by
//! our own code (the peak SUDS at each step from session to session; what
//! the client expected of a step against what they found; each
//! questionnaire's totals over the sessions, over its cut-off bands), then
//! a table for each session. From the [`Progress`] alone, so the same
//! record gives the same bytes.

use std::fmt::Write as _;

use super::markup::escape;
use super::page::STYLE;
use super::progress::{Given, Progress, StepProgress};

/// As a printable page.
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
    let keys = Keys::of(progress);
    h.push_str("<h2>Peak SUDS at each step, session by session</h2>\n");
    h.push_str(&peak_chart(progress, &keys));
    h.push_str("<h2>What the client expected, and what they found</h2>\n");
    h.push_str(&expectancy_charts(progress, &keys));
    h.push_str("<h2>Questionnaires</h2>\n");
    h.push_str(&questionnaire_charts(progress));
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
            let given: Vec<String> = s.questionnaires.iter().map(given_words).collect();
            h.push_str(&given.join(" · "));
            h.push_str("</p>\n");
        }
    }
    h.push_str("</body></html>\n");
    h
}

/// A questionnaire given, in words: its id, when, total and band.
fn given_words(q: &Given) -> String {
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
}

/// The colours of the steps, one a step of a scene, the same in every
/// chart.
const SHADES: [&str; 8] = [
    "#1f4e79", "#b5651d", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#827717", "#4e342e",
];

/// Every step any session was at, by scene and number, with its name.
struct Keys(Vec<(String, i64, String)>);

impl Keys {
    fn of(progress: &Progress) -> Self {
        let mut keys: Vec<(String, i64, String)> = Vec::new();
        for t in progress.sessions.iter().flat_map(|s| &s.steps) {
            if !keys
                .iter()
                .any(|(sc, st, _)| *sc == t.scene && *st == t.step)
            {
                keys.push((t.scene.clone(), t.step, t.name.clone()));
            }
        }
        keys.sort();
        Self(keys)
    }

    /// The colour of step `t`.
    fn colour(&self, t: &StepProgress) -> &'static str {
        let k = self
            .0
            .iter()
            .position(|(sc, st, _)| *sc == t.scene && *st == t.step)
            .unwrap_or(0);
        SHADES[k % SHADES.len()]
    }

    /// A legend of the steps that `drawn` keeps.
    fn legend(&self, drawn: impl Fn(&str, i64) -> bool) -> String {
        let mut legend = String::new();
        for (k, (scene, step, name)) in self.0.iter().enumerate() {
            if drawn(scene, *step) {
                let _ = write!(
                    legend,
                    "<span style=\"color: {}\">\u{25cf} step {step}: {}</span> ",
                    SHADES[k % SHADES.len()],
                    escape(name)
                );
            }
        }
        legend
    }
}

/// A chart's frame: the sessions across, one column each, and a scale from
/// `low` to `high` up the side.
struct Axes<'a> {
    progress: &'a Progress,
    low: f64,
    high: f64,
    /// The margin on the right, for the bands' labels.
    right: f64,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 34.0;

impl Axes<'_> {
    /// The middle of session `i`'s column, moved by `offset`.
    fn x(&self, i: usize, offset: f64) -> f64 {
        let n = self.progress.sessions.len().max(1) as f64;
        LEFT + (WIDTH - LEFT - self.right) * (i as f64 + 0.5) / n + offset
    }

    fn y(&self, v: f64) -> f64 {
        let span = (self.high - self.low).max(f64::EPSILON);
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v - self.low) / span)
    }

    /// The SVG's start: its label, the scale's lines at `ticks`, and each
    /// session's number and date under its column.
    fn open(&self, label: &str, ticks: &[f64]) -> String {
        let mut svg = format!(
            "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
             role=\"img\" aria-label=\"{}\">\n",
            escape(label)
        );
        for &v in ticks {
            let _ = writeln!(
                svg,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
                WIDTH - self.right,
                LEFT - 4.0,
                self.y(v) + 3.0,
                y = self.y(v)
            );
        }
        for (i, s) in self.progress.sessions.iter().enumerate() {
            let _ = writeln!(
                svg,
                "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">session {}</text>\
                 <text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                HEIGHT - BOTTOM + 13.0,
                s.session,
                HEIGHT - BOTTOM + 24.0,
                escape(&s.date),
                x = self.x(i, 0.0)
            );
        }
        svg
    }
}

const SUDS_TICKS: [f64; 5] = [0.0, 25.0, 50.0, 75.0, 100.0];

/// A line for each step (of each scene) through the peak SUDS of the
/// sessions that reached it: falling lines are between-session
/// habituation.
fn peak_chart(progress: &Progress, keys: &Keys) -> String {
    let axes = Axes {
        progress,
        low: 0.0,
        high: 100.0,
        right: 20.0,
    };
    let mut svg = axes.open("Peak SUDS at each step, session by session", &SUDS_TICKS);
    let mut drawn = Vec::new();
    for (scene, step, name) in &keys.0 {
        let mut colour = "";
        let points: Vec<(f64, f64)> = progress
            .sessions
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let t = s
                    .steps
                    .iter()
                    .find(|t| t.scene == *scene && t.step == *step)?;
                colour = keys.colour(t);
                Some((axes.x(i, 0.0), axes.y(t.peak_suds? as f64)))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        drawn.push((scene.as_str(), *step));
        let line: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\">\
             <title>step {step}: {}</title></polyline>",
            line.join(" "),
            escape(name)
        );
        for (x, y) in &points {
            let _ = writeln!(
                svg,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"{colour}\"/>"
            );
        }
    }
    svg.push_str("</svg></figure>\n<p class=\"quiet\">");
    svg.push_str(&keys.legend(|scene, step| drawn.contains(&(scene, step))));
    svg.push_str("</p>\n");
    svg
}

/// Two charts of the steps a client was asked about: the peak SUDS they
/// expected (hollow) against the peak they felt (filled), and how likely
/// they thought the feared outcome (hollow) against whether it happened (a
/// square at 100 % if it did, at 0 % if it did not). The gap between the
/// two is what the step taught.
fn expectancy_charts(progress: &Progress, keys: &Keys) -> String {
    let asked = |t: &StepProgress| {
        t.expected_peak.is_some()
            || t.felt_peak.is_some()
            || t.expected_likelihood.is_some()
            || t.happened.is_some()
    };
    if !progress.sessions.iter().flat_map(|s| &s.steps).any(asked) {
        return "<p class=\"quiet\">No expectancies were recorded.</p>\n".to_owned();
    }
    let axes = Axes {
        progress,
        low: 0.0,
        high: 100.0,
        right: 20.0,
    };
    let mut out = String::new();
    type Pair = fn(&StepProgress) -> (Option<i64>, Option<i64>);
    let panels: [(&str, Pair, bool); 2] = [
        (
            "Peak SUDS: expected (hollow) and felt (filled), step by step",
            |t| (t.expected_peak, t.felt_peak),
            false,
        ),
        (
            "The feared outcome: how likely it was expected to be, per cent (hollow), and whether it happened (a square at 100 if it did, at 0 if it did not)",
            |t| {
                (
                    t.expected_likelihood,
                    t.happened.map(|h| if h { 100 } else { 0 }),
                )
            },
            true,
        ),
    ];
    for (label, pair, square) in panels {
        out.push_str(&format!("<h3>{}</h3>\n", escape(label)));
        let mut svg = axes.open(label, &SUDS_TICKS);
        for (i, s) in progress.sessions.iter().enumerate() {
            let shown: Vec<&StepProgress> = s.steps.iter().filter(|t| asked(t)).collect();
            for (k, t) in shown.iter().enumerate() {
                let x = axes.x(i, (k as f64 - (shown.len() - 1) as f64 / 2.0) * 12.0);
                let colour = keys.colour(t);
                let (expected, found) = pair(t);
                if let (Some(e), Some(f)) = (expected, found) {
                    let _ = writeln!(
                        svg,
                        "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" \
                         stroke-width=\"1\" stroke-dasharray=\"2 2\"/>",
                        axes.y(e as f64),
                        axes.y(f as f64)
                    );
                }
                if let Some(e) = expected {
                    let _ = writeln!(
                        svg,
                        "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#fff\" stroke=\"{colour}\" \
                         stroke-width=\"1.4\"><title>step {}: expected {e}</title></circle>",
                        axes.y(e as f64),
                        t.step
                    );
                }
                if let Some(f) = found {
                    let y = axes.y(f as f64);
                    if square {
                        let _ = writeln!(
                            svg,
                            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"6\" height=\"6\" fill=\"{colour}\">\
                             <title>step {}: {}</title></rect>",
                            x - 3.0,
                            y - 3.0,
                            t.step,
                            if f > 0 {
                                "it happened"
                            } else {
                                "it did not happen"
                            }
                        );
                    } else {
                        let _ = writeln!(
                            svg,
                            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\">\
                             <title>step {}: felt {f}</title></circle>",
                            t.step
                        );
                    }
                }
            }
        }
        svg.push_str("</svg></figure>\n");
        out.push_str(&svg);
    }
    out.push_str("<p class=\"quiet\">");
    out.push_str(&keys.legend(|scene, step| {
        progress
            .sessions
            .iter()
            .flat_map(|s| &s.steps)
            .any(|t| t.scene == scene && t.step == step && asked(t))
    }));
    out.push_str("</p>\n");
    out
}

/// A chart for each questionnaire given: its totals, session by session
/// (before a session left of its column, after it right), over the bands
/// of its cut-offs with their labels.
fn questionnaire_charts(progress: &Progress) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for q in progress.sessions.iter().flat_map(|s| &s.questionnaires) {
        if !ids.contains(&q.id.as_str()) {
            ids.push(&q.id);
        }
    }
    if ids.is_empty() {
        return "<p class=\"quiet\">No questionnaires were given.</p>\n".to_owned();
    }
    let mut out = String::new();
    for id in ids {
        let given: Vec<(usize, &Given)> = progress
            .sessions
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.questionnaires.iter().map(move |q| (i, q)))
            .filter(|(_, q)| q.id == id)
            .collect();
        // The scale its latest giving was scored on; a record without one
        // reaches the highest total given.
        let latest = given.last().map(|(_, q)| *q);
        // A range the record gives upside down (edited by hand) is not
        // used: the totals given set the scale instead.
        let (low, high) = latest
            .and_then(|q| q.range)
            .filter(|(low, high)| low < high)
            .unwrap_or((0.0, given.iter().map(|(_, q)| q.total).fold(1.0, f64::max)));
        let cutoffs = latest.map_or(&[][..], |q| &q.cutoffs[..]);
        let axes = Axes {
            progress,
            low,
            high,
            right: 130.0,
        };
        let title = latest.map_or(id, |q| q.title.as_str());
        out.push_str(&format!("<h3>{}</h3>\n", escape(title)));
        let mut svg = axes.open(&format!("{title}: totals session by session"), &[low, high]);
        for (k, band) in cutoffs.iter().enumerate() {
            // A band reaches the next one's start, so whole-number bands
            // (0 to 4, 5 to 9) leave no gap between them.
            let top = cutoffs
                .get(k + 1)
                .map_or(band.to, |next| next.from)
                .min(high);
            let (y0, y1) = (axes.y(top), axes.y(band.from.max(low)));
            let _ = writeln!(
                svg,
                "<rect x=\"{LEFT}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>\
                 <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{} ({}–{})</text>",
                WIDTH - LEFT - axes.right,
                (y1 - y0).max(0.0),
                if k % 2 == 0 { "#f1ede4" } else { "#e4e9f1" },
                WIDTH - axes.right + 4.0,
                (y0 + y1) / 2.0 + 3.0,
                escape(&band.label),
                band.from,
                band.to
            );
        }
        let points: Vec<(f64, f64, &Given)> = given
            .iter()
            .map(|(i, q)| {
                let offset = match q.when.as_str() {
                    "before" => -10.0,
                    "after" => 10.0,
                    _ => 0.0,
                };
                (axes.x(*i, offset), axes.y(q.total.clamp(low, high)), *q)
            })
            .collect();
        let line: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline class=\"suds\" points=\"{}\"/>",
            line.join(" ")
        );
        for (x, y, q) in &points {
            let _ = writeln!(
                svg,
                "<circle class=\"suds\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\"><title>{}</title></circle>\
                 <text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                given_words(q),
                y - 5.0,
                q.total
            );
        }
        svg.push_str("</svg></figure>\n");
        out.push_str(&svg);
    }
    out
}
