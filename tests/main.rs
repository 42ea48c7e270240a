//! Stillpoint's integration tests, in one crate so that they link once.
//!
//! - `scenes`: every shipped scene validates; broken scenes give the right
//!   error at the right line and column; arbitrary input never panics.
//! - `cli`: the command line as a user runs it.
//! - `app`: headless app tests of each plugin.
//! - `audio`: the mix rendered offline: loudness, peaks, spatial cues, and
//!   sound in step with the breathing model.
//! - `headset`: the app in Monado's simulated headset, end to end.
//! - `render`: real frames of every shipped scene, rendered offscreen on
//!   the CPU (lavapipe) and checked pixel by pixel.

mod app;
mod audio;
mod cli;
mod common;
mod headset;
mod render;
mod scenes;
