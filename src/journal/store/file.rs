//! Where the record lives, and opening its file: to write (making its
//! folder and file, bringing its schema up to date) or only to read.

use std::fs;
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::StoreError;
use super::key::{FileKind, Key, Passphrase, file_kind};
use super::schema::{kind_of, migrate};

/// The record's file: `$XDG_DATA_HOME/stillpoint/journal.sqlite3`, or under
/// `~/.local/share` when `XDG_DATA_HOME` is not set (or not absolute, as the
/// XDG rules say).
pub(crate) fn default_path() -> Option<PathBuf> {
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

/// Opens the record at `path` to write to it, making its folder (0700) and
/// file (0600) if they are not there, and brings its schema up to date.
/// Returns `None` for a file that does not exist when `create` is false. A
/// file this Stillpoint did not make (another program's database, a newer
/// Stillpoint's record, not a database at all) is refused before anything
/// is written to it.
///
/// With a `passphrase`, a new record is made encrypted and an encrypted one
/// is opened with it; a wrong one is refused before anything is written.
/// A plain record is opened plain whether a passphrase is given or not
/// (`journal encrypt` encrypts it): whoever needs it encrypted checks
/// [`is_encrypted`] first. An encrypted record without a passphrase is
/// refused as locked.
pub fn open(
    path: &Path,
    create: bool,
    passphrase: Option<&Passphrase>,
) -> Result<Option<Connection>, StoreError> {
    if !exists(path)? {
        if !create {
            return Ok(None);
        }
        make(path)?;
    }
    let mut db = open_keyed(path, passphrase, |path| Connection::open(path))?;
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
    // Every transaction that writes takes the write lock when it begins,
    // waiting its turn (the busy timeout) behind another connection's: the
    // app's writer and a correction from the console or the command line
    // append to one session's chain, and a transaction that first read the
    // last link and only then asked for the lock would be refused, not
    // made to wait, if the other had written in between.
    db.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
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
/// (no file, or an empty one the app has just made). An encrypted record
/// needs its `passphrase`, as [`open`] says.
///
/// SQLite reads a record in write-ahead-log mode read-only whether its -wal
/// and -shm files are there or not: it makes them beside the file when they
/// are missing and the folder can be written (the -wal empty, with the
/// file's permissions), and never writes to the file itself through a
/// read-only connection.
pub fn open_read(
    path: &Path,
    passphrase: Option<&Passphrase>,
) -> Result<Option<Connection>, StoreError> {
    if !exists(path)? || kind(path)? == FileKind::New {
        return Ok(None);
    }
    let db = open_keyed(path, passphrase, |path| {
        Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    })?;
    match kind_of(&db, path)? {
        0 => Ok(None),
        _ => Ok(Some(db)),
    }
}

/// Whether the record at `path` is encrypted (an empty or missing one is
/// not yet either: `None`).
pub fn is_encrypted(path: &Path) -> Result<Option<bool>, StoreError> {
    Ok(match kind(path)? {
        FileKind::New => None,
        FileKind::Plain => Some(false),
        FileKind::Encrypted(_) => Some(true),
    })
}

/// Gives `db`, a connection of another's (an SQLite tool's, a test's) to
/// the encrypted record at `path`, the key `passphrase` makes for it, as
/// the app's own connections get theirs. Nothing is read or checked: a
/// wrong passphrase shows at the first read.
pub fn unlock(db: &Connection, path: &Path, passphrase: &Passphrase) -> Result<(), StoreError> {
    match kind(path)? {
        FileKind::Encrypted(salt) => Key::derive(passphrase, salt)
            .unlock(db)
            .map_err(|e| StoreError::sql_on(path, db, e)),
        FileKind::New | FileKind::Plain => Ok(()),
    }
}

/// What the file at `path` holds, as its first bytes tell.
fn kind(path: &Path) -> Result<FileKind, StoreError> {
    if !exists(path)? {
        return Ok(FileKind::New);
    }
    file_kind(path).map_err(|e| StoreError::io(path, "cannot be read", e))
}

/// Opens `path` with `connect`, gives it its key when it is encrypted (or
/// new, with a `passphrase`), and checks that the file is a record this
/// Stillpoint can read: a wrong passphrase shows here, before anything is
/// written.
fn open_keyed(
    path: &Path,
    passphrase: Option<&Passphrase>,
    connect: impl Fn(&Path) -> rusqlite::Result<Connection>,
) -> Result<Connection, StoreError> {
    // Two apps making the same new record at once: the one that wrote
    // first chose the salt, and the other reads it and tries again.
    let mut tries = 2;
    loop {
        tries -= 1;
        let found = kind(path)?;
        let key = match (found, passphrase) {
            (FileKind::New, Some(passphrase)) => Some(
                Key::for_new(passphrase)
                    .map_err(|e| StoreError::io(path, "cannot make a random salt", e))?,
            ),
            (FileKind::New | FileKind::Plain, _) => None,
            (FileKind::Encrypted(salt), Some(passphrase)) => Some(Key::derive(passphrase, salt)),
            (FileKind::Encrypted(_), None) => {
                return Err(StoreError::Locked {
                    path: path.to_path_buf(),
                });
            }
        };
        let db = connect(path).map_err(|e| StoreError::sql(path, e))?;
        if let Some(key) = &key {
            key.unlock(&db)
                .map_err(|e| StoreError::sql_on(path, &db, e))?;
        }
        db.busy_timeout(BUSY_WAIT)
            .map_err(|e| StoreError::sql(path, e))?;
        match kind_of(&db, path) {
            Ok(_) => return Ok(db),
            Err(StoreError::NotARecord { .. }) if key.is_some() => {
                if found == FileKind::New && tries > 0 {
                    continue;
                }
                return Err(StoreError::WrongPassphrase {
                    path: path.to_path_buf(),
                });
            }
            Err(e) => return Err(e),
        }
    }
}

/// How long a write waits for another program's write to finish.
const BUSY_WAIT: Duration = Duration::from_secs(5);

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
