//! Typed transaction failures: `Error::TransactionCanceled` carries one
//! typed reason per operation the caller added, in order, with its model
//! and key; the operations Dynamite adds itself are listed apart, naming
//! the operation they serve. Checked against an in-memory reference on
//! random transactions, on both backends; the codes a backend will not
//! produce on demand (throttling, transaction conflicts, a full item
//! collection) come from the fault proxy.

use std::collections::BTreeMap;
use std::sync::Arc;

use dynamite::prelude::*;
use dynamite::{CancellationKind, Dynamite, DynamiteBuilder, Error, ErrorKind, Sensitive};
use dynamite_testkit::faults::{Fault, Proxy, Schedule};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::common;
use crate::many_to_many::{MCourse, MEnrollment, MLesson, MStudent, course_id};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "cx_seats")]
pub struct CxSeat {
    #[dynamite(primary_key)]
    pub id: String,
    pub holder: String,
    #[dynamite(version)]
    pub version: u64,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "cx_notes")]
pub struct CxNote {
    #[dynamite(primary_key)]
    pub id: String,
    pub text: String,
    pub extra: Option<String>,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "cx_tokens")]
pub struct CxToken {
    #[dynamite(primary_key)]
    pub token: Sensitive<String>,
    pub owner: String,
}

const SECRET: &str = "tok-secret-4242";

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    crate::many_to_many::register(
        builder
            .table::<CxSeat>()
            .table::<CxNote>()
            .table::<CxToken>(),
    )
}

async fn db() -> Dynamite {
    let db = register(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db
}

/// A backend handle and a handle through a fault proxy in front of it.
async fn through_proxy(schedule: Schedule) -> (Dynamite, Dynamite, Proxy) {
    let backend = db().await;
    let endpoint = common::endpoint()
        .or_else(|| backend.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let proxy = Proxy::start(&endpoint, schedule).await;
    let faulty = register(
        dynamite_testkit::backend::remote(&proxy.url).table_prefix(backend.table_prefix()),
    )
    .build()
    .await
    .unwrap();
    (backend, faulty, proxy)
}

/// The first TransactWriteItems through the proxy is cancelled with `code`.
fn cancel_first(code: &'static str) -> Schedule {
    let sent = Arc::new(std::sync::atomic::AtomicBool::new(false));
    Arc::new(move |_, target| {
        if target == "TransactWriteItems" && !sent.swap(true, std::sync::atomic::Ordering::SeqCst) {
            Fault::Cancel(code)
        } else {
            Fault::None
        }
    })
}

/// Every TransactWriteItems through the proxy is cancelled with `code`.
fn cancel_all(code: &'static str) -> Schedule {
    Arc::new(move |_, _| Fault::Cancel(code))
}

async fn seat(db: &Dynamite, id: &str, holder: &str) -> CxSeat {
    CxSeat::create()
        .id(id)
        .holder(holder)
        .exec(db)
        .await
        .unwrap()
}

fn kinds(err: &Error) -> Vec<CancellationKind> {
    err.cancellation_reasons().iter().map(|r| r.kind).collect()
}

#[dynamite::test(registry = register)]
async fn every_condition_kind_is_typed_in_the_order_added(db: Dynamite) {
    seat(&db, "s1", "ada").await;
    seat(&db, "s2", "bob").await;
    let s3 = seat(&db, "s3", "cy").await;
    let stale = s3.clone();
    s3.update()
        .set(CxSeat::HOLDER, "eve")
        .exec(&db)
        .await
        .unwrap();
    let gone = CxNote::create().id("n1").text("t").exec(&db).await.unwrap();
    gone.clone().delete(&db).await.unwrap();
    db.metrics().reset();

    let mut tx = db.transaction();
    tx.create(CxSeat::create().id("s1").holder("x"));
    tx.update(CxSeat::update_key("missing").set(CxSeat::HOLDER, "x"));
    tx.update(stale.update().set(CxSeat::HOLDER, "stale"));
    tx.condition_check::<CxSeat>("s2", CxSeat::HOLDER.eq("nobody"));
    tx.update(CxNote::update_key("n1").set(CxNote::TEXT, "back"));
    tx.delete_key::<CxToken>(Sensitive::new(SECRET.to_owned()));
    tx.create(CxNote::create().id("n3").text("fine"));
    let err = tx.commit().await.unwrap_err();
    assert_eq!(db.metrics().count("TransactWriteItems"), 1, "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 1, "no read to classify");
    use CancellationKind as C;
    assert_eq!(
        kinds(&err),
        [
            C::AlreadyExists,
            C::NotFound,
            C::VersionConflict,
            C::ConditionFailed,
            C::NotFound,
            C::NotFound,
            C::None
        ],
        "{err}"
    );
    let reasons = err.cancellation_reasons();
    assert!(reasons.iter().enumerate().all(|(i, r)| r.index == i));
    assert_eq!(
        reasons.iter().map(|r| r.model).collect::<Vec<_>>(),
        [
            "CxSeat", "CxSeat", "CxSeat", "CxSeat", "CxNote", "CxToken", "CxNote"
        ]
    );
    assert!(reasons[2].key.contains("\"s3\""), "{}", reasons[2].key);
    assert!(reasons[5].key.contains("***"), "{}", reasons[5].key);
    assert!(reasons[2].is_version_conflict() && reasons[6].is_none());
    assert!(matches!(&err, Error::TransactionCanceled { added, .. } if added.is_empty()));
    // The log form names each failed operation, never a sensitive value.
    let log = format!("{err} | {err:?}");
    assert!(log.contains("#2 CxSeat"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
    assert!(
        !err.to_string().contains("#6"),
        "an operation that was fine is not listed"
    );
    // For a client: the first failure's kind, with no names.
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(!err.public_message().contains("cx_"));
    // All or nothing.
    assert!(CxNote::get(&db, "n3").await.unwrap().is_none());
}

#[dynamite::test(registry = register)]
async fn a_validation_error_of_dynamodb_is_typed(db: Dynamite) {
    CxNote::create()
        .id("big")
        .text("x".repeat(250_000))
        .exec(&db)
        .await
        .unwrap();
    let mut tx = db.transaction();
    tx.create(CxNote::create().id("ok").text("fine"));
    // The update makes the item larger than DynamoDB's 400 KB.
    tx.update(CxNote::update_key("big").set(CxNote::EXTRA, Some("y".repeat(250_000))));
    let err = tx.commit().await.unwrap_err();
    assert_eq!(
        kinds(&err),
        [CancellationKind::None, CancellationKind::Validation],
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Client);
    assert!(CxNote::get(&db, "ok").await.unwrap().is_none());
}

#[tokio::test]
async fn codes_a_backend_gives_under_load_are_typed() {
    use CancellationKind as C;
    for (code, kind, error_kind) in [
        ("ThrottlingError", C::Throttled, ErrorKind::Unavailable),
        (
            "ProvisionedThroughputExceeded",
            C::Throttled,
            ErrorKind::Unavailable,
        ),
        (
            "TransactionConflict",
            C::TransactionConflict,
            ErrorKind::Conflict,
        ),
        (
            "ItemCollectionSizeLimitExceeded",
            C::ItemCollectionTooLarge,
            ErrorKind::Internal,
        ),
        ("SomethingNew", C::Other, ErrorKind::Internal),
    ] {
        let (backend, faulty, _proxy) = through_proxy(cancel_all(code)).await;
        seat(&backend, "s1", "ada").await;
        let mut tx = faulty.transaction();
        tx.update(CxSeat::update_key("s1").set(CxSeat::HOLDER, "x"));
        tx.create(CxSeat::create().id("s2").holder("y"));
        let err = tx.commit().await.unwrap_err();
        assert_eq!(kinds(&err), [kind, C::None], "{code}: {err}");
        let first = &err.cancellation_reasons()[0];
        assert_eq!(first.code(), code);
        assert_eq!(first.is_throttled(), kind == C::Throttled);
        assert_eq!(
            first.is_transaction_conflict(),
            kind == C::TransactionConflict
        );
        assert_eq!(
            first.is_item_collection_too_large(),
            kind == C::ItemCollectionTooLarge
        );
        assert_eq!(err.kind(), error_kind, "{code}");
        assert_eq!(
            faulty.metrics().count("TransactWriteItems"),
            1,
            "not retried"
        );
    }
}

/// `create_many` and exact mode read a cancellation through the same
/// mapping: a throttled or conflicting chunk is retried, a refused one is
/// reported with its typed cause.
#[tokio::test]
async fn bulk_creates_and_exact_writes_use_the_typed_mapping() {
    // Retried once, then created.
    let (backend, faulty, proxy) = through_proxy(cancel_first("TransactionConflict")).await;
    let rows = (0..3).map(|i| CxSeat::create().id(format!("s{i}")).holder("h"));
    CxSeat::create_many(&faulty, rows).await.unwrap();
    assert_eq!(proxy.injected.of(Fault::Cancel("TransactionConflict")), 1);
    assert_eq!(CxSeat::query().count(&backend).await.unwrap(), 3);

    // Refused as invalid: reported, with the typed cancellation as cause.
    let (backend, faulty, _proxy) = through_proxy(cancel_all("ValidationError")).await;
    seat(&backend, "s0", "taken").await;
    let rows = (0..3).map(|i| CxSeat::create().id(format!("s{i}")).holder("h"));
    let err = CxSeat::create_many(&faulty, rows).await.unwrap_err();
    match &err {
        Error::Batch { failed, causes, .. } => {
            assert_eq!(failed.len(), 3, "{err}");
            assert_eq!(causes.len(), 1, "{err}");
            assert!(causes[0].cancellation_reasons()[0].is_validation(), "{err}");
        }
        other => panic!("expected Batch, got {other}"),
    }
    assert_eq!(err.kind(), ErrorKind::Client);

    // Exact mode: one-item transactions.
    for (code, check) in [
        ("ThrottlingError", Error::is_throttled as fn(&Error) -> bool),
        ("TransactionConflict", Error::is_conflict),
        ("ValidationError", Error::is_transaction_canceled),
    ] {
        let backend = db().await;
        let endpoint = common::endpoint()
            .or_else(|| backend.embedded_endpoint().map(str::to_owned))
            .unwrap();
        let proxy = Proxy::start(&endpoint, cancel_all(code)).await;
        let exact = register(
            dynamite_testkit::backend::remote(&proxy.url)
                .table_prefix(backend.table_prefix())
                .exact_writes(true),
        )
        .build()
        .await
        .unwrap();
        let err = CxSeat::create()
            .id("e")
            .holder("h")
            .exec(&exact)
            .await
            .unwrap_err();
        assert!(check(&err), "{code}: {err}");
        assert!(CxSeat::get(&backend, "e").await.unwrap().is_none());
    }
}

/// The operations Dynamite adds (the parent's check of `attach`, the far
/// rows' checks and the guard of a many-to-many set write) are listed
/// apart, each naming the caller's operation it serves.
#[tokio::test]
async fn operations_dynamite_adds_are_listed_apart_and_mapped() {
    let (backend, faulty, _proxy) = through_proxy(cancel_all("ThrottlingError")).await;
    let rows: Vec<MCourse> = (0..2)
        .map(|i| {
            MCourse::create()
                .id(course_id(i))
                .name("c")
                .level(1)
                .build()
        })
        .collect();
    MCourse::put_many(&backend, rows).await.unwrap();
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&backend)
        .await
        .unwrap();
    let course = MCourse::get(&backend, course_id(0)).await.unwrap().unwrap();

    let err = MCourse::lessons()
        .attach(
            &faulty,
            &course,
            MLesson::create().id("l1").course_id("x").minutes(5),
        )
        .await
        .unwrap_err();
    let Error::TransactionCanceled { reasons, added } = &err else {
        panic!("expected TransactionCanceled, got {err}");
    };
    assert_eq!(reasons.len(), 1, "{err}");
    assert!(reasons[0].is_throttled() && reasons[0].model == "MLesson");
    assert_eq!(added.len(), 1, "{err}");
    assert_eq!(
        (added[0].model, added[0].purpose, added[0].serves),
        ("MCourse", Some("the parent exists"), Some(0))
    );
    assert!(added[0].is_none() && added[0].is_added());
    assert_eq!(err.kind(), ErrorKind::Unavailable);

    let err = MStudent::courses()
        .replace(&faulty, "s1", [course_id(0), course_id(1)])
        .await
        .unwrap_err();
    let Error::TransactionCanceled { reasons, added } = &err else {
        panic!("expected TransactionCanceled, got {err}");
    };
    assert_eq!(
        reasons
            .iter()
            .map(|r| (r.model, r.kind))
            .collect::<Vec<_>>(),
        [
            ("MEnrollment", CancellationKind::Throttled),
            ("MEnrollment", CancellationKind::None)
        ],
        "{err}"
    );
    assert_eq!(
        added
            .iter()
            .map(|r| (r.model, r.purpose, r.serves))
            .collect::<Vec<_>>(),
        [
            ("MCourse", Some("the linked row exists"), Some(0)),
            ("MCourse", Some("the linked row exists"), Some(1)),
            ("MStudent", Some("the link guard"), None),
        ],
        "{err}"
    );
    assert!(
        MEnrollment::query()
            .filter(MEnrollment::STUDENT_ID.eq("s1"))
            .consistent()
            .all(&backend)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A set write cancelled because another transaction was writing the same
/// items re-reads and tries again (read from the typed kind).
#[tokio::test]
async fn a_set_write_retries_a_transaction_conflict() {
    let (backend, faulty, _proxy) = through_proxy(cancel_first("TransactionConflict")).await;
    MCourse::create()
        .id(course_id(0))
        .name("c")
        .level(1)
        .exec(&backend)
        .await
        .unwrap();
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&backend)
        .await
        .unwrap();
    let change = MStudent::courses()
        .add(&faulty, "s1", [course_id(0)])
        .await
        .unwrap();
    assert_eq!(change.attempts, 2);
    assert_eq!(change.added, [course_id(0)]);
}

/// Concurrent transactions on the same rows: each either commits or is
/// cancelled with a typed reason (a transaction conflict where the backend
/// reports one, else a version conflict of the stale copy), and the rows
/// show exactly the commits.
#[dynamite::test(registry = register)]
async fn concurrent_transactions_are_all_or_nothing_with_typed_reasons(db: Dynamite) {
    let a = seat(&db, "a", "0").await;
    let b = seat(&db, "b", "0").await;
    let writers = 8;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (db, a, b) = (db.clone(), a.clone(), b.clone());
        tasks.push(tokio::spawn(async move {
            let mut tx = db.transaction();
            tx.update(a.update().set(CxSeat::HOLDER, w.to_string()));
            tx.update(b.update().set(CxSeat::HOLDER, w.to_string()));
            tx.commit().await.map(|_| w)
        }));
    }
    let mut committed = Vec::new();
    let mut seen = BTreeMap::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(w) => committed.push(w),
            Err(err) => {
                for r in err.cancellation_reasons() {
                    *seen.entry(format!("{:?}", r.kind)).or_insert(0) += 1;
                    assert!(
                        r.is_none() || r.is_version_conflict() || r.is_transaction_conflict(),
                        "{err}"
                    );
                }
                assert!(err.is_transaction_canceled(), "{err}");
                assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
            }
        }
    }
    eprintln!(
        "concurrent transactions: {} committed, reasons {seen:?}",
        committed.len()
    );
    // Both rows carry the version condition: exactly one writer wins.
    assert_eq!(committed.len(), 1, "{seen:?}");
    let (a, b) = (
        CxSeat::get(&db, "a").await.unwrap().unwrap(),
        CxSeat::get(&db, "b").await.unwrap().unwrap(),
    );
    assert_eq!(a.holder, committed[0].to_string());
    assert_eq!(b.holder, a.holder, "all or nothing");

    // Without versions: increments of the same two rows.
    for i in 0..2 {
        MCourse::create()
            .id(course_id(i))
            .name("c")
            .level(0)
            .exec(&db)
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.transaction();
            tx.update(MCourse::update_key(course_id(0)).increment(MCourse::LEVEL, 1));
            tx.update(MCourse::update_key(course_id(1)).increment(MCourse::LEVEL, 1));
            tx.commit().await
        }));
    }
    let mut commits = 0;
    let mut seen = BTreeMap::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => commits += 1,
            Err(err) => {
                for r in err.cancellation_reasons() {
                    *seen.entry(format!("{:?}", r.kind)).or_insert(0) += 1;
                    assert!(r.is_none() || r.is_transaction_conflict(), "{err}");
                }
                assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
            }
        }
    }
    eprintln!("concurrent increments: {commits} committed, reasons {seen:?}");
    for i in 0..2 {
        let stored = MCourse::get(&db, course_id(i)).await.unwrap().unwrap();
        assert_eq!(stored.level, commits, "row {i}: exactly the commits");
    }
}

// ---------------------------------------------------------------- property

/// One operation of a random transaction on seat `id`.
#[derive(Debug, Clone)]
enum Op {
    Create,
    UpdateKey,
    /// `row.update()`, from a stale copy when `true`.
    UpdateRow(bool),
    /// `tx.delete(&row)`, from a stale copy when `true`.
    DeleteRow(bool),
    DeleteKey,
    /// A check that the holder is this one.
    Check(&'static str),
}

#[derive(Debug, Clone)]
struct Case {
    /// Holder of each seat before, `None`: absent.
    seats: Vec<Option<&'static str>>,
    /// (seat, operation), seats distinct.
    ops: Vec<(usize, Op)>,
}

const SEATS: usize = 5;
const HOLDERS: [&str; 2] = ["ada", "bob"];

fn case() -> impl Strategy<Value = Case> {
    let op = prop_oneof![
        Just(Op::Create),
        Just(Op::UpdateKey),
        any::<bool>().prop_map(Op::UpdateRow),
        any::<bool>().prop_map(Op::DeleteRow),
        Just(Op::DeleteKey),
        proptest::sample::select(HOLDERS.to_vec()).prop_map(Op::Check),
    ];
    (
        proptest::collection::vec(
            proptest::option::of(proptest::sample::select(HOLDERS.to_vec())),
            SEATS,
        ),
        proptest::collection::vec(op, 1..=SEATS),
        Just((0..SEATS).collect::<Vec<usize>>()).prop_shuffle(),
    )
        .prop_map(|(seats, ops, order)| Case {
            seats,
            ops: order.into_iter().zip(ops).collect(),
        })
}

/// What the reference says each operation meets.
fn expected(case: &Case) -> Vec<CancellationKind> {
    use CancellationKind as C;
    case.ops
        .iter()
        .map(|(seat, op)| match (case.seats[*seat], op) {
            (Some(_), Op::Create) => C::AlreadyExists,
            (None, Op::Create) => C::None,
            (None, _) => C::NotFound,
            (Some(_), Op::UpdateRow(true) | Op::DeleteRow(true)) => C::VersionConflict,
            (Some(holder), Op::Check(wanted)) if holder != *wanted => C::ConditionFailed,
            (Some(_), _) => C::None,
        })
        .collect()
}

fn cases() -> u32 {
    std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24)
}

async fn run_case(db: &Dynamite, n: usize, case: &Case) -> Result<(), String> {
    let id = |seat: usize| format!("c{n}-{seat}");
    let mut rows = BTreeMap::new();
    for (seat, holder) in case.seats.iter().enumerate() {
        if let Some(holder) = holder {
            rows.insert(seat, self::seat(db, &id(seat), holder).await);
        }
    }
    let copy = |seat: usize, stale: bool| {
        let mut row = rows.get(&seat).cloned().unwrap_or(CxSeat {
            id: id(seat),
            holder: "ada".into(),
            version: 1,
        });
        row.id = id(seat);
        if stale {
            row.version += 7;
        }
        row
    };
    let mut tx = db.transaction();
    for (seat, op) in &case.ops {
        match op {
            Op::Create => tx.create(CxSeat::create().id(id(*seat)).holder("new")),
            Op::UpdateKey => tx.update(CxSeat::update_key(id(*seat)).set(CxSeat::HOLDER, "upd")),
            Op::UpdateRow(stale) => {
                tx.update(copy(*seat, *stale).update().set(CxSeat::HOLDER, "row"))
            }
            Op::DeleteRow(stale) => tx.delete(&copy(*seat, *stale)),
            Op::DeleteKey => tx.delete_key::<CxSeat>(id(*seat)),
            Op::Check(holder) => {
                tx.condition_check::<CxSeat>(id(*seat), CxSeat::HOLDER.eq(*holder))
            }
        };
    }
    let want = expected(case);
    let result = tx.commit().await;
    let ok = want.iter().all(|k| !k.is_failure());
    match (&result, ok) {
        (Ok(_), true) => Ok(()),
        (Err(err), false) => {
            let got = kinds(err);
            if got != want {
                return Err(format!("reasons {got:?}, reference {want:?}: {err}"));
            }
            // Nothing changed.
            for (seat, row) in &rows {
                let stored = CxSeat::get(db, id(*seat))
                    .await
                    .map_err(|e| e.to_string())?;
                if stored.as_ref() != Some(row) {
                    return Err(format!(
                        "seat {seat} changed by a cancelled transaction: {stored:?}"
                    ));
                }
            }
            Ok(())
        }
        (Ok(_), false) => Err(format!("committed, reference {want:?}")),
        (Err(err), true) => Err(format!("cancelled ({err}), reference: all fine")),
    }
}

#[test]
fn cancellation_reasons_match_a_reference() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(db());
    let cases = cases();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 200,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let result = runner.run(&case(), |case| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        rt.block_on(run_case(&db, n, &case))
            .map_err(proptest::test_runner::TestCaseError::fail)
    });
    eprintln!(
        "cancellation_reasons_match_a_reference: {cases} cases ({} run with shrinking), {:.1}s",
        counter.into_inner(),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

// Keep the strategy's shrinking honest: a generated case names each seat once.
#[test]
fn generated_cases_name_each_seat_once() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..50 {
        let case = case().new_tree(&mut runner).unwrap().current();
        let mut seats: Vec<usize> = case.ops.iter().map(|(s, _)| *s).collect();
        seats.sort_unstable();
        seats.dedup();
        assert_eq!(seats.len(), case.ops.len(), "{case:?}");
    }
}
