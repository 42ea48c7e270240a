//! The session record (the journal): what happened in a session, committed
//! to an SQLite file in the person's data folder as it happens, and read back
//! by `stillpoint journal` as a list, a report or an export.
//!
//! The app side is one system, a watcher: it turns lifecycle messages into
//! entries, with where the person is as the published snapshot says, and
//! hands them to the writer thread ([`writer`]), never waiting on it. What is
//! committed is acknowledged back, and the snapshot says how far the record
//! has got ([`crate::state::RecordNow`]), so a watcher shows an entry as
//! recorded only once it is on the disk.
//!
//! Exposure sessions are always recorded; a person's own relaxation sessions
//! only when their settings say so. A session belongs to a client, known by
//! a random code and the alias the therapist gave; nothing else about them
//! is kept.
//!
//! A run that had something to record and could not record all of it (the
//! record could not be written by the time the app closed, or its writer
//! could not start) prints what was not recorded and exits with status 4
//! ([`lost_anything`]), so a script or a service sees that the session
//! record is incomplete.

pub mod command;
mod live;
mod outfile;
pub mod passphrase;
pub mod plan_command;
pub mod report;
pub mod store;
pub mod writer;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SendError, TrySendError};
use std::time::{SystemTime, UNIX_EPOCH};

use bevy::prelude::*;

use crate::frame::AppSet;
use crate::state::{Lifecycle, Locked, PauseReason, Place, RecordNow, SessionSnapshot, SudsWhy};
use writer::{Ack, Write, Writer};

/// What a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A graded exposure.
    Exposure,
    /// A person's own relaxation.
    Relaxation,
}

impl SessionKind {
    /// As the record stores it.
    fn as_str(self) -> &'static str {
        match self {
            Self::Exposure => "exposure",
            Self::Relaxation => "relaxation",
        }
    }

    /// From the record.
    fn parse(text: &str) -> Option<Self> {
        match text {
            "exposure" => Some(Self::Exposure),
            "relaxation" => Some(Self::Relaxation),
            _ => None,
        }
    }
}

/// A session as it starts. One visit is one session: it starts with the
/// first scene of the person's that is recorded and ends when the app
/// closes, whatever scenes it passes through on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    /// Whom it is for.
    pub client: store::ClientRef,
    /// The first scene's file, inside the scene folder.
    pub scene: String,
    /// The first scene's title.
    pub title: String,
    /// Exposure or relaxation.
    pub kind: SessionKind,
    /// When, milliseconds since 1970 (UTC).
    pub started_ms: i64,
    /// The session time it starts at, microseconds: lengths and the times
    /// of its entries count from here.
    pub started_at_us: i64,
    /// The first scene's hierarchy's steps, lowest first: name and sentence.
    pub steps: Vec<(String, String)>,
}

macro_rules! entry_kinds {
    ($($kind:ident => $name:literal, $label:literal;)*) => {
        /// What an entry records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum EntryKind {
            $(
                #[doc = $label]
                $kind,
            )*
            /// Written by a newer Stillpoint.
            Unknown,
        }

        impl EntryKind {
            /// As the record stores it.
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$kind => $name,)*
                    Self::Unknown => "unknown",
                }
            }

            /// From the record.
            fn parse(text: &str) -> Option<Self> {
                match text {
                    $($name => Some(Self::$kind),)*
                    _ => None,
                }
            }

            /// As a report names it.
            fn label(self) -> &'static str {
                match self {
                    $(Self::$kind => $label,)*
                    Self::Unknown => "Something a newer Stillpoint recorded",
                }
            }
        }
    };
}

entry_kinds! {
    Start => "start", "The session started at this step";
    Step => "step", "The step changed";
    Event => "event", "An event was fired";
    SudsAsked => "suds_asked", "SUDS asked";
    Suds => "suds", "SUDS given";
    SudsSetAside => "suds_set_aside", "SUDS question left unanswered";
    Paused => "paused", "Paused";
    Resumed => "resumed", "Resumed";
    SafeEntered => "safe_entered", "Went to the safe place";
    SafeLeft => "safe_left", "Came back from the safe place";
    PacerOn => "pacer_on", "Breathing pacer on";
    PacerOff => "pacer_off", "Breathing pacer off";
    HeadsetLost => "headset_lost", "The headset was lost";
    BreakSuggested => "break_suggested", "A break was suggested";
    SoundStalled => "sound_stalled", "The sound stopped reaching the headphones";
    SoundBack => "sound_back", "The sound reached the headphones again";
    Note => "note", "Note";
    Questionnaire => "questionnaire", "Cybersickness questionnaire";
    Rhythm => "rhythm", "The pacer's rhythm was chosen";
    SceneLeft => "scene_left", "Left for another scene";
    SceneEntered => "scene_entered", "Arrived in another scene";
    Plan => "plan", "The client's plan in force";
    ExpectBefore => "expect_before", "Expected before the step";
    Form => "form", "Questionnaire";
    ExpectAfter => "expect_after", "Found after the step";
    Correction => "correction", "A correction";
    NoteClosed => "note_closed", "Note closed";
}

/// Something that happened in a session.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Entry {
    /// The scene it happened in (its file, inside the scene folder); its
    /// step is that scene's.
    pub scene: String,
    /// Session time (the sound heard, pauses not counted), microseconds.
    pub at_us: i64,
    /// Wall time, milliseconds since 1970 (UTC).
    pub wall_ms: i64,
    /// What happened.
    pub kind: EntryKind,
    /// The step it happened at, from 1.
    pub step: Option<i64>,
    /// A number: the SUDS given, minutes before a break.
    pub value: Option<i64>,
    /// Words: the step's or the event's name, a reason, a note.
    pub text: String,
    /// The entry of the same session this one corrects (the record's
    /// number for it); nothing is changed in place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<i64>,
    /// Its number in the record, once read back from it (none while it is
    /// being made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// What to record, and where.
#[derive(Resource, Debug, Clone)]
pub struct Recording {
    /// The record's file.
    pub path: PathBuf,
    /// Whom the sessions are for.
    pub client: store::ClientRef,
    /// Record relaxation sessions too (the person's setting; off by
    /// default).
    pub relaxation: bool,
    /// The therapist's passphrase: with it the record is kept encrypted;
    /// without it only a plain record is written (a person's own
    /// relaxation log), and an encrypted one stays locked.
    pub passphrase: Option<store::Passphrase>,
    /// Keep the record encrypted (a therapist's): without the passphrase
    /// nothing is written, rather than anything written plain.
    pub encrypt: bool,
}

impl Recording {
    /// The record's file and the passphrase that opens it.
    pub fn file(&self) -> RecordFile {
        RecordFile {
            path: self.path.clone(),
            passphrase: self.passphrase.clone(),
        }
    }
}

/// A record's file, and the passphrase that opens it if it is encrypted.
#[derive(Debug, Clone)]
pub struct RecordFile {
    /// The file.
    pub path: PathBuf,
    /// Its passphrase.
    pub passphrase: Option<store::Passphrase>,
}

impl RecordFile {
    /// Opens it only to read ([`store::open_read`]).
    pub fn open_read(&self) -> Result<Option<rusqlite::Connection>, store::StoreError> {
        store::open_read(&self.path, self.passphrase.as_ref())
    }

    /// Adds a row to the audit trail of this record when it is encrypted (a
    /// plain record, a person's own log, keeps none of its reading). A
    /// record its owner made read-only is not written (whoever runs as root
    /// could): the reason is returned, to be said, and what was asked is
    /// still done, as whoever holds the file and its passphrase could read
    /// it without Stillpoint.
    pub fn note(&self, what: &str, detail: &str) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let Some(passphrase) = &self.passphrase else {
            return Ok(());
        };
        if let Ok(meta) = std::fs::metadata(&self.path)
            && meta.permissions().mode() & 0o200 == 0
        {
            return Err(format!(
                "the session record {} is read-only (mode {:o}): this is not in its audit trail",
                self.path.display(),
                meta.permissions().mode() & 0o777
            ));
        }
        let noted = store::open(&self.path, false, Some(passphrase)).and_then(|db| match db {
            Some(mut db) => store::note(&mut db, &self.path, store::now_ms(), what, detail),
            None => Ok(()),
        });
        noted.map_err(|why| format!("this is not in the record's audit trail: {why}"))
    }
}

/// The app's link to the record's writer thread.
#[derive(Resource)]
struct JournalLink {
    writer: Option<Writer>,
    /// Writes the queue had no room for, sent on a later frame.
    held: VecDeque<(u64, Write)>,
    /// The number of the last write made.
    made: u64,
    /// The scene the person is in, while a session is open: entries are
    /// made in it.
    open: Option<String>,
    /// The scenes of the open session whose steps are in the record.
    scenes: Vec<String>,
    /// The step last recorded, from 1.
    step: Option<usize>,
    /// Session time as of the last frame, microseconds.
    at_us: i64,
    /// Why the record cannot be written yet, if it cannot.
    locked: Option<Locked>,
    /// The step names of the exposure scenes shown, by scene: a plan's
    /// steps are found among them.
    step_names: std::collections::HashMap<String, Vec<String>>,
    /// The plan in force now, by its number.
    planned: Option<i64>,
}

/// The record's passphrase, given after the start (in the console, once it
/// has checked it): the record is written from now on.
#[derive(Message, Debug, Clone)]
pub struct Unlock(pub store::Passphrase);

/// The client's plan for this scene was changed (in the console): the one
/// in force is looked up again.
#[derive(Message, Debug, Clone)]
pub struct PlanSaved(pub String);

/// Why the record `recording` says cannot be written yet, if it cannot.
fn locked(recording: &Recording) -> Option<Locked> {
    if !recording.encrypt {
        return None;
    }
    match store::is_encrypted(&recording.path) {
        Ok(Some(false)) => Some(Locked::Plain),
        _ if recording.passphrase.is_some() => None,
        Ok(None) => Some(Locked::NewPassphrase),
        _ => Some(Locked::Passphrase),
    }
}

impl Drop for JournalLink {
    fn drop(&mut self) {
        // The app is closing without having said so (a test's app dropped,
        // a closed window): the session ends now, and everything held goes
        // to the writer before it finishes.
        if self.open.take().is_some() {
            self.made += 1;
            self.held.push_back((
                self.made,
                Write::End {
                    wall_ms: now_ms(),
                    at_us: self.at_us,
                },
            ));
        }
        let Some(writer) = self.writer.take() else {
            // No writer ever ran: whatever was made is not recorded, and is
            // said and counted rather than dropped unseen.
            writer::not_recorded(self.held.drain(..));
            return;
        };
        while let Some(write) = self.held.pop_front() {
            if let Err(SendError(write)) = writer.to.send(write) {
                // The writer's thread is gone: this and the rest are not
                // recorded.
                self.held.push_front(write);
                break;
            }
        }
        writer::not_recorded(self.held.drain(..));
        writer.finish();
    }
}

/// Writes dropped unrecorded in this process (printed as they were).
static LOST: AtomicU64 = AtomicU64::new(0);

/// Counts writes that will never be recorded.
fn lose(n: u64) {
    LOST.fetch_add(n, Ordering::SeqCst);
}

/// How many writes (sessions begun, entries, ends) this process had to
/// record and could not; each was printed to the terminal. Final once the
/// app is dropped, which waits for its writer.
pub(crate) fn lost() -> u64 {
    LOST.load(Ordering::SeqCst)
}

/// Whether anything this process had to record could not be recorded: the
/// app then exits with status 4.
pub(crate) fn lost_anything() -> bool {
    lost() > 0
}

/// The journal's work in a frame: this frame's lifecycle messages made into
/// writes, and [`RecordNow`] brought up to date. It runs after the snapshot
/// is published ([`AppSet::Report`]), so it reads the frame's own snapshot;
/// the snapshot carries [`RecordNow`] from the next frame on, so a watcher
/// that says which of this frame's messages are recorded (the console)
/// orders itself after this set and reads [`RecordNow`] itself.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct JournalSystems;

/// Records sessions as `Recording` says; added by the app when a record is
/// kept.
/// The session record, configured: where it is kept and for whom.
#[derive(Debug, Clone)]
pub struct JournalPlugin {
    /// Where, and for whom.
    pub recording: Recording,
}

impl Plugin for JournalPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.recording.clone());
        plugin(app, self.recording.clone());
    }
}

fn plugin(app: &mut App, recording: Recording) {
    let writer = match Writer::start(
        recording.path.clone(),
        recording.passphrase.clone(),
        recording.encrypt,
    ) {
        Ok(writer) => Some(writer),
        Err(why) => {
            warn!("the session record cannot be kept: {why}");
            None
        }
    };
    let locked = locked(&recording);
    app.add_message::<Unlock>()
        .add_message::<PlanSaved>()
        .insert_resource(JournalLink {
            writer,
            held: VecDeque::new(),
            made: 0,
            open: None,
            scenes: Vec::new(),
            step: None,
            at_us: 0,
            locked,
            step_names: std::collections::HashMap::new(),
            planned: None,
        })
        .configure_sets(Update, JournalSystems.after(AppSet::Report))
        .add_systems(Update, record.in_set(JournalSystems));
}

/// The plan `kept` for `scene`, whose steps are named `names`, as the
/// state walks it; why not, when the scene has changed since it was made.
fn in_force(
    kept: &store::KeptPlan,
    scene: &str,
    names: &[String],
) -> Result<crate::state::PlanInForce, String> {
    let plan: crate::plan::ClientPlan = crate::diagnostics::ron_options()
        .from_str(&kept.text)
        .map_err(|e| format!("the client's plan {} cannot be read: {e}", kept.id))?;
    let numbers = plan.numbers(names).ok_or_else(|| {
        format!(
            "the client's plan {} names a step {scene} no longer has; it is not in force (edit \
             it in the console, or with `stillpoint plan export` and `plan import`)",
            kept.id
        )
    })?;
    Ok(crate::state::PlanInForce {
        id: kept.id,
        scene: scene.to_owned(),
        steps: plan
            .steps
            .into_iter()
            .zip(numbers)
            .map(|(step, number)| crate::state::PlannedStep {
                number,
                words: step.words,
                predicted_suds: step.predicted_suds,
                feared: step.feared,
            })
            .collect(),
    })
}

/// Milliseconds since 1970 (UTC).
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The words for why a SUDS question was asked.
fn suds_why(why: SudsWhy) -> String {
    match why {
        SudsWhy::Start => "at the start".into(),
        SudsWhy::StepChange { from, to } => format!("step {from} to {to}"),
        SudsWhy::Interval => "at the interval".into(),
        SudsWhy::Asked => "asked for".into(),
        SudsWhy::Heard => "said aloud, recorded by the therapist".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    mut recording: ResMut<Recording>,
    snapshot: Res<SessionSnapshot>,
    mut link: ResMut<JournalLink>,
    mut now: ResMut<RecordNow>,
    mut heard: MessageReader<Lifecycle>,
    mut exits: MessageReader<AppExit>,
    mut unlocks: MessageReader<Unlock>,
    mut intents: MessageWriter<crate::state::Intent>,
    mut plans_saved: MessageReader<PlanSaved>,
) {
    let link = link.as_mut();
    let at_us = snapshot.elapsed as i64;
    link.at_us = at_us;
    let mut writes: Vec<Write> = Vec::new();
    for Unlock(passphrase) in unlocks.read() {
        if link.locked == Some(Locked::Plain) {
            continue;
        }
        recording.passphrase = Some(passphrase.clone());
        link.locked = None;
        writes.push(Write::Unlock(passphrase.clone()));
    }
    now.locked = link.locked;
    for PlanSaved(scene) in plans_saved.read() {
        if link.open.as_deref() == Some(scene.as_str()) {
            writes.push(Write::FindPlan {
                scene: scene.clone(),
            });
        }
    }
    let step = snapshot.exposure.as_ref().map(|exposure| exposure.step);
    let entry = |scene: &str, kind, step: Option<usize>, value: Option<i64>, text: String| {
        Write::Entry(Entry {
            scene: scene.to_owned(),
            at_us,
            wall_ms: now_ms(),
            kind,
            step: step.map(|s| s as i64),
            value,
            text,
            corrects: None,
            id: None,
        })
    };
    for message in heard.read() {
        if let Lifecycle::SceneShown(shown) = message {
            // The person's own scene, not the safe place they went to.
            let theirs =
                matches!(&snapshot.place, Some(Place::Scene { path }) if *path == shown.path);
            let wanted = shown.exposure.is_some() || recording.relaxation;
            let steps = || {
                shown
                    .exposure
                    .as_ref()
                    .map(|e| e.steps.clone())
                    .unwrap_or_default()
            };
            if let Some(exposure) = &shown.exposure {
                link.step_names.insert(
                    shown.path.clone(),
                    exposure
                        .steps
                        .iter()
                        .map(|(name, _)| name.clone())
                        .collect(),
                );
            }
            if !theirs || link.open.as_deref() == Some(shown.path.as_str()) {
                continue;
            }
            // The client's plan for this scene, if they have one.
            let find_plan = shown.exposure.is_some().then(|| Write::FindPlan {
                scene: shown.path.clone(),
            });
            if link.open.is_some() {
                // One visit is one session: another scene is a part of it,
                // with its own steps, not a session of its own.
                if !link.scenes.contains(&shown.path) {
                    writes.push(Write::Scene {
                        scene: shown.path.clone(),
                        steps: steps(),
                    });
                    link.scenes.push(shown.path.clone());
                }
                writes.push(entry(
                    &shown.path,
                    EntryKind::SceneEntered,
                    None,
                    None,
                    shown.title.clone(),
                ));
                writes.extend(find_plan);
                link.open = Some(shown.path.clone());
                link.step = None;
            } else if wanted {
                writes.push(Write::Begin(NewSession {
                    client: recording.client.clone(),
                    scene: shown.path.clone(),
                    title: shown.title.clone(),
                    kind: if shown.exposure.is_some() {
                        SessionKind::Exposure
                    } else {
                        SessionKind::Relaxation
                    },
                    started_ms: now_ms(),
                    started_at_us: at_us,
                    steps: steps(),
                }));
                writes.extend(find_plan);
                link.open = Some(shown.path.clone());
                link.scenes = vec![shown.path.clone()];
                link.step = None;
                // A pause that began before the session did (the console
                // waiting for the therapist) is part of it.
                for reason in PauseReason::ALL {
                    if snapshot.paused_for.contains(reason) {
                        writes.push(entry(
                            &shown.path,
                            EntryKind::Paused,
                            step,
                            None,
                            reason.name().into(),
                        ));
                    }
                }
            }
            continue;
        }
        let Some(scene) = link.open.clone() else {
            continue;
        };
        let entry = |kind, step, value, text| entry(&scene, kind, step, value, text);
        let write = match message {
            Lifecycle::StepChanged { to, name, .. } => {
                link.step = Some(*to);
                entry(EntryKind::Step, Some(*to), None, name.clone())
            }
            Lifecycle::EventFired { name, step } => {
                entry(EntryKind::Event, Some(*step), None, name.clone())
            }
            Lifecycle::SudsAsked { why, step } => {
                entry(EntryKind::SudsAsked, Some(*step), None, suds_why(*why))
            }
            Lifecycle::SudsAnswered {
                value,
                why,
                step,
                at,
            } => Write::Entry(Entry {
                scene: scene.clone(),
                at_us: *at as i64,
                wall_ms: now_ms(),
                kind: EntryKind::Suds,
                step: Some(*step as i64),
                value: Some(i64::from(*value)),
                text: suds_why(*why),
                corrects: None,
                id: None,
            }),
            Lifecycle::SudsSetAside { why } => {
                entry(EntryKind::SudsSetAside, step, None, suds_why(*why))
            }
            Lifecycle::Paused { reason } => {
                entry(EntryKind::Paused, step, None, reason.name().into())
            }
            Lifecycle::Resumed { reason } => {
                entry(EntryKind::Resumed, step, None, reason.name().into())
            }
            Lifecycle::SafePlaceEntered { safe, .. } => {
                entry(EntryKind::SafeEntered, step, None, safe.clone())
            }
            Lifecycle::SafePlaceLeft { to, .. } => {
                entry(EntryKind::SafeLeft, step, None, to.clone())
            }
            Lifecycle::SessionStarted { title, .. } => {
                entry(EntryKind::PacerOn, step, None, title.clone())
            }
            Lifecycle::SessionEnded { title, how } => entry(
                EntryKind::PacerOff,
                step,
                None,
                format!("{title} ({how:?})").to_lowercase(),
            ),
            Lifecycle::HeadsetLost { why } => {
                entry(EntryKind::HeadsetLost, step, None, why.clone())
            }
            Lifecycle::BreakSuggested { after_min } => entry(
                EntryKind::BreakSuggested,
                step,
                Some(i64::from(*after_min)),
                String::new(),
            ),
            Lifecycle::OutputStalled => entry(EntryKind::SoundStalled, step, None, String::new()),
            Lifecycle::OutputResumed => entry(EntryKind::SoundBack, step, None, String::new()),
            Lifecycle::NoteAdded { text } => entry(EntryKind::Note, step, None, text.clone()),
            Lifecycle::FormScored(given) => entry(
                EntryKind::Form,
                step,
                Some((given.scored.total * 100.0).round() as i64),
                serde_json::json!({
                    "id": given.id,
                    "title": given.title,
                    "when": given.when,
                    "answers": given.answers,
                    "subscales": given.scored.subscales,
                    "total": given.scored.total,
                    "band": given.scored.band,
                    "alerts": given.scored.alerts,
                    "range": given.scored.range,
                    "cutoffs": given.scored.cutoffs,
                })
                .to_string(),
            ),
            Lifecycle::ExpectancyRecorded { step, what } => match what {
                crate::state::Expectancy::Before {
                    likelihood,
                    expected_peak,
                } => entry(
                    EntryKind::ExpectBefore,
                    Some(*step),
                    Some(i64::from(*likelihood)),
                    serde_json::json!({
                        "likelihood_percent": likelihood,
                        "expected_peak_suds": expected_peak,
                    })
                    .to_string(),
                ),
                crate::state::Expectancy::After {
                    happened,
                    surprise,
                    felt_peak,
                } => entry(
                    EntryKind::ExpectAfter,
                    Some(*step),
                    Some(i64::from(*felt_peak)),
                    serde_json::json!({
                        "happened": happened,
                        "surprise": surprise,
                        "felt_peak_suds": felt_peak,
                    })
                    .to_string(),
                ),
            },
            Lifecycle::PlanChosen { id, steps, .. } => entry(
                EntryKind::Plan,
                step,
                *id,
                if id.is_some() {
                    format!(
                        "steps {}",
                        steps
                            .iter()
                            .map(usize::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    "none".into()
                },
            ),
            Lifecycle::ClientChosen(choice) => {
                let who = match choice {
                    crate::state::ClientChoice::Code(code) => store::ClientRef::Code(code.clone()),
                    crate::state::ClientChoice::Alias(alias) => {
                        store::ClientRef::Alias(alias.clone())
                    }
                    crate::state::ClientChoice::New(alias) => store::ClientRef::New(alias.clone()),
                };
                // Later sessions of this run are theirs too; a new client
                // is made once, then named by the code it gets.
                recording.client = who.clone();
                writes.push(Write::Client(who));
                if link.step_names.contains_key(&scene) {
                    writes.push(Write::FindPlan {
                        scene: scene.clone(),
                    });
                }
                continue;
            }
            Lifecycle::RhythmChanged { name, .. } => {
                entry(EntryKind::Rhythm, step, None, name.clone())
            }
            Lifecycle::SceneChanged { to, .. } => {
                entry(EntryKind::SceneLeft, step, None, to.clone())
            }
            Lifecycle::QuestionnaireScored {
                when,
                answers,
                scores,
            } => entry(
                EntryKind::Questionnaire,
                step,
                Some((scores.total * 100.0).round() as i64),
                serde_json::json!({
                    "when": when.name(),
                    "answers": answers,
                    "nausea": scores.nausea,
                    "oculomotor": scores.oculomotor,
                    "disorientation": scores.disorientation,
                    "total": scores.total,
                })
                .to_string(),
            ),
            _ => continue,
        };
        writes.push(write);
    }
    // The step the session starts at, once the hierarchy is known.
    if let Some(scene) = link.open.clone()
        && link.step.is_none()
        && let Some(exposure) = &snapshot.exposure
    {
        link.step = Some(exposure.step);
        writes.push(entry(
            &scene,
            EntryKind::Start,
            Some(exposure.step),
            None,
            exposure.name.clone(),
        ));
    }
    if exits.read().next().is_some() && link.open.take().is_some() {
        writes.push(Write::End {
            wall_ms: now_ms(),
            at_us,
        });
    }
    for write in writes {
        link.made += 1;
        link.held.push_back((link.made, write));
    }
    let Some(writer) = link.writer.as_ref() else {
        now.trouble = Some("the session record's writer could not start".into());
        return;
    };
    while let Some(write) = link.held.pop_front() {
        match writer.to.try_send(write) {
            Ok(()) => {}
            Err(TrySendError::Full(write)) => {
                link.held.push_front(write);
                break;
            }
            Err(TrySendError::Disconnected(write)) => {
                link.held.push_front(write);
                now.trouble = Some("the session record's writer stopped".into());
                break;
            }
        }
    }
    let acks = writer.from.lock().unwrap_or_else(|e| e.into_inner());
    while let Ok(ack) = acks.try_recv() {
        match ack {
            Ack::Committed(n) => now.committed = n,
            Ack::Began { session, client } => {
                info!("recording session {session} for client {client}");
                now.session = Some(session);
                now.client = Some(client);
            }
            Ack::Trouble(why) => {
                warn!("the session record cannot be written now (kept, and tried again): {why}");
                now.trouble = Some(why);
            }
            Ack::Recovered => {
                info!("the session record is written again");
                now.trouble = None;
            }
            // Only the person's own scene's plan is walked.
            Ack::Plan { scene, .. } if link.open.as_deref() != Some(scene.as_str()) => {}
            Ack::Plan { scene, plan } => {
                let names = link
                    .step_names
                    .get(&scene)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                match plan.map(|kept| in_force(&kept, &scene, names)) {
                    Some(Ok(plan)) => {
                        link.planned = Some(plan.id);
                        intents.write(crate::state::Intent::Plan(Some(plan)));
                    }
                    Some(Err(why)) => warn!("{why}"),
                    None if link.planned.is_some() => {
                        link.planned = None;
                        intents.write(crate::state::Intent::Plan(None));
                    }
                    None => {}
                }
            }
            Ack::Gone(id) => {
                let why = format!(
                    "session {id} was deleted from the record while it ran; the rest of it is not recorded"
                );
                warn!("{why}");
                now.trouble = Some(why);
            }
        }
    }
    now.on = true;
    now.made = link.made;
}
