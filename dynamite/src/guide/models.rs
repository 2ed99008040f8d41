//! # Models and attributes
//!
//! A model is a struct with named fields and `#[derive(Table)]`. The options
//! of `#[dynamite(...)]` go on the struct (the table) or on a field (an
//! attribute). This chapter shows each one running; the complete list is on
//! [`derive(Table)`](crate::Table).
//!
//! ## Keys
//!
//! `primary_key` marks the partition key (a string, a number or
//! [`Bytes`](crate::Bytes)); `sort_key` the sort key. The derive sets
//! `T::Key` to the key field's type, or the tuple `(partition, sort)`, and
//! every read and write by key takes anything that converts into it (`&str`
//! for a `String` part, integer literals for integer parts).
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(table = "events")] // the default would be "events" too
//! struct Event {
//!     #[dynamite(primary_key)]
//!     stream: String,
//!     #[dynamite(sort_key)]
//!     seq: u64,
//!     #[dynamite(rename = "k")] // stored as the attribute "k"
//!     kind: String,
//!     #[dynamite(skip)] // never stored; `Default` when read
//!     cached: Option<String>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Event>().build().await?;
//! db.sync().await?;
//! Event::create().stream("s1").seq(1).kind("opened").exec(&db).await?;
//! let event = Event::get(&db, ("s1", 1)).await?.expect("stored");
//! assert_eq!(event.key(), ("s1".to_string(), 1));
//! assert_eq!(event.kind, "opened");
//! # Ok(())
//! # }
//! ```
//!
//! ## Defaults and timestamps
//!
//! `default = ..` gives the value `create()` uses when the field is not set:
//! a literal (`"customer"`, `0`, `true`), a path to a function, or one of
//! `uuid` (time-ordered UUID v7), `ulid` and `now`. `Option` fields default
//! to `None`. `created_at` is set on create; `updated_at` on create and on
//! every `save`, `update` and soft delete. On a `String` field a timestamp is
//! `YYYY-MM-DDTHH:MM:SS.mmmZ`, on an `i64` epoch milliseconds.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! fn three() -> u32 {
//!     3
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(rename_all = "camelCase")] // stored as "maxRetries", "createdAt", ...
//! struct Job {
//!     #[dynamite(primary_key, default = ulid)]
//!     id: String,
//!     #[dynamite(default = three)]
//!     max_retries: u32,
//!     #[dynamite(default = true)]
//!     enabled: bool,
//!     note: Option<String>,
//!     #[dynamite(created_at)]
//!     created_at: String,
//!     #[dynamite(updated_at)]
//!     updated_at: i64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Job>().build().await?;
//! db.sync().await?;
//! let job = Job::create().exec(&db).await?;
//! assert_eq!((job.max_retries, job.enabled, job.note), (3, true, None));
//! assert_eq!(job.created_at.len(), "2024-01-01T00:00:00.000Z".len());
//! assert!(job.updated_at > 0);
//! # Ok(())
//! # }
//! ```
//!
//! ## Indexes
//!
//! `index` on a field creates a global secondary index on it, named
//! `<attribute>_index`; `index(sort_key = "field")` sorts it by another
//! field and is then named `<attribute>_<sort attribute>_index`, unless
//! `name = ".."` names it. `index(name = "..", partition = [..], sort = [..])` on the
//! struct declares a multi-attribute key (up to 4 partition and 4 sort
//! attributes, each a plain field). `sync()` creates them all; the planner
//! reads one when the filter pins its partition.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(index(name = "by_region_status", partition = ["region", "status"], sort = ["created_at"]))]
//! struct Ticket {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     #[dynamite(index(name = "by_owner", sort_key = "created_at"))]
//!     owner: String,
//!     region: String,
//!     status: String,
//!     created_at: i64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Ticket>().build().await?;
//! let mine = Ticket::query().filter(Ticket::OWNER.eq("ada") & Ticket::CREATED_AT.gt(10));
//! assert_eq!(
//!     mine.explain(&db).to_string(),
//!     "Query tickets index by_owner key (owner = \"ada\" AND created_at > 10)"
//! );
//! let open = Ticket::query().filter(Ticket::REGION.eq("eu") & Ticket::STATUS.eq("open"));
//! assert!(open.explain(&db).to_string().starts_with("Query tickets index by_region_status"));
//! # Ok(())
//! # }
//! ```
//!
//! ## Versions, soft delete, time to live, validation
//!
//! - `version` on an integer field: optimistic locking (see
//!   [Writing](super::writing)).
//! - `deleted_at` on an `Option` timestamp: `delete` stamps it, reads skip it.
//! - `ttl` on `i64` / `u64` seconds, `SystemTime`, chrono or time timestamps
//!   (or an `Option` of one): stored as epoch seconds, the attribute
//!   DynamoDB's time to live reads. Rows past it are hidden from every read
//!   at once, even before DynamoDB deletes them.
//! - `validate = path` names a `fn(&T) -> Result<(), E>` (or of a borrowed
//!   form, `fn(&str)` for a `String`), `E: Display`; `not_empty` refuses
//!   empty or blank values. They run before every write, never on read.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! fn has_at(email: &str) -> Result<(), String> {
//!     if email.contains('@') { Ok(()) } else { Err("must contain @".into()) }
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! struct Session {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     #[dynamite(not_empty)]
//!     user: String,
//!     #[dynamite(validate = has_at)]
//!     email: String,
//!     #[dynamite(ttl)]
//!     expires_at: Option<i64>, // epoch seconds; None never expires
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Session>().build().await?;
//! db.sync().await?;
//! let err = Session::create().id("s1").user(" ").email("a@b").expires_at(None).exec(&db).await;
//! assert!(err.unwrap_err().is_validation());
//! let err = Session::create().id("s1").user("ada").email("nope").expires_at(None).exec(&db).await;
//! assert_eq!(err.unwrap_err().to_string(), "Session.email: must contain @");
//!
//! // Expired an hour ago: hidden from reads at once.
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
//! Session::create().id("old").user("ada").email("a@b").expires_at(Some(now - 3600)).exec(&db).await?;
//! assert!(Session::get(&db, "old").await?.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! ## Hooks
//!
//! `hooks` on the struct calls your `impl Hooks for Model` around single-row
//! writes; a before-hook returning an error vetoes the write.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(hooks)]
//! struct Article {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     title: String,
//!     slug: Option<String>,
//! }
//!
//! impl Hooks for Article {
//!     async fn before_create(&mut self) -> dynamite::Result<()> {
//!         self.slug = Some(self.title.to_lowercase().replace(' ', "-"));
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Article>().build().await?;
//! db.sync().await?;
//! let a = Article::create().id("a1").title("Hello World").exec(&db).await?;
//! assert_eq!(a.slug.as_deref(), Some("hello-world"));
//! # Ok(())
//! # }
//! ```
//!
//! ## Values
//!
//! Fields may be strings, every integer, floats, `bool`, [`Bytes`](crate::Bytes),
//! `Option<T>`, `Vec<T>`, sets (stored as `SS` / `NS` / `BS`), maps with
//! string keys, `SystemTime`, [`Sensitive<T>`](crate::Sensitive) (printed as
//! `***`), and with features `chrono`, `time`, `uuid`, `decimal`, `json` those
//! crates' types. `#[derive(Attribute)]` stores a struct as a map and an enum
//! as a string (unit variants) or a tagged map.
//!
//! ```
//! use dynamite::prelude::*;
//! use std::collections::BTreeSet;
//!
//! #[derive(Attribute, Debug, Clone, PartialEq)]
//! enum Status { Draft, Published }
//!
//! #[derive(Attribute, Debug, Clone, PartialEq)]
//! struct Address { city: String, zip: Option<String> }
//!
//! #[derive(Table, Debug, Clone)]
//! struct Author {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     status: Status,
//!     address: Address,
//!     tags: BTreeSet<String>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Author>().build().await?;
//! db.sync().await?;
//! Author::create()
//!     .id("a1")
//!     .status(Status::Published)
//!     .address(Address { city: "Paris".into(), zip: None })
//!     .tags(BTreeSet::from(["rust".to_string()]))
//!     .exec(&db)
//!     .await?;
//! let published = Author::query().filter(Author::STATUS.eq(Status::Published)).all(&db).await?;
//! assert_eq!(published[0].address.city, "Paris");
//! # Ok(())
//! # }
//! ```
//!
//! ## Relations
//!
//! Relation fields are never stored: `HasMany<T>`, `HasOne<T>` and
//! `BelongsTo<T>` with `has_many(foreign_key = "..")`, `has_one(..)` and
//! `belongs_to(..)`. `foreign_key` names the field holding the key
//! (`["a", "b"]` for a composite one), `local_key` the field it refers to;
//! `has_many(through = Junction, foreign_key = "..", far_key = "..")` is a
//! many-to-many; `belongs_to(foreign_key = "..", type_key = "..",
//! targets(Post = "post", Video = "video"))` a polymorphic one. Loading them
//! is the subject of [Includes](super::includes).
//!
//! Next: [Reading](super::reading).
