use std::sync::atomic::{AtomicUsize, Ordering};

use dynamite::{Dynamite, DynamiteBuilder};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The endpoint under test, if not the embedded engine.
pub fn endpoint() -> Option<String> {
    std::env::var("DYNAMITE_TEST_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
}

/// A builder for an isolated backend: a fresh embedded engine, or a unique
/// table prefix on the shared endpoint.
pub fn builder() -> DynamiteBuilder {
    match endpoint() {
        Some(url) => {
            let n = COUNTER.fetch_add(1, Ordering::SeqCst);
            let run = uuid::Uuid::new_v4().simple().to_string();
            Dynamite::builder()
                .endpoint(url)
                .region("us-east-1")
                .credentials("test", "test")
                .table_prefix(format!("t{}_{n}_", &run[..8]))
        }
        None => Dynamite::embedded(),
    }
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
