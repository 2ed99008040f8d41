//! Connection for the examples: the embedded engine, or `DYNAMITE_ENDPOINT`
//! (DynamoDB Local or any endpoint) with a table prefix unique to the run,
//! so reruns against a persistent server print the same.

use dynamite::DynamiteBuilder;
use dynamite_testkit::backend::{self, EXAMPLES_ENDPOINT_VAR};

/// The embedded engine, or the endpoint in `DYNAMITE_ENDPOINT` with a
/// fresh table prefix.
pub fn builder() -> DynamiteBuilder {
    backend::isolated(EXAMPLES_ENDPOINT_VAR, "example_")
}
