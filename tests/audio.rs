//! The mix, rendered offline: loudness and peaks of every shipped scene,
//! spatial cues through the whole mix, and sound in step with the breathing
//! model over half an hour.

use std::path::Path;

use stillpoint::audio::engine::{CHIME_LEAD, MixSettings, Mixer, PlacedSound, render_offline};
use stillpoint::audio::loudness::integrated_lufs;
use stillpoint::audio::spatial::{Emitter, Listener};
use stillpoint::audio::voices::SoundKind;
use stillpoint::audio::{SAMPLE_RATE_HZ, render_scene, scene_sounds, seated_listener};
use stillpoint::breath::Guide;
use stillpoint::breath::schedule::micros_from_frames;
use stillpoint::breath::session::load_session;
use stillpoint::launch::session_named_by;
use stillpoint::scene::format::SceneFile;
use stillpoint::scene::parse::parse_scene;

use crate::common::{scenes_dir, shipped_scenes};

/// -1 dBFS as a sample value.
const CEILING: f32 = 0.891_250_9;

fn load_scene(path: &Path) -> SceneFile {
    let bytes = std::fs::read(path).expect("readable scene");
    let folder = path.parent().expect("scene folder").to_path_buf();
    parse_scene("scene", &bytes, &|p| folder.join(p).is_file()).expect("valid scene")
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
        let guide = guide_of(&path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
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

/// Finds chime onsets: the first sample of each sharp rise, where the
/// signal jumps above twice the largest value of the 10 ms before it (the
/// tail of the previous chime) and above an absolute floor.
fn onsets(samples: &[f32], first_frame: u64, found: &mut Vec<u64>, state: &mut Detector) {
    for (i, &x) in samples.iter().enumerate() {
        let frame = first_frame + i as u64;
        let level = x.abs();
        state.history[state.at] = level;
        state.at = (state.at + 1) % state.history.len();
        if frame < state.quiet_until {
            continue;
        }
        // The largest value between 12 ms and 2 ms ago.
        let len = state.history.len();
        let before = (0..len - 96)
            .map(|k| state.history[(state.at + k) % len])
            .fold(0.0f32, f32::max);
        if level > 1e-4 && level > 2.0 * before {
            found.push(frame);
            // One chime per rise: ignore the next 500 ms.
            state.quiet_until = frame + u64::from(SAMPLE_RATE_HZ) / 2;
        }
    }
}

struct Detector {
    history: Vec<f32>,
    at: usize,
    quiet_until: u64,
}

#[test]
fn the_chimes_heard_fall_where_the_model_says_for_half_an_hour() {
    let mut session = load_session(&scenes_dir().join("sessions/resonance.ron")).expect("valid");
    session.minutes = 30.0;
    let guide = Guide::from_file(&session, None).expect("room to hold");
    let schedule = guide.schedule.clone();
    // Only the chime, so its onsets can be found in the sound itself.
    let settings = MixSettings {
        nature: 0.0,
        swell: false,
        tone: false,
        chime: true,
        ..MixSettings::default()
    };
    let mut mixer = Mixer::new(
        &[],
        Some(schedule.clone()),
        settings,
        Listener::from_yaw([0.0; 3], 0.0),
    );
    let total_frames = schedule.length() * u64::from(SAMPLE_RATE_HZ) / 1_000_000 + 4800;
    let mut chunk = vec![0.0f32; 48_000 * 2];
    let mut mono = vec![0.0f32; 48_000];
    let mut found = Vec::new();
    let mut detector = Detector {
        history: vec![0.0; 576],
        at: 0,
        quiet_until: 0,
    };
    let mut frame = 0u64;
    while frame < total_frames {
        mixer.render(&mut chunk);
        for (m, pair) in mono.iter_mut().zip(chunk.chunks_exact(2)) {
            *m = pair[0];
        }
        onsets(&mono, frame, &mut found, &mut detector);
        frame += 48_000;
    }

    let expected: Vec<i64> = schedule
        .changes()
        .filter(|&t| t >= CHIME_LEAD)
        .map(|t| (t - CHIME_LEAD) as i64)
        .collect();
    assert_eq!(
        found.len(),
        expected.len(),
        "one chime heard per phase change"
    );
    let errors_ms: Vec<f64> = found
        .iter()
        .zip(&expected)
        .map(|(&frame, &want)| {
            (micros_from_frames(frame, SAMPLE_RATE_HZ) as i64 - want) as f64 / 1000.0
        })
        .collect();
    let mean = |e: &[f64]| e.iter().map(|x| x.abs()).sum::<f64>() / e.len() as f64;
    let worst = errors_ms.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    let tenth = errors_ms.len() / 10;
    let (early, late) = (
        mean(&errors_ms[..tenth]),
        mean(&errors_ms[errors_ms.len() - tenth..]),
    );
    println!(
        "{} chimes over {:.0} min: mean error {:.3} ms, worst {worst:.3} ms; first tenth {early:.3} ms, last tenth {late:.3} ms",
        found.len(),
        schedule.length() as f64 / 60e6,
        mean(&errors_ms)
    );
    assert!(mean(&errors_ms) < 2.0, "mean error {} ms", mean(&errors_ms));
    assert!(worst < 5.0, "worst error {worst} ms");
    assert!(
        (late - early).abs() < 0.5,
        "the error grew from {early} ms to {late} ms"
    );
}
