//! The record's schema: its migrations, the version this build writes, and
//! how a file is recognised as a Stillpoint record and brought up to date.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::error::StoreError;
use super::{audit, clients, write};

/// The schema version this build writes.
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema, one migration a version: migration `n` (from 0) takes the file
/// from version `n` to `n + 1`. Never edit one that has shipped; add another.
/// They run with foreign keys off (see [`migrate`]). Each is SQL, and some
/// then have work to do in code ([`AFTER`]).
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: sessions, the steps they had, and what happened in them.
    "CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        alias TEXT NOT NULL,
        scene TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('exposure', 'relaxation')),
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        ended_at_us INTEGER
    );
    CREATE TABLE steps (
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        say TEXT NOT NULL,
        PRIMARY KEY (session, number)
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        at_us INTEGER NOT NULL,
        wall_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        step INTEGER,
        value INTEGER,
        text TEXT NOT NULL
    );
    CREATE INDEX entries_by_session ON entries (session, id);
    CREATE INDEX sessions_by_alias ON sessions (alias);",
    // 2: a session's number is never given again. A plain INTEGER PRIMARY
    // KEY gives the highest number again once its session is deleted, so an
    // app still recording that session (or holding its entries) would write
    // into the next app's session. AUTOINCREMENT remembers the highest ever
    // given. The table is rebuilt as SQLite's documentation says (make the
    // new one, copy, drop the old, rename), with the same columns. Steps and
    // entries whose session is already gone (deleted by a tool that does not
    // enforce foreign keys) are what a delete left behind: they go first.
    "DELETE FROM entries WHERE session NOT IN (SELECT id FROM sessions);
    DELETE FROM steps WHERE session NOT IN (SELECT id FROM sessions);
    CREATE TABLE sessions_rebuilt (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alias TEXT NOT NULL,
        scene TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('exposure', 'relaxation')),
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        ended_at_us INTEGER
    );
    INSERT INTO sessions_rebuilt (id, alias, scene, title, kind, started_ms, ended_ms, ended_at_us)
        SELECT id, alias, scene, title, kind, started_ms, ended_ms, ended_at_us FROM sessions;
    DROP TABLE sessions;
    ALTER TABLE sessions_rebuilt RENAME TO sessions;
    CREATE INDEX sessions_by_alias ON sessions (alias);",
    // 3: one visit is one session, however many scenes it passes through.
    // Each scene's steps are kept under the scene (the primary key takes
    // the scene, so the steps table is rebuilt), each entry names the scene
    // it was made in (NULL, in sessions from before: the session's scene),
    // and a session knows the session time it started at, so that its
    // length and its entries' times count from its own start.
    "ALTER TABLE sessions ADD COLUMN started_at_us INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE entries ADD COLUMN scene TEXT;
    CREATE TABLE steps_rebuilt (
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        scene TEXT NOT NULL,
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        say TEXT NOT NULL,
        PRIMARY KEY (session, scene, number)
    );
    INSERT INTO steps_rebuilt (session, scene, number, name, say)
        SELECT st.session, s.scene, st.number, st.name, st.say
        FROM steps st JOIN sessions s ON s.id = st.session
        ORDER BY st.session, st.number;
    DROP TABLE steps;
    ALTER TABLE steps_rebuilt RENAME TO steps;",
    // 4: clients, the hash chains and the audit trail. Every session
    // belongs to a client (a random code, with the alias the therapist
    // typed); each distinct alias of the sessions before becomes one, in
    // code ([`clients_from_aliases`]). Steps, entries and sessions carry
    // their links ([`super::chain`]), computed for the rows already there;
    // an entry may correct an earlier one of its session. The audit trail
    // begins with a row that says which session numbers were already gone.
    "CREATE TABLE clients (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL UNIQUE,
        alias TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX clients_by_alias ON clients (alias);
    ALTER TABLE sessions ADD COLUMN client INTEGER REFERENCES clients(id);
    ALTER TABLE sessions ADD COLUMN chain BLOB;
    ALTER TABLE sessions ADD COLUMN seal BLOB;
    ALTER TABLE steps ADD COLUMN chain BLOB;
    ALTER TABLE entries ADD COLUMN corrects INTEGER REFERENCES entries(id);
    ALTER TABLE entries ADD COLUMN chain BLOB;
    CREATE INDEX sessions_by_client ON sessions (client);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        what TEXT NOT NULL,
        detail TEXT NOT NULL,
        chain BLOB NOT NULL
    );",
    // 5: each client's plans, one row per version (a change is a new row;
    // the latest of a client and scene is in force), chained per client
    // and scene; they go with their client.
    "CREATE TABLE plans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        scene TEXT NOT NULL,
        made_ms INTEGER NOT NULL,
        plan TEXT NOT NULL,
        chain BLOB NOT NULL
    );
    CREATE INDEX plans_by_client ON plans (client, scene, id);",
];

/// Work a migration does in code after its SQL, by its number (from 0).
type After = fn(&Transaction) -> rusqlite::Result<()>;

/// The migrations with work in code.
const AFTER: &[(usize, After)] = &[(3, clients_from_aliases)];

/// Migration 4's work: a client for each distinct alias (the sessions with
/// none share one client without an alias), in the order the aliases were
/// first recorded; every row's link; and the audit trail's first row.
fn clients_from_aliases(tx: &Transaction) -> rusqlite::Result<()> {
    let now = super::now_ms();
    audit::append(tx, now, "audit began", &began_detail(tx)?)?;
    let aliases: Vec<String> = tx
        .prepare("SELECT alias FROM sessions GROUP BY alias ORDER BY MIN(id)")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for alias in aliases {
        let client = clients::make(tx, &alias, now)?;
        tx.execute(
            "UPDATE sessions SET client = ?1 WHERE alias = ?2",
            params![client.id, alias],
        )?;
    }
    let ids: Vec<i64> = tx
        .prepare("SELECT id FROM sessions ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        write::link_session(tx, id)?;
    }
    Ok(())
}

/// The first audit row's detail: the session numbers already given and no
/// longer there (deleted before there was an audit trail).
fn began_detail(tx: &Transaction) -> rusqlite::Result<String> {
    let highest: i64 = tx.query_row(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sessions'),
                         (SELECT MAX(id) FROM sessions), 0)",
        [],
        |r| r.get(0),
    )?;
    let there: Vec<i64> = tx
        .prepare("SELECT id FROM sessions ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let gone: Vec<i64> = (1..=highest)
        .filter(|id| there.binary_search(id).is_err())
        .collect();
    Ok(if gone.is_empty() {
        "no session number was missing".to_owned()
    } else {
        format!(
            "gone before the trail began: {}",
            audit::sessions_detail(&gone)
        )
    })
}

/// The tables a Stillpoint record has at every version.
const TABLES: [&str; 3] = ["sessions", "steps", "entries"];

/// The schema version of the file `db` has open, once it is known to be a
/// Stillpoint record this build can read: version 0 is a new, empty file.
/// Reads only.
pub(super) fn kind_of(db: &Connection, path: &Path) -> Result<i64, StoreError> {
    let fail = |e| StoreError::sql_on(path, db, e);
    let found: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .map_err(fail)?
        .query_map([], |r| r.get(0))
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)?;
    let ours = TABLES.iter().all(|t| tables.iter().any(|name| name == t));
    // A Stillpoint sets the version in the transaction that makes the
    // tables, so tables at version 0 are another program's.
    match found {
        0 if tables.is_empty() => Ok(0),
        n if n > 0 && ours => Ok(n),
        _ => Err(StoreError::NotARecord {
            path: path.to_path_buf(),
            why: "an SQLite database, but not one a Stillpoint made",
        }),
    }
}

/// Runs the migrations the file has not had, in one transaction.
///
/// A migration that rebuilds a table drops the old one, and with foreign
/// keys enforced that drop would delete every step and entry of every
/// session with it. So foreign keys are off while the migrations run (the
/// pragma does nothing inside a transaction, so it is set before), the keys
/// are checked before the commit, and [`open`](super::open()) turns them on again after.
pub(super) fn migrate(db: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| StoreError::sql_on(path, &*db, e))?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    db.pragma_update(None, "foreign_keys", "OFF")
        .map_err(|e| StoreError::sql_on(path, &*db, e))?;
    let fail = |e| StoreError::sql(path, e);
    // Immediate: of two apps that start at once, one migrates and the other
    // waits, then finds nothing left to do.
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    let Ok(from) = usize::try_from(found) else {
        return Err(StoreError::NotARecord {
            path: path.to_path_buf(),
            why: "an SQLite database, but not one a Stillpoint made",
        });
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(from) {
        tx.execute_batch(sql).map_err(fail)?;
        for (_, after) in AFTER.iter().filter(|(m, _)| *m == n) {
            after(&tx).map_err(fail)?;
        }
    }
    let broken = {
        let mut check = tx.prepare("PRAGMA foreign_key_check").map_err(fail)?;
        let mut rows = check.query([]).map_err(fail)?;
        rows.next().map_err(fail)?.is_some()
    };
    if broken {
        // Dropping the transaction rolls it back: the file stays as it was.
        return Err(StoreError::Sql {
            path: path.to_path_buf(),
            why: format!(
                "bringing its schema from version {found} to {SCHEMA_VERSION} left steps or \
                 entries without their session, so nothing was changed; keep a copy of the \
                 file and report it"
            ),
        });
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(fail)?;
    tx.commit().map_err(fail)
}
