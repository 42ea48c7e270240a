//! Corrections and closed notes. Nothing recorded is changed in place: a
//! correction is a new entry that names the entry it corrects (`corrects`)
//! and says the right value or words and why; a note is closed by a new
//! entry with the therapist's name and the time, after which it can no
//! longer be corrected. Both are chained after the session's other entries
//! (an ended session's seal is made again over them) and both are in the
//! audit trail, without the client's words.

use rusqlite::{OptionalExtension, Transaction};

use super::audit;
use super::error::StoreError;
use super::write::{add, reseal};
use crate::journal::{Entry, EntryKind};

/// What a correction says instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amend {
    /// A SUDS that was given or recorded wrongly: the right value, 0 to 100.
    Suds(u8),
    /// A note's right words.
    Note(String),
}

/// The most characters a note, a reason or a name may have.
pub const MAX_WORDS: usize = 2000;

/// Why an amendment is refused, in words that say what to do.
fn refused(why: String) -> StoreError {
    StoreError::Refused(why)
}

/// The entry `entry` of session `session`: its kind, scene, step, and the
/// entry that closed it (a note), if one did.
fn target(
    tx: &Transaction,
    session: i64,
    entry: i64,
) -> Result<(EntryKind, String, Option<i64>, Option<i64>), StoreError> {
    let path = tx.path().map(std::path::PathBuf::from).unwrap_or_default();
    let fail = |e| StoreError::sql(&path, e);
    if tx
        .query_row(
            "SELECT 1 FROM sessions WHERE id = ?1",
            [session],
            |_| Ok(()),
        )
        .optional()
        .map_err(fail)?
        .is_none()
    {
        return Err(StoreError::NoSuchSession(session));
    }
    let found: Option<(String, Option<String>, Option<i64>)> = tx
        .query_row(
            // Entries from before schema 3 name no scene: theirs is the
            // session's.
            "SELECT kind, COALESCE(scene, (SELECT scene FROM sessions WHERE id = ?1)), step
             FROM entries WHERE session = ?1 AND id = ?2",
            [session, entry],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(fail)?;
    let Some((kind, scene, step)) = found else {
        return Err(refused(format!(
            "session {session} has no entry {entry} (the report's first column numbers them)"
        )));
    };
    let closed: Option<i64> = tx
        .query_row(
            "SELECT id FROM entries WHERE session = ?1 AND kind = 'note_closed' AND corrects = ?2",
            [session, entry],
            |r| r.get(0),
        )
        .optional()
        .map_err(fail)?;
    let kind = EntryKind::parse(&kind).unwrap_or(EntryKind::Unknown);
    Ok((kind, scene.unwrap_or_default(), step, closed))
}

/// The session time of session `session`'s latest entry: an amendment is
/// placed after everything in it.
fn latest_at_us(tx: &Transaction, session: i64) -> rusqlite::Result<i64> {
    tx.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(at_us) FROM entries WHERE session = ?1), 0),
                COALESCE(ended_at_us, 0), started_at_us)
         FROM sessions WHERE id = ?1",
        [session],
        |r| r.get(0),
    )
}

fn checked_words(what: &str, words: &str) -> Result<String, StoreError> {
    let words = words.trim();
    if words.is_empty() {
        return Err(refused(format!("{what} is empty; say it in a few words")));
    }
    if words.chars().count() > MAX_WORDS {
        return Err(refused(format!(
            "{what} is longer than {MAX_WORDS} characters"
        )));
    }
    Ok(words.to_owned())
}

/// Records a correction of entry `entry` of session `session` (a SUDS or a
/// note), made at `wall_ms`, for the reason `why`; returns the new entry's
/// number. Refused, with nothing written, for an entry the session lacks,
/// one of another kind, a closed note, a SUDS out of range, or a reason left
/// out.
pub fn correct(
    tx: &Transaction,
    session: i64,
    entry: i64,
    amend: &Amend,
    why: &str,
    wall_ms: i64,
) -> Result<i64, StoreError> {
    let (kind, scene, step, closed) = target(tx, session, entry)?;
    let why = checked_words("the reason for the correction", why)?;
    let (value, words) = match (kind, amend) {
        (EntryKind::Suds, Amend::Suds(v)) if *v <= 100 => (Some(i64::from(*v)), None),
        (EntryKind::Suds, Amend::Suds(v)) => {
            return Err(refused(format!("a SUDS is 0 to 100, not {v}")));
        }
        (EntryKind::Note, Amend::Note(words)) => {
            if let Some(closing) = closed {
                return Err(refused(format!(
                    "note {entry} of session {session} was closed (entry {closing}) and cannot \
                     change; add a new note instead"
                )));
            }
            (None, Some(checked_words("the note", words)?))
        }
        (EntryKind::Suds | EntryKind::Note, _) => {
            return Err(refused(format!(
                "entry {entry} of session {session} is a {}, and is corrected with {}",
                kind.as_str().replace('_', " "),
                if kind == EntryKind::Suds {
                    "--suds"
                } else {
                    "--note"
                }
            )));
        }
        _ => {
            return Err(refused(format!(
                "entry {entry} of session {session} is {:?} ({}); only a SUDS or a note can be \
                 corrected",
                kind.as_str(),
                kind.label()
            )));
        }
    };
    let text = serde_json::json!({ "why": why, "note": words }).to_string();
    amendment(
        tx,
        session,
        (scene, step, entry),
        (EntryKind::Correction, value, text, wall_ms),
        "corrected",
        &format!("session {session}, entry {entry}"),
    )
}

/// Closes note `entry` of session `session` in the name of `by` at
/// `wall_ms`: from then on it cannot be corrected. Returns the closing
/// entry's number; refused for anything but a note, or one closed already.
pub fn close_note(
    tx: &Transaction,
    session: i64,
    entry: i64,
    by: &str,
    wall_ms: i64,
) -> Result<i64, StoreError> {
    let (kind, scene, step, closed) = target(tx, session, entry)?;
    if kind != EntryKind::Note {
        return Err(refused(format!(
            "entry {entry} of session {session} is not a note ({})",
            kind.label()
        )));
    }
    if let Some(closing) = closed {
        return Err(refused(format!(
            "note {entry} of session {session} is closed already (entry {closing})"
        )));
    }
    let by = checked_words("the therapist's name", by)?;
    amendment(
        tx,
        session,
        (scene, step, entry),
        (EntryKind::NoteClosed, None, by.clone(), wall_ms),
        "closed a note",
        &format!("session {session}, entry {entry}, by {by}"),
    )
}

/// Adds an amendment (its kind, value, words and time) of the entry
/// `target` names (its scene, step and number) after everything in session
/// `session`, seals the session again if it has ended, and puts `what` in
/// the audit trail.
fn amendment(
    tx: &Transaction,
    session: i64,
    (scene, step, target): (String, Option<i64>, i64),
    (kind, value, text, wall_ms): (EntryKind, Option<i64>, String, i64),
    what: &str,
    detail: &str,
) -> Result<i64, StoreError> {
    let path = tx.path().map(std::path::PathBuf::from).unwrap_or_default();
    let fail = |e| StoreError::sql(&path, e);
    let entry = Entry {
        scene,
        at_us: latest_at_us(tx, session).map_err(fail)?,
        wall_ms,
        kind,
        step,
        value,
        text,
        corrects: Some(target),
        id: None,
    };
    if !add(tx, session, &entry).map_err(fail)? {
        return Err(StoreError::NoSuchSession(session));
    }
    let id = tx.last_insert_rowid();
    reseal(tx, session).map_err(fail)?;
    audit::append(tx, entry.wall_ms, what, detail).map_err(fail)?;
    Ok(id)
}
