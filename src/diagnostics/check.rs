//! The walk that checks a parsed file's meaning: each problem is named by
//! the path of its value, which [`super::locate`] turns into a line and a
//! column.

use super::locate::{PathStep, ValuePath};

/// One thing wrong with a file, named by the path of the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// Which value is wrong.
    pub(crate) path: ValuePath,
    /// What is wrong and what was expected.
    pub(crate) message: String,
}

/// Collects problems while walking a parsed file, keeping track of the path.
#[derive(Default)]
pub(crate) struct Checker {
    /// The path of the value being checked.
    pub(crate) at: ValuePath,
    /// What was found wrong so far.
    pub(crate) problems: Vec<Problem>,
}

impl Checker {
    /// Checks inside the field `field`.
    pub(crate) fn within(&mut self, field: &'static str, f: impl FnOnce(&mut Self)) {
        self.at.push(PathStep::Field(field));
        f(self);
        self.at.pop();
    }

    /// Checks inside element `index` of a list.
    pub(crate) fn item(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        self.at.push(PathStep::Index(index));
        f(self);
        self.at.pop();
    }

    /// A problem with the field `field` here.
    pub(crate) fn problem(&mut self, field: &'static str, message: String) {
        let mut path = self.at.clone();
        path.push(PathStep::Field(field));
        self.problems.push(Problem { path, message });
    }

    /// A problem with the value at `path`.
    pub(crate) fn problem_at(&mut self, path: ValuePath, message: String) {
        self.problems.push(Problem { path, message });
    }

    /// `value` of field `field` must lie in `min..=max` (and be a number).
    pub(crate) fn range(
        &mut self,
        field: &'static str,
        value: f32,
        min: f32,
        max: f32,
        unit: &str,
    ) {
        self.at.push(PathStep::Field(field));
        self.range_here(value, min, max, unit);
        self.at.pop();
    }

    /// A `(low, high)` pair of field `field`: both in `min..=max`, in order.
    pub(crate) fn span(
        &mut self,
        field: &'static str,
        (low, high): (f32, f32),
        min: f32,
        max: f32,
        unit: &str,
    ) {
        self.within(field, |c| {
            c.at.push(PathStep::Index(0));
            let before = c.problems.len();
            c.range_here(low, min, max, unit);
            c.at.pop();
            c.at.push(PathStep::Index(1));
            c.range_here(high, min, max, unit);
            c.at.pop();
            if c.problems.len() == before && low > high {
                let path = c.at.clone();
                c.problem_at(path, format!("({low}, {high}) is backwards; expected (min, max) with min no greater than max"));
            }
        });
    }

    /// The value at the current path must lie in `min..=max`.
    pub(crate) fn range_here(&mut self, value: f32, min: f32, max: f32, unit: &str) {
        if !(min..=max).contains(&value) {
            let unit = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            let got = if value.is_finite() {
                format!("{value}{unit}")
            } else {
                "a value that is not a finite number".into()
            };
            let path = self.at.clone();
            self.problem_at(
                path,
                format!("{got} is out of range; expected {min} to {max}{unit}"),
            );
        }
    }

    /// A count of at most `max`.
    pub(crate) fn count(&mut self, field: &'static str, value: u32, max: u32) {
        if value > max {
            self.problem(
                field,
                format!("{value} is too many; expected at most {max}"),
            );
        }
    }

    /// A count from `min` to `max`.
    pub(crate) fn count_between(&mut self, field: &'static str, value: u32, min: u32, max: u32) {
        if !(min..=max).contains(&value) {
            self.problem(
                field,
                format!("{value} is out of range; expected {min} to {max}"),
            );
        }
    }

    /// A list of at most `max` entries, called `things` in the message.
    pub(crate) fn list_len(&mut self, field: &'static str, len: usize, max: usize, things: &str) {
        if len > max {
            self.problem(
                field,
                format!("{len} {things} is too many; expected at most {max}"),
            );
        }
    }

    /// A linear-light colour: each channel from 0 to 1.
    pub(crate) fn color(&mut self, field: &'static str, (r, g, b): (f32, f32, f32)) {
        self.within(field, |c| {
            for (i, channel) in [r, g, b].into_iter().enumerate() {
                if !(0.0..=1.0).contains(&channel) {
                    c.at.push(PathStep::Index(i));
                    let path = c.at.clone();
                    c.at.pop();
                    let name = ["red", "green", "blue"][i];
                    let got = if channel.is_finite() { format!("{channel}") } else { "not a finite number".into() };
                    c.problem_at(path, format!("colour channel {name} is {got}; expected a linear-light value from 0 to 1"));
                }
            }
        });
    }

    /// Words a person reads: not empty, at most `max_chars` characters.
    pub(crate) fn text(&mut self, field: &'static str, text: &str, max_chars: usize) {
        if text.trim().is_empty() {
            self.problem(field, "is empty; expected some words".into());
        } else if text.chars().count() > max_chars {
            self.problem(
                field,
                format!(
                    "is {} characters long; expected at most {max_chars}",
                    text.chars().count()
                ),
            );
        }
    }

    /// A reference to another RON file of kind `what` ("scene", "session"),
    /// relative to this file's folder; `example` shows a good one.
    pub(crate) fn reference(
        &mut self,
        field: &'static str,
        path: &str,
        file_exists: &dyn Fn(&str) -> bool,
        what: &str,
        example: &str,
    ) {
        let looks_safe = !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && !path.split('/').any(|part| part == "..")
            && path.ends_with(".ron");
        if !looks_safe {
            self.problem(field, format!("\"{path}\" is not a {what} file name; expected a .ron path relative to this scene's folder, such as \"{example}\""));
        } else if !file_exists(path) {
            self.problem(
                field,
                format!("\"{path}\" does not exist as a file; expected a {what} file, relative to this scene's folder"),
            );
        }
    }
}
