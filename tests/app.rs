//! Headless app tests: the whole app (every plugin) on a bare Bevy with no
//! window, no GPU and no sound card, driven through intents and keys, and
//! checked through the snapshot, the lifecycle messages and the world.

use std::time::{Duration, Instant};

use bevy::input::mouse::MouseMotion;
use bevy::prelude::*;
use stillpoint::breath::time::micros_from_s;
use stillpoint::breath::{Guide, Rhythm};
use stillpoint::clock::SessionClock;
use stillpoint::overlay::Notice;
use stillpoint::scene::spawn::{SceneRoot, SceneView};
use stillpoint::scene::{CLOSE_S, CurrentScene, OPEN_S, SceneAsset, ShowScene, Veil};
use stillpoint::state::{Flow, Intent, Lifecycle, PauseReason, Place, SessionSnapshot};
use stillpoint::view::{Look, ViewCamera};

use crate::common::{
    app_on, app_with, ask, generation, heard, listen_to, press, scene_folder, scenes_dir, scratch,
    update_until,
};

const FRAME_60: Duration = Duration::from_nanos(16_666_667);

fn scene_entities(app: &mut App) -> usize {
    app.world_mut()
        .query::<&ChildOf>()
        .iter(app.world())
        .count()
}

fn roots(app: &mut App) -> usize {
    app.world_mut()
        .query_filtered::<(), With<SceneRoot>>()
        .iter(app.world())
        .count()
}

fn veil(app: &App) -> f32 {
    app.world().resource::<Veil>().alpha()
}

fn snapshot(app: &App) -> &SessionSnapshot {
    app.world().resource::<SessionSnapshot>()
}

fn wall(app: &App) -> Duration {
    app.world().resource::<Time<Real>>().elapsed()
}

#[test]
fn a_broken_reload_keeps_the_last_good_scene_and_a_good_one_comes_in_through_the_veil() {
    let (dir, good) = scene_folder("reload", "forest_clearing.ron", "scene.ron");
    let mut app = app_on(&dir, "scene.ron", FRAME_60, None);
    assert!(
        update_until(&mut app, Duration::from_secs(60), |w| generation(w) == 1),
        "the scene never appeared"
    );
    let first_root = app.world().resource::<CurrentScene>().root.unwrap();
    let spawned = scene_entities(&mut app);
    assert!(spawned > 1000, "only {spawned} entities");
    assert_eq!(app.world().resource::<SceneView>().title, "Forest clearing");

    // A bad edit: the error appears, and the scene on screen stays.
    std::fs::write(
        dir.join("scene.ron"),
        good.replacen("count: 260,", "count: 99999,", 1),
    )
    .unwrap();
    app.world().resource::<AssetServer>().reload("scene.ron");
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<CurrentScene>()
        .error
        .is_some()));
    let current = app.world().resource::<CurrentScene>();
    let error = current.error.clone().unwrap();
    assert!(
        error.contains("scene.ron:") && error.contains("particles[0].count"),
        "{error}"
    );
    assert_eq!(current.root, Some(first_root));
    assert_eq!(current.generation, 1);
    assert!(app.world().get_entity(first_root).is_ok());
    assert_eq!(scene_entities(&mut app), spawned);
    assert_eq!(veil(&app), 0.0, "a failed load never closes the veil");

    // The fix: the veil closes, the scene is rebuilt behind it, the error
    // goes, and the veil opens again, never jumping.
    std::fs::write(
        dir.join("scene.ron"),
        good.replacen("title: \"Forest clearing\"", "title: \"Forest, edited\"", 1),
    )
    .unwrap();
    app.world().resource::<AssetServer>().reload("scene.ron");
    let mut alphas = vec![];
    let mut swapped_at = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        app.update();
        alphas.push(veil(&app));
        if swapped_at.is_none() && generation(app.world()) == 2 {
            swapped_at = Some(alphas.len() - 1);
        }
        if swapped_at.is_some() && veil(&app) == 0.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let swapped = swapped_at.expect("the edit was never shown");
    assert_eq!(alphas[swapped], 1.0, "the scene changed with the veil open");
    let step = FRAME_60.as_secs_f32() / CLOSE_S.min(OPEN_S) + 1e-4;
    for pair in alphas.windows(2) {
        assert!(
            (pair[1] - pair[0]).abs() <= step,
            "the veil jumped: {pair:?}"
        );
    }
    assert_eq!(*alphas.last().unwrap(), 0.0, "the veil did not open again");
    let current = app.world().resource::<CurrentScene>();
    assert!(current.error.is_none());
    assert_ne!(current.root, Some(first_root));
    assert!(
        app.world().get_entity(first_root).is_err(),
        "the old scene was not removed"
    );
    assert_eq!(app.world().resource::<SceneView>().title, "Forest, edited");
    assert_eq!(roots(&mut app), 1);
    assert!(
        heard(&app)
            .iter()
            .any(|m| matches!(m, Lifecycle::SceneShown(s) if s.title == "Forest, edited"))
    );
}

#[test]
fn editing_a_scene_file_hot_reloads_it() {
    let (dir, good) = scene_folder("watch", "beach_sunset.ron", "beach.ron");
    let mut app = app_with(
        &dir,
        "beach.ron",
        FRAME_60,
        None,
        stillpoint::state::Presentation::Desktop,
        true,
    );
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 1
    ));
    // Let the watcher settle, then edit the file as an author would.
    update_until(&mut app, Duration::from_millis(500), |_| false);
    let edited = good.replacen("title: \"Beach at sunset\"", "title: \"Beach, edited\"", 1);
    assert_ne!(edited, good);
    std::fs::write(dir.join("beach.ron"), edited).unwrap();
    let saved = Instant::now();
    assert!(
        update_until(&mut app, Duration::from_secs(20), |w| generation(w) == 2),
        "the edit was not picked up"
    );
    println!("hot reload took {:?}", saved.elapsed());
}

#[test]
fn an_unloadable_first_scene_reports_its_error() {
    let dir = scratch("first-error");
    std::fs::write(dir.join("bad.ron"), "(title: \"x\",\n  oops\n").unwrap();
    let mut app = app_on(&dir, "bad.ron", FRAME_60, None);
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<CurrentScene>()
        .error
        .is_some()));
    let current = app.world().resource::<CurrentScene>();
    assert_eq!(current.generation, 0);
    assert!(
        current.error.as_ref().unwrap().contains("bad.ron:"),
        "{:?}",
        current.error
    );
}

#[test]
fn a_scene_file_too_large_is_refused_by_the_loader_without_being_read_whole() {
    let dir = scratch("huge");
    // A valid beginning, then more than the limit of spaces.
    let mut text = std::fs::read(scenes_dir().join("lake_dusk.ron")).unwrap();
    text.resize(stillpoint::diagnostics::MAX_FILE_BYTES + 4096, b' ');
    std::fs::write(dir.join("huge.ron"), text).unwrap();
    let mut app = app_on(&dir, "huge.ron", FRAME_60, None);
    assert!(update_until(&mut app, Duration::from_secs(30), |w| w
        .resource::<CurrentScene>()
        .error
        .is_some()));
    let error = app
        .world()
        .resource::<CurrentScene>()
        .error
        .clone()
        .unwrap();
    assert!(
        error.contains("huge.ron:1:1: the file is larger than"),
        "{error}"
    );
}

fn camera_transform(app: &mut App) -> Transform {
    *app.world_mut()
        .query_filtered::<&Transform, With<ViewCamera>>()
        .single(app.world())
        .unwrap()
}

#[test]
fn the_camera_sits_at_the_eye_and_only_the_mouse_turns_it() {
    let mut app = app_on(&scenes_dir(), "beach_sunset.ron", FRAME_60, None);
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 1
    ));
    app.update();
    let view = app.world().resource::<SceneView>().clone();
    let start = camera_transform(&mut app);
    assert!(start.translation.abs_diff_eq(view.eye, 1e-4));
    let heading = view.heading_deg.to_radians();
    let facing = Vec3::new(heading.sin(), 0.0, -heading.cos());
    let forward = start.forward().as_vec3();
    assert!(
        Vec3::new(forward.x, 0.0, forward.z)
            .normalize()
            .abs_diff_eq(facing, 1e-3),
        "the camera does not face the scene's heading"
    );

    // Time passing moves nothing.
    for _ in 0..30 {
        app.update();
    }
    assert_eq!(camera_transform(&mut app), start);

    // Moving the mouse without a button held moves nothing either.
    app.world_mut().write_message(MouseMotion {
        delta: Vec2::new(200.0, 0.0),
    });
    app.update();
    assert_eq!(camera_transform(&mut app), start);

    // A drag turns the head, with the horizon level and the eye in place.
    app.world_mut()
        .resource_mut::<ButtonInput<MouseButton>>()
        .press(MouseButton::Left);
    app.world_mut().write_message(MouseMotion {
        delta: Vec2::new(-100.0, 50.0),
    });
    app.update();
    let turned = camera_transform(&mut app);
    assert_eq!(turned.translation, start.translation);
    assert_ne!(turned.rotation, start.rotation);
    assert!(turned.right().y.abs() < 1e-5, "the horizon tilted");
    assert!(app.world().resource::<Look>().yaw_deg > 0.0);
}

/// The forest (whose safe place is the lake), shown, with the lake loaded
/// ahead.
fn in_the_forest(test: &str, frame: Duration) -> App {
    let (dir, _) = scene_folder(test, "forest_clearing.ron", "forest.ron");
    let mut app = app_on(&dir, "forest.ron", frame, None);
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 1
    ));
    assert!(
        update_until(&mut app, Duration::from_secs(60), |w| w
            .resource::<Assets<SceneAsset>>()
            .len()
            >= 2),
        "the safe scene was not loaded ahead"
    );
    app
}

/// Updates until `path` is on screen; the wall time it took, and the veil
/// each frame.
fn until_showing(app: &mut App, path: &str) -> (Duration, Vec<f32>) {
    let from = wall(app);
    let mut alphas = vec![];
    let real = Instant::now();
    while real.elapsed() < Duration::from_secs(30) {
        app.update();
        alphas.push(veil(app));
        let current = app.world().resource::<CurrentScene>();
        if current.path == path && current.root.is_some() && alphas.last() == Some(&1.0) {
            break;
        }
    }
    assert_eq!(app.world().resource::<CurrentScene>().path, path);
    (wall(app) - from, alphas)
}

#[test]
fn the_safe_place_opens_within_half_a_second_from_running_paused_or_mid_fade_and_gives_back_where_the_person_was()
 {
    let mut app = in_the_forest("safe", FRAME_60);
    app.world_mut().resource_mut::<Look>().yaw_deg = 40.0;
    app.update();
    let step = FRAME_60.as_secs_f32() / CLOSE_S + 1e-4;

    // Running.
    ask(&mut app, Intent::SafePlace);
    let (took, alphas) = until_showing(&mut app, "lake_dusk.ron");
    assert!(
        took <= Duration::from_millis(500),
        "the safe place took {took:?}"
    );
    assert!(
        alphas.windows(2).all(|p| (p[1] - p[0]).abs() <= step),
        "{alphas:?}"
    );
    assert!(matches!(
        snapshot(&app).place,
        Some(Place::SafePlace { ref return_to, .. }) if return_to == "forest.ron"
    ));
    assert!(
        heard(&app)
            .iter()
            .any(|m| matches!(m, Lifecycle::SafePlaceEntered { .. }))
    );
    assert_eq!(
        app.world().resource::<Look>().yaw_deg,
        0.0,
        "the safe place faces its view"
    );

    // Back: the forest, looking where the person looked.
    ask(&mut app, Intent::LeaveSafePlace);
    until_showing(&mut app, "forest.ron");
    assert_eq!(app.world().resource::<Look>().yaw_deg, 40.0);
    for _ in 0..40 {
        app.update();
    }
    assert_eq!(veil(&app), 0.0);

    // Paused: the safe place opens, and the person's pause ends.
    press(&mut app, KeyCode::Escape);
    app.update();
    assert_eq!(snapshot(&app).flow, Flow::Paused);
    press(&mut app, KeyCode::KeyS);
    let (took, _) = until_showing(&mut app, "lake_dusk.ron");
    assert!(
        took <= Duration::from_millis(500),
        "from paused it took {took:?}"
    );
    app.update();
    assert_eq!(snapshot(&app).flow, Flow::Running);
    assert!(update_until(&mut app, Duration::from_secs(10), |w| w
        .resource::<Veil>()
        .alpha()
        == 0.0));

    // Mid-fade: on the way back to the forest the person asks again; the
    // fade turns round and the forest is never shown.
    let forest_shown = |app: &App| {
        heard(app)
            .iter()
            .filter(|m| matches!(m, Lifecycle::SceneShown(s) if s.path == "forest.ron"))
            .count()
    };
    let forest_before = forest_shown(&app);
    ask(&mut app, Intent::LeaveSafePlace);
    for _ in 0..8 {
        app.update();
    }
    let partway = veil(&app);
    assert!(partway > 0.2 && partway < 1.0, "not mid-fade: {partway}");
    let shown_before = generation(app.world());
    ask(&mut app, Intent::SafePlace);
    let (took, alphas) = until_showing(&mut app, "lake_dusk.ron");
    assert!(
        took <= Duration::from_millis(500),
        "mid-fade it took {took:?}"
    );
    assert!(alphas.windows(2).all(|p| (p[1] - p[0]).abs() <= step));
    assert_eq!(generation(app.world()), shown_before + 1);
    assert_eq!(
        forest_shown(&app),
        forest_before,
        "the forest was shown on the way"
    );
    assert!(
        snapshot(&app)
            .place
            .as_ref()
            .is_some_and(Place::is_safe_place)
    );
    assert_eq!(roots(&mut app), 1);

    // In the safe place, asking again keeps the person there, and says so.
    ask(&mut app, Intent::SafePlace);
    app.update();
    app.update();
    assert!(matches!(
        heard(&app).last(),
        Some(Lifecycle::AlreadySafe { .. })
    ));
    assert!(
        app.world()
            .resource::<Notice>()
            .words
            .contains("safe place")
    );
}

#[test]
fn on_a_renderer_at_one_frame_a_second_the_veil_still_follows_the_wall_clock() {
    let mut app = in_the_forest("slow", Duration::from_secs(1));
    ask(&mut app, Intent::SafePlace);
    app.update();
    // One second of wall time later the veil has closed and the safe place
    // is on screen; Bevy's own frame time (clamped to a quarter of a second)
    // would still be closing it.
    app.update();
    assert_eq!(app.world().resource::<CurrentScene>().path, "lake_dusk.ron");
    app.update();
    assert_eq!(veil(&app), 0.0, "the veil did not open within a second");
}

#[test]
fn asking_for_a_scene_shows_it_even_when_it_is_already_on_screen() {
    let (dir, _) = scene_folder("switch", "forest_clearing.ron", "forest_clearing.ron");
    let mut app = app_on(&dir, "forest_clearing.ron", FRAME_60, None);
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 1
    ));
    app.world_mut()
        .write_message(ShowScene("lake_dusk.ron".into()));
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 2
    ));
    assert_eq!(app.world().resource::<SceneView>().title, "Lake at dusk");
    app.world_mut()
        .write_message(ShowScene("lake_dusk.ron".into()));
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 3
    ));
    assert_eq!(roots(&mut app), 1, "the old scene stayed behind");
    assert!(update_until(&mut app, Duration::from_secs(5), |w| w
        .resource::<Veil>()
        .alpha()
        == 0.0));
}

/// The lake with a 4 s in, 6 s out rhythm from the first breath, its clock
/// set by hand with `latency` of output delay.
fn pacing_lake(latency_s: f64) -> App {
    let guide = Guide::rhythm_only(Rhythm::from_seconds(4.0, 0.0, 6.0, 0.0), None, 5.0);
    let mut app = app_on(&scenes_dir(), "lake_dusk.ron", FRAME_60, Some(guide));
    app.insert_resource(SessionClock {
        heard: 0,
        latency: micros_from_s(latency_s),
        manual: true,
    });
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 1
    ));
    app
}

fn orb_and_caption(app: &mut App, heard_s: f64) -> (f32, String) {
    app.world_mut().resource_mut::<SessionClock>().heard = micros_from_s(heard_s);
    app.update();
    let view = app.world().resource::<SceneView>().clone();
    let world = app.world_mut();
    let (transform, _) = world
        .query::<(&Transform, &stillpoint::pacer::PacerBody)>()
        .single(world)
        .expect("one pacer");
    let distance = (transform.translation - view.eye).length();
    let angle = (transform.scale.x / distance).atan().to_degrees();
    let caption = world
        .query_filtered::<&Text, With<stillpoint::pacer::PacerCaption>>()
        .single(world)
        .expect("one caption")
        .0
        .clone();
    (angle, caption)
}

#[test]
fn the_pacer_grows_and_counts_as_the_rhythm_says_waiting_for_sound_still_on_its_way() {
    // The rhythm's own numbers: in for 4 s, out for 6 s, from the first
    // breath. The orb's radius takes about 1.4 degrees at empty lungs and
    // 3.4 at full, and half way between at the middle of a breath; the
    // caption counts the whole seconds left, rounded up.
    let (inhale, exhale) = (4.0f64, 6.0f64);
    let cycle = inhale + exhale;
    let expected = |shown: f64| -> (String, Option<f32>) {
        let (empty, full) = (0.025f32.atan().to_degrees(), 0.06f32.atan().to_degrees());
        let into = shown % cycle;
        let (words, left, progress) = if into < inhale {
            ("Breathe in", inhale - into, into / inhale)
        } else {
            ("Breathe out", cycle - into, (into - inhale) / exhale)
        };
        let fill = match progress {
            0.0 => Some(if words == "Breathe in" { 0.0 } else { 1.0 }),
            p if (p - 0.5).abs() < 1e-9 => Some(0.5),
            _ => None,
        };
        (
            format!("{words}   {}", left.ceil() as u64),
            fill.map(|f| empty + (full - empty) * f),
        )
    };
    let latency = 0.25;
    let mut app = pacing_lake(latency);
    for shown in [0.0, 1.2, 2.0, 3.2, 4.0, 5.5, 7.0, 9.9, 10.0, 13.5, 42.0] {
        // What the ears hear now is `latency` ahead of what the picture
        // must show.
        let (angle, caption) = orb_and_caption(&mut app, shown + latency);
        let (words, degrees) = expected(shown);
        assert_eq!(caption, words, "at {shown} s shown");
        if let Some(want) = degrees {
            assert!(
                (angle - want).abs() < 0.05,
                "at {shown} s shown the orb is {angle:.3} degrees, expected {want:.3}"
            );
        }
    }
    // Just before full lungs as heard, the picture still shows the breath
    // in: it waits for the sound on its way to the ears.
    let (_, caption) = orb_and_caption(&mut app, inhale + 0.1);
    assert_eq!(caption, "Breathe in   1");
}

#[test]
fn reduced_motion_shows_no_moving_pacer_only_the_caption_and_a_gentle_brightening() {
    use bevy::camera::Exposure;
    use stillpoint::pacer::{LIGHT_EV_AT_FULL, PacerBody, PacerCaption, PacerOptions};

    let mut app = pacing_lake(0.0);
    app.insert_resource(PacerOptions {
        reduced_motion: true,
    });
    app.update();
    app.update();
    let exposure = |app: &mut App| {
        app.world_mut()
            .query_filtered::<&Exposure, With<ViewCamera>>()
            .single(app.world())
            .unwrap()
            .ev100
    };
    let scene_ev = app.world().resource::<SceneView>().exposure_ev100;
    let empty = exposure(&mut app);
    // Full lungs at the end of the first 4 s breath in.
    app.world_mut().resource_mut::<SessionClock>().heard = micros_from_s(4.0);
    app.update();
    let full = exposure(&mut app);
    assert!((empty - scene_ev).abs() < 1e-4, "{empty}");
    assert!(
        (empty - full - LIGHT_EV_AT_FULL).abs() < 1e-4,
        "{empty} then {full}"
    );
    let bodies = app
        .world_mut()
        .query::<&PacerBody>()
        .iter(app.world())
        .count();
    assert_eq!(bodies, 0, "no moving pacer in reduced motion");
    let caption = app
        .world_mut()
        .query_filtered::<&Text, With<PacerCaption>>()
        .single(app.world())
        .unwrap()
        .0
        .clone();
    assert_eq!(caption, "Breathe out   6");
}

#[test]
fn keys_send_intents_the_volume_stays_in_range_and_every_change_reaches_the_mix() {
    use stillpoint::audio::AudioLink;
    use stillpoint::audio::engine::{Command, MixSettings, mix_link};

    let mut app = app_on(&scenes_dir(), "lake_dusk.ron", FRAME_60, None);
    let (app_ends, mix) = mix_link();
    let clock = stillpoint::audio::sample_clock::ClockShared::new();
    app.insert_resource(AudioLink::new(
        app_ends,
        clock,
        false,
        MixSettings::default(),
        1,
        0,
    ));
    let volume = |app: &App| snapshot(app).listening.volume;
    press(&mut app, KeyCode::Minus);
    app.update();
    assert!((volume(&app) - 0.9).abs() < 1e-6, "{}", volume(&app));
    for _ in 0..15 {
        press(&mut app, KeyCode::Equal);
    }
    app.update();
    assert_eq!(volume(&app), 2.0, "never above 2");
    for _ in 0..25 {
        press(&mut app, KeyCode::Minus);
    }
    press(&mut app, KeyCode::KeyM);
    app.update();
    assert_eq!(volume(&app), 0.0, "never below 0");
    assert!(snapshot(&app).listening.mono);
    // Every change reached the mix, the last one with mono on.
    let sent: Vec<Command> = mix.commands.try_iter().collect();
    let settings: Vec<&MixSettings> = sent
        .iter()
        .filter_map(|c| match c {
            Command::Settings(s) => Some(s),
            _ => None,
        })
        .collect();
    assert!(settings.len() >= 20, "{} changes", settings.len());
    assert!(settings.last().is_some_and(|s| s.mono && s.master == 0.0));
    // Esc pauses and goes on; the mix is told both.
    press(&mut app, KeyCode::Escape);
    app.update();
    assert_eq!(snapshot(&app).flow, Flow::Paused);
    assert_eq!(snapshot(&app).paused_for.to_string(), "person");
    press(&mut app, KeyCode::Escape);
    app.update();
    assert_eq!(snapshot(&app).flow, Flow::Running);
    let flow: Vec<&'static str> = mix
        .commands
        .try_iter()
        .filter_map(|c| match c {
            Command::Pause => Some("pause"),
            Command::Resume => Some("resume"),
            _ => None,
        })
        .collect();
    assert_eq!(flow, ["pause", "resume"]);
}

#[test]
fn the_persons_pause_holds_the_session_and_the_sound_and_it_ends_on_time_after_it() {
    use stillpoint::audio::MixClock;
    use stillpoint::audio::connect;
    use stillpoint::audio::engine::MixSettings;

    // A one-minute session, its sound really rendered, 20 ms a frame.
    let guide = Guide::rhythm_only(Rhythm::from_seconds(4.0, 0.0, 6.0, 0.0), None, 1.0);
    let frame = Duration::from_millis(20);
    let mut app = app_on(&scenes_dir(), "lake_dusk.ron", frame, Some(guide.clone()));
    let (link, mut mixer) = connect(Some(guide.schedule.clone()), MixSettings::default(), 0);
    app.insert_resource(MixClock(link.clock.clone()))
        .insert_resource(link);
    let mut sound = vec![0.0f32; 960 * 2];
    let mut step = |app: &mut App, mixer: &mut stillpoint::audio::engine::Mixer| -> f32 {
        mixer.render(&mut sound);
        app.update();
        sound.iter().fold(0.0f32, |m, s| m.max(s.abs()))
    };
    for _ in 0..500 {
        step(&mut app, &mut mixer);
    }
    let before = snapshot(&app).elapsed;
    assert!(
        (9_800_000..=10_200_000).contains(&before),
        "{before} µs after 10 s"
    );
    ask(&mut app, Intent::Pause(PauseReason::Person));
    // The fade out, then 10 s held.
    for _ in 0..100 {
        step(&mut app, &mut mixer);
    }
    let held = snapshot(&app).elapsed;
    let mut loudest = 0.0f32;
    for _ in 0..500 {
        loudest = loudest.max(step(&mut app, &mut mixer));
    }
    assert_eq!(
        snapshot(&app).elapsed,
        held,
        "the session moved while paused"
    );
    assert_eq!(loudest, 0.0, "sound while paused");
    assert_eq!(snapshot(&app).flow, Flow::Paused);
    assert!(
        held - before < 1_600_000,
        "the fade out took {} µs",
        held - before
    );
    ask(&mut app, Intent::Resume(PauseReason::Person));
    step(&mut app, &mut mixer);
    let mut frames = 0;
    while snapshot(&app).flow != Flow::Ended && frames < 5_000 {
        step(&mut app, &mut mixer);
        frames += 1;
    }
    assert_eq!(snapshot(&app).flow, Flow::Ended);
    assert!(heard(&app).iter().any(|m| matches!(
        m,
        Lifecycle::SessionEnded {
            how: stillpoint::state::Ending::Completed,
            ..
        }
    )));
    // It ended when its minute of unpaused time was up: 600 frames of it.
    let unpaused_frames = 500 + (held - before) / 20_000 + 1 + frames as u64;
    assert!(
        (2_990..=3_010).contains(&unpaused_frames),
        "ended after {unpaused_frames} frames of 20 ms unpaused"
    );
    // Ended, the scene's sound plays on.
    let mut loudest = 0.0f32;
    for _ in 0..200 {
        loudest = loudest.max(step(&mut app, &mut mixer));
    }
    assert!(
        loudest > 1e-4,
        "the scene fell silent when the session ended"
    );
}

#[test]
fn a_break_is_suggested_after_continuous_use_without_pausing_and_taking_it_pauses_for_a_break() {
    use stillpoint::overlay::BREAK_WORDS;
    use stillpoint::state::BreakAdvice;

    let mut app = app_on(&scenes_dir(), "lake_dusk.ron", Duration::from_secs(1), None);
    app.insert_resource(BreakAdvice::new(Some(Duration::from_secs(90))));
    for _ in 0..80 {
        app.update();
    }
    assert!(!snapshot(&app).break_suggested);
    for _ in 0..15 {
        app.update();
    }
    assert!(snapshot(&app).break_suggested);
    assert!(
        heard(&app)
            .iter()
            .any(|m| matches!(m, Lifecycle::BreakSuggested { .. }))
    );
    assert_eq!(
        snapshot(&app).flow,
        Flow::Running,
        "a suggestion pauses nothing"
    );
    let notice = app.world().resource::<Notice>().clone();
    assert_eq!(notice.words, BREAK_WORDS);
    assert!(notice.alpha > 0.9);
    // Esc, while it is suggested, takes the break.
    press(&mut app, KeyCode::Escape);
    app.update();
    assert_eq!(snapshot(&app).flow, Flow::Paused);
    assert_eq!(snapshot(&app).paused_for.to_string(), "break");
    assert!(!snapshot(&app).break_suggested);
    press(&mut app, KeyCode::Escape);
    app.update();
    assert_eq!(snapshot(&app).flow, Flow::Running);
    // Turned off, none ever comes.
    let mut off = app_on(
        &scenes_dir(),
        "lake_dusk.ron",
        Duration::from_secs(60),
        None,
    );
    off.insert_resource(BreakAdvice::new(None));
    for _ in 0..300 {
        off.update();
    }
    assert!(
        !heard(&off)
            .iter()
            .any(|m| matches!(m, Lifecycle::BreakSuggested { .. }))
    );
}

#[test]
fn a_stalled_output_queues_nothing_for_the_head_or_anything_else() {
    use stillpoint::app::harness::Harness;
    let mut h = Harness::new(&scenes_dir(), "lake_dusk.ron");
    assert!(h.until_shown(3_000));
    // The mix takes nothing (an output that stopped), while the head moves
    // every frame for half a minute.
    for frame in 0..2_700u32 {
        let t = frame as f32 / 90.0;
        h.set_head(Transform::from_rotation(Quat::from_rotation_y(
            0.3 * t.sin(),
        )));
        h.step();
    }
    let waiting = h.mix.commands.try_iter().count();
    assert!(
        waiting <= 4,
        "{waiting} commands waiting for a mix that takes none"
    );
    assert!(h.listener.is_some(), "the head reached the mix's slot");
}

/// The headset's systems on a bare app, with eyes moved by hand as a
/// runtime would: the seat, recentring, the comfort limits of what is
/// placed, the head as the listener, the caption on the panel only, focus
/// pauses and the fall back.
#[test]
fn in_the_headset_the_seat_follows_only_the_head_and_recentring_and_the_pacer_stays_comfortable() {
    use bevy_mod_xr::camera::XrCamera;
    use bevy_mod_xr::session::XrTrackingRoot;
    use stillpoint::app::harness::Harness;
    use stillpoint::overlay::panel::PanelText;
    use stillpoint::pacer::PacerBody;
    use stillpoint::seating::{self, MIN_DISTANCE_M, MIN_TEXT_DEG, PACER_DISTANCE_M};
    use stillpoint::state::Presentation;
    use stillpoint::xr::{HeadsetStatus, SeatState};

    let mut h = Harness::new(&scenes_dir(), "lake_dusk.ron");
    listen_to(&mut h.app);
    // The person sits turned 50 degrees left of where the runtime's space
    // began, 30 cm aside.
    let sitting = Transform::from_xyz(0.3, -0.1, 0.2).with_rotation(Quat::from_rotation_y(0.87));
    h.set_head(sitting);
    assert!(h.until_shown(3_000), "the lake did not load");
    for _ in 0..3 {
        h.step();
    }
    let world = h.app.world_mut();
    let view = world.resource::<SceneView>().clone();
    let root = |world: &mut World| {
        *world
            .query_filtered::<&Transform, With<XrTrackingRoot>>()
            .single(world)
            .unwrap()
    };
    let head_in_scene = |world: &mut World, head: Transform| root(world) * head;
    let seat_yaw = seating::yaw_of(seating::seat(view.eye, view.heading_deg).rotation);

    // Seated at the first pose: eyes at the scene's eye, facing its view.
    let seated = head_in_scene(world, sitting);
    assert!(
        seated.translation.abs_diff_eq(view.eye, 1e-3),
        "{seated:?} vs {}",
        view.eye
    );
    assert!((seating::yaw_of(seated.rotation) - seat_yaw).abs() < 1e-3);

    // Turning the head turns the view, and nothing else moves it.
    let before = root(world);
    let turned = sitting.with_rotation(Quat::from_rotation_y(0.87 + 0.6));
    h.set_head(turned);
    for _ in 0..10 {
        h.step();
    }
    let world = h.app.world_mut();
    assert_eq!(root(world), before, "the world moved without being asked");
    let in_scene = head_in_scene(world, turned);
    assert!((seating::yaw_of(in_scene.rotation) - (seat_yaw + 0.6)).abs() < 1e-3);

    // The listener is the head, between the eyes.
    let listener = h.listener.expect("the head reached the mix");
    let at = Vec3::from_array(listener.position);
    assert!(
        at.abs_diff_eq(in_scene.translation, 1e-3),
        "{at} vs {}",
        in_scene.translation
    );
    let facing = Vec3::from_array(listener.forward);
    assert!(facing.abs_diff_eq(in_scene.forward().as_vec3(), 1e-3));

    // `R` on the mirror window recentres: the turned head faces the view.
    press(&mut h.app, KeyCode::KeyR);
    h.step();
    let world = h.app.world_mut();
    let recentred = head_in_scene(world, turned);
    assert!(recentred.translation.abs_diff_eq(view.eye, 1e-3));
    assert!((seating::yaw_of(recentred.rotation) - seat_yaw).abs() < 1e-3);
    assert_eq!(world.resource::<SeatState>().recentred_on, Some(turned));

    // The pacer hangs world-locked in the comfortable band ahead of the
    // seat, below the eye.
    let pacer = world
        .query_filtered::<&Transform, With<PacerBody>>()
        .single(world)
        .expect("one pacer")
        .translation;
    let to_pacer = pacer - view.eye;
    let distance = to_pacer.length();
    assert!(
        (PACER_DISTANCE_M.0..=PACER_DISTANCE_M.1 + 0.25).contains(&distance)
            && distance >= MIN_DISTANCE_M,
        "{distance} m"
    );
    assert!(to_pacer.y < 0.0, "the pacer is above the eye");
    let ahead = seating::seat(view.eye, view.heading_deg).rotation * Vec3::NEG_Z;
    assert!(to_pacer.normalize().dot(ahead) > 0.95);
    // The caption panel under it: far enough, and its letters big enough
    // at the distance it actually hangs.
    let mut panels = world.query::<(&Transform, &Mesh3d, &Name)>();
    let panel = panels
        .iter(world)
        .find(|(_, _, name)| name.as_str() == "caption panel")
        .map(|(t, _, _)| t.translation)
        .expect("a caption panel");
    let panel_distance = (panel - view.eye).length();
    assert!(panel_distance >= MIN_DISTANCE_M);
    assert!(
        seating::text_angle_deg(panel_distance) >= MIN_TEXT_DEG,
        "panel at {panel} from the eye at {}: {panel_distance} m",
        view.eye
    );
    // The caption is read on the panel; the window's own is hidden, so the
    // mirror does not show it twice.
    let mut captions = world.query::<(&Text, &Visibility, Has<PanelText>)>();
    let (mut on_panel, mut in_window) = (vec![], vec![]);
    for (text, visibility, panel) in captions.iter(world) {
        if panel {
            on_panel.push(text.0.clone());
        } else if text.0.starts_with("Breathe") {
            in_window.push(*visibility);
        }
    }
    assert!(
        on_panel.iter().any(|t| t.starts_with("Breathe")),
        "{on_panel:?}"
    );
    assert_eq!(in_window, [Visibility::Hidden]);

    // Losing focus pauses, for the headset; regaining it goes on.
    let set_state = |h: &mut Harness, state| {
        h.app.world_mut().resource_mut::<HeadsetStatus>().state = Some(state);
        h.step();
        h.step();
        h.app.world().resource::<SessionSnapshot>().clone()
    };
    assert_eq!(
        set_state(&mut h, openxr::SessionState::FOCUSED).flow,
        Flow::Running
    );
    let unfocused = set_state(&mut h, openxr::SessionState::VISIBLE);
    assert_eq!(unfocused.flow, Flow::Paused);
    assert_eq!(unfocused.paused_for.to_string(), "headset");
    let text_on_panel = |h: &mut App| {
        let world = h.world_mut();
        world
            .query_filtered::<&Text, With<PanelText>>()
            .single(world)
            .unwrap()
            .0
            .clone()
    };
    assert!(text_on_panel(&mut h.app).starts_with("Paused while the headset is off"));
    assert_eq!(
        set_state(&mut h, openxr::SessionState::FOCUSED).flow,
        Flow::Running
    );
    assert!(text_on_panel(&mut h.app).starts_with("Breathe"));

    // The headset gone: the window is the view again, paused, the eyes gone.
    h.app.world_mut().resource_mut::<HeadsetStatus>().lost = Some("test".into());
    h.step();
    h.step();
    h.step();
    let snap = h.app.world().resource::<SessionSnapshot>().clone();
    assert_eq!(snap.presentation, Presentation::Desktop);
    assert_eq!(snap.flow, Flow::Paused);
    assert_eq!(snap.paused_for.to_string(), "person");
    assert!(
        heard(&h.app)
            .iter()
            .any(|m| matches!(m, Lifecycle::HeadsetLost { .. }))
    );
    let world = h.app.world_mut();
    assert_eq!(world.query::<&XrCamera>().iter(world).count(), 0);
    let camera = world
        .query_filtered::<&Transform, With<ViewCamera>>()
        .single(world)
        .unwrap();
    assert!(
        camera.translation.abs_diff_eq(view.eye, 1e-3),
        "the window's view is not at the seat"
    );
}

#[test]
fn in_the_headset_the_safe_place_opens_behind_the_veil_within_half_a_second() {
    use bevy_mod_xr::session::XrTrackingRoot;
    use stillpoint::app::harness::{FRAME, Harness};

    let mut h = Harness::new(&scenes_dir(), "forest_clearing.ron");
    assert!(h.until_shown(3_000));
    // The lake (the forest's safe place) loaded ahead.
    for _ in 0..3_000 {
        if h.app.world().resource::<Assets<SceneAsset>>().len() >= 2 {
            break;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    let root = |h: &mut Harness| {
        let world = h.app.world_mut();
        *world
            .query_filtered::<&Transform, With<XrTrackingRoot>>()
            .single(world)
            .unwrap()
    };
    let in_forest = root(&mut h);
    ask(&mut h.app, Intent::SafePlace);
    let mut frames = 0;
    while h.app.world().resource::<CurrentScene>().path != "lake_dusk.ron" && frames < 200 {
        h.step();
        frames += 1;
        // The person's seat moves only once the veil is closed.
        if root(&mut h) != in_forest {
            assert_eq!(h.app.world().resource::<Veil>().alpha(), 1.0);
        }
    }
    let took = FRAME * frames;
    assert!(
        took <= Duration::from_millis(500),
        "the safe place took {took:?}"
    );
    for _ in 0..60 {
        h.step();
    }
    assert_ne!(root(&mut h), in_forest, "the seat is the lake's");
    assert!(matches!(
        h.app.world().resource::<SessionSnapshot>().place,
        Some(Place::SafePlace { .. })
    ));
}

#[test]
fn in_the_headset_a_suggested_break_is_read_on_the_panel_and_the_menu_button_takes_it() {
    use stillpoint::app::harness::Harness;
    use stillpoint::overlay::BREAK_WORDS;
    use stillpoint::overlay::panel::PanelText;
    use stillpoint::state::BreakAdvice;

    let mut h = Harness::new(&scenes_dir(), "lake_dusk.ron");
    assert!(h.until_shown(3_000));
    h.app
        .insert_resource(BreakAdvice::new(Some(Duration::from_secs(2))));
    // Two seconds of use, then a second for the words to fade in.
    for _ in 0..300 {
        h.step();
    }
    let world = h.app.world_mut();
    let words = world
        .query_filtered::<&Text, With<PanelText>>()
        .single(world)
        .unwrap()
        .0
        .clone();
    assert_eq!(words, BREAK_WORDS);
    let snap = h.app.world().resource::<SessionSnapshot>().clone();
    assert!(snap.break_suggested && snap.flow == Flow::Running);
    // The menu button asks what Esc asks: with a break suggested, the
    // pause is the break.
    let state = h.app.world().resource::<stillpoint::state::AppState>();
    assert_eq!(
        state.pause_or_go_on(snap.break_suggested),
        Intent::Pause(PauseReason::Break)
    );
}

#[test]
fn while_the_therapist_holds_the_session_the_pause_offers_no_key_that_does_nothing() {
    let (dir, _) = scene_folder("therapist-pause", "spiders.ron", "spiders.ron");
    let mut app = app_on(&dir, "spiders.ron", FRAME_60, None);
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 1
    ));
    let words = |app: &mut App| -> Vec<String> {
        let world = app.world_mut();
        // Every text the overlay holds; the pause panel's say what the
        // keys do for the pause there is now.
        let mut texts = world.query::<&Text>();
        texts.iter(world).map(|t| t.0.clone()).collect()
    };
    // Waiting for the therapist: Esc cannot go on, and the steps are theirs.
    ask(&mut app, Intent::Pause(PauseReason::Therapist));
    for _ in 0..3 {
        app.update();
    }
    let seen = words(&mut app);
    assert!(
        seen.iter().any(|t| t == "Paused by your therapist"),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|t| t.contains("Your therapist goes on")),
        "{seen:#?}"
    );
    assert!(
        !seen
            .iter()
            .any(|t| t.contains("Esc  go on") || t.contains("Up / Down")),
        "{seen:#?}"
    );
    // Paused by the person: Esc goes on, and the steps are listed.
    ask(&mut app, Intent::Resume(PauseReason::Therapist));
    ask(&mut app, Intent::Pause(PauseReason::Person));
    for _ in 0..3 {
        app.update();
    }
    let seen = words(&mut app);
    assert!(seen.iter().any(|t| t.contains("Esc  go on")), "{seen:#?}");
    assert!(seen.iter().any(|t| t.contains("Up / Down")), "{seen:#?}");
}
