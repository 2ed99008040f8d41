//! Benchmarks of Dynamite.
//!
//! - `dynamite-bench ecommerce`: the e-commerce workload (seeding and the
//!   include queries Q6–Q10) on the embedded engine or any endpoint, with
//!   requests by operation, rounds, items read and returned, consumed
//!   capacity and wall time.
//! - `dynamite-bench compare`: scale 100 against scale 1,000, interleaved.
//! - `dynamite-bench projects`: tenants -> projects -> tasks -> comments in
//!   one shared table (nested collections read by their project's prefix).
//! - `dynamite-bench transport`: the embedded engine without a socket
//!   against the same engine over loopback HTTP (GetItem, Q6, Q9).
//! - `--baseline sdk` (ecommerce, projects): every query against the same
//!   requests written by hand with the SDK: answers and requests checked
//!   equal, client CPU per execution and wall time compared.
//! - `cargo bench -p dynamite-bench --bench micro`: marshalling against
//!   hand-written code and `serde_dynamo`, and the embedded GetItem round trip.
//!
//! See `docs/performance.md` for the measured numbers.

// The measuring tool is not published: its items are documented where it
// helps, not item by item.
#![allow(missing_docs)]

pub mod baseline;
pub mod compare;
pub mod micro;
pub mod projects;
pub mod report;
pub mod single;
pub mod transport;
pub mod workload;

/// The e-commerce models and dataset, shared with the integration tests.
pub use dynamite_testkit::shop;
