//! The record's file: where it lives, its schema and migrations, and the
//! reads, writes and deletes on it. Plain functions on a connection, used by
//! the writer thread and by `stillpoint journal`.
//!
//! Whatever writes (the app's writer, `journal delete`) opens the file with
//! [`open`], which makes it and brings its schema up to date; whatever only
//! reads (`journal list`, `journal export`, the console's export) opens it
//! with [`open_read`], which never changes a byte of it nor its mode. Every
//! error names the file and says in plain words what happened and what to
//! do, and never shows the SQL of a statement.

use std::fs;
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

use super::live;
use super::{Entry, EntryKind, NewSession, SessionKind};

/// The schema, one migration a version: migration `n` (from 0) takes the file
/// from version `n` to `n + 1`. Never edit one that has shipped; add another.
/// They run with foreign keys off (see [`migrate`]).
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
    // 2: a session's number is never given again. A plain INTEGER PRIMARY
    // KEY gives the highest number again once its session is deleted, so an
    // app still recording that session (or holding its entries) would write
    // into the next app's session. AUTOINCREMENT remembers the highest ever
    // given. The table is rebuilt as SQLite's documentation says (make the
    // new one, copy, drop the old, rename), with the same columns. Steps and
    // entries whose session is already gone (deleted by a tool that does not
    // enforce foreign keys) are what a delete left behind: they go first.
    "DELETE FROM entries WHERE session NOT IN (SELECT id FROM sessions);
    DELETE FROM steps WHERE session NOT IN (SELECT id FROM sessions);
    CREATE TABLE sessions_rebuilt (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alias TEXT NOT NULL,
        scene TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('exposure', 'relaxation')),
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        ended_at_us INTEGER
    );
    INSERT INTO sessions_rebuilt (id, alias, scene, title, kind, started_ms, ended_ms, ended_at_us)
        SELECT id, alias, scene, title, kind, started_ms, ended_ms, ended_at_us FROM sessions;
    DROP TABLE sessions;
    ALTER TABLE sessions_rebuilt RENAME TO sessions;
    CREATE INDEX sessions_by_alias ON sessions (alias);",
    // 3: one visit is one session, however many scenes it passes through.
    // Each scene's steps are kept under the scene (the primary key takes
    // the scene, so the steps table is rebuilt), each entry names the scene
    // it was made in (NULL, in sessions from before: the session's scene),
    // and a session knows the session time it started at, so that its
    // length and its entries' times count from its own start.
    "ALTER TABLE sessions ADD COLUMN started_at_us INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE entries ADD COLUMN scene TEXT;
    CREATE TABLE steps_rebuilt (
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        scene TEXT NOT NULL,
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        say TEXT NOT NULL,
        PRIMARY KEY (session, scene, number)
    );
    INSERT INTO steps_rebuilt (session, scene, number, name, say)
        SELECT st.session, s.scene, st.number, st.name, st.say
        FROM steps st JOIN sessions s ON s.id = st.session
        ORDER BY st.session, st.number;
    DROP TABLE steps;
    ALTER TABLE steps_rebuilt RENAME TO steps;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The tables a Stillpoint record has at every version.
const TABLES: [&str; 3] = ["sessions", "steps", "entries"];

/// How long a write waits for another program's write to finish.
const BUSY_WAIT: Duration = Duration::from_secs(5);

/// What went wrong with the record's file. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder or the file could not be made, reached or changed.
    #[error("the session record {path}: {doing}: {source}")]
    Io {
        /// The record's file.
        path: PathBuf,
        /// What was being done, in words.
        doing: String,
        /// Why it failed, as the operating system said.
        source: io::Error,
    },
    /// SQLite could not do what was asked.
    #[error("the session record {path}: {why}")]
    Sql {
        /// The record's file.
        path: PathBuf,
        /// What happened and what to do, in plain words (never a
        /// statement's SQL).
        why: String,
    },
    /// The file is something else: not an SQLite database, or another
    /// program's. It is left as it is.
    #[error("{path} is not a Stillpoint session record ({why}); it is left as it is")]
    NotARecord {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        why: &'static str,
    },
    /// The file was written by a newer Stillpoint.
    #[error(
        "the session record {path} is at schema version {found}; this Stillpoint knows up to \
         {known}: use a newer Stillpoint (the file is left as it is)"
    )]
    Newer {
        /// The record's file.
        path: PathBuf,
        /// The file's version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// No session has this number.
    #[error("no session {0} in the record (`stillpoint journal list` shows them)")]
    NoSuchSession(i64),
    /// A Stillpoint running now is recording this session.
    #[error(
        "session {0} is being recorded by a Stillpoint that is running now; close it (or let \
         the session end) and delete it then; nothing was deleted"
    )]
    Live(i64),
}

impl StoreError {
    /// An SQLite error on the record at `path`, in plain words.
    pub(crate) fn sql(path: &Path, e: rusqlite::Error) -> Self {
        Self::from_sqlite(path, e, None)
    }

    /// An SQLite error on `db`, the record at `path`, in plain words, with
    /// the operating system's own error where SQLite kept one.
    pub(crate) fn sql_on(path: &Path, db: &Connection, e: rusqlite::Error) -> Self {
        let os = match e.sqlite_error_code() {
            Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) => os_error(db),
            _ => None,
        };
        Self::from_sqlite(path, e, os)
    }

    fn from_sqlite(path: &Path, e: rusqlite::Error, os: Option<io::Error>) -> Self {
        if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
            return Self::NotARecord {
                path: path.to_path_buf(),
                why: "not an SQLite database",
            };
        }
        Self::Sql {
            path: path.to_path_buf(),
            why: explain(&e, os),
        }
    }

    fn io(path: &Path, doing: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            doing: doing.into(),
            source,
        }
    }
}

/// What an SQLite error means for the person at the computer. Never the
/// text of the statement that failed: it says nothing to them, and a schema
/// clash would print a whole migration.
fn explain(e: &rusqlite::Error, os: Option<io::Error>) -> String {
    let (failure, message) = match e {
        rusqlite::Error::SqliteFailure(failure, message) => (*failure, message.clone()),
        rusqlite::Error::SqlInputError { error, msg, .. } => (*error, Some(msg.clone())),
        other => return other.to_string(),
    };
    let said = message.unwrap_or_else(|| rusqlite::ffi::code_to_str(failure.extended_code).into());
    let os = os.map(|e| e.to_string());
    match failure.code {
        ErrorCode::DiskFull => "the disk is full: free some space and the record is written \
             (what the app holds is kept and tried again)"
            .into(),
        ErrorCode::NotADatabase => {
            "it is not a Stillpoint session record (not an SQLite database)".into()
        }
        // A hot journal beside the file: another program's write was cut
        // short, and only a writer may roll it back. A Stillpoint record is
        // always in write-ahead-log mode and never leaves one.
        ErrorCode::ReadOnly if failure.extended_code == rusqlite::ffi::SQLITE_READONLY_ROLLBACK => {
            "a write to it was cut short and left a -journal file beside it; a Stillpoint \
             record never leaves one, so it is most likely another program's database (it is \
             left as it is)"
                .into()
        }
        ErrorCode::ReadOnly => "it cannot be written: the file, its folder or the disk is \
             read-only (make the file and its folder writable by you)"
            .into(),
        ErrorCode::CannotOpen => format!(
            "it cannot be opened ({}): check that its folder exists and that the file and the \
             folder are yours",
            os.unwrap_or(said)
        ),
        ErrorCode::PermissionDenied => "it cannot be opened: permission was denied (the file \
             and its folder must be yours)"
            .into(),
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => "another program holds the \
             record (another Stillpoint writing to it, or an SQLite tool): close it, or wait, \
             and try again"
            .into(),
        ErrorCode::SystemIoFailure => format!(
            "the disk failed while {}: {}",
            io_doing(failure.extended_code),
            os.unwrap_or(said)
        ),
        ErrorCode::DatabaseCorrupt => format!(
            "it is damaged ({said}): keep a copy of it, and of its -wal file if there is one, \
             before anything writes to it again"
        ),
        _ => said,
    }
}

/// What SQLite was doing when the disk failed, from its extended code.
fn io_doing(extended: i32) -> &'static str {
    use rusqlite::ffi;
    match extended {
        ffi::SQLITE_IOERR_READ | ffi::SQLITE_IOERR_SHORT_READ => "reading it",
        ffi::SQLITE_IOERR_WRITE => "writing to it",
        ffi::SQLITE_IOERR_FSYNC | ffi::SQLITE_IOERR_DIR_FSYNC => "making sure it was on the disk",
        ffi::SQLITE_IOERR_TRUNCATE => "shortening it",
        ffi::SQLITE_IOERR_LOCK => "locking it",
        ffi::SQLITE_IOERR_SHMOPEN | ffi::SQLITE_IOERR_SHMSIZE | ffi::SQLITE_IOERR_SHMMAP => {
            "using its -shm file"
        }
        _ => "using it",
    }
}

/// The operating system's error behind SQLite's last failed call on `db`.
#[allow(unsafe_code)]
fn os_error(db: &Connection) -> Option<io::Error> {
    // SAFETY: the handle is `db`'s own and stays open while `db` is
    // borrowed; sqlite3_system_errno only reads a number kept in it.
    let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(db.handle()) };
    (errno != 0).then(|| io::Error::from_raw_os_error(errno))
}

/// The file `db` reads, for its errors.
fn file_of(db: &Connection) -> PathBuf {
    match db.path() {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from("(in memory)"),
    }
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

/// Whether the file at `path` is there; a path through a file that is not a
/// folder leads nowhere, as one through a missing folder does.
fn exists(path: &Path) -> Result<bool, StoreError> {
    match fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(match in_the_way(path) {
            Some(error) => error,
            None => StoreError::io(path, "cannot be reached", e),
        }),
    }
}

/// The error for a file where one of the record's folders should be (the
/// data folder, or `stillpoint` in it), which no record can be kept under.
fn in_the_way(path: &Path) -> Option<StoreError> {
    let blocker = path
        .ancestors()
        .skip(1)
        .find(|folder| fs::metadata(folder).is_ok_and(|m| !m.is_dir()))?;
    Some(StoreError::io(
        path,
        format!(
            "{} is a file, not a folder, so the record cannot be kept in it; move or rename \
             that file",
            blocker.display()
        ),
        io::Error::from(io::ErrorKind::NotADirectory),
    ))
}

/// Makes the record's folder (0700) and an empty file (0600).
fn make(path: &Path) -> Result<(), StoreError> {
    if let Some(error) = in_the_way(path) {
        return Err(error);
    }
    if let Some(folder) = path.parent()
        && !folder.as_os_str().is_empty()
    {
        let doing = || format!("cannot make its folder {}", folder.display());
        fs::create_dir_all(folder).map_err(|e| StoreError::io(path, doing(), e))?;
        fs::set_permissions(folder, fs::Permissions::from_mode(0o700))
            .map_err(|e| StoreError::io(path, format!("{} private (0700)", doing()), e))?;
    }
    // Made here with the mode it keeps; SQLite gives its -wal and -shm
    // files the database file's permissions.
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::io(path, "cannot make the file", e))?;
    Ok(())
}

/// Opens the record at `path` to write to it, making its folder (0700) and
/// file (0600) if they are not there, and brings its schema up to date.
/// Returns `None` for a file that does not exist when `create` is false. A
/// file this Stillpoint did not make (another program's database, a newer
/// Stillpoint's record, not a database at all) is refused before anything
/// is written to it.
pub fn open(path: &Path, create: bool) -> Result<Option<Connection>, StoreError> {
    if !exists(path)? {
        if !create {
            return Ok(None);
        }
        make(path)?;
    }
    let fail = |e| StoreError::sql(path, e);
    let mut db = Connection::open(path).map_err(fail)?;
    db.busy_timeout(BUSY_WAIT).map_err(fail)?;
    // Checked before anything writes: a file that is not ours, or is a
    // newer Stillpoint's, is left exactly as it is.
    kind_of(&db, path)?;
    {
        let fail = |e| StoreError::sql_on(path, &db, e);
        // Deleted sessions are overwritten, not just unlinked from the tree.
        db.pragma_update(None, "secure_delete", "ON")
            .map_err(fail)?;
        let mode: String = db
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Sql {
                path: path.to_path_buf(),
                why: format!(
                    "it would not use a write-ahead log (journal mode {mode}); is it on a \
                     network file system?"
                ),
            });
        }
        // Each commit is on the disk before it is acknowledged.
        db.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
    }
    migrate(&mut db, path)?;
    db.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| StoreError::sql_on(path, &db, e))?;
    // Only its owner reads it, whoever made it.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(|e| StoreError::io(path, "cannot make it private (0600)", e))?;
    Ok(Some(db))
}

/// Opens the record at `path` only to read it. Nothing is written to the
/// file and its mode is left as it is: no migration, no change of journal
/// mode, no pragma that writes. Returns `None` when there is no record yet
/// (no file, or an empty one the app has just made).
///
/// SQLite reads a record in write-ahead-log mode read-only whether its -wal
/// and -shm files are there or not: it makes them beside the file when they
/// are missing and the folder can be written (the -wal empty, with the
/// file's permissions), and never writes to the file itself through a
/// read-only connection.
pub fn open_read(path: &Path) -> Result<Option<Connection>, StoreError> {
    if !exists(path)? {
        return Ok(None);
    }
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::sql(path, e))?;
    db.busy_timeout(BUSY_WAIT)
        .map_err(|e| StoreError::sql(path, e))?;
    match kind_of(&db, path)? {
        0 => Ok(None),
        _ => Ok(Some(db)),
    }
}

/// The schema version of the file `db` has open, once it is known to be a
/// Stillpoint record this build can read: version 0 is a new, empty file.
/// Reads only.
fn kind_of(db: &Connection, path: &Path) -> Result<i64, StoreError> {
    let fail = |e| StoreError::sql_on(path, db, e);
    let found: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .map_err(fail)?
        .query_map([], |r| r.get(0))
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)?;
    let ours = TABLES.iter().all(|t| tables.iter().any(|name| name == t));
    // A Stillpoint sets the version in the transaction that makes the
    // tables, so tables at version 0 are another program's.
    match found {
        0 if tables.is_empty() => Ok(0),
        n if n > 0 && ours => Ok(n),
        _ => Err(StoreError::NotARecord {
            path: path.to_path_buf(),
            why: "an SQLite database, but not one a Stillpoint made",
        }),
    }
}

/// Runs the migrations the file has not had, in one transaction.
///
/// A migration that rebuilds a table drops the old one, and with foreign
/// keys enforced that drop would delete every step and entry of every
/// session with it. So foreign keys are off while the migrations run (the
/// pragma does nothing inside a transaction, so it is set before), the keys
/// are checked before the commit, and [`open`] turns them on again after.
fn migrate(db: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| StoreError::sql_on(path, &*db, e))?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    db.pragma_update(None, "foreign_keys", "OFF")
        .map_err(|e| StoreError::sql_on(path, &*db, e))?;
    let fail = |e| StoreError::sql(path, e);
    // Immediate: of two apps that start at once, one migrates and the other
    // waits, then finds nothing left to do.
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    let Ok(from) = usize::try_from(found) else {
        return Err(StoreError::NotARecord {
            path: path.to_path_buf(),
            why: "an SQLite database, but not one a Stillpoint made",
        });
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    for sql in MIGRATIONS.iter().skip(from) {
        tx.execute_batch(sql).map_err(fail)?;
    }
    let broken = {
        let mut check = tx.prepare("PRAGMA foreign_key_check").map_err(fail)?;
        let mut rows = check.query([]).map_err(fail)?;
        rows.next().map_err(fail)?.is_some()
    };
    if broken {
        // Dropping the transaction rolls it back: the file stays as it was.
        return Err(StoreError::Sql {
            path: path.to_path_buf(),
            why: format!(
                "bringing its schema from version {found} to {SCHEMA_VERSION} left steps or \
                 entries without their session, so nothing was changed; keep a copy of the \
                 file and report it"
            ),
        });
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(fail)?;
    tx.commit().map_err(fail)
}

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
pub fn add_scene(
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
    /// The session time it started at, microseconds (0 in sessions
    /// recorded before this was kept).
    pub started_at_us: i64,
    /// Its length in session time (pauses not counted), microseconds, from
    /// its start to its end or its last entry.
    pub length_us: i64,
    /// How many entries it has.
    pub entries: i64,
}

/// A session with everything in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionRecord {
    /// The session.
    pub session: SessionRow,
    /// The scenes it passed through, the first first, each with its steps.
    pub scenes: Vec<SceneSteps>,
    /// What happened, in order.
    pub entries: Vec<Entry>,
}

impl SessionRecord {
    /// The scene `scene` of the session (its file), if it passed through
    /// it.
    pub fn scene(&self, scene: &str) -> Option<&SceneSteps> {
        self.scenes.iter().find(|s| s.scene == scene)
    }
}

/// A scene a session passed through, and its steps.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SceneSteps {
    /// Its file, inside the scene folder.
    pub scene: String,
    /// Its title.
    pub title: String,
    /// Its hierarchy's steps, lowest first: name and sentence (none for a
    /// calm scene).
    pub steps: Vec<(String, String)>,
}

/// The columns of a [`SessionRow`], for a record at schema `version`
/// (read-only opens read older records as they are).
fn session_columns(version: i64) -> String {
    let started = if version >= 3 { "s.started_at_us" } else { "0" };
    format!(
        "s.id, s.alias, s.scene, s.title, s.kind, s.started_ms, s.ended_ms, {started},
         COALESCE(s.ended_at_us, (SELECT MAX(at_us) FROM entries WHERE session = s.id),
                  {started}) - {started},
         (SELECT COUNT(*) FROM entries WHERE session = s.id)"
    )
}

/// The schema version of the record `db` has open.
fn version(db: &Connection) -> rusqlite::Result<i64> {
    db.query_row("PRAGMA user_version", [], |r| r.get(0))
}

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
        started_at_us: r.get(7)?,
        length_us: r.get(8)?,
        entries: r.get(9)?,
    })
}

/// Every session, oldest first.
pub fn sessions(db: &Connection) -> Result<Vec<SessionRow>, StoreError> {
    let path = file_of(db);
    let fail = |e| StoreError::sql_on(&path, db, e);
    let columns = session_columns(version(db).map_err(fail)?);
    db.prepare(&format!("SELECT {columns} FROM sessions s ORDER BY s.id"))
        .map_err(fail)?
        .query_map([], session_row)
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)
}

/// One session, whole.
pub fn session(db: &Connection, id: i64) -> Result<SessionRecord, StoreError> {
    let path = file_of(db);
    let fail = |e| StoreError::sql_on(&path, db, e);
    let version = version(db).map_err(fail)?;
    let session = db
        .query_row(
            &format!(
                "SELECT {} FROM sessions s WHERE s.id = ?1",
                session_columns(version)
            ),
            [id],
            session_row,
        )
        .optional()
        .map_err(fail)?
        .ok_or(StoreError::NoSuchSession(id))?;
    // Records from before version 3 keep one scene's steps, and entries
    // that name no scene: both are the session's scene.
    let (steps_sql, entries_sql) = if version >= 3 {
        (
            "SELECT COALESCE(scene, ?2), name, say FROM steps WHERE session = ?1 ORDER BY rowid",
            "SELECT at_us, wall_ms, kind, step, value, text, COALESCE(scene, ?2) FROM entries
             WHERE session = ?1 ORDER BY id",
        )
    } else {
        (
            "SELECT ?2, name, say FROM steps WHERE session = ?1 ORDER BY number",
            "SELECT at_us, wall_ms, kind, step, value, text, ?2 FROM entries
             WHERE session = ?1 ORDER BY id",
        )
    };
    let steps: Vec<(String, String, String)> = db
        .prepare(steps_sql)
        .map_err(fail)?
        .query_map(params![id, session.scene], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)?;
    let entries: Vec<Entry> = db
        .prepare(entries_sql)
        .map_err(fail)?
        .query_map(params![id, session.scene], |r| {
            let kind: String = r.get(2)?;
            Ok(Entry {
                at_us: r.get(0)?,
                wall_ms: r.get(1)?,
                kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Unknown),
                step: r.get(3)?,
                value: r.get(4)?,
                text: r.get(5)?,
                scene: r.get(6)?,
            })
        })
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)?;
    // The scenes in the order the session reached them: its first, then
    // each as its steps were kept or its entries began.
    let mut scenes = vec![SceneSteps {
        scene: session.scene.clone(),
        title: session.title.clone(),
        steps: Vec::new(),
    }];
    let order = steps
        .iter()
        .map(|(scene, _, _)| scene)
        .chain(entries.iter().map(|e| &e.scene));
    for scene in order {
        if !scenes.iter().any(|s| &s.scene == scene) {
            let title = entries
                .iter()
                .find(|e| &e.scene == scene && e.kind == EntryKind::SceneEntered)
                .map_or_else(|| scene.clone(), |e| e.text.clone());
            scenes.push(SceneSteps {
                scene: scene.clone(),
                title,
                steps: Vec::new(),
            });
        }
    }
    for (scene, name, say) in steps {
        if let Some(s) = scenes.iter_mut().find(|s| s.scene == scene) {
            s.steps.push((name, say));
        }
    }
    Ok(SessionRecord {
        session,
        scenes,
        entries,
    })
}

/// Whether session `id` of the record at `record` is being recorded by a
/// Stillpoint running now (a lock file left by one that was killed is
/// removed on the way).
pub fn is_recorded_now(record: &Path, id: i64) -> Result<bool, StoreError> {
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

/// The sessions of one alias, as listed.
pub fn sessions_of(db: &Connection, alias: &str) -> Result<Vec<SessionRow>, StoreError> {
    let path = file_of(db);
    let fail = |e| StoreError::sql_on(&path, db, e);
    let columns = session_columns(version(db).map_err(fail)?);
    db.prepare(&format!(
        "SELECT {columns} FROM sessions s WHERE s.alias = ?1 ORDER BY s.id"
    ))
    .map_err(fail)?
    .query_map([alias], session_row)
    .map_err(fail)?
    .collect::<rusqlite::Result<_>>()
    .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("stillpoint-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    }

    fn counts(db: &Connection) -> (i64, i64, i64) {
        db.query_row(
            "SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM steps),
                    (SELECT COUNT(*) FROM entries)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("counted")
    }

    #[test]
    fn a_version_1_record_keeps_every_session_step_and_entry_and_never_gives_a_number_again() {
        let dir = scratch("migrate-1");
        let path = dir.join("journal.sqlite3");
        {
            // As the last build left it: sessions 1 to 3, and 3 deleted, so
            // a plain primary key would give 3 again.
            let db = Connection::open(&path).expect("made");
            db.execute_batch(MIGRATIONS[0]).expect("version 1");
            db.pragma_update(None, "user_version", 1).expect("set");
            db.execute_batch(
                "PRAGMA foreign_keys = ON;
                 INSERT INTO sessions (alias, scene, title, kind, started_ms) VALUES
                     ('a', 's.ron', 'S', 'exposure', 1),
                     ('b', 's.ron', 'S', 'exposure', 2),
                     ('c', 's.ron', 'S', 'exposure', 3);
                 INSERT INTO steps VALUES (1, 1, 'one', 'The first.'), (2, 1, 'one', 'The first.');
                 INSERT INTO entries (session, at_us, wall_ms, kind, text) VALUES
                     (1, 0, 1, 'note', 'first'), (2, 0, 2, 'note', 'second'),
                     (3, 0, 3, 'note', 'third');
                 DELETE FROM sessions WHERE id = 3;",
            )
            .expect("filled");
        }
        let mut db = open(&path, false).expect("opened").expect("there");
        let version: i64 = db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("read");
        assert_eq!(version, SCHEMA_VERSION);
        // The rebuild dropped the old table without taking its steps and
        // entries with it.
        assert_eq!(counts(&db), (2, 2, 2));
        let schema: String = db
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sessions'",
                [],
                |r| r.get(0),
            )
            .expect("read");
        assert!(schema.contains("AUTOINCREMENT"), "{schema}");
        let keys: bool = db
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("read");
        assert!(keys, "foreign keys are on again after the migration");
        // The steps are the session's scene's, and its entries too.
        let one = session(&db, 1).expect("session 1");
        assert_eq!(one.scenes.len(), 1);
        assert_eq!(one.scenes[0].scene, "s.ron");
        assert_eq!(one.scenes[0].steps, [("one".into(), "The first.".into())]);
        assert_eq!(one.entries[0].scene, "s.ron");
        // Deleting still takes the session's steps and entries with it.
        assert_eq!(delete(&mut db, &path, &[2]).expect("deleted"), 1);
        assert_eq!(counts(&db), (1, 1, 1));
        // The highest number was deleted; the next session is higher still.
        let tx = db.transaction().expect("begun");
        let id = begin(
            &tx,
            &NewSession {
                alias: "d".into(),
                scene: "s.ron".into(),
                title: "S".into(),
                kind: SessionKind::Exposure,
                started_ms: 4,
                started_at_us: 0,
                steps: Vec::new(),
            },
        )
        .expect("a session");
        tx.commit().expect("committed");
        assert!(id > 2, "session number {id} was given before");
        drop(db);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn another_program_s_unfinished_write_is_named_as_such_and_left_alone() {
        let dir = scratch("hot-journal");
        let theirs = dir.join("theirs.db");
        let db = Connection::open(&theirs).expect("made");
        db.execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1;
             CREATE TABLE t (x BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO t SELECT randomblob(1000) FROM n;
             BEGIN; UPDATE t SET x = randomblob(1000);",
        )
        .expect("a write under way, spilled to the file");
        // The file and its journal as a crash mid-write would leave them.
        let copy = dir.join("copy");
        fs::create_dir_all(&copy).expect("a folder");
        let path = copy.join("journal.sqlite3");
        fs::copy(&theirs, &path).expect("copied");
        fs::copy(
            dir.join("theirs.db-journal"),
            copy.join("journal.sqlite3-journal"),
        )
        .expect("its journal copied");
        db.execute_batch("ROLLBACK").expect("rolled back");
        let before = fs::read(&path).expect("read");
        let said = open_read(&path).expect_err("refused").to_string();
        assert!(said.contains("-journal file"), "{said}");
        assert!(!said.contains("read-only"), "{said}");
        assert_eq!(
            fs::read(&path).expect("read"),
            before,
            "the file was changed"
        );
    }

    #[test]
    fn sqlite_errors_are_said_plainly_with_the_file_and_never_the_sql() {
        let path = Path::new("/data/stillpoint/journal.sqlite3");
        let full = StoreError::sql(
            path,
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                Some("database or disk is full".into()),
            ),
        )
        .to_string();
        assert!(
            full.contains("/data/stillpoint/journal.sqlite3") && full.contains("the disk is full"),
            "{full}"
        );
        let not = StoreError::sql(
            path,
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
                Some("file is not a database".into()),
            ),
        )
        .to_string();
        assert!(
            not.starts_with("/data/stillpoint/journal.sqlite3 is not a Stillpoint session record"),
            "{not}"
        );
        let clash = StoreError::sql(
            path,
            rusqlite::Error::SqlInputError {
                error: rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                msg: "table sessions already exists".into(),
                sql: "CREATE TABLE sessions (id INTEGER PRIMARY KEY)".into(),
                offset: 13,
            },
        )
        .to_string();
        assert!(
            clash.contains("table sessions already exists") && !clash.contains("CREATE TABLE"),
            "{clash}"
        );
        let busy = StoreError::sql(
            path,
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("database is locked".into()),
            ),
        )
        .to_string();
        assert!(busy.contains("another program holds the record"), "{busy}");
    }
}
