//! The chart of SUDS over time, drawn as SVG.

use std::fmt::Write as _;

use super::dates::clock;
use super::markup::escape;
use super::spans::{ended_ms, spans, step_name};
use crate::journal::store::SessionRecord;
use crate::journal::{Entry, EntryKind};

/// The chart of SUDS over time: steps as bands under it, events as marks
/// along its top, pauses and the safe place shaded.
pub(super) fn chart(record: &SessionRecord) -> String {
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

/// The chart's tick spacing, minutes: the first of 1, 2, 5, 10, 15, 30, 60
/// that gives at most 12 ticks.
fn tick_minutes(total_ms: i64) -> i64 {
    let minutes = total_ms / 60_000 + 1;
    [1, 2, 5, 10, 15, 30, 60]
        .into_iter()
        .find(|t| minutes / t <= 12)
        .unwrap_or(120)
}
