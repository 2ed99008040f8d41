//! # Getting started
//!
//! Add the crate (its default features bring the derive and the embedded
//! engine) and an async runtime. The package is `dynamite-orm` (the name
//! `dynamite` on crates.io belongs to an unrelated crate); the library it
//! brings is `dynamite`:
//!
//! ```toml
//! [dependencies]
//! dynamite-orm = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! A model is a struct with named fields and `#[derive(Table)]`. Its table
//! is named after the struct in snake case, plural (`User` is `users`); one
//! field is the partition key.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct User {
//!     #[dynamite(primary_key, default = uuid)] // a time-ordered UUID v7
//!     pub id: String,
//!     pub name: String,
//!     #[dynamite(index)] // a global secondary index "email_index"
//!     pub email: String,
//!     #[dynamite(default = "customer")]
//!     pub role: String,
//!     pub age: Option<u32>, // None: the attribute is absent
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> dynamite::Result<()> {
//!     // The embedded engine runs DynamoDB in-process, in memory.
//!     let db = Dynamite::embedded().table::<User>().build().await?;
//!     db.sync().await?; // creates the table and its index, waits until ACTIVE
//!
//!     // A field without a default must be set: forgetting one is a compile error.
//!     let ada = User::create()
//!         .name("Ada")
//!         .email("ada@example.com")
//!         .age(36)
//!         .exec(&db)
//!         .await?;
//!     assert_eq!(ada.role, "customer");
//!
//!     let same = User::get(&db, ada.id.as_str()).await?; // one GetItem
//!     assert_eq!(same.map(|u| u.name), Some("Ada".to_string()));
//!
//!     let by_email = User::query()
//!         .filter(User::EMAIL.eq("ada@example.com")) // a Query of email_index
//!         .first(&db)
//!         .await?;
//!     assert!(by_email.is_some());
//!
//!     let adults = User::query().filter(User::AGE.ge(18)).count(&db).await?;
//!     assert_eq!(adults, 1);
//!     Ok(())
//! }
//! ```
//!
//! `User::EMAIL` is a typed column (`Column<User, String>`): comparing it with
//! a number does not compile, and neither does a misspelled
//! `#[dynamite(...)]` option.
//!
//! ## Which request does it send?
//!
//! `explain()` answers without sending anything. The planner picks the
//! cheapest access path: GetItem for a full key, BatchGetItem for a list of
//! keys, Query for a partition or an indexed attribute, Scan only when
//! nothing else applies.
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # pub struct User {
//! #     #[dynamite(primary_key, default = uuid)]
//! #     pub id: String,
//! #     pub name: String,
//! #     #[dynamite(index)]
//! #     pub email: String,
//! #     #[dynamite(default = "customer")]
//! #     pub role: String,
//! #     pub age: Option<u32>,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<User>().build().await?;
//! let by_email = User::query().filter(User::EMAIL.eq("ada@example.com"));
//! assert_eq!(
//!     by_email.explain(&db).to_string(),
//!     "Query users index email_index key email = \"ada@example.com\""
//! );
//! let premium = User::query().filter(User::ROLE.eq("premium"));
//! assert_eq!(
//!     premium.explain(&db).to_string(),
//!     "Scan users filter role = \"premium\""
//! );
//! # Ok(())
//! # }
//! ```
//!
//! Next: [Models and attributes](super::models) for every option of the
//! derive, or [Reading](super::reading) for queries.
