use dynamite::{Dynamite, DynamiteBuilder};
use dynamite_testkit::backend::{self, TEST_ENDPOINT_VAR};

/// The endpoint under test, if not the embedded engine.
pub fn endpoint() -> Option<String> {
    backend::endpoint_from(TEST_ENDPOINT_VAR)
}

/// A builder for an isolated backend: a fresh embedded engine, or a unique
/// table prefix on the shared endpoint.
pub fn builder() -> DynamiteBuilder {
    backend::isolated(TEST_ENDPOINT_VAR, "t")
}

/// An isolated handle with every test model registered and synced, metrics reset.
pub async fn db() -> Dynamite {
    let db = crate::models::register(builder())
        .build()
        .await
        .expect("build the handle");
    db.sync().await.expect("sync the schema");
    db.metrics().reset();
    db
}

/// A seeded (ChaCha), shrinking property runner of `DYNAMITE_CASES` cases,
/// `default` when the variable is unset.
pub fn seeded_runner(default: u32) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let cases = std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}
