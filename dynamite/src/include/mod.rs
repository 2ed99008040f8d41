//! Relations and includes: `HasMany` / `HasOne` / `BelongsTo` fields, the
//! [`Relation`] builder, and breadth-first include resolution.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Author {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     name: String,
//!     #[dynamite(has_many(foreign_key = "author_id"))]
//!     books: HasMany<Book>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! struct Book {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     author_id: String,
//!     title: String,
//!     #[dynamite(belongs_to(foreign_key = "author_id"))]
//!     author: BelongsTo<Author>,
//! }
//!
//! let db = Dynamite::embedded().table::<Author>().table::<Book>().build().await?;
//! db.sync().await?;
//! Author::create().id("a1").name("Ursula").exec(&db).await?;
//! Book::create().id("b1").author_id("a1").title("The Dispossessed").exec(&db).await?;
//!
//! let author = Author::query()
//!     .filter(Author::ID.eq("a1"))
//!     .include(Author::books())
//!     .first(&db)
//!     .await?
//!     .unwrap();
//! assert_eq!(author.books[0].title, "The Dispossessed");
//!
//! let book = Book::get(&db, "b1").await?.unwrap();
//! let by = Book::author().of(&book).get(&db).await?;
//! assert_eq!(by.map(|a| a.name), Some("Ursula".to_string()));
//! # Ok(())
//! # }
//! ```
//!
//! # JSON (feature `serde`)
//!
//! With the `serde` feature (on by default) the three fields implement
//! `Serialize` and `Deserialize`, so a model with relations can
//! `#[derive(Serialize, Deserialize)]` and a web handler can return an object
//! graph as JSON (the TypeScript library's `toJSON()`).
//!
//! | field | loaded | not loaded |
//! |---|---|---|
//! | `HasMany<T>` | a sequence of `T` (`[]` when none) | `null` |
//! | `HasOne<T>`, `BelongsTo<T>` | the `T`, or `null` when there is none | `null` |
//!
//! Children loaded by an include with `.attributes(..)` are written as
//! maps of their fetched fields only (and the relations loaded under them);
//! they read back as full rows, so a projection's JSON is for output.
//!
//! Reading back: a sequence is a loaded `HasMany`, and `null` a `HasMany`
//! that was not loaded (a loaded one never writes `null`, so that round
//! trip is exact). For `HasOne` / `BelongsTo` a value or `null` reads as
//! loaded: `null` cannot tell "loaded, none" from "not loaded", and it reads
//! as the first. Like `Option`, an absent field reads like `null`.
//!
//! To leave unloaded relations out of the output instead, and read their
//! absence back as "not loaded", mark the field
//! `#[serde(default, skip_serializing_if = "HasMany::is_not_loaded")]`
//! (or `HasOne::…`, `BelongsTo::…`): every state then round-trips exactly.
//!
//! ```
//! use dynamite::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Table, Serialize, Deserialize, Debug, Clone, PartialEq)]
//! struct Author {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     #[dynamite(has_many(foreign_key = "author_id"))]
//!     books: HasMany<Book>,
//! }
//!
//! #[derive(Table, Serialize, Deserialize, Debug, Clone, PartialEq)]
//! struct Book {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     author_id: String,
//!     #[dynamite(belongs_to(foreign_key = "author_id"))]
//!     #[serde(default, skip_serializing_if = "BelongsTo::is_not_loaded")]
//!     author: BelongsTo<Author>,
//! }
//!
//! let book = Book { id: "b1".into(), author_id: "a1".into(), author: BelongsTo::default() };
//! let author = Author { id: "a1".into(), books: HasMany::from(vec![book]) };
//! let json = serde_json::to_string(&author).unwrap();
//! assert_eq!(json, r#"{"id":"a1","books":[{"id":"b1","author_id":"a1"}]}"#);
//! assert_eq!(serde_json::from_str::<Author>(&json).unwrap(), author);
//!
//! let unloaded = Author { id: "a2".into(), books: HasMany::default() };
//! let json = serde_json::to_string(&unloaded).unwrap();
//! assert_eq!(json, r#"{"id":"a2","books":null}"#);
//! assert!(!serde_json::from_str::<Author>(&json).unwrap().books.is_loaded());
//! ```

mod containers;
mod links;
mod polymorphic;
mod relation;
pub(crate) mod resolve;
#[cfg(feature = "serde")]
mod serde;

pub use containers::{BelongsTo, HasMany, HasOne, Related, RelationField};
pub use links::{Chunk, SetChange};
pub use polymorphic::{PolymorphicLazy, PolymorphicRelation};
pub use relation::Include;
pub(crate) use relation::{Assemble, attach_includes};
pub use relation::{Lazy, Relation};
