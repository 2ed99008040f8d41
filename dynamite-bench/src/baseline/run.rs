//! Measuring one query of one layout against its baseline: answers and
//! requests compared, then alternating wall-time rounds and interleaved
//! CPU batches.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use dynamite::Dynamite;

use super::measure::{WallRatios, cpu_per_execution};
use super::multi::Multi;
use super::projects::Projects;
use super::sdk::Sdk;
use super::single::Single;
use crate::projects::ProjectQuery;
use crate::workload::{BenchResult, QueryId, Requests, Timing};

/// Wall-time rounds at the least (per-round ratios for the geometric mean).
pub const MIN_WALL_ROUNDS: usize = 20;
/// CPU batches per side; the median is reported.
pub const CPU_BATCHES: usize = 3;
/// Wall time one CPU batch aims at.
const CPU_BATCH_TARGET: Duration = Duration::from_millis(400);

/// A layout with the ORM's handle and the baseline beside it.
pub(crate) trait Layout {
    type Query: Copy;
    type Graph: PartialEq + Debug;
    fn name(&self) -> &'static str;
    fn label(q: Self::Query) -> String;
    fn shape(q: Self::Query) -> String;
    /// Client CPU ratio target, `None` when reported only.
    fn cpu_target(q: Self::Query) -> Option<f64>;
    fn db(&self) -> &Dynamite;
    fn sdk(&self) -> &Sdk;
    async fn orm(&self, q: Self::Query) -> BenchResult<usize>;
    async fn baseline(&self, q: Self::Query) -> BenchResult<usize>;
    async fn orm_graph(&self, q: Self::Query) -> BenchResult<Self::Graph>;
    async fn baseline_graph(&self, q: Self::Query) -> BenchResult<Self::Graph>;
}

/// The CPU targets of the workload queries: ≤ 1.10 for Q6–Q9, ≤ 1.25 for
/// Q10 and Q11.
pub fn query_cpu_target(q: QueryId) -> f64 {
    match q {
        QueryId::Q10 | QueryId::Q11 => 1.25,
        _ => 1.10,
    }
}

impl Layout for Multi {
    type Query = QueryId;
    type Graph = super::multi::Graph;
    fn name(&self) -> &'static str {
        "multi"
    }
    fn label(q: QueryId) -> String {
        q.name().to_owned()
    }
    fn shape(q: QueryId) -> String {
        q.shape().to_owned()
    }
    fn cpu_target(q: QueryId) -> Option<f64> {
        Some(query_cpu_target(q))
    }
    fn db(&self) -> &Dynamite {
        &self.db
    }
    fn sdk(&self) -> &Sdk {
        &self.sdk
    }
    async fn orm(&self, q: QueryId) -> BenchResult<usize> {
        Multi::orm(self, q).await
    }
    async fn baseline(&self, q: QueryId) -> BenchResult<usize> {
        Ok(Multi::baseline(self, q).await?.rows())
    }
    async fn orm_graph(&self, q: QueryId) -> BenchResult<Self::Graph> {
        Multi::orm_graph(self, q).await
    }
    async fn baseline_graph(&self, q: QueryId) -> BenchResult<Self::Graph> {
        Multi::baseline(self, q).await
    }
}

impl Layout for Single {
    type Query = QueryId;
    type Graph = super::single::Graph;
    fn name(&self) -> &'static str {
        "single"
    }
    fn label(q: QueryId) -> String {
        q.name().to_owned()
    }
    fn shape(q: QueryId) -> String {
        q.shape().to_owned()
    }
    fn cpu_target(q: QueryId) -> Option<f64> {
        Some(query_cpu_target(q))
    }
    fn db(&self) -> &Dynamite {
        &self.db
    }
    fn sdk(&self) -> &Sdk {
        &self.sdk
    }
    async fn orm(&self, q: QueryId) -> BenchResult<usize> {
        Single::orm(self, q).await
    }
    async fn baseline(&self, q: QueryId) -> BenchResult<usize> {
        Ok(Single::baseline(self, q).await?.rows())
    }
    async fn orm_graph(&self, q: QueryId) -> BenchResult<Self::Graph> {
        Single::orm_graph(self, q).await
    }
    async fn baseline_graph(&self, q: QueryId) -> BenchResult<Self::Graph> {
        Single::baseline(self, q).await
    }
}

impl Layout for Projects {
    type Query = ProjectQuery;
    type Graph = super::projects::Graph;
    fn name(&self) -> &'static str {
        "projects"
    }
    fn label(q: ProjectQuery) -> String {
        q.name().to_owned()
    }
    fn shape(q: ProjectQuery) -> String {
        q.shape().to_owned()
    }
    fn cpu_target(_: ProjectQuery) -> Option<f64> {
        None
    }
    fn db(&self) -> &Dynamite {
        &self.db
    }
    fn sdk(&self) -> &Sdk {
        &self.sdk
    }
    async fn orm(&self, q: ProjectQuery) -> BenchResult<usize> {
        Projects::orm(self, q).await
    }
    async fn baseline(&self, q: ProjectQuery) -> BenchResult<usize> {
        Ok(super::projects::rows(&Projects::baseline(self, q).await?))
    }
    async fn orm_graph(&self, q: ProjectQuery) -> BenchResult<Self::Graph> {
        Projects::orm_graph(self, q).await
    }
    async fn baseline_graph(&self, q: ProjectQuery) -> BenchResult<Self::Graph> {
        Projects::baseline(self, q).await
    }
}

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub struct Effort {
    /// Wall-time rounds (at least [`MIN_WALL_ROUNDS`]).
    pub wall_rounds: usize,
    /// CPU executions per batch (`None`: enough for about 0.4 s of wall time).
    pub cpu_runs: Option<usize>,
    /// Skip the CPU and wall measurements: answers and requests only.
    pub check_only: bool,
}

/// One query measured against its baseline.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub layout: &'static str,
    pub query: String,
    pub shape: String,
    /// Rows of the object graph (equal on both sides, checked).
    pub rows: usize,
    pub orm_requests: Requests,
    pub baseline_requests: Requests,
    pub wall: WallRatios,
    /// Executions per CPU batch (R).
    pub cpu_runs: usize,
    /// CPU per execution, one per batch.
    pub cpu_orm: Vec<Duration>,
    pub cpu_baseline: Vec<Duration>,
    pub cpu_target: Option<f64>,
}

impl CaseReport {
    pub fn same_requests(&self) -> bool {
        self.orm_requests.same_requests(&self.baseline_requests)
    }

    /// Median CPU per execution, ORM then baseline.
    pub fn cpu(&self) -> (Duration, Duration) {
        (
            Timing::of(&self.cpu_orm).median,
            Timing::of(&self.cpu_baseline).median,
        )
    }

    /// Client CPU per execution, ORM / baseline.
    pub fn cpu_ratio(&self) -> f64 {
        let (orm, baseline) = self.cpu();
        orm.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    }
}

/// The first lines where two graphs' debug forms differ.
fn difference(orm: &impl Debug, baseline: &impl Debug) -> String {
    let (a, b) = (format!("{orm:#?}"), format!("{baseline:#?}"));
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(n, (x, y))| format!("line {n}: ORM `{}`, baseline `{}`", x.trim(), y.trim()))
        .unwrap_or_else(|| format!("{} lines against {}", a.lines().count(), b.lines().count()))
}

/// Checks `q`'s answers equal and reads the requests of one execution of each.
pub(crate) async fn check<L: Layout>(
    layout: &L,
    q: L::Query,
) -> BenchResult<(usize, Requests, Requests)> {
    let orm = layout.orm_graph(q).await?;
    let baseline = layout.baseline_graph(q).await?;
    if orm != baseline {
        return Err(format!(
            "{} {}: the baseline's answer differs from the ORM's ({})",
            layout.name(),
            L::label(q),
            difference(&orm, &baseline)
        ));
    }
    layout.db().metrics().reset();
    let rows = layout.orm(q).await?;
    let orm_requests = Requests::of(layout.db());
    layout.sdk().reset();
    let baseline_rows = layout.baseline(q).await?;
    let baseline_requests = layout.sdk().requests();
    if rows != baseline_rows {
        return Err(format!(
            "{} {}: the ORM returned {rows} rows, the baseline {baseline_rows}",
            layout.name(),
            L::label(q)
        ));
    }
    Ok((rows, orm_requests, baseline_requests))
}

/// Measures `q` of `layout` against its baseline.
pub(crate) async fn measure<L: Layout>(
    layout: &L,
    q: L::Query,
    effort: Effort,
) -> BenchResult<CaseReport> {
    // Warm-up: connections, statistics, caches.
    layout.orm(q).await?;
    layout.baseline(q).await?;
    let (rows, orm_requests, baseline_requests) = check(layout, q).await?;
    let mut report = CaseReport {
        layout: layout.name(),
        query: L::label(q),
        shape: L::shape(q),
        rows,
        orm_requests,
        baseline_requests,
        wall: WallRatios::default(),
        cpu_runs: 0,
        cpu_orm: Vec::new(),
        cpu_baseline: Vec::new(),
        cpu_target: L::cpu_target(q),
    };
    if effort.check_only {
        return Ok(report);
    }
    for round in 0..effort.wall_rounds.max(MIN_WALL_ROUNDS) {
        // Alternate which side goes first.
        let (orm, baseline) = if round % 2 == 0 {
            let orm = timed(layout.orm(q)).await?;
            (orm, timed(layout.baseline(q)).await?)
        } else {
            let baseline = timed(layout.baseline(q)).await?;
            (timed(layout.orm(q)).await?, baseline)
        };
        report.wall.push(orm, baseline);
    }
    let slowest = Timing::of(&report.wall.orm)
        .median
        .max(Timing::of(&report.wall.baseline).median);
    let runs = effort.cpu_runs.unwrap_or_else(|| {
        let per = slowest.as_secs_f64().max(1e-6);
        ((CPU_BATCH_TARGET.as_secs_f64() / per).ceil() as usize).clamp(10, 2_000)
    });
    report.cpu_runs = runs;
    for batch in 0..CPU_BATCHES {
        // Interleaved: ORM, baseline, baseline, ORM, ...
        if batch % 2 == 0 {
            report
                .cpu_orm
                .push(cpu_per_execution(runs, || layout.orm(q)).await?);
            report
                .cpu_baseline
                .push(cpu_per_execution(runs, || layout.baseline(q)).await?);
        } else {
            report
                .cpu_baseline
                .push(cpu_per_execution(runs, || layout.baseline(q)).await?);
            report
                .cpu_orm
                .push(cpu_per_execution(runs, || layout.orm(q)).await?);
        }
    }
    Ok(report)
}

async fn timed(
    run: impl std::future::Future<Output = BenchResult<usize>>,
) -> BenchResult<Duration> {
    let start = Instant::now();
    run.await?;
    Ok(start.elapsed())
}

/// Measures every query of `queries` on `layout`.
pub(crate) async fn measure_all<L: Layout>(
    layout: &L,
    queries: &[L::Query],
    effort: Effort,
) -> BenchResult<Vec<CaseReport>> {
    let mut out = Vec::with_capacity(queries.len());
    for &q in queries {
        // Boxed: an ORM query's future is large, and a test thread's stack small.
        out.push(Box::pin(measure(layout, q, effort)).await?);
    }
    Ok(out)
}

/// Multi-table layout: `queries` (those it has) against the baseline.
pub async fn multi(
    db: &Dynamite,
    scan_segments: Option<u32>,
    queries: &[QueryId],
    effort: Effort,
) -> BenchResult<Vec<CaseReport>> {
    let layout = Multi::new(db.clone(), scan_segments).await?;
    let queries: Vec<QueryId> = queries
        .iter()
        .copied()
        .filter(|q| Multi::queries().contains(q))
        .collect();
    measure_all(&layout, &queries, effort).await
}

/// Single-table layout: `queries` (those it has) against the baseline.
pub async fn single(
    db: &Dynamite,
    scan_segments: Option<u32>,
    queries: &[QueryId],
    effort: Effort,
) -> BenchResult<Vec<CaseReport>> {
    let layout = Single::new(db.clone(), scan_segments).await?;
    let queries: Vec<QueryId> = queries
        .iter()
        .copied()
        .filter(|q| Single::queries().contains(q))
        .collect();
    measure_all(&layout, &queries, effort).await
}

/// Projects workload: P1 and P2 against the baseline.
pub async fn projects(
    db: &Dynamite,
    scan_segments: Option<u32>,
    effort: Effort,
) -> BenchResult<Vec<CaseReport>> {
    let layout = Projects::new(db.clone(), scan_segments).await?;
    measure_all(&layout, Projects::queries(), effort).await
}
