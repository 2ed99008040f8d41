//! Multi-attribute GSI keys (DynamoDB, November 2025): an index over up
//! to 4 partition and 4 sort attributes of natural fields. `sync()`
//! creates it, the planner reads it when the filter pins every partition
//! attribute with `=` and a left-to-right prefix of the sort attributes
//! (`=` on all but the last, which may be a range) and implies every key
//! attribute exists; otherwise it falls back to the next plan. Checked
//! against a brute-force reference on random filters (seeded, shrinking).

use dynamite::prelude::*;
use dynamite::{Change, Condition, Dynamite};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::common::builder;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "mk_tickets")]
#[dynamite(index(name = "by_region_closed", partition = "region", sort = ["closed", "priority"]))]
#[dynamite(index(
    name = "by_region_status",
    partition = ["region", "status"],
    sort = ["created_at", "id"]
))]
struct Ticket {
    #[dynamite(primary_key)]
    id: String,
    region: String,
    status: String,
    created_at: i64,
    priority: i64,
    /// Sparse: a row without it is not in `by_region_closed`.
    closed: Option<i64>,
}

/// The same table before the indexes were declared.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "mk_tickets")]
struct TicketV1 {
    #[dynamite(primary_key)]
    id: String,
    region: String,
}

const REGIONS: [&str; 2] = ["eu", "us"];
const STATUSES: [&str; 3] = ["open", "done", "held"];

fn rows() -> Vec<Ticket> {
    (0..60i64)
        .map(|i| Ticket {
            id: format!("t{i:02}"),
            region: REGIONS[(i % 2) as usize].to_owned(),
            status: STATUSES[((i / 2) % 3) as usize].to_owned(),
            created_at: (i * 7) % 5,
            priority: (i * 11) % 4,
            closed: (i % 4 != 0).then_some((i * 3) % 5),
        })
        .collect()
}

async fn seed(db: &Dynamite) {
    Ticket::put_many(db, rows()).await.unwrap();
}

async fn seeded() -> Dynamite {
    let db = builder().table::<Ticket>().build().await.unwrap();
    db.sync().await.unwrap();
    seed(&db).await;
    db.metrics().reset();
    db
}

fn explain(db: &Dynamite, q: &dynamite::Query<Ticket>) -> String {
    q.explain(db).root().replace(db.table_prefix(), "")
}

#[dynamite::test(models(Ticket), fixture = seed)]
async fn the_planner_reads_the_index_when_every_partition_attribute_is_pinned(db: Dynamite) {
    let pinned = || {
        Ticket::query()
            .filter(Ticket::REGION.eq("eu"))
            .filter(Ticket::STATUS.eq("open"))
    };
    // Both partition attributes: a Query of the index.
    let q = pinned();
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_status key (region = \"eu\" AND status = \"open\")"
    );
    let got = q.all(&db).await.unwrap();
    assert_eq!(db.metrics().count("Query"), 1);
    assert_eq!(db.metrics().data_plane_requests(), 1);
    let mut expected: Vec<Ticket> = rows()
        .into_iter()
        .filter(|t| t.region == "eu" && t.status == "open")
        .collect();
    expected.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    assert_eq!(got, expected, "in the index's order: created_at, then id");

    // `=` on the first sort attribute, a range on the second.
    let q = pinned()
        .filter(Ticket::CREATED_AT.eq(2))
        .filter(Ticket::ID.gt("t10"))
        .order(Desc);
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_status key (region = \"eu\" AND status = \"open\" \
         AND created_at = 2 AND id > \"t10\") order desc"
    );
    // A range on the first sort attribute; the second stays out of the key
    // (and, an index key, out of the FilterExpression: in memory).
    let q = pinned()
        .filter(Ticket::CREATED_AT.ge(2))
        .filter(Ticket::ID.gt("t10"));
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_status key (region = \"eu\" AND status = \"open\" \
         AND created_at >= 2) filter in memory id > \"t10\""
    );
    // No condition on the first sort attribute: the second cannot be in
    // the key; a non-key condition is a FilterExpression.
    let q = pinned()
        .filter(Ticket::ID.lt("t30"))
        .filter(Ticket::PRIORITY.eq(1));
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_status key (region = \"eu\" AND status = \"open\") \
         filter priority = 1 filter in memory id < \"t30\""
    );
}

#[dynamite::test(models(Ticket), fixture = seed)]
async fn the_planner_falls_back_when_the_index_cannot_answer(db: Dynamite) {
    // One partition attribute of two: not this index (and `by_region_closed`
    // is sparse on `closed`, which the filter does not imply): a Scan.
    let q = Ticket::query().filter(Ticket::REGION.eq("eu"));
    assert_eq!(
        explain(&db, &q),
        "Scan mk_tickets filter region = \"eu\" (index by_region_closed not read: sparse, \
         the filter does not imply closed is present)"
    );
    assert_eq!(q.all(&db).await.unwrap().len(), 30);
    assert_eq!(db.metrics().count("Scan"), 1);
    // `is_in` on a partition attribute of a multi-attribute key: a Scan.
    let q = Ticket::query()
        .filter(Ticket::REGION.eq("eu"))
        .filter(Ticket::STATUS.is_in(["open", "held"]));
    assert!(
        explain(&db, &q).starts_with("Scan mk_tickets"),
        "{}",
        explain(&db, &q)
    );
    // The sparse index once the filter implies `closed` exists.
    let q = Ticket::query()
        .filter(Ticket::REGION.eq("us"))
        .filter(Ticket::CLOSED.is_some());
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_closed key region = \"us\" filter in memory \
         (attribute_exists(closed) AND NOT attribute_type(closed, \"NULL\"))"
    );
    let q = Ticket::query()
        .filter(Ticket::REGION.eq("us"))
        .filter(Ticket::CLOSED.eq(3))
        .filter(Ticket::PRIORITY.between(1, 2));
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_closed key (region = \"us\" AND closed = 3 \
         AND priority BETWEEN 1 AND 2)"
    );
    db.metrics().reset();
    let got = q.all(&db).await.unwrap();
    assert_eq!(db.metrics().count("Query"), 1);
    let want: Vec<Ticket> = rows()
        .into_iter()
        .filter(|t| t.region == "us" && t.closed == Some(3) && (1..=2).contains(&t.priority))
        .collect();
    assert_eq!(got.len(), want.len());
    // Both indexes can answer and pin two key fields (`by_region_closed`
    // its partition and its first sort attribute): the one with a sort-key
    // condition wins over a bare partition.
    let q = Ticket::query()
        .filter(Ticket::REGION.eq("us"))
        .filter(Ticket::STATUS.eq("done"))
        .filter(Ticket::CLOSED.eq(3));
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_closed key (region = \"us\" AND closed = 3) \
         filter status = \"done\""
    );
    // A consistent read needs the table: refused, never weakened.
    let q = Ticket::query()
        .filter(Ticket::REGION.eq("eu"))
        .filter(Ticket::STATUS.eq("open"))
        .consistent();
    assert!(q.all(&db).await.unwrap_err().is_consistent_index_read());
}

#[tokio::test]
async fn sync_creates_the_index_reports_it_and_is_idempotent() {
    let b = builder();
    let old = b.clone().table::<TicketV1>().build().await.unwrap();
    old.sync().await.unwrap();
    TicketV1::create()
        .id("kept")
        .region("eu")
        .exec(&old)
        .await
        .unwrap();
    let db = b
        .same_backend_as(&old)
        .table::<Ticket>()
        .build()
        .await
        .unwrap();
    let table = db.table_name::<Ticket>().unwrap();
    let plan = db.sync_plan().await.unwrap();
    let wanted = vec![
        Change::CreateIndex {
            table: table.clone(),
            index: "by_region_closed".into(),
        },
        Change::CreateIndex {
            table: table.clone(),
            index: "by_region_status".into(),
        },
    ];
    assert_eq!(plan.changes, wanted);
    assert_eq!(db.sync().await.unwrap(), plan);
    assert!(db.sync().await.unwrap().is_empty());
    assert!(db.sync_plan().await.unwrap().is_empty());
    let described = db
        .client()
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let index = described
        .global_secondary_indexes()
        .iter()
        .find(|g| g.index_name() == Some("by_region_status"))
        .expect("the index exists");
    let schema: Vec<(String, String)> = index
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        schema,
        [
            ("region", "HASH"),
            ("status", "HASH"),
            ("created_at", "RANGE"),
            ("id", "RANGE")
        ]
        .map(|(a, k)| (a.to_owned(), k.to_owned()))
    );
    // A fresh table gets both at once.
    let fresh = builder().table::<Ticket>().build().await.unwrap();
    let report = fresh.sync().await.unwrap();
    assert_eq!(
        report.changes,
        [Change::CreateTable {
            table: fresh.table_name::<Ticket>().unwrap(),
            indexes: vec!["by_region_closed".into(), "by_region_status".into()],
        }]
    );
    assert!(fresh.sync().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_export_lists_every_key_attribute() {
    use dynamite::export::Format;
    let db = builder().table::<Ticket>().build().await.unwrap();
    let cf: serde_json::Value =
        serde_json::from_str(&db.export(Format::CloudFormation).unwrap()).unwrap();
    let (_, table) = cf["Resources"].as_object().unwrap().iter().next().unwrap();
    let index = &table["Properties"]["GlobalSecondaryIndexes"][1];
    assert_eq!(index["IndexName"], "by_region_status");
    assert_eq!(
        index["KeySchema"],
        serde_json::json!([
            {"AttributeName": "region", "KeyType": "HASH"},
            {"AttributeName": "status", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
            {"AttributeName": "id", "KeyType": "RANGE"},
        ])
    );
    let names: Vec<&str> = table["Properties"]["AttributeDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AttributeName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["closed", "created_at", "id", "priority", "region", "status"]
    );
    let tf: serde_json::Value =
        serde_json::from_str(&db.export(Format::Terraform).unwrap()).unwrap();
    let (_, table) = tf["resource"]["aws_dynamodb_table"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let index = &table["global_secondary_index"][1];
    assert_eq!(index["name"], "by_region_status");
    assert!(index.get("hash_key").is_none());
    assert_eq!(
        index["key_schema"][1],
        serde_json::json!({"attribute_name": "status", "key_type": "HASH"})
    );
}

// ------------------------------------------------------------ differential

/// A filter leaf, as a condition and as a predicate.
#[derive(Debug, Clone)]
enum F {
    Region(&'static str),
    Status(&'static str),
    CreatedEq(i64),
    CreatedGe(i64),
    CreatedBetween(i64, i64),
    IdGt(String),
    IdBeginsWith(String),
    PriorityEq(i64),
    PriorityLt(i64),
    ClosedSome,
    ClosedEq(i64),
    ClosedLe(i64),
    Or(Box<F>, Box<F>),
    Not(Box<F>),
}

impl F {
    fn condition(&self) -> Condition<Ticket> {
        match self {
            F::Region(r) => Ticket::REGION.eq(*r),
            F::Status(s) => Ticket::STATUS.eq(*s),
            F::CreatedEq(n) => Ticket::CREATED_AT.eq(*n),
            F::CreatedGe(n) => Ticket::CREATED_AT.ge(*n),
            F::CreatedBetween(a, b) => Ticket::CREATED_AT.between(*a, *b),
            F::IdGt(s) => Ticket::ID.gt(s.as_str()),
            F::IdBeginsWith(s) => Ticket::ID.begins_with(s.as_str()),
            F::PriorityEq(n) => Ticket::PRIORITY.eq(*n),
            F::PriorityLt(n) => Ticket::PRIORITY.lt(*n),
            F::ClosedSome => Ticket::CLOSED.is_some(),
            F::ClosedEq(n) => Ticket::CLOSED.eq(*n),
            F::ClosedLe(n) => Ticket::CLOSED.le(*n),
            F::Or(a, b) => a.condition().or(b.condition()),
            F::Not(a) => a.condition().not(),
        }
    }

    fn matches(&self, t: &Ticket) -> bool {
        match self {
            F::Region(r) => t.region == *r,
            F::Status(s) => t.status == *s,
            F::CreatedEq(n) => t.created_at == *n,
            F::CreatedGe(n) => t.created_at >= *n,
            F::CreatedBetween(a, b) => *a <= t.created_at && t.created_at <= *b,
            F::IdGt(s) => t.id.as_str() > s.as_str(),
            F::IdBeginsWith(s) => t.id.starts_with(s.as_str()),
            F::PriorityEq(n) => t.priority == *n,
            F::PriorityLt(n) => t.priority < *n,
            F::ClosedSome => t.closed.is_some(),
            F::ClosedEq(n) => t.closed == Some(*n),
            F::ClosedLe(n) => t.closed.is_some_and(|c| c <= *n),
            F::Or(a, b) => a.matches(t) || b.matches(t),
            F::Not(a) => !a.matches(t),
        }
    }
}

fn leaf() -> impl Strategy<Value = F> {
    let id = (0i64..60).prop_map(|i| format!("t{i:02}"));
    prop_oneof![
        proptest::sample::select(REGIONS.to_vec()).prop_map(F::Region),
        proptest::sample::select(STATUSES.to_vec()).prop_map(F::Status),
        (0i64..5).prop_map(F::CreatedEq),
        (0i64..5).prop_map(F::CreatedGe),
        (0i64..5, 0i64..5).prop_map(|(a, b)| F::CreatedBetween(a.min(b), a.max(b))),
        id.prop_map(F::IdGt),
        (0i64..6).prop_map(|i| F::IdBeginsWith(format!("t{i}"))),
        (0i64..4).prop_map(F::PriorityEq),
        (0i64..4).prop_map(F::PriorityLt),
        Just(F::ClosedSome),
        (0i64..5).prop_map(F::ClosedEq),
        (0i64..5).prop_map(F::ClosedLe),
    ]
}

/// Conjunctions that often pin the index (region, status, a sort prefix),
/// with random extra conditions, OR and NOT.
fn filters() -> impl Strategy<Value = Vec<F>> {
    let tree = leaf().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| F::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| F::Not(Box::new(a))),
        ]
    });
    (
        proptest::option::weighted(0.8, proptest::sample::select(REGIONS.to_vec())),
        proptest::option::weighted(0.6, proptest::sample::select(STATUSES.to_vec())),
        proptest::option::weighted(
            0.3,
            prop_oneof![Just(F::ClosedSome), (0i64..5).prop_map(F::ClosedEq)],
        ),
        proptest::collection::vec(tree, 0..4),
    )
        .prop_map(|(region, status, closed, rest)| {
            let mut all: Vec<F> = region.map(F::Region).into_iter().collect();
            all.extend(status.map(F::Status));
            all.extend(closed);
            all.extend(rest);
            all
        })
}

#[test]
fn multi_attribute_index_reads_match_the_reference() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(seeded());
    let rows = rows();
    let cases = std::env::var("MULTI_KEY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let plans = std::sync::Mutex::new(std::collections::BTreeMap::<String, usize>::new());
    let result = runner.run(&(filters(), any::<bool>()), |(filters, desc)| {
        let mut q = Ticket::query();
        for f in &filters {
            q = q.filter(f.condition());
        }
        if desc {
            q = q.order(Desc);
        }
        let plan = explain(&db, &q);
        let kind = plan
            .split(" key ")
            .next()
            .unwrap_or_default()
            .split(" filter")
            .next()
            .unwrap_or_default()
            .to_owned();
        *plans.lock().unwrap().entry(kind.clone()).or_default() += 1;
        let got = rt
            .block_on(q.all(&db))
            .map_err(|e| TestCaseError::fail(format!("{plan}: {e}")))?;
        let mut want: Vec<Ticket> = rows
            .iter()
            .filter(|t| filters.iter().all(|f| f.matches(t)))
            .cloned()
            .collect();
        let mut sorted_got = got.clone();
        sorted_got.sort_by(|a, b| a.id.cmp(&b.id));
        want.sort_by(|a, b| a.id.cmp(&b.id));
        prop_assert_eq!(&sorted_got, &want, "{}", plan);
        // Read through `by_region_status`: in its order (created_at, id).
        if kind.ends_with("index by_region_status") {
            let keys: Vec<(i64, String)> =
                got.iter().map(|t| (t.created_at, t.id.clone())).collect();
            let mut ordered = keys.clone();
            ordered.sort();
            if desc {
                ordered.reverse();
            }
            prop_assert_eq!(keys, ordered, "{}", plan);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let plans = plans.into_inner().unwrap();
    println!("{cases} cases by plan: {plans:?}");
    assert!(
        plans.keys().any(|k| k.ends_with("index by_region_status")),
        "{plans:?}"
    );
    assert!(
        plans.keys().any(|k| k.ends_with("index by_region_closed")),
        "{plans:?}"
    );
}

#[dynamite::test(models(Ticket), fixture = seed)]
async fn pages_of_a_multi_attribute_index_walk_both_ways(db: Dynamite) {
    let q = || {
        Ticket::query()
            .filter(Ticket::REGION.eq("us"))
            .filter(Ticket::STATUS.eq("done"))
            .filter(Ticket::PRIORITY.ne(2))
            .order(Desc)
            .limit(3)
    };
    let want: Vec<String> = rows()
        .into_iter()
        .filter(|t| t.region == "us" && t.status == "done" && t.priority != 2)
        .map(|t| (t.created_at, t.id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .rev()
        .map(|(_, id)| id)
        .collect();
    let ids = |p: &dynamite::Page<Ticket>| p.items.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
    let mut pages = vec![q().page(&db, None).await.unwrap()];
    while let Some(next) = pages.last().and_then(|p| p.next.clone()) {
        pages.push(q().page(&db, Some(&next)).await.unwrap());
    }
    let forward: Vec<String> = pages.iter().flat_map(ids).collect();
    assert_eq!(forward, want);
    assert!(pages.len() >= 3, "several pages: {}", pages.len());
    let mut back = vec![ids(pages.last().unwrap())];
    let mut previous = pages.last().unwrap().previous.clone();
    while let Some(cursor) = previous {
        let page = q().page(&db, Some(&cursor)).await.unwrap();
        back.push(ids(&page));
        previous = page.previous;
    }
    back.reverse();
    let expected: Vec<Vec<String>> = pages.iter().map(ids).collect();
    assert_eq!(back, expected);
}

/// Found by the property test: with two indexes whose partition the
/// filter pins (`by_region_closed` by `region`, `by_region_status` by
/// `region` and `status`), `order` followed the first declared one and
/// sorted by `closed` in memory, while the read went to the other.
#[dynamite::test(models(Ticket), fixture = seed)]
async fn regression_order_follows_the_index_pinning_the_most_attributes(db: Dynamite) {
    let q = Ticket::query()
        .filter(Ticket::REGION.eq("us"))
        .filter(Ticket::STATUS.eq("open"))
        .order(Desc);
    assert_eq!(
        explain(&db, &q),
        "Query mk_tickets index by_region_status key (region = \"us\" AND status = \"open\") \
         order desc"
    );
    let got: Vec<(i64, String)> = q
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.created_at, t.id))
        .collect();
    let mut want = got.clone();
    want.sort();
    want.reverse();
    assert_eq!(got, want);
    assert_eq!(got.len(), 10);
}

/// What both backends enforce, as DynamoDB documents it, probed with the
/// raw SDK: a Query of a multi-attribute index names every partition
/// attribute with `=`, and a condition on a later sort attribute needs `=`
/// on the earlier ones. (The planner never sends either; this pins the
/// backends the tests trust.)
#[dynamite::test(models(Ticket), fixture = seed)]
async fn the_backends_enforce_the_multi_attribute_key_rules(db: Dynamite) {
    let table = db.table_name::<Ticket>().unwrap();
    // The error code of a raw Query of `by_region_status` (`None`: it ran).
    let code =
        |condition: &'static str| {
            let values = [(":r", "eu"), (":s", "open"), (":i", "t10")]
                .into_iter()
                .filter(|(k, _)| condition.contains(k))
                .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.into())))
                .collect();
            let names = [("#r", "region"), ("#s", "status"), ("#i", "id")]
                .into_iter()
                .filter(|(k, _)| condition.contains(k))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let request = db
                .client()
                .query()
                .table_name(&table)
                .index_name("by_region_status")
                .key_condition_expression(condition)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values));
            async move {
                request.send().await.err().map(|e| {
                    dynamite::sdk::error::ProvideErrorMetadata::code(&e).map(str::to_owned)
                })
            }
        };
    assert_eq!(code("#r = :r AND #s = :s").await, None);
    for condition in ["#r = :r", "#r = :r AND #s = :s AND #i > :i"] {
        assert_eq!(
            code(condition).await,
            Some(Some("ValidationException".to_owned())),
            "{condition}"
        );
    }
}

/// A shared-table model (key templates) may declare a multi-attribute
/// index over its plain fields too; its reads keep the entity condition.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "mk_shared", pk = "T#{id}")]
#[dynamite(index(name = "by_rs", partition = ["region", "status"], sort = "n"))]
struct SharedTicket {
    id: String,
    region: String,
    status: String,
    n: u32,
}

#[dynamite::test(models(SharedTicket))]
async fn a_shared_table_model_reads_its_multi_attribute_index(db: Dynamite) {
    for n in 0..6u32 {
        SharedTicket::create()
            .id(format!("s{n}"))
            .region(if n % 2 == 0 { "eu" } else { "us" })
            .status("open")
            .n(n)
            .exec(&db)
            .await
            .unwrap();
    }
    let q = SharedTicket::query()
        .filter(SharedTicket::REGION.eq("eu"))
        .filter(SharedTicket::STATUS.eq("open"))
        .filter(SharedTicket::N.ge(1u32))
        .order(Desc);
    assert_eq!(
        q.explain(&db).root().replace(db.table_prefix(), ""),
        "Query mk_shared index by_rs key (region = \"eu\" AND status = \"open\" AND n >= 1) \
         filter entity = \"SharedTicket\" order desc"
    );
    db.metrics().reset();
    let got: Vec<u32> = q.all(&db).await.unwrap().iter().map(|t| t.n).collect();
    assert_eq!(got, [4, 2]);
    assert_eq!(db.metrics().data_plane_requests(), 1);
}
