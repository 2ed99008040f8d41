//! `dynamite-bench transport`: the embedded engine reached without a socket
//! against the same engine over its loopback HTTP server, in one process.
//!
//! One engine, two handles: the socketless one `Dynamite::embedded()`
//! builds, and one over `embedded_endpoint()` (HTTP/1 on 127.0.0.1). Each
//! round gives every variant a block of back-to-back requests (25 GetItem,
//! 5 query runs), as a test sends them, in an order that rotates from round
//! to round; the reports are medians. A socketless GetItem after 1 ms idle
//! is reported beside them: it pays the engine thread's wake-up. Targets: the ORM's `get` ≤ 1.3× a raw
//! SDK GetItem over the socketless transport; socketless ≥ 4× faster than
//! loopback for GetItem and ≥ 3× for Q6 and Q9, with equal request counts.

use std::time::{Duration, Instant};

use dynamite::prelude::*;
use dynamite::sdk::types::{AttributeValue, ReturnConsumedCapacity};
use dynamite_testkit::backend;

use crate::report::{Check, TextTable};
use crate::shop::{self, Scale, User, user_id};
use crate::workload::{self, BenchResult, QueryId, Requests, Timing};

/// The targets.
pub const ORM_OVER_SDK_TARGET: f64 = 1.3;
pub const GET_ITEM_SPEEDUP_TARGET: f64 = 4.0;
pub const QUERY_SPEEDUP_TARGET: f64 = 3.0;

/// Requests a variant sends back to back before the next variant's turn.
const GET_BLOCK: usize = 25;
/// Query runs a variant makes back to back before the next variant's turn.
const QUERY_BLOCK: usize = 5;

/// What one variant cost: per-run wall times and the requests of one run.
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: &'static str,
    pub samples: Vec<Duration>,
    pub timing: Timing,
    /// Requests of each run (all equal for a deterministic variant).
    pub requests: Requests,
}

/// All variants of one `transport` run.
#[derive(Debug, Clone)]
pub struct TransportReport {
    pub scale: Scale,
    pub get_runs: usize,
    pub query_runs: usize,
    pub orm_get_socketless: Variant,
    pub sdk_get_socketless: Variant,
    pub sdk_get_loopback: Variant,
    /// A socketless GetItem after 1 ms without requests (reported, no target).
    pub sdk_get_idle: Variant,
    pub q6_socketless: Variant,
    pub q6_loopback: Variant,
    pub q9_socketless: Variant,
    pub q9_loopback: Variant,
}

fn err(context: &str) -> impl FnOnce(dynamite::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// A variant's measurements: `runs` samples, requests checked equal.
#[derive(Debug)]
struct Recorder {
    name: &'static str,
    samples: Vec<Duration>,
    requests: Option<Requests>,
}

impl Recorder {
    fn new(name: &'static str) -> Self {
        Recorder {
            name,
            samples: Vec::new(),
            requests: None,
        }
    }

    /// Records one run of `db` that took `wall`.
    fn record(&mut self, db: &Dynamite, wall: Duration) -> BenchResult<()> {
        let requests = Requests::of(db);
        match &self.requests {
            Some(first) if !first.same_requests(&requests) => {
                return Err(format!(
                    "{}: the requests varied between runs ({} then {})",
                    self.name,
                    first.operations(),
                    requests.operations()
                ));
            }
            Some(_) => {}
            None => self.requests = Some(requests),
        }
        self.samples.push(wall);
        Ok(())
    }

    fn finish(self) -> Variant {
        Variant {
            name: self.name,
            timing: Timing::of(&self.samples),
            samples: self.samples,
            requests: self.requests.unwrap_or_default(),
        }
    }
}

/// One raw SDK GetItem: the request `User::get` sends.
async fn sdk_get(db: &Dynamite, table: &str, id: &str) -> BenchResult<()> {
    let out = db
        .client()
        .get_item()
        .table_name(table)
        .key("id", AttributeValue::S(id.to_owned()))
        .consistent_read(false)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .map_err(|e| format!("GetItem: {e}"))?;
    if out.item.is_none() {
        return Err(format!("GetItem: user {id} is missing"));
    }
    Ok(())
}

async fn orm_get(db: &Dynamite, id: &str) -> BenchResult<()> {
    User::get(db, id.to_owned())
        .await
        .map_err(err("User::get"))?
        .map(|_| ())
        .ok_or_else(|| format!("User::get: user {id} is missing"))
}

/// Seeds the shop at `scale` into a fresh engine and measures every
/// variant: `get_runs` interleaved rounds of the three GetItem variants,
/// then `query_runs` of Q6 and Q9 on both transports (one warm-up each).
pub async fn run(scale: Scale, get_runs: usize, query_runs: usize) -> BenchResult<TransportReport> {
    let socketless = shop::register(Dynamite::embedded())
        .build()
        .await
        .map_err(err("build the embedded handle"))?;
    socketless.sync().await.map_err(err("sync"))?;
    workload::seed(&socketless, scale, None).await?;
    let endpoint = socketless
        .embedded_endpoint()
        .ok_or("the embedded engine's HTTP server did not start")?
        .to_owned();
    let loopback = shop::register(backend::remote(endpoint))
        .build()
        .await
        .map_err(err("build the loopback handle"))?;
    let table = socketless.table_name::<User>().map_err(err("table name"))?;
    let id = user_id(0);

    let mut orm = Recorder::new("ORM get, socketless");
    let mut sdk = Recorder::new("SDK GetItem, socketless");
    let mut sdk_http = Recorder::new("SDK GetItem, loopback HTTP");
    let mut sdk_idle = Recorder::new("SDK GetItem, socketless, after 1 ms idle");
    // Warm-up: connections, credentials, caches.
    for _ in 0..20 {
        orm_get(&socketless, &id).await?;
        sdk_get(&socketless, &table, &id).await?;
        sdk_get(&loopback, &table, &id).await?;
    }
    let mut left = get_runs.max(1);
    let mut round = 0;
    while left > 0 {
        let n = left.min(GET_BLOCK);
        left -= n;
        // Each variant sends a block of requests back to back, as a test
        // does; the order of the blocks rotates from round to round.
        for slot in 0..3 {
            match (slot + round) % 3 {
                0 => {
                    for _ in 0..n {
                        socketless.metrics().reset();
                        let start = Instant::now();
                        orm_get(&socketless, &id).await?;
                        orm.record(&socketless, start.elapsed())?;
                    }
                }
                1 => {
                    for _ in 0..n {
                        socketless.metrics().reset();
                        let start = Instant::now();
                        sdk_get(&socketless, &table, &id).await?;
                        sdk.record(&socketless, start.elapsed())?;
                    }
                }
                _ => {
                    for _ in 0..n {
                        loopback.metrics().reset();
                        let start = Instant::now();
                        sdk_get(&loopback, &table, &id).await?;
                        sdk_http.record(&loopback, start.elapsed())?;
                    }
                }
            }
        }
        // One request after the engine thread has gone to sleep: the cost
        // of its wake-up, reported beside the targets.
        tokio::time::sleep(Duration::from_millis(1)).await;
        socketless.metrics().reset();
        let start = Instant::now();
        sdk_get(&socketless, &table, &id).await?;
        sdk_idle.record(&socketless, start.elapsed())?;
        round += 1;
    }

    let mut queries = Vec::new();
    for (q, a, b) in [
        (QueryId::Q6, "Q6, socketless", "Q6, loopback HTTP"),
        (QueryId::Q9, "Q9, socketless", "Q9, loopback HTTP"),
    ] {
        let mut fast = Recorder::new(a);
        let mut slow = Recorder::new(b);
        q.measure_once(&socketless, scale).await?;
        q.measure_once(&loopback, scale).await?;
        let mut left = query_runs.max(1);
        let mut round = 0;
        while left > 0 {
            let n = left.min(QUERY_BLOCK);
            left -= n;
            for slot in 0..2 {
                let (db, recorder) = if (slot + round) % 2 == 0 {
                    (&socketless, &mut fast)
                } else {
                    (&loopback, &mut slow)
                };
                for _ in 0..n {
                    let s = q.measure_once(db, scale).await?;
                    recorder.record(db, s.wall)?;
                }
            }
            round += 1;
        }
        queries.push((fast.finish(), slow.finish()));
    }
    let mut queries = queries.into_iter();
    let (q6_socketless, q6_loopback) = queries.next().ok_or("Q6 was not measured")?;
    let (q9_socketless, q9_loopback) = queries.next().ok_or("Q9 was not measured")?;
    Ok(TransportReport {
        scale,
        get_runs,
        query_runs,
        orm_get_socketless: orm.finish(),
        sdk_get_socketless: sdk.finish(),
        sdk_get_loopback: sdk_http.finish(),
        sdk_get_idle: sdk_idle.finish(),
        q6_socketless,
        q6_loopback,
        q9_socketless,
        q9_loopback,
    })
}

fn ratio(a: &Variant, b: &Variant) -> f64 {
    a.timing.median.as_secs_f64() / b.timing.median.as_secs_f64().max(f64::MIN_POSITIVE)
}

impl TransportReport {
    pub fn variants(&self) -> [&Variant; 8] {
        [
            &self.orm_get_socketless,
            &self.sdk_get_socketless,
            &self.sdk_get_loopback,
            &self.sdk_get_idle,
            &self.q6_socketless,
            &self.q6_loopback,
            &self.q9_socketless,
            &self.q9_loopback,
        ]
    }

    /// The medians, at µs resolution.
    pub fn table(&self) -> String {
        let mut t = TextTable::new(&["variant", "requests", "median ms", "min ms", "max ms"]);
        for v in self.variants() {
            t.row(vec![
                v.name.to_owned(),
                v.requests.operations(),
                fmt_us(v.timing.median),
                fmt_us(v.timing.min),
                fmt_us(v.timing.max),
            ]);
        }
        t.render()
    }

    /// The targets, measured.
    pub fn checks(&self) -> Vec<Check> {
        let mut out = Vec::new();
        let orm = ratio(&self.orm_get_socketless, &self.sdk_get_socketless);
        out.push(check(
            "ORM get / SDK GetItem (socketless)",
            format!("≤ {ORM_OVER_SDK_TARGET}×"),
            orm,
            orm <= ORM_OVER_SDK_TARGET,
        ));
        for (name, fast, slow, target) in [
            (
                "GetItem: loopback / socketless",
                &self.sdk_get_socketless,
                &self.sdk_get_loopback,
                GET_ITEM_SPEEDUP_TARGET,
            ),
            (
                "Q6: loopback / socketless",
                &self.q6_socketless,
                &self.q6_loopback,
                QUERY_SPEEDUP_TARGET,
            ),
            (
                "Q9: loopback / socketless",
                &self.q9_socketless,
                &self.q9_loopback,
                QUERY_SPEEDUP_TARGET,
            ),
        ] {
            let speedup = ratio(slow, fast);
            let same = fast.requests.same_requests(&slow.requests);
            let mut c = check(
                name,
                format!("≥ {target}×, same requests"),
                speedup,
                speedup >= target && same,
            );
            if !same {
                c.measured.push_str(&format!(
                    " (requests differ: {} against {})",
                    fast.requests.operations(),
                    slow.requests.operations()
                ));
            }
            out.push(c);
        }
        out
    }
}

fn check(name: &str, target: String, measured: f64, pass: bool) -> Check {
    Check {
        name: name.to_owned(),
        target,
        measured: format!("{measured:.2}×"),
        pass,
        info: false,
    }
}

/// Milliseconds with three decimals (µs resolution).
fn fmt_us(d: Duration) -> String {
    format!("{:.3}", workload::ms(d))
}

/// The report as JSON.
pub fn to_json(report: &TransportReport, checks: &[Check]) -> serde_json::Value {
    serde_json::json!({
        "command": "transport",
        "scale": report.scale.users,
        "get_runs": report.get_runs,
        "query_runs": report.query_runs,
        "variants": report.variants().iter().map(|v| serde_json::json!({
            "name": v.name,
            "requests": crate::report::requests_json(&v.requests),
            "timing": crate::report::timing_json(&v.timing),
        })).collect::<Vec<_>>(),
        "checks": crate::report::checks_json(checks),
    })
}
