//! The record's file: migrations that keep everything, another program's
//! write left alone, and errors said plainly.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::schema::{MIGRATIONS, SCHEMA_VERSION};
use super::*;
use crate::journal::{NewSession, SessionKind};

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stillpoint-unit-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn counts(db: &Connection) -> (i64, i64, i64) {
    db.query_row(
        "SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM steps),
                (SELECT COUNT(*) FROM entries)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .expect("counted")
}

#[test]
fn a_version_1_record_keeps_every_session_step_and_entry_and_never_gives_a_number_again() {
    let dir = scratch("migrate-1");
    let path = dir.join("journal.sqlite3");
    {
        // As the last build left it: sessions 1 to 3, and 3 deleted, so
        // a plain primary key would give 3 again.
        let db = Connection::open(&path).expect("made");
        db.execute_batch(MIGRATIONS[0]).expect("version 1");
        db.pragma_update(None, "user_version", 1).expect("set");
        db.execute_batch(
            "PRAGMA foreign_keys = ON;
             INSERT INTO sessions (alias, scene, title, kind, started_ms) VALUES
                 ('a', 's.ron', 'S', 'exposure', 1),
                 ('b', 's.ron', 'S', 'exposure', 2),
                 ('c', 's.ron', 'S', 'exposure', 3);
             INSERT INTO steps VALUES (1, 1, 'one', 'The first.'), (2, 1, 'one', 'The first.');
             INSERT INTO entries (session, at_us, wall_ms, kind, text) VALUES
                 (1, 0, 1, 'note', 'first'), (2, 0, 2, 'note', 'second'),
                 (3, 0, 3, 'note', 'third');
             DELETE FROM sessions WHERE id = 3;",
        )
        .expect("filled");
    }
    let mut db = open(&path, false, None).expect("opened").expect("there");
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("read");
    assert_eq!(version, SCHEMA_VERSION);
    // The rebuild dropped the old table without taking its steps and
    // entries with it.
    assert_eq!(counts(&db), (2, 2, 2));
    let schema: String = db
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sessions'",
            [],
            |r| r.get(0),
        )
        .expect("read");
    assert!(schema.contains("AUTOINCREMENT"), "{schema}");
    let keys: bool = db
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("read");
    assert!(keys, "foreign keys are on again after the migration");
    // The steps are the session's scene's, and its entries too.
    let one = session(&db, 1).expect("session 1");
    assert_eq!(one.scenes.len(), 1);
    assert_eq!(one.scenes[0].scene, "s.ron");
    assert_eq!(one.scenes[0].steps, [("one".into(), "The first.".into())]);
    assert_eq!(one.entries[0].scene, "s.ron");
    // Deleting still takes the session's steps and entries with it.
    assert_eq!(delete(&mut db, &path, &[2]).expect("deleted"), 1);
    assert_eq!(counts(&db), (1, 1, 1));
    // The highest number was deleted; the next session is higher still.
    let tx = db.transaction().expect("begun");
    let id = begin(
        &tx,
        &NewSession {
            alias: "d".into(),
            scene: "s.ron".into(),
            title: "S".into(),
            kind: SessionKind::Exposure,
            started_ms: 4,
            started_at_us: 0,
            steps: Vec::new(),
        },
    )
    .expect("a session");
    tx.commit().expect("committed");
    assert!(id > 2, "session number {id} was given before");
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn another_program_s_unfinished_write_is_named_as_such_and_left_alone() {
    let dir = scratch("hot-journal");
    let theirs = dir.join("theirs.db");
    let db = Connection::open(&theirs).expect("made");
    db.execute_batch(
        "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1;
         CREATE TABLE t (x BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
         INSERT INTO t SELECT randomblob(1000) FROM n;
         BEGIN; UPDATE t SET x = randomblob(1000);",
    )
    .expect("a write under way, spilled to the file");
    // The file and its journal as a crash mid-write would leave them.
    let copy = dir.join("copy");
    fs::create_dir_all(&copy).expect("a folder");
    let path = copy.join("journal.sqlite3");
    fs::copy(&theirs, &path).expect("copied");
    fs::copy(
        dir.join("theirs.db-journal"),
        copy.join("journal.sqlite3-journal"),
    )
    .expect("its journal copied");
    db.execute_batch("ROLLBACK").expect("rolled back");
    let before = fs::read(&path).expect("read");
    let said = open_read(&path, None).expect_err("refused").to_string();
    assert!(said.contains("-journal file"), "{said}");
    assert!(!said.contains("read-only"), "{said}");
    assert_eq!(
        fs::read(&path).expect("read"),
        before,
        "the file was changed"
    );
}

#[test]
fn sqlite_errors_are_said_plainly_with_the_file_and_never_the_sql() {
    let path = Path::new("/data/stillpoint/journal.sqlite3");
    let full = StoreError::sql(
        path,
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        ),
    )
    .to_string();
    assert!(
        full.contains("/data/stillpoint/journal.sqlite3") && full.contains("the disk is full"),
        "{full}"
    );
    let not = StoreError::sql(
        path,
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
            Some("file is not a database".into()),
        ),
    )
    .to_string();
    assert!(
        not.starts_with("/data/stillpoint/journal.sqlite3 is not a Stillpoint session record"),
        "{not}"
    );
    let clash = StoreError::sql(
        path,
        rusqlite::Error::SqlInputError {
            error: rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            msg: "table sessions already exists".into(),
            sql: "CREATE TABLE sessions (id INTEGER PRIMARY KEY)".into(),
            offset: 13,
        },
    )
    .to_string();
    assert!(
        clash.contains("table sessions already exists") && !clash.contains("CREATE TABLE"),
        "{clash}"
    );
    let busy = StoreError::sql(
        path,
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        ),
    )
    .to_string();
    assert!(busy.contains("another program holds the record"), "{busy}");
}
