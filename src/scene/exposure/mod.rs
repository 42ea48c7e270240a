//! Graded exposure in a scene: the props built into the place and the
//! hierarchy of steps and events a therapist moves through, from the RON
//! section to what changes on screen.
//!
//! Pure (no Bevy ECS): `format` (the RON types), `validate` (their checks),
//! `plan` (the checked section with names resolved, each step's whole state
//! and how one glides to the next) and `spider` (a spider's body, gait and
//! wandering). On screen: `props` spawns the props and spiders with the
//! scene, `stage` follows the person's step, and `birds` flies the birds
//! that events release.

mod birds;
pub(super) mod format;
pub(crate) mod plan;
pub mod props;
pub(super) mod spider;
pub mod stage;
pub(super) mod validate;

use bevy::prelude::*;

/// Adds following the step on screen and the birds of events.
pub(super) fn plugin(app: &mut App) {
    stage::plugin(app);
    birds::plugin(app);
}
