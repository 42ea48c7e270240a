//! Headless app tests: each plugin on a bare app with no window and no GPU.

use std::time::{Duration, Instant};

use bevy::input::mouse::MouseMotion;
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use stillpoint::overlay::{FADE_S, Fade};
use stillpoint::render::{PlantMaterial, WaterMaterial};
use stillpoint::scene::spawn::{SceneRoot, SceneView};
use stillpoint::scene::{CurrentScene, SceneFolder, ShowScene};
use stillpoint::view::{Look, ViewCamera};

use crate::common::{scenes_dir, scratch};

/// A bare app with the scene plugin, loading `file` from `folder`.
fn scene_app(folder: &std::path::Path, file: &str, watch: bool) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: folder.to_string_lossy().into_owned(),
            watch_for_changes_override: Some(watch),
            ..default()
        },
    ));
    app.init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .init_asset::<PlantMaterial>()
        .init_asset::<WaterMaterial>()
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            16,
        )));
    stillpoint::configure_sets(&mut app);
    app.insert_resource(SceneFolder {
        root: folder.to_path_buf(),
    })
    .insert_resource(CurrentScene::new(file))
    .add_plugins((stillpoint::clock::plugin, stillpoint::scene::plugin));
    app
}

/// Updates until `done` holds, for at most `limit` of real time.
fn update_until(app: &mut App, limit: Duration, done: impl Fn(&World) -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        app.update();
        if done(app.world()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

fn generation(world: &World) -> u32 {
    world.resource::<CurrentScene>().generation
}

/// A scratch folder holding the shipped scene `shipped` under the name `as_name`,
/// with the lake beside it (the other scenes name it as their safe place).
/// Returns the folder and the scene's text.
fn scene_folder(test: &str, shipped: &str, as_name: &str) -> (std::path::PathBuf, String) {
    let dir = scratch(test);
    std::fs::copy(
        scenes_dir().join("lake_dusk.ron"),
        dir.join("lake_dusk.ron"),
    )
    .unwrap();
    // The scenes name their sessions, which must be there too.
    std::fs::create_dir_all(dir.join("sessions")).unwrap();
    for entry in std::fs::read_dir(scenes_dir().join("sessions")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("sessions").join(path.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(scenes_dir().join(shipped)).unwrap();
    std::fs::write(dir.join(as_name), &text).unwrap();
    (dir, text)
}

fn scene_entities(app: &mut App) -> usize {
    app.world_mut()
        .query::<&ChildOf>()
        .iter(app.world())
        .count()
}

#[test]
fn a_broken_reload_keeps_the_last_good_scene_and_shows_the_error() {
    let (dir, good) = scene_folder("reload", "forest_clearing.ron", "scene.ron");
    let mut app = scene_app(&dir, "scene.ron", false);
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

    // The fix: the scene is rebuilt and the error goes.
    std::fs::write(
        dir.join("scene.ron"),
        good.replacen("title: \"Forest clearing\"", "title: \"Forest, edited\"", 1),
    )
    .unwrap();
    app.world().resource::<AssetServer>().reload("scene.ron");
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 2
    ));
    let current = app.world().resource::<CurrentScene>();
    assert!(current.error.is_none());
    assert_ne!(current.root, Some(first_root));
    assert!(
        app.world().get_entity(first_root).is_err(),
        "the old scene was not removed"
    );
    assert_eq!(app.world().resource::<SceneView>().title, "Forest, edited");
    let roots = app
        .world_mut()
        .query_filtered::<(), With<SceneRoot>>()
        .iter(app.world())
        .count();
    assert_eq!(roots, 1);
}

#[test]
fn editing_a_scene_file_hot_reloads_it() {
    let (dir, good) = scene_folder("watch", "beach_sunset.ron", "beach.ron");
    let mut app = scene_app(&dir, "beach.ron", true);
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
    let mut app = scene_app(&dir, "bad.ron", false);
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

/// A bare app with the view and overlay plugins and a scene view in place.
fn view_app() -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        bevy::input::InputPlugin,
        bevy::state::app::StatesPlugin,
        AssetPlugin::default(),
    ))
    .init_asset::<stillpoint::scene::SceneAsset>()
    .add_message::<ShowScene>()
    .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
        20,
    )))
    .insert_resource(CurrentScene {
        generation: 1,
        ..CurrentScene::new("scene.ron")
    })
    .insert_resource(SceneView {
        eye: Vec3::new(1.0, 2.0, 3.0),
        heading_deg: 90.0,
        pitch_deg: 0.0,
        fov_deg: 60.0,
        exposure_ev100: 10.0,
        fog_color: (0.5, 0.5, 0.5),
        fog_sun_color: (1.0, 0.9, 0.8),
        fog_visibility_m: 500.0,
        title: "Test".into(),
    });
    stillpoint::configure_sets(&mut app);
    app.add_plugins((stillpoint::view::plugin, stillpoint::overlay::plugin));
    app
}

fn camera_transform(app: &mut App) -> Transform {
    *app.world_mut()
        .query_filtered::<&Transform, With<ViewCamera>>()
        .single(app.world())
        .unwrap()
}

#[test]
fn the_camera_sits_at_the_eye_and_only_the_mouse_turns_it() {
    let mut app = view_app();
    app.update();
    app.update();
    let start = camera_transform(&mut app);
    assert_eq!(start.translation, Vec3::new(1.0, 2.0, 3.0));
    assert!(
        (start.forward().as_vec3() - Vec3::X).length() < 1e-4,
        "heading 90 looks east"
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

#[test]
fn the_safe_place_fades_out_switches_and_fades_in_without_jumps() {
    let mut app = view_app();
    app.update();
    app.world_mut()
        .resource_mut::<Fade>()
        .to_scene("safe.ron".into());
    let mut alphas = vec![];
    let mut requested = None;
    for frame in 0..200 {
        app.update();
        alphas.push(app.world().resource::<Fade>().alpha);
        let messages = app.world().resource::<Messages<ShowScene>>();
        if requested.is_none() && !messages.is_empty() {
            requested = Some(frame);
            // The new scene appears a few frames later.
        }
        if requested.is_some_and(|f| frame == f + 5) {
            app.world_mut().resource_mut::<CurrentScene>().generation += 1;
        }
    }
    let switched = requested.expect("the switch was never asked for");
    assert!(
        (alphas[switched] - 1.0).abs() < 1e-6,
        "switched before the veil closed"
    );
    let frame_s = 0.02;
    let close_frames = (FADE_S / frame_s).ceil() as usize;
    assert!(
        switched <= close_frames + 1,
        "the fade took {switched} frames"
    );
    for pair in alphas.windows(2) {
        assert!(
            (pair[1] - pair[0]).abs() <= frame_s / FADE_S + 1e-4,
            "the veil jumped: {pair:?}"
        );
    }
    assert_eq!(*alphas.last().unwrap(), 0.0, "the veil did not open again");
}

#[test]
fn water_and_sway_follow_the_scene_clock() {
    use stillpoint::clock::SceneClock;
    use stillpoint::render::{Sway, WaterUniform};
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default()))
        .init_asset::<Shader>()
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            250,
        )));
    stillpoint::configure_sets(&mut app);
    app.add_plugins((stillpoint::clock::plugin, stillpoint::render::plugin));
    let water = app
        .world_mut()
        .resource_mut::<Assets<WaterMaterial>>()
        .add(WaterMaterial {
            uniform: WaterUniform::default(),
        });
    let plant = app
        .world_mut()
        .resource_mut::<Assets<PlantMaterial>>()
        .add(PlantMaterial {
            base: StandardMaterial::default(),
            extension: Sway::default(),
        });
    for _ in 0..9 {
        app.update();
    }
    let seconds = app.world().resource::<SceneClock>().seconds as f32;
    assert!((seconds - 2.0).abs() < 1e-4, "{seconds}");
    let water_time = app
        .world()
        .resource::<Assets<WaterMaterial>>()
        .get(&water)
        .unwrap()
        .uniform
        .params
        .x;
    let sway_time = app
        .world()
        .resource::<Assets<PlantMaterial>>()
        .get(&plant)
        .unwrap()
        .extension
        .wind
        .w;
    assert_eq!(water_time, seconds);
    assert_eq!(sway_time, seconds);
}

#[test]
fn asking_for_a_scene_shows_it_even_when_it_is_already_on_screen() {
    let (dir, _) = scene_folder("switch", "forest_clearing.ron", "forest_clearing.ron");
    let mut app = scene_app(&dir, "forest_clearing.ron", false);
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
    // The lake names no safe place of its own: it is one. Asking for it
    // again (as the safe-place key would) still answers, so a fade that
    // waits for the new scene always opens again.
    app.world_mut()
        .write_message(ShowScene("lake_dusk.ron".into()));
    assert!(update_until(
        &mut app,
        Duration::from_secs(60),
        |w| generation(w) == 3
    ));
    let roots = app
        .world_mut()
        .query_filtered::<(), With<SceneRoot>>()
        .iter(app.world())
        .count();
    assert_eq!(roots, 1, "the old scene stayed behind");
}

#[test]
fn the_pacer_shows_the_model_at_the_audio_clock_less_the_output_latency() {
    use std::sync::mpsc::channel;
    use stillpoint::audio::AudioLink;
    use stillpoint::audio::engine::ClockShared;
    use stillpoint::breath::schedule::micros_from_s;
    use stillpoint::breath::{Guide, Phase, Rhythm};
    use stillpoint::clock::SessionClock;
    use stillpoint::pacer::{ActiveGuide, PacerBody, PacerCaption, body_radius_m, caption_text};

    let (dir, _) = scene_folder("pacer", "lake_dusk.ron", "here.ron");
    let mut app = scene_app(&dir, "here.ron", false);
    let guide = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
    let schedule = guide.schedule.clone();
    // The audio clock, driven here by hand instead of by the mix.
    let clock = ClockShared::new();
    let (commands, _mix_side) = channel();
    let latency = micros_from_s(0.25);
    app.insert_resource(AudioLink::new(commands, clock.clone(), false))
        .insert_resource(ActiveGuide(Some(guide)))
        .insert_resource(SessionClock {
            heard: 0,
            latency,
            manual: false,
        })
        .add_plugins(stillpoint::pacer::plugin);
    assert!(update_until(
        &mut app,
        Duration::from_secs(20),
        |w| generation(w) > 0
    ));

    let mut seen_phases = std::collections::HashSet::new();
    // Moments through two breaths, 0.7 s apart, as sample counts.
    for step in 1..30u64 {
        let heard_frames = step * 33_600;
        clock.publish(heard_frames, heard_frames, false);
        app.update();
        let heard = heard_frames * 1_000_000 / 48_000;
        let model = schedule.at(heard - latency);
        let unshifted = schedule.at(heard);
        seen_phases.insert(model.phase);

        let (body, transform) = app
            .world_mut()
            .query::<(&PacerBody, &Transform)>()
            .single(app.world())
            .expect("one pacer in front of the seat");
        let want = body_radius_m(model.fill, body.distance_m);
        assert!(
            (transform.scale.x - want).abs() < 1e-6,
            "at {heard} µs heard: radius {} m, the model says {want} m",
            transform.scale.x
        );
        if (model.fill - unshifted.fill).abs() > 0.01 {
            assert!(
                (transform.scale.x - body_radius_m(unshifted.fill, body.distance_m)).abs() > 1e-4
            );
        }
        let caption = app
            .world_mut()
            .query_filtered::<&Text, With<PacerCaption>>()
            .single(app.world())
            .expect("one caption")
            .0
            .clone();
        assert_eq!(
            caption,
            caption_text(&schedule, &model),
            "at {heard} µs heard"
        );
    }
    assert!(seen_phases.contains(&Phase::Inhale) && seen_phases.contains(&Phase::Exhale));
    // Larger at full lungs than at empty ones.
    assert!(body_radius_m(1.0, 1.5) > 2.0 * body_radius_m(0.0, 1.5));
}

#[test]
fn reduced_motion_shows_no_moving_pacer_only_the_caption_and_a_gentle_brightening() {
    use bevy::camera::Exposure;
    use stillpoint::breath::schedule::micros_from_s;
    use stillpoint::breath::{Guide, Rhythm};
    use stillpoint::clock::SessionClock;
    use stillpoint::pacer::{ActiveGuide, LIGHT_EV_AT_FULL, PacerBody, PacerCaption, PacerOptions};
    use stillpoint::scene::parse::parse_scene;

    let text = std::fs::read(scenes_dir().join("lake_dusk.ron")).unwrap();
    let lake = parse_scene("lake", &text, &|_| true).unwrap();
    let mut app = view_app();
    app.init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .insert_resource(CurrentScene {
            generation: 1,
            shown: Some(lake),
            ..CurrentScene::new("scene.ron")
        })
        .insert_resource(ActiveGuide(Some(Guide::rhythm_only(
            Rhythm::resonance(),
            None,
            5.0,
        ))))
        .insert_resource(PacerOptions {
            reduced_motion: true,
        })
        .insert_resource(SessionClock {
            heard: 0,
            latency: 0,
            manual: true,
        })
        .add_plugins((stillpoint::clock::plugin, stillpoint::pacer::plugin));
    let exposure = |app: &mut App| {
        app.world_mut()
            .query_filtered::<&Exposure, With<ViewCamera>>()
            .single(app.world())
            .unwrap()
            .ev100
    };
    app.update();
    app.update();
    let empty = exposure(&mut app);
    // Full lungs at the end of the first 4 s breath in.
    app.world_mut().resource_mut::<SessionClock>().heard = micros_from_s(4.0);
    app.update();
    let full = exposure(&mut app);
    assert!((empty - 10.0).abs() < 1e-4, "{empty}");
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
fn minus_and_plus_change_the_volume_within_its_range_and_m_switches_mono() {
    use std::sync::mpsc::channel;
    use stillpoint::audio::AudioLink;
    use stillpoint::audio::engine::{ClockShared, Command};

    let mut app = App::new();
    // Keys are pressed by hand below; no input plugin clears them first.
    app.add_plugins((MinimalPlugins, bevy::state::app::StatesPlugin))
        .init_resource::<ButtonInput<KeyCode>>()
        .init_state::<stillpoint::view::Flow>()
        .insert_resource(CurrentScene::new("scene.ron"));
    stillpoint::configure_sets(&mut app);
    let (commands, mix) = channel();
    app.insert_resource(AudioLink::new(commands, ClockShared::new(), false))
        .add_plugins(stillpoint::audio::plugin);
    let press = |app: &mut App, key: KeyCode| {
        app.world_mut()
            .resource_mut::<ButtonInput<KeyCode>>()
            .press(key);
        app.update();
        let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        input.release(key);
        input.clear();
        app.update();
    };
    let master = |app: &App| app.world().resource::<AudioLink>().settings.master;
    press(&mut app, KeyCode::Minus);
    assert!((master(&app) - 0.9).abs() < 1e-6, "{}", master(&app));
    for _ in 0..15 {
        press(&mut app, KeyCode::Equal);
    }
    assert_eq!(master(&app), 2.0, "never above 2");
    for _ in 0..25 {
        press(&mut app, KeyCode::Minus);
    }
    assert_eq!(master(&app), 0.0, "never below 0");
    press(&mut app, KeyCode::KeyM);
    assert!(app.world().resource::<AudioLink>().settings.mono);
    // Every change reached the mix, the last one with mono on.
    let sent: Vec<Command> = mix.try_iter().collect();
    assert!(sent.len() >= 20, "{} commands", sent.len());
    assert!(matches!(sent.last(), Some(Command::Settings(s)) if s.mono && s.master == 0.0));
}

/// The headset's systems on a bare app, with eyes moved by hand as a
/// runtime would: the seat, recentring, the comfort limits of what is
/// placed, the head as the listener, focus pauses and the fall back.
#[test]
fn in_the_headset_the_seat_follows_only_the_head_and_recentring_and_the_pacer_stays_comfortable() {
    use bevy::input::ButtonState;
    use bevy::input::keyboard::{Key, KeyboardInput};
    use bevy_mod_xr::camera::XrCamera;
    use bevy_mod_xr::session::XrTrackingRoot;
    use stillpoint::pacer::PacerBody;
    use stillpoint::view::{Flow, Presentation};
    use stillpoint::xr::harness::Harness;
    use stillpoint::xr::seat::{self, MIN_DISTANCE_M, MIN_TEXT_DEG, PACER_DISTANCE_M};
    use stillpoint::xr::{HeadsetStatus, SeatState};

    let mut h = Harness::new(&scenes_dir(), "lake_dusk.ron");
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
    let seat_yaw = seat::yaw_of(seat::seat(view.eye, view.heading_deg).rotation);

    // Seated at the first pose: eyes at the scene's eye, facing its view.
    let seated = head_in_scene(world, sitting);
    assert!(
        seated.translation.abs_diff_eq(view.eye, 1e-3),
        "{seated:?} vs {}",
        view.eye
    );
    assert!((seat::yaw_of(seated.rotation) - seat_yaw).abs() < 1e-3);

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
    assert!((seat::yaw_of(in_scene.rotation) - (seat_yaw + 0.6)).abs() < 1e-3);

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
    h.app.world_mut().write_message(KeyboardInput {
        key_code: KeyCode::KeyR,
        logical_key: Key::Character("r".into()),
        state: ButtonState::Pressed,
        text: None,
        repeat: false,
        window: Entity::PLACEHOLDER,
    });
    h.step();
    h.step();
    let world = h.app.world_mut();
    let recentred = head_in_scene(world, turned);
    assert!(recentred.translation.abs_diff_eq(view.eye, 1e-3));
    assert!((seat::yaw_of(recentred.rotation) - seat_yaw).abs() < 1e-3);
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
    let ahead = seat::seat(view.eye, view.heading_deg).forward().as_vec3();
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
        seat::text_angle_deg(panel_distance) >= MIN_TEXT_DEG,
        "panel at {panel} from the eye at {}: {panel_distance} m",
        view.eye
    );

    // Losing focus pauses; regaining it goes on.
    let set_state = |h: &mut Harness, state| {
        h.app.world_mut().resource_mut::<HeadsetStatus>().state = Some(state);
        h.step();
        h.step();
        *h.app.world().resource::<State<Flow>>().get()
    };
    assert_eq!(
        set_state(&mut h, openxr::SessionState::FOCUSED),
        Flow::Running
    );
    assert_eq!(
        set_state(&mut h, openxr::SessionState::VISIBLE),
        Flow::Paused
    );
    assert_eq!(
        set_state(&mut h, openxr::SessionState::FOCUSED),
        Flow::Running
    );

    // The headset gone: the window is the view again, paused, the eyes gone.
    h.app.world_mut().resource_mut::<HeadsetStatus>().lost = Some("test".into());
    h.step();
    h.step();
    let world = h.app.world_mut();
    assert_eq!(*world.resource::<Presentation>(), Presentation::Desktop);
    assert_eq!(*world.resource::<State<Flow>>().get(), Flow::Paused);
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
