//! Scene files: the shipped ones validate, broken ones are reported at the
//! right place, and nothing panics on any input.

use proptest::prelude::*;
use stillpoint::diagnostics::FileErrors;
use stillpoint::scene::blueprint::Blueprint;
use stillpoint::scene::parse::parse_scene;

use crate::common::shipped_scenes;

fn no_files(_: &str) -> bool {
    false
}

/// A valid scene that the error tables edit; a fixture, so that tuning the
/// shipped scenes does not move the lines these tests point at.
fn lake_text() -> String {
    std::fs::read_to_string(crate::common::fixture("base_scene.ron")).unwrap()
}

#[test]
fn every_shipped_scene_validates_and_builds() {
    let scenes = shipped_scenes();
    assert!(
        scenes.len() >= 3,
        "expected at least three scenes, found {scenes:?}"
    );
    for path in scenes {
        let bytes = std::fs::read(&path).unwrap();
        let folder = path.parent().unwrap().to_path_buf();
        let scene = parse_scene(&path.display().to_string(), &bytes, &|p| {
            folder.join(p).is_file()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let blueprint = Blueprint::new(&scene);
        assert!(blueprint.particle_count() <= 10_000);
        if let Some(plan) = &scene.exposure {
            // An exposure scene: a hierarchy of at least eight steps, and
            // a calm scene to go to.
            assert!(
                plan.steps.len() >= 8,
                "{}: only {} steps",
                path.display(),
                plan.steps.len()
            );
            let safe = scene.safe_scene.as_deref().expect("a safe scene");
            assert!(folder.join(safe).is_file(), "{}: no {safe}", path.display());
            continue;
        }
        assert!(
            blueprint.instance_count() > 100,
            "{}: only {} plants and stones",
            path.display(),
            blueprint.instance_count()
        );
        assert!(
            scene.water.is_some(),
            "{}: every calm scene has water",
            path.display()
        );
    }
    let exposure = shipped_scenes()
        .iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("exposure:"))
        .count();
    assert!(exposure >= 2, "expected the heights and spiders scenes");
}

/// One broken variant of the lake scene: the edit, where the error must be
/// reported (found by searching the edited text for `marker`), and words the
/// message must contain.
struct Broken {
    name: &'static str,
    from: &'static str,
    to: &'static str,
    marker: &'static str,
    says: &'static [&'static str],
}

const BROKEN: &[Broken] = &[
    Broken {
        name: "syntax error: a missing comma",
        from: "eye_height_m: 1.2,\n        heading_deg",
        to: "eye_height_m: 1.2\n        heading_deg",
        marker: "heading_deg: -8.0",
        says: &["comma"],
    },
    Broken {
        name: "unknown field",
        from: "horizon_blend: 0.45,",
        to: "horizon_blend: 0.45, colour: (1.0, 0.0, 0.0),",
        marker: "colour:",
        says: &["unknown field `colour`", "zenith"],
    },
    Broken {
        name: "wrong type",
        from: "count: 14,",
        to: "count: \"many\",",
        marker: "\"many\"",
        says: &["whole number"],
    },
    Broken {
        name: "negative count",
        from: "kind: Rock, count: 120,",
        to: "kind: Rock, count: -120,",
        marker: "-120",
        says: &["out of range", "0 or more"],
    },
    Broken {
        name: "colour outside 0..1",
        from: "zenith: (0.16, 0.24, 0.48)",
        to: "zenith: (0.16, 1.24, 0.48)",
        marker: "1.24",
        says: &["sky.zenith[1]", "green", "1.24", "0 to 1"],
    },
    Broken {
        name: "ten million instances",
        from: "kind: Grass, count: 3000,",
        to: "kind: Grass, count: 10000000,",
        marker: "10000000",
        says: &["scatter[4].count", "too many", "20000"],
    },
    Broken {
        name: "a terrain a thousand kilometres wide",
        from: "size_m: 1400.0,",
        to: "size_m: 1000000.0,",
        marker: "1000000.0",
        says: &["terrain.size_m", "out of range", "4000"],
    },
    Broken {
        name: "not a number",
        from: "illuminance_lux: 9000.0,",
        to: "illuminance_lux: NaN,",
        marker: "NaN",
        says: &["sun.illuminance_lux", "not a finite number"],
    },
    Broken {
        name: "a missing safe scene",
        from: "seed: 11,",
        to: "seed: 11, safe_scene: \"nowhere.ron\",",
        marker: "\"nowhere.ron\"",
        says: &["safe_scene", "does not exist"],
    },
    Broken {
        name: "a backwards range",
        from: "scale: (0.8, 1.6)",
        to: "scale: (1.6, 0.8)",
        marker: "(1.6, 0.8)",
        says: &["scatter[0].scale", "backwards"],
    },
    Broken {
        name: "a missing required section",
        from: "    sun: (\n        azimuth_deg: -22.0,\n        elevation_deg: 3.5,\n        color: (1.0, 0.62, 0.36),\n        illuminance_lux: 9000.0,\n    ),\n",
        to: "",
        marker: ")\n",
        says: &["missing field `sun`"],
    },
    Broken {
        name: "seated in the lake",
        from: "position_m: (0.0, 52.0),",
        to: "position_m: (0.0, -150.0),",
        marker: "(0.0, -150.0)",
        says: &["viewpoint.position_m", "above the water"],
    },
];

/// 1-based line and column of the first `marker` in `text`; for the
/// missing-section case, of the last occurrence (the end of the file).
fn position_of(text: &str, marker: &str, last: bool) -> (usize, usize) {
    let offset = if last {
        text.rfind(marker)
    } else {
        text.find(marker)
    }
    .unwrap_or_else(|| panic!("marker {marker:?} not in the edited text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    (line, column)
}

#[test]
fn broken_scenes_report_the_line_and_column() {
    let original = lake_text();
    for case in BROKEN {
        assert!(
            original.contains(case.from),
            "{}: the lake scene no longer contains {:?}",
            case.name,
            case.from
        );
        let text = original.replacen(case.from, case.to, 1);
        let errors: FileErrors = parse_scene("lake.ron", text.as_bytes(), &no_files)
            .err()
            .unwrap_or_else(|| panic!("{}: accepted", case.name));
        let first = &errors.0[0];
        let message = first.to_string();
        for words in case.says {
            assert!(
                message.contains(words),
                "{}: {message:?} does not say {words:?}",
                case.name
            );
        }
        assert!(message.starts_with("lake.ron:"), "{}: {message}", case.name);
        let (line, column) = position_of(&text, case.marker, case.to.is_empty());
        // Semantic errors point at the value; RON's own errors point at or
        // just after the offending token, on the same line.
        assert_eq!(first.line, line, "{}: {message}", case.name);
        assert!(
            first.column.abs_diff(column) <= case.marker.len() + 1,
            "{}: column {} but the problem is at {column}: {message}",
            case.name,
            first.column
        );
    }
}

/// The lake's text with `entries` copies of `entry` in place of its list
/// `field` (`particles` or `scatter`).
fn with_entries(field: &str, entry: &str, entries: usize) -> String {
    let text = lake_text();
    let start = text
        .find(&format!("{field}: ["))
        .unwrap_or_else(|| panic!("the fixture has a {field} list"));
    let end = start + text[start..].find("\n    ],").expect("the list ends") + "\n    ],".len();
    let list = format!("{field}: [{}\n    ],", entry.repeat(entries));
    format!("{}{list}{}", &text[..start], &text[end..])
}

#[test]
fn no_file_can_ask_for_entities_without_limit() {
    let particle = "\n        (kind: Motes, count: 5000, color: (1.0, 1.0, 1.0)),";
    // Within each entry's limit, but a hundred of them: half a million
    // particles, each an entity moved every frame.
    let text = with_entries("particles", particle, 100);
    let errors = parse_scene("many.ron", text.as_bytes(), &no_files).unwrap_err();
    let all = errors.to_string();
    assert!(
        all.contains("particles: 100 particle entries is too many; expected at most 16"),
        "{all}"
    );
    assert!(
        all.contains("particles: 500000 particles in all is too many; expected at most 10000"),
        "{all}"
    );
    let line = text
        .lines()
        .position(|l| l.contains("particles: ["))
        .unwrap()
        + 1;
    assert!(all.contains(&format!("many.ron:{line}:")), "{all}");
    // Two entries of 5000 are fine.
    let text = with_entries("particles", particle, 2);
    assert!(parse_scene("two.ron", text.as_bytes(), &no_files).is_ok());

    // Empty scatter entries still bring meshes and materials each.
    let scatter = "\n        (kind: Rock, count: 0, color: (0.3, 0.3, 0.3)),";
    let text = with_entries("scatter", scatter, 65);
    let errors = parse_scene("rocks.ron", text.as_bytes(), &no_files).unwrap_err();
    assert!(
        errors
            .to_string()
            .contains("scatter: 65 scatter entries is too many; expected at most 64"),
        "{errors}"
    );
}

#[test]
fn every_problem_in_a_file_is_reported() {
    let text = lake_text()
        .replacen("count: 14,", "count: 900,", 1)
        .replacen("size_m: 1400.0,", "size_m: 1.0,", 1)
        .replacen("glow: 8.0,", "glow: 80.0,", 1);
    let errors = parse_scene("lake.ron", text.as_bytes(), &no_files).unwrap_err();
    assert_eq!(errors.0.len(), 3, "{errors}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Any bytes at all: an error or a scene, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_scene("fuzz.ron", &bytes, &no_files);
    }

    /// A real scene with its numbers replaced by arbitrary ones (huge,
    /// negative, NaN, infinite): rejected with an error, or accepted and then
    /// buildable within the validated bounds.
    #[test]
    fn arbitrary_values_in_a_valid_shape_never_panic(
        picks in proptest::collection::vec((0usize..400, prop_oneof![
            Just(f64::NAN), Just(f64::INFINITY), Just(-1.0e30), Just(1.0e30),
            -1.0e7..1.0e7f64, -2.0..2.0f64, 0.0..30_000.0f64,
        ]), 1..6),
    ) {
        let text = lake_text();
        let mutated = replace_numbers(&text, &picks);
        if let Ok(scene) = parse_scene("fuzz.ron", mutated.as_bytes(), &no_files) {
            // Building is bounded by validation; keep it quick by skipping
            // the largest grids, which are exercised by the bench.
            if scene.terrain.resolution <= 256 {
                let blueprint = Blueprint::new(&scene);
                prop_assert!(blueprint.instance_count() <= 60_000);
            }
        }
    }
}

/// Replaces the numbers at the chosen indices (counted in order of
/// appearance, modulo how many there are) by the chosen values.
fn replace_numbers(text: &str, picks: &[(usize, f64)]) -> String {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let starts =
            c.is_ascii_digit() || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        let after_ident = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if starts && !after_ident {
            let start = i;
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'e')
            {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    let mut chosen: Vec<(usize, usize, f64)> = picks
        .iter()
        .map(|&(k, v)| {
            let (s, e) = spans[k % spans.len()];
            (s, e, v)
        })
        .collect();
    chosen.sort_by_key(|&(s, _, _)| std::cmp::Reverse(s));
    chosen.dedup_by_key(|&mut (s, _, _)| s);
    let mut out = text.to_owned();
    for (s, e, v) in chosen {
        let integer = !text[s..e].contains('.');
        let replacement = if v.is_nan() {
            "NaN".to_owned()
        } else if v.is_infinite() {
            "inf".to_owned()
        } else if integer {
            format!("{}", v.abs().min(4.0e9) as u64)
        } else {
            format!("{v:?}")
        };
        out.replace_range(s..e, &replacement);
    }
    out
}
