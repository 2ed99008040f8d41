//! A deterministic corpus of schemas and table options for the export
//! checks: every option kind (billing modes, caps present and absent,
//! deletion protection, streams, TTL, point-in-time recovery, tags), key
//! shapes (composite keys, plain, sparse and multi-attribute GSIs), table
//! prefixes Terraform and CloudFormation cannot take as they are, and
//! table names whose resource ids collide (`corpus.items`, `corpus_items`).
//!
//! `cargo run --example export_corpus -- DIR` writes it for `cfn-lint`
//! (`scripts/cfn-lint`); the integration tests check the Terraform side
//! against a vendored provider schema.

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;
use dynamite::table_options::{Billing, StreamView, TableOptions};

/// Items: a sort-keyed GSI and a TTL field.
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "corpus.items")]
pub struct DottedItems {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index(name = "by_owner", sort_key = "rank"))]
    pub owner: String,
    pub rank: i64,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
}

/// Its name collides with [`DottedItems`]'s once punctuation is dropped;
/// a multi-attribute GSI.
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "corpus_items")]
#[dynamite(index(name = "by_region_status", partition = ["region", "status"], sort = ["n", "id"]))]
pub struct UnderscoreItems {
    #[dynamite(primary_key)]
    pub id: String,
    pub region: String,
    pub status: String,
    pub n: i64,
}

/// A composite key and a sparse GSI (an `Option` key).
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "corpus-events")]
pub struct Events {
    #[dynamite(primary_key)]
    pub stream: String,
    #[dynamite(sort_key)]
    pub seq: u64,
    #[dynamite(index)]
    pub tag: Option<String>,
}

/// A key-only table.
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "corpus_plain")]
pub struct Plain {
    #[dynamite(primary_key)]
    pub id: String,
}

const PREFIXES: [&str; 6] = ["", "app_", "1st-", "Prod.v2.", "_x.", "-edge-"];

fn billing(i: usize) -> Option<Billing> {
    let on_demand = Billing::on_demand();
    [
        None,
        Some(on_demand),
        Some(on_demand.max_throughput(100, 50)),
        Some(Billing::OnDemand {
            max_read_request_units: Some(10),
            max_write_request_units: None,
        }),
        Some(Billing::OnDemand {
            max_read_request_units: None,
            max_write_request_units: Some(7),
        }),
        Some(Billing::provisioned(5, 4)),
        Some(Billing::provisioned(1, 1)),
    ][i % 7]
}

fn stream(options: TableOptions, i: usize) -> TableOptions {
    match i % 6 {
        0 => options,
        1 => options.no_stream(),
        2 => options.stream(StreamView::KeysOnly),
        3 => options.stream(StreamView::NewImage),
        4 => options.stream(StreamView::OldImage),
        _ => options.stream(StreamView::NewAndOldImages),
    }
}

fn flag(i: usize) -> Option<bool> {
    [None, Some(true), Some(false)][i % 3]
}

/// The options of case `i` along one stride of each dimension, so the
/// corpus covers every value of every dimension and many mixes.
fn options(i: usize, salt: usize) -> TableOptions {
    let pick = |stride: usize| i.wrapping_mul(stride).wrapping_add(salt) / 2;
    let mut options = TableOptions::new();
    if let Some(b) = billing(pick(3)) {
        options = options.billing(b);
    }
    if let Some(on) = flag(pick(5)) {
        options = options.deletion_protection(on);
    }
    options = stream(options, pick(7));
    if let Some(on) = flag(pick(11)) {
        options = options.point_in_time_recovery(on);
    }
    if let Some(on) = flag(pick(13)) {
        options = options.time_to_live(on);
    }
    match pick(17) % 3 {
        0 => options,
        1 => options.tag("team", "shop"),
        _ => options.tag("env", "prod").tag("cost-center", "42"),
    }
}

/// The number of cases.
pub const CASES: usize = 48;

/// Case `i` (`0..CASES`): a name and the builder of its handle, on
/// `backend` (any builder: the export reads only the registered models).
pub fn case(backend: DynamiteBuilder, i: usize) -> (String, DynamiteBuilder) {
    let prefix = PREFIXES[i % PREFIXES.len()];
    // Every case registers at least one model; the colliding pair often.
    let mask = 1 + (i * 7) % 15;
    let mut builder = backend
        .table_prefix(prefix)
        .default_table_options(options(i, 1));
    if mask & 1 != 0 {
        builder = builder
            .table::<DottedItems>()
            .table_options::<DottedItems>(options(i, 5));
    }
    if mask & 2 != 0 {
        builder = builder.table::<UnderscoreItems>();
    }
    if mask & 4 != 0 {
        builder = builder.table::<Events>();
    }
    if mask & 8 != 0 {
        builder = builder.table::<Plain>();
    }
    (format!("case{i:02}"), builder)
}
