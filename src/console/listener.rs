//! The console's listening socket and the connections it holds.
//!
//! At most [`MAX_CONNECTIONS`] connections are kept open at once, so that a
//! program on this machine holding connections cannot make the app keep
//! sockets without limit. Holding them cannot lock the therapist out
//! either:
//!
//! - a connection that is quiet for [`IDLE`] (no request started since it
//!   was accepted or since its last response), has no request in flight and
//!   is not an upgraded WebSocket is closed, so one that sends nothing, or
//!   sends a request's head slowly, goes within seconds;
//! - when the cap is full, a new connection evicts the oldest connection
//!   that has not shown a known token (preferring one with no request in
//!   flight), so an unauthenticated holder never keeps a paired page out;
//!   only when every connection held has shown a token is the new one
//!   closed, as soon as it is accepted, before a byte of it is read.
//!
//! Each connection has a state (`ConnState`) that the server's middleware
//! marks (a request started and answered, the connection upgraded or
//! authenticated); a sweeper task (`sweep`) closes the quiet ones, by
//! marking them killed and waking their task, whose next read or write then
//! fails.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The most connections open at once: sixteen watching pages, the requests
/// served at once, and a browser's few spare keep-alive connections.
pub const MAX_CONNECTIONS: usize = 64;

/// The most sockets held at all, counting connections evicted or closed
/// for quiet that their tasks have not yet let go of (they go at their next
/// read or write, at once for one waiting to read).
const MAX_SOCKETS: usize = 2 * MAX_CONNECTIONS;

/// How long a connection may be quiet, with no request in flight, before it
/// is closed.
const IDLE: Duration = Duration::from_secs(5);

/// How long a paired connection may be quiet: a page's keep-alive
/// connections, which it sends its controls on, stay open between the
/// therapist's clicks, rather than being opened afresh (and so, under a
/// flood of new connections, exposed to eviction before they are paired).
const PAIRED_IDLE: Duration = Duration::from_secs(60);

/// How often the sweeper looks for quiet connections.
const SWEEP_EVERY: Duration = Duration::from_millis(500);

/// What the server knows of one connection, shared by its socket, the
/// middleware that serves its requests, and the sweeper.
#[derive(Debug)]
pub(crate) struct ConnState {
    accepted: Instant,
    /// Requests in flight and the last activity, under one lock so that the
    /// sweeper's decision and a request's start cannot interleave.
    activity: Mutex<Activity>,
    upgraded: AtomicBool,
    authenticated: AtomicBool,
    /// Bytes have come in on it: a client that asks at once (a page) has
    /// spoken before one that only holds the connection.
    spoke: AtomicBool,
    killed: AtomicBool,
    /// The task that last read or wrote the socket, to wake when killed.
    waker: Mutex<Option<Waker>>,
}

#[derive(Debug)]
struct Activity {
    in_flight: u32,
    /// When a request last started or ended, or a response's bytes were
    /// last written (never a read: a head sent a byte at a time must not
    /// keep a connection).
    last: Instant,
}

impl ConnState {
    fn new(now: Instant) -> Self {
        Self {
            accepted: now,
            activity: Mutex::new(Activity {
                in_flight: 0,
                last: now,
            }),
            upgraded: AtomicBool::new(false),
            authenticated: AtomicBool::new(false),
            spoke: AtomicBool::new(false),
            killed: AtomicBool::new(false),
            waker: Mutex::new(None),
        }
    }

    fn activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request's head has arrived: the connection is busy until the
    /// returned guard is dropped with the response.
    pub(crate) fn begin(self: &Arc<Self>) -> Busy {
        let mut activity = self.activity();
        activity.in_flight += 1;
        activity.last = Instant::now();
        Busy(self.clone())
    }

    /// Bytes went out: the connection is not quiet.
    fn stamp(&self) {
        self.activity().last = Instant::now();
    }

    /// The connection became a WebSocket: it is never closed for quiet.
    pub(crate) fn mark_upgraded(&self) {
        self.upgraded.store(true, Ordering::SeqCst);
    }

    /// A request on it carried a known token (or paired): it is never
    /// evicted for a new connection.
    pub(crate) fn mark_authenticated(&self) {
        self.authenticated.store(true, Ordering::SeqCst);
    }

    fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::SeqCst)
    }

    fn has_spoken(&self) -> bool {
        self.spoke.load(Ordering::Relaxed)
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    fn busy(&self) -> bool {
        self.activity().in_flight > 0
    }

    /// Marks it killed and wakes its task, whose read or write then fails.
    fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Kills it if it has been quiet for [`IDLE`] ([`PAIRED_IDLE`] once
    /// paired) at `now` with nothing in
    /// flight and no upgrade; whether it did.
    fn kill_if_quiet(&self, now: Instant) -> bool {
        if self.is_killed() || self.upgraded.load(Ordering::SeqCst) {
            return false;
        }
        // Decided under the activity lock: a request that starts after
        // this finds the connection killed, one that started before keeps
        // it.
        let idle = if self.is_authenticated() {
            PAIRED_IDLE
        } else {
            IDLE
        };
        let activity = self.activity();
        if activity.in_flight == 0 && now.saturating_duration_since(activity.last) >= idle {
            self.kill();
            return true;
        }
        false
    }

    /// Keeps the waker of the task polling the socket, for [`Self::kill`].
    fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }
}

/// A request in flight on a connection; dropped with its response, which
/// counts as activity.
pub(crate) struct Busy(Arc<ConnState>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut activity = self.0.activity();
        activity.in_flight = activity.in_flight.saturating_sub(1);
        activity.last = Instant::now();
    }
}

/// The connections held, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Conns {
    open: Mutex<Vec<Arc<ConnState>>>,
}

impl Conns {
    fn open(&self) -> std::sync::MutexGuard<'_, Vec<Arc<ConnState>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for a connection accepted at `now` and holds it; `None`
    /// when it must be closed (every connection held has shown a token).
    fn admit(&self, now: Instant) -> Option<Arc<ConnState>> {
        let mut open = self.open();
        if open.len() >= MAX_SOCKETS {
            return None;
        }
        let live = open.iter().filter(|c| !c.is_killed()).count();
        if live >= MAX_CONNECTIONS {
            // The oldest that has shown no token: one that has sent
            // nothing before one that has (a page asks as soon as it
            // connects; a holder need never speak), and one with nothing in
            // flight before one with a request being served.
            let victim = open
                .iter()
                .filter(|c| !c.is_killed() && !c.is_authenticated())
                .min_by_key(|c| (c.has_spoken(), c.busy(), c.accepted))?;
            victim.kill();
        }
        let state = Arc::new(ConnState::new(now));
        open.push(state.clone());
        Some(state)
    }

    /// Whether every socket the console may hold is held, connections
    /// closed but not yet let go of included.
    fn sockets_full(&self) -> bool {
        self.open().len() >= MAX_SOCKETS
    }

    /// Closes every connection quiet for [`IDLE`] at `now`; how many.
    fn sweep(&self, now: Instant) -> usize {
        self.open().iter().filter(|c| c.kill_if_quiet(now)).count()
    }

    fn remove(&self, state: &Arc<ConnState>) {
        self.open().retain(|c| !Arc::ptr_eq(c, state));
    }
}

/// Closes quiet connections every [`SWEEP_EVERY`], for as long as the
/// server's runtime runs.
pub(crate) async fn sweep(conns: Arc<Conns>) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        conns.sweep(Instant::now());
    }
}

/// A listener that holds its connections under the cap.
pub(super) struct Capped {
    inner: TcpListener,
    conns: Arc<Conns>,
}

impl Capped {
    /// Caps `inner` at [`MAX_CONNECTIONS`].
    pub(super) fn new(inner: TcpListener) -> Self {
        Self {
            inner,
            conns: Arc::default(),
        }
    }

    /// The connections held, for the sweeper.
    pub(crate) fn conns(&self) -> Arc<Conns> {
        self.conns.clone()
    }
}

/// A connection, holding its place until it closes.
pub(crate) struct Held {
    stream: TcpStream,
    state: Arc<ConnState>,
    conns: Arc<Conns>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.conns.remove(&self.state);
    }
}

/// A connection's state, as the server's requests see it (through axum's
/// `ConnectInfo`).
#[derive(Debug, Clone)]
pub(crate) struct Tag(pub(crate) Arc<ConnState>);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Capped>> for Tag {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Capped>) -> Self {
        Tag(stream.io().state.clone())
    }
}

impl axum::serve::Listener for Capped {
    type Io = Held;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // The connections taken so far run first: a page that has just
        // connected sends its request (and so has spoken) before a flood
        // of new connections can be taken in its place, and a connection
        // closed for quiet or evicted lets go of its socket.
        tokio::task::yield_now().await;
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it
                    // was taken: wait a moment rather than spin.
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            };
            // Connections closed for a flood of new ones let go of their
            // sockets when their tasks next run: give them the chance
            // before turning a new one away for want of sockets.
            for _ in 0..16 {
                if !self.conns.sockets_full() {
                    break;
                }
                tokio::task::yield_now().await;
            }
            match self.conns.admit(Instant::now()) {
                Some(state) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        Held {
                            stream,
                            state,
                            conns: self.conns.clone(),
                        },
                        addr,
                    );
                }
                // Every place is held by a paired page: closed at once.
                None => drop(stream),
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the console closed a quiet or evicted connection",
    )
}

impl Held {
    /// Fails once killed; else keeps the task's waker, checking again after
    /// so that a kill between the two is not missed.
    fn alive(&self, cx: &Context<'_>) -> io::Result<()> {
        if self.state.is_killed() {
            return Err(killed());
        }
        self.state.register(cx.waker());
        if self.state.is_killed() {
            return Err(killed());
        }
        Ok(())
    }
}

impl Held {
    /// Bytes written are activity: the connection is not quiet.
    fn stamped(&self, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.state.stamp();
        }
        written
    }
}

impl AsyncRead for Held {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Err(e) = self.alive(cx) {
            return Poll::Ready(Err(e));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.state.spoke.store(true, Ordering::Relaxed);
        }
        read
    }
}

impl AsyncWrite for Held {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Err(e) = self.alive(cx) {
            return Poll::Ready(Err(e));
        }
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.stamped(written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Err(e) = self.alive(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Closing is what a killed connection should do: let it.
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Err(e) = self.alive(cx) {
            return Poll::Ready(Err(e));
        }
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.stamped(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_connection_is_closed_and_a_busy_or_upgraded_one_is_not() {
        let t0 = Instant::now();
        let conns = Conns::default();
        let quiet = conns.admit(t0).unwrap();
        let busy = conns.admit(t0).unwrap();
        let upgraded = conns.admit(t0).unwrap();
        let answered = conns.admit(t0).unwrap();
        // The requests come a moment after the connections.
        std::thread::sleep(Duration::from_millis(2));
        let request = busy.begin();
        upgraded.mark_upgraded();
        drop(answered.begin());
        let later = Instant::now();

        assert_eq!(conns.sweep(t0 + IDLE - Duration::from_millis(1)), 0);
        assert_eq!(conns.sweep(t0 + IDLE), 1);
        assert!(quiet.is_killed());
        assert!(!busy.is_killed() && !upgraded.is_killed());
        // A response is activity: quiet counts again from its end.
        assert!(!answered.is_killed());
        assert_eq!(conns.sweep(later + IDLE), 1);
        assert!(answered.is_killed());

        // Once its response is out, a busy one is quiet like any other.
        let before = Instant::now();
        drop(request);
        let after = Instant::now();
        assert_eq!(conns.sweep(before + IDLE - Duration::from_millis(1)), 0);
        assert_eq!(conns.sweep(after + IDLE), 1);
        assert!(busy.is_killed());
        assert!(
            !upgraded.is_killed(),
            "a WebSocket is never closed for quiet"
        );
    }

    #[test]
    fn a_paired_connection_stays_open_between_clicks() {
        let t0 = Instant::now();
        let conns = Conns::default();
        let paired = conns.admit(t0).unwrap();
        let unpaired = conns.admit(t0).unwrap();
        paired.mark_authenticated();
        assert_eq!(conns.sweep(t0 + IDLE), 1);
        assert!(unpaired.is_killed() && !paired.is_killed());
        assert_eq!(conns.sweep(t0 + PAIRED_IDLE - Duration::from_millis(1)), 0);
        assert_eq!(conns.sweep(t0 + PAIRED_IDLE), 1);
        assert!(paired.is_killed());
    }

    #[test]
    fn a_connection_that_has_asked_is_evicted_after_every_one_that_only_holds_its_place() {
        let t0 = Instant::now();
        let at = |i: usize| t0 + Duration::from_millis(i as u64);
        let conns = Conns::default();
        let held: Vec<_> = (0..MAX_CONNECTIONS)
            .map(|i| conns.admit(at(i)).unwrap())
            .collect();
        // The oldest has sent its request (a page, not yet paired); the
        // rest have sent nothing.
        held[0].spoke.store(true, Ordering::Relaxed);
        for n in 1..MAX_CONNECTIONS {
            let _new = conns.admit(at(MAX_CONNECTIONS + n)).expect("room is made");
            assert!(held[n].is_killed(), "the silent connection {n} was kept");
            assert!(!held[0].is_killed(), "the page was evicted for a holder");
        }
    }

    #[test]
    fn a_full_cap_evicts_the_oldest_unauthenticated_connection_and_only_that() {
        let t0 = Instant::now();
        let at = |i: usize| t0 + Duration::from_millis(i as u64);
        let conns = Conns::default();
        let held: Vec<_> = (0..MAX_CONNECTIONS)
            .map(|i| conns.admit(at(i)).unwrap())
            .collect();
        for (i, c) in held.iter().enumerate() {
            if ![3, 7, 9].contains(&i) {
                c.mark_authenticated();
            }
        }
        // Connection 3 is serving a request: 7 goes first, then 9, then 3.
        let request = held[3].begin();
        let evict = |n: usize| {
            let new = conns.admit(at(MAX_CONNECTIONS + n)).expect("room is made");
            new.mark_authenticated();
            new
        };
        let _a = evict(0);
        assert!(held[7].is_killed() && !held[3].is_killed() && !held[9].is_killed());
        let _b = evict(1);
        assert!(held[9].is_killed() && !held[3].is_killed());
        let _c = evict(2);
        assert!(held[3].is_killed());
        drop(request);
        // Every connection held has shown a token: the next is closed.
        assert!(conns.admit(at(2 * MAX_CONNECTIONS)).is_none());
        assert_eq!(
            held.iter().filter(|c| c.is_killed()).count(),
            3,
            "no paired connection was evicted"
        );
        // One that goes makes room again.
        conns.remove(&held[0]);
        assert!(conns.admit(at(2 * MAX_CONNECTIONS + 1)).is_some());
    }
}
