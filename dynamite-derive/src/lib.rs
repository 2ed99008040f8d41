//! Derive macros for [Dynamite](https://docs.rs/dynamite-orm), an async DynamoDB ORM.
//!
//! Use them through the runtime crate: `use dynamite::prelude::*;` then
//! `#[derive(Table)]` on models and `#[derive(Attribute)]` on nested structs
//! and enums. The stages follow serde_derive: `ast` (internal AST keeping
//! syn nodes for spans), `attr` (parsing `#[dynamite(...)]`, every key named
//! once in `symbol`), `check` (cross-field checks, literal defaults fitted
//! to their field types in `literal`, names the model's traits reserve in
//! `reserved`), then code generation:
//! `expand_attribute`, and `expand_table/` split by concern (metadata, keys,
//! item conversion, columns, relations, create builder, validation, hooks).
//! Generated code calls only `dynamite::__private` helpers and the public
//! traits. Errors from every stage are collected (`ctxt`) and reported
//! together; a derive never expands to nothing. The attribute
//! `#[dynamite::test]` lives in `test_attr` (its options, the function's
//! shape, the expansion into a plain `#[test]`).

mod ast;
mod attr;
mod case;
mod check;
mod crate_path;
mod ctxt;
mod expand_attribute;
mod expand_entities;
mod expand_table;
mod literal;
mod reserved;
mod symbol;
mod template;
mod test_attr;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `dynamite::Table` for a struct with named fields: its metadata,
/// item conversion, typed key, one typed column per field
/// (`User::EMAIL: Column<User, String>`), a create builder that refuses to
/// compile while a required field is unset, and one relation builder per
/// relation field (`User::orders()`).
///
/// Every option below is checked at compile time: an unknown or misspelled
/// key, a key given twice, or options that conflict are errors pointing at
/// the token. Runnable examples of each are in the guide's chapter
/// [Models and attributes](https://docs.rs/dynamite-orm/latest/dynamite/guide/models/index.html).
///
/// # Struct options: `#[dynamite(...)]` on the struct
///
/// | option | example | meaning |
/// |---|---|---|
/// | `table` | `table = "people"` | the table name; by default the struct name in snake case, plural (`User` is `users`) |
/// | `rename_all` | `rename_all = "camelCase"` | stored names of every field (`lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`) |
/// | `hooks` | `hooks` | call the model's `impl Hooks` around single-row writes |
/// | `pk`, `sk` | `pk = "USER#{user_id}", sk = "ORDER#{id}"` | single-table design: the key rendered from templates of fields (no `primary_key` field then); `Key` lists those fields in order of first appearance, also given by name: `Order::key().user_id(..).id(..)` |
/// | `entity` | `entity = "Order"` | the entity type stored with a shared-table item (the struct name by default) |
/// | `pk_attribute`, `sk_attribute`, `entity_attribute` | `pk_attribute = "PK"` | the stored names of the rendered keys and of the entity type (`pk`, `sk`, `entity`) |
/// | `index(name, pk, sk)` | `index(name = "gsi1", pk = "ORDER#{id}", sk = "ORDER")` | an overloaded GSI rendered from templates, stored as `gsi1pk` / `gsi1sk` |
/// | `index(name, partition, sort)` | `index(name = "by_region", partition = ["region", "status"], sort = ["created_at"])` | a multi-attribute GSI key: up to 4 partition and 4 sort fields, stored as they are |
/// | `crate` | `crate = "db"` | the path of the runtime crate when the dependency is renamed (`db = { package = "dynamite-orm", .. }`); also on `derive(Attribute)` and `derive(Entities)` |
///
/// # Field options: `#[dynamite(...)]` on a field
///
/// | option | example | meaning |
/// |---|---|---|
/// | `primary_key` | `primary_key` | the partition key (string, number or `Bytes`) |
/// | `sort_key` | `sort_key` | the sort key; the model's `Key` is then `(partition, sort)`, also given by name: `Event::key().stream(..).seq(..)` |
/// | `index` | `index`, `index(name = "by_owner", sort_key = "created_at")` | a GSI on the field, optionally sorted by another field; named `<attribute>_index` by default, `<attribute>_<sort attribute>_index` with a `sort_key` and no `name` |
/// | `default` | `default = "customer"`, `default = 0`, `default = true`, `default = uuid`, `default = ulid`, `default = now`, `default = path::to_fn` | the value `create()` uses when the field is not set |
/// | `created_at` | `created_at` | stamped on create (`String`: ISO-8601 UTC; `i64`: epoch milliseconds; chrono / time / `SystemTime`) |
/// | `updated_at` | `updated_at` | stamped on create, `save`, `update`, soft delete and `restore` |
/// | `version` | `version` | optimistic locking on an integer field: a stale write is `Error::Conflict` |
/// | `unversioned` | `unversioned` | only `update()` actions change the field: `save` never writes it, and an update of such fields only neither checks nor bumps the `version` (not on keys, template fields, timestamps, `deleted_at`, `ttl`) |
/// | `deleted_at` | `deleted_at` | soft delete on an `Option` timestamp: `delete` stamps it, reads skip the row |
/// | `ttl` | `ttl` | the time-to-live field, stored as epoch seconds; rows past it are hidden from reads; in a shared table, per model (those with one agree on its name) |
/// | `rename` | `rename = "k"` | the stored attribute name |
/// | `skip` | `skip` | not stored; `Default` when read, not in the create builder |
/// | `validate` | `validate = check_email` | a `fn(&T) -> Result<(), E: Display>` run before every write, never on read |
/// | `not_empty` | `not_empty` | refuses empty or blank strings, empty collections and `None` before every write |
/// | `has_many` | `has_many(foreign_key = "user_id")`, `has_many(foreign_key = ["user_id", "order_id"])` | a `HasMany<T>` field: the children whose foreign key holds this row's key (`local_key = ".."` to refer to another field) |
/// | `has_many(through, far_key)` | `has_many(through = Enrollment, foreign_key = "student_id", far_key = "course_id")` | many-to-many through a junction model |
/// | `has_one` | `has_one(foreign_key = "user_id")` | a `HasOne<T>` field: the first child |
/// | `belongs_to` | `belongs_to(foreign_key = "user_id")` | a `BelongsTo<T>` field: the parent this row's foreign key names |
/// | `belongs_to(type_key, targets)` | `belongs_to(foreign_key = "commentable_id", type_key = "commentable_type", targets(Post = "post", Video = "video"))` | a polymorphic parent, loaded as a `#[derive(Entities)]` enum |
///
/// # Example
///
/// ```text
/// #[derive(Table, Debug, Clone)]
/// #[dynamite(table = "people", rename_all = "camelCase")]
/// pub struct User {
///     #[dynamite(primary_key, default = uuid)]
///     pub id: String,
///     #[dynamite(index, validate = check_email)]
///     pub email: String,
///     #[dynamite(version)]
///     pub version: u64,
///     #[dynamite(created_at)]
///     pub created_at: String,
///     #[dynamite(has_many(foreign_key = "user_id"))]
///     pub orders: HasMany<Order>,
/// }
/// ```
#[proc_macro_derive(Table, attributes(dynamite))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_table::derive(&input).into()
}

/// Derives `dynamite::Attribute` for a struct (stored as a map), a newtype
/// struct (stored as its inner value) or an enum (stored as a string, or
/// externally tagged when variants carry data).
#[proc_macro_derive(Attribute, attributes(dynamite))]
pub fn derive_attribute(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_attribute::derive(&input).into()
}

/// Derives `dynamite::Entities` for an enum with one variant per model of a
/// shared table (`enum UserItem { User(User), Order(Order) }`): a whole
/// partition read with `Partition::<UserItem>::of::<User>(key)` comes back
/// typed, each item as the variant its entity type names.
#[proc_macro_derive(Entities, attributes(dynamite))]
pub fn derive_entities(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_entities::derive(&input).into()
}

/// `#[dynamite::test]`: an async test on a fresh database (use it through
/// `dynamite::test`; its options are documented there). Expands to a plain
/// `#[test]` that runs the function through `dynamite::testing::Harness`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}
