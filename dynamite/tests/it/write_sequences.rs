//! Write sequences: random interleavings of writes from two handles on one
//! backend (stale copies of rows included), then the invariant that index
//! keys never drift from the stored item:
//!
//! - every stored index key attribute equals its rendering from the
//!   item's stored fields (or is absent when the index is sparse for it),
//!   checked on the raw items of a Scan;
//! - every index read answers what a Scan plus an in-memory filter
//!   answers.
//!
//! Writes may fail with `Conflict` (a stale copy), `NotFound`,
//! `AlreadyExists` or a cancelled transaction; drift is never allowed.
//! Seeded and shrinking to a minimal sequence. `DYNAMITE_CASES` sets the
//! number of sequences per layout (default 48), `DIFF_SEED` the seed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use dynamite::prelude::*;
use dynamite::{Condition, Dynamite, Error};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// A single-table model: an overloaded template index over several fields
/// (`gsi1`), a sparse template index over an `Option` (`gsi2`), a
/// multi-attribute index over plain fields (`by_ns`).
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ws_st", pk = "T#{id}", sk = "T")]
#[dynamite(index(name = "gsi1", pk = "R#{region}#{status}", sk = "N#{n}"))]
#[dynamite(index(name = "gsi2", pk = "O#{owner}", sk = "T#{id}"))]
#[dynamite(index(name = "by_ns", partition = ["note", "status"], sort = "n"))]
pub struct StTicket {
    id: String,
    region: String,
    status: String,
    n: u32,
    owner: Option<String>,
    note: String,
}

/// The same fields in a table of their own: a plain GSI, a sparse plain
/// GSI over an `Option`, a multi-attribute index.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ws_mt")]
#[dynamite(index(name = "by_rs", partition = ["region", "status"], sort = "n"))]
pub struct MtTicket {
    #[dynamite(primary_key)]
    id: String,
    region: String,
    #[dynamite(index(name = "by_status"))]
    status: String,
    n: u32,
    #[dynamite(index(name = "by_owner"))]
    owner: Option<String>,
    note: String,
}

const IDS: [&str; 2] = ["a", "b"];
const REGIONS: [&str; 2] = ["eu", "us"];
const STATUSES: [&str; 2] = ["open", "shut"];
const OWNERS: [Option<&str>; 3] = [None, Some("x"), Some("y")];
const NOTES: [&str; 2] = ["p", "q"];

/// New values for some fields.
#[derive(Debug, Clone, Default)]
struct Changes {
    region: Option<&'static str>,
    status: Option<&'static str>,
    n: Option<u32>,
    owner: Option<Option<&'static str>>,
    note: Option<&'static str>,
}

/// Every field of a row (a create or a put).
#[derive(Debug, Clone)]
struct Fields {
    region: &'static str,
    status: &'static str,
    n: u32,
    owner: Option<&'static str>,
    note: &'static str,
}

#[derive(Debug, Clone)]
enum Op {
    /// `create_many` of one row (never overwrites).
    Create(usize, &'static str, Fields),
    /// `put_many` of one row (an upsert).
    Put(usize, &'static str, Fields),
    /// The handle reads the row: its copy is now fresh.
    Refresh(usize, &'static str),
    /// `row.update().set(..)` from the handle's copy (maybe stale).
    RowUpdate(usize, &'static str, Changes),
    /// The handle's copy changed and `save()`d.
    Save(usize, &'static str, Changes),
    /// `update_key(id).set(..)`.
    UpdateKey(usize, &'static str, Changes),
    /// `update_where(status = ..).set(..)`.
    UpdateWhere(usize, &'static str, Changes),
    /// `row.update()` from the copy, in a transaction.
    Transaction(usize, &'static str, Changes),
    /// `delete_key(id)`.
    Delete(usize, &'static str),
    /// Two writes sent at the same time (one from each handle).
    Race(Box<Op>, Box<Op>),
}

fn fields() -> impl Strategy<Value = Fields> {
    (
        select(&REGIONS[..]),
        select(&STATUSES[..]),
        0u32..3,
        select(&OWNERS[..]),
        select(&NOTES[..]),
    )
        .prop_map(|(region, status, n, owner, note)| Fields {
            region,
            status,
            n,
            owner,
            note,
        })
}

fn changes() -> impl Strategy<Value = Changes> {
    // Mostly one field (the write that re-renders an index key from the
    // fields it does not set), sometimes several.
    let one = prop_oneof![
        select(&REGIONS[..]).prop_map(|v| Changes {
            region: Some(v),
            ..Changes::default()
        }),
        select(&STATUSES[..]).prop_map(|v| Changes {
            status: Some(v),
            ..Changes::default()
        }),
        (0u32..3).prop_map(|v| Changes {
            n: Some(v),
            ..Changes::default()
        }),
        select(&OWNERS[..]).prop_map(|v| Changes {
            owner: Some(v),
            ..Changes::default()
        }),
        select(&NOTES[..]).prop_map(|v| Changes {
            note: Some(v),
            ..Changes::default()
        }),
    ];
    let several = (
        proptest::option::of(select(&REGIONS[..])),
        proptest::option::of(select(&STATUSES[..])),
        proptest::option::of(0u32..3),
        proptest::option::of(select(&OWNERS[..])),
        proptest::option::of(select(&NOTES[..])),
    )
        .prop_map(|(region, status, n, owner, note)| Changes {
            region,
            status,
            n,
            owner,
            note,
        })
        .prop_filter("at least one change", |c| {
            c.region.is_some()
                || c.status.is_some()
                || c.n.is_some()
                || c.owner.is_some()
                || c.note.is_some()
        });
    prop_oneof![3 => one, 1 => several]
}

fn op() -> impl Strategy<Value = Op> {
    let h = 0usize..2;
    let id = select(&IDS[..]);
    prop_oneof![
        2 => (h.clone(), id.clone(), fields()).prop_map(|(h, i, f)| Op::Create(h, i, f)),
        1 => (h.clone(), id.clone(), fields()).prop_map(|(h, i, f)| Op::Put(h, i, f)),
        2 => (h.clone(), id.clone()).prop_map(|(h, i)| Op::Refresh(h, i)),
        4 => (h.clone(), id.clone(), changes()).prop_map(|(h, i, c)| Op::RowUpdate(h, i, c)),
        2 => (h.clone(), id.clone(), changes()).prop_map(|(h, i, c)| Op::Save(h, i, c)),
        2 => (h.clone(), id.clone(), changes()).prop_map(|(h, i, c)| Op::UpdateKey(h, i, c)),
        1 => (h.clone(), select(&STATUSES[..]), changes())
            .prop_map(|(h, s, c)| Op::UpdateWhere(h, s, c)),
        1 => (h.clone(), id.clone(), changes()).prop_map(|(h, i, c)| Op::Transaction(h, i, c)),
        1 => (h, id).prop_map(|(h, i)| Op::Delete(h, i)),
    ]
}

/// A write, or two at once from both handles.
fn step() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => op(),
        1 => (op(), op()).prop_map(|(x, y)| {
            let on = |op: Op, h: usize| match op {
                Op::Create(_, i, f) => Op::Create(h, i, f),
                Op::Put(_, i, f) => Op::Put(h, i, f),
                Op::Refresh(_, i) => Op::Refresh(h, i),
                Op::RowUpdate(_, i, c) => Op::RowUpdate(h, i, c),
                Op::Save(_, i, c) => Op::Save(h, i, c),
                Op::UpdateKey(_, i, c) => Op::UpdateKey(h, i, c),
                Op::UpdateWhere(_, s, c) => Op::UpdateWhere(h, s, c),
                Op::Transaction(_, i, c) => Op::Transaction(h, i, c),
                Op::Delete(_, i) => Op::Delete(h, i),
                race => race,
            };
            Op::Race(Box::new(on(x, 0)), Box::new(on(y, 1)))
        }),
    ]
}

fn sequence() -> impl Strategy<Value = Vec<Op>> {
    // Two rows on both handles: the first ops make the copies.
    let setup = (fields(), fields()).prop_map(|(a, b)| {
        vec![
            Op::Create(0, "a", a),
            Op::Create(0, "b", b),
            Op::Refresh(1, "a"),
            Op::Refresh(1, "b"),
        ]
    });
    (setup, proptest::collection::vec(step(), 1..14)).prop_map(|(mut s, ops)| {
        s.extend(ops);
        s
    })
}

/// An error a write in a race may end with; anything else fails the case.
fn allowed(e: &Error) -> bool {
    e.is_conflict()
        || e.is_not_found()
        || e.is_already_exists()
        || e.is_condition_failed()
        || matches!(e, Error::TransactionCanceled { .. })
        || matches!(e, Error::Batch { causes, .. } if causes.iter().all(allowed))
}

/// An allowed error's kind, for the report.
fn kind(e: &Error) -> &'static str {
    match e {
        e if e.to_string().contains("changed since the row was read") => {
            "conflict: stale index field"
        }
        e if e.is_conflict() => "conflict",
        e if e.is_not_found() => "not found",
        e if e.is_already_exists() => "already exists",
        e if e.is_condition_failed() => "condition failed",
        Error::TransactionCanceled { .. } => "transaction canceled",
        _ => "batch",
    }
}

/// The stored index key attributes of an item that disagree with their
/// rendering from its stored fields (empty: no drift).
fn drift(
    meta: &'static dynamite::TableMeta,
    item: &HashMap<String, AttributeValue>,
) -> Vec<String> {
    let Some(layout) = meta.single_table else {
        // Indexes over plain fields: the key attributes are the fields.
        return Vec::new();
    };
    let key_names: BTreeSet<&str> = layout
        .indexes
        .iter()
        .filter_map(|t| meta.indexes.iter().find(|i| i.name == t.name))
        .flat_map(|i| std::iter::once(i.partition_key.name).chain(i.sort_key.map(|k| k.name)))
        .collect();
    let mut rendered = item.clone();
    for name in &key_names {
        rendered.remove(*name);
    }
    if let Err(e) = meta.render_keys(&mut rendered) {
        return vec![format!("the stored fields do not render: {e}")];
    }
    key_names
        .iter()
        .filter(|name| item.get(**name) != rendered.get(**name))
        .map(|name| {
            format!(
                "{name}: stored {:?}, rendered from the stored fields {:?}",
                item.get(*name),
                rendered.get(*name)
            )
        })
        .collect()
}

/// Every raw item of a table (a Scan through the SDK).
async fn raw_items(db: &Dynamite, table: &str) -> Vec<HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = db
            .client()
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        items.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// Deletes every item of a table (a fresh start for a case).
async fn wipe(db: &Dynamite, table: &str, keys: &[&str]) {
    for item in raw_items(db, table).await {
        let key: HashMap<_, _> = item
            .into_iter()
            .filter(|(k, _)| keys.contains(&k.as_str()))
            .collect();
        db.client()
            .delete_item()
            .table_name(table)
            .set_key(Some(key))
            .send()
            .await
            .expect("delete");
    }
}

fn cases() -> u32 {
    std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(48)
}

/// Two handles on one backend: the second talks to the first's engine
/// (or endpoint) through its own client, with the same table prefix.
async fn two_handles(
    register: fn(dynamite::DynamiteBuilder) -> dynamite::DynamiteBuilder,
) -> [Dynamite; 2] {
    let first = register(crate::common::builder()).build().await.unwrap();
    first.sync().await.unwrap();
    let endpoint = crate::common::endpoint()
        .or_else(|| first.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let second =
        register(dynamite_testkit::backend::remote(endpoint).table_prefix(first.table_prefix()))
            .build()
            .await
            .unwrap();
    [first, second]
}

/// The harness for one model: the same code over both layouts (the
/// models have the same fields and columns).
macro_rules! write_sequences {
    ($model:ident, $test:ident) => {
        fn queries() -> Vec<(&'static str, Condition<$model>, fn(&$model) -> bool)> {
            let mut out: Vec<(&'static str, Condition<$model>, fn(&$model) -> bool)> = vec![
                (
                    "region=eu,status=open",
                    $model::REGION.eq("eu").and($model::STATUS.eq("open")),
                    |r| r.region == "eu" && r.status == "open",
                ),
                (
                    "region=us,status=shut",
                    $model::REGION.eq("us").and($model::STATUS.eq("shut")),
                    |r| r.region == "us" && r.status == "shut",
                ),
                (
                    "region=eu,status=shut,n>=1",
                    $model::REGION
                        .eq("eu")
                        .and($model::STATUS.eq("shut"))
                        .and($model::N.ge(1u32)),
                    |r| r.region == "eu" && r.status == "shut" && r.n >= 1,
                ),
                ("owner=x", $model::OWNER.eq("x"), |r| {
                    r.owner.as_deref() == Some("x")
                }),
                ("owner=y", $model::OWNER.eq("y"), |r| {
                    r.owner.as_deref() == Some("y")
                }),
                ("status=open", $model::STATUS.eq("open"), |r| {
                    r.status == "open"
                }),
                (
                    "note=p,status=open",
                    $model::NOTE.eq("p").and($model::STATUS.eq("open")),
                    |r| r.note == "p" && r.status == "open",
                ),
                (
                    "note=q,status=shut",
                    $model::NOTE.eq("q").and($model::STATUS.eq("shut")),
                    |r| r.note == "q" && r.status == "shut",
                ),
            ];
            out.shrink_to_fit();
            out
        }

        fn build(id: &str, f: &Fields) -> $model {
            $model {
                id: id.to_owned(),
                region: f.region.to_owned(),
                status: f.status.to_owned(),
                n: f.n,
                owner: f.owner.map(str::to_owned),
                note: f.note.to_owned(),
            }
        }

        fn apply_changes(mut row: $model, c: &Changes) -> $model {
            if let Some(v) = c.region {
                row.region = v.to_owned();
            }
            if let Some(v) = c.status {
                row.status = v.to_owned();
            }
            if let Some(v) = c.n {
                row.n = v;
            }
            if let Some(v) = c.owner {
                row.owner = v.map(str::to_owned);
            }
            if let Some(v) = c.note {
                row.note = v.to_owned();
            }
            row
        }

        fn sets(mut u: dynamite::Update<$model>, c: &Changes) -> dynamite::Update<$model> {
            if let Some(v) = c.region {
                u = u.set($model::REGION, v);
            }
            if let Some(v) = c.status {
                u = u.set($model::STATUS, v);
            }
            if let Some(v) = c.n {
                u = u.set($model::N, v);
            }
            if let Some(v) = c.owner {
                u = u.set($model::OWNER, v.map(str::to_owned));
            }
            if let Some(v) = c.note {
                u = u.set($model::NOTE, v);
            }
            u
        }

        /// One write; `None` when the handle has no copy to write from,
        /// else its outcome and the handle's copy after it (`Some(None)`:
        /// the handle now knows the row is gone).
        async fn one(
            dbs: &[Dynamite; 2],
            copies: &HashMap<(usize, &'static str), $model>,
            op: &Op,
        ) -> Option<(
            Result<(), Error>,
            Option<((usize, &'static str), Option<$model>)>,
        )> {
            let copy = |h: usize, id: &'static str| copies.get(&(h, id)).cloned();
            Some(match op {
                Op::Create(h, id, f) => {
                    let row = build(id, f);
                    match $model::create_many(&dbs[*h], [row.clone()]).await {
                        Ok(_) => (Ok(()), Some(((*h, *id), Some(row)))),
                        Err(e) => (Err(e), None),
                    }
                }
                Op::Put(h, id, f) => {
                    let row = build(id, f);
                    match $model::put_many(&dbs[*h], [row.clone()]).await {
                        Ok(()) => (Ok(()), Some(((*h, *id), Some(row)))),
                        Err(e) => (Err(e), None),
                    }
                }
                Op::Refresh(h, id) => match $model::get(&dbs[*h], *id).await {
                    Ok(row) => (Ok(()), Some(((*h, *id), row))),
                    Err(e) => (Err(e), None),
                },
                Op::RowUpdate(h, id, c) => {
                    match sets(copy(*h, id)?.update(), c).exec(&dbs[*h]).await {
                        Ok(row) => (Ok(()), Some(((*h, *id), Some(row)))),
                        Err(e) => (Err(e), None),
                    }
                }
                Op::Save(h, id, c) => {
                    let mut row = apply_changes(copy(*h, id)?, c);
                    match row.save(&dbs[*h]).await {
                        Ok(()) => (Ok(()), Some(((*h, *id), Some(row)))),
                        Err(e) => (Err(e), None),
                    }
                }
                Op::UpdateKey(h, id, c) => {
                    match sets($model::update_key(*id), c).exec(&dbs[*h]).await {
                        Ok(row) => (Ok(()), Some(((*h, *id), Some(row)))),
                        Err(e) => (Err(e), None),
                    }
                }
                Op::UpdateWhere(h, status, c) => {
                    let mut u = $model::update_where($model::STATUS.eq(*status));
                    if let Some(v) = c.region {
                        u = u.set($model::REGION, v);
                    }
                    if let Some(v) = c.status {
                        u = u.set($model::STATUS, v);
                    }
                    if let Some(v) = c.n {
                        u = u.set($model::N, v);
                    }
                    if let Some(v) = c.owner {
                        u = u.set($model::OWNER, v.map(str::to_owned));
                    }
                    if let Some(v) = c.note {
                        u = u.set($model::NOTE, v);
                    }
                    (u.exec(&dbs[*h]).await.map(|_| ()), None)
                }
                Op::Transaction(h, id, c) => {
                    let row = copy(*h, id)?;
                    let mut tx = dbs[*h].transaction();
                    tx.update(sets(row.update(), c));
                    (tx.commit().await.map(|_| ()), None)
                }
                Op::Delete(h, id) => ($model::delete_key(&dbs[*h], *id).await, None),
                // Run by `run`, concurrently.
                Op::Race(..) => return None,
            })
        }

        /// Runs one sequence; the outcome of each write (for the report).
        async fn run(dbs: &[Dynamite; 2], ops: &[Op]) -> Result<Vec<String>, TestCaseError> {
            let table = format!("{}{}", dbs[0].table_prefix(), $model::META.table_name);
            let keys: Vec<&str> = $model::META.key_names().collect();
            wipe(&dbs[0], &table, &keys).await;
            let mut copies: HashMap<(usize, &'static str), $model> = HashMap::new();
            let mut log = Vec::new();
            for op in ops {
                let outcomes = match op {
                    Op::Race(x, y) => {
                        let (x_out, y_out) = futures::join!(
                            Box::pin(one(dbs, &copies, x)),
                            Box::pin(one(dbs, &copies, y))
                        );
                        vec![(&**x, x_out), (&**y, y_out)]
                    }
                    op => vec![(op, Box::pin(one(dbs, &copies, op)).await)],
                };
                for (op, outcome) in outcomes {
                    let Some((outcome, copy)) = outcome else {
                        continue;
                    };
                    match copy {
                        Some((at, Some(row))) => {
                            copies.insert(at, row);
                        }
                        Some((at, None)) => {
                            copies.remove(&at);
                        }
                        None => {}
                    }
                    match outcome {
                        Ok(()) => log.push(format!("[ok] {op:?}")),
                        Err(e) if allowed(&e) => log.push(format!("[{}] {op:?}: {e}", kind(&e))),
                        Err(e) => {
                            return Err(TestCaseError::fail(format!(
                                "{op:?} failed with an error a race does not explain: {e}\n{}",
                                log.join("\n")
                            )));
                        }
                    }
                }
            }
            Ok(log)
        }

        #[test]
        fn $test() {
            // The generated strategies and their value trees are deep
            // types: debug builds need more than a test thread's stack.
            let body = std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn(property)
                .unwrap();
            if let Err(panic) = body.join() {
                std::panic::resume_unwind(panic);
            }
        }

        fn property() {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let dbs = rt.block_on(two_handles(|b| b.table::<$model>()));
            let queries = queries();
            let used: std::cell::RefCell<BTreeSet<String>> = Default::default();
            let mut runner = TestRunner::new_with_rng(
                Config {
                    cases: cases(),
                    failure_persistence: None,
                    max_shrink_iters: 2000,
                    ..Config::default()
                },
                TestRng::from_seed(RngAlgorithm::ChaCha, &crate::differential::seed()),
            );
            let started = std::time::Instant::now();
            let outcomes: std::cell::RefCell<BTreeMap<String, usize>> = Default::default();
            let result = runner.run(&sequence(), |ops| {
                rt.block_on(Box::pin(async {
                    let log = Box::pin(run(&dbs, &ops)).await?;
                    for line in &log {
                        let kind = line.split(']').next().unwrap_or("").trim_start_matches('[');
                        *outcomes.borrow_mut().entry(kind.to_owned()).or_default() += 1;
                    }
                    let table = format!("{}{}", dbs[0].table_prefix(), $model::META.table_name);
                    let items = raw_items(&dbs[0], &table).await;
                    let mut rows = Vec::new();
                    for item in &items {
                        let drifted = drift(&$model::META, item);
                        prop_assert!(
                            drifted.is_empty(),
                            "index keys drifted from the stored item {:?}:\n{}\nafter:\n{}",
                            item,
                            drifted.join("\n"),
                            log.join("\n")
                        );
                        rows.push($model::from_item(item.clone()).unwrap());
                    }
                    for (name, condition, matches) in &queries {
                        let query = $model::query().filter(condition.clone());
                        let plan = query.explain(&dbs[0]).root().to_owned();
                        if let Some(index) = plan.split(" index ").nth(1) {
                            used.borrow_mut()
                                .insert(index.split(' ').next().unwrap_or("").to_owned());
                        }
                        let got: BTreeMap<String, $model> = query
                            .all(&dbs[1])
                            .await
                            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?
                            .into_iter()
                            .map(|r| (r.id.clone(), r))
                            .collect();
                        let want: BTreeMap<String, $model> = rows
                            .iter()
                            .filter(|r| matches(r))
                            .map(|r| (r.id.clone(), r.clone()))
                            .collect();
                        prop_assert_eq!(
                            &got,
                            &want,
                            "{} ({}) answers other rows than Scan + filter after:\n{}",
                            name,
                            plan,
                            log.join("\n")
                        );
                    }
                    Ok(())
                }))
            });
            eprintln!(
                "{}: {} sequences, {:.1}s, indexes read: {:?}, outcomes: {:?}",
                stringify!($test),
                cases(),
                started.elapsed().as_secs_f64(),
                used.borrow(),
                outcomes.borrow()
            );
            match result {
                Ok(()) => {}
                Err(TestError::Fail(reason, value)) => {
                    panic!("{reason}\n\nminimal failing sequence (shrunk):\n{value:#?}")
                }
                Err(TestError::Abort(reason)) => panic!("aborted: {reason}"),
            }
            let every: BTreeSet<String> = $model::META
                .indexes
                .iter()
                .map(|i| i.name.to_owned())
                .collect();
            assert_eq!(
                used.into_inner(),
                every,
                "every index is read by some query of the check"
            );
        }
    };
}

mod single_table {
    use super::*;
    write_sequences!(StTicket, single_table_index_keys_never_drift);
}

mod multi_table {
    use super::*;
    write_sequences!(MtTicket, multi_table_index_keys_never_drift);
}

// ------------------------------------------------ named regression cases

/// A fresh backend with `StTicket`, its two handles, and row `id` created
/// with region `us` (both handles hold a copy).
async fn st_pair(id: &str) -> ([Dynamite; 2], StTicket) {
    let dbs = two_handles(|b| b.table::<StTicket>()).await;
    let row = StTicket {
        id: id.to_owned(),
        region: "us".into(),
        status: "open".into(),
        n: 0,
        owner: None,
        note: "p".into(),
    };
    StTicket::create_many(&dbs[0], [row.clone()]).await.unwrap();
    (dbs, row)
}

/// The raw item of `id` has no drifted index key; returns it.
async fn assert_no_drift(db: &Dynamite, id: &str) -> HashMap<String, AttributeValue> {
    let table = format!("{}{}", db.table_prefix(), StTicket::META.table_name);
    let item = raw_items(db, &table)
        .await
        .into_iter()
        .find(|i| i.get("id") == Some(&AttributeValue::S(id.to_owned())))
        .unwrap();
    let drifted = drift(&StTicket::META, &item);
    assert!(drifted.is_empty(), "{drifted:?}");
    item
}

/// Found by the harness on the first run: another handle saved `region`,
/// then `row.update()` of `n` from a copy read before rendered gsi1's key
/// from the copy's old region (the stored key named a region the row no
/// longer had). Now the update is conditioned on the stored region.
#[tokio::test]
async fn regression_stale_row_update_rendered_an_index_key_from_the_stale_copy() {
    let ([a, b], row) = st_pair("b").await;
    let stale = StTicket::get(&b, "b").await.unwrap().unwrap();
    let mut fresh = row.clone();
    fresh.region = "eu".into();
    fresh.save(&a).await.unwrap();
    let err = stale
        .update()
        .set(StTicket::N, 0u32)
        .exec(&b)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert!(err.to_string().contains("`region` changed"), "{err}");
    let item = assert_no_drift(&a, "b").await;
    assert_eq!(item.get("region"), Some(&AttributeValue::S("eu".into())));
    // Re-read, the same update applies.
    let fresh = StTicket::get(&b, "b").await.unwrap().unwrap();
    fresh
        .update()
        .set(StTicket::N, 2u32)
        .exec(&b)
        .await
        .unwrap();
    assert_no_drift(&a, "b").await;
    let got = StTicket::query()
        .filter(StTicket::REGION.eq("eu").and(StTicket::STATUS.eq("open")))
        .all(&b)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
}

/// The second shrunk case: a `put_many` from the other handle changed the
/// sort key's field `n`, then a stale `row.update()` of `region`.
#[tokio::test]
async fn regression_stale_row_update_after_a_put_rendered_the_old_sort_key() {
    let ([a, b], mut row) = st_pair("a").await;
    let stale = StTicket::get(&b, "a").await.unwrap().unwrap();
    row.n = 2;
    StTicket::put_many(&a, [row]).await.unwrap();
    let err = stale
        .update()
        .set(StTicket::REGION, "eu")
        .exec(&b)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_no_drift(&a, "a").await;
    // In a transaction: the same condition, the transaction is cancelled.
    let mut tx = b.transaction();
    tx.update(stale.update().set(StTicket::REGION, "eu"));
    let err = tx.commit().await.unwrap_err();
    assert!(err.is_transaction_canceled(), "{err}");
    assert_no_drift(&a, "a").await;
}

/// `update_key` of a templated field was refused (`NotUpdatable`): now it
/// reads the row first (one consistent GetItem, in `explain()` and
/// `metrics()`) and writes under the condition of the fields it read.
#[tokio::test]
async fn update_key_of_a_templated_field_reads_the_row_first() {
    let ([a, _], _) = st_pair("k").await;
    let update = StTicket::update_key("k").set(StTicket::STATUS, "shut");
    let explain = update.explain(&a);
    let prefix = a.table_prefix().to_owned();
    let steps: Vec<String> = explain
        .steps
        .iter()
        .map(|s| s.replace(&prefix, ""))
        .collect();
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(steps[0].starts_with("GetItem ws_st key "), "{steps:?}");
    assert!(
        steps[0].contains("consistent") && steps[0].contains("gsi1"),
        "{steps:?}"
    );
    assert!(steps[1].starts_with("UpdateItem ws_st key "), "{steps:?}");
    a.metrics().reset();
    let row = update.exec(&a).await.unwrap();
    assert_eq!((row.region.as_str(), row.status.as_str()), ("us", "shut"));
    assert_eq!(a.metrics().count("GetItem"), 1);
    assert_eq!(a.metrics().count("UpdateItem"), 1);
    assert_no_drift(&a, "k").await;
    // A field no template names: no read.
    let update = StTicket::update_key("k").set(StTicket::NOTE, "q");
    assert_eq!(update.explain(&a).steps.len(), 1);
    a.metrics().reset();
    update.exec(&a).await.unwrap();
    assert_eq!(a.metrics().count("GetItem"), 0);
    // No row: not found, nothing written.
    let err = StTicket::update_key("nope")
        .set(StTicket::STATUS, "shut")
        .exec(&a)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    // A refusal is reported before the read.
    a.metrics().reset();
    let err = StTicket::update_key("k")
        .set(StTicket::STATUS, "a#b")
        .exec(&a)
        .await
        .unwrap_err();
    assert!(!err.is_not_found(), "{err}");
    assert_eq!(a.metrics().data_plane_requests(), 0);
}

/// `update_where` of a templated field: a GetItem per matching row, in
/// `explain()` and `metrics()`; every index key follows.
#[tokio::test]
async fn update_where_of_a_templated_field_reads_each_row_first() {
    let ([a, _], mut row) = st_pair("w1").await;
    row.id = "w2".into();
    StTicket::create_many(&a, [row]).await.unwrap();
    let update = StTicket::update_where(StTicket::STATUS.eq("open")).set(StTicket::REGION, "eu");
    let steps = update.explain(&a).steps;
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(
        steps[1].starts_with("per matching row: GetItem"),
        "{steps:?}"
    );
    assert!(
        steps[2].starts_with("per matching row: UpdateItem"),
        "{steps:?}"
    );
    a.metrics().reset();
    assert_eq!(update.exec(&a).await.unwrap(), 2);
    assert_eq!(a.metrics().count("GetItem"), 2);
    assert_eq!(a.metrics().count("UpdateItem"), 2);
    assert_no_drift(&a, "w1").await;
    assert_no_drift(&a, "w2").await;
    let got = StTicket::query()
        .filter(StTicket::REGION.eq("eu").and(StTicket::STATUS.eq("open")))
        .all(&a)
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
}

/// An index whose template is a field alone renders an empty key from an
/// empty string: refused before sending, as `create` refuses it.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ws_empty", pk = "E#{id}", sk = "E")]
#[dynamite(index(name = "gsi1", pk = "{tag}"))]
pub struct Tagged {
    id: String,
    tag: String,
}

#[dynamite::test(models(Tagged))]
async fn an_update_rendering_an_empty_index_key_is_refused_before_sending(db: Dynamite) {
    let err = Tagged::create()
        .id("e")
        .tag("")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    let row = Tagged::create().id("e").tag("t").exec(&db).await.unwrap();
    db.metrics().reset();
    let err = row
        .update()
        .set(Tagged::TAG, "")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    let err = Tagged::update_key("e")
        .set(Tagged::TAG, "")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert_eq!(Tagged::get(&db, "e").await.unwrap().unwrap().tag, "t");
}
