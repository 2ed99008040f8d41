//! `#[dynamite::test]`, fixtures and snapshots, on the embedded engine and
//! (with `DYNAMITE_TEST_ENDPOINT` set) on DynamoDB Local, where every
//! test's tables must be gone afterwards.

// Tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use dynamite::prelude::*;
use dynamite::testing::{Fixtures, Flavor, Harness, TEST_ENDPOINT_VAR};
use dynamite::{AttributeValue, DynamiteBuilder, Error};

#[derive(Table, Debug, Clone, serde::Deserialize)]
#[dynamite(hooks)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    email: String,
    name: String,
}

impl Hooks for User {
    async fn before_create(&mut self) -> dynamite::Result<()> {
        self.email = self.email.to_lowercase();
        Ok(())
    }
}

/// A model of a shared table: its key is rendered from templates.
#[derive(Table, Debug, Clone, serde::Deserialize)]
#[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
struct Order {
    user_id: String,
    id: String,
    total: u32,
}

fn on_endpoint() -> bool {
    std::env::var(TEST_ENDPOINT_VAR).is_ok_and(|e| !e.is_empty())
}

fn shop(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<User>().table::<Order>()
}

#[dynamite::test(models(User))]
async fn a_test_gets_a_synced_handle(db: Dynamite) -> dynamite::Result<()> {
    User::create()
        .id("ada")
        .email("Ada@example.com")
        .name("Ada")
        .exec(&db)
        .await?;
    assert_eq!(User::query().count(&db).await?, 1);
    assert_eq!(db.table_prefix().is_empty(), !on_endpoint());
    Ok(())
}

// A second test writing the same key: each test has its own database.
#[dynamite::test(models(User))]
async fn tests_do_not_share_rows(db: Dynamite) {
    assert_eq!(User::query().count(&db).await.unwrap(), 0);
    User::create()
        .id("ada")
        .email("a@b")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
}

#[dynamite::test]
async fn a_test_may_take_no_handle() {
    tokio::task::yield_now().await;
}

#[dynamite::test(models(User), flavor = "multi_thread", worker_threads = 2)]
async fn runs_on_the_runtime_asked_for(db: Dynamite) {
    let handle = tokio::runtime::Handle::current();
    assert_eq!(
        handle.runtime_flavor(),
        tokio::runtime::RuntimeFlavor::MultiThread
    );
    assert_eq!(handle.metrics().num_workers(), 2);
    let spawned = tokio::spawn(async move { User::query().count(&db).await });
    assert_eq!(spawned.await.unwrap().unwrap(), 0);
}

#[dynamite::test(models(User))]
async fn the_default_runtime_has_one_thread() {
    assert_eq!(
        tokio::runtime::Handle::current().runtime_flavor(),
        tokio::runtime::RuntimeFlavor::CurrentThread
    );
}

#[dynamite::test(registry = shop)]
async fn a_registry_function_registers_the_models(db: Dynamite) -> dynamite::Result<()> {
    assert!(db.table_name::<User>()?.ends_with("users"));
    assert!(db.table_name::<Order>()?.ends_with("shop"));
    assert_eq!(Order::query().count(&db).await?, 0); // synced
    Ok(())
}

/// A registry function sets builder options too; the harness's own
/// settings (a fresh database, or the test's table prefix) still apply.
fn strict_shop(builder: DynamiteBuilder) -> DynamiteBuilder {
    shop(builder).strict(true).max_is_in_queries(2)
}

#[dynamite::test(registry = strict_shop)]
async fn a_registry_function_sets_builder_options(db: Dynamite) {
    let scan = User::query().filter(User::NAME.eq("Ada")).all(&db).await;
    assert!(scan.unwrap_err().is_strict_read());
    // 201 keys: three BatchGetItems, past the cap of two.
    let ids: Vec<String> = (0..201).map(|i| format!("u{i}")).collect();
    let many = User::query().filter(User::ID.is_in(ids)).all(&db).await;
    assert!(many.unwrap_err().is_fan_out_limit());
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert_eq!(db.table_prefix().is_empty(), !on_endpoint());
}

#[dynamite::test(
    models(User, Order),
    fixtures("tests/fixtures/shop.json", "tests/fixtures/more_users.json")
)]
async fn fixture_files_load_through_creates(db: Dynamite) -> dynamite::Result<()> {
    let ada = User::get(&db, "ada").await?.expect("loaded");
    assert_eq!(ada.email, "ada@example.com", "the before_create hook ran");
    assert!(User::get(&db, "cy").await?.is_some(), "the second file");
    assert_eq!(User::query().count(&db).await?, 3);

    // Keys rendered from the templates.
    let table = db.table_name::<Order>()?;
    let stored = db
        .client()
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S("USER#ada".into()))
        .key("sk", AttributeValue::S("ORDER#o1".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.item().and_then(|i| i.get("total")),
        Some(&AttributeValue::N("42".into()))
    );

    // The raw item, in the prefixed table, as written.
    let raw = db
        .client()
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S("LEGACY#1".into()))
        .key("sk", AttributeValue::S("IMPORT".into()))
        .send()
        .await
        .unwrap();
    let raw = raw.item().expect("raw item stored");
    assert_eq!(raw["note"], AttributeValue::S("from the old system".into()));
    assert_eq!(
        raw["tags"],
        AttributeValue::Ss(vec!["a".into(), "b".into()])
    );
    Ok(())
}

async fn two_orders(db: &Dynamite) -> dynamite::Result<()> {
    for id in ["f1", "f2"] {
        Order::create()
            .user_id("bob")
            .id(id)
            .total(1u32)
            .exec(db)
            .await?;
    }
    Ok(())
}

#[dynamite::test(models(User, Order), fixtures("tests/fixtures/more_users.json"), fixture = two_orders)]
async fn a_fixture_function_runs_after_the_files(db: Dynamite) -> dynamite::Result<()> {
    assert_eq!(User::query().count(&db).await?, 1);
    assert_eq!(Order::query().count(&db).await?, 2);
    Ok(())
}

fn fresh_code() -> String {
    "generated".into()
}

/// Fields `create` fills when left unset, named as serde names them.
#[derive(Table, Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    #[dynamite(primary_key)]
    id: String,
    display_name: String,
    #[dynamite(default = "member")]
    role: String,
    #[dynamite(default = 3)]
    quota: u32,
    #[dynamite(default = fresh_code)]
    invite_code: String,
    #[dynamite(default = uuid)]
    token: String,
    #[serde(rename = "nick")]
    #[dynamite(default = "anon")]
    nickname: Option<String>,
    #[dynamite(created_at)]
    created_at: String,
    #[dynamite(updated_at)]
    updated_at: String,
    #[dynamite(version)]
    version: u64,
}

#[dynamite::test(models(Member), fixtures("tests/fixtures/members.json"))]
async fn fixture_rows_get_the_defaults_create_gives(db: Dynamite) -> dynamite::Result<()> {
    let built = Member::create().id("b").display_name("B").build();
    let m1 = Member::get(&db, "m1").await?.expect("loaded");
    assert_eq!(
        (m1.role.as_str(), m1.quota, m1.invite_code.as_str()),
        (built.role.as_str(), built.quota, built.invite_code.as_str())
    );
    assert_eq!(m1.nickname, built.nickname);
    assert_eq!(m1.version, built.version);
    assert_eq!(m1.token.len(), built.token.len());
    assert_eq!(&m1.token[14..15], "7", "a time-ordered UUID v7");
    assert_eq!(m1.created_at, m1.updated_at, "one now, as create");
    assert!(m1.created_at.ends_with('Z') && m1.created_at <= built.created_at);

    // Each row its own generated id; a value given is kept, `null` too.
    let m3 = Member::get(&db, "m3").await?.expect("loaded");
    assert_ne!(m3.token, m1.token);
    assert_eq!(m3.nickname, None);
    let m2 = Member::get(&db, "m2").await?.expect("loaded");
    assert_eq!(
        (m2.role.as_str(), m2.quota, m2.invite_code.as_str()),
        ("admin", 9, "given")
    );
    assert_eq!(
        (m2.token.as_str(), m2.nickname.as_deref()),
        ("t-2", Some("bobby"))
    );
    assert_eq!(
        (m2.created_at.as_str(), m2.updated_at.as_str(), m2.version),
        ("2020-01-01T00:00:00.000Z", "2021-01-01T00:00:00.000Z", 4)
    );
    Ok(())
}

/// `Deserialize` without `Serialize`: no serde form to write a default in.
#[derive(Attribute, Debug, Clone, PartialEq, serde::Deserialize)]
struct Level(u8);

fn entry_level() -> Level {
    Level(1)
}

#[derive(Table, Debug, Clone, serde::Deserialize)]
struct Badge {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(default = entry_level)]
    level: Level,
}

#[dynamite::test(models(Badge))]
async fn a_default_without_a_serde_form_is_left_to_serde(db: Dynamite) {
    assert_eq!(Badge::create().id("b").build().level, Level(1));
    let json = r#"{"Badge": [{"id": "b1", "level": 3}, {"id": "b2"}]}"#;
    let error = Fixtures::new()
        .model::<Badge>()
        .load_json(&db, "badges.json", json)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "fixture badges.json, Badge row 1: missing field `level`"
    );
    let b1 = Badge::get(&db, "b1").await.unwrap().expect("row 0 stored");
    assert_eq!(b1.level, Level(3));
}

static SEEDS: AtomicUsize = AtomicUsize::new(0);

async fn catalog(db: &Dynamite) -> dynamite::Result<()> {
    SEEDS.fetch_add(1, Ordering::SeqCst);
    let users = (0..20).map(|i| {
        User::create()
            .id(format!("u{i}"))
            .email(format!("u{i}@example.com"))
            .name("seeded")
    });
    User::create_many(db, users).await?;
    Ok(())
}

async fn check_seeded_then_write(db: &Dynamite, mine: &str) -> dynamite::Result<()> {
    if !on_endpoint() {
        // However many seeded tests run, in whatever order: one seeding.
        assert_eq!(SEEDS.load(Ordering::SeqCst), 1);
    }
    assert_eq!(User::query().count(db).await?, 20);
    User::create()
        .id(mine)
        .email("x@example.com")
        .name("mine")
        .exec(db)
        .await?;
    assert_eq!(User::query().count(db).await?, 21);
    Ok(())
}

#[dynamite::test(models(User), seed = catalog)]
async fn a_seeded_test_starts_from_the_seed(db: Dynamite) -> dynamite::Result<()> {
    check_seeded_then_write(&db, "first").await
}

#[dynamite::test(models(User), seed = catalog)]
async fn another_seeded_test_does_not_see_its_writes(db: Dynamite) -> dynamite::Result<()> {
    check_seeded_then_write(&db, "second").await
}

#[dynamite::test(models(User), seed = catalog, fixtures("tests/fixtures/more_users.json"))]
async fn fixtures_load_over_the_seed(db: Dynamite) -> dynamite::Result<()> {
    assert_eq!(User::query().count(&db).await?, 21);
    Ok(())
}

#[dynamite::test(models(User))]
#[should_panic(expected = "the body panicked")]
async fn a_panicking_test_still_panics(db: Dynamite) {
    User::create()
        .id("p")
        .email("p@example.com")
        .name("P")
        .exec(&db)
        .await
        .unwrap();
    panic!("the body panicked");
}

#[dynamite::test(models(User))]
#[should_panic(expected = "NotFound")]
async fn an_err_fails_the_test(db: Dynamite) -> dynamite::Result<()> {
    User::delete_key(&db, "nobody").await
}

/// The names of the tables starting with `prefix` on the test endpoint.
async fn tables_named(prefix: &str) -> Vec<String> {
    let url = std::env::var(TEST_ENDPOINT_VAR).unwrap();
    let db = Dynamite::builder()
        .endpoint(url)
        .region("us-east-1")
        .credentials("test", "test")
        .build()
        .await
        .unwrap();
    let mut names = Vec::new();
    let mut start = None;
    loop {
        let page = db
            .client()
            .list_tables()
            .set_exclusive_start_table_name(start)
            .send()
            .await
            .unwrap();
        names.extend(
            page.table_names()
                .iter()
                .filter(|n| n.starts_with(prefix))
                .cloned(),
        );
        start = page.last_evaluated_table_name;
        if start.is_none() {
            return names;
        }
    }
}

/// Runs `body` through the harness the attribute uses; returns the
/// handle's prefix and the panic message, if it panicked.
fn run_harness(panics: bool, fail: bool) -> (String, Option<String>) {
    let prefix = Arc::new(Mutex::new(String::new()));
    let seen = prefix.clone();
    let result = std::panic::catch_unwind(move || {
        Harness::new("dynamite_test::cleanup")
            .configure(shop)
            .run(async move |db| {
                *seen.lock().unwrap() = db.table_prefix().to_owned();
                User::create()
                    .id("c")
                    .email("c@example.com")
                    .name("C")
                    .exec(&db)
                    .await
                    .unwrap();
                if on_endpoint() {
                    assert_eq!(tables_named(db.table_prefix()).await.len(), 2);
                }
                assert!(!panics, "panicking on purpose");
                if fail {
                    return Err(Error::InvalidRequest("failing on purpose".into()));
                }
                Ok(())
            });
    });
    let message = result.err().map(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    });
    let prefix = prefix.lock().unwrap().clone();
    (prefix, message)
}

#[test]
fn tables_are_deleted_after_a_test_that_passes_fails_or_panics() {
    let checks = [
        (false, false, None),
        (true, false, Some("panicking on purpose")),
        (false, true, Some("failing on purpose")),
    ];
    for (panics, fail, expected) in checks {
        let (prefix, message) = run_harness(panics, fail);
        match expected {
            None => assert_eq!(message, None),
            Some(text) => assert!(
                message.as_deref().unwrap_or_default().contains(text),
                "{message:?}"
            ),
        }
        if on_endpoint() {
            assert!(prefix.starts_with("cleanup_"), "{prefix}");
            let rt = dynamite::testing::runtime(Flavor::CurrentThread).unwrap();
            assert_eq!(
                rt.block_on(tables_named(&prefix)),
                Vec::<String>::new(),
                "{prefix}"
            );
        } else {
            assert_eq!(prefix, "", "the embedded engine needs no prefix");
        }
    }
}

#[test]
fn a_failing_fixture_function_fails_the_set_up() {
    async fn refuses(_: &Dynamite) -> Result<(), String> {
        Err("no fixture today".into())
    }
    let ran = Arc::new(AtomicUsize::new(0));
    let body_ran = ran.clone();
    let result = std::panic::catch_unwind(move || {
        Harness::new("dynamite_test::refused")
            .configure(shop)
            .fixture(refuses)
            .run(async move |_| {
                body_ran.fetch_add(1, Ordering::SeqCst);
            });
    });
    let payload = result.unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(message.contains("set-up failed: fixture"), "{message}");
    assert!(message.contains("no fixture today"), "{message}");
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the body never ran");
}

#[dynamite::test(models(User, Order))]
async fn fixture_errors_name_the_file_the_model_and_the_row(db: Dynamite) {
    let fixtures = Fixtures::new().model::<User>().model::<Order>();

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bad_row.json");
    let error = fixtures.load(&db, path).await.unwrap_err();
    let Error::Fixture {
        file,
        model,
        row,
        message,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (file.as_str(), model.as_str(), *row),
        (path, "User", Some(1))
    );
    assert_eq!(message, "missing field `name`");
    assert_eq!(error.kind(), dynamite::ErrorKind::Internal);
    assert!(
        User::get(&db, "dee").await.unwrap().is_some(),
        "rows before it stay"
    );

    let error = fixtures
        .load_json(&db, "x.json", r#"{"Usr": []}"#)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "fixture x.json, Usr: no model of this test is named `Usr` (known: User, Order; raw items go under \"$items\")"
    );

    let error = fixtures.load_json(&db, "x.json", "[1]").await.unwrap_err();
    assert!(
        error.is_fixture()
            && error
                .to_string()
                .starts_with("fixture x.json: not a JSON object"),
        "{error}"
    );

    let error = fixtures
        .load_json(&db, "x.json", r#"{"User": {"id": "a"}}"#)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "fixture x.json, User: expected a list of rows, found an object"
    );

    let raw = r#"{"$items": {"shop": [{"pk": {"S": "a"}, "sk": {"S": "b"}}, {"pk": {"N": 1}}]}}"#;
    let error = fixtures.load_json(&db, "raw.json", raw).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "fixture raw.json, $items.shop row 1: attribute `pk`: `N` holds a string"
    );

    // A write that fails: the key exists. The write's error is the source.
    let error = fixtures
        .load_json(
            &db,
            "again.json",
            r#"{"User": [{"id": "dee", "email": "d@e", "name": "D"}]}"#,
        )
        .await
        .unwrap_err();
    let source = std::error::Error::source(&error).unwrap();
    assert!(
        source.downcast_ref::<Error>().unwrap().is_already_exists(),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("fixture again.json, User row 0: not stored:"),
        "{error}"
    );

    let missing = fixtures
        .load(&db, "tests/fixtures/nope.json")
        .await
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("fixture tests/fixtures/nope.json: cannot read it"),
        "{missing}"
    );
}

#[dynamite::test(models(User))]
async fn snapshots_copy_an_embedded_database(db: Dynamite) -> dynamite::Result<()> {
    User::create()
        .id("a")
        .email("a@b")
        .name("A")
        .exec(&db)
        .await?;
    if on_endpoint() {
        assert!(matches!(db.snapshot().await, Err(Error::Config(_))));
        return Ok(());
    }
    let files_before = snapshot_files();
    let snapshot = db.snapshot().await?;
    assert!(!snapshot.is_empty());
    User::create()
        .id("b")
        .email("b@b")
        .name("B")
        .exec(&db)
        .await?;
    db.restore(&snapshot).await?;
    assert_eq!(User::query().count(&db).await?, 1, "back to the snapshot");

    let other = Dynamite::embedded().table::<User>().build().await?;
    other.restore(&snapshot).await?;
    assert!(User::get(&other, "a").await?.is_some());
    assert_eq!(
        snapshot_files(),
        files_before,
        "no snapshot file is left behind"
    );
    Ok(())
}

/// The snapshot files in the temporary directory (other tests may make
/// some at the same moment: compared as a count of this test's leftovers).
fn snapshot_files() -> usize {
    std::fs::read_dir(std::env::temp_dir())
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("dynamite-snapshot-")
                })
                .count()
        })
        .unwrap_or(0)
}
