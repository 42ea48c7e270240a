//! The scene folder: where the shipped scenes are found, and the one way
//! its files are listed (the `scenes` and `sessions` commands, the
//! console's choice of scenes).

use std::path::{Path, PathBuf};

/// The scene opened when none is named.
pub(crate) const DEFAULT_SCENE: &str = "lake_dusk.ron";

/// The folder of shipped scenes: `$STILLPOINT_SCENES`, else `scenes/` in the
/// working folder, else the one in the source tree this binary was built from.
pub fn scenes_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STILLPOINT_SCENES") {
        return PathBuf::from(dir);
    }
    let local = Path::new("scenes");
    if local.join(DEFAULT_SCENE).is_file() {
        return local.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

pub(crate) use crate::diagnostics::{RonFile, ron_files};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_ron_files_sorted_and_leaves_out_folders() {
        let dir = std::env::temp_dir().join(format!("stillpoint-folder-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub.ron")).unwrap();
        for name in ["b.ron", "a.ron", "notes.txt"] {
            std::fs::write(dir.join(name), "()").unwrap();
        }
        let names: Vec<String> = ron_files(&dir)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names, ["a.ron", "b.ron"]);
    }
}
