//! Reading a scene file: its size, RON syntax, then meaning, with every
//! error pointing at a line and column of the file.

use std::path::Path;

use super::format::SceneFile;
use super::validate::validate;
use crate::diagnostics::{FileErrors, parse_ron_file, read_limited};

/// Parses and checks a scene. `file` names it in errors; `file_exists`
/// answers for paths relative to the scene's folder.
pub fn parse_scene(
    file: &str,
    bytes: &[u8],
    file_exists: &dyn Fn(&str) -> bool,
) -> Result<SceneFile, FileErrors> {
    parse_ron_file(file, bytes, "scene", |scene| validate(scene, file_exists))
}

/// Reads (at most [`crate::diagnostics::MAX_FILE_BYTES`] of it) and checks
/// the scene file at `path`, with references resolved against its folder.
/// `shown` names it in errors.
pub fn read_scene(path: &Path, shown: &str) -> Result<SceneFile, FileErrors> {
    let bytes = read_limited(path, shown, "scene")?;
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_scene(shown, &bytes, &|p| folder.join(p).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::MAX_FILE_BYTES;

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
        let big = vec![b' '; MAX_FILE_BYTES + 1];
        let errors = parse_scene("big.ron", &big, &no_files).unwrap_err();
        assert!(errors.0[0].message.contains("at most"));
    }
}
