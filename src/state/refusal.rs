//! Why an intent could not be done, as a type: the console, the journal
//! and the tests match on what was refused, not on its wording, and its
//! `Display` gives the words a watcher shows ("Could not change the step:
//! already at the first step").

/// Why an intent could not be done. Carried by
/// [`Lifecycle::Refused`](super::Lifecycle::Refused), beside what was
/// asked; nothing changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Leaving the safe place, when the person is not in it.
    NotInSafePlace,
    /// A step or an event, while the person is in the safe place.
    InSafePlace,
    /// A step or SUDS, in a scene with no hierarchy.
    NoSteps,
    /// An event, in a scene with no hierarchy.
    NoEvents,
    /// A step harder, at the last step.
    AtLastStep {
        /// How many steps there are.
        steps: usize,
    },
    /// A step easier, at the first step.
    AtFirstStep,
    /// A number outside 0 to 100.
    OutOfRange {
        /// The number given.
        value: i64,
    },
    /// A step the client's plan leaves out.
    NotInPlan {
        /// The step, from 1.
        step: usize,
        /// The plan's steps, in its order.
        plan: Vec<usize>,
    },
    /// A step the hierarchy does not have.
    NoSuchStep {
        /// The step asked for, from 1.
        step: usize,
        /// How many steps there are.
        steps: usize,
    },
    /// An event the scene does not have.
    NoSuchEvent {
        /// The scene's events, in its order.
        expected: Vec<String>,
    },
    /// An event not allowed at the person's step.
    NotAtThisStep {
        /// The step, from 1.
        step: usize,
    },
    /// A volume that is no number.
    NotAVolume {
        /// The volume asked for.
        volume: f32,
        /// The loudest volume there is.
        most: f32,
    },
    /// Stopping the guided session when none is running.
    NoGuideRunning,
    /// Going to a scene without naming one.
    NoSceneNamed,
    /// Going to a scene at step 0.
    StepsCountFromOne,
    /// Going to the scene the person is in.
    AlreadyThere,
    /// Answering SUDS with no question open.
    NoQuestionOpen,
    /// A note with no words.
    EmptyNote,
    /// A note longer than one can be.
    NoteTooLong {
        /// Its characters.
        chars: usize,
        /// The most a note may have.
        most: usize,
    },
    /// A note with control characters (other than new lines and tabs).
    NoteHasControlCharacters,
    /// The questionnaire's answers cannot be scored, in the scorer's words.
    Unscorable(String),
    /// The safe scene cannot be shown as a safe place (it is the person's
    /// own scene, or an exposure scene now), in the scene module's words,
    /// with what is shown instead.
    NotASafePlace(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotInSafePlace => f.write_str("the person is not in the safe place"),
            Self::InSafePlace => f.write_str("the person is in the safe place"),
            Self::NoSteps => f.write_str("this scene has no steps"),
            Self::NoEvents => f.write_str("this scene has no events"),
            Self::AtLastStep { steps } => write!(f, "already at the last step, {steps}"),
            Self::AtFirstStep => f.write_str("already at the first step"),
            Self::OutOfRange { value } => write!(f, "{value} is outside 0 to 100"),
            Self::NotInPlan { step, plan } => write!(
                f,
                "step {step} is not in the client's plan; its steps are {}",
                plan.iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::NoSuchStep { step, steps } => {
                write!(f, "step {step} does not exist; expected 1 to {steps}")
            }
            Self::NoSuchEvent { expected } => {
                write!(f, "no such event; expected one of: {}", expected.join(", "))
            }
            Self::NotAtThisStep { step } => write!(f, "it cannot happen at step {step}"),
            Self::NotAVolume { volume, most } => {
                write!(f, "{volume} is not a volume; expected 0 to {most}")
            }
            Self::NoGuideRunning => f.write_str("no guided session is running"),
            Self::NoSceneNamed => f.write_str("no scene was named"),
            Self::StepsCountFromOne => f.write_str("steps are counted from 1"),
            Self::AlreadyThere => f.write_str("the person is in it already"),
            Self::NoQuestionOpen => f.write_str("no question is open"),
            Self::EmptyNote => f.write_str("the note is empty"),
            Self::NoteTooLong { chars, most } => {
                write!(
                    f,
                    "the note has {chars} characters; at most {most} fit in one"
                )
            }
            Self::NoteHasControlCharacters => f.write_str("the note holds control characters"),
            Self::Unscorable(why) | Self::NotASafePlace(why) => f.write_str(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_reads_as_the_words_watchers_and_the_record_have_always_shown() {
        let words = |refusal: Refusal| refusal.to_string();
        assert_eq!(
            words(Refusal::NotInSafePlace),
            "the person is not in the safe place"
        );
        assert_eq!(
            words(Refusal::InSafePlace),
            "the person is in the safe place"
        );
        assert_eq!(words(Refusal::NoSteps), "this scene has no steps");
        assert_eq!(words(Refusal::NoEvents), "this scene has no events");
        assert_eq!(
            words(Refusal::AtLastStep { steps: 4 }),
            "already at the last step, 4"
        );
        assert_eq!(words(Refusal::AtFirstStep), "already at the first step");
        assert_eq!(
            words(Refusal::NoSuchStep { step: 9, steps: 4 }),
            "step 9 does not exist; expected 1 to 4"
        );
        assert_eq!(
            words(Refusal::NoSuchEvent {
                expected: vec!["gust".into(), "creak".into()]
            }),
            "no such event; expected one of: gust, creak"
        );
        assert_eq!(
            words(Refusal::NotAtThisStep { step: 1 }),
            "it cannot happen at step 1"
        );
        assert_eq!(
            words(Refusal::NotAVolume {
                volume: f32::NAN,
                most: 2.0
            }),
            "NaN is not a volume; expected 0 to 2"
        );
        assert_eq!(
            words(Refusal::NoGuideRunning),
            "no guided session is running"
        );
        assert_eq!(words(Refusal::NoSceneNamed), "no scene was named");
        assert_eq!(
            words(Refusal::StepsCountFromOne),
            "steps are counted from 1"
        );
        assert_eq!(words(Refusal::AlreadyThere), "the person is in it already");
        assert_eq!(words(Refusal::NoQuestionOpen), "no question is open");
        assert_eq!(words(Refusal::EmptyNote), "the note is empty");
        assert_eq!(
            words(Refusal::NoteTooLong {
                chars: 4001,
                most: 4000
            }),
            "the note has 4001 characters; at most 4000 fit in one"
        );
        assert_eq!(
            words(Refusal::NoteHasControlCharacters),
            "the note holds control characters"
        );
        assert_eq!(words(Refusal::Unscorable("item 3".into())), "item 3");
        assert_eq!(words(Refusal::NotASafePlace("a tower".into())), "a tower");
    }
}
