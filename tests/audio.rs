//! The mix, rendered offline: loudness and peaks of every shipped scene,
//! spatial cues through the whole mix, pause, resume and stop, a guided
//! session started mid-way, and a mix that never allocates while it plays.

use std::path::Path;
use std::sync::Arc;

use stillpoint::audio::engine::{
    Bed, CHIME_LEAD, Command, Garbage, GuideChange, MixSettings, Mixer, PlacedSound, mix_link,
    render_offline,
};
use stillpoint::audio::loudness::integrated_lufs;
use stillpoint::audio::spatial::{Emitter, Listener};
use stillpoint::audio::voices::SoundKind;
use stillpoint::audio::{SAMPLE_RATE_HZ, scene_sounds, seated_listener};
use stillpoint::breath::session::load_session;
use stillpoint::breath::time::{micros_from_frames, micros_from_s};
use stillpoint::breath::{Guide, Rhythm};
use stillpoint::commands::choose::session_named_by;
use stillpoint::scene::model::Scene;

use crate::common::{Onsets, chime_onsets, scenes_dir, shipped_scenes};

/// -1 dBFS as a sample value.
const CEILING: f32 = 0.891_250_9;

fn load_scene(path: &Path) -> Scene {
    stillpoint::scene::load_scene(path).expect("valid scene")
}

/// The mix of `scene` and `guide` over `seconds`, heard from the seat.
fn render_scene(
    scene: &Scene,
    guide: Option<&Guide>,
    settings: MixSettings,
    seconds: f64,
) -> Vec<f32> {
    render_offline(
        &scene_sounds(scene),
        guide.map(|g| g.schedule.clone()),
        settings,
        seated_listener(scene),
        (seconds * f64::from(SAMPLE_RATE_HZ)) as usize,
    )
}

fn guide_of(path: &Path) -> Guide {
    let session = session_named_by(path).expect("every shipped scene names a session");
    Guide::from_file(&load_session(&session).expect("valid session"), None).expect("room to hold")
}

fn split(interleaved: &[f32]) -> (Vec<f32>, Vec<f32>) {
    interleaved.chunks_exact(2).map(|f| (f[0], f[1])).unzip()
}

fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
}

fn lufs(interleaved: &[f32]) -> f32 {
    let (l, r) = split(interleaved);
    integrated_lufs(&l, &r)
}

#[test]
fn every_scene_is_quiet_never_clips_and_every_sound_sounds() {
    for path in shipped_scenes() {
        let scene = load_scene(&path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Exposure scenes run without the pacer unless it is asked for;
        // they are checked with a guided session all the same.
        let guide = if scene.exposure.is_some() {
            Guide::from_file(
                &load_session(&scenes_dir().join("sessions/resonance.ron")).unwrap(),
                None,
            )
            .unwrap()
        } else {
            guide_of(&path)
        };
        // The whole mix at the loudest the settings allow, to test the
        // limiter where it works hardest, and at the default.
        let loud = MixSettings {
            master: 2.0,
            nature: 2.0,
            pacer: 2.0,
            tone: true,
            ..MixSettings::default()
        };
        let mix = render_scene(&scene, Some(&guide), loud, 60.0);
        assert!(
            peak(&mix) <= CEILING,
            "{name}: peak {} dBFS at full volume",
            20.0 * peak(&mix).log10()
        );
        let default = render_scene(&scene, Some(&guide), MixSettings::default(), 60.0);
        assert!(
            peak(&default) <= CEILING,
            "{name}: clipped at the default volume"
        );

        let nature_only = MixSettings {
            pacer: 0.0,
            ..MixSettings::default()
        };
        let nature = lufs(&render_scene(&scene, None, nature_only, 60.0));
        let pacer_only = MixSettings {
            nature: 0.0,
            ..MixSettings::default()
        };
        let pacer = lufs(&render_scene(&scene, Some(&guide), pacer_only, 60.0));
        println!("{name}: nature {nature:.1} LUFS, pacer {pacer:.1} LUFS");
        assert!(
            (-33.0..=-27.0).contains(&nature),
            "{name}: nature at {nature:.1} LUFS; expected about -30"
        );
        assert!(
            pacer > nature && pacer < nature + 6.0,
            "{name}: pacer at {pacer:.1} LUFS; expected a little above nature's {nature:.1}"
        );

        // Each placed sound on its own is heard at the seat.
        let listener = seated_listener(&scene);
        for (i, sound) in scene_sounds(&scene).iter().enumerate() {
            if !sound.on {
                // Off until a step turns it on: silent now, heard then.
                let off = render_offline(
                    std::slice::from_ref(sound),
                    None,
                    nature_only,
                    listener,
                    SAMPLE_RATE_HZ as usize * 5,
                );
                assert_eq!(peak(&off), 0.0, "{name}: sound {i} plays though it is off");
            }
            let sound = &stillpoint::audio::engine::PlacedSound { on: true, ..*sound };
            let alone = render_offline(
                std::slice::from_ref(sound),
                None,
                nature_only,
                listener,
                SAMPLE_RATE_HZ as usize * 30,
            );
            let level = lufs(&alone);
            assert!(
                level > -60.0,
                "{name}: sound {i} ({:?}) is silent at the seat ({level:.1} LUFS)",
                sound.kind
            );
        }
    }
}

/// Lag of `b` behind `a` in samples, by cross-correlation over ±`max`.
fn lag(a: &[f32], b: &[f32], max: i64) -> i64 {
    let n = a.len() as i64;
    (-max..=max)
        .max_by(|&x, &y| {
            let corr = |lag: i64| -> f64 {
                (max..n - max)
                    .map(|i| f64::from(a[i as usize]) * f64::from(b[(i + lag) as usize]))
                    .sum()
            };
            corr(x).total_cmp(&corr(y))
        })
        .unwrap_or(0)
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

#[test]
fn a_sound_on_the_left_is_louder_and_earlier_on_the_left_until_the_head_turns() {
    let sound = PlacedSound {
        kind: SoundKind::LeafWind,
        emitter: Emitter {
            position: [-4.0, 1.2, 0.0],
            gain_db: 0.0,
            size_m: 0.5,
        },
        seed: 7,
        on: true,
    };
    let settings = MixSettings {
        pacer: 0.0,
        ..MixSettings::default()
    };
    let frames = SAMPLE_RATE_HZ as usize * 4;
    let facing_north = Listener::from_yaw([0.0, 1.2, 0.0], 0.0);
    let turned = Listener::from_yaw([0.0, 1.2, 0.0], std::f32::consts::PI);
    // Skip the fade-in; compare the last second.
    let tail = |mix: Vec<f32>| {
        let (l, r) = split(&mix);
        let from = l.len() - SAMPLE_RATE_HZ as usize;
        (l[from..].to_vec(), r[from..].to_vec())
    };
    let (l, r) = tail(render_offline(
        &[sound],
        None,
        settings,
        facing_north,
        frames,
    ));
    assert!(
        rms(&l) > rms(&r) * 1.4,
        "left {} right {}",
        rms(&l),
        rms(&r)
    );
    let right_lag = lag(&l, &r, 48);
    assert!(
        (20..=34).contains(&right_lag),
        "the right ear lags by {right_lag} samples"
    );

    let (l, r) = tail(render_offline(&[sound], None, settings, turned, frames));
    assert!(
        rms(&r) > rms(&l) * 1.4,
        "left {} right {}",
        rms(&l),
        rms(&r)
    );
    let left_lag = lag(&r, &l, 48);
    assert!(
        (20..=34).contains(&left_lag),
        "the left ear lags by {left_lag} samples"
    );

    // Mono: both ears the same.
    let mono = MixSettings {
        mono: true,
        ..settings
    };
    let (l, r) = tail(render_offline(&[sound], None, mono, facing_north, frames));
    let largest_difference = l
        .iter()
        .zip(&r)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        largest_difference < 1e-6,
        "mono differs by {largest_difference}"
    );
}

/// Only the chime, so its onsets can be found in the sound itself.
fn chime_only() -> MixSettings {
    MixSettings {
        nature: 0.0,
        swell: false,
        tone: false,
        chime: true,
        ..MixSettings::default()
    }
}

fn frames(seconds: f64) -> usize {
    (seconds * f64::from(SAMPLE_RATE_HZ)) as usize
}

#[test]
fn pausing_holds_the_mix_in_place_silently_resuming_goes_on_from_there_and_stop_is_for_good() {
    let lake = load_scene(&crate::common::scenes_dir().join("lake_dusk.ron"));
    let guide = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
    let mut mixer = Mixer::new(
        &scene_sounds(&lake),
        Some(guide.schedule.clone()),
        MixSettings::default(),
        seated_listener(&lake),
    );
    let clock = mixer.clock();
    let mut out = vec![0.0f32; frames(1.0) * 2];
    for _ in 0..5 {
        mixer.render(&mut out);
    }
    assert!(
        out.iter().any(|s| s.abs() > 1e-3),
        "no sound before the pause"
    );
    mixer.apply(Command::Pause);
    // The fade out (1.5 s), then held.
    mixer.render(&mut out);
    mixer.render(&mut out);
    let held = mixer.session_frames();
    for _ in 0..5 {
        mixer.render(&mut out);
        assert!(out.iter().all(|&s| s == 0.0), "sound while paused");
        assert_eq!(
            mixer.session_frames(),
            held,
            "the session moved while paused"
        );
    }
    assert!(!clock.read().advancing);
    assert_eq!(clock.read().session_frames, held);
    mixer.apply(Command::Resume);
    mixer.render(&mut out);
    assert_eq!(
        mixer.session_frames(),
        held + frames(1.0) as u64,
        "resumed elsewhere"
    );
    mixer.render(&mut out);
    assert!(
        out[frames(0.5)..].iter().any(|s| s.abs() > 1e-3),
        "silent after resuming"
    );
    mixer.apply(Command::Stop);
    mixer.render(&mut out);
    assert!(mixer.is_stopped());
    mixer.render(&mut out);
    assert!(out.iter().all(|&s| s == 0.0));
    // Stopped is for good: resuming does not bring it back.
    mixer.apply(Command::Resume);
    mixer.render(&mut out);
    assert!(mixer.is_stopped() && out.iter().all(|&s| s == 0.0));
}

#[test]
fn a_session_started_mid_way_chimes_to_its_own_rhythm_from_its_sample_and_the_clock_never_jumps() {
    // Resonance (4 s in, 6 s out) from the start; at 25 s, box breathing
    // (4 s each of in, hold, out, hold) from its own first breath. The
    // chimes expected come from those numbers: 150 ms before each change.
    let resonance = Guide::rhythm_only(Rhythm::from_seconds(4.0, 0.0, 6.0, 0.0), None, 5.0);
    let boxed = Guide::rhythm_only(Rhythm::from_seconds(4.0, 4.0, 4.0, 4.0), None, 5.0);
    let switch_s = 25.0;
    let mut expected: Vec<f64> = (0..3)
        .flat_map(|breath| [4.0, 10.0].map(|t| f64::from(breath) * 10.0 + t))
        .filter(|&t| t < switch_s)
        .collect();
    expected.extend((1..=6).map(|k| switch_s + 4.0 * f64::from(k)));
    let lead = CHIME_LEAD as f64 / 1e6;

    let mut mixer = Mixer::new(
        &[],
        Some(resonance.schedule.clone()),
        chime_only(),
        Listener::from_yaw([0.0; 3], 0.0),
    );
    let mut found = vec![];
    let mut detector = Onsets::default();
    let mut block = vec![0.0f32; 64 * 2];
    let mut frame = 0u64;
    let mut last_session = mixer.session_frames();
    let end = frames(switch_s + 24.5) as u64;
    while frame < end {
        if frame == frames(20.0) as u64 {
            mixer.apply(Command::Guide(GuideChange {
                schedule: Some(boxed.schedule.clone()),
                origin: micros_from_s(switch_s),
            }));
        }
        mixer.render(&mut block);
        let left: Vec<f32> = block.chunks_exact(2).map(|f| f[0]).collect();
        chime_onsets(&left, frame, &mut detector, &mut found);
        frame += 64;
        // The clock moves on by exactly the samples played: no jump.
        let now = mixer.session_frames();
        assert_eq!(now, last_session + 64, "the clock jumped at frame {frame}");
        last_session = now;
    }
    // The n-th sample out is session time n: the limiter's look-ahead is
    // taken out of the clock.
    let heard: Vec<f64> = found
        .iter()
        .map(|&f| micros_from_frames(f, SAMPLE_RATE_HZ) as f64 / 1e6)
        .collect();
    assert_eq!(
        heard.len(),
        expected.len(),
        "chimes at {heard:?}, expected before {expected:?}"
    );
    for (got, want) in heard.iter().zip(&expected) {
        assert!(
            (got - (want - lead)).abs() < 0.003,
            "a chime at {got:.4} s; expected {:.4} s (before the change at {want} s)",
            want - lead
        );
    }
}

/// Counts heap allocations and frees made on the current thread.
pub fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = crate::allocations_here();
    let value = f();
    (value, crate::allocations_here() - before)
}

#[test]
fn the_mix_never_allocates_or_frees_while_it_plays_whatever_it_is_sent() {
    let lake = load_scene(&crate::common::scenes_dir().join("lake_dusk.ron"));
    let forest = load_scene(&crate::common::scenes_dir().join("forest_clearing.ron"));
    let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
    let boxed = Guide::rhythm_only(Rhythm::box_breathing(), None, 5.0);
    let (app, mix) = mix_link();
    let mut mixer = Mixer::new(
        &scene_sounds(&lake),
        Some(resonance.schedule.clone()),
        MixSettings::default(),
        seated_listener(&lake),
    )
    .with_end(mix);
    let mut out = vec![0.0f32; frames(0.01) * 2];
    // Ten seconds at a time, 10 ms per call as an output asks.
    let mut play = |mixer: &mut Mixer, seconds: f64| {
        let calls = (seconds / 0.01) as usize;
        let ((), touched) = counted(|| {
            for _ in 0..calls {
                mixer.render(&mut out);
            }
        });
        touched
    };
    // The first blocks may set up what they need; after that, nothing.
    play(&mut mixer, 1.0);
    let mut touched = play(&mut mixer, 5.0);
    let turning = seated_listener(&lake);
    for step in 0..50 {
        let mut listener = turning;
        listener.forward = [(step as f32 * 0.1).sin(), 0.0, -(step as f32 * 0.1).cos()];
        app.listener.put(listener);
        touched += play(&mut mixer, 0.1);
    }
    let sent = [
        Command::Nature(Bed::new(&scene_sounds(&forest))),
        Command::Guide(GuideChange {
            schedule: Some(Arc::clone(&boxed.schedule)),
            origin: micros_from_s(12.0),
        }),
        Command::Settings(MixSettings {
            master: 0.5,
            mono: true,
            tone: true,
            ..MixSettings::default()
        }),
        Command::Pause,
        Command::Resume,
        Command::Nature(Bed::new(&scene_sounds(&lake))),
        Command::Guide(GuideChange {
            schedule: None,
            origin: micros_from_s(30.0),
        }),
        Command::Stop,
    ];
    let mut freed = 0;
    for command in sent {
        app.commands.try_send(command).expect("room in the queue");
        touched += play(&mut mixer, 4.0);
        // What the mix is done with comes back, and is freed here.
        while let Ok(garbage) = app.garbage.try_recv() {
            assert!(matches!(garbage, Garbage::Bed(_) | Garbage::Schedule(_)));
            freed += 1;
        }
    }
    assert_eq!(
        touched, 0,
        "the mix allocated or freed {touched} times while playing"
    );
    assert!(mixer.is_stopped());
    // Two scenes' sounds and two schedules came back to be freed.
    assert_eq!(freed, 4, "{freed} things came back");
}

/// Renders `scene`'s sounds heard from `listener` for `before_s`, fires
/// `shot`, and renders `after_s` more.
fn render_with_shot(
    scene: &Scene,
    listener: Listener,
    settings: MixSettings,
    shot: stillpoint::audio::shots::Shot,
    before_s: f32,
    after_s: f32,
) -> Vec<f32> {
    let mut mixer = Mixer::new(&scene_sounds(scene), None, settings, listener);
    let frames = |s: f32| (s * SAMPLE_RATE_HZ as f32) as usize * 2;
    let mut out = vec![0.0; frames(before_s) + frames(after_s)];
    let (first, rest) = out.split_at_mut(frames(before_s));
    mixer.render(first);
    mixer.apply(Command::Shot(shot));
    mixer.render(rest);
    out
}

#[test]
fn no_event_is_sudden_or_loud_and_each_is_heard() {
    use stillpoint::audio::loudness::momentary_lufs;
    let mut wrong = Vec::new();
    for name in ["heights.ron", "spiders.ron"] {
        let scene = load_scene(&scenes_dir().join(name));
        let plan = scene.exposure.as_ref().expect("an exposure scene");
        for (event, &step) in plan
            .events
            .iter()
            .flat_map(|e| e.steps.iter().map(move |s| (e, s)))
        {
            // Heard where each step that allows it puts the person.
            let place = plan.state_at(step, &plan.opening(0.0)).place;
            let place = &plan.places[place];
            let listener = Listener::from_yaw(place.eye, -place.heading_deg.to_radians());
            let Some(shot) = stillpoint::audio::shot_for(event, place.eye, 1) else {
                continue;
            };
            let before = 6.0;
            let default = render_with_shot(
                &scene,
                listener,
                MixSettings::default(),
                shot,
                before,
                event.seconds + 2.0,
            );
            // The same mix without the event: the mix is deterministic,
            // so the difference, window by window, is the event's own.
            let mut without = vec![0.0; default.len()];
            Mixer::new(
                &scene_sounds(&scene),
                None,
                MixSettings::default(),
                listener,
            )
            .render(&mut without);
            let momentary = |mix: &[f32]| {
                let (l, r) = split(mix);
                momentary_lufs(&l, &r)
            };
            let (with, alone) = (momentary(&default), momentary(&without));
            let from = (before * 10.0) as usize;
            let (rise, at) = with[from..]
                .iter()
                .zip(&alone[from..])
                .enumerate()
                .map(|(i, (a, b))| (a - b, i))
                .fold((f32::NEG_INFINITY, 0), |m, x| if x.0 > m.0 { x } else { m });
            println!(
                "{name}: {} at step {}: +{rise:.1} LU at most ({:.1} s in, {:.1} LUFS), peak {:.1} dBFS",
                event.name,
                step + 1,
                at as f32 / 10.0,
                with[from + at],
                20.0 * peak(&default).log10()
            );
            if rise > 10.0 {
                wrong.push(format!(
                    "{name}: {} raises the momentary loudness by {rise:.1} LU",
                    event.name
                ));
            }
            if rise < 2.0 {
                wrong.push(format!(
                    "{name}: {} is hardly heard (+{rise:.1} LU)",
                    event.name
                ));
            }
            assert!(peak(&default) <= CEILING, "{name}: {} clips", event.name);
            // At the loudest the settings allow, the limiter holds it.
            let loud = MixSettings {
                master: 2.0,
                nature: 2.0,
                ..MixSettings::default()
            };
            let loudest = render_with_shot(&scene, listener, loud, shot, 2.0, event.seconds + 1.0);
            assert!(
                peak(&loudest) <= CEILING,
                "{name}: {} peaks at {:.1} dBFS at full volume",
                event.name,
                20.0 * peak(&loudest).log10()
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
