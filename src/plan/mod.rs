//! A client's plan for an exposure scene: the steps of the scene's
//! hierarchy the therapist chose for this client, in the order chosen, each
//! in the client's own words, with the SUDS they predict and the outcome
//! they fear. Steps can be left out and put in another order, never
//! invented: each names a step the scene has.
//!
//! A plan is written and read as RON (`stillpoint plan export` and
//! `plan import`), checked against its scene with every error at a line and
//! column, and kept in the record as the same text. Pure: the scene's step
//! names are given.
//!
//! ```ron
//! Plan(
//!     client: "K7HF-3M",
//!     scene: "spiders.ron",
//!     steps: [
//!         Step(step: "Poster", words: "the drawing on the fridge", predicted_suds: 20,
//!             feared: "I will have to leave the room"),
//!         Step(step: "Jar, near", words: "the jar on the table", predicted_suds: 55,
//!             feared: "the spider will get out"),
//!     ],
//! )
//! ```

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Checker, FileErrors, Problem, parse_ron_file};

/// The most characters of a client's words, or of a feared outcome.
pub const MAX_WORDS: usize = 200;

/// A client's plan for one exposure scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Plan", deny_unknown_fields)]
pub struct ClientPlan {
    /// The client's code.
    pub client: String,
    /// The scene, as a file in the scene folder.
    pub scene: String,
    /// The steps, in the order the client meets them.
    pub steps: Vec<PlanStep>,
}

/// A step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Step", deny_unknown_fields)]
pub struct PlanStep {
    /// The scene's step, by its name.
    pub step: String,
    /// The client's own words for it.
    #[serde(default)]
    pub words: String,
    /// The SUDS the client predicts at it, 0 to 100.
    pub predicted_suds: u8,
    /// The outcome the client fears, in their words.
    #[serde(default)]
    pub feared: String,
}

impl ClientPlan {
    /// The plan's steps as numbers of the scene's steps (from 1), in the
    /// plan's order; `steps` are the scene's step names, lowest first.
    /// `None` when a step is not the scene's (a plan is checked before it
    /// is kept, so only a scene changed since does that).
    pub fn numbers(&self, steps: &[String]) -> Option<Vec<usize>> {
        self.steps
            .iter()
            .map(|s| steps.iter().position(|n| *n == s.step).map(|i| i + 1))
            .collect()
    }

    /// The plan as RON, as `plan export` writes it.
    pub fn to_ron(&self) -> String {
        let pretty = ron::ser::PrettyConfig::new()
            .depth_limit(3)
            .struct_names(true)
            .separate_tuple_members(false);
        let mut text = ron::ser::to_string_pretty(self, pretty)
            .expect("a plan is strings and small numbers, which RON always writes");
        text.push('\n');
        text
    }
}

/// Parses and checks a plan file against its scene: `scene_steps` gives the
/// step names of an exposure scene of the scene folder (`None`: there is no
/// such scene, or it has no steps); `client` says why the client named is
/// not one of the record's, if it is not. `file` names the file in errors.
pub fn parse(
    file: &str,
    bytes: &[u8],
    scene_steps: &dyn Fn(&str) -> Option<Vec<String>>,
    client: &dyn Fn(&str) -> Result<(), String>,
) -> Result<ClientPlan, FileErrors> {
    parse_ron_file(file, bytes, "plan", |plan: &ClientPlan| {
        check(plan, scene_steps, client)
    })
}

fn check(
    plan: &ClientPlan,
    scene_steps: &dyn Fn(&str) -> Option<Vec<String>>,
    client: &dyn Fn(&str) -> Result<(), String>,
) -> Vec<Problem> {
    let mut c = Checker::default();
    if let Err(why) = client(&plan.client) {
        c.problem("client", why);
    }
    let Some(names) = scene_steps(&plan.scene) else {
        c.problem(
            "scene",
            format!(
                "{:?} is not an exposure scene of the scene folder (`stillpoint scenes` lists \
                 them)",
                plan.scene
            ),
        );
        return c.problems;
    };
    if plan.steps.is_empty() {
        c.problem("steps", "a plan has at least one step".into());
    }
    c.within("steps", |c| {
        for (i, step) in plan.steps.iter().enumerate() {
            c.item(i, |c| {
                if !names.contains(&step.step) {
                    c.problem(
                        "step",
                        format!(
                            "{:?} is not a step of {}; its steps are {}",
                            step.step,
                            plan.scene,
                            names
                                .iter()
                                .map(|n| format!("{n:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                } else if plan.steps[..i].iter().any(|s| s.step == step.step) {
                    c.problem("step", format!("{:?} is in the plan twice", step.step));
                }
                if step.predicted_suds > 100 {
                    c.problem(
                        "predicted_suds",
                        format!("{} is above 100; expected 0 to 100", step.predicted_suds),
                    );
                }
                // Either may be left empty, to be filled in later.
                if !step.words.is_empty() {
                    c.text("words", &step.words, MAX_WORDS);
                }
                if !step.feared.is_empty() {
                    c.text("feared", &step.feared, MAX_WORDS);
                }
            });
        }
    });
    c.problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(scene: &str) -> Option<Vec<String>> {
        (scene == "spiders.ron").then(|| {
            ["Poster", "Jar, far", "Jar, near", "Free"]
                .map(String::from)
                .to_vec()
        })
    }

    fn plan() -> ClientPlan {
        ClientPlan {
            client: "K7HF-3M".into(),
            scene: "spiders.ron".into(),
            steps: vec![
                PlanStep {
                    step: "Jar, near".into(),
                    words: "the jar on the table".into(),
                    predicted_suds: 55,
                    feared: "the spider will get out".into(),
                },
                PlanStep {
                    step: "Poster".into(),
                    words: String::new(),
                    predicted_suds: 20,
                    feared: "I will have to leave".into(),
                },
            ],
        }
    }

    #[test]
    fn a_plan_written_reads_back_the_same_and_walks_the_scene_s_steps_in_its_order() {
        let text = plan().to_ron();
        let read = parse("p.ron", text.as_bytes(), &steps, &|_| Ok(())).expect(&text);
        assert_eq!(read, plan());
        let names = steps("spiders.ron").unwrap();
        assert_eq!(read.numbers(&names), Some(vec![3, 1]));
        assert_eq!(read.numbers(&names[..2]), None);
    }

    #[test]
    fn a_step_the_scene_lacks_a_missing_scene_or_client_is_named_at_its_line() {
        let text = plan().to_ron().replace("\"Poster\"", "\"Tarantula\"");
        let err = parse("p.ron", text.as_bytes(), &steps, &|_| Ok(())).unwrap_err();
        let line = text.lines().position(|l| l.contains("Tarantula")).unwrap() + 1;
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!(err.0[0].line, line, "{err}");
        assert!(
            err.to_string()
                .contains("steps[1].step: \"Tarantula\" is not a step of spiders.ron"),
            "{err}"
        );
        let text = plan().to_ron().replace("spiders.ron", "sharks.ron");
        let err = parse("p.ron", text.as_bytes(), &steps, &|_| Ok(())).unwrap_err();
        assert!(
            err.to_string()
                .contains("scene: \"sharks.ron\" is not an exposure scene"),
            "{err}"
        );
        let err = parse("p.ron", plan().to_ron().as_bytes(), &steps, &|c| {
            Err(format!("no client {c}"))
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("client: no client K7HF-3M"),
            "{err}"
        );
        let text = plan().to_ron().replace("55", "155");
        let err = parse("p.ron", text.as_bytes(), &steps, &|_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("155 is above 100"), "{err}");
        let text = plan().to_ron().replace("\"Poster\"", "\"Jar, near\"");
        let err = parse("p.ron", text.as_bytes(), &steps, &|_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("is in the plan twice"), "{err}");
        let err = parse(
            "p.ron",
            b"Plan(client: \"K7HF-3M\", scene: 3)",
            &steps,
            &|_| Ok(()),
        )
        .unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column > 1), (1, true), "{err}");
    }
}
