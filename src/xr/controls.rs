//! The controllers: a button to pause and go on, a button to recentre,
//! both grips squeezed for the safe place, and gentle pulses that mark each
//! breathing phase. In an exposure scene the stick (or trackpad) pushed up
//! or down moves a step harder or easier and, with a SUDS question open,
//! left or right moves the answer; the trigger gives the answer, or else
//! fires the step's events in turn.
//!
//! Bindings are suggested for the common controllers; a runtime maps them
//! to whatever the person holds. Nothing here is needed: without
//! controllers the keyboard on the mirror window does the same.

use std::borrow::Cow;

use bevy::prelude::*;
use bevy_mod_openxr::action_binding::{OxrSendActionBindings, OxrSuggestActionBinding};
use bevy_mod_openxr::action_set_attaching::OxrAttachActionSet;
use bevy_mod_openxr::action_set_syncing::{OxrActionSetSyncSet, OxrSyncActionSet};
use bevy_mod_openxr::openxr_session_running;
use bevy_mod_openxr::resources::OxrInstance;
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::session::{XrSessionCreated, session_available};

use super::haptics::{Pulse, pulses_between};
use super::session::HeadsetStatus;
use crate::breath::Micros;
use crate::frame::AppSet;
use crate::state::suds::SUDS_STEP;
use crate::state::{Flow, Intent, SessionSnapshot, StateSystems, StepChange, SudsChange};

/// How hard both grips must be squeezed to ask for the safe place.
const GRIP_SQUEEZED: f32 = 0.8;

/// What the person's hands ask for this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Hands {
    /// The pause button is down.
    pause: bool,
    /// The recentre button is down.
    recentre: bool,
    /// Each grip's squeeze, 0 to 1: left, right.
    grips: [f32; 2],
    /// The stick (or trackpad), either hand: x to the right, y up, -1 to 1.
    stick: [f32; 2],
    /// The trigger is pulled.
    trigger: bool,
}

/// How far the stick must be pushed to count, and how far back it must come
/// before it counts again.
const STICK_PUSHED: f32 = 0.7;
/// See [`STICK_PUSHED`].
const STICK_BACK: f32 = 0.4;

/// What a change of the hands asks the app to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Asks {
    /// Pause, or go on.
    toggle_pause: bool,
    /// Recentre.
    recentre: bool,
    /// Go to the safe place.
    safe_place: bool,
    /// The stick pushed up (1) or down (-1).
    vertical: i8,
    /// The stick pushed right (1) or left (-1).
    sideways: i8,
    /// The trigger pulled.
    trigger: bool,
}

/// A push of one axis of the stick: counted when it passes
/// [`STICK_PUSHED`] having been back within [`STICK_BACK`].
fn pushed(before: f32, now: f32) -> i8 {
    if before.abs() <= STICK_BACK && now.abs() >= STICK_PUSHED {
        now.signum() as i8
    } else {
        0
    }
}

/// Reads a press on its way down only, so holding a button asks once; the
/// safe place needs both grips squeezed together.
fn asks(before: Hands, now: Hands) -> Asks {
    let both = |h: Hands| h.grips.iter().all(|&g| g >= GRIP_SQUEEZED);
    Asks {
        toggle_pause: now.pause && !before.pause,
        recentre: now.recentre && !before.recentre,
        safe_place: both(now) && !both(before),
        vertical: pushed(before.stick[1], now.stick[1]),
        sideways: pushed(before.stick[0], now.stick[0]),
        trigger: now.trigger && !before.trigger,
    }
}

/// The runtime's handles for our actions.
#[derive(Resource)]
struct Actions {
    set: openxr::ActionSet,
    pause: openxr::Action<bool>,
    recentre: openxr::Action<bool>,
    grip: openxr::Action<f32>,
    stick: openxr::Action<openxr::Vector2f>,
    trigger: openxr::Action<bool>,
    buzz: openxr::Action<openxr::Haptic>,
    hands: [openxr::Path; 2],
}

/// The bindings suggested for one controller: (action, paths).
type Profile = (&'static str, [(Which, &'static [&'static str]); 6]);

#[derive(Clone, Copy)]
enum Which {
    Pause,
    Recentre,
    Grip,
    Stick,
    Trigger,
    Buzz,
}

const BOTH_HAPTIC: &[&str] = &[
    "/user/hand/left/output/haptic",
    "/user/hand/right/output/haptic",
];
const BOTH_SQUEEZE: &[&str] = &[
    "/user/hand/left/input/squeeze/value",
    "/user/hand/right/input/squeeze/value",
];

const BOTH_THUMBSTICK: &[&str] = &[
    "/user/hand/left/input/thumbstick",
    "/user/hand/right/input/thumbstick",
];
const BOTH_TRIGGER_VALUE: &[&str] = &[
    "/user/hand/left/input/trigger/value",
    "/user/hand/right/input/trigger/value",
];
const BOTH_TRIGGER_CLICK: &[&str] = &[
    "/user/hand/left/input/trigger/click",
    "/user/hand/right/input/trigger/click",
];

const PROFILES: &[Profile] = &[
    (
        "/interaction_profiles/khr/simple_controller",
        [
            (
                Which::Pause,
                &[
                    "/user/hand/left/input/menu/click",
                    "/user/hand/right/input/menu/click",
                ],
            ),
            (Which::Recentre, &[]),
            (Which::Grip, &[]),
            (Which::Stick, &[]),
            (
                Which::Trigger,
                &[
                    "/user/hand/left/input/select/click",
                    "/user/hand/right/input/select/click",
                ],
            ),
            (Which::Buzz, BOTH_HAPTIC),
        ],
    ),
    (
        "/interaction_profiles/oculus/touch_controller",
        [
            (
                Which::Pause,
                &[
                    "/user/hand/left/input/menu/click",
                    "/user/hand/left/input/y/click",
                    "/user/hand/right/input/b/click",
                ],
            ),
            (
                Which::Recentre,
                &[
                    "/user/hand/left/input/x/click",
                    "/user/hand/right/input/a/click",
                ],
            ),
            (Which::Grip, BOTH_SQUEEZE),
            (Which::Stick, BOTH_THUMBSTICK),
            (Which::Trigger, BOTH_TRIGGER_VALUE),
            (Which::Buzz, BOTH_HAPTIC),
        ],
    ),
    (
        "/interaction_profiles/valve/index_controller",
        [
            (
                Which::Pause,
                &[
                    "/user/hand/left/input/b/click",
                    "/user/hand/right/input/b/click",
                ],
            ),
            (
                Which::Recentre,
                &[
                    "/user/hand/left/input/a/click",
                    "/user/hand/right/input/a/click",
                ],
            ),
            (Which::Grip, BOTH_SQUEEZE),
            (Which::Stick, BOTH_THUMBSTICK),
            (Which::Trigger, BOTH_TRIGGER_CLICK),
            (Which::Buzz, BOTH_HAPTIC),
        ],
    ),
    (
        "/interaction_profiles/htc/vive_controller",
        [
            (
                Which::Pause,
                &[
                    "/user/hand/left/input/menu/click",
                    "/user/hand/right/input/menu/click",
                ],
            ),
            (
                Which::Recentre,
                &[
                    "/user/hand/left/input/trackpad/click",
                    "/user/hand/right/input/trackpad/click",
                ],
            ),
            (
                Which::Grip,
                &[
                    "/user/hand/left/input/squeeze/click",
                    "/user/hand/right/input/squeeze/click",
                ],
            ),
            (
                Which::Stick,
                &[
                    "/user/hand/left/input/trackpad",
                    "/user/hand/right/input/trackpad",
                ],
            ),
            (Which::Trigger, BOTH_TRIGGER_CLICK),
            (Which::Buzz, BOTH_HAPTIC),
        ],
    ),
];

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, create_actions.run_if(session_available))
        .add_systems(OxrSendActionBindings, suggest_bindings)
        .add_systems(XrSessionCreated, attach)
        .add_systems(
            PreUpdate,
            sync.before(OxrActionSetSyncSet)
                .run_if(openxr_session_running),
        )
        .add_systems(
            Update,
            (
                read_hands.in_set(AppSet::Input),
                // After the snapshot of the frame: the pulses keep time with
                // the pacer drawn this frame.
                give_pulses
                    .in_set(AppSet::Report)
                    .after(StateSystems::Publish),
            )
                .run_if(openxr_session_running),
        );
}

fn create_actions(instance: Res<OxrInstance>, mut commands: Commands) {
    let made = (|| -> openxr::Result<Actions> {
        let hands = [
            instance.string_to_path("/user/hand/left")?,
            instance.string_to_path("/user/hand/right")?,
        ];
        let set = instance.create_action_set("stillpoint", "Stillpoint", 0)?;
        Ok(Actions {
            pause: set.create_action("pause", "Pause or go on", &[])?,
            recentre: set.create_action("recentre", "Recentre the view", &[])?,
            grip: set.create_action("grip", "Grip (both for the safe place)", &hands)?,
            stick: set.create_action("stick", "Steps and the SUDS answer", &[])?,
            trigger: set.create_action("trigger", "Give the SUDS answer, or an event", &[])?,
            buzz: set.create_action("breath_pulse", "Breathing pulses", &hands)?,
            hands,
            set,
        })
    })();
    match made {
        Ok(actions) => {
            commands.insert_resource(actions);
        }
        Err(e) => warn!("headset: controllers are not available ({e}); the keyboard still works"),
    }
}

fn suggest_bindings(
    actions: Option<Res<Actions>>,
    mut bindings: MessageWriter<OxrSuggestActionBinding>,
) {
    let Some(actions) = actions else { return };
    for (profile, entries) in PROFILES {
        for (which, paths) in entries {
            if paths.is_empty() {
                continue;
            }
            let action = match which {
                Which::Pause => actions.pause.as_raw(),
                Which::Recentre => actions.recentre.as_raw(),
                Which::Grip => actions.grip.as_raw(),
                Which::Stick => actions.stick.as_raw(),
                Which::Trigger => actions.trigger.as_raw(),
                Which::Buzz => actions.buzz.as_raw(),
            };
            bindings.write(OxrSuggestActionBinding {
                action,
                interaction_profile: Cow::Borrowed(profile),
                bindings: paths.iter().map(|p| Cow::Borrowed(*p)).collect(),
            });
        }
    }
}

fn attach(actions: Option<Res<Actions>>, mut attach: MessageWriter<OxrAttachActionSet>) {
    if let Some(actions) = actions {
        attach.write(OxrAttachActionSet(actions.set.clone()));
    }
}

fn sync(actions: Option<Res<Actions>>, mut sync: MessageWriter<OxrSyncActionSet>) {
    if let Some(actions) = actions {
        sync.write(OxrSyncActionSet(actions.set.clone()));
    }
}

/// The controllers send the same intents as the keys.
fn read_hands(
    actions: Option<Res<Actions>>,
    session: Res<OxrSession>,
    status: Res<HeadsetStatus>,
    snapshot: Res<SessionSnapshot>,
    mut intents: MessageWriter<Intent>,
    mut before: Local<Hands>,
    mut next_event: Local<usize>,
) {
    let Some(actions) = actions else { return };
    if status.broken() || !status.focused() {
        return;
    }
    let pressed = |a: &openxr::Action<bool>| {
        a.state(&session, openxr::Path::NULL)
            .is_ok_and(|s| s.is_active && s.current_state)
    };
    let squeeze = |hand: openxr::Path| {
        actions
            .grip
            .state(&session, hand)
            .ok()
            .filter(|s| s.is_active)
            .map_or(0.0, |s| s.current_state)
    };
    let now = Hands {
        pause: pressed(&actions.pause),
        recentre: pressed(&actions.recentre),
        grips: [squeeze(actions.hands[0]), squeeze(actions.hands[1])],
        stick: actions
            .stick
            .state(&session, openxr::Path::NULL)
            .ok()
            .filter(|s| s.is_active)
            .map_or([0.0; 2], |s| [s.current_state.x, s.current_state.y]),
        trigger: pressed(&actions.trigger),
    };
    let asked = asks(*before, now);
    *before = now;
    if asked.toggle_pause {
        intents.write(snapshot.pause_or_go_on());
    }
    if asked.recentre {
        intents.write(Intent::Recentre);
    }
    if asked.safe_place {
        intents.write(Intent::SafePlace);
    }
    for intent in exposure_intents(asked, &snapshot, &mut next_event) {
        intents.write(intent);
    }
}

/// What the stick and the trigger ask for in an exposure scene: a step up
/// or down; with a SUDS question open, the answer moved and given; else
/// the trigger fires the events allowed at this step, one after another.
/// Read from the snapshot made at the end of the last frame, which holds
/// every change made before this frame's hands are read.
fn exposure_intents(
    asked: Asks,
    snapshot: &SessionSnapshot,
    next_event: &mut usize,
) -> Vec<Intent> {
    let mut out = Vec::new();
    let Some(exposure) = &snapshot.exposure else {
        return out;
    };
    match asked.vertical {
        1 => out.push(Intent::Step(StepChange::Up)),
        -1 => out.push(Intent::Step(StepChange::Down)),
        _ => {}
    }
    let open = snapshot.suds.is_some();
    if open && asked.sideways != 0 {
        out.push(Intent::Suds(SudsChange::By(
            asked.sideways * SUDS_STEP as i8,
        )));
    }
    if asked.trigger {
        if open {
            out.push(Intent::Suds(SudsChange::Answer));
        } else {
            let allowed = &exposure.events;
            if !allowed.is_empty() {
                let name = &allowed[*next_event % allowed.len()];
                *next_event = next_event.wrapping_add(1);
                out.push(Intent::FireEvent(name.clone()));
            }
        }
    }
    out
}

/// Gives the pulses of each phase that starts, as the pacer shows it.
fn give_pulses(
    actions: Option<Res<Actions>>,
    session: Res<OxrSession>,
    status: Res<HeadsetStatus>,
    snapshot: Res<SessionSnapshot>,
    flow: Res<State<Flow>>,
    enabled: Res<HapticsOn>,
    mut shown_before: Local<Option<Micros>>,
) {
    let shown = snapshot.elapsed;
    let (Some(actions), Some(run)) = (actions, snapshot.guide_in_force.as_ref()) else {
        return;
    };
    let before = shown_before.replace(shown).unwrap_or(shown);
    if status.broken() || !enabled.0 || *flow.get() != Flow::Running {
        return;
    }
    // Times within the guided session: a session that just started counts
    // from its own first breath.
    let into = |t: Micros| t.saturating_sub(run.origin);
    pulses_between(
        &run.guide.schedule,
        &run.guide.haptics,
        into(before),
        into(shown),
        |pulse: Pulse| {
            let vibration = openxr::HapticVibration::new()
                .amplitude(pulse.strength)
                .duration(openxr::Duration::from_nanos(
                    i64::from(pulse.length_ms) * 1_000_000,
                ))
                .frequency(openxr::FREQUENCY_UNSPECIFIED);
            for hand in actions.hands {
                if let Err(e) = actions.buzz.apply_feedback(&session, hand, &vibration) {
                    debug!("headset: a pulse was not given ({e})");
                }
            }
        },
    );
}

/// Whether the person wants controller pulses at all.
#[derive(Resource, Debug, Clone, Copy)]
pub(super) struct HapticsOn(pub(super) bool);

impl Default for HapticsOn {
    fn default() -> Self {
        Self(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_button_asks_once() {
        let down = Hands {
            pause: true,
            ..Hands::default()
        };
        assert!(asks(Hands::default(), down).toggle_pause);
        assert!(!asks(down, down).toggle_pause);
        assert!(!asks(down, Hands::default()).toggle_pause);
    }

    #[test]
    fn the_safe_place_needs_both_grips_squeezed_together() {
        let grips = |l, r| Hands {
            grips: [l, r],
            ..Hands::default()
        };
        assert!(!asks(grips(0.0, 0.0), grips(1.0, 0.0)).safe_place);
        assert!(!asks(grips(0.0, 0.0), grips(0.5, 0.9)).safe_place);
        assert!(asks(grips(1.0, 0.0), grips(1.0, 0.85)).safe_place);
        // Held, it does not ask again; let go and squeezed, it does.
        assert!(!asks(grips(1.0, 1.0), grips(0.9, 0.95)).safe_place);
        assert!(asks(grips(1.0, 0.2), grips(1.0, 1.0)).safe_place);
    }

    #[test]
    fn a_push_of_the_stick_counts_once_until_it_comes_back() {
        let stick = |x, y| Hands {
            stick: [x, y],
            ..Hands::default()
        };
        assert_eq!(asks(stick(0.0, 0.0), stick(0.0, 0.9)).vertical, 1);
        assert_eq!(asks(stick(0.0, 0.9), stick(0.0, 1.0)).vertical, 0);
        assert_eq!(asks(stick(0.0, 0.6), stick(0.0, 0.9)).vertical, 0);
        assert_eq!(asks(stick(0.0, 0.2), stick(0.0, -0.8)).vertical, -1);
        assert_eq!(asks(stick(0.0, 0.0), stick(-0.75, 0.1)).sideways, -1);
        let trigger = Hands {
            trigger: true,
            ..Hands::default()
        };
        assert!(asks(Hands::default(), trigger).trigger);
        assert!(!asks(trigger, trigger).trigger);
    }

    #[test]
    fn the_trigger_fires_the_events_of_the_step_in_turn_or_gives_the_open_answer() {
        use crate::state::{StepNow, SudsPrompt, SudsWhy};

        let mut snapshot = SessionSnapshot {
            exposure: Some(StepNow {
                step: 2,
                steps: 4,
                name: "Rail".into(),
                say: String::new(),
                events: vec!["gust".into(), "creak".into()],
                all_events: vec!["birds".into(), "gust".into(), "creak".into()],
            }),
            ..SessionSnapshot::default()
        };
        let trigger = Asks {
            trigger: true,
            ..Asks::default()
        };
        let mut next = 0;
        let fired: Vec<Vec<Intent>> = (0..3)
            .map(|_| exposure_intents(trigger, &snapshot, &mut next))
            .collect();
        let event = |name: &str| vec![Intent::FireEvent(name.into())];
        assert_eq!(fired, [event("gust"), event("creak"), event("gust")]);
        snapshot.suds = Some(SudsPrompt {
            why: SudsWhy::Asked,
            value: 50,
            step: 2,
            asked_at: 0,
        });
        let pushed = Asks {
            vertical: 1,
            sideways: -1,
            trigger: true,
            ..Asks::default()
        };
        assert_eq!(
            exposure_intents(pushed, &snapshot, &mut next),
            [
                Intent::Step(StepChange::Up),
                Intent::Suds(SudsChange::By(-(SUDS_STEP as i8))),
                Intent::Suds(SudsChange::Answer),
            ]
        );
        snapshot.exposure = None;
        assert!(exposure_intents(pushed, &snapshot, &mut next).is_empty());
    }

    #[test]
    fn every_profile_binds_pause_and_pulses_to_both_hands() {
        for (profile, entries) in PROFILES {
            let paths = |w: fn(&Which) -> bool| -> Vec<&str> {
                entries
                    .iter()
                    .filter(|(which, _)| w(which))
                    .flat_map(|(_, p)| p.iter().copied())
                    .collect()
            };
            let pause = paths(|w| matches!(w, Which::Pause));
            let buzz = paths(|w| matches!(w, Which::Buzz));
            assert!(!pause.is_empty(), "{profile}: no pause");
            assert!(
                buzz.iter().any(|p| p.contains("left")) && buzz.iter().any(|p| p.contains("right")),
                "{profile}"
            );
            for p in pause.iter().chain(&buzz) {
                assert!(p.starts_with("/user/hand/"), "{p}");
            }
        }
    }
}
