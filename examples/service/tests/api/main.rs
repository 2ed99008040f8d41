//! The example service's API tests, through tower's `oneshot`, on the
//! embedded engine or on `DYNAMITE_TEST_ENDPOINT`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

mod crud;
mod differential;
mod errors;
mod hot_queries;
mod isolation;
mod paging;
mod sessions;
mod transactions;
mod tree;
mod versions;
