//! Writing to the terminal without ever failing: `println!` and `eprintln!`
//! panic when the other end is gone (`stillpoint scenes | head -1`, a
//! closed terminal, a service whose output is closed). What is said here is
//! said if anyone listens, and otherwise dropped: a listing ends quietly,
//! and the app goes on with its session.

use std::io::Write;

/// Writes one line to standard output; says whether it got there.
pub(crate) fn out(line: std::fmt::Arguments<'_>) -> bool {
    writeln!(std::io::stdout().lock(), "{line}").is_ok()
}

/// Writes one line to standard error; says whether it got there.
pub(crate) fn err(line: std::fmt::Arguments<'_>) -> bool {
    writeln!(std::io::stderr().lock(), "{line}").is_ok()
}

/// `println!` that never panics: see [`out`].
#[macro_export]
macro_rules! say {
    ($($words:tt)*) => {{
        let _ = $crate::terminal::out(format_args!($($words)*));
    }};
}

/// `eprintln!` that never panics: see [`err`].
#[macro_export]
macro_rules! tell {
    ($($words:tt)*) => {{
        let _ = $crate::terminal::err(format_args!($($words)*));
    }};
}
