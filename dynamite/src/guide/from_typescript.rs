//! # Coming from the TypeScript library
//!
//! Dynamite for Rust keeps the concepts of the TypeScript Dynamite ORM
//! (`@arcaelas/dynamite`): models as classes become structs, decorators
//! become `#[dynamite(...)]` options, and `where` / `include` become typed
//! builders. What changes is that mistakes are caught before a request is
//! sent: a missing key is an error (never a table-wide write), a `create`
//! never overwrites, bulk writes retry what DynamoDB left unprocessed and
//! report what still failed, and a transaction over 100 operations is
//! refused rather than split.
//!
//! | TypeScript | Rust |
//! |---|---|
//! | `class User extends Table<User>` | `#[derive(Table)] struct User` |
//! | `@PrimaryKey()` | `#[dynamite(primary_key)]` |
//! | `@IndexSort()` | `#[dynamite(sort_key)]` |
//! | `@Index()` | `#[dynamite(index)]` / `index(name = "..", sort_key = "..")` |
//! | `@Default(() => crypto.randomUUID())` | `#[dynamite(default = uuid)]` (time-ordered v7) |
//! | `@Default(() => "customer")` | `#[dynamite(default = "customer")]` |
//! | `@CreatedAt()` / `@UpdatedAt()` | `#[dynamite(created_at)]` / `#[dynamite(updated_at)]` |
//! | `@Name("x")` | `#[dynamite(rename = "x")]`, `#[dynamite(table = "x")]` |
//! | `CreationOptional<T>` | a field with a default, a timestamp, or `Option<T>` |
//! | `@HasMany(() => Order, "user_id")` | `#[dynamite(has_many(foreign_key = "user_id"))] orders: HasMany<Order>` |
//! | `@BelongsTo(() => User, "user_id")` | `#[dynamite(belongs_to(foreign_key = "user_id"))] user: BelongsTo<User>` |
//! | `@ManyToMany(pivot)` + `attach` / `detach` / `sync` | `has_many(through = Pivot, foreign_key = "..", far_key = "..")` + `add` / `remove` / `replace` |
//! | `new Dynamite({ region, endpoint, credentials, tables })` | `Dynamite::builder().region(..).endpoint(..).credentials(..).table::<T>().build().await?` |
//! | `dynamite.sync()` | `db.sync().await?` (and `db.sync_plan()` for a dry run) |
//! | `User.create({ ... })` | `User::create().name(..).exec(&db).await?` |
//! | `User.where({ id }, { include: { orders: {} } })` | `User::query().filter(User::ID.eq(id)).include(User::orders()).all(&db)` |
//! | `include: { orders: { where, limit, order: "DESC", attributes } }` | `User::orders().filter(..).limit(n).order(Desc).attributes((..))` |
//! | `where({ parent_id: null })` | `Category::PARENT_ID.is_none()` |
//! | `User.first(..)` / `last` | `.first(&db)` / `.last(&db)` |
//! | `createMany` / `deleteMany` | `create_many` (never overwrites) / `put_many` / `delete_many` |
//! | `increment` / `decrement` | `update().increment(col, n)` / `.decrement(col, n)` (atomic) |
//! | errors as strings | one typed [`Error`](crate::Error) enum with `is_*` helpers |
//! | `user.toJSON()` | `#[derive(Serialize)]` + `serde_json::to_value(&user)` (feature `serde`) |
//!
//! The TypeScript relationships walkthrough, in Rust:
//!
//! ```
//! use dynamite::prelude::*;
//!
//! // class User extends Table<User> { @PrimaryKey() id; name; @HasMany(() => Post, "user_id") posts }
//! #[derive(Table, Debug, Clone)]
//! pub struct User {
//!     #[dynamite(primary_key, default = uuid)]
//!     pub id: String,
//!     pub name: String,
//!     #[dynamite(has_many(foreign_key = "user_id"))]
//!     pub posts: HasMany<Post>,
//! }
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct Post {
//!     #[dynamite(primary_key, default = uuid)]
//!     pub id: String,
//!     pub user_id: String,
//!     pub title: String,
//!     #[dynamite(belongs_to(foreign_key = "user_id"))]
//!     pub user: BelongsTo<User>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<User>().table::<Post>().build().await?;
//! db.sync().await?;
//! // await User.create({ name: "Ada" })
//! let ada = User::create().name("Ada").exec(&db).await?;
//! Post::create().user_id(&ada.id).title("Notes").exec(&db).await?;
//!
//! // await User.where({ id: ada.id }, { include: { posts: { where: { title: "Notes" } } } })
//! let users = User::query()
//!     .filter(User::ID.eq(&ada.id))
//!     .include(User::posts().filter(Post::TITLE.eq("Notes")))
//!     .all(&db)
//!     .await?;
//! assert_eq!(users[0].posts.len(), 1);
//!
//! // await Post.where({}, { include: { user: {} } })
//! let posts = Post::query().include(Post::user()).all(&db).await?;
//! assert_eq!(posts[0].user.as_ref().map(|u| u.name.as_str()), Some("Ada"));
//! # Ok(())
//! # }
//! ```
//!
//! Next: [Moving to AWS](super::aws).
