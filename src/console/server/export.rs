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
    let kind = match format.as_str() {
        "html" => "text/html; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        other => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("format {other:?}: expected html, csv or json"),
            );
        }
    };
    let Some(record_file) = shared.journal.clone() else {
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
    let made = tokio::task::spawn_blocking(move || -> Result<String, (StatusCode, String)> {
        // Read-only: exporting never writes to the record.
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
        Ok(match format.as_str() {
            "csv" => crate::journal::report::csv(&record),
            "json" => crate::journal::report::json(&record),
            _ => crate::journal::report::html(&record),
        })
    })
    .await;
    match made {
        Ok(Ok(body)) => (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-store"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'",
                ),
            ],
            body,
        )
            .into_response(),
        Ok(Err((status, why))) => refuse(status, why),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "the export failed"),
    }
}

/// The query of an export: its format (default html).
#[derive(serde::Deserialize)]
pub(super) struct ExportQuery {
    format: Option<String>,
}
