//! The Dynamite guide: from a first model to production tables on AWS.
//!
//! Every example in these chapters is a doc-test: it runs on the embedded
//! engine ([`Dynamite::embedded()`](crate::Dynamite::embedded)) under
//! `cargo test --doc`, so what you read here is what the library does.
//! Examples that need an AWS account are compiled, not run.
//!
//! Read in order the first time:
//!
//! 1. [Getting started](getting_started): a model, a table, a write and a read.
//! 2. [Models and attributes](models): every `#[dynamite(...)]` option, keys,
//!    indexes, defaults, timestamps, time to live, relations.
//! 3. [Reading](reading): `get`, queries, and where each condition is
//!    evaluated (key condition, server filter, in memory), shown by `explain()`.
//! 4. [Includes](includes): loading object graphs, round by round, and their
//!    request plans.
//! 5. [Writing and consistency](writing): creates that never overwrite,
//!    updates, optimistic locking, soft delete, validation, transactions.
//! 6. [Single-table design](single_table): several models in one table, key
//!    templates, one Query for a whole object graph.
//! 7. [Testing](testing): `#[dynamite::test]`, fixtures, seeds and
//!    snapshots, metrics and plans in tests.
//! 8. [Coming from the TypeScript library](from_typescript): the same
//!    concepts, side by side.
//! 9. [Moving to AWS](aws): credentials, table prefixes, `sync_plan`, the
//!    schema as CloudFormation or Terraform, table options, IAM actions.
//! 10. [Errors in a service](errors): `Error::kind()` for a status,
//!     `public_message()` for the client, typed transaction failures.

pub mod aws;
pub mod errors;
pub mod from_typescript;
pub mod getting_started;
pub mod includes;
pub mod models;
pub mod reading;
pub mod single_table;
pub mod testing;
pub mod writing;
