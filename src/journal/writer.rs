//! The writer: a thread of its own that owns the record's connection and
//! commits what it is sent, behind a bounded queue, so neither the frame nor
//! the sound ever waits on the disk.
//!
//! Every write carries a number, counted up from 1 for the run; once a batch
//! is committed (on the disk, `synchronous=FULL`) the writer sends back the
//! highest number in it. A batch that fails is kept and tried again a second
//! later, so a full disk or a locked file delays the record and loses nothing
//! while the app runs.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::store;
use super::{Entry, NewSession};

/// How many writes the queue holds; the app keeps what does not fit and
/// sends it on a later frame.
pub const QUEUE: usize = 256;

/// The most writes committed in one transaction.
const BATCH: usize = 64;

/// Something to record.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// A session starts; later entries belong to it.
    Begin(NewSession),
    /// Something happened in the session begun last.
    Entry(Entry),
    /// The session begun last ended.
    End {
        /// When, milliseconds since 1970 (UTC).
        wall_ms: i64,
        /// Its session time then, microseconds.
        at_us: i64,
    },
}

/// What the writer tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Ack {
    /// Every write up to this number is committed.
    Committed(u64),
    /// A session was begun with this number in the record.
    Began(i64),
    /// The record cannot be written now; the writer keeps trying.
    Trouble(String),
    /// Writing works again after trouble.
    Recovered,
}

/// The app's end of the writer.
pub struct Writer {
    /// Writes in, with their numbers.
    pub to: SyncSender<(u64, Write)>,
    /// Acknowledgements out (behind a lock only so that the app's end can
    /// live in a resource; nothing else takes it).
    pub from: Mutex<Receiver<Ack>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer on the record at `path` (made if it is not there).
    pub fn start(path: PathBuf) -> std::io::Result<Self> {
        let (to, queue) = sync_channel(QUEUE);
        let (acks, from) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("stillpoint journal".into())
            .spawn(move || run(path, queue, acks))?;
        Ok(Self {
            to,
            from: Mutex::new(from),
            thread: Some(thread),
        })
    }

    /// Closes the queue and waits until everything sent is committed (or,
    /// with the record broken, printed to the terminal so it is not lost).
    pub fn finish(mut self) {
        self.close();
    }

    fn close(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Dropping the only sender ends the thread's queue.
        let (dead, _) = sync_channel(0);
        drop(std::mem::replace(&mut self.to, dead));
        let _ = thread.join();
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer thread's state.
struct Scribe {
    path: PathBuf,
    db: Option<Connection>,
    /// The session entries go to.
    session: Option<i64>,
    /// The trouble said last, so it is said once.
    trouble: Option<String>,
    acks: std::sync::mpsc::Sender<Ack>,
}

fn run(path: PathBuf, queue: Receiver<(u64, Write)>, acks: std::sync::mpsc::Sender<Ack>) {
    let mut scribe = Scribe {
        path,
        db: None,
        session: None,
        trouble: None,
        acks,
    };
    let mut batch: Vec<(u64, Write)> = Vec::with_capacity(BATCH);
    let mut open = true;
    while open || !batch.is_empty() {
        if batch.is_empty() {
            match queue.recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        while open && batch.len() < BATCH {
            match queue.try_recv() {
                Ok(write) => batch.push(write),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => open = false,
            }
        }
        match scribe.commit(&batch) {
            Ok(()) => batch.clear(),
            Err(why) => {
                scribe.trouble(why);
                if !open {
                    // The app is closing and the record cannot be written:
                    // what it holds goes to the terminal, not nowhere.
                    for (n, write) in batch.drain(..) {
                        eprintln!("stillpoint: not recorded (#{n}): {write:?}");
                    }
                    break;
                }
                // Wait before trying again, taking no more writes meanwhile
                // (the queue is bounded; the app holds the rest).
                match queue.recv_timeout(Duration::from_secs(1)) {
                    Ok(write) => batch.push(write),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => open = false,
                }
            }
        }
    }
}

impl Scribe {
    fn commit(&mut self, batch: &[(u64, Write)]) -> Result<(), String> {
        if self.db.is_none() {
            let db = store::open(&self.path, true)
                .map_err(|e| e.to_string())?
                .expect("made when missing");
            self.db = Some(db);
        }
        let db = self.db.as_mut().expect("opened above");
        let tx = db.transaction().map_err(|e| e.to_string())?;
        let mut session = self.session;
        let mut began = Vec::new();
        for (_, write) in batch {
            let done = match write {
                Write::Begin(new) => store::begin(&tx, new).map(|id| {
                    session = Some(id);
                    began.push(id);
                }),
                Write::Entry(entry) => match session {
                    Some(id) => store::add(&tx, id, entry),
                    None => Ok(()),
                },
                Write::End { wall_ms, at_us } => match session.take() {
                    Some(id) => store::end(&tx, id, *wall_ms, *at_us),
                    None => Ok(()),
                },
            };
            done.map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
        self.session = session;
        if self.trouble.take().is_some() {
            let _ = self.acks.send(Ack::Recovered);
        }
        for id in began {
            let _ = self.acks.send(Ack::Began(id));
        }
        if let Some((n, _)) = batch.last() {
            let _ = self.acks.send(Ack::Committed(*n));
        }
        Ok(())
    }

    fn trouble(&mut self, why: String) {
        // A connection that failed is opened afresh next time.
        self.db = None;
        if self.trouble.as_ref() != Some(&why) {
            let _ = self.acks.send(Ack::Trouble(why.clone()));
            self.trouble = Some(why);
        }
    }
}
