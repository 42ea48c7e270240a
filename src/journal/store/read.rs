//! Reading the record: the sessions as listed, and one session whole with
//! its scenes, steps and entries.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::StoreError;
use crate::journal::{Entry, EntryKind, SessionKind};

/// A session as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionRow {
    /// Its number.
    pub id: i64,
    /// The client's code (empty in a record from before there were
    /// clients, read as it is).
    pub client: String,
    /// The client's alias, as the therapist typed it; never in a report or
    /// an export.
    #[serde(skip)]
    pub alias: String,
    /// The scene's file, inside the scene folder.
    pub(crate) scene: String,
    /// The scene's title.
    pub(crate) title: String,
    /// Exposure or relaxation.
    pub kind: SessionKind,
    /// When it started, milliseconds since 1970 (UTC).
    pub(crate) started_ms: i64,
    /// When it ended; `None`: it never said (the app was stopped hard, or
    /// is still running).
    pub ended_ms: Option<i64>,
    /// The session time it started at, microseconds (0 in sessions
    /// recorded before this was kept).
    pub started_at_us: i64,
    /// Its length in session time (pauses not counted), microseconds, from
    /// its start to its end or its last entry.
    pub length_us: i64,
    /// How many entries it has.
    pub(crate) entries: i64,
}

/// A session with everything in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionRecord {
    /// The session.
    pub session: SessionRow,
    /// The scenes it passed through, the first first, each with its steps.
    pub scenes: Vec<SceneSteps>,
    /// What happened, in order.
    pub entries: Vec<Entry>,
}

/// A scene a session passed through, and its steps.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SceneSteps {
    /// Its file, inside the scene folder.
    pub scene: String,
    /// Its title.
    pub(crate) title: String,
    /// Its hierarchy's steps, lowest first: name and sentence (none for a
    /// calm scene).
    pub steps: Vec<(String, String)>,
}

/// Every session, oldest first.
pub fn sessions(db: &Connection) -> Result<Vec<SessionRow>, StoreError> {
    let path = file_of(db);
    let fail = |e| StoreError::sql_on(&path, db, e);
    let columns = session_columns(version(db).map_err(fail)?);
    db.prepare(&format!(
        "SELECT {columns} FROM {} ORDER BY s.id",
        session_tables(version(db).map_err(fail)?)
    ))
    .map_err(fail)?
    .query_map([], session_row)
    .map_err(fail)?
    .collect::<rusqlite::Result<_>>()
    .map_err(fail)
}

/// One session, whole.
pub fn session(db: &Connection, id: i64) -> Result<SessionRecord, StoreError> {
    let path = file_of(db);
    let fail = |e| StoreError::sql_on(&path, db, e);
    let version = version(db).map_err(fail)?;
    let session = db
        .query_row(
            &format!(
                "SELECT {} FROM {} WHERE s.id = ?1",
                session_columns(version),
                session_tables(version)
            ),
            [id],
            session_row,
        )
        .optional()
        .map_err(fail)?
        .ok_or(StoreError::NoSuchSession(id))?;
    // Records from before version 3 keep one scene's steps, and entries
    // that name no scene: both are the session's scene.
    let (steps_sql, entries_sql) = if version >= 4 {
        (
            "SELECT COALESCE(scene, ?2), name, say FROM steps WHERE session = ?1 ORDER BY rowid",
            "SELECT at_us, wall_ms, kind, step, value, text, COALESCE(scene, ?2), corrects, id
             FROM entries WHERE session = ?1 ORDER BY id",
        )
    } else if version >= 3 {
        (
            "SELECT COALESCE(scene, ?2), name, say FROM steps WHERE session = ?1 ORDER BY rowid",
            "SELECT at_us, wall_ms, kind, step, value, text, COALESCE(scene, ?2), NULL, id
             FROM entries WHERE session = ?1 ORDER BY id",
        )
    } else {
        (
            "SELECT ?2, name, say FROM steps WHERE session = ?1 ORDER BY number",
            "SELECT at_us, wall_ms, kind, step, value, text, ?2, NULL, id FROM entries
             WHERE session = ?1 ORDER BY id",
        )
    };
    let steps: Vec<(String, String, String)> = db
        .prepare(steps_sql)
        .map_err(fail)?
        .query_map(params![id, session.scene], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)?;
    let entries: Vec<Entry> = db
        .prepare(entries_sql)
        .map_err(fail)?
        .query_map(params![id, session.scene], |r| {
            let kind: String = r.get(2)?;
            Ok(Entry {
                at_us: r.get(0)?,
                wall_ms: r.get(1)?,
                kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Unknown),
                step: r.get(3)?,
                value: r.get(4)?,
                text: r.get(5)?,
                scene: r.get(6)?,
                corrects: r.get(7)?,
                id: Some(r.get(8)?),
            })
        })
        .map_err(fail)?
        .collect::<rusqlite::Result<_>>()
        .map_err(fail)?;
    // The scenes in the order the session reached them: its first, then
    // each as its steps were kept or its entries began.
    let mut scenes = vec![SceneSteps {
        scene: session.scene.clone(),
        title: session.title.clone(),
        steps: Vec::new(),
    }];
    let order = steps
        .iter()
        .map(|(scene, _, _)| scene)
        .chain(entries.iter().map(|e| &e.scene));
    for scene in order {
        if !scenes.iter().any(|s| &s.scene == scene) {
            let title = entries
                .iter()
                .find(|e| &e.scene == scene && e.kind == EntryKind::SceneEntered)
                .map_or_else(|| scene.clone(), |e| e.text.clone());
            scenes.push(SceneSteps {
                scene: scene.clone(),
                title,
                steps: Vec::new(),
            });
        }
    }
    for (scene, name, say) in steps {
        if let Some(s) = scenes.iter_mut().find(|s| s.scene == scene) {
            s.steps.push((name, say));
        }
    }
    Ok(SessionRecord {
        session,
        scenes,
        entries,
    })
}

/// The sessions of one client, as listed.
pub(crate) fn sessions_of(db: &Connection, client: i64) -> Result<Vec<SessionRow>, StoreError> {
    let path = file_of(db);
    let fail = |e| StoreError::sql_on(&path, db, e);
    let version = version(db).map_err(fail)?;
    let columns = session_columns(version);
    db.prepare(&format!(
        "SELECT {columns} FROM {} WHERE s.client = ?1 ORDER BY s.id",
        session_tables(version)
    ))
    .map_err(fail)?
    .query_map([client], session_row)
    .map_err(fail)?
    .collect::<rusqlite::Result<_>>()
    .map_err(fail)
}

/// The tables a [`SessionRow`] is read from.
fn session_tables(version: i64) -> &'static str {
    if version >= 4 {
        "sessions s LEFT JOIN clients c ON c.id = s.client"
    } else {
        "sessions s"
    }
}

/// The columns of a [`SessionRow`], for a record at schema `version`
/// (read-only opens read older records as they are).
fn session_columns(version: i64) -> String {
    let started = if version >= 3 { "s.started_at_us" } else { "0" };
    let client = if version >= 4 {
        "COALESCE(c.code, ''), COALESCE(c.alias, s.alias)"
    } else {
        "'', s.alias"
    };
    format!(
        "s.id, {client}, s.scene, s.title, s.kind, s.started_ms, s.ended_ms, {started},
         COALESCE(s.ended_at_us, (SELECT MAX(at_us) FROM entries WHERE session = s.id),
                  {started}) - {started},
         (SELECT COUNT(*) FROM entries WHERE session = s.id)"
    )
}

/// The schema version of the record `db` has open.
fn version(db: &Connection) -> rusqlite::Result<i64> {
    db.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn session_row(r: &rusqlite::Row) -> rusqlite::Result<SessionRow> {
    let kind: String = r.get(5)?;
    Ok(SessionRow {
        id: r.get(0)?,
        client: r.get(1)?,
        alias: r.get(2)?,
        scene: r.get(3)?,
        title: r.get(4)?,
        kind: SessionKind::parse(&kind).unwrap_or(SessionKind::Relaxation),
        started_ms: r.get(6)?,
        ended_ms: r.get(7)?,
        started_at_us: r.get(8)?,
        length_us: r.get(9)?,
        entries: r.get(10)?,
    })
}

/// The file `db` reads, for its errors.
fn file_of(db: &Connection) -> PathBuf {
    match db.path() {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from("(in memory)"),
    }
}
