//! Turning a plain record (one an earlier Stillpoint made) into an
//! encrypted one, and an encrypted one's passphrase changed: an encrypted copy is made beside it, checked against it,
//! put in its place, and the plain file's bytes are overwritten before they
//! are let go.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};

use super::error::StoreError;
use super::file::{is_encrypted, open, unlock};
use super::key::{Key, Passphrase};
use super::schema::SCHEMA_VERSION;
use super::write::is_recorded_now;
use super::{audit, now_ms};

/// What `encrypt` kept: the counts, the same in the plain record and in
/// the encrypted one (checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encrypted {
    /// Sessions.
    pub sessions: i64,
    /// Entries, of every session.
    pub entries: i64,
}

/// Encrypts the plain record at `path` under `passphrase`.
///
/// The record is held for writing throughout (an app that starts a session
/// meanwhile waits, and finds the encrypted record when it tries again), and
/// a session being recorded now is refused before anything is done. The
/// encrypted copy (`<record>.encrypting`, 0600) is checked (its integrity,
/// and every table's rows and the numbers given so far, the same as the
/// plain one's) before it replaces the record; the plain file is then
/// overwritten with zeros and synced, and its log emptied and removed. Cut
/// short at any point before the replacement, the plain record is as it was
/// and the copy is made again on the next try.
pub fn encrypt(path: &Path, passphrase: &Passphrase) -> Result<Encrypted, StoreError> {
    match is_encrypted(path)? {
        None => {
            return Err(StoreError::Sql {
                path: path.to_path_buf(),
                why: "there is no record to encrypt yet (a new record is made encrypted)".into(),
            });
        }
        Some(true) => {
            return Err(StoreError::Sql {
                path: path.to_path_buf(),
                why: "it is already encrypted; nothing was changed".into(),
            });
        }
        Some(false) => {}
    }
    copy_under(path, None, passphrase, "encrypted")
}

/// Changes the passphrase of the encrypted record at `path` from `old` to
/// `new`, as [`encrypt`] does: a copy under the new passphrase (with a new
/// salt) is made, checked, and put in its place, and the old file is
/// overwritten. A wrong `old` is refused with nothing changed.
pub fn rekey(path: &Path, old: &Passphrase, new: &Passphrase) -> Result<Encrypted, StoreError> {
    if is_encrypted(path)? != Some(true) {
        return Err(StoreError::Sql {
            path: path.to_path_buf(),
            why: "it is not encrypted, so it has no passphrase to change (`stillpoint journal \
                  encrypt` encrypts it); nothing was changed"
                .into(),
        });
    }
    copy_under(path, Some(old), new, "passphrase changed")
}

/// Copies the record at `path` (opened with `from`, or plain) to a file
/// encrypted under `to`, checks it, adds `what` to its audit trail, and
/// puts it in the record's place.
fn copy_under(
    path: &Path,
    from: Option<&Passphrase>,
    to: &Passphrase,
    what: &str,
) -> Result<Encrypted, StoreError> {
    let fail = |e| StoreError::sql(path, e);
    // Opened to write: a record from before is brought up to date first.
    let Some(plain) = open(path, false, from)? else {
        return Err(StoreError::Sql {
            path: path.to_path_buf(),
            why: "there is no record to encrypt".into(),
        });
    };
    // A second connection holds the write lock while the first copies
    // (ATTACH cannot run inside a transaction).
    let mut holder = Connection::open(path).map_err(fail)?;
    if let Some(from) = from {
        unlock(&holder, path, from)?;
    }
    holder
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(fail)?;
    let held = holder
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| StoreError::sql_on(path, &plain, e))?;
    for id in session_ids(&plain, path)? {
        if is_recorded_now(path, id)? {
            return Err(StoreError::Live(id));
        }
    }
    let before = counts(&plain, path)?;
    let copy = copy_path(path);
    let _ = fs::remove_file(&copy);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&copy)
        .map_err(|e| StoreError::io(&copy, "cannot make the encrypted copy", e))?;
    let key = Key::for_new(to).map_err(|e| StoreError::io(path, "cannot make a random salt", e))?;
    let copied = (|| -> rusqlite::Result<()> {
        plain.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![copy.to_string_lossy(), key.raw().as_str()],
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        plain.execute_batch(&format!("PRAGMA encrypted.user_version = {SCHEMA_VERSION}"))?;
        plain.execute_batch("DETACH DATABASE encrypted")
    })();
    if let Err(e) = copied {
        let _ = fs::remove_file(&copy);
        return Err(StoreError::sql_on(path, &plain, e));
    }
    // The copy, read back through its key: whole, and the same.
    let checked = (|| -> Result<Counts, StoreError> {
        let db = Connection::open(&copy).map_err(|e| StoreError::sql(&copy, e))?;
        key.unlock(&db).map_err(|e| StoreError::sql(&copy, e))?;
        let ok: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| StoreError::sql(&copy, e))?;
        if ok != "ok" {
            return Err(StoreError::Sql {
                path: copy.clone(),
                why: format!("the encrypted copy failed its check ({ok})"),
            });
        }
        let version: i64 = db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| StoreError::sql(&copy, e))?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Sql {
                path: copy.clone(),
                why: format!("the encrypted copy is at schema version {version}"),
            });
        }
        let found = counts(&db, &copy)?;
        if found == before {
            audit::append(&db, now_ms(), what, "")
                .map_err(|e| StoreError::sql_on(&copy, &db, e))?;
        }
        Ok(found)
    })();
    match checked {
        Ok(after) if after == before => {}
        Ok(after) => {
            let _ = fs::remove_file(&copy);
            return Err(StoreError::Sql {
                path: path.to_path_buf(),
                why: format!(
                    "the encrypted copy did not match it ({after:?} against {before:?}); \
                     nothing was changed"
                ),
            });
        }
        Err(e) => {
            let _ = fs::remove_file(&copy);
            return Err(e);
        }
    }
    sync(&copy)?;
    // The plain files stay open to be overwritten once the copy has the
    // record's name. The connections must not checkpoint their log into
    // the old file when they close, after it was overwritten.
    for db in [&plain, &*held] {
        db.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(|e| StoreError::sql_on(path, db, e))?;
    }
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let shm = PathBuf::from(format!("{}-shm", path.display()));
    let overwrite_on = |file: &Path| -> Result<Option<File>, StoreError> {
        match OpenOptions::new().write(true).open(file) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(file, "cannot open it to overwrite it", e)),
        }
    };
    let old = [overwrite_on(path)?, overwrite_on(&wal)?];
    fs::rename(&copy, path)
        .map_err(|e| StoreError::io(path, "cannot put the encrypted copy in its place", e))?;
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        let _ = File::open(folder).and_then(|f| f.sync_all());
    }
    for mut file in old.into_iter().flatten() {
        overwrite(&mut file).map_err(|e| {
            StoreError::io(
                path,
                "encrypted, but the plain file's bytes could not be overwritten",
                e,
            )
        })?;
    }
    // Gone before the lock is let go: an app waiting on the lock then finds
    // a file it cannot read, and opens the record again by its name.
    let _ = fs::remove_file(&wal);
    let _ = fs::remove_file(&shm);
    drop(held);
    drop(holder);
    drop(plain);
    Ok(Encrypted {
        sessions: before.sessions,
        entries: before.entries,
    })
}

/// Each table's rows and the highest session number given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    sessions: i64,
    steps: i64,
    entries: i64,
    highest: i64,
}

fn counts(db: &Connection, path: &Path) -> Result<Counts, StoreError> {
    let count = |sql: &str| -> Result<i64, StoreError> {
        db.query_row(sql, [], |r| r.get(0))
            .map_err(|e| StoreError::sql_on(path, db, e))
    };
    Ok(Counts {
        sessions: count("SELECT COUNT(*) FROM sessions")?,
        steps: count("SELECT COUNT(*) FROM steps")?,
        entries: count("SELECT COUNT(*) FROM entries")?,
        highest: count(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sessions'), 0)",
        )?,
    })
}

fn session_ids(db: &Connection, path: &Path) -> Result<Vec<i64>, StoreError> {
    let fail = |e| StoreError::sql_on(path, db, e);
    db.prepare("SELECT id FROM sessions")
        .map_err(fail)?
        .query_map([], |r| r.get(0))
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)
}

/// Where the encrypted copy is made.
fn copy_path(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.encrypting", path.display()))
}

fn sync(path: &Path) -> Result<(), StoreError> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| {
        StoreError::io(
            path,
            "cannot make sure the encrypted copy is on the disk",
            e,
        )
    })
}

/// Writes zeros over the whole of `file` and syncs it.
fn overwrite(file: &mut File) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    file.rewind()?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}
