//! # Errors in a service
//!
//! Every failure is one [`Error`](crate::Error) value. A service needs
//! three things from it: what to answer (a status), what the client may
//! read, and what goes to the log.
//!
//! - [`Error::kind`](crate::Error::kind) sorts it into an
//!   [`ErrorKind`](crate::ErrorKind): `Client` (the request cannot succeed
//!   as sent: invalid input, a forged cursor), `NotFound`, `Conflict` (the
//!   key exists, a condition or an expected version no longer holds),
//!   `Unavailable` (throttled, timed out, the outcome unknown: a later
//!   retry may succeed) and `Internal` (a defect of the program, its
//!   configuration or the stored data). The full table is on
//!   [`ErrorKind`](crate::ErrorKind); the enum is non-exhaustive, so a
//!   `match` ends with `_`.
//! - [`Error::public_message`](crate::Error::public_message) is a fixed
//!   text per cause: it holds no table name, key, value or attribute name,
//!   so it can go in a response body as it is.
//! - `Display` (`{err}`) is the log form: it names the table, the key and
//!   the attribute; values of [`Sensitive`](crate::Sensitive) attributes
//!   read `***`.
//!
//! ## An axum-style mapping
//!
//! ```
//! use dynamite::{Error, ErrorKind};
//!
//! /// The error of every handler: `?` on a Dynamite call converts.
//! #[derive(Debug)]
//! pub struct ApiError(pub Error);
//!
//! impl From<Error> for ApiError {
//!     fn from(err: Error) -> Self {
//!         ApiError(err)
//!     }
//! }
//!
//! impl ApiError {
//!     /// The HTTP status of the response.
//!     pub fn status(&self) -> u16 {
//!         match self.0.kind() {
//!             ErrorKind::Client => 400,
//!             ErrorKind::NotFound => 404,
//!             ErrorKind::Conflict => 409,
//!             ErrorKind::Unavailable => 503,
//!             _ => 500,
//!         }
//!     }
//!
//!     /// The response body: the public message only.
//!     pub fn body(&self) -> serde_json::Value {
//!         serde_json::json!({ "error": self.0.public_message() })
//!     }
//! }
//!
//! let err = ApiError(Error::NotFound {
//!     table: "prod_tasks".into(),
//!     key: "{id: \"t-42\"}".into(),
//! });
//! assert_eq!(err.status(), 404);
//! assert_eq!(err.body()["error"], "the requested record does not exist");
//! assert!(!err.body().to_string().contains("prod_tasks"));
//! assert!(err.0.to_string().contains("prod_tasks")); // for the log
//! ```
//!
//! With axum, `IntoResponse` puts the two together and logs the full form
//! (this needs the `axum` and `tracing` crates in the service):
//!
//! ```ignore
//! impl axum::response::IntoResponse for ApiError {
//!     fn into_response(self) -> axum::response::Response {
//!         let status = axum::http::StatusCode::from_u16(self.status())
//!             .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
//!         if status.is_server_error() {
//!             tracing::error!(error = %self.0, "request failed");
//!         }
//!         (status, axum::Json(self.body())).into_response()
//!     }
//! }
//! ```
//!
//! ## Transactions
//!
//! A cancelled transaction is
//! [`Error::TransactionCanceled`](crate::Error::TransactionCanceled) with
//! one [`CancellationReason`](crate::CancellationReason) per operation
//! added, in the order added: its model, its key (sensitive values
//! masked) and a typed [`CancellationKind`](crate::CancellationKind) —
//! not found, version conflict, already exists, the caller's condition
//! failed, transaction conflict, throttled, item collection too large,
//! DynamoDB's validation, or none (the operation was fine). A failed
//! condition is told apart with the stored item DynamoDB returns with the
//! cancellation (`ALL_OLD`): no extra read. The operations Dynamite adds
//! itself (`attach`'s check that the parent exists, a many-to-many set's
//! checks and guard) are listed apart in `added`, each naming the
//! operation it serves. Decide with the `is_*` helpers, never by comparing
//! DynamoDB's codes.
//!
//! The error's kind is `Unavailable` when an operation was throttled, else
//! the kind of the first operation that failed: a missing row is
//! `NotFound`, a failed condition or a transaction conflict `Conflict`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::prelude::*;
//! use dynamite::{CancellationKind, ErrorKind};
//!
//! #[derive(Table, Debug, Clone)]
//! struct Account {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     balance: i64,
//!     #[dynamite(version)]
//!     version: u64,
//! }
//! let db = Dynamite::embedded().table::<Account>().build().await?;
//! db.sync().await?;
//! let a = Account::create().id("a").balance(100).exec(&db).await?;
//! let stale = a.clone();
//! a.update().increment(Account::BALANCE, 5).exec(&db).await?; // someone else
//!
//! let mut tx = db.transaction();
//! tx.update(stale.update().decrement(Account::BALANCE, 30)); // stale copy
//! tx.update(Account::update_key("b").increment(Account::BALANCE, 30)); // no "b"
//! let err = tx.commit().await.unwrap_err();
//!
//! let kinds: Vec<CancellationKind> =
//!     err.cancellation_reasons().iter().map(|r| r.kind).collect();
//! assert_eq!(kinds, [CancellationKind::VersionConflict, CancellationKind::NotFound]);
//! assert_eq!(err.cancellation_reasons()[1].model, "Account");
//! assert_eq!(err.kind(), ErrorKind::Conflict); // the first failure decides
//! # Ok(())
//! # }
//! ```
