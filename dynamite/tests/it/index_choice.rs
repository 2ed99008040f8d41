//! Differential test of the access-path choice on a natural-key model
//! whose declared indexes overlap the table's partition (the multi-tenant
//! shape: `tenant` + `assignee`, `tenant` + `status`), an index on another
//! attribute with a multi-attribute sort key, and a sparse one.
//!
//! For random filters pinning random subsets of key fields, every case
//! checks, on the backend under test:
//! - the chosen path returns the reference answer (rows evaluated in
//!   memory from what was written), and `order(Desc)` with the tenant
//!   pinned is the table's sort order;
//! - every path forced with `.index(..)` (the table and each index) returns
//!   the same answer or is `Error::IndexUnusable` before sending; the table
//!   is never refused;
//! - the items read (`db.metrics().items_read()`) are never more than a
//!   forced path's that reads a whole partition (or the table) of a dense
//!   path whose pinned key fields the chosen path's include (it holds every
//!   row the chosen path reads); how often another forced path read fewer
//!   items is counted and printed (the rule ranks by what the filter pins,
//!   never by data);
//! - `.strict()` refuses exactly the plans that read a whole table (a
//!   Scan) or a whole partition (no sort-key condition) to filter it.
//!
//! Seeded (ChaCha), shrinking. `DYNAMITE_CASES=<n>` sets the filters per
//! dataset (default 40), `DYNAMITE_DATASETS=<n>` the datasets (default 2).

use std::collections::BTreeSet;

use dynamite::prelude::*;
use dynamite::{Condition, Dynamite, IndexRef};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// A ticket of a tenant, with indexes overlapping the table's partition.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ix_choice")]
#[dynamite(index(name = "by_assignee", partition = ["tenant", "assignee"], sort = "id"))]
#[dynamite(index(name = "by_status", partition = ["tenant", "status"], sort = "due"))]
#[dynamite(index(name = "by_due", partition = ["status"], sort = ["due", "id"]))]
struct Ticket {
    #[dynamite(primary_key)]
    tenant: String,
    #[dynamite(sort_key)]
    id: u16,
    assignee: String,
    status: String,
    due: u16,
    // Sparse: the sort key may be absent.
    #[dynamite(index(name = "by_prio", sort_key = "label"))]
    prio: u16,
    label: Option<String>,
}

const TENANTS: [&str; 3] = ["t0", "t1", "t2"];
const PEOPLE: [&str; 3] = ["ann", "bob", "cy"];
const STATUSES: [&str; 3] = ["open", "done", "hold"];
const LABELS: [&str; 2] = ["x", "y"];

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One conjunct of a filter, as a condition and as a predicate.
#[derive(Debug, Clone)]
enum F {
    Tenant(&'static str),
    TenantIn(Vec<&'static str>),
    IdEq(u16),
    IdGt(u16),
    Assignee(&'static str),
    AssigneeNe(&'static str),
    Status(&'static str),
    DueEq(u16),
    DueGe(u16),
    Prio(u16),
    Label(&'static str),
    LabelSome,
    Or(Box<F>, Box<F>),
}

impl F {
    fn condition(&self) -> Condition<Ticket> {
        match self {
            F::Tenant(v) => Ticket::TENANT.eq(*v),
            F::TenantIn(v) => Ticket::TENANT.is_in(v.clone()),
            F::IdEq(v) => Ticket::ID.eq(*v),
            F::IdGt(v) => Ticket::ID.gt(*v),
            F::Assignee(v) => Ticket::ASSIGNEE.eq(*v),
            F::AssigneeNe(v) => Ticket::ASSIGNEE.ne(*v),
            F::Status(v) => Ticket::STATUS.eq(*v),
            F::DueEq(v) => Ticket::DUE.eq(*v),
            F::DueGe(v) => Ticket::DUE.ge(*v),
            F::Prio(v) => Ticket::PRIO.eq(*v),
            F::Label(v) => Ticket::LABEL.eq(*v),
            F::LabelSome => Ticket::LABEL.is_some(),
            F::Or(a, b) => a.condition().or(b.condition()),
        }
    }

    fn matches(&self, t: &Ticket) -> bool {
        match self {
            F::Tenant(v) => t.tenant == *v,
            F::TenantIn(v) => v.contains(&t.tenant.as_str()),
            F::IdEq(v) => t.id == *v,
            F::IdGt(v) => t.id > *v,
            F::Assignee(v) => t.assignee == *v,
            F::AssigneeNe(v) => t.assignee != *v,
            F::Status(v) => t.status == *v,
            F::DueEq(v) => t.due == *v,
            F::DueGe(v) => t.due >= *v,
            F::Prio(v) => t.prio == *v,
            F::Label(v) => t.label.as_deref() == Some(*v),
            F::LabelSome => t.label.is_some(),
            F::Or(a, b) => a.matches(t) || b.matches(t),
        }
    }
}

fn conjunct() -> impl Strategy<Value = F> {
    let leaf = prop_oneof![
        3 => select(TENANTS.to_vec()).prop_map(F::Tenant),
        1 => proptest::sample::subsequence(TENANTS.to_vec(), 1..3).prop_map(F::TenantIn),
        1 => (0u16..30).prop_map(F::IdEq),
        1 => (0u16..30).prop_map(F::IdGt),
        2 => select(PEOPLE.to_vec()).prop_map(F::Assignee),
        1 => select(PEOPLE.to_vec()).prop_map(F::AssigneeNe),
        2 => select(STATUSES.to_vec()).prop_map(F::Status),
        1 => (0u16..6).prop_map(F::DueEq),
        1 => (0u16..6).prop_map(F::DueGe),
        1 => (0u16..3).prop_map(F::Prio),
        1 => select(LABELS.to_vec()).prop_map(F::Label),
        1 => Just(F::LabelSome),
    ];
    prop_oneof![
        6 => leaf.clone(),
        1 => (leaf.clone(), leaf).prop_map(|(a, b)| F::Or(Box::new(a), Box::new(b))),
    ]
}

/// One case: a conjunction of random conditions, and an order.
#[derive(Debug, Clone)]
struct Case {
    conjuncts: Vec<F>,
    desc: bool,
}

impl Case {
    fn matches(&self, t: &Ticket) -> bool {
        self.conjuncts.iter().all(|f| f.matches(t))
    }

    fn query(&self) -> dynamite::Query<Ticket> {
        let q = self
            .conjuncts
            .iter()
            .fold(Ticket::query(), |q, f| q.filter(f.condition()));
        if self.desc { q.order(Desc) } else { q }
    }

    fn pins_one_tenant(&self) -> bool {
        self.conjuncts.iter().any(|f| matches!(f, F::Tenant(_)))
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(conjunct(), 0..5),
        proptest::bool::weighted(0.3),
        // Pins of the sparse index, with what makes it readable.
        proptest::option::weighted(0.2, (0u16..3, select(LABELS.to_vec()))),
    )
        .prop_map(|(mut conjuncts, desc, sparse)| {
            if let Some((prio, label)) = sparse {
                conjuncts.insert(0, F::Prio(prio));
                conjuncts.push(F::Label(label));
            }
            Case { conjuncts, desc }
        })
}

fn dataset(seed: u64) -> Vec<Ticket> {
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &{
        let mut s = [3u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        s
    });
    let mut pick = |n: u32| rng.next_u32() % n;
    let mut rows = Vec::new();
    for id in 0..30u16 {
        for tenant in TENANTS {
            if pick(3) == 0 {
                continue;
            }
            let label = pick(3);
            rows.push(Ticket {
                tenant: tenant.to_owned(),
                id,
                assignee: PEOPLE[pick(3) as usize].to_owned(),
                status: STATUSES[pick(3) as usize].to_owned(),
                due: pick(6) as u16,
                prio: pick(3) as u16,
                label: (label < 2).then(|| LABELS[label as usize].to_owned()),
            });
        }
    }
    rows
}

async fn load(rows: &[Ticket]) -> Dynamite {
    let db = crate::common::builder()
        .table::<Ticket>()
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    put(&db, rows).await;
    db
}

async fn put(db: &Dynamite, rows: &[Ticket]) {
    for t in rows {
        Ticket::create()
            .tenant(t.tenant.as_str())
            .id(t.id)
            .assignee(t.assignee.as_str())
            .status(t.status.as_str())
            .due(t.due)
            .prio(t.prio)
            .label(t.label.clone())
            .exec(db)
            .await
            .unwrap();
    }
}

fn keys(rows: &[Ticket]) -> BTreeSet<(String, u16)> {
    rows.iter().map(|t| (t.tenant.clone(), t.id)).collect()
}

/// Every path a query can be forced to.
fn hints() -> [IndexRef<Ticket>; 5] {
    [
        IndexRef::table(),
        Ticket::BY_ASSIGNEE,
        Ticket::BY_STATUS,
        Ticket::BY_DUE,
        Ticket::BY_PRIO,
    ]
}

/// The key fields the chosen path pins, from `explain()`'s first path
/// line (`chosen: index by_assignee (one partition, 2 key field(s) pinned
/// [tenant, assignee], ..)`); a key read pins the table's key.
fn pinned(explain: &dynamite::Explain) -> Option<BTreeSet<String>> {
    let line = explain.paths.first()?;
    if line.starts_with("chosen: Scan") {
        return Some(BTreeSet::new());
    }
    if line.starts_with("chosen: table key") {
        return Some(["tenant", "id"].map(str::to_owned).into());
    }
    let inside = line.split_once("pinned [")?.1.split_once(']')?.0;
    Some(
        inside
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// Whether `explain()`'s root read fetches a whole table, or a whole
/// partition it filters: the oracle of `.strict()`, from the text of the
/// request (its key condition names no sort-key attribute).
fn whole_read(root: &str) -> bool {
    if root.starts_with("Scan") {
        return true;
    }
    if !root.starts_with("Query") {
        return false;
    }
    // One Query per value of an `is_in` shows a key only for a sort part.
    let key = root.split_once(" key ").map_or("", |(_, key)| key);
    let key = key.split(" filter").next().unwrap_or_default();
    let sorts_on = |name: &str| {
        key.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|token| token == name)
    };
    let index_sort: &[&str] = match root.split_once(" index ") {
        Some((_, rest)) if rest.starts_with("by_assignee") => &["id"],
        Some((_, rest)) if rest.starts_with("by_status") => &["due"],
        Some((_, rest)) if rest.starts_with("by_due") => &["due", "id"],
        Some((_, rest)) if rest.starts_with("by_prio") => &["label"],
        Some(_) => &[],
        None => &["id"],
    };
    if index_sort.iter().any(|s| sorts_on(s)) {
        return false;
    }
    // A filter conjunct the key condition states word for word (the same
    // `=` written twice) drops no row.
    let filters = root.split(" filter").skip(1).flat_map(|part| {
        let part = part.strip_prefix(" in memory").unwrap_or(part);
        let part = [" order desc", " then sort", " merged by", " limit "]
            .iter()
            .fold(part, |p, marker| p.split(marker).next().unwrap_or(p))
            .trim();
        let part = part
            .strip_prefix('(')
            .and_then(|p| p.strip_suffix(')'))
            .filter(|p| !p.contains(" OR ") || p.contains(" AND "))
            .unwrap_or(part);
        part.split(" AND ").map(str::to_owned).collect::<Vec<_>>()
    });
    let mut filters = filters;
    filters.any(|c| !key.contains(c.as_str()))
}

/// The items read while `read` runs.
async fn measured<T>(
    db: &Dynamite,
    read: impl std::future::Future<Output = dynamite::Result<T>>,
) -> (dynamite::Result<T>, u64) {
    db.metrics().reset();
    let out = read.await;
    (out, db.metrics().items_read())
}

/// Tallies across cases, printed at the end.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    /// Chosen path read more than some forced path (not a dominated one).
    more_than_best: usize,
    strict_refused: usize,
    forced_unusable: usize,
    roots: std::collections::BTreeMap<String, usize>,
}

async fn check(
    db: &Dynamite,
    rows: &[Ticket],
    case: &Case,
    tally: &mut Tally,
) -> Result<(), String> {
    let expected: BTreeSet<(String, u16)> = keys(
        &rows
            .iter()
            .filter(|t| case.matches(t))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let explain = case.query().explain(db);
    let root = explain.root().replace(db.table_prefix(), "");
    let plan = format!("{explain:#}");
    let head: String = root.split(" key").next().unwrap_or_default().to_owned();
    *tally.roots.entry(head).or_default() += 1;
    tally.cases += 1;
    let (got, chosen_items) = measured(db, case.query().all(db)).await;
    let got = got.map_err(|e| format!("chosen: {e}\n{plan}"))?;
    if keys(&got) != expected {
        return Err(format!(
            "chosen path: got {:?}, expected {expected:?}\n{plan}",
            keys(&got)
        ));
    }
    if case.desc && case.pins_one_tenant() {
        let ids: Vec<u16> = got.iter().map(|t| t.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        if ids != sorted {
            return Err(format!("order(Desc) not by id: {ids:?}\n{plan}"));
        }
    }
    let chosen_pins = pinned(&explain).ok_or_else(|| format!("no chosen line\n{plan}"))?;
    let mut best = chosen_items;
    for hint in hints() {
        let forced = case.query().index(hint);
        let forced_explain = forced.explain(db);
        let (out, items) = measured(db, forced.all(db)).await;
        match out {
            Ok(got) => {
                if keys(&got) != expected {
                    return Err(format!(
                        "forced {hint:?}: got {:?}, expected {expected:?}\n{forced_explain:#}",
                        keys(&got)
                    ));
                }
                best = best.min(items);
                // A bare partition (or Scan) of a dense path whose pinned
                // fields the chosen path's include holds every row the
                // chosen path reads.
                let pins = pinned(&forced_explain).unwrap_or_default();
                let bare = forced_explain.paths.first().is_some_and(|l| {
                    l.contains("no sort-key condition") || l.starts_with("chosen: Scan")
                });
                let dense = hint != Ticket::BY_PRIO;
                if bare && dense && pins.is_subset(&chosen_pins) && chosen_items > items {
                    return Err(format!(
                        "chosen read {chosen_items} items, forced {hint:?} (pins {pins:?} within \
                         {chosen_pins:?}) read {items}\n{plan}\n{forced_explain:#}"
                    ));
                }
            }
            Err(e) if e.is_index_unusable() && hint.name().is_some() => {
                tally.forced_unusable += 1;
                if items != 0 {
                    return Err(format!("{hint:?} refused after reading {items} items"));
                }
            }
            Err(e) => return Err(format!("forced {hint:?}: {e}\n{forced_explain:#}")),
        }
    }
    if best < chosen_items {
        tally.more_than_best += 1;
    }
    let (strict, items) = measured(db, case.query().strict().all(db)).await;
    let refused = match strict {
        Ok(_) => false,
        Err(e) if e.is_strict_read() => true,
        Err(e) => return Err(format!("strict: {e}\n{plan}")),
    };
    if refused {
        tally.strict_refused += 1;
        if items != 0 {
            return Err(format!("strict refused after reading {items} items"));
        }
    }
    if refused != whole_read(&root) {
        return Err(format!(
            "strict refused: {refused}, whole read: {}\n{plan}",
            whole_read(&root)
        ));
    }
    Ok(())
}

#[test]
fn every_chosen_path_matches_the_reference_and_reads_no_more_than_the_paths_it_covers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let datasets = env_number("DYNAMITE_DATASETS", 2);
    let cases = env_number("DYNAMITE_CASES", 40);
    let started = std::time::Instant::now();
    let mut tally = Tally::default();
    for d in 0..datasets {
        let rows = dataset(u64::from(d));
        let db = rt.block_on(load(&rows));
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(
                RngAlgorithm::ChaCha,
                &[u8::try_from(d + 11).unwrap_or(0); 32],
            ),
        );
        let tally_cell = std::cell::RefCell::new(&mut tally);
        let result = runner.run(&case(), |case| {
            let mut tally = tally_cell.borrow_mut();
            rt.block_on(check(&db, &rows, &case, &mut tally))
                .map_err(|m| TestCaseError::fail(format!("{case:?}\n{m}")))
        });
        if let Err(e) = result {
            panic!("dataset {d}: {e}");
        }
    }
    eprintln!(
        "index_choice: {datasets} datasets x {cases} cases, {:.1}s; {tally:#?}",
        started.elapsed().as_secs_f64()
    );
    // The generator reaches the table, each index and the Scan.
    for read in [
        "Query ix_choice index by_assignee",
        "Query ix_choice index by_status",
        "Query ix_choice index by_due",
        "Query ix_choice index by_prio",
        "Scan",
        "GetItem",
    ] {
        assert!(
            tally.roots.keys().any(|p| p.starts_with(read)),
            "no case read {read}: {tally:#?}"
        );
    }
    assert!(
        tally.strict_refused > 0 && tally.forced_unusable > 0,
        "{tally:#?}"
    );
}

// ------------------------------------------------------------ fixed cases

/// 20 tickets of tenant t0.
async fn small(db: &Dynamite) {
    let mut rows = Vec::new();
    for id in 0..20u16 {
        rows.push(Ticket {
            tenant: "t0".into(),
            id,
            assignee: PEOPLE[usize::from(id % 3)].into(),
            status: STATUSES[usize::from(id % 2)].into(),
            due: id % 5,
            prio: id % 2,
            label: (id % 4 == 0).then(|| "x".to_owned()),
        });
    }
    put(db, &rows).await;
}

/// The example: tenant + assignee. Before, the tenant's partition
/// (20 items) was read and filtered; the index pinning both reads the
/// assignee's 7.
#[dynamite::test(models(Ticket), fixture = small)]
async fn regression_tenant_and_assignee_read_the_index_pinning_both(db: Dynamite) {
    let q = || {
        Ticket::query()
            .filter(Ticket::TENANT.eq("t0"))
            .filter(Ticket::ASSIGNEE.eq("ann"))
    };
    let explain = q().explain(&db);
    assert!(explain.root().contains("index by_assignee"), "{explain:#}");
    assert!(
        explain
            .paths
            .iter()
            .any(|l| l.starts_with("rejected: table")),
        "{explain:#}"
    );
    let (chosen, after) = measured(&db, q().all(&db)).await;
    let (table, before) = measured(&db, q().index(IndexRef::table()).all(&db)).await;
    assert_eq!(keys(&chosen.unwrap()), keys(&table.unwrap()));
    eprintln!(
        "tenant+assignee: items read before (table partition) {before}, after (index) {after}"
    );
    assert_eq!((before, after), (20, 7));
    // With `order(Desc)`, the order is the table's sort key, which the
    // index's sort key (`id`) gives natively: still the index.
    let ordered = q().order(Desc);
    assert!(ordered.explain(&db).root().contains("index by_assignee"));
    let ids: Vec<u16> = ordered
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [18, 15, 12, 9, 6, 3, 0]);
}

/// `order` by the table's sort key ranks a path that gives it natively
/// above one that pins more: `by_status` sorts by `due`.
#[dynamite::test(models(Ticket), fixture = small)]
async fn regression_order_prefers_the_path_giving_it_natively(db: Dynamite) {
    let q = Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::STATUS.eq("open"));
    assert!(q.explain(&db).root().contains("index by_status"));
    let ordered = q.order(Desc);
    let explain = ordered.explain(&db);
    assert!(explain.root().contains("ix_choice key"), "{explain:#}");
    assert!(
        explain
            .paths
            .iter()
            .any(|l| l.contains("by_status") && l.contains("cannot give the order by id natively")),
        "{explain:#}"
    );
    let ids: Vec<u16> = ordered
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [18, 16, 14, 12, 10, 8, 6, 4, 2, 0]);
}

#[dynamite::test(models(Ticket), fixture = small)]
async fn consistent_reads_choose_among_table_paths(db: Dynamite) {
    // An index would be chosen; consistent reads the tenant's partition.
    let q = Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::ASSIGNEE.eq("ann"))
        .consistent();
    let explain = q.explain(&db);
    assert!(
        explain.root().contains("ix_choice key tenant"),
        "{explain:#}"
    );
    assert_eq!(q.all(&db).await.unwrap().len(), 7);
    // Only a Scan of the table remains for a filter an index serves.
    db.metrics().reset();
    let err = Ticket::query()
        .filter(Ticket::STATUS.eq("open"))
        .consistent()
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_consistent_index_read(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // A filter no path serves: a consistent Scan, as before.
    let all = Ticket::query()
        .filter(Ticket::DUE.eq(1u16))
        .consistent()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    // An index named with `.consistent()`: refused.
    let err = Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::ASSIGNEE.eq("ann"))
        .index(Ticket::BY_ASSIGNEE)
        .consistent()
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_consistent_index_read(), "{err}");
}

#[dynamite::test(models(Ticket), fixture = small)]
async fn a_hint_the_index_cannot_serve_is_an_error_before_sending(db: Dynamite) {
    db.metrics().reset();
    // Partition not pinned.
    let err = Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .index(Ticket::BY_ASSIGNEE)
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_index_unusable(), "{err}");
    assert!(
        err.to_string().contains("does not pin its partition"),
        "{err}"
    );
    // Sparse, and the filter does not imply its sort key is present.
    let err = Ticket::query()
        .filter(Ticket::PRIO.eq(1u16))
        .index(Ticket::BY_PRIO)
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_index_unusable(), "{err}");
    assert!(err.to_string().contains("sparse"), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // Implied: served.
    let rows = Ticket::query()
        .filter(Ticket::PRIO.eq(0u16))
        .filter(Ticket::LABEL.is_some())
        .index(Ticket::BY_PRIO)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    // The table forced: a Scan is the table's path.
    let explain = Ticket::query()
        .filter(Ticket::STATUS.eq("open"))
        .index(IndexRef::table())
        .explain(&db);
    assert!(explain.root().starts_with("Scan"), "{explain:#}");
}

#[dynamite::test(models(Ticket), fixture = small)]
async fn is_in_on_a_partition_key_is_capped(db: Dynamite) {
    let many: Vec<String> = (0..5000).map(|i| format!("t{i}")).collect();
    db.metrics().reset();
    let err = Ticket::query()
        .filter(Ticket::TENANT.is_in(many.clone()))
        .filter(Ticket::ASSIGNEE.ne("zed"))
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_fan_out_limit(), "{err}");
    assert!(err.to_string().contains("5000 requests"), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // 100 distinct values (duplicates do not count): allowed.
    let hundred: Vec<String> = (0..250).map(|i| format!("t{}", i % 100)).collect();
    let rows = Ticket::query()
        .filter(Ticket::TENANT.is_in(hundred))
        .filter(Ticket::ASSIGNEE.ne("zed"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 20);
    // A handle may raise or lower the cap.
    let low = crate::common::builder()
        .table::<Ticket>()
        .max_is_in_queries(2)
        .build()
        .await
        .unwrap();
    low.sync().await.unwrap();
    let err = Ticket::query()
        .filter(Ticket::TENANT.is_in(["a", "b", "c"]))
        .filter(Ticket::ASSIGNEE.ne("zed"))
        .all(&low)
        .await
        .unwrap_err();
    assert!(err.is_fan_out_limit(), "{err}");
}

#[tokio::test]
async fn a_strict_handle_refuses_whole_reads_and_explain_says_why() {
    let db = crate::common::builder()
        .table::<Ticket>()
        .strict(true)
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    let err = Ticket::query()
        .filter(Ticket::DUE.eq(1u16))
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_strict_read(), "{err}");
    assert!(err.to_string().contains("a whole table"), "{err}");
    let err = Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::DUE.eq(1u16))
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("a whole partition"), "{err}");
    // A whole partition that is the answer, a sort-key condition, a key
    // read and an index pinning the filter pass.
    Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .all(&db)
        .await
        .unwrap();
    Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::ID.gt(3u16))
        .filter(Ticket::DUE.eq(1u16))
        .all(&db)
        .await
        .unwrap();
    Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::ID.eq(3u16))
        .all(&db)
        .await
        .unwrap();
    Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::ASSIGNEE.eq("ann"))
        .all(&db)
        .await
        .unwrap();
    // explain names the chosen path and the rejected ones with reasons (a
    // strict handle explains the refusal instead).
    let refused = Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::ASSIGNEE.eq("ann"))
        .filter(Ticket::STATUS.eq("open"))
        .explain(&db);
    assert!(refused.root().starts_with("invalid: "), "{refused}");
    let db = load(&[]).await;
    small(&db).await;
    let explain = Ticket::query()
        .filter(Ticket::TENANT.eq("t0"))
        .filter(Ticket::ASSIGNEE.eq("ann"))
        .filter(Ticket::STATUS.eq("open"))
        .explain(&db);
    let text = format!("{explain:#}");
    assert!(
        text.contains(
            "chosen: index by_assignee (one partition, 2 key field(s) pinned [tenant, assignee]"
        ),
        "{text}"
    );
    assert!(text.contains("rejected: index by_status"), "{text}");
    assert!(
        text.contains("rejected: index by_prio (the filter does not pin its partition (prio))"),
        "{text}"
    );
    assert_eq!(explain.to_string(), explain.steps.join("\n"));
}
