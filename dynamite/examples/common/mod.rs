//! Connection for the examples: the embedded engine, or `DYNAMITE_ENDPOINT`
//! (DynamoDB Local or any endpoint) with a table prefix unique to the run,
//! so reruns against a persistent server print the same.

use dynamite::{Dynamite, DynamiteBuilder};

/// A builder for the examples' backend.
pub fn backend() -> DynamiteBuilder {
    match std::env::var("DYNAMITE_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            Dynamite::builder()
                .region("us-east-1")
                .endpoint(endpoint)
                .credentials("test", "test")
                .table_prefix(format!("example_{:x}_", nanos & 0xffff_ffff_ffff))
        }
        _ => Dynamite::embedded(),
    }
}

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
    let db = register(backend()).build().await?;
    db.sync().await?;
    let out = run(db).await?;
    print!("{out}");
    Ok(())
}
