//! What a page watches: the view, once or live over a WebSocket (at most
//! ten times a second, with every message the app says), and the mirror of
//! the window.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast;

use super::{MAX_BODY, MAX_WATCHERS, Shared, refuse};
use crate::console::view::View;

/// The view as it is now.
pub(super) async fn view(State(shared): State<Arc<Shared>>) -> Response {
    let now = shared.view.borrow().clone();
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(&*now)).into_response()
}

/// Decrements the watcher count when a watcher goes.
struct Watching(Arc<Shared>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Upgrades to a WebSocket that watches live, while there is room.
pub(super) async fn live(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
    if shared.watchers.fetch_add(1, Ordering::SeqCst) >= MAX_WATCHERS {
        shared.watchers.fetch_sub(1, Ordering::SeqCst);
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_WATCHERS} pages are watching already"),
        );
    }
    let watching = Watching(shared.clone());
    upgrade
        .max_message_size(MAX_BODY)
        .max_frame_size(MAX_BODY)
        .on_upgrade(move |socket| watch_live(socket, watching))
}

fn view_message(view: &View) -> Message {
    Message::Text(view_text(view).into())
}

/// The view as a watcher's message: its JSON with `"type": "view"`.
pub(super) fn view_text(view: &View) -> String {
    let mut json = serde_json::to_value(view).unwrap_or_default();
    json["type"] = "view".into();
    json.to_string()
}

/// Sends the live view (at most ten times a second) and every message, until
/// the page or the app goes.
async fn watch_live(mut socket: WebSocket, watching: Watching) {
    let shared = watching.0.clone();
    let mut views = shared.view.clone();
    let mut said = shared.said.subscribe();
    let mut stop = shared.stop.clone();
    let first = view_message(&views.borrow_and_update().clone());
    if socket.send(first).await.is_err() {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut stale = false;
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            changed = views.changed() => {
                if changed.is_err() {
                    return;
                }
                stale = true;
            }
            _ = tick.tick(), if stale => {
                stale = false;
                let now = views.borrow_and_update().clone();
                if socket.send(view_message(&now)).await.is_err() {
                    return;
                }
            }
            message = said.recv() => {
                let text = match message {
                    Ok(text) => text,
                    // Too slow to keep up: the view again, then on.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        stale = true;
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if socket.send(Message::Text((*text).into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => {
                // The page only listens here; it sends controls by POST.
                // Anything too large, or a close, ends the watch.
                match incoming {
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                }
            }
        }
    }
    // The app is closing.
    let _ = socket.send(Message::Close(None)).await;
}

/// The window's latest mirror, as a PNG.
pub(super) async fn mirror(State(shared): State<Arc<Shared>>) -> Response {
    let png = shared
        .mirror
        .png
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match png {
        Some(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            (*png).clone(),
        )
            .into_response(),
        None => refuse(
            StatusCode::NOT_FOUND,
            "no mirror yet: it is taken while a page watches, from a window",
        ),
    }
}
