//! The session record: an exposure session recorded as it happens and read
//! back, the command line's list, exports and deletes, the report's bytes,
//! a delete that leaves no trace, trouble that delays the record and loses
//! nothing, and a writer killed at random moments that never loses what it
//! acknowledged. Session numbers are never given twice, a session being
//! recorded cannot be deleted, reads never write, exports never harm, and a
//! run that could not record says so in its exit status.

use std::io::{Read, Write as _};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use rusqlite::Connection;
use stillpoint::journal::store::{self, ClientRef, Passphrase, SessionRecord};
use stillpoint::journal::writer::{Ack, Write, Writer};
use stillpoint::journal::{Entry, EntryKind, NewSession, Recording, SessionKind, report};
use stillpoint::scene::{CurrentScene, SceneAsset};
use stillpoint::state::{Intent, SessionSnapshot, StepChange, SudsChange};

use crate::common::{
    Reaped, app_on, ask, fixture, output_dir, passphrase, scene_folder, scratch, stillpoint,
    update_until,
};

const FRAME: Duration = Duration::from_millis(20);

/// The exposure fixture, shown, with a record kept at `record` for R.K.
fn recorded_app(test: &str, record: &Path, relaxation: bool, scene: &str) -> App {
    recorded_app_for(
        test,
        record,
        relaxation,
        scene,
        ClientRef::Alias("R.K.".into()),
        false,
    )
}

/// [`recorded_app`] for `client`; with `manual_clock`, the session's clock
/// stands at 0 until the test moves it ([`clock_at`]).
fn recorded_app_for(
    test: &str,
    record: &Path,
    relaxation: bool,
    scene: &str,
    client: ClientRef,
    manual_clock: bool,
) -> App {
    let (dir, _) = scene_folder(&format!("{test}-scenes"), "lake_dusk.ron", "lake_dusk.ron");
    std::fs::copy(fixture("exposure_steps.ron"), dir.join("steps.ron")).unwrap();
    let mut app = app_on(&dir, scene, FRAME, None);
    if manual_clock {
        clock_at(&mut app, 0.0);
    }
    app.add_plugins(stillpoint::journal::JournalPlugin {
        recording: Recording {
            path: record.to_path_buf(),
            client,
            relaxation,
            passphrase: Some(passphrase()),
            encrypt: true,
        },
    });
    // Shown, with its safe place loaded ahead (the lake is its own).
    let loaded = if scene == "lake_dusk.ron" { 1 } else { 2 };
    assert!(update_until(&mut app, Duration::from_secs(60), |w| {
        w.resource::<CurrentScene>().generation == 1
            && w.resource::<Assets<SceneAsset>>().len() >= loaded
    }));
    app.update();
    app
}

/// Sets the session's clock to `seconds`, and holds it there.
fn clock_at(app: &mut App, seconds: f64) {
    app.insert_resource(stillpoint::clock::SessionClock {
        heard: (seconds * 1e6) as u64,
        latency: 0,
        manual: true,
    });
}

fn snapshot(app: &App) -> &SessionSnapshot {
    app.world().resource::<SessionSnapshot>()
}

/// Updates until everything made so far is committed.
fn until_committed(app: &mut App) {
    assert!(
        update_until(app, Duration::from_secs(20), |w| {
            let r = &w.resource::<SessionSnapshot>().record;
            r.made > 0 && r.committed == r.made
        }),
        "the record never caught up: {:?}",
        snapshot(app).record
    );
}

fn kinds(record: &SessionRecord) -> Vec<(EntryKind, Option<i64>, Option<i64>, String)> {
    record
        .entries
        .iter()
        .map(|e| (e.kind, e.step, e.value, e.text.clone()))
        .collect()
}

#[test]
fn an_exposure_session_is_recorded_as_it_happens_and_committed_before_it_is_shown_recorded() {
    let dir = scratch("journal-session");
    let record = dir.join("data").join("stillpoint").join("journal.sqlite3");
    let mut app = recorded_app("journal-session", &record, false, "steps.ron");
    until_committed(&mut app);
    let folder_mode = std::fs::metadata(record.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    let file_mode = std::fs::metadata(&record).unwrap().permissions().mode();
    assert_eq!(folder_mode & 0o777, 0o700, "the record's folder");
    assert_eq!(file_mode & 0o777, 0o600, "the record's file");
    assert!(snapshot(&app).record.on && snapshot(&app).record.trouble.is_none());

    ask(&mut app, Intent::Step(StepChange::Up));
    ask(&mut app, Intent::Suds(SudsChange::Set(40)));
    ask(&mut app, Intent::Suds(SudsChange::Answer));
    app.update();
    ask(&mut app, Intent::Step(StepChange::Up));
    app.update();
    ask(&mut app, Intent::FireEvent("gust".into()));
    app.update();
    ask(&mut app, Intent::Suds(SudsChange::Set(65)));
    ask(&mut app, Intent::Suds(SudsChange::Answer));
    app.update();
    ask(&mut app, Intent::SafePlace);
    assert!(update_until(&mut app, Duration::from_secs(20), |w| w
        .resource::<SessionSnapshot>()
        .place
        .as_ref()
        .is_some_and(|p| p.is_safe_place())));
    ask(&mut app, Intent::LeaveSafePlace);
    app.update();
    ask(
        &mut app,
        Intent::Note("Breathing fast at step 3; \"okay\" after the gust.".into()),
    );
    ask(&mut app, Intent::Note(" ".into()));
    ask(
        &mut app,
        Intent::Note("x".repeat(stillpoint::state::MAX_NOTE_CHARS + 1)),
    );
    app.update();
    until_committed(&mut app);

    // Once the snapshot says so, another reader sees every entry: it is on
    // the disk, not in a queue.
    let id = snapshot(&app).record.session.expect("a session was begun");
    let reader = store::open(&record, false, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let seen = store::session(&reader, id).unwrap();
    assert_eq!(seen.session.alias, "R.K.");
    assert_eq!(seen.session.kind, SessionKind::Exposure);
    assert_eq!(seen.session.ended_ms, None, "still running");
    assert_eq!(seen.scenes.len(), 1);
    assert_eq!(seen.scenes[0].steps.len(), 4);
    let got = kinds(&seen);
    let want_in_order = [
        (EntryKind::Start, Some(1)),
        (EntryKind::Step, Some(2)),
        (EntryKind::Suds, Some(2)),
        (EntryKind::Step, Some(3)),
        (EntryKind::Event, Some(3)),
        (EntryKind::Suds, Some(3)),
        (EntryKind::SafeEntered, Some(3)),
        (EntryKind::SafeLeft, Some(3)),
        (EntryKind::Note, Some(3)),
    ];
    let mut at = 0;
    for (kind, step) in want_in_order {
        let found = got[at..]
            .iter()
            .position(|(k, s, _, _)| *k == kind && *s == step)
            .unwrap_or_else(|| panic!("no {kind:?} at step {step:?} after entry {at}: {got:#?}"));
        at += found + 1;
    }
    let suds: Vec<Option<i64>> = got
        .iter()
        .filter(|(k, ..)| *k == EntryKind::Suds)
        .map(|(_, _, v, _)| *v)
        .collect();
    assert_eq!(suds, [Some(40), Some(65)]);
    let notes: Vec<&str> = got
        .iter()
        .filter(|(k, ..)| *k == EntryKind::Note)
        .map(|(.., t)| t.as_str())
        .collect();
    assert_eq!(
        notes,
        ["Breathing fast at step 3; \"okay\" after the gust."],
        "the empty and the oversized notes are refused"
    );
    let mode: String = reader
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");

    // Closing the app ends the session in the record.
    drop(app);
    let ended = store::session(&reader, id).unwrap();
    assert!(ended.session.ended_ms.is_some(), "the end is recorded");
    assert_eq!(ended.entries.len(), seen.entries.len());
}

#[test]
fn one_visit_through_several_scenes_is_one_session_whose_lengths_add_up() {
    let dir = scratch("journal-visit");
    let record = dir.join("journal.sqlite3");
    // The lake first, not recorded: the session clock runs for a while
    // before the session begins.
    let mut app = recorded_app("journal-visit", &record, false, "lake_dusk.ron");
    for _ in 0..100 {
        app.update();
    }
    let shown = |app: &mut App, scene: &str| {
        let scene = scene.to_owned();
        assert!(
            update_until(app, Duration::from_secs(30), move |w| {
                w.resource::<SessionSnapshot>()
                    .scene
                    .as_ref()
                    .is_some_and(|s| s.path == scene)
            }),
            "never arrived"
        );
        app.update();
    };
    let go = |app: &mut App, path: &str, step| {
        ask(
            app,
            Intent::ChangeScene {
                path: path.into(),
                step,
            },
        )
    };
    go(&mut app, "steps.ron", Some(1));
    shown(&mut app, "steps.ron");
    ask(&mut app, Intent::Note("in the steps".into()));
    ask(&mut app, Intent::Step(StepChange::Up));
    for _ in 0..25 {
        app.update();
    }
    // The therapist takes the person to the lake, and back to the steps.
    go(&mut app, "lake_dusk.ron", None);
    shown(&mut app, "lake_dusk.ron");
    ask(&mut app, Intent::Note("at the lake".into()));
    for _ in 0..25 {
        app.update();
    }
    go(&mut app, "steps.ron", Some(3));
    shown(&mut app, "steps.ron");
    ask(&mut app, Intent::Note("back in the steps".into()));
    for _ in 0..25 {
        app.update();
    }
    until_committed(&mut app);
    let clock_at_end = snapshot(&app).elapsed as i64;
    drop(app);

    let db = store::open_read(&record, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let sessions = store::sessions(&db).unwrap();
    assert_eq!(sessions.len(), 1, "one visit, one session: {sessions:#?}");
    let whole = store::session(&db, sessions[0].id).unwrap();
    let scenes: Vec<&str> = whole.scenes.iter().map(|s| s.scene.as_str()).collect();
    assert_eq!(scenes, ["steps.ron", "lake_dusk.ron"]);
    assert_eq!(whole.scenes[0].steps.len(), 4);
    assert!(whole.scenes[1].steps.is_empty(), "the lake has no steps");
    let notes: Vec<(&str, &str)> = whole
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Note)
        .map(|e| (e.scene.as_str(), e.text.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            ("steps.ron", "in the steps"),
            ("lake_dusk.ron", "at the lake"),
            ("steps.ron", "back in the steps"),
        ]
    );
    // Back at the steps at step 3, recorded as the start of that stretch.
    assert!(
        whole
            .entries
            .iter()
            .any(|e| e.kind == EntryKind::Start && e.step == Some(3) && e.scene == "steps.ron"),
        "{:#?}",
        whole.entries
    );
    // Lengths count from the session's own start, not from the clock's:
    // the two seconds at the lake before it are not in it, and the first
    // entry is near its beginning.
    let s = &whole.session;
    assert!(s.ended_ms.is_some(), "ended");
    assert!(s.started_at_us >= 1_500_000, "the clock ran before: {s:?}");
    assert!(
        s.length_us > 0 && s.length_us <= clock_at_end - s.started_at_us,
        "a length of {} us, from {} us, with the clock at {clock_at_end} us at the end",
        s.length_us,
        s.started_at_us
    );
    let csv = report::csv(&whole);
    let first: f64 = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(4)
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (0.0..0.5).contains(&first),
        "the first entry at {first} s: {csv}"
    );
    // The report names both scenes and says what each length counts.
    let html = report::html(&whole);
    assert!(html.contains("Scenes</dt>"), "both scenes are named");
    assert!(html.contains("pauses included") && html.contains("pauses not counted"));
}

#[test]
fn relaxation_is_recorded_only_when_the_settings_say_so() {
    let dir = scratch("journal-relax");
    let record = dir.join("journal.sqlite3");
    let mut app = recorded_app("journal-relax-off", &record, false, "lake_dusk.ron");
    ask(&mut app, Intent::SafePlace);
    for _ in 0..10 {
        app.update();
    }
    assert_eq!(snapshot(&app).record.session, None);
    drop(app);
    // Nothing was written: the record was not even made.
    assert!(!record.exists(), "a relaxation session was recorded");

    let mut app = recorded_app("journal-relax-on", &record, true, "lake_dusk.ron");
    until_committed(&mut app);
    drop(app);
    let db = store::open(&record, false, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let rows = store::sessions(&db).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, SessionKind::Relaxation);
    assert!(rows[0].ended_ms.is_some());
}

#[test]
fn a_record_that_cannot_be_written_is_said_kept_and_written_once_it_can() {
    let dir = scratch("journal-trouble");
    // The record's folder is a file: nothing can be written under it.
    let blocked = dir.join("data");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let record = blocked.join("journal.sqlite3");
    let mut app = recorded_app("journal-trouble", &record, false, "steps.ron");
    assert!(
        update_until(&mut app, Duration::from_secs(10), |w| w
            .resource::<SessionSnapshot>()
            .record
            .trouble
            .is_some()),
        "the trouble is said"
    );
    ask(&mut app, Intent::Step(StepChange::Up));
    ask(
        &mut app,
        Intent::Note("written while the disk was away".into()),
    );
    for _ in 0..5 {
        app.update();
    }
    let r = &snapshot(&app).record;
    assert!(r.made >= 3 && r.committed == 0, "{r:?}");
    // The folder comes back: everything held is written.
    std::fs::remove_file(&blocked).unwrap();
    until_committed(&mut app);
    assert!(snapshot(&app).record.trouble.is_none());
    let db = store::open(&record, false, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let id = snapshot(&app).record.session.unwrap();
    let got = kinds(&store::session(&db, id).unwrap());
    assert!(
        got.iter()
            .any(|(k, .., t)| *k == EntryKind::Note && t == "written while the disk was away"),
        "{got:?}"
    );
}

/// A session with fixed times, as the record holds it.
fn sample(alias: &str, note: &str) -> (NewSession, Vec<Entry>) {
    sample_for(ClientRef::Alias(alias.into()), note)
}

/// [`sample`] for the client `who` names.
fn sample_for(who: ClientRef, note: &str) -> (NewSession, Vec<Entry>) {
    let t0 = 1_796_275_807_000; // 2026-12-03 05:30:07 UTC
    let steps = [
        ("Poster", "A drawing of a spider on a poster."),
        (
            "Jar, far",
            "A small spider in a closed jar across the room.",
        ),
        ("Jar, near", "The jar on the table."),
    ];
    let session = NewSession {
        client: who,
        scene: "spiders.ron".into(),
        title: "The kitchen".into(),
        kind: SessionKind::Exposure,
        started_ms: t0,
        started_at_us: 0,
        steps: steps
            .iter()
            .map(|(n, s)| ((*n).into(), (*s).into()))
            .collect(),
    };
    let e = |s: i64, kind, step: i64, value: Option<i64>, text: &str| Entry {
        scene: "spiders.ron".into(),
        at_us: s * 1_000_000,
        wall_ms: t0 + s * 1000,
        kind,
        step: Some(step),
        value,
        text: text.into(),
        corrects: None,
        id: None,
    };
    let ssq = |when: &str, answers: [u8; 16]| {
        let s = stillpoint::questionnaire::simulator_sickness::score(&answers).unwrap();
        serde_json::json!({
            "when": when, "answers": answers, "nausea": s.nausea,
            "oculomotor": s.oculomotor, "disorientation": s.disorientation, "total": s.total,
        })
        .to_string()
    };
    let before = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    let after = [1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0];
    let entries = vec![
        e(
            0,
            EntryKind::Questionnaire,
            1,
            Some(1122),
            &ssq("before", before),
        ),
        e(0, EntryKind::Start, 1, None, "Poster"),
        e(5, EntryKind::Suds, 1, Some(20), "at the start"),
        e(120, EntryKind::Step, 2, None, "Jar, far"),
        e(130, EntryKind::Suds, 2, Some(45), "step 1 to 2"),
        e(200, EntryKind::Event, 2, None, "creak"),
        e(260, EntryKind::Paused, 2, None, "therapist"),
        e(320, EntryKind::Resumed, 2, None, "therapist"),
        e(400, EntryKind::Step, 3, None, "Jar, near"),
        e(410, EntryKind::Suds, 3, Some(70), "step 2 to 3"),
        e(450, EntryKind::SafeEntered, 3, None, "lake_dusk.ron"),
        e(540, EntryKind::SafeLeft, 3, None, "spiders.ron"),
        e(560, EntryKind::Suds, 3, Some(50), "asked for"),
        e(600, EntryKind::Note, 3, None, note),
        e(
            630,
            EntryKind::Questionnaire,
            3,
            Some(3366),
            &ssq("after", after),
        ),
    ];
    (session, entries)
}

fn write_sample(record: &Path, alias: &str, note: &str) -> i64 {
    write_sample_with(record, alias, note, Some(&passphrase()))
}

/// [`write_sample`] with this passphrase, or into a plain record.
fn write_sample_with(
    record: &Path,
    alias: &str,
    note: &str,
    passphrase: Option<&Passphrase>,
) -> i64 {
    let mut db = store::open(record, true, passphrase).unwrap().unwrap();
    write_sample_in(&mut db, alias, note)
}

/// [`write_sample`] through a connection the caller holds open.
fn write_sample_in(db: &mut Connection, alias: &str, note: &str) -> i64 {
    write_session_in(db, sample(alias, note))
}

/// Writes `session` and its entries, ended, through the writer's own
/// functions; returns its number.
fn write_session_in(db: &mut Connection, (session, entries): (NewSession, Vec<Entry>)) -> i64 {
    let tx = db.transaction().unwrap();
    let (id, _) = store::begin(&tx, &session).unwrap();
    for entry in &entries {
        store::add(&tx, id, entry).unwrap();
    }
    store::end(&tx, id, session.started_ms + 660_000, 600_000_000).unwrap();
    tx.commit().unwrap();
    id
}

/// A connection of another program's (the `sqlcipher` shell, say) to the
/// record, with its key.
fn connect_as_another(record: &Path) -> Connection {
    let db = Connection::open(record).unwrap();
    store::unlock(&db, record, &passphrase()).unwrap();
    db
}

/// `stillpoint journal …` with the record in `data`.
fn journal(data: &Path, args: &[&str], input: &str) -> (i32, String, String) {
    journal_with(data, args, input, &[])
}

/// [`journal`] with more of the environment set.
fn journal_with(
    data: &Path,
    args: &[&str],
    input: &str,
    env: &[(&str, &Path)],
) -> (i32, String, String) {
    let mut child = stillpoint()
        .env("XDG_DATA_HOME", data)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .arg("journal")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_lists_exports_and_deletes_sessions_and_asks_first() {
    let dir = scratch("journal-cli");
    let data = dir.join("data");
    let (code, out, err) = journal(&data, &["list"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No sessions are recorded yet"), "{out}");

    let record = data.join("stillpoint").join("journal.sqlite3");
    let first = write_sample(&record, "R.K.", "Calmer after the lake.");
    let second = write_sample(&record, "J.S., Tuesdays", "Asked to stop at step 3.");
    let (code, out, _) = journal(&data, &["list"], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2026-12-03 05:30") && out.contains("R.K.") && out.contains("J.S., Tuesdays")
    );
    assert!(
        out.contains("10 min 00 s") && out.contains("15 entries"),
        "{out}"
    );

    // Exports: to the terminal and to a file only its owner can read.
    let (code, csv, _) = journal(
        &data,
        &["export", &first.to_string(), "--format", "csv"],
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), 16, "{csv}");
    assert!(csv.contains(
        "2026-12-03 05:40:07 UTC,600.000,600.000,spiders.ron,note,3,,Calmer after the lake."
    ));
    let (code, json, _) = journal(
        &data,
        &["export", &second.to_string(), "--format", "json"],
        "",
    );
    assert_eq!(code, 0);
    // The client by their code, never by the alias.
    let (_, clients, _) = journal(&data, &["clients"], "");
    let code_of = |alias: &str| {
        clients
            .lines()
            .find(|l| l.contains(alias))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("{alias} is not listed: {clients}"))
            .to_owned()
    };
    let js = code_of("J.S., Tuesdays");
    assert!(
        stillpoint::journal::store::parse_code(&js).is_ok(),
        "{clients}"
    );
    assert!(
        json.contains(&format!("\"client\": \"{js}\""))
            && !json.contains("J.S.")
            && json.contains("\"kind\": \"safe_entered\""),
        "{json}"
    );
    let html = dir.join("report.html");
    let (code, out, _) = journal(
        &data,
        &[
            "export",
            &first.to_string(),
            "--out",
            html.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::metadata(&html).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Nothing that does not exist.
    let (code, _, err) = journal(&data, &["export", "99"], "");
    assert_eq!(code, 2);
    assert!(err.contains("no session 99 in the record"), "{err}");

    // Deleting asks; anything but yes keeps the session, "y" among it.
    let (code, _, err) = journal(&data, &["delete", &first.to_string()], "y\n");
    assert_eq!(code, 2);
    assert!(err.contains("nothing was deleted"), "{err}");
    let (code, out, err) = journal(&data, &["delete", &first.to_string()], "no\n");
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("Type yes to delete") && err.contains("nothing was deleted"));
    let (code, out, _) = journal(&data, &["delete", &first.to_string()], "yes\n");
    assert_eq!(code, 0);
    assert!(out.contains("Deleted 1 session."), "{out}");
    let (code, out, err) = journal(&data, &["delete", "--alias", "J.S., Tuesdays", "--yes"], "");
    // Once refused under the whole suite's load (exit 2): say why next time.
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Deleted 1 client and 1 session."), "{out}");
    let (code, _, err) = journal(&data, &["delete", "--alias", "nobody", "--yes"], "");
    assert_eq!(code, 2);
    assert!(err.contains("no client has the alias \"nobody\""), "{err}");
    // What was done is in the audit trail, and the alias is not.
    let (code, trail, _) = journal(&data, &["audit"], "");
    assert_eq!(code, 0);
    for done in [
        "unlocked (by journal list)",
        "exported (session 1 as csv, to the terminal)",
        "exported (session 1 as html, to a file)",
        "deleted (sessions: 1)",
        "deleted (a client was deleted; sessions: 2)",
    ] {
        assert!(trail.contains(done), "{done} is not in the trail: {trail}");
    }
    assert!(!trail.contains("J.S.") && !trail.contains(&js), "{trail}");
    let (_, out, _) = journal(&data, &["list"], "");
    assert!(out.contains("No sessions are recorded in"), "{out}");
}

#[test]
fn a_deleted_session_leaves_no_readable_trace_in_the_files() {
    // A plain record (a person's own relaxation log): in an encrypted one
    // nothing is readable to begin with.
    let dir = scratch("journal-trace");
    let record = dir.join("journal.sqlite3");
    let keep = write_sample_with(&record, "kept-alias-2209", "kept note", None);
    let gone = write_sample_with(
        &record,
        "trace-alias-4417",
        "zebra-quartz-7781 said at step 3",
        None,
    );
    let mut db = store::open(&record, false, None).unwrap().unwrap();
    let client = store::find_client(&db, "trace-alias-4417")
        .unwrap()
        .unwrap();
    let files = || -> Vec<u8> {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", record.display()));
            if let Ok(mut f) = std::fs::File::open(path) {
                f.read_to_end(&mut bytes).unwrap();
            }
        }
        bytes
    };
    let holds = |bytes: &[u8], text: &str| bytes.windows(text.len()).any(|w| w == text.as_bytes());
    let before = files();
    assert!(holds(&before, "zebra-quartz-7781") && holds(&before, "trace-alias-4417"));
    // The session, then its client: neither the note nor the alias is
    // left in the files.
    assert_eq!(store::delete(&mut db, &record, &[gone]).unwrap(), 1);
    assert_eq!(
        store::delete_clients(&mut db, &record, &[client], false).unwrap(),
        (1, 0)
    );
    let after = files();
    for trace in ["zebra-quartz-7781", "trace-alias-4417"] {
        assert!(
            !holds(&after, trace),
            "{trace} is still readable in the files"
        );
    }
    assert!(
        holds(&after, "kept-alias-2209"),
        "the other session is kept"
    );
    assert!(store::session(&db, keep).is_ok());
}

#[test]
fn the_report_is_one_printable_page_that_loads_nothing_and_is_the_same_every_time() {
    let dir = scratch("journal-report");
    let record = dir.join("journal.sqlite3");
    let mut db = store::open(&record, true, Some(&passphrase()))
        .unwrap()
        .unwrap();
    // A client with a fixed code, so the page is the same every time, and
    // an alias that must not reach it.
    let id = write_session_in(
        &mut db,
        sample_for(
            ClientRef::Code("K7HF-3M".into()),
            "Said \"spiders\" & smiled.",
        ),
    );
    db.execute("UPDATE clients SET alias = 'R.K. <b>'", [])
        .unwrap();
    let html = report::html(&store::session(&db, id).unwrap());
    std::fs::write(output_dir("journal").join("report.html"), &html).unwrap();
    assert_eq!(html, report::html(&store::session(&db, id).unwrap()));
    let golden =
        std::fs::read_to_string(fixture("report.html")).expect("tests/fixtures/report.html");
    assert!(
        html == golden,
        "the report differs from tests/fixtures/report.html; the new one is in target/test-output/journal/report.html"
    );
    // The pieces a therapist reads, and nothing that reaches outside.
    assert!(
        !html.contains("R.K."),
        "the report names the client's alias"
    );
    for piece in [
        "<dd>K7HF-3M</dd>",
        "Said &quot;spiders&quot; &amp; smiled.",
        "2026-12-03 05:30:07 UTC",
        "<svg",
        "@page { size: A4",
        "Paused (therapist)",
        "In the safe place",
        "creak",
        "Jar, near",
        "Cybersickness questionnaire",
        "<td>before</td>",
        "<td>after</td>",
    ] {
        assert!(html.contains(piece), "the report lacks {piece:?}");
    }
    for outside in ["http://", "https://", "<script", "src=", "@import", "url("] {
        let outside_svg = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !outside_svg.contains(outside),
            "the report holds {outside:?}"
        );
    }
}

#[test]
fn a_record_from_a_newer_stillpoint_is_left_as_it_is() {
    let dir = scratch("journal-newer");
    let record = dir.join("journal.sqlite3");
    {
        let db = Connection::open(&record).unwrap();
        db.pragma_update(None, "user_version", 99).unwrap();
    }
    let bytes = std::fs::read(&record).unwrap();
    let err = store::open(&record, false, Some(&passphrase()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("schema version 99") && err.contains("newer Stillpoint"),
        "{err}"
    );
    let err = store::open_read(&record, Some(&passphrase()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("schema version 99"), "{err}");
    assert!(
        std::fs::read(&record).unwrap() == bytes,
        "the file was changed"
    );
}

#[test]
fn a_deleted_session_s_number_is_never_given_again() {
    let dir = scratch("journal-numbers");
    let record = dir.join("journal.sqlite3");
    let first = write_sample(&record, "first", "one");
    let second = write_sample(&record, "second", "two");
    let mut db = store::open(&record, false, Some(&passphrase()))
        .unwrap()
        .unwrap();
    // The highest is deleted: a plain primary key would give its number
    // again, and an app still holding its entries would write them there.
    assert_eq!(store::delete(&mut db, &record, &[second]).unwrap(), 1);
    drop(db);
    let third = write_sample(&record, "third", "three");
    assert!(
        third > first && third > second,
        "session {third} was given after {first} and {second}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Acknowledgements until one that `done` picks, for at most 20 s.
fn acks_until(acks: &Receiver<Ack>, done: impl Fn(&Ack) -> bool) -> Vec<Ack> {
    let start = Instant::now();
    let mut seen = Vec::new();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(ack) = acks.recv_timeout(Duration::from_millis(100)) {
            let last = done(&ack);
            seen.push(ack);
            if last {
                return seen;
            }
        }
    }
    panic!("the writer never said it: {seen:?}");
}

/// The number of the session the writer said it began.
fn began(seen: &[Ack]) -> i64 {
    seen.iter()
        .find_map(|a| match a {
            Ack::Began { session, .. } => Some(*session),
            _ => None,
        })
        .expect("the session was begun")
}

#[test]
fn a_session_deleted_under_its_writer_is_said_gone_and_none_of_it_lands_in_another() {
    let dir = scratch("journal-gone");
    let record = dir.join("journal.sqlite3");
    let writer = Writer::start(record.clone(), Some(passphrase()), true).unwrap();
    let (session, entries) = sample("gone-4417", "");
    writer.to.send((1, Write::Begin(session.clone()))).unwrap();
    writer
        .to
        .send((2, Write::Entry(entries[1].clone())))
        .unwrap();
    let acks = writer.from.lock().unwrap();
    let seen = acks_until(&acks, |a| *a == Ack::Committed(2));
    let id = began(&seen);
    // While it is recorded, its lock file is held.
    let lock = dir.join("live").join(format!("{id}.lock"));
    let probe = std::fs::File::open(&lock).expect("the session's lock file");
    assert!(
        matches!(probe.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        "the lock file is not held"
    );
    drop(probe);

    // Another program (the sqlite3 shell, say) deletes the session and
    // begins one of its own.
    let other = connect_as_another(&record);
    other.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    other
        .execute("DELETE FROM sessions WHERE id = ?1", [id])
        .unwrap();
    other
        .execute(
            "INSERT INTO sessions (alias, scene, title, kind, started_ms)
             VALUES ('someone else', 'lake_dusk.ron', 'Lake', 'relaxation', 0)",
            [],
        )
        .unwrap();
    let theirs = other.last_insert_rowid();
    assert_ne!(theirs, id, "the deleted session's number was given again");

    // The writer goes on with the session it was recording.
    writer
        .to
        .send((3, Write::Entry(entries[2].clone())))
        .unwrap();
    writer
        .to
        .send((4, Write::Entry(entries[3].clone())))
        .unwrap();
    writer
        .to
        .send((
            5,
            Write::End {
                wall_ms: 9,
                at_us: 9,
            },
        ))
        .unwrap();
    let seen = acks_until(&acks, |a| *a == Ack::Committed(5));
    assert_eq!(
        seen.iter().filter(|a| **a == Ack::Gone(id)).count(),
        1,
        "said once: {seen:?}"
    );
    assert!(
        !seen.iter().any(|a| matches!(a, Ack::Trouble(_))),
        "it is not trouble to retry for ever: {seen:?}"
    );
    let (anywhere, ended): (i64, Option<i64>) = other
        .query_row(
            "SELECT (SELECT COUNT(*) FROM entries), (SELECT ended_ms FROM sessions WHERE id = ?1)",
            [theirs],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        anywhere, 0,
        "entries of the deleted session landed somewhere"
    );
    assert_eq!(ended, None, "its end ended another session");
    assert!(!lock.exists(), "the deleted session's lock file is kept");

    // The next session is recorded as usual, under a new number.
    writer.to.send((6, Write::Begin(session))).unwrap();
    writer
        .to
        .send((7, Write::Entry(entries[1].clone())))
        .unwrap();
    let seen = acks_until(&acks, |a| *a == Ack::Committed(7));
    let next = seen
        .iter()
        .find_map(|a| match a {
            Ack::Began { session, .. } => Some(*session),
            _ => None,
        })
        .expect("the next session was begun");
    assert!(next > theirs, "{next} after {theirs}");
    drop(acks);
    writer.finish();
    let db = store::open_read(&record, Some(&passphrase()))
        .unwrap()
        .unwrap();
    assert_eq!(store::session(&db, next).unwrap().entries.len(), 1);
    assert!(
        !dir.join("live").join(format!("{next}.lock")).exists(),
        "a finished writer leaves no lock file"
    );
}

/// A running app, killed with SIGKILL (as a crash would end it) when
/// dropped.
/// The exposure fixture in a scene folder of its own, with the lake beside
/// it as its safe place.
fn exposure_scene(test: &str) -> PathBuf {
    let (dir, _) = scene_folder(&format!("{test}-scenes"), "lake_dusk.ron", "lake_dusk.ron");
    std::fs::copy(fixture("exposure_steps.ron"), dir.join("steps.ron")).unwrap();
    dir.join("steps.ron")
}

/// The real app in a window, recording `scene` for R.K. into the record in
/// `data`, its output in `log`.
fn recording_app(data: &Path, scene: &Path, log: &Path) -> Reaped {
    let child = stillpoint()
        .env("XDG_DATA_HOME", data)
        .arg("--scene")
        .arg(scene)
        .args([
            "--desktop",
            "--silent",
            "--alias",
            "R.K.",
            "--quit-after",
            "600",
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    Reaped(child)
}

/// The sessions `journal list` shows, by number.
fn listed(data: &Path) -> Vec<i64> {
    let (code, out, err) = journal(data, &["list"], "");
    assert_eq!(code, 0, "{out}{err}");
    out.lines()
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect()
}

/// Waits until `journal list` shows a session, while `app` runs.
fn until_listed(data: &Path, app: &mut Reaped, log: &Path) -> Vec<i64> {
    let start = Instant::now();
    loop {
        let ids = listed(data);
        if !ids.is_empty() {
            return ids;
        }
        if let Some(status) = app.0.try_wait().unwrap() {
            panic!(
                "the app ended ({status}) before its session was listed:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "no session was listed:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_session_being_recorded_cannot_be_deleted_and_its_number_is_never_given_again() {
    let dir = scratch("journal-live");
    let data = dir.join("data");
    let lock = data.join("stillpoint").join("live").join("1.lock");
    let scene = exposure_scene("journal-live");
    let log = dir.join("first.log");
    let mut first = recording_app(&data, &scene, &log);
    assert_eq!(until_listed(&data, &mut first, &log), [1]);
    assert!(lock.exists(), "the live session has no lock file");

    // While the app records it, neither its number nor its alias deletes it.
    for args in [
        &["delete", "1", "--yes"][..],
        &["delete", "--alias", "R.K.", "--yes"][..],
    ] {
        let (code, out, err) = journal(&data, args, "");
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("session 1 is being recorded by a Stillpoint that is running now")
                && err.contains("nothing was deleted"),
            "{args:?}: {err}"
        );
        assert_eq!(listed(&data), [1], "{args:?} deleted the live session");
    }

    // The app crashes: its lock dies with it, and the session, left open,
    // can be deleted.
    drop(first);
    assert!(lock.exists(), "a killed app cannot remove its lock file");
    let (code, out, err) = journal(&data, &["delete", "1", "--yes"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Deleted 1 session."), "{out}");
    assert!(!lock.exists(), "the stale lock file is kept");
    assert!(listed(&data).is_empty());

    // The next app's session has a number of its own, not the deleted one's.
    let log = dir.join("second.log");
    let mut second = recording_app(&data, &scene, &log);
    assert_eq!(until_listed(&data, &mut second, &log), [2]);
    drop(second);
}

#[test]
fn an_export_never_writes_over_the_record_over_a_file_unasked_or_through_a_link() {
    let dir = scratch("journal-export-safe");
    let data = dir.join("data");
    let folder = data.join("stillpoint");
    let record = folder.join("journal.sqlite3");
    // A plain record: reading an encrypted one adds to its audit trail, and
    // this test holds the record's bytes to what they were.
    let id = write_sample_with(&record, "R.K.", "=HYPERLINK(\"http://x\",\"y\")", None).to_string();
    let (code, csv, _) = journal(&data, &["export", &id, "--format", "csv"], "");
    assert_eq!(code, 0);
    assert!(
        csv.contains(",note,3,,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","),
        "the note is a live formula: {csv}"
    );
    let export = |out: &Path, force: bool| {
        let mut args = vec!["export", id.as_str(), "--format", "csv", "--out"];
        args.push(out.to_str().unwrap());
        if force {
            args.push("--force");
        }
        journal(&data, &args, "")
    };

    // The record's own files, by any path, even with --force.
    std::fs::create_dir_all(folder.join("x")).unwrap();
    let before = std::fs::read(&record).unwrap();
    for own in [
        record.clone(),
        folder.join("x").join("..").join("journal.sqlite3"),
        folder.join("journal.sqlite3-wal"),
        folder.join("journal.sqlite3-shm"),
    ] {
        for force in [false, true] {
            let (code, out, err) = export(&own, force);
            assert_eq!(code, 2, "{}: {out}{err}", own.display());
            assert!(
                err.contains("is the session record itself"),
                "{}: {err}",
                own.display()
            );
        }
    }
    assert!(
        std::fs::read(&record).unwrap() == before,
        "the record was written over"
    );
    // Reading may leave SQLite's own -wal beside the record, but empty.
    let wal = std::fs::read(folder.join("journal.sqlite3-wal")).unwrap_or_default();
    assert!(wal.is_empty(), "the export went into the record's -wal");
    let (code, out, _) = journal(&data, &["list"], "");
    assert!(code == 0 && out.contains("R.K."), "{out}");

    // A file that is there: only with --force, and then only its owner
    // reads it, whatever its mode was.
    let old = dir.join("old.csv");
    std::fs::write(&old, "keep me").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = export(&old, false);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{} exists; add --force to write over it",
            old.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "keep me");
    let (code, out, err) = export(&old, true);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&old).unwrap(), csv);
    let mode = std::fs::metadata(&old).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    // A symbolic link is never followed, to a file or to nowhere.
    let precious = dir.join("precious.txt");
    std::fs::write(&precious, "precious").unwrap();
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let dangling = dir.join("dangling.csv");
    let nowhere = dir.join("nowhere.txt");
    std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
    for target in [&link, &dangling] {
        for force in [false, true] {
            let (code, out, err) = export(target, force);
            assert_eq!(code, 2, "{}: {out}{err}", target.display());
        }
        assert!(
            std::fs::symlink_metadata(target)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    assert!(!nowhere.exists(), "a dangling link was followed");

    // Nor is anything that is not a regular file replaced, even with
    // --force: a pipe stays a pipe (as /dev/null stays a device).
    let fifo = dir.join("pipe.csv");
    crate::common::make_fifo(&fifo);
    let (code, out, err) = export(&fifo, true);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("is not a regular file"), "{err}");
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    // And nothing goes into the record's folder, where the locks of the
    // sessions being recorded are kept.
    let live = folder.join("live");
    std::fs::create_dir_all(&live).unwrap();
    std::fs::write(live.join("9.lock"), "").unwrap();
    for target in [live.join("9.lock"), folder.join("report.csv")] {
        let (code, out, err) = export(&target, true);
        assert_eq!(code, 2, "{}: {out}{err}", target.display());
        assert!(err.contains("a file in its folder"), "{err}");
    }
    assert!(!folder.join("report.csv").exists());

    // A new file is its owner's alone, and nothing is left beside it.
    let new = dir.join("new.csv");
    let (code, out, err) = export(&new, false);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&new).unwrap(), csv);
    let mode = std::fs::metadata(&new).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A file's bytes and mode.
fn as_it_is(path: &Path) -> (Vec<u8>, u32) {
    (
        std::fs::read(path).unwrap(),
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777,
    )
}

#[test]
fn another_program_s_database_is_refused_and_left_as_it_was() {
    let dir = scratch("journal-foreign");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    {
        let db = Connection::open(&record).unwrap();
        db.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('theirs');")
            .unwrap();
    }
    std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = as_it_is(&record);
    for args in [
        &["list"][..],
        &["export", "1"][..],
        &["delete", "1", "--yes"][..],
    ] {
        let (code, out, err) = journal(&data, args, "");
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(
            err.contains(&format!(
                "{} is not a Stillpoint session record",
                record.display()
            )),
            "{args:?}: {err}"
        );
        assert!(as_it_is(&record) == before, "{args:?} changed the file");
    }
}

#[test]
fn a_read_only_record_is_listed_and_exported_and_left_read_only() {
    let dir = scratch("journal-read-only");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    let id = write_sample(&record, "R.K.", "Calmer after the lake.").to_string();
    std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o400)).unwrap();
    let before = as_it_is(&record);
    let (code, out, err) = journal(&data, &["list"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("R.K.") && out.contains("15 entries"), "{out}");
    let (code, csv, err) = journal(&data, &["export", &id, "--format", "csv"], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(csv.lines().count(), 16, "{csv}");
    let html = dir.join("report.html");
    let (code, out, err) = journal(&data, &["export", &id, "--out", html.to_str().unwrap()], "");
    assert_eq!(code, 0, "{out}{err}");
    // An encrypted record's audit trail is not written behind its mode.
    assert!(
        err.contains("is read-only (mode 400): this is not in its audit trail"),
        "{err}"
    );
    let after = as_it_is(&record);
    assert_eq!(after.1, 0o400, "the record's mode changed to {:o}", after.1);
    assert!(after.0 == before.0, "reading changed the record's bytes");
}

#[test]
fn a_file_that_is_not_a_database_is_named_and_refused() {
    let dir = scratch("journal-not-a-database");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    std::fs::write(&record, "hello").unwrap();
    for args in [
        &["list"][..],
        &["export", "1"][..],
        &["delete", "1", "--yes"][..],
    ] {
        let (code, out, err) = journal(&data, args, "");
        assert_ne!(code, 0, "{args:?}: {out}{err}");
        assert!(
            err.contains(&format!(
                "{} is not a Stillpoint session record (not an SQLite database)",
                record.display()
            )),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&record).unwrap(), "hello");
}

#[test]
fn a_run_that_could_not_record_its_session_exits_4_and_names_the_file() {
    let dir = scratch("journal-unwritable");
    // The data folder is a file: the record's folder cannot be made, whoever
    // runs the test (root included).
    let data = dir.join("data");
    std::fs::write(&data, "not a folder").unwrap();
    let record = data.join("stillpoint").join("journal.sqlite3");
    let scene = exposure_scene("journal-unwritable");
    let out = stillpoint()
        .env("XDG_DATA_HOME", &data)
        .arg("--scene")
        .arg(&scene)
        .args(["--desktop", "--silent", "--quit-after", "30"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{}\n{err}", out.status);
    assert!(
        err.contains(&record.display().to_string()),
        "the record's file is not named:\n{err}"
    );
    assert!(err.contains("not recorded (#1)"), "{err}");
    assert!(
        err.contains("stillpoint: the session record could not be written: "),
        "{err}"
    );
    // What is in the way, and what to do about it.
    let blocker = format!("{} is a file, not a folder", data.display());
    assert!(
        err.contains(&blocker) && err.contains("move or rename"),
        "{err}"
    );
    // Listing says the same, rather than that nothing is recorded yet.
    let (code, out, err) = journal(&data, &["list"], "");
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(&blocker), "{out}{err}");
}

/// The child of the crash test: writes entries as fast as the writer takes
/// them, printing each acknowledgement, until it is killed.
#[test]
#[ignore = "run by the crash test as its child process"]
fn crash_child() {
    let Some(path) = std::env::var_os("STILLPOINT_CRASH_RECORD") else {
        return;
    };
    let run: u32 = std::env::var("STILLPOINT_CRASH_RUN")
        .unwrap()
        .parse()
        .unwrap();
    let writer = Writer::start(PathBuf::from(path), Some(passphrase()), true).unwrap();
    let (session, _) = sample(&format!("crash-{run}"), "");
    writer.to.send((1, Write::Begin(session))).unwrap();
    let acks = writer.from.lock().unwrap();
    let mut out = std::io::stdout().lock();
    let mut n = 1u64;
    loop {
        n += 1;
        let entry = Entry {
            scene: "spiders.ron".into(),
            at_us: n as i64,
            wall_ms: n as i64,
            kind: EntryKind::Note,
            step: Some(1),
            value: Some(n as i64),
            text: format!("run {run} entry {n}"),
            corrects: None,
            id: None,
        };
        writer.to.send((n, Write::Entry(entry))).unwrap();
        if n.is_multiple_of(8) {
            writeln!(out, "queued {n}").unwrap();
            out.flush().unwrap();
        }
        while let Ok(ack) = acks.try_recv() {
            if let Ack::Committed(upto) = ack {
                writeln!(out, "acked {upto}").unwrap();
                out.flush().unwrap();
            }
        }
    }
}

#[test]
fn a_writer_killed_at_random_moments_keeps_everything_it_acknowledged() {
    let dir = scratch("journal-crash");
    let record = dir.join("journal.sqlite3");
    let mut random = crate::common::random_source(0x9E37_79B9_7F4A_7C15);
    let mut beyond = 0;
    let mut acked_in_all = 0;
    const KILLS: u32 = 50;
    for run in 1..=KILLS {
        let killed = crate::common::kill_at_random(
            "journal::crash_child",
            &record,
            run,
            "queued",
            Duration::from_millis(150),
            &mut random,
        );
        let (acked, queued) = (killed.acked, killed.started);
        assert!(
            queued > acked,
            "run {run}: killed with writes in flight (queued {queued}, acknowledged {acked})"
        );
        let db = connect_as_another(&record);
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "run {run}");
        let alias = format!("crash-{run}");
        let (count, top): (i64, Option<i64>) = db
            .query_row(
                "SELECT COUNT(*), MAX(e.value) FROM entries e JOIN sessions s ON s.id = e.session
                 JOIN clients c ON c.id = s.client WHERE c.alias = ?1",
                [&alias],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        // Entries are numbered from 2 (the session itself is write 1).
        let acked_entries = acked as i64 - 1;
        let missing: i64 = db
            .query_row(
                "WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < ?2)
                 SELECT COUNT(*) FROM n WHERE v NOT IN
                   (SELECT e.value FROM entries e JOIN sessions s ON s.id = e.session
                    JOIN clients c ON c.id = s.client WHERE c.alias = ?1)",
                rusqlite::params![alias, acked as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            missing, 0,
            "run {run}: acknowledged entries lost (acked up to {acked}, {count} there)"
        );
        assert!(count >= acked_entries, "run {run}");
        if top.unwrap_or(0) > acked as i64 {
            beyond += 1;
        }
        acked_in_all += acked_entries;
    }
    println!(
        "{KILLS} kills: {acked_in_all} acknowledged entries, all there; in {beyond} the kill came between a commit and its acknowledgement"
    );
    assert!(acked_in_all > KILLS as i64, "the children wrote");
    // Every chain holds after the kills: a commit is whole or not there.
    let db = connect_as_another(&record);
    let checked = store::verify(&db, true).unwrap();
    assert!(checked.broken.is_empty(), "{:?}", checked.broken);
    assert!(checked.sessions > 0 && checked.sessions <= KILLS as usize);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shutdown_or_kill_ends_the_session_as_closing_the_window_does() {
    for signal in ["TERM", "HUP"] {
        let dir = scratch(&format!("journal-sig{signal}"));
        let data = dir.join("data");
        let scene = exposure_scene(&format!("journal-sig{signal}"));
        let log = dir.join("app.log");
        let mut app = recording_app(&data, &scene, &log);
        let ids = until_listed(&data, &mut app, &log);
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(app.0.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let start = Instant::now();
        let status = loop {
            if let Some(status) = app.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "SIG{signal} did not close the app:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(status.code(), Some(0), "SIG{signal}: {status}\n{said}");
        let (code, out, err) = journal(&data, &["list"], "");
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            !out.contains("did not close normally"),
            "SIG{signal} left the session open:\n{out}"
        );
        let record = data.join("stillpoint").join("journal.sqlite3");
        let db = store::open_read(&record, Some(&passphrase()))
            .unwrap()
            .unwrap();
        let whole = store::session(&db, ids[0]).unwrap();
        assert!(whole.session.ended_ms.is_some(), "SIG{signal}: no end");
    }
}

/// The record's files, the -wal and -shm beside it included, as bytes.
fn record_files(record: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let path = PathBuf::from(format!("{}{suffix}", record.display()));
            std::fs::read(&path)
                .ok()
                .map(|bytes| (path.display().to_string(), bytes))
        })
        .collect()
}

#[test]
fn an_encrypted_record_shows_no_header_and_none_of_its_words_in_any_of_its_files() {
    let dir = scratch("journal-encrypted");
    let record = dir.join("journal.sqlite3");
    // Held open, so the write-ahead log is there with what was written.
    let mut db = store::open(&record, true, Some(&passphrase()))
        .unwrap()
        .unwrap();
    write_sample_in(&mut db, "alias-walnut-5531", "feared-outcome-ferry-2290");
    let files = record_files(&record);
    assert!(
        files
            .iter()
            .any(|(name, bytes)| name.ends_with("-wal") && !bytes.is_empty()),
        "the test needs a write-ahead log with something in it: {:?}",
        files.iter().map(|(n, b)| (n, b.len())).collect::<Vec<_>>()
    );
    let holds = |bytes: &[u8], text: &str| bytes.windows(text.len()).any(|w| w == text.as_bytes());
    for (name, bytes) in &files {
        for secret in [
            "SQLite format 3",
            "alias-walnut-5531",
            "feared-outcome-ferry-2290",
            "Calmer",
            "sessions",
        ] {
            assert!(!holds(bytes, secret), "{name} shows {secret:?}");
        }
    }
    // And it is all there for the passphrase.
    let listed = store::sessions(&db).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].alias, "alias-walnut-5531");
    assert_eq!(
        store::is_encrypted(&record).unwrap(),
        Some(true),
        "the file is not told as encrypted"
    );
}

#[test]
fn the_wrong_passphrase_or_none_is_refused_and_changes_nothing() {
    let dir = scratch("journal-wrong-passphrase");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    let id = write_sample(&record, "R.K.", "Calmer after the lake.").to_string();
    let before: Vec<_> = record_files(&record)
        .into_iter()
        .map(|(name, bytes)| (name.clone(), bytes, as_it_is(Path::new(&name)).1))
        .collect();
    let wrong = Passphrase::new("not the lake at dusk".into());
    let said = store::open(&record, false, Some(&wrong))
        .unwrap_err()
        .to_string();
    assert!(said.contains("the passphrase does not open"), "{said}");
    let said = store::open_read(&record, Some(&wrong))
        .unwrap_err()
        .to_string();
    assert!(said.contains("the passphrase does not open"), "{said}");
    let said = store::open_read(&record, None).unwrap_err().to_string();
    assert!(
        said.contains("is encrypted: it needs its passphrase"),
        "{said}"
    );
    let wrong_file = dir.join("wrong-passphrase");
    stillpoint::journal::passphrase::make_file(&wrong_file, "not the lake at dusk").unwrap();
    for args in [
        &["list"][..],
        &["export", &id][..],
        &["delete", &id, "--yes"][..],
    ] {
        let out = stillpoint()
            .env("XDG_DATA_HOME", &data)
            .env("STILLPOINT_PASSPHRASE_FILE", &wrong_file)
            .arg("journal")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "the passphrase does not open the session record {}",
                record.display()
            )),
            "{args:?}: {err}"
        );
    }
    let after: Vec<_> = record_files(&record)
        .into_iter()
        .map(|(name, bytes)| (name.clone(), bytes, as_it_is(Path::new(&name)).1))
        .collect();
    assert!(
        after == before,
        "a refused passphrase changed the record's files"
    );
    // The right one still opens it, with the session whole.
    let (code, out, err) = journal(&data, &["list"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("R.K.") && out.contains("15 entries"), "{out}");
}

#[test]
fn a_passphrase_file_others_can_read_is_refused() {
    let dir = scratch("journal-open-passphrase-file");
    let file = dir.join("passphrase");
    stillpoint::journal::passphrase::make_file(&file, "a calm lake at dusk").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = stillpoint()
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("STILLPOINT_PASSPHRASE_FILE", &file)
        .args(["journal", "list"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // No record yet: nothing needs the passphrase, and it is not read.
    assert_eq!(out.status.code(), Some(0));
    let record = dir.join("data").join("stillpoint").join("journal.sqlite3");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    write_sample(&record, "R.K.", "");
    let out = stillpoint()
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("STILLPOINT_PASSPHRASE_FILE", &file)
        .args(["journal", "list"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("others can read it (mode 644)"), "{err}");
}

#[test]
fn journal_encrypt_keeps_every_entry_and_leaves_no_plain_copy() {
    let dir = scratch("journal-encrypt");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    let first = write_sample_with(&record, "alias-heron-3318", "note-willow-7702", None);
    let second = write_sample_with(&record, "alias-otter-1164", "note-birch-5521", None);
    let exported = |db: &Connection| -> Vec<String> {
        [first, second]
            .iter()
            .map(|id| {
                let whole = store::session(db, *id).unwrap();
                report::csv(&whole) + &report::html(&whole)
            })
            .collect()
    };
    let before = exported(&store::open_read(&record, None).unwrap().unwrap());
    let (code, out, err) = journal(&data, &["encrypt"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Encrypted 2 sessions (30 entries)"), "{out}");
    let holds = |bytes: &[u8], text: &str| bytes.windows(text.len()).any(|w| w == text.as_bytes());
    for (name, bytes) in record_files(&record) {
        for secret in [
            "SQLite format 3",
            "alias-heron-3318",
            "note-willow-7702",
            "alias-otter-1164",
            "note-birch-5521",
        ] {
            assert!(!holds(&bytes, secret), "{name} shows {secret:?}");
        }
    }
    let folder: Vec<String> = std::fs::read_dir(record.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !folder.iter().any(|name| name.contains("encrypting")),
        "a copy was left: {folder:?}"
    );
    assert_eq!(
        std::fs::metadata(&record).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Every entry kept, as it was; the numbers go on where they were.
    let mut db = store::open(&record, false, Some(&passphrase()))
        .unwrap()
        .unwrap();
    assert_eq!(exported(&db), before);
    let (session, _) = sample("alias-after", "");
    let tx = db.transaction().unwrap();
    assert_eq!(store::begin(&tx, &session).unwrap().0, second + 1);
    drop(tx);
    drop(db);
    // Twice is refused, and changes nothing.
    let bytes = std::fs::read(&record).unwrap();
    let (code, out, err) = journal(&data, &["encrypt"], "");
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("is already encrypted"), "{err}");
    assert!(std::fs::read(&record).unwrap() == bytes);
}

#[test]
fn the_record_is_verified_rekeyed_and_wiped_from_the_command_line() {
    let dir = scratch("journal-verify-rekey");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    write_sample(&record, "R.K.", "Calmer after the lake.");
    write_sample(&record, "J.S.", "Asked to stop at step 3.");
    let (code, out, err) = journal(&data, &["verify"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 sessions, 30 entries") && out.contains("every chain holds"),
        "{out}"
    );

    // A SUDS changed behind the app's back, with the right key: found and
    // named, exit 3.
    let db = connect_as_another(&record);
    db.execute("UPDATE entries SET value = 0 WHERE id = 3", [])
        .unwrap();
    let (code, out, err) = journal(&data, &["verify"], "");
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("broken: session 1, entry 3: changed"), "{out}");
    assert!(err.contains("was changed outside Stillpoint"), "{err}");
    db.execute("UPDATE entries SET value = 20 WHERE id = 3", [])
        .unwrap();
    drop(db);
    assert_eq!(journal(&data, &["verify"], "").0, 0);

    // A new passphrase: too short is refused with nothing changed; a good
    // one replaces the old, which then opens nothing.
    let short = dir.join("short");
    stillpoint::journal::passphrase::make_file(&short, "too short").unwrap();
    let before = std::fs::read(&record).unwrap();
    let (code, _, err) = journal_with(
        &data,
        &["rekey"],
        "",
        &[("STILLPOINT_NEW_PASSPHRASE_FILE", &short)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at least 10 characters"), "{err}");
    assert!(
        std::fs::read(&record).unwrap() == before,
        "a refused rekey changed the record"
    );
    let new = dir.join("new");
    stillpoint::journal::passphrase::make_file(&new, "a new passphrase, by the sea").unwrap();
    let (code, out, err) = journal_with(
        &data,
        &["rekey"],
        "",
        &[("STILLPOINT_NEW_PASSPHRASE_FILE", &new)],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("The passphrase of") && out.contains("30 entries"),
        "{out}"
    );
    let (code, _, err) = journal(&data, &["list"], "");
    assert_eq!(code, 2, "the old passphrase still opens the record");
    assert!(err.contains("does not open"), "{err}");
    let with_new = [("STILLPOINT_PASSPHRASE_FILE", new.as_path())];
    let (code, out, err) = journal_with(&data, &["verify"], "", &with_new);
    assert_eq!(code, 0, "{out}{err}");
    let (_, trail, _) = journal_with(&data, &["audit"], "", &with_new);
    assert!(trail.contains("passphrase changed"), "{trail}");

    // Everything, asked twice: a yes then a no deletes nothing.
    let (code, out, err) = journal_with(&data, &["delete", "--all"], "yes\nno\n", &with_new);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("Type yes once more"), "{out}");
    let (code, out, err) = journal_with(&data, &["delete", "--all"], "yes\nyes\n", &with_new);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Deleted 2 clients and 2 sessions."), "{out}");
    let (_, out, _) = journal_with(&data, &["clients"], "", &with_new);
    assert!(out.contains("No clients are recorded"), "{out}");
    let (code, out, _) = journal_with(&data, &["verify"], "", &with_new);
    assert_eq!(code, 0, "{out}");
    let (_, trail, _) = journal_with(&data, &["audit"], "", &with_new);
    assert!(
        trail.contains("deleted (every client was deleted; sessions: 1, 2)"),
        "{trail}"
    );
    assert!(
        !trail.contains("R.K.") && !trail.contains("J.S."),
        "{trail}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `stillpoint plan …` with the record in `data`.
fn plan_cli(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = stillpoint()
        .env("XDG_DATA_HOME", data)
        .arg("plan")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_plan_is_exported_edited_and_imported_with_each_error_at_its_line() {
    use stillpoint::plan::ClientPlan;
    let dir = scratch("journal-plan");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    write_sample(&record, "R.K.", "Calmer after the lake.");
    // No plan yet: one with every step of the scene, to edit.
    let (code, text, err) = plan_cli(&data, &["export", "R.K.", "spiders.ron"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("has no plan for spiders.ron yet"), "{err}");
    let mut plan: ClientPlan = stillpoint::diagnostics::ron_options()
        .from_str(&text)
        .expect(&text);
    assert_eq!(plan.steps.len(), 8, "{text}");
    let client = plan.client.clone();
    // The therapist's choice: three steps, the client's order and words.
    let names: Vec<String> = plan.steps.iter().map(|s| s.step.clone()).collect();
    plan.steps = [2usize, 0, 4]
        .iter()
        .map(|&i| stillpoint::plan::PlanStep {
            step: names[i].clone(),
            words: format!("words-{i}-heron"),
            predicted_suds: 20 + 10 * i as u8,
            feared: format!("feared-outcome-{i}-kestrel"),
        })
        .collect();
    let file = dir.join("plan.ron");
    std::fs::write(&file, plan.to_ron()).unwrap();
    let (code, out, err) = plan_cli(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "Plan 1 for client {client} in spiders.ron: 3 steps"
        )),
        "{out}"
    );
    let (code, again, _) = plan_cli(&data, &["export", &client, "spiders.ron"]);
    assert_eq!(code, 0);
    assert_eq!(
        again,
        plan.to_ron(),
        "the plan read back is not the plan imported"
    );

    // A step the scene does not have, a scene that is not there, a client
    // the record does not have: each refused at its line, nothing kept.
    let bad = plan.to_ron().replace(&names[0], "Tarantula on the pillow");
    std::fs::write(&file, &bad).unwrap();
    let (code, _, err) = plan_cli(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let line = bad.lines().position(|l| l.contains("Tarantula")).unwrap() + 1;
    assert!(
        err.contains(&format!(":{line}:"))
            && err.contains(
                "steps[1].step: \"Tarantula on the pillow\" is not a step of spiders.ron"
            ),
        "{err}"
    );
    std::fs::write(&file, plan.to_ron().replace("spiders.ron", "sharks.ron")).unwrap();
    let (code, _, err) = plan_cli(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(":3:") && err.contains("\"sharks.ron\" is not an exposure scene"),
        "{err}"
    );
    std::fs::write(&file, plan.to_ron().replace(&client, "K7HF-3M")).unwrap();
    let (code, _, err) = plan_cli(&data, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("client: no client K7HF-3M"), "{err}");
    let (_, still, _) = plan_cli(&data, &["export", &client, "spiders.ron"]);
    assert_eq!(still, plan.to_ron(), "a refused import changed the plan");

    // In the audit trail; the client's words are in no file in the clear.
    let (_, trail, _) = journal(&data, &["audit"], "");
    assert!(
        trail.contains("plan changed (plan 1, for spiders.ron)"),
        "{trail}"
    );
    let files = record_files(&record);
    for (name, bytes) in &files {
        for word in ["heron", "kestrel"] {
            assert!(
                !bytes.windows(word.len()).any(|w| w == word.as_bytes()),
                "{word} is readable in {name}"
            );
        }
    }
    // A plan changed behind the app's back is found.
    let db = connect_as_another(&record);
    db.execute(
        "UPDATE plans SET plan = replace(plan, 'heron', 'otter')",
        [],
    )
    .unwrap();
    let (code, out, _) = journal(&data, &["verify"], "");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("broken: plan 1: changed"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn with_a_plan_in_force_the_steps_walk_the_plan_and_the_record_names_it() {
    let dir = scratch("journal-plan-walk");
    let record = dir.join("data").join("stillpoint").join("journal.sqlite3");
    // R.K.'s plan for the fixture's hierarchy (Ground, Rail, High, Open,
    // ...): High first, then Ground, then Open.
    let plan_id = {
        let mut db = store::open(&record, true, Some(&passphrase()))
            .unwrap()
            .unwrap();
        let tx = db.transaction().unwrap();
        let (_, client) = store::begin(&tx, &sample("R.K.", "").0).unwrap();
        let plan = stillpoint::plan::ClientPlan {
            client: client.code.clone(),
            scene: "steps.ron".into(),
            steps: ["High", "Ground", "Open"]
                .iter()
                .map(|name| stillpoint::plan::PlanStep {
                    step: (*name).into(),
                    words: format!("{name}, in R.K.'s words"),
                    predicted_suds: 50,
                    feared: "I will fall".into(),
                })
                .collect(),
        };
        let id = store::save_plan(&tx, client.id, "steps.ron", &plan.to_ron(), 1).unwrap();
        tx.commit().unwrap();
        id
    };
    let mut app = recorded_app("journal-plan-walk", &record, false, "steps.ron");
    // In force once the record has found it: the person is taken to its
    // first step, High (3).
    assert!(
        update_until(&mut app, Duration::from_secs(20), |w| {
            let s = w.resource::<SessionSnapshot>();
            s.plan.is_some() && s.exposure.as_ref().is_some_and(|e| e.step == 3)
        }),
        "the plan never came in force: {:?}",
        snapshot(&app).plan
    );
    assert_eq!(snapshot(&app).plan.as_ref().unwrap().numbers(), [3, 1, 4]);
    let step = |app: &App| snapshot(app).exposure.as_ref().unwrap().step;
    ask(&mut app, Intent::Step(StepChange::Up));
    app.update();
    assert_eq!(
        step(&app),
        1,
        "up from High goes to Ground, the plan's next"
    );
    ask(&mut app, Intent::Step(StepChange::Up));
    app.update();
    assert_eq!(step(&app), 4);
    ask(&mut app, Intent::Step(StepChange::Up));
    app.update();
    assert_eq!(step(&app), 4, "past the plan's last step");
    ask(&mut app, Intent::Step(StepChange::To(2)));
    app.update();
    assert_eq!(step(&app), 4, "Rail is not in the plan");
    ask(&mut app, Intent::Step(StepChange::Down));
    app.update();
    assert_eq!(step(&app), 1);
    until_committed(&mut app);
    let id = snapshot(&app).record.session.unwrap();
    drop(app);
    let db = store::open_read(&record, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let seen = store::session(&db, id).unwrap();
    let plan = seen
        .entries
        .iter()
        .find(|e| e.kind == EntryKind::Plan)
        .expect("the record names the plan");
    assert_eq!(
        (plan.value, plan.text.as_str()),
        (Some(plan_id), "steps 3, 1, 4")
    );
    let moves: Vec<i64> = seen
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Step)
        .filter_map(|e| e.step)
        .collect();
    assert_eq!(moves, [3, 1, 4, 1], "{:?}", seen.entries);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_client_s_progress_across_four_sessions_made_through_intents_is_the_golden_page() {
    use stillpoint::questionnaire::form;
    use stillpoint::state::{Expectancy, FormAnswered};
    let dir = scratch("journal-progress");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    let code = "K7HF-3M";
    // The client's plan for the fixture's hierarchy: Ground, Rail, High.
    {
        let mut db = store::open(&record, true, Some(&passphrase()))
            .unwrap()
            .unwrap();
        let tx = db.transaction().unwrap();
        let (_, client) =
            store::begin(&tx, &sample_for(ClientRef::Code(code.into()), "").0).unwrap();
        let plan = stillpoint::plan::ClientPlan {
            client: code.into(),
            scene: "steps.ron".into(),
            steps: [("Ground", 40), ("Rail", 65), ("High", 85)]
                .iter()
                .map(|(name, predicted)| stillpoint::plan::PlanStep {
                    step: (*name).into(),
                    words: format!("{name}, in the client's words"),
                    predicted_suds: *predicted,
                    feared: "I will fall".into(),
                })
                .collect(),
        };
        store::save_plan(&tx, client.id, "steps.ron", &plan.to_ron(), 1).unwrap();
        tx.commit().unwrap();
    }
    // Delete the sample session the client was made with: the four that
    // follow are the course.
    let (status, _, err) = journal(&data, &["delete", "1", "--yes"], "");
    assert_eq!(status, 0, "{err}");
    let folder = form::folder();
    let given = |id: &str, when: &'static str, answers: &[u8]| {
        let q = form::read(&folder.join(format!("{id}.ron"))).unwrap();
        Intent::Form(FormAnswered {
            id: q.id.clone(),
            title: q.title.clone(),
            when,
            answers: answers.to_vec(),
            scored: q.score(answers).unwrap(),
        })
    };
    /// What the therapist does at a moment of a session: at a session time
    /// (seconds), these intents.
    type Moment = (f64, Vec<Intent>);
    let suds = |v: u8| {
        vec![
            Intent::Suds(SudsChange::Set(v)),
            Intent::Suds(SudsChange::Answer),
        ]
    };
    let up_to = |v: u8| {
        let mut i = vec![Intent::Step(StepChange::Up)];
        i.extend(suds(v));
        i
    };
    let before = |likelihood, expected_peak| {
        Intent::Expectancy(Expectancy::Before {
            likelihood,
            expected_peak,
        })
    };
    let after = |happened, surprise, felt_peak| {
        Intent::Expectancy(Expectancy::After {
            happened,
            surprise,
            felt_peak,
        })
    };
    let run = |moments: Vec<Moment>, end: f64| {
        let mut app = recorded_app_for(
            "journal-progress",
            &record,
            false,
            "steps.ron",
            ClientRef::Code(code.into()),
            true,
        );
        // The plan in force before anything is done.
        assert!(
            update_until(&mut app, Duration::from_secs(20), |w| {
                w.resource::<SessionSnapshot>().plan.is_some()
            }),
            "the plan never came in force"
        );
        until_committed(&mut app);
        for (at, intents) in moments {
            clock_at(&mut app, at);
            app.update();
            for intent in intents {
                let safe = matches!(intent, Intent::SafePlace | Intent::LeaveSafePlace);
                ask(&mut app, intent);
                app.update();
                if safe {
                    // Arrived, through the veil, before the next.
                    for _ in 0..30 {
                        app.update();
                    }
                }
            }
        }
        clock_at(&mut app, end);
        app.update();
        until_committed(&mut app);
        drop(app);
    };
    // A step up, with what the client expects of the new step before they
    // face it, and their first SUDS there.
    let up_expecting = |expected: Intent, v: u8| {
        let mut i = vec![Intent::Step(StepChange::Up), expected];
        i.extend(suds(v));
        i
    };
    // Four sessions of a course: the fear falls from one to the next.
    run(
        vec![
            (
                1.0,
                [given("phq9", "before", &[2, 2, 2, 2, 2, 1, 1, 1, 1])]
                    .into_iter()
                    .chain([given("gad7", "before", &[2, 2, 2, 2, 1, 1, 1])])
                    .chain(suds(45))
                    .collect(),
            ),
            (180.0, up_expecting(before(80, 70), 70)),
            (300.0, vec![Intent::SafePlace]),
            (330.0, vec![Intent::LeaveSafePlace, Intent::Pacer(true)]),
            (420.0, vec![after(false, 60, 65)]),
        ],
        480.0,
    );
    run(
        vec![
            (1.0, suds(35)),
            (160.0, up_expecting(before(60, 60), 55)),
            (400.0, vec![after(false, 40, 50)]),
            (410.0, up_expecting(before(70, 80), 75)),
            (580.0, vec![after(false, 70, 70)]),
        ],
        600.0,
    );
    run(
        vec![
            (1.0, suds(20)),
            (120.0, up_to(40)),
            (310.0, up_expecting(before(50, 65), 60)),
            (590.0, vec![after(false, 30, 55)]),
        ],
        660.0,
    );
    run(
        vec![
            (1.0, suds(10)),
            (90.0, up_to(25)),
            (210.0, up_expecting(before(30, 45), 40)),
            (
                540.0,
                vec![
                    after(false, 10, 40),
                    given("phq9", "after", &[1, 1, 1, 1, 1, 1, 0, 0, 0]),
                    given("gad7", "after", &[1, 1, 1, 1, 0, 0, 0]),
                ],
            ),
        ],
        600.0,
    );
    let (status, json, err) = journal(&data, &["progress", code, "--format", "json"], "");
    assert_eq!(status, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&json).expect(&json);
    let sessions = p["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 4, "{json}");
    let step = |s: usize, n: usize| &sessions[s]["steps"][n];
    // Between-session habituation: the peak at each step falls.
    let peaks = |n: usize| -> Vec<i64> {
        sessions
            .iter()
            .filter_map(|s| s["steps"][n]["peak_suds"].as_i64())
            .collect()
    };
    assert_eq!(peaks(0), [45, 35, 20, 10]);
    assert_eq!(peaks(1), [70, 55, 40, 25]);
    assert_eq!(peaks(2), [75, 60, 40]);
    // Minutes at each step, from the session's own clock.
    // Session 2 was at Rail from 160 s to 410 s: 250 s, 4.17 minutes.
    assert_eq!(
        (
            step(0, 0)["minutes"].as_f64(),
            step(1, 1)["minutes"].as_f64()
        ),
        (Some(3.0), Some(4.17))
    );
    assert_eq!(
        (
            &step(0, 1)["expected_likelihood"],
            &step(0, 1)["expected_peak"],
            &step(0, 1)["happened"],
            &step(0, 1)["surprise"],
            &step(0, 1)["felt_peak"]
        ),
        (
            &80.into(),
            &70.into(),
            &false.into(),
            &60.into(),
            &65.into()
        )
    );
    assert_eq!(
        sessions
            .iter()
            .map(|s| (s["plan"].as_i64(), s["highest_step"].as_i64()))
            .collect::<Vec<_>>(),
        [
            (Some(1), Some(2)),
            (Some(1), Some(3)),
            (Some(1), Some(3)),
            (Some(1), Some(3))
        ]
    );
    assert_eq!(
        (
            &sessions[0]["pacer_uses"],
            &sessions[0]["safe_place_visits"]
        ),
        (&1.into(), &1.into())
    );
    assert_eq!(
        (
            &sessions[1]["pacer_uses"],
            &sessions[1]["safe_place_visits"]
        ),
        (&0.into(), &0.into())
    );
    let bands = |s: usize| -> Vec<(String, f64, String)> {
        sessions[s]["questionnaires"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                (
                    q["id"].as_str().unwrap().to_owned(),
                    q["total"].as_f64().unwrap(),
                    q["band"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let band = |id: &str, total: f64, label: &str| (id.to_owned(), total, label.to_owned());
    assert_eq!(
        bands(0),
        [
            band("phq9", 14.0, "moderate"),
            band("gad7", 11.0, "moderate")
        ]
    );
    assert_eq!(
        bands(3),
        [band("phq9", 6.0, "mild"), band("gad7", 4.0, "minimal")]
    );
    // The table: a row a step of a session.
    let (status, csv, _) = journal(&data, &["progress", code, "--format", "csv"], "");
    assert_eq!(status, 0);
    assert_eq!(csv.lines().count(), 1 + 2 + 3 + 3 + 3, "{csv}");
    // The page, the same every time and as the golden one, but for the
    // dates, which are today's.
    let (status, html, _) = journal(&data, &["progress", code], "");
    assert_eq!(status, 0);
    let (_, again, _) = journal(&data, &["progress", code], "");
    assert_eq!(html, again, "the same record gave another page");
    let page = without_dates(&html);
    std::fs::write(output_dir("journal").join("progress.html"), &html).unwrap();
    std::fs::write(output_dir("journal").join("progress-dated.html"), &page).unwrap();
    let golden =
        std::fs::read_to_string(fixture("progress.html")).expect("tests/fixtures/progress.html");
    assert!(
        page == golden,
        "the progress page differs from tests/fixtures/progress.html; the new one, its dates \
         written YYYY-MM-DD, is target/test-output/journal/progress-dated.html"
    );
    // Three charts: a line for each step, expectancies, a chart for each
    // questionnaire with its bands; nothing that reaches outside.
    assert_eq!(html.matches("<polyline fill=\"none\"").count(), 3, "{html}");
    for piece in [
        "Peak SUDS at each step",
        "What the client expected",
        "<h3>PHQ-9 (depression)</h3>",
        "<h3>GAD-7 (anxiety)</h3>",
        "moderate (10–14)",
        "moderately severe (15–19)",
    ] {
        assert!(html.contains(piece), "the page lacks {piece:?}");
    }
    let outside = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!outside.contains("http://") && !outside.contains("https://"));
    let (status, _, err) = journal(&data, &["progress", "nobody"], "");
    assert_eq!(status, 2);
    assert!(err.contains("no client \"nobody\""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `text` with every date in it (`2026-12-07`) written `YYYY-MM-DD`.
fn without_dates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let shape = |at: usize| {
        bytes.get(at..at + 10).is_some_and(|w| {
            w.iter().enumerate().all(|(k, b)| {
                if k == 4 || k == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
        })
    };
    while i < bytes.len() {
        if shape(i) {
            out.push_str("YYYY-MM-DD");
            i += 10;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[test]
fn corrections_are_new_entries_and_a_closed_note_cannot_change() {
    let dir = scratch("journal-amend");
    let data = dir.join("data");
    let record = data.join("stillpoint").join("journal.sqlite3");
    let id = write_sample(&record, "R.K.", "Calm at the jar; words-to-close-4471");
    // The entries' numbers, as the JSON export and the report's first
    // column give them.
    let (code, json, err) = journal(&data, &["export", &id.to_string(), "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let number = |kind: &str, value: Option<i64>| -> String {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind && (value.is_none() || e["value"].as_i64() == value))
            .and_then(|e| e["id"].as_i64())
            .unwrap_or_else(|| panic!("no {kind} entry in {json}"))
            .to_string()
    };
    let (suds, note, step) = (
        number("suds", Some(70)),
        number("note", None),
        number("step", None),
    );
    let session = id.to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["correct", session.as_str()];
        all.extend(args);
        journal(&data, &all, "")
    };
    // A SUDS of 70 that was 40: corrected, with the reason.
    let (code, out, err) = run(&[
        &suds,
        "--suds",
        "40",
        "--why",
        "typed 70, the client said 40",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("Corrected entry {suds} of session {id}")),
        "{out}"
    );
    // Refused, each with nothing written: no reason, a SUDS over 100, a
    // note's words for a SUDS, a step, an entry the session lacks, a
    // session the record lacks.
    for (args, said) in [
        (
            vec![suds.as_str(), "--suds", "40", "--why", " "],
            "the reason for the correction is empty",
        ),
        (
            vec![suds.as_str(), "--suds", "101", "--why", "x"],
            "101 is not in 0..=100",
        ),
        (
            vec![suds.as_str(), "--note", "x", "--why", "x"],
            "is corrected with --suds",
        ),
        (
            vec![step.as_str(), "--suds", "10", "--why", "x"],
            "only a SUDS or a note can be corrected",
        ),
        (
            vec!["99999", "--suds", "10", "--why", "x"],
            "has no entry 99999",
        ),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
    }
    let (code, _, err) = journal(
        &data,
        &["correct", "77", "1", "--suds", "1", "--why", "x"],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("no session 77"), "{err}");
    // The note: corrected, closed in the therapist's name, then fixed.
    let (code, _, err) = run(&[
        &note,
        "--note",
        "Calm at the jar, then at the table",
        "--why",
        "finished the sentence",
    ]);
    assert_eq!(code, 0, "{err}");
    let close = |entry: &str| {
        journal(
            &data,
            &["close-note", &session, entry, "--by", "Dr A. Moss"],
            "",
        )
    };
    let (code, out, err) = close(&note);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("can no longer be corrected"), "{out}");
    let (code, _, err) = run(&[&note, "--note", "changed after closing", "--why", "x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("was closed") && err.contains("nothing was changed"),
        "{err}"
    );
    let (code, _, err) = close(&note);
    assert_eq!(code, 2);
    assert!(err.contains("is closed already"), "{err}");
    let (code, _, err) = close(&suds);
    assert_eq!(code, 2);
    assert!(err.contains("is not a note"), "{err}");
    // The record as it was, with three entries more; the report reads the
    // corrected SUDS and words, says what they were and why, and who closed
    // the note.
    let db = store::open_read(&record, Some(&passphrase()))
        .unwrap()
        .unwrap();
    let seen = store::session(&db, id).unwrap();
    drop(db);
    let original = seen
        .entries
        .iter()
        .find(|e| e.id.map(|i| i.to_string()) == Some(suds.clone()))
        .unwrap();
    assert_eq!(original.value, Some(70), "the entry itself was changed");
    let amendments: Vec<(EntryKind, Option<i64>, Option<i64>)> = seen
        .entries
        .iter()
        .filter(|e| e.corrects.is_some())
        .map(|e| (e.kind, e.value, e.corrects))
        .collect();
    let n = |s: &str| s.parse::<i64>().ok();
    assert_eq!(
        amendments,
        [
            (EntryKind::Correction, Some(40), n(&suds)),
            (EntryKind::Correction, None, n(&note)),
            (EntryKind::NoteClosed, None, n(&note)),
        ]
    );
    let (_, html, _) = journal(&data, &["export", &session], "");
    for piece in [
        "corrected from 70",
        "typed 70, the client said 40",
        "Calm at the jar, then at the table",
        "it read: Calm at the jar; words-to-close-4471",
        "closed by Dr A. Moss at",
        "<th>No.</th>",
        &format!("note {note} closed by Dr A. Moss"),
    ] {
        assert!(html.contains(piece), "the report lacks {piece:?}");
    }
    // Corrected days after the session, its length and chart are the
    // session's own.
    assert!(
        html.contains("<dd>11 min 00 s on the clock from start to end"),
        "the corrections stretched the session"
    );
    // The chart and the progress take the corrected value.
    assert!(
        !html.contains(">70<"),
        "the corrected SUDS still shows as 70"
    );
    let (_, progress, _) = journal(&data, &["progress", "R.K.", "--format", "json"], "");
    let p: serde_json::Value = serde_json::from_str(&progress).unwrap();
    assert_eq!(p["sessions"][0]["steps"][2]["peak_suds"], 50, "{progress}");
    // The CSV keeps every row as recorded, with the numbers.
    let (_, csv, _) = journal(&data, &["export", &session, "--format", "csv"], "");
    assert!(
        csv.lines().next().unwrap().ends_with(",entry,corrects"),
        "{csv}"
    );
    assert!(csv.contains(",correction,3,40,"), "{csv}");
    // The record verifies (the ended session sealed again over them), and
    // the trail says what was done without the note's words.
    let (code, out, err) = journal(&data, &["verify"], "");
    assert_eq!(code, 0, "{out}{err}");
    let (_, trail, _) = journal(&data, &["audit"], "");
    for done in [
        format!("corrected (session {id}, entry {suds})"),
        format!("corrected (session {id}, entry {note})"),
        format!("closed a note (session {id}, entry {note}, by Dr A. Moss)"),
    ] {
        assert!(trail.contains(&done), "{done} is not in the trail: {trail}");
    }
    assert!(
        !trail.contains("words-to-close-4471") && !trail.contains("the client said"),
        "{trail}"
    );
    // A closing changed behind the app's back is found.
    let db = connect_as_another(&record);
    db.execute(
        "UPDATE entries SET text = 'Someone Else' WHERE kind = 'note_closed'",
        [],
    )
    .unwrap();
    drop(db);
    let (code, out, _) = journal(&data, &["verify"], "");
    assert_eq!(code, 3, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrections_made_while_the_writer_records_wait_their_turn_and_lose_nothing() {
    let dir = scratch("journal-amend-race");
    let record = dir.join("journal.sqlite3");
    let writer = Writer::start(record.clone(), Some(passphrase()), true).unwrap();
    let (session, entries) = sample("R.K.", "");
    writer.to.send((1, Write::Begin(session))).unwrap();
    // A SUDS of 20, to correct.
    writer
        .to
        .send((2, Write::Entry(entries[2].clone())))
        .unwrap();
    let acks = writer.from.lock().unwrap();
    let seen = acks_until(&acks, |a| *a == Ack::Committed(2));
    let id = began(&seen);
    let key = passphrase();
    let suds: i64 = {
        let db = store::open_read(&record, Some(&key)).unwrap().unwrap();
        db.query_row(
            "SELECT id FROM entries WHERE session = ?1 AND kind = 'suds'",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    };
    // The console corrects it again and again while the app records an
    // event each moment: both append to the session's chain.
    const CORRECTIONS: i64 = 30;
    const EVENTS: u64 = 200;
    let corrector = {
        let record = record.clone();
        let key = key.clone();
        std::thread::spawn(move || {
            let mut db = store::open(&record, false, Some(&key)).unwrap().unwrap();
            for n in 0..CORRECTIONS {
                let tx = db.transaction().unwrap();
                store::correct(
                    &tx,
                    id,
                    suds,
                    &store::Amend::Suds((n % 100) as u8),
                    "heard again",
                    store::now_ms(),
                )
                .unwrap();
                tx.commit().unwrap();
            }
        })
    };
    for n in 0..EVENTS {
        writer
            .to
            .send((3 + n, Write::Entry(entries[5].clone())))
            .unwrap();
    }
    corrector.join().expect("every correction was kept");
    let last = 3 + EVENTS;
    writer
        .to
        .send((
            last,
            Write::End {
                wall_ms: store::now_ms(),
                at_us: 700_000_000,
            },
        ))
        .unwrap();
    let seen = acks_until(&acks, |a| *a == Ack::Committed(last));
    assert!(
        !seen.iter().any(|a| matches!(a, Ack::Trouble(_))),
        "the writer was refused while a correction was kept: {seen:?}"
    );
    drop(acks);
    writer.finish();
    let db = store::open_read(&record, Some(&key)).unwrap().unwrap();
    let counted: (i64, i64) = db
        .query_row(
            "SELECT (SELECT COUNT(*) FROM entries WHERE session = ?1 AND kind = 'event'),
                    (SELECT COUNT(*) FROM entries WHERE session = ?1 AND kind = 'correction')",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(counted, (EVENTS as i64, CORRECTIONS));
    let verified = store::verify(&db, true).unwrap();
    assert!(verified.broken.is_empty(), "{:?}", verified.broken);
    let _ = std::fs::remove_dir_all(&dir);
}
