//! A remote session's connection, begun from the page: the page's WebRTC
//! offer is answered by a peer of the app's ([`crate::remote::Peer`]), and
//! its data channel becomes one more way in for the console: each control
//! sent on it is asked as a POST would ask it, and answered on it with the
//! same JSON and the request's id; the live view and what the app says go
//! out on it as they do to a watching page.
//!
//! One connection at a time: a new offer ends the last. When an open
//! connection is lost, the app is told, and the session waits for the
//! therapist ([`crate::state::PauseReason::Connection`]) until a new one
//! opens.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast;

use super::control::ask;
use super::{Shared, refuse};
use crate::remote::{Media, Peer, PeerEvent, PeerSender};

/// How often the bridge looks at what the connection said.
const LOOK: Duration = Duration::from_millis(10);

/// A control on the data channel: the request's id, and the control as a
/// POST to `/api/control` carries it.
#[derive(serde::Deserialize)]
struct Sent {
    id: u64,
    control: serde_json::Value,
}

/// Answers the page's offer, and bridges the connection to the app.
pub(super) async fn offer(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(offer) = String::from_utf8(body.to_vec()) else {
        return refuse(StatusCode::BAD_REQUEST, "the offer is not text");
    };
    let ip = shared.ip;
    let media = Media {
        far: shared.far_voice.get().cloned(),
        near: shared.near_voice.get().cloned(),
        video: shared.video.get().cloned(),
    };
    // The last connection, if any, ends (and gives the voice's way into
    // the mix back) before the new one is answered.
    shared.remote_generation.send_modify(|g| *g += 1);
    let generation = *shared.remote_generation.borrow();
    let answered = tokio::task::spawn_blocking(move || Peer::answer(&offer, ip, media)).await;
    let (answer, peer) = match answered {
        Ok(Ok(done)) => done,
        Ok(Err(why)) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, why.to_string()),
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "the answer failed"),
    };
    tokio::spawn(bridge(shared.clone(), peer, generation));
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        answer,
    )
        .into_response()
}

/// Carries controls in and the view and messages out, until the connection
/// goes, a newer one replaces it, or the app closes.
async fn bridge(shared: Arc<Shared>, peer: Peer, generation: u64) {
    let mut views = shared.view.clone();
    let mut said = shared.said.subscribe();
    let mut stop = shared.stop.clone();
    let mut newer = shared.remote_generation.subscribe();
    let mut look = tokio::time::interval(LOOK);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut open = false;
    let mut stale = true;
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            changed = newer.changed() => {
                if changed.is_err() || *newer.borrow() != generation {
                    // Replaced: the session waits until the new one opens.
                    if open {
                        shared.link_changed(false);
                    }
                    break;
                }
            }
            changed = views.changed() => {
                if changed.is_err() {
                    break;
                }
                stale = true;
            }
            _ = tick.tick(), if stale && open => {
                stale = false;
                let now = views.borrow_and_update().clone();
                peer.send(super::live::view_text(&now));
            }
            message = said.recv() => {
                match message {
                    Ok(text) if open => {
                        peer.send((*text).to_owned());
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => stale = true,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
            _ = look.tick() => {
                for event in peer.events() {
                    match event {
                        PeerEvent::Open => {
                            open = true;
                            stale = true;
                            shared.link_changed(true);
                        }
                        PeerEvent::Text(text) => {
                            tokio::spawn(answer(shared.clone(), peer.sender(), text));
                        }
                        PeerEvent::Gone(_) => {
                            // A connection that never opened was never
                            // the session's: nothing is lost.
                            if open {
                                shared.link_changed(false);
                            }
                            return;
                        }
                        PeerEvent::Connected | PeerEvent::Voice => {}
                    }
                }
            }
        }
    }
}

/// Asks one control from the data channel, and answers it there.
async fn answer(shared: Arc<Shared>, peer: PeerSender, text: String) {
    let reply = match serde_json::from_str::<Sent>(&text) {
        Ok(sent) => {
            let body = sent.control.to_string();
            let (status, mut answer) = ask(&shared, body.as_bytes()).await;
            answer["type"] = "answer".into();
            answer["id"] = sent.id.into();
            answer["status"] = status.as_u16().into();
            answer
        }
        Err(e) => serde_json::json!({
            "type": "answer",
            "status": 400,
            "error": format!("not a control message: {e}"),
        }),
    };
    peer.send(reply.to_string());
}
