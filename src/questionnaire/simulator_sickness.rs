//! The Simulator Sickness Questionnaire (Kennedy et al., 1993): sixteen
//! symptoms, each rated 0 (none) to 3 (severe), scored on three subscales
//! that share some items, and a total. Taken before a session as a
//! baseline, and after it. Its file is the shipped
//! `assets/questionnaires/ssq.ron`, scored like every questionnaire.

use std::sync::OnceLock;

use super::form::Questionnaire;

/// The questionnaire, as shipped in `assets/questionnaires/ssq.ron` (its
/// items, scale, subscales and weights are the file's), read once.
pub fn form() -> &'static Questionnaire {
    static FORM: OnceLock<Questionnaire> = OnceLock::new();
    FORM.get_or_init(|| {
        super::form::parse(
            "assets/questionnaires/ssq.ron",
            include_bytes!("../../assets/questionnaires/ssq.ron"),
        )
        .expect("the shipped SSQ reads and checks (a unit test holds it to that)")
    })
}

/// Before the session or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The baseline.
    Before,
    /// After the session.
    After,
}

impl When {
    /// As a watcher names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::After => "after",
        }
    }
}

/// The scores of one questionnaire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Nausea: raw sum × 9.54.
    pub nausea: f32,
    /// Oculomotor: raw sum × 7.58.
    pub oculomotor: f32,
    /// Disorientation: raw sum × 13.92.
    pub disorientation: f32,
    /// Total: the three raw sums added, × 3.74.
    pub total: f32,
}

/// Scores sixteen answers, each 0 to 3; anything else is refused with the
/// item it is about.
pub fn score(answers: &[u8]) -> Result<Scores, String> {
    let scored = form().score(answers)?;
    let sub = |name: &str| {
        scored
            .subscales
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.0, |(_, v)| *v)
    };
    Ok(Scores {
        nausea: sub("nausea"),
        oculomotor: sub("oculomotor"),
        disorientation: sub("disorientation"),
        total: scored.total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_symptoms_score_zero_and_all_severe_score_the_maximum() {
        let none = score(&[0; 16]).unwrap();
        assert_eq!((none.nausea, none.total), (0.0, 0.0));
        let all = score(&[3; 16]).unwrap();
        // Seven items a subscale, 3 each: 21 raw.
        assert!((all.nausea - 21.0 * 9.54).abs() < 1e-3);
        assert!((all.oculomotor - 21.0 * 7.58).abs() < 1e-3);
        assert!((all.disorientation - 21.0 * 13.92).abs() < 1e-3);
        assert!((all.total - 63.0 * 3.74).abs() < 1e-3);
    }

    #[test]
    fn shared_items_count_in_each_of_their_subscales() {
        // General discomfort (1) is nausea and oculomotor; difficulty
        // focusing (5) is oculomotor and disorientation.
        let mut answers = [0u8; 16];
        answers[0] = 2;
        answers[4] = 1;
        let s = score(&answers).unwrap();
        assert!((s.nausea - 2.0 * 9.54).abs() < 1e-4);
        assert!((s.oculomotor - 3.0 * 7.58).abs() < 1e-4);
        assert!((s.disorientation - 13.92).abs() < 1e-4);
        assert!((s.total - 6.0 * 3.74).abs() < 1e-4);
    }

    #[test]
    fn wrong_counts_and_ratings_are_refused_with_the_item() {
        assert!(
            score(&[0; 15])
                .unwrap_err()
                .contains("16 items; 15 answers")
        );
        let mut answers = [0u8; 16];
        answers[7] = 4;
        assert!(score(&answers).unwrap_err().contains("item 8 (Nausea): 4"));
    }
}
