//! Test support shared by Dynamite's integration tests, examples and
//! benchmark (not published):
//!
//! - [`backend`]: the embedded engine, or an endpoint named by an
//!   environment variable with a table prefix unique to the run;
//! - [`shop`]: the seed's e-commerce models and their dataset;
//! - [`faults`]: a loopback HTTP proxy that injects faults in front of a backend;
//! - [`export_corpus`]: schemas and table options for the export checks.

// Test support, used only by tests and the benchmark: a proxy that cannot
// bind its port is a failed test, so it may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![warn(missing_docs)]

pub mod backend;
pub mod export_corpus;
pub mod faults;
pub mod shop;
