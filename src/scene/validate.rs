//! Checks of meaning on a parsed scene: ranges, sizes and references.
//!
//! Parsing guarantees the shape of a scene; this module guarantees that the
//! numbers make a place that can be built and sat in: no negative counts, no
//! colours outside 0..1, no ten-million-instance scatter, no terrain a thousand
//! kilometres wide, no `NaN`, and no reference to a file that is not there.
//! Every problem names the value by its path; [`super::parse`] turns the path
//! into a line and column.

use super::exposure::validate as exposure_checks;
use super::format::*;
use crate::diagnostics::{Checker, PathStep, Problem};
use crate::scene::procgen::terrain::TerrainShape;

/// Most instances one scatter entry may ask for.
const MAX_SCATTER_PER_ENTRY: u32 = 20_000;
/// Most instances all scatter entries together may ask for: about what a
/// software renderer still draws at an interactive rate.
const MAX_SCATTER_TOTAL: u64 = 60_000;
/// Most scatter entries: each brings its own meshes and materials.
const MAX_SCATTER_ENTRIES: usize = 64;
/// Most particles one entry may ask for.
const MAX_PARTICLES: u32 = 5_000;
/// Most particle entries: each brings its own mesh and material.
const MAX_PARTICLE_ENTRIES: usize = 16;
/// Most particles all entries together may ask for: every one is an entity
/// that moves each frame.
const MAX_PARTICLES_TOTAL: u64 = 10_000;
/// Widest terrain, metres: past this, fog hides the edge anyway.
const MAX_TERRAIN_SIZE_M: f32 = 4_000.0;
/// Finest terrain grid: 512 x 512 cells is about half a million triangles.
const MAX_TERRAIN_RESOLUTION: u32 = 512;
/// Most sounds one scene may place: each costs a voice in the mix.
pub(super) const MAX_SOUNDS: usize = 16;
/// The seated person's eyes must stay this far above the water, metres.
const MIN_EYE_ABOVE_WATER_M: f32 = 0.5;

/// Checks a parsed scene. `file_exists` answers whether a path relative to
/// the scene's own folder names an existing file.
pub(super) fn validate(scene: &SceneFile, file_exists: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    let mut c = Checker::default();
    c.text("title", &scene.title, 80);
    c.text("description", &scene.description, 200);
    if let Some(safe) = &scene.safe_scene {
        c.reference("safe_scene", safe, file_exists, "scene", "lake_dusk.ron");
    }
    c.within("viewpoint", |c| viewpoint(c, &scene.viewpoint));
    c.within("sky", |c| sky(c, &scene.sky));
    c.within("sun", |c| {
        let sun = &scene.sun;
        c.range("azimuth_deg", sun.azimuth_deg, -360.0, 360.0, "degrees");
        c.range("elevation_deg", sun.elevation_deg, -5.0, 90.0, "degrees");
        c.color("color", sun.color);
        c.range(
            "illuminance_lux",
            sun.illuminance_lux,
            0.0,
            120_000.0,
            "lux",
        );
    });
    c.within("ambient", |c| {
        c.color("color", scene.ambient.color);
        c.range(
            "brightness",
            scene.ambient.brightness,
            0.0,
            20_000.0,
            "cd/m²",
        );
    });
    c.within("fog", |c| {
        c.color("color", scene.fog.color);
        c.color("sun_color", scene.fog.sun_color);
        c.range("visibility_m", scene.fog.visibility_m, 10.0, 100_000.0, "m");
    });
    c.within("terrain", |c| terrain(c, &scene.terrain));
    if let Some(water) = &scene.water {
        c.within("water", |c| self::water(c, water));
    }
    counted_list(
        &mut c,
        "scatter",
        &scene.scatter,
        |entry| entry.count,
        (MAX_SCATTER_ENTRIES, "scatter entries"),
        (MAX_SCATTER_TOTAL, "scattered instances"),
        scatter,
    );
    counted_list(
        &mut c,
        "particles",
        &scene.particles,
        |entry| entry.count,
        (MAX_PARTICLE_ENTRIES, "particle entries"),
        (MAX_PARTICLES_TOTAL, "particles"),
        particles,
    );
    c.within("wind", |c| {
        c.range("strength", scene.wind.strength, 0.0, 1.0, "");
        c.range("period_s", scene.wind.period_s, 2.0, 30.0, "s");
        c.range(
            "toward_deg",
            scene.wind.toward_deg,
            -360.0,
            360.0,
            "degrees",
        );
    });
    c.range("exposure_ev100", scene.exposure_ev100, 6.0, 16.0, "EV100");
    if let Some(session) = &scene.session {
        c.reference(
            "session",
            session,
            file_exists,
            "session",
            "sessions/resonance.ron",
        );
    }
    if scene.sounds.len() > MAX_SOUNDS {
        c.problem(
            "sounds",
            format!(
                "has {} sounds; expected at most {MAX_SOUNDS}",
                scene.sounds.len()
            ),
        );
    }
    c.within("sounds", |c| {
        for (i, sound) in scene.sounds.iter().enumerate() {
            c.item(i, |c| {
                let (x, height, z) = sound.position_m;
                c.within("position_m", |c| {
                    for (j, (v, min, max)) in [
                        (x, -10_000.0, 10_000.0),
                        (height, -5.0, 500.0),
                        (z, -10_000.0, 10_000.0),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        c.at.push(PathStep::Index(j));
                        c.range_here(v, min, max, "m");
                        c.at.pop();
                    }
                });
                c.range("gain_db", sound.gain_db, -40.0, 20.0, "dB");
                c.range("size_m", sound.size_m, 0.1, 500.0, "m");
            });
        }
    });
    exposure_checks::sound_names(&mut c, &scene.sounds);
    exposure_checks::props(&mut c, &scene.props);
    if let Some(exposure) = &scene.exposure {
        exposure_checks::exposure(&mut c, exposure, &scene.props, &scene.sounds);
    }
    c.within("pacer", |c| {
        let p = &scene.pacer;
        c.range("distance_m", p.distance_m, 1.0, 3.0, "m");
        c.range("below_eye_m", p.below_eye_m, 0.0, 0.6, "m");
        c.color("color", p.color);
        c.range("glow", p.glow, 0.0, 8.0, "");
    });

    // Where the person sits must be dry ground, which needs a terrain that
    // passed its own checks.
    if c.problems.is_empty()
        && let Some(water) = &scene.water
    {
        let shape = TerrainShape::new(&scene.terrain, scene.seed);
        let (x, z) = scene.viewpoint.position_m;
        let eye = shape.height_at(x, z) + scene.viewpoint.eye_height_m;
        if eye < water.level_m + MIN_EYE_ABOVE_WATER_M {
            c.problem_at(
                vec![PathStep::Field("viewpoint"), PathStep::Field("position_m")],
                format!(
                    "the viewpoint's eyes would be {:.2} m above the water; expected at least {MIN_EYE_ABOVE_WATER_M} m (move the viewpoint to higher ground)",
                    eye - water.level_m
                ),
            );
        }
    }
    c.problems
}

fn viewpoint(c: &mut Checker, v: &Viewpoint) {
    ground_point(c, "position_m", v.position_m);
    c.range("eye_height_m", v.eye_height_m, 0.5, 3.0, "m");
    c.range("heading_deg", v.heading_deg, -360.0, 360.0, "degrees");
    c.range("pitch_deg", v.pitch_deg, -30.0, 30.0, "degrees");
    c.range("fov_deg", v.fov_deg, 30.0, 100.0, "degrees");
}

fn sky(c: &mut Checker, sky: &Sky) {
    c.color("zenith", sky.zenith);
    c.color("horizon", sky.horizon);
    c.color("below", sky.below);
    c.color("sun_glow", sky.sun_glow);
    c.range("horizon_blend", sky.horizon_blend, 0.1, 4.0, "");
    c.range("sun_glow_deg", sky.sun_glow_deg, 1.0, 90.0, "degrees");
    if let Some(clouds) = &sky.clouds {
        c.within("clouds", |c| {
            c.count("count", clouds.count, 200);
            c.color("color", clouds.color);
            c.span("elevation_deg", clouds.elevation_deg, 1.0, 60.0, "degrees");
            c.range(
                "drift_deg_per_min",
                clouds.drift_deg_per_min,
                0.0,
                3.0,
                "degrees a minute",
            );
        });
    }
}

fn terrain(c: &mut Checker, t: &Terrain) {
    c.range("size_m", t.size_m, 10.0, MAX_TERRAIN_SIZE_M, "m");
    c.count_between("resolution", t.resolution, 8, MAX_TERRAIN_RESOLUTION);
    c.range("base_height_m", t.base_height_m, -100.0, 100.0, "m");
    c.range("roughness_m", t.roughness_m, 0.0, 200.0, "m");
    c.range("feature_size_m", t.feature_size_m, 1.0, 2000.0, "m");
    if t.shapes.len() > 64 {
        c.problem(
            "shapes",
            format!(
                "{} landforms is too many; expected at most 64",
                t.shapes.len()
            ),
        );
    }
    c.within("shapes", |c| {
        for (i, shape) in t.shapes.iter().enumerate() {
            c.item(i, |c| match shape {
                Landform::Basin {
                    center_m,
                    radius_m,
                    depth_m,
                } => {
                    ground_point(c, "center_m", *center_m);
                    c.range("radius_m", *radius_m, 1.0, 4000.0, "m");
                    c.range("depth_m", *depth_m, 0.0, 500.0, "m");
                }
                Landform::Hill {
                    center_m,
                    radius_m,
                    height_m,
                } => {
                    ground_point(c, "center_m", *center_m);
                    c.range("radius_m", *radius_m, 1.0, 4000.0, "m");
                    c.range("height_m", *height_m, 0.0, 1000.0, "m");
                }
                Landform::Slope {
                    toward_deg,
                    drop_per_100m,
                    flatten_beyond_m,
                } => {
                    c.range("toward_deg", *toward_deg, -360.0, 360.0, "degrees");
                    c.range("drop_per_100m", *drop_per_100m, -50.0, 50.0, "m");
                    c.range("flatten_beyond_m", *flatten_beyond_m, 0.0, 4000.0, "m");
                }
            });
        }
    });
    c.within("colors", |c| {
        let colors = &t.colors;
        c.color("shore", colors.shore);
        c.color("low", colors.low);
        c.color("high", colors.high);
        c.color("steep", colors.steep);
        c.range("shore_band_m", colors.shore_band_m, 0.0, 50.0, "m");
        c.range("high_from_m", colors.high_from_m, 0.1, 1000.0, "m");
    });
}

fn water(c: &mut Checker, w: &Water) {
    c.range("level_m", w.level_m, -100.0, 100.0, "m");
    if let Some(size) = w.size_m {
        c.range("size_m", size, 10.0, 20_000.0, "m");
    }
    c.color("deep_color", w.deep_color);
    c.color("shallow_color", w.shallow_color);
    c.range("wave_height_m", w.wave_height_m, 0.0, 2.0, "m");
    c.range("wave_length_m", w.wave_length_m, 0.5, 200.0, "m");
    c.range("wave_period_s", w.wave_period_s, 1.5, 30.0, "s");
    c.range(
        "wave_toward_deg",
        w.wave_toward_deg,
        -360.0,
        360.0,
        "degrees",
    );
}

fn scatter(c: &mut Checker, s: &Scatter) {
    c.count("count", s.count, MAX_SCATTER_PER_ENTRY);
    area(c, "area", &s.area);
    if let Some(band) = s.altitude_m {
        c.span("altitude_m", band, -500.0, 1000.0, "m");
    }
    c.span("scale", s.scale, 0.05, 20.0, "");
    c.color("color", s.color);
    c.range("color_variation", s.color_variation, 0.0, 0.5, "");
}

fn particles(c: &mut Checker, p: &Particles) {
    c.count("count", p.count, MAX_PARTICLES);
    area(c, "area", &p.area);
    c.span("height_m", p.height_m, 0.0, 100.0, "m");
    c.color("color", p.color);
    c.range("glow", p.glow, 0.0, 20.0, "");
    c.range("size_m", p.size_m, 0.005, 0.3, "m");
    c.range("drift_m_per_s", p.drift_m_per_s, 0.0, 0.5, "m/s");
}

/// A list of entries that each ask for a number of things: at most
/// `entries.0` entries, each checked by `check`, and at most `total.0`
/// things in all.
fn counted_list<T>(
    c: &mut Checker,
    field: &'static str,
    list: &[T],
    count: impl Fn(&T) -> u32,
    entries: (usize, &str),
    total: (u64, &str),
    check: impl Fn(&mut Checker, &T),
) {
    c.list_len(field, list.len(), entries.0, entries.1);
    let mut sum: u64 = 0;
    c.within(field, |c| {
        for (i, entry) in list.iter().enumerate() {
            sum += u64::from(count(entry));
            c.item(i, |c| check(c, entry));
        }
    });
    if sum > total.0 {
        c.problem_at(
            vec![PathStep::Field(field)],
            format!(
                "{sum} {} in all is too many; expected at most {}",
                total.1, total.0
            ),
        );
    }
}

/// A point on the ground, (x, z) metres, within the largest terrain.
fn ground_point(c: &mut Checker, field: &'static str, (x, z): GroundPoint) {
    c.within(field, |c| {
        for (i, v) in [x, z].into_iter().enumerate() {
            c.at.push(PathStep::Index(i));
            c.range_here(v, -10_000.0, 10_000.0, "m");
            c.at.pop();
        }
    });
}

/// Where things are scattered.
fn area(c: &mut Checker, field: &'static str, area: &Area) {
    c.within(field, |c| match area {
        Area::Everywhere => {}
        Area::Ring { center_m, inner_m, outer_m } => {
            ground_point(c, "center_m", *center_m);
            c.range("inner_m", *inner_m, 0.0, 10_000.0, "m");
            c.range("outer_m", *outer_m, 0.0, 10_000.0, "m");
            if inner_m.is_finite() && outer_m.is_finite() && outer_m <= inner_m {
                c.problem("outer_m", format!("outer radius {outer_m} m is not beyond the inner radius {inner_m} m; expected outer_m > inner_m"));
            }
        }
        Area::Rect { min_m, max_m } => {
            ground_point(c, "min_m", *min_m);
            ground_point(c, "max_m", *max_m);
            if max_m.0 <= min_m.0 || max_m.1 <= min_m.1 {
                c.problem("max_m", format!("({}, {}) is not beyond min_m ({}, {}) on both axes; expected a rectangle with some area", max_m.0, max_m.1, min_m.0, min_m.1));
            }
        }
    });
}
