//! Spiders as exposure scenes show them: a body of two parts on eight legs
//! that walk as legs do. Pure: the body's shape, where each leg joins it and
//! where its foot rests, the gait that plants and lifts the feet, the knee
//! of each leg, and the path of a spider walking about.
//!
//! **The gait.** A foot stays exactly where it was put down until it steps
//! (it never slides); it steps once the body has carried its resting place
//! more than a stride's trigger away, landing a little ahead of where it
//! would rest, so that it keeps up. The legs step in two alternating sets of
//! four (first and third on one side with second and fourth on the other),
//! so four feet are always down; a foot about to be left out of reach steps
//! at once whatever the other set is doing.
//!
//! Sizes scale with the leg span `span` (tip to tip of the outstretched
//! legs, metres): a house spider about 0.05, a large one 0.12.

use bevy::math::{Quat, Vec3};

/// Legs, in order: left 1 to 4 (front to back), then right 1 to 4.
pub(super) const LEGS: usize = 8;

/// The body's shape, in the spider's own frame (x to its right, y up, -z
/// ahead), for a span of 1: the front part's centre and half-sizes, the
/// back part's, and how high the body rides above its feet.
pub(crate) struct Build {
    /// Centre and half-sizes of the front part (head and thorax).
    pub(crate) front: (Vec3, Vec3),
    /// Centre and half-sizes of the abdomen.
    pub(crate) back: (Vec3, Vec3),
}

/// Height of the body's underside above the feet, per metre of span.
const RIDE: f32 = 0.09;
/// Length of the upper leg and of the lower leg, per metre of span.
pub(super) const UPPER: f32 = 0.30;
/// See [`UPPER`].
pub(super) const LOWER: f32 = 0.38;
/// Thickness (radius) of a leg, per metre of span.
pub(super) const LEG_RADIUS: f32 = 0.014;
/// How far a foot's resting place may get from the foot before it steps,
/// per metre of span.
const TRIGGER: f32 = 0.16;
/// How high a stepping foot lifts, per metre of span.
const LIFT: f32 = 0.07;

/// The body for a span of 1.
pub(crate) fn build() -> Build {
    Build {
        front: (
            Vec3::new(0.0, RIDE + 0.05, -0.05),
            Vec3::new(0.075, 0.05, 0.09),
        ),
        back: (
            Vec3::new(0.0, RIDE + 0.07, 0.14),
            Vec3::new(0.09, 0.075, 0.13),
        ),
    }
}

/// Where leg `leg` joins the body, for a span of 1, in the spider's frame.
fn hip(leg: usize) -> Vec3 {
    let side = if leg < 4 { -1.0 } else { 1.0 };
    let k = (leg % 4) as f32;
    Vec3::new(side * 0.06, RIDE + 0.06, -0.11 + k * 0.04)
}

/// Where leg `leg`'s foot rests when the spider stands, for a span of 1, in
/// the spider's frame, on the ground (y = 0): the front legs reach forward,
/// the back legs back, spread like a spider's.
fn rest(leg: usize) -> Vec3 {
    let side = if leg < 4 { -1.0 } else { 1.0 };
    // Angles from straight ahead, degrees, front to back.
    let angle = [32.0f32, 68.0, 112.0, 150.0][leg % 4].to_radians();
    let reach = [0.40, 0.34, 0.32, 0.38][leg % 4];
    let h = hip(leg);
    Vec3::new(
        h.x + side * angle.sin() * reach,
        0.0,
        h.z - angle.cos() * reach,
    )
}

/// Whether leg `leg` is in the first of the two sets that step together.
fn first_set(leg: usize) -> bool {
    (leg % 4) % 2 == usize::from(leg >= 4)
}

/// How long a step takes, seconds: quicker for a small spider.
fn swing_s(span: f32) -> f32 {
    0.05 + 0.4 * span
}

/// The knee of a leg from `hip` to `foot` with upper and lower lengths `a`
/// and `b`: bent upwards and outwards, in the upright plane through both.
/// A foot out of reach straightens the leg towards it.
pub(super) fn knee(hip: Vec3, foot: Vec3, a: f32, b: f32) -> Vec3 {
    let to = foot - hip;
    let d = to.length().clamp(1e-6, (a + b) * 0.9999);
    let dir = to.normalize_or(Vec3::NEG_Y);
    let along = (a * a - b * b + d * d) / (2.0 * d);
    let up = (a * a - along * along).max(0.0).sqrt();
    // Perpendicular to the leg, in its upright plane, pointing up.
    let side = dir.cross(Vec3::Y).normalize_or(Vec3::X);
    let mut bend = side.cross(dir);
    if bend.y < 0.0 {
        bend = -bend;
    }
    hip + dir * along + bend * up
}

/// One foot: down somewhere, or on its way from one place to another.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Foot {
    /// Where it is down, or where it left from, world metres.
    pub(super) down: Vec3,
    /// A step under way: where it lands and how far along (0 to 1).
    pub(super) step: Option<(Vec3, f32)>,
}

impl Foot {
    /// Where the foot is now: down, or along its step with a lift.
    pub(super) fn at(&self, lift: f32) -> Vec3 {
        match self.step {
            None => self.down,
            Some((to, t)) => {
                let eased = t * t * (3.0 - 2.0 * t);
                self.down.lerp(to, eased) + Vec3::Y * lift * (t * std::f32::consts::PI).sin()
            }
        }
    }
}

/// The feet of one spider and the body they carry.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Gait {
    /// Leg span, metres.
    pub(super) span: f32,
    /// The feet, in leg order.
    pub(super) feet: [Foot; LEGS],
    /// Where the body stood last, for its speed.
    last: Option<(Vec3, Quat)>,
}

impl Gait {
    /// A spider of `span` standing at `at` (the ground under its middle)
    /// facing `facing`, its feet at rest.
    pub(super) fn standing(span: f32, at: Vec3, facing: Quat) -> Self {
        let mut gait = Self {
            span,
            feet: [Foot {
                down: Vec3::ZERO,
                step: None,
            }; LEGS],
            last: None,
        };
        gait.stand(at, facing);
        gait
    }

    /// A spider hanging on its thread at `at`: its legs drawn in and
    /// hanging a little below it, no foot down.
    pub(super) fn hanging(span: f32, at: Vec3, facing: Quat) -> Self {
        let mut gait = Self::standing(span, at, facing);
        for (leg, foot) in gait.feet.iter_mut().enumerate() {
            let rest = rest(leg);
            let drawn_in = Vec3::new(rest.x * 0.6, -0.05, rest.z * 0.6);
            foot.down = at + facing * (drawn_in * span);
        }
        gait.last = None;
        gait
    }

    /// Puts every foot down at rest about a body at `at` facing `facing`.
    fn stand(&mut self, at: Vec3, facing: Quat) {
        for (leg, foot) in self.feet.iter_mut().enumerate() {
            foot.down = at + facing * (rest(leg) * self.span);
            foot.step = None;
        }
        self.last = Some((at, facing));
    }

    /// Where leg `leg` joins the body at `at` facing `facing`.
    pub(super) fn hip_at(&self, leg: usize, at: Vec3, facing: Quat) -> Vec3 {
        at + facing * (hip(leg) * self.span)
    }

    /// The longest a leg reaches, metres.
    fn reach(&self) -> f32 {
        (UPPER + LOWER) * self.span
    }

    /// How high a stepping foot lifts, metres.
    pub(super) fn lift(&self) -> f32 {
        LIFT * self.span
    }

    /// Moves the body to `at` (the ground under its middle) facing `facing`,
    /// `dt` seconds after the last: steps under way go on, feet left too
    /// far behind step. A jump (the clock set, the spider put somewhere
    /// new) stands the spider afresh.
    pub(super) fn walk(&mut self, at: Vec3, facing: Quat, dt: f32) {
        let Some((was, _)) = self.last else {
            self.stand(at, facing);
            return;
        };
        let dt = dt.max(0.0);
        let moved = at - was;
        if dt > 0.5 || moved.length() > self.span {
            self.stand(at, facing);
            return;
        }
        let swing = swing_s(self.span);
        let velocity = if dt > 0.0 { moved / dt } else { Vec3::ZERO };
        // Steps under way.
        for foot in &mut self.feet {
            if let Some((to, t)) = foot.step {
                let t = t + dt / swing;
                if t >= 1.0 {
                    foot.down = to;
                    foot.step = None;
                } else {
                    foot.step = Some((to, t));
                }
            }
        }
        let stepping = |feet: &[Foot; LEGS], first: bool| {
            (0..LEGS).any(|leg| first_set(leg) == first && feet[leg].step.is_some())
        };
        let trigger = TRIGGER * self.span;
        let reach = self.reach();
        for leg in 0..LEGS {
            if self.feet[leg].step.is_some() {
                continue;
            }
            let home = at + facing * (rest(leg) * self.span);
            let off = (home - self.feet[leg].down).length();
            let hip = self.hip_at(leg, at, facing);
            let strained = (self.feet[leg].down - hip).length() > reach * 0.93;
            let others = stepping(&self.feet, !first_set(leg));
            if (off > trigger && !others) || strained {
                // Land ahead of home by the way the body is going, so the
                // foot is not left behind by the time it is down.
                let ahead = velocity * swing * 1.5;
                let ahead = ahead.clamp_length_max(trigger);
                let to = home + Vec3::new(ahead.x, 0.0, ahead.z);
                self.feet[leg].step = Some((to, 0.0));
            }
        }
        self.last = Some((at, facing));
    }
}

/// A spider walking about within `radius` of its place: a winding loop,
/// walked in bursts (it goes, slows to a stop, goes again). `travelled` is
/// how far along the loop, metres. Returns the offset from its place and
/// the direction it faces (the way the loop goes there).
pub(super) fn wander(travelled: f32, radius: f32, seed: f32) -> (Vec3, Quat) {
    if radius <= 0.0 {
        return (Vec3::ZERO, Quat::IDENTITY);
    }
    let point = |s: f32| {
        let a = s / radius;
        let r = radius * (0.7 + 0.3 * (2.0 * a + seed).sin());
        Vec3::new(r * a.cos(), 0.0, r * a.sin())
    };
    let here = point(travelled);
    let ahead = point(travelled + radius * 0.05) - here;
    (here, facing_along(ahead))
}

/// Walking speed of a wandering spider at scene time `t`, for a top speed
/// `top`: bursts about every 3 s, each slowing to a stop.
pub(super) fn burst_speed(t: f64, top: f32) -> f32 {
    let phase = (t / 3.0).fract() as f32 * std::f32::consts::TAU;
    top * 0.5 * (1.0 - phase.cos())
}

/// How far down a spider dropping `fall` on its thread is, `u` (0 to 1)
/// of the way through the drop: it lets itself down over the first third,
/// hangs, and climbs back over the last third, each gently.
pub(super) fn drop_depth(u: f32, fall: f32) -> f32 {
    let ease = |x: f32| {
        let x = x.clamp(0.0, 1.0);
        x * x * (3.0 - 2.0 * x)
    };
    if !(0.0..1.0).contains(&u) {
        return 0.0;
    }
    fall * ease(u * 3.0).min(ease((1.0 - u) * 3.0))
}

/// The turn that faces a spider (ahead is -z) along `dir` on the ground.
pub(super) fn facing_along(dir: Vec3) -> Quat {
    let flat = Vec3::new(dir.x, 0.0, dir.z);
    if flat.length_squared() < 1e-12 {
        return Quat::IDENTITY;
    }
    Quat::from_rotation_y(f32::atan2(-flat.x, -flat.z))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks a spider of `span` along `path` (its place and facing at each
    /// time) at 60 frames a second for `seconds`, checking every frame that
    /// a foot that is down has not moved, that four or more feet are down,
    /// and that no foot is out of its leg's reach; returns the steps taken
    /// per leg.
    fn walk(span: f32, seconds: f32, path: impl Fn(f32) -> (Vec3, Quat)) -> [u32; LEGS] {
        let dt = 1.0 / 60.0;
        let (at, facing) = path(0.0);
        let mut gait = Gait::standing(span, at, facing);
        let mut steps = [0u32; LEGS];
        let frames = (seconds / dt) as usize;
        for frame in 1..=frames {
            let before = gait.feet;
            let (at, facing) = path(frame as f32 * dt);
            gait.walk(at, facing, dt);
            let mut down = 0;
            for leg in 0..LEGS {
                let (was, now) = (before[leg], gait.feet[leg]);
                if was.step.is_none() && now.step.is_none() {
                    assert_eq!(was.down, now.down, "leg {leg} slid at frame {frame}");
                }
                if was.step.is_none() && now.step.is_some() {
                    steps[leg] += 1;
                    assert_eq!(now.down, was.down, "a step starts where the foot was");
                }
                if now.step.is_none() {
                    down += 1;
                }
                let hip = gait.hip_at(leg, at, facing);
                let foot = now.at(gait.lift());
                assert!(
                    (foot - hip).length() <= gait.reach() * 1.0001,
                    "leg {leg} out of reach at frame {frame}: {} > {}",
                    (foot - hip).length(),
                    gait.reach()
                );
            }
            assert!(down >= 4, "only {down} feet down at frame {frame}");
        }
        steps
    }

    #[test]
    fn feet_stay_planted_while_a_spider_walks_straight() {
        // A house spider, 6 cm across, setting off and walking at 8 cm/s
        // for 5 s.
        let steps = walk(0.06, 5.0, |t| {
            let along = if t < 0.5 {
                0.08 * t * t
            } else {
                0.08 * (t - 0.25)
            };
            (Vec3::new(0.0, 0.8, -along), Quat::IDENTITY)
        });
        for (leg, n) in steps.iter().enumerate() {
            assert!(*n >= 5, "leg {leg} took {n} steps over 40 cm");
        }
    }

    #[test]
    fn feet_stay_planted_through_a_glide_towards_the_person() {
        // A spider crossing 0.6 m of table the way a step glides it there:
        // eased over 6 s, fastest (15 cm/s) half-way, then standing still.
        let steps = walk(0.07, 9.0, |t| {
            let u = (t / 6.0).clamp(0.0, 1.0);
            let along = u * u * (3.0 - 2.0 * u);
            (Vec3::new(0.0, 0.8, 0.6 * along), facing_along(Vec3::Z))
        });
        assert!(steps.iter().all(|&n| n >= 3), "{steps:?}");
    }

    #[test]
    fn feet_stay_planted_while_a_spider_wanders_in_bursts() {
        let dt = 1.0 / 60.0;
        let mut travelled = 0.0f32;
        let mut path = Vec::new();
        for frame in 0..=(12.0 / dt) as usize {
            let t = frame as f64 * f64::from(dt);
            travelled += burst_speed(t, 0.06) * dt;
            path.push(wander(travelled, 0.05, 1.0));
        }
        let steps = walk(0.05, 12.0, |t| {
            let (offset, facing) = path[((t / dt).round() as usize).min(path.len() - 1)];
            (Vec3::new(1.0, 0.9, 2.0) + offset, facing)
        });
        assert!(steps.iter().all(|&n| n >= 4), "{steps:?}");
    }

    #[test]
    fn a_drop_goes_down_hangs_and_comes_back_without_a_jump() {
        assert_eq!(drop_depth(0.0, 1.0), 0.0);
        assert_eq!(drop_depth(0.5, 1.0), 1.0);
        assert_eq!(drop_depth(1.0, 1.0), 0.0);
        let depths: Vec<f32> = (0..=1000)
            .map(|i| drop_depth(i as f32 / 1000.0, 1.0))
            .collect();
        assert!(depths.windows(2).all(|w| (w[1] - w[0]).abs() < 0.01));
    }

    #[test]
    fn a_standing_spider_keeps_its_feet_still() {
        let steps = walk(0.1, 3.0, |_| (Vec3::new(0.0, 0.8, 0.0), Quat::IDENTITY));
        assert_eq!(steps, [0; LEGS]);
    }

    #[test]
    fn the_sets_alternate_sides_and_knees_bend_up() {
        let first: Vec<bool> = (0..LEGS).map(first_set).collect();
        assert_eq!(first, [true, false, true, false, false, true, false, true]);
        for leg in 0..LEGS {
            let hip = hip(leg);
            let foot = rest(leg);
            let k = knee(hip, foot, UPPER, LOWER);
            assert!((k - hip).length() - UPPER < 1e-4);
            assert!((foot - k).length() - LOWER < 1e-4);
            assert!(k.y > hip.y, "leg {leg}'s knee is below its hip");
            // Feet spread out to the spider's own side.
            assert_eq!(foot.x.signum(), hip.x.signum());
        }
    }

    #[test]
    fn a_jump_stands_the_spider_afresh() {
        let mut gait = Gait::standing(0.06, Vec3::ZERO, Quat::IDENTITY);
        gait.walk(Vec3::new(2.0, 0.0, 0.0), Quat::IDENTITY, 1.0 / 60.0);
        for (leg, foot) in gait.feet.iter().enumerate() {
            assert!(foot.step.is_none());
            assert!((foot.down - (Vec3::new(2.0, 0.0, 0.0) + rest(leg) * 0.06)).length() < 1e-5);
        }
    }
}
