//! Corrections and closed notes from the page, for a session this console
//! runs: its SUDS and notes listed with their numbers in the record and as
//! corrected so far; a correction or a closing kept as `journal correct`
//! and `journal close-note` keep them (new entries; nothing changed in
//! place), while the session is recorded or after it has ended.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{Shared, refuse};
use crate::journal::EntryKind;
use crate::journal::store::{self, Amend, StoreError};

/// Which session.
#[derive(Deserialize)]
pub(super) struct Which {
    session: i64,
}

/// A SUDS or a note as the page lists it.
#[derive(Serialize)]
struct Listed {
    /// Its number in the record.
    id: i64,
    /// `suds` or `note`.
    kind: &'static str,
    /// Seconds into the session, by the wall clock.
    at_s: i64,
    step: Option<i64>,
    /// The SUDS, as corrected.
    value: Option<i64>,
    /// Its words, as corrected, with what it was and why.
    text: String,
    /// A closed note cannot be corrected.
    closed: bool,
}

/// A correction or a closing, as the page sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Asked {
    session: i64,
    entry: i64,
    #[serde(default)]
    suds: Option<u8>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    close_by: Option<String>,
}

/// The record, if this run keeps one and `session` is this console's.
fn record_of(shared: &Shared, session: i64) -> Result<crate::journal::RecordFile, Box<Response>> {
    let Some(file) = shared.journal() else {
        return Err(Box::new(refuse(
            StatusCode::NOT_FOUND,
            "no session record is kept in this run",
        )));
    };
    // The record holds other clients' sessions: none of them is this
    // console's to read or correct.
    if !shared.recorded(session) {
        return Err(Box::new(refuse(
            StatusCode::NOT_FOUND,
            "this console corrects only the session it runs",
        )));
    }
    Ok(file)
}

/// The session's SUDS and notes, as corrected so far.
pub(super) async fn entries(
    State(shared): State<Arc<Shared>>,
    Query(which): Query<Which>,
) -> Response {
    let file = match record_of(&shared, which.session) {
        Ok(file) => file,
        Err(refused) => return *refused,
    };
    let listed = tokio::task::spawn_blocking(move || -> Result<Vec<Listed>, String> {
        let db = file
            .open_read()
            .map_err(|e| e.to_string())?
            .ok_or("nothing is recorded yet")?;
        let record = store::session(&db, which.session).map_err(|e| e.to_string())?;
        let start = record.session.started_ms;
        let closed: Vec<i64> = record
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::NoteClosed)
            .filter_map(|e| e.corrects)
            .collect();
        let record = crate::journal::report::amended(&record);
        Ok(record
            .entries
            .iter()
            .filter_map(|e| {
                let kind = match e.kind {
                    EntryKind::Suds => "suds",
                    EntryKind::Note => "note",
                    _ => return None,
                };
                let id = e.id?;
                Some(Listed {
                    id,
                    kind,
                    at_s: (e.wall_ms - start) / 1000,
                    step: e.step,
                    value: e.value,
                    text: e.text.clone(),
                    closed: closed.contains(&id),
                })
            })
            .collect())
    })
    .await;
    match listed {
        Ok(Ok(listed)) => {
            ([(header::CACHE_CONTROL, "no-store")], axum::Json(listed)).into_response()
        }
        Ok(Err(why)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, why),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the session could not be read",
        ),
    }
}

/// Keeps a correction (`suds` or `note`, with `why`) or a closing
/// (`close_by`) of an entry of this console's session.
pub(super) async fn amend(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let asked: Asked = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return refuse(StatusCode::BAD_REQUEST, format!("not a correction: {e}"));
        }
    };
    let file = match record_of(&shared, asked.session) {
        Ok(file) => file,
        Err(refused) => return *refused,
    };
    enum What {
        Correct(Amend, String),
        Close(String),
    }
    let what = match (asked.suds, asked.note, asked.why, asked.close_by) {
        (Some(v), None, Some(why), None) => What::Correct(Amend::Suds(v), why),
        (None, Some(words), Some(why), None) => What::Correct(Amend::Note(words), why),
        (None, None, None, Some(by)) => What::Close(by),
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "a correction is suds or note with why; a closing is close_by alone",
            );
        }
    };
    let (session, entry) = (asked.session, asked.entry);
    let kept = tokio::task::spawn_blocking(move || -> Result<i64, StoreError> {
        let Some(mut db) = store::open(&file.path, false, file.passphrase.as_ref())? else {
            return Err(StoreError::NoSuchSession(session));
        };
        let tx = db
            .transaction()
            .map_err(|e| StoreError::sql(&file.path, e))?;
        let now = store::now_ms();
        let id = match &what {
            What::Correct(amend, why) => store::correct(&tx, session, entry, amend, why, now)?,
            What::Close(by) => store::close_note(&tx, session, entry, by, now)?,
        };
        tx.commit().map_err(|e| StoreError::sql(&file.path, e))?;
        Ok(id)
    })
    .await;
    match kept {
        Ok(Ok(id)) => axum::Json(serde_json::json!({ "id": id })).into_response(),
        Ok(Err(e @ (StoreError::Refused(_) | StoreError::NoSuchSession(_)))) => {
            refuse(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        Ok(Err(e @ (StoreError::Locked { .. } | StoreError::WrongPassphrase { .. }))) => {
            refuse(StatusCode::CONFLICT, e.to_string())
        }
        Ok(Err(e)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the correction could not be kept",
        ),
    }
}
