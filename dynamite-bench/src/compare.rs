//! Scale 100 against scale 1,000, interleaved: the same queries must send
//! the same requests and stay within 1.2× of their scale-100 median wall
//! time — cost grows with the result, not with the table.

use std::time::Duration;

use serde_json::{Value, json};

use crate::report::{self, Check, SCALE_RATIO_TARGET, TextTable, fmt_ms};
use crate::shop::Scale;
use crate::workload::{self, Backend, BenchResult, QueryId, QueryReport, Sample, SeedReport};

/// What `compare` runs.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub backend: Backend,
    pub prefix: String,
    pub scales: Vec<usize>,
    pub queries: Vec<QueryId>,
    pub runs: usize,
    pub seed: bool,
}

/// The measurements of one scale.
#[derive(Debug, Clone)]
pub struct ScaleRun {
    pub scale: Scale,
    pub prefix: String,
    pub seed: Option<SeedReport>,
    pub queries: Vec<QueryReport>,
}

/// Whether the scale-1,000 target applies to a query: Q10 returns 10× the
/// rows at 10× the scale, so it is reported, not checked.
pub fn scale_target_applies(q: QueryId) -> bool {
    q != QueryId::Q10
}

/// Seeds (or verifies) every scale, then runs each query on every scale,
/// alternating the order of the scales from one run to the next. The first
/// run of each query is a warm-up and is not recorded.
pub async fn compare(options: &CompareOptions) -> BenchResult<Vec<ScaleRun>> {
    let mut handles = Vec::new();
    let mut runs = Vec::new();
    for &users in &options.scales {
        let scale = Scale::new(users);
        let prefix = format!("{}s{}_", options.prefix, scale.users);
        eprintln!(
            "compare: scale {} under prefix `{prefix}` on {}",
            scale.users,
            options.backend.name()
        );
        let db = options
            .backend
            .connect_shared(handles.first(), &prefix)
            .await?;
        let seed = if options.seed {
            Some(workload::seed(&db, scale, None).await?)
        } else {
            workload::verify_seeded(&db, scale).await?;
            None
        };
        handles.push(db);
        runs.push(ScaleRun {
            scale,
            prefix,
            seed,
            queries: Vec::new(),
        });
    }
    let n = handles.len();
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); options.queries.len()]; n];
    // One block per query (a heavy query such as Q10 at scale 1,000 slows
    // whatever runs right after it, so queries are not mixed), the scales
    // alternating inside the block.
    for (qi, &q) in options.queries.iter().enumerate() {
        for run in 0..=options.runs.max(1) {
            for k in 0..n {
                let s = if run % 2 == 0 { k } else { n - 1 - k };
                let sample = q.measure_once(&handles[s], runs[s].scale).await?;
                if run > 0 {
                    samples[s][qi].push(sample);
                }
            }
        }
    }
    for (s, run) in runs.iter_mut().enumerate() {
        run.queries = options
            .queries
            .iter()
            .zip(&samples[s])
            .map(|(&q, samples)| QueryReport::new(q, q.explain(&handles[s]), samples))
            .collect();
    }
    Ok(runs)
}

fn ratio(base: Duration, other: Duration) -> f64 {
    if base.is_zero() {
        return 0.0;
    }
    other.as_secs_f64() / base.as_secs_f64()
}

/// The comparison table: the smallest scale against each larger one.
pub fn table(runs: &[ScaleRun]) -> String {
    let Some(base) = runs.first() else {
        return String::new();
    };
    let mut header: Vec<String> = vec!["query".into()];
    for r in runs {
        header.push(format!("requests @{}", r.scale.users));
    }
    header.push("equal".into());
    for r in runs {
        header.push(format!("median ms @{}", r.scale.users));
    }
    for r in &runs[1..] {
        header.push(format!("ratio @{}/@{}", r.scale.users, base.scale.users));
    }
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = TextTable::new(&header_refs);
    for (qi, q) in base.queries.iter().enumerate() {
        let mut row = vec![q.query.name().to_owned()];
        for r in runs {
            row.push(format!(
                "{} ({})",
                r.queries[qi].requests.total,
                r.queries[qi].requests.operations()
            ));
        }
        let equal = runs
            .iter()
            .all(|r| r.queries[qi].requests.by_operation == q.requests.by_operation);
        row.push(if equal { "yes" } else { "no" }.to_owned());
        for r in runs {
            row.push(fmt_ms(r.queries[qi].timing.median));
        }
        for r in &runs[1..] {
            row.push(format!(
                "{:.2}",
                ratio(q.timing.median, r.queries[qi].timing.median)
            ));
        }
        t.row(row);
    }
    t.render()
}

/// The scale targets (Q6–Q9): same requests, median within 1.2×.
pub fn checks(runs: &[ScaleRun]) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(base) = runs.first() else {
        return out;
    };
    for other in &runs[1..] {
        for (qi, q) in base.queries.iter().enumerate() {
            let o = &other.queries[qi];
            let name = q.query.name();
            let info = !scale_target_applies(q.query);
            let equal = q.requests.by_operation == o.requests.by_operation;
            let r = ratio(q.timing.median, o.timing.median);
            let entries = [
                Check {
                    name: format!(
                        "{name} requests @{} = @{}",
                        other.scale.users, base.scale.users
                    ),
                    target: "equal".to_owned(),
                    measured: format!("{} vs {}", o.requests.total, q.requests.total),
                    pass: equal,
                    info,
                },
                Check {
                    name: format!(
                        "{name} median @{} / @{}",
                        other.scale.users, base.scale.users
                    ),
                    target: format!("≤ {SCALE_RATIO_TARGET}×"),
                    measured: format!(
                        "{r:.2}× ({} ms vs {} ms)",
                        fmt_ms(o.timing.median),
                        fmt_ms(q.timing.median)
                    ),
                    pass: r <= SCALE_RATIO_TARGET,
                    info,
                },
            ];
            out.extend(entries);
        }
    }
    out
}

/// The JSON report of a comparison.
pub fn to_json(options: &CompareOptions, runs: &[ScaleRun], checks: &[Check]) -> Value {
    json!({
        "command": "compare",
        "backend": options.backend.name(),
        "runs": options.runs,
        "scales": runs.iter().map(|r| json!({
            "scale": r.scale.users,
            "prefix": r.prefix,
            "seed": r.seed.as_ref().map(report::seed_json),
            "queries": r.queries.iter().map(report::query_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "checks": report::checks_json(checks),
    })
}
