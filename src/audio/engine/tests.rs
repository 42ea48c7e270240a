//! The mix's unit tests: a scene switch crossfades and frees off the audio
//! thread; changes of session asked in quick succession each take over at
//! their own sample.

use std::sync::Arc;

use super::*;
use crate::audio::spatial::Emitter;
use crate::audio::voices::SoundKind;
use crate::breath::time::micros_from_frames;

fn sound(kind: SoundKind) -> PlacedSound {
    PlacedSound {
        kind,
        emitter: Emitter {
            position: [0.0, 1.0, -5.0],
            gain_db: 0.0,
            size_m: 2.0,
        },
        seed: 3,
        on: true,
    }
}

#[test]
fn a_scene_switch_crossfades_and_frees_the_old_sounds_off_the_audio_thread() {
    let (app, mix) = mix_link();
    let graveyard = app.garbage;
    let listener = Listener::from_yaw([0.0, 1.2, 0.0], 0.0);
    let mut mixer = Mixer::new(
        &[sound(SoundKind::Surf)],
        None,
        MixSettings::default(),
        listener,
    )
    .with_end(mix);
    let mut out = vec![0.0f32; SAMPLE_RATE_HZ as usize * 2 * 4];
    mixer.render(&mut out);
    mixer.apply(Command::Nature(Bed::new(&[sound(SoundKind::Rain)])));
    // Mid-crossfade both scenes sound; nothing is freed yet.
    mixer.render(&mut out[..SAMPLE_RATE_HZ as usize * 2]);
    assert!(graveyard.try_recv().is_err());
    assert_eq!(mixer.beds.len(), 2);
    // After the crossfade the old scene's sounds come back to be freed.
    mixer.render(&mut out);
    assert_eq!(mixer.beds.len(), 1);
    assert!(matches!(graveyard.try_recv(), Ok(Garbage::Bed(_))));
    // And the new scene sounds without a gap.
    let tail = &out[out.len() - 96_000..];
    assert!(tail.iter().any(|&s| s.abs() > 1e-4));
}

#[test]
fn changes_asked_in_quick_succession_each_take_over_at_their_own_sample() {
    use crate::breath::{Guide, Rhythm};
    let guide = |r| Guide::rhythm_only(r, None, 5.0).schedule;
    let (a, b, c) = (
        guide(Rhythm::resonance()),
        guide(Rhythm::box_breathing()),
        guide(Rhythm::cyclic_sighing()),
    );
    let (app, mix) = mix_link();
    let listener = Listener::from_yaw([0.0; 3], 0.0);
    let mut mixer =
        Mixer::new(&[], Some(a.clone()), MixSettings::default(), listener).with_end(mix);
    let mut out = vec![0.0f32; 480 * 2];
    let follows = |mixer: &Mixer, s: &Arc<Schedule>| {
        mixer
            .guide
            .as_ref()
            .is_some_and(|g| Arc::ptr_eq(&g.schedule, s))
    };
    for (schedule, origin) in [(&b, 1_000_000), (&c, 1_050_000)] {
        mixer.apply(Command::Guide(GuideChange {
            schedule: Some(schedule.clone()),
            origin,
        }));
    }
    // 0.99 s: still the first; 1.02 s: the second; 1.06 s: the third.
    for (until, now) in [(990_000, &a), (1_020_000, &b), (1_060_000, &c)] {
        while micros_from_frames(mixer.synth_frame, SAMPLE_RATE_HZ) < until {
            mixer.render(&mut out);
        }
        assert!(follows(&mixer, now), "at {until} µs");
    }
    let back: Vec<Garbage> = app.garbage.try_iter().collect();
    assert_eq!(back.len(), 2, "the first two schedules came back");
}
