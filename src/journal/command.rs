//! `stillpoint journal`: what it takes on the command line, and the listing,
//! exporting and deleting of recorded sessions it does.
//!
//! Listing and exporting only read the record (it is opened read-only, so
//! neither its bytes nor its mode change, and a file that is not a record is
//! refused untouched). An export is written only where it cannot harm: never
//! over the record's own files, never through a symbolic link, over an
//! existing file only with `--force`, and always readable by its owner only.

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Subcommand;
use rusqlite::Connection;

use super::report::{self, length, utc};
use super::store::{self, SessionRow, StoreError};

/// What `stillpoint journal` does.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// List the recorded sessions, oldest first.
    List,
    /// Write one session out as a printable report (html), a table (csv)
    /// or data (json).
    Export {
        /// The session's number, as `journal list` shows it.
        #[arg(value_name = "SESSION")]
        id: i64,
        /// The format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Html)]
        format: ExportFormat,
        /// File to write (readable by you only); default the terminal.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write over FILE if it exists (never over the record itself, and
        /// never through a symbolic link).
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Delete a session, or every session of an alias, leaving no readable
    /// trace in the file. Asks first unless --yes.
    Delete {
        /// The session's number.
        #[arg(
            value_name = "SESSION",
            required_unless_present = "alias",
            conflicts_with = "alias"
        )]
        id: Option<i64>,
        /// Every session of this alias.
        #[arg(long, value_name = "ALIAS")]
        alias: Option<String>,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// Encrypt a plain record (one an earlier Stillpoint made) under a new
    /// passphrase: an encrypted copy is made and checked, put in its place,
    /// and the plain file overwritten.
    Encrypt,
}

/// The formats a session is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One self-contained page, printable on A4.
    Html,
    /// One row per entry.
    Csv,
    /// The session and its entries.
    Json,
}

/// Runs a `journal` subcommand on the record in the data folder: exit 0 when
/// done, 2 for a session that is not there or a refusal, 1 when the record
/// cannot be read or written.
pub fn run(what: JournalCommand) -> ExitCode {
    let Some(path) = store::default_path() else {
        crate::tell!(
            "stillpoint: neither XDG_DATA_HOME nor HOME is set: there is no session record"
        );
        return ExitCode::from(2);
    };
    // An encrypted record needs its passphrase (a plain one is read as it
    // is); a wrong one is refused with nothing changed.
    let passphrase = match store::is_encrypted(&path) {
        Ok(Some(true)) => super::passphrase::for_record(&path, Some(true)),
        _ => None,
    };
    let stdin = std::io::stdin();
    match run_on(
        &path,
        passphrase.as_ref(),
        what,
        &mut stdin.lock(),
        &mut std::io::stdout(),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(why)) => {
            crate::tell!("stillpoint: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Broken(why)) => {
            crate::tell!("stillpoint: {why}");
            ExitCode::from(1)
        }
        // Whoever read the output has gone (`journal list | head -1`):
        // nothing more to say, and nothing went wrong.
        Err(Failure::ReaderGone) => ExitCode::SUCCESS,
    }
}

/// Why a subcommand did not do what it was asked.
#[derive(Debug)]
enum Failure {
    /// Nothing to do it to, the person said no, or doing it would harm.
    Refused(String),
    /// The record or a file could not be read or written.
    Broken(String),
    /// The output's reader went away before everything was written.
    ReaderGone,
}

/// A failure to write to the terminal (or whatever reads the output).
fn terminal(e: std::io::Error) -> Failure {
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
            | StoreError::Live(_)
            | StoreError::Locked { .. }
            | StoreError::WrongPassphrase { .. } => Self::Refused(e.to_string()),
            e => Self::Broken(e.to_string()),
        }
    }
}

/// `journal encrypt`: the plain record at `path` encrypted under a new
/// passphrase (from `STILLPOINT_PASSPHRASE_FILE`, or typed twice).
fn encrypt(path: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    match store::is_encrypted(path)? {
        None => {
            return Err(Failure::Refused(format!(
                "no sessions are recorded yet ({} does not exist); a new record is made \
                 encrypted",
                path.display()
            )));
        }
        Some(true) => {
            return Err(Failure::Refused(format!(
                "the session record {} is already encrypted; nothing was changed",
                path.display()
            )));
        }
        Some(false) => {}
    }
    let Some(passphrase) = super::passphrase::for_record(path, Some(false)) else {
        return Err(Failure::Refused(
            "encrypting needs a new passphrase: type it when asked, or name a file holding it \
             in STILLPOINT_PASSPHRASE_FILE; nothing was changed"
                .into(),
        ));
    };
    let done = store::encrypt(path, &passphrase)?;
    writeln!(
        out,
        "Encrypted {} ({} entries) in {}; the plain file was overwritten and removed.",
        sessions(done.sessions as usize),
        done.entries,
        path.display()
    )
    .map_err(terminal)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::Broken(format!("{}: {e}", path.display()))
}

/// Runs a `journal` subcommand on the record at `path`, asking on `input`
/// and writing to `out`.
fn run_on(
    path: &Path,
    passphrase: Option<&store::Passphrase>,
    what: JournalCommand,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let stdout = terminal;
    // Only a delete writes; the others read and leave the file as it is
    // (encrypting replaces it, and opens it its own way).
    let db = match &what {
        JournalCommand::Encrypt => return encrypt(path, out),
        JournalCommand::Delete { .. } => store::open(path, false, passphrase)?,
        JournalCommand::List | JournalCommand::Export { .. } => store::open_read(path, passphrase)?,
    };
    let Some(mut db) = db else {
        return match what {
            JournalCommand::List => writeln!(
                out,
                "No sessions are recorded yet (the record will be {}).",
                path.display()
            )
            .map_err(stdout),
            _ => Err(Failure::Refused(format!(
                "no sessions are recorded yet ({} does not exist)",
                path.display()
            ))),
        };
    };
    match what {
        JournalCommand::Encrypt => unreachable!("encrypting returns before the record is opened"),
        JournalCommand::List => list(&db, path, out),
        JournalCommand::Export {
            id: session,
            format,
            out: file,
            force,
        } => {
            let record = store::session(&db, session)?;
            let text = match format {
                ExportFormat::Html => report::html(&record),
                ExportFormat::Csv => report::csv(&record),
                ExportFormat::Json => report::json(&record),
            };
            match file {
                None => out.write_all(text.as_bytes()).map_err(stdout),
                Some(file) => {
                    write_private(&file, path, force, text.as_bytes())?;
                    writeln!(out, "Wrote session {session} to {}.", file.display()).map_err(stdout)
                }
            }
        }
        JournalCommand::Delete {
            id: session,
            alias,
            yes,
        } => {
            let doomed: Vec<SessionRow> = match (session, &alias) {
                (Some(id), _) => vec![store::session(&db, id)?.session],
                (None, Some(alias)) => store::sessions_of(&db, alias)?,
                (None, None) => Vec::new(),
            };
            if doomed.is_empty() {
                return Err(Failure::Refused(format!(
                    "no sessions of the alias {:?} are recorded",
                    alias.unwrap_or_default()
                )));
            }
            let ids: Vec<i64> = doomed.iter().map(|r| r.id).collect();
            // Said before asking, so nobody is asked to confirm a delete
            // that would be refused; checked again, for certain, inside the
            // delete's own transaction.
            for id in &ids {
                if store::is_recorded_now(path, *id)? {
                    return Err(StoreError::Live(*id).into());
                }
            }
            for row in &doomed {
                writeln!(out, "{}", line(row)).map_err(stdout)?;
            }
            if !yes {
                write!(
                    out,
                    "Delete {} for good? It cannot be undone. Type yes to delete: ",
                    sessions(doomed.len())
                )
                .map_err(stdout)?;
                out.flush().map_err(stdout)?;
                let mut answer = String::new();
                input.read_line(&mut answer).map_err(stdout)?;
                // The prompt asks for the word: "y" is too easily typed.
                if answer.trim().to_lowercase() != "yes" {
                    return Err(Failure::Refused("nothing was deleted".into()));
                }
            }
            let gone = store::delete(&mut db, path, &ids)?;
            // Read back: none of them is there any more.
            let left = ids
                .iter()
                .filter(|id| store::session(&db, **id).is_ok())
                .count();
            if left > 0 {
                return Err(Failure::Broken(format!(
                    "{} still in the record after deleting",
                    sessions(left)
                )));
            }
            writeln!(out, "Deleted {}.", sessions(gone)).map_err(stdout)
        }
    }
}

fn sessions(n: usize) -> String {
    if n == 1 {
        "1 session".into()
    } else {
        format!("{n} sessions")
    }
}

/// A session in one line, as listed.
fn line(row: &SessionRow) -> String {
    format!(
        "{:>4}  {}  {:<16}  {:<10}  {:<24}  {:>12}  {:>4} entries{}",
        row.id,
        &utc(row.started_ms)[..16],
        if row.alias.is_empty() {
            "(no alias)"
        } else {
            &row.alias
        },
        row.kind.as_str(),
        row.title,
        length(row.length_us / 1000),
        row.entries,
        if row.ended_ms.is_none() {
            "  (did not close normally)"
        } else {
            ""
        }
    )
}

fn list(db: &Connection, path: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let rows = store::sessions(db)?;
    let stdout = terminal;
    if rows.is_empty() {
        return writeln!(out, "No sessions are recorded in {}.", path.display()).map_err(stdout);
    }
    writeln!(
        out,
        "{:>4}  {:<16}  {:<16}  {:<10}  {:<24}  {:>12}",
        "#", "started (UTC)", "alias", "kind", "first scene", "session time"
    )
    .map_err(stdout)?;
    for row in &rows {
        writeln!(out, "{}", line(row)).map_err(stdout)?;
    }
    Ok(())
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
fn write_private(file: &Path, record: &Path, force: bool, bytes: &[u8]) -> Result<(), Failure> {
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
