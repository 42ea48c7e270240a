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

mod error;
mod file;
mod read;
mod schema;
mod write;

pub use error::StoreError;
pub use file::{default_path, open, open_read};
pub use read::{SceneSteps, SessionRecord, SessionRow, session, sessions, sessions_of};
pub use schema::SCHEMA_VERSION;
pub use write::{add, add_scene, begin, delete, end, is_recorded_now};

#[cfg(test)]
mod tests;
