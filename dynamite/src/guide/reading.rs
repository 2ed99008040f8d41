//! # Reading, and where each condition is evaluated
//!
//! - `T::get(&db, key)` is one GetItem; `T::get_many(&db, keys)` is
//!   BatchGetItem (100 keys a call, concurrent, input order kept). A key
//!   is the key field's value, a tuple of the key fields' values, or for a
//!   key of several fields the named key `Event::key().stream("s1").seq(4)`,
//!   which cannot swap its parts.
//! - `T::query()` describes a read: `.filter(..)`, `.order(Desc)`,
//!   `.order_by(col, Asc)`, `.limit(n)`, `.attributes(..)`,
//!   `.consistent()`; it sends nothing until a verb: `.all(&db)`,
//!   `.first(&db)`, `.last(&db)`, `.count(&db)`, `.stream(&db)`,
//!   `.page(&db, cursor)`. `.explain(&db)` prints the plan instead.
//! - Operators: `eq ne lt le gt ge between begins_with contains is_in exists
//!   not_exists size`, `is_none` / `is_some` on `Option` columns, combined
//!   with `and` / `or` / `not` or `&`, `|`, `!`.
//!
//! ```
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct Event {
//!     #[dynamite(primary_key)]
//!     stream: String,
//!     #[dynamite(sort_key)]
//!     seq: i64,
//!     kind: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Event>().build().await?;
//! db.sync().await?;
//! for seq in 1..=9 {
//!     let kind = if seq % 3 == 0 { "special" } else { "plain" };
//!     Event::create().stream("s1").seq(seq).kind(kind).exec(&db).await?;
//! }
//! let some = Event::get_many(&db, [("s1", 2), ("s1", 1)]).await?;
//! assert_eq!(some.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 1]);
//!
//! let last_three = Event::query()
//!     .filter(Event::STREAM.eq("s1"))
//!     .order(Desc)
//!     .limit(3)
//!     .all(&db)
//!     .await?;
//! assert_eq!(last_three.iter().map(|e| e.seq).collect::<Vec<_>>(), [9, 8, 7]);
//!
//! let specials = Event::query()
//!     .filter(Event::STREAM.eq("s1") & Event::KIND.eq("special"))
//!     .count(&db)
//!     .await?;
//! assert_eq!(specials, 3);
//! # Ok(())
//! # }
//! ```
//!
//! ## Where each condition is evaluated
//!
//! Every read goes through one planner. It picks the access path, then
//! splits the filter's top-level `AND` into three parts:
//!
//! | part | what goes there | evaluated by |
//! |---|---|---|
//! | key condition | partition key `=` and ONE sort-key condition of the table or index read | DynamoDB (KeyConditionExpression), or the key of a GetItem / BatchGetItem |
//! | server filter | every other condition a FilterExpression accepts | DynamoDB (FilterExpression) |
//! | residual | the rest: a second sort-key bound, `ne` / `is_in` / `or` on a key attribute, the whole filter of a GetItem / BatchGetItem | Dynamite, in memory, with DynamoDB's semantics |
//!
//! Access paths, cheapest first: full key `eq` → GetItem; a list of keys →
//! BatchGetItem; a partition pinned → Query (of the table or an index);
//! `is_in` on a partition key → one Query per value, concurrent (on fields
//! of a shared table's partition template, one per rendered partition; a
//! list of full keys, one BatchGetItem per 100 keys; at most 100 requests
//! by default, `max_is_in_queries(n)` on the handle builder, beyond that
//! `Error::FanOutLimit` before sending); otherwise Scan. Key values
//! DynamoDB cannot store (empty, past 2,048 bytes in a partition key or
//! 1,024 in a sort key) are never sent: `=` / `is_in` of one matches
//! nothing, a range bound past the cap is evaluated in memory. Among the
//! table's partition and every index whose partition the filter pins, the
//! planner ranks (from the filter and the declared schema only, never from
//! data): a path giving the asked `order` natively first, one partition
//! over several, more key fields pinned, an exact sort key over a range or
//! prefix over none, the table over an index, then the first declared.
//! `explain()` prints the key condition, `filter` and `filter in memory`:
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct Event {
//! #     #[dynamite(primary_key)]
//! #     stream: String,
//! #     #[dynamite(sort_key)]
//! #     seq: i64,
//! #     kind: String,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table::<Event>().build().await?;
//! let explain = |q: dynamite::Query<Event>| q.explain(&db).to_string();
//!
//! assert_eq!(
//!     explain(Event::query().filter(Event::STREAM.eq("s1") & Event::SEQ.eq(4))),
//!     "GetItem events key {seq: 4, stream: \"s1\"}"
//! );
//! assert_eq!(
//!     explain(Event::query().filter(Event::STREAM.eq("s1") & Event::SEQ.between(10, 19))),
//!     "Query events key (stream = \"s1\" AND seq BETWEEN 10 AND 19)"
//! );
//! // Two bounds on the sort key: one goes to the key condition, the other
//! // is checked in memory.
//! assert_eq!(
//!     explain(Event::query().filter(Event::STREAM.eq("s1") & Event::SEQ.gt(1) & Event::SEQ.lt(5))),
//!     "Query events key (stream = \"s1\" AND seq > 1) filter in memory seq < 5"
//! );
//! assert_eq!(
//!     explain(Event::query().filter(Event::STREAM.eq("s1") & Event::KIND.eq("special")).limit(5)),
//!     "Query events key stream = \"s1\" filter kind = \"special\" limit 5"
//! );
//! assert_eq!(
//!     explain(Event::query().filter(Event::KIND.eq("special"))),
//!     "Scan events filter kind = \"special\""
//! );
//! # Ok(())
//! # }
//! ```
//!
//! The in-memory evaluator follows DynamoDB exactly: an absent attribute, a
//! NULL or a type mismatch makes every comparison false except `<>`; numbers
//! compare by exact decimal value; `size` counts UTF-16 code units.
//!
//! Rules that keep every plan's answer equal:
//!
//! - **Sparse indexes.** An index is used only when the filter implies each
//!   of its key attributes exists (an `Option` key field makes it sparse);
//!   of an overloaded index, every field of its templates. Conditions the
//!   planner renders itself (a literal partition, a sort prefix) prove
//!   nothing and never filter rows; `explain()` names a sparse index the
//!   filter pins but cannot read.
//! - **Consistency.** `.consistent()` chooses among the table's paths; a
//!   filter only an index's partition serves (only a Scan of the table
//!   would be left), or a hint naming an index, is
//!   `Error::ConsistentIndexRead`, never silently weakened.
//! - **Order.** `order(dir)` orders by the sort key; `order_by(col, dir)` on
//!   another attribute sorts in memory, ties broken by key.
//! - **Limits bound the reading.** Pages stop once enough rows matched.
//!
//! ## Choosing the path yourself, and refusing whole reads
//!
//! `{:#}` on an `explain()` adds why the path was chosen and why each other
//! one was rejected. `.index(..)` forces a declared index (the derive
//! generates one `IndexRef` constant per index, named like it) or, with
//! `IndexRef::table()`, the table; an index that cannot answer the filter
//! is `Error::IndexUnusable` before sending, never a Scan. `.strict()` (or
//! `strict(true)` on the handle builder, for every query) refuses, before
//! sending, every Scan and every Query that reads a whole partition only
//! to filter it. `update_where(..).strict()` and `delete_where(..).strict()`
//! select their rows under the same rule; include levels follow the root
//! query's (or the handle's) strictness and then never Scan a child table:
//!
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::IndexRef;
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(index(name = "by_assignee", partition = ["tenant_id", "assignee"], sort = "id"))]
//! struct Task {
//!     #[dynamite(primary_key)]
//!     tenant_id: String,
//!     #[dynamite(sort_key)]
//!     id: String,
//!     assignee: String,
//!     done: bool,
//! }
//!
//! let db = Dynamite::embedded().table::<Task>().build().await?;
//! db.sync().await?;
//! let mine = || Task::query().filter(Task::TENANT_ID.eq("t1") & Task::ASSIGNEE.eq("ann"));
//! let explain = mine().explain(&db);
//! assert_eq!(
//!     explain.root(),
//!     "Query tasks index by_assignee key (tenant_id = \"t1\" AND assignee = \"ann\")"
//! );
//! assert_eq!(
//!     explain.paths[0],
//!     "chosen: index by_assignee (one partition, 2 key field(s) pinned [tenant_id, assignee], \
//!      no sort-key condition)"
//! );
//! // The whole tenant, read to filter on `assignee`:
//! let whole = mine().index(IndexRef::table());
//! assert!(whole.clone().strict().all(&db).await.unwrap_err().is_strict_read());
//! assert!(whole.all(&db).await?.is_empty());
//! // The index pins every condition: strict accepts it.
//! assert!(mine().strict().all(&db).await?.is_empty());
//! // An index that cannot serve the filter: an error, nothing sent.
//! let err = Task::query().filter(Task::DONE.eq(true)).index(Task::BY_ASSIGNEE).all(&db).await;
//! assert!(err.unwrap_err().is_index_unusable());
//! # Ok(())
//! # }
//! ```
//!
//! ## Pages and cursors
//!
//! `.page(&db, cursor)` returns a [`Page`](crate::Page) `{ items, next,
//! previous }`. A cursor is opaque, carries a fingerprint of its query (any
//! other query refuses it with `Error::InvalidCursor`), and never skips or
//! repeats rows, filters included. `previous` walks back.
//!
//! ```
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # struct Event {
//! #     #[dynamite(primary_key)]
//! #     stream: String,
//! #     #[dynamite(sort_key)]
//! #     seq: i64,
//! #     kind: String,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! # let db = Dynamite::embedded().table::<Event>().build().await?;
//! # db.sync().await?;
//! # for seq in 1..=9 {
//! #     Event::create().stream("s1").seq(seq).kind("plain").exec(&db).await?;
//! # }
//! let q = || Event::query().filter(Event::STREAM.eq("s1")).limit(4);
//! let first = q().page(&db, None).await?;
//! let second = q().page(&db, first.next.as_ref()).await?;
//! assert_eq!(second.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6, 7, 8]);
//! let back = q().page(&db, second.previous.as_ref()).await?;
//! assert_eq!(back.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
//! assert!(back.previous.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! ### Cursors over HTTP
//!
//! [`Page`](crate::Page) and [`Cursor`](crate::Cursor) implement serde's
//! `Serialize` / `Deserialize` (the `serde` feature, on by default; with
//! `default-features = false` add `features = ["serde"]`): a page is
//! `{"items": [...], "next": "...", "previous": null}`, a cursor is its
//! string. Send `next` to the client, take it back as a query parameter,
//! and hand it to the same query: `Cursor::parse(text)` or serde both
//! accept any string; it is checked when used.
//!
//! What a cursor holds: the position to resume at (the key attributes of
//! the last row returned, an offset into a key list, one position per
//! partition for `is_in`) and a fingerprint of its query. **Without
//! secrets a cursor is readable base64 JSON: it shows the raw key values
//! of a row the caller received** (tenant id, row id). It never holds a row
//! the caller did not receive: a page of a filtered read ends after its
//! last returned row, not at DynamoDB's `LastEvaluatedKey` (which can be a
//! row the filter excluded, another tenant's); the next page then re-reads
//! at most one DynamoDB page (1 MB) of excluded rows, and a page that
//! would return nothing reads on until a row matches or the read ends.
//!
//! The position is the key attributes of the last row returned: the
//! table's keys, plus the index keys of an index read, plus the sort value
//! of a read sorted in memory (`order_by` a non-key field). They are
//! fetched even when `attributes(..)` projects them away (and stripped
//! from the rows), and the next page starts strictly after that (sort
//! value, key), so rows deleted or changed between pages never make it
//! skip one. **A plain cursor never holds a `Sensitive` value**: a read
//! whose position would include one (a sensitive key, a key rendered from
//! a sensitive field such as `pk = "USER#{email}"`, a sensitive index key
//! or `order_by` field) is `Error::Config` on `page()` without secrets,
//! before anything is sent (decided from the query, not the data): give
//! the handle `cursor_secrets`, or read with `all()` / `stream()`. The
//! fingerprint of a plain cursor is unkeyed, so it leaves out the values
//! of `Sensitive` fields of the filter (it cannot be inverted to guess
//! them); a sealed cursor binds every value.
//!
//! With [`cursor_secrets`](crate::DynamiteBuilder::cursor_secrets) cursors
//! are sealed: XChaCha20-Poly1305 (authenticated encryption) with a random
//! nonce and the query's structural fingerprint as associated data. A
//! sealed cursor shows nothing, cannot be altered, and opens only for the
//! query that made it; it may resume at DynamoDB's own position (no
//! re-reading). List the current secret first and the previous ones after
//! it: cursors sealed under any listed secret keep working across a key
//! rotation; one sealed under a secret no longer listed is
//! `InvalidCursor`. `cursor_secrets` given an empty list is
//! `Error::Config` at `build()`: it fails closed, never plain cursors
//! because a secrets manager returned nothing.
//!
//! Errors, all `Error::InvalidCursor` (a client error: answer 400), before
//! any request is sent: a string that is no cursor; a cursor of another
//! query (another filter, order, projection, key list or partition); a
//! start key that does not fit the query (another partition, attributes of
//! another table or index, wrong types, extra attributes, outside the sort
//! key range); a plain cursor given to a handle with secrets, a sealed one
//! to a handle without; a sealed cursor altered or sealed under an unlisted
//! secret. Filters built from client input are bounded too: a condition
//! nesting deeper than [`MAX_CONDITION_DEPTH`](crate::expr::MAX_CONDITION_DEPTH)
//! levels of `and` / `or` / `not` is `Error::InvalidValue` on every
//! terminal, and values that look like placeholders (`":v0"`) are plain
//! values. Building `a & b & c ...` or calling `.filter()` n times costs
//! O(n) (one flat `AND`). DynamoDB refuses an expression over 4 KB, with
//! more than 300 operators and functions, or whose values total over
//! 2 MB: a read never sends such a FilterExpression (an `is_in` of more
//! than 100 values becomes an `OR` of `IN`s; conjuncts that do not fit
//! are evaluated in memory, with DynamoDB's semantics, so the answer is
//! the same and only the transfer grows), while a write whose condition
//! or update would pass them (`condition(..)`, `update_where`,
//! `delete_where`, a transaction's `condition_check`) is
//! `Error::Validation` before anything is sent.
//!
//! ```
//! # use dynamite::prelude::*;
//! # use dynamite::{Cursor, Page};
//! # #[derive(Table, Debug, Clone, serde::Serialize, serde::Deserialize)]
//! # struct Event {
//! #     #[dynamite(primary_key)]
//! #     stream: String,
//! #     #[dynamite(sort_key)]
//! #     seq: i64,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded()
//!     .cursor_secrets([[42u8; 32]]) // from a secrets manager, current first
//!     .table::<Event>()
//!     .build()
//!     .await?;
//! # db.sync().await?;
//! # for seq in 1..=3 {
//! #     Event::create().stream("s1").seq(seq).exec(&db).await?;
//! # }
//! let q = || Event::query().filter(Event::STREAM.eq("s1")).limit(2);
//! let body = serde_json::to_string(&q().page(&db, None).await?).unwrap();
//! // ... the client sends `next` back:
//! let page: Page<Event> = serde_json::from_str(&body).unwrap();
//! let next: Option<Cursor> = page.next;
//! let rest = q().page(&db, next.as_ref()).await?;
//! assert_eq!(rest.items.len(), 1);
//! let forged = Cursor::parse("eyJmIjoiMCJ9");
//! assert!(q().page(&db, Some(&forged)).await.unwrap_err().is_invalid_cursor());
//! # Ok(())
//! # }
//! ```
//!
//! A [`Partition`](crate::Partition) read (every model of one partition of
//! a shared table) filters, orders, limits, pages and streams the same way.
//!
//! ## Projections
//!
//! `.attributes((Event::SEQ, Event::KIND))` returns
//! [`Projected`](crate::Projected) rows with typed getters. A projected row
//! is not a model: it has no `save`, so its unfetched attributes can never
//! overwrite stored data.
//!
//! Next: [Includes](super::includes).
