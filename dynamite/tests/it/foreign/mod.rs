//! Foreign data: items another program wrote through the raw SDK, read
//! through Dynamite on every plan.
//!
//! The generator ([`draw`]) starts from an item Dynamite itself would store
//! and spoils it the way another writer might: a wrong type on any
//! attribute (templated key fields, version, TTL, soft-delete marker,
//! entity type), fractions, huge exponents, NULLs, sets, missing and extra
//! attributes, another entity's item at a colliding key. Each draw carries
//! its fate by construction (the reference), decided by the documented
//! rules:
//!
//! - **hidden**: another entity's item (entity attribute not exactly this
//!   model's name as a string), a soft-delete marker that is present and not
//!   NULL (any type), or an expired TTL (a number whose exact decimal value
//!   is below now; no other type ever expires);
//! - **undecodable**: a visible item with an attribute its field cannot
//!   hold; a read that returns it fails with `Error::Decode`, whatever the
//!   plan (GetItem, BatchGetItem, TransactGetItems, Query, Scan, pages);
//!   a count counts it (counts decode nothing); hidden items never cause a
//!   decode error;
//! - **row**: otherwise, with the field values the item holds.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use dynamite::prelude::*;
use dynamite::{Condition, Dynamite, Item};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::common::builder;

mod plans;
mod writes;

type AV = AttributeValue;

// ---------------------------------------------------------------- models

/// A model with its own table: a GSI, a version, soft delete and TTL.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "fx_tickets")]
pub struct Ticket {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub queue: String,
    pub rank: i64,
    pub note: Option<String>,
    #[dynamite(version)]
    pub version: u64,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

/// The parent of `Ticket`s (by `queue`), for includes and lazy loads.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "fx_desks")]
pub struct Desk {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(has_many(foreign_key = "queue"))]
    pub tickets: HasMany<Ticket>,
}

/// A backend with `Ticket` and its parents `Desk` (one per queue).
async fn ticket_db() -> Dynamite {
    let db = builder()
        .table::<Ticket>()
        .table::<Desk>()
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    for q in QUEUES {
        Desk::create().id(*q).exec(&db).await.unwrap();
    }
    db
}

/// A shared-table model with key templates, an overloaded GSI, a version,
/// soft delete and TTL.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "fx_shared", pk = "T#{tenant}", sk = "J#{id}")]
#[dynamite(index(name = "gsi1", pk = "Q#{queue}", sk = "J#{id}"))]
pub struct Job {
    pub tenant: String,
    pub id: u16,
    pub queue: String,
    pub rank: i64,
    pub note: Option<String>,
    #[dynamite(version)]
    pub version: u64,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

/// Renders the same keys as `Job`: only the entity type keeps them apart.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(
    table = "fx_shared",
    pk = "T#{tenant}",
    sk = "J#{id}",
    entity = "JobTwin"
)]
pub struct JobTwin {
    pub tenant: String,
    pub id: u16,
    pub rank: i64,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

// ---------------------------------------------------------------- the generator

/// Far enough from now that the clock cannot move a value across the line
/// during a case, and (in the past) more than five years ago: DynamoDB
/// (Local too) never sweeps those, so they stay stored on every backend.
const LONG_AGO: i64 = 6 * 366 * 24 * 3600;
const AHEAD: i64 = 30 * 24 * 3600;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One stored value of an attribute and what a reader makes of it.
#[derive(Debug, Clone)]
pub struct Draw<T> {
    /// What the other program stored (`None`: the attribute is absent).
    pub stored: Option<AV>,
    /// What the field decodes to; `Err` when it cannot hold the value.
    pub decoded: Result<T, ()>,
}

fn n(text: impl Into<String>) -> Option<AV> {
    Some(AV::N(text.into()))
}

fn s(text: impl Into<String>) -> Option<AV> {
    Some(AV::S(text.into()))
}

fn ok<T>(stored: Option<AV>, value: T) -> Draw<T> {
    Draw {
        stored,
        decoded: Ok(value),
    }
}

fn bad<T>(stored: Option<AV>) -> Draw<T> {
    Draw {
        stored,
        decoded: Err(()),
    }
}

/// Values of other types than a number (none of them ever expires).
fn non_numbers() -> Vec<AV> {
    vec![
        AV::S("1".into()),
        AV::S("1700000000".into()),
        AV::B(vec![1u8].into()),
        AV::Bool(false),
        AV::Ns(vec!["1".into()]),
        AV::Ss(vec!["x".into()]),
        AV::L(vec![AV::N("1".into())]),
        AV::M(HashMap::from([("n".to_owned(), AV::N("1".into()))])),
    ]
}

/// A TTL attribute (field `Option<i64>`) as another program may store it,
/// with whether it has expired at `now`. Every past value is more than
/// five years old; see [`LONG_AGO`].
#[derive(Debug, Clone)]
pub struct TtlDraw {
    /// The value and its decoding.
    pub draw: Draw<Option<i64>>,
    /// Whether the row has expired (the reference's own judgement).
    pub expired: bool,
}

pub fn ttl_draw(now: i64) -> BoxedStrategy<TtlDraw> {
    // Half the rows keep a TTL Dynamite itself would write (or none).
    let plain: Vec<TtlDraw> = ttl_cases(now).into_iter().take(3).collect();
    prop_oneof![
        1 => proptest::sample::select(plain),
        1 => proptest::sample::select(ttl_cases(now)),
    ]
    .boxed()
}

/// Every TTL value of [`ttl_draw`].
pub fn ttl_cases(now: i64) -> Vec<TtlDraw> {
    let past = now - LONG_AGO;
    let future = now + AHEAD;
    let tiny = format!("0.{}1", "0".repeat(100));
    let mut cases: Vec<(Draw<Option<i64>>, bool)> = vec![
        (ok(None, None), false),
        (ok(Some(AV::Null(true)), None), false),
        (ok(n(future.to_string()), Some(future)), false),
        (ok(n(past.to_string()), Some(past)), true),
        (ok(n("1e3"), Some(1000)), true),
        (ok(n("1E+3"), Some(1000)), true),
        (ok(n("-5"), Some(-5)), true),
        (ok(n("0"), Some(0)), true),
        // The same second, other notations.
        (ok(n(format!("{future}.000")), Some(future)), false),
        (ok(n(format!("{}E-2", future * 100)), Some(future)), false),
        // Fractions: judged exactly, but not whole seconds.
        (bad(n("1.5")), true),
        (bad(n(&tiny)), true),
        (bad(n(format!("{past}.5"))), true),
        (bad(n(format!("{future}.5"))), false),
        (bad(n(format!("-{future}.5"))), true),
        // Beyond i64, exactly compared: far future (or far past).
        (bad(n("99999999999999999999999999999999999999")), false),
        (bad(n("1E+125")), false),
        (bad(n("-1E+125")), true),
        // A milliseconds value is a second far in the future.
        (ok(n((now * 1000).to_string()), Some(now * 1000)), false),
    ];
    cases.extend(non_numbers().into_iter().map(|v| (bad(Some(v)), false)));
    cases
        .into_iter()
        .map(|(draw, expired)| TtlDraw { draw, expired })
        .collect()
}

/// A soft-delete marker (field `Option<i64>`): present and not NULL, of any
/// type, marks the row deleted.
#[derive(Debug, Clone)]
pub struct MarkerDraw {
    pub stored: Option<AV>,
    pub deleted: bool,
}

pub fn marker_draw() -> BoxedStrategy<MarkerDraw> {
    let mut marked = vec![(n("1700000000"), true), (n("0"), true), (n("1.5"), true)];
    marked.extend(non_numbers().into_iter().map(|v| (Some(v), true)));
    prop_oneof![
        6 => proptest::sample::select(vec![(None, false), (Some(AV::Null(true)), false)]),
        1 => proptest::sample::select(marked),
    ]
    .prop_map(|(stored, deleted)| MarkerDraw { stored, deleted })
    .boxed()
}

/// An `i64` field (also `u64` for the non-negative draws).
pub fn int_draw() -> BoxedStrategy<Draw<i64>> {
    let mut cases: Vec<Draw<i64>> = vec![
        ok(n("3"), 3),
        ok(n("0"), 0),
        ok(n("-1"), -1),
        ok(n("7"), 7),
        ok(n("1E+1"), 10),
        ok(n("2.0"), 2),
        bad(n("2.5")),
        bad(n("0.5")),
        bad(n("99999999999999999999")),
        bad(n("1E+125")),
        bad(None),
        bad(Some(AV::Null(true))),
    ];
    cases.extend(non_numbers().into_iter().map(|v| bad(Some(v))));
    // Mostly well-formed, so rows survive.
    prop_oneof![
        5 => (0i64..9).prop_map(|r| ok(n(r.to_string()), r)),
        1 => proptest::sample::select(cases),
    ]
    .boxed()
}

/// An `Option<String>` field.
pub fn note_draw() -> BoxedStrategy<Draw<Option<String>>> {
    let good: Vec<Draw<Option<String>>> = vec![
        ok(None, None),
        ok(Some(AV::Null(true)), None),
        ok(s("a"), Some("a".into())),
        ok(s("ab"), Some("ab".into())),
        ok(s("b"), Some("b".into())),
        ok(s(""), Some(String::new())),
    ];
    let spoiled: Vec<Draw<Option<String>>> = vec![
        bad(n("1")),
        bad(Some(AV::Ss(vec!["a".into()]))),
        bad(Some(AV::Bool(true))),
    ];
    prop_oneof![
        6 => proptest::sample::select(good),
        1 => proptest::sample::select(spoiled),
    ]
    .boxed()
}

/// A version (`u64`): a wrong type, a fraction or a negative number does
/// not decode.
pub fn version_draw() -> BoxedStrategy<Draw<u64>> {
    let good: Vec<Draw<u64>> = vec![ok(n("1"), 1), ok(n("4"), 4), ok(n("1E+2"), 100)];
    let spoiled: Vec<Draw<u64>> = vec![
        bad(n("1.5")),
        bad(n("-1")),
        bad(s("1")),
        bad(None),
        bad(Some(AV::Null(true))),
    ];
    prop_oneof![
        6 => proptest::sample::select(good),
        1 => proptest::sample::select(spoiled),
    ]
    .boxed()
}

/// A required `String` field that is not a key attribute.
pub fn text_draw(values: &'static [&'static str]) -> BoxedStrategy<Draw<String>> {
    let good = proptest::sample::select(values.to_vec()).prop_map(|v| ok(s(v), v.to_owned()));
    let spoiled = proptest::sample::select(vec![
        bad(n("1")),
        bad(None),
        bad(Some(AV::Null(true))),
        bad(Some(AV::Ss(vec!["q0".into()]))),
    ]);
    prop_oneof![8 => good, 1 => spoiled].boxed()
}

/// The entity attribute of a shared-table item: only exactly this model's
/// name as a string owns it.
pub fn entity_draw(own: &'static str) -> BoxedStrategy<(Option<AV>, bool)> {
    let foreign = proptest::sample::select(vec![
        (s(own.to_lowercase()), false),
        (s("Other"), false),
        (n("1"), false),
        (None, false),
        (Some(AV::Null(true)), false),
    ]);
    prop_oneof![6 => Just((s(own), true)), 1 => foreign].boxed()
}

/// Attributes no model declares (kept by DynamoDB, ignored by decoding).
pub fn extras() -> BoxedStrategy<Vec<(String, AV)>> {
    let value = proptest::sample::select(vec![
        AV::S("x".into()),
        AV::N("1E+125".into()),
        AV::Null(true),
        AV::Ss(vec!["a".into()]),
    ]);
    proptest::collection::vec(
        (
            proptest::sample::select(vec!["zz", "legacy", "Rank"]),
            value,
        ),
        0..2,
    )
    .prop_map(|v| v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    .boxed()
}

/// What a reader of model `M` sees of one stored item.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate<M> {
    /// Another entity's, soft-deleted or expired: no read shows it.
    Hidden(&'static str),
    /// Visible, but a field cannot hold what is stored.
    Undecodable,
    /// Visible and decoded.
    Row(M),
}

impl<M> Fate<M> {
    fn visible(&self) -> bool {
        !matches!(self, Fate::Hidden(_))
    }
}

/// Sets or removes one attribute.
fn put(item: &mut Item, name: &str, value: Option<AV>) {
    match value {
        Some(v) => {
            item.insert(name.to_owned(), v);
        }
        None => {
            item.remove(name);
        }
    }
}

/// The fields every foreign draw of a model spoils alike.
#[derive(Debug, Clone)]
pub struct Common {
    pub rank: Draw<i64>,
    pub note: Draw<Option<String>>,
    pub version: Draw<u64>,
    pub marker: MarkerDraw,
    pub ttl: TtlDraw,
    pub extras: Vec<(String, AV)>,
}

/// Half the items as Dynamite itself writes them (rows to find among the
/// spoiled ones), half spoiled.
pub fn common(now: i64) -> BoxedStrategy<Common> {
    let clean = (0i64..9, note_draw(), ttl_draw(now)).prop_map(move |(rank, note, ttl)| Common {
        rank: ok(n(rank.to_string()), rank),
        note: if note.decoded.is_ok() {
            note
        } else {
            ok(None, None)
        },
        version: ok(n("1"), 1),
        marker: MarkerDraw {
            stored: None,
            deleted: false,
        },
        ttl: if ttl.draw.decoded.is_ok() {
            ttl
        } else {
            ttl_cases(now).swap_remove(0)
        },
        extras: Vec::new(),
    });
    prop_oneof![1 => clean, 1 => spoiled(now)].boxed()
}

/// Every attribute drawn from its spoiled values too.
pub fn spoiled(now: i64) -> BoxedStrategy<Common> {
    (
        int_draw(),
        note_draw(),
        version_draw(),
        marker_draw(),
        ttl_draw(now),
        extras(),
    )
        .prop_map(|(rank, note, version, marker, ttl, extras)| Common {
            rank,
            note,
            version,
            marker,
            ttl,
            extras,
        })
        .boxed()
}

impl Common {
    /// Writes the draws into `item`.
    fn apply(&self, item: &mut Item) {
        put(item, "rank", self.rank.stored.clone());
        put(item, "note", self.note.stored.clone());
        put(item, "version", self.version.stored.clone());
        put(item, "deleted_at", self.marker.stored.clone());
        put(item, "until", self.ttl.draw.stored.clone());
        for (k, v) in &self.extras {
            item.insert(k.clone(), v.clone());
        }
    }

    /// Why the item is hidden, if it is (ownership aside).
    fn hidden(&self) -> Option<&'static str> {
        if self.marker.deleted {
            Some("soft-deleted")
        } else if self.ttl.expired {
            Some("expired")
        } else {
            None
        }
    }
}

/// A foreign `Ticket` item and its fate.
#[derive(Debug, Clone)]
pub struct ForeignTicket {
    pub item: Item,
    pub fate: Fate<Ticket>,
}

const QUEUES: &[&str] = &["q0", "q1"];

/// A `Ticket` item; its key is `t{i}`. The GSI key (`queue`) can only be a
/// string or absent: DynamoDB refuses another type for an index key.
pub fn ticket(i: usize, now: i64) -> BoxedStrategy<ForeignTicket> {
    let queue = prop_oneof![
        6 => proptest::sample::select(QUEUES.to_vec()).prop_map(|q| ok(s(q), q.to_owned())),
        1 => Just(bad(None)),
    ];
    (queue, common(now))
        .prop_map(move |(queue, c)| {
            let id = format!("t{i}");
            let mut item = Item::new();
            item.insert("id".into(), AV::S(id.clone()));
            put(&mut item, "queue", queue.stored.clone());
            c.apply(&mut item);
            let fate = match c.hidden() {
                Some(why) => Fate::Hidden(why),
                None => match (
                    queue.decoded,
                    c.rank.decoded,
                    c.note.decoded,
                    c.version.decoded,
                    c.ttl.draw.decoded,
                ) {
                    (Ok(queue), Ok(rank), Ok(note), Ok(version), Ok(until)) => Fate::Row(Ticket {
                        id,
                        queue,
                        rank,
                        note,
                        version,
                        deleted_at: None,
                        until,
                    }),
                    _ => Fate::Undecodable,
                },
            };
            ForeignTicket { item, fate }
        })
        .boxed()
}

/// A foreign item of the shared table and its fate for `Job` and `JobTwin`.
#[derive(Debug, Clone)]
pub struct ForeignShared {
    pub item: Item,
    pub job: Fate<Job>,
    pub twin: Fate<JobTwin>,
}

const TENANTS: &[&str] = &["a", "b"];

/// An item at `Job`'s key `(tenant, id)`: a spoiled `Job`, or a `JobTwin`
/// (another entity at a colliding key), with spoiled templated fields
/// (`tenant`, `id`) too. The key attributes are always the rendered ones.
pub fn shared(tenant: &'static str, id: u16, now: i64) -> BoxedStrategy<ForeignShared> {
    let tenant_field = prop_oneof![
        12 => Just(ok(s(tenant), tenant.to_owned())),
        1 => Just(bad(n("1"))),
        1 => Just(bad(None)),
    ];
    let id_field = prop_oneof![
        18 => Just(ok(n(id.to_string()), id)),
        2 => Just(ok(n(format!("{id}.0")), id)),
        1 => Just(bad(s(id.to_string()))),
        1 => Just(bad(n(format!("{id}.5")))),
        1 => Just(bad(n("70000"))),
    ];
    let twin = proptest::bool::weighted(0.2);
    (
        tenant_field,
        id_field,
        text_draw(QUEUES),
        common(now),
        entity_draw("Job"),
        twin,
    )
        .prop_map(move |(t, i, queue, c, (entity, owned), twin)| {
            // The keys as Dynamite renders them for (tenant, id).
            let base = Job {
                tenant: tenant.to_owned(),
                id,
                queue: "q0".into(),
                rank: 0,
                note: None,
                version: 1,
                deleted_at: None,
                until: None,
            };
            let mut item = base.to_item().unwrap();
            Job::META.render_keys(&mut item).unwrap();
            // The overloaded GSI keys follow the (well-typed) queue.
            if let Ok(q) = &queue.decoded {
                let gsi = Job::META.indexes.iter().find(|x| x.name == "gsi1").unwrap();
                item.insert(gsi.partition_key.name.to_owned(), AV::S(format!("Q#{q}")));
            } else {
                for gsi in Job::META.indexes {
                    item.remove(gsi.partition_key.name);
                    if let Some(sk) = gsi.sort_key {
                        item.remove(sk.name);
                    }
                }
            }
            put(&mut item, "tenant", t.stored.clone());
            put(&mut item, "id", i.stored.clone());
            put(&mut item, "queue", queue.stored.clone());
            c.apply(&mut item);
            let entity_attr = Job::META.single_table.unwrap().entity_attribute;
            if twin {
                item.insert(entity_attr.to_owned(), AV::S("JobTwin".into()));
            } else {
                put(&mut item, entity_attr, entity.clone());
            }
            let hidden = c.hidden();
            let job = match (twin || !owned, hidden) {
                (true, _) => Fate::Hidden("another entity"),
                (false, Some(why)) => Fate::Hidden(why),
                (false, None) => match (
                    t.decoded.clone(),
                    i.decoded,
                    queue.decoded,
                    c.rank.decoded,
                    c.note.decoded,
                    c.version.decoded,
                    c.ttl.draw.decoded,
                ) {
                    (Ok(tenant), Ok(id), Ok(queue), Ok(rank), Ok(note), Ok(version), Ok(until)) => {
                        Fate::Row(Job {
                            tenant,
                            id,
                            queue,
                            rank,
                            note,
                            version,
                            deleted_at: None,
                            until,
                        })
                    }
                    _ => Fate::Undecodable,
                },
            };
            // The twin has no soft delete: only its TTL hides it.
            let twin_fate = match (twin, c.ttl.expired) {
                (false, _) => Fate::Hidden("another entity"),
                (true, true) => Fate::Hidden("expired"),
                (true, false) => match (t.decoded, i.decoded, c.rank.decoded, c.ttl.draw.decoded) {
                    (Ok(tenant), Ok(id), Ok(rank), Ok(until)) => Fate::Row(JobTwin {
                        tenant,
                        id,
                        rank,
                        until,
                    }),
                    _ => Fate::Undecodable,
                },
            };
            ForeignShared {
                item,
                job,
                twin: twin_fate,
            }
        })
        .boxed()
}

// ---------------------------------------------------------------- raw writes

async fn batch_write(db: &Dynamite, table: &str, requests: Vec<WriteRequest>) {
    for chunk in requests.chunks(25) {
        let mut pending = HashMap::from([(table.to_owned(), chunk.to_vec())]);
        while !pending.is_empty() {
            let out = db
                .client()
                .batch_write_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .expect("raw batch write");
            pending = out.unprocessed_items().cloned().unwrap_or_default();
        }
    }
}

/// Replaces the table's content with `items`, through the raw SDK.
pub async fn store_raw(db: &Dynamite, table: &str, keys: &[&str], items: &[Item]) {
    let mut deletes = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = db
            .client()
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("raw scan");
        for item in page.items() {
            let key: Item = keys
                .iter()
                .filter_map(|k| item.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                .collect();
            let request = DeleteRequest::builder().set_key(Some(key)).build().unwrap();
            deletes.push(WriteRequest::builder().delete_request(request).build());
        }
        match page.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => break,
        }
    }
    batch_write(db, table, deletes).await;
    let puts = items
        .iter()
        .map(|i| {
            let request = PutRequest::builder()
                .set_item(Some(i.clone()))
                .build()
                .unwrap();
            WriteRequest::builder().put_request(request).build()
        })
        .collect();
    batch_write(db, table, puts).await;
}
