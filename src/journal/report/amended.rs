//! A session as its corrections and closings leave it. Nothing in the
//! record is changed in place: a correction is an entry of its own that
//! names the one it corrects. A report reads the corrected value or words
//! where the entry stands, saying what it was and why it changed, and
//! lists the corrections themselves with everything else.

use super::dates::utc;
use crate::journal::EntryKind;
use crate::journal::store::SessionRecord;

/// `record` with each corrected SUDS at its right value and each
/// corrected note in its right words, each saying what it was and why,
/// and each closed note saying by whom and when; corrections apply in the
/// order they were made.
pub(crate) fn amended(record: &SessionRecord) -> SessionRecord {
    let mut out = record.clone();
    for e in &record.entries {
        let Some(target) = e.corrects else { continue };
        let Some(t) = out.entries.iter_mut().find(|t| t.id == Some(target)) else {
            continue;
        };
        let number = e.id.map_or_else(String::new, |id| format!("entry {id}"));
        match (e.kind, t.kind) {
            (EntryKind::Correction, EntryKind::Suds) => {
                let why = reason(&e.text);
                let was = t
                    .value
                    .map_or_else(|| "nothing".to_owned(), |v| v.to_string());
                t.value = e.value;
                t.text = format!("{} · corrected from {was} ({number}: {why})", t.text);
            }
            (EntryKind::Correction, EntryKind::Note) => {
                let v: serde_json::Value = serde_json::from_str(&e.text).unwrap_or_default();
                if let Some(words) = v["note"].as_str() {
                    t.text = format!(
                        "{words}\n· corrected ({number}: {}); it read: {}",
                        reason(&e.text),
                        t.text
                    );
                }
            }
            (EntryKind::NoteClosed, EntryKind::Note) => {
                t.text = format!("{}\n· closed by {} at {}", t.text, e.text, utc(e.wall_ms));
            }
            _ => {}
        }
    }
    out
}

/// The reason a correction gives.
pub(super) fn reason(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    v["why"].as_str().unwrap_or_default().to_owned()
}
