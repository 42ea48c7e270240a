//! Breathing: rhythms, guided sessions, and the one pure function that says
//! where in a breath any moment of a session falls.
//!
//! Plain Rust with no Bevy types: the audio thread, the picture and the tests
//! all ask the same [`Schedule`].

pub mod format;
pub mod plan;
pub mod rhythm;
pub mod schedule;
pub mod session;
pub mod time;

pub use rhythm::Rhythm;
pub use schedule::{BreathState, Phase, Schedule, SegmentKind};
pub use session::Guide;
pub use time::Micros;
