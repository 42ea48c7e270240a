//! What the scene module tells the state about a scene it shows: its
//! title, its safe scene and its hierarchy. The state's rules (the safe
//! place, steps, SUDS) decide from these, and the snapshot and the
//! lifecycle messages carry them to watchers.

use crate::breath::Micros;

/// A scene on screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShownScene {
    /// Its path inside the scene folder.
    pub path: String,
    /// Its title.
    pub title: String,
    /// Its safe scene's path inside the scene folder; `None`: it is a safe
    /// place itself.
    pub(crate) safe_scene: Option<String>,
    /// Its hierarchy, if it is an exposure scene.
    pub(crate) exposure: Option<ExposureFacts>,
}

/// An exposure scene's hierarchy, as watchers and intents need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExposureFacts {
    /// The steps, lowest first: name and the therapist's sentence.
    pub(crate) steps: Vec<(String, String)>,
    /// The events: name, sentence, and the steps (from 0) they are allowed
    /// at.
    pub(crate) events: Vec<(String, String, Vec<usize>)>,
    /// How often the person is asked their SUDS, session time; 0: only at
    /// the start, at step changes and when asked.
    pub(crate) suds_every: Micros,
}
