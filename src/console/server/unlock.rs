//! Unlocking the session record from the page, right after pairing: the
//! therapist types the record's passphrase (twice, for a record yet to be
//! made). It is checked here, on a blocking thread (the key takes about a
//! second to derive), handed to the app's journal, and kept for this run's
//! exports; it is never written anywhere or sent back.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Shared, refuse};
use crate::journal::store::{self, Passphrase, StoreError};
use crate::state::Locked;

/// What the page sends.
#[derive(Deserialize)]
struct Typed {
    passphrase: Passphrase,
    /// The same again, for a new record.
    again: Option<Passphrase>,
}

/// Checks the passphrase typed on the page and unlocks the record with it.
pub(super) async fn unlock(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(typed) = serde_json::from_slice::<Typed>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "expected the passphrase (and, for a new record, the same again)",
        );
    };
    let Some(file) = shared.journal() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no session record is kept in this run",
        );
    };
    if file.passphrase.is_some() {
        return refuse(StatusCode::CONFLICT, "the record is unlocked already");
    }
    // One try at a time: each takes a second of a core and 64 MiB.
    if shared.unlocking.swap(true, Ordering::SeqCst) {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "a passphrase is being checked; wait for its answer",
        );
    }
    let Typed { passphrase, again } = typed;
    let path = file.path.clone();
    let checked = {
        let passphrase = passphrase.clone();
        tokio::task::spawn_blocking(move || check(&path, &passphrase, again.as_ref())).await
    };
    shared.unlocking.store(false, Ordering::SeqCst);
    match checked {
        Ok(Ok(())) => {}
        Ok(Err((status, why))) => return refuse(status, why),
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "the check failed"),
    }
    shared.unlocked(passphrase);
    // Answered once the app has the record open to it, so a Start right
    // after is not refused as locked; the app has as long as a control has
    // (a renderer on the CPU can take seconds over a frame).
    let mut view = shared.view.clone();
    let taken = tokio::time::timeout(
        shared.answer_within,
        view.wait_for(|v| v.record.locked.is_none()),
    )
    .await;
    match taken {
        Ok(Ok(_)) => axum::Json(serde_json::json!({ "unlocked": true })).into_response(),
        _ => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the passphrase is right, but the app has not taken it yet; the view shows when \
             it has",
        ),
    }
}

/// Whether `passphrase` opens the record at `path`, or will make it: a
/// record yet to be made takes a new passphrase typed the same twice.
fn check(
    path: &std::path::Path,
    passphrase: &Passphrase,
    again: Option<&Passphrase>,
) -> Result<(), (StatusCode, String)> {
    let unprocessable = |why: String| (StatusCode::UNPROCESSABLE_ENTITY, why);
    match store::is_encrypted(path) {
        Ok(Some(true)) => match store::open_read(path, Some(passphrase)) {
            Ok(_) => Ok(()),
            Err(StoreError::WrongPassphrase { .. }) => Err((
                StatusCode::FORBIDDEN,
                "that passphrase does not open the session record; nothing was changed".into(),
            )),
            Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
        },
        Ok(Some(false)) => Err(unprocessable(
            "the session record is not encrypted, and a therapist's record must be: close \
             Stillpoint and run `stillpoint journal encrypt`"
                .into(),
        )),
        Ok(None) => {
            if let Some(why) = passphrase.refuse_as_new() {
                return Err(unprocessable(why));
            }
            match again {
                Some(again) if again.same_as(passphrase) => Ok(()),
                Some(_) => Err(unprocessable("the two were not the same".into())),
                None => Err(unprocessable(
                    "a new record's passphrase is typed twice".into(),
                )),
            }
        }
        Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

/// The words for why the record is locked, as a refused control says them.
pub(crate) fn why_locked(locked: Locked) -> &'static str {
    match locked {
        Locked::Passphrase => {
            "the session record is locked: unlock it with its passphrase (on this page) first"
        }
        Locked::NewPassphrase => {
            "the session record is not made yet: choose its passphrase (on this page) first"
        }
        Locked::Plain => {
            "the session record is not encrypted, and a therapist's record must be: close \
             Stillpoint and run `stillpoint journal encrypt`"
        }
    }
}
