//! Micro benchmarks: `to_item` / `from_item` of a 10-field model
//! — the derived code against hand-written `AttributeValue` code and
//! against `serde_dynamo`, in one run — and the embedded engine's GetItem
//! round trip.
//!
//! `cargo bench -p dynamite-bench --bench micro` (about a minute).

// A benchmark: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dynamite::prelude::*;
use dynamite::sdk::types::{AttributeValue as SdkValue, ReturnConsumedCapacity};
use dynamite_bench::micro::{self, Profile};

fn to_item(c: &mut Criterion) {
    let p = micro::sample();
    let mut g = c.benchmark_group("to_item");
    g.bench_function("dynamite", |b| {
        b.iter(|| micro::dynamite_to_item(black_box(&p)).unwrap())
    });
    g.bench_function("hand_written", |b| {
        b.iter(|| micro::hand_to_item(black_box(&p)).unwrap())
    });
    g.bench_function("serde_dynamo", |b| {
        b.iter(|| micro::serde_dynamo_to_item(black_box(&p)).unwrap())
    });
    // Diagnostic: hand-written item building, values converted by Dynamite's
    // `Attribute` impls (separates conversion cost from the derive's glue).
    g.bench_function("hand_written_via_attribute", |b| {
        b.iter(|| micro::hand_to_item_via_attribute(black_box(&p)).unwrap())
    });
    g.finish();
}

/// Inputs cloned per batch: small enough that the batch's items stay in
/// cache (large batches made the from_item numbers swing by 2× between runs).
const BATCH: BatchSize = BatchSize::NumIterations(64);

fn from_item(c: &mut Criterion) {
    let item = micro::dynamite_to_item(&micro::sample()).unwrap();
    let mut g = c.benchmark_group("from_item");
    // The item is cloned outside the timed part: each codec takes it by value.
    g.bench_function("dynamite", |b| {
        b.iter_batched(
            || item.clone(),
            |i| micro::dynamite_from_item(i).unwrap(),
            BATCH,
        )
    });
    g.bench_function("hand_written", |b| {
        b.iter_batched(
            || item.clone(),
            |i| micro::hand_from_item(i).unwrap(),
            BATCH,
        )
    });
    g.bench_function("serde_dynamo", |b| {
        b.iter_batched(
            || item.clone(),
            |i| micro::serde_dynamo_from_item(i).unwrap(),
            BATCH,
        )
    });
    // Diagnostic: hand-written, but cloning each value out of a borrowed
    // item (as `Attribute::from_value(&AttributeValue)` does) instead of moving it.
    g.bench_function("hand_written_cloning", |b| {
        b.iter_batched(
            || item.clone(),
            |i| micro::hand_from_item_cloning(i).unwrap(),
            BATCH,
        )
    });
    g.finish();
}

fn embedded_get_item(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = rt.block_on(async {
        let db = Dynamite::embedded()
            .table::<Profile>()
            .build()
            .await
            .expect("embedded engine");
        db.sync().await.expect("sync");
        let row = micro::sample();
        Profile::put_many(&db, [row]).await.expect("put");
        db
    });
    let id = micro::sample().id;
    let table = db.table_name::<Profile>().expect("registered");
    let mut g = c.benchmark_group("embedded_get_item");
    g.bench_function("dynamite_get", |b| {
        b.iter(|| {
            let row = rt
                .block_on(Profile::get(&db, id.as_str()))
                .expect("get")
                .expect("found");
            black_box(row)
        })
    });
    // The same request Dynamite sends, through the same client, without
    // building the key from the model or decoding the item.
    g.bench_function("sdk_get_item", |b| {
        b.iter(|| {
            let out = rt
                .block_on(
                    db.client()
                        .get_item()
                        .table_name(&table)
                        .key("id", SdkValue::S(id.clone()))
                        .consistent_read(false)
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send(),
                )
                .expect("get");
            black_box(out.item().is_some())
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = to_item, from_item, embedded_get_item
}
criterion_main!(benches);
