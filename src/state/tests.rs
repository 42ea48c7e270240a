//! The state's rules, on the state alone.

use super::*;
use crate::breath::{Guide, Rhythm};

fn lake() -> ShownScene {
    ShownScene {
        path: "lake.ron".into(),
        title: "Lake".into(),
        ..ShownScene::default()
    }
}

fn forest() -> ShownScene {
    ShownScene {
        path: "forest.ron".into(),
        title: "Forest".into(),
        safe_scene: Some("lake.ron".into()),
        ..ShownScene::default()
    }
}

fn in_the_forest() -> AppState {
    let mut state = AppState::new(
        "forest.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    );
    state.know(forest());
    state.know(lake());
    state
}

#[test]
fn the_session_runs_only_when_no_reason_to_pause_is_left() {
    let mut state = in_the_forest();
    assert_eq!(state.flow(), Flow::Running);
    let said = state.apply(&Intent::Pause(PauseReason::Person), 0);
    assert_eq!(
        said,
        [Lifecycle::Paused {
            reason: PauseReason::Person
        }]
    );
    state.apply(&Intent::Pause(PauseReason::Headset), 0);
    // The same reason again is one pause, said once.
    assert!(
        state
            .apply(&Intent::Pause(PauseReason::Headset), 0)
            .is_empty()
    );
    state.apply(&Intent::Resume(PauseReason::Headset), 0);
    assert_eq!(state.flow(), Flow::Paused, "the person's pause stays");
    assert_eq!(
        state.paused_for().iter().collect::<Vec<_>>(),
        [PauseReason::Person]
    );
    state.apply(&Intent::Resume(PauseReason::Person), 0);
    assert_eq!(state.flow(), Flow::Running);
    // A therapist's pause is not the person's to take back.
    state.apply(&Intent::Pause(PauseReason::Therapist), 0);
    state.apply(&Intent::Resume(PauseReason::Person), 0);
    assert_eq!(state.flow(), Flow::Paused);
}

#[test]
fn the_person_coming_back_ends_the_break_they_took() {
    let mut state = in_the_forest();
    state.apply(&Intent::Pause(PauseReason::Break), 0);
    assert_eq!(state.paused_for().to_string(), "break");
    let said = state.apply(&Intent::Resume(PauseReason::Person), 0);
    assert_eq!(
        said,
        [Lifecycle::Resumed {
            reason: PauseReason::Break
        }]
    );
    assert_eq!(state.flow(), Flow::Running);
}

#[test]
fn the_safe_place_is_entered_left_and_never_left_by_asking_for_it_again() {
    let mut state = in_the_forest();
    state.apply(&Intent::Pause(PauseReason::Person), 0);
    let said = state.apply(&Intent::SafePlace, 0);
    assert!(said.contains(&Lifecycle::SafePlaceEntered {
        from: "forest.ron".into(),
        safe: "lake.ron".into()
    }));
    assert_eq!(
        *state.place(),
        Place::SafePlace {
            path: "lake.ron".into(),
            return_to: "forest.ron".into()
        }
    );
    assert_eq!(state.flow(), Flow::Running, "the safe place is heard too");
    // Asking again keeps the person where they are, and tells them.
    let said = state.apply(&Intent::SafePlace, 0);
    assert_eq!(
        said,
        [Lifecycle::AlreadySafe {
            scene: "lake.ron".into()
        }]
    );
    assert!(state.place().is_safe_place());
    let said = state.apply(&Intent::LeaveSafePlace, 0);
    assert_eq!(
        said,
        [Lifecycle::SafePlaceLeft {
            from: "lake.ron".into(),
            to: "forest.ron".into()
        }]
    );
    assert_eq!(state.place().scene(), "forest.ron");
    // Leaving when not there changes nothing and says why.
    assert!(matches!(
        state.apply(&Intent::LeaveSafePlace, 0)[..],
        [Lifecycle::Refused {
            why: Refusal::NotInSafePlace,
            ..
        }]
    ));
    assert_eq!(state.place().scene(), "forest.ron");
}

#[test]
fn in_a_scene_that_is_itself_the_safe_place_the_person_is_told_so() {
    let mut state = AppState::new(
        "lake.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    );
    state.know(lake());
    let said = state.apply(&Intent::SafePlace, 0);
    assert_eq!(
        said,
        [Lifecycle::AlreadySafe {
            scene: "lake.ron".into()
        }]
    );
    assert!(!state.place().is_safe_place());
}

#[test]
fn the_safe_place_asked_for_before_its_scene_is_known_is_kept_until_it_is() {
    let mut state = AppState::new(
        "forest.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    );
    assert!(state.apply(&Intent::SafePlace, 0).is_empty());
    assert!(state.resolve_waiting(0).is_empty(), "still not known");
    state.know(forest());
    let said = state.resolve_waiting(0);
    assert!(matches!(said[..], [Lifecycle::SafePlaceEntered { .. }]));
    assert!(state.place().is_safe_place());
}

#[test]
fn the_volume_stays_in_range_on_round_steps_and_nonsense_is_refused() {
    let mut state = in_the_forest();
    state.apply(&Intent::Volume(VolumeChange::By(-1)), 0);
    assert!((state.listening().volume - 0.9).abs() < 1e-6);
    for _ in 0..30 {
        state.apply(&Intent::Volume(VolumeChange::By(1)), 0);
    }
    assert_eq!(state.listening().volume, MAX_VOLUME);
    state.apply(&Intent::Volume(VolumeChange::To(-4.0)), 0);
    assert_eq!(state.listening().volume, 0.0);
    let said = state.apply(&Intent::Volume(VolumeChange::To(f32::NAN)), 0);
    assert!(matches!(
        said[..],
        [Lifecycle::Refused {
            why: Refusal::NotAVolume { .. },
            ..
        }]
    ));
    assert_eq!(state.listening().volume, 0.0);
    state.apply(&Intent::Mono(true), 0);
    assert!(state.listening().mono);
}

#[test]
fn a_new_guide_takes_over_at_a_moment_just_ahead_and_stopping_ends_the_session() {
    let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
    let boxed = Guide::rhythm_only(Rhythm::box_breathing(), None, 5.0);
    let mut state = AppState::new(
        "forest.ron",
        Some(resonance.clone()),
        Listening::default(),
        Presentation::Desktop,
    );
    let heard = 12_000_000;
    let said = state.apply(&Intent::StartGuide(boxed.clone()), heard);
    let origin = heard + GUIDE_LEAD;
    assert!(said.contains(&Lifecycle::SessionStarted {
        title: boxed.title.clone(),
        origin
    }));
    // Until the moment comes, the old one is in force; from it, the new
    // one, from its own start.
    let before = state.guided().at(origin - 1).unwrap();
    assert_eq!(before.guide.schedule, resonance.schedule);
    let after = state.guided().at(origin).unwrap();
    assert_eq!(after.guide.schedule, boxed.schedule);
    assert_eq!(after.at(origin).progress, 0.0);
    let said = state.apply(&Intent::StopGuide, origin + 5_000_000);
    assert!(said.contains(&Lifecycle::SessionEnded {
        title: boxed.title.clone(),
        how: Ending::Stopped
    }));
    assert_eq!(state.flow(), Flow::Ended);
    assert!(state.guided().at(origin + 5_000_000 + GUIDE_LEAD).is_none());
    // Nothing to stop now; a new one can start.
    assert!(matches!(
        state.apply(&Intent::StopGuide, origin + 6_000_000)[..],
        [Lifecycle::Refused {
            why: Refusal::NoGuideRunning,
            ..
        }]
    ));
    state.apply(&Intent::StartGuide(resonance), origin + 7_000_000);
    assert_eq!(state.flow(), Flow::Running);
}

#[test]
fn a_headset_that_goes_leaves_the_window_paused_for_the_person() {
    let mut state = AppState::new(
        "lake.ron",
        None,
        Listening::default(),
        Presentation::Headset,
    );
    state.apply(&Intent::Pause(PauseReason::Headset), 0);
    let said = state.apply(&Intent::HeadsetGone { why: "test".into() }, 0);
    assert_eq!(said[0], Lifecycle::HeadsetLost { why: "test".into() });
    assert_eq!(state.presentation(), Presentation::Desktop);
    assert_eq!(state.paused_for().to_string(), "person");
}

#[test]
fn changes_asked_in_quick_succession_each_come_at_their_own_moment() {
    let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
    let boxed = Guide::rhythm_only(Rhythm::box_breathing(), None, 5.0);
    let sighing = Guide::rhythm_only(Rhythm::cyclic_sighing(), None, 5.0);
    let mut state = AppState::new(
        "forest.ron",
        Some(resonance.clone()),
        Listening::default(),
        Presentation::Desktop,
    );
    state.apply(&Intent::StartGuide(boxed.clone()), 10_000_000);
    state.apply(&Intent::StartGuide(sighing.clone()), 10_050_000);
    let schedule_at = |state: &AppState, t| state.guided().at(t).unwrap().guide.schedule.clone();
    assert_eq!(schedule_at(&state, 10_100_000), resonance.schedule);
    assert_eq!(schedule_at(&state, 10_170_000), boxed.schedule);
    assert_eq!(schedule_at(&state, 10_250_000), sighing.schedule);
    state.guided.settle(10_170_000);
    assert_eq!(schedule_at(&state, 10_170_000), boxed.schedule);
    assert_eq!(
        state.guided().newest_change().map(|(_, at)| at),
        Some(10_050_000 + GUIDE_LEAD)
    );
    state.guided.settle(11_000_000);
    assert!(state.guided().newest_change().is_none());
    assert_eq!(schedule_at(&state, 11_000_000), sighing.schedule);
}

fn spiders() -> ShownScene {
    ShownScene {
        path: "spiders.ron".into(),
        title: "Spiders".into(),
        safe_scene: Some("lake.ron".into()),
        exposure: Some(ExposureFacts {
            steps: (1..=4).map(|n| (format!("s{n}"), String::new())).collect(),
            events: Vec::new(),
            suds_every: 0,
        }),
    }
}

#[test]
fn a_scene_edited_to_fewer_steps_than_the_one_the_person_is_at_says_the_change_of_step() {
    let mut state = AppState::new(
        "spiders.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    );
    assert!(state.learn(spiders(), 0).is_empty(), "the first showing");
    let said = state.apply(&Intent::Step(StepChange::To(4)), 1_000_000);
    assert!(matches!(said[0], Lifecycle::StepChanged { to: 4, .. }));
    // The file is saved with two steps while the person is at the fourth.
    let mut shorter = spiders();
    if let Some(facts) = shorter.exposure.as_mut() {
        facts.steps.truncate(2);
    }
    let said = state.learn(shorter, 2_000_000);
    assert_eq!(
        said.first(),
        Some(&Lifecycle::StepChanged {
            from: 4,
            to: 2,
            name: "s2".into(),
        }),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|m| matches!(m, Lifecycle::SudsAsked { step: 2, .. })),
        "{said:?}"
    );
    // Saved again with four steps: the person stays where they were put.
    assert!(state.learn(spiders(), 3_000_000).is_empty());
    assert_eq!(state.step_now().map(|(_, s)| s), Some(1));
}

#[test]
fn a_scene_change_takes_the_person_there_and_an_exposure_scene_arrives_with_the_pacer_off() {
    let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 5.0);
    let mut state = AppState::new(
        "lake.ron",
        Some(resonance),
        Listening::default(),
        Presentation::Desktop,
    );
    state.know(lake());
    let go = Intent::ChangeScene {
        path: "spiders.ron".into(),
        step: Some(3),
    };
    let said = state.apply(&go, 1_000_000);
    assert_eq!(
        said,
        [Lifecycle::SceneChanged {
            from: "lake.ron".into(),
            to: "spiders.ron".into(),
            step: Some(3),
        }]
    );
    assert_eq!(state.place().scene(), "spiders.ron");
    // Until the scene is known, nothing else is decided.
    assert!(state.resolve_waiting(1_100_000).is_empty());
    assert_eq!(state.flow(), Flow::Running);
    state.know(spiders());
    let said = state.resolve_waiting(1_200_000);
    assert!(
        matches!(
            &said[..],
            [Lifecycle::SessionEnded {
                how: Ending::Stopped,
                ..
            }]
        ),
        "{said:?}"
    );
    assert_eq!(state.step_now().map(|(_, s)| s), Some(2));
    // The SUDS of the new scene start afresh: asked at its start.
    assert!(state.suds_is_due(1_300_000));
    // The pacer comes back with the guide it had.
    let said = state.apply(&Intent::Pacer(true), 2_000_000);
    assert!(matches!(&said[..], [Lifecycle::SessionStarted { .. }]));
    // Going to the scene one is in is refused; an unknown step is clamped
    // to the scene's last once known.
    let again = state.apply(&go, 3_000_000);
    assert!(
        matches!(
            &again[..],
            [Lifecycle::Refused {
                why: Refusal::AlreadyThere,
                ..
            }]
        ),
        "{again:?}"
    );
    let said = state.apply(
        &Intent::ChangeScene {
            path: "forest.ron".into(),
            step: Some(0),
        },
        3_000_000,
    );
    assert!(matches!(
        &said[..],
        [Lifecycle::Refused {
            why: Refusal::StepsCountFromOne,
            ..
        }]
    ));
    assert_eq!(state.place().scene(), "spiders.ron");
}

#[test]
fn a_scene_change_from_the_safe_place_leaves_it_for_the_new_scene() {
    let mut state = AppState::new(
        "spiders.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    )
    .for_exposure(1);
    state.know(spiders());
    state.know(lake());
    state.apply(&Intent::SafePlace, 0);
    assert!(state.place().is_safe_place());
    let said = state.apply(
        &Intent::ChangeScene {
            path: "forest.ron".into(),
            step: None,
        },
        1_000_000,
    );
    assert_eq!(
        said[0],
        Lifecycle::SafePlaceLeft {
            from: "lake.ron".into(),
            to: "forest.ron".into(),
        }
    );
    assert!(matches!(said[1], Lifecycle::SceneChanged { .. }));
    assert_eq!(
        state.place(),
        &Place::Scene {
            path: "forest.ron".into()
        }
    );
    state.know(forest());
    assert!(state.resolve_waiting(1_100_000).is_empty());
    assert!(state.step_now().is_none());
}

fn choice(name: &str) -> RhythmChoice {
    let (rhythm, sets) = crate::breath::session::parse_rhythm(name).unwrap();
    RhythmChoice {
        name: name.into(),
        rhythm,
        sets,
    }
}

#[test]
fn a_rhythm_chosen_with_the_pacer_off_is_the_one_it_starts_with() {
    let mut state = AppState::new(
        "spiders.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    )
    .for_exposure(0);
    let said = state.apply(&Intent::Rhythm(choice("box")), 0);
    assert_eq!(
        said,
        [Lifecycle::RhythmChanged {
            name: "box".into(),
            from: None
        }]
    );
    assert!(state.guided().latest().is_none(), "the pacer stays off");
    state.apply(&Intent::Pacer(true), 1_000_000);
    let run = state.guided().latest().unwrap();
    let first = &run.guide.schedule.steps()[..4];
    let seconds: Vec<f64> = first.iter().map(|s| s.duration as f64 / 1e6).collect();
    assert_eq!(seconds, [4.0, 4.0, 4.0, 4.0]);
}

#[test]
fn a_running_pacer_takes_a_new_rhythm_at_its_next_breath_in_and_slows_gently() {
    // Resonance: 10 s breaths, 4 in and 6 out.
    let resonance = Guide::rhythm_only(Rhythm::resonance(), None, 10.0);
    let mut state = AppState::new(
        "lake.ron",
        Some(resonance.clone()),
        Listening::default(),
        Presentation::Desktop,
    );
    // 23 s in: the third breath's out-breath; the next breath in is at 30 s.
    let heard = 23_000_000;
    let said = state.apply(&Intent::Rhythm(choice("4-7-8")), heard);
    assert_eq!(
        said,
        [Lifecycle::RhythmChanged {
            name: "4-7-8".into(),
            from: Some(30_000_000)
        }]
    );
    // The breath under way is the old rhythm's to its end.
    let old = state.guided().at(29_999_999).unwrap();
    assert_eq!(old.guide.schedule, resonance.schedule);
    let new = state.guided().at(30_000_000).unwrap();
    assert_eq!(new.origin, 30_000_000);
    assert_eq!(new.at(30_000_000).phase, crate::breath::Phase::Inhale);
    // From 6 breaths a minute down to 4-7-8's 3.16: no breath is more than
    // one breath a minute slower than the one before.
    let schedule = new.guide.schedule.clone();
    let mut rates = Vec::new();
    let mut t = 0;
    while let Some((start, period)) = schedule.breath_at(t) {
        rates.push(60e6 / period as f64);
        t = start + period;
        if rates.len() > 12 {
            break;
        }
    }
    assert!(rates.len() > 3, "{rates:?}");
    assert!(rates[0] <= 6.0 + 1e-6, "{rates:?}");
    for pair in rates.windows(2) {
        assert!(pair[0] - pair[1] <= 1.0 + 1e-6, "{rates:?}");
    }
    assert!(
        (rates.last().unwrap() - 60.0 / 19.0).abs() < 0.01,
        "{rates:?}"
    );
    // The pacer turned off and on again keeps the new rhythm.
    state.apply(&Intent::Pacer(false), 40_000_000);
    state.apply(&Intent::Pacer(true), 50_000_000);
    let again = state.guided().latest().unwrap();
    assert_eq!(again.guide.schedule, schedule);
}

#[test]
fn a_suds_the_therapist_records_is_one_answer_to_the_open_question_or_one_of_its_own() {
    let mut state = AppState::new(
        "spiders.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    );
    state.know(spiders());
    // The question of the start is open: what the therapist heard answers
    // it, once, with its own reason.
    assert!(matches!(
        &state.suds_due(0)[..],
        [Lifecycle::SudsAsked {
            why: SudsWhy::Start,
            ..
        }]
    ));
    let said = state.apply(&Intent::Suds(SudsChange::Record(40)), 1_000_000);
    assert_eq!(
        said,
        [Lifecycle::SudsAnswered {
            value: 40,
            why: SudsWhy::Start,
            step: 1,
            at: 1_000_000,
        }]
    );
    assert!(state.suds().is_none());
    // With none open, it is a rating of its own, said aloud.
    let said = state.apply(&Intent::Suds(SudsChange::Record(55)), 2_000_000);
    assert_eq!(
        said,
        [Lifecycle::SudsAnswered {
            value: 55,
            why: SudsWhy::Heard,
            step: 1,
            at: 2_000_000,
        }]
    );
    assert_eq!(state.last_suds(), Some(55));
}
