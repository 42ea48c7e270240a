//! Stillpoint: guided relaxation in calming 3D scenes.
//!
//! The root only composes: each capability lives in its own module,
//! [`app`] builds the app from their plugins, `frame` orders a frame and
//! [`commands`] does what the command line asks. Pure logic (scene format
//! and checks, procedural generation, breathing, the mix) has no Bevy ECS
//! types and is tested alone.
//!
//! # The public surface
//!
//! What is `pub` is what the crate's three users outside it reach: the
//! `stillpoint` binary (`src/main.rs`), the integration tests (`tests/`)
//! and the benches (`benches/`). Everything else is `pub(crate)`,
//! `pub(super)` or private, so that the compiler reports what nothing uses
//! and a module's insides can change without touching its users. The one
//! piece there only for the tests and benches, the headless headset
//! harness, is `#[doc(hidden)]`.
//!
//! That support is not behind a `test-support` cargo feature: a feature
//! that `cargo test` turns on and `cargo run` leaves off gives the crate
//! two configurations, so alternating the two rebuilds the crate and
//! everything that depends on it, minutes each time on a two-core machine.
//! With one configuration both builds stay warm.

// The one exception, `xr::probe`, loads the OpenXR loader library.
#![deny(unsafe_code)]
// Module docs name their private parts: the documentation is for the people
// who work on the crate (`cargo doc --document-private-items`).
#![allow(rustdoc::private_intra_doc_links)]

pub mod app;
pub mod audio;
pub mod breath;
pub mod capture;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod console;
pub mod diagnostics;
mod frame;
pub mod journal;
mod keys;
pub mod overlay;
pub mod pacer;
pub mod photosensitivity;
pub mod plan;
pub mod questionnaire;
pub mod remote;
pub mod render;
pub mod scene;
pub mod seating;
pub mod settings;
mod signals;
pub mod state;
mod terminal;
mod typeface;
pub mod view;
pub mod xr;
