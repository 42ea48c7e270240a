//! The record's file: where it lives, its schema and migrations, and the
//! reads, writes and deletes on it. Plain functions on a connection, used by
//! the writer thread and by `stillpoint journal`.

use std::fs;
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Entry, EntryKind, NewSession, SessionKind};

/// The schema, one migration a version: migration `n` (from 0) takes the file
/// from version `n` to `n + 1`. Never edit one that has shipped; add another.
const MIGRATIONS: &[&str] = &[
    // 1: sessions, the steps they had, and what happened in them.
    "CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        alias TEXT NOT NULL,
        scene TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('exposure', 'relaxation')),
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        ended_at_us INTEGER
    );
    CREATE TABLE steps (
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        say TEXT NOT NULL,
        PRIMARY KEY (session, number)
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        at_us INTEGER NOT NULL,
        wall_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        step INTEGER,
        value INTEGER,
        text TEXT NOT NULL
    );
    CREATE INDEX entries_by_session ON entries (session, id);
    CREATE INDEX sessions_by_alias ON sessions (alias);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What went wrong with the record's file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder or the file could not be made or opened.
    #[error("{path}: {source}")]
    Io {
        /// Which.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// SQLite refused.
    #[error("the session record: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The file was written by a newer Stillpoint.
    #[error(
        "the session record is at schema version {found}; this Stillpoint knows up to {known}: \
         use a newer Stillpoint (the file is left as it is)"
    )]
    Newer {
        /// The file's version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// No session has this number.
    #[error("no session {0} in the record (`stillpoint journal list` shows them)")]
    NoSuchSession(i64),
}

/// The record's file: `$XDG_DATA_HOME/stillpoint/journal.sqlite3`, or under
/// `~/.local/share` when `XDG_DATA_HOME` is not set (or not absolute, as the
/// XDG rules say).
pub fn default_path() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|home| home.join(".local/share"))
        })?;
    Some(data.join("stillpoint").join("journal.sqlite3"))
}

/// Opens the record at `path`, making its folder (0700) and file (0600) if
/// they are not there, and brings its schema up to date. Returns `None` for a
/// file that does not exist when `create` is false.
pub fn open(path: &Path, create: bool) -> Result<Option<Connection>, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if !path.exists() {
        if !create {
            return Ok(None);
        }
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(|source| StoreError::Io {
                path: folder.to_path_buf(),
                source,
            })?;
            fs::set_permissions(folder, fs::Permissions::from_mode(0o700)).map_err(|source| {
                StoreError::Io {
                    path: folder.to_path_buf(),
                    source,
                }
            })?;
        }
        // Made here with the mode it keeps; SQLite gives its -wal and -shm
        // files the database file's permissions.
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
    }
    let mut db = Connection::open(path)?;
    db.busy_timeout(std::time::Duration::from_secs(5))?;
    // A file from a newer Stillpoint is left exactly as it is.
    let found: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            found,
            known: SCHEMA_VERSION,
        });
    }
    // Deleted sessions are overwritten, not just unlinked from the tree.
    db.pragma_update(None, "secure_delete", "ON")?;
    db.pragma_update(None, "foreign_keys", "ON")?;
    let mode: String = db.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Sql(rusqlite::Error::InvalidParameterName(
            format!("the file would not use a write-ahead log (journal mode {mode})"),
        )));
    }
    // Each commit is on the disk before it is acknowledged.
    db.pragma_update(None, "synchronous", "FULL")?;
    migrate(&mut db)?;
    // Only its owner reads it, whoever made it.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io)?;
    Ok(Some(db))
}

/// Runs the migrations the file has not had, in one transaction.
fn migrate(db: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = db.transaction()?;
    for sql in &MIGRATIONS[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Starts a session; returns its number.
pub fn begin(tx: &Transaction, session: &NewSession) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO sessions (alias, scene, title, kind, started_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        session.alias,
        session.scene,
        session.title,
        session.kind.as_str(),
        session.started_ms
    ])?;
    let id = tx.last_insert_rowid();
    let mut step = tx
        .prepare_cached("INSERT INTO steps (session, number, name, say) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, (name, say)) in session.steps.iter().enumerate() {
        step.execute(params![id, i as i64 + 1, name, say])?;
    }
    Ok(id)
}

/// Adds what happened to session `id`.
pub fn add(tx: &Transaction, id: i64, entry: &Entry) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO entries (session, at_us, wall_ms, kind, step, value, text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        entry.at_us,
        entry.wall_ms,
        entry.kind.as_str(),
        entry.step,
        entry.value,
        entry.text
    ])?;
    Ok(())
}

/// Ends session `id`.
pub fn end(tx: &Transaction, id: i64, wall_ms: i64, at_us: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE sessions SET ended_ms = ?2, ended_at_us = ?3 WHERE id = ?1")?
        .execute(params![id, wall_ms, at_us])?;
    Ok(())
}

/// A session as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionRow {
    /// Its number.
    pub id: i64,
    /// The client's alias, as the therapist typed it.
    pub alias: String,
    /// The scene's file, inside the scene folder.
    pub scene: String,
    /// The scene's title.
    pub title: String,
    /// Exposure or relaxation.
    pub kind: SessionKind,
    /// When it started, milliseconds since 1970 (UTC).
    pub started_ms: i64,
    /// When it ended; `None`: it never said (the app was stopped hard, or
    /// is still running).
    pub ended_ms: Option<i64>,
    /// Its length in session time (pauses not counted), microseconds, as of
    /// its end or its last entry.
    pub length_us: i64,
    /// How many entries it has.
    pub entries: i64,
}

/// A session with everything in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionRecord {
    /// The session.
    pub session: SessionRow,
    /// Its steps, lowest first: name and sentence.
    pub steps: Vec<(String, String)>,
    /// What happened, in order.
    pub entries: Vec<Entry>,
}

const SESSION_COLUMNS: &str = "s.id, s.alias, s.scene, s.title, s.kind, s.started_ms, s.ended_ms,
     COALESCE(s.ended_at_us, (SELECT MAX(at_us) FROM entries WHERE session = s.id), 0),
     (SELECT COUNT(*) FROM entries WHERE session = s.id)";

fn session_row(r: &rusqlite::Row) -> rusqlite::Result<SessionRow> {
    let kind: String = r.get(4)?;
    Ok(SessionRow {
        id: r.get(0)?,
        alias: r.get(1)?,
        scene: r.get(2)?,
        title: r.get(3)?,
        kind: SessionKind::parse(&kind).unwrap_or(SessionKind::Relaxation),
        started_ms: r.get(5)?,
        ended_ms: r.get(6)?,
        length_us: r.get(7)?,
        entries: r.get(8)?,
    })
}

/// Every session, oldest first.
pub fn sessions(db: &Connection) -> rusqlite::Result<Vec<SessionRow>> {
    let mut stmt = db.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s ORDER BY s.id"
    ))?;
    stmt.query_map([], session_row)?.collect()
}

/// One session, whole.
pub fn session(db: &Connection, id: i64) -> Result<SessionRecord, StoreError> {
    let session = db
        .query_row(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = ?1"),
            [id],
            session_row,
        )
        .optional()?
        .ok_or(StoreError::NoSuchSession(id))?;
    let steps = db
        .prepare("SELECT name, say FROM steps WHERE session = ?1 ORDER BY number")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let entries = db
        .prepare(
            "SELECT at_us, wall_ms, kind, step, value, text FROM entries
             WHERE session = ?1 ORDER BY id",
        )?
        .query_map([id], |r| {
            let kind: String = r.get(2)?;
            Ok(Entry {
                at_us: r.get(0)?,
                wall_ms: r.get(1)?,
                kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Unknown),
                step: r.get(3)?,
                value: r.get(4)?,
                text: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(SessionRecord {
        session,
        steps,
        entries,
    })
}

/// Deletes sessions (with their steps and entries) and leaves no readable
/// trace of them: `secure_delete` zeroes the freed pages, and the log is
/// checkpointed into the file and emptied. Returns how many went.
pub fn delete(db: &mut Connection, ids: &[i64]) -> rusqlite::Result<usize> {
    let tx = db.transaction()?;
    let mut gone = 0;
    for id in ids {
        gone += tx.execute("DELETE FROM sessions WHERE id = ?1", [id])?;
    }
    tx.commit()?;
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(gone)
}

/// The sessions of one alias, as listed.
pub fn sessions_of(db: &Connection, alias: &str) -> rusqlite::Result<Vec<SessionRow>> {
    let mut stmt = db.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.alias = ?1 ORDER BY s.id"
    ))?;
    stmt.query_map([alias], session_row)?.collect()
}
