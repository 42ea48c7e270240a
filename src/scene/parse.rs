//! Reading a scene file: its size, RON syntax, then meaning, with every
//! error pointing at a line and column of the file.

use std::path::Path;

use super::format::SceneFile;
use super::validate::validate;
use crate::diagnostics::{
    FileErrors, PathStep, Problem, parse_ron_file, read_limited, ron_options,
};

/// Parses and checks a scene. `file` names it in errors; `file_exists`
/// answers for paths relative to the scene's folder.
pub fn parse_scene(
    file: &str,
    bytes: &[u8],
    file_exists: &dyn Fn(&str) -> bool,
) -> Result<SceneFile, FileErrors> {
    parse_ron_file(file, bytes, "scene", |scene| validate(scene, file_exists))
}

/// [`parse_scene`] for the scene at `path` in its folder: references are
/// resolved there, and the safe scene it names is read and must be a calm
/// place: not this scene, and with no exposure section.
pub(super) fn parse_scene_at(
    path: &Path,
    file: &str,
    bytes: &[u8],
) -> Result<SceneFile, FileErrors> {
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_ron_file(file, bytes, "scene", |scene: &SceneFile| {
        let mut problems = validate(scene, &|p| folder.join(p).is_file());
        if problems.is_empty() {
            problems.extend(safe_scene_problems(scene, path));
        }
        problems
    })
}

/// Reads (at most [`crate::diagnostics::MAX_FILE_BYTES`] of it) and checks
/// the scene file at `path`, with references resolved against its folder.
/// `shown` names it in errors.
pub(crate) fn read_scene(path: &Path, shown: &str) -> Result<SceneFile, FileErrors> {
    let bytes = read_limited(path, shown, "scene")?;
    parse_scene_at(path, shown, &bytes)
}

/// Whether the safe scene that `scene` (the file at `path`) names is a safe
/// place: a calm scene, not `scene` itself. Going to the safe place from
/// the top of a spider hierarchy must never show a spider.
fn safe_scene_problems(scene: &SceneFile, path: &Path) -> Vec<Problem> {
    let Some(safe) = &scene.safe_scene else {
        return Vec::new();
    };
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let target = folder.join(safe);
    let problem = |message: String| {
        vec![Problem {
            path: vec![PathStep::Field("safe_scene")],
            message,
        }]
    };
    let same = match (target.canonicalize(), path.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => target == path,
    };
    if same {
        return problem(format!(
            "\"{safe}\" is this scene itself; expected another, calm scene (a scene without \
             safe_scene is a safe place itself)"
        ));
    }
    let calm = read_limited(&target, safe, "scene")
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| ron_options().from_str::<SceneFile>(&text).ok());
    match calm {
        None => problem(format!(
            "\"{safe}\" cannot be read as a scene (`stillpoint validate {safe}` says why); \
             expected a calm scene such as \"lake_dusk.ron\""
        )),
        Some(other) if other.exposure.is_some() => problem(format!(
            "\"{safe}\" is an exposure scene; a safe place must be a calm scene with no \
             exposure section, such as \"lake_dusk.ron\""
        )),
        Some(_) => Vec::new(),
    }
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
