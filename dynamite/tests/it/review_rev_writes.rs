//! Adversarial review of issue 19, writes: expected versions, unversioned
//! fields, no-op updates, typed transaction reasons, named keys and TTL
//! per model in a shared table. Each test quotes the promise it checks.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::TimeToLiveSpecification;
use dynamite::prelude::*;
use dynamite::{CancellationKind, Dynamite, DynamiteBuilder, Error};

use crate::common;

/// Versioned, soft-deleted, with unversioned counters of several shapes.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rvw_posts")]
pub struct RvwPost {
    #[dynamite(primary_key)]
    pub id: String,
    pub title: String,
    #[dynamite(unversioned)]
    pub views: i64,
    #[dynamite(unversioned)]
    pub likers: HashSet<String>,
    #[dynamite(unversioned)]
    pub score: Option<i64>,
    #[dynamite(version)]
    pub version: u64,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
}

/// A four-part key in a shared table (named-key arity).
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rvw_shared", pk = "T#{tenant}#{org}", sk = "X#{n}#{id}")]
pub struct RvwFour {
    pub tenant: String,
    pub org: String,
    pub n: u32,
    pub id: String,
    pub title: String,
    #[dynamite(version)]
    pub version: u64,
}

/// A shared-table model whose partition template renders a secret.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "rvw_shared", pk = "U#{email}", sk = "U")]
pub struct RvwUser {
    pub email: dynamite::Sensitive<String>,
    pub name: String,
    #[dynamite(version)]
    pub version: u64,
}

/// A model without TTL in a shared table, with a number under `expires_at`.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rvw_ttl", pk = "A#{id}", sk = "A")]
pub struct RvwNoTtl {
    pub id: String,
    pub expires_at: i64,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<RvwPost>()
        .table::<RvwFour>()
        .table::<RvwUser>()
}

async fn db() -> Dynamite {
    let db = register(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db.metrics().reset();
    db
}

async fn exact(plain: &Dynamite) -> Dynamite {
    let endpoint = common::endpoint()
        .or_else(|| plain.embedded_endpoint().map(str::to_owned))
        .unwrap();
    register(dynamite_testkit::backend::remote(endpoint).table_prefix(plain.table_prefix()))
        .exact_writes(true)
        .build()
        .await
        .unwrap()
}

async fn post(db: &Dynamite, id: &str) -> RvwPost {
    RvwPost::create()
        .id(id)
        .title("draft")
        .views(0)
        .likers(HashSet::new())
        .score(None)
        .exec(db)
        .await
        .unwrap()
}

fn kinds(err: &Error) -> Vec<CancellationKind> {
    err.cancellation_reasons().iter().map(|r| r.kind).collect()
}

/// Promised (README, Consistency and safety): "`Error::NotFound` when there
/// is no row (or it is soft-deleted)"; CHANGELOG: "A soft-deleted row is
/// `NotFound` to an update whatever the version given"; README, writes:
/// "in a transaction, the cancellation a missing row gets
/// (`CancellationKind::NotFound`)". Outside a transaction this holds
/// (write/update/send.rs checks `live_only` first). In a transaction, a
/// soft-deleted row with a version other than the one given is typed
/// `VersionConflict` (and `err.kind()` is `Conflict`, a 409 where a 404
/// is due): write/cancel.rs `failed_condition` -> `classify_failure`
/// compares versions before looking at `deleted_at`.
#[dynamite::test(registry = register)]
async fn review_tx_soft_deleted_row_is_not_found_whatever_the_version(db: Dynamite) {
    let stale = post(&db, "p1").await;
    RvwPost::delete_key_expecting(&db, "p1", 1).await.unwrap(); // now v2, deleted
    for version in [1u64, 3] {
        let mut tx = db.transaction();
        tx.delete_key_expecting::<RvwPost>("p1", version);
        let err = tx.commit().await.unwrap_err();
        assert_eq!(
            kinds(&err),
            [CancellationKind::NotFound],
            "delete v{version}: {err}"
        );
        assert_eq!(err.kind(), dynamite::ErrorKind::NotFound, "{err}");
        let mut tx = db.transaction();
        tx.update(
            RvwPost::update_key("p1")
                .set(RvwPost::TITLE, "x")
                .expect_version(version),
        );
        let err = tx.commit().await.unwrap_err();
        assert_eq!(
            kinds(&err),
            [CancellationKind::NotFound],
            "update v{version}: {err}"
        );
    }
    // A stale copy of the row (version 1) updated in a transaction.
    let mut tx = db.transaction();
    tx.update(stale.update().set(RvwPost::TITLE, "x"));
    let err = tx.commit().await.unwrap_err();
    assert_eq!(
        kinds(&err),
        [CancellationKind::NotFound],
        "row.update: {err}"
    );
}

/// The same promise with `exact_writes(true)` (each write one
/// TransactWriteItems): a soft-deleted row is `NotFound` whatever the
/// version given.
#[dynamite::test(registry = register)]
async fn review_exact_mode_soft_deleted_row_is_not_found_whatever_the_version(plain: Dynamite) {
    let db = exact(&plain).await;
    let stale = post(&db, "p1").await;
    RvwPost::delete_key_expecting(&db, "p1", 1).await.unwrap();
    for version in [1u64, 3] {
        let err = RvwPost::delete_key_expecting(&db, "p1", version)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "delete v{version}: {err:?}");
        let err = RvwPost::update_key("p1")
            .set(RvwPost::TITLE, "x")
            .expect_version(version)
            .exec(&db)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "update v{version}: {err:?}");
    }
    let err = stale
        .update()
        .set(RvwPost::TITLE, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "row.update: {err:?}");
    let err = stale.clone().save(&db).await.unwrap_err();
    assert!(err.is_not_found(), "save: {err:?}");
}

/// Promised: "`save()` never writes it, so a stale copy cannot erase it"
/// (README) — for a set of likers and an optional counter too, whose
/// empty / `None` value a save would otherwise REMOVE.
#[tokio::test]
async fn review_stale_save_keeps_unversioned_set_and_option() {
    for exact_mode in [false, true] {
        let plain = db().await;
        let db = if exact_mode {
            exact(&plain).await
        } else {
            plain
        };
        let mut stale = post(&db, "p1").await;
        RvwPost::update_key("p1")
            .add(RvwPost::LIKERS, HashSet::from(["ada".to_owned()]))
            .set(RvwPost::SCORE, Some(7))
            .increment(RvwPost::VIEWS, 3)
            .exec(&db)
            .await
            .unwrap();
        stale.title = "saved".into();
        stale.save(&db).await.unwrap();
        let got = RvwPost::get(&db, "p1").await.unwrap().unwrap();
        assert_eq!(
            (got.title.as_str(), got.views, got.score, got.likers.len()),
            ("saved", 3, Some(7), 1),
            "exact {exact_mode}"
        );
        // A fresh copy saved after another increment keeps it too.
        let mut fresh = got.clone();
        RvwPost::update_key("p1")
            .increment(RvwPost::VIEWS, 1)
            .exec(&db)
            .await
            .unwrap();
        fresh.title = "again".into();
        fresh.save(&db).await.unwrap();
        let got = RvwPost::get(&db, "p1").await.unwrap().unwrap();
        assert_eq!((got.views, got.score, got.likers.len()), (4, Some(7), 1));
    }
}

/// Issue 19 item 8: "A model without TTL that stores a Number attribute
/// under the table's TTL name would be deleted by DynamoDB's own sweep:
/// that is `Error::Config` at build or sync." When the table's TTL was
/// enabled by another program (or another service's model registered on
/// another handle), only `sync()` can see it: DescribeTimeToLive names
/// `expires_at`, and this handle's `RvwNoTtl` stores an `i64` there.
#[dynamite::test(models(RvwNoTtl))]
async fn review_sync_refuses_a_number_under_the_tables_ttl_set_elsewhere(db: Dynamite) {
    let table = db.table_name::<RvwNoTtl>().unwrap();
    db.client()
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let result = db.sync().await;
    assert!(
        matches!(&result, Err(Error::Config(_))),
        "sync of a model without TTL storing a number under the table's TTL attribute: {result:?}"
    );
}

const SECRET: &str = "ada-secret@example.com";

/// Promised (README, Typed transaction failures): each reason has "its
/// key (sensitive values masked)"; `Display` is the log form "with
/// `Sensitive` values masked". A `Sensitive` key field rendered into a
/// shared table's partition template (`U#{email}`) must not show in the
/// reasons, the error's Display or Debug, nor in NotFound / Conflict.
#[dynamite::test(registry = register)]
async fn review_sensitive_template_key_is_masked_in_write_errors(db: Dynamite) {
    let email = || dynamite::Sensitive::new(SECRET.to_owned());
    RvwUser::create()
        .email(email())
        .name("ada")
        .exec(&db)
        .await
        .unwrap();
    let mut tx = db.transaction();
    tx.delete_key_expecting::<RvwUser>(email(), 9);
    let err = tx.commit().await.unwrap_err();
    assert_eq!(kinds(&err), [CancellationKind::VersionConflict], "{err}");
    let log = format!("{err} | {err:?} | {:?}", err.cancellation_reasons());
    assert!(!log.contains("ada-secret"), "{log}");
    let err = RvwUser::delete_key_expecting(&db, email(), 9)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let log = format!("{err} | {err:?}");
    assert!(!log.contains("ada-secret"), "{log}");
    let err = RvwUser::update_key(dynamite::Sensitive::new("bob-secret@x".to_owned()))
        .set(RvwUser::NAME, "b")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let log = format!("{err} | {err:?}");
    assert!(!log.contains("bob-secret"), "{log}");
}

type Pending = std::sync::Arc<
    std::sync::Mutex<Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>>,
>;

/// A backend handle and a handle through the fault proxy whose next write
/// (when armed) is applied, its answer dropped, and `intervene` run
/// before the SDK's retry.
async fn drop_rig() -> (
    Dynamite,
    Dynamite,
    dynamite_testkit::faults::Proxy,
    std::sync::Arc<std::sync::Mutex<bool>>,
    Pending,
) {
    use dynamite_testkit::faults::{AfterDrop, Fault, Proxy, Schedule};
    use std::sync::{Arc, Mutex};
    let backend = db().await;
    let endpoint = common::endpoint()
        .or_else(|| backend.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let armed = Arc::new(Mutex::new(false));
    let schedule: Schedule = {
        let armed = armed.clone();
        Arc::new(move |_, target| {
            let write = matches!(
                target,
                "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems"
            );
            if write && std::mem::take(&mut *armed.lock().unwrap()) {
                Fault::DropAfter
            } else {
                Fault::None
            }
        })
    };
    let intervene: Pending = Arc::default();
    let after_drop: AfterDrop = {
        let intervene = intervene.clone();
        Arc::new(move |_, _| {
            let next = intervene.lock().unwrap().take();
            Box::pin(async move {
                if let Some(f) = next {
                    f.await;
                }
            })
        })
    };
    let proxy = Proxy::start_with_after_drop(&endpoint, schedule, after_drop).await;
    let faulty = register(
        dynamite_testkit::backend::remote(&proxy.url).table_prefix(backend.table_prefix()),
    )
    .max_attempts(3)
    .retry_budget(dynamite::RetryBudget::Unlimited)
    .build()
    .await
    .unwrap();
    (backend, faulty, proxy, armed, intervene)
}

/// Promised (README retry table): "`OutcomeUnknown` means: applied once or
/// not at all, never twice"; for a hard delete, "`Ok`, `NotFound` when no
/// attempt may have deleted it, else `OutcomeUnknown`". A hard
/// `delete_key_expecting(key, 1)` whose answer is lost after it deleted
/// the row; another writer then creates the same key again (a new row
/// starts at version 1); the SDK's retry finds version 1 and deletes the
/// other writer's new row too — applied twice behind one call.
#[tokio::test]
async fn review_retried_delete_key_expecting_does_not_delete_a_recreated_row() {
    let (backend, faulty, proxy, armed, intervene) = drop_rig().await;
    let mk = |db: Dynamite| async move {
        RvwFour::create()
            .tenant("t")
            .org("o")
            .n(1u32)
            .id("r")
            .title("theirs")
            .exec(&db)
            .await
            .unwrap();
    };
    mk(backend.clone()).await;
    *intervene.lock().unwrap() = Some(Box::pin(mk(backend.clone())));
    *armed.lock().unwrap() = true;
    let told = RvwFour::delete_key_expecting(&faulty, ("t", "o", 1u32, "r"), 1).await;
    assert_eq!(
        proxy
            .injected
            .of(dynamite_testkit::faults::Fault::DropAfter),
        1
    );
    let left = RvwFour::get(&backend, ("t", "o", 1u32, "r")).await.unwrap();
    assert!(
        left.is_some(),
        "the row another writer created after this delete applied was deleted too; told {told:?}"
    );
}

/// The class of the finding above: a write whose condition another
/// writer can make true again after this call's first attempt applied (a
/// hard delete: the key created again; a create: the row deleted again)
/// is never resent after an attempt that may have applied. Per case, the
/// applications (1 is the dropped first attempt; 2 would be the retry's
/// too) and what the caller was told: applied once, and `Ok` only for an
/// applied write.
#[tokio::test]
async fn regression_writes_another_writer_reenables_are_never_resent() {
    let key = ("t", "o", 1u32, "r");
    let mk = |db: Dynamite| async move {
        RvwFour::create()
            .tenant("t")
            .org("o")
            .n(1u32)
            .id("r")
            .title("theirs")
            .exec(&db)
            .await
            .unwrap();
    };
    let mut seen = Vec::new();
    for case in [
        "delete_key_expecting",
        "delete_key",
        "row.delete",
        "tx delete_key_expecting",
        "tx delete_key",
        "create, deleted by another",
        "create, alone",
        "delete_key, alone",
    ] {
        let (backend, faulty, proxy, armed, intervene) = drop_rig().await;
        let is_create = case.starts_with("create");
        if !is_create {
            mk(backend.clone()).await;
        }
        let other = backend.clone();
        type Next = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
        *intervene.lock().unwrap() = match case {
            "create, alone" | "delete_key, alone" => None,
            "create, deleted by another" => Some(Box::pin(async move {
                RvwFour::delete_key(&other, key).await.unwrap();
            }) as Next),
            _ => Some(Box::pin(mk(other)) as Next),
        };
        *armed.lock().unwrap() = true;
        let told = match case {
            "delete_key_expecting" => RvwFour::delete_key_expecting(&faulty, key, 1).await,
            "delete_key" | "delete_key, alone" => RvwFour::delete_key(&faulty, key).await,
            "row.delete" => {
                let row = RvwFour::get(&faulty, key).await.unwrap().unwrap();
                *armed.lock().unwrap() = true;
                row.delete(&faulty).await
            }
            "tx delete_key_expecting" | "tx delete_key" => {
                let mut tx = faulty.transaction();
                if case == "tx delete_key" {
                    tx.delete_key::<RvwFour>(key);
                } else {
                    tx.delete_key_expecting::<RvwFour>(key, 1);
                }
                tx.commit().await.map(drop)
            }
            _ => RvwFour::create()
                .tenant("t")
                .org("o")
                .n(1u32)
                .id("r")
                .title("mine")
                .exec(&faulty)
                .await
                .map(drop),
        };
        let dropped = proxy
            .injected
            .of(dynamite_testkit::faults::Fault::DropAfter);
        let left = RvwFour::get(&backend, key).await.unwrap();
        // The first attempt applied (its answer was dropped); a resent one
        // would have undone the other writer's write.
        let applied = match case {
            "create, alone" | "delete_key, alone" => 1,
            "create, deleted by another" => 1 + usize::from(left.is_some()),
            _ => 1 + usize::from(left.is_none()),
        };
        let told = match &told {
            Ok(()) => "Ok",
            Err(e) if e.is_outcome_unknown() => "OutcomeUnknown",
            Err(_) => "other error",
        };
        seen.push((case, dropped, applied, told));
    }
    for (case, dropped, applied, told) in &seen {
        assert_eq!(*dropped, 1, "{case}: {seen:?}");
        assert_eq!(*applied, 1, "{case}: applied twice: {seen:?}");
        assert!(told != &"other error", "{case}: {seen:?}");
    }
    // Alone, the create's own write id, read back, tells: applied, Ok. A
    // hard delete has nothing left to tell.
    let told = |case: &str| seen.iter().find(|s| s.0 == case).map(|s| s.3);
    assert_eq!(told("create, alone"), Some("Ok"), "{seen:?}");
    assert_eq!(
        told("delete_key, alone"),
        Some("OutcomeUnknown"),
        "{seen:?}"
    );
    assert_eq!(
        told("delete_key_expecting"),
        Some("OutcomeUnknown"),
        "{seen:?}"
    );
}

/// Promised (README retry table, `expect_version` and soft-deleting
/// `delete_key_expecting`): "never `Conflict` for the call's own write,
/// write ids on or off". The answer is lost after the write applied, then
/// another writer updates the row before the retry.
#[tokio::test]
async fn review_lost_expected_version_writes_then_other_writer_are_not_conflicts() {
    let mut bad = Vec::new();
    for case in ["update", "soft delete", "tx soft delete"] {
        let (backend, faulty, proxy, armed, intervene) = drop_rig().await;
        let created = post(&backend, "p").await;
        let other = backend.clone();
        *intervene.lock().unwrap() = Some(Box::pin(async move {
            if case == "update" {
                RvwPost::update_key("p")
                    .set(RvwPost::TITLE, "theirs")
                    .exec(&other)
                    .await
                    .unwrap();
            } else {
                created.restore(&other).await.unwrap();
            }
        }));
        *armed.lock().unwrap() = true;
        let told = match case {
            "update" => RvwPost::update_key("p")
                .set(RvwPost::TITLE, "mine")
                .expect_version(1)
                .exec(&faulty)
                .await
                .map(drop),
            "soft delete" => RvwPost::delete_key_expecting(&faulty, "p", 1).await,
            _ => {
                let mut tx = faulty.transaction();
                tx.delete_key_expecting::<RvwPost>("p", 1);
                tx.commit().await.map(drop)
            }
        };
        let dropped = proxy
            .injected
            .of(dynamite_testkit::faults::Fault::DropAfter);
        assert_eq!(dropped, 1, "{case}: the answer was dropped once");
        if dropped == 1
            && let Err(e) = &told
            && (e.is_conflict() || e.is_not_found() || e.is_transaction_canceled())
        {
            bad.push(format!("{case}: {e}"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
