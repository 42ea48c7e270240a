//! Changing what is on screen through the veil: a switch of scene (the
//! safe place and back, or any scene asked for) and an edited scene file
//! swapped in. The veil closes, the new scene is spawned, the veil opens.
//!
//! **Invariant:** nothing changes the whole picture suddenly. The veil
//! closes in [`CLOSE_S`] and opens in [`OPEN_S`] of wall time (not the
//! app's frame time, which Bevy clamps on a slow renderer), so a switch
//! takes as long on a CPU renderer at one frame a second as on a GPU. The
//! safe scene of the scene on screen is loaded ahead, so the safe place is
//! on screen within half a second of being asked for. A request during a
//! fade takes the fade over from where it is: none is dropped, and the
//! last one asked for is where the fade ends.

use std::time::Duration;

use bevy::asset::AssetLoadFailedEvent;
use bevy::prelude::*;

use super::spawn::spawn_scene;
use super::{CurrentScene, SceneAsset, beside, note_failures};
use crate::frame::AppSet;
use crate::state::{AppState, ExposureFacts, Lifecycle, Place, Refusal, ShownScene};

/// Time for the veil to close, seconds of wall time.
pub const CLOSE_S: f32 = 0.3;
/// Time for the veil to open again, seconds of wall time.
pub const OPEN_S: f32 = 0.4;

/// How closed the veil is: 0 open, 1 closed. The window's overlay and the
/// headset's shell both draw it.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq)]
pub struct Veil {
    alpha: f32,
}

impl Veil {
    /// How closed the veil is, 0 (open) to 1 (closed).
    pub fn alpha(&self) -> f32 {
        self.alpha
    }
}

/// Asks to show a scene, by path inside the scene folder (the safe place
/// and its return go through [`AppState`]'s place instead).
#[derive(Message, Debug, Clone)]
pub struct ShowScene(pub String);

/// Where a fade is going.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// Another scene (or the same one again), by path.
    Scene(String),
    /// The scene on screen, whose file was edited.
    Reload,
    /// Another place in the scene on screen (an exposure step's).
    Place,
}

/// The systems that switch scenes, in order; what follows the scene on
/// screen runs after them.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct SceneSwitch;

/// The veil's movement, as a function of wall time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Stage {
    /// Open, nothing under way.
    #[default]
    Open,
    /// Closing: `from` at `since`, closed [`CLOSE_S`] later at most.
    Closing { from: f32, since: Duration },
    /// Closed, waiting for the new scene to be loaded.
    Closed,
    /// Opening: `from` at `since`.
    Opening { from: f32, since: Duration },
}

impl Stage {
    fn alpha(self, now: Duration) -> f32 {
        match self {
            Stage::Open => 0.0,
            Stage::Closed => 1.0,
            Stage::Closing { from, since } => {
                (from + (now - since).as_secs_f32() / CLOSE_S).min(1.0)
            }
            Stage::Opening { from, since } => {
                (from - (now - since).as_secs_f32() / OPEN_S).max(0.0)
            }
        }
    }
}

/// The switch under way, and the scenes kept loaded for the next ones.
#[derive(Resource, Debug, Default)]
pub(super) struct Switch {
    target: Option<Target>,
    stage: Stage,
    /// The scene being loaded for the target, by handle and path.
    loading: Option<(Handle<SceneAsset>, String)>,
    /// A loaded scene to spawn now, by handle and path.
    ready: Option<(Handle<SceneAsset>, String)>,
    /// Kept loaded: the safe scene of the scene on screen, and the scene
    /// before it (to go back to).
    kept: Vec<Handle<SceneAsset>>,
    /// The veil has closed for a move to another place, which has not been
    /// made yet.
    place_ready: bool,
    /// How many of [`CALM_FALLBACKS`] have been tried in place of a safe
    /// scene that turned out not to be calm; 0 when none was needed.
    fallback: usize,
}

/// Shipped calm scenes to show, in this order, when the safe scene named
/// turns out, as it loads, not to be a calm place (its file was changed to
/// an exposure scene after it was checked, or it is the person's own
/// scene). One that is not in the scene folder, or not calm either, is
/// passed over; with none left the veil stays closed, which shows nothing
/// at all, until the person goes back.
const CALM_FALLBACKS: [&str; 3] = ["lake_dusk.ron", "beach_sunset.ron", "forest_clearing.ron"];

impl Switch {
    /// Heads for `target`, closing the veil from wherever it is.
    fn head_for(&mut self, target: Target, now: Duration) {
        self.target = Some(target);
        self.fallback = 0;
        match self.stage {
            Stage::Open | Stage::Opening { .. } => {
                let from = self.stage.alpha(now);
                self.stage = Stage::Closing { from, since: now };
            }
            Stage::Closing { .. } | Stage::Closed => {}
        }
    }

    /// Closes the veil to move the person to another place of the scene on
    /// screen; a change of scene under way goes first (the move is made on
    /// the new scene's own terms).
    pub(super) fn move_place(&mut self, now: Duration) {
        if self.target.is_none() && !self.place_ready {
            self.head_for(Target::Place, now);
        }
    }

    /// Whether the veil is closed for a move of place, once: the move is
    /// then made, and the veil opens.
    pub(super) fn take_place_moment(&mut self, now: Duration) -> bool {
        if !self.place_ready {
            return false;
        }
        self.place_ready = false;
        self.stage = Stage::Opening {
            from: 1.0,
            since: now,
        };
        true
    }

    /// Whether a move of place is waiting for the veil.
    pub(super) fn moving_place(&self) -> bool {
        self.target == Some(Target::Place) || self.place_ready
    }

    /// Instead of `unsafe_path`, the next shipped calm scene (the veil
    /// stays closed meanwhile, and with none left it stays closed).
    fn fall_back(&mut self, assets: &AssetServer, unsafe_path: &str) -> Option<&'static str> {
        let next = CALM_FALLBACKS
            .iter()
            .skip(self.fallback)
            .find(|calm| **calm != unsafe_path)
            .copied();
        self.fallback = next
            .and_then(|next| CALM_FALLBACKS.iter().position(|c| *c == next))
            .map_or(CALM_FALLBACKS.len() + 1, |i| i + 1);
        match next {
            Some(next) => {
                self.loading = Some((assets.load(next.to_owned()), next.to_owned()));
                self.target = Some(Target::Scene(next.to_owned()));
            }
            None => {
                // Nothing calm to show: the veil stays closed.
                self.loading = None;
                self.target = Some(Target::Scene(String::new()));
            }
        }
        next
    }

    /// Gives up the switch (its scene failed to load): the veil opens on
    /// the scene that stays.
    fn give_up(&mut self, now: Duration) {
        self.target = None;
        self.loading = None;
        let from = self.stage.alpha(now);
        self.stage = Stage::Opening { from, since: now };
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Veil>()
        .init_resource::<Switch>()
        .add_message::<ShowScene>()
        .add_systems(
            Update,
            (
                follow_place,
                take_requests,
                track_loads,
                drive_veil,
                swap_scene,
            )
                .chain()
                .in_set(SceneSwitch)
                .in_set(AppSet::Scene),
        );
}

/// The person's place (their scene, or the safe place) decides the scene.
fn follow_place(
    state: Res<AppState>,
    time: Res<Time<Real>>,
    assets: Res<AssetServer>,
    mut switch: ResMut<Switch>,
    mut followed: Local<Option<String>>,
) {
    let wanted = state.place().scene();
    match followed.as_deref() {
        Some(path) if path == wanted => {}
        // The first scene is loaded on its own.
        None => *followed = Some(wanted.to_owned()),
        Some(_) => {
            *followed = Some(wanted.to_owned());
            request(&mut switch, &assets, wanted.to_owned(), time.elapsed());
        }
    }
}

fn take_requests(
    mut asks: MessageReader<ShowScene>,
    time: Res<Time<Real>>,
    assets: Res<AssetServer>,
    mut switch: ResMut<Switch>,
) {
    for ShowScene(path) in asks.read() {
        request(&mut switch, &assets, path.clone(), time.elapsed());
    }
}

/// Starts loading `path` (at once: while the veil closes) and heads there.
fn request(switch: &mut Switch, assets: &AssetServer, path: String, now: Duration) {
    switch.loading = Some((assets.load(path.clone()), path.clone()));
    switch.head_for(Target::Scene(path), now);
}

/// The first scene appearing, an edit of the scene on screen, and failed
/// loads.
fn track_loads(
    mut events: MessageReader<AssetEvent<SceneAsset>>,
    mut failures: MessageReader<AssetLoadFailedEvent<SceneAsset>>,
    scenes: Res<Assets<SceneAsset>>,
    time: Res<Time<Real>>,
    assets: Res<AssetServer>,
    mut current: ResMut<CurrentScene>,
    mut switch: ResMut<Switch>,
) {
    let now = time.elapsed();
    let shown_id = current.handle.id();
    // Every successful load or reload ends in exactly one
    // `LoadedWithDependencies`, as every failed one ends in one failure
    // message; `Added` and `Modified` would announce the same load again.
    for event in events.read() {
        if !event.is_loaded_with_dependencies(shown_id) {
            continue;
        }
        if current.generation == 0 {
            // The first scene appears at once: there is nothing to veil.
            switch.ready = Some((current.handle.clone(), current.path.clone()));
            continue;
        }
        let edited = scenes.get(shown_id).is_some_and(|asset| {
            current
                .shown
                .as_ref()
                .is_none_or(|shown| shown.source_hash != asset.scene.source_hash)
        });
        if edited && switch.target.is_none() {
            switch.head_for(Target::Reload, now);
        } else if !edited {
            // The same file again (saved unchanged): nothing to show, and
            // any error from a broken version before it is gone.
            current.error = None;
        }
    }
    let loading_id = switch.loading.as_ref().map(|(handle, _)| handle.id());
    let failed = note_failures(&mut failures, &mut current, [Some(shown_id), loading_id]);
    if loading_id.is_some_and(|id| failed.contains(&id)) {
        if switch.fallback > 0 {
            // A calm scene in place of an unsafe safe scene could not be
            // read: the next one, never the scene behind the veil.
            let path = switch
                .loading
                .as_ref()
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            switch.fall_back(&assets, &path);
        } else {
            switch.give_up(now);
        }
    }
}

/// Moves the veil with wall time; once it is closed and the new scene is
/// loaded, hands it to [`swap_scene`].
fn drive_veil(
    time: Res<Time<Real>>,
    scenes: Res<Assets<SceneAsset>>,
    state: Res<AppState>,
    assets: Res<AssetServer>,
    current: Res<CurrentScene>,
    mut switch: ResMut<Switch>,
    mut veil: ResMut<Veil>,
    mut said: MessageWriter<Lifecycle>,
) {
    let now = time.elapsed();
    let alpha = switch.stage.alpha(now);
    match switch.stage {
        Stage::Closing { .. } if alpha >= 1.0 => switch.stage = Stage::Closed,
        Stage::Opening { .. } if alpha <= 0.0 => switch.stage = Stage::Open,
        _ => {}
    }
    if switch.stage == Stage::Closed {
        match switch.target.clone() {
            Some(Target::Reload) => {
                switch.target = None;
                switch.ready = Some((current.handle.clone(), current.path.clone()));
            }
            Some(Target::Place) => {
                switch.target = None;
                switch.place_ready = true;
            }
            Some(Target::Scene(path)) => {
                if let Some((handle, _)) = switch
                    .loading
                    .as_ref()
                    .filter(|(handle, _)| scenes.contains(handle.id()))
                {
                    let handle = handle.clone();
                    if let Some(why) = not_a_safe_place(&state, &switch, &scenes, &handle, &path) {
                        let instead = switch.fall_back(&assets, &path);
                        let why = match instead {
                            Some(calm) => format!("{why}; showing \"{calm}\" instead"),
                            None => format!("{why}, and no calm scene is there to show instead"),
                        };
                        error!("{why}");
                        // Said to whoever watches (the console, the tests);
                        // the person sees only the calm scene.
                        said.write(Lifecycle::Refused {
                            what: format!("show \"{path}\" as the safe place"),
                            why: Refusal::NotASafePlace(why),
                        });
                    } else {
                        switch.ready = Some((handle, path));
                        switch.target = None;
                        switch.loading = None;
                    }
                }
            }
            // The move of place is made this frame, after the switch.
            None if switch.place_ready => {}
            // Closed with nowhere to go: open again.
            None => {
                switch.stage = Stage::Opening {
                    from: 1.0,
                    since: now,
                }
            }
        }
    }
    // Touched only when it changes: an unchanged overlay is not prepared
    // for rendering again.
    let alpha = switch.stage.alpha(now);
    if veil.alpha != alpha {
        veil.alpha = alpha;
    }
}

/// Why the scene loaded for the safe place is not one, if it is not: a
/// scene with an exposure section, or the person's own scene. Checked as it
/// is about to be shown, since its file can change after it was checked.
fn not_a_safe_place(
    state: &AppState,
    switch: &Switch,
    scenes: &Assets<SceneAsset>,
    handle: &Handle<SceneAsset>,
    path: &str,
) -> Option<String> {
    let Place::SafePlace {
        path: safe,
        return_to,
    } = state.place()
    else {
        return None;
    };
    if safe != path && switch.fallback == 0 {
        return None;
    }
    if path == return_to {
        return Some(format!(
            "the safe place \"{path}\" is the person's own scene, not a safe place"
        ));
    }
    let scene = &scenes.get(handle.id())?.scene;
    scene
        .exposure
        .is_some()
        .then(|| format!("the safe place \"{path}\" is an exposure scene now, not a calm scene"))
}

/// Spawns the scene that is ready, in place of the one on screen, says so,
/// and keeps its safe scene (and the scene before it) loaded.
fn swap_scene(world: &mut World) {
    let Some((handle, path)) = world.resource_mut::<Switch>().ready.take() else {
        return;
    };
    let Some(scene) = world
        .resource::<Assets<SceneAsset>>()
        .get(&handle)
        .map(|asset| asset.scene.clone())
    else {
        return;
    };
    if let Some(old) = world.resource::<CurrentScene>().root
        && let Ok(entity) = world.get_entity_mut(old)
    {
        entity.despawn();
    }
    let root = spawn_scene(world, &scene);
    let safe_scene = scene.safe_scene.as_deref().map(|safe| beside(&path, safe));
    let previous = {
        let mut current = world.resource_mut::<CurrentScene>();
        let previous = std::mem::replace(&mut current.handle, handle);
        current.path.clone_from(&path);
        current.root = Some(root);
        current.error = None;
        current.generation += 1;
        current.shown = Some(scene.clone());
        previous
    };
    let kept_safe = safe_scene.as_ref().map(|safe| {
        world
            .resource::<AssetServer>()
            .load::<SceneAsset>(safe.clone())
    });
    let now = world.resource::<Time<Real>>().elapsed();
    {
        let mut switch = world.resource_mut::<Switch>();
        switch.kept = kept_safe.into_iter().chain([previous]).collect();
        if switch.stage == Stage::Closed {
            switch.stage = Stage::Opening {
                from: 1.0,
                since: now,
            };
        }
    }
    info!("showing scene \"{}\"", scene.title);
    world.write_message(Lifecycle::SceneShown(ShownScene {
        path,
        title: scene.title.clone(),
        safe_scene,
        exposure: scene.exposure.as_ref().map(|plan| ExposureFacts {
            steps: plan
                .steps
                .iter()
                .map(|s| (s.name.clone(), s.say.clone()))
                .collect(),
            events: plan
                .events
                .iter()
                .map(|e| (e.name.clone(), e.say.clone(), e.steps.clone()))
                .collect(),
            suds_every: (f64::from(plan.suds_every_min) * 60e6) as crate::breath::Micros,
        }),
    }));
}
