//! Stillpoint: guided relaxation in calming 3D scenes.
//!
//! The root only composes: each capability lives in its own module,
//! [`app`] builds the app from their plugins, [`frame`] orders a frame and
//! [`commands`] does what the command line asks. Pure logic (scene format
//! and checks, procedural generation, breathing, the mix) has no Bevy ECS
//! types and is tested alone.

// The one exception, `xr::probe`, loads the OpenXR loader library.
#![deny(unsafe_code)]

pub mod app;
pub mod audio;
pub mod breath;
pub mod capture;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod console;
pub mod diagnostics;
pub mod frame;
pub mod journal;
pub mod keys;
pub mod overlay;
pub mod pacer;
pub mod photosensitivity;
pub mod questionnaire;
pub mod render;
pub mod scene;
pub mod seating;
pub mod settings;
pub mod signals;
pub mod state;
pub mod terminal;
pub mod typeface;
pub mod view;
pub mod xr;
