//! What can be checked by reading the source: the pure cores import nothing
//! but the standard library, the file formats' crates, glam (as
//! `bevy::math`) and each other; every source file says what it owns in a
//! `//!` line.

use std::path::{Path, PathBuf};

/// The pure cores: breathing, diagnostics, the scene format, its checks and
/// generation, the exposure plan and the spider's walk, the mix and its
/// sound, the seat's geometry, questionnaire scoring, the flash checks.
/// Each is tested and benchmarked without an app.
const PURE: &[&str] = &[
    "breath",
    "diagnostics",
    "questionnaire",
    "photosensitivity.rs",
    "scene/format.rs",
    "scene/parse.rs",
    "scene/validate.rs",
    "scene/model.rs",
    "scene/blueprint.rs",
    "scene/procgen",
    "scene/exposure/format.rs",
    "scene/exposure/validate.rs",
    "scene/exposure/plan.rs",
    "scene/exposure/spider.rs",
    "audio/dsp",
    "audio/engine",
    "audio/voices",
    "audio/limiter.rs",
    "audio/loudness.rs",
    "audio/pacer_sounds.rs",
    "audio/sample_clock.rs",
    "audio/shots.rs",
    "audio/spatial.rs",
    "audio/wav.rs",
    "seating.rs",
];

/// The crates of `[dependencies]` a pure core may name: the file formats,
/// error types, and the C library's file flags (opening a file without
/// blocking on a pipe).
const ALLOWED_CRATES: &[&str] = &["serde", "ron", "thiserror", "libc"];

/// The paths inside `bevy` a pure core may name: its maths (glam).
const ALLOWED_BEVY: &[&str] = &["bevy::math"];

#[test]
fn the_pure_cores_import_only_each_other_the_formats_and_glam() {
    let pure: Vec<PathBuf> = PURE.iter().map(|p| src().join(p)).collect();
    let mut wrong = Vec::new();
    for file in pure.iter().flat_map(|p| rust_files(p)) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code_lines(&text) {
            for name in named_paths(line) {
                if let Some(why) = not_pure(&name, &pure) {
                    wrong.push(format!("{}:{n}: {name}: {why}", shown(&file)));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a pure core names something outside the pure cores:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_finds_an_import_of_bevy_ecs_rodio_or_another_module() {
    let pure = vec![src().join("breath")];
    for (path, outside) in [
        ("bevy::prelude::Resource", true),
        ("bevy::ecs::system::Res", true),
        ("rodio::Source", true),
        ("axum::Router", true),
        ("crate::state::AppState", true),
        ("bevy_mod_openxr::init", true),
        ("crate::breath::Phase", false),
        ("bevy::math::Vec3", false),
        ("std::sync::Arc", false),
    ] {
        assert_eq!(not_pure(path, &pure).is_some(), outside, "{path}");
    }
    let text = "use bevy::prelude::*;\n// use rodio::Source;\nlet x = crate::state::Flow::Running;";
    let named: Vec<String> = code_lines(text).flat_map(|(_, l)| named_paths(l)).collect();
    assert_eq!(named, ["bevy::prelude", "crate::state::Flow::Running"]);
}

#[test]
fn every_source_file_says_what_it_owns() {
    let missing: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .map(|file| shown(&file))
        .collect();
    assert!(missing.is_empty(), "no `//!` line opens: {missing:?}");
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn shown(file: &Path) -> String {
    file.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(file)
        .display()
        .to_string()
}

/// The `.rs` files at `path`: the file itself, or every one under the
/// folder, sorted.
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The lines of code, numbered from 1, with comments left out (a line
/// comment to its end; doc comments too).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let code = line.split("//").next().unwrap_or("");
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// Every path of two or more segments a line names (`bevy::prelude`,
/// `crate::state::Flow`), up to a brace or a glob.
fn named_paths(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = line.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut segments = 0;
        loop {
            while end < bytes.len() && is_ident(bytes[end]) {
                end += 1;
            }
            segments += 1;
            if line[end..].starts_with("::") && bytes.get(end + 2).is_some_and(|&b| is_ident(b)) {
                end += 2;
            } else {
                break;
            }
        }
        if segments >= 2 {
            names.push(line[start..end].to_owned());
        }
        i = end.max(i + 1);
    }
    names
}

/// Why `path` is not something a pure core may name; `None` when it is.
/// Paths that start with a name of the file's own (a local module, a name
/// a `use` brought in, a primitive type) are the file's business: the
/// `use` line that brought the name in is checked itself.
fn not_pure(path: &str, pure: &[PathBuf]) -> Option<String> {
    let first = path.split("::").next().unwrap_or(path);
    if first == "crate" {
        let inside = path.trim_start_matches("crate::").replace("::", "/");
        let in_pure = pure.iter().any(|p| {
            let p = p.strip_prefix(src()).unwrap_or(p).with_extension("");
            inside.starts_with(&*p.to_string_lossy())
        });
        return (!in_pure).then(|| "a module outside the pure cores".to_owned());
    }
    if first == "bevy" {
        return (!ALLOWED_BEVY.iter().any(|a| path.starts_with(a)))
            .then(|| "Bevy beyond its maths".to_owned());
    }
    (dependencies().iter().any(|d| d == first) && !ALLOWED_CRATES.contains(&first))
        .then(|| format!("the crate `{first}`"))
}

/// The crates `Cargo.toml` depends on, as code names them (`bevy_mod_xr`).
fn dependencies() -> Vec<String> {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            inside = line.trim() == "[dependencies]";
            continue;
        }
        if inside
            && let Some((name, _)) = line.split_once('=')
            && !line.starts_with([' ', '#', '"'])
        {
            names.push(name.trim().replace('-', "_"));
        }
    }
    names
}
