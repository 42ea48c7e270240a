//! Clients: every recorded session belongs to one. A client is a random
//! code (`K7HF-3M`) that reports and file names carry, with an alias the
//! therapist may type, which stays inside the record.

use rusqlite::{Connection, OptionalExtension, params};

use super::audit;
use super::error::StoreError;

/// The characters of a client's code: capitals and digits that no one
/// reads as another (no 0 or O, 1, I or L, 2 or Z, 5 or S, 8 or B, U or V,
/// G or 6, Q or D).
pub const CODE_CHARACTERS: &str = "3479ACEFHJKMNPRTWXY";

/// How many characters a code has, the dash aside.
const CODE_LENGTH: usize = 6;

/// A client as the record keeps them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Client {
    /// The record's own number for them (never shown).
    #[serde(skip)]
    pub id: i64,
    /// Their code.
    pub code: String,
    /// The alias the therapist gave them; empty when none. Never in a
    /// report or an export.
    #[serde(skip)]
    pub alias: String,
}

/// Who a session is for, as the therapist said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRef {
    /// The client with this code.
    Code(String),
    /// The latest client with this alias, made if there is none (an empty
    /// alias is the client the therapist gave no alias).
    Alias(String),
    /// A new client, with this alias (empty: none).
    New(String),
}

/// A new random code.
pub(crate) fn new_code() -> String {
    let alphabet = CODE_CHARACTERS.as_bytes();
    // The largest multiple of the alphabet's size below 256: bytes above
    // it are drawn again, so every character is as likely.
    let limit = 256 - 256 % alphabet.len();
    let mut code = String::with_capacity(CODE_LENGTH + 1);
    while code.len() < CODE_LENGTH + 1 {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).expect("the operating system gives random bytes");
        if usize::from(byte[0]) >= limit {
            continue;
        }
        if code.len() == 4 {
            code.push('-');
        }
        code.push(char::from(alphabet[usize::from(byte[0]) % alphabet.len()]));
    }
    code
}

/// A code as a person typed it (any case, with or without its dash), in
/// the form the record keeps; or why it is not a client's code.
pub fn parse_code(typed: &str) -> Result<String, String> {
    let letters: Vec<char> = typed
        .trim()
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if let Some(wrong) = letters.iter().find(|c| !CODE_CHARACTERS.contains(**c)) {
        return Err(format!(
            "{typed:?} is not a client's code: {wrong:?} is never in one (codes look like \
             K7HF-3M; `stillpoint journal clients` lists them)"
        ));
    }
    if letters.len() != CODE_LENGTH {
        return Err(format!(
            "{typed:?} is not a client's code: a code has {CODE_LENGTH} characters (like \
             K7HF-3M); `stillpoint journal clients` lists them"
        ));
    }
    let mut code: String = letters[..4].iter().collect();
    code.push('-');
    code.extend(&letters[4..]);
    Ok(code)
}

/// The client with `code`.
pub fn by_code(db: &Connection, code: &str) -> rusqlite::Result<Option<Client>> {
    db.prepare_cached("SELECT id, code, alias FROM clients WHERE code = ?1")?
        .query_row([code], client)
        .optional()
}

/// The client a person means by `typed`: a code, or else an alias (the
/// latest client with it).
pub fn find(db: &Connection, typed: &str) -> rusqlite::Result<Option<Client>> {
    if let Ok(code) = parse_code(typed)
        && let Some(found) = by_code(db, &code)?
    {
        return Ok(Some(found));
    }
    by_alias(db, typed)
}

/// The latest client with `alias`.
fn by_alias(db: &Connection, alias: &str) -> rusqlite::Result<Option<Client>> {
    db.prepare_cached(
        "SELECT id, code, alias FROM clients WHERE alias = ?1 ORDER BY id DESC LIMIT 1",
    )?
    .query_row([alias], client)
    .optional()
}

/// Every client, oldest first.
pub fn list(db: &Connection) -> rusqlite::Result<Vec<Client>> {
    db.prepare("SELECT id, code, alias FROM clients ORDER BY id")?
        .query_map([], client)?
        .collect()
}

/// The client `who` names, made if it is an alias no client has yet or a
/// code the record no longer has (deleted while a session for them was
/// being started: their session is kept rather than lost).
pub(crate) fn resolve(db: &Connection, who: &ClientRef, now_ms: i64) -> rusqlite::Result<Client> {
    let found = match who {
        ClientRef::Code(code) => by_code(db, code)?,
        ClientRef::Alias(alias) => by_alias(db, alias)?,
        ClientRef::New(_) => None,
    };
    if let Some(client) = found {
        return Ok(client);
    }
    match who {
        ClientRef::Code(code) => make_with(db, code, "", now_ms),
        ClientRef::Alias(alias) | ClientRef::New(alias) => make(db, alias, now_ms),
    }
}

/// Makes a client with a fresh code and `alias`.
pub(crate) fn make(db: &Connection, alias: &str, now_ms: i64) -> rusqlite::Result<Client> {
    loop {
        let code = new_code();
        if by_code(db, &code)?.is_none() {
            return make_with(db, &code, alias, now_ms);
        }
    }
}

fn make_with(db: &Connection, code: &str, alias: &str, now_ms: i64) -> rusqlite::Result<Client> {
    db.prepare_cached("INSERT INTO clients (code, alias, created_ms) VALUES (?1, ?2, ?3)")?
        .execute(params![code, alias, now_ms])?;
    let id = db.last_insert_rowid();
    audit::append(db, now_ms, "client made", "")?;
    Ok(Client {
        id,
        code: code.to_owned(),
        alias: alias.to_owned(),
    })
}

/// The client `typed` names, or the error that says there is none.
pub(crate) fn named(
    db: &Connection,
    typed: &str,
    path: &std::path::Path,
) -> Result<Client, StoreError> {
    find(db, typed)
        .map_err(|e| StoreError::sql_on(path, db, e))?
        .ok_or_else(|| StoreError::NoSuchClient(typed.to_owned()))
}

fn client(r: &rusqlite::Row) -> rusqlite::Result<Client> {
    Ok(Client {
        id: r.get(0)?,
        code: r.get(1)?,
        alias: r.get(2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_only_their_characters_and_read_back_as_typed_in_any_case() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), 7, "{code}");
            assert_eq!(code.as_bytes()[4], b'-', "{code}");
            assert!(
                code.chars()
                    .filter(|c| *c != '-')
                    .all(|c| CODE_CHARACTERS.contains(c)),
                "{code}"
            );
            assert_eq!(parse_code(&code.to_lowercase().replace('-', "")), Ok(code));
        }
    }

    #[test]
    fn look_alike_characters_are_never_in_a_code() {
        for c in "0O1IL2Z5S8BUVG6QD".chars() {
            assert!(!CODE_CHARACTERS.contains(c), "{c}");
        }
        let err = parse_code("K0HF-3M").unwrap_err();
        assert!(err.contains("'0' is never in one"), "{err}");
        assert!(parse_code("K7HF-3").unwrap_err().contains("6 characters"));
    }
}
