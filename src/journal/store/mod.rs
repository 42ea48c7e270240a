//! The record's file: where it lives, its schema and migrations, and the
//! reads, writes and deletes on it. Plain functions on a connection, used by
//! the writer thread and by `stillpoint journal`.
//!
//! Whatever writes (the app's writer, `journal delete`) opens the file with
//! [`open`], which makes it and brings its schema up to date; whatever only
//! reads (`journal list`, `journal export`, the console's export) opens it
//! with [`open_read`], which never changes a byte of it nor its mode. Every
//! error names the file and says in plain words what happened and what to
//! do, and never shows the SQL of a statement.

mod amend;
mod audit;
mod chain;
mod clients;
mod encrypt;
mod error;
mod file;
mod key;
mod plans;
mod read;
mod schema;
mod verify;
mod write;

pub use amend::{Amend, MAX_WORDS, close_note, correct};
pub use audit::{AuditRow, note, trail};
pub use clients::find as find_client;
pub(crate) use clients::list as clients;
pub(crate) use clients::named as client_named;
pub use clients::{CODE_CHARACTERS, Client, ClientRef, parse_code};
pub use verify::{Verified, verify};

pub use encrypt::{Encrypted, encrypt, rekey};
pub(crate) use error::StoreError;
pub(crate) use file::default_path;
pub use file::{is_encrypted, open, open_read, unlock};
pub use key::Passphrase;
pub(crate) use plans::of_session as plan_of_session;
pub use plans::save as save_plan;
pub use plans::{KeptPlan, in_force as plan_in_force};
pub(crate) use read::sessions_of;
pub(super) use read::{SceneSteps, SessionRow};
pub use read::{SessionRecord, session, sessions};
pub use write::{add, begin, delete, delete_clients, end};
pub(super) use write::{add_scene, is_recorded_now, set_client};

/// Milliseconds since 1970 (UTC), as the record keeps times.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
