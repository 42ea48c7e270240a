//! Writing to the record: a session begun, the scenes and steps it passes
//! through, its entries, its end; and deleting sessions without a trace.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::chain::{self, EntryFields, Header, Link};
use super::clients::{self, Client};
use super::error::StoreError;
use super::{audit, now_ms};
use crate::journal::live;
use crate::journal::{Entry, NewSession};

/// Starts a session for the client it names (made if need be); returns its
/// number, one never given before in this record, and the client.
pub fn begin(tx: &Transaction, session: &NewSession) -> rusqlite::Result<(i64, Client)> {
    let client = clients::resolve(tx, &session.client, session.started_ms)?;
    tx.prepare_cached(
        "INSERT INTO sessions (alias, client, scene, title, kind, started_ms, started_at_us)
         VALUES ('', ?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        client.id,
        session.scene,
        session.title,
        session.kind.as_str(),
        session.started_ms,
        session.started_at_us
    ])?;
    let id = tx.last_insert_rowid();
    let header = Header {
        id,
        client: client.id,
        scene: &session.scene,
        title: &session.title,
        kind: session.kind.as_str(),
        started_ms: session.started_ms,
        started_at_us: session.started_at_us,
    }
    .link();
    tx.prepare_cached("UPDATE sessions SET chain = ?2 WHERE id = ?1")?
        .execute(params![id, header])?;
    add_steps(tx, id, &session.scene, &session.steps)?;
    Ok((id, client))
}

/// Session `id` is recorded for the client `who` names from now on (the
/// therapist chose before it started); its links are made again, as its
/// header names the client. `None` when the session is not in the record.
pub(crate) fn set_client(
    tx: &Transaction,
    id: i64,
    who: &clients::ClientRef,
    now_ms: i64,
) -> rusqlite::Result<Option<Client>> {
    let known: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?1)")?
        .query_row([id], |r| r.get(0))?;
    if !known {
        return Ok(None);
    }
    let client = clients::resolve(tx, who, now_ms)?;
    tx.prepare_cached("UPDATE sessions SET client = ?2 WHERE id = ?1")?
        .execute(params![id, client.id])?;
    link_session(tx, id)?;
    Ok(Some(client))
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
    let Some(before) = last_entry_link(tx, id)? else {
        return Ok(false);
    };
    let kind = entry.kind.as_str();
    let link = EntryFields {
        session: id,
        scene: Some(&entry.scene),
        at_us: entry.at_us,
        wall_ms: entry.wall_ms,
        kind,
        step: entry.step,
        value: entry.value,
        text: &entry.text,
        corrects: entry.corrects,
    }
    .link(&before);
    tx.prepare_cached(
        "INSERT INTO entries (session, at_us, wall_ms, kind, step, value, text, scene, corrects,
                              chain)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        id,
        entry.at_us,
        entry.wall_ms,
        kind,
        entry.step,
        entry.value,
        entry.text,
        entry.scene,
        entry.corrects,
        link
    ])?;
    Ok(true)
}

/// Ends session `id` and seals its chains; returns false when the session
/// is not in the record.
pub fn end(tx: &Transaction, id: i64, wall_ms: i64, at_us: i64) -> rusqlite::Result<bool> {
    let (Some(steps), Some(entries)) = (last_step_link(tx, id)?, last_entry_link(tx, id)?) else {
        return Ok(false);
    };
    let seal = chain::seal(&steps, &entries, wall_ms, Some(at_us));
    let ended = tx
        .prepare_cached(
            "UPDATE sessions SET ended_ms = ?2, ended_at_us = ?3, seal = ?4 WHERE id = ?1",
        )?
        .execute(params![id, wall_ms, at_us, seal])?;
    Ok(ended == 1)
}

/// Seals ended session `id` again over its last step and entry, after an
/// amendment was added to it; a session still open is left to its end.
pub(super) fn reseal(tx: &Transaction, id: i64) -> rusqlite::Result<()> {
    let ended: Option<(Option<i64>, Option<i64>)> = tx
        .query_row(
            "SELECT ended_ms, ended_at_us FROM sessions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((Some(ended_ms), ended_at_us)) = ended else {
        return Ok(());
    };
    if let (Some(steps), Some(entries)) = (last_step_link(tx, id)?, last_entry_link(tx, id)?) {
        let seal = chain::seal(&steps, &entries, ended_ms, ended_at_us);
        tx.prepare_cached("UPDATE sessions SET seal = ?2 WHERE id = ?1")?
            .execute(params![id, seal])?;
    }
    Ok(())
}

/// The link session `id`'s next entry follows: its last entry's, or its
/// header's; `None` when the session is not in the record.
fn last_entry_link(tx: &Connection, id: i64) -> rusqlite::Result<Option<Link>> {
    last_link(
        tx,
        id,
        "SELECT chain FROM entries WHERE session = ?1 ORDER BY id DESC LIMIT 1",
    )
}

/// The link session `id`'s next step follows.
fn last_step_link(tx: &Connection, id: i64) -> rusqlite::Result<Option<Link>> {
    last_link(
        tx,
        id,
        "SELECT chain FROM steps WHERE session = ?1 ORDER BY rowid DESC LIMIT 1",
    )
}

/// The link `last` (a query of one row of session `id`) finds, or else the
/// session's header's.
fn last_link(tx: &Connection, id: i64, last: &str) -> rusqlite::Result<Option<Link>> {
    let found: Option<Link> = tx
        .prepare_cached(last)?
        .query_row([id], |r| r.get(0))
        .optional()?;
    match found {
        Some(link) => Ok(Some(link)),
        None => header_link(tx, id),
    }
}

fn header_link(tx: &Connection, id: i64) -> rusqlite::Result<Option<Link>> {
    tx.prepare_cached("SELECT chain FROM sessions WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<Link>>(0))
        .optional()
        .map(Option::flatten)
}

/// Computes every link of session `id` from its rows as they are: its
/// header, its steps in the order they were kept, its entries in order, and
/// its seal if it ended. For a record's rows from before there were links.
pub(super) fn link_session(tx: &Transaction, id: i64) -> rusqlite::Result<()> {
    let (client, scene, title, kind, started_ms, started_at_us, ended_ms, ended_at_us): (
        i64,
        String,
        String,
        String,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
    ) = tx.query_row(
        "SELECT client, scene, title, kind, started_ms, started_at_us, ended_ms, ended_at_us
         FROM sessions WHERE id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        },
    )?;
    let header = Header {
        id,
        client,
        scene: &scene,
        title: &title,
        kind: &kind,
        started_ms,
        started_at_us,
    }
    .link();
    tx.execute(
        "UPDATE sessions SET chain = ?2 WHERE id = ?1",
        params![id, header],
    )?;
    let steps: Vec<(i64, String, i64, String, String)> = tx
        .prepare(
            "SELECT rowid, scene, number, name, say FROM steps WHERE session = ?1 ORDER BY rowid",
        )?
        .query_map([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut step_link = header.clone();
    for (rowid, scene, number, name, say) in steps {
        step_link = chain::step(&step_link, id, &scene, number, &name, &say);
        tx.execute(
            "UPDATE steps SET chain = ?2 WHERE rowid = ?1",
            params![rowid, step_link],
        )?;
    }
    type Row = (
        i64,
        Option<String>,
        i64,
        i64,
        String,
        Option<i64>,
        Option<i64>,
        String,
        Option<i64>,
    );
    let entries: Vec<Row> = tx
        .prepare(
            "SELECT id, scene, at_us, wall_ms, kind, step, value, text, corrects FROM entries
             WHERE session = ?1 ORDER BY id",
        )?
        .query_map([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut entry_link = header;
    for (entry, scene, at_us, wall_ms, kind, step, value, text, corrects) in entries {
        entry_link = EntryFields {
            session: id,
            scene: scene.as_deref(),
            at_us,
            wall_ms,
            kind: &kind,
            step,
            value,
            text: &text,
            corrects,
        }
        .link(&entry_link);
        tx.execute(
            "UPDATE entries SET chain = ?2 WHERE id = ?1",
            params![entry, entry_link],
        )?;
    }
    if let Some(ended_ms) = ended_ms {
        let seal = chain::seal(&step_link, &entry_link, ended_ms, ended_at_us);
        tx.execute(
            "UPDATE sessions SET seal = ?2 WHERE id = ?1",
            params![id, seal],
        )?;
    }
    Ok(())
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
    let mut gone = Vec::new();
    for &id in ids {
        if tx
            .execute("DELETE FROM sessions WHERE id = ?1", [id])
            .map_err(fail)?
            == 1
        {
            gone.push(id);
        }
    }
    if !gone.is_empty() {
        audit::append(&tx, now_ms(), "deleted", &audit::sessions_detail(&gone)).map_err(fail)?;
    }
    tx.commit().map_err(fail)?;
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(|e| StoreError::sql_on(record, &*db, e))?;
    Ok(gone.len())
}

/// The steps of `scene` in session `id`, kept once (a scene come back to
/// has them already).
fn add_steps(
    tx: &Transaction,
    id: i64,
    scene: &str,
    steps: &[(String, String)],
) -> rusqlite::Result<()> {
    let Some(mut before) = last_step_link(tx, id)? else {
        return Ok(());
    };
    let mut step = tx.prepare_cached(
        "INSERT OR IGNORE INTO steps (session, scene, number, name, say, chain)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, (name, say)) in steps.iter().enumerate() {
        let number = i as i64 + 1;
        let link = chain::step(&before, id, scene, number, name, say);
        // A step already kept (a scene come back to) keeps its link.
        if step.execute(params![id, scene, number, name, say, link])? == 1 {
            before = link;
        }
    }
    Ok(())
}

/// Deletes clients with every session of theirs, as [`delete`] deletes
/// sessions, and leaves one audit row that says how many clients and which
/// session numbers went, and nothing of theirs. `clients` empty: every
/// client. Refuses, deleting nothing, when a Stillpoint running now is
/// recording any of their sessions. Returns how many clients and sessions
/// went.
pub fn delete_clients(
    db: &mut Connection,
    record: &Path,
    clients: &[Client],
    all: bool,
) -> Result<(usize, usize), StoreError> {
    let fail = |e| StoreError::sql(record, e);
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    let chosen: Vec<i64> = if all {
        tx.prepare("SELECT id FROM clients")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(fail)?
    } else {
        clients.iter().map(|c| c.id).collect()
    };
    let mut sessions: Vec<i64> = Vec::new();
    for client in &chosen {
        let ids: Vec<i64> = tx
            .prepare("SELECT id FROM sessions WHERE client = ?1 ORDER BY id")
            .and_then(|mut s| s.query_map([client], |r| r.get(0))?.collect())
            .map_err(fail)?;
        sessions.extend(ids);
    }
    if all {
        // Sessions of no client (there should be none) go too.
        let rest: Vec<i64> = tx
            .prepare("SELECT id FROM sessions WHERE client IS NULL")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(fail)?;
        sessions.extend(rest);
    }
    for &id in &sessions {
        if is_recorded_now(record, id)? {
            return Err(StoreError::Live(id));
        }
    }
    for &id in &sessions {
        tx.execute("DELETE FROM sessions WHERE id = ?1", [id])
            .map_err(fail)?;
    }
    for client in &chosen {
        tx.execute("DELETE FROM clients WHERE id = ?1", [client])
            .map_err(fail)?;
    }
    let what = if all {
        "every client was deleted".to_owned()
    } else if chosen.len() == 1 {
        "a client was deleted".to_owned()
    } else {
        format!("{} clients were deleted", chosen.len())
    };
    sessions.sort_unstable();
    audit::append(
        &tx,
        now_ms(),
        "deleted",
        &format!("{what}; {}", audit::sessions_detail(&sessions)),
    )
    .map_err(fail)?;
    tx.commit().map_err(fail)?;
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(|e| StoreError::sql_on(record, &*db, e))?;
    Ok((chosen.len(), sessions.len()))
}
