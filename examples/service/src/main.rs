//! Runs the service: `cargo run -p dynamite-example-service` on the
//! embedded engine, or with `DYNAMITE_ENDPOINT=http://127.0.0.1:8000`
//! against DynamoDB Local; `DYNAMITE_AWS=1` uses the AWS default chain.
//! Listens on `SERVICE_ADDR` (default `127.0.0.1:3000`).
//! `SERVICE_CURSOR_SECRETS` (comma-separated, current first, each at
//! least 32 bytes) seals page cursors: clients then see no key, and
//! cursors survive a rotation while the old secret is still listed.

use dynamite::Dynamite;
use dynamite_example_service::{app, models};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let builder = match std::env::var("DYNAMITE_ENDPOINT") {
        Ok(url) if !url.is_empty() => Dynamite::builder()
            .endpoint(url)
            .region("us-east-1")
            .credentials("test", "test"),
        _ if std::env::var("DYNAMITE_AWS").is_ok_and(|v| v == "1") => Dynamite::from_env(),
        _ => Dynamite::embedded(),
    };
    let builder = match std::env::var("SERVICE_CURSOR_SECRETS") {
        Ok(secrets) if !secrets.is_empty() => builder.cursor_secrets(secrets.split(',')),
        _ => {
            eprintln!("SERVICE_CURSOR_SECRETS is not set: page cursors show raw keys");
            builder
        }
    };
    let db = models::register(builder).build().await?;
    db.sync().await?;
    let addr = std::env::var("SERVICE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr} (send `x-tenant-id` with every request)");
    axum::serve(listener, app(db)).await?;
    Ok(())
}
