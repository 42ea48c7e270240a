//! The headset: OpenXR through `bevy_mod_openxr`, with the person seated at
//! the scene's eye, the head as the listener, world-locked pacer and
//! caption, controller pulses per phase, focus pauses, and a fall back to
//! the desktop window when the runtime goes away.
//!
//! **Invariants:** nothing but the person's own head moves their viewpoint
//! (recentring is theirs to ask for, and once at the start); the session
//! pauses whenever the headset is not focused; a runtime that stops
//! answering ends the headset session without ending the app.
//!
//! The decisions (which mode, where the seat is, which pulses) are pure
//! functions in [`probe`], [`seat`] and [`haptics`]; this module is the
//! adapter between them, Bevy and the runtime.

pub mod controls;
pub mod haptics;
pub mod harness;
pub mod probe;
pub mod seat;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{Exposure, Hdr, RenderTarget};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::ecs::system::SystemId;
use bevy::pbr::DistanceFog;
use bevy::prelude::*;
use bevy::render::Render;
use bevy::render::RenderApp;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderAdapterInfo;
use bevy::render::texture::ManualTextureViews;
use bevy::transform::TransformSystems;
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::poll_events::OxrEventIn;
use bevy_mod_openxr::render::OxrWaitFrameSystem;
use bevy_mod_openxr::resources::{
    OxrCurrentSessionConfig, OxrFrameState, OxrFrameStream, OxrFrameWaiter, OxrInstance,
    OxrSessionStarted, OxrSwapchain, OxrSwapchainImages,
};
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::{XrFirst, XrHandleEvents, XrRenderSystems, XrState, XrTrackingRoot};

use crate::AppSet;
use crate::clock::SessionClock;
use crate::pacer::{ActiveGuide, PacerCaption, PacerNow};
use crate::scene::spawn::SceneView;
use crate::view::{Flow, Presentation, SceneLook, ViewCamera};

/// The layer the caption panel's own camera draws: nothing of the scene.
const PANEL_LAYER: usize = 7;
/// How often the headset's state is written to the log.
const REPORT_EVERY: Duration = Duration::from_secs(2);

/// The headset session as the app sees it.
#[derive(Resource, Debug, Default)]
pub struct HeadsetStatus {
    /// The runtime's last session state.
    pub state: Option<openxr::SessionState>,
    /// Frames the runtime let us start.
    pub frames_waited: u64,
    /// Frames handed to the runtime, counted on the render thread.
    pub submitted: Arc<AtomicU64>,
    /// Why the headset is gone, once it is.
    pub lost: Option<String>,
    /// Whether the runtime still answers; shared with the render world.
    pub alive: RuntimeAlive,
    /// Whether the pause in force came from losing focus (so regaining it
    /// resumes), rather than from the person.
    pub paused_for_focus: bool,
    /// Whether the app is closing, so a session that ends is expected.
    pub closing: bool,
}

impl HeadsetStatus {
    /// Whether the session is focused: the person is in it and it has input.
    pub fn focused(&self) -> bool {
        self.state == Some(openxr::SessionState::FOCUSED)
    }

    /// Whether the runtime itself failed (as opposed to ending the session
    /// in order): then nothing more is asked of it.
    pub fn broken(&self) -> bool {
        !self.alive.answers()
    }

    fn lose(&mut self, why: String, broken: bool) {
        if self.lost.is_none() {
            self.lost = Some(why);
        }
        if broken {
            // A runtime that stopped answering has no session state left.
            self.alive.gone();
            self.state = None;
        }
    }
}

/// Where the person sits and how they last recentred.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct SeatState {
    /// The head in the reference space when the person last recentred.
    pub recentred_on: Option<Transform>,
    /// The head in the reference space this frame, once tracked.
    pub head: Option<Transform>,
    /// A recentre is asked for; done on the next tracked head pose.
    pub wanted: bool,
}

/// Ask to recentre: the keyboard's `R` and a controller button send it.
#[derive(Message, Debug, Clone, Copy, Default)]
pub struct Recentre;

/// The event handlers our poll hands each runtime event to: the runtime
/// plugin's state tracking, then ours.
#[derive(Resource, Clone, Copy)]
struct EventHandlers([SystemId<OxrEventIn<'static>>; 2]);

/// Whether the runtime still answers, shared by the app's world and the
/// render world: whichever sees it fail first tells the other.
#[derive(Resource, Debug, Clone)]
pub struct RuntimeAlive(Arc<std::sync::atomic::AtomicBool>);

impl Default for RuntimeAlive {
    fn default() -> Self {
        Self(Arc::new(std::sync::atomic::AtomicBool::new(true)))
    }
}

impl RuntimeAlive {
    /// Whether no failure has been seen.
    pub fn answers(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn gone(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The frames handed to the runtime, in the render world.
#[derive(Resource, Clone)]
struct SubmittedFrames(Arc<AtomicU64>);

/// The caption panel in the headset and its camera.
#[derive(Component)]
struct CaptionPanel;

/// The board the caption panel is hung on.
#[derive(Component)]
struct PanelBoard;

/// The caption's text on the headset's panel.
#[derive(Component)]
struct PanelCaption;

/// The veil in the headset: a dark shell around the head that closes and
/// opens with the scene fades, as the window's veil does.
#[derive(Component)]
struct HeadVeil;

/// The veil's radius: no nearer than anything else we place.
const VEIL_RADIUS_M: f32 = seat::MIN_DISTANCE_M + 0.1;

/// Everything the headset adds to the app. Added only when the app is built
/// for the headset, after `bevy_mod_openxr`'s plugins.
pub fn plugin(app: &mut App) {
    frame_plugin(app);
    let handlers = [
        app.register_system(bevy_mod_openxr::init::handle_events),
        app.register_system(track_session),
    ];
    app.insert_resource(EventHandlers(handlers))
        // The runtime's events and frame waits go through our own systems,
        // which treat a runtime that stops answering as the end of the
        // headset session rather than a reason to stop the app.
        .configure_sets(XrFirst, XrHandleEvents::Poll.run_if(never))
        .add_systems(
            XrFirst,
            (
                poll_events
                    .before(XrHandleEvents::ExitEvents)
                    .run_if(bevy_mod_openxr::openxr_session_available),
                wait_frame
                    .run_if(should_run_frame_loop)
                    .in_set(OxrWaitFrameSystem)
                    .in_set(XrHandleEvents::FrameLoop),
            ),
        )
        .configure_sets(
            PostUpdate,
            HeadSystems.after(bevy_mod_openxr::render::update_views),
        );
    controls::plugin(app);
    app.add_systems(
        Update,
        take_eye_screenshot.run_if(resource_exists::<EyeScreenshot>),
    );
    let status = app.world().resource::<HeadsetStatus>();
    let (submitted, alive) = (status.submitted.clone(), status.alive.clone());
    if let Some(render) = app.get_sub_app_mut(RenderApp) {
        render
            .insert_resource(SubmittedFrames(submitted))
            .insert_resource(alive)
            // The runtime's plugin unwraps the results of beginning a frame
            // and of taking and giving back its image, which stops the app
            // when the runtime goes away mid-frame. Those steps are ours,
            // the same steps, treating a failure as the runtime gone; its
            // own view placing and frame ending (which only log) are kept.
            .configure_sets(
                Render,
                (XrRenderSystems::PreRender, XrRenderSystems::PostRender).run_if(never),
            )
            .configure_sets(
                Render,
                (
                    FrameSteps::Begin
                        .after(XrRenderSystems::HandleEvents)
                        .before(bevy::render::RenderSystems::PrepareViews)
                        .before(bevy::render::RenderSystems::PrepareAssets),
                    FrameSteps::End
                        .after(bevy::render::RenderSystems::Render)
                        .before(bevy::render::RenderSystems::Cleanup),
                ),
            )
            .add_systems(
                Render,
                (
                    (
                        begin_frame,
                        take_image,
                        bevy_mod_openxr::render::locate_views,
                        bevy_mod_openxr::render::update_views_render_world,
                        wait_image,
                    )
                        .chain()
                        .in_set(FrameSteps::Begin),
                    (
                        give_image,
                        bevy_mod_openxr::render::end_frame,
                        count_submitted,
                    )
                        .chain()
                        .in_set(FrameSteps::End),
                )
                    .run_if(should_run_frame_loop)
                    .run_if(runtime_answers),
            );
    }
}

/// Saves what the left eye sees, once.
#[derive(Resource, Debug)]
pub struct EyeScreenshot {
    path: Option<std::path::PathBuf>,
}

impl EyeScreenshot {
    /// Frames the headset shows before the picture is taken.
    pub const AFTER_FRAMES: u64 = 60;

    /// A picture to save at `path`.
    pub fn new(path: std::path::PathBuf) -> Self {
        Self { path: Some(path) }
    }
}

fn take_eye_screenshot(
    mut shot: ResMut<EyeScreenshot>,
    status: Res<HeadsetStatus>,
    presentation: Res<Presentation>,
    mut commands: Commands,
) {
    if *presentation != Presentation::Headset
        || status.submitted.load(Ordering::Relaxed) < EyeScreenshot::AFTER_FRAMES
    {
        return;
    }
    let Some(path) = shot.path.take() else { return };
    info!(
        "headset: saving the left eye's picture to {}",
        path.display()
    );
    let left = bevy::camera::ManualTextureViewHandle(bevy_mod_openxr::render::XR_TEXTURE_INDEX);
    commands
        .spawn(bevy::render::view::screenshot::Screenshot::texture_view(
            left,
        ))
        .observe(bevy::render::view::screenshot::save_to_disk(path));
}

/// The render world's frame steps, in place of the runtime plugin's.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FrameSteps {
    /// Begin the frame, take the swapchain image, place the views.
    Begin,
    /// Give the image back and end the frame.
    End,
}

fn runtime_answers(alive: Res<RuntimeAlive>) -> bool {
    alive.answers()
}

/// What a failed step means: a lost instance or session, or a failed
/// runtime, is the runtime gone; anything else is said and the frame goes on.
fn step_failed(alive: &RuntimeAlive, step: &str, error: &dyn std::fmt::Display, lost: bool) {
    if lost {
        alive.gone();
        warn!("headset: the runtime failed to {step} ({error})");
    } else {
        error!("headset: could not {step} ({error})");
    }
}

fn is_loss(result: openxr::sys::Result) -> bool {
    use openxr::sys::Result as R;
    matches!(
        result,
        R::ERROR_INSTANCE_LOST | R::ERROR_SESSION_LOST | R::ERROR_RUNTIME_FAILURE
    )
}

fn begin_frame(mut stream: ResMut<OxrFrameStream>, alive: Res<RuntimeAlive>) {
    if let Err(e) = stream.begin() {
        step_failed(&alive, "begin a frame", &e, is_loss(e));
    }
}

fn take_image(
    images: Res<OxrSwapchainImages>,
    mut swapchain: ResMut<OxrSwapchain>,
    mut views: ResMut<ManualTextureViews>,
    config: Res<OxrCurrentSessionConfig>,
    frame: Res<OxrFrameState>,
    alive: Res<RuntimeAlive>,
) {
    if !frame.should_render || !alive.answers() {
        return;
    }
    match swapchain.acquire_image() {
        Ok(index) => {
            let image = &images[index as usize];
            for eye in 0..2 {
                bevy_mod_openxr::render::add_texture_view(&mut views, image, &config, eye);
            }
        }
        Err(e) => step_failed(&alive, "give an image to draw", &e, true),
    }
}

fn wait_image(
    mut swapchain: ResMut<OxrSwapchain>,
    frame: Res<OxrFrameState>,
    alive: Res<RuntimeAlive>,
) {
    if frame.should_render
        && alive.answers()
        && let Err(e) = swapchain.wait_image(openxr::Duration::INFINITE)
    {
        step_failed(&alive, "let the image be drawn", &e, true);
    }
}

fn give_image(
    mut swapchain: ResMut<OxrSwapchain>,
    frame: Res<OxrFrameState>,
    alive: Res<RuntimeAlive>,
) {
    if frame.should_render
        && alive.answers()
        && let Err(e) = swapchain.release_image()
    {
        step_failed(&alive, "take the drawn image", &e, true);
    }
}

/// Runs every schedule of `app`'s main world on the calling thread, one
/// system after another. Our work per frame is small (about 0.3 ms, see the
/// headset benchmark); spread over threads, the hand-offs cost more than the
/// work (about 2 ms a frame on two cores), which a 90 Hz frame cannot spare.
/// Rendering keeps its own threads.
pub fn single_threaded(app: &mut App) {
    let mut schedules = app
        .world_mut()
        .resource_mut::<bevy::ecs::schedule::Schedules>();
    for (_, schedule) in schedules.iter_mut() {
        schedule.set_executor(bevy::ecs::schedule::SingleThreadedExecutor::new());
    }
}

/// Where the head is read from the eyes and everything placed from it.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeadSystems;

/// The headset's part of every frame that needs no runtime: seating,
/// mirroring, the caption panel and veil, focus pauses, the fall back to the
/// window, and the report. The benchmark and the headless tests run this
/// with eye cameras of their own.
pub fn frame_plugin(app: &mut App) {
    app.insert_resource(HeadsetStatus::default())
        .insert_resource(Presentation::Headset)
        .init_resource::<SeatState>()
        .add_message::<Recentre>()
        .add_systems(
            Update,
            (
                (recentre_key, follow_focus).in_set(AppSet::Input),
                (place_root, dress_eye_cameras, hang_caption_panel).in_set(AppSet::View),
                fall_back_to_desktop.in_set(AppSet::Ui),
                (panel_says_paused, (spare_renderer, draw_panel_on_change))
                    .chain()
                    .after(AppSet::Ui)
                    .after(crate::pacer::write_caption),
                report,
            ),
        )
        .add_systems(Startup, (spawn_caption_panel, spawn_veil))
        .add_systems(PostStartup, choose_spare)
        .add_systems(
            PostUpdate,
            (
                track_head_from_eyes.in_set(HeadSystems),
                (mirror_head, veil_head).chain().after(HeadSystems),
            )
                .before(TransformSystems::Propagate),
        )
        .add_systems(Last, note_closing);
}

fn never() -> bool {
    false
}

/// Hands every pending runtime event to the handlers; a runtime that fails
/// to answer ends the headset session.
fn poll_events(world: &mut World) {
    let Some(instance) = world.get_resource::<OxrInstance>().cloned() else {
        return;
    };
    if world.resource::<HeadsetStatus>().broken() {
        return;
    }
    let handlers = *world.resource::<EventHandlers>();
    let mut buffer = openxr::EventDataBuffer::default();
    loop {
        match instance.poll_event(&mut buffer) {
            Ok(Some(event)) => {
                for handler in &handlers.0 {
                    if let Err(e) = world.run_system_with(*handler, event) {
                        error!("a headset event handler failed: {e}");
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                world
                    .resource_mut::<HeadsetStatus>()
                    .lose(format!("the runtime stopped answering ({e})"), true);
                break;
            }
        }
    }
}

/// Waits for the runtime's next frame; an error ends the headset session.
fn wait_frame(
    mut waiter: ResMut<OxrFrameWaiter>,
    mut status: ResMut<HeadsetStatus>,
    mut commands: Commands,
) {
    if status.broken() {
        return;
    }
    match waiter.wait() {
        Ok(state) => {
            status.frames_waited += 1;
            commands.insert_resource(OxrFrameState(state));
        }
        Err(e) => status.lose(format!("the runtime stopped giving frames ({e})"), true),
    }
}

fn count_submitted(frames: Res<SubmittedFrames>) {
    frames.0.fetch_add(1, Ordering::Relaxed);
}

/// Follows the session's states: says each, notes focus and loss.
fn track_session(event: OxrEventIn, mut status: ResMut<HeadsetStatus>) {
    use openxr::SessionState as S;
    match *event {
        openxr::Event::SessionStateChanged(change) => {
            let state = change.state();
            let before = status.state.replace(state);
            let said = match state {
                S::IDLE => "idle",
                S::READY => "ready",
                S::SYNCHRONIZED => "running, not visible",
                S::VISIBLE => "running, visible, not focused",
                S::FOCUSED => "running and focused",
                S::STOPPING => "stopping",
                S::LOSS_PENDING => "lost",
                S::EXITING => "exiting",
                _ => "in an unknown state",
            };
            info!("headset session: {said}");
            let ending = matches!(state, S::STOPPING | S::EXITING | S::LOSS_PENDING);
            if ending && !status.closing && before.is_some() {
                let why = if state == S::LOSS_PENDING {
                    "the runtime lost the session"
                } else {
                    "the runtime ended the session"
                };
                status.lose(why.to_owned(), false);
            }
        }
        openxr::Event::InstanceLossPending(_) => {
            status.lose("the runtime is shutting down".to_owned(), false);
        }
        _ => {}
    }
}

/// Losing focus (headset off, the runtime's menu up) pauses the session
/// with its fade; regaining it resumes, unless the person paused.
fn follow_focus(
    mut status: ResMut<HeadsetStatus>,
    flow: Res<State<Flow>>,
    mut next: ResMut<NextState<Flow>>,
    mut was_focused: Local<bool>,
) {
    let focused = status.focused();
    if focused == *was_focused {
        return;
    }
    *was_focused = focused;
    match (focused, flow.get()) {
        (false, Flow::Running) if status.lost.is_none() => {
            info!("headset: not focused, pausing the session");
            status.paused_for_focus = true;
            next.set(Flow::Paused);
        }
        (true, Flow::Paused) if status.paused_for_focus => {
            info!("headset: focused again, resuming the session");
            status.paused_for_focus = false;
            next.set(Flow::Running);
        }
        _ => {}
    }
}

/// `R` on the mirror window asks to recentre.
fn recentre_key(keys: Option<Res<ButtonInput<KeyCode>>>, mut recentre: MessageWriter<Recentre>) {
    if keys.is_some_and(|k| k.just_pressed(KeyCode::KeyR)) {
        recentre.write(Recentre);
    }
}

/// The head in the reference space, from the two eyes: between them,
/// facing as the first one does.
fn head_from_eyes(eyes: &Query<(&XrCamera, &Transform)>) -> Option<Transform> {
    let mut left = None;
    let mut right = None;
    for (camera, transform) in eyes {
        match camera.0 {
            0 => left = Some(*transform),
            1 => right = Some(*transform),
            _ => {}
        }
    }
    let left = left?;
    let middle = right.map_or(left.translation, |r| {
        (left.translation + r.translation) / 2.0
    });
    Some(Transform::from_translation(middle).with_rotation(left.rotation))
}

/// Reads the head from the eye cameras the runtime just placed.
fn track_head_from_eyes(eyes: Query<(&XrCamera, &Transform)>, mut seat: ResMut<SeatState>) {
    let head = head_from_eyes(&eyes);
    if head.is_some() && seat.head.is_none() {
        // The first tracked pose seats the person, wherever they sit.
        seat.wanted = true;
    }
    seat.head = head;
}

/// Places the tracking root at the scene's seat, recentred as asked.
fn place_root(
    view: Option<Res<SceneView>>,
    mut asks: MessageReader<Recentre>,
    mut seat: ResMut<SeatState>,
    mut roots: Query<&mut Transform, With<XrTrackingRoot>>,
) {
    let Some(view) = view else { return };
    if asks.read().count() > 0 {
        seat.wanted = true;
    }
    if seat.wanted
        && let Some(head) = seat.head
    {
        seat.wanted = false;
        seat.recentred_on = Some(head);
        info!("headset: recentred");
    }
    let root = seat::tracking_root(seat::seat(view.eye, view.heading_deg), seat.recentred_on);
    for mut transform in &mut roots {
        if *transform != root {
            *transform = root;
        }
    }
}

/// The window shows what the person sees: the desktop camera sits at the
/// head, between the eyes, looking where they look.
fn mirror_head(
    seat: Res<SeatState>,
    presentation: Res<Presentation>,
    roots: Query<&Transform, (With<XrTrackingRoot>, Without<ViewCamera>)>,
    mut cameras: Query<&mut Transform, With<ViewCamera>>,
) {
    let (Presentation::Headset, Some(head), Ok(root)) = (*presentation, seat.head, roots.single())
    else {
        return;
    };
    let pose = *root * head;
    for mut camera in &mut cameras {
        *camera = pose;
    }
}

fn spawn_veil(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let (r, g, b) = crate::overlay::VEIL;
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
    fade: Res<crate::overlay::Fade>,
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
    for (mut transform, mut visibility, material) in &mut veils {
        transform.translation = head.translation;
        if fade.alpha == *shown {
            continue;
        }
        *visibility = if fade.alpha > 0.0 {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
        if let Some(mut material) = materials.get_mut(&material.0) {
            material.base_color.set_alpha(fade.alpha);
        }
    }
    *shown = fade.alpha;
}

/// How the headset spares a renderer that runs on the CPU (no GPU): the
/// sun casts no shadows (each eye would render its own shadow maps) and the
/// mirror window is redrawn on every fourth frame only. On a GPU, nothing
/// is spared.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spare {
    /// Sun shadows are off.
    pub no_shadows: bool,
    /// The mirror is drawn on one frame in this many.
    pub mirror_every: u32,
}

impl Spare {
    /// What to spare on this kind of renderer.
    pub fn for_renderer(on_cpu: bool) -> Self {
        if on_cpu {
            Self {
                no_shadows: true,
                mirror_every: 4,
            }
        } else {
            Self {
                no_shadows: false,
                mirror_every: 1,
            }
        }
    }
}

fn choose_spare(adapter: Option<Res<RenderAdapterInfo>>, mut commands: Commands) {
    let on_cpu = adapter.is_some_and(|a| crate::view::renders_on_cpu(&a));
    let spare = Spare::for_renderer(on_cpu);
    if on_cpu {
        info!(
            "headset on a CPU renderer: no sun shadows, and the mirror window is redrawn on one frame in {}",
            spare.mirror_every
        );
    }
    commands.insert_resource(spare);
}

/// Applies [`Spare`]: the sun's shadows of each scene as it appears, and the
/// mirror's turn to be drawn.
fn spare_renderer(
    spare: Option<Res<Spare>>,
    presentation: Res<Presentation>,
    mut suns: Query<&mut DirectionalLight, Added<DirectionalLight>>,
    mut mirrors: Query<&mut Camera, With<ViewCamera>>,
    mut frame: Local<u32>,
) {
    let Some(spare) = spare else { return };
    if spare.no_shadows {
        for mut sun in &mut suns {
            sun.shadow_maps_enabled = false;
        }
    }
    *frame = frame.wrapping_add(1);
    // Back on the desktop, the window is the view and drawn every frame.
    let draw = *presentation == Presentation::Desktop || frame.is_multiple_of(spare.mirror_every);
    for mut camera in &mut mirrors {
        if camera.is_active != draw {
            camera.is_active = draw;
        }
    }
}

/// What the panel says while the session is paused, in the headset.
pub const PAUSED_WORDS: &str = "Paused  \u{b7}  the menu button goes on";

/// While paused, the panel in the headset says so (the window has its pause
/// panel); going on, it shows the pacer's caption again.
fn panel_says_paused(
    flow: Res<State<Flow>>,
    guide: Res<ActiveGuide>,
    now: Res<PacerNow>,
    mut texts: Query<&mut Text, With<PanelCaption>>,
) {
    match flow.get() {
        // Every frame, as the caption's countdown may still tick while the
        // pause fades in; compared first, so nothing is written or built
        // once it says so.
        Flow::Paused => {
            for mut text in &mut texts {
                if text.0 != PAUSED_WORDS {
                    text.0.clear();
                    text.0.push_str(PAUSED_WORDS);
                }
            }
        }
        Flow::Running if flow.is_changed() => {
            let words = match (guide.0.as_ref(), now.state.as_ref()) {
                (Some(guide), Some(state)) => crate::pacer::caption_text(&guide.schedule, state),
                _ => String::new(),
            };
            for mut text in &mut texts {
                text.0.clone_from(&words);
            }
        }
        Flow::Running => {}
    }
}

/// The caption panel's camera draws only when the caption changes (and the
/// frame after, while its layout settles); the texture keeps the words.
fn draw_panel_on_change(
    captions: Query<(), (Changed<Text>, With<PanelCaption>)>,
    mut cameras: Query<&mut Camera, With<CaptionPanel>>,
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

/// The eye cameras the runtime's plugin spawns get the scene's look: its
/// exposure, fog and tone mapping.
fn dress_eye_cameras(
    mut commands: Commands,
    eyes: Query<Entity, (With<XrCamera>, Without<SceneLook>)>,
    adapter: Option<Res<RenderAdapterInfo>>,
) {
    let on_cpu = adapter.is_some_and(|a| crate::view::renders_on_cpu(&a));
    for eye in &eyes {
        commands.entity(eye).insert((
            SceneLook,
            Hdr,
            Tonemapping::KhronosPbrNeutral,
            Exposure::default(),
            DistanceFog::default(),
            if on_cpu { Msaa::Off } else { Msaa::Sample4 },
        ));
    }
}

/// A caption you can read with the headset on: the caption drawn into a
/// texture and hung, world-locked, under the pacer.
fn spawn_caption_panel(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let (w, h) = seat::PANEL_PX;
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
            CaptionPanel,
            Name::new("caption panel camera"),
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
            PanelCaption,
            Text::new(""),
            TextFont::from_font_size(seat::PANEL_FONT_PX),
            TextColor(Color::srgba(0.97, 0.95, 0.9, 0.95)),
            TextShadow::default(),
            TextLayout::justify(Justify::Center),
        ));
    commands.spawn((
        PanelBoard,
        Mesh3d(meshes.add(Rectangle::new(seat::PANEL_WIDTH_M, seat::panel_height_m()))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(texture),
            unlit: true,
            fog_enabled: false,
            alpha_mode: AlphaMode::Blend,
            ..default()
        })),
        Transform::default(),
        // Hung, and shown, once a scene and its session are there.
        Visibility::Hidden,
        bevy::light::NotShadowCaster,
        Name::new("caption panel"),
    ));
}

/// Hangs the caption panel under the pacer, facing the seat; hidden when no
/// session runs.
fn hang_caption_panel(
    view: Option<Res<SceneView>>,
    current: Res<crate::scene::CurrentScene>,
    guide: Res<ActiveGuide>,
    mut panels: Query<(&mut Transform, &mut Visibility), With<PanelBoard>>,
    mut hung_for: Local<Option<u32>>,
) {
    let (Some(view), Some(scene)) = (view, current.shown.as_ref()) else {
        return;
    };
    if *hung_for == Some(current.generation) && !guide.is_changed() {
        return;
    }
    *hung_for = Some(current.generation);
    let seat = seat::seat(view.eye, view.heading_deg);
    let pacer = seat::pacer_offset(scene.pacer.distance_m, scene.pacer.below_eye_m);
    let at = seat * seat::panel_offset(pacer);
    for (mut transform, mut visibility) in &mut panels {
        *transform = Transform::from_translation(at).with_rotation(seat.rotation);
        *visibility = if guide.0.is_some() {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        };
    }
}

/// When the headset is gone, the window takes over where the session was:
/// paused, with the place kept, the desktop camera back at the seat.
fn fall_back_to_desktop(
    mut commands: Commands,
    mut status: ResMut<HeadsetStatus>,
    mut presentation: ResMut<Presentation>,
    mut next: ResMut<NextState<Flow>>,
    mut look: ResMut<crate::view::Look>,
    eyes: Query<Entity, With<XrCamera>>,
    clock: Res<SessionClock>,
) {
    if *presentation == Presentation::Desktop || status.closing {
        return;
    }
    // The render world may be the one that saw the runtime go.
    if status.broken() && status.lost.is_none() {
        status.lose("the runtime stopped answering".to_owned(), true);
    }
    let Some(why) = status.lost.as_deref() else {
        return;
    };
    warn!(
        "the headset session ended ({why}): going on in the window from {:.1} s into the session, paused; press Esc to continue",
        clock.shown() as f64 / 1e6
    );
    *presentation = Presentation::Desktop;
    if status.broken() {
        // Nothing more is asked of a runtime that stopped answering.
        commands.insert_resource(OxrSessionStarted(false));
        commands.insert_resource(XrState::Unavailable);
    }
    for eye in &eyes {
        commands.entity(eye).despawn();
    }
    status.paused_for_focus = false;
    next.set(Flow::Paused);
    // The desktop view is placed afresh from the scene.
    look.set_changed();
}

fn note_closing(mut exits: MessageReader<AppExit>, mut status: ResMut<HeadsetStatus>) {
    if exits.read().next().is_some() && !status.closing {
        status.closing = true;
        info!(
            "headset: closing after {} frames submitted",
            status.submitted.load(Ordering::Relaxed)
        );
    }
}

/// Writes the headset's state to the log every two seconds: frames, focus,
/// the head, the listener the mix is rendering for, and both clocks. The
/// headset tests read these lines.
fn report(
    time: Res<Time<Real>>,
    status: Res<HeadsetStatus>,
    cameras: Query<&GlobalTransform, With<ViewCamera>>,
    link: Option<Res<crate::audio::AudioLink>>,
    clock: Res<SessionClock>,
    now: Res<PacerNow>,
    mut last: Local<Duration>,
) {
    let elapsed = time.elapsed();
    if elapsed < *last + REPORT_EVERY {
        return;
    }
    *last = elapsed;
    // The desktop camera is the head: it follows the headset while there
    // is one, and is the view once the window takes over.
    let head = cameras
        .single()
        .map(|c| c.compute_transform())
        .unwrap_or_default();
    let yaw = seat::yaw_of(head.rotation).to_degrees();
    let (heard_at, heard_facing) = link
        .as_ref()
        .map(|l| l.clock.heard_from())
        .unwrap_or_default();
    let listener_yaw = seat::yaw_of_forward(Vec3::from_array(heard_facing)).to_degrees();
    let p = head.translation;
    info!(
        "headset report: frames {} submitted {} focused {} head {:.3} {:.3} {:.3} yaw {:.2} listener {:.3} {:.3} {:.3} yaw {:.2} pacer {:.3} audio {:.3}",
        status.frames_waited,
        status.submitted.load(Ordering::Relaxed),
        status.focused(),
        p.x,
        p.y,
        p.z,
        yaw,
        heard_at[0],
        heard_at[1],
        heard_at[2],
        listener_yaw,
        now.shown as f64 / 1e6,
        clock.heard as f64 / 1e6,
    );
}
