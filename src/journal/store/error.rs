//! What can go wrong with the record's file, said in plain words that name
//! the file and never show a statement's SQL.

use std::io;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode};

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
    /// The record is encrypted and no passphrase was given.
    #[error(
        "the session record {path} is encrypted: it needs its passphrase (typed when asked, or \
         in the file STILLPOINT_PASSPHRASE_FILE names)"
    )]
    Locked {
        /// The record's file.
        path: PathBuf,
    },
    /// The passphrase given does not open the record (or the file is not a
    /// record at all). Nothing was changed.
    #[error(
        "the passphrase does not open the session record {path} (or the file is not a \
         Stillpoint record); nothing was changed"
    )]
    WrongPassphrase {
        /// The record's file.
        path: PathBuf,
    },
    /// The record is plain where it must be encrypted.
    #[error(
        "the session record {path} is not encrypted, and a therapist's record must be: \
         `stillpoint journal encrypt` encrypts it (nothing was written to it)"
    )]
    NotEncrypted {
        /// The record's file.
        path: PathBuf,
    },
    /// No client has this code or alias.
    #[error("no client {0:?} in the record (`stillpoint journal clients` lists them)")]
    NoSuchClient(String),
    /// No session has this number.
    #[error("no session {0} in the record (`stillpoint journal list` shows them)")]
    NoSuchSession(i64),
    /// A Stillpoint running now is recording this session.
    #[error(
        "session {0} is being recorded by a Stillpoint that is running now; close it (or let \
         the session end) and delete it then; nothing was deleted"
    )]
    Live(i64),
    /// What was asked cannot be done, as the words say; nothing was
    /// changed.
    #[error("{0}; nothing was changed")]
    Refused(String),
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

    pub(super) fn io(path: &Path, doing: impl Into<String>, source: io::Error) -> Self {
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
