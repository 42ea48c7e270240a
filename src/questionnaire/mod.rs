//! Questionnaires given before and after a session, and their scoring:
//! pure code, no Bevy types. Today the one questionnaire is the Simulator
//! Sickness Questionnaire.

pub mod simulator_sickness;
