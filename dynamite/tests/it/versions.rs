//! Expected versions from the client (`update_key(k).expect_version(v)`,
//! `delete_key_expecting`, the transaction forms), `#[dynamite(unversioned)]`
//! counters, and updates with no change. Every expected-version write is
//! ONE request, told `Conflict` from `NotFound` without a read; a random
//! sequence of writes from stale and fresh copies is checked against an
//! in-memory reference (`DYNAMITE_CASES` sequences, default 32;
//! `DIFF_SEED` the seed).

use std::collections::BTreeMap;

use dynamite::prelude::*;
use dynamite::{Dynamite, Error};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::common;

/// A versioned, soft-deleted post with an unversioned counter.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ver_posts")]
pub struct Post {
    #[dynamite(primary_key)]
    pub id: String,
    pub title: String,
    #[dynamite(unversioned)]
    pub views: i64,
    #[dynamite(version)]
    pub version: u64,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(updated_at)]
    pub updated_at: String,
}

/// A versioned card, hard-deleted.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ver_cards")]
pub struct Card {
    #[dynamite(primary_key)]
    pub id: String,
    pub title: String,
    #[dynamite(version)]
    pub version: u64,
}

/// A versioned model in a shared table, with an unversioned counter.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ver_shared", pk = "P#{project}", sk = "T#{id}")]
pub struct Task {
    pub project: String,
    pub id: String,
    pub title: String,
    #[dynamite(unversioned)]
    pub hits: u32,
    #[dynamite(version)]
    pub version: u32,
}

/// Registers this module's models.
pub fn register(builder: dynamite::DynamiteBuilder) -> dynamite::DynamiteBuilder {
    builder.table::<Post>().table::<Card>().table::<Task>()
}

async fn db() -> Dynamite {
    let db = register(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db.metrics().reset();
    db
}

async fn post(db: &Dynamite, id: &str) -> Post {
    Post::create()
        .id(id)
        .title("draft")
        .views(0)
        .exec(db)
        .await
        .unwrap()
}

/// The data-plane requests since the last call, then resets the count.
fn requests(db: &Dynamite) -> u64 {
    let n = db.metrics().data_plane_requests();
    db.metrics().reset();
    n
}

/// The stored post, soft-deleted or not (a consistent raw read).
async fn stored_post(db: &Dynamite, id: &str) -> Option<Post> {
    let out = db
        .client()
        .get_item()
        .table_name(format!("{}ver_posts", db.table_prefix()))
        .key("id", dynamite::AttributeValue::S(id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item.map(|item| Post::from_item(item).unwrap())
}

#[dynamite::test(registry = register)]
async fn update_key_expect_version_is_one_request_and_tells_conflict_from_not_found(db: Dynamite) {
    Card::create().id("c1").title("a").exec(&db).await.unwrap();
    post(&db, "p1").await;
    Task::create()
        .project("x")
        .id("t1")
        .title("a")
        .hits(0)
        .exec(&db)
        .await
        .unwrap();
    requests(&db);

    let c = Card::update_key("c1")
        .set(Card::TITLE, "b")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((c.title.as_str(), c.version, requests(&db)), ("b", 2, 1));
    let err = Card::update_key("c1")
        .set(Card::TITLE, "stale")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(err.to_string().contains("stored version is 2"), "{err}");
    assert_eq!(requests(&db), 1);
    let err = Card::update_key("nope")
        .set(Card::TITLE, "x")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(requests(&db), 1);
    let c = Card::get(&db, "c1").await.unwrap().unwrap();
    assert_eq!((c.title.as_str(), c.version), ("b", 2));
    requests(&db);

    // A soft-deleting model, and a model in a shared table.
    let p = Post::update_key("p1")
        .set(Post::TITLE, "b")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((p.version, requests(&db)), (2, 1));
    let t = Task::update_key(("x", "t1"))
        .set(Task::TITLE, "b")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((t.version, requests(&db)), (2, 1));
    let err = Task::update_key(("x", "t1"))
        .set(Task::TITLE, "c")
        .expect_version(7)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let err = Task::update_key(("y", "t1"))
        .set(Task::TITLE, "c")
        .expect_version(2)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(requests(&db), 2);

    // On `row.update()`, the caller's version replaces the row's.
    let stale_copy = Card { version: 1, ..c };
    let c = stale_copy
        .update()
        .set(Card::TITLE, "c")
        .expect_version(2)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((c.version, requests(&db)), (3, 1));
}

#[dynamite::test(registry = register)]
async fn delete_key_expecting_is_one_request_and_tells_conflict_from_not_found(db: Dynamite) {
    Card::create().id("c1").title("a").exec(&db).await.unwrap();
    requests(&db);
    let err = Card::delete_key_expecting(&db, "c1", 2).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(requests(&db), 1);
    assert!(Card::get(&db, "c1").await.unwrap().is_some());
    requests(&db);
    Card::delete_key_expecting(&db, "c1", 1).await.unwrap();
    assert_eq!(requests(&db), 1);
    assert!(Card::get(&db, "c1").await.unwrap().is_none());
    requests(&db);
    let err = Card::delete_key_expecting(&db, "c1", 1).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(requests(&db), 1);
}

#[dynamite::test(registry = register)]
async fn soft_delete_key_expecting_is_one_request_and_a_deleted_row_is_not_found(db: Dynamite) {
    post(&db, "p1").await;
    requests(&db);
    let err = Post::delete_key_expecting(&db, "p1", 5).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(requests(&db), 1);
    Post::delete_key_expecting(&db, "p1", 1).await.unwrap();
    assert_eq!(requests(&db), 1);
    let deleted = stored_post(&db, "p1").await.unwrap();
    assert!(deleted.deleted_at.is_some());
    assert_eq!(
        deleted.version, 2,
        "a soft delete is a write: it bumps the version"
    );
    requests(&db);
    // Deleted: not found, whichever version the caller holds.
    for version in [1, 2, 3] {
        let err = Post::delete_key_expecting(&db, "p1", version)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "version {version}: {err:?}");
        let err = Post::update_key("p1")
            .set(Post::TITLE, "x")
            .expect_version(version)
            .exec(&db)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "version {version}: {err:?}");
    }
    assert_eq!(requests(&db), 6);
    let err = Post::delete_key_expecting(&db, "nope", 1)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(requests(&db), 1);
}

#[dynamite::test(registry = register)]
async fn exact_mode_expected_versions_are_one_transaction_each(plain: Dynamite) {
    let endpoint = common::endpoint()
        .or_else(|| plain.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let db =
        register(dynamite_testkit::backend::remote(endpoint).table_prefix(plain.table_prefix()))
            .exact_writes(true)
            .build()
            .await
            .unwrap();
    Card::create().id("c1").title("a").exec(&db).await.unwrap();
    post(&db, "p1").await;
    requests(&db);
    let c = Card::update_key("c1")
        .set(Card::TITLE, "b")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap();
    // Applied, then read back for the row (exact mode's answer has none).
    assert_eq!(c.version, 2);
    assert_eq!(db.metrics().count("TransactWriteItems"), 1);
    requests(&db);
    let err = Card::update_key("c1")
        .set(Card::TITLE, "x")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(requests(&db), 1);
    let err = Card::delete_key_expecting(&db, "c1", 1).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(requests(&db), 1);
    Card::delete_key_expecting(&db, "c1", 2).await.unwrap();
    assert_eq!(requests(&db), 1);
    let err = Card::delete_key_expecting(&db, "c1", 2).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(requests(&db), 1);
    Post::delete_key_expecting(&db, "p1", 1).await.unwrap();
    assert_eq!(requests(&db), 1);
    let err = Post::delete_key_expecting(&db, "p1", 2).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(requests(&db), 1);
}

#[dynamite::test(registry = register)]
async fn transactions_take_expected_versions_in_one_request(db: Dynamite) {
    Card::create().id("c1").title("a").exec(&db).await.unwrap();
    Card::create().id("c2").title("a").exec(&db).await.unwrap();
    post(&db, "p1").await;
    requests(&db);
    // A stale version anywhere cancels the whole transaction.
    let mut tx = db.transaction();
    tx.update(
        Card::update_key("c1")
            .set(Card::TITLE, "b")
            .expect_version(1),
    )
    .delete_key_expecting::<Card>("c2", 9)
    .delete_key_expecting::<Post>("p1", 1);
    let err = tx.commit().await.unwrap_err();
    assert!(err.is_transaction_canceled(), "{err:?}");
    assert_eq!(requests(&db), 1);
    assert_eq!(Card::get(&db, "c1").await.unwrap().unwrap().version, 1);
    assert!(stored_post(&db, "p1").await.unwrap().deleted_at.is_none());
    requests(&db);
    let mut tx = db.transaction();
    tx.update(
        Card::update_key("c1")
            .set(Card::TITLE, "b")
            .expect_version(1),
    )
    .delete_key_expecting::<Card>("c2", 1)
    .delete_key_expecting::<Post>("p1", 1);
    tx.commit().await.unwrap();
    assert_eq!(requests(&db), 1);
    let c1 = Card::get(&db, "c1").await.unwrap().unwrap();
    assert_eq!((c1.title.as_str(), c1.version), ("b", 2));
    assert!(Card::get(&db, "c2").await.unwrap().is_none());
    assert!(stored_post(&db, "p1").await.unwrap().deleted_at.is_some());
}

// ------------------------------------------------ unversioned fields

#[dynamite::test(registry = register)]
async fn regression_a_stale_save_does_not_erase_an_unversioned_counter(db: Dynamite) {
    let mut copy = post(&db, "p1").await;
    for _ in 0..3 {
        let p = Post::update_key("p1")
            .increment(Post::VIEWS, 1)
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(p.version, 1, "a counter does not bump the version");
    }
    // The copy is stale on `views` only: its save is no conflict, and
    // does not write `views` back.
    assert_eq!(copy.views, 0);
    copy.title = "final".into();
    requests(&db);
    copy.save(&db).await.unwrap();
    assert_eq!(requests(&db), 1);
    let p = Post::get(&db, "p1").await.unwrap().unwrap();
    assert_eq!(
        (p.title.as_str(), p.views, p.version),
        ("final", 3, 2),
        "the counter survived the stale save"
    );
    // Shared table too.
    let mut task = Task::create()
        .project("x")
        .id("t1")
        .title("a")
        .hits(5)
        .exec(&db)
        .await
        .unwrap();
    Task::update_key(("x", "t1"))
        .increment(Task::HITS, 2u32)
        .exec(&db)
        .await
        .unwrap();
    task.title = "b".into();
    task.save(&db).await.unwrap();
    let t = Task::get(&db, ("x", "t1")).await.unwrap().unwrap();
    assert_eq!((t.title.as_str(), t.hits, t.version), ("b", 7, 2));
}

#[dynamite::test(registry = register)]
async fn increments_through_two_handles_do_not_conflict_with_a_stale_save(first: Dynamite) {
    let endpoint = common::endpoint()
        .or_else(|| first.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let second =
        register(dynamite_testkit::backend::remote(endpoint).table_prefix(first.table_prefix()))
            .build()
            .await
            .unwrap();
    let mut stale = post(&first, "p1").await;
    const EACH: i64 = 10;
    let increments = |db: Dynamite| async move {
        for _ in 0..EACH {
            let got = Post::update_key("p1")
                .increment(Post::VIEWS, 1)
                .exec(&db)
                .await;
            got.map(drop)?;
        }
        Ok::<_, Error>(())
    };
    stale.title = "saved".into();
    let save = async {
        // Let some increments land first.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        stale.save(&first).await
    };
    let (a, b, saved) = tokio::join!(
        tokio::spawn(increments(first.clone())),
        tokio::spawn(increments(second.clone())),
        save
    );
    a.unwrap().unwrap();
    b.unwrap().unwrap();
    saved.unwrap();
    let p = Post::get(&second, "p1").await.unwrap().unwrap();
    assert_eq!(
        (p.title.as_str(), p.views, p.version),
        ("saved", 2 * EACH, 2)
    );
}

#[dynamite::test(registry = register)]
async fn unversioned_changes_neither_check_nor_bump_the_version(db: Dynamite) {
    let stale = post(&db, "p1").await;
    Post::update_key("p1")
        .set(Post::TITLE, "moved on")
        .exec(&db)
        .await
        .unwrap();
    requests(&db);
    // From a stale row: only the counter changes, so no version check.
    let p = stale
        .update()
        .increment(Post::VIEWS, 4)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((p.views, p.version, p.title.as_str()), (4, 2, "moved on"));
    assert_eq!(requests(&db), 1);
    let p = stale.update().set(Post::VIEWS, 10).exec(&db).await.unwrap();
    assert_eq!((p.views, p.version), (10, 2));
    // A versioned field in the same update: checked and bumped.
    let err = stale
        .update()
        .increment(Post::VIEWS, 1)
        .set(Post::TITLE, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    // A version the caller gives is checked even then, and not bumped.
    let err = Post::update_key("p1")
        .increment(Post::VIEWS, 1)
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let p = Post::update_key("p1")
        .increment(Post::VIEWS, 1)
        .expect_version(2)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((p.views, p.version), (11, 2));
    // `create` writes the field.
    let q = Post::create()
        .id("p2")
        .title("t")
        .views(42)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(Post::get(&db, "p2").await.unwrap().unwrap().views, q.views);
    // A soft-deleted row is not found to a counter either.
    Post::delete_key(&db, "p2").await.unwrap();
    let err = Post::update_key("p2")
        .increment(Post::VIEWS, 1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

// ------------------------------------------------ updates of nothing

#[dynamite::test(registry = register)]
async fn row_update_with_no_change_returns_the_row_and_sends_nothing(db: Dynamite) {
    let p = post(&db, "p1").await;
    requests(&db);
    let explain = p.update().explain(&db).to_string();
    assert!(explain.starts_with("nothing sent: no change"), "{explain}");
    let same = p.update().exec(&db).await.unwrap();
    assert_eq!(same, p);
    assert_eq!(requests(&db), 0);

    let db = crate::safety_models::db().await;
    let row = crate::safety_models::Audited::create()
        .id("noop-a")
        .text("x")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let same = row.update().exec(&db).await.unwrap();
    assert_eq!((same.id.as_str(), same.text.as_str()), ("noop-a", "x"));
    assert_eq!(requests(&db), 0);
    assert_eq!(
        crate::safety_models::hook_calls("noop-"),
        ["before_create noop-a", "after_create noop-a"],
        "no update hook ran"
    );
}

#[dynamite::test(registry = register)]
async fn an_update_of_nothing_by_key_is_refused_before_sending(db: Dynamite) {
    let p = post(&db, "p1").await;
    requests(&db);
    let explain = Post::update_key("p1").explain(&db).to_string();
    assert!(explain.contains("nothing to change"), "{explain}");
    let err = Post::update_key("p1").exec(&db).await.unwrap_err();
    assert!(err.is_not_updatable(), "{err:?}");
    let err = Post::update_key("p1")
        .expect_version(1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_updatable(), "{err:?}");
    // A condition alone changes nothing: refused, not silently unchecked.
    let err = p
        .update()
        .condition(Post::TITLE.eq("draft"))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_updatable(), "{err:?}");
    let err = p.update().expect_version(1).exec(&db).await.unwrap_err();
    assert!(err.is_not_updatable(), "{err:?}");
    let mut tx = db.transaction();
    tx.update(Post::update_key("p1"));
    let err = tx.commit().await.unwrap_err();
    assert!(err.is_not_updatable(), "{err:?}");
    assert_eq!(requests(&db), 0);
    assert_eq!(Post::get(&db, "p1").await.unwrap().unwrap(), p);
}

// ------------------------------------------------ property

/// One write of the sequence. Clients hold copies of the row (`Read`).
#[derive(Debug, Clone)]
enum Op {
    Create,
    Read(usize),
    Save(usize, u8),
    Increment(i64),
    RowIncrement(usize),
    /// `update_key(..).set(title).expect_version(stored + offset)`.
    ExpectUpdate(i8, u8),
    /// `delete_key_expecting(stored + offset)`.
    ExpectDelete(i8),
    /// `row.update()` with no change.
    NoChange(usize),
    /// `force_delete_key`: the item is gone (a later `Create` succeeds).
    ForceDelete,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Create),
        3 => (0..2usize).prop_map(Op::Read),
        3 => (0..2usize, 0..3u8).prop_map(|(c, t)| Op::Save(c, t)),
        3 => (1..4i64).prop_map(Op::Increment),
        2 => (0..2usize).prop_map(Op::RowIncrement),
        3 => (-1..2i8, 0..3u8).prop_map(|(o, t)| Op::ExpectUpdate(o, t)),
        2 => (-1..2i8).prop_map(Op::ExpectDelete),
        1 => (0..2usize).prop_map(Op::NoChange),
        1 => Just(Op::ForceDelete),
    ]
}

/// The stored row as the reference sees it.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    title: String,
    views: i64,
    version: u64,
    deleted: bool,
}

fn kind(result: &Result<(), Error>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(e) if e.is_conflict() => "conflict",
        Err(e) if e.is_not_found() => "not_found",
        Err(e) if e.is_already_exists() => "already_exists",
        Err(_) => "other",
    }
}

/// What the reference expects of a write needing a live row whose
/// version must be `wanted` (`None`: no check).
fn expect_live(model: &Option<Model>, wanted: Option<u64>) -> &'static str {
    match model {
        None => "not_found",
        Some(m) if m.deleted => "not_found",
        Some(m) if wanted.is_some_and(|w| w != m.version) => "conflict",
        Some(_) => "ok",
    }
}

/// Runs `ops` on a fresh row; fails on the first answer the reference
/// does not predict, or a final state it does not hold.
async fn run(
    db: &Dynamite,
    id: &str,
    ops: &[Op],
) -> Result<BTreeMap<String, usize>, TestCaseError> {
    let titles = ["a", "b", "c"];
    // The row exists and both clients hold a copy; the ops may delete
    // it, create it again, and read it again.
    let first = Post::create().id(id).title("new").views(0).exec(db).await;
    let first = first.map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut model: Option<Model> = Some(Model {
        title: "new".into(),
        views: 0,
        version: 1,
        deleted: false,
    });
    let mut copies: [Option<Post>; 2] = [Some(first.clone()), Some(first)];
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut log: Vec<String> = Vec::new();
    for op in ops {
        db.metrics().reset();
        let (result, want, sent): (Result<(), Error>, &str, u64) = match op {
            Op::Create => {
                let want = if model.is_some() {
                    "already_exists"
                } else {
                    "ok"
                };
                let got = Post::create().id(id).title("new").views(0).exec(db).await;
                if got.is_ok() {
                    model = Some(Model {
                        title: "new".into(),
                        views: 0,
                        version: 1,
                        deleted: false,
                    });
                }
                (got.map(drop), want, 1)
            }
            Op::Read(c) => {
                copies[*c] = Post::get(db, id)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                continue;
            }
            Op::Save(c, t) => {
                let Some(copy) = copies[*c].as_mut() else {
                    continue;
                };
                let want = expect_live(&model, Some(copy.version));
                copy.title = titles[*t as usize].into();
                let got = copy.save(db).await;
                if let (Ok(()), Some(m)) = (&got, model.as_mut()) {
                    m.title = copy.title.clone();
                    m.version += 1;
                }
                (got, want, 1)
            }
            Op::Increment(n) => {
                let want = expect_live(&model, None);
                let got = Post::update_key(id)
                    .increment(Post::VIEWS, *n)
                    .exec(db)
                    .await;
                if let (Ok(row), Some(m)) = (&got, model.as_mut()) {
                    m.views += n;
                    prop_assert_eq!(row.views, m.views);
                }
                (got.map(drop), want, 1)
            }
            Op::RowIncrement(c) => {
                let Some(copy) = copies[*c].as_ref() else {
                    continue;
                };
                let want = expect_live(&model, None);
                let got = copy.update().increment(Post::VIEWS, 1).exec(db).await;
                if let (Ok(_), Some(m)) = (&got, model.as_mut()) {
                    m.views += 1;
                }
                (got.map(drop), want, 1)
            }
            Op::ExpectUpdate(offset, t) => {
                let base = model.as_ref().map_or(1, |m| m.version);
                let wanted = base.saturating_add_signed(i64::from(*offset)).max(1);
                let want = expect_live(&model, Some(wanted));
                let title = titles[*t as usize];
                let got = Post::update_key(id)
                    .set(Post::TITLE, title)
                    .expect_version(wanted)
                    .exec(db)
                    .await;
                if let (Ok(row), Some(m)) = (&got, model.as_mut()) {
                    m.title = title.into();
                    m.version += 1;
                    prop_assert_eq!(row.version, m.version);
                }
                (got.map(drop), want, 1)
            }
            Op::ExpectDelete(offset) => {
                let base = model.as_ref().map_or(1, |m| m.version);
                let wanted = base.saturating_add_signed(i64::from(*offset)).max(1);
                let want = expect_live(&model, Some(wanted));
                let got = Post::delete_key_expecting(db, id, wanted).await;
                if let (Ok(()), Some(m)) = (&got, model.as_mut()) {
                    m.deleted = true;
                    m.version += 1;
                }
                (got, want, 1)
            }
            Op::ForceDelete => {
                let want = if model.is_some() { "ok" } else { "not_found" };
                let got = Post::force_delete_key(db, id).await;
                if got.is_ok() {
                    model = None;
                }
                (got, want, 1)
            }
            Op::NoChange(c) => {
                let Some(copy) = copies[*c].as_ref() else {
                    continue;
                };
                let got = copy.update().exec(db).await;
                prop_assert_eq!(got.as_ref().ok(), Some(copy));
                (got.map(drop), "ok", 0)
            }
        };
        let got = kind(&result);
        log.push(format!("{op:?}: {got} {:?}", result.as_ref().err()));
        prop_assert_eq!(
            got,
            want,
            "{:?}: {:?}\nsequence so far:\n{}",
            op,
            result.err(),
            log.join("\n")
        );
        prop_assert_eq!(
            db.metrics().data_plane_requests(),
            sent,
            "{:?} sent another number of requests",
            op
        );
        *seen
            .entry(format!("{op:?}").split('(').next().unwrap_or("").to_owned() + " " + got)
            .or_default() += 1;
    }
    let stored = stored_post(db, id).await.map(|p| Model {
        title: p.title,
        views: p.views,
        version: p.version,
        deleted: p.deleted_at.is_some(),
    });
    prop_assert_eq!(stored, model, "final row after:\n{}", log.join("\n"));
    Ok(seen)
}

#[test]
fn expected_versions_and_counters_match_the_reference() {
    let body = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(property)
        .unwrap();
    if let Err(panic) = body.join() {
        std::panic::resume_unwind(panic);
    }
}

fn property() {
    let cases: u32 = std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(db());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 500,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &crate::differential::seed()),
    );
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let outcomes: std::cell::RefCell<BTreeMap<String, usize>> = Default::default();
    let started = std::time::Instant::now();
    let strategy = proptest::collection::vec(op(), 1..16);
    let result = runner.run(&strategy, |ops| {
        let id = format!(
            "seq{}",
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let seen = rt.block_on(run(&db, &id, &ops))?;
        for (k, n) in seen {
            *outcomes.borrow_mut().entry(k).or_default() += n;
        }
        Ok(())
    });
    eprintln!(
        "expected_versions_and_counters_match_the_reference: {cases} sequences, {:.1}s, outcomes: {:?}",
        started.elapsed().as_secs_f64(),
        outcomes.borrow()
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            panic!("{reason}\n\nminimal failing sequence (shrunk):\n{value:#?}")
        }
        Err(TestError::Abort(reason)) => panic!("aborted: {reason}"),
    }
}
