//! Graded exposure on the state's side: the person's step in the
//! hierarchy, the events that can happen there, and the SUDS asked and
//! answered ([`super::suds`]). Its rules are given the hierarchy of the
//! person's scene (from the scenes shown) and whether they are in the safe
//! place, where steps and events wait.

use super::lifecycle::{Lifecycle, SudsWhy};
use super::plan::PlanInForce;
use super::refusal::Refusal;
use super::scene_facts::ExposureFacts;
use super::suds::Suds;
use crate::breath::Micros;

/// A move through the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepChange {
    /// One step harder.
    Up,
    /// One step easier.
    Down,
    /// To a step, counted from 1.
    To(usize),
}

/// The exposure side of the state: the step, and the SUDS.
#[derive(Debug, Clone, Default)]
pub(super) struct Exposure {
    /// The step of the graded exposure (from 0), in an exposure scene.
    step: usize,
    /// Distress asked and answered in an exposure scene.
    pub(super) suds: Suds,
    /// The client's plan in force, for the scene it names.
    plan: Option<PlanInForce>,
    /// The person has moved from the step they started at.
    walked: bool,
}

impl Exposure {
    /// Starts at `step` (from 0) of whatever hierarchy the scene has.
    pub(super) fn start_at(&mut self, step: usize) {
        self.step = step;
    }

    /// The hierarchy `facts` (the person's scene's, if it has one) and the
    /// person's step in it, kept within its steps.
    pub(super) fn now<'a>(
        &self,
        facts: Option<&'a ExposureFacts>,
    ) -> Option<(&'a ExposureFacts, usize)> {
        let facts = facts?;
        let last = facts.steps.len().checked_sub(1)?;
        Some((facts, self.step.min(last)))
    }

    /// The client's plan in force for `scene`, a hierarchy of `steps`
    /// steps, if there is one it fits.
    pub(super) fn plan_for(&self, scene: &str, steps: usize) -> Option<&PlanInForce> {
        self.plan
            .as_ref()
            .filter(|plan| plan.scene == scene && plan.fits(steps))
    }

    /// Puts `plan` in force (or none), and says so. In the hierarchy
    /// `facts` of `scene`, a person who has not moved yet, or is at a step
    /// the plan leaves out, goes to its first step.
    pub(super) fn set_plan(
        &mut self,
        plan: Option<PlanInForce>,
        facts: Option<&ExposureFacts>,
        scene: &str,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        said.push(match &plan {
            Some(plan) => Lifecycle::PlanChosen {
                id: Some(plan.id),
                scene: plan.scene.clone(),
                steps: plan.numbers(),
            },
            None => Lifecycle::PlanChosen {
                id: None,
                scene: scene.to_owned(),
                steps: Vec::new(),
            },
        });
        self.plan = plan;
        let Some((facts, step)) = self.now(facts) else {
            return;
        };
        let first = self
            .plan_for(scene, facts.steps.len())
            .filter(|plan| !self.walked || plan.place_of(step + 1).is_none())
            .map(|plan| plan.steps[0].number - 1);
        if let Some(to) = first.filter(|to| *to != step) {
            let name = facts.steps[to].0.clone();
            self.moved(step, to, name, heard, said);
        }
    }

    /// Moves a step up, down or to one, in the hierarchy `facts` of the
    /// person's `scene` (along the client's plan when one is in force);
    /// refused in the safe place, past either end, off the plan, or without
    /// a hierarchy.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn change_step(
        &mut self,
        change: StepChange,
        facts: Option<&ExposureFacts>,
        scene: &str,
        in_safe_place: bool,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        let refuse = |said: &mut Vec<Lifecycle>, why: Refusal| {
            said.push(Lifecycle::Refused {
                what: "change the step".into(),
                why,
            });
        };
        if in_safe_place {
            return refuse(said, Refusal::InSafePlace);
        }
        let Some((facts, step)) = self.now(facts) else {
            return refuse(said, Refusal::NoSteps);
        };
        let steps = facts.steps.len();
        if let Some(plan) = self.plan_for(scene, steps) {
            let order = plan.numbers();
            let here = plan.place_of(step + 1);
            let to = match (change, here) {
                (StepChange::Up, Some(i)) if i + 1 >= order.len() => {
                    return refuse(said, Refusal::AtLastStep { steps: order.len() });
                }
                (StepChange::Up, Some(i)) => order[i + 1] - 1,
                (StepChange::Down, Some(0)) => return refuse(said, Refusal::AtFirstStep),
                (StepChange::Down, Some(i)) => order[i - 1] - 1,
                // Off the plan (it came in force after a move): its first.
                (StepChange::Up | StepChange::Down, None) => order[0] - 1,
                (StepChange::To(n), _) if n == 0 || n > steps => {
                    return refuse(said, Refusal::NoSuchStep { step: n, steps });
                }
                (StepChange::To(n), _) if plan.place_of(n).is_none() => {
                    return refuse(
                        said,
                        Refusal::NotInPlan {
                            step: n,
                            plan: order,
                        },
                    );
                }
                (StepChange::To(n), _) => n - 1,
            };
            let name = facts.steps[to].0.clone();
            if to != step {
                self.moved(step, to, name, heard, said);
            }
            return;
        }
        let to = match change {
            StepChange::Up if step + 1 >= steps => {
                return refuse(said, Refusal::AtLastStep { steps });
            }
            StepChange::Up => step + 1,
            StepChange::Down if step == 0 => {
                return refuse(said, Refusal::AtFirstStep);
            }
            StepChange::Down => step - 1,
            StepChange::To(n) if n == 0 || n > steps => {
                return refuse(said, Refusal::NoSuchStep { step: n, steps });
            }
            StepChange::To(n) => n - 1,
        };
        let name = facts.steps[to].0.clone();
        if to != step {
            self.moved(step, to, name, heard, said);
        }
    }

    /// The person is at step `to` now, from `from` (both from 0), named
    /// `name`: said, and asked about (the rating that ends one step and
    /// begins the next), whatever moved them.
    pub(super) fn moved(
        &mut self,
        from: usize,
        to: usize,
        name: String,
        heard: Micros,
        said: &mut Vec<Lifecycle>,
    ) {
        self.step = to;
        self.walked = true;
        said.push(Lifecycle::StepChanged {
            from: from + 1,
            to: to + 1,
            name,
        });
        let why = SudsWhy::StepChange {
            from: from + 1,
            to: to + 1,
        };
        self.suds.ask(why, Some(to), heard, said);
    }

    /// Makes the event `name` happen, if the hierarchy `facts` allows it at
    /// the person's step; refused in the safe place.
    pub(super) fn fire(
        &self,
        name: &str,
        facts: Option<&ExposureFacts>,
        in_safe_place: bool,
        said: &mut Vec<Lifecycle>,
    ) {
        let refuse = |said: &mut Vec<Lifecycle>, why: Refusal| {
            said.push(Lifecycle::Refused {
                what: format!("fire the event \"{name}\""),
                why,
            });
        };
        if in_safe_place {
            return refuse(said, Refusal::InSafePlace);
        }
        let Some((facts, step)) = self.now(facts) else {
            return refuse(said, Refusal::NoEvents);
        };
        match facts.events.iter().find(|(n, _, _)| n == name) {
            None => {
                let expected = facts.events.iter().map(|(n, _, _)| n.clone()).collect();
                refuse(said, Refusal::NoSuchEvent { expected });
            }
            Some((_, _, steps)) if !steps.contains(&step) => {
                refuse(said, Refusal::NotAtThisStep { step: step + 1 })
            }
            Some(_) => said.push(Lifecycle::EventFired {
                name: name.to_owned(),
                step: step + 1,
            }),
        }
    }

    /// Taken to another scene, at `step` (from 1; the first when not
    /// given): its SUDS begin afresh.
    pub(super) fn begin_at(&mut self, step: Option<usize>, said: &mut Vec<Lifecycle>) {
        self.suds.afresh(said);
        self.step = step.map_or(0, |n| n - 1);
    }

    /// Arrived in a scene of `steps` steps: at one it has.
    pub(super) fn keep_within(&mut self, steps: usize) {
        self.step = self.step.min(steps.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::spiders;
    use crate::state::{AppState, Intent, Listening, Presentation};

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
    fn steps_stop_at_either_end_and_events_only_at_their_steps() {
        let mut facts = spiders().exposure.unwrap();
        facts.events = vec![("gust".into(), String::new(), vec![1, 2])];
        let mut exposure = Exposure::default();
        let mut said = Vec::new();
        exposure.change_step(StepChange::Down, Some(&facts), "s.ron", false, 0, &mut said);
        exposure.fire("gust", Some(&facts), false, &mut said);
        exposure.change_step(StepChange::Up, Some(&facts), "s.ron", true, 0, &mut said);
        exposure.change_step(
            StepChange::To(2),
            Some(&facts),
            "s.ron",
            false,
            0,
            &mut said,
        );
        exposure.fire("gust", Some(&facts), false, &mut said);
        exposure.change_step(StepChange::Up, None, "s.ron", false, 0, &mut said);
        let refusals: Vec<&Refusal> = said
            .iter()
            .filter_map(|m| match m {
                Lifecycle::Refused { why, .. } => Some(why),
                _ => None,
            })
            .collect();
        assert_eq!(
            refusals,
            [
                &Refusal::AtFirstStep,
                &Refusal::NotAtThisStep { step: 1 },
                &Refusal::InSafePlace,
                &Refusal::NoSteps,
            ]
        );
        assert!(said.contains(&Lifecycle::EventFired {
            name: "gust".into(),
            step: 2
        }));
        assert_eq!(exposure.now(Some(&facts)).map(|(_, s)| s), Some(1));
    }
}
