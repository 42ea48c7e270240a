//! Scenes: the RON format, its checks, and the plugin that loads a scene
//! through Bevy's asset server, spawns it, and swaps it on hot reload.
//!
//! **Invariant:** a scene that fails to load never replaces the one on
//! screen; the error is shown and the last good scene stays.

pub mod blueprint;
pub mod format;
pub mod locate;
pub mod parse;
pub mod spawn;
pub mod validate;

use std::path::{Path, PathBuf};

use bevy::asset::io::Reader;
use bevy::asset::{AssetLoadError, AssetLoadFailedEvent, AssetLoader, LoadContext};
use bevy::prelude::*;

use crate::AppSet;
use crate::clock::SceneClock;
use format::SceneFile;
use parse::{SceneError, SceneErrors, parse_scene};
use spawn::{CloudDrift, Drift, drift_transform, spawn_scene};

/// A checked scene file, as the asset server holds it.
#[derive(Asset, TypePath, Debug, Clone)]
pub struct SceneAsset {
    /// The scene, valid by construction.
    pub scene: SceneFile,
}

/// Which scene is shown, and what became of its latest load.
#[derive(Resource, Debug)]
pub struct CurrentScene {
    /// The scene asset being shown or loaded.
    pub handle: Handle<SceneAsset>,
    /// Its path inside the scene folder.
    pub path: String,
    /// The spawned scene, once one is on screen.
    pub root: Option<Entity>,
    /// Set when the asset changed and the scene must be respawned.
    pub dirty: bool,
    /// The latest load error, shown on screen until a good load replaces it.
    pub error: Option<String>,
    /// Counts the scenes spawned: 0 until the first one is on screen.
    pub generation: u32,
    /// The scene on screen, to tell a real change from a repeated event.
    pub shown: Option<SceneFile>,
}

impl CurrentScene {
    /// Nothing shown yet; `path` (inside the scene folder) is loaded first.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            handle: Handle::default(),
            path: path.into(),
            root: None,
            dirty: false,
            error: None,
            generation: 0,
            shown: None,
        }
    }
}

/// Where scenes are read from.
#[derive(Resource, Debug, Clone)]
pub struct SceneFolder {
    /// Absolute folder of the asset source that scenes load from.
    pub root: PathBuf,
}

/// Asks to show another scene, by path inside the scene folder.
#[derive(Message, Debug, Clone)]
pub struct ShowScene(pub String);

/// Loads scene files for the asset server, reporting errors with file, line
/// and column.
#[derive(TypePath)]
pub struct SceneLoader {
    root: PathBuf,
}

impl AssetLoader for SceneLoader {
    type Asset = SceneAsset;
    type Settings = ();
    type Error = SceneErrors;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<SceneAsset, SceneErrors> {
        let relative = load_context.path().path().to_path_buf();
        let full = self.root.join(&relative);
        let shown = display_path(&full);
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await.map_err(|e| {
            SceneErrors(vec![SceneError {
                file: shown.clone(),
                line: 1,
                column: 1,
                message: format!("could not read the file: {e}"),
            }])
        })?;
        let folder = full.parent().map(Path::to_path_buf).unwrap_or_default();
        let scene = parse_scene(&shown, &bytes, &|p| folder.join(p).is_file())?;
        Ok(SceneAsset { scene })
    }

    fn extensions(&self) -> &[&str] {
        &["ron"]
    }
}

/// Adds scene loading and spawning. Needs a [`SceneFolder`] and the name of
/// the first scene in [`CurrentScene`]'s path (inserted by the app builder).
pub fn plugin(app: &mut App) {
    let root = app.world().resource::<SceneFolder>().root.clone();
    app.init_asset::<SceneAsset>()
        .register_asset_loader(SceneLoader { root })
        .add_message::<ShowScene>()
        .add_systems(Startup, load_first_scene)
        .add_systems(
            Update,
            (
                (switch_scene, track_scene_asset, respawn_scene)
                    .chain()
                    .in_set(AppSet::Scene),
                (move_particles, drift_clouds).in_set(AppSet::Animate),
            ),
        );
}

/// A path as the user would type it: relative to the working folder where
/// possible.
pub fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

fn load_first_scene(mut current: ResMut<CurrentScene>, assets: Res<AssetServer>) {
    current.handle = assets.load(current.path.clone());
}

fn switch_scene(
    mut requests: MessageReader<ShowScene>,
    mut current: ResMut<CurrentScene>,
    assets: Res<AssetServer>,
) {
    if let Some(ShowScene(path)) = requests.read().last() {
        current.path = path.clone();
        current.handle = assets.load(path.clone());
        // An already loaded scene sends no new event: respawn it directly,
        // even when it is the scene on screen (the person asked for it).
        current.dirty = true;
        current.shown = None;
    }
}

fn track_scene_asset(
    mut events: MessageReader<AssetEvent<SceneAsset>>,
    mut failures: MessageReader<AssetLoadFailedEvent<SceneAsset>>,
    mut current: ResMut<CurrentScene>,
) {
    let id = current.handle.id();
    // Every successful load or reload ends in exactly one
    // `LoadedWithDependencies`, as every failed one ends in one failure
    // message; `Added` and `Modified` would announce the same load again.
    for event in events.read() {
        if event.is_loaded_with_dependencies(id) {
            current.dirty = true;
        }
    }
    for failure in failures.read() {
        if failure.id == id {
            let message = load_error_text(&failure.error);
            // One failed load can be reported more than once: say it once.
            if current.error.as_ref() != Some(&message) {
                error!("{message}");
                current.error = Some(message);
            }
        }
    }
}

/// The scene's own error text, without the asset server's wrapping.
pub fn load_error_text(error: &AssetLoadError) -> String {
    if let AssetLoadError::AssetLoaderError(inner) = error
        && let Some(errors) = inner.error().downcast_ref::<SceneErrors>()
    {
        return errors.to_string();
    }
    error.to_string()
}

fn respawn_scene(world: &mut World) {
    let (dirty, handle) = {
        let current = world.resource::<CurrentScene>();
        (current.dirty, current.handle.clone())
    };
    if !dirty {
        return;
    }
    let Some(scene) = world
        .resource::<Assets<SceneAsset>>()
        .get(&handle)
        .map(|asset| asset.scene.clone())
    else {
        // Still loading, or failed: the last good scene stays.
        return;
    };
    let current = world.resource::<CurrentScene>();
    if current.shown.as_ref() == Some(&scene) && current.root.is_some() {
        // The same scene again (one load reports itself more than once, and
        // saving a file unchanged reloads it): keep what is on screen.
        let mut current = world.resource_mut::<CurrentScene>();
        current.dirty = false;
        current.error = None;
        return;
    }
    if let Some(old) = current.root
        && let Ok(entity) = world.get_entity_mut(old)
    {
        entity.despawn();
    }
    let root = spawn_scene(world, &scene);
    let mut current = world.resource_mut::<CurrentScene>();
    current.root = Some(root);
    current.dirty = false;
    current.error = None;
    current.generation += 1;
    current.shown = Some(scene.clone());
    info!("showing scene \"{}\"", scene.title);
}

fn move_particles(clock: Res<SceneClock>, mut particles: Query<(&Drift, &mut Transform)>) {
    let t = clock.wrapped_seconds();
    for (drift, mut transform) in &mut particles {
        *transform = drift_transform(drift, t);
    }
}

fn drift_clouds(clock: Res<SceneClock>, mut layers: Query<(&CloudDrift, &mut Transform)>) {
    let t = clock.wrapped_seconds();
    for (drift, mut transform) in &mut layers {
        transform.rotation = Quat::from_rotation_y(drift.rate * t);
    }
}
