//! The create builder's terminal step.

use std::future::Future;

use tracing::Instrument;

use crate::client::Dynamite;
use crate::error::Result;
use crate::model::Table;

/// A create builder with every required field set.
///
/// Implemented by the builders `#[derive(Table)]` generates; `exec` stores
/// the row with `attribute_not_exists` on its key, so an existing row is
/// never overwritten ([`crate::Error::AlreadyExists`]).
#[diagnostic::on_unimplemented(
    message = "required fields are missing from `{Self}`",
    label = "set every field without a default before `exec` / `build`",
    note = "a type parameter named `Missing<field>` marks each field still unset"
)]
pub trait Create: Sized + Send {
    /// The model built.
    type Model: Table;

    /// The model with defaults and timestamps filled in, not stored yet
    /// (for `put_many` / `create_many`).
    fn build(self) -> Self::Model;

    /// Stores the new row and returns it.
    fn exec(self, db: &Dynamite) -> impl Future<Output = Result<Self::Model>> + Send {
        let model = self.build();
        let span =
            crate::trace::operation_span!("dynamite.create", <Self::Model as Table>::META.model);
        async move { super::single::create(db, model).await }.instrument(span)
    }
}

/// A row to store: the model itself, or a create builder with every
/// required field set (`create_many` and `tx.create` take either, so no
/// `.build()` is needed).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// #[derive(Table, Debug, Clone)]
/// struct Tag {
///     #[dynamite(primary_key)]
///     name: String,
/// }
/// let db = Dynamite::embedded().table::<Tag>().build().await?;
/// db.sync().await?;
/// Tag::create_many(&db, [Tag::create().name("a"), Tag::create().name("b")]).await?;
/// let mut tx = db.transaction();
/// tx.create(Tag::create().name("c"));
/// tx.commit().await?;
/// assert_eq!(Tag::query().count(&db).await?, 3);
/// # Ok(())
/// # }
/// ```
pub trait IntoRow<T> {
    /// The row.
    fn into_row(self) -> T;
}

impl<T: Table> IntoRow<T> for T {
    fn into_row(self) -> T {
        self
    }
}
