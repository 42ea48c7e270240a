//! What a `journal` or `plan` subcommand's failure is, and writing what it
//! exports to a file only its owner reads.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::store::StoreError;

/// Why a subcommand did not do what it was asked.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Nothing to do it to, the person said no, or doing it would harm.
    Refused(String),
    /// The record or a file could not be read or written.
    Broken(String),
    /// `journal verify` found the record changed behind the app's back.
    Tampered(String),
    /// The output's reader went away before everything was written.
    ReaderGone,
}

/// A failure to write to the terminal (or whatever reads the output).
pub(crate) fn terminal(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::ReaderGone
    } else {
        Failure::Broken(format!("the terminal: {e}"))
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchSession(_)
            | StoreError::NoSuchClient(_)
            | StoreError::Live(_)
            | StoreError::Refused(_)
            | StoreError::Locked { .. }
            | StoreError::WrongPassphrase { .. } => Self::Refused(e.to_string()),
            e => Self::Broken(e.to_string()),
        }
    }
}

pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::Broken(format!("{}: {e}", path.display()))
}

/// Writes an export readable by its owner only (0600, whatever was there
/// before): it is about a client. Never over the record's own files (the
/// record, its -wal, -shm or -journal, by whatever path), never through a
/// symbolic link, and over an existing file only when `force` is given.
///
/// The bytes go to a fresh file of our own in the same folder, which then
/// takes the target's name: a rename replaces a link that appears there
/// meanwhile instead of following it, and without `force` a hard link takes
/// the name only if nothing has it.
pub(crate) fn write_private(
    file: &Path,
    record: &Path,
    force: bool,
    bytes: &[u8],
) -> Result<(), Failure> {
    let shown = file.display();
    if is_the_record(file, record) {
        return Err(Failure::Refused(format!(
            "{shown} is the session record itself, one of its files or a file in its \
             folder; choose a file elsewhere to write to (nothing was written)"
        )));
    }
    match fs::symlink_metadata(file) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Failure::Refused(format!(
                "{shown} is a symbolic link; name the file itself (a link is never followed, \
                 nothing was written)"
            )));
        }
        Ok(meta) if meta.is_dir() => {
            return Err(Failure::Refused(format!(
                "{shown} is a folder; name a file in it (nothing was written)"
            )));
        }
        // A device, a pipe, a socket: never replaced (`--force` over
        // `/dev/null` would put a file in its place).
        Ok(meta) if !meta.is_file() => {
            return Err(Failure::Refused(format!(
                "{shown} is not a regular file (a device, a pipe or a socket); name a file \
                 (nothing was written)"
            )));
        }
        Ok(_) if !force => {
            return Err(Failure::Refused(format!(
                "{shown} exists; add --force to write over it"
            )));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(file)(e)),
    }
    let Some(name) = file.file_name() else {
        return Err(Failure::Refused(format!(
            "{shown} does not name a file (nothing was written)"
        )));
    };
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let (fresh, mut f) = fresh_file(folder, name).map_err(io(file))?;
    let written = f
        .set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|()| f.write_all(bytes))
        .and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written {
        let _ = fs::remove_file(&fresh);
        return Err(io(file)(e));
    }
    let placed = if force {
        fs::rename(&fresh, file)
    } else {
        match fs::hard_link(&fresh, file) {
            Ok(()) => fs::remove_file(&fresh),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let _ = fs::remove_file(&fresh);
                return Err(Failure::Refused(format!(
                    "{shown} exists; add --force to write over it"
                )));
            }
            // A file system without hard links: the name was free a moment
            // ago, and a rename never follows a link.
            Err(_) => fs::rename(&fresh, file),
        }
    };
    if let Err(e) = placed {
        let _ = fs::remove_file(&fresh);
        return Err(io(file)(e));
    }
    // The new name itself on the disk, not only the bytes.
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A new, empty file of our own (0600) in `folder`, named after `name`.
fn fresh_file(folder: &Path, name: &std::ffi::OsStr) -> std::io::Result<(PathBuf, fs::File)> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut tries = 0;
    loop {
        let mut fresh = OsString::from(".");
        fresh.push(name);
        fresh.push(format!(".{}-{nanos}-{tries}.part", std::process::id()));
        let path = folder.join(fresh);
        // create_new never opens what is there, a link included.
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 8 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Whether `file` is one of the record's own files: the same file on the
/// disk (a hard link, a path through `..` or a linked folder), or the same
/// place once its folder is resolved (a -wal that is not there now).
fn is_the_record(file: &Path, record: &Path) -> bool {
    let target = fs::metadata(file).ok();
    let resolved_target = resolved(file);
    // Nothing is exported into the record's own folder, or below it: the
    // lock files that mark a session being recorded live there.
    if let (Some(target), Some(folder)) = (
        &resolved_target,
        record.parent().and_then(|f| fs::canonicalize(f).ok()),
    ) && target.starts_with(&folder)
    {
        return true;
    }
    ["", "-wal", "-shm", "-journal"].into_iter().any(|suffix| {
        let mut own = record.as_os_str().to_owned();
        own.push(suffix);
        let own = PathBuf::from(own);
        let same_file = match (&target, fs::metadata(&own)) {
            (Some(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        };
        let same_place = match (&resolved_target, resolved(&own)) {
            (Some(a), Some(b)) => *a == b,
            _ => false,
        };
        same_file || same_place
    })
}

/// A path with its folder made canonical; the file itself need not exist.
fn resolved(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(fs::canonicalize(folder).ok()?.join(name))
}
