//! Therapy at a distance: the therapist's browser and the client's app
//! joined by WebRTC, every byte between them encrypted end to end.
//!
//! The app's end is [`peer::Peer`]: one connection on a thread of its own,
//! answering the browser's offer; the data channel carries the console's
//! controls and what the app says, and the therapist's voice is decoded
//! ([`voice`]) into the mix, where it is placed beside the person
//! ([`crate::audio::far_voice`]); the person's voice goes back, and their
//! view goes to the therapist as VP8 ([`video`], encoded by [`vp8`] on a
//! thread of its own).
//!
//! Nothing here listens on a network: the app's socket only answers the
//! browser it was given the offer of.

pub mod peer;
pub mod video;
mod voice;
pub mod vp8;

pub use peer::{Media, Peer, PeerError, PeerEvent, PeerSender};
