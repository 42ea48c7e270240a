//! The writer: a thread of its own that owns the record's connection and
//! commits what it is sent, behind a bounded queue, so neither the frame nor
//! the sound ever waits on the disk.
//!
//! Every write carries a number, counted up from 1 for the run; once a batch
//! is committed (on the disk, `synchronous=FULL`) the writer sends back the
//! highest number in it. A batch that fails is kept and tried again a second
//! later, so a full disk or a locked file delays the record and loses nothing
//! while the app runs. What still cannot be written when the app closes is
//! printed to the terminal and counted ([`super::lost`]), and the run ends
//! with a status that says so.
//!
//! While it records a session the writer holds that session's lock file
//! ([`super::live`]), so `journal delete` leaves it alone. Should the session
//! be deleted all the same (by another tool), its later writes are dropped,
//! never sent to another session, and the app is told once.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::live::{self, Held};
use super::store::Passphrase;
use super::store::{self, StoreError};
use super::{Entry, NewSession};

/// How many writes the queue holds; the app keeps what does not fit and
/// sends it on a later frame.
const QUEUE: usize = 256;

/// The most writes committed in one transaction.
const BATCH: usize = 64;

/// Something to record.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// A session starts; later entries belong to it.
    Begin(NewSession),
    /// Something happened in the session begun last.
    Entry(Entry),
    /// The session begun last went on in another scene, with these steps
    /// (name and sentence, lowest first; none for a calm scene).
    Scene {
        /// The scene's file, inside the scene folder.
        scene: String,
        /// Its hierarchy's steps.
        steps: Vec<(String, String)>,
    },
    /// The session begun last, and those after it, are for this client.
    Client(store::ClientRef),
    /// Look up the plan in force of the session's client for this scene
    /// (answered with [`Ack::Plan`]).
    FindPlan {
        /// The scene's file, inside the scene folder.
        scene: String,
    },
    /// The record's passphrase, given after the start (in the console):
    /// the writer opens the record with it. Records nothing itself.
    Unlock(Passphrase),
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
    /// Every write up to this number is committed (or, for a session that
    /// was deleted while it ran, dropped).
    Committed(u64),
    /// A session was begun with this number in the record, for the client
    /// with this code.
    Began {
        /// The session's number.
        session: i64,
        /// The client's code.
        client: String,
    },
    /// The record cannot be written now; the writer keeps trying. Says
    /// which file and why.
    Trouble(String),
    /// Writing works again after trouble.
    Recovered,
    /// The session with this number was deleted from the record while it
    /// was being recorded: the rest of it is dropped, not recorded.
    Gone(i64),
    /// The plan in force of the session's client for a scene, if any.
    Plan {
        /// The scene.
        scene: String,
        /// The plan, as the record keeps it.
        plan: Option<store::KeptPlan>,
    },
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
    /// With `encrypt` and no passphrase nothing is written: the record is
    /// locked. With a `passphrase` the record is kept encrypted: a new one is made
    /// encrypted, and a plain one is not written to (`journal encrypt`
    /// encrypts it first). The key is derived here, on the writer's thread,
    /// never in a frame.
    pub fn start(
        path: PathBuf,
        passphrase: Option<Passphrase>,
        encrypt: bool,
    ) -> std::io::Result<Self> {
        let (to, queue) = sync_channel(QUEUE);
        let (acks, from) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("stillpoint journal".into())
            .spawn(move || run(path, passphrase, encrypt, queue, acks))?;
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

/// Prints writes that will never be recorded, so they are not lost
/// silently, and counts them for the run's exit status.
pub(crate) fn not_recorded(writes: impl IntoIterator<Item = (u64, Write)>) {
    let mut n = 0;
    for (number, write) in writes {
        crate::tell!("stillpoint: not recorded (#{number}): {write:?}");
        n += 1;
    }
    super::lose(n);
}

/// The writer thread's state.
struct Scribe {
    path: PathBuf,
    passphrase: Option<Passphrase>,
    encrypt: bool,
    db: Option<Connection>,
    /// The session entries go to; `None` before the first, after an end, and
    /// once the session was deleted under us.
    session: Option<i64>,
    /// The lock files of the sessions being recorded (one, or none).
    live: Vec<Held>,
    /// The trouble said last, so it is said once.
    trouble: Option<String>,
    acks: std::sync::mpsc::Sender<Ack>,
}

fn run(
    path: PathBuf,
    passphrase: Option<Passphrase>,
    encrypt: bool,
    queue: Receiver<(u64, Write)>,
    acks: std::sync::mpsc::Sender<Ack>,
) {
    let mut scribe = Scribe {
        path,
        passphrase,
        encrypt,
        db: None,
        session: None,
        live: Vec::new(),
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
                // A locked record, a wrong passphrase or a plain record that
                // must be encrypted waits for a person to act: tried again
                // less often, as each try derives a key.
                // A file that is no longer a record under this name's
                // connection (`journal encrypt` put an encrypted copy in its
                // place): the record is opened again by its name.
                if matches!(why, StoreError::NotARecord { .. }) {
                    scribe.db = None;
                }
                let wait = match why {
                    StoreError::Locked { .. }
                    | StoreError::WrongPassphrase { .. }
                    | StoreError::NotEncrypted { .. } => Duration::from_secs(30),
                    _ => Duration::from_secs(1),
                };
                let why = why.to_string();
                scribe.trouble(&why);
                if !open {
                    // The app is closing and the record cannot be written:
                    // what it holds goes to the terminal, not nowhere, and
                    // the run's exit status says so.
                    crate::tell!("stillpoint: {why}");
                    not_recorded(batch.drain(..));
                    break;
                }
                // Wait before trying again, taking no more writes meanwhile
                // (the queue is bounded; the app holds the rest).
                match queue.recv_timeout(wait) {
                    Ok(write) => batch.push(write),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => open = false,
                }
            }
        }
    }
    // Dropping the scribe lets go of any session still held.
}

impl Scribe {
    fn commit(&mut self, batch: &[(u64, Write)]) -> Result<(), StoreError> {
        // A passphrase given after the start opens the record from now on.
        for (_, write) in batch {
            if let Write::Unlock(passphrase) = write
                && self.passphrase.as_ref() != Some(passphrase)
            {
                self.passphrase = Some(passphrase.clone());
                self.db = None;
            }
        }
        if self.db.is_none() {
            if self.encrypt && store::is_encrypted(&self.path)? == Some(false) {
                return Err(StoreError::NotEncrypted {
                    path: self.path.clone(),
                });
            }
            if self.encrypt && self.passphrase.is_none() {
                return Err(StoreError::Locked {
                    path: self.path.clone(),
                });
            }
            let mut db = store::open(&self.path, true, self.passphrase.as_ref())?;
            if self.passphrase.is_some()
                && let Some(db) = db.as_mut()
            {
                store::note(
                    db,
                    &self.path,
                    store::now_ms(),
                    "unlocked",
                    "by the app, to record",
                )?;
            }
            self.db = db;
        }
        let path = &self.path;
        let Some(db) = self.db.as_mut() else {
            return Err(StoreError::Io {
                path: path.clone(),
                doing: "cannot make the file".into(),
                source: std::io::ErrorKind::NotFound.into(),
            });
        };
        let tx = db.transaction().map_err(|e| StoreError::sql(path, e))?;
        let mut session = self.session;
        let mut began = Vec::new();
        // The lock files taken in this batch: if it fails, they go with it
        // (the sessions they mark were never committed).
        let mut taken: Vec<Held> = Vec::new();
        // Sessions that ended, were left or were deleted in this batch:
        // their lock files go once it is committed.
        let mut over: Vec<i64> = Vec::new();
        let mut gone: Vec<i64> = Vec::new();
        let mut plans: Vec<(String, Option<store::KeptPlan>)> = Vec::new();
        for (_, write) in batch {
            match write {
                Write::Begin(new) => {
                    if let Some(left) = session.take() {
                        over.push(left);
                    }
                    let (id, client) =
                        store::begin(&tx, new).map_err(|e| StoreError::sql_on(path, &tx, e))?;
                    // Held before the commit, so every session a reader can
                    // see as begun is already marked as being recorded.
                    let held = live::hold(path, id).map_err(|e| StoreError::Io {
                        path: path.clone(),
                        doing: format!(
                            "cannot mark session {id} as being recorded ({})",
                            live::file(path, id).display()
                        ),
                        source: e,
                    })?;
                    taken.push(held);
                    session = Some(id);
                    began.push((id, client.code));
                }
                Write::Entry(_) | Write::Scene { .. } => {
                    let Some(id) = session else {
                        continue;
                    };
                    let there = match write {
                        Write::Scene { scene, steps } => store::add_scene(&tx, id, scene, steps),
                        Write::Entry(entry) => store::add(&tx, id, entry),
                        _ => Ok(true),
                    }
                    .map_err(|e| StoreError::sql_on(path, &tx, e))?;
                    if !there {
                        // Deleted under us: this write and the rest of the
                        // session go nowhere, never to another one.
                        session = None;
                        over.push(id);
                        gone.push(id);
                    }
                }
                Write::Unlock(_) => {}
                Write::FindPlan { scene } => {
                    if let Some(id) = session {
                        let plan = store::plan_of_session(&tx, id, scene)
                            .map_err(|e| StoreError::sql_on(path, &tx, e))?;
                        plans.push((scene.clone(), plan));
                    }
                }
                Write::Client(who) => {
                    if let Some(id) = session {
                        match store::set_client(&tx, id, who, store::now_ms())
                            .map_err(|e| StoreError::sql_on(path, &tx, e))?
                        {
                            Some(client) => began.push((id, client.code)),
                            None => {
                                session = None;
                                over.push(id);
                                gone.push(id);
                            }
                        }
                    }
                }
                Write::End { wall_ms, at_us } => {
                    if let Some(id) = session.take() {
                        let ended = store::end(&tx, id, *wall_ms, *at_us)
                            .map_err(|e| StoreError::sql_on(path, &tx, e))?;
                        if !ended {
                            gone.push(id);
                        }
                        over.push(id);
                    }
                }
            }
        }
        tx.commit().map_err(|e| StoreError::sql(path, e))?;
        self.session = session;
        self.live.extend(taken);
        // Dropping a lock file's hold removes it and lets go.
        self.live.retain(|held| !over.contains(&held.id()));
        if self.trouble.take().is_some() {
            let _ = self.acks.send(Ack::Recovered);
        }
        for (session, client) in began {
            let _ = self.acks.send(Ack::Began { session, client });
        }
        for id in gone {
            let _ = self.acks.send(Ack::Gone(id));
        }
        for (scene, plan) in plans {
            let _ = self.acks.send(Ack::Plan { scene, plan });
        }
        if let Some((n, _)) = batch.last() {
            let _ = self.acks.send(Ack::Committed(*n));
        }
        Ok(())
    }

    fn trouble(&mut self, why: &str) {
        // A connection that failed is opened afresh next time.
        self.db = None;
        if self.trouble.as_deref() != Some(why) {
            let _ = self.acks.send(Ack::Trouble(why.to_owned()));
            self.trouble = Some(why.to_owned());
        }
    }
}
