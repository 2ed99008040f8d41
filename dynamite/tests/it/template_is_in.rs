//! `is_in` on a field of a partition-key template (single-table design):
//! one Query per rendered partition, exactly like `is_in` on a plain
//! partition key — deduplicated, capped by `max_is_in_queries`, strict,
//! merged in order, paged with cursors — for the table's key and a GSI's,
//! and for templates of several fields (every combination counts).

use std::collections::BTreeSet;

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder, Error};

use crate::common;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "tin", pk = "ORG#{org}#T#{tenant}", sk = "DOC#{id}")]
#[dynamite(index(name = "by_state", pk = "S#{state}"))]
pub struct TinDoc {
    pub org: String,
    pub tenant: String,
    pub id: u16,
    pub state: String,
    pub size: i32,
}

/// Same partitions as `TinDoc`: never in its answers.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "tin", pk = "ORG#{org}#T#{tenant}", sk = "NOTE#{id}")]
pub struct TinNote {
    pub org: String,
    pub tenant: String,
    pub id: u16,
}

const ORGS: [&str; 2] = ["o0", "o1"];
const TENANTS: [&str; 4] = ["t0", "t1", "t2", "t3"];
const STATES: [&str; 3] = ["a", "b", "c"];

fn docs() -> Vec<TinDoc> {
    let mut rows = Vec::new();
    for (o, org) in ORGS.iter().enumerate() {
        for (t, tenant) in TENANTS.iter().enumerate() {
            for id in 0..5u16 {
                let n = usize::from(id) + t + o;
                rows.push(TinDoc {
                    org: (*org).into(),
                    tenant: (*tenant).into(),
                    id,
                    state: STATES[n % 3].into(),
                    size: (n % 4) as i32,
                });
            }
        }
    }
    rows
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<TinDoc>().table::<TinNote>().strict(false)
}

fn register_strict(builder: DynamiteBuilder) -> DynamiteBuilder {
    register(builder).strict(true)
}

/// At most `N` Queries or BatchGetItems per key list.
fn register_is_in_cap<const N: usize>(builder: DynamiteBuilder) -> DynamiteBuilder {
    register(builder).max_is_in_queries(N)
}

/// Every `TinDoc` of `docs()`, and one `TinNote` per partition.
async fn seed(db: &Dynamite) {
    TinDoc::put_many(db, docs()).await.unwrap();
    let notes = ORGS.iter().flat_map(|org| {
        TENANTS.iter().map(|tenant| TinNote {
            org: (*org).into(),
            tenant: (*tenant).into(),
            id: 1,
        })
    });
    TinNote::put_many(db, notes).await.unwrap();
}

/// A second handle of its own, seeded, metrics reset.
async fn tin_db(cap: usize) -> Dynamite {
    let db = register(common::builder())
        .max_is_in_queries(cap)
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    seed(&db).await;
    db.metrics().reset();
    db
}

fn keys(rows: &[TinDoc]) -> Vec<(String, String, u16)> {
    rows.iter()
        .map(|d| (d.org.clone(), d.tenant.clone(), d.id))
        .collect()
}

fn expected(pred: impl Fn(&TinDoc) -> bool) -> BTreeSet<(String, String, u16)> {
    keys(&docs().into_iter().filter(pred).collect::<Vec<_>>())
        .into_iter()
        .collect()
}

#[dynamite::test(registry = register, fixture = seed)]
async fn is_in_on_a_template_field_sends_one_query_per_distinct_partition(db: Dynamite) {
    let q =
        || TinDoc::query().filter(TinDoc::ORG.eq("o0") & TinDoc::TENANT.is_in(["t1", "t3", "t1"]));
    let e = q().explain(&db).to_string();
    assert!(e.starts_with("Query "), "{e}");
    assert!(e.contains(" x2 ("), "{e}");
    let got = q().all(&db).await.unwrap();
    let m = db.metrics();
    assert_eq!(
        (m.count("Query"), m.count("Scan"), m.data_plane_requests()),
        (2, 0, 2),
        "{e}\n{m:?}"
    );
    // Only the docs of the two partitions were read (the sort key's
    // `DOC#` prefix leaves their notes out).
    assert_eq!(m.items_read(), 10, "{m:?}");
    let got_set: BTreeSet<_> = keys(&got).into_iter().collect();
    assert_eq!(got.len(), got_set.len());
    assert_eq!(
        got_set,
        expected(|d| d.org == "o0" && (d.tenant == "t1" || d.tenant == "t3"))
    );
}

#[dynamite::test(registry = register, fixture = seed)]
async fn is_in_on_several_template_fields_queries_every_combination(db: Dynamite) {
    let got = TinDoc::query()
        .filter(
            TinDoc::ORG.is_in(["o1", "o0"])
                & TinDoc::TENANT.is_in(["t2", "t0"])
                & TinDoc::SIZE.ge(1),
        )
        .all(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().count("Query"), 4);
    assert_eq!(db.metrics().count("Scan"), 0);
    let got_set: BTreeSet<_> = keys(&got).into_iter().collect();
    assert_eq!(
        got_set,
        expected(|d| (d.tenant == "t0" || d.tenant == "t2") && d.size >= 1)
    );
}

#[dynamite::test(registry = register, fixture = seed)]
async fn the_full_key_of_each_listed_partition_is_one_batch_get(db: Dynamite) {
    let got = TinDoc::query()
        .filter(TinDoc::ORG.eq("o1") & TinDoc::TENANT.is_in(["t0", "t3"]) & TinDoc::ID.eq(4u16))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().count("BatchGetItem"), 1);
    assert_eq!(db.metrics().data_plane_requests(), 1);
    let got_set: BTreeSet<_> = keys(&got).into_iter().collect();
    assert_eq!(
        got_set,
        expected(|d| d.org == "o1" && (d.tenant == "t0" || d.tenant == "t3") && d.id == 4)
    );
}

#[dynamite::test(registry = register, fixture = seed)]
async fn ordered_reads_merge_the_listed_partitions_by_sort_key(db: Dynamite) {
    for desc in [false, true] {
        let q = TinDoc::query().filter(TinDoc::ORG.eq("o1") & TinDoc::TENANT.is_in(["t2", "t0"]));
        let q = if desc { q.order(Desc) } else { q.order(Asc) };
        let e = q.explain(&db).to_string();
        assert!(e.contains("merged by sk"), "{e}");
        let ids: Vec<u16> = q.all(&db).await.unwrap().iter().map(|d| d.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        if desc {
            sorted.reverse();
        }
        assert_eq!(ids.len(), 10);
        assert_eq!(ids, sorted, "desc {desc}: {e}");
    }
}

#[dynamite::test(registry = register, fixture = seed)]
async fn pages_of_a_listed_read_follow_their_cursors_to_the_same_answer(db: Dynamite) {
    for order in [None, Some(Asc), Some(Desc)] {
        let q = || {
            let q = TinDoc::query()
                .filter(TinDoc::ORG.eq("o0") & TinDoc::TENANT.is_in(["t3", "t0", "t1"]))
                .limit(4);
            match order {
                Some(direction) => q.order(direction),
                None => q,
            }
        };
        let all = q().limit(100).all(&db).await.unwrap();
        assert_eq!(all.len(), 15);
        db.metrics().reset();
        let mut paged = Vec::new();
        let mut cursor = None;
        for _ in 0..20 {
            let page = q().page(&db, cursor.as_ref()).await.unwrap();
            paged.extend(page.items);
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        assert!(cursor.is_none(), "{order:?}: no end after 20 pages");
        assert_eq!(db.metrics().count("Scan"), 0);
        assert_eq!(keys(&paged), keys(&all), "{order:?}");
    }
}

#[dynamite::test(registry = register, fixture = seed)]
async fn is_in_on_a_gsi_template_field_queries_the_index_per_value(db: Dynamite) {
    let q = || TinDoc::query().filter(TinDoc::STATE.is_in(["c", "a", "c"]));
    let e = q().explain(&db).to_string();
    assert!(
        e.starts_with("Query ") && e.contains("index by_state"),
        "{e}"
    );
    let got = q().all(&db).await.unwrap();
    assert_eq!(db.metrics().count("Query"), 2);
    assert_eq!(db.metrics().count("Scan"), 0);
    let got_set: BTreeSet<_> = keys(&got).into_iter().collect();
    assert_eq!(got.len(), got_set.len());
    assert_eq!(got_set, expected(|d| d.state == "a" || d.state == "c"));
}

fn fan_out(r: &dynamite::Result<Vec<TinDoc>>) -> Option<(&'static str, usize, usize)> {
    match r {
        Err(Error::FanOutLimit {
            attribute,
            values,
            limit,
            ..
        }) => Some((*attribute, *values, *limit)),
        _ => None,
    }
}

#[dynamite::test(registry = register_is_in_cap::<3>, fixture = seed)]
async fn the_is_in_cap_counts_rendered_partitions_before_sending(db: Dynamite) {
    // Four distinct tenants under one org: four partitions.
    let r = TinDoc::query()
        .filter(TinDoc::ORG.eq("o0") & TinDoc::TENANT.is_in(["t0", "t1", "t2", "t3", "t0"]))
        .all(&db)
        .await;
    assert_eq!(fan_out(&r), Some(("tenant", 4, 3)), "{r:?}");
    // Two lists: their product (2 x 2) is what counts.
    let r = TinDoc::query()
        .filter(TinDoc::ORG.is_in(["o0", "o1"]) & TinDoc::TENANT.is_in(["t0", "t1"]))
        .all(&db)
        .await;
    assert_eq!(fan_out(&r), Some(("pk", 4, 3)), "{r:?}");
    // The product is bounded work, whatever the lists' lengths.
    let many: Vec<String> = (0..5_000).map(|n| format!("x{n}")).collect();
    let r = TinDoc::query()
        .filter(TinDoc::ORG.is_in(many.clone()) & TinDoc::TENANT.is_in(many))
        .all(&db)
        .await;
    assert_eq!(fan_out(&r), Some(("pk", 25_000_000, 3)), "{r:?}");
    // The full key of each: a key list, whose requests count (one
    // BatchGetItem per 100 keys): 301 keys are 4 requests, past 3.
    let tenants: Vec<String> = (0..301).map(|n| format!("t{n}")).collect();
    let r = TinDoc::query()
        .filter(TinDoc::ORG.eq("o0") & TinDoc::TENANT.is_in(tenants.clone()) & TinDoc::ID.eq(1u16))
        .all(&db)
        .await;
    assert_eq!(fan_out(&r), Some(("tenant", 4, 3)), "{r:?}");
    // Two lists on the partition, the sort key pinned: their product.
    let r = TinDoc::query()
        .filter(
            TinDoc::ORG.is_in(tenants.clone())
                & TinDoc::TENANT.is_in(tenants[..2].to_vec())
                & TinDoc::ID.eq(1u16),
        )
        .all(&db)
        .await;
    assert_eq!(fan_out(&r), Some(("pk", 7, 3)), "{r:?}");
    // The GSI's template too.
    let db_two = tin_db(2).await;
    let r = TinDoc::query()
        .filter(TinDoc::STATE.is_in(["a", "b", "c"]))
        .all(&db_two)
        .await;
    assert_eq!(fan_out(&r), Some(("state", 3, 2)), "{r:?}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert_eq!(db_two.metrics().data_plane_requests(), 0);
    // Within the cap: sent.
    let got = TinDoc::query()
        .filter(TinDoc::ORG.is_in(["o0", "o1"]) & TinDoc::TENANT.eq("t2"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(got.len(), 10);
    assert_eq!(db.metrics().count("Query"), 2);
    // A key list within the cap: 300 keys, 3 BatchGetItem.
    db.metrics().reset();
    let got = TinDoc::query()
        .filter(
            TinDoc::ORG.eq("o0")
                & TinDoc::TENANT.is_in(tenants[..300].to_vec())
                & TinDoc::ID.eq(1u16),
        )
        .all(&db)
        .await
        .unwrap();
    assert!(got.iter().all(|d| d.org == "o0" && d.id == 1), "{got:?}");
    assert_eq!(db.metrics().count("BatchGetItem"), 3);
    assert_eq!(db.metrics().data_plane_requests(), 3);
}

#[dynamite::test(registry = register_strict, fixture = seed)]
async fn a_listed_partition_is_a_key_for_strict_reads(db: Dynamite) {
    // Each partition read by its whole key: strict.
    let got = TinDoc::query()
        .filter(TinDoc::STATE.is_in(["a", "b"]))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(got.len(), expected(|d| d.state != "c").len());
    let got = TinDoc::query()
        .filter(TinDoc::ORG.eq("o1") & TinDoc::TENANT.is_in(["t0", "t1"]))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(got.len(), 10);
    db.metrics().reset();
    // Whole partitions read to filter them: refused before sending.
    let r = TinDoc::query()
        .filter(TinDoc::STATE.is_in(["a", "b"]) & TinDoc::SIZE.gt(1))
        .all(&db)
        .await;
    assert!(matches!(&r, Err(e) if e.is_strict_read()), "{r:?}");
    // A second list on the same field filters too.
    let r = TinDoc::query()
        .filter(TinDoc::STATE.is_in(["a", "b"]) & TinDoc::STATE.is_in(["b", "c"]))
        .all(&db)
        .await;
    assert!(matches!(&r, Err(e) if e.is_strict_read()), "{r:?}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = register, fixture = seed)]
async fn set_based_writes_select_listed_partitions_by_query(db: Dynamite) {
    let n = TinDoc::update_where(
        TinDoc::ORG.eq("o0") & TinDoc::TENANT.is_in(["t1", "t2"]) & TinDoc::SIZE.eq(0),
    )
    .set(TinDoc::STATE, "z")
    .exec(&db)
    .await
    .unwrap();
    assert_eq!(db.metrics().count("Scan"), 0);
    let want = expected(|d| d.org == "o0" && (d.tenant == "t1" || d.tenant == "t2") && d.size == 0);
    assert_eq!(n as usize, want.len());
    let z = TinDoc::query()
        .filter(TinDoc::STATE.eq("z"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(keys(&z).into_iter().collect::<BTreeSet<_>>(), want);
    let capped = tin_db(1).await;
    let r = TinDoc::delete_where(TinDoc::ORG.eq("o0") & TinDoc::TENANT.is_in(["t1", "t2"]))
        .exec(&capped)
        .await;
    assert!(matches!(&r, Err(e) if e.is_fan_out_limit()), "{r:?}");
    assert_eq!(capped.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = register, fixture = seed)]
async fn a_listed_value_no_key_can_hold_is_refused_before_sending(db: Dynamite) {
    let r = TinDoc::query()
        .filter(TinDoc::ORG.eq("o0") & TinDoc::TENANT.is_in(["t0", "t#1"]))
        .all(&db)
        .await;
    assert!(matches!(&r, Err(Error::InvalidValue { .. })), "{r:?}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}
