//! Lifecycle hooks: `#[dynamite(hooks)]` on a model plus `impl Hooks for Model`.
//!
//! Every method has a no-op default, so an impl lists only the hooks it needs.
//! Without `#[dynamite(hooks)]` no hook runs and no impl is needed.
//!
//! | write | hooks |
//! |---|---|
//! | `create().exec` | `before_create`, `after_create` |
//! | `save`, `update().exec` | `before_update`, `after_update` |
//! | `delete` (soft or not), `delete_key`, `force_delete`, `force_delete_key` | `before_delete`, `after_delete` |
//! | `restore` | `before_update`, `after_update` |
//! | transactions | the before-hooks of every operation run at `commit`, before anything is sent; the after-hooks run only once the commit succeeded |
//! | `put_many`, `create_many`, `delete_many`, `delete_rows_many`, `update_where`, `delete_where` | none (bulk writes run validation, never hooks) |
//!
//! A before-hook returning an error vetoes the write: nothing is sent and the
//! error is returned. An after-hook's error is returned too, but the write
//! has happened.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::prelude::*;
//! #[derive(Table, Debug, Clone)]
//! #[dynamite(hooks)]
//! struct Note {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     text: String,
//! }
//! impl Hooks for Note {
//!     async fn before_create(&mut self) -> dynamite::Result<()> {
//!         if self.text.contains("secret") {
//!             return Err(dynamite::Error::InvalidRequest("no secrets".into()));
//!         }
//!         self.text = self.text.trim().to_owned(); // what the hook sets is stored
//!         Ok(())
//!     }
//! }
//! let db = Dynamite::embedded().table::<Note>().build().await?;
//! db.sync().await?;
//! assert!(Note::create().id("n1").text("a secret").exec(&db).await.is_err());
//! assert!(Note::get(&db, "n1").await?.is_none());
//! let note = Note::create().id("n2").text("  hi  ").exec(&db).await?;
//! assert_eq!(note.text, "hi");
//! # Ok(())
//! # }
//! ```

use std::future::Future;

pub use crate::changes::Changes;
use crate::error::Result;
use crate::model::Table;
use crate::value::Item;

/// Lifecycle hooks of a model (see the [module docs](self) for which writes
/// run them). `key` is the row's key; `row` is the row when the write has
/// it (`save`, `row.update()`, `row.delete()`), `None` for writes by key and
/// inside transactions.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has `#[dynamite(hooks)]` but does not implement `Hooks`",
    label = "`#[dynamite(hooks)]` calls `impl Hooks for {Self}`",
    note = "add `impl dynamite::Hooks for {Self} {{}}` with the hooks you need (each has a no-op default), or remove `#[dynamite(hooks)]`"
)]
pub trait Hooks: Table {
    /// Before a row is created; an error vetoes it. The hook may change the
    /// row (fill a slug, normalise a field): what it leaves is what is
    /// validated and stored, in a transaction too (its key excepted there).
    fn before_create(&mut self) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
    /// After a row was created.
    fn after_create(&self) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
    /// Before `save` / `update()` / `restore`; an error vetoes it. `row` is
    /// the row the write starts from, when it has one; `changes` what the
    /// write will change, so a hook can veto or log by attribute.
    fn before_update(
        key: &Item,
        row: Option<&Self>,
        changes: &Changes,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row, changes);
        async { Ok(()) }
    }
    /// After `save` / `update()`; `row` is the row as stored (`None` in a transaction).
    fn after_update(key: &Item, row: Option<&Self>) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row);
        async { Ok(()) }
    }
    /// Before a delete (soft or not); an error vetoes it.
    fn before_delete(key: &Item, row: Option<&Self>) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row);
        async { Ok(()) }
    }
    /// After a delete (soft or not).
    fn after_delete(key: &Item, row: Option<&Self>) -> impl Future<Output = Result<()>> + Send {
        let _ = (key, row);
        async { Ok(()) }
    }
}
