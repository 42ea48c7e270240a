//! A questionnaire as a file: its items, the answer scale with its words,
//! its subscales with their items and weights, how its total is scored, the
//! cut-offs that name its bands, what must be looked at whatever the total
//! (an alert), the licence it is shipped under and where it is published.
//! One scoring serves every questionnaire ([`Questionnaire::score`]).
//!
//! Stillpoint ships PHQ-9, GAD-7 and the Simulator Sickness Questionnaire
//! in `assets/questionnaires/`; a clinic adds its own there. A file that
//! does not read or check is named with its line and column, and left out.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Checker, FileErrors, Problem, parse_ron_file, read_limited};

/// The most items a questionnaire may have.
pub const MAX_ITEMS: usize = 200;

/// A questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Questionnaire", deny_unknown_fields)]
pub struct Questionnaire {
    /// A short name, unique in the folder (`phq9`): what the record keeps.
    pub id: String,
    /// Its title, as the therapist reads it.
    pub title: String,
    /// What the person is asked.
    pub instructions: String,
    /// The answers, lowest first: a value and its words.
    pub scale: Vec<Answer>,
    /// The items, in order (numbered from 1 elsewhere in the file).
    pub items: Vec<String>,
    /// Subscales: named sums of some items, each times a weight.
    #[serde(default)]
    pub subscales: Vec<Subscale>,
    /// How the total is scored.
    pub total: Total,
    /// Bands of the total, each with its label.
    #[serde(default)]
    pub cutoffs: Vec<Cutoff>,
    /// Answers that must be looked at whatever the total.
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// The licence it is shipped under.
    pub licence: String,
    /// Where it is published.
    pub citation: String,
}

/// An answer of the scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Its value.
    pub value: u8,
    /// Its words.
    pub words: String,
}

/// A subscale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscale {
    /// Its name.
    pub name: String,
    /// Its items, from 1.
    pub items: Vec<usize>,
    /// What its raw sum is multiplied by.
    pub weight: f32,
}

/// How a total is scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Total {
    /// Every item's answer added, times the weight.
    ItemSum {
        /// The weight.
        weight: f32,
    },
    /// Every subscale's raw sum added (an item in two counts twice),
    /// times the weight.
    SubscaleSum {
        /// The weight.
        weight: f32,
    },
}

/// A band of the total, `from` to `to` inclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cutoff {
    /// Its lowest total.
    pub from: f32,
    /// Its highest total.
    pub to: f32,
    /// Its label.
    pub label: String,
}

/// An answer to look at whatever the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The item, from 1.
    pub item: usize,
    /// The lowest answer that raises it.
    pub at_least: u8,
    /// What to say.
    pub says: String,
}

/// A questionnaire's scores for one set of answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// Each subscale: its name and weighted score.
    pub subscales: Vec<(String, f32)>,
    /// The total.
    pub total: f32,
    /// The band the total falls in, if the questionnaire has cut-offs.
    pub band: Option<String>,
    /// What its alerts say, for the answers that raise them.
    pub alerts: Vec<String>,
    /// The lowest and highest totals it can give.
    pub range: (f32, f32),
    /// The cut-offs the total was judged by, so that a record read years
    /// later shows the bands it was given in.
    pub cutoffs: Vec<Cutoff>,
}

impl Questionnaire {
    /// Scores `answers`, one a item in order, each a value of the scale;
    /// anything else is refused, naming the item.
    pub fn score(&self, answers: &[u8]) -> Result<Scored, String> {
        if answers.len() != self.items.len() {
            return Err(format!(
                "the questionnaire has {} items; {} answers were given",
                self.items.len(),
                answers.len()
            ));
        }
        if let Some(i) = answers
            .iter()
            .position(|a| !self.scale.iter().any(|s| s.value == *a))
        {
            let (low, high) = (&self.scale[0], &self.scale[self.scale.len() - 1]);
            return Err(format!(
                "item {} ({}): {} is not a rating; expected {} ({}) to {} ({})",
                i + 1,
                self.items[i],
                answers[i],
                low.value,
                low.words,
                high.value,
                high.words
            ));
        }
        let raw =
            |items: &[usize]| -> f32 { items.iter().map(|i| f32::from(answers[i - 1])).sum() };
        let subscales: Vec<(String, f32)> = self
            .subscales
            .iter()
            .map(|s| (s.name.clone(), raw(&s.items) * s.weight))
            .collect();
        let total = match self.total {
            Total::ItemSum { weight } => {
                answers.iter().map(|a| f32::from(*a)).sum::<f32>() * weight
            }
            Total::SubscaleSum { weight } => {
                self.subscales.iter().map(|s| raw(&s.items)).sum::<f32>() * weight
            }
        };
        let band = self
            .cutoffs
            .iter()
            .find(|c| c.from <= total && total <= c.to)
            .map(|c| c.label.clone());
        let alerts = self
            .alerts
            .iter()
            .filter(|a| answers[a.item - 1] >= a.at_least)
            .map(|a| a.says.clone())
            .collect();
        Ok(Scored {
            subscales,
            total,
            band,
            alerts,
            range: self.range(),
            cutoffs: self.cutoffs.clone(),
        })
    }

    /// The lowest and highest totals the questionnaire can give.
    pub(crate) fn range(&self) -> (f32, f32) {
        let low = f32::from(self.scale.first().map_or(0, |a| a.value));
        let high = f32::from(self.scale.last().map_or(0, |a| a.value));
        let (count, weight) = match self.total {
            Total::ItemSum { weight } => (self.items.len() as f32, weight),
            Total::SubscaleSum { weight } => (
                self.subscales.iter().map(|s| s.items.len()).sum::<usize>() as f32,
                weight,
            ),
        };
        (low * count * weight, high * count * weight)
    }
}

/// Parses and checks a questionnaire file; `file` names it in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Questionnaire, FileErrors> {
    parse_ron_file(file, bytes, "questionnaire", check)
}

/// Reads and checks the questionnaire file at `path`.
pub fn read(path: &Path) -> Result<Questionnaire, FileErrors> {
    let shown = path.display().to_string();
    let bytes = read_limited(path, &shown, "questionnaire")?;
    parse(&shown, &bytes)
}

/// The folder questionnaires are read from: `STILLPOINT_QUESTIONNAIRES`, or
/// `assets/questionnaires` here, or the one shipped with the source.
pub fn folder() -> PathBuf {
    if let Some(dir) = std::env::var_os("STILLPOINT_QUESTIONNAIRES") {
        return PathBuf::from(dir);
    }
    let local = Path::new("assets/questionnaires");
    if local.is_dir() {
        return local.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/questionnaires")
}

/// Every questionnaire in `dir` that reads and checks, by file name, and
/// the errors of those that do not (each left out; nothing else changes).
/// Two with the same id: the second is refused.
pub fn load(dir: &Path) -> (Vec<Questionnaire>, Vec<FileErrors>) {
    let mut found: Vec<Questionnaire> = Vec::new();
    let mut errors = Vec::new();
    let Ok(files) = crate::diagnostics::ron_files(dir) else {
        return (found, errors);
    };
    for file in files {
        match read(&file.path) {
            Ok(q) if found.iter().any(|f| f.id == q.id) => errors.push(FileErrors::unreadable(
                &file.path.display().to_string(),
                format!("another questionnaire in the folder has the id {:?}", q.id),
            )),
            Ok(q) => found.push(q),
            Err(e) => errors.push(e),
        }
    }
    (found, errors)
}

fn check(q: &Questionnaire) -> Vec<Problem> {
    let mut c = Checker::default();
    if q.id.is_empty()
        || q.id.len() > 32
        || !q
            .id
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_')
    {
        c.problem(
            "id",
            format!("{:?}: expected 1 to 32 of a-z, 0-9, - and _", q.id),
        );
    }
    c.text("title", &q.title, 120);
    c.text("instructions", &q.instructions, 1000);
    c.text("licence", &q.licence, 2000);
    c.text("citation", &q.citation, 1000);
    if q.scale.len() < 2 {
        c.problem("scale", "a scale has at least two answers".into());
    }
    c.within("scale", |c| {
        for (i, answer) in q.scale.iter().enumerate() {
            c.item(i, |c| {
                if i > 0 && answer.value <= q.scale[i - 1].value {
                    c.problem(
                        "value",
                        format!(
                            "{} after {}: the answers go from the lowest value up",
                            answer.value,
                            q.scale[i - 1].value
                        ),
                    );
                }
                c.text("words", &answer.words, 80);
            });
        }
    });
    if q.items.is_empty() || q.items.len() > MAX_ITEMS {
        c.problem(
            "items",
            format!("{} items: expected 1 to {MAX_ITEMS}", q.items.len()),
        );
    }
    let n = q.items.len();
    let item_ref = |c: &mut Checker, field: &'static str, item: usize| {
        if item == 0 || item > n {
            c.problem(field, format!("item {item}: the items are 1 to {n}"));
        }
    };
    c.within("subscales", |c| {
        for (i, s) in q.subscales.iter().enumerate() {
            c.item(i, |c| {
                c.text("name", &s.name, 60);
                if s.items.is_empty() {
                    c.problem("items", "a subscale has at least one item".into());
                }
                for (k, item) in s.items.iter().enumerate() {
                    if *item == 0 || *item > n {
                        c.within("items", |c| {
                            c.item(k, |c| {
                                c.problem_at(
                                    c.at.clone(),
                                    format!("item {item}: the items are 1 to {n}"),
                                )
                            })
                        });
                    } else if s.items[..k].contains(item) {
                        c.problem("items", format!("item {item} is in the subscale twice"));
                    }
                }
                if !(s.weight.is_finite() && s.weight > 0.0) {
                    c.problem("weight", format!("{}: expected a number above 0", s.weight));
                }
            });
        }
    });
    let weight = match q.total {
        Total::ItemSum { weight } | Total::SubscaleSum { weight } => weight,
    };
    if !(weight.is_finite() && weight > 0.0) {
        c.problem(
            "total",
            format!("weight {weight}: expected a number above 0"),
        );
    }
    if matches!(q.total, Total::SubscaleSum { .. }) && q.subscales.is_empty() {
        c.problem(
            "total",
            "SubscaleSum adds the subscales, and there are none".into(),
        );
    }
    let (low, high) = q.range();
    c.within("cutoffs", |c| {
        for (i, cut) in q.cutoffs.iter().enumerate() {
            c.item(i, |c| {
                c.text("label", &cut.label, 60);
                if cut.from.partial_cmp(&cut.to) == Some(std::cmp::Ordering::Greater)
                    || cut.from.is_nan()
                    || cut.to.is_nan()
                {
                    c.problem("to", format!("{} is below from ({})", cut.to, cut.from));
                }
                if cut.from < low || cut.to > high {
                    c.problem(
                        "from",
                        format!(
                            "{} to {} is outside the totals this questionnaire gives ({low} to \
                             {high})",
                            cut.from, cut.to
                        ),
                    );
                }
                if i > 0 && cut.from <= q.cutoffs[i - 1].to {
                    c.problem(
                        "from",
                        format!(
                            "{} overlaps the band before it (to {}); the bands go up without \
                             overlapping",
                            cut.from,
                            q.cutoffs[i - 1].to
                        ),
                    );
                }
            });
        }
    });
    c.within("alerts", |c| {
        for (i, alert) in q.alerts.iter().enumerate() {
            c.item(i, |c| {
                item_ref(c, "item", alert.item);
                c.text("says", &alert.says, 500);
            });
        }
    });
    c.problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Questionnaire {
        read(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("assets/questionnaires")
                .join(name),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// PHQ-9, scored as its instruction manual says (Kroenke, Spitzer and
    /// Williams 2001; the PHQ Instruction Manual, Pfizer): the nine item
    /// scores added, 0 to 27; 5, 10, 15 and 20 are the thresholds of mild,
    /// moderate, moderately severe and severe depression. Item 9 is looked
    /// at whatever the total.
    #[test]
    fn phq9_is_scored_as_its_manual_says() {
        let phq9 = shipped("phq9.ron");
        // "Several days" for the first eight problems, "more than half the
        // days" for the first, never item 9: 9, mild, no alert.
        let s = phq9.score(&[2, 1, 1, 1, 1, 1, 1, 1, 0]).unwrap();
        assert_eq!((s.total, s.band.as_deref()), (9.0, Some("mild")));
        assert!(s.alerts.is_empty());
        // At the thresholds: 10 is moderate, 15 moderately severe, 20 and
        // the highest, 27, severe; 4 minimal.
        let at = |answers: [u8; 9]| phq9.score(&answers).unwrap();
        assert_eq!(
            at([2, 2, 2, 2, 1, 1, 0, 0, 0]).band.as_deref(),
            Some("moderate")
        );
        assert_eq!(
            at([3, 3, 3, 2, 2, 1, 1, 0, 0]).band.as_deref(),
            Some("moderately severe")
        );
        assert_eq!(
            at([3, 3, 3, 3, 2, 2, 2, 2, 0]).band.as_deref(),
            Some("severe")
        );
        assert_eq!(at([3; 9]).total, 27.0);
        assert_eq!(
            at([1, 1, 1, 1, 0, 0, 0, 0, 0]).band.as_deref(),
            Some("minimal")
        );
        // A total of 1, all of it item 9: minimal, and the alert raised.
        let s = at([0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!((s.total, s.band.as_deref()), (1.0, Some("minimal")));
        assert_eq!(s.alerts.len(), 1);
    }

    /// GAD-7 (Spitzer, Kroenke, Williams and Lowe 2006): the seven item
    /// scores added, 0 to 21; 5, 10 and 15 are the cut-points of mild,
    /// moderate and severe anxiety.
    #[test]
    fn gad7_is_scored_as_its_paper_says() {
        let gad7 = shipped("gad7.ron");
        let at = |answers: [u8; 7]| gad7.score(&answers).unwrap();
        assert_eq!(at([0; 7]).band.as_deref(), Some("minimal"));
        assert_eq!(at([1, 1, 1, 1, 1, 0, 0]).band.as_deref(), Some("mild"));
        assert_eq!(at([2, 2, 2, 2, 1, 1, 0]).band.as_deref(), Some("moderate"));
        let s = at([3, 3, 3, 2, 2, 1, 1]);
        assert_eq!((s.total, s.band.as_deref()), (15.0, Some("severe")));
        assert_eq!(at([3; 7]).total, 21.0);
    }

    #[test]
    fn answers_off_the_scale_or_too_few_are_refused_with_the_item() {
        let gad7 = shipped("gad7.ron");
        assert!(
            gad7.score(&[0; 6])
                .unwrap_err()
                .contains("7 items; 6 answers")
        );
        let err = gad7.score(&[0, 0, 4, 0, 0, 0, 0]).unwrap_err();
        assert!(
            err.contains("item 3 (Worrying too much about different things): 4"),
            "{err}"
        );
    }

    #[test]
    fn a_broken_questionnaire_is_named_at_its_line_and_left_out_of_the_folder() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/questionnaires/ssq.ron"),
        )
        .unwrap();
        let broken = text.replace(
            "items: [1, 2, 3, 4, 5, 9, 11]",
            "items: [1, 2, 3, 4, 5, 9, 17]",
        );
        let err = parse("broken.ron", broken.as_bytes()).unwrap_err();
        let line = broken.lines().position(|l| l.contains("9, 17]")).unwrap() + 1;
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!(err.0[0].line, line, "{err}");
        assert!(
            err.to_string().contains("item 17: the items are 1 to 16"),
            "{err}"
        );
        let overlapping = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/questionnaires/gad7.ron"),
        )
        .unwrap()
        .replace("(from: 5, to: 9", "(from: 4, to: 9");
        let err = parse("overlap.ron", overlapping.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("overlaps the band before it"),
            "{err}"
        );
        // In a folder: the broken one is said and left out, the rest load.
        let dir = std::env::temp_dir().join(format!("stillpoint-q-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.ron"), &text).unwrap();
        std::fs::write(dir.join("b.ron"), &broken).unwrap();
        let (found, errors) = load(&dir);
        assert_eq!(found.len(), 1);
        assert_eq!(errors.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_shipped_questionnaire_reads_and_checks() {
        let (found, errors) =
            load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/questionnaires"));
        assert!(errors.is_empty(), "{errors:?}");
        let ids: Vec<&str> = found.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["gad7", "phq9", "ssq"]);
    }
}
