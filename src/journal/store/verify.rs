//! `journal verify`: the database's own checks, every page's encryption,
//! and every chain of the record (see [`super::chain`]): each session's
//! steps, entries and seal, the audit trail, the plans, and the session
//! numbers the audit trail accounts for. Says where anything breaks.

use rusqlite::Connection;

use super::audit::{self, numbers_in, words};
use super::chain::{self, EntryFields, Header};

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
    found.audit = audit::check(db, &mut found.broken)?;
    check_sessions(db, &mut found)?;
    found.plans = super::plans::check(db, &mut found.broken)?;
    check_numbers(db, &mut found)?;
    Ok(found)
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
