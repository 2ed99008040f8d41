//! The schema as a command line of your own: `plan`, `sync`, and `export`
//! as CloudFormation or Terraform, for models with a TTL and production
//! table options.
//!
//! ```text
//! cargo run --example schema -- plan
//! cargo run --example schema -- export --format terraform
//! DYNAMITE_ENDPOINT=http://127.0.0.1:8000 cargo run --example schema -- sync
//! ```
//!
//! Without `DYNAMITE_ENDPOINT` it runs on a fresh embedded engine, so
//! `plan` always shows every table as new.

use std::process::ExitCode;
use std::time::SystemTime;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;
use dynamite::table_options::{Billing, StreamView, TableOptions};

/// A login session, deleted by DynamoDB some time after it expires (and
/// hidden from reads as soon as it has).
#[derive(Table, Debug, Clone)]
pub(crate) struct Session {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    #[dynamite(index)]
    pub(crate) user_id: String,
    #[dynamite(ttl)]
    pub(crate) expires_at: SystemTime,
}

/// Orders: a stream for the fulfilment service, point-in-time recovery,
/// and protection against deleting the table.
#[derive(Table, Debug, Clone)]
pub(crate) struct Order {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    #[dynamite(index)]
    pub(crate) user_id: String,
    pub(crate) total: f64,
}

/// The models and the options of their tables.
pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Session>()
        .table::<Order>()
        .default_table_options(TableOptions::new().tag("service", "shop"))
        .table_options::<Order>(
            TableOptions::new()
                .billing(Billing::on_demand().max_throughput(2_000, 1_000))
                .deletion_protection(true)
                .stream(StreamView::NewAndOldImages)
                .point_in_time_recovery(true),
        )
}

#[tokio::main]
async fn main() -> ExitCode {
    let builder = match std::env::var("DYNAMITE_ENDPOINT") {
        Ok(url) => Dynamite::builder()
            .endpoint(url)
            .credentials("local", "local"),
        Err(_) => Dynamite::embedded(),
    };
    match register(builder).build().await {
        Ok(db) => dynamite::cli::main(&db).await,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
