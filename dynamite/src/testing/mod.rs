//! Test support: [`#[dynamite::test]`](crate::test)'s runtime, fixtures,
//! and snapshots of embedded databases.
//!
//! - [`Harness`] runs one test: a fresh handle (an in-memory embedded
//!   database, or a unique table prefix on [`TEST_ENDPOINT_VAR`] whose
//!   tables are deleted afterwards), synced, seeded, with fixtures loaded.
//!   `#[dynamite::test]` expands to a plain `#[test]` calling it.
//! - [`Fixtures`] loads JSON files of model rows (and raw items).
//! - [`Snapshot`] copies an embedded database, for [`Dynamite::restore`](crate::Dynamite::restore).
//!
//! The guide's chapter [Testing](crate::guide::testing) shows them in use.

mod cleanup;
#[cfg(feature = "serde")]
mod dynamodb_json;
#[cfg(feature = "serde")]
mod fixtures;
mod harness;
mod outcome;
pub(crate) mod row_defaults;
#[cfg(feature = "embedded")]
mod seed;
#[cfg(feature = "embedded")]
mod snapshot;

#[cfg(feature = "serde")]
pub use fixtures::{Fixtures, RAW_ITEMS};
pub use harness::{Flavor, Harness, TEST_ENDPOINT_VAR, runtime};
pub use outcome::TestResult;
#[cfg(feature = "embedded")]
pub use snapshot::Snapshot;
