//! Which backend a test, an example or the benchmark talks to: the
//! embedded engine, or an endpoint (DynamoDB Local or any other) with
//! region `us-east-1` and static test credentials.

use std::sync::atomic::{AtomicUsize, Ordering};

use dynamite::table_options::TableOptions;
use dynamite::{Dynamite, DynamiteBuilder};

/// The variable naming the integration tests' endpoint.
pub const TEST_ENDPOINT_VAR: &str = "DYNAMITE_TEST_ENDPOINT";

/// The variable naming the examples' endpoint.
pub const EXAMPLES_ENDPOINT_VAR: &str = "DYNAMITE_ENDPOINT";

/// The region of every endpoint backend.
pub const REGION: &str = "us-east-1";

/// The static credentials of every endpoint backend (DynamoDB Local accepts any).
pub const CREDENTIALS: (&str, &str) = ("test", "test");

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The endpoint in the environment variable `var`, if set and not empty.
pub fn endpoint_from(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|e| !e.is_empty())
}

/// A builder for the endpoint `url`: region [`REGION`], [`CREDENTIALS`], no table prefix.
pub fn remote(url: impl Into<String>) -> DynamiteBuilder {
    Dynamite::builder()
        .endpoint(url)
        .region(REGION)
        .credentials(CREDENTIALS.0, CREDENTIALS.1)
}

/// A builder for `endpoint` (see [`remote`]), or for a fresh in-memory
/// embedded engine when `None`; no table prefix.
pub fn builder(endpoint: Option<&str>) -> DynamiteBuilder {
    match endpoint {
        Some(url) => remote(url),
        None => Dynamite::embedded(),
    }
}

/// A table prefix no other run or call shares: `tag`, 8 random hex
/// digits, then a counter of this process, e.g. `t1a2b3c4d_0_`.
pub fn unique_prefix(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let run = uuid::Uuid::new_v4().simple().to_string();
    format!("{tag}{}_{n}_", &run[..8])
}

/// An isolated backend: a fresh embedded engine, or, when the variable
/// `var` names an endpoint, that endpoint with a [`unique_prefix`] of `tag`.
///
/// On an endpoint, `sync()` does not enable TTL unless a test asks
/// (`time_to_live(true)` in its options): every test's tables stay on the
/// one DynamoDB Local of the run, and DynamoDB Local 3.3.1 stops building
/// indexes added to existing tables (they stay CREATING) once 8 of its
/// tables have TTL on. Reads hide expired rows either way.
pub fn isolated(var: &str, tag: &str) -> DynamiteBuilder {
    match endpoint_from(var) {
        Some(url) => remote(url)
            .table_prefix(unique_prefix(tag))
            .default_table_options(TableOptions::new().time_to_live(false)),
        None => Dynamite::embedded(),
    }
}
