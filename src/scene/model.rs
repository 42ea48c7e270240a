//! The scene the app runs: a checked scene file turned into the values the
//! runtime uses, with everything generated from it (its [`Blueprint`]).
//!
//! The loader builds it on the asset server's task pool, so a scene's
//! generation never holds up a frame; showing it only uploads what is here.
//! Nothing at runtime reads the file format ([`super::format`]).

use super::blueprint::Blueprint;
use super::exposure::format::Shape;
use super::exposure::plan::{ExposurePlan, PlaceSpec};
use super::format::{PacerStyle, Rgb, SceneFile, SoundKind};
use super::procgen::mesh::MeshData;

/// A scene that passed every check, ready to show.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Name shown in the window title.
    pub title: String,
    /// The scene file (relative to this one's folder) that the safe-place
    /// action goes to; `None`: this scene is itself a safe place.
    pub(crate) safe_scene: Option<String>,
    /// Where the person sits and how they look out.
    pub seat: Seat,
    /// Exposure and haze.
    pub(crate) air: Air,
    /// Sun, sky and fill light.
    pub(crate) light: Light,
    /// The water surface's look, if there is water.
    pub(crate) water: Option<WaterLook>,
    /// The wind that sways the plants.
    pub(crate) wind: WindLook,
    /// How the breathing pacer looks here.
    pub(crate) pacer: PacerLook,
    /// The sounds placed in the scene, at their heights above its ground.
    pub(crate) sounds: Vec<SceneSound>,
    /// All generated geometry and placements.
    pub(crate) blueprint: Blueprint,
    /// Things built into the place.
    pub(crate) props: Vec<SceneProp>,
    /// Graded exposure, if this is an exposure scene.
    pub exposure: Option<ExposurePlan>,
    /// A hash of the file's bytes: the same file loaded again (a save
    /// without changes) has the same hash and is not shown again.
    pub(crate) source_hash: u64,
}

/// The seated viewpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seat {
    /// The eyes, metres.
    pub(crate) eye: [f32; 3],
    /// Heading the scene faces, degrees clockwise from north.
    pub(crate) heading_deg: f32,
    /// Pitch at the start, degrees.
    pub(crate) pitch_deg: f32,
    /// Vertical field of view on the desktop, degrees.
    pub fov_deg: f32,
}

/// Exposure and haze.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Air {
    /// Camera exposure, EV100.
    pub(crate) exposure_ev100: f32,
    /// Haze colour, linear.
    pub(crate) fog_color: Rgb,
    /// Haze glow towards the sun, linear.
    pub(crate) fog_sun_color: Rgb,
    /// Distance at which contrast falls to 5 %, metres.
    pub(crate) fog_visibility_m: f32,
}

/// Sun, sky and fill light.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Light {
    /// Unit vector towards the sun.
    pub(crate) sun_dir: [f32; 3],
    /// Height of the sun above the horizon, degrees.
    pub(crate) sun_elevation_deg: f32,
    /// Colour of the sunlight, linear.
    pub(crate) sun_color: Rgb,
    /// Illuminance facing the sun, lux.
    pub(crate) sun_illuminance_lux: f32,
    /// Whether the sun casts shadows.
    pub(crate) sun_shadows: bool,
    /// Whether the sun's disc is drawn.
    pub(crate) sun_disc: bool,
    /// Sky colour overhead, linear.
    pub(crate) sky_zenith: Rgb,
    /// Sky colour at the horizon, linear.
    pub(crate) sky_horizon: Rgb,
    /// How far up the horizon colour reaches.
    pub(crate) sky_horizon_blend: f32,
    /// How fast the cloud banks drift, degrees of azimuth a minute.
    pub(crate) cloud_drift_deg_per_min: f32,
    /// Colour of the sky's fill light, linear.
    pub(crate) ambient_color: Rgb,
    /// Brightness of the fill, cd/m².
    pub(crate) ambient_brightness: f32,
}

/// The water's look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WaterLook {
    /// Colour of deep water, linear.
    pub(crate) deep_color: Rgb,
    /// Colour of shallow water, linear.
    pub(crate) shallow_color: Rgb,
    /// Height of the swell, metres.
    pub(crate) wave_height_m: f32,
    /// Length of the swell, metres.
    pub(crate) wave_length_m: f32,
    /// Period of the swell, seconds.
    pub(crate) wave_period_s: f32,
    /// Where the swell travels, degrees clockwise from north.
    pub(crate) wave_toward_deg: f32,
}

/// The wind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WindLook {
    /// How strongly plants sway, 0 to 1.
    pub(crate) strength: f32,
    /// Period of a gust, seconds.
    pub(crate) period_s: f32,
    /// Where the wind blows, degrees clockwise from north.
    pub(crate) toward_deg: f32,
}

/// How the pacer looks in this scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PacerLook {
    /// An orb, a ring, or the scene's light.
    pub(crate) style: PacerStyle,
    /// Distance ahead of the eyes on the desktop, metres.
    pub(crate) distance_m: f32,
    /// Drop below the eyes, metres.
    pub(crate) below_eye_m: f32,
    /// Colour, linear.
    pub(crate) color: Rgb,
    /// Brightness multiplier.
    pub(crate) glow: f32,
}

/// A prop, its mesh generated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SceneProp {
    /// Its name, as an index into the exposure plan's prop names.
    pub(crate) name: Option<usize>,
    /// Its shape, standing on the origin.
    pub(crate) mesh: MeshData,
    /// Where the middle of its underside stands, metres.
    pub(crate) at: [f32; 3],
    /// Turn about the vertical, degrees clockwise from north.
    pub(crate) turn_deg: f32,
    /// Its colour, linear; white for a picture, whose colours are in its
    /// mesh.
    pub(crate) color: Rgb,
    /// Roughness, 0 to 1.
    pub(crate) roughness: f32,
    /// Metalness, 0 to 1.
    pub(crate) metal: f32,
    /// Clearness, 0 (opaque) to 0.9.
    pub(crate) clear: f32,
    /// Whether it is there when the scene opens.
    pub(crate) present: bool,
    /// For a spider, its leg span, metres (its mesh is the body; the legs
    /// are drawn apart, as they walk).
    pub(crate) spider: Option<f32>,
}

/// One sound placed in the scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SceneSound {
    /// What it is.
    pub(crate) kind: SoundKind,
    /// Where, metres, its height taken above the ground there.
    pub(crate) position_m: [f32; 3],
    /// Its level, dB.
    pub(crate) gain_db: f32,
    /// How big its source is, metres.
    pub(crate) size_m: f32,
    /// Seed of its variation.
    pub(crate) seed: u64,
    /// Its name, as an index into the exposure plan's sound names.
    pub(crate) name: Option<usize>,
    /// Whether it plays when the scene opens.
    pub(crate) on: bool,
}

impl Scene {
    /// Which of the scene's sounds play at `step` (from 0) of its
    /// hierarchy, in the order of [`Scene::sounds`]: as the scene places
    /// them, with the steps up to this one turning named sounds on or off.
    /// Without a step, or in a scene without steps, as the scene places them.
    pub(crate) fn sounds_at(&self, step: Option<usize>) -> Vec<bool> {
        let target = self.exposure.as_ref().zip(step).map(|(plan, step)| {
            plan.state_at(
                step.min(plan.steps.len().saturating_sub(1)),
                &plan.opening(self.wind.strength),
            )
        });
        self.sounds
            .iter()
            .map(|sound| {
                sound
                    .name
                    .zip(target.as_ref())
                    .and_then(|(name, target)| target.sounds[name])
                    .unwrap_or(sound.on)
            })
            .collect()
    }

    /// Builds the runtime scene from a file that passed validation
    /// (which bounds every size and count generated here); `source` is the
    /// file's bytes, for telling edits apart.
    pub fn from_checked(file: &SceneFile, source: &[u8]) -> Self {
        let blueprint = Blueprint::new(file);
        let v = &file.viewpoint;
        let seat = PlaceSpec::seat(blueprint.eye, v.heading_deg, v.pitch_deg);
        let exposure = file
            .exposure
            .as_ref()
            .map(|e| ExposurePlan::from_checked(e, &file.props, &file.sounds, &seat));
        let prop_name = |name: &Option<String>| {
            name.as_deref()
                .and_then(|n| exposure.as_ref().and_then(|e| e.prop_name(n)))
        };
        let sound_name = |name: &Option<String>| {
            name.as_deref()
                .and_then(|n| exposure.as_ref().and_then(|e| e.sound_name(n)))
        };
        let props = file
            .props
            .iter()
            .map(|prop| {
                let (mesh, color) = match &prop.shape {
                    Shape::Block { size_m } => (
                        MeshData::block([size_m.0, size_m.1, size_m.2]),
                        prop.surface.color,
                    ),
                    Shape::Column { radius_m, height_m } => {
                        (MeshData::column(*radius_m, *height_m), prop.surface.color)
                    }
                    Shape::Ball { radius_m } => (MeshData::ball(*radius_m), prop.surface.color),
                    Shape::Picture { size_m, drawing } => (
                        MeshData::picture([size_m.0, size_m.1], *drawing),
                        (1.0, 1.0, 1.0),
                    ),
                    Shape::Spider { span_m } => {
                        (MeshData::spider_body(*span_m), prop.surface.color)
                    }
                };
                let spider = match prop.shape {
                    Shape::Spider { span_m } => Some(span_m),
                    _ => None,
                };
                SceneProp {
                    name: prop_name(&prop.name),
                    mesh,
                    at: [prop.at_m.0, prop.at_m.1, prop.at_m.2],
                    turn_deg: prop.turn_deg,
                    color,
                    roughness: prop.surface.roughness,
                    metal: prop.surface.metal,
                    clear: prop.surface.clear,
                    present: prop.present,
                    spider,
                }
            })
            .collect();
        let sounds = file
            .sounds
            .iter()
            .enumerate()
            .map(|(i, sound)| {
                let (x, height, z) = sound.position_m;
                SceneSound {
                    kind: sound.kind,
                    position_m: [x, blueprint.terrain.height_at(x, z) + height, z],
                    gain_db: sound.gain_db,
                    size_m: sound.size_m,
                    seed: file.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    name: sound_name(&sound.name),
                    on: sound.on,
                }
            })
            .collect();
        let sun_dir = blueprint.sun_dir;
        Self {
            title: file.title.clone(),
            safe_scene: file.safe_scene.clone(),
            seat: Seat {
                eye: blueprint.eye,
                heading_deg: v.heading_deg,
                pitch_deg: v.pitch_deg,
                fov_deg: v.fov_deg,
            },
            air: Air {
                exposure_ev100: file.exposure_ev100,
                fog_color: file.fog.color,
                fog_sun_color: file.fog.sun_color,
                fog_visibility_m: file.fog.visibility_m,
            },
            light: Light {
                sun_dir,
                sun_elevation_deg: file.sun.elevation_deg,
                sun_color: file.sun.color,
                sun_illuminance_lux: file.sun.illuminance_lux,
                sun_shadows: file.sun.shadows,
                sun_disc: file.sun.disc,
                sky_zenith: file.sky.zenith,
                sky_horizon: file.sky.horizon,
                sky_horizon_blend: file.sky.horizon_blend,
                cloud_drift_deg_per_min: file
                    .sky
                    .clouds
                    .as_ref()
                    .map_or(0.0, |c| c.drift_deg_per_min),
                ambient_color: file.ambient.color,
                ambient_brightness: file.ambient.brightness,
            },
            water: file.water.as_ref().map(|w| WaterLook {
                deep_color: w.deep_color,
                shallow_color: w.shallow_color,
                wave_height_m: w.wave_height_m,
                wave_length_m: w.wave_length_m,
                wave_period_s: w.wave_period_s,
                wave_toward_deg: w.wave_toward_deg,
            }),
            wind: WindLook {
                strength: file.wind.strength,
                period_s: file.wind.period_s,
                toward_deg: file.wind.toward_deg,
            },
            pacer: PacerLook {
                style: file.pacer.style,
                distance_m: file.pacer.distance_m,
                below_eye_m: file.pacer.below_eye_m,
                color: file.pacer.color,
                glow: file.pacer.glow,
            },
            sounds,
            blueprint,
            props,
            exposure,
            source_hash: hash_of(source),
        }
    }
}

/// FNV-1a over the bytes: stable, and enough to tell two versions of a file
/// apart.
fn hash_of(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
