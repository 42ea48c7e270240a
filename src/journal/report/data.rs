//! The record as data: a CSV table of its entries, and JSON.

use std::fmt::Write as _;

use super::dates::utc;
use crate::journal::store::SessionRecord;

/// One row per entry, with a header row: `since_start_s` is wall time
/// since the session began (pauses included), `session_time_s` the session
/// time since it began (pauses not counted); `entry` is the entry's number
/// in the record and `corrects` the number of the entry a correction or a
/// closing is about. Rows are as recorded: a correction is a row of its
/// own.
pub fn csv(record: &SessionRecord) -> String {
    let s = &record.session;
    let mut out = String::from(
        "session,client,wall_time_utc,since_start_s,session_time_s,scene,kind,step,value,text,entry,\
         corrects\r\n",
    );
    for e in &record.entries {
        let _ = write!(
            out,
            "{},{},{},{:.3},{:.3},{},{},{},{},{},{},{}\r\n",
            s.id,
            csv_text(&s.client),
            utc(e.wall_ms),
            (e.wall_ms - s.started_ms) as f64 / 1000.0,
            // Session time from the session's own start.
            (e.at_us - s.started_at_us) as f64 / 1e6,
            csv_text(&e.scene),
            e.kind.as_str(),
            e.step.map_or_else(String::new, |v| v.to_string()),
            e.value.map_or_else(String::new, |v| v.to_string()),
            csv_text(&e.text),
            e.id.map_or_else(String::new, |v| v.to_string()),
            e.corrects.map_or_else(String::new, |v| v.to_string()),
        );
    }
    out
}

/// The session, its steps and its entries.
pub(crate) fn json(record: &SessionRecord) -> String {
    let mut text = serde_json::to_string_pretty(record).expect("a record is plain data");
    text.push('\n');
    text
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
pub(super) fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_cell(&format!("'{text}"))
    } else {
        csv_cell(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::store::SceneSteps;
    use crate::journal::{Entry, EntryKind, SessionKind};

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
            corrects: None,
            id: None,
        };
        let record = SessionRecord {
            session: crate::journal::store::SessionRow {
                id: 7,
                client: "@SUM(1)".into(),
                alias: String::new(),
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
                Entry {
                    id: Some(12),
                    corrects: Some(11),
                    ..entry(None, "plain words")
                },
            ],
        };
        let csv = csv(&record);
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            rows[1],
            "7,'@SUM(1),2026-12-03 05:30:06 UTC,-1.000,-2.000,spiders.ron,note,1,,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",,"
        );
        // The numbers the report writes stay numbers, minus sign and all.
        assert_eq!(
            rows[2],
            "7,'@SUM(1),2026-12-03 05:30:06 UTC,-1.000,-2.000,spiders.ron,note,1,-5,'-1+1,,"
        );
        assert!(rows[3].ends_with(",'\t=1+1,,"), "{}", rows[3]);
        // The entry's number, and the one it corrects.
        assert!(rows[4].ends_with(",plain words,12,11"), "{}", rows[4]);
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
}
