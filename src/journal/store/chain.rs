//! The record's hash chains: each row that records something carries a
//! BLAKE2b-256 hash of its own fields and of the row before it, so a row
//! changed, removed or put in another order behind the app's back no longer
//! matches what follows it ([`super::verify`] finds where).
//!
//! Each session has two chains that start from the hash of its header (its
//! number, client, scene, title, kind and start): its steps in the order
//! they were kept, and its entries in the order they were made. Its end
//! seals both. The audit trail is one chain of its own. Deleting a session
//! removes its chains whole, and the audit trail says so.
//!
//! Every field goes in with its length or a fixed width, so two different
//! rows never give the same bytes to hash.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};

/// A link: the 32-byte hash a row carries.
pub(crate) type Link = Vec<u8>;

/// The fields of one row, hashed as they are given.
pub(crate) struct Fields(Blake2b<U32>);

impl Fields {
    /// A row of `table` that follows `before` (none for a session's header
    /// or the first audit row).
    pub(crate) fn new(table: &str, before: Option<&[u8]>) -> Self {
        let fields = Self(Blake2b::<U32>::new()).text(table);
        match before {
            Some(link) => fields.bytes(link),
            None => fields.bytes(&[]),
        }
    }

    /// A number.
    pub(crate) fn int(mut self, value: i64) -> Self {
        self.0.update([1u8]);
        self.0.update(value.to_le_bytes());
        self
    }

    /// A number that may be missing.
    pub(crate) fn opt(mut self, value: Option<i64>) -> Self {
        match value {
            Some(v) => self.int(v),
            None => {
                self.0.update([0u8]);
                self
            }
        }
    }

    /// Words.
    pub(crate) fn text(self, value: &str) -> Self {
        self.bytes(value.as_bytes())
    }

    fn bytes(mut self, value: &[u8]) -> Self {
        self.0.update([2u8]);
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value);
        self
    }

    /// The link.
    pub(crate) fn link(self) -> Link {
        self.0.finalize().to_vec()
    }
}

/// A session's header.
pub(crate) struct Header<'a> {
    pub(crate) id: i64,
    pub(crate) client: i64,
    pub(crate) scene: &'a str,
    pub(crate) title: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) started_ms: i64,
    pub(crate) started_at_us: i64,
}

impl Header<'_> {
    /// The link both of the session's chains start from.
    pub(crate) fn link(&self) -> Link {
        Fields::new("sessions", None)
            .int(self.id)
            .int(self.client)
            .text(self.scene)
            .text(self.title)
            .text(self.kind)
            .int(self.started_ms)
            .int(self.started_at_us)
            .link()
    }
}

/// A step kept for session `session`'s scene `scene`, after `before`.
pub(crate) fn step(
    before: &[u8],
    session: i64,
    scene: &str,
    number: i64,
    name: &str,
    say: &str,
) -> Link {
    Fields::new("steps", Some(before))
        .int(session)
        .text(scene)
        .int(number)
        .text(name)
        .text(say)
        .link()
}

/// An entry's fields, as the record keeps them.
pub(crate) struct EntryFields<'a> {
    pub(crate) session: i64,
    pub(crate) scene: Option<&'a str>,
    pub(crate) at_us: i64,
    pub(crate) wall_ms: i64,
    pub(crate) kind: &'a str,
    pub(crate) step: Option<i64>,
    pub(crate) value: Option<i64>,
    pub(crate) text: &'a str,
    pub(crate) corrects: Option<i64>,
}

impl EntryFields<'_> {
    /// Its link, after `before`.
    pub(crate) fn link(&self, before: &[u8]) -> Link {
        Fields::new("entries", Some(before))
            .int(self.session)
            .text(self.scene.unwrap_or(""))
            .int(i64::from(self.scene.is_some()))
            .int(self.at_us)
            .int(self.wall_ms)
            .text(self.kind)
            .opt(self.step)
            .opt(self.value)
            .text(self.text)
            .opt(self.corrects)
            .link()
    }
}

/// The seal of an ended session: the last links of its steps and its
/// entries, and its end.
pub(crate) fn seal(steps: &[u8], entries: &[u8], ended_ms: i64, ended_at_us: Option<i64>) -> Link {
    Fields::new("end", Some(steps))
        .bytes(entries)
        .int(ended_ms)
        .opt(ended_at_us)
        .link()
}

/// An audit row, after `before`.
pub(crate) fn audit(before: Option<&[u8]>, at_ms: i64, what: &str, detail: &str) -> Link {
    Fields::new("audit", before)
        .int(at_ms)
        .text(what)
        .text(detail)
        .link()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_moved_between_neighbours_changes_the_link() {
        // "ab" + "c" and "a" + "bc" must not hash alike.
        let one = Fields::new("t", None).text("ab").text("c").link();
        let two = Fields::new("t", None).text("a").text("bc").link();
        assert_ne!(one, two);
        let none = Fields::new("t", None).opt(None).int(0).link();
        let zero = Fields::new("t", None).int(0).opt(None).link();
        assert_ne!(none, zero);
        assert_eq!(one.len(), 32);
    }

    #[test]
    fn a_link_depends_on_the_one_before() {
        let a = audit(None, 1, "unlocked", "");
        let b = audit(Some(&a), 2, "exported", "session 1");
        let c = audit(
            Some(&audit(None, 1, "unlocked", "x")),
            2,
            "exported",
            "session 1",
        );
        assert_ne!(b, c);
        assert_eq!(b, audit(Some(&a), 2, "exported", "session 1"));
    }
}
