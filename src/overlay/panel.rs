//! What the person reads and sees over the scene in the headset: a panel
//! hung world-locked under the pacer (the caption, and in its place while
//! paused or when a notice is up, those words), and the veil as a dark
//! shell around the head that closes and opens with the window's.
//!
//! The panel is UI drawn into a texture by a camera of its own, shown on a
//! board; its camera draws only when the words change. Added by the headset
//! (with its eye cameras) only.

use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::camera::visibility::RenderLayers;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::transform::TransformSystems;

use super::{Notice, VEIL, pause_how, pause_words};
use crate::frame::AppSet;
use crate::pacer::{PacerCaption, PacerNow, caption_text};
use crate::scene::spawn::SceneView;
use crate::scene::{CurrentScene, Veil};
use crate::seating;
use crate::state::{Flow, Presentation, SessionSnapshot, StateSystems};
use crate::view::{CameraPlaced, ViewCamera};

/// The layer the panel's own camera draws: nothing of the scene.
const PANEL_LAYER: usize = 7;
/// The veil's radius: no nearer than anything else we place.
const VEIL_RADIUS_M: f32 = seating::MIN_DISTANCE_M + 0.1;

/// The panel's camera.
#[derive(Component)]
struct PanelCamera;

/// The board the panel is hung on.
#[derive(Component)]
struct PanelBoard;

/// The words on the headset's panel.
#[derive(Component)]
pub struct PanelText;

/// The veil in the headset.
#[derive(Component)]
struct HeadVeil;

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, (spawn_panel, spawn_veil))
        .add_systems(
            Update,
            (
                hang_panel.in_set(AppSet::View),
                // The panel copies the caption, written in AppSet::Ui, and
                // the snapshot's pause and step.
                (panel_words, draw_panel_on_change)
                    .chain()
                    .after(AppSet::Ui)
                    .after(StateSystems::Publish),
            ),
        )
        .add_systems(
            PostUpdate,
            veil_head
                .after(CameraPlaced)
                .before(TransformSystems::Propagate),
        );
}

/// A panel you can read with the headset on: UI drawn into a texture and
/// hung, world-locked, under the pacer.
fn spawn_panel(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let (w, h) = seating::PANEL_PX;
    let mut image = Image::new_fill(
        Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 0],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    image.texture_descriptor.usage =
        TextureUsages::TEXTURE_BINDING | TextureUsages::COPY_DST | TextureUsages::RENDER_ATTACHMENT;
    let texture = images.add(image);
    let camera = commands
        .spawn((
            Camera3d::default(),
            Camera {
                order: -1,
                clear_color: ClearColorConfig::Custom(Color::NONE),
                ..default()
            },
            RenderTarget::Image(texture.clone().into()),
            RenderLayers::layer(PANEL_LAYER),
            Msaa::Off,
            PanelCamera,
            Name::new("panel camera"),
        ))
        .id();
    commands
        .spawn((
            Node {
                width: percent(100),
                height: percent(100),
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                ..default()
            },
            UiTargetCamera(camera),
        ))
        .with_child((
            PacerCaption,
            PanelText,
            Text::new(""),
            TextFont::from_font_size(seating::PANEL_FONT_PX),
            TextColor(crate::typeface::INK),
            crate::typeface::spacing(),
            TextShadow::default(),
            TextLayout::justify(Justify::Center),
        ));
    commands.spawn((
        PanelBoard,
        Mesh3d(meshes.add(Rectangle::new(
            seating::PANEL_WIDTH_M,
            seating::panel_height_m(),
        ))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(texture),
            unlit: true,
            fog_enabled: false,
            alpha_mode: AlphaMode::Blend,
            ..default()
        })),
        Transform::default(),
        // Hung, and shown, once a scene is there.
        Visibility::Hidden,
        bevy::light::NotShadowCaster,
        Name::new("caption panel"),
    ));
}

/// Hangs the panel under the pacer, facing the seat, when a scene appears.
fn hang_panel(
    view: Option<Res<SceneView>>,
    current: Res<CurrentScene>,
    mut panels: Query<(&mut Transform, &mut Visibility), With<PanelBoard>>,
    mut hung_for: Local<Option<u32>>,
) {
    let (Some(view), Some(scene)) = (view, current.shown.as_ref()) else {
        return;
    };
    if *hung_for == Some(current.generation) && !view.is_changed() {
        return;
    }
    *hung_for = Some(current.generation);
    let seat = seating::seat(view.eye, view.heading_deg);
    let pacer = seating::pacer_offset(scene.pacer.distance_m, scene.pacer.below_eye_m);
    let at = seat * seating::panel_offset(pacer);
    for (mut transform, mut visibility) in &mut panels {
        *transform = Transform::from_translation(at).with_rotation(seat.rotation);
        *visibility = Visibility::Inherited;
    }
}

/// The panel's words: why the session is paused while it is, else a
/// notice while one is up, else the pacer's caption. Compared first, so
/// nothing is written or built while they stay the same.
fn panel_words(
    snapshot: Res<SessionSnapshot>,
    notice: Res<Notice>,
    now: Res<PacerNow>,
    pairing: Option<Res<crate::console::PairingShown>>,
    mut texts: Query<&mut Text, With<PanelText>>,
    mut overridden: Local<bool>,
) {
    let asking = snapshot.suds.map(|s| super::suds::headset_words(s.value));
    let over: Option<&str> = if snapshot.flow == Flow::Paused {
        Some(pause_words(snapshot.paused_for))
    } else if let Some(words) = &asking {
        Some(words.as_str())
    } else if notice.alpha > 0.0 {
        Some(notice.words.as_str())
    } else {
        None
    };
    // Under the pause's words: the console's pairing line, while the session
    // waits for the therapist.
    let line = pairing
        .as_ref()
        .and_then(|p| p.line.as_deref())
        .unwrap_or("");
    let paused = pause_words(snapshot.paused_for);
    let how = pause_how(snapshot.paused_for);
    for mut text in &mut texts {
        match over {
            Some(words) if words == paused && !paused_as(&text.0, words, how, line) => {
                text.0.clear();
                text.0.push_str(words);
                text.0.push_str(how);
                if !line.is_empty() {
                    text.0.push('\n');
                    text.0.push_str(line);
                }
            }
            Some(words) if words != paused && text.0 != words => {
                text.0.clear();
                text.0.push_str(words);
            }
            // Back to the caption, which the pacer writes only when its own
            // words change.
            None if *overridden => text.0 = caption(&snapshot, &now),
            _ => {}
        }
    }
    *overridden = over.is_some();
}

/// The pacer's words now, if a guided session is in force: the snapshot
/// of this frame (the panel's words come after it is made) has the
/// session the pacer follows.
fn caption(snapshot: &SessionSnapshot, now: &PacerNow) -> String {
    match (&snapshot.guide_in_force, now.state.as_ref()) {
        (Some(run), Some(breath)) => caption_text(&run.guide.schedule, breath),
        _ => String::new(),
    }
}

/// Whether `text` is the pause's `words`, `how` to go on and `line` (if
/// any).
fn paused_as(text: &str, words: &str, how: &str, line: &str) -> bool {
    let Some(rest) = text
        .strip_prefix(words)
        .and_then(|rest| rest.strip_prefix(how))
    else {
        return false;
    };
    if line.is_empty() {
        rest.is_empty()
    } else {
        rest.strip_prefix('\n') == Some(line)
    }
}

/// The panel's camera draws only when its words change (and the frame
/// after, while the layout settles); the texture keeps them.
fn draw_panel_on_change(
    captions: Query<(), (Changed<Text>, With<PanelText>)>,
    mut cameras: Query<&mut Camera, With<PanelCamera>>,
    mut frames_left: Local<u8>,
) {
    if !captions.is_empty() {
        *frames_left = 2;
    }
    let draw = *frames_left > 0;
    *frames_left = frames_left.saturating_sub(1);
    for mut camera in &mut cameras {
        if camera.is_active != draw {
            camera.is_active = draw;
        }
    }
}

fn spawn_veil(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let (r, g, b) = VEIL;
    commands.spawn((
        HeadVeil,
        Mesh3d(meshes.add(Sphere::new(VEIL_RADIUS_M).mesh().uv(24, 12))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::linear_rgba(r, g, b, 0.0),
            unlit: true,
            fog_enabled: false,
            alpha_mode: AlphaMode::Blend,
            cull_mode: None,
            ..default()
        })),
        Transform::default(),
        Visibility::Hidden,
        bevy::light::NotShadowCaster,
        Name::new("headset veil"),
    ));
}

/// Keeps the veil around the head, as closed as the window's.
fn veil_head(
    veil: Res<Veil>,
    snapshot: Res<SessionSnapshot>,
    cameras: Query<&Transform, (With<ViewCamera>, Without<HeadVeil>)>,
    mut veils: Query<
        (
            &mut Transform,
            &mut Visibility,
            &MeshMaterial3d<StandardMaterial>,
        ),
        With<HeadVeil>,
    >,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut shown: Local<f32>,
) {
    let Ok(head) = cameras.single() else { return };
    let alpha = if snapshot.presentation == Presentation::Headset {
        veil.alpha()
    } else {
        0.0
    };
    for (mut transform, mut visibility, material) in &mut veils {
        transform.translation = head.translation;
        if alpha == *shown {
            continue;
        }
        *visibility = if alpha > 0.0 {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        if let Some(mut material) = materials.get_mut(&material.0) {
            material.base_color.set_alpha(alpha);
        }
    }
    *shown = alpha;
}
