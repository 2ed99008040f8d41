//! Writes: create, save, update, delete, and bulk writes.

mod bulk;
pub(crate) mod cancel;
mod create;
mod evidence;
mod exact;
mod explain;
mod failure;
pub(crate) mod key;
mod reindex;
mod set_based;
pub(crate) mod single;
mod transaction;
mod update;

pub use bulk::BulkWrites;
pub use create::{Create, IntoRow};
pub use key::{IntoKey, KeyPart};
pub use set_based::{DeleteWhere, SetWrites, UpdateWhere};
pub use single::ModelExt;
pub use transaction::{
    Committed, MAX_TRANSACTION_ITEMS, TransactGet, TransactGetRows, Transaction,
};
pub use update::Update;
