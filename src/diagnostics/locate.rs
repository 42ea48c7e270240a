//! Finds where a value sits in a RON text, so that errors found after parsing
//! (a value out of range, a missing file) can name a line and column.
//!
//! The RON parser reports positions only for syntax and type errors. Checks of
//! meaning run on the parsed values, which have no positions, and name the
//! value by its path instead (`terrain.shapes[1].radius_m`). This module walks
//! the text once more, tolerantly, and maps such a path back to the place
//! where the value starts.

/// A step in the path to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathStep {
    /// A named field of a struct or of a struct-like enum variant.
    Field(&'static str),
    /// An element of a list or tuple, counted from 0.
    Index(usize),
}

/// A path from the top of a file to one value.
pub(super) type ValuePath = Vec<PathStep>;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    /// Line, counted from 1.
    pub(super) line: usize,
    /// Column in characters, counted from 1.
    pub(super) column: usize,
}

/// Formats a path the way a scene author reads it: `scatter[2].count`.
pub(super) fn path_to_string(path: &[PathStep]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            PathStep::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            PathStep::Index(i) => {
                out.push_str(&format!("[{i}]"));
            }
        }
    }
    out
}

/// Where the value at `path` starts in `source`, or where the deepest part of
/// the path that exists starts (a missing field is reported at its parent).
pub(super) fn locate(source: &str, path: &[PathStep]) -> Position {
    let mut scanner = Scanner::new(source);
    scanner.skip_trivia();
    let root = scanner.value(0);
    let mut node = &root;
    for step in path {
        let next = match (step, &node.children) {
            (PathStep::Field(name), Children::Fields(fields)) => fields
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, child)| child),
            (PathStep::Index(i), Children::Items(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(child) => node = child,
            None => break,
        }
    }
    node.start
}

/// How deep the scanner follows nesting before it stops looking: far deeper
/// than any scene, and shallow enough that a hostile file cannot overflow the
/// stack.
const MAX_DEPTH: usize = 64;

struct Node {
    start: Position,
    children: Children,
}

enum Children {
    None,
    Fields(Vec<(String, Node)>),
    Items(Vec<Node>),
}

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
}

impl<'a> Scanner<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            chars: source.chars().peekable(),
            line: 1,
            column: 1,
        }
    }

    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    /// Skips whitespace and comments.
    fn skip_trivia(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('/') => {
                    let mut ahead = self.chars.clone();
                    ahead.next();
                    match ahead.next() {
                        Some('/') => {
                            while let Some(c) = self.bump() {
                                if c == '\n' {
                                    break;
                                }
                            }
                        }
                        Some('*') => {
                            self.bump();
                            self.bump();
                            let mut depth = 1;
                            let mut previous = ' ';
                            while let Some(c) = self.bump() {
                                if previous == '*' && c == '/' {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                    previous = ' ';
                                    continue;
                                }
                                if previous == '/' && c == '*' {
                                    depth += 1;
                                    previous = ' ';
                                    continue;
                                }
                                previous = c;
                            }
                        }
                        _ => return,
                    }
                }
                _ => return,
            }
        }
    }

    /// Reads one value and returns its outline.
    fn value(&mut self, depth: usize) -> Node {
        self.skip_trivia();
        let start = self.position();
        let leaf = Node {
            start,
            children: Children::None,
        };
        if depth > MAX_DEPTH {
            return leaf;
        }
        match self.peek() {
            Some('(') => self.group(start, depth, ')'),
            Some('[') => self.group(start, depth, ']'),
            Some('{') => self.group(start, depth, '}'),
            Some('"') => {
                self.string();
                leaf
            }
            Some('\'') => {
                self.bump();
                while let Some(c) = self.bump() {
                    match c {
                        '\\' => {
                            self.bump();
                        }
                        '\'' => break,
                        _ => {}
                    }
                }
                leaf
            }
            Some('r') if self.raw_string_ahead() => {
                self.raw_string();
                leaf
            }
            Some(c) if is_ident_char(c) => {
                let name = self.ident();
                self.skip_trivia();
                if self.peek() == Some('(') {
                    let mut inner = self.group(start, depth, ')');
                    // `Some(x)` is transparent: the path steps into `x`.
                    if name == "Some"
                        && let Children::Items(items) = &mut inner.children
                        && items.len() == 1
                    {
                        return items.remove(0);
                    }
                    return inner;
                }
                leaf
            }
            Some(_) => {
                self.bump();
                leaf
            }
            None => leaf,
        }
    }

    /// Reads `( ... )`, `[ ... ]` or `{ ... }` after its opening bracket is
    /// next. Entries written `name: value` become fields; others become items.
    fn group(&mut self, start: Position, depth: usize, close: char) -> Node {
        self.bump();
        let mut fields = Vec::new();
        let mut items = Vec::new();
        loop {
            self.skip_trivia();
            match self.peek() {
                None => break,
                Some(c) if c == close => {
                    self.bump();
                    break;
                }
                Some(',') => {
                    self.bump();
                    continue;
                }
                Some(')' | ']' | '}') => {
                    // A stray closing bracket: give up on this group.
                    self.bump();
                    break;
                }
                _ => {}
            }
            let entry_start = self.position();
            // A field name is an identifier followed by a single `:`.
            if let Some(name) = self.field_name_ahead() {
                for _ in 0..name.chars().count() {
                    self.bump();
                }
                self.skip_trivia();
                self.bump(); // the ':'
                let child = self.value(depth + 1);
                fields.push((name, child));
            } else {
                let child = self.value(depth + 1);
                if close == '}' {
                    // A map entry `key: value`: keep the value, keyed by order.
                    self.skip_trivia();
                    if self.peek() == Some(':') {
                        self.bump();
                        let value = self.value(depth + 1);
                        items.push(value);
                        continue;
                    }
                }
                items.push(child);
            }
            if self.position() == entry_start {
                // Nothing was consumed: skip a character so the scan ends.
                self.bump();
            }
        }
        let children = if !fields.is_empty() {
            Children::Fields(fields)
        } else {
            Children::Items(items)
        };
        Node { start, children }
    }

    /// If the text ahead is `identifier :` (and not `::`), the identifier.
    fn field_name_ahead(&self) -> Option<String> {
        let mut ahead = self.chars.clone();
        let mut name = String::new();
        while let Some(&c) = ahead.peek() {
            if is_ident_char(c) {
                name.push(c);
                ahead.next();
            } else {
                break;
            }
        }
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        while let Some(&c) = ahead.peek() {
            if c.is_whitespace() {
                ahead.next();
            } else {
                break;
            }
        }
        if ahead.next() == Some(':') && ahead.peek() != Some(&':') {
            Some(name)
        } else {
            None
        }
    }

    fn ident(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if is_ident_char(c) {
                name.push(c);
                self.bump();
            } else {
                break;
            }
        }
        name
    }

    fn string(&mut self) {
        self.bump();
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    self.bump();
                }
                '"' => break,
                _ => {}
            }
        }
    }

    fn raw_string_ahead(&self) -> bool {
        let mut ahead = self.chars.clone();
        ahead.next();
        loop {
            match ahead.next() {
                Some('#') => continue,
                Some('"') => return true,
                _ => return false,
            }
        }
    }

    fn raw_string(&mut self) {
        self.bump(); // r
        let mut hashes = 0;
        while self.peek() == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.bump(); // "
        while let Some(c) = self.bump() {
            if c == '"' {
                let mut seen = 0;
                while seen < hashes && self.peek() == Some('#') {
                    self.bump();
                    seen += 1;
                }
                if seen == hashes {
                    break;
                }
            }
        }
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '+'
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathStep::{Field, Index};

    const TEXT: &str = r#"// a comment with ( brackets [
(
    title: "Lake (dusk)",
    terrain: (
        size_m: 600.0,
        shapes: [
            Basin(center_m: (0.0, -40.0), radius_m: 90.0, depth_m: 6.0),
            Hill(
                center_m: (10.0, 5.0),
                radius_m: 30.0, /* inline */ height_m: 4.0,
            ),
        ],
    ),
    water: Some((level_m: 0.0)),
)
"#;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn finds_nested_fields_and_list_items() {
        assert_eq!(locate(TEXT, &[Field("title")]), at(3, 12));
        assert_eq!(
            locate(TEXT, &[Field("terrain"), Field("size_m")]),
            at(5, 17)
        );
        assert_eq!(
            locate(TEXT, &[Field("terrain"), Field("shapes"), Index(1)]),
            at(8, 13)
        );
        assert_eq!(
            locate(
                TEXT,
                &[
                    Field("terrain"),
                    Field("shapes"),
                    Index(1),
                    Field("height_m")
                ]
            ),
            at(10, 56)
        );
        assert_eq!(
            locate(
                TEXT,
                &[
                    Field("terrain"),
                    Field("shapes"),
                    Index(0),
                    Field("center_m"),
                    Index(1)
                ]
            ),
            at(7, 35)
        );
    }

    #[test]
    fn steps_through_some() {
        assert_eq!(
            locate(TEXT, &[Field("water"), Field("level_m")]),
            at(14, 27)
        );
    }

    #[test]
    fn missing_field_points_at_its_parent() {
        assert_eq!(
            locate(TEXT, &[Field("terrain"), Field("resolution")]),
            at(4, 14)
        );
    }

    #[test]
    fn formats_paths_for_people() {
        assert_eq!(
            path_to_string(&[Field("scatter"), Index(2), Field("count")]),
            "scatter[2].count"
        );
    }

    #[test]
    fn survives_garbage() {
        for text in [
            "",
            "(",
            ")))",
            "(a: [1, (b: {",
            "\"unterminated",
            "r##\"x\"#",
        ] {
            let _ = locate(text, &[Field("a"), Index(3), Field("b")]);
        }
        let deep = "(".repeat(10_000);
        assert_eq!(locate(&deep, &[Index(0)]), at(1, 2));
    }
}
