//! Connection for the examples: the embedded engine, or `DYNAMITE_ENDPOINT`
//! (DynamoDB Local or any endpoint) with a table prefix unique to the run,
//! so reruns against a persistent server print the same.

use dynamite::{Dynamite, DynamiteBuilder};
use dynamite_testkit::backend::{self, EXAMPLES_ENDPOINT_VAR};

/// Connects with `register`ed models, creates the tables, and runs `run`,
/// printing what it wrote.
pub async fn main_with<F, Fut>(
    register: fn(DynamiteBuilder) -> DynamiteBuilder,
    run: F,
) -> dynamite::Result<()>
where
    F: FnOnce(Dynamite) -> Fut,
    Fut: std::future::Future<Output = dynamite::Result<String>>,
{
    let db = register(backend::isolated(EXAMPLES_ENDPOINT_VAR, "example_"))
        .build()
        .await?;
    db.sync().await?;
    let out = run(db).await?;
    print!("{out}");
    Ok(())
}
