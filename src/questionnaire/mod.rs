//! Questionnaires given before and after a session, and their scoring:
//! pure code, no Bevy types. Each is a RON file ([`form`]); the Simulator
//! Sickness Questionnaire, given in every session, is also named here.

pub mod form;
pub mod simulator_sickness;
