//! # Moving to AWS
//!
//! ## Credentials and region
//!
//! [`Dynamite::from_env()`](crate::Dynamite::from_env) uses the AWS default
//! chain: environment variables, profiles, SSO, the instance or task role,
//! and the region from `AWS_REGION` or the profile.
//! [`Dynamite::builder()`](crate::Dynamite::builder) sets them by hand
//! (`.region(..)`, `.endpoint(..)`, `.credentials(..)`). A production build
//! can leave out the embedded engine:
//!
//! ```toml
//! dynamite-orm = { version = "0.1", default-features = false, features = ["derive", "serde"] }
//! ```
//!
//! ```no_run
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! pub struct Order {
//!     #[dynamite(primary_key, default = uuid)]
//!     pub id: String,
//!     pub total: f64,
//! }
//!
//! #[tokio::main]
//! async fn main() -> dynamite::Result<()> {
//!     let db = Dynamite::from_env()
//!         .table_prefix("prod_") // every table name starts with it: "prod_orders"
//!         .table::<Order>()
//!         .build()
//!         .await?;
//!     let plan = db.sync_plan().await?; // the dry run: nothing changes
//!     println!("{plan}");
//!     Ok(())
//! }
//! ```
//!
//! ## Table options
//!
//! `sync()` also manages billing, deletion protection, streams,
//! point-in-time recovery, time to live and tags, per table or as defaults
//! ([`table_options`](crate::table_options)). An option left unset is not
//! managed. `sync_plan()` lists each difference; `sync()` never makes a
//! change that would lose data or protection (turning a stream, recovery or
//! deletion protection off): those are reported in `SyncReport::withheld`.
//!
//! ```
//! use dynamite::prelude::*;
//! use dynamite::table_options::{Billing, StreamView, TableOptions};
//! # #[derive(Table, Debug, Clone)]
//! # pub struct Order {
//! #     #[dynamite(primary_key, default = uuid)]
//! #     pub id: String,
//! #     pub total: f64,
//! # }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded() // Dynamite::from_env() in production
//!     .table::<Order>()
//!     .default_table_options(TableOptions::new().tag("service", "shop"))
//!     .table_options::<Order>(
//!         TableOptions::new()
//!             .billing(Billing::on_demand())
//!             .deletion_protection(true)
//!             .stream(StreamView::NewAndOldImages),
//!     )
//!     .build()
//!     .await?;
//! let plan = db.sync_plan().await?;
//! assert!(!plan.is_empty()); // the table does not exist yet
//! db.sync().await?;
//! assert!(db.sync_plan().await?.is_empty()); // nothing left to change
//! # Ok(())
//! # }
//! ```
//!
//! ## The schema as infrastructure code
//!
//! `db.export(Format::CloudFormation)` and `db.export(Format::Terraform)`
//! ([`export::Format`](crate::export::Format)) write the tables `sync()`
//! would create (with the table prefix): keys, indexes, time to live, and
//! the table options. The text is byte-stable, so it can be committed and
//! diffed.
//!
//! ```
//! use dynamite::export::Format;
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # pub struct Order {
//! #     #[dynamite(primary_key, default = uuid)]
//! #     pub id: String,
//! #     pub total: f64,
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! let db = Dynamite::embedded().table_prefix("prod_").table::<Order>().build().await?;
//! let template = db.export(Format::CloudFormation)?;
//! assert!(template.contains("AWS::DynamoDB::Table"));
//! assert!(template.contains("prod_orders"));
//! let terraform = db.export(Format::Terraform)?;
//! assert!(terraform.contains("aws_dynamodb_table"));
//! # Ok(())
//! # }
//! ```
//!
//! [`dynamite::cli`](crate::cli) turns this into a command line of your own
//! (`plan --check`, `sync`, `export --format terraform`): build the handle
//! with your models in a binary, then hand over.
//!
//! ```no_run
//! # use dynamite::prelude::*;
//! # #[derive(Table, Debug, Clone)]
//! # pub struct Order {
//! #     #[dynamite(primary_key)]
//! #     pub id: String,
//! # }
//! // src/bin/schema.rs: `cargo run --bin schema -- plan --check`
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let db = Dynamite::from_env().table::<Order>().build().await.expect("connect");
//!     dynamite::cli::main(&db).await
//! }
//! ```
//!
//! ## IAM actions
//!
//! The actions Dynamite calls, on the tables it manages (`arn:aws:dynamodb:REGION:ACCOUNT:table/PREFIX*`
//! and their `/index/*`):
//!
//! | for | actions |
//! |---|---|
//! | reading | `dynamodb:GetItem`, `dynamodb:BatchGetItem`, `dynamodb:Query`, `dynamodb:Scan`, `dynamodb:DescribeTable` (includes size their child reads from it) |
//! | writing | `dynamodb:PutItem`, `dynamodb:UpdateItem`, `dynamodb:DeleteItem`, `dynamodb:BatchWriteItem`, `dynamodb:ConditionCheckItem` (transactions with condition checks) |
//! | transactions | `db.transaction()`, `create_many` and many-to-many set writes use TransactWriteItems: grant the write actions above; `db.transact_get()` needs `dynamodb:GetItem` |
//! | `sync_plan()` | `dynamodb:DescribeTable`, `dynamodb:DescribeTimeToLive`, `dynamodb:ListTagsOfResource`, `dynamodb:DescribeContinuousBackups` |
//! | `sync()` | the above plus `dynamodb:CreateTable`, `dynamodb:UpdateTable`, `dynamodb:UpdateTimeToLive`, `dynamodb:TagResource`, `dynamodb:UpdateContinuousBackups` |
//!
//! An application that never calls `sync()` (tables made by CloudFormation
//! or Terraform from the export) needs only the reading and writing rows.
//!
//! ## Retries
//!
//! The builder's `retry_mode`, `max_attempts` and
//! [`retry_budget`](crate::DynamiteBuilder::retry_budget) tune the SDK's
//! retries; `concurrency(n)` bounds the requests in flight (16 by default).
//! Throttling that outlasts the retries is `Error::Throttled`.
