//! Procedural generation: everything a scene is built from, made in code.
//!
//! Plain Rust with no Bevy types, so that it can be tested and benchmarked
//! alone. The same seed always makes the same place.

pub mod mesh;
pub mod noise;
pub mod scatter;
pub mod shapes;
pub mod sky;
pub mod terrain;
