//! A client's plan in force on the state's side: the steps of the person's
//! scene the therapist chose for this client, in the plan's order. With one
//! in force, a step up or down walks the plan (from any input: keys,
//! controllers, the console), and a step it leaves out is not gone to.

/// A client's plan for one exposure scene, as the state walks it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInForce {
    /// Its number in the record.
    pub id: i64,
    /// The scene it is for (a file inside the scene folder).
    pub scene: String,
    /// Its steps, in the plan's order.
    pub steps: Vec<PlannedStep>,
}

/// A step of a plan in force.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    /// The scene's step, from 1.
    pub number: usize,
    /// The client's words for it.
    pub words: String,
    /// The SUDS they predict at it.
    pub predicted_suds: u8,
    /// The outcome they fear, in their words.
    pub feared: String,
}

impl PlanInForce {
    /// Whether it can be walked in a hierarchy of `steps` steps: at least
    /// one step, each within it.
    pub(super) fn fits(&self, steps: usize) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| (1..=steps).contains(&s.number))
    }

    /// The plan's place of the scene's step `number` (from 1), if the plan
    /// has it.
    pub(super) fn place_of(&self, number: usize) -> Option<usize> {
        self.steps.iter().position(|s| s.number == number)
    }

    /// The scene's step numbers, in the plan's order.
    pub fn numbers(&self) -> Vec<usize> {
        self.steps.iter().map(|s| s.number).collect()
    }
}
