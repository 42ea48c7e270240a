//! Therapy at a distance: the therapist's browser and the client's app
//! joined by WebRTC, every byte between them encrypted end to end.
//!
//! The app's end is [`peer::Peer`]: one connection on a thread of its own,
//! answering the browser's offer; the data channel carries the console's
//! controls and what the app says, and the therapist's voice is decoded
//! ([`voice`]) into the mix, where it is placed beside the person
//! ([`crate::audio::far_voice`]).
//!
//! Nothing here listens on a network: the app's socket only answers the
//! browser it was given the offer of.

pub mod peer;
mod voice;

pub use peer::{Peer, PeerError, PeerEvent, PeerSender, Voices};
