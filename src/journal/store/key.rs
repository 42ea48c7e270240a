//! The record's key: the therapist's passphrase made into the 256-bit key
//! SQLCipher encrypts the file with, and how a file is told to be plain,
//! encrypted or new from its first bytes.
//!
//! The key is derived with Argon2id (RFC 9106), not with SQLCipher's own
//! PBKDF2: Argon2id needs 64 MiB of memory per guess, so a copied file
//! cannot be attacked with the thousands of cheap parallel guesses a
//! graphics card makes of an iterated hash. Its salt is the file's own: an
//! encrypted SQLCipher file begins with 16 random bytes, in the clear, that
//! SQLCipher keeps as its salt. A new file gets fresh random bytes, given
//! to SQLCipher with the raw key (`x'<key><salt>'`), so no second file is
//! needed to open the record: the passphrase and the file are enough.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::Connection;
use zeroize::Zeroizing;

/// A therapist's passphrase, held in memory that is wiped when dropped and
/// never printed. It remembers the keys made from it (one per salt), wiped
/// with it, so a run derives each record's key once, not at every opening.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>, Arc<Mutex<Vec<Derived>>>);

/// A key made from a passphrase, and the salt it was made with.
type Derived = ([u8; SALT_BYTES], Zeroizing<[u8; KEY_BYTES]>);

impl Passphrase {
    /// The fewest characters a new passphrase may have.
    pub const SHORTEST: usize = 10;

    /// Wraps `text` as it was typed or read.
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text), Arc::default())
    }

    /// Why `self` will not do as a new passphrase, if it will not.
    pub(crate) fn refuse_as_new(&self) -> Option<String> {
        let n = self.0.chars().count();
        (n < Self::SHORTEST).then(|| {
            format!(
                "a passphrase needs at least {} characters (this one has {n}); several words \
                 are easier to remember than symbols",
                Self::SHORTEST
            )
        })
    }

    /// Whether two passphrases are the same, in time that does not depend
    /// on where they differ.
    pub(crate) fn same_as(&self, other: &Passphrase) -> bool {
        use subtle::ConstantTimeEq;
        self.as_bytes().ct_eq(other.as_bytes()).into()
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl<'de> serde::Deserialize<'de> for Passphrase {
    /// As a page sends it: the words, wrapped at once.
    fn deserialize<D: serde::Deserializer<'de>>(words: D) -> Result<Self, D::Error> {
        String::deserialize(words).map(Self::new)
    }
}

impl PartialEq for Passphrase {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(hidden)")
    }
}

/// What a record's file holds, as its first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// No file, or an empty one: a record yet to be made.
    New,
    /// A plain SQLite database, readable by anyone who copies it.
    Plain,
    /// Anything else at least a page long: an encrypted record with this
    /// salt, or a file that is not a database at all (which no passphrase
    /// opens).
    Encrypted([u8; SALT_BYTES]),
}

/// Reads the first bytes of the file at `path` to tell what it holds.
pub(crate) fn file_kind(path: &Path) -> io::Result<FileKind> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileKind::New),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; SALT_BYTES];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let len = file.metadata()?.len();
    Ok(match got {
        0 => FileKind::New,
        _ if head == *PLAIN_HEADER => FileKind::Plain,
        // Shorter than SQLite's smallest page: a plain database cut short
        // (SQLite says what is wrong with it) or no database at all.
        _ if len < SMALLEST_PAGE => FileKind::Plain,
        _ => FileKind::Encrypted(head),
    })
}

/// SQLCipher's key for one record file: 32 bytes from the passphrase and
/// the file's salt, wiped when dropped.
pub(crate) struct Key {
    bytes: Zeroizing<[u8; KEY_BYTES]>,
    salt: [u8; SALT_BYTES],
}

impl Key {
    /// The key for a record whose salt is `salt`. Takes about a second of
    /// one core and 64 MiB of memory, by design.
    pub(crate) fn derive(passphrase: &Passphrase, salt: [u8; SALT_BYTES]) -> Self {
        let mut made = passphrase.1.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, bytes)) = made.iter().find(|(s, _)| *s == salt) {
            return Self {
                bytes: bytes.clone(),
                salt,
            };
        }
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        argon2()
            .hash_password_into(passphrase.as_bytes(), &salt, bytes.as_mut())
            .expect("the parameters, salt and output length are within Argon2's limits");
        made.push((salt, bytes.clone()));
        Self { bytes, salt }
    }

    /// The key for a new record: a fresh random salt.
    pub(crate) fn for_new(passphrase: &Passphrase) -> io::Result<Self> {
        let mut salt = [0u8; SALT_BYTES];
        getrandom::fill(&mut salt).map_err(io::Error::other)?;
        Ok(Self::derive(passphrase, salt))
    }

    /// Gives the key to `db`, which must have just been opened: SQLCipher
    /// takes it before the first read. A wrong key shows at that read.
    pub(crate) fn unlock(&self, db: &Connection) -> rusqlite::Result<()> {
        // A wrong key is said once, in our words ([`StoreError`]), not also
        // as SQLCipher's own lines on the terminal.
        //
        // [`StoreError`]: super::StoreError
        db.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        db.execute_batch(&self.pragma("key"))
    }

    /// The key, as SQLCipher's raw-key form with its salt: `x'` then 64
    /// hexadecimal digits of key and 32 of salt.
    pub(crate) fn raw(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(2 * (KEY_BYTES + SALT_BYTES) + 3));
        text.push_str("x'");
        for byte in self.bytes.iter().chain(self.salt.iter()) {
            text.push(HEX[usize::from(byte >> 4)] as char);
            text.push(HEX[usize::from(byte & 0xf)] as char);
        }
        text.push('\'');
        text
    }

    fn pragma(&self, which: &str) -> Zeroizing<String> {
        let raw = self.raw();
        Zeroizing::new(format!("PRAGMA {which} = \"{}\";", raw.as_str()))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(hidden)")
    }
}

/// The length of SQLCipher's salt at the head of an encrypted file.
pub(crate) const SALT_BYTES: usize = 16;

/// What a plain SQLite database begins with.
const PLAIN_HEADER: &[u8; SALT_BYTES] = b"SQLite format 3\0";

const KEY_BYTES: usize = 32;

/// SQLite's smallest page, and so the shortest file SQLCipher writes.
const SMALLEST_PAGE: u64 = 512;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Argon2id as RFC 9106 recommends where memory is plentiful but not
/// unlimited (its second choice): 64 MiB, three passes, four lanes.
/// Changing these makes every record unreadable, so a change would need
/// a record of which were used.
fn argon2() -> Argon2<'static> {
    let params = Params::new(64 * 1024, 3, 4, Some(KEY_BYTES))
        .expect("64 MiB, three passes and four lanes are valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_passphrase_and_salt_give_the_same_key_and_either_changed_another() {
        let pass = Passphrase::new("correct horse battery".into());
        let salt = [7u8; SALT_BYTES];
        let a = Key::derive(&pass, salt);
        let b = Key::derive(&pass, salt);
        assert_eq!(a.raw().as_str(), b.raw().as_str());
        let other_salt = Key::derive(&pass, [8u8; SALT_BYTES]);
        let other_pass = Key::derive(&Passphrase::new("correct horse battery!".into()), salt);
        assert_ne!(a.raw()[..66], other_salt.raw()[..66]);
        assert_ne!(a.raw()[..66], other_pass.raw()[..66]);
        // x' + 64 + 32 hex digits + '
        assert_eq!(a.raw().len(), 99);
        assert!(a.raw().ends_with(&format!("{}'", "07".repeat(SALT_BYTES))));
    }

    #[test]
    fn argon2id_gives_rfc_9106s_test_vector() {
        // RFC 9106, section 5.3 (Argon2id): 32 bytes of 0x01 as the
        // password, 16 of 0x02 as the salt, 8 of 0x03 as the secret, 12 of
        // 0x04 as the associated data, 32 KiB, 3 passes, 4 lanes.
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .data(argon2::AssociatedData::new(&[4; 12]).unwrap())
            .output_len(32)
            .build()
            .unwrap();
        let argon =
            Argon2::new_with_secret(&[3; 8], Algorithm::Argon2id, Version::V0x13, params).unwrap();
        let mut out = [0u8; 32];
        argon
            .hash_password_into(&[1; 32], &[2; 16], &mut out)
            .unwrap();
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    #[test]
    fn a_short_passphrase_is_refused_as_new_and_never_printed() {
        let short = Passphrase::new("tiny".into());
        assert!(short.refuse_as_new().unwrap().contains("at least 10"));
        assert!(
            Passphrase::new("four words are plenty".into())
                .refuse_as_new()
                .is_none()
        );
        assert_eq!(format!("{short:?}"), "Passphrase(hidden)");
    }
}
