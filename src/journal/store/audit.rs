//! The audit trail: one append-only, hash-chained row for each thing done
//! to the record that a therapist answers for (unlocking it, exporting,
//! deleting, making a client, changing the passphrase). A row says what was
//! done and when, never who the client is: a deleted client leaves a row
//! that says a client was deleted, and nothing of theirs.
//!
//! [`verify`] walks every chain in the record (see [`super::chain`]) and
//! the database's own checks, and says where anything breaks.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::chain::{self, EntryFields, Header};
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

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Sessions checked.
    pub sessions: usize,
    /// Entries checked.
    pub entries: usize,
    /// Audit rows checked.
    pub audit: usize,
    /// Plans checked.
    pub plans: usize,
    /// Where something does not hold, in words; none when the record is
    /// whole.
    pub broken: Vec<String>,
}

/// Checks the record `db` has open: the database's own integrity (and,
/// when it is encrypted, every page's authentication code), every session's
/// chains and seal, the audit trail's chain, and that every session number
/// given and no longer there was deleted as the audit trail says.
pub fn verify(db: &Connection, encrypted: bool) -> rusqlite::Result<Verified> {
    let mut found = Verified::default();
    let integrity: Vec<String> = db
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if integrity != ["ok"] {
        for line in integrity {
            found
                .broken
                .push(format!("the database's own check: {line}"));
        }
    }
    if encrypted {
        let pages: Vec<String> = db
            .prepare("PRAGMA cipher_integrity_check")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for line in pages {
            found
                .broken
                .push(format!("the encryption's check of every page: {line}"));
        }
    }
    check_audit(db, &mut found)?;
    check_sessions(db, &mut found)?;
    found.plans = super::plans::check(db, &mut found.broken)?;
    check_numbers(db, &mut found)?;
    Ok(found)
}

fn check_audit(db: &Connection, found: &mut Verified) -> rusqlite::Result<()> {
    let mut rows = db.prepare("SELECT id, at_ms, what, detail, chain FROM audit ORDER BY id")?;
    let mut rows = rows.query([])?;
    let mut before: Option<Vec<u8>> = None;
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
            found.broken.push(format!(
                "audit row {id} does not follow the row before it: it, or one before it, was \
                 changed or removed"
            ));
        }
        found.audit += 1;
        // The chain goes on from what is kept, so one changed row is
        // named once, not with every row after it.
        before = kept.or(Some(link));
    }
    Ok(())
}

fn check_sessions(db: &Connection, found: &mut Verified) -> rusqlite::Result<()> {
    let mut sessions = db.prepare(
        "SELECT id, client, scene, title, kind, started_ms, started_at_us, ended_ms, ended_at_us,
                chain, seal
         FROM sessions ORDER BY id",
    )?;
    let mut steps = db.prepare(
        "SELECT scene, number, name, say, chain FROM steps WHERE session = ?1 ORDER BY rowid",
    )?;
    let mut entries = db.prepare(
        "SELECT id, scene, at_us, wall_ms, kind, step, value, text, corrects, chain
         FROM entries WHERE session = ?1 ORDER BY id",
    )?;
    let mut rows = sessions.query([])?;
    while let Some(r) = rows.next()? {
        found.sessions += 1;
        let id: i64 = r.get(0)?;
        let Some(client) = r.get::<_, Option<i64>>(1)? else {
            found
                .broken
                .push(format!("session {id} belongs to no client"));
            continue;
        };
        let (scene, title, kind): (String, String, String) = (r.get(2)?, r.get(3)?, r.get(4)?);
        let header = Header {
            id,
            client,
            scene: &scene,
            title: &title,
            kind: &kind,
            started_ms: r.get(5)?,
            started_at_us: r.get(6)?,
        }
        .link();
        let kept: Option<Vec<u8>> = r.get(9)?;
        if kept.as_deref() != Some(header.as_slice()) {
            found.broken.push(format!(
                "session {id}'s start (its client, scene, title, kind or time) was changed"
            ));
        }
        let mut step_link = header.clone();
        let mut step_rows = steps.query([id])?;
        while let Some(s) = step_rows.next()? {
            let number: i64 = s.get(1)?;
            let scene: String = s.get(0)?;
            let link = chain::step(
                &step_link,
                id,
                &scene,
                number,
                &s.get::<_, String>(2)?,
                &s.get::<_, String>(3)?,
            );
            let kept: Option<Vec<u8>> = s.get(4)?;
            if kept.as_deref() != Some(link.as_slice()) {
                found.broken.push(format!(
                    "session {id}, step {number} of {scene}: changed, or a step kept before it \
                     was changed or removed"
                ));
            }
            step_link = kept.unwrap_or(link);
        }
        let mut entry_link = header;
        let mut entry_rows = entries.query([id])?;
        while let Some(e) = entry_rows.next()? {
            found.entries += 1;
            let entry: i64 = e.get(0)?;
            let scene: Option<String> = e.get(1)?;
            let kind: String = e.get(4)?;
            let text: String = e.get(7)?;
            let link = EntryFields {
                session: id,
                scene: scene.as_deref(),
                at_us: e.get(2)?,
                wall_ms: e.get(3)?,
                kind: &kind,
                step: e.get(5)?,
                value: e.get(6)?,
                text: &text,
                corrects: e.get(8)?,
            }
            .link(&entry_link);
            let kept: Option<Vec<u8>> = e.get(9)?;
            if kept.as_deref() != Some(link.as_slice()) {
                found.broken.push(format!(
                    "session {id}, entry {entry}: changed, or an entry before it was changed or \
                     removed"
                ));
            }
            entry_link = kept.unwrap_or(link);
        }
        let ended_ms: Option<i64> = r.get(7)?;
        let seal: Option<Vec<u8>> = r.get(10)?;
        match ended_ms {
            Some(ended_ms) => {
                let link = chain::seal(&step_link, &entry_link, ended_ms, r.get(8)?);
                if seal.as_deref() != Some(link.as_slice()) {
                    found.broken.push(format!(
                        "session {id}'s end, or its last step or entry, was changed or removed"
                    ));
                }
            }
            None if seal.is_some() => found
                .broken
                .push(format!("session {id} was ended, and its end was removed")),
            None => {}
        }
    }
    Ok(())
}

/// Every session number given and no longer there must be one the audit
/// trail says was deleted (or was missing when the trail began).
fn check_numbers(db: &Connection, found: &mut Verified) -> rusqlite::Result<()> {
    let highest: i64 = db.query_row(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sessions'), 0)",
        [],
        |r| r.get(0),
    )?;
    let there: Vec<i64> = db
        .prepare("SELECT id FROM sessions ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let said: Vec<String> = db
        .prepare("SELECT detail FROM audit WHERE what IN ('deleted', 'audit began')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let accounted: Vec<i64> = said.iter().flat_map(|detail| numbers_in(detail)).collect();
    let mut missing = Vec::new();
    for id in 1..=highest {
        if there.binary_search(&id).is_err() && !accounted.contains(&id) {
            missing.push(id);
        }
    }
    if !missing.is_empty() {
        found.broken.push(format!(
            "session{} {} {} gone, and the audit trail does not say it was deleted",
            if missing.len() == 1 { "" } else { "s" },
            words(&missing),
            if missing.len() == 1 { "is" } else { "are" },
        ));
    }
    Ok(())
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

fn words(ids: &[i64]) -> String {
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
