//! A soak: many concurrent tasks for a bounded time over a mixed workload,
//! half of them through the fault proxy, checked at the end against what
//! every caller was told.
//!
//! Workload: transfers between versioned wallets in transactions,
//! versioned read-modify-write increments, unversioned `update_key` and
//! `update_where` increments, creates racing on shared keys, a
//! create / soft delete / hard delete lifecycle, single-table rows with an
//! overloaded index, index reads, pages and includes. Checks: the wallets'
//! sum is conserved; every counter is within [Ok, Ok + OutcomeUnknown];
//! at most one `Ok` per raced key and that caller's row is the stored one,
//! no stored key nobody may have created; every index read equals a Scan
//! plus the filter; no row is read as another entity; every soft-deleted
//! row is hidden.
//!
//! `DYNAMITE_SOAK_SECS` sets the duration (default 3 s). It prints the
//! throughput, p50 / p99 latency and the process's RSS at start, middle and
//! end. The dataset is bounded (fixed pools of keys), so memory must level
//! off however long it runs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynamite::prelude::*;
use dynamite::{Dynamite, Error};
use dynamite_testkit::faults::{Fault, Proxy, Schedule};

use crate::common;

#[derive(Table, Debug, Clone)]
#[dynamite(table = "soak_wallets")]
pub struct Wallet {
    #[dynamite(primary_key)]
    pub id: String,
    pub balance: i64,
    #[dynamite(version)]
    pub version: u64,
}

/// Versioned counter: read-modify-write increments.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "soak_ticks")]
pub struct Tick {
    #[dynamite(primary_key)]
    pub id: String,
    pub hits: i64,
    #[dynamite(version)]
    pub version: u64,
}

/// Unversioned counter in groups: `update_key` and `update_where` increments.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "soak_gauges")]
pub struct Gauge {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub group: String,
    pub hits: i64,
}

/// Raced creates: the owner is the task told `Ok`.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "soak_claims")]
pub struct Claim {
    #[dynamite(primary_key)]
    pub name: String,
    pub owner: String,
}

/// Created, soft deleted, hard deleted, by one task each.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "soak_memos")]
pub struct Memo {
    #[dynamite(primary_key)]
    pub id: String,
    pub text: String,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<String>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "soak_shop", pk = "CUST#{id}", sk = "PROFILE")]
pub struct Customer {
    pub id: String,
    pub name: String,
    #[dynamite(has_many(foreign_key = "customer_id"))]
    pub carts: HasMany<Cart>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "soak_shop", pk = "CUST#{customer_id}", sk = "CART#{id}")]
#[dynamite(index(name = "gsi1", pk = "STATUS#{status}", sk = "CART#{id}"))]
pub struct Cart {
    pub id: String,
    pub customer_id: String,
    pub status: String,
    pub total: i64,
}

const WALLETS: usize = 8;
const START_BALANCE: i64 = 1_000;
const TICKS: usize = 4;
const GROUPS: usize = 3;
const GAUGES_PER_GROUP: usize = 3;
const CLAIMS: u64 = 256;
const CUSTOMERS: usize = 4;
const TASKS: usize = 16;
/// Memos and carts each task cycles through.
const OWN_KEYS: usize = 6;
const STATUSES: [&str; 2] = ["open", "paid"];

fn register(builder: dynamite::DynamiteBuilder) -> dynamite::DynamiteBuilder {
    builder
        .table::<Wallet>()
        .table::<Tick>()
        .table::<Gauge>()
        .table::<Claim>()
        .table::<Memo>()
        .table::<Customer>()
        .table::<Cart>()
}

fn group(g: usize) -> String {
    format!("g{g}")
}

fn gauge(g: usize, i: usize) -> String {
    format!("gauge-{g}-{i}")
}

/// What callers were told, per counter.
#[derive(Debug, Default, Clone, Copy)]
struct Told {
    ok: u64,
    unknown: u64,
}

/// What a task's own memo or cart is, as far as it was told.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Own {
    Absent,
    Live,
    SoftDeleted,
    Unknown,
}

/// The truth the end check compares against.
#[derive(Debug, Default)]
struct Truth {
    ticks: HashMap<String, Told>,
    groups: HashMap<String, Told>,
    /// Per claim name: the owners told `Ok`, and how many were told unknown.
    claims: HashMap<String, (Vec<String>, u64)>,
    memos: HashMap<String, Own>,
    carts: HashMap<String, (Own, String)>,
    /// Problems seen during the run (wrong rows from reads).
    wrong: Vec<String>,
}

/// A latency histogram: 8 buckets per power of two of microseconds.
struct Latency(Mutex<Vec<u64>>);

impl Latency {
    fn new() -> Self {
        Latency(Mutex::new(vec![0; 8 * 40]))
    }
    fn bucket(us: u64) -> usize {
        let us = us.max(1) as f64;
        ((us.log2() * 8.0) as usize).min(8 * 40 - 1)
    }
    fn record(&self, d: Duration) {
        self.0.lock().unwrap()[Self::bucket(d.as_micros() as u64)] += 1;
    }
    fn quantile(&self, q: f64) -> Duration {
        let buckets = self.0.lock().unwrap();
        let total: u64 = buckets.iter().sum();
        let mut seen = 0;
        for (i, n) in buckets.iter().enumerate() {
            seen += n;
            if total > 0 && seen as f64 >= q * total as f64 {
                return Duration::from_micros(2f64.powf((i + 1) as f64 / 8.0) as u64);
            }
        }
        Duration::ZERO
    }
}

/// The process's resident set size, from /proc/self/status.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A small deterministic generator per task.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn unknown(e: &Error) -> bool {
    e.is_outcome_unknown()
        || matches!(e, Error::Batch { causes, .. } if causes.iter().any(Error::is_outcome_unknown))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_mixed_workload_under_faults_matches_the_truth() {
    let secs: u64 = std::env::var("DYNAMITE_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let rss_start = rss_kib();
    let backend = register(common::builder()).build().await.unwrap();
    backend.sync().await.unwrap();
    seed(&backend).await;
    let endpoint = common::endpoint()
        .or_else(|| backend.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let schedule: Schedule = Arc::new(|n, _| match n % 23 {
        3 => Fault::ServerError,
        7 => Fault::Throttle,
        11 => Fault::DropBefore,
        17 | 19 => Fault::DropAfter,
        _ => Fault::None,
    });
    let proxy = Proxy::start(&endpoint, schedule).await;
    let faulty = register(dynamite_testkit::backend::remote(&proxy.url))
        .table_prefix(backend.table_prefix())
        .max_attempts(4)
        .retry_budget(dynamite::RetryBudget::Unlimited)
        .build()
        .await
        .unwrap();
    let truth = Arc::new(Mutex::new(Truth::default()));
    let latency = Arc::new(Latency::new());
    let ops = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    // RSS at every tenth of the run; the fifth is the middle.
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        for _ in 1..10 {
            tokio::time::sleep(Duration::from_secs(secs) / 10).await;
            samples.push(rss_kib());
        }
        samples
    });
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let db = if t % 2 == 0 {
                backend.clone()
            } else {
                faulty.clone()
            };
            let (truth, latency, ops) = (truth.clone(), latency.clone(), ops.clone());
            tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) * 0x2545_F491));
                let mut own = Owned::new(t);
                while Instant::now() < deadline {
                    let begun = Instant::now();
                    step(&db, t, &mut rng, &mut own, &truth).await;
                    latency.record(begun.elapsed());
                    ops.fetch_add(1, Ordering::Relaxed);
                }
                own.flush(&truth);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let rss_samples = sampler.await.unwrap();
    let rss_middle = rss_samples.get(4).copied().unwrap_or(0);
    let rss_end = rss_kib();
    let total = ops.load(Ordering::Relaxed);
    eprintln!(
        "SOAK {}: {secs} s, {TASKS} tasks, {total} operations, {:.0} ops/s, p50 {:?}, p99 {:?}; \
         RSS start {} KiB, middle {} KiB, end {} KiB (every tenth: {rss_samples:?}); \
         proxy requests {}, faults {} ({} drops after apply)",
        if common::endpoint().is_some() {
            "DynamoDB Local"
        } else {
            "embedded"
        },
        total as f64 / elapsed.as_secs_f64(),
        latency.quantile(0.5),
        latency.quantile(0.99),
        rss_start,
        rss_middle,
        rss_end,
        proxy.injected.requests(),
        proxy.injected.faults(),
        proxy.injected.of(Fault::DropAfter),
    );
    let truth = std::mem::take(&mut *truth.lock().unwrap());
    check(&backend, &truth).await;
}

async fn seed(db: &Dynamite) {
    for w in 0..WALLETS {
        Wallet::create()
            .id(format!("w{w}"))
            .balance(START_BALANCE)
            .exec(db)
            .await
            .unwrap();
    }
    for i in 0..TICKS {
        Tick::create()
            .id(format!("t{i}"))
            .hits(0)
            .exec(db)
            .await
            .unwrap();
    }
    for g in 0..GROUPS {
        for i in 0..GAUGES_PER_GROUP {
            Gauge::create()
                .id(gauge(g, i))
                .group(group(g))
                .hits(0)
                .exec(db)
                .await
                .unwrap();
        }
    }
    for c in 0..CUSTOMERS {
        Customer::create()
            .id(format!("c{c}"))
            .name(format!("customer {c}"))
            .exec(db)
            .await
            .unwrap();
    }
}

/// A task's own memos and carts: it alone writes them, so it knows what
/// each should be.
struct Owned {
    task: usize,
    memos: Vec<Own>,
    carts: Vec<Own>,
}

impl Owned {
    fn new(task: usize) -> Self {
        Owned {
            task,
            memos: vec![Own::Absent; OWN_KEYS],
            carts: vec![Own::Absent; OWN_KEYS],
        }
    }
    fn memo(&self, k: usize) -> String {
        format!("memo-{}-{k}", self.task)
    }
    fn cart(&self, k: usize) -> String {
        format!("cart-{}-{k}", self.task)
    }
    fn customer(&self, k: usize) -> String {
        format!("c{}", (self.task + k) % CUSTOMERS)
    }
    fn status(k: usize) -> &'static str {
        STATUSES[k % STATUSES.len()]
    }
    fn flush(&self, truth: &Mutex<Truth>) {
        let mut truth = truth.lock().unwrap();
        for k in 0..OWN_KEYS {
            truth.memos.insert(self.memo(k), self.memos[k]);
            truth
                .carts
                .insert(self.cart(k), (self.carts[k], self.customer(k)));
        }
    }
}

/// One operation, chosen at random, and what it was told.
async fn step(db: &Dynamite, t: usize, rng: &mut Rng, own: &mut Owned, truth: &Mutex<Truth>) {
    match rng.below(12) {
        0 => {
            let (a, b) = (rng.below(WALLETS as u64), rng.below(WALLETS as u64));
            if a == b {
                return;
            }
            let amount = 1 + rng.below(50) as i64;
            let mut tx = db.transaction();
            tx.update(
                Wallet::update_key(format!("w{a}"))
                    .decrement(Wallet::BALANCE, amount)
                    .condition(Wallet::BALANCE.ge(amount)),
            );
            tx.update(Wallet::update_key(format!("w{b}")).increment(Wallet::BALANCE, amount));
            // Any outcome keeps the sum: the transaction is all or nothing.
            let _ = tx.commit().await;
        }
        1 => {
            let id = format!("t{}", rng.below(TICKS as u64));
            let Ok(Some(row)) = Tick::get(db, id.as_str()).await else {
                return;
            };
            let told = row.update().increment(Tick::HITS, 1).exec(db).await;
            let mut truth = truth.lock().unwrap();
            let entry = truth.ticks.entry(id).or_default();
            match told {
                Ok(_) => entry.ok += 1,
                Err(e) if unknown(&e) => entry.unknown += 1,
                Err(_) => {}
            }
        }
        2 | 3 => {
            let g = rng.below(GROUPS as u64) as usize;
            let i = rng.below(GAUGES_PER_GROUP as u64) as usize;
            let told = Gauge::update_key(gauge(g, i))
                .increment(Gauge::HITS, 1)
                .exec(db)
                .await;
            let mut truth = truth.lock().unwrap();
            let entry = truth.groups.entry(group(g)).or_default();
            match told {
                Ok(_) => entry.ok += 1,
                Err(e) if unknown(&e) => entry.unknown += 1,
                Err(_) => {}
            }
        }
        4 => {
            let g = rng.below(GROUPS as u64) as usize;
            let told = Gauge::update_where(Gauge::GROUP.eq(group(g)))
                .increment(Gauge::HITS, 1)
                .exec(db)
                .await;
            let mut truth = truth.lock().unwrap();
            let entry = truth.groups.entry(group(g)).or_default();
            match told {
                Ok(n) => entry.ok += n as u64,
                Err(Error::Batch { failed, causes, .. }) => {
                    // The unknown rows may have been written; so may the
                    // rows not listed (written, unless the index read
                    // missed them): counted as unknown, never as Ok.
                    let unknowns = causes.iter().filter(|c| c.is_outcome_unknown()).count();
                    let unlisted = GAUGES_PER_GROUP.saturating_sub(failed.len());
                    entry.unknown += (unknowns + unlisted) as u64;
                }
                // One row, unknown; the others were skipped.
                Err(e) if unknown(&e) => entry.unknown += 1,
                // The read failed, or the one failed row was not applied.
                Err(_) => {}
            }
        }
        5 => {
            let name = format!("claim-{}", rng.below(CLAIMS));
            let owner = format!("task-{t}");
            let told = Claim::create()
                .name(name.as_str())
                .owner(owner.as_str())
                .exec(db)
                .await;
            let mut truth = truth.lock().unwrap();
            let entry = truth.claims.entry(name).or_default();
            match told {
                Ok(_) => entry.0.push(owner),
                Err(e) if unknown(&e) => entry.1 += 1,
                Err(_) => {}
            }
        }
        6 => memo_step(db, rng, own).await,
        7 => cart_step(db, rng, own).await,
        8 => {
            // An index read: every row carries the filtered value.
            let g = group(rng.below(GROUPS as u64) as usize);
            if let Ok(rows) = Gauge::query()
                .filter(Gauge::GROUP.eq(g.as_str()))
                .all(db)
                .await
                && let Some(bad) = rows.iter().find(|r| r.group != g)
            {
                truth
                    .lock()
                    .unwrap()
                    .wrong
                    .push(format!("{bad:?} read for {g}"));
            }
        }
        9 => {
            // Pages of an overloaded index: no row twice, each matching.
            let status = STATUSES[rng.below(2) as usize];
            let mut cursor = None;
            let mut seen = BTreeSet::new();
            for _ in 0..50 {
                let Ok(page) = Cart::query()
                    .filter(Cart::STATUS.eq(status))
                    .limit(3)
                    .page(db, cursor.as_ref())
                    .await
                else {
                    return;
                };
                for cart in &page.items {
                    if cart.status != status || !seen.insert(cart.id.clone()) {
                        truth
                            .lock()
                            .unwrap()
                            .wrong
                            .push(format!("{cart:?} in a page of {status}"));
                    }
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        10 => {
            // An include: every child is the parent's.
            let c = format!("c{}", rng.below(CUSTOMERS as u64));
            if let Ok(rows) = Customer::query()
                .filter(Customer::ID.eq(c.as_str()))
                .include(Customer::carts())
                .all(db)
                .await
            {
                for row in rows {
                    if row.id != c || row.carts.iter().any(|cart| cart.customer_id != c) {
                        truth
                            .lock()
                            .unwrap()
                            .wrong
                            .push(format!("{row:?} included for {c}"));
                    }
                }
            }
        }
        _ => {
            // A plain read of a task's own memo: hidden when soft-deleted.
            let k = rng.below(OWN_KEYS as u64) as usize;
            let id = own.memo(k);
            if let Ok(found) = Memo::get(db, id.as_str()).await {
                let expected = match own.memos[k] {
                    Own::Live => Some(true),
                    Own::Absent | Own::SoftDeleted => Some(false),
                    Own::Unknown => None,
                };
                if expected.is_some_and(|e| e != found.is_some()) {
                    truth
                        .lock()
                        .unwrap()
                        .wrong
                        .push(format!("memo {id} read {found:?}, expected {expected:?}"));
                }
            }
        }
    }
}

/// The next write of a task's own memo: create, soft delete, hard delete.
async fn memo_step(db: &Dynamite, rng: &mut Rng, own: &mut Owned) {
    let k = rng.below(OWN_KEYS as u64) as usize;
    let id = own.memo(k);
    let next = |told: Result<(), Error>, ok: Own, before: Own| match told {
        Ok(()) => ok,
        Err(e) if unknown(&e) => Own::Unknown,
        Err(_) => before,
    };
    let state = own.memos[k];
    own.memos[k] = match state {
        Own::Absent => next(
            Memo::create()
                .id(id.as_str())
                .text("hello")
                .exec(db)
                .await
                .map(drop),
            Own::Live,
            state,
        ),
        Own::Live => next(
            Memo::delete_key(db, id.as_str()).await,
            Own::SoftDeleted,
            state,
        ),
        Own::SoftDeleted => next(
            Memo::force_delete_key(db, id.as_str()).await,
            Own::Absent,
            state,
        ),
        Own::Unknown => match Memo::query()
            .filter(Memo::ID.eq(id.as_str()))
            .with_deleted()
            .first(db)
            .await
        {
            Ok(None) => Own::Absent,
            Ok(Some(m)) if m.deleted_at.is_some() => Own::SoftDeleted,
            Ok(Some(_)) => Own::Live,
            Err(_) => Own::Unknown,
        },
    };
}

/// The next write of a task's own cart (single table): create or delete.
async fn cart_step(db: &Dynamite, rng: &mut Rng, own: &mut Owned) {
    let k = rng.below(OWN_KEYS as u64) as usize;
    let (id, customer) = (own.cart(k), own.customer(k));
    let state = own.carts[k];
    let told = match state {
        Own::Absent => Cart::create()
            .id(id.as_str())
            .customer_id(customer.as_str())
            .status(Owned::status(k))
            .total(k as i64)
            .exec(db)
            .await
            .map(drop),
        Own::Live => Cart::force_delete_key(db, (customer.as_str(), id.as_str())).await,
        _ => {
            own.carts[k] = match Cart::get(db, (customer.as_str(), id.as_str())).await {
                Ok(Some(_)) => Own::Live,
                Ok(None) => Own::Absent,
                Err(_) => Own::Unknown,
            };
            return;
        }
    };
    own.carts[k] = match told {
        Ok(()) if state == Own::Absent => Own::Live,
        Ok(()) => Own::Absent,
        Err(e) if unknown(&e) => Own::Unknown,
        Err(_) => state,
    };
}

/// The end check, on the backend directly.
async fn check(db: &Dynamite, truth: &Truth) {
    assert!(truth.wrong.is_empty(), "wrong reads: {:?}", truth.wrong);
    let wallets = Wallet::query().all(db).await.unwrap();
    let sum: i64 = wallets.iter().map(|w| w.balance).sum();
    assert_eq!(
        sum,
        WALLETS as i64 * START_BALANCE,
        "transfers conserve the sum"
    );
    assert!(wallets.iter().all(|w| w.balance >= 0), "{wallets:?}");

    for tick in Tick::query().all(db).await.unwrap() {
        let told = truth.ticks.get(&tick.id).copied().unwrap_or_default();
        let hits = tick.hits as u64;
        assert!(
            told.ok <= hits && hits <= told.ok + told.unknown,
            "{tick:?}: {told:?}"
        );
    }
    // Index read == Scan + filter, and counters per group.
    let gauges = Gauge::query().all(db).await.unwrap();
    for g in 0..GROUPS {
        let g = group(g);
        let scanned: BTreeMap<String, i64> = gauges
            .iter()
            .filter(|r| r.group == g)
            .map(|r| (r.id.clone(), r.hits))
            .collect();
        let indexed: BTreeMap<String, i64> = Gauge::query()
            .filter(Gauge::GROUP.eq(g.as_str()))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.hits))
            .collect();
        assert_eq!(indexed, scanned, "group {g}: index read = Scan + filter");
        let applied = scanned.values().sum::<i64>() as u64;
        let told = truth.groups.get(&g).copied().unwrap_or_default();
        assert!(
            told.ok <= applied && applied <= told.ok + told.unknown,
            "group {g}: applied {applied}, {told:?}"
        );
    }
    // Raced creates: at most one Ok, and that caller's row is stored; no
    // stored claim nobody may have created.
    let stored: HashMap<String, String> = Claim::query()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.owner))
        .collect();
    for (name, (oks, unknowns)) in &truth.claims {
        assert!(oks.len() <= 1, "{name}: {oks:?} all told Ok");
        if let Some(owner) = oks.first() {
            assert_eq!(
                stored.get(name),
                Some(owner),
                "{name}: the Ok was not the creator"
            );
        } else if stored.contains_key(name) {
            assert!(*unknowns > 0, "{name}: stored, nobody told Ok or unknown");
        }
    }
    for name in stored.keys() {
        assert!(truth.claims.contains_key(name), "{name}: phantom create");
    }
    // Memos: what each owner was last told.
    for (id, state) in &truth.memos {
        let stored = Memo::query()
            .filter(Memo::ID.eq(id.as_str()))
            .with_deleted()
            .first(db)
            .await
            .unwrap();
        let visible = Memo::get(db, id.as_str()).await.unwrap();
        match state {
            Own::Absent => assert!(stored.is_none(), "{id}: {stored:?}"),
            Own::Live => assert!(visible.is_some(), "{id} lost"),
            Own::SoftDeleted => {
                assert!(visible.is_none(), "{id} visible after its soft delete");
                assert!(stored.is_some_and(|m| m.deleted_at.is_some()), "{id}");
            }
            Own::Unknown => {}
        }
    }
    // Single table: no row read as another entity; carts as told; the
    // overloaded index equals Scan + filter.
    let customers = Customer::query().all(db).await.unwrap();
    assert_eq!(customers.len(), CUSTOMERS, "{customers:?}");
    let carts = Cart::query().all(db).await.unwrap();
    let stored: BTreeSet<String> = carts.iter().map(|c| c.id.clone()).collect();
    for (id, (state, _)) in &truth.carts {
        match state {
            Own::Live => assert!(stored.contains(id), "{id} lost"),
            Own::Absent => assert!(!stored.contains(id), "{id} phantom"),
            _ => {}
        }
    }
    for cart in &carts {
        assert!(truth.carts.contains_key(&cart.id), "{cart:?}: phantom");
    }
    for status in STATUSES {
        let scanned: BTreeSet<String> = carts
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.id.clone())
            .collect();
        let indexed: BTreeSet<String> = Cart::query()
            .filter(Cart::STATUS.eq(status))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(indexed, scanned, "{status}: index read = Scan + filter");
    }
    for customer in Customer::query()
        .include(Customer::carts())
        .all(db)
        .await
        .unwrap()
    {
        let included: BTreeSet<String> = customer.carts.iter().map(|c| c.id.clone()).collect();
        let expected: BTreeSet<String> = carts
            .iter()
            .filter(|c| c.customer_id == customer.id)
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(included, expected, "include of {}", customer.id);
    }
}
