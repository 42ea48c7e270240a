//! The console's web server: axum on a tokio runtime of its own thread.
//!
//! Every request passes one guard: the `Host` header must be the address
//! listened on (DNS rebinding), a state-changing request or a WebSocket
//! upgrade must come from exactly this origin (cross-site requests and
//! WebSocket hijacking), and everything under `/api/` but pairing needs the
//! session token from pairing. Bodies are limited to 16 KiB, requests time
//! out, and connections are capped and closed when quiet
//! ([`super::listener`]). Controls reach Bevy over a bounded channel and are
//! answered once the app has acted on them; each is done exactly when its
//! request can say so (`Claim`): one answered "not done" never is.
//!
//! Here: what the server and the app share, the app's link to it, and the
//! routes; the page ([`page`]), who may ask ([`access`]), controls
//! ([`control`]), what a page watches ([`live`]) and exports ([`export`])
//! each have a file.

mod access;
mod amend;
mod clients;
mod control;
mod export;
mod live;
mod page;
mod plan;
mod rtc;
mod unlock;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{broadcast, mpsc, watch};

use super::listener::Tag;
use super::pairing::Pairing;
use super::view::View;
pub(super) use control::{Answer, Asked};
pub(super) use unlock::why_locked;

/// The largest body or WebSocket message taken.
const MAX_BODY: usize = 16 * 1024;

/// The most requests served at once.
const MAX_REQUESTS: usize = 32;

/// The most WebSocket watchers at once.
const MAX_WATCHERS: usize = 16;

/// How long the app has to take a control (a renderer on the CPU can take
/// seconds over a frame that compiles the shaders of something new); the
/// default of [`super::ConsoleOptions::answer_within`].
pub const ANSWER_WITHIN: Duration = Duration::from_secs(8);

/// How long a control the app has taken may wait for its answer beyond
/// [`ANSWER_WITHIN`]: the app answers in the frame it takes it in, so this
/// is only ever waited for when the app took it just as the wait ran out.
const TAKEN_ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// How long any other request may take, its body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server and the app share.
pub struct Shared {
    /// `127.0.0.1:PORT`: the only `Host` taken.
    pub(crate) host: String,
    /// `http://127.0.0.1:PORT`: the only `Origin` taken.
    pub(crate) origin: String,
    /// The pairing code and the tokens given.
    pub pairing: Mutex<Pairing>,
    watchers: AtomicUsize,
    asks: mpsc::Sender<Asked>,
    view: watch::Receiver<Arc<View>>,
    said: broadcast::Sender<Arc<str>>,
    journal: Mutex<Option<crate::journal::RecordFile>>,
    /// A passphrase checked on the page, for the app to take.
    unlock: Mutex<Option<crate::journal::store::Passphrase>>,
    /// A passphrase is being checked.
    unlocking: std::sync::atomic::AtomicBool,
    /// The questionnaires of the folder the page can give (the
    /// cybersickness one has its own controls).
    pub(crate) forms: Vec<crate::questionnaire::form::Questionnaire>,
    /// Scenes whose plan the page has changed, for the app to take.
    plans_saved: Mutex<Vec<String>>,
    /// The record's sessions this run has recorded: the only ones it
    /// exports.
    recorded: Mutex<Vec<i64>>,
    stop: watch::Receiver<bool>,
    answer_within: Duration,
    /// The window's latest mirror.
    pub(crate) mirror: Arc<super::mirror::Latest>,
    /// The address listened on: a remote session's peer answers from it.
    ip: std::net::IpAddr,
    /// Where the therapist's voice goes into the mix, once the mix runs.
    pub(crate) far_voice: std::sync::OnceLock<crate::audio::FarVoiceInput>,
    /// Where the person's voice comes from, when the app listens for it.
    pub(crate) near_voice: std::sync::OnceLock<crate::audio::NearVoiceLink>,
    /// The client's view for a remote connection, once a window shows it.
    pub(crate) video: std::sync::OnceLock<crate::remote::video::Video>,
    /// Counts the remote connections begun: each ends when a newer one
    /// begins.
    remote_generation: watch::Sender<u64>,
    /// The remote connection opened (true) or was lost (false), in order,
    /// for the app to take.
    link_changes: Mutex<Vec<bool>>,
}

impl Shared {
    /// How many pages watch live now.
    pub(super) fn watching(&self) -> usize {
        self.watchers.load(Ordering::SeqCst)
    }

    /// Notes that this run records the record's session `id`.
    pub(crate) fn recording(&self, id: i64) {
        let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        if !recorded.contains(&id) {
            recorded.push(id);
        }
    }

    /// The record's file, with its passphrase once it is known.
    fn journal(&self) -> Option<crate::journal::RecordFile> {
        self.journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The record is unlocked with `passphrase`: kept for exports, and
    /// handed to the app ([`Self::take_unlock`]).
    fn unlocked(&self, passphrase: crate::journal::store::Passphrase) {
        if let Some(file) = self
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            file.passphrase = Some(passphrase.clone());
        }
        *self.unlock.lock().unwrap_or_else(|e| e.into_inner()) = Some(passphrase);
    }

    /// The page changed the client's plan for `scene`.
    fn plan_saved(&self, scene: String) {
        self.plans_saved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(scene);
    }

    /// The scenes whose plan the page changed since last asked.
    pub(crate) fn take_plans_saved(&self) -> Vec<String> {
        std::mem::take(&mut *self.plans_saved.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A passphrase checked on the page, once.
    /// The remote connection's changes since last asked, in order.
    pub(crate) fn take_link_changes(&self) -> Vec<bool> {
        std::mem::take(&mut *self.link_changes.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn link_changed(&self, connected: bool) {
        self.link_changes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(connected);
    }

    pub(crate) fn take_unlock(&self) -> Option<crate::journal::store::Passphrase> {
        self.unlock.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Whether this run has recorded the record's session `id`.
    fn recorded(&self, id: i64) -> bool {
        self.recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&id)
    }
}

/// The app's link to the server's thread.
pub(super) struct ConsoleLink {
    /// Controls in.
    pub(super) asks: mpsc::Receiver<Asked>,
    /// The live view out.
    pub(super) view: watch::Sender<Arc<View>>,
    /// Messages out, as JSON.
    pub(super) said: broadcast::Sender<Arc<str>>,
    /// What both share.
    pub(super) shared: Arc<Shared>,
}

/// The running server; dropping it shuts it down and waits for that.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the server on `bind` (port 0: a free one), with the session
/// record at `journal` for the export links; the app has `answer_within` to
/// take a control.
pub(super) fn start(
    bind: SocketAddr,
    journal: Option<crate::journal::RecordFile>,
    answer_within: Duration,
) -> std::io::Result<(Server, ConsoleLink)> {
    let listener = std::net::TcpListener::bind(bind)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (asks_tx, asks_rx) = mpsc::channel(64);
    let (view_tx, view_rx) = watch::channel(Arc::new(View::default()));
    let (said_tx, _) = broadcast::channel(256);
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        host: addr.to_string(),
        origin: format!("http://{addr}"),
        pairing: Mutex::new(Pairing::default()),
        watchers: AtomicUsize::new(0),
        asks: asks_tx,
        view: view_rx,
        said: said_tx.clone(),
        journal: Mutex::new(journal),
        unlock: Mutex::new(None),
        unlocking: std::sync::atomic::AtomicBool::new(false),
        plans_saved: Mutex::new(Vec::new()),
        forms: forms(),
        recorded: Mutex::new(Vec::new()),
        stop: stop_rx.clone(),
        answer_within,
        mirror: Arc::default(),
        ip: addr.ip(),
        far_voice: std::sync::OnceLock::new(),
        near_voice: std::sync::OnceLock::new(),
        video: std::sync::OnceLock::new(),
        remote_generation: watch::Sender::new(0),
        link_changes: Mutex::new(Vec::new()),
    });
    let app = router(shared.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let thread = std::thread::Builder::new()
        .name("stillpoint console".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        crate::tell!("stillpoint: the console cannot listen: {e}");
                        return;
                    }
                };
                let mut stop = stop_rx;
                let listener = super::listener::Capped::new(listener);
                // Closes quiet connections; it goes with the runtime.
                tokio::spawn(super::listener::sweep(listener.conns()));
                let served =
                    axum::serve(listener, app.into_make_service_with_connect_info::<Tag>())
                        .with_graceful_shutdown(async move {
                            let _ = stop.wait_for(|s| *s).await;
                        })
                        .await;
                if let Err(e) = served {
                    crate::tell!("stillpoint: the console stopped: {e}");
                }
            });
        })?;
    Ok((
        Server {
            addr,
            stop: stop_tx,
            thread: Some(thread),
        },
        ConsoleLink {
            asks: asks_rx,
            view: view_tx,
            said: said_tx,
            shared,
        },
    ))
}

/// The questionnaires of the folder but the cybersickness one; a file that
/// does not read is said once and left out.
fn forms() -> Vec<crate::questionnaire::form::Questionnaire> {
    let (found, errors) = crate::questionnaire::form::load(&crate::questionnaire::form::folder());
    for error in errors {
        crate::tell!("stillpoint: a questionnaire is left out of the console: {error}");
    }
    found.into_iter().filter(|f| f.id != "ssq").collect()
}

fn router(shared: Arc<Shared>) -> Router {
    // A control waits for the app to take it, and then for its answer: a
    // timeout of its own, longer than both, so that a layer never cuts an
    // answer the handler would give.
    let control_timeout = shared.answer_within + TAKEN_ANSWER_WITHIN + Duration::from_secs(1);
    Router::new()
        .route("/", get(page::index))
        .route("/console.js", get(page::script))
        .route("/console.css", get(page::style))
        .route("/api/pair", post(access::pair))
        .route("/api/view", get(live::view))
        .route(
            "/api/questionnaire",
            get(|| async { axum::Json(super::view::questionnaire()) }),
        )
        .route("/api/live", get(live::live))
        .route("/api/mirror", get(live::mirror))
        .route("/api/export/{id}", get(export::export))
        .route("/api/progress", get(export::progress))
        .route("/api/clients", get(clients::clients))
        .route(
            "/api/questionnaires",
            get(
                |State(shared): State<Arc<Shared>>| async move { axum::Json(shared.forms.clone()) },
            ),
        )
        .route("/api/plan", get(plan::get_plan).post(plan::save_plan))
        .route("/api/entries", get(amend::entries))
        .route("/api/amend", post(amend::amend))
        .route("/api/rtc", post(rtc::offer))
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, "there is nothing here") })
        // Only the routes above (and the fallback) have this timeout: a
        // layer covers the routes there are when it is added.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .route(
            "/api/control",
            post(control::control).layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                control_timeout,
            )),
        )
        // A passphrase takes a second or two to check, then the app takes
        // it as a control is taken: the control's time, not a page's.
        .route(
            "/api/unlock",
            post(unlock::unlock).layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                control_timeout,
            )),
        )
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            access::guard,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(MAX_REQUESTS))
        // Outermost, so that a request waiting for its turn keeps its
        // connection from being closed for quiet.
        .layer(middleware::from_fn(access::activity))
        .with_state(shared)
}

/// A JSON error with its status.
fn refuse(status: StatusCode, why: impl Into<String>) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "error": why.into() })),
    )
        .into_response()
}
