//! Scenes: the RON format and its checks, the runtime scene the loader makes
//! of a file (generated on the asset server's task pool), and the plugin
//! that shows it, switches scenes through the veil, keeps the safe scene
//! loaded ahead, and swaps an edited file in through the veil too.
//!
//! **Invariant:** a scene that fails to load never replaces the one on
//! screen; the error is shown and the last good scene stays.

pub mod blueprint;
pub mod exposure;
pub mod folder;
pub mod format;
pub mod model;
pub mod parse;
mod procgen;
pub mod spawn;
mod transition;
mod upload;
mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bevy::asset::io::Reader;
use bevy::asset::{AssetLoadError, AssetLoadFailedEvent, AssetLoader, AsyncReadExt, LoadContext};
use bevy::prelude::*;

use crate::clock::SceneClock;
use crate::diagnostics::{FileErrors, MAX_FILE_BYTES, read_limited, too_big};
use crate::frame::AppSet;
use crate::state::Lifecycle;
use model::Scene;
use parse::parse_scene_at;
use spawn::{CloudDrift, Drift, drift_transform};

pub use transition::{CLOSE_S, OPEN_S, ShowScene, Veil};

/// A checked scene with everything generated from it, as the asset server
/// holds it.
#[derive(Asset, TypePath, Debug, Clone)]
pub struct SceneAsset {
    /// The scene, valid by construction.
    pub scene: Arc<Scene>,
}

/// Which scene is shown, and what became of the latest load.
#[derive(Resource, Debug)]
pub struct CurrentScene {
    /// The scene asset shown (or, before the first, being loaded).
    pub(crate) handle: Handle<SceneAsset>,
    /// Its path inside the scene folder.
    pub path: String,
    /// The spawned scene, once one is on screen.
    pub root: Option<Entity>,
    /// The latest load error, shown on screen until a good load replaces it.
    pub error: Option<String>,
    /// Counts the scenes spawned: 0 until the first one is on screen.
    pub generation: u32,
    /// The scene on screen.
    pub shown: Option<Arc<Scene>>,
}

impl CurrentScene {
    /// Nothing shown yet; `path` (inside the scene folder) is loaded first.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            handle: Handle::default(),
            path: path.into(),
            root: None,
            error: None,
            generation: 0,
            shown: None,
        }
    }

    /// The shown scene's event that `message` says was fired, if it is one.
    pub(crate) fn fired(&self, message: &Lifecycle) -> Option<&exposure::plan::EventSpec> {
        let Lifecycle::EventFired { name, .. } = message else {
            return None;
        };
        let plan = self.shown.as_ref()?.exposure.as_ref()?;
        plan.events.iter().find(|e| &e.name == name)
    }
}

/// Where scenes are read from.
#[derive(Resource, Debug, Clone)]
pub(crate) struct SceneFolder {
    /// Absolute folder of the asset source that scenes load from.
    pub(crate) root: PathBuf,
}

/// Loads scene files for the asset server: reads at most
/// [`MAX_FILE_BYTES`], checks the file, and generates the whole scene, here
/// on the loader's task rather than on a frame. Errors name file, line and
/// column.
#[derive(TypePath)]
struct SceneLoader {
    root: PathBuf,
}

impl AssetLoader for SceneLoader {
    type Asset = SceneAsset;
    type Settings = ();
    type Error = FileErrors;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<SceneAsset, FileErrors> {
        let relative = load_context.path().path().to_path_buf();
        let full = self.root.join(&relative);
        let shown = display_path(&full);
        let mut bytes = Vec::new();
        // One byte past the limit is enough to know the file is too big.
        AsyncReadExt::take(reader, MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| FileErrors::unreadable(&shown, format!("could not read the file: {e}")))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(too_big(&shown, "scene"));
        }
        let file = parse_scene_at(&full, &shown, &bytes)?;
        Ok(SceneAsset {
            scene: Arc::new(Scene::from_checked(&file, &bytes)),
        })
    }

    fn extensions(&self) -> &[&str] {
        &["ron"]
    }
}

/// Reads and checks a scene file outside the app (the command line), and
/// generates it.
pub fn load_scene(path: &Path) -> Result<Scene, FileErrors> {
    let shown = display_path(path);
    let bytes = read_limited(path, &shown, "scene")?;
    let checked = parse_scene_at(path, &shown, &bytes)?;
    Ok(Scene::from_checked(&checked, &bytes))
}

/// Adds scene loading, showing and switching. Needs a [`SceneFolder`] and
/// the name of the first scene in [`CurrentScene`]'s path (inserted by the
/// app builder).
pub(crate) fn plugin(app: &mut App) {
    let root = app.world().resource::<SceneFolder>().root.clone();
    app.init_asset::<SceneAsset>()
        .register_asset_loader(SceneLoader { root })
        .add_systems(Startup, load_first_scene)
        .add_systems(
            Update,
            (move_particles, drift_clouds).in_set(AppSet::Animate),
        );
    transition::plugin(app);
    exposure::plugin(app);
}

/// A path as the user would type it: relative to the working folder where
/// possible.
pub(crate) fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// `relative` (as a scene names another file) resolved against the folder of
/// the scene at `path`, both inside the scene folder.
fn beside(path: &str, relative: &str) -> String {
    Path::new(path)
        .parent()
        .map(|folder| folder.join(relative).to_string_lossy().into_owned())
        .unwrap_or_else(|| relative.to_owned())
}

fn load_first_scene(mut current: ResMut<CurrentScene>, assets: Res<AssetServer>) {
    current.handle = assets.load(current.path.clone());
}

/// The scene's own error text, without the asset server's wrapping.
fn load_error_text(error: &AssetLoadError) -> String {
    if let AssetLoadError::AssetLoaderError(inner) = error
        && let Some(errors) = inner.error().downcast_ref::<FileErrors>()
    {
        return errors.to_string();
    }
    error.to_string()
}

/// Notes load failures of the scenes `watched`: each said once and kept on
/// screen; which failed.
fn note_failures(
    failures: &mut MessageReader<AssetLoadFailedEvent<SceneAsset>>,
    current: &mut CurrentScene,
    watched: [Option<AssetId<SceneAsset>>; 2],
) -> Vec<AssetId<SceneAsset>> {
    let mut failed = Vec::new();
    for failure in failures.read() {
        if !watched.contains(&Some(failure.id)) {
            continue;
        }
        failed.push(failure.id);
        let message = load_error_text(&failure.error);
        // One failed load can be reported more than once: say it once.
        if current.error.as_ref() != Some(&message) {
            error!("{message}");
            current.error = Some(message);
        }
    }
    failed
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

/// The names of the steps of the exposure scene at `path`, lowest first;
/// `None` when it cannot be read, is not a valid scene, or has no steps.
pub fn steps_of(path: &std::path::Path) -> Option<Vec<String>> {
    let file = parse::read_scene(path, &display_path(path)).ok()?;
    let steps: Vec<String> = file.exposure?.steps.into_iter().map(|s| s.name).collect();
    (!steps.is_empty()).then_some(steps)
}
