//! The command line, run as a user runs it.

use std::process::Command;

use crate::common::{scenes_dir, scratch, shipped_scenes};

fn stillpoint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stillpoint"))
}

#[test]
fn help_names_every_subcommand() {
    let out = stillpoint().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "scenes",
        "validate",
        "screenshot",
        "profile",
        "--scene",
        "--quit-after",
    ] {
        assert!(
            text.contains(word),
            "--help does not mention {word}:\n{text}"
        );
    }
}

#[test]
fn scenes_lists_every_shipped_scene_with_its_title() {
    let out = stillpoint().arg("scenes").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for title in ["Lake at dusk", "Forest clearing", "Beach at sunset"] {
        assert!(text.contains(title), "{title} missing from:\n{text}");
    }
    assert_eq!(text.lines().count(), shipped_scenes().len());
}

#[test]
fn validate_passes_the_shipped_scenes() {
    let out = stillpoint()
        .arg("validate")
        .args(shipped_scenes())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validate_fails_with_one_located_error_per_problem() {
    let dir = scratch("validate");
    let text = std::fs::read_to_string(crate::common::fixture("base_scene.ron"))
        .unwrap()
        .replacen("count: 14,", "count: 900,", 1)
        .replacen("glow: 8.0,", "glow: 80.0,", 1);
    let broken = dir.join("broken.ron");
    std::fs::write(&broken, text).unwrap();
    let good = scenes_dir().join("beach_sunset.ron");
    let out = stillpoint()
        .arg("validate")
        .arg(&good)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let errors = String::from_utf8_lossy(&out.stderr);
    let located: Vec<&str> = errors
        .lines()
        .filter(|l| l.contains("broken.ron:"))
        .collect();
    assert_eq!(located.len(), 2, "{errors}");
    assert!(
        located.iter().any(|l| l.contains("sky.clouds.count")),
        "{errors}"
    );
    assert!(
        located.iter().any(|l| l.contains("particles[0].glow")),
        "{errors}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (Beach at sunset)"));
}

#[test]
fn a_missing_scene_file_is_an_error_not_a_crash() {
    let out = stillpoint()
        .args(["--scene", "no/such/scene.ron", "--quit-after", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/scene.ron"));
}
