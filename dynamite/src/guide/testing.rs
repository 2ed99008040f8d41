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
//! To run a suite against AWS's own emulator as well, build the handle from
//! an endpoint when one is given, with a table prefix unique to the run:
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
