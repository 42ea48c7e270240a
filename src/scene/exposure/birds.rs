//! A bird seen flying past when an exposure event asks for one: a small
//! dark body on two beating wings, from the event's start to its end over
//! its seconds, facing the way it flies. It goes with its scene.

use bevy::prelude::*;

use super::plan::EventKind;
use crate::clock::SceneClock;
use crate::frame::AppSet;
use crate::scene::CurrentScene;
use crate::scene::procgen::mesh::MeshData;
use crate::scene::upload::to_mesh;
use crate::state::Lifecycle;

/// Wingspan, metres: a pigeon's.
const SPAN_M: f32 = 0.65;
/// Wingbeats a second.
const BEATS_HZ: f32 = 5.0;

/// A bird in flight.
#[derive(Component, Debug, Clone, Copy)]
struct Bird {
    /// When it set off, scene seconds.
    start: f64,
    /// How long it flies, seconds.
    seconds: f32,
    /// From here...
    from: Vec3,
    /// ...to here.
    to: Vec3,
    /// The scene generation it belongs to.
    generation: u32,
}

/// One wing: -1 the left, 1 the right.
#[derive(Component, Debug, Clone, Copy)]
struct Wing(f32);

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (release_birds, fly_birds).chain().in_set(AppSet::Animate),
    );
}

/// Where a bird is `into_s` seconds into its flight, and whether it is
/// still flying: along its line, rising and falling a little with its beats.
fn bird_at(bird: &Bird, into_s: f32) -> Option<Vec3> {
    if !(0.0..bird.seconds).contains(&into_s) {
        return None;
    }
    let u = into_s / bird.seconds;
    let bob = 0.04 * (into_s * BEATS_HZ * std::f32::consts::TAU).sin();
    Some(bird.from.lerp(bird.to, u) + Vec3::Y * bob)
}

fn release_birds(
    mut heard: MessageReader<Lifecycle>,
    current: Res<CurrentScene>,
    clock: Res<SceneClock>,
    mut commands: Commands,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    for message in heard.read() {
        let Some(event) = current.fired(message) else {
            continue;
        };
        let EventKind::BirdPasses { from, to } = event.does else {
            continue;
        };
        let material = materials.add(StandardMaterial {
            base_color: Color::linear_rgb(0.06, 0.06, 0.065),
            perceptual_roughness: 0.8,
            ..default()
        });
        // A body longer than it is wide: a ball drawn out along its length.
        let mut shape = MeshData::ball(0.06);
        for p in &mut shape.positions {
            p[1] -= 0.06;
            p[2] *= 2.2;
        }
        let body = meshes.add(to_mesh(&shape));
        let wing = meshes.add(to_mesh(&MeshData::block([SPAN_M / 2.0, 0.01, 0.14])));
        let bird = Bird {
            start: clock.seconds,
            seconds: event.seconds,
            from: Vec3::from(from),
            to: Vec3::from(to),
            generation: current.generation,
        };
        commands
            .spawn((
                bird,
                Mesh3d(body),
                MeshMaterial3d(material.clone()),
                Transform::from_translation(bird.from),
                Visibility::Inherited,
                Name::new("bird"),
            ))
            .with_children(|b| {
                for side in [-1.0, 1.0] {
                    b.spawn((
                        Wing(side),
                        Mesh3d(wing.clone()),
                        MeshMaterial3d(material.clone()),
                        Transform::default(),
                        Visibility::Inherited,
                    ));
                }
            });
    }
}

fn fly_birds(
    clock: Res<SceneClock>,
    current: Res<CurrentScene>,
    mut commands: Commands,
    mut birds: Query<(Entity, &Bird, &mut Transform, &Children)>,
    mut wings: Query<(&Wing, &mut Transform), Without<Bird>>,
) {
    for (entity, bird, mut transform, children) in &mut birds {
        let into = (clock.seconds - bird.start) as f32;
        let Some(at) = bird_at(bird, into).filter(|_| bird.generation == current.generation) else {
            commands.entity(entity).despawn();
            continue;
        };
        let way = bird.to - bird.from;
        transform.translation = at;
        transform.rotation = Quat::from_rotation_y(f32::atan2(-way.x, -way.z));
        let beat = 0.6 * (into * BEATS_HZ * std::f32::consts::TAU).sin();
        for child in children.iter() {
            if let Ok((wing, mut t)) = wings.get_mut(child) {
                let flap = Quat::from_rotation_z(wing.0 * beat);
                t.rotation = flap;
                // Each wing turns about the body's length at its root.
                t.translation = flap * Vec3::new(wing.0 * SPAN_M / 4.0, 0.0, 0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bird_flies_its_line_in_its_time_and_is_gone() {
        let bird = Bird {
            start: 0.0,
            seconds: 4.0,
            from: Vec3::new(-10.0, 5.0, 0.0),
            to: Vec3::new(10.0, 5.0, 0.0),
            generation: 1,
        };
        let mid = bird_at(&bird, 2.0).unwrap();
        assert!(mid.x.abs() < 1e-4 && (mid.y - 5.0).abs() <= 0.04);
        assert!(bird_at(&bird, 4.0).is_none() && bird_at(&bird, -0.1).is_none());
        // Never faster than its line takes: 20 m in 4 s.
        let a = bird_at(&bird, 1.0).unwrap();
        let b = bird_at(&bird, 1.1).unwrap();
        assert!((b - a).length() / 0.1 < 6.0);
    }
}
