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

mod containers;
mod relation;
pub(crate) mod resolve;

pub use containers::{BelongsTo, HasMany, HasOne, RelationField};
pub(crate) use relation::Assemble;
pub use relation::{Lazy, Relation};
