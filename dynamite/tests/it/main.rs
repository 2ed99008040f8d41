//! Integration tests: run on the embedded engine, or against DynamoDB Local
//! (or any endpoint) when `DYNAMITE_TEST_ENDPOINT` is set. Every test gets
//! its own engine or its own table prefix.

// Tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod bulk;
mod cancellations;
mod common;
mod convergence;
mod crud;
mod cursors;
mod declarations;
mod differential;
mod export;
mod faults;
mod foreign;
mod hooks;
mod include_projection;
mod index_choice;
mod index_kinds;
mod key_limits;
mod locking;
mod many_to_many;
mod models;
mod multi_key;
mod named_keys;
mod nested_collections;
mod paging_backward;
mod placeholders;
mod polymorphic;
mod query;
mod read_engine;
mod regressions;
mod relations;
mod retries;
mod review19_cursors;
mod review19_reads;
mod review_reads;
mod review_rev_writes;
mod review_ttl;
mod review_writes;
mod safety_models;
mod schema;
#[cfg(feature = "serde")]
mod sensitive;
mod serde_graph;
mod shop;
mod single_table;
mod single_table_differential;
mod soak;
mod soft_delete;
mod table_options;
mod template_is_in;
mod transactions;
mod transport_equivalence;
mod ttl;
mod ttl_shared;
mod validation;
mod values;
mod values_exact;
mod versions;
mod write_sequences;
mod writes_truth;
