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

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::command::{Control, intents};
use super::listener::Tag;
use super::pairing::{Pairing, Refusal, hex, unhex};
use super::view::View;
use crate::state::Intent;

/// The largest body or WebSocket message taken.
pub const MAX_BODY: usize = 16 * 1024;

/// The most requests served at once.
const MAX_REQUESTS: usize = 32;

/// The most WebSocket watchers at once.
pub const MAX_WATCHERS: usize = 16;

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

/// The session cookie's name.
const COOKIE: &str = "stillpoint_console";

/// The page, embedded: no build step, nothing fetched from elsewhere.
const INDEX: &str = include_str!("../../assets/console/index.html");
const SCRIPT: &str = include_str!("../../assets/console/console.js");
const STYLE: &str = include_str!("../../assets/console/console.css");

/// The page's policy: its own script and style, this server, nothing else.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A control on its way to the app, with where the answer goes.
pub struct Asked {
    /// What to do.
    pub intents: Vec<Intent>,
    /// The answer: what the app said as it acted, or why it would not.
    pub reply: oneshot::Sender<Answer>,
    /// Whether the app may still take it.
    pub(crate) claim: Claim,
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

/// Gives up on a control when its request goes however it goes (answered,
/// timed out by a layer, or dropped with its connection), so that the app
/// never takes a control nobody waits for.
struct GiveUp(Claim);

impl Drop for GiveUp {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// What the app said when it acted on a control.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Answer {
    /// The lifecycle messages of the frame it acted in, in words.
    pub said: Vec<String>,
    /// Why it would not, if it would not.
    pub refused: Option<String>,
}

/// What the server and the app share.
pub struct Shared {
    /// `127.0.0.1:PORT`: the only `Host` taken.
    pub host: String,
    /// `http://127.0.0.1:PORT`: the only `Origin` taken.
    pub origin: String,
    /// The pairing code and the tokens given.
    pub pairing: Mutex<Pairing>,
    watchers: AtomicUsize,
    asks: mpsc::Sender<Asked>,
    view: watch::Receiver<Arc<View>>,
    said: broadcast::Sender<Arc<str>>,
    journal: Option<PathBuf>,
    /// The record's sessions this run has recorded: the only ones it
    /// exports.
    recorded: Mutex<Vec<i64>>,
    stop: watch::Receiver<bool>,
    answer_within: Duration,
    /// The window's latest mirror.
    pub mirror: Arc<super::mirror::Latest>,
}

impl Shared {
    /// How many pages watch live now.
    pub fn watching(&self) -> usize {
        self.watchers.load(Ordering::SeqCst)
    }

    /// Notes that this run records the record's session `id`.
    pub(crate) fn recording(&self, id: i64) {
        let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        if !recorded.contains(&id) {
            recorded.push(id);
        }
    }

    /// Whether this run has recorded the record's session `id`.
    fn recorded(&self, id: i64) -> bool {
        self.recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&id)
    }
}

/// The app's ends of the server.
pub struct Ends {
    /// Controls in.
    pub asks: mpsc::Receiver<Asked>,
    /// The live view out.
    pub view: watch::Sender<Arc<View>>,
    /// Messages out, as JSON.
    pub said: broadcast::Sender<Arc<str>>,
    /// What both share.
    pub shared: Arc<Shared>,
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
pub fn start(
    bind: SocketAddr,
    journal: Option<PathBuf>,
    answer_within: Duration,
) -> std::io::Result<(Server, Ends)> {
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
        journal,
        recorded: Mutex::new(Vec::new()),
        stop: stop_rx.clone(),
        answer_within,
        mirror: Arc::default(),
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
        Ends {
            asks: asks_rx,
            view: view_tx,
            said: said_tx,
            shared,
        },
    ))
}

fn router(shared: Arc<Shared>) -> Router {
    // A control waits for the app to take it, and then for its answer: a
    // timeout of its own, longer than both, so that a layer never cuts an
    // answer the handler would give.
    let control_timeout = shared.answer_within + TAKEN_ANSWER_WITHIN + Duration::from_secs(1);
    Router::new()
        .route(
            "/",
            get(|| async { page(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/console.js",
            get(|| async { page(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console.css",
            get(|| async { page(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/api/pair", post(pair))
        .route("/api/view", get(view))
        .route(
            "/api/questionnaire",
            get(|| async { axum::Json(crate::questionnaire::simulator_sickness::ITEMS) }),
        )
        .route("/api/live", get(live))
        .route("/api/mirror", get(mirror))
        .route("/api/export/{id}", get(export))
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, "there is nothing here") })
        // Only the routes above (and the fallback) have this timeout: a
        // layer covers the routes there are when it is added.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .route(
            "/api/control",
            post(control).layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                control_timeout,
            )),
        )
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(MAX_REQUESTS))
        // Outermost, so that a request waiting for its turn keeps its
        // connection from being closed for quiet.
        .layer(middleware::from_fn(activity))
        .with_state(shared)
}

/// The connection a request came on, from the listener.
fn connection(request: &Request) -> Option<Arc<super::listener::ConnState>> {
    request
        .extensions()
        .get::<ConnectInfo<Tag>>()
        .map(|info| info.0.0.clone())
}

/// Marks a request's connection busy from the moment its head has arrived
/// (hyper calls the service then) until its response, and upgraded when it
/// becomes a WebSocket: such a connection is not closed for quiet.
async fn activity(request: Request, next: Next) -> Response {
    let conn = connection(&request);
    let _busy = conn.as_ref().map(|c| c.begin());
    let response = next.run(request).await;
    if response.status() == StatusCode::SWITCHING_PROTOCOLS
        && let Some(conn) = &conn
    {
        conn.mark_upgraded();
    }
    response
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

fn page(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The session token from the request's cookie, if it carries one.
fn token(headers: &HeaderMap) -> Option<[u8; 32]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| unhex(value))
}

/// The checks every request passes before it is served. A connection on
/// which a request carried a known token, or paired, is marked
/// authenticated: it is not evicted for a new connection.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let conn = connection(&request);
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if host != Some(shared.host.as_str()) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            format!("this console answers only as {}", shared.host),
        );
    }
    let path = request.uri().path();
    let changes = request.method() != Method::GET && request.method() != Method::HEAD;
    let upgrade = path == "/api/live";
    if changes || upgrade {
        let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
        if origin != Some(shared.origin.as_str()) {
            return refuse(
                StatusCode::FORBIDDEN,
                "this request must come from the console's own page",
            );
        }
    }
    let known = token(headers).is_some_and(|t| {
        shared
            .pairing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .knows(&t)
    });
    if known && let Some(conn) = &conn {
        conn.mark_authenticated();
    }
    let pairing = path == "/api/pair";
    if path.starts_with("/api/") && !pairing && !known {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "not paired: type the code the app shows",
        );
    }
    let response = next.run(request).await;
    if pairing
        && response.status() == StatusCode::OK
        && let Some(conn) = &conn
    {
        conn.mark_authenticated();
    }
    response
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PairBody {
    code: String,
}

async fn pair(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(PairBody { code }) = serde_json::from_slice::<PairBody>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "expected {\"code\": \"the six digits the app shows\"}",
        );
    };
    let result = shared
        .pairing
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pair(&code, Instant::now());
    match result {
        Ok(token) => {
            crate::tell!("stillpoint: a browser paired with the console");
            let cookie = format!(
                "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                hex(&token)
            );
            let mut response = axum::Json(serde_json::json!({ "paired": true })).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err((why, news)) => {
            // Said once when it happens, never per try, never with a code.
            if let Some(news) = news {
                crate::tell!("stillpoint: {news}");
            }
            if why == Refusal::TooManyTries {
                let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, why.to_string());
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                return response;
            }
            refuse(StatusCode::FORBIDDEN, why.to_string())
        }
    }
}

async fn view(State(shared): State<Arc<Shared>>) -> Response {
    let now = shared.view.borrow().clone();
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(&*now)).into_response()
}

async fn control(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let control: Control = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("not a control this console knows: {e}"),
            );
        }
    };
    let now = shared.view.borrow().clone();
    let intents = match intents(control, &now) {
        Ok(i) => i,
        Err(why) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, why),
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
            axum::Json(serde_json::json!({
                "error": answer.refused,
                "said": answer.said,
            })),
        )
            .into_response(),
        Some(answer) => axum::Json(answer).into_response(),
        None => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the app took it but gave no answer; the view shows what it did",
        ),
    }
}

/// Decrements the watcher count when a watcher goes.
struct Watching(Arc<Shared>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn live(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
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
    let mut json = serde_json::to_value(view).unwrap_or_default();
    json["type"] = "view".into();
    Message::Text(json.to_string().into())
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

async fn mirror(State(shared): State<Arc<Shared>>) -> Response {
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

#[derive(serde::Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export(
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
    let Some(path) = shared.journal.clone() else {
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
        let db = crate::journal::store::open_read(&path)
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
