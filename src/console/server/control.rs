//! A control from the page: sent to the app over a bounded channel, and
//! answered once the app has acted on it. Each is done exactly when its
//! request can say so ([`Claim`]): one answered "not done" never is.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

use super::{Shared, TAKEN_ANSWER_WITHIN};
use crate::console::command::{Control, intents};
use crate::state::Intent;

/// A control on its way to the app, with where the answer goes.
pub(crate) struct Asked {
    /// What to do.
    pub(crate) intents: Vec<Intent>,
    /// The answer: what the app said as it acted, or why it would not.
    pub(crate) reply: oneshot::Sender<Answer>,
    /// Whether the app may still take it.
    pub(crate) claim: Claim,
    /// It is the therapist's Start: the session's client is fixed from now.
    pub(crate) start: bool,
    /// It chooses the client: the alias shown from now (empty for a client
    /// chosen by code).
    pub(crate) alias: Option<String>,
}

/// What the app said when it acted on a control.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Answer {
    /// The lifecycle messages of the frame it acted in, in words.
    pub(crate) said: Vec<String>,
    /// Why it would not, if it would not.
    pub(crate) refused: Option<String>,
}

/// Who has a control: it waits, the app has taken it, or its request has
/// given up on it. Whichever of the app and the request moves it from
/// waiting first decides, so a control is done exactly when its request
/// can say so: the app skips one given up on, and a request that finds
/// its control taken waits for the answer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Claim(Arc<AtomicU8>);

impl Claim {
    const WAITING: u8 = 0;
    const TAKEN: u8 = 1;
    const ABANDONED: u8 = 2;

    /// The app takes the control; false when its request has given up.
    pub(crate) fn take(&self) -> bool {
        self.0
            .compare_exchange(
                Self::WAITING,
                Self::TAKEN,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// The request gives up on the control; false when the app has taken
    /// it already.
    fn abandon(&self) -> bool {
        self.0
            .compare_exchange(
                Self::WAITING,
                Self::ABANDONED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }
}

/// Sends a control to the app, and answers with what the app said as it
/// acted, why it would not, or that it was not done.
pub(super) async fn control(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let (status, answer) = ask(&shared, &body).await;
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(answer),
    )
        .into_response()
}

/// Sends the control in `body` to the app and waits for its answer: the
/// status and the JSON a request answers with, whichever way it came (a
/// POST, or the data channel of a remote session).
pub(crate) async fn ask(shared: &Shared, body: &[u8]) -> (StatusCode, serde_json::Value) {
    let refuse = |status: StatusCode, why: &str| (status, serde_json::json!({ "error": why }));
    let control: Control = match serde_json::from_slice(body) {
        Ok(c) => c,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("not a control this console knows: {e}"),
            );
        }
    };
    let now = shared.view.borrow().clone();
    let start = matches!(control, Control::Start {});
    let alias = match &control {
        Control::Client { new, .. } => Some(new.clone().unwrap_or_default().trim().to_owned()),
        _ => None,
    };
    let intents = match intents(control, &now, &shared.forms) {
        Ok(i) => i,
        Err(why) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, &why),
    };
    let claim = Claim::default();
    // Gives up on the control however this request ends before the app
    // took it.
    let give_up = GiveUp(claim.clone());
    let (reply, mut answer) = oneshot::channel();
    if shared
        .asks
        .try_send(Asked {
            intents,
            reply,
            claim,
            start,
            alias,
        })
        .is_err()
    {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the app has controls waiting; try again in a moment",
        );
    }
    let answered = match tokio::time::timeout(shared.answer_within, &mut answer).await {
        Ok(Ok(answer)) => Some(answer),
        // Not answered in time, or the app went without answering.
        Ok(Err(_)) | Err(_) => None,
    };
    let answered = match answered {
        Some(answer) => Some(answer),
        // Given up on before the app took it: the app will skip it.
        None if give_up.0.abandon() => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the app did not act on it in time; it was not done",
            );
        }
        // The app has taken it, and answers in the same frame.
        None => match tokio::time::timeout(TAKEN_ANSWER_WITHIN, answer).await {
            Ok(Ok(answer)) => Some(answer),
            Ok(Err(_)) | Err(_) => None,
        },
    };
    match answered {
        Some(answer) if answer.refused.is_some() => (
            StatusCode::CONFLICT,
            serde_json::json!({
                "error": answer.refused,
                "said": answer.said,
            }),
        ),
        Some(answer) => (
            StatusCode::OK,
            serde_json::to_value(answer).unwrap_or_default(),
        ),
        None => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the app took it but gave no answer; the view shows what it did",
        ),
    }
}

/// Gives up on a control when its request goes however it goes (answered,
/// timed out by a layer, or dropped with its connection), so that the app
/// never takes a control nobody waits for.
struct GiveUp(Claim);

impl Drop for GiveUp {
    fn drop(&mut self) {
        self.0.abandon();
    }
}
