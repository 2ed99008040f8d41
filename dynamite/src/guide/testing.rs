//! # Testing with the embedded engine
//!
//! With the default feature `embedded`, [`Dynamite::embedded()`](crate::Dynamite::embedded)
//! runs a DynamoDB engine in-process (SQLite in memory, or a file with
//! `.path("db.sqlite")`): no Docker, no Java, no network. The SDK reaches it
//! without a socket (its HTTP client hands the request bytes to the engine
//! and parses the answer as DynamoDB's), so error codes, retries and
//! metrics are those of the wire at a fraction of a loopback round trip;
//! [`Dynamite::embedded_endpoint`](crate::Dynamite::embedded_endpoint)
//! starts an HTTP server over the same data for tools that need an
//! endpoint. It is only used when asked for: a missing AWS configuration is
//! an error, never a silent switch to a local database.
//!
//! ## `#[dynamite::test]`
//!
//! An async test on a fresh database: the attribute builds the handle,
//! registers the models it names, syncs their tables, and passes the
//! handle in. Each test gets its own in-memory database, so tests run in
//! parallel and never see each other's rows.
//!
//! ```no_run
//! use dynamite::DynamiteBuilder;
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone, serde::Deserialize)]
//! struct User {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     name: String,
//! }
//!
//! #[dynamite::test(models(User))]
//! async fn creates_a_user(db: Dynamite) -> dynamite::Result<()> {
//!     User::create().id("u1").name("Ada").exec(&db).await?;
//!     assert_eq!(User::query().count(&db).await?, 1);
//!     Ok(())
//! }
//!
//! // Models registered by a function of the application, on a
//! // multi-threaded runtime; a test may also take no handle.
//! fn models(builder: DynamiteBuilder) -> DynamiteBuilder {
//!     builder.table::<User>()
//! }
//!
//! #[dynamite::test(registry = models, flavor = "multi_thread", worker_threads = 2)]
//! async fn spawns(db: Dynamite) {
//!     let task = tokio::spawn(async move { User::query().count(&db).await });
//!     assert_eq!(task.await.unwrap().unwrap(), 0);
//! }
//! ```
//!
//! A registry function sets builder options as well as models: a test
//! needing a handle configured otherwise (`.strict(true)`,
//! `.max_is_in_queries(2)`, `.cursor_secrets(..)`) names a function of its
//! own, which may build on the application's:
//!
//! ```no_run
//! # use dynamite::DynamiteBuilder;
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! # }
//! # fn models(builder: DynamiteBuilder) -> DynamiteBuilder {
//! #     builder.table::<User>()
//! # }
//! fn strict_models(builder: DynamiteBuilder) -> DynamiteBuilder {
//!     models(builder).strict(true)
//! }
//!
//! #[dynamite::test(registry = strict_models)]
//! async fn refuses_a_scan(db: Dynamite) {
//!     let scan = User::query().filter(User::ID.ne("u1")).all(&db).await;
//!     assert!(scan.unwrap_err().is_strict_read());
//! }
//! ```
//!
//! It expands to a plain `#[test]` (no Tokio macros needed), so
//! `#[should_panic]` and `#[ignore]` work as usual; the test returns `()`
//! or `Result<(), E: Debug>`, and takes a [`Dynamite`](crate::Dynamite)
//! or nothing. The handle's [`metrics()`](crate::Dynamite::metrics) start
//! at zero when the body starts (set-up, sync, fixtures and seeds are not
//! counted), so a test can assert its request counts directly. Misspelled
//! options, a function that is not `async` or an
//! argument that is not the handle are compile errors. The options are
//! listed on [`dynamite::test`](crate::test); [`testing::Harness`](crate::testing::Harness)
//! runs a test the same way without the attribute.
//!
//! With the variable `DYNAMITE_TEST_ENDPOINT` set (`http://127.0.0.1:8000`
//! for DynamoDB Local), every test runs against that endpoint instead,
//! with a table prefix of its own, and its tables are deleted afterwards,
//! also when it fails or panics.
//!
//! ## Fixtures
//!
//! `fixtures("tests/fixtures/shop.json", ..)` loads rows before the test,
//! from JSON files (paths relative to the crate's `Cargo.toml`; a missing
//! file is a compile error). A file maps each model's type name to its
//! rows in the model's serde form, so the models implement
//! `serde::Deserialize`; raw DynamoDB-JSON items for data no model
//! describes go under `"$items"`, by table name without the prefix:
//!
//! ```json
//! {
//!   "User": [{"id": "u1", "name": "Ada"}, {"id": "u2", "name": "Bob"}],
//!   "$items": {"users": [{"id": {"S": "legacy"}, "imported": {"BOOL": true}}]}
//! }
//! ```
//!
//! Rows are stored like a `create`: hooks run, validators apply, keys and
//! index templates are rendered, and a key stored twice is an error. A
//! field a row leaves out gets what `create` would give it: its
//! `#[dynamite(default = ..)]` (a fresh `uuid` per row, the function's
//! value, the literal), the loading time for `created_at` / `updated_at`,
//! 1 for `version`; a field without one takes its `#[serde(default)]`, or
//! `None` for an `Option`. A value the row gives is kept, `null` too. The
//! keys are serde's (`#[serde(rename_all = "camelCase")]` applies), and a
//! default is written in its serde form, so its type implements
//! `Serialize` (else serde asks for the field). `fixture = path` runs an
//! `async fn(&Dynamite)` after the files, for data easier written in Rust.
//!
//! ```no_run
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone, serde::Deserialize)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     name: String,
//! # }
//! async fn more_users(db: &Dynamite) -> dynamite::Result<()> {
//!     User::create().id("u3").name("Cy").exec(db).await?;
//!     Ok(())
//! }
//!
//! #[dynamite::test(models(User), fixtures("tests/fixtures/users.json"), fixture = more_users)]
//! async fn lists_users(db: Dynamite) -> dynamite::Result<()> {
//!     assert_eq!(User::query().count(&db).await?, 3);
//!     Ok(())
//! }
//! ```
//!
//! A bad file fails the test with [`Error::Fixture`](crate::Error::Fixture),
//! naming the file, the model and the row. [`testing::Fixtures`](crate::testing::Fixtures)
//! loads files without the attribute:
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone, serde::Deserialize)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     name: String,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::testing::Fixtures;
//!
//! let db = Dynamite::embedded().table::<User>().build().await?;
//! db.sync().await?;
//! let json = r#"{"User": [{"id": "u1", "name": "Ada"}, {"id": "u2"}]}"#;
//! let error = Fixtures::new().model::<User>().load_json(&db, "users.json", json).await.unwrap_err();
//! assert_eq!(error.to_string(), "fixture users.json, User row 1: missing field `name`");
//! # Ok(())
//! # }
//! ```
//!
//! ## Seeding once: snapshots
//!
//! When many tests start from the same larger data set, `seed = path`
//! names an `async fn(&Dynamite)` that fills it. On the embedded engine it
//! runs once per test binary (and set of tables), on a database of its
//! own; each test's database then starts as a copy of it, restored from a
//! snapshot, and fixtures load on top. Tests still never see each other's
//! writes. With `DYNAMITE_TEST_ENDPOINT` set, the seed function runs in
//! each test instead (another endpoint has no snapshot to restore).
//!
//! ```no_run
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     name: String,
//! # }
//! async fn catalog(db: &Dynamite) -> dynamite::Result<()> {
//!     let users = (0..1000).map(|i| User::create().id(format!("u{i}")).name("seeded"));
//!     User::create_many(db, users).await?;
//!     Ok(())
//! }
//!
//! #[dynamite::test(models(User), seed = catalog)]
//! async fn counts_the_catalog(db: Dynamite) -> dynamite::Result<()> {
//!     assert_eq!(User::query().count(&db).await?, 1000);
//!     Ok(())
//! }
//! ```
//!
//! The snapshots are [`Dynamite::snapshot`](crate::Dynamite::snapshot) and
//! [`Dynamite::restore`](crate::Dynamite::restore), usable directly: a
//! [`Snapshot`](crate::testing::Snapshot) is held in memory, and restoring
//! it replaces every table and item of an embedded database.
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     name: String,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<User>().build().await?;
//! db.sync().await?;
//! User::create().id("u1").name("Ada").exec(&db).await?;
//! let seed = db.snapshot().await?;
//! User::create().id("u2").name("Bob").exec(&db).await?;
//! db.restore(&seed).await?;
//! assert_eq!(User::query().count(&db).await?, 1);
//! # Ok(())
//! # }
//! ```
//!
//! ## Without the attribute
//!
//! Each handle from `embedded()` is a fresh, empty database, so tests do not
//! share state and run in parallel:
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct User {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     name: String,
//! }
//!
//! async fn test_db() -> dynamite::Result<Dynamite> {
//!     let db = Dynamite::embedded().table::<User>().build().await?;
//!     db.sync().await?;
//!     Ok(db)
//! }
//!
//! // In your crate: #[tokio::test] async fn creates_a_user() { ... }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let a = test_db().await?;
//! let b = test_db().await?;
//! User::create().id("u1").name("Ada").exec(&a).await?;
//! assert!(User::get(&b, "u1").await?.is_none()); // b is another database
//! # Ok(())
//! # }
//! ```
//!
//! ## Asserting requests, not just results
//!
//! [`db.metrics()`](crate::Dynamite::metrics) counts the requests sent, by
//! operation, so a test can pin the cost of a read; `explain()` pins its
//! plan without sending anything.
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     name: String,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! # let db = Dynamite::embedded().table::<User>().build().await?;
//! # db.sync().await?;
//! db.metrics().reset();
//! User::get(&db, "u1").await?;
//! assert_eq!(db.metrics().count("GetItem"), 1);
//! assert_eq!(db.metrics().data_plane_requests(), 1);
//!
//! let ids = ["u1", "u2", "u3"];
//! let plan = User::query().filter(User::ID.is_in(ids)).explain(&db).to_string();
//! assert!(plan.starts_with("BatchGetItem users"), "{plan}");
//! # Ok(())
//! # }
//! ```
//!
//! A plan needs no connection at all: a [`Registry`](crate::Registry) of
//! the models explains queries in a plain unit test.
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     name: String,
//! # }
//! # fn main() -> dynamite::Result<()> {
//! let models = dynamite::Registry::new("").table::<User>().resolve()?;
//! let plan = User::query().filter(User::ID.eq("u1")).explain(&models).to_string();
//! assert!(plan.starts_with("GetItem users"), "{plan}");
//! # Ok(())
//! # }
//! ```
//!
//! ## Time to live in tests
//!
//! Expired rows are hidden from reads at once. To check what DynamoDB itself
//! would delete, `db.sweep_expired().await` runs the embedded engine's TTL
//! sweep now.
//!
//! ## The same tests against DynamoDB Local
//!
//! `#[dynamite::test]` does this on its own (`DYNAMITE_TEST_ENDPOINT`).
//! For a hand-built handle, build it from an endpoint when one is given,
//! with a table prefix unique to the run:
//!
//! ```no_run
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct User {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! # }
//! # async fn f() -> dynamite::Result<()> {
//! let builder = match std::env::var("MY_TEST_ENDPOINT") {
//!     Ok(url) => Dynamite::builder()
//!         .endpoint(url)
//!         .region("us-east-1")
//!         .credentials("test", "test")
//!         .table_prefix(format!("t{}_", std::process::id())),
//!     Err(_) => Dynamite::embedded(),
//! };
//! let db = builder.table::<User>().build().await?;
//! db.sync().await?;
//! # Ok(())
//! # }
//! ```
//!
//! `examples/service` in the repository tests a whole axum service this
//! way: its tests build the router over such a handle and call it with
//! tower's `oneshot`, asserting statuses, bodies and `db.metrics()`.
//!
//! Next: [Coming from the TypeScript library](super::from_typescript).
