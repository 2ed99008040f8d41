//! A hand-written baseline (`--baseline sdk`): every workload query sent
//! as the same requests, round by round, straight through
//! `aws-sdk-dynamodb`, decoded by hand into plain structs. Its answers are
//! checked equal to the ORM's and its requests, rounds and items read to
//! the ORM's metrics; then client CPU per execution and wall time are
//! compared.
//!
//! - [`sdk`]: the baseline's own client (the handle's SDK configuration
//!   and HTTP client, no interceptors) and its request counters.
//! - [`multi`], [`single`], [`projects`]: the queries of each layout
//!   ([`single_orm`]: the single-table ORM answers in plain structs).
//! - [`measure`]: process CPU time, geometric mean, bootstrap.
//! - [`run`]: the measurement of each query; [`report`]: tables and targets.

pub mod command;
pub mod decode;
pub mod measure;
pub mod multi;
pub mod projects;
pub mod report;
pub mod run;
pub mod sdk;
pub mod single;
pub mod single_orm;
