//! The scene file format: what a scene author writes in RON.
//!
//! These types are the external format only. They are parsed, checked by
//! [`super::validate`], and then turned into the runtime's own
//! [`super::model::Scene`]; nothing at runtime reads them. The types of the
//! `props` and `exposure` sections are graded exposure's, in
//! [`super::exposure::format`].
//!
//! Conventions: distances in metres, angles in degrees, colours as linear-light
//! `(r, g, b)` in 0..1, `y` is up and a heading of 0 degrees looks north
//! (towards -z). New sections are added with `#[serde(default)]` so that older
//! files keep loading.

use serde::{Deserialize, Serialize};

use super::exposure::format::{Exposure, Prop};

/// A linear-light colour, each channel in 0..1.
pub(super) type Rgb = (f32, f32, f32);

/// A point on the ground plane: `(x, z)` in metres.
pub(super) type GroundPoint = (f32, f32);

/// A closed range `(min, max)`.
pub(super) type Range = (f32, f32);

/// One calming place: its landform, water, sky, light, plants and motion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneFile {
    /// Name shown in the window title and by `stillpoint scenes`.
    pub(crate) title: String,
    /// One line saying what the place is.
    pub(crate) description: String,
    /// Seed of every procedural choice (terrain noise, scattering). Same seed,
    /// same place.
    #[serde(default)]
    pub(crate) seed: u64,
    /// Scene file (relative to this one) that the person's "safe place"
    /// action switches to. `None`: this scene is itself the safe place.
    #[serde(default)]
    pub safe_scene: Option<String>,
    /// Where the person sits and looks.
    pub(crate) viewpoint: Viewpoint,
    /// Sky colours.
    pub(crate) sky: Sky,
    /// The sun: the key light.
    pub(crate) sun: Sun,
    /// Soft light from the whole sky: the fill.
    #[serde(default)]
    pub(crate) ambient: Ambient,
    /// Haze that separates near, middle and far.
    #[serde(default)]
    pub(crate) fog: Fog,
    /// The ground.
    pub terrain: Terrain,
    /// A water surface, if the place has one.
    #[serde(default)]
    pub water: Option<Water>,
    /// Plants and stones scattered over the ground.
    #[serde(default)]
    pub scatter: Vec<Scatter>,
    /// Slowly drifting motes or fireflies.
    #[serde(default)]
    pub(crate) particles: Vec<Particles>,
    /// The wind that sways plants and carries particles.
    #[serde(default)]
    pub(crate) wind: Wind,
    /// Camera exposure as EV100: lower is brighter. 6 to 16; default 9.7.
    #[serde(default = "defaults::exposure_ev100")]
    pub(crate) exposure_ev100: f32,
    /// Guided session file (relative to this scene, for example
    /// `"sessions/resonance.ron"`) that starts with the scene. `None`: the
    /// scene alone, with no pacer, unless one is chosen on the command line.
    #[serde(default)]
    pub(crate) session: Option<String>,
    /// Sounds placed in the scene. At most 16.
    #[serde(default)]
    pub(crate) sounds: Vec<Sound>,
    /// How the breathing pacer looks here.
    #[serde(default)]
    pub(crate) pacer: Pacer,
    /// Things built into the place (walls, floors, rails, glass,
    /// furniture). At most 400.
    #[serde(default)]
    pub(crate) props: Vec<Prop>,
    /// Graded exposure: the steps and events a therapist chooses from.
    /// `None`: a calm scene. In an exposure scene the breathing pacer is off
    /// until asked for.
    #[serde(default)]
    pub exposure: Option<Exposure>,
}

/// The seated viewpoint. Nothing but the person moves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Viewpoint {
    /// Where the person sits, `(x, z)` in metres; the ground height there is
    /// taken from the terrain.
    pub(crate) position_m: GroundPoint,
    /// Eye height above the ground, metres. 0.5 to 3; default 1.2 (seated).
    #[serde(default = "defaults::eye_height_m")]
    pub(crate) eye_height_m: f32,
    /// Direction the view faces at the start, degrees clockwise from north
    /// (-z). -360 to 360; default 0.
    #[serde(default)]
    pub(crate) heading_deg: f32,
    /// Starting pitch, degrees; negative looks down. -30 to 30; default -3.
    #[serde(default = "defaults::pitch_deg")]
    pub(crate) pitch_deg: f32,
    /// Vertical field of view on the desktop, degrees. 30 to 100; default 55.
    #[serde(default = "defaults::fov_deg")]
    pub(crate) fov_deg: f32,
}

/// A gradient sky dome with a glow around the sun.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sky {
    /// Colour straight overhead.
    pub(crate) zenith: Rgb,
    /// Colour at the horizon.
    pub(crate) horizon: Rgb,
    /// Colour below the horizon (seen only past the edge of the world).
    #[serde(default = "defaults::sky_ground")]
    pub(crate) below: Rgb,
    /// How far up the horizon colour reaches: the exponent of the blend.
    /// 0.1 (horizon colour high into the sky) to 4; default 0.6.
    #[serde(default = "defaults::horizon_blend")]
    pub(crate) horizon_blend: f32,
    /// Colour of the glow around the sun, added to the sky.
    #[serde(default = "defaults::sun_glow")]
    pub(crate) sun_glow: Rgb,
    /// Angular radius of the sun glow, degrees. 1 to 90; default 25.
    #[serde(default = "defaults::sun_glow_deg")]
    pub(crate) sun_glow_deg: f32,
    /// Soft cloud banks, if any.
    #[serde(default)]
    pub(crate) clouds: Option<Clouds>,
}

/// Soft cloud banks drifting across the sky.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Clouds {
    /// Number of cloud banks. 0 to 200.
    pub(crate) count: u32,
    /// Colour of the clouds (lit side).
    pub(crate) color: Rgb,
    /// Elevation band above the horizon where clouds sit, degrees `(min, max)`
    /// within 1 to 60.
    #[serde(default = "defaults::cloud_elevation_deg")]
    pub(crate) elevation_deg: Range,
    /// Drift across the sky, degrees of azimuth per minute. 0 to 3; default 0.5.
    #[serde(default = "defaults::cloud_drift")]
    pub(crate) drift_deg_per_min: f32,
}

/// The sun, the scene's key light.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sun {
    /// Compass direction of the sun, degrees clockwise from north. -360 to 360.
    pub(crate) azimuth_deg: f32,
    /// Height of the sun above the horizon, degrees. -5 to 90.
    pub(crate) elevation_deg: f32,
    /// Colour of the sunlight.
    pub(crate) color: Rgb,
    /// Illuminance on a surface facing the sun, lux. 0 to 120000.
    pub(crate) illuminance_lux: f32,
    /// Whether the sun casts shadows. Default true.
    #[serde(default = "defaults::yes")]
    pub(crate) shadows: bool,
    /// Whether the sun's disc is drawn in the sky. Default true.
    #[serde(default = "defaults::yes")]
    pub(crate) disc: bool,
}

/// Light from the whole sky.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Ambient {
    /// Colour of the sky fill.
    pub(crate) color: Rgb,
    /// Brightness of the fill, in Bevy's ambient units (cd/m²). 0 to 20000;
    /// default 900.
    pub(crate) brightness: f32,
}

/// Distance haze.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fog {
    /// Colour of the haze; usually close to the horizon colour.
    pub(crate) color: Rgb,
    /// Distance at which contrast falls to 5 %, metres. 10 to 100000;
    /// default 1200.
    pub(crate) visibility_m: f32,
    /// Colour of the glow in the haze when looking towards the sun.
    #[serde(default = "defaults::fog_sun")]
    pub(crate) sun_color: Rgb,
}

/// The ground: a seeded height function sampled on a square grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terrain {
    /// Width and depth of the square of ground, metres. 10 to 4000;
    /// default 600.
    #[serde(default = "defaults::terrain_size_m")]
    pub(crate) size_m: f32,
    /// Grid cells along each side. 8 to 512; default 192.
    #[serde(default = "defaults::terrain_resolution")]
    pub resolution: u32,
    /// Height of flat ground, metres. -100 to 100; default 1.
    #[serde(default = "defaults::base_height_m")]
    pub(crate) base_height_m: f32,
    /// Height of the rolling noise, metres. 0 to 200; default 1.5.
    #[serde(default = "defaults::roughness_m")]
    pub(crate) roughness_m: f32,
    /// Size of the largest noise features, metres. 1 to 2000; default 60.
    #[serde(default = "defaults::feature_size_m")]
    pub(crate) feature_size_m: f32,
    /// Landforms added to the noise, in order.
    #[serde(default)]
    pub(crate) shapes: Vec<Landform>,
    /// Ground colours.
    pub(crate) colors: GroundColors,
}

/// A landform added to the terrain's height.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) enum Landform {
    /// A smooth bowl, for a lake or a pond.
    Basin {
        /// Centre, metres.
        center_m: GroundPoint,
        /// Radius of the bowl's rim, metres. 1 to 4000.
        radius_m: f32,
        /// Depth at the centre, metres. 0 to 500.
        depth_m: f32,
    },
    /// A smooth rounded hill.
    Hill {
        /// Centre, metres.
        center_m: GroundPoint,
        /// Radius of the hill's foot, metres. 1 to 4000.
        radius_m: f32,
        /// Height at the top, metres. 0 to 1000.
        height_m: f32,
    },
    /// A plane tilt: the ground falls towards a compass direction, as a
    /// beach falls towards the sea.
    Slope {
        /// Compass direction the ground falls towards, degrees from north.
        toward_deg: f32,
        /// Fall in metres per 100 m of distance. -50 to 50.
        drop_per_100m: f32,
        /// Distance beyond which the ground stops falling, metres from the
        /// centre. 0 to 4000; 0 means never.
        #[serde(default)]
        flatten_beyond_m: f32,
    },
}

/// Ground colours chosen by height above the water and by steepness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroundColors {
    /// Colour at the water's edge (sand, mud, pebbles).
    pub(crate) shore: Rgb,
    /// Colour of most of the ground (grass, moss).
    pub(crate) low: Rgb,
    /// Colour of high ground.
    pub(crate) high: Rgb,
    /// Colour of steep slopes (rock).
    #[serde(default = "defaults::rock")]
    pub(crate) steep: Rgb,
    /// Height of the shore band above the water (or above 0 without
    /// water), metres. 0 to 50; default 0.8.
    #[serde(default = "defaults::shore_band_m")]
    pub(crate) shore_band_m: f32,
    /// Height at which the ground is fully `high`, metres. 0.1 to 1000;
    /// default 25.
    #[serde(default = "defaults::high_from_m")]
    pub(crate) high_from_m: f32,
}

/// A body of water: a flat surface with slow animated waves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Water {
    /// Height of the still surface, metres. -100 to 100; default 0.
    #[serde(default)]
    pub(crate) level_m: f32,
    /// Width of the square of water, metres. 10 to 20000; default: the
    /// terrain's size.
    #[serde(default)]
    pub(crate) size_m: Option<f32>,
    /// Colour of deep water, looking down into it.
    pub(crate) deep_color: Rgb,
    /// Colour of shallow water near the shore.
    pub(crate) shallow_color: Rgb,
    /// Height of the waves, crest to trough, metres. 0 to 2; default 0.06.
    #[serde(default = "defaults::wave_height_m")]
    pub(crate) wave_height_m: f32,
    /// Distance between crests, metres. 0.5 to 200; default 4.
    #[serde(default = "defaults::wave_length_m")]
    pub(crate) wave_length_m: f32,
    /// Time between crests passing a point, seconds. 1.5 to 30; default 4.
    /// Long periods read as calm.
    #[serde(default = "defaults::wave_period_s")]
    pub(crate) wave_period_s: f32,
    /// Compass direction the waves travel towards, degrees.
    #[serde(default)]
    pub(crate) wave_toward_deg: f32,
}

/// Many copies of one generated plant or stone scattered over the ground.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scatter {
    /// What is scattered.
    pub kind: ScatterKind,
    /// How many. 0 to 20000 per entry, 60000 in all.
    pub count: u32,
    /// Where on the ground.
    #[serde(default)]
    pub area: Area,
    /// Allowed ground height above the water level (or above 0), metres,
    /// `(min, max)`. Default: anywhere above the water.
    #[serde(default)]
    pub altitude_m: Option<Range>,
    /// Size relative to the kind's natural size, `(min, max)` within 0.05 to 20.
    #[serde(default = "defaults::scale")]
    pub scale: Range,
    /// Main colour (foliage, or the stone itself).
    pub color: Rgb,
    /// How much each copy's colour may differ, 0 to 0.5; default 0.12.
    #[serde(default = "defaults::color_variation")]
    pub color_variation: f32,
}

/// The generated meshes a scatter can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScatterKind {
    /// A conifer, about 9 m tall.
    Pine,
    /// A round-crowned broadleaf tree, about 8 m tall.
    Broadleaf,
    /// A low rounded bush, about 1.2 m.
    Bush,
    /// A palm with a leaning trunk, about 7 m.
    Palm,
    /// A weathered stone, about 0.8 m across.
    Rock,
    /// A tuft of reeds at the water's edge, about 1.4 m.
    Reeds,
    /// A tuft of grass, about 0.4 m.
    Grass,
}

/// A region of the ground plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum Area {
    /// The whole terrain.
    #[default]
    Everywhere,
    /// A ring around a centre, metres.
    Ring {
        /// Centre of the ring.
        center_m: GroundPoint,
        /// Inner radius: nothing closer. 0 or more.
        inner_m: f32,
        /// Outer radius: nothing further. Greater than `inner_m`.
        outer_m: f32,
    },
    /// An axis-aligned rectangle.
    Rect {
        /// Corner with the smallest `x` and `z`.
        min_m: GroundPoint,
        /// Corner with the largest `x` and `z`.
        max_m: GroundPoint,
    },
}

/// Small glowing points drifting slowly through the air.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Particles {
    /// How they look and move.
    pub(crate) kind: ParticleKind,
    /// How many. 0 to 5000.
    pub(crate) count: u32,
    /// Where over the ground.
    #[serde(default)]
    pub(crate) area: Area,
    /// Height band above the ground, metres `(min, max)` within 0 to 100.
    #[serde(default = "defaults::particle_height_m")]
    pub(crate) height_m: Range,
    /// Colour of the glow.
    pub(crate) color: Rgb,
    /// Glow strength relative to the scene's light. 0 to 20; default 2.
    #[serde(default = "defaults::particle_glow")]
    pub(crate) glow: f32,
    /// Diameter, metres. 0.005 to 0.3; default 0.04.
    #[serde(default = "defaults::particle_size_m")]
    pub(crate) size_m: f32,
    /// Drift speed, metres per second. 0 to 0.5; default 0.08.
    #[serde(default = "defaults::particle_drift")]
    pub(crate) drift_m_per_s: f32,
}

/// How particles behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ParticleKind {
    /// Dust or pollen catching the light: steady glow.
    Motes,
    /// Fireflies: a glow that swells and fades over several seconds, never
    /// faster than once every 2.5 s, so nothing flashes.
    Fireflies,
}

/// The wind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Wind {
    /// Strength of the sway, 0 (still) to 1 (a steady breeze). Default 0.3.
    pub(crate) strength: f32,
    /// Time of one sway, seconds. 2 to 30; default 6. Long is calm.
    pub(crate) period_s: f32,
    /// Compass direction the wind blows towards, degrees.
    #[serde(default)]
    pub(crate) toward_deg: f32,
}

/// A sound placed in the scene: synthesised, never a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sound {
    /// The name exposure steps use to turn it on and off (letters, digits,
    /// `_` and `-`). Default: none.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Whether it plays when the scene opens. Default true.
    #[serde(default = "defaults::yes")]
    pub(crate) on: bool,
    /// What it is.
    pub(crate) kind: SoundKind,
    /// Where it is: `(x, height above the ground, z)` in metres.
    pub(crate) position_m: (f32, f32, f32),
    /// Level, dB relative to the kind's calibrated level at the source's size.
    /// -40 to 20; default 0. Small loud sources heard from afar (a bird) need
    /// a high gain.
    #[serde(default)]
    pub(crate) gain_db: f32,
    /// How big the source is, metres (a lake shore is wide, a bird small):
    /// near a big source the sound surrounds the listener rather than coming
    /// from a point. 0.1 to 500; default 1.
    #[serde(default = "defaults::sound_size_m")]
    pub(crate) size_m: f32,
}

/// The kinds of sound Stillpoint synthesises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum SoundKind {
    /// Small waves lapping a shore.
    LappingWater,
    /// Ocean surf on a beach.
    Surf,
    /// Wind in leaves.
    LeafWind,
    /// A small stream.
    Stream,
    /// Steady soft rain.
    Rain,
    /// Crickets.
    Crickets,
    /// Birdsong, now and then.
    Birdsong,
}

/// How the breathing pacer looks in this scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Pacer {
    /// Its form. Default `Orb`.
    pub(crate) style: PacerStyle,
    /// Distance in front of the seat, metres. 1 to 3; default 1.5.
    pub(crate) distance_m: f32,
    /// How far below eye level it floats, metres. 0 to 0.6; default 0.2.
    pub(crate) below_eye_m: f32,
    /// Its colour, linear-light.
    pub(crate) color: Rgb,
    /// How brightly it glows, 0 to 8; default 1.2. Bright enough to bloom
    /// softly, never to dazzle.
    pub(crate) glow: f32,
}

/// The forms of the pacer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum PacerStyle {
    /// A glowing orb that grows as the lungs fill.
    #[default]
    Orb,
    /// A thin glowing ring that widens as the lungs fill.
    Ring,
    /// No object: the scene's light brightens gently as the lungs fill.
    Light,
}

impl Default for Pacer {
    fn default() -> Self {
        Self {
            style: PacerStyle::Orb,
            distance_m: 1.5,
            below_eye_m: 0.2,
            color: (1.0, 0.78, 0.55),
            glow: 1.2,
        }
    }
}

impl Default for Ambient {
    fn default() -> Self {
        Self {
            color: (0.6, 0.7, 0.9),
            brightness: 900.0,
        }
    }
}

impl Default for Fog {
    fn default() -> Self {
        Self {
            color: (0.7, 0.75, 0.8),
            visibility_m: 1200.0,
            sun_color: defaults::fog_sun(),
        }
    }
}

impl Default for Wind {
    fn default() -> Self {
        Self {
            strength: 0.3,
            period_s: 6.0,
            toward_deg: 0.0,
        }
    }
}

/// Default values, named so the format documentation and the code agree.
pub(super) mod defaults {
    use super::{Range, Rgb};

    pub(super) fn exposure_ev100() -> f32 {
        9.7
    }
    pub(super) fn sound_size_m() -> f32 {
        1.0
    }
    pub(super) fn eye_height_m() -> f32 {
        1.2
    }
    pub(super) fn pitch_deg() -> f32 {
        -3.0
    }
    pub(super) fn fov_deg() -> f32 {
        55.0
    }
    pub(crate) fn sky_ground() -> Rgb {
        (0.2, 0.2, 0.22)
    }
    pub(super) fn horizon_blend() -> f32 {
        0.6
    }
    pub(super) fn sun_glow() -> Rgb {
        (0.5, 0.35, 0.2)
    }
    pub(super) fn sun_glow_deg() -> f32 {
        25.0
    }
    pub(super) fn cloud_elevation_deg() -> Range {
        (4.0, 25.0)
    }
    pub(super) fn cloud_drift() -> f32 {
        0.5
    }
    pub(super) fn yes() -> bool {
        true
    }
    pub(super) fn fog_sun() -> Rgb {
        (1.0, 0.85, 0.6)
    }
    pub(super) fn terrain_size_m() -> f32 {
        600.0
    }
    pub(super) fn terrain_resolution() -> u32 {
        192
    }
    pub(super) fn base_height_m() -> f32 {
        1.0
    }
    pub(super) fn roughness_m() -> f32 {
        1.5
    }
    pub(super) fn feature_size_m() -> f32 {
        60.0
    }
    pub(crate) fn rock() -> Rgb {
        (0.28, 0.26, 0.24)
    }
    pub(super) fn shore_band_m() -> f32 {
        0.8
    }
    pub(super) fn high_from_m() -> f32 {
        25.0
    }
    pub(super) fn wave_height_m() -> f32 {
        0.06
    }
    pub(super) fn wave_length_m() -> f32 {
        4.0
    }
    pub(super) fn wave_period_s() -> f32 {
        4.0
    }
    pub(super) fn scale() -> Range {
        (0.8, 1.2)
    }
    pub(super) fn color_variation() -> f32 {
        0.12
    }
    pub(super) fn particle_height_m() -> Range {
        (0.5, 3.0)
    }
    pub(super) fn particle_glow() -> f32 {
        2.0
    }
    pub(super) fn particle_size_m() -> f32 {
        0.04
    }
    pub(super) fn particle_drift() -> f32 {
        0.08
    }
}
