//! Reading a scene file: RON syntax, then meaning, with every error pointing
//! at a line and column of the file.

use std::fmt;

use super::format::SceneFile;
use super::locate::{locate, path_to_string};
use super::validate::{Problem, validate};

/// Largest scene file read, bytes. Real scenes are a few kilobytes; this
/// keeps a mistaken path (a video, a disk image) from being read whole.
pub const MAX_SCENE_BYTES: usize = 1 << 20;

/// One problem in a scene file, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SceneError {
    /// The file, as the user named it.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Every problem found in one scene file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SceneErrors(pub Vec<SceneError>);

impl fmt::Display for SceneErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// The RON options every scene and session is read with: `Some(..)` may be
/// left out around optional sections, so `water: (..)` and `water: Some((..))`
/// both work, and a variant holding a struct is written with one pair of
/// brackets: `Custom(inhale_s: 4, exhale_s: 6)`.
pub fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// Parses and checks a scene. `file` names it in errors; `file_exists`
/// answers for paths relative to the scene's folder.
pub fn parse_scene(
    file: &str,
    bytes: &[u8],
    file_exists: &dyn Fn(&str) -> bool,
) -> Result<SceneFile, SceneErrors> {
    parse_ron_file(file, bytes, "scene", |scene| validate(scene, file_exists))
}

/// Parses a RON file of type `T` and checks its meaning with `check`; every
/// error names `file`, a line and a column. `what` names the kind of file in
/// messages ("scene", "session").
pub fn parse_ron_file<T: serde::de::DeserializeOwned>(
    file: &str,
    bytes: &[u8],
    what: &str,
    check: impl FnOnce(&T) -> Vec<Problem>,
) -> Result<T, SceneErrors> {
    let single = |line, column, message| {
        SceneErrors(vec![SceneError {
            file: file.to_owned(),
            line,
            column,
            message,
        }])
    };
    if bytes.len() > MAX_SCENE_BYTES {
        return Err(single(
            1,
            1,
            format!(
                "the file is {} bytes; expected a {what} of at most {MAX_SCENE_BYTES} bytes",
                bytes.len()
            ),
        ));
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
    Err(SceneErrors(
        problems
            .into_iter()
            .map(|problem| {
                let at = locate(text, &problem.path);
                SceneError {
                    file: file.to_owned(),
                    line: at.line,
                    column: at.column,
                    message: format!("{}: {}", path_to_string(&problem.path), problem.message),
                }
            })
            .collect(),
    ))
}

/// RON's message, with the wording made plainer where it helps a scene
/// author.
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

    fn no_files(_: &str) -> bool {
        false
    }

    #[test]
    fn reports_bad_utf8_with_its_place() {
        let errors = parse_scene("x.ron", b"(\n  title: \"a\xff\"", &no_files).unwrap_err();
        assert_eq!((errors.0[0].line, errors.0[0].column), (2, 12));
    }

    #[test]
    fn refuses_huge_files_without_reading_them_as_scenes() {
        let big = vec![b' '; MAX_SCENE_BYTES + 1];
        let errors = parse_scene("big.ron", &big, &no_files).unwrap_err();
        assert!(errors.0[0].message.contains("at most"));
    }
}
