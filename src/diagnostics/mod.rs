//! Reading the files people write (scenes, sessions, settings): a size limit
//! before anything is parsed, RON syntax, then checks of meaning, with every
//! problem named by file, line and column.
//!
//! Pure Rust with no Bevy types. The scene, session and settings modules
//! each bring their own checks; the reading, the locating and the wording of
//! errors are shared here.

mod check;
mod locate;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub(crate) use check::{Checker, Problem};
pub(crate) use locate::PathStep;

/// One `.ron` file of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RonFile {
    /// Its path: the folder joined with its name.
    pub(crate) path: PathBuf,
    /// Its file name.
    pub(crate) name: String,
}

/// The `.ron` files directly in `dir` (regular files only), sorted by name.
pub(crate) fn ron_files(dir: &Path) -> std::io::Result<Vec<RonFile>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "ron"))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|path| RonFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
        })
        .collect())
}

/// Largest file read, bytes. Real scenes are a few kilobytes; this keeps a
/// mistaken path (a video, a disk image, `/dev/zero`) from being read whole.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// One problem in a file, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct FileError {
    /// The file, as the user named it.
    pub(crate) file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong and what was expected.
    pub(crate) message: String,
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileErrors(pub Vec<FileError>);

impl FileErrors {
    /// A file that cannot be read at all (missing, a folder, a device):
    /// no line or column, since there is no text to point into.
    pub(crate) fn unreadable(file: &str, message: String) -> Self {
        Self(vec![FileError {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message,
        }])
    }

    /// One problem with the whole of `file` (it is too big), pointed at its
    /// start.
    fn whole_file(file: &str, message: String) -> Self {
        Self(vec![FileError {
            file: file.to_owned(),
            line: 1,
            column: 1,
            message,
        }])
    }
}

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if error.line == 0 {
                // A file that could not be read has no place to point at.
                write!(f, "{}: {}", error.file, error.message)?;
            } else {
                write!(f, "{error}")?;
            }
        }
        Ok(())
    }
}

/// Reads at most [`MAX_FILE_BYTES`] of `path`; a longer file is refused
/// after reading one byte past the limit. Only a regular file is read: a
/// pipe or a device (a FIFO, `/dev/zero`, a terminal) is refused at once,
/// without waiting on it, since opening a FIFO for reading blocks until
/// something writes to it. `what` names the kind of file in messages.
pub(crate) fn read_limited(path: &Path, shown: &str, what: &str) -> Result<Vec<u8>, FileErrors> {
    let file = open_regular(path)
        .map_err(|e| FileErrors::unreadable(shown, format!("cannot read the {what}: {e}")))?;
    read_limited_from(file, shown, what)
}

/// Opens `path` for reading if it is a regular file (following symlinks);
/// anything else is an error of kind `InvalidInput` that says what it is.
/// The file is opened without blocking and checked after it is open, so a
/// FIFO swapped in between a check and the open cannot hang the reader.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a pipe (FIFO)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {what}; expected a regular file"),
    ))
}

/// [`read_limited`] for any reader: at most [`MAX_FILE_BYTES`].
fn read_limited_from(reader: impl Read, shown: &str, what: &str) -> Result<Vec<u8>, FileErrors> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileErrors::unreadable(shown, format!("cannot read the {what}: {e}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(shown, what));
    }
    Ok(bytes)
}

/// The error for a file over [`MAX_FILE_BYTES`].
pub(crate) fn too_big(shown: &str, what: &str) -> FileErrors {
    FileErrors::whole_file(
        shown,
        format!(
            "the file is larger than {MAX_FILE_BYTES} bytes; expected a {what} of at most {MAX_FILE_BYTES} bytes"
        ),
    )
}

/// The RON options every file is read with: `Some(..)` may be left out
/// around optional sections, so `water: (..)` and `water: Some((..))` both
/// work, and a variant holding a struct is written with one pair of
/// brackets: `Custom(inhale_s: 4, exhale_s: 6)`.
pub fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// Parses a RON file of type `T` and checks its meaning with `check`; every
/// error names `file`, a line and a column. `what` names the kind of file in
/// messages ("scene", "session").
pub(crate) fn parse_ron_file<T: serde::de::DeserializeOwned>(
    file: &str,
    bytes: &[u8],
    what: &str,
    check: impl FnOnce(&T) -> Vec<Problem>,
) -> Result<T, FileErrors> {
    let single = |line, column, message| {
        FileErrors(vec![FileError {
            file: file.to_owned(),
            line,
            column,
            message,
        }])
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(file, what));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let before = &bytes[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            return Err(single(
                line,
                column,
                format!("the file is not UTF-8 text; expected a RON {what}"),
            ));
        }
    };
    let value: T = ron_options().from_str(text).map_err(|e| {
        single(
            e.span.start.line,
            e.span.start.col,
            describe_ron_error(&e.code),
        )
    })?;
    let problems = check(&value);
    if problems.is_empty() {
        return Ok(value);
    }
    Err(FileErrors(
        problems
            .into_iter()
            .map(|problem| {
                let at = locate::locate(text, &problem.path);
                FileError {
                    file: file.to_owned(),
                    line: at.line,
                    column: at.column,
                    message: format!(
                        "{}: {}",
                        locate::path_to_string(&problem.path),
                        problem.message
                    ),
                }
            })
            .collect(),
    ))
}

/// RON's message, with the wording made plainer where it helps an author.
fn describe_ron_error(code: &ron::Error) -> String {
    match code {
        ron::Error::ExpectedFloat => "expected a number, such as 1.5".into(),
        ron::Error::ExpectedInteger => "expected a whole number, such as 12".into(),
        ron::Error::IntegerOutOfBounds => {
            "this whole number is out of range; expected 0 or more (counts and seeds are never negative)".into()
        }
        ron::Error::NoSuchStructField {
            expected, found, ..
        } => format!(
            "unknown field `{found}`; expected one of: {}",
            expected.join(", ")
        ),
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(outer) => format!("missing field `{field}` in {outer}"),
            None => format!("missing field `{field}`"),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing_to_check(_: &ron::Value) -> Vec<Problem> {
        Vec::new()
    }

    #[test]
    fn reports_bad_utf8_with_its_place() {
        let errors = parse_ron_file("x.ron", b"(\n  title: \"a\xff\"", "scene", nothing_to_check)
            .unwrap_err();
        assert_eq!((errors.0[0].line, errors.0[0].column), (2, 12));
    }

    #[test]
    fn an_endless_reader_is_refused_after_the_limit_without_reading_it_all() {
        let mut endless = std::io::repeat(b' ');
        let errors = read_limited_from(&mut endless, "spaces", "session").unwrap_err();
        assert!(
            errors
                .to_string()
                .starts_with("spaces:1:1: the file is larger than")
        );
        let small = read_limited_from(&b"(volume: 1)"[..], "s.ron", "settings file").unwrap();
        assert_eq!(small, b"(volume: 1)");
    }

    #[test]
    fn only_regular_files_are_read_and_a_pipe_never_blocks() {
        // `/dev/zero` never ends, and a FIFO with no writer blocks whoever
        // opens it for reading: both are refused at once.
        let errors = read_limited(Path::new("/dev/zero"), "zero", "scene").unwrap_err();
        assert_eq!(
            errors.to_string(),
            "zero: cannot read the scene: it is a device; expected a regular file"
        );
        let dir = std::env::temp_dir().join(format!("stillpoint-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("settings.ron");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let errors = read_limited(&fifo, "settings.ron", "settings file").unwrap_err();
        assert!(
            errors.to_string().contains("it is a pipe (FIFO)"),
            "{errors}"
        );
        let errors = read_limited(&dir, "dir", "scene").unwrap_err();
        assert!(errors.to_string().contains("a folder"), "{errors}");
        // A missing file is not a place in a file.
        let errors = read_limited(&dir.join("none.ron"), "none.ron", "scene").unwrap_err();
        assert!(
            errors
                .to_string()
                .starts_with("none.ron: cannot read the scene: "),
            "{errors}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_huge_bytes_without_parsing_them() {
        let big = vec![b' '; MAX_FILE_BYTES + 1];
        let errors = parse_ron_file("big.ron", &big, "scene", nothing_to_check).unwrap_err();
        assert!(errors.0[0].message.contains("at most"));
    }
}
