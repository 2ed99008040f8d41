//! Differential test of shared-table reads: random rows of two models in
//! one table (their keys render alike), random filters on key-template
//! fields and plain fields (`is_in` on a partition template's field among
//! them), read whole or page by page through cursors, and every answer
//! compared with a brute-force reference (all rows of the model, filtered
//! in memory). Seeded, shrinking to a minimal filter.

use std::collections::BTreeSet;

use dynamite::prelude::*;
use dynamite::{Condition, Dynamite};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "st_diff", pk = "U#{user}", sk = "O#{id}")]
#[dynamite(index(name = "gsi1", pk = "S#{status}", sk = "O#{id}"))]
struct Ord {
    user: String,
    id: u16,
    status: String,
    total: i32,
}

/// Renders the same keys as `Ord` ("U#u0" / "O#00007"): only the entity
/// type keeps them apart.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "st_diff", pk = "U#{user}", sk = "O#{id}", entity = "Twin")]
struct Twin {
    user: String,
    id: u16,
    status: String,
    total: i32,
}

const USERS: [&str; 3] = ["u0", "u1", "u2"];
const STATUSES: [&str; 3] = ["a", "b", "c"];

/// A filter, as a condition and as a predicate on a row.
#[derive(Debug, Clone)]
enum F {
    User(&'static str),
    UserIn(Vec<&'static str>),
    IdEq(u16),
    IdGt(u16),
    IdLe(u16),
    IdBetween(u16, u16),
    IdIn(Vec<u16>),
    Status(&'static str),
    StatusIn(Vec<&'static str>),
    StatusNe(&'static str),
    TotalGt(i32),
    And(Box<F>, Box<F>),
    Or(Box<F>, Box<F>),
    Not(Box<F>),
}

impl F {
    fn condition(&self) -> Condition<Ord> {
        match self {
            F::User(u) => Ord::USER.eq(*u),
            F::UserIn(v) => Ord::USER.is_in(v.clone()),
            F::IdEq(i) => Ord::ID.eq(*i),
            F::IdGt(i) => Ord::ID.gt(*i),
            F::IdLe(i) => Ord::ID.le(*i),
            F::IdBetween(a, b) => Ord::ID.between(*a, *b),
            F::IdIn(v) => Ord::ID.is_in(v.clone()),
            F::Status(s) => Ord::STATUS.eq(*s),
            F::StatusIn(v) => Ord::STATUS.is_in(v.clone()),
            F::StatusNe(s) => Ord::STATUS.ne(*s),
            F::TotalGt(t) => Ord::TOTAL.gt(*t),
            F::And(a, b) => a.condition().and(b.condition()),
            F::Or(a, b) => a.condition().or(b.condition()),
            F::Not(a) => a.condition().not(),
        }
    }

    fn matches(&self, o: &Ord) -> bool {
        match self {
            F::User(u) => o.user == *u,
            F::UserIn(v) => v.contains(&o.user.as_str()),
            F::IdEq(i) => o.id == *i,
            F::IdGt(i) => o.id > *i,
            F::IdLe(i) => o.id <= *i,
            F::IdBetween(a, b) => *a <= o.id && o.id <= *b,
            F::IdIn(v) => v.contains(&o.id),
            F::Status(s) => o.status == *s,
            F::StatusIn(v) => v.contains(&o.status.as_str()),
            F::StatusNe(s) => o.status != *s,
            F::TotalGt(t) => o.total > *t,
            F::And(a, b) => a.matches(o) && b.matches(o),
            F::Or(a, b) => a.matches(o) || b.matches(o),
            F::Not(a) => !a.matches(o),
        }
    }
}

/// A list of 0 to 3 values of `of`, repeats allowed.
fn list(of: &[&'static str]) -> impl Strategy<Value = Vec<&'static str>> + Clone {
    proptest::collection::vec(proptest::sample::select(of.to_vec()), 0..4)
}

fn filter() -> impl Strategy<Value = F> {
    let user = proptest::sample::select(USERS.to_vec());
    let status = proptest::sample::select(STATUSES.to_vec());
    let leaf = prop_oneof![
        user.clone().prop_map(F::User),
        list(&USERS).prop_map(F::UserIn),
        list(&STATUSES).prop_map(F::StatusIn),
        (0u16..24).prop_map(F::IdEq),
        (0u16..24).prop_map(F::IdGt),
        (0u16..24).prop_map(F::IdLe),
        (0u16..24, 0u16..24).prop_map(|(a, b)| F::IdBetween(a.min(b), a.max(b))),
        proptest::collection::vec(0u16..24, 0..4).prop_map(F::IdIn),
        status.clone().prop_map(F::Status),
        status.prop_map(F::StatusNe),
        (-6i32..6).prop_map(F::TotalGt),
    ];
    let tree = leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| F::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| F::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| F::Not(Box::new(a))),
        ]
    });
    // Most cases pin the partition (or gsi1's), with `=` or a list of
    // partitions, so keyed plans are exercised.
    prop_oneof![
        2 => (proptest::sample::select(USERS.to_vec()), tree.clone())
            .prop_map(|(u, f)| F::And(Box::new(F::User(u)), Box::new(f))),
        2 => (list(&USERS), tree.clone())
            .prop_map(|(u, f)| F::And(Box::new(F::UserIn(u)), Box::new(f))),
        1 => (proptest::sample::select(STATUSES.to_vec()), tree.clone())
            .prop_map(|(s, f)| F::And(Box::new(F::Status(s)), Box::new(f))),
        1 => (list(&STATUSES), tree.clone())
            .prop_map(|(s, f)| F::And(Box::new(F::StatusIn(s)), Box::new(f))),
        1 => tree,
    ]
}

fn rows() -> (Vec<Ord>, Vec<Twin>) {
    let mut ords = Vec::new();
    let mut twins = Vec::new();
    for (u, user) in USERS.iter().enumerate() {
        for id in 0..20u16 {
            let pick = |n: u64| (id as u64 * 7 + u as u64 * 3 + n) % 3;
            let status = STATUSES[pick(0) as usize].to_owned();
            let total = ((i32::from(id) * 13 + u as i32 * 5) % 9) - 4;
            if pick(1) != 0 {
                ords.push(Ord {
                    user: (*user).to_owned(),
                    id,
                    status: status.clone(),
                    total,
                });
            }
            // A twin only where no order is: one key is one item.
            if pick(1) == 0 {
                twins.push(Twin {
                    user: (*user).to_owned(),
                    id,
                    status,
                    total,
                });
            }
        }
    }
    (ords, twins)
}

#[test]
fn shared_table_reads_match_the_reference_on_random_filters() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (ords, twins) = rows();
    let db: Dynamite = rt.block_on(async {
        let db = crate::common::builder()
            .table::<Ord>()
            .table::<Twin>()
            .build()
            .await
            .unwrap();
        db.sync().await.unwrap();
        for o in &ords {
            Ord::create()
                .user(o.user.as_str())
                .id(o.id)
                .status(o.status.as_str())
                .total(o.total)
                .exec(&db)
                .await
                .unwrap();
        }
        for t in &twins {
            Twin::create()
                .user(t.user.as_str())
                .id(t.id)
                .status(t.status.as_str())
                .total(t.total)
                .exec(&db)
                .await
                .unwrap();
        }
        db
    });
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 300,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    // An order (none, Asc, Desc) and a page size (`None`: one `all()`).
    let read = (0u8..3, proptest::option::of(1usize..7));
    let result = runner.run(&(filter(), read), |(f, (order, page))| {
        let expected: BTreeSet<(String, u16)> = ords
            .iter()
            .filter(|o| f.matches(o))
            .map(|o| (o.user.clone(), o.id))
            .collect();
        let order = [None, Some(Asc), Some(Desc)][usize::from(order)];
        let query = || {
            let query = Ord::query().filter(f.condition());
            match order {
                Some(direction) => query.order(direction),
                None => query,
            }
        };
        db.metrics().reset();
        let got = rt.block_on(async {
            let Some(size) = page else {
                return query().all(&db).await;
            };
            let mut rows = Vec::new();
            let mut cursor = None;
            // More pages than rows would mean a cursor that does not advance.
            for _ in 0..=ords.len() {
                let page = query().limit(size).page(&db, cursor.as_ref()).await?;
                rows.extend(page.items);
                cursor = page.next;
                if cursor.is_none() {
                    break;
                }
            }
            Ok(rows)
        });
        let got = got.map_err(|e| TestCaseError::fail(format!("{f:?}: {e}")))?;
        let keys: Vec<(String, u16)> = got.iter().map(|o| (o.user.clone(), o.id)).collect();
        let as_set: BTreeSet<(String, u16)> = keys.iter().cloned().collect();
        prop_assert_eq!(&as_set, &expected, "{:?} page {:?}", f, page);
        prop_assert_eq!(keys.len(), as_set.len(), "no duplicates: {:?}", f);
        for o in &got {
            prop_assert!(ords.contains(o), "a row of another model: {:?}", o);
        }
        let ids: Vec<u16> = got.iter().map(|o| o.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        if order == Some(Desc) {
            sorted.reverse();
        }
        match &f {
            // Within one partition the order is the sort key's, numerically.
            F::And(pinned, _) if matches!(**pinned, F::User(_)) => {
                prop_assert_eq!(ids, sorted, "{:?}", f);
            }
            // A list of partitions (of the table or of gsi1): one Query
            // each, merged by the sort key when ordered.
            F::And(pinned, _) if matches!(&**pinned, F::UserIn(v) | F::StatusIn(v) if !v.is_empty()) =>
            {
                prop_assert_eq!(db.metrics().count("Scan"), 0, "{:?}", f);
                if order.is_some() {
                    prop_assert_eq!(ids, sorted, "{:?}", f);
                }
            }
            _ => {}
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ------------------------------------------------------------- includes

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_diff_inc", pk = "U#{id}", sk = "P")]
struct DUser {
    id: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    orders: HasMany<DOrder>,
}

/// The one model of its table with TTL: users and items (no TTL) are
/// never hidden by it, even when read in the same partition Query.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_diff_inc", pk = "U#{user_id}", sk = "O#{id}")]
struct DOrder {
    id: u16,
    user_id: String,
    status: String,
    #[dynamite(ttl)]
    until: Option<i64>,
    #[dynamite(has_many(foreign_key = ["user_id", "order_id"]))]
    items: HasMany<DItem>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_diff_inc", pk = "U#{user_id}", sk = "I#{order_id}#{id}")]
struct DItem {
    id: u16,
    user_id: String,
    order_id: u16,
    qty: i32,
}

#[derive(Debug, Clone)]
struct IncludeCase {
    /// `Some(u)`: the root pins user `u` (one GetItem, fused); else a Scan.
    user: Option<usize>,
    status: Option<&'static str>,
    order_limit: Option<usize>,
    order_desc: bool,
    item_limit: Option<usize>,
    min_qty: Option<i32>,
}

fn include_case() -> impl Strategy<Value = IncludeCase> {
    (
        proptest::option::of(0usize..4),
        proptest::option::of(proptest::sample::select(STATUSES.to_vec())),
        proptest::option::of(1usize..4),
        any::<bool>(),
        proptest::option::of(1usize..4),
        proptest::option::of(0i32..4),
    )
        .prop_map(
            |(user, status, order_limit, order_desc, item_limit, min_qty)| IncludeCase {
                user,
                status,
                order_limit,
                order_desc,
                item_limit,
                min_qty,
            },
        )
}

/// The graph as lines, from the database or from the reference.
fn graph_lines(users: &[DUser]) -> Vec<String> {
    let mut lines = Vec::new();
    for u in users {
        lines.push(format!("user {}", u.id));
        for o in u.orders.iter() {
            lines.push(format!("  order {} {}", o.id, o.status));
            for i in o.items.iter() {
                lines.push(format!("    item {} {}", i.id, i.qty));
            }
        }
    }
    lines
}

#[test]
fn shared_table_includes_match_the_reference_on_random_shapes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // 4 users, 0-5 orders each, 0-4 items per order (ids out of order);
    // some orders expired (more than five years ago: never swept).
    let mut orders: Vec<(usize, u16, &'static str)> = Vec::new();
    let expired = |u: usize, id: u16| (usize::from(id) + u).is_multiple_of(4);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut items: Vec<(usize, u16, u16, i32)> = Vec::new();
    for u in 0..4usize {
        for o in 0..(u as u16 + 2) % 6 {
            let id = (o * 7 + u as u16) % 11;
            orders.push((u, id, STATUSES[(id as usize + u) % 3]));
            for j in 0..(id % 5) {
                let item = (j * 5 + id) % 9 + 1;
                items.push((u, id, item, ((item + j) % 4) as i32));
            }
        }
    }
    let db: Dynamite = rt.block_on(async {
        let db = crate::common::builder()
            .table::<DUser>()
            .table::<DOrder>()
            .table::<DItem>()
            .build()
            .await
            .unwrap();
        db.sync().await.unwrap();
        for u in 0..4 {
            DUser::create().id(format!("u{u}")).exec(&db).await.unwrap();
        }
        for (u, id, status) in &orders {
            let until = if expired(*u, *id) {
                Some(now - crate::ttl::LONG_AGO.as_secs() as i64)
            } else {
                Some(now + 3600).filter(|_| id % 2 == 0)
            };
            DOrder::create()
                .id(*id)
                .user_id(format!("u{u}"))
                .status(*status)
                .until(until)
                .exec(&db)
                .await
                .unwrap();
        }
        for (u, order, id, qty) in &items {
            DItem::create()
                .id(*id)
                .user_id(format!("u{u}"))
                .order_id(*order)
                .qty(*qty)
                .exec(&db)
                .await
                .unwrap();
        }
        db
    });
    let reference = |case: &IncludeCase| -> Vec<String> {
        let mut lines = Vec::new();
        let users: Vec<usize> = match case.user {
            Some(u) => vec![u],
            None => (0..4).collect(),
        };
        for u in users {
            lines.push(format!("user u{u}"));
            let mut mine: Vec<&(usize, u16, &str)> = orders
                .iter()
                .filter(|(ou, id, s)| {
                    *ou == u && !expired(u, *id) && case.status.is_none_or(|st| st == *s)
                })
                .collect();
            mine.sort_by_key(|(_, id, _)| *id);
            if case.order_desc {
                mine.reverse();
            }
            if let Some(l) = case.order_limit {
                mine.truncate(l);
            }
            for (_, oid, status) in mine {
                lines.push(format!("  order {oid} {status}"));
                let mut its: Vec<&(usize, u16, u16, i32)> = items
                    .iter()
                    .filter(|(iu, io, _, q)| {
                        *iu == u && io == oid && case.min_qty.is_none_or(|m| *q >= m)
                    })
                    .collect();
                its.sort_by_key(|(_, _, id, _)| *id);
                if let Some(l) = case.item_limit {
                    its.truncate(l);
                }
                for (_, _, id, qty) in its {
                    lines.push(format!("    item {id} {qty}"));
                }
            }
        }
        lines
    };
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 120,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let result = runner.run(&include_case(), |case| {
        let got = rt.block_on(async {
            let mut orders = DOrder::query_relation(&case);
            if let Some(l) = case.order_limit {
                orders = orders.limit(l);
            }
            let mut items = DOrder::items();
            if let Some(m) = case.min_qty {
                items = items.filter(DItem::QTY.ge(m));
            }
            if let Some(l) = case.item_limit {
                items = items.limit(l);
            }
            let query = DUser::query().include(orders.include(items));
            let query = match case.user {
                Some(u) => query.filter(DUser::ID.eq(format!("u{u}"))),
                None => query,
            };
            query.all(&db).await
        });
        let mut users = got.map_err(|e| TestCaseError::fail(format!("{case:?}: {e}")))?;
        users.sort_by(|a, b| a.id.cmp(&b.id));
        prop_assert_eq!(graph_lines(&users), reference(&case), "{:?}", case);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

impl DOrder {
    fn query_relation(case: &IncludeCase) -> dynamite::Relation<DUser, DOrder> {
        let orders = DUser::orders();
        let orders = match case.status {
            Some(s) => orders.filter(DOrder::STATUS.eq(s)),
            None => orders,
        };
        if case.order_desc {
            orders.order(Desc)
        } else {
            orders
        }
    }
}
