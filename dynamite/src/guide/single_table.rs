//! # Single-table design
//!
//! Several models may share one table, each rendering its key from templates
//! on the struct (`pk = "USER#{id}"`, `sk = "ORDER#{id}"`) instead of
//! `primary_key` / `sort_key` fields. Choose it when reads are object graphs
//! rooted at one entity (a user with their orders) whose children can live
//! in the root's partition: "user + orders" is then one Query. Keep a model
//! in its own table when many roots share it, when it is mostly read
//! whole-table, or when one partition would be too hot.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "shop", pk = "USER#{id}", sk = "PROFILE")]
//! pub struct User {
//!     pub id: String,
//!     pub name: String,
//!     #[dynamite(has_many(foreign_key = "user_id"))]
//!     pub orders: HasMany<Order>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
//! pub struct Order {
//!     pub id: String,
//!     pub user_id: String,
//!     pub status: String,
//! }
//!
//! #[derive(dynamite::Entities, Debug, Clone)]
//! pub enum UserItem {
//!     User(User),
//!     Order(Order),
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<User>().table::<Order>().build().await?;
//! db.sync().await?; // one table "shop"
//! User::create().id("u1").name("Ada").exec(&db).await?;
//! Order::create().id("o1").user_id("u1").status("paid").exec(&db).await?;
//! Order::create().id("o2").user_id("u1").status("open").exec(&db).await?;
//!
//! // Order::Key is the template fields in order of appearance: (user_id, id).
//! let o1 = Order::get(&db, ("u1", "o1")).await?.expect("stored");
//! assert_eq!(o1.status, "paid");
//!
//! // The user and their orders: ONE Query of the partition USER#u1.
//! db.metrics().reset();
//! let ada = User::query()
//!     .filter(User::ID.eq("u1"))
//!     .include(User::orders())
//!     .first(&db)
//!     .await?
//!     .expect("stored");
//! assert_eq!(ada.orders.len(), 2);
//! assert_eq!(db.metrics().data_plane_requests(), 1);
//!
//! // A whole partition, typed by entity.
//! let items = dynamite::Partition::<UserItem>::of::<User>("u1").all(&db).await?;
//! assert_eq!(items.len(), 3);
//! assert!(matches!(items[0], UserItem::Order(_))); // sort-key order: ORDER#o1 < PROFILE
//! # Ok(())
//! # }
//! ```
//!
//! - Every item stores its fields plus `pk`, `sk` and `entity` (the struct
//!   name, or `entity = ".."`; the attribute names are set with
//!   `pk_attribute`, `sk_attribute`, `entity_attribute`).
//! - Encodings keep text order equal to value order: strings as they are (a
//!   `#` inside is refused), integers fixed width; floats and binary in a
//!   template do not compile.
//! - Entity isolation: every read keeps the model's own items only, every
//!   update and delete is conditioned on the entity, `create` never
//!   overwrites any item.
//! - Overloaded indexes: `#[dynamite(index(name = "gsi1", pk = "ORDER#{id}",
//!   sk = "ORDER"))]` on the struct stores `gsi1pk` / `gsi1sk`; a filter
//!   pinning `id` reads the index.
//! - Index keys follow the stored fields: an update of a templated field
//!   re-renders the index key, conditioned on the stored values of the
//!   template's other fields (a stale `row.update()` is `Error::Conflict`).
//!   `update_key` / `update_where` of such a field read the row first (one
//!   GetItem per row, in `explain()` and `db.metrics()`); `save()` writes
//!   the whole row and its keys at once.
//! - A `has_many` whose child partition is rendered from the foreign key
//!   alone is read as a collection of the parent's partition, and needs no
//!   foreign-key index. Composite foreign keys
//!   (`has_many(foreign_key = ["user_id", "order_id"])`) reach grandchildren
//!   in the same partition.
//! - Nested collections by prefix: projects -> tasks -> comments under
//!   `TENANT#{tenant_id}`, tasks at `TASK#{project_id}#{id}`, comments at
//!   `COMMENT#{project_id}#{task_id}#{id}`. The comments of every task of a
//!   project are ONE Query (`begins_with(sk, "COMMENT#<project_id>#")`),
//!   sent with the tasks' Query and stitched to the tasks in memory: a
//!   tenant's 5 projects of 8 tasks are 11 requests in 2 rounds, not 46 in
//!   3. This holds when the task level returns its whole collection (no
//!   filter, limit or soft delete on `tasks`) and `comments` has no limit;
//!   otherwise comments are read per task, which never reads the comments
//!   of tasks a filter dropped. Put the grandparent's fields first in the
//!   grandchild's sort key to get it.
//!
//! `explain()` shows the partition read:
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # #[dynamite(table = "shop", pk = "USER#{id}", sk = "PROFILE")]
//! # pub struct User {
//! #     pub id: String,
//! #     pub name: String,
//! #     #[dynamite(has_many(foreign_key = "user_id"))]
//! #     pub orders: HasMany<Order>,
//! # }
//! # #[derive(Table, Debug, Clone)]
//! # #[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
//! # pub struct Order {
//! #     pub id: String,
//! #     pub user_id: String,
//! #     pub status: String,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! # let db = Dynamite::embedded().table::<User>().table::<Order>().build().await?;
//! let plan = Order::query().filter(Order::USER_ID.eq("u1")).explain(&db).to_string();
//! assert!(plan.starts_with("Query shop key (pk = \"USER#u1\" AND begins_with(sk, \"ORDER#\"))"), "{plan}");
//! # Ok(())
//! # }
//! ```
//!
//! ## Named keys
//!
//! A model whose key has several fields (`Order::Key` is `(String,
//! String)`: `user_id`, `id`, in order of first appearance in the
//! templates) also has a named key that cannot swap them:
//! `Order::key().user_id(..).id(..)`, setters in any order, accepted by
//! `get`, `get_many`, `update_key`, `delete_key`, `delete_many`,
//! transactions, `Relation::of_key` and `Partition::of`. Only the complete
//! key compiles, and only for its own model (another model's named key of
//! the same types is refused). Tuples and `row.key()` keep working; a
//! wrong key's compile error lists the key fields in order.
//!
//! ```
//! # use dynamite::prelude::*;
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "app", pk = "T#{tenant_id}", sk = "TASK#{project_id}#{id}")]
//! pub struct Task {
//!     pub tenant_id: String,
//!     pub project_id: String,
//!     pub id: String,
//!     pub title: String,
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Task>().build().await?;
//! db.sync().await?;
//! Task::create().tenant_id("t1").project_id("p1").id("x").title("Ship").exec(&db).await?;
//! let key = Task::key().tenant_id("t1").project_id("p1").id("x");
//! let task = Task::get(&db, key).await?.expect("stored");
//! assert_eq!(task.title, "Ship");
//! Task::delete_key(&db, Task::key().id("x").project_id("p1").tenant_id("t1")).await?;
//! # Ok(())
//! # }
//! ```
//!
//! ```compile_fail
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # #[dynamite(table = "app", pk = "T#{tenant_id}", sk = "TASK#{project_id}#{id}")]
//! # pub struct Task { pub tenant_id: String, pub project_id: String, pub id: String }
//! # async fn f(db: &Dynamite) -> dynamite::Result<()> {
//! // `project_id` is missing: not a key of `Task`.
//! Task::get(db, Task::key().tenant_id("t1").id("x")).await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Time to live in a shared table
//!
//! DynamoDB has one TTL attribute per table. Models of one table may each
//! declare `#[dynamite(ttl)]` or not; those that do store it under the same
//! name (else [`Error::Config`](crate::Error::Config) at `build()`), and
//! `sync()` enables TTL on it whichever model declares it. Expiry is per
//! model: reads hide the expired rows of models with TTL only, and a
//! `create` replaces an expired item only when it belongs to a model with
//! TTL, so a model without TTL is never hidden or overwritten because
//! another model of its table has one. DynamoDB's own sweep deletes every
//! item whose TTL attribute holds a past number, whatever its model: a
//! model without TTL that stores a field under the table's TTL name (any
//! type but a string or binary) is `Error::Config` at `build()`; rename
//! that field's stored attribute. A TTL enabled on the table by someone
//! else (another program, another service's models) only shows at
//! `sync()` / `sync_plan()`: they read it (DescribeTimeToLive) and refuse
//! such a field with the same `Error::Config`, naming the model, field,
//! table and attribute, before changing anything.
//!
//! ```
//! # use dynamite::prelude::*;
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "app", pk = "T#{tenant_id}", sk = "SESSION#{id}")]
//! pub struct Session {
//!     pub tenant_id: String,
//!     pub id: String,
//!     #[dynamite(ttl)]
//!     pub expires_at: i64,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "app", pk = "T#{tenant_id}", sk = "NOTE#{id}")]
//! pub struct Note {
//!     pub tenant_id: String,
//!     pub id: String,
//!     pub expires_at: i64, // a number under the TTL name: DynamoDB would delete notes
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let refused = Dynamite::embedded().table::<Session>().table::<Note>().build().await;
//! assert!(matches!(refused, Err(dynamite::Error::Config(_))));
//! # Ok(())
//! # }
//! ```
//!
//! Next: [Testing](super::testing).
