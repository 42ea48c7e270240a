//! Which sessions a running Stillpoint is recording. The writer marks each
//! with a file, `live/<id>.lock` in the record's folder, and holds an
//! exclusive advisory lock on it for as long as it records the session. The
//! operating system lets go of that lock when the process ends, however it
//! ends, so a lock file that can be locked was left by an app that was
//! killed: its session is no longer being recorded.
//!
//! `journal delete` refuses a session whose file is locked: deleting the
//! session that is live is almost certainly a mistake, and it would leave the
//! running app writing to a session that is not there.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The folder of lock files beside the record at `record`.
pub(crate) fn folder(record: &Path) -> PathBuf {
    match record.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("live"),
        _ => PathBuf::from("live"),
    }
}

/// The lock file of session `id` of the record at `record`.
pub(crate) fn file(record: &Path, id: i64) -> PathBuf {
    folder(record).join(format!("{id}.lock"))
}

/// A session marked as being recorded by this process. Dropping it lets go:
/// the file is removed and the lock released.
#[derive(Debug)]
pub(crate) struct Held {
    id: i64,
    path: PathBuf,
    /// Kept open only for its lock, which closing it releases.
    _file: File,
}

impl Held {
    /// The session's number.
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // The name goes before the lock does (the file is closed after this,
        // with the other fields): a delete that opens the file meanwhile
        // finds it locked, or can lock it only once the session is over.
        // Left behind, it is a stale file that the next delete removes.
        let _ = fs::remove_file(&self.path);
    }
}

/// Marks session `id` of the record at `record` as being recorded by this
/// process, making the folder (0700) if it is not there.
pub(crate) fn hold(record: &Path, id: i64) -> io::Result<Held> {
    let folder = folder(record);
    fs::create_dir_all(&folder)?;
    // Only its owner sees which sessions are running.
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o700))?;
    let path = folder.join(format!("{id}.lock"));
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Held {
            id,
            path,
            _file: file,
        }),
        Err(TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "{} is locked by another process: two Stillpoints are recording into one folder",
                path.display()
            ),
        )),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Whether session `id` of the record at `record` is being recorded by a
/// Stillpoint running now. A lock file that can be locked was left by an app
/// that ended without letting go (killed, or the power went): it is removed,
/// and the session is not being recorded.
pub(crate) fn is_recorded_now(record: &Path, id: i64) -> io::Result<bool> {
    let path = file(record, id);
    let lock = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(lock) => lock,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match lock.try_lock() {
        Ok(()) => match fs::remove_file(&path) {
            Ok(()) => Ok(false),
            // The writer let go and removed it just now: the session is over.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        },
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(e),
    }
}
