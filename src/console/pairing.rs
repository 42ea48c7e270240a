//! Pairing a browser with the app: a six-digit code shown on screen and in
//! the terminal, single-use and good for five minutes; a right one gives a
//! random 32-byte session token, compared in constant time.
//!
//! Guessing is bounded twice. After [`WRONG_TRIES`] wrong tries the code is
//! withdrawn, and no new one is made until the person at the app asks for
//! one (C): a program cannot have codes made for it. And across codes, at
//! most [`MAX_TRIES`] tries (wrong or malformed) are looked at in any
//! [`TRIES_WINDOW`]; a try past that is refused unchecked, so it neither
//! counts against the code nor says anything about it.
//!
//! The odds for a program on this machine guessing as fast as it can for a
//! whole day: each code shown takes at most 5 of its 10^6 values before it
//! is withdrawn, a chance of 5 in 10^6 (5e-6) per code, and a new code
//! appears only when a person presses C. Were codes renewed constantly,
//! the limit across codes still lets through at most 10 tries a minute,
//! 14,400 a day, each with a chance of 1 in 10^6: at most 1.44 % in a day
//! (before, with a new code made after every 5 wrong tries, a program
//! guessing 2,760 times a second paired in 511 s).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

/// How long a code is good for.
pub const CODE_LIFE: Duration = Duration::from_secs(5 * 60);

/// Wrong tries before the code is withdrawn.
const WRONG_TRIES: u32 = 5;

/// The most tries looked at in any [`TRIES_WINDOW`], across codes.
pub const MAX_TRIES: usize = 10;

/// The window of [`MAX_TRIES`].
const TRIES_WINDOW: Duration = Duration::from_secs(60);

/// The most browsers paired at once; pairing another forgets the oldest.
const MAX_TOKENS: usize = 8;

/// Why a code was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No code is shown (used, expired or never asked for).
    NoCode,
    /// The code shown is not this one; `left` tries remain on it.
    Wrong {
        /// Tries left before it is withdrawn.
        left: u32,
    },
    /// Too many wrong tries: the code is withdrawn until the person at the
    /// app asks for a new one.
    Withdrawn,
    /// Not six digits.
    Malformed,
    /// Too many tries of late: refused without being looked at.
    TooManyTries,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoCode => f.write_str(
                "no pairing code is shown now: press C in the app's window for a new one",
            ),
            Self::Wrong { left } => write!(f, "that is not the code shown; {left} tries left"),
            Self::Withdrawn => f.write_str(
                "too many wrong codes: the code is withdrawn; ask the person at the app to press C for a new one",
            ),
            Self::Malformed => f.write_str("a pairing code is six digits"),
            Self::TooManyTries => f.write_str("too many tries; wait a minute"),
        }
    }
}

/// What a try changed that the terminal says, once when it happens (never
/// for each try, and never with a code in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum News {
    /// The code was withdrawn after wrong tries.
    Withdrawn,
    /// The limit across codes started refusing tries.
    Limiting,
}

impl std::fmt::Display for News {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Withdrawn => write!(
                f,
                "the console's pairing code was withdrawn after {WRONG_TRIES} wrong tries; \
                 press C in the app's window for a new one"
            ),
            Self::Limiting => write!(
                f,
                "more than {MAX_TRIES} console pairing tries in a minute: \
                 further tries are refused unchecked for now"
            ),
        }
    }
}

/// The pairing state: the code on screen, if any, and the tokens given.
#[derive(Debug, Default)]
pub struct Pairing {
    code: Option<([u8; 6], Instant)>,
    wrong: u32,
    /// The code was withdrawn after wrong tries, and no new one asked for.
    withdrawn: bool,
    /// When the tries of the last [`TRIES_WINDOW`] were made, oldest first.
    tries: VecDeque<Instant>,
    /// The limit refused the last try (so that it is said once).
    limiting: bool,
    tokens: Vec<[u8; 32]>,
    /// Counts the codes made, so that a watcher sees a change.
    pub made: u64,
}

/// Random bytes from the operating system.
fn random(bytes: &mut [u8]) {
    getrandom::fill(bytes).expect("the operating system gives random bytes");
}

impl Pairing {
    /// Makes a new code (the old one stops working, and a withdrawn one is
    /// replaced) and returns it. Only a person asks for one.
    pub fn renew(&mut self, now: Instant) -> String {
        let mut digits = [0u8; 6];
        for d in &mut digits {
            // Rejection keeps each digit uniform.
            let mut b = [0u8; 1];
            loop {
                random(&mut b);
                if b[0] < 250 {
                    break;
                }
            }
            *d = b'0' + b[0] % 10;
        }
        self.code = Some((digits, now));
        self.wrong = 0;
        self.withdrawn = false;
        self.made += 1;
        String::from_utf8_lossy(&digits).into_owned()
    }

    /// The code shown now and the time it has left, if one is good.
    pub fn shown(&self, now: Instant) -> Option<(String, Duration)> {
        let (digits, made) = self.code?;
        let left = CODE_LIFE.checked_sub(now.duration_since(made))?;
        (!left.is_zero()).then(|| (String::from_utf8_lossy(&digits).into_owned(), left))
    }

    /// Takes a typed code: a new token when it is the one shown (and the
    /// code is then used up), else why not, with what the terminal should
    /// say of it, if anything.
    pub(super) fn pair(
        &mut self,
        typed: &str,
        now: Instant,
    ) -> Result<[u8; 32], (Refusal, Option<News>)> {
        // The limit comes first: a try past it is not looked at, so it
        // neither counts against the code nor tells anything about it.
        while self
            .tries
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= TRIES_WINDOW)
        {
            self.tries.pop_front();
        }
        if self.tries.len() >= MAX_TRIES {
            let news = (!self.limiting).then_some(News::Limiting);
            self.limiting = true;
            return Err((Refusal::TooManyTries, news));
        }
        self.limiting = false;
        let result = self.check(typed, now);
        // A right code need not count: it ends the pairing.
        if result.is_err() {
            self.tries.push_back(now);
        }
        result
    }

    /// [`Self::pair`] within the limit.
    fn check(&mut self, typed: &str, now: Instant) -> Result<[u8; 32], (Refusal, Option<News>)> {
        let typed = typed.trim();
        if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
            return Err((Refusal::Malformed, None));
        }
        if self.withdrawn {
            return Err((Refusal::Withdrawn, None));
        }
        let Some((digits, made)) = self.code else {
            return Err((Refusal::NoCode, None));
        };
        if now.duration_since(made) >= CODE_LIFE {
            self.code = None;
            return Err((Refusal::NoCode, None));
        }
        if bool::from(digits.ct_eq(typed.as_bytes())) {
            self.code = None;
            let mut token = [0u8; 32];
            random(&mut token);
            if self.tokens.len() == MAX_TOKENS {
                self.tokens.remove(0);
            }
            self.tokens.push(token);
            return Ok(token);
        }
        self.wrong += 1;
        if self.wrong >= WRONG_TRIES {
            // Withdrawn, not replaced: a new code would be five more
            // guesses, and only the person at the app may ask for those.
            self.code = None;
            self.withdrawn = true;
            return Err((Refusal::Withdrawn, Some(News::Withdrawn)));
        }
        Err((
            Refusal::Wrong {
                left: WRONG_TRIES - self.wrong,
            },
            None,
        ))
    }

    /// Whether `token` was given by a pairing, compared in constant time
    /// against every token given.
    pub(super) fn knows(&self, token: &[u8]) -> bool {
        let mut known = subtle::Choice::from(0);
        for t in &self.tokens {
            known |= t.as_slice().ct_eq(token);
        }
        bool::from(known)
    }
}

/// A token as the cookie carries it: 64 hex digits.
pub(super) fn hex(token: &[u8; 32]) -> String {
    token.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cookie's 64 hex digits back to the token; `None` if they are not.
pub(super) fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_pairs_once_and_then_is_gone() {
        let t0 = Instant::now();
        let mut p = Pairing::default();
        let code = p.renew(t0);
        assert_eq!(code.len(), 6);
        let token = p.pair(&code, t0).unwrap();
        assert!(p.knows(&token));
        assert_eq!(p.pair(&code, t0).unwrap_err().0, Refusal::NoCode);
        assert!(p.shown(t0).is_none());
        assert!(!p.knows(&[0u8; 32]));
        assert_eq!(unhex(&hex(&token)), Some(token));
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn a_code_expires_after_five_minutes() {
        let t0 = Instant::now();
        let mut p = Pairing::default();
        let code = p.renew(t0);
        assert!(p.shown(t0 + CODE_LIFE - Duration::from_secs(1)).is_some());
        let late = t0 + CODE_LIFE;
        assert!(p.shown(late).is_none());
        assert_eq!(p.pair(&code, late).unwrap_err().0, Refusal::NoCode);
    }

    /// A six-digit code that is not `code`.
    fn other(code: &str) -> &'static str {
        if code == "000000" { "111111" } else { "000000" }
    }

    #[test]
    fn five_wrong_tries_withdraw_the_code_until_the_person_asks_for_a_new_one() {
        let t0 = Instant::now();
        let mut p = Pairing::default();
        let code = p.renew(t0);
        let made = p.made;
        let wrong = other(&code);
        for left in (1..WRONG_TRIES).rev() {
            assert_eq!(p.pair(wrong, t0), Err((Refusal::Wrong { left }, None)));
        }
        // Withdrawn, said once, and no new code made.
        assert_eq!(
            p.pair(wrong, t0),
            Err((Refusal::Withdrawn, Some(News::Withdrawn)))
        );
        assert!(p.shown(t0).is_none());
        assert_eq!(p.made, made, "a wrong try made a new code");
        // The right code no longer pairs; nothing more is said.
        assert_eq!(p.pair(&code, t0), Err((Refusal::Withdrawn, None)));
        assert_eq!(p.pair(wrong, t0), Err((Refusal::Withdrawn, None)));
        assert!(p.shown(t0).is_none());
        assert_eq!(p.made, made);

        // The person at the app presses C (a minute on, past the limit's
        // window): a new code, with its own five tries.
        let t1 = t0 + TRIES_WINDOW;
        let new = p.renew(t1);
        assert_eq!(p.shown(t1).unwrap().0, new);
        assert_eq!(
            p.pair(other(&new), t1),
            Err((
                Refusal::Wrong {
                    left: WRONG_TRIES - 1
                },
                None
            ))
        );
        assert!(p.pair(&new, t1).is_ok());
        assert_eq!(p.pair("12345", t1).unwrap_err().0, Refusal::Malformed);
        assert_eq!(p.pair("12a456", t1).unwrap_err().0, Refusal::Malformed);
    }

    #[test]
    fn ten_tries_a_minute_across_codes_and_a_try_past_them_reveals_nothing() {
        let t0 = Instant::now();
        let mut p = Pairing::default();
        // Ten tries over two codes (as if C were pressed at once), wrong
        // and malformed alike.
        let first = p.renew(t0);
        for _ in 0..4 {
            assert!(matches!(
                p.pair(other(&first), t0),
                Err((Refusal::Wrong { .. }, None))
            ));
        }
        assert_eq!(p.pair("abc", t0).unwrap_err().0, Refusal::Malformed);
        let second = p.renew(t0);
        for _ in 0..4 {
            assert!(matches!(
                p.pair(other(&second), t0),
                Err((Refusal::Wrong { .. }, None))
            ));
        }
        assert_eq!(p.pair("1234567", t0).unwrap_err().0, Refusal::Malformed);

        // Past the limit even the right code is refused unchecked, and the
        // limit is said once.
        let t1 = t0 + Duration::from_secs(1);
        let right = p.renew(t1);
        assert_eq!(
            p.pair(&right, t1),
            Err((Refusal::TooManyTries, Some(News::Limiting)))
        );
        for _ in 0..20 {
            assert_eq!(
                p.pair(other(&right), t1),
                Err((Refusal::TooManyTries, None))
            );
        }
        let edge = t0 + TRIES_WINDOW - Duration::from_millis(1);
        assert_eq!(p.pair(&right, edge), Err((Refusal::TooManyTries, None)));
        // Those tries did not count against the code, nor use it up.
        assert_eq!(p.shown(edge).unwrap().0, right);
        let t2 = t0 + TRIES_WINDOW;
        assert_eq!(
            p.pair(other(&right), t2),
            Err((
                Refusal::Wrong {
                    left: WRONG_TRIES - 1
                },
                None
            ))
        );
        assert!(p.pair(&right, t2).is_ok());
    }

    #[test]
    fn a_day_of_guessing_as_fast_as_allowed_gets_at_most_14400_looks() {
        // Four tries a second for a day, with a new code whenever one is
        // withdrawn (as if the person pressed C each time): the limit
        // across codes looks at no more than ten a minute.
        let t0 = Instant::now();
        let mut p = Pairing::default();
        let mut code = p.renew(t0);
        let mut looked = 0u32;
        let mut said = 0u32;
        for quarter in 0..4 * 86_400u64 {
            let now = t0 + Duration::from_millis(250 * quarter);
            match p.pair(other(&code), now) {
                Err((Refusal::TooManyTries, news)) => said += u32::from(news.is_some()),
                Err((Refusal::Withdrawn, _)) => {
                    looked += 1;
                    code = p.renew(now);
                }
                Err(_) => looked += 1,
                Ok(_) => panic!("a wrong code paired"),
            }
        }
        let per_day = 86_400 / TRIES_WINDOW.as_secs() as u32 * MAX_TRIES as u32;
        assert_eq!(per_day, 14_400);
        assert!(looked <= per_day, "{looked} tries looked at in a day");
        assert!(f64::from(per_day) / 1e6 <= 0.0144);
        // The limit is said once each time it starts refusing, not per try.
        assert!(said <= 24 * 60 + 1, "{said} lines");
    }
}
