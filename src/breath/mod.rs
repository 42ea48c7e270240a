//! Breathing: rhythms, guided sessions, and the one pure function that says
//! where in a breath any moment of a session falls.
//!
//! Plain Rust with no Bevy types: the audio thread, the picture and the tests
//! all ask the same [`Schedule`].

pub(crate) mod format;
pub(crate) mod plan;
pub(crate) mod rhythm;
mod schedule;
pub mod session;
pub mod time;

pub use rhythm::Rhythm;
pub(crate) use schedule::{BreathState, Phase, Schedule};
pub use session::Guide;
pub(crate) use time::Micros;
