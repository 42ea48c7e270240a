//! The place: where the person is (their scene, or the safe place with the
//! scene to return to), what each scene shown so far is, and the asks that
//! wait for a scene to be known (the safe place asked for early, a scene
//! the person is being taken to). Its rules enter and leave the safe place
//! and take the person to another scene.

use std::collections::HashMap;

use super::lifecycle::Lifecycle;
use super::pause::{PauseReason, PauseReasons};
use super::refusal::Refusal;
use super::scene_facts::{ExposureFacts, ShownScene};

/// Where the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In their scene (a path inside the scene folder).
    Scene {
        /// The scene.
        path: String,
    },
    /// In the safe place, with the scene to go back to.
    SafePlace {
        /// The safe scene.
        path: String,
        /// The scene they came from.
        return_to: String,
    },
}

impl Place {
    /// The scene the person should see.
    pub(crate) fn scene(&self) -> &str {
        match self {
            Self::Scene { path } | Self::SafePlace { path, .. } => path,
        }
    }

    /// Whether the person is in the safe place.
    pub fn is_safe_place(&self) -> bool {
        matches!(self, Self::SafePlace { .. })
    }
}

/// The place's side of the state: where the person is, the scenes known,
/// and the asks waiting for one.
#[derive(Debug, Clone)]
pub(super) struct Whereabouts {
    place: Place,
    /// What each scene shown so far is: its safe scene and its hierarchy.
    known: HashMap<String, ShownScene>,
    /// The safe place was asked for before its scene was known.
    safe_wanted: bool,
    /// The person was taken to a scene not yet known: what it is decides
    /// the pacer and the step once it is.
    arriving: bool,
}

impl Whereabouts {
    /// In `scene`, nothing known yet.
    pub(super) fn new(scene: String) -> Self {
        Self {
            place: Place::Scene { path: scene },
            known: HashMap::new(),
            safe_wanted: false,
            arriving: false,
        }
    }

    /// Where the person is.
    pub(super) fn place(&self) -> &Place {
        &self.place
    }

    /// The person's own scene: the one they are in, or, in the safe place,
    /// the one they will go back to.
    pub(super) fn own_scene(&self) -> &str {
        match &self.place {
            Place::Scene { path } => path,
            Place::SafePlace { return_to, .. } => return_to,
        }
    }

    /// The hierarchy of the person's own scene, once it is known and if it
    /// has one.
    pub(super) fn facts(&self) -> Option<&ExposureFacts> {
        self.known.get(self.own_scene())?.exposure.as_ref()
    }

    /// Takes in what a scene is (said when it is shown).
    pub(super) fn know(&mut self, scene: ShownScene) {
        self.known.insert(scene.path.clone(), scene);
    }

    /// Whether an ask waits for a scene to be known.
    pub(super) fn waiting(&self) -> bool {
        self.safe_wanted || self.arriving
    }

    /// Whether the safe place was asked for and can be decided now.
    pub(super) fn safe_place_decidable(&self) -> bool {
        self.safe_wanted && self.known.contains_key(self.place.scene())
    }

    /// Goes to the scene's safe place, from wherever the person is: going
    /// somewhere safe is the person acting, so their own pause (in
    /// `pauses`) ends. A scene that names no safe scene is a safe place
    /// itself; one not known yet is waited for.
    pub(super) fn go_to_safe_place(
        &mut self,
        pauses: &mut PauseReasons,
        said: &mut Vec<Lifecycle>,
    ) {
        let here = self.place.scene().to_owned();
        if self.place.is_safe_place() {
            said.push(Lifecycle::AlreadySafe { scene: here });
            return;
        }
        // The ask is kept, not dropped, until the scene is known.
        match self.known.get(&here).map(|s| s.safe_scene.clone()) {
            Some(Some(safe)) => {
                self.safe_wanted = false;
                self.place = Place::SafePlace {
                    path: safe.clone(),
                    return_to: here.clone(),
                };
                // Their pause ends, so the place is heard as well as seen.
                if pauses.remove(PauseReason::Person) {
                    said.push(Lifecycle::Resumed {
                        reason: PauseReason::Person,
                    });
                }
                said.push(Lifecycle::SafePlaceEntered { from: here, safe });
            }
            Some(None) => {
                self.safe_wanted = false;
                said.push(Lifecycle::AlreadySafe { scene: here });
            }
            None => self.safe_wanted = true,
        }
    }

    /// Leaves the safe place for the scene the person came from.
    pub(super) fn leave_safe_place(&mut self, said: &mut Vec<Lifecycle>) {
        if let Place::SafePlace { path, return_to } = &self.place {
            let (from, to) = (path.clone(), return_to.clone());
            self.place = Place::Scene { path: to.clone() };
            said.push(Lifecycle::SafePlaceLeft { from, to });
        } else {
            said.push(Lifecycle::Refused {
                what: "leave the safe place".into(),
                why: Refusal::NotInSafePlace,
            });
        }
    }

    /// Takes the person to the scene `path` (at `step`, from 1, if asked),
    /// leaving the safe place if they are in it; they arrive once it is
    /// known ([`Self::arrived`]). The scene they were in (their own), or
    /// why they cannot go.
    pub(super) fn go_to(
        &mut self,
        path: &str,
        step: Option<usize>,
        said: &mut Vec<Lifecycle>,
    ) -> Result<String, Refusal> {
        if path.trim().is_empty() {
            return Err(Refusal::NoSceneNamed);
        }
        if step == Some(0) {
            return Err(Refusal::StepsCountFromOne);
        }
        let from = self.own_scene().to_owned();
        if !self.place.is_safe_place() && from == path {
            return Err(Refusal::AlreadyThere);
        }
        if let Place::SafePlace { path: safe, .. } = &self.place {
            said.push(Lifecycle::SafePlaceLeft {
                from: safe.clone(),
                to: path.to_owned(),
            });
        }
        self.safe_wanted = false;
        self.place = Place::Scene {
            path: path.to_owned(),
        };
        self.arriving = true;
        Ok(from)
    }

    /// Once the scene the person is being taken to is known: it, and they
    /// have arrived. `None` while it is not known, or when they are not
    /// being taken anywhere.
    pub(super) fn arrived(&mut self) -> Option<&ShownScene> {
        if !self.arriving {
            return None;
        }
        let shown = self.known.get(self.place.scene())?;
        self.arriving = false;
        Some(shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breath::{Guide, Rhythm};
    use crate::state::fixtures::{forest, in_the_forest, lake, spiders};
    use crate::state::{AppState, Ending, Flow, Intent, Listening, Presentation};

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
}
