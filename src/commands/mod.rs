//! What each command does, once the command line is parsed: the app itself
//! and the subcommands, each in the file named for it (`journal` keeps its
//! own, beside the record).

pub mod choose;
pub mod open;
pub mod render_audio;
pub mod scenes;

use crate::settings::{Settings, load_settings};

/// The person's settings file, its problems said once (the good fields are
/// kept, the rest default).
pub fn settings_file() -> Settings {
    let loaded = load_settings();
    if let (Some(errors), Some(outcome)) = (&loaded.errors, loaded.outcome()) {
        crate::tell!("{errors}");
        crate::tell!("{outcome}");
    }
    loaded.settings
}
