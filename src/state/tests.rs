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
        [Lifecycle::Refused { .. }]
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
    assert!(state.resolve_waiting().is_empty(), "still not known");
    state.know(forest());
    let said = state.resolve_waiting();
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
    assert!(matches!(said[..], [Lifecycle::Refused { .. }]));
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
        [Lifecycle::Refused { .. }]
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
