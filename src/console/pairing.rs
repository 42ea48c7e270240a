//! Pairing a browser with the app: a six-digit code shown on screen and in
//! the terminal, single-use, good for five minutes and replaced after five
//! wrong tries; a right one gives a random 32-byte session token, compared
//! in constant time.

use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

/// How long a code is good for.
pub const CODE_LIFE: Duration = Duration::from_secs(5 * 60);

/// Wrong tries before the code is replaced.
pub const WRONG_TRIES: u32 = 5;

/// The most browsers paired at once; pairing another forgets the oldest.
pub const MAX_TOKENS: usize = 8;

/// Why a code was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No code is shown (used, expired or never asked for).
    NoCode,
    /// The code shown is not this one; `left` tries remain on it.
    Wrong {
        /// Tries left before it is replaced.
        left: u32,
    },
    /// Too many wrong tries: a new code replaces it.
    Replaced,
    /// Not six digits.
    Malformed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoCode => f.write_str(
                "no pairing code is shown now: press C in the app's window for a new one",
            ),
            Self::Wrong { left } => write!(f, "that is not the code shown; {left} tries left"),
            Self::Replaced => {
                f.write_str("too many wrong codes: the app shows a new one; type that")
            }
            Self::Malformed => f.write_str("a pairing code is six digits"),
        }
    }
}

/// The pairing state: the code on screen, if any, and the tokens given.
#[derive(Debug, Default)]
pub struct Pairing {
    code: Option<([u8; 6], Instant)>,
    wrong: u32,
    tokens: Vec<[u8; 32]>,
    /// Counts the codes made, so that a watcher sees a change.
    pub made: u64,
}

/// Random bytes from the operating system.
pub fn random(bytes: &mut [u8]) {
    getrandom::fill(bytes).expect("the operating system gives random bytes");
}

impl Pairing {
    /// Makes a new code (the old one stops working) and returns it.
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
    /// code is then used up), else why not. A code replaced here is
    /// returned in the refusal's place, for the terminal.
    pub fn pair(
        &mut self,
        typed: &str,
        now: Instant,
    ) -> Result<[u8; 32], (Refusal, Option<String>)> {
        let typed = typed.trim();
        if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
            return Err((Refusal::Malformed, None));
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
            let new = self.renew(now);
            return Err((Refusal::Replaced, Some(new)));
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
    pub fn knows(&self, token: &[u8]) -> bool {
        let mut known = subtle::Choice::from(0);
        for t in &self.tokens {
            known |= t.as_slice().ct_eq(token);
        }
        bool::from(known)
    }
}

/// A token as the cookie carries it: 64 hex digits.
pub fn hex(token: &[u8; 32]) -> String {
    token.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cookie's 64 hex digits back to the token; `None` if they are not.
pub fn unhex(text: &str) -> Option<[u8; 32]> {
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

    #[test]
    fn five_wrong_tries_replace_the_code() {
        let t0 = Instant::now();
        let mut p = Pairing::default();
        let code = p.renew(t0);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for left in (1..WRONG_TRIES).rev() {
            assert_eq!(p.pair(wrong, t0).unwrap_err().0, Refusal::Wrong { left });
        }
        let (why, new) = p.pair(wrong, t0).unwrap_err();
        assert_eq!(why, Refusal::Replaced);
        let new = new.unwrap();
        assert_eq!(p.shown(t0).unwrap().0, new);
        if new != code {
            assert!(matches!(p.pair(&code, t0), Err((Refusal::Wrong { .. }, _))));
        }
        assert!(p.pair(&new, t0).is_ok());
        assert_eq!(p.pair("12345", t0).unwrap_err().0, Refusal::Malformed);
        assert_eq!(p.pair("12a456", t0).unwrap_err().0, Refusal::Malformed);
    }
}
