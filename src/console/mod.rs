//! The therapist's console: a page in a browser that watches the session
//! and sends the same intents as the keys and controllers do.
//!
//! Off unless `--console` is given; then a web server runs inside the app
//! on its own thread ([`server`]), on 127.0.0.1 unless told otherwise, and
//! answers only a browser paired with the code the app shows ([`pairing`]).
//! The app's side is two systems: one takes at most one control a frame (so
//! that what the app says in that frame is that control's answer), one
//! sends the live view and each lifecycle message out. While a pairing code
//! is good, its line is published as [`PairingShown`] for the headset's
//! panel to show.

mod command;
pub mod listener;
mod mirror;
pub mod pairing;
pub mod server;
pub mod view;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use tokio::sync::oneshot;

use crate::frame::AppSet;
use crate::journal::JournalSystems;
use crate::state::{Intent, Lifecycle, PauseReason, RecordNow, SessionSnapshot};
use server::{Answer, Asked, ConsoleLink, Server};
use view::View;

/// Where the console listens, and for whom.
#[derive(Resource, Debug, Clone)]
pub struct ConsoleOptions {
    /// The address to listen on (port 0: a free one).
    pub bind: SocketAddr,
    /// The client's alias, shown on the page.
    pub alias: String,
    /// The session record, for the page's export links.
    pub journal: Option<crate::journal::RecordFile>,
    /// The scenes the therapist can take the person to
    /// ([`view::scene_choices`] of the scene folder).
    pub scenes: Vec<view::SceneChoice>,
    /// How long the app has to take a control before its request is
    /// answered that it was not done ([`server::ANSWER_WITHIN`]; tests
    /// shorten it).
    pub answer_within: Duration,
}

impl Default for ConsoleOptions {
    /// Loopback on a free port, no alias, no record, no scenes to choose,
    /// the usual time to answer.
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            alias: String::new(),
            journal: None,
            scenes: Vec::new(),
            answer_within: server::ANSWER_WITHIN,
        }
    }
}

/// The running console, as the app holds it.
#[derive(Resource)]
pub struct Console {
    /// The server (dropped last: it shuts down with the app).
    pub server: Server,
    /// What it shares with the app, the pairing among it.
    pub shared: Arc<server::Shared>,
    asks: Mutex<tokio::sync::mpsc::Receiver<Asked>>,
    views: tokio::sync::watch::Sender<Arc<View>>,
    said: tokio::sync::broadcast::Sender<Arc<str>>,
    /// The answer owed for the control taken this frame.
    owed: Option<oneshot::Sender<Answer>>,
    alias: String,
    scenes: Arc<[view::SceneChoice]>,
    /// When the view was last composed; `None` before the first.
    viewed: Option<Instant>,
    /// The snapshot changed since the view was last composed.
    stale: bool,
    /// The record's session last seen in the snapshot, told to the server
    /// (which exports only the sessions this run recorded).
    recording: Option<i64>,
    /// The therapist has started the session.
    started: bool,
}

/// The console's published output for the headset: the pairing line while
/// a code is good, which the headset's panel shows under the pause's words
/// (in the window the console shows the code itself). `None` while no code
/// is good; absent when there is no console.
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PairingShown {
    /// `Therapist's console code: 123 456`.
    pub(crate) line: Option<String>,
}

/// How often the view is composed from the snapshot at most.
const VIEW_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

#[derive(Component)]
struct PairingText;

/// Starts the console when [`ConsoleOptions`] is there; says where it
/// listens and the first pairing code on the terminal.
/// The therapist's console, configured: where it listens and for whom.
#[derive(Debug, Clone)]
pub struct ConsolePlugin {
    /// Where it listens, and for whom.
    pub options: ConsoleOptions,
}

impl Plugin for ConsolePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.options.clone());
        plugin(app, self.options.clone());
    }
}

fn plugin(app: &mut App, options: ConsoleOptions) {
    let (server, link) =
        match server::start(options.bind, options.journal.clone(), options.answer_within) {
            Ok(started) => started,
            Err(e) => {
                crate::tell!(
                    "stillpoint: the console cannot listen on {}: {e}; going on without it",
                    options.bind
                );
                return;
            }
        };
    let ConsoleLink {
        asks,
        view,
        said,
        shared,
    } = link;
    let code = shared
        .pairing
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .renew(Instant::now());
    crate::say!(
        "stillpoint: the therapist's console is at http://{}/",
        server.addr
    );
    crate::say!("stillpoint: console pairing code: {code} (good for 5 minutes, once)");
    if !server.addr.ip().is_loopback() {
        crate::tell!(
            "stillpoint: warning: the console listens on {}, which other machines can reach; \
             anyone who sees the pairing code can pair",
            server.addr
        );
    }
    match mirror::Mirror::start(shared.mirror.clone()) {
        Ok(m) => {
            app.insert_resource(m);
            // The client's view for a remote connection comes from the same
            // captures.
            match crate::remote::video::Video::start() {
                Ok(video) => {
                    let _ = shared.video.set(video);
                }
                Err(e) => crate::tell!("stillpoint: the client's view cannot be sent: {e}"),
            }
        }
        Err(e) => crate::tell!("stillpoint: the console shows no mirror of the window: {e}"),
    }
    app.insert_resource(Console {
        server,
        shared,
        asks: Mutex::new(asks),
        views: view,
        said,
        owed: None,
        alias: options.alias,
        scenes: options.scenes.into(),
        viewed: None,
        stale: true,
        recording: None,
        started: false,
    })
    .init_resource::<PairingShown>()
    // The journal's, if it is kept; with no record it is never written.
    .add_message::<crate::journal::Unlock>()
    .add_message::<crate::journal::PlanSaved>()
    .add_systems(Startup, (wait_for_the_therapist, spawn_pairing_text))
    .add_systems(
        Update,
        (take_control, new_code_key, hand_over_from_the_page).in_set(AppSet::Input),
    )
    .add_systems(Update, show_code.in_set(AppSet::Ui))
    .add_systems(Update, mirror::capture.in_set(AppSet::Report))
    // After the snapshot is published and the journal has made this frame's
    // writes, so that each message goes out with the write that records it.
    .add_systems(Update, tell.after(AppSet::Report).after(JournalSystems));
}

/// With the console on, the session waits for the therapist to start it.
fn wait_for_the_therapist(mut intents: MessageWriter<Intent>) {
    intents.write(Intent::Pause(PauseReason::Therapist));
}

fn spawn_pairing_text(mut commands: Commands) {
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                top: px(16),
                right: px(16),
                ..default()
            },
            GlobalZIndex(25),
        ))
        .with_child((
            PairingText,
            Text::new(""),
            TextFont::from_font_size(18.0),
            TextColor(crate::typeface::INK),
            crate::typeface::spacing(),
            crate::typeface::backing(8.0),
        ));
}

/// C asks for a new pairing code.
fn new_code_key(keys: Res<ButtonInput<KeyCode>>, console: Res<Console>) {
    if keys.just_pressed(KeyCode::KeyC) {
        let code = console
            .shared
            .pairing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .renew(Instant::now());
        crate::say!("stillpoint: console pairing code: {code} (good for 5 minutes, once)");
    }
}

/// The pairing code on screen while one is good: in the window's corner,
/// and published as [`PairingShown`] for the headset's panel, which shows it
/// while the session is paused (it waits for the therapist until paired and
/// started).
fn show_code(
    console: Res<Console>,
    mut texts: Query<&mut Text, With<PairingText>>,
    mut pairing_shown: ResMut<PairingShown>,
) {
    let Ok(pairing) = console.shared.pairing.try_lock() else {
        return;
    };
    let shown = pairing.shown(Instant::now());
    let words = match &shown {
        Some((code, left)) => format!(
            "Therapist's console: pair with {} {}  ({}:{:02})",
            &code[..3],
            &code[3..],
            left.as_secs() / 60,
            left.as_secs() % 60
        ),
        None => String::new(),
    };
    drop(pairing);
    let line =
        shown.map(|(code, _)| format!("Therapist's console code: {} {}", &code[..3], &code[3..]));
    if pairing_shown.line != line {
        pairing_shown.line = line;
    }
    for mut text in &mut texts {
        if text.0 != words {
            text.0.clone_from(&words);
        }
    }
}

/// Hands a passphrase checked on the page to the journal, and the scenes
/// whose plan the page changed; gives the page's remote connection the
/// mix's way in for the therapist's voice, once the mix runs.
fn hand_over_from_the_page(
    console: Res<Console>,
    far_voice: Option<Res<crate::audio::FarVoiceInput>>,
    near_voice: Option<Res<crate::audio::NearVoiceLink>>,
    mut unlocks: MessageWriter<crate::journal::Unlock>,
    mut plans: MessageWriter<crate::journal::PlanSaved>,
    mut intents: MessageWriter<Intent>,
) {
    for connected in console.shared.take_link_changes() {
        intents.write(Intent::TherapistLink(connected));
    }
    if let Some(input) = far_voice {
        console.shared.far_voice.get_or_init(|| input.clone());
    }
    if let Some(link) = near_voice {
        console.shared.near_voice.get_or_init(|| link.clone());
    }
    if let Some(passphrase) = console.shared.take_unlock() {
        unlocks.write(crate::journal::Unlock(passphrase));
    }
    for scene in console.shared.take_plans_saved() {
        plans.write(crate::journal::PlanSaved(scene));
    }
}

/// Takes one control a frame and sends its intents. A control whose
/// request has given up on it (answered that it was not done) is dropped
/// unanswered and undone, and the next is taken in its place.
fn take_control(mut console: ResMut<Console>, mut intents: MessageWriter<Intent>) {
    let console = console.as_mut();
    if console.owed.is_some() {
        return;
    }
    let asks = console.asks.get_mut().unwrap_or_else(|e| e.into_inner());
    while let Ok(asked) = asks.try_recv() {
        if !asked.claim.take() {
            continue;
        }
        for intent in asked.intents {
            intents.write(intent);
        }
        console.started |= asked.start;
        console.stale = true;
        if let Some(alias) = asked.alias {
            console.alias = alias;
        }
        console.owed = Some(asked.reply);
        return;
    }
}

/// Answers the control taken this frame with what the app said, sends each
/// message out, and the view when it changed. How far the record has got is
/// the journal's word of this frame ([`RecordNow`]): a message is said
/// recorded only once the write made for it is committed.
fn tell(
    mut console: ResMut<Console>,
    snapshot: Res<SessionSnapshot>,
    record: Res<RecordNow>,
    mut heard: MessageReader<Lifecycle>,
) {
    let console = console.as_mut();
    if record.session != console.recording {
        console.recording = record.session;
        if let Some(id) = console.recording {
            console.shared.recording(id);
        }
    }
    let mut said = Vec::new();
    let mut refused = None;
    for message in heard.read() {
        if let Lifecycle::Refused { what, why } = message {
            refused.get_or_insert_with(|| format!("could not {what}: {why}"));
        }
        let Some(words) = view::said(message) else {
            continue;
        };
        if console.said.receiver_count() > 0 {
            let json = serde_json::json!({
                "type": "said",
                "text": words,
                "at_s": snapshot.elapsed as f64 / 1e6,
                // Recorded once the record has committed this many writes.
                "made": record.made,
            });
            let _ = console.said.send(Arc::from(json.to_string()));
        }
        said.push(words);
    }
    // The view first, so that whoever is answered sees it changed.
    // The snapshot changes every frame (its clock moves); the view, which
    // pages see at most ten times a second, is composed at most every
    // 50 ms, and at once for a control being answered.
    console.stale |= snapshot.is_changed() || record.is_changed();
    let due = console.viewed.is_none_or(|t| t.elapsed() >= VIEW_EVERY);
    if console.stale && (due || console.owed.is_some()) {
        console.viewed = Some(Instant::now());
        console.stale = false;
        let now = View::of(
            &snapshot,
            &record,
            &console.alias,
            console.started,
            &console.scenes,
        );
        if **console.views.borrow() != now {
            console.views.send_replace(Arc::new(now));
        }
    }
    if let Some(reply) = console.owed.take() {
        let _ = reply.send(Answer { said, refused });
    }
}
