//! The create builder's terminal step.

use std::future::Future;

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
        async move { super::single::create(db, model).await }
    }
}
