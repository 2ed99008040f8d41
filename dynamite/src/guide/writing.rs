//! # Writing and consistency
//!
//! Every write that could lose data is either impossible or a typed
//! [`Error`](crate::Error).
//!
//! - `T::create()...exec(&db)`: a PutItem conditioned on the key being free.
//!   An existing key is `Error::AlreadyExists` and the stored row is
//!   untouched. It returns the row as stored.
//! - `row.save(&db)`: writes every attribute back, conditioned on the row
//!   existing, refreshing `updated_at`.
//! - `row.update()` / `T::update_key(key)` then `.set(col, v)`,
//!   `.remove(col)`, `.add(col, v)`, `.increment(col, n)`,
//!   `.decrement(col, n)`, `.append(col, items)`, `.condition(cond)`,
//!   `.exec(&db)`: one UpdateItem of exactly those changes. When it sets a
//!   field an overloaded index key of a shared table is rendered from, it is
//!   conditioned on the stored values of that key's other fields (a stale
//!   row is `Error::Conflict`), and `update_key` reads the row first: one
//!   more GetItem, shown by `update.explain(&db)` (see
//!   [Single-table design](super::single_table)). `row.update()` with no
//!   change at all returns the row in hand: nothing is sent, no hook runs.
//!   `T::update_key(key)` with no change (or only a condition) is
//!   `Error::NotUpdatable` before sending.
//! - `row.delete(&db)`, `T::delete_key(&db, key)`.
//! - Bulk: `T::put_many` (upsert), `T::create_many` (never overwrites),
//!   `T::delete_many`; what still fails after retries comes back in one
//!   `Error::Batch`, by key.
//! - A missing or empty key is `Error::MissingKey` and nothing is sent: a
//!   write can never become a table-wide write.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Counter {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     hits: i64,
//!     label: Option<String>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Counter>().build().await?;
//! db.sync().await?;
//! Counter::create().id("home").hits(0).exec(&db).await?;
//!
//! // A create never overwrites.
//! let again = Counter::create().id("home").hits(99).exec(&db).await;
//! assert!(again.unwrap_err().is_already_exists());
//!
//! // One atomic UpdateItem: no read-modify-write.
//! Counter::update_key("home").increment(Counter::HITS, 2).exec(&db).await?;
//! let mut row = Counter::get(&db, "home").await?.expect("stored");
//! assert_eq!(row.hits, 2);
//!
//! row.label = Some("Home page".into());
//! row.save(&db).await?;
//!
//! // An empty key is refused before sending.
//! let err = Counter::update_key("").set(Counter::HITS, 1).exec(&db).await;
//! assert!(err.unwrap_err().is_missing_key());
//!
//! row.delete(&db).await?;
//! assert!(Counter::get(&db, "home").await?.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! ## Optimistic locking
//!
//! `#[dynamite(version)]` on an integer field. `create` stores version 1;
//! a write started from a row is conditioned on the stored version being
//! the row's and adds one. When another writer got there first the write
//! is `Error::Conflict` and nothing changes: re-read and retry.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Doc {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     title: String,
//!     #[dynamite(version)]
//!     version: u64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Doc>().build().await?;
//! db.sync().await?;
//! Doc::create().id("d1").title("draft").exec(&db).await?;
//! let mut a = Doc::get(&db, "d1").await?.unwrap();
//! let mut b = Doc::get(&db, "d1").await?.unwrap();
//! a.title = "from a".into();
//! a.save(&db).await?; // version 1 -> 2
//! b.title = "from b".into();
//! assert!(b.save(&db).await.unwrap_err().is_conflict()); // a's write survives
//! assert_eq!(Doc::get(&db, "d1").await?.unwrap().title, "from a");
//! # Ok(())
//! # }
//! ```
//!
//! ### Expected versions from the client
//!
//! A service that gives its client the row's version (an `ETag`, a form
//! field) checks it when the client writes back, without reading the row:
//! `T::update_key(key)...expect_version(v)`, `T::delete_key_expecting(&db,
//! key, v)` (a soft delete on a model with `deleted_at`), and in a
//! transaction `tx.update(T::update_key(key)...expect_version(v))` and
//! `tx.delete_key_expecting::<T>(key, v)`. Each is one request;
//! `Error::Conflict` when the stored version differs and `Error::NotFound`
//! when there is no row (or it is soft-deleted) are told apart from the
//! item DynamoDB returns with the failed condition (`ALL_OLD`), not by a
//! read. Only models with a `version` field have them: elsewhere they do
//! not compile.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Doc {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     title: String,
//!     #[dynamite(version)]
//!     version: u64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Doc>().build().await?;
//! db.sync().await?;
//! Doc::create().id("d1").title("draft").exec(&db).await?;
//! // The client read version 1 and sends its change back with it.
//! let doc = Doc::update_key("d1").set(Doc::TITLE, "final").expect_version(1).exec(&db).await?;
//! assert_eq!(doc.version, 2);
//! // Another client still holding version 1: a conflict (HTTP 412).
//! let err = Doc::delete_key_expecting(&db, "d1", 1).await.unwrap_err();
//! assert!(err.is_conflict());
//! Doc::delete_key_expecting(&db, "d1", 2).await?;
//! // Gone: not found (HTTP 404), not a conflict.
//! assert!(Doc::delete_key_expecting(&db, "d1", 2).await.unwrap_err().is_not_found());
//! # Ok(())
//! # }
//! ```
//!
//! ### Counters that do not invalidate versions
//!
//! `#[dynamite(unversioned)]` on a field makes it change only through
//! `update()` actions (`increment`, `add`, `set`, ...). `save()` never
//! writes it, so a stale copy cannot erase it; an update of such fields
//! only neither requires the row's version nor bumps it, so counting never
//! turns a pending `save()` into a conflict. `create` writes it. An update
//! that also changes a versioned field is checked and bumped as usual, and
//! a version given with `expect_version` is always checked. There is no
//! per-call switch: what `save()` writes is the model's declaration.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Post {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     title: String,
//!     #[dynamite(unversioned)]
//!     views: i64,
//!     #[dynamite(version)]
//!     version: u64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Post>().build().await?;
//! db.sync().await?;
//! let mut editing = Post::create().id("p1").title("draft").views(0).exec(&db).await?;
//! // Readers count views meanwhile: the version stays 1.
//! for _ in 0..3 {
//!     Post::update_key("p1").increment(Post::VIEWS, 1).exec(&db).await?;
//! }
//! editing.title = "final".into();
//! editing.save(&db).await?; // no conflict, and the count is kept
//! let stored = Post::get(&db, "p1").await?.unwrap();
//! assert_eq!((stored.title.as_str(), stored.views, stored.version), ("final", 3, 2));
//! # Ok(())
//! # }
//! ```
//!
//! ## Soft delete
//!
//! `#[dynamite(deleted_at)]` on an `Option` timestamp: `delete` stamps it
//! instead of deleting, reads skip the row (`.with_deleted()` and
//! `.only_deleted()` widen or invert that), `restore` brings it back and
//! `force_delete` removes the item.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Note {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     #[dynamite(deleted_at)]
//!     deleted_at: Option<String>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Note>().build().await?;
//! db.sync().await?;
//! let note = Note::create().id("n1").exec(&db).await?;
//! note.delete(&db).await?;
//! assert!(Note::get(&db, "n1").await?.is_none());
//! assert_eq!(Note::query().only_deleted().count(&db).await?, 1);
//! # Ok(())
//! # }
//! ```
//!
//! ## Transactions
//!
//! `db.transaction()` collects creates, updates, deletes and condition
//! checks of any models and commits them in ONE TransactWriteItems. More
//! than 100 operations, or two on one item, is an error before anything is
//! sent: never silent chunking. A cancelled transaction is
//! `Error::TransactionCanceled` with one typed reason per operation, in the
//! order added (not found, version conflict, already exists, ...: see
//! [Errors in a service](super::errors#transactions)).
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct Counter {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     hits: i64,
//! #     label: Option<String>,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! # let db = Dynamite::embedded().table::<Counter>().build().await?;
//! # db.sync().await?;
//! Counter::create().id("a").hits(10).exec(&db).await?;
//! let mut tx = db.transaction();
//! tx.update(Counter::update_key("a").decrement(Counter::HITS, 1));
//! tx.create(Counter::create().id("b").hits(1).build());
//! let committed = tx.commit().await?;
//! assert_eq!(committed.created::<Counter>()?[0].id, "b");
//!
//! let mut tx = db.transaction();
//! tx.create(Counter::create().id("b").hits(5).build()); // exists: cancels all
//! tx.update(Counter::update_key("a").decrement(Counter::HITS, 1));
//! assert!(tx.commit().await.unwrap_err().is_transaction_canceled());
//! assert_eq!(Counter::get(&db, "a").await?.unwrap().hits, 9);
//! # Ok(())
//! # }
//! ```
//!
//! ## Retries and lost answers
//!
//! The SDK retries throttling, 5xx answers and dropped connections, paid
//! from a retry budget ([`RetryBudget`](crate::RetryBudget)). A single-row
//! write stores a random write id so that, when an answer is lost and the
//! retry's condition fails, Dynamite can tell whether this call applied the
//! write: `Ok` if it did, `Conflict` if another writer did, and
//! `Error::OutcomeUnknown` when nothing stored can tell, never a false
//! answer. `exact_writes(true)` on the builder makes every single write a
//! one-item transaction with an idempotency token instead.
//!
//! Which writes may be retried depends on what a second application does:
//!
//! - `set` / `remove` updates, `save`, soft deletes, and every update with
//!   a version condition (`row.update()` and `save` of a versioned model)
//!   are retried by the SDK: a second application is stopped by its
//!   condition or changes nothing more.
//! - `increment`, `decrement`, `add` (numbers or sets) and `append`
//!   without a version condition (`update_key`, `row.update()` of an
//!   unversioned model, `update_where`) would change the row again. They
//!   are never sent again after an attempt that may have applied (no
//!   answer, a 5xx; a throttle is retried). One consistent GetItem then
//!   finds the call's own write id (`Ok`: applied exactly once) or not
//!   (`Error::OutcomeUnknown`). The stored id names only the last writer,
//!   so after another writer nothing else can tell.
//! - `create` and hard deletes (`delete` / `delete_key` without
//!   `deleted_at`, `force_delete`, `delete_key_expecting`) are not resent
//!   after such an attempt either: another writer may have deleted the
//!   created row (or created the deleted key again) in between, which
//!   makes the condition hold again, and a resent write would apply a
//!   second time. A create then reads its row back once (its own write id:
//!   `Ok`); a hard delete is `Error::OutcomeUnknown`.
//! - Transactions, `create_many` and, with `exact_writes(true)`, every
//!   single write carry a ClientRequestToken: a retry is answered from the
//!   first attempt, so they are `Ok` even after a lost answer.
//!
//! `OutcomeUnknown` means "applied once or not at all, never twice": read
//! the row before deciding to send the change again.
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct Counter {
//! #     #[dynamite(primary_key)]
//! #     id: String,
//! #     hits: i64,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! # let db = Dynamite::embedded().table::<Counter>().build().await?;
//! # db.sync().await?;
//! # Counter::create().id("a").hits(0).exec(&db).await?;
//! match Counter::update_key("a").increment(Counter::HITS, 1).exec(&db).await {
//!     Ok(row) => assert_eq!(row.hits, 1), // applied exactly once
//!     Err(e) if e.is_outcome_unknown() => {
//!         // Applied once or not at all: re-read before sending it again.
//!         let _now = Counter::get(&db, "a").await?;
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Next: [Single-table design](super::single_table).
