//! A session of this run exported from the record, read-only, as the
//! report, CSV or JSON.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Shared, refuse};

/// Sends session `id` of the record as the report (the default), CSV or
/// JSON, if this run recorded it.
pub(super) async fn export(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return refuse(StatusCode::BAD_REQUEST, "a session is a number");
    };
    let format = query.format.unwrap_or_else(|| "html".into());
    let kind = match content_type(&format) {
        Ok(kind) => kind,
        Err(refused) => return *refused,
    };
    let Some(record_file) = shared.journal() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no session record is kept in this run",
        );
    };
    // The record holds other clients' sessions too: none of them is this
    // console's to give.
    if !shared.recorded(id) {
        return refuse(
            StatusCode::NOT_FOUND,
            "this console exports only the session it runs",
        );
    }
    let inline = format == "html";
    let made =
        tokio::task::spawn_blocking(move || -> Result<(String, String), (StatusCode, String)> {
            // Read only, but for the audit trail's row.
            let db = record_file
                .open_read()
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
                .ok_or((StatusCode::NOT_FOUND, "nothing is recorded yet".to_owned()))?;
            let record = crate::journal::store::session(&db, id).map_err(|e| match e {
                crate::journal::store::StoreError::NoSuchSession(_) => {
                    (StatusCode::NOT_FOUND, e.to_string())
                }
                e => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            })?;
            let body = match format.as_str() {
                "csv" => crate::journal::report::csv(&record),
                "json" => crate::journal::report::json(&record),
                _ => crate::journal::report::html(&record),
            };
            if let Err(why) = record_file.note(
                "exported",
                &format!("session {id} as {format}, from the console"),
            ) {
                bevy::log::warn!("{why}");
            }
            Ok((body, file_name(&record, &format)))
        })
        .await;
    match made {
        Ok(Ok((body, name))) => sent(kind, inline, &name, body),
        Ok(Err((status, why))) => refuse(status, why),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "the export failed"),
    }
}

/// The content type of an export in `format`, or the refusal.
fn content_type(format: &str) -> Result<&'static str, Box<Response>> {
    match format {
        "html" => Ok("text/html; charset=utf-8"),
        "csv" => Ok("text/csv; charset=utf-8"),
        "json" => Ok("application/json"),
        other => Err(Box::new(refuse(
            StatusCode::BAD_REQUEST,
            format!("format {other:?}: expected html, csv or json"),
        ))),
    }
}

/// An export sent: saved by the client's code and the date, never as
/// "2.csv"; a report (`inline`) opens in the browser first. It loads
/// nothing, and nothing keeps a copy.
fn sent(kind: &'static str, inline: bool, name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "{}; filename=\"{name}\"",
                    if inline { "inline" } else { "attachment" }
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'".to_owned(),
            ),
        ],
        body,
    )
        .into_response()
}

/// The name a browser saves an export under: the client's code, the
/// session's date and number (`K7HF-3M-2026-12-07-session-4.csv`); only
/// characters a file name keeps as they are.
fn file_name(session: &crate::journal::store::SessionRecord, format: &str) -> String {
    let session = &session.session;
    let date = &crate::journal::report::utc(session.started_ms)[..10];
    let client = if session.client.is_empty() {
        "stillpoint"
    } else {
        &session.client
    };
    let name = format!("{client}-{date}-session-{}.{format}", session.id);
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect()
}

/// The query of an export: its format (default html).
#[derive(serde::Deserialize)]
pub(super) struct ExportQuery {
    format: Option<String>,
}

/// The current client's progress across their sessions, as the report (the
/// default), CSV or JSON, saved under their code and the date.
pub(super) async fn progress(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let format = query.format.unwrap_or_else(|| "html".into());
    let kind = match content_type(&format) {
        Ok(kind) => kind,
        Err(refused) => return *refused,
    };
    let Some(record_file) = shared.journal() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no session record is kept in this run",
        );
    };
    let Some(client) = shared.view.borrow().record.client.clone() else {
        return refuse(
            StatusCode::CONFLICT,
            "no client yet: the session is recorded for one once it begins",
        );
    };
    let inline = format == "html";
    let made = tokio::task::spawn_blocking(move || -> Result<(String, String), String> {
        let db = record_file
            .open_read()
            .map_err(|e| e.to_string())?
            .ok_or("nothing is recorded yet")?;
        let path = record_file.path.clone();
        let found =
            crate::journal::store::client_named(&db, &client, &path).map_err(|e| e.to_string())?;
        let records = crate::journal::store::sessions_of(&db, found.id)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|row| crate::journal::store::session(&db, row.id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let progress = crate::journal::report::progress(&client, &records);
        let body = match format.as_str() {
            "csv" => crate::journal::report::progress_csv(&progress),
            "json" => crate::journal::report::progress_json(&progress),
            _ => crate::journal::report::progress_html(&progress),
        };
        if let Err(why) = record_file.note(
            "exported",
            &format!(
                "a client's progress ({} sessions) as {format}, from the console",
                records.len()
            ),
        ) {
            bevy::log::warn!("{why}");
        }
        let date = &crate::journal::report::utc(crate::journal::store::now_ms())[..10];
        Ok((body, format!("{client}-{date}-progress.{format}")))
    })
    .await;
    match made {
        Ok(Ok((body, name))) => sent(kind, inline, &name, body),
        Ok(Err(why)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, why),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "the export failed"),
    }
}
