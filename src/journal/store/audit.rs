//! The audit trail: one append-only, hash-chained row for each thing done
//! to the record that a therapist answers for (unlocking it, exporting,
//! deleting, making a client, changing the passphrase). A row says what was
//! done and when, never who the client is: a deleted client leaves a row
//! that says a client was deleted, and nothing of theirs.
//!
//! [`super::verify`] walks this chain with the record's others.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::chain;
use super::error::StoreError;

/// Appends a row to the audit trail, chained to the last one.
pub(crate) fn append(
    db: &Connection,
    at_ms: i64,
    what: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    let before: Option<Vec<u8>> = db
        .prepare_cached("SELECT chain FROM audit ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let link = chain::audit(before.as_deref(), at_ms, what, detail);
    db.prepare_cached("INSERT INTO audit (at_ms, what, detail, chain) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![at_ms, what, detail, link])?;
    Ok(())
}

/// Appends a row to the audit trail of the record at `path` in a
/// transaction of its own.
pub fn note(
    db: &mut Connection,
    path: &Path,
    at_ms: i64,
    what: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let fail = |e| StoreError::sql(path, e);
    let tx = db.transaction().map_err(fail)?;
    append(&tx, at_ms, what, detail).map_err(fail)?;
    tx.commit().map_err(fail)
}

/// A row of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    /// Its number.
    pub id: i64,
    /// When, milliseconds since 1970 (UTC).
    pub at_ms: i64,
    /// What was done.
    pub what: String,
    /// More about it (session numbers, a format; never a client's words).
    pub detail: String,
}

/// The audit trail, oldest first.
pub fn trail(db: &Connection) -> rusqlite::Result<Vec<AuditRow>> {
    db.prepare("SELECT id, at_ms, what, detail FROM audit ORDER BY id")?
        .query_map([], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                at_ms: r.get(1)?,
                what: r.get(2)?,
                detail: r.get(3)?,
            })
        })?
        .collect()
}

/// Checks the trail's chain, saying in `broken` each row that does not
/// hold; returns how many rows there are.
pub(super) fn check(db: &Connection, broken: &mut Vec<String>) -> rusqlite::Result<usize> {
    let mut rows = db.prepare("SELECT id, at_ms, what, detail, chain FROM audit ORDER BY id")?;
    let mut rows = rows.query([])?;
    let mut before: Option<Vec<u8>> = None;
    let mut rows_seen = 0;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let link = chain::audit(
            before.as_deref(),
            r.get(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
        );
        let kept: Option<Vec<u8>> = r.get(4)?;
        if kept.as_deref() != Some(link.as_slice()) {
            broken.push(format!(
                "audit row {id} does not follow the row before it: it, or one before it, was \
                 changed or removed"
            ));
        }
        rows_seen += 1;
        // The chain goes on from what is kept, so one changed row is
        // named once, not with every row after it.
        before = kept.or(Some(link));
    }
    Ok(rows_seen)
}

/// The session numbers an audit row's detail lists after "sessions:".
pub(crate) fn numbers_in(detail: &str) -> Vec<i64> {
    detail
        .split_once("sessions:")
        .map(|(_, list)| {
            list.split([',', ' '])
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Session numbers as an audit row's detail lists them.
pub(crate) fn sessions_detail(ids: &[i64]) -> String {
    format!("sessions: {}", words(ids))
}

pub(super) fn words(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_numbers_a_row_lists_read_back() {
        assert_eq!(numbers_in(&sessions_detail(&[3, 17, 4])), [3, 17, 4]);
        assert_eq!(numbers_in("a client was deleted; sessions: 9"), [9]);
        assert!(numbers_in("sessions: ").is_empty());
        assert!(numbers_in("exported as csv").is_empty());
    }
}
