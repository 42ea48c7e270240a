//! `stillpoint journal`: what it takes on the command line, and the listing,
//! exporting and deleting of recorded sessions it does.
//!
//! Listing and exporting only read the record (it is opened read-only, so
//! neither its bytes nor its mode change, and a file that is not a record is
//! refused untouched). An export is written only where it cannot harm: never
//! over the record's own files, never through a symbolic link, over an
//! existing file only with `--force`, and always readable by its owner only.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use rusqlite::Connection;

use super::outfile::{Failure, terminal, write_private};
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
    /// Delete a session, a client (every session of theirs, and them), or
    /// everything, leaving no readable trace in the file. Asks first unless
    /// --yes (twice for --all).
    Delete {
        /// The session's number.
        #[arg(
            value_name = "SESSION",
            required_unless_present_any = ["alias", "client", "all"],
            conflicts_with_all = ["alias", "client", "all"]
        )]
        id: Option<i64>,
        /// The latest client with this alias, and every session of theirs.
        #[arg(long, value_name = "ALIAS", conflicts_with_all = ["client", "all"])]
        alias: Option<String>,
        /// The client with this code, and every session of theirs.
        #[arg(long, value_name = "CODE", conflicts_with = "all")]
        client: Option<String>,
        /// Every client and every session.
        #[arg(long)]
        all: bool,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// Correct a SUDS or a note of a session (one being recorded now too).
    /// Nothing is changed in place: the correction is a new entry that
    /// names the one it corrects and says why, and the report shows the
    /// right value beside what it was.
    Correct {
        /// The session's number.
        #[arg(value_name = "SESSION")]
        session: i64,
        /// The entry's number, the first column of the session's report.
        #[arg(value_name = "ENTRY")]
        entry: i64,
        /// The right SUDS, 0 to 100.
        #[arg(
            long,
            value_name = "0-100",
            value_parser = clap::value_parser!(u8).range(0..=100),
            required_unless_present = "note",
            conflicts_with = "note"
        )]
        suds: Option<u8>,
        /// The note's right words.
        #[arg(long, value_name = "WORDS")]
        note: Option<String>,
        /// Why it is corrected.
        #[arg(long, value_name = "WORDS")]
        why: String,
    },
    /// Close a note of a session in your name: from then on it cannot be
    /// corrected (a new note can still be added).
    CloseNote {
        /// The session's number.
        #[arg(value_name = "SESSION")]
        session: i64,
        /// The note's entry number, the first column of the report.
        #[arg(value_name = "ENTRY")]
        entry: i64,
        /// The therapist's name, as it is to stand under the note.
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// List the clients: their codes, aliases and sessions.
    Clients,
    /// A client's progress across their sessions: per session the plan,
    /// the highest step, minutes and peak SUDS at each step, expected
    /// against found, safety behaviours and questionnaires; a printable
    /// page with a chart (html), a table (csv) or data (json).
    Progress {
        /// The client: their code, or their alias.
        #[arg(value_name = "CLIENT")]
        client: String,
        /// The format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Html)]
        format: ExportFormat,
        /// File to write (readable by you only); default the terminal.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write over FILE if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Check the record: the database's integrity, every page's
    /// encryption, and the hash chains of the sessions and the audit trail.
    /// Says where a chain breaks; exit 3 when anything does.
    Verify,
    /// Show the audit trail: what was done to the record, and when.
    Audit,
    /// Encrypt a plain record (one an earlier Stillpoint made) under a new
    /// passphrase: an encrypted copy is made and checked, put in its place,
    /// and the plain file overwritten.
    Encrypt,
    /// Change the encrypted record's passphrase: asks for the one it has,
    /// then the new one twice (or reads the new one from the file
    /// STILLPOINT_NEW_PASSPHRASE_FILE names).
    Rekey,
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
    on_record(|path, passphrase, input, out| run_on(path, passphrase, what, input, out))
}

/// Does `what` to the record in the data folder, with its passphrase when
/// it is encrypted, reading answers from the terminal's input and writing
/// to its output; the exit status says how it went (2: refused, 1: broken,
/// 3: changed outside Stillpoint).
pub(crate) fn on_record(
    what: impl FnOnce(
        &Path,
        Option<&store::Passphrase>,
        &mut dyn BufRead,
        &mut dyn Write,
    ) -> Result<(), Failure>,
) -> ExitCode {
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
    match what(
        &path,
        passphrase.as_ref(),
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
        Err(Failure::Tampered(why)) => {
            crate::tell!("stillpoint: {why}");
            ExitCode::from(3)
        }
        // Whoever read the output has gone (`journal list | head -1`):
        // nothing more to say, and nothing went wrong.
        Err(Failure::ReaderGone) => ExitCode::SUCCESS,
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
    // The reads leave the file as it is, but for the audit trail's row
    // (an encrypted record's); a delete writes (encrypting and changing the
    // passphrase replace the file, and open it their own way).
    let db = match &what {
        JournalCommand::Encrypt => return encrypt(path, out),
        JournalCommand::Rekey => return rekey(path, passphrase, out),
        JournalCommand::Delete { .. }
        | JournalCommand::Verify
        | JournalCommand::Correct { .. }
        | JournalCommand::CloseNote { .. } => store::open(path, false, passphrase)?,
        JournalCommand::List
        | JournalCommand::Export { .. }
        | JournalCommand::Progress { .. }
        | JournalCommand::Clients
        | JournalCommand::Audit => store::open_read(path, passphrase)?,
    };
    let Some(mut db) = db else {
        return match what {
            JournalCommand::List | JournalCommand::Clients => writeln!(
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
    // Opened with its passphrase: the audit trail says so.
    audit(path, passphrase, "unlocked", what.name());
    match what {
        JournalCommand::Encrypt | JournalCommand::Rekey => {
            unreachable!("encrypting and rekeying return before the record is opened")
        }
        JournalCommand::List => list(&db, path, out),
        JournalCommand::Clients => list_clients(&db, path, out),
        JournalCommand::Progress {
            client,
            format,
            out: file,
            force,
        } => {
            let client = store::client_named(&db, &client, path)?;
            let records = store::sessions_of(&db, client.id)?
                .into_iter()
                .map(|row| store::session(&db, row.id))
                .collect::<Result<Vec<_>, _>>()?;
            let progress = report::progress(&client.code, &records);
            let text = match format {
                ExportFormat::Html => report::progress_html(&progress),
                ExportFormat::Csv => report::progress_csv(&progress),
                ExportFormat::Json => report::progress_json(&progress),
            };
            let name = format.name();
            audit(
                path,
                passphrase,
                "exported",
                &format!("a client's progress ({} sessions) as {name}", records.len()),
            );
            match file {
                None => out.write_all(text.as_bytes()).map_err(stdout),
                Some(file) => {
                    write_private(&file, path, force, text.as_bytes())?;
                    writeln!(
                        out,
                        "Wrote the progress of client {} ({}) to {}: readable by you only, and \
                         not encrypted; delete it when it is no longer needed.",
                        client.code,
                        sessions(records.len()),
                        file.display()
                    )
                    .map_err(stdout)
                }
            }
        }
        JournalCommand::Correct {
            session,
            entry,
            suds,
            note,
            why,
        } => {
            let amend = match (suds, note) {
                (Some(v), _) => store::Amend::Suds(v),
                (None, Some(words)) => store::Amend::Note(words),
                (None, None) => unreachable!("clap asks for --suds or --note"),
            };
            let tx = db.transaction().map_err(|e| StoreError::sql(path, e))?;
            let id = store::correct(&tx, session, entry, &amend, &why, store::now_ms())?;
            tx.commit().map_err(|e| StoreError::sql(path, e))?;
            writeln!(
                out,
                "Corrected entry {entry} of session {session} (the correction is entry {id}; \
                 the entry itself is kept as it was)."
            )
            .map_err(stdout)
        }
        JournalCommand::CloseNote { session, entry, by } => {
            let tx = db.transaction().map_err(|e| StoreError::sql(path, e))?;
            let id = store::close_note(&tx, session, entry, &by, store::now_ms())?;
            tx.commit().map_err(|e| StoreError::sql(path, e))?;
            writeln!(
                out,
                "Closed note {entry} of session {session} (entry {id}); it can no longer be \
                 corrected."
            )
            .map_err(stdout)
        }
        JournalCommand::Audit => {
            let rows = store::trail(&db).map_err(|e| StoreError::sql_on(path, &db, e))?;
            for row in rows {
                writeln!(
                    out,
                    "{:>5}  {}  {}{}",
                    row.id,
                    &utc(row.at_ms)[..19],
                    row.what,
                    if row.detail.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", row.detail)
                    }
                )
                .map_err(stdout)?;
            }
            Ok(())
        }
        JournalCommand::Verify => verify(&db, path, passphrase.is_some(), out),
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
            let name = format.name();
            match file {
                None => {
                    audit(
                        path,
                        passphrase,
                        "exported",
                        &format!("session {session} as {name}, to the terminal"),
                    );
                    out.write_all(text.as_bytes()).map_err(stdout)
                }
                Some(file) => {
                    write_private(&file, path, force, text.as_bytes())?;
                    audit(
                        path,
                        passphrase,
                        "exported",
                        &format!("session {session} as {name}, to a file"),
                    );
                    writeln!(
                        out,
                        "Wrote session {session} to {}: readable by you only, and not \
                         encrypted (an export leaves the record's protection); delete it when \
                         it is no longer needed.",
                        file.display()
                    )
                    .map_err(stdout)
                }
            }
        }
        JournalCommand::Delete {
            id: session,
            alias,
            client,
            all,
            yes,
        } => {
            if session.is_none() {
                return delete_clients(&mut db, path, alias, client, all, yes, input, out);
            }
            let doomed: Vec<SessionRow> = match session {
                Some(id) => vec![store::session(&db, id)?.session],
                None => Vec::new(),
            };
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
                confirm(
                    &format!(
                        "Delete {} for good? It cannot be undone. Type yes to delete: ",
                        sessions(doomed.len())
                    ),
                    input,
                    out,
                )?;
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

impl JournalCommand {
    /// The subcommand's name, for the audit trail.
    fn name(&self) -> &'static str {
        match self {
            Self::List => "by journal list",
            Self::Export { .. } => "by journal export",
            Self::Delete { .. } => "by journal delete",
            Self::Correct { .. } => "by journal correct",
            Self::CloseNote { .. } => "by journal close-note",
            Self::Clients => "by journal clients",
            Self::Progress { .. } => "by journal progress",
            Self::Verify => "by journal verify",
            Self::Audit => "by journal audit",
            Self::Encrypt => "by journal encrypt",
            Self::Rekey => "by journal rekey",
        }
    }
}

impl ExportFormat {
    fn name(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// Adds a row to the audit trail of the encrypted record at `path`
/// ([`super::RecordFile::note`]); whatever stops it is said.
fn audit(path: &Path, passphrase: Option<&store::Passphrase>, what: &str, detail: &str) {
    let file = super::RecordFile {
        path: path.to_path_buf(),
        passphrase: passphrase.cloned(),
    };
    if let Err(why) = file.note(what, detail) {
        crate::tell!("stillpoint: {why}");
    }
}

/// Asks on `out` for the word "yes" on `input`; anything else refuses.
fn confirm(prompt: &str, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), Failure> {
    write!(out, "{prompt}").map_err(terminal)?;
    out.flush().map_err(terminal)?;
    let mut answer = String::new();
    input.read_line(&mut answer).map_err(terminal)?;
    // The prompt asks for the word: "y" is too easily typed.
    if answer.trim().to_lowercase() != "yes" {
        return Err(Failure::Refused("nothing was deleted".into()));
    }
    Ok(())
}

/// `journal delete --alias`, `--client` or `--all`.
#[allow(clippy::too_many_arguments)]
fn delete_clients(
    db: &mut Connection,
    path: &Path,
    alias: Option<String>,
    client: Option<String>,
    all: bool,
    yes: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let stdout = terminal;
    let chosen = match (&alias, &client) {
        (Some(alias), _) => vec![
            store::find_client(db, alias)
                .map_err(|e| StoreError::sql_on(path, db, e))?
                .filter(|c| &c.alias == alias)
                .ok_or_else(|| {
                    Failure::Refused(format!(
                        "no client has the alias {alias:?}; nothing was deleted"
                    ))
                })?,
        ],
        (None, Some(code)) => vec![store::client_named(db, code, path)?],
        (None, None) => Vec::new(),
    };
    let rows: Vec<SessionRow> = if all {
        store::sessions(db)?
    } else {
        store::sessions_of(db, chosen[0].id)?
    };
    for id in rows.iter().map(|r| r.id) {
        if store::is_recorded_now(path, id)? {
            return Err(StoreError::Live(id).into());
        }
    }
    for row in &rows {
        writeln!(out, "{}", line(row)).map_err(stdout)?;
    }
    if !yes {
        if all {
            let clients = store::clients(db).map_err(|e| StoreError::sql_on(path, db, e))?;
            confirm(
                &format!(
                    "Delete every client ({}) and every session ({}) for good? It cannot be \
                     undone. Type yes to delete: ",
                    clients.len(),
                    rows.len()
                ),
                input,
                out,
            )?;
            confirm(
                "Everything in the record goes, for every client. Type yes once more: ",
                input,
                out,
            )?;
        } else {
            confirm(
                &format!(
                    "Delete client {} and {} for good? It cannot be undone. Type yes to delete: ",
                    chosen[0].code,
                    sessions(rows.len())
                ),
                input,
                out,
            )?;
        }
    }
    let (clients, gone) = store::delete_clients(db, path, &chosen, all)?;
    let left = if all {
        store::sessions(db)?.len()
    } else {
        store::sessions_of(db, chosen[0].id)?.len()
    };
    if left > 0 {
        return Err(Failure::Broken(format!(
            "{} still in the record after deleting",
            sessions(left)
        )));
    }
    writeln!(
        out,
        "Deleted {} and {}.",
        if clients == 1 {
            "1 client".to_owned()
        } else {
            format!("{clients} clients")
        },
        sessions(gone)
    )
    .map_err(stdout)
}

/// `journal verify`.
fn verify(
    db: &Connection,
    path: &Path,
    encrypted: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let found = store::verify(db, encrypted).map_err(|e| StoreError::sql_on(path, db, e))?;
    let checked = format!(
        "{}, {} entries and {} audit rows",
        sessions(found.sessions),
        found.entries,
        found.audit
    );
    if found.broken.is_empty() {
        return writeln!(
            out,
            "Checked {checked} in {}: the record is whole, and every chain holds.",
            path.display()
        )
        .map_err(terminal);
    }
    for why in &found.broken {
        writeln!(out, "broken: {why}").map_err(terminal)?;
    }
    Err(Failure::Tampered(format!(
        "the record {} was changed outside Stillpoint or is damaged: {} found (above) in {checked}",
        path.display(),
        if found.broken.len() == 1 {
            "1 break".to_owned()
        } else {
            format!("{} breaks", found.broken.len())
        }
    )))
}

/// `journal clients`.
fn list_clients(db: &Connection, path: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let stdout = terminal;
    let clients = store::clients(db).map_err(|e| StoreError::sql_on(path, db, e))?;
    if clients.is_empty() {
        return writeln!(out, "No clients are recorded in {}.", path.display()).map_err(stdout);
    }
    writeln!(
        out,
        "{:<8}  {:<24}  {:>8}  last session (UTC)",
        "code", "alias", "sessions"
    )
    .map_err(stdout)?;
    for client in clients {
        let rows = store::sessions_of(db, client.id)?;
        writeln!(
            out,
            "{:<8}  {:<24}  {:>8}  {}",
            client.code,
            if client.alias.is_empty() {
                "(no alias)"
            } else {
                &client.alias
            },
            rows.len(),
            rows.last()
                .map_or("-".to_owned(), |r| utc(r.started_ms)[..16].to_owned())
        )
        .map_err(stdout)?;
    }
    Ok(())
}

/// `journal rekey`: the encrypted record's passphrase changed.
fn rekey(path: &Path, old: Option<&store::Passphrase>, out: &mut dyn Write) -> Result<(), Failure> {
    let Some(old) = old else {
        return Err(Failure::Refused(format!(
            "the session record {} is not encrypted (or not there), so it has no passphrase to \
             change; nothing was changed",
            path.display()
        )));
    };
    // The old passphrase is checked before a new one is asked for.
    if store::open_read(path, Some(old))?.is_none() {
        return Err(Failure::Refused(
            "there is no record yet; nothing was changed".into(),
        ));
    }
    let Some(new) = super::passphrase::new_for_rekey(path) else {
        return Err(Failure::Refused(
            "no new passphrase was given; nothing was changed".into(),
        ));
    };
    let done = store::rekey(path, old, &new)?;
    writeln!(
        out,
        "The passphrase of {} is changed ({}, {} entries, kept); the old one no longer opens \
         it, and the file under it was overwritten and removed.",
        path.display(),
        sessions(done.sessions as usize),
        done.entries
    )
    .map_err(terminal)
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
        "{:>4}  {}  {:<8}  {:<16}  {:<10}  {:<24}  {:>12}  {:>4} entries{}",
        row.id,
        &utc(row.started_ms)[..16],
        row.client,
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
        "{:>4}  {:<16}  {:<8}  {:<16}  {:<10}  {:<24}  {:>12}",
        "#", "started (UTC)", "client", "alias", "kind", "first scene", "session time"
    )
    .map_err(stdout)?;
    for row in &rows {
        writeln!(out, "{}", line(row)).map_err(stdout)?;
    }
    Ok(())
}
