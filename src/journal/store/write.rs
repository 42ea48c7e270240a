//! Writing to the record: a session begun, the scenes and steps it passes
//! through, its entries, its end; and deleting sessions without a trace.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::error::StoreError;
use crate::journal::live;
use crate::journal::{Entry, NewSession};

/// Starts a session; returns its number, one never given before in this
/// record.
pub fn begin(tx: &Transaction, session: &NewSession) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO sessions (alias, scene, title, kind, started_ms, started_at_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        session.alias,
        session.scene,
        session.title,
        session.kind.as_str(),
        session.started_ms,
        session.started_at_us
    ])?;
    let id = tx.last_insert_rowid();
    add_steps(tx, id, &session.scene, &session.steps)?;
    Ok(id)
}

/// Session `id` goes on in `scene`, whose hierarchy has `steps`; returns
/// false, adding nothing, when the session is not in the record.
pub(crate) fn add_scene(
    tx: &Transaction,
    id: i64,
    scene: &str,
    steps: &[(String, String)],
) -> rusqlite::Result<bool> {
    let known: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?1)")?
        .query_row([id], |r| r.get(0))?;
    if known {
        add_steps(tx, id, scene, steps)?;
    }
    Ok(known)
}

/// Adds what happened to session `id`; returns false, adding nothing, when
/// the session is not in the record (it was deleted while it ran).
pub fn add(tx: &Transaction, id: i64, entry: &Entry) -> rusqlite::Result<bool> {
    let added = tx
        .prepare_cached(
            "INSERT INTO entries (session, at_us, wall_ms, kind, step, value, text, scene)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
             WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?1)",
        )?
        .execute(params![
            id,
            entry.at_us,
            entry.wall_ms,
            entry.kind.as_str(),
            entry.step,
            entry.value,
            entry.text,
            entry.scene
        ])?;
    Ok(added == 1)
}

/// Ends session `id`; returns false when the session is not in the record.
pub fn end(tx: &Transaction, id: i64, wall_ms: i64, at_us: i64) -> rusqlite::Result<bool> {
    let ended = tx
        .prepare_cached("UPDATE sessions SET ended_ms = ?2, ended_at_us = ?3 WHERE id = ?1")?
        .execute(params![id, wall_ms, at_us])?;
    Ok(ended == 1)
}

/// Whether session `id` of the record at `record` is being recorded by a
/// Stillpoint running now (a lock file left by one that was killed is
/// removed on the way).
pub(crate) fn is_recorded_now(record: &Path, id: i64) -> Result<bool, StoreError> {
    live::is_recorded_now(record, id).map_err(|e| {
        StoreError::io(
            record,
            format!(
                "cannot tell whether session {id} is being recorded now ({})",
                live::file(record, id).display()
            ),
            e,
        )
    })
}

/// Deletes sessions (with their steps and entries) from the record at
/// `record` and leaves no readable trace of them: `secure_delete` zeroes the
/// freed pages, and the log is checkpointed into the file and emptied.
/// Refuses, deleting none, when a Stillpoint running now is recording any
/// of them. Returns how many went.
pub fn delete(db: &mut Connection, record: &Path, ids: &[i64]) -> Result<usize, StoreError> {
    let fail = |e| StoreError::sql(record, e);
    // Immediate: the write lock is taken before the check, so no writer can
    // commit a session's beginning or end between the check and the delete.
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    for &id in ids {
        if is_recorded_now(record, id)? {
            return Err(StoreError::Live(id));
        }
    }
    let mut gone = 0;
    for id in ids {
        gone += tx
            .execute("DELETE FROM sessions WHERE id = ?1", [id])
            .map_err(fail)?;
    }
    tx.commit().map_err(fail)?;
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(|e| StoreError::sql_on(record, &*db, e))?;
    Ok(gone)
}

/// The steps of `scene` in session `id`, kept once (a scene come back to
/// has them already).
fn add_steps(
    tx: &Transaction,
    id: i64,
    scene: &str,
    steps: &[(String, String)],
) -> rusqlite::Result<()> {
    let mut step = tx.prepare_cached(
        "INSERT OR IGNORE INTO steps (session, scene, number, name, say)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, (name, say)) in steps.iter().enumerate() {
        step.execute(params![id, scene, i as i64 + 1, name, say])?;
    }
    Ok(())
}
