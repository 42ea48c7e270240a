//! The record's clients, for the page to choose whom a session is recorded
//! for: their codes and aliases (the therapist's own screen; never in a
//! report or an export), newest first.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Shared, refuse};

/// A client as the page lists them.
#[derive(serde::Serialize)]
struct Listed {
    code: String,
    alias: String,
    sessions: usize,
}

/// Lists the record's clients.
pub(super) async fn clients(State(shared): State<Arc<Shared>>) -> Response {
    let Some(file) = shared.journal() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no session record is kept in this run",
        );
    };
    let listed =
        tokio::task::spawn_blocking(move || -> Result<Vec<Listed>, (StatusCode, String)> {
            let db = match file.open_read() {
                Ok(Some(db)) => db,
                Ok(None) => return Ok(Vec::new()),
                Err(crate::journal::store::StoreError::Locked { .. }) => {
                    return Err((
                        StatusCode::CONFLICT,
                        "the record is locked: unlock it first".into(),
                    ));
                }
                Err(e) => return Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
            };
            let fail = |e: rusqlite::Error| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
            let mut clients = crate::journal::store::clients(&db).map_err(fail)?;
            clients.reverse();
            clients
                .into_iter()
                .map(|c| {
                    let sessions = crate::journal::store::sessions_of(&db, c.id)
                        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
                        .len();
                    Ok(Listed {
                        code: c.code,
                        alias: c.alias,
                        sessions,
                    })
                })
                .collect()
        })
        .await;
    match listed {
        Ok(Ok(listed)) => {
            ([(header::CACHE_CONTROL, "no-store")], axum::Json(listed)).into_response()
        }
        Ok(Err((status, why))) => refuse(status, why),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the clients could not be read",
        ),
    }
}
