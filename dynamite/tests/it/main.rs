//! Integration tests: run on the embedded engine, or against DynamoDB Local
//! (or any endpoint) when `DYNAMITE_TEST_ENDPOINT` is set. Every test gets
//! its own engine or its own table prefix.

mod bad_input;
mod bulk;
mod common;
mod crud;
mod declarations;
mod differential;
mod faults;
mod hooks;
mod locking;
mod models;
mod placeholders;
mod query;
mod read_engine;
mod regressions;
mod relations;
mod safety_models;
mod schema;
mod shop;
mod soft_delete;
mod transactions;
mod validation;
mod values;
mod writes_truth;
