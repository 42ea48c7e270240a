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
    // Each alias became a client with a code of its own, and the chains
    // were made for the rows already there: the record verifies, and the
    // number deleted before the audit trail began is accounted for.
    let made = clients(&db).expect("clients");
    assert_eq!(
        made.iter().map(|c| c.alias.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(
        made.iter()
            .all(|c| parse_code(&c.code) == Ok(c.code.clone()))
    );
    assert_eq!(sessions(&db).expect("listed")[0].client, made[0].code);
    let checked = verify(&db, false).expect("verified");
    assert!(checked.broken.is_empty(), "{:?}", checked.broken);
    assert_eq!((checked.sessions, checked.entries), (2, 2));
    let began = &trail(&db).expect("trail")[0];
    assert_eq!(
        (began.what.as_str(), began.detail.as_str()),
        ("audit began", "no session number was missing")
    );
    // Deleting still takes the session's steps and entries with it.
    assert_eq!(delete(&mut db, &path, &[2]).expect("deleted"), 1);
    assert_eq!(counts(&db), (1, 1, 1));
    // The highest number was deleted; the next session is higher still.
    let tx = db.transaction().expect("begun");
    let (id, d) = begin(
        &tx,
        &NewSession {
            client: ClientRef::Alias("d".into()),
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
    assert_eq!(d.alias, "d");
    let checked = verify(&db, false).expect("verified");
    assert!(checked.broken.is_empty(), "{:?}", checked.broken);
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

/// A record of two clients' sessions, ended, made through the writer's own
/// functions.
fn two_sessions(path: &Path) -> Connection {
    let mut db = open(path, true, None).expect("opened").expect("there");
    for (n, who) in ["a", "b"].into_iter().enumerate() {
        let tx = db.transaction().expect("begun");
        let (id, _) = begin(
            &tx,
            &NewSession {
                client: ClientRef::Alias(who.into()),
                scene: "s.ron".into(),
                title: "S".into(),
                kind: SessionKind::Exposure,
                started_ms: n as i64,
                started_at_us: 0,
                steps: vec![
                    ("one".into(), "The first.".into()),
                    ("two".into(), "The second.".into()),
                ],
            },
        )
        .expect("a session");
        for value in [40, 30, 20] {
            let entry = crate::journal::Entry {
                scene: "s.ron".into(),
                at_us: value * 1000,
                wall_ms: value,
                kind: crate::journal::EntryKind::Suds,
                step: Some(1),
                value: Some(value),
                text: "asked for".into(),
                corrects: None,
                id: None,
            };
            assert!(add(&tx, id, &entry).expect("added"));
        }
        assert!(end(&tx, id, 100, 100_000).expect("ended"));
        tx.commit().expect("committed");
    }
    db
}

#[test]
fn verify_names_each_row_changed_or_removed_behind_the_app_s_back() {
    let dir = scratch("verify");
    let path = dir.join("journal.sqlite3");
    let db = two_sessions(&path);
    assert!(verify(&db, false).expect("verified").broken.is_empty());
    // A SUDS changed: that entry, and only it, is named.
    db.execute("UPDATE entries SET value = 5 WHERE id = 2", [])
        .expect("changed");
    let broken = verify(&db, false).expect("verified").broken;
    assert_eq!(
        broken,
        ["session 1, entry 2: changed, or an entry before it was changed or removed"]
    );
    db.execute("UPDATE entries SET value = 30 WHERE id = 2", [])
        .expect("put back");
    assert!(verify(&db, false).expect("verified").broken.is_empty());
    // An entry removed: the one after it is named; the last one removed:
    // the session's seal.
    db.execute("DELETE FROM entries WHERE id = 5", [])
        .expect("removed");
    let broken = verify(&db, false).expect("verified").broken;
    assert_eq!(
        broken,
        ["session 2, entry 6: changed, or an entry before it was changed or removed"]
    );
    db.execute("DELETE FROM entries WHERE id = 6", [])
        .expect("removed");
    let broken = verify(&db, false).expect("verified").broken;
    assert_eq!(
        broken,
        ["session 2's end, or its last step or entry, was changed or removed"]
    );
    // A step's words, a session's client.
    db.execute(
        "UPDATE steps SET say = 'x' WHERE session = 1 AND number = 2",
        [],
    )
    .expect("changed");
    db.execute("UPDATE sessions SET client = 2 WHERE id = 1", [])
        .expect("changed");
    let broken = verify(&db, false).expect("verified").broken;
    assert!(
        broken
            .iter()
            .any(|b| b.starts_with("session 1, step 2 of s.ron")),
        "{broken:?}"
    );
    assert!(
        broken.iter().any(|b| b.starts_with("session 1's start")),
        "{broken:?}"
    );
    // A session deleted through the app is accounted for; one deleted
    // behind its back is not.
    let mut db = two_sessions(&dir.join("second.sqlite3"));
    assert_eq!(
        delete(&mut db, &dir.join("second.sqlite3"), &[1]).expect("deleted"),
        1
    );
    assert!(verify(&db, false).expect("verified").broken.is_empty());
    db.execute("DELETE FROM sessions WHERE id = 2", [])
        .expect("removed");
    let broken = verify(&db, false).expect("verified").broken;
    assert_eq!(
        broken,
        ["session 2 is gone, and the audit trail does not say it was deleted"]
    );
    // An audit row changed: it is named.
    db.execute(
        "UPDATE audit SET detail = 'sessions: 1, 2' WHERE what = 'deleted'",
        [],
    )
    .expect("changed");
    let broken = verify(&db, false).expect("verified").broken;
    assert!(
        broken.iter().any(|b| b.starts_with("audit row")),
        "{broken:?}"
    );
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_deleted_client_leaves_an_audit_row_with_nothing_of_theirs() {
    let dir = scratch("delete-client");
    let path = dir.join("journal.sqlite3");
    let mut db = two_sessions(&path);
    let a = find_client(&db, "a").expect("read").expect("client a");
    assert_eq!(
        delete_clients(&mut db, &path, std::slice::from_ref(&a), false).expect("deleted"),
        (1, 1)
    );
    assert!(find_client(&db, &a.code).expect("read").is_none());
    let rows = trail(&db).expect("trail");
    let last = rows.last().expect("a row");
    assert_eq!(
        (last.what.as_str(), last.detail.as_str()),
        ("deleted", "a client was deleted; sessions: 1")
    );
    assert!(rows.iter().all(|r| !r.detail.contains(&a.code)), "{rows:?}");
    assert!(verify(&db, false).expect("verified").broken.is_empty());
    assert_eq!(
        delete_clients(&mut db, &path, &[], true).expect("deleted"),
        (1, 1)
    );
    assert!(clients(&db).expect("read").is_empty() && sessions(&db).expect("read").is_empty());
    assert!(verify(&db, false).expect("verified").broken.is_empty());
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}
