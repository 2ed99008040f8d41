//! Writes: create, save, update, delete, and bulk writes.

mod bulk;
mod create;
pub(crate) mod key;
pub(crate) mod single;
mod update;

pub use bulk::BulkWrites;
pub use create::Create;
pub use key::{Key, KeyPart};
pub use single::ModelExt;
pub use update::Update;
