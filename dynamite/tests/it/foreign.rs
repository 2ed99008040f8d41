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

// ---------------------------------------------------------------- filters

/// A filter on the attributes foreign data spoils, with DynamoDB's
/// semantics for the reference: a comparison with an absent attribute or
/// another type is false.
#[derive(Debug, Clone)]
enum F {
    RankLt(i64),
    NoteBegins(&'static str),
    NoteIsNone,
    And(Box<F>, Box<F>),
    Or(Box<F>, Box<F>),
    Not(Box<F>),
}

impl F {
    fn condition<M: Table>(
        &self,
        rank: Column<M, i64>,
        note: Column<M, Option<String>>,
    ) -> Condition<M> {
        match self {
            F::RankLt(k) => rank.lt(*k),
            F::NoteBegins(p) => note.begins_with(*p),
            F::NoteIsNone => note.is_none(),
            F::And(a, b) => a.condition(rank, note).and(b.condition(rank, note)),
            F::Or(a, b) => a.condition(rank, note).or(b.condition(rank, note)),
            F::Not(a) => a.condition(rank, note).not(),
        }
    }

    fn holds(&self, item: &Item) -> bool {
        match self {
            // The drawn numbers are few digits or far beyond: f64 orders them.
            F::RankLt(k) => {
                matches!(item.get("rank"), Some(AV::N(t)) if t.parse::<f64>().is_ok_and(|v| v < *k as f64))
            }
            F::NoteBegins(p) => matches!(item.get("note"), Some(AV::S(t)) if t.starts_with(p)),
            F::NoteIsNone => matches!(item.get("note"), None | Some(AV::Null(_))),
            F::And(a, b) => a.holds(item) && b.holds(item),
            F::Or(a, b) => a.holds(item) || b.holds(item),
            F::Not(a) => !a.holds(item),
        }
    }
}

fn filter() -> BoxedStrategy<Option<F>> {
    let leaf = prop_oneof![
        (-1i64..9).prop_map(F::RankLt),
        proptest::sample::select(vec!["a", "b"]).prop_map(F::NoteBegins),
        Just(F::NoteIsNone),
    ];
    let tree = leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| F::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| F::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| F::Not(Box::new(a))),
        ]
    });
    proptest::option::weighted(0.7, tree).boxed()
}

// ---------------------------------------------------------------- the reference

/// What a read answers: rows (sorted by key), or a decode error.
#[derive(Debug, PartialEq)]
enum Answer<R> {
    Rows(Vec<R>),
    Decode,
}

/// The reference over `selected` items (already narrowed by key and
/// filter): a decode error if one visible item cannot decode, else its
/// rows.
fn expect<M: Clone + std::fmt::Debug, K: Ord>(
    selected: impl IntoIterator<Item = Fate<M>>,
    key: impl Fn(&M) -> K,
) -> Answer<M> {
    let mut rows = Vec::new();
    for fate in selected {
        match fate {
            Fate::Hidden(_) => {}
            Fate::Undecodable => return Answer::Decode,
            Fate::Row(r) => rows.push(r),
        }
    }
    rows.sort_by_key(|r| key(r));
    Answer::Rows(rows)
}

/// A read's outcome as an [`Answer`]; any error but `Decode` is a failure.
fn answer<R: std::fmt::Debug, K: Ord>(
    got: dynamite::Result<Vec<R>>,
    key: impl Fn(&R) -> K,
) -> Result<Answer<R>, String> {
    match got {
        Ok(mut rows) => {
            rows.sort_by_key(|r| key(r));
            Ok(Answer::Rows(rows))
        }
        Err(e) if e.is_decode() => Ok(Answer::Decode),
        Err(e) => Err(format!("unexpected error: {e}")),
    }
}

/// Every page of a query (two rows a page) as one answer: a decode error
/// on any page is the answer.
async fn paged<M: Table + Clone>(
    db: &Dynamite,
    query: impl Fn() -> dynamite::Query<M>,
) -> dynamite::Result<Vec<M>> {
    let mut rows = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let page = query().limit(2).page(db, cursor.as_ref()).await?;
        rows.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(rows),
        }
    }
    panic!("paging did not end");
}

fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, wanted: &T) -> Result<(), String> {
    if got == *wanted {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}\n  wanted {wanted:?}"))
    }
}

/// How often each fate was drawn, so a run shows (and asserts) that it
/// met rows, decode errors and every reason to hide.
#[derive(Default)]
struct Tally(std::cell::RefCell<std::collections::BTreeMap<String, usize>>);

impl Tally {
    fn add<M>(&self, fate: &Fate<M>) {
        let name = match fate {
            Fate::Hidden(why) => format!("hidden: {why}"),
            Fate::Undecodable => "undecodable".to_owned(),
            Fate::Row(_) => "row".to_owned(),
        };
        *self.0.borrow_mut().entry(name).or_default() += 1;
    }

    /// Prints the tally and checks every fate in `wanted` occurred.
    fn assert_saw(&self, what: &str, wanted: &[&str]) {
        let seen = self.0.borrow();
        eprintln!("{what}: {seen:?}");
        for w in wanted {
            assert!(
                seen.get(*w).is_some_and(|n| *n > 0),
                "{what} never drew {w}: {seen:?}"
            );
        }
    }
}

fn count_of<M>(selected: &[Fate<M>]) -> usize {
    selected.iter().filter(|f| f.visible()).count()
}

// ---------------------------------------------------------------- the properties

fn cases() -> u32 {
    std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(24)
}

fn run<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), String>) -> usize
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let ran = std::cell::Cell::new(0usize);
    let result = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        test(value).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    ran.get()
}

/// Foreign `Ticket` items (own table): every read plan agrees with the
/// reference.
#[test]
fn foreign_items_read_alike_on_every_plan() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ticket_db());
    let table = db.table_name::<Ticket>().unwrap();
    let now = now();
    let items = (0..8usize).map(|i| ticket(i, now)).collect::<Vec<_>>();
    let strategy = (items, filter(), proptest::sample::select(QUEUES.to_vec()));
    let tally = Tally::default();
    let ran = run(strategy, |(items, f, queue)| {
        items.iter().for_each(|t| tally.add(&t.fate));
        rt.block_on(async {
            let raw: Vec<Item> = items.iter().map(|t| t.item.clone()).collect();
            store_raw(&db, &table, &["id"], &raw).await;
            check_tickets(&db, &items, f.as_ref(), queue).await
        })
    });
    eprintln!("foreign tickets: {ran} cases");
    tally.assert_saw(
        "ticket fates",
        &[
            "row",
            "undecodable",
            "hidden: expired",
            "hidden: soft-deleted",
        ],
    );
}

async fn check_tickets(
    db: &Dynamite,
    items: &[ForeignTicket],
    f: Option<&F>,
    queue: &str,
) -> Result<(), String> {
    let key = |t: &Ticket| t.id.clone();
    let holds = |t: &ForeignTicket| f.is_none_or(|f| f.holds(&t.item));
    let cond = || f.map(|f| f.condition(Ticket::RANK, Ticket::NOTE));
    let query = || {
        let q = Ticket::query();
        match cond() {
            Some(c) => q.filter(c),
            None => q,
        }
    };
    // Scan.
    let selected: Vec<Fate<Ticket>> = items
        .iter()
        .filter(|t| holds(t))
        .map(|t| t.fate.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    check("scan all", answer(query().all(db).await, key)?, &wanted)?;
    check("scan pages", answer(paged(db, query).await, key)?, &wanted)?;
    check(
        "scan count",
        query().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // GSI Query.
    let in_queue = |t: &ForeignTicket| matches!(t.item.get("queue"), Some(AV::S(q)) if q == queue);
    let selected: Vec<Fate<Ticket>> = items
        .iter()
        .filter(|t| holds(t) && in_queue(t))
        .map(|t| t.fate.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let by_queue = || {
        let q = Ticket::query().filter(Ticket::QUEUE.eq(queue));
        match cond() {
            Some(c) => q.filter(c),
            None => q,
        }
    };
    check("gsi all", answer(by_queue().all(db).await, key)?, &wanted)?;
    check(
        "gsi pages",
        answer(paged(db, by_queue).await, key)?,
        &wanted,
    )?;
    check(
        "gsi count",
        by_queue().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // Keyed reads: GetItem, BatchGetItem, TransactGetItems.
    for (i, t) in items.iter().enumerate() {
        let id = format!("t{i}");
        let got = answer(
            Ticket::get(db, id.as_str())
                .await
                .map(|r| r.into_iter().collect()),
            key,
        )?;
        check(&format!("get {id}"), got, &expect([t.fate.clone()], key))?;
        let mut tx = db.transact_get();
        tx.get::<Ticket>(id.as_str());
        let got = match tx.send().await {
            Ok(out) => answer(out.get::<Ticket>(0).map(|r| r.into_iter().collect()), key)?,
            Err(e) => answer::<Ticket, String>(Err(e), key)?,
        };
        check(
            &format!("transact_get {id}"),
            got,
            &expect([t.fate.clone()], key),
        )?;
    }
    let ids: Vec<String> = (0..items.len()).map(|i| format!("t{i}")).collect();
    let got = answer(Ticket::get_many(db, ids).await, key)?;
    check(
        "get_many",
        got,
        &expect(items.iter().map(|t| t.fate.clone()), key),
    )?;
    // Includes (children through the GSI) and lazy loads: per parent, its
    // visible children; one undecodable child fails the read.
    let children = |desk: &str| {
        let of_desk =
            |t: &&ForeignTicket| matches!(t.item.get("queue"), Some(AV::S(q)) if q == desk);
        expect(items.iter().filter(of_desk).map(|t| t.fate.clone()), key)
    };
    let wanted = if QUEUES.iter().any(|q| children(q) == Answer::Decode) {
        Answer::Decode
    } else {
        Answer::Rows(
            QUEUES
                .iter()
                .map(|q| ((*q).to_owned(), children(q)))
                .collect(),
        )
    };
    let got = match Desk::query().include(Desk::tickets()).all(db).await {
        Ok(desks) => {
            let mut rows: Vec<(String, Answer<Ticket>)> = desks
                .into_iter()
                .map(|d| {
                    let mut kids: Vec<Ticket> = d.tickets.iter().cloned().collect();
                    kids.sort_by_key(key);
                    (d.id, Answer::Rows(kids))
                })
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            Answer::Rows(rows)
        }
        Err(e) if e.is_decode() => Answer::Decode,
        Err(e) => return Err(format!("include: {e}")),
    };
    check("include", got, &wanted)?;
    for desk in QUEUES {
        let got = answer(Desk::tickets().of_key(*desk).all(db).await, key)?;
        check(&format!("lazy {desk}"), got, &children(desk))?;
    }
    Ok(())
}

/// Foreign items of a shared table: spoiled `Job`s and `JobTwin`s at
/// colliding keys; every plan of both models agrees with the reference.
#[test]
fn foreign_items_in_a_shared_table_read_alike_on_every_plan() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = builder()
            .table::<Job>()
            .table::<JobTwin>()
            .build()
            .await
            .unwrap();
        db.sync().await.unwrap();
        db
    });
    let table = db.table_name::<Job>().unwrap();
    let keys = [
        Job::META.partition_key.name,
        Job::META.sort_key.unwrap().name,
    ];
    let now = now();
    let items = TENANTS
        .iter()
        .flat_map(|t| (0..4u16).map(move |id| shared(t, id, now)))
        .collect::<Vec<_>>();
    let strategy = (
        items,
        filter(),
        proptest::sample::select(TENANTS.to_vec()),
        proptest::sample::select(QUEUES.to_vec()),
    );
    let (jobs, twins) = (Tally::default(), Tally::default());
    let ran = run(strategy, |(items, f, tenant, queue)| {
        items.iter().for_each(|t| {
            jobs.add(&t.job);
            twins.add(&t.twin);
        });
        rt.block_on(async {
            let raw: Vec<Item> = items.iter().map(|t| t.item.clone()).collect();
            store_raw(&db, &table, &keys, &raw).await;
            check_shared(&db, &items, f.as_ref(), tenant, queue).await
        })
    });
    eprintln!("foreign shared items: {ran} cases");
    let all = [
        "row",
        "undecodable",
        "hidden: expired",
        "hidden: another entity",
    ];
    jobs.assert_saw("job fates", &all);
    twins.assert_saw("twin fates", &all);
}

/// The rendered key attributes of an item, as `(partition, sort)`.
fn rendered(item: &Item, pk: &str, sk: &str) -> (String, String) {
    let text = |name: &str| match item.get(name) {
        Some(AV::S(v)) => v.clone(),
        _ => String::new(),
    };
    (text(pk), text(sk))
}

async fn check_shared(
    db: &Dynamite,
    items: &[ForeignShared],
    f: Option<&F>,
    tenant: &str,
    queue: &str,
) -> Result<(), String> {
    let pk = Job::META.partition_key.name;
    let sk = Job::META.sort_key.unwrap().name;
    let gsi = Job::META
        .indexes
        .iter()
        .find(|x| x.name == "gsi1")
        .unwrap()
        .partition_key
        .name;
    let key = |j: &Job| (j.tenant.clone(), j.id);
    let holds = |t: &ForeignShared| f.is_none_or(|f| f.holds(&t.item));
    let with = |q: dynamite::Query<Job>| match f {
        Some(f) => q.filter(f.condition(Job::RANK, Job::NOTE)),
        None => q,
    };
    // Scan (filters on plain attributes only).
    let selected: Vec<Fate<Job>> = items
        .iter()
        .filter(|t| holds(t))
        .map(|t| t.job.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let scan = || with(Job::query());
    check("job scan", answer(scan().all(db).await, key)?, &wanted)?;
    check(
        "job scan pages",
        answer(paged(db, scan).await, key)?,
        &wanted,
    )?;
    check(
        "job scan count",
        scan().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // A partition: a filter on a templated field holds where the rendered
    // key AND the field's own attribute say so (a spoiled `tenant` beside
    // a well-formed key is not in the partition the user asked for).
    let partition = format!("T#{tenant}");
    let field_is = |item: &Item, name: &str, value: &str| matches!(item.get(name), Some(AV::S(v)) if v == value);
    let selected: Vec<Fate<Job>> = items
        .iter()
        .filter(|t| {
            holds(t)
                && rendered(&t.item, pk, sk).0 == partition
                && field_is(&t.item, "tenant", tenant)
        })
        .map(|t| t.job.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let part = || with(Job::query().filter(Job::TENANT.eq(tenant)));
    check("job partition", answer(part().all(db).await, key)?, &wanted)?;
    check(
        "job partition pages",
        answer(paged(db, part).await, key)?,
        &wanted,
    )?;
    check(
        "job partition count",
        part().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // The overloaded GSI.
    let gsi_partition = format!("Q#{queue}");
    let selected: Vec<Fate<Job>> = items
        .iter()
        .filter(|t| {
            holds(t)
                && matches!(t.item.get(gsi), Some(AV::S(v)) if *v == gsi_partition)
                && field_is(&t.item, "queue", queue)
        })
        .map(|t| t.job.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let by_queue = || with(Job::query().filter(Job::QUEUE.eq(queue)));
    check("job gsi", answer(by_queue().all(db).await, key)?, &wanted)?;
    check(
        "job gsi pages",
        answer(paged(db, by_queue).await, key)?,
        &wanted,
    )?;
    check(
        "job gsi count",
        by_queue().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // Keyed reads of both models.
    let mut all_keys = Vec::new();
    for (t, id) in TENANTS
        .iter()
        .flat_map(|t| (0..4u16).map(move |id| (*t, id)))
    {
        all_keys.push((t, id));
    }
    let twin_key = |j: &JobTwin| (j.tenant.clone(), j.id);
    for ((t, id), item) in all_keys.iter().zip(items) {
        let got = answer(
            Job::get(db, (*t, *id))
                .await
                .map(|r| r.into_iter().collect()),
            key,
        )?;
        check(
            &format!("job get {t}/{id}"),
            got,
            &expect([item.job.clone()], key),
        )?;
        let got = answer(
            JobTwin::get(db, (*t, *id))
                .await
                .map(|r| r.into_iter().collect()),
            twin_key,
        )?;
        check(
            &format!("twin get {t}/{id}"),
            got,
            &expect([item.twin.clone()], twin_key),
        )?;
        // TransactGetItems (one item per request: a transaction may not
        // read one item twice).
        let mut tx = db.transact_get();
        tx.get::<Job>((*t, *id));
        let got = match tx.send().await {
            Ok(out) => answer(out.get::<Job>(0).map(|r| r.into_iter().collect()), key)?,
            Err(e) => answer::<Job, _>(Err(e), key)?,
        };
        check(
            &format!("job transact_get {t}/{id}"),
            got,
            &expect([item.job.clone()], key),
        )?;
        let mut tx = db.transact_get();
        tx.get::<JobTwin>((*t, *id));
        let got = match tx.send().await {
            Ok(out) => answer(
                out.get::<JobTwin>(0).map(|r| r.into_iter().collect()),
                twin_key,
            )?,
            Err(e) => answer::<JobTwin, _>(Err(e), twin_key)?,
        };
        check(
            &format!("twin transact_get {t}/{id}"),
            got,
            &expect([item.twin.clone()], twin_key),
        )?;
    }
    let got = answer(Job::get_many(db, all_keys.clone()).await, key)?;
    check(
        "job get_many",
        got,
        &expect(items.iter().map(|t| t.job.clone()), key),
    )?;
    let got = answer(JobTwin::get_many(db, all_keys.clone()).await, twin_key)?;
    check(
        "twin get_many",
        got,
        &expect(items.iter().map(|t| t.twin.clone()), twin_key),
    )?;
    let twins = answer(JobTwin::query().all(db).await, twin_key)?;
    check(
        "twin scan",
        twins,
        &expect(items.iter().map(|t| t.twin.clone()), twin_key),
    )?;
    Ok(())
}

// ---------------------------------------------------------------- writes and the backend

/// The backend's own answer to the conditions Dynamite sends, for every TTL
/// value of the generator: `NOT (#ttl < :now)` keeps exactly the unexpired
/// items, and `create`'s `attribute_not_exists(pk) OR #ttl < :now` lets
/// exactly the expired ones be overwritten. This pins the embedded engine
/// and DynamoDB Local to DynamoDB's semantics (a comparison with an absent
/// attribute or another type than a number is false).
#[test]
fn the_backend_judges_every_ttl_value_as_dynamodb_does() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = builder().table::<Ticket>().build().await.unwrap();
        db.sync().await.unwrap();
        let table = db.table_name::<Ticket>().unwrap();
        let now = now();
        let cases = ttl_cases(now);
        let items: Vec<Item> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut item = Item::new();
                item.insert("id".into(), AV::S(format!("t{i:02}")));
                put(&mut item, "until", c.draw.stored.clone());
                item
            })
            .collect();
        store_raw(&db, &table, &["id"], &items).await;
        let names = HashMap::from([("#t".to_owned(), "until".to_owned())]);
        let values = HashMap::from([(":now".to_owned(), AV::N(now.to_string()))]);
        let kept = db
            .client()
            .scan()
            .table_name(&table)
            .consistent_read(true)
            .filter_expression("NOT (#t < :now)")
            .set_expression_attribute_names(Some(names.clone()))
            .set_expression_attribute_values(Some(values.clone()))
            .send()
            .await
            .unwrap();
        let mut kept: Vec<String> = kept
            .items()
            .iter()
            .map(|i| match &i["id"] {
                AV::S(id) => id.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        kept.sort();
        let wanted: Vec<String> = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.expired)
            .map(|(i, _)| format!("t{i:02}"))
            .collect();
        assert_eq!(kept, wanted, "NOT (#t < :now) keeps the unexpired items");
        // The overwrite condition of `create`, and the NotFound of writes.
        let mut names = names;
        names.insert("#k".into(), "id".into());
        for (i, c) in cases.iter().enumerate() {
            let mut replacement = Item::new();
            replacement.insert("id".into(), AV::S(format!("t{i:02}")));
            let put = db
                .client()
                .put_item()
                .table_name(&table)
                .set_item(Some(replacement))
                .condition_expression("attribute_not_exists(#k) OR #t < :now")
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .send()
                .await;
            assert_eq!(
                put.is_ok(),
                c.expired,
                "overwrite of {:?}: {put:?}",
                c.draw.stored
            );
        }
    });
}

/// Every TTL value another program may store decides the writes by the
/// one rule: an expired row is `NotFound` to `update` / `delete` (by key
/// and in a transaction) and may be overwritten by `create`; a row that
/// has not expired is `AlreadyExists` to `create`.
#[test]
fn foreign_ttl_values_decide_writes_by_the_one_rule() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = builder().table::<Ticket>().build().await.unwrap();
        db.sync().await.unwrap();
        let table = db.table_name::<Ticket>().unwrap();
        let now = now();
        let cases = ttl_cases(now);
        let items: Vec<Item> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut item = Ticket {
                    id: format!("t{i:02}"),
                    queue: "q0".into(),
                    rank: 1,
                    note: Some("foreign".into()),
                    version: 1,
                    deleted_at: None,
                    until: None,
                }
                .to_item()
                .unwrap();
                put(&mut item, "until", c.draw.stored.clone());
                item
            })
            .collect();
        store_raw(&db, &table, &["id"], &items).await;
        let raw = |id: String| {
            let db = db.clone();
            let table = table.clone();
            async move {
                db.client()
                    .get_item()
                    .table_name(table)
                    .key("id", AV::S(id))
                    .consistent_read(true)
                    .send()
                    .await
                    .unwrap()
                    .item
            }
        };
        for (i, c) in cases.iter().enumerate() {
            let id = format!("t{i:02}");
            let what = format!("{id} {:?}", c.draw.stored);
            // As the backend holds it (it may normalise a number's text).
            let before = raw(id.clone()).await;
            assert!(before.is_some(), "{what} stored");
            if c.expired {
                let update = Ticket::update_key(id.as_str())
                    .set(Ticket::RANK, 2)
                    .exec(&db)
                    .await;
                assert!(
                    update.as_ref().is_err_and(|e| e.is_not_found()),
                    "update {what}: {update:?}"
                );
                let delete = Ticket::delete_key(&db, id.as_str()).await;
                assert!(
                    delete.as_ref().is_err_and(|e| e.is_not_found()),
                    "delete {what}: {delete:?}"
                );
                // In a transaction: the cancellation a missing row gets.
                let mut tx = db.transaction();
                tx.delete_key::<Ticket>(id.as_str());
                let tx = tx.commit().await;
                assert!(
                    matches!(&tx, Err(dynamite::Error::TransactionCanceled { reasons })
                        if reasons[0].code == "ConditionalCheckFailed"),
                    "tx delete {what}: {tx:?}"
                );
                assert_eq!(raw(id.clone()).await, before, "{what} unchanged");
                let created = Ticket::create()
                    .id(id.as_str())
                    .queue("q1")
                    .rank(5)
                    .exec(&db)
                    .await;
                assert!(created.is_ok(), "create over {what}: {created:?}");
            } else {
                let created = Ticket::create()
                    .id(id.as_str())
                    .queue("q1")
                    .rank(5)
                    .exec(&db)
                    .await;
                assert!(
                    matches!(created, Err(dynamite::Error::AlreadyExists { .. })),
                    "create over {what}: {created:?}"
                );
                assert_eq!(raw(id.clone()).await, before, "{what} unchanged");
                Ticket::delete_key(&db, id.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("delete {what}: {e}"));
                // Soft delete: the marker is set, the item stays.
                let stored = raw(id.clone()).await;
                assert!(
                    stored
                        .as_ref()
                        .is_some_and(|i| i.contains_key("deleted_at")),
                    "{what} soft-deleted: {stored:?}"
                );
            }
        }
    });
}

// ---------------------------------------------------------------- regressions

/// One `Ticket` stored by another program with `until` = `value`, read on
/// every plan (GetItem, BatchGetItem, TransactGetItems, Scan, GSI Query,
/// pages, counts); each must answer `fate`.
async fn every_plan_answers(value: Option<AV>, fate: &Fate<Ticket>) {
    let db = ticket_db().await;
    let table = db.table_name::<Ticket>().unwrap();
    let mut item = Ticket {
        id: "t0".into(),
        queue: "q0".into(),
        rank: 1,
        note: None,
        version: 1,
        deleted_at: None,
        until: None,
    }
    .to_item()
    .unwrap();
    put(&mut item, "until", value.clone());
    store_raw(&db, &table, &["id"], &[item.clone()]).await;
    let items = [ForeignTicket {
        item,
        fate: fate.clone(),
    }];
    let outcome = check_tickets(&db, &items, None, "q0").await;
    assert!(
        outcome.is_ok(),
        "until = {value:?}: {}",
        outcome.unwrap_err()
    );
}

fn live_row(until: Option<i64>) -> Fate<Ticket> {
    Fate::Row(Ticket {
        id: "t0".into(),
        queue: "q0".into(),
        rank: 1,
        note: None,
        version: 1,
        deleted_at: None,
        until,
    })
}

/// `1.5` has passed: hidden on every plan (GetItem used to parse it as an
/// integer, fail, call it unexpired and then fail to decode it, while the
/// Scan's condition hid it).
#[tokio::test]
async fn regression_a_fractional_ttl_that_passed_is_hidden_on_every_plan() {
    every_plan_answers(n("1.5"), &Fate::Hidden("expired")).await;
    every_plan_answers(
        n(format!("0.{}1", "0".repeat(100))),
        &Fate::Hidden("expired"),
    )
    .await;
}

/// `1E+3` and `-5` have passed: hidden on every plan.
#[tokio::test]
async fn regression_an_exponent_or_negative_ttl_that_passed_is_hidden_on_every_plan() {
    every_plan_answers(n("1E+3"), &Fate::Hidden("expired")).await;
    every_plan_answers(n("-5"), &Fate::Hidden("expired")).await;
    every_plan_answers(n("-1E+125"), &Fate::Hidden("expired")).await;
}

/// A number beyond `i64` still to come is visible (and, not being whole
/// epoch seconds an `i64` holds, a decode error) on every plan; a
/// milliseconds value is a second far in the future: visible, decoded.
#[tokio::test]
async fn regression_a_huge_ttl_is_compared_exactly() {
    every_plan_answers(n("1E+125"), &Fate::Undecodable).await;
    every_plan_answers(n("9".repeat(38)), &Fate::Undecodable).await;
    let ms = now() * 1000;
    every_plan_answers(n(ms.to_string()), &live_row(Some(ms))).await;
    // The same second in exponent form decodes.
    let later = now() + AHEAD;
    every_plan_answers(n(format!("{}E-2", later * 100)), &live_row(Some(later))).await;
}

/// A TTL attribute of another type never expires: the row is visible on
/// every plan (the server's condition used to hide it while GetItem showed
/// it), and as the field cannot hold it, every plan answers a decode
/// error. A NULL is "no expiry".
#[tokio::test]
async fn regression_a_ttl_of_another_type_never_expires_on_every_plan() {
    every_plan_answers(s("1"), &Fate::Undecodable).await;
    every_plan_answers(Some(AV::Ns(vec!["1".into()])), &Fate::Undecodable).await;
    every_plan_answers(Some(AV::Bool(false)), &Fate::Undecodable).await;
    every_plan_answers(Some(AV::Null(true)), &live_row(None)).await;
}

/// A write of a row whose TTL passed in a notation `i64` parsing missed is
/// `NotFound`, not a conflict ("the row changed during the write").
#[tokio::test]
async fn regression_an_update_of_a_row_with_a_fractional_ttl_that_passed_is_not_found() {
    let db = builder().table::<Ticket>().build().await.unwrap();
    db.sync().await.unwrap();
    let table = db.table_name::<Ticket>().unwrap();
    for value in ["1.5", "1E+3"] {
        let mut item = Ticket {
            id: "t0".into(),
            queue: "q0".into(),
            rank: 1,
            note: None,
            version: 1,
            deleted_at: None,
            until: None,
        }
        .to_item()
        .unwrap();
        put(&mut item, "until", n(value));
        store_raw(&db, &table, &["id"], &[item]).await;
        let update = Ticket::update_key("t0")
            .set(Ticket::RANK, 2)
            .exec(&db)
            .await;
        assert!(
            update.as_ref().is_err_and(|e| e.is_not_found()),
            "{value}: {update:?}"
        );
    }
}

/// A soft delete of a visible row another program stored with a field the
/// model cannot hold is applied and `Ok` (it used to decode the stored
/// item after writing it and answer a decode error behind an applied write).
#[tokio::test]
async fn regression_a_soft_delete_of_an_undecodable_row_is_ok() {
    let db = builder().table::<Ticket>().build().await.unwrap();
    db.sync().await.unwrap();
    let table = db.table_name::<Ticket>().unwrap();
    let mut item = Ticket {
        id: "t0".into(),
        queue: "q0".into(),
        rank: 1,
        note: None,
        version: 1,
        deleted_at: None,
        until: None,
    }
    .to_item()
    .unwrap();
    put(&mut item, "rank", s("one"));
    store_raw(&db, &table, &["id"], &[item]).await;
    assert!(Ticket::get(&db, "t0").await.unwrap_err().is_decode());
    Ticket::delete_key(&db, "t0").await.unwrap();
    assert!(
        Ticket::get(&db, "t0").await.unwrap().is_none(),
        "soft-deleted: hidden"
    );
    assert_eq!(Ticket::query().with_deleted().count(&db).await.unwrap(), 1);
}
