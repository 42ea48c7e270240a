//! Clients' plans in the record: each change a new row, the latest of a
//! client and scene in force, chained per client and scene and noted in the
//! audit trail (by number and scene, never by the client's words).

use rusqlite::{Connection, OptionalExtension, params};

use super::audit;
use super::chain::Fields;

/// A plan as the record keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPlan {
    /// Its number in the record.
    pub id: i64,
    /// When it was made, milliseconds since 1970 (UTC).
    pub made_ms: i64,
    /// The plan, as RON ([`crate::plan`]).
    pub text: String,
}

/// The link of a plan row, after `before` (none for a client's first plan
/// of a scene).
fn link(before: Option<&[u8]>, client: i64, scene: &str, made_ms: i64, text: &str) -> Vec<u8> {
    Fields::new("plans", before)
        .int(client)
        .text(scene)
        .int(made_ms)
        .text(text)
        .link()
}

/// Keeps `text` as client `client`'s plan for `scene` from now on, and
/// notes it in the audit trail; returns its number. In the caller's
/// transaction.
pub fn save(
    tx: &Connection,
    client: i64,
    scene: &str,
    text: &str,
    made_ms: i64,
) -> rusqlite::Result<i64> {
    let before: Option<Vec<u8>> = tx
        .prepare_cached(
            "SELECT chain FROM plans WHERE client = ?1 AND scene = ?2 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![client, scene], |r| r.get(0))
        .optional()?;
    let chain = link(before.as_deref(), client, scene, made_ms, text);
    tx.prepare_cached(
        "INSERT INTO plans (client, scene, made_ms, plan, chain) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![client, scene, made_ms, text, chain])?;
    let id = tx.last_insert_rowid();
    audit::append(
        tx,
        made_ms,
        "plan changed",
        &format!("plan {id}, for {scene}"),
    )?;
    Ok(id)
}

/// Client `client`'s plan for `scene` in force now, if they have one.
pub fn in_force(db: &Connection, client: i64, scene: &str) -> rusqlite::Result<Option<KeptPlan>> {
    db.prepare_cached(
        "SELECT id, made_ms, plan FROM plans WHERE client = ?1 AND scene = ?2
         ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![client, scene], |r| {
        Ok(KeptPlan {
            id: r.get(0)?,
            made_ms: r.get(1)?,
            text: r.get(2)?,
        })
    })
    .optional()
}

/// Checks every plan's link; says where one breaks.
pub(super) fn check(db: &Connection, broken: &mut Vec<String>) -> rusqlite::Result<usize> {
    let mut rows = db.prepare(
        "SELECT id, client, scene, made_ms, plan, chain FROM plans ORDER BY client, scene, id",
    )?;
    let mut rows = rows.query([])?;
    let mut last: Option<(i64, String, Vec<u8>)> = None;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        let (id, client, scene): (i64, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let before = match &last {
            Some((c, s, chain)) if *c == client && *s == scene => Some(chain.as_slice()),
            _ => None,
        };
        let made = link(before, client, &scene, r.get(3)?, &r.get::<_, String>(4)?);
        let kept: Vec<u8> = r.get(5)?;
        if kept != made {
            broken.push(format!(
                "plan {id}: changed, or a plan before it of the same client and scene was \
                 changed or removed"
            ));
        }
        last = Some((client, scene, kept));
    }
    Ok(n)
}

/// The plan in force for `scene` of the client session `session` is for.
pub(crate) fn of_session(
    db: &Connection,
    session: i64,
    scene: &str,
) -> rusqlite::Result<Option<KeptPlan>> {
    let client: Option<i64> = db
        .prepare_cached("SELECT client FROM sessions WHERE id = ?1")?
        .query_row([session], |r| r.get(0))
        .optional()?
        .flatten();
    match client {
        Some(client) => in_force(db, client, scene),
        None => Ok(None),
    }
}
