//! `stillpoint journal`: list, export and delete recorded sessions.

use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rusqlite::Connection;

use super::report::{self, length, utc};
use super::store::{self, SessionRow, StoreError};
use crate::cli::{ExportFormat, JournalCommand};

/// Runs a `journal` subcommand on the record in the data folder: exit 0 when
/// done, 2 for a session that is not there or a refusal, 1 when the record
/// cannot be read or written.
pub fn run(what: JournalCommand) -> ExitCode {
    let Some(path) = store::default_path() else {
        eprintln!("stillpoint: neither XDG_DATA_HOME nor HOME is set: there is no session record");
        return ExitCode::from(2);
    };
    let stdin = std::io::stdin();
    match run_on(&path, what, &mut stdin.lock(), &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(why)) => {
            eprintln!("stillpoint: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Broken(why)) => {
            eprintln!("stillpoint: {why}");
            ExitCode::from(1)
        }
    }
}

/// Why a subcommand did not do what it was asked.
#[derive(Debug)]
pub enum Failure {
    /// Nothing to do it to, or the person said no.
    Refused(String),
    /// The record or a file could not be read or written.
    Broken(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchSession(_) => Self::Refused(e.to_string()),
            e => Self::Broken(e.to_string()),
        }
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Self::Broken(StoreError::Sql(e).to_string())
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::Broken(format!("{}: {e}", path.display()))
}

/// Runs a `journal` subcommand on the record at `path`, asking on `input`
/// and writing to `out`.
pub fn run_on(
    path: &Path,
    what: JournalCommand,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let stdout = |e: std::io::Error| Failure::Broken(format!("the terminal: {e}"));
    let Some(mut db) = store::open(path, false)? else {
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
        JournalCommand::List => list(&db, path, out),
        JournalCommand::Export {
            id: session,
            format,
            out: file,
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
                    write_private(&file, text.as_bytes())?;
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
                if !matches!(answer.trim().to_lowercase().as_str(), "yes" | "y") {
                    return Err(Failure::Refused("nothing was deleted".into()));
                }
            }
            let ids: Vec<i64> = doomed.iter().map(|r| r.id).collect();
            let gone = store::delete(&mut db, &ids)?;
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
    let stdout = |e: std::io::Error| Failure::Broken(format!("the terminal: {e}"));
    if rows.is_empty() {
        return writeln!(out, "No sessions are recorded in {}.", path.display()).map_err(stdout);
    }
    writeln!(
        out,
        "{:>4}  {:<16}  {:<16}  {:<10}  {:<24}  {:>12}",
        "#", "started (UTC)", "alias", "kind", "scene", "in the scene"
    )
    .map_err(stdout)?;
    for row in &rows {
        writeln!(out, "{}", line(row)).map_err(stdout)?;
    }
    Ok(())
}

/// Writes an export readable by its owner only: it is about a client.
fn write_private(file: &PathBuf, bytes: &[u8]) -> Result<(), Failure> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .map_err(io(file))?;
    f.write_all(bytes).map_err(io(file))?;
    f.sync_all().map_err(io(file))
}
