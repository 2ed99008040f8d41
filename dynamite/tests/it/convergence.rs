//! Schema and options converge: random sequences of option changes (billing
//! modes with caps present and absent, provisioned capacity, new indexes in
//! the same release, streams, deletion protection, point-in-time recovery,
//! tags, TTL where the case asks) each followed by `sync()`; after every
//! step the next `sync_plan()` holds no change (only withheld ones), and
//! DescribeTable shows what was asked for unless it was withheld.
//!
//! Cases: `DYNAMITE_CASES` (default 12 on the embedded engine, 6 on an
//! endpoint: each index creation waits for ACTIVE). Seed: `DIFF_SEED`.
//! On DynamoDB Local TTL stays off unless a case asks for it (the
//! index-building stall the README describes).

use std::collections::BTreeMap;
use std::sync::Mutex;

use dynamite::prelude::*;
use dynamite::sdk::types::TableDescription;
use dynamite::table_options::{Billing, StreamView, TableOptions};
use dynamite::{Change, Dynamite, SyncReport, WithheldReason};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::common::{builder, endpoint};

/// The first release: no index.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "conv")]
pub struct ConvV0 {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

/// The next release: one GSI.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "conv")]
pub struct ConvV1 {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub owner: String,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

/// Two GSIs added in one release, one with a multi-attribute key.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "conv")]
#[dynamite(index(name = "by_region_status", partition = ["region", "status"], sort = "n"))]
pub struct ConvV2 {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub owner: String,
    #[dynamite(index(name = "by_kind", sort_key = "n"))]
    pub kind: String,
    pub region: String,
    pub status: String,
    pub n: i64,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

/// The GSIs each release declares.
fn declared_indexes(version: u8) -> &'static [&'static str] {
    match version {
        0 => &[],
        1 => &["owner_index"],
        _ => &["by_kind", "by_region_status", "owner_index"],
    }
}

/// One option set, synced.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    version: u8,
    billing: Option<Billing>,
    deletion_protection: Option<bool>,
    /// `Some(None)`: no stream.
    stream: Option<Option<StreamView>>,
    point_in_time_recovery: Option<bool>,
    ttl: Option<bool>,
    tags: Vec<(&'static str, &'static str)>,
}

impl Step {
    fn options(&self) -> TableOptions {
        let mut o = TableOptions::new();
        if let Some(b) = self.billing {
            o = o.billing(b);
        }
        if let Some(on) = self.deletion_protection {
            o = o.deletion_protection(on);
        }
        match self.stream {
            Some(Some(view)) => o = o.stream(view),
            Some(None) => o = o.no_stream(),
            None => {}
        }
        if let Some(on) = self.point_in_time_recovery {
            o = o.point_in_time_recovery(on);
        }
        if let Some(on) = self.ttl {
            o = o.time_to_live(on);
        }
        for (k, v) in &self.tags {
            o = o.tag(*k, *v);
        }
        o
    }
}

fn billing() -> impl Strategy<Value = Option<Billing>> {
    let cap = proptest::option::of(1i64..500);
    prop_oneof![
        Just(None),
        (cap.clone(), cap).prop_map(|(r, w)| Some(Billing::OnDemand {
            max_read_request_units: r,
            max_write_request_units: w,
        })),
        (1i64..20, 1i64..20).prop_map(|(r, w)| Some(Billing::provisioned(r, w))),
    ]
}

fn view() -> impl Strategy<Value = StreamView> {
    prop_oneof![
        Just(StreamView::KeysOnly),
        Just(StreamView::NewImage),
        Just(StreamView::OldImage),
        Just(StreamView::NewAndOldImages),
    ]
}

/// A step; TTL random when `ttl` (the case asks for it), else off.
fn step(ttl: bool) -> impl Strategy<Value = Step> {
    let ttl = if ttl {
        proptest::option::of(any::<bool>()).boxed()
    } else {
        Just(Some(false)).boxed()
    };
    (
        0u8..3,
        billing(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::option::of(view())),
        proptest::option::weighted(0.2, any::<bool>()),
        ttl,
        proptest::sample::subsequence(
            vec![("team", "shop"), ("env", "test"), ("team", "ops")],
            0..=2,
        ),
    )
        .prop_map(
            |(version, billing, deletion_protection, stream, point_in_time_recovery, ttl, tags)| {
                Step {
                    version,
                    billing,
                    deletion_protection,
                    stream,
                    point_in_time_recovery,
                    ttl,
                    tags,
                }
            },
        )
}

fn on_local() -> bool {
    endpoint().is_some()
}

fn cases() -> u32 {
    std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if on_local() { 6 } else { 12 })
}

fn seed() -> [u8; 32] {
    let n: u64 = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xC0_4E_26_E5);
    let mut seed = [0u8; 32];
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&n.wrapping_add(i as u64).to_le_bytes());
    }
    seed
}

/// What was withheld, by change kind and reason kind, over a run.
static WITHHELD: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

fn count_withheld(report: &SyncReport) {
    let mut seen = WITHHELD.lock().unwrap();
    for w in &report.withheld {
        let change = format!("{:?}", w.change);
        let change = change
            .split([' ', '{'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let reason = match &w.reason {
            WithheldReason::LosesData(_) => "LosesData",
            WithheldReason::LosesProtection(_) => "LosesProtection",
            WithheldReason::TtlAttributeInUse { .. } => "TtlAttributeInUse",
            WithheldReason::NotNow(_) => "NotNow",
            WithheldReason::Unsupported { .. } => "Unsupported",
        };
        *seen.entry(format!("{change}/{reason}")).or_default() += 1;
    }
}

async fn describe(db: &Dynamite, table: &str) -> TableDescription {
    db.client()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

/// Whether `report` withheld a billing change.
fn billing_withheld(report: &SyncReport) -> bool {
    report
        .withheld
        .iter()
        .any(|w| matches!(w.change, Change::SetBilling { .. }))
}

/// DescribeTable against the step, independently of the crate's own
/// comparison: indexes, billing on the table and every GSI, stream,
/// deletion protection.
fn check_described(
    step: &Step,
    described: &TableDescription,
    plan: &SyncReport,
) -> Result<(), String> {
    let present: Vec<&str> = described
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    for index in declared_indexes(step.version) {
        if !present.contains(index) {
            return Err(format!("index {index} missing: {present:?}"));
        }
    }
    let mode = described
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map_or("PROVISIONED", |m| m.as_str());
    match step.billing {
        Some(Billing::Provisioned {
            read_capacity_units,
            write_capacity_units,
        }) if !billing_withheld(plan) => {
            let wanted = (Some(read_capacity_units), Some(write_capacity_units));
            let t = described.provisioned_throughput();
            let table = (
                t.and_then(|t| t.read_capacity_units()),
                t.and_then(|t| t.write_capacity_units()),
            );
            if mode != "PROVISIONED" || table != wanted {
                return Err(format!("table billed {mode} {table:?}, wanted {wanted:?}"));
            }
            // The embedded engine ignores GSI capacity after CreateTable
            // (its ARNs name the region `dynoxide`): checked elsewhere.
            let engine_applies = !described
                .table_arn()
                .is_some_and(|a| a.starts_with("arn:aws:dynamodb:dynoxide:"));
            for g in described
                .global_secondary_indexes()
                .iter()
                .filter(|_| engine_applies)
            {
                // 0: not reported (the embedded engine, for GSIs made or
                // updated by UpdateTable; AWS never gives a GSI 0).
                if let Some(t) = g.provisioned_throughput() {
                    let got = (t.read_capacity_units(), t.write_capacity_units());
                    if got != wanted && got != (Some(0), Some(0)) {
                        return Err(format!(
                            "index {:?} has capacity {got:?}, wanted {wanted:?}",
                            g.index_name()
                        ));
                    }
                }
            }
        }
        Some(Billing::OnDemand {
            max_read_request_units,
            max_write_request_units,
        }) if !billing_withheld(plan) => {
            if mode != "PAY_PER_REQUEST" {
                return Err(format!("table billed {mode}, wanted on-demand"));
            }
            let caps = described.on_demand_throughput();
            let cap = |v: Option<i64>| v.filter(|v| *v > 0);
            let got = (
                cap(caps.and_then(|c| c.max_read_request_units())),
                cap(caps.and_then(|c| c.max_write_request_units())),
            );
            let wanted = (max_read_request_units, max_write_request_units);
            if got != wanted {
                return Err(format!("caps {got:?}, wanted {wanted:?}"));
            }
        }
        _ => {}
    }
    let stream = described
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .map(|v| v.as_str().to_owned());
    if let Some(Some(view)) = step.stream {
        let withheld = plan
            .withheld
            .iter()
            .any(|w| matches!(w.change, Change::EnableStream { .. }));
        if stream.as_deref() != Some(view.as_str()) && !withheld {
            return Err(format!("stream {stream:?}, wanted {}", view.as_str()));
        }
    }
    if step.deletion_protection == Some(true)
        && described.deletion_protection_enabled() != Some(true)
    {
        return Err("deletion protection is off".into());
    }
    Ok(())
}

/// Builds the handle of `step` on the case's backend and syncs; then the
/// plan must hold no change and DescribeTable must agree.
async fn run_step(first: &Dynamite, step: &Step) -> Result<(), String> {
    let b = Dynamite::builder()
        .same_backend_as(first)
        .table_prefix(first.table_prefix());
    let b = match step.version {
        0 => b.table::<ConvV0>(),
        1 => b.table::<ConvV1>(),
        _ => b.table::<ConvV2>(),
    };
    let db = b
        .default_table_options(step.options())
        .build()
        .await
        .map_err(|e| e.to_string())?;
    let report = db.sync().await.map_err(|e| format!("sync failed: {e}"))?;
    let plan = db
        .sync_plan()
        .await
        .map_err(|e| format!("sync_plan failed: {e}"))?;
    count_withheld(&plan);
    let table = first.table_prefix().to_owned() + "conv";
    let described = describe(&db, &table).await;
    let shown = format!(
        "billing {:?} / {:?} / caps {:?}; indexes {:?}",
        described
            .billing_mode_summary()
            .and_then(|b| b.billing_mode()),
        described
            .provisioned_throughput()
            .map(|t| (t.read_capacity_units(), t.write_capacity_units())),
        described.on_demand_throughput(),
        described
            .global_secondary_indexes()
            .iter()
            .map(|g| (
                g.index_name(),
                g.provisioned_throughput()
                    .map(|t| (t.read_capacity_units(), t.write_capacity_units()))
            ))
            .collect::<Vec<_>>()
    );
    if !plan.changes.is_empty() {
        return Err(format!(
            "the plan after sync is not empty:\n{plan}\n(sync reported:\n{report})\n{shown}"
        ));
    }
    check_described(step, &described, &plan)
        .map_err(|e| format!("{e}\n(sync reported:\n{report})\n{shown}"))
}

async fn run_sequence(steps: &[Step]) -> Result<(), String> {
    let first = builder().build().await.map_err(|e| e.to_string())?;
    for (i, step) in steps.iter().enumerate() {
        run_step(&first, step)
            .await
            .map_err(|e| format!("step {i} of {steps:#?}: {e}"))?;
    }
    Ok(())
}

fn run_property(test: &str, ttl: bool) {
    let cases = cases();
    let config = Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        max_shrink_iters: if on_local() { 30 } else { 200 },
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let result = runner.run(&proptest::collection::vec(step(ttl), 1..=3), |steps| {
        rt.block_on(run_sequence(&steps))
            .map_err(TestCaseError::fail)
    });
    eprintln!(
        "{test}: {cases} sequences on {}, {:.1}s; withheld in the plans: {:?}",
        if on_local() {
            "DynamoDB Local"
        } else {
            "embedded"
        },
        started.elapsed().as_secs_f64(),
        WITHHELD.lock().unwrap()
    );
    if let Err(e) = result {
        panic!("{test}: {e}");
    }
}

#[test]
fn random_option_sequences_converge() {
    // TTL random on the embedded engine, off on an endpoint.
    run_property("random_option_sequences_converge", !on_local());
}

fn on_demand(read: Option<i64>, write: Option<i64>) -> Option<Billing> {
    Some(Billing::OnDemand {
        max_read_request_units: read,
        max_write_request_units: write,
    })
}

fn plain(version: u8, billing: Option<Billing>) -> Step {
    Step {
        version,
        billing,
        deletion_protection: None,
        stream: None,
        point_in_time_recovery: None,
        ttl: Some(false),
        tags: Vec::new(),
    }
}

/// Caps declared, then declared absent: DynamoDB keeps an omitted member,
/// so an absent one must be sent as `-1`.
#[tokio::test]
async fn regression_caps_removed_when_declared_absent() {
    run_sequence(&[
        plain(0, on_demand(Some(100), Some(50))),
        plain(0, on_demand(None, Some(50))),
        plain(0, on_demand(None, None)),
    ])
    .await
    .unwrap();
}

/// On-demand to provisioned with a new index in the same sync: the new
/// index gets the capacity too.
#[tokio::test]
async fn regression_provisioned_switch_gives_a_new_index_capacity() {
    run_sequence(&[plain(0, None), plain(2, Some(Billing::provisioned(3, 2)))])
        .await
        .unwrap();
}

/// A provisioned table whose capacity changes while indexes are added.
#[tokio::test]
async fn regression_provisioned_capacity_change_reaches_every_index() {
    run_sequence(&[
        plain(1, Some(Billing::provisioned(3, 2))),
        plain(2, Some(Billing::provisioned(4, 5))),
        plain(2, on_demand(Some(9), None)),
    ])
    .await
    .unwrap();
}

/// TTL asked for, on both backends: on, then off (withheld), then on.
#[tokio::test]
async fn ttl_changes_converge_when_the_case_asks() {
    let mut on = plain(0, None);
    on.ttl = Some(true);
    let off = plain(0, None);
    run_sequence(&[on.clone(), off, on]).await.unwrap();
}

/// A new table with a maximum on one member only: CreateTable refuses
/// `-1` for the other (the embedded engine, as AWS); DynamoDB Local
/// refuses a lone member (created without, the maximum withheld).
#[tokio::test]
async fn regression_new_table_with_one_cap() {
    run_sequence(&[plain(1, on_demand(None, Some(7)))])
        .await
        .unwrap();
    run_sequence(&[plain(0, on_demand(Some(3), None)), plain(0, None)])
        .await
        .unwrap();
}
