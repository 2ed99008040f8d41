//! # Includes and their request plans
//!
//! An include loads related rows into relation fields, at any depth, each
//! level with its own `filter`, `limit`, `order` and `attributes`. Dynamite
//! reads breadth-first: one round of concurrent requests per level, never
//! one request per row of the level above when one can serve them all.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct User {
//!     #[dynamite(primary_key)]
//!     pub id: String,
//!     pub name: String,
//!     #[dynamite(has_many(foreign_key = "user_id"))]
//!     pub orders: HasMany<Order>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct Order {
//!     #[dynamite(primary_key)]
//!     pub id: String,
//!     pub user_id: String,
//!     pub status: String,
//!     #[dynamite(belongs_to(foreign_key = "user_id"))]
//!     pub user: BelongsTo<User>,
//!     #[dynamite(has_many(foreign_key = "order_id"))]
//!     pub items: HasMany<Item>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct Item {
//!     #[dynamite(primary_key)]
//!     pub id: String,
//!     pub order_id: String,
//!     pub sku: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded()
//!     .table::<User>()
//!     .table::<Order>()
//!     .table::<Item>()
//!     .build()
//!     .await?;
//! db.sync().await?; // also creates a GSI on every has_many foreign key
//!
//! User::create().id("u1").name("Ada").exec(&db).await?;
//! Order::create().id("o1").user_id("u1").status("completed").exec(&db).await?;
//! Order::create().id("o2").user_id("u1").status("pending").exec(&db).await?;
//! Item::create().id("i1").order_id("o1").sku("book").exec(&db).await?;
//!
//! db.metrics().reset();
//! let ada = User::query()
//!     .filter(User::ID.eq("u1"))
//!     .include(
//!         User::orders()
//!             .filter(Order::STATUS.eq("completed"))
//!             .include(Order::items()),
//!     )
//!     .first(&db)
//!     .await?
//!     .expect("stored");
//! assert_eq!(ada.orders.len(), 1);
//! assert_eq!(ada.orders[0].items[0].sku, "book");
//! // GetItem and the orders Query in round 1 (the filter pins the user id),
//! // the items Query in round 2.
//! assert_eq!(db.metrics().data_plane_requests(), 3);
//!
//! // Lazy: a relation bound to one row.
//! let order = Order::get(&db, "o2").await?.expect("stored");
//! let owner = Order::user().of(&order).get(&db).await?;
//! assert_eq!(owner.map(|u| u.name), Some("Ada".to_string()));
//! # Ok(())
//! # }
//! ```
//!
//! Relation fields report `is_loaded()`: "not loaded" is never confused with
//! "none". `HasMany<T>` derefs to `[T]`, `HasOne<T>` and `BelongsTo<T>` to
//! `Option<Box<T>>`.
//!
//! ## The request plan, round by round
//!
//! `explain()` prints an include's plan, one line per round, without
//! sending anything:
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # pub struct User {
//! #     #[dynamite(primary_key)]
//! #     pub id: String,
//! #     pub name: String,
//! #     #[dynamite(has_many(foreign_key = "user_id"))]
//! #     pub orders: HasMany<Order>,
//! # }
//! # #[derive(Table, Debug, Clone)]
//! # pub struct Order {
//! #     #[dynamite(primary_key)]
//! #     pub id: String,
//! #     pub user_id: String,
//! #     pub status: String,
//! #     #[dynamite(belongs_to(foreign_key = "user_id"))]
//! #     pub user: BelongsTo<User>,
//! #     #[dynamite(has_many(foreign_key = "order_id"))]
//! #     pub items: HasMany<Item>,
//! # }
//! # #[derive(Table, Debug, Clone)]
//! # pub struct Item {
//! #     #[dynamite(primary_key)]
//! #     pub id: String,
//! #     pub order_id: String,
//! #     pub sku: String,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! # let db = Dynamite::embedded().table::<User>().table::<Order>().table::<Item>().build().await?;
//! let plan = User::query()
//!     .filter(User::ID.eq("u1"))
//!     .include(User::orders().include(Order::items()))
//!     .explain(&db)
//!     .to_string();
//! let rounds: Vec<&str> = plan.lines().collect();
//! assert_eq!(rounds.len(), 2, "{plan}");
//! assert!(rounds[0].starts_with("round 1: GetItem users"), "{plan}");
//! assert!(rounds[0].contains("`orders`: Query orders index user_id_index"), "{plan}");
//! assert!(rounds[1].starts_with("round 2: `items`: Query items"), "{plan}");
//!
//! // A root that pins nothing: one round per level.
//! let plan = User::query()
//!     .filter(User::NAME.eq("Ada"))
//!     .include(User::orders().include(Order::items()))
//!     .explain(&db)
//!     .to_string();
//! assert_eq!(
//!     plan,
//!     "round 1: Scan users filter name = \"Ada\"\n\
//!      round 2: `orders`: Query orders index user_id_index key user_id = <each parent's id> \
//!      (or one Scan of orders when over 16 parents and under 4 KB of it per parent)\n\
//!      round 3: `items`: Query items index order_id_index key order_id = <each parent's id> \
//!      (or one Scan of items when over 16 parents and under 4 KB of it per parent)"
//! );
//!
//! // belongs_to: the distinct foreign keys of the round, in BatchGetItem calls.
//! let plan = Order::query().include(Order::user()).explain(&db).to_string();
//! assert!(plan.contains("`user`: BatchGetItem users"), "{plan}");
//! # Ok(())
//! # }
//! ```
//!
//! How each level is read:
//!
//! - `belongs_to`: the distinct foreign keys of the level, in BatchGetItem
//!   calls of 100 keys, every `belongs_to` of the round sharing the calls
//!   (across tables).
//! - `has_many` / `has_one`: one Query per distinct parent on the
//!   foreign-key index, with the include's filter as a FilterExpression and
//!   its limit and order inside the Query; or, when there are more parents
//!   than one wave of concurrent Queries and the child table is small, one
//!   Scan of the child table.
//! - Key propagation: when the root filter pins the join value, the child
//!   Query goes out in the same round as the root read.
//! - Nested collections of a shared table: when a grandchild's partition
//!   and sort-key prefix are rendered from fields the grandparent binds
//!   (comments under `COMMENT#<project_id>#`), the grandchildren of all the
//!   children of one parent are one Query by that prefix, in the round of
//!   the children, stitched to them by the join value. Only when the child
//!   level returns its whole collection (no filter, limit or soft delete)
//!   and the grandchild level has no limit: then it reads no more items
//!   than one Query per child (rows of orphans and of expired children
//!   not yet swept aside). `explain()` shows it
//!   (`` `comments`: Query .. key pk = "TENANT#<tenant_id>" AND
//!   begins_with(sk, "COMMENT#<project_id>#") ``).
//! - Many-to-many (`through`): the junction rows like a `has_many`, then the
//!   far rows of every parent of the round in one BatchGetItem round.
//! - Polymorphic `belongs_to`: ids grouped by type value, every target table
//!   in the same BatchGetItem round.
//! - A projection fetches what the engine reads (join, sort, type, TTL,
//!   soft-delete and entity attributes) and leaves it out of the rows.
//!
//! ## Projected children
//!
//! An include with `.attributes(..)` gives [`Projected`](crate::Projected)
//! children, never full models: a `Book` whose unfetched `blurb` read
//! `None` could be saved back and erase the stored blurb. They are in the
//! field's `projected()`, with typed getters; `loaded()` is `None` and the
//! deref is empty. Includes nested under them are read with `related`, and
//! JSON (feature `serde`) shows only the fetched fields. The one way back to
//! a model is the explicit `into_partial_model()`.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone, serde::Serialize)]
//! pub struct Author {
//!     #[dynamite(primary_key)]
//!     pub id: String,
//!     #[dynamite(has_many(foreign_key = "author_id"))]
//!     pub books: HasMany<Book>,
//! }
//!
//! #[derive(Table, Debug, Clone, serde::Serialize)]
//! pub struct Book {
//!     #[dynamite(primary_key)]
//!     pub id: String,
//!     pub author_id: String,
//!     pub title: String,
//!     pub blurb: Option<String>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Author>().table::<Book>().build().await?;
//! db.sync().await?;
//! Author::create().id("a1").exec(&db).await?;
//! Book::create().id("b1").author_id("a1").title("Kindred").blurb(Some("…".into())).exec(&db).await?;
//!
//! let author = Author::query()
//!     .filter(Author::ID.eq("a1"))
//!     .include(Author::books().attributes((Book::TITLE,)))
//!     .first(&db)
//!     .await?
//!     .unwrap();
//! assert!(author.books.loaded().is_none() && author.books.is_empty());
//! let books = author.books.projected().unwrap();
//! assert_eq!(books[0].get(Book::TITLE)?, "Kindred");
//! assert!(books[0].get(Book::BLURB).unwrap_err().is_not_fetched());
//! let json = serde_json::to_string(&author).unwrap();
//! assert_eq!(json, r#"{"id":"a1","books":[{"id":"b1","title":"Kindred"}]}"#);
//! # Ok(())
//! # }
//! ```
//!
//! ## Many-to-many
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct Student {
//!     #[dynamite(primary_key)]
//!     pub id: String,
//!     #[dynamite(has_many(through = Enrollment, foreign_key = "student_id", far_key = "course_id"))]
//!     pub courses: HasMany<Course>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct Enrollment { // keyed by the pair: one link is one item
//!     #[dynamite(primary_key)]
//!     pub student_id: String,
//!     #[dynamite(sort_key)]
//!     pub course_id: String,
//!     pub grade: Option<String>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct Course {
//!     #[dynamite(primary_key)]
//!     pub id: String,
//!     pub level: u8,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded()
//!     .table::<Student>()
//!     .table::<Enrollment>()
//!     .table::<Course>()
//!     .build()
//!     .await?;
//! db.sync().await?;
//! Student::create().id("s1").exec(&db).await?;
//! for (id, level) in [("c1", 1), ("c2", 2), ("c3", 3)] {
//!     Course::create().id(id).level(level).exec(&db).await?;
//! }
//! // Writes the difference in one transaction.
//! let change = Student::courses().replace(&db, "s1", ["c1", "c2", "c3"]).await?;
//! assert_eq!(change.added.len(), 3);
//! Student::courses().remove(&db, "s1", ["c1"]).await?;
//!
//! let s = Student::query()
//!     .filter(Student::ID.eq("s1"))
//!     .include(Student::courses().filter(Course::LEVEL.ge(2)).order(Desc))
//!     .first(&db)
//!     .await?
//!     .expect("stored");
//! let ids: Vec<&str> = s.courses.iter().map(|c| c.id.as_str()).collect();
//! assert_eq!(ids, ["c3", "c2"]);
//! # Ok(())
//! # }
//! ```
//!
//! Next: [Writing and consistency](super::writing).
