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

mod encrypt;
mod error;
mod file;
mod key;
mod read;
mod schema;
mod write;

pub use encrypt::{Encrypted, encrypt};
pub(crate) use error::StoreError;
pub(crate) use file::default_path;
pub use file::{is_encrypted, open, open_read, unlock};
pub use key::Passphrase;
pub(super) use read::{SceneSteps, SessionRow, sessions_of};
pub use read::{SessionRecord, session, sessions};
pub use write::{add, begin, delete, end};
pub(super) use write::{add_scene, is_recorded_now};

#[cfg(test)]
mod tests;
