//! Procedural generation: everything a scene is built from, made in code.
//!
//! Plain Rust with no Bevy types, so that it can be tested and benchmarked
//! alone. The same seed always makes the same place.

pub(super) mod mesh;
pub(super) mod noise;
pub(super) mod scatter;
mod shapes;
pub(super) mod sky;
pub(super) mod terrain;
