//! Where the record's passphrase comes from: a file named by
//! `STILLPOINT_PASSPHRASE_FILE` (for automation and tests), or the terminal,
//! typed without echo. It is asked once per start, never written to disk or
//! to a log, and held only in memory that is wiped when it is dropped.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use zeroize::Zeroizing;

use super::store::Passphrase;

/// The most bytes of a passphrase file that are read.
const LONGEST: usize = 4096;

/// The variable that names a file holding the passphrase.
pub const PASSPHRASE_FILE: &str = "STILLPOINT_PASSPHRASE_FILE";

/// The variable that names a file holding the new passphrase, for
/// `journal rekey` run by a script.
pub const NEW_PASSPHRASE_FILE: &str = "STILLPOINT_NEW_PASSPHRASE_FILE";

/// The new passphrase for `journal rekey`: from the file
/// `STILLPOINT_NEW_PASSPHRASE_FILE` names, else typed twice. Held to the
/// same length as any new one; `None`, with the reason said, when there is
/// none.
pub(crate) fn new_for_rekey(path: &Path) -> Option<Passphrase> {
    let got = match std::env::var_os(NEW_PASSPHRASE_FILE) {
        Some(file) => {
            read_named(Path::new(&file), NEW_PASSPHRASE_FILE).and_then(
                |passphrase| match passphrase.refuse_as_new() {
                    Some(why) => Err(format!("the passphrase in {NEW_PASSPHRASE_FILE}: {why}")),
                    None => Ok(Some(passphrase)),
                },
            )
        }
        None => ask_new(&format!("the session record {}", path.display())),
    };
    match got {
        Ok(passphrase) => passphrase,
        Err(why) => {
            crate::tell!("stillpoint: {why}");
            None
        }
    }
}

/// The passphrase in the file `STILLPOINT_PASSPHRASE_FILE` names, if it is
/// set. The file must be readable by its owner only (as ssh asks of a
/// key); its first line is the passphrase.
pub fn from_environment() -> Result<Option<Passphrase>, String> {
    let Some(path) = std::env::var_os(PASSPHRASE_FILE) else {
        return Ok(None);
    };
    read_file(Path::new(&path)).map(Some)
}

/// The passphrase for the record at `path` (`encrypted`: as
/// [`is_encrypted`](super::store::is_encrypted) found it): from the
/// environment's file, else asked on the terminal (twice, for a record yet
/// to be made). `None`, with the reason said, when there is neither.
pub(crate) fn for_record(path: &Path, encrypted: Option<bool>) -> Option<Passphrase> {
    let got = match from_environment() {
        // A new one, from a file, is held to what a typed one is.
        Ok(Some(passphrase)) if encrypted != Some(true) => match passphrase.refuse_as_new() {
            Some(why) => Err(format!("the passphrase in {PASSPHRASE_FILE}: {why}")),
            None => return Some(passphrase),
        },
        Ok(Some(passphrase)) => return Some(passphrase),
        Ok(None) if encrypted == Some(true) => ask(&format!(
            "The passphrase of the session record {}: ",
            path.display()
        ))
        .map_err(|e| e.to_string()),
        Ok(None) => ask_new(&format!("the session record {}", path.display())),
        Err(why) => Err(why),
    };
    match got {
        Ok(passphrase) => passphrase,
        Err(why) => {
            crate::tell!("stillpoint: {why}");
            None
        }
    }
}

/// Reads a passphrase file: its first line, without the line's end.
pub(crate) fn read_file(path: &Path) -> Result<Passphrase, String> {
    read_named(path, PASSPHRASE_FILE)
}

/// Reads the passphrase file at `path`, which the variable `named` named.
fn read_named(path: &Path, named: &str) -> Result<Passphrase, String> {
    let said = |why: String| format!("the passphrase file {} ({named}): {why}", path.display());
    let file = File::open(path).map_err(|e| said(e.to_string()))?;
    let mode = file
        .metadata()
        .map_err(|e| said(e.to_string()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(said(format!(
            "others can read it (mode {:o}); make it yours alone with `chmod 600`",
            mode & 0o777
        )));
    }
    let mut line = Zeroizing::new(String::with_capacity(LONGEST + 1));
    // Only its first line, and never more than a passphrase could be.
    BufReader::new(file.take(LONGEST as u64))
        .read_line(&mut line)
        .map_err(|e| said(e.to_string()))?;
    let text = line.trim_end_matches(['\n', '\r']);
    if text.is_empty() {
        return Err(said("its first line is empty".into()));
    }
    Ok(Passphrase::new(text.to_owned()))
}

/// Asks for the passphrase on the terminal, without echo. `None` when there
/// is no terminal to ask on (a service, a test, a pipe).
pub fn ask(prompt: &str) -> io::Result<Option<Passphrase>> {
    let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty") else {
        return Ok(None);
    };
    let mut out = tty.try_clone()?;
    write!(out, "{prompt}")?;
    out.flush()?;
    let typed = {
        let _quiet = Quiet::on(&tty)?;
        let mut line = Zeroizing::new(String::with_capacity(LONGEST + 1));
        BufReader::new((&tty).take(LONGEST as u64)).read_line(&mut line)?;
        line
    };
    // The Enter that ended it was not echoed either.
    writeln!(out)?;
    let typed = typed.trim_end_matches(['\n', '\r']);
    // Enter alone: none given (the console's page can unlock the record).
    if typed.is_empty() {
        return Ok(None);
    }
    Ok(Some(Passphrase::new(typed.to_owned())))
}

/// Asks for a new passphrase twice on the terminal, until the two agree and
/// it is long enough (three tries). `None` when there is no terminal.
pub fn ask_new(what: &str) -> Result<Option<Passphrase>, String> {
    for _ in 0..3 {
        let Some(first) =
            ask(&format!("A new passphrase for {what}: ")).map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        if let Some(why) = first.refuse_as_new() {
            crate::tell!("stillpoint: {why}");
            continue;
        }
        let Some(again) = ask("The same again: ").map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        if first.same_as(&again) {
            return Ok(Some(first));
        }
        crate::tell!("stillpoint: the two were not the same; once more");
    }
    Err("no passphrase was agreed on; nothing was changed".into())
}

/// Writes `passphrase` as a passphrase file at `path`, readable by its
/// owner only (for scripts and tests; a person types it instead).
pub fn make_file(path: &Path, passphrase: &str) -> io::Result<()> {
    // Made private before a byte is written, and kept so if it was there.
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(format!("{passphrase}\n").as_bytes())
}

/// The terminal's echo, off while this lives.
struct Quiet {
    fd: i32,
    was: libc::termios,
}

impl Quiet {
    #[allow(unsafe_code)]
    fn on(tty: &File) -> io::Result<Self> {
        let fd = tty.as_raw_fd();
        // SAFETY: `fd` is an open terminal for the life of `tty`, and
        // `termios` is plain data that tcgetattr fills.
        let mut was: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut was) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut quiet = was;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: as above; the settings are the terminal's own, less echo.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { fd, was })
    }
}

impl Drop for Quiet {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the terminal's settings as they were, on the same fd.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.was);
        }
    }
}
