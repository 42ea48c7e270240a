//! Graded exposure, headless and on the command line: steps through
//! intents and keys, what glides and what waits for the veil, events, the
//! safe place from the middle of a glide and back to the same step, the
//! pacer off until asked for, and located errors in the format.

use std::time::Duration;

use bevy::prelude::*;
use stillpoint::scene::exposure::props::PropPart;
use stillpoint::scene::exposure::stage::WindNow;
use stillpoint::scene::spawn::SceneView;
use stillpoint::scene::{CurrentScene, SceneAsset, Veil};
use stillpoint::state::{
    Intent, Lifecycle, Refusal, SessionSnapshot, StepChange, SudsChange, SudsWhy,
};
use stillpoint::view::ViewCamera;

use crate::common::{
    app_on, ask, fixture, heard, press, scene_folder, scratch, stillpoint, update_until,
};

const FRAME: Duration = Duration::from_millis(20);

/// The exposure fixture in a folder with the lake (its safe place), shown,
/// the lake loaded ahead.
fn exposure_app(test: &str) -> (App, std::path::PathBuf) {
    let (dir, _) = scene_folder(test, "lake_dusk.ron", "lake_dusk.ron");
    std::fs::copy(fixture("exposure_steps.ron"), dir.join("steps.ron")).unwrap();
    let mut app = app_on(&dir, "steps.ron", FRAME, None);
    assert!(update_until(&mut app, Duration::from_secs(60), |w| {
        w.resource::<CurrentScene>().generation == 1
            && w.resource::<Assets<SceneAsset>>().len() >= 2
    }));
    app.update();
    (app, dir)
}

fn snapshot(app: &App) -> &SessionSnapshot {
    app.world().resource::<SessionSnapshot>()
}

fn step(app: &App) -> usize {
    snapshot(app)
        .exposure
        .as_ref()
        .expect("an exposure scene")
        .step
}

/// The opacity and place of each prop of `name` ("rail", "lift").
fn props(app: &mut App, name: &str) -> Vec<(f32, Vec3)> {
    let world = app.world_mut();
    let index = world
        .resource::<CurrentScene>()
        .shown
        .as_ref()
        .unwrap()
        .exposure
        .as_ref()
        .unwrap()
        .prop_name(name)
        .unwrap();
    let mut parts = world.query::<(
        &PropPart,
        &Transform,
        &MeshMaterial3d<StandardMaterial>,
        &Visibility,
    )>();
    let found: Vec<(Handle<StandardMaterial>, Vec3, bool)> = parts
        .iter(world)
        .filter(|(p, ..)| p.name == Some(index))
        .map(|(_, t, m, v)| (m.0.clone(), t.translation, *v != Visibility::Hidden))
        .collect();
    let materials = world.resource::<Assets<StandardMaterial>>();
    found
        .into_iter()
        .map(|(m, at, shown)| {
            let alpha = materials.get(&m).unwrap().base_color.alpha();
            (if shown { alpha } else { 0.0 }, at)
        })
        .collect()
}

fn camera(app: &mut App) -> Transform {
    let world = app.world_mut();
    *world
        .query_filtered::<&Transform, With<ViewCamera>>()
        .single(world)
        .unwrap()
}

#[test]
fn steps_move_on_through_intents_and_keys_and_what_changes_glides_without_moving_the_view() {
    let (mut app, _) = exposure_app("steps");
    let now = snapshot(&app).exposure.clone().unwrap();
    assert_eq!((now.step, now.steps, now.name.as_str()), (1, 4, "Ground"));
    assert!(now.events.is_empty(), "no event at the first step");
    assert!(
        props(&mut app, "rail")
            .iter()
            .all(|(alpha, _)| *alpha == 0.0)
    );
    let seat = camera(&mut app);

    // Up a step with the key: the rail fades in over the glide (2 s), a
    // little each frame, and nothing moves the view.
    press(&mut app, KeyCode::ArrowUp);
    assert_eq!(step(&app), 2);
    assert!(heard(&app).contains(&Lifecycle::StepChanged {
        from: 1,
        to: 2,
        name: "Rail".into()
    }));
    let mut alphas = vec![];
    for _ in 0..130 {
        app.update();
        alphas.push(props(&mut app, "rail")[0].0);
        assert_eq!(camera(&mut app), seat, "the view moved within a place");
    }
    assert!(
        alphas[0] < 0.1 && *alphas.last().unwrap() == 1.0,
        "{alphas:?}"
    );
    assert!(
        alphas
            .windows(2)
            .all(|w| w[1] >= w[0] && w[1] - w[0] < 0.05),
        "the rail jumped in"
    );
    assert!((app.world().resource::<WindNow>().strength - 0.6).abs() < 1e-4);
    assert_eq!(snapshot(&app).exposure.as_ref().unwrap().events, ["gust"]);

    // Past the last step, or to one that does not exist: refused, unchanged.
    ask(&mut app, Intent::Step(StepChange::To(9)));
    app.update();
    assert!(matches!(
        heard(&app).last(),
        Some(Lifecycle::Refused {
            why: Refusal::NoSuchStep { step: 9, steps: 4 },
            ..
        })
    ));
    assert_eq!(step(&app), 2);
    ask(&mut app, Intent::Step(StepChange::Down));
    app.update();
    assert_eq!(step(&app), 1);
    ask(&mut app, Intent::Step(StepChange::Down));
    app.update();
    assert!(matches!(
        heard(&app).last(),
        Some(Lifecycle::Refused { .. })
    ));
    assert_eq!(step(&app), 1);
}

#[test]
fn a_step_in_another_place_moves_the_person_only_behind_the_closed_veil() {
    let (mut app, _) = exposure_app("place");
    ask(&mut app, Intent::Step(StepChange::To(2)));
    for _ in 0..120 {
        app.update();
    }
    let seat = camera(&mut app);
    let lift_before = props(&mut app, "lift")[0].1;
    ask(&mut app, Intent::Step(StepChange::Up));
    let mut moved_at = None;
    for frame in 0..120 {
        app.update();
        let alpha = app.world().resource::<Veil>().alpha();
        if moved_at.is_none() && camera(&mut app) != seat {
            assert_eq!(alpha, 1.0, "the view moved with the veil open ({alpha})");
            moved_at = Some(frame);
        }
    }
    assert!(moved_at.is_some(), "the person was never moved");
    assert_eq!(
        app.world().resource::<Veil>().alpha(),
        0.0,
        "the veil did not open"
    );
    let view = app.world().resource::<SceneView>().clone();
    assert!(view.eye.abs_diff_eq(Vec3::new(0.0, 32.6, -20.0), 1e-4));
    assert!(camera(&mut app).translation.abs_diff_eq(view.eye, 1e-4));
    // Behind the veil the step is there complete: the lift has risen.
    let lift = props(&mut app, "lift")[0].1;
    assert!(
        (lift - lift_before).abs_diff_eq(Vec3::new(0.0, 29.0, 0.0), 1e-3),
        "{lift}"
    );
}

#[test]
fn the_safe_place_from_the_middle_of_a_glide_comes_back_to_the_same_step() {
    let (mut app, _) = exposure_app("safe-mid");
    ask(&mut app, Intent::Step(StepChange::Up));
    for _ in 0..25 {
        app.update();
    }
    let partway = props(&mut app, "rail")[0].0;
    assert!(partway > 0.1 && partway < 0.9, "not mid-glide: {partway}");
    ask(&mut app, Intent::SafePlace);
    let started = app.world().resource::<Time<Real>>().elapsed();
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<CurrentScene>()
        .path
        == "lake_dusk.ron"));
    let took = app.world().resource::<Time<Real>>().elapsed() - started;
    assert!(took <= Duration::from_millis(500), "{took:?}");
    // Steps and events wait while the person is in the safe place.
    ask(&mut app, Intent::Step(StepChange::Up));
    ask(&mut app, Intent::FireEvent("gust".into()));
    app.update();
    let refused = heard(&app)
        .iter()
        .rev()
        .take(2)
        .filter(|m| matches!(m, Lifecycle::Refused { .. }))
        .count();
    assert_eq!(refused, 2);
    ask(&mut app, Intent::LeaveSafePlace);
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<CurrentScene>()
        .path
        == "steps.ron"));
    app.update();
    assert_eq!(step(&app), 2, "back at the step the person left");
    // The step is there whole: the rail, which was fading in, is in.
    assert!(
        props(&mut app, "rail")
            .iter()
            .all(|(alpha, _)| *alpha == 1.0)
    );
}

#[test]
fn events_happen_only_at_their_steps_and_a_gust_rises_and_falls() {
    let (mut app, _) = exposure_app("events");
    ask(&mut app, Intent::FireEvent("gust".into()));
    app.update();
    assert!(matches!(
        heard(&app).last(),
        Some(Lifecycle::Refused {
            why: Refusal::NotAtThisStep { step: 1 },
            ..
        })
    ));
    ask(&mut app, Intent::FireEvent("thunder".into()));
    app.update();
    assert!(matches!(
        heard(&app).last(),
        Some(Lifecycle::Refused {
            why: Refusal::NoSuchEvent { expected },
            ..
        }) if expected == &["gust", "creak"]
    ));
    ask(&mut app, Intent::Step(StepChange::To(2)));
    for _ in 0..120 {
        app.update();
    }
    let calm = app.world().resource::<WindNow>().strength;
    // The first event is key 1.
    press(&mut app, KeyCode::Digit1);
    assert!(heard(&app).contains(&Lifecycle::EventFired {
        name: "gust".into(),
        step: 2
    }));
    let mut winds = vec![];
    for _ in 0..200 {
        app.update();
        winds.push(app.world().resource::<WindNow>().strength);
    }
    let peak = winds.iter().fold(0.0f32, |m, &w| m.max(w));
    assert!((peak - 1.0).abs() < 0.02, "the gust peaked at {peak}");
    assert!(
        winds.windows(2).all(|w| (w[1] - w[0]).abs() < 0.05),
        "the wind jumped"
    );
    assert!(
        (winds.last().unwrap() - calm).abs() < 1e-4,
        "the gust did not die away"
    );
}

#[test]
fn in_an_exposure_scene_the_pacer_is_off_until_asked_for_and_each_use_is_said() {
    let (dir, _) = scene_folder("pacer-off", "lake_dusk.ron", "lake_dusk.ron");
    std::fs::copy(fixture("exposure_steps.ron"), dir.join("steps.ron")).unwrap();
    let guide =
        stillpoint::breath::Guide::rhythm_only(stillpoint::breath::Rhythm::resonance(), None, 5.0);
    let mut app = stillpoint::app::bare_app(&dir, FRAME, false);
    app.insert_resource(
        stillpoint::state::AppState::new(
            "steps.ron",
            Some(guide),
            stillpoint::state::Listening::default(),
            stillpoint::state::Presentation::Desktop,
        )
        .for_exposure(0),
    )
    .insert_resource(CurrentScene::new("steps.ron"));
    app.add_plugins(stillpoint::app::StillpointPlugins::default());
    crate::common::listen_to(&mut app);
    assert!(update_until(&mut app, Duration::from_secs(60), |w| w
        .resource::<CurrentScene>()
        .generation
        == 1));
    app.update();
    assert!(
        snapshot(&app).guide.is_none(),
        "the pacer runs in an exposure scene"
    );
    press(&mut app, KeyCode::KeyP);
    app.update();
    assert!(
        heard(&app)
            .iter()
            .any(|m| matches!(m, Lifecycle::SessionStarted { .. }))
    );
    for _ in 0..20 {
        app.update();
    }
    assert!(snapshot(&app).guide.is_some());
    press(&mut app, KeyCode::KeyP);
    app.update();
    assert!(
        heard(&app)
            .iter()
            .any(|m| matches!(m, Lifecycle::SessionEnded { .. }))
    );
}

#[test]
fn a_broken_hierarchy_is_reported_where_it_is_wrong() {
    let text = std::fs::read_to_string(fixture("exposure_steps.ron")).unwrap();
    let cases = [
        (
            r#"show: ["rail"]"#,
            r#"show: ["rails"]"#,
            "exposure.steps[1].show[0]: \"rails\" is not a named prop; expected one of: lift, rail, wall",
        ),
        (
            r#"place: Some("high")"#,
            r#"place: Some("roof")"#,
            "exposure.steps[2].place: \"roof\" is not a place (or \"seat\")",
        ),
        (
            "steps: [3, 4]",
            "steps: [3, 5]",
            "exposure.events[1].steps[1]: step 5 does not exist; expected 1 to 4",
        ),
        (
            "wind: Some(0.6)",
            "wind: Some(1.6)",
            "exposure.steps[1].wind: 1.6 is out of range; expected 0 to 1",
        ),
        (
            r#"sounds_on: ["wind"]"#,
            r#"sounds_on: ["rain"]"#,
            "\"rain\" is not a named sound; expected one of: wind",
        ),
        (
            "seconds: 1.5",
            "seconds: 90",
            "exposure.events[1].seconds: 90 s is out of range",
        ),
        (
            r#"hide: ["rail"]"#,
            r#"hide: ["rail"], wander: [(name: "wall", radius_m: 0.1)]"#,
            "exposure.steps[3].wander[0].name: \"wall\" is not a named spider; expected none is defined",
        ),
        (
            "suds_every_min: 0.05",
            "suds_every_min: 90",
            "exposure.suds_every_min: 90 minutes is out of range; expected 0 to 60",
        ),
    ];
    for (from, to, says) in cases {
        assert!(text.contains(from), "the fixture has no {from}");
        let broken = text.replacen(from, to, 1);
        let errors =
            stillpoint::scene::parse::parse_scene("steps.ron", broken.as_bytes(), &|_| true)
                .expect_err("accepted a broken hierarchy")
                .to_string();
        assert!(errors.contains(says), "{errors}\ndoes not say {says}");
        // Pointing at the line of the edit.
        let line = broken
            .lines()
            .position(|l| l.contains(to))
            .expect("the edit")
            + 1;
        assert!(
            errors.starts_with(&format!("steps.ron:{line}:")),
            "{errors} is not at line {line}"
        );
    }
}

#[test]
fn the_command_line_prints_the_steps_and_refuses_a_step_that_does_not_exist() {
    let dir = scratch("steps-cli");
    std::fs::copy(fixture("exposure_steps.ron"), dir.join("steps.ron")).unwrap();
    std::fs::copy(
        crate::common::scenes_dir().join("lake_dusk.ron"),
        dir.join("lake_dusk.ron"),
    )
    .unwrap();
    let out = stillpoint()
        .arg("steps")
        .arg(dir.join("steps.ron"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "Exposure test: 4 steps",
        "  1  Ground: On the ground behind a low wall.",
        "  3  High: On top of the tower, looking down.",
        "       events: gust, creak",
        "  creak (1.5 s, at steps 3, 4): The platform creaks.",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    for args in [
        &["screenshot", "--out", "x.png", "--step", "9"][..],
        &["--step", "5", "--quit-after", "1"][..],
    ] {
        let out = stillpoint()
            .args(args)
            .arg("--scene")
            .arg(dir.join("steps.ron"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("has 4 steps; expected 1 to 4"), "{err}");
    }
    let out = stillpoint()
        .args(["steps"])
        .arg(crate::common::scenes_dir().join("lake_dusk.ron"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an exposure scene"));
}

fn suds_said(app: &App) -> Vec<Lifecycle> {
    heard(app)
        .iter()
        .filter(|m| {
            matches!(
                m,
                Lifecycle::SudsAsked { .. }
                    | Lifecycle::SudsAnswered { .. }
                    | Lifecycle::SudsSetAside { .. }
            )
        })
        .cloned()
        .collect()
}

#[test]
fn suds_is_asked_at_the_start_at_each_step_and_each_interval_and_never_holds_anything_up() {
    let (mut app, _) = exposure_app("suds");
    // Asked as soon as the hierarchy is there, before the first step.
    assert_eq!(
        suds_said(&app),
        [Lifecycle::SudsAsked {
            why: SudsWhy::Start,
            step: 1
        }]
    );
    assert_eq!(snapshot(&app).suds.map(|s| s.value), Some(50));
    // Answered with the keys: two presses right, then Enter.
    press(&mut app, KeyCode::ArrowRight);
    press(&mut app, KeyCode::ArrowRight);
    assert_eq!(snapshot(&app).suds.map(|s| s.value), Some(60));
    press(&mut app, KeyCode::Enter);
    let answered = suds_said(&app).last().cloned().unwrap();
    let Lifecycle::SudsAnswered {
        value,
        why,
        step: at_step,
        at,
    } = answered
    else {
        panic!("not answered: {answered:?}");
    };
    assert_eq!((value, why, at_step), (60, SudsWhy::Start, 1));
    assert!(snapshot(&app).suds.is_none() && snapshot(&app).last_suds == Some(60));
    // Still in the scene: Enter answered and did nothing else.
    assert_eq!(app.world().resource::<CurrentScene>().path, "steps.ron");

    // A step up asks again (after the step left, before the one reached),
    // starting from the last answer, and the step changes at once.
    ask(&mut app, Intent::Step(StepChange::Up));
    app.update();
    assert_eq!(step(&app), 2);
    assert_eq!(
        suds_said(&app).last(),
        Some(&Lifecycle::SudsAsked {
            why: SudsWhy::StepChange { from: 1, to: 2 },
            step: 2
        })
    );
    assert_eq!(snapshot(&app).suds.map(|s| s.value), Some(60));
    // The question holds nothing up: an event fires and the step moves on
    // while it is open; the new step's question sets the old one aside.
    ask(&mut app, Intent::FireEvent("gust".into()));
    app.update();
    assert!(
        heard(&app)
            .iter()
            .any(|m| matches!(m, Lifecycle::EventFired { .. }))
    );
    ask(&mut app, Intent::Step(StepChange::Up));
    app.update();
    let said = suds_said(&app);
    assert_eq!(
        said[said.len() - 2..],
        [
            Lifecycle::SudsSetAside {
                why: SudsWhy::StepChange { from: 1, to: 2 }
            },
            Lifecycle::SudsAsked {
                why: SudsWhy::StepChange { from: 2, to: 3 },
                step: 3
            }
        ]
    );
    // Set and answered as a click does it.
    ask(&mut app, Intent::Suds(SudsChange::Set(85)));
    app.update();
    ask(&mut app, Intent::Suds(SudsChange::Answer));
    app.update();
    let Some(Lifecycle::SudsAnswered {
        value,
        step: at_step,
        at: later,
        ..
    }) = suds_said(&app).last().cloned()
    else {
        panic!("not answered");
    };
    assert_eq!((value, at_step), (85, 3));
    assert!(later >= at, "answers carry the session time");
    // The interval (3 s in this scene) asks again by itself.
    assert!(update_until(&mut app, Duration::from_secs(30), |w| {
        w.resource::<SessionSnapshot>()
            .suds
            .is_some_and(|s| s.why == SudsWhy::Interval)
    }));
    assert_eq!(
        suds_said(&app).last(),
        Some(&Lifecycle::SudsAsked {
            why: SudsWhy::Interval,
            step: 3
        })
    );
    // Backspace sets it aside; nothing is asked in the safe place.
    press(&mut app, KeyCode::Backspace);
    assert!(snapshot(&app).suds.is_none());
    ask(&mut app, Intent::SafePlace);
    app.update();
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<CurrentScene>()
        .path
        == "lake_dusk.ron"));
    let before = suds_said(&app).len();
    let start = app.world().resource::<Time<Real>>().elapsed();
    while app.world().resource::<Time<Real>>().elapsed() - start < Duration::from_secs(5) {
        app.update();
    }
    assert_eq!(suds_said(&app).len(), before, "asked in the safe place");
}

#[test]
fn a_safe_scene_that_is_the_scene_itself_or_an_exposure_scene_is_refused_at_its_line() {
    let (dir, spiders) = scene_folder("safe-checked", "spiders.ron", "spiders.ron");
    std::fs::copy(
        crate::common::scenes_dir().join("heights.ron"),
        dir.join("heights.ron"),
    )
    .unwrap();
    let itself = spiders.replacen(
        "safe_scene: \"lake_dusk.ron\"",
        "safe_scene: \"spiders.ron\"",
        1,
    );
    assert_ne!(itself, spiders);
    std::fs::write(dir.join("spiders.ron"), itself).unwrap();
    let towards_fear = spiders.replacen(
        "safe_scene: \"lake_dusk.ron\"",
        "safe_scene: \"heights.ron\"",
        1,
    );
    std::fs::write(dir.join("spiders_to_heights.ron"), towards_fear).unwrap();
    let out = stillpoint()
        .arg("validate")
        .arg(dir.join("spiders.ron"))
        .arg(dir.join("spiders_to_heights.ron"))
        .arg(dir.join("lake_dusk.ron"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{said}{err}");
    // At the line and column of the value of `safe_scene`.
    assert!(
        err.contains("spiders.ron:15:17: safe_scene: \"spiders.ron\" is this scene itself"),
        "{err}"
    );
    assert!(
        err.contains(
            "spiders_to_heights.ron:15:17: safe_scene: \"heights.ron\" is an exposure scene"
        ),
        "{err}"
    );
    assert!(said.contains("lake_dusk.ron: ok"), "{said}");
    // The app will not show such a scene either: its error is shown.
    let mut app = app_on(&dir, "spiders.ron", FRAME, None);
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<CurrentScene>()
        .error
        .is_some()));
    let current = app.world().resource::<CurrentScene>();
    assert_eq!(current.generation, 0, "nothing was shown");
    assert!(
        current
            .error
            .as_ref()
            .unwrap()
            .contains("is this scene itself"),
        "{:?}",
        current.error
    );
}

#[test]
fn a_safe_scene_changed_into_an_exposure_scene_is_never_shown_as_the_safe_place() {
    let (dir, _) = scene_folder("safe-changed", "spiders.ron", "spiders.ron");
    let scenes = crate::common::scenes_dir();
    // The beach, a safe place of its own (its safe place would be the
    // lake's file, which is about to change).
    let beach = std::fs::read_to_string(scenes.join("beach_sunset.ron"))
        .unwrap()
        .replacen("    safe_scene: \"lake_dusk.ron\",\n", "", 1);
    std::fs::write(dir.join("beach_sunset.ron"), beach).unwrap();
    let mut app = watched_app(&dir, "spiders.ron");
    // After the kitchen was checked with a calm safe place, its safe
    // scene's file becomes the tower.
    let tower = std::fs::read_to_string(scenes.join("heights.ron"))
        .unwrap()
        .replacen(
            "safe_scene: \"lake_dusk.ron\"",
            "safe_scene: \"beach_sunset.ron\"",
            1,
        );
    std::fs::write(dir.join("lake_dusk.ron"), tower).unwrap();
    assert!(
        update_until(&mut app, Duration::from_secs(30), |w| w
            .resource::<Assets<SceneAsset>>()
            .iter()
            .any(|(_, a)| a.scene.title == "The tower")),
        "the changed file was not loaded again"
    );
    ask(&mut app, Intent::SafePlace);
    let start = std::time::Instant::now();
    loop {
        app.update();
        let current = app.world().resource::<CurrentScene>();
        assert_ne!(
            current.path, "lake_dusk.ron",
            "the tower was shown as the safe place"
        );
        if current.path == "beach_sunset.ron" && current.generation == 2 {
            let said = heard(&app).iter().any(|m| {
                matches!(m, Lifecycle::Refused { why: Refusal::NotASafePlace(why), .. }
                    if why.contains("\"lake_dusk.ron\" is an exposure scene now")
                        && why.contains("showing \"beach_sunset.ron\" instead"))
            });
            assert!(said, "the watchers were not told");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no calm scene was shown"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_scene_saved_with_fewer_steps_than_the_one_the_person_is_at_records_the_change() {
    let (dir, _) = scene_folder("fewer-steps", "lake_dusk.ron", "lake_dusk.ron");
    let text = std::fs::read_to_string(fixture("exposure_steps.ron")).unwrap();
    std::fs::write(dir.join("steps.ron"), &text).unwrap();
    let mut app = watched_app(&dir, "steps.ron");
    ask(&mut app, Intent::Step(StepChange::To(4)));
    app.update();
    assert_eq!(step(&app), 4);
    // The author saves it with two steps while the person is at the fourth.
    let two = text
        .replace(
            "            (name: \"High\", say: \"On top of the tower, looking down.\", place: Some(\"high\"),\n             moves: [(name: \"lift\", by_m: (0.0, 29.0, 0.0))]),\n",
            "",
        )
        .replace(
            "            (name: \"Open\", say: \"The rail is gone; the wind is heard.\", hide: [\"rail\"], sounds_on: [\"wind\"]),\n",
            "",
        )
        .replace("steps: [2, 3, 4]", "steps: [2]")
        .replace("steps: [3, 4]", "steps: [2]");
    assert_ne!(two, text);
    std::fs::write(dir.join("steps.ron"), two).unwrap();
    assert!(
        update_until(&mut app, Duration::from_secs(30), |w| w
            .resource::<CurrentScene>()
            .generation
            == 2),
        "the edit was not shown: {:?}",
        app.world().resource::<CurrentScene>().error
    );
    app.update();
    assert_eq!(step(&app), 2);
    assert!(
        heard(&app).iter().any(|m| matches!(
            m,
            Lifecycle::StepChanged { from: 4, to: 2, name } if name == "Rail"
        )),
        "the change of step was not said: {:#?}",
        heard(&app)
    );
}

/// The scene `file` of `dir` shown, with its safe place loaded ahead, the
/// files watched as an author's edits are, and the watcher settled.
fn watched_app(dir: &std::path::Path, file: &str) -> App {
    let mut app = crate::common::app_with(
        dir,
        file,
        FRAME,
        None,
        stillpoint::state::Presentation::Desktop,
        true,
    );
    assert!(update_until(&mut app, Duration::from_secs(60), |w| {
        w.resource::<CurrentScene>().generation == 1
            && w.resource::<Assets<SceneAsset>>().len() >= 2
    }));
    update_until(&mut app, Duration::from_millis(500), |_| false);
    app
}
