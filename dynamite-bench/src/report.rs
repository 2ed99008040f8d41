//! Printing the measurements, checking them against the workload's targets,
//! and the JSON report.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::shop::Scale;
use crate::workload::{Phase, QueryId, QueryReport, Requests, SeedReport, Timing, ms};

/// The most requests the workload allows for each query at scale 100.
pub fn request_target(q: QueryId) -> u64 {
    match q {
        QueryId::Q6 => 2,
        QueryId::Q7 => 4,
        QueryId::Q8 => 3,
        QueryId::Q9 => 10,
        QueryId::Q10 => 3,
        QueryId::Q11 => 3,
    }
}

/// The rounds the workload sets for each query (the latency floor).
pub fn rounds_target(q: QueryId) -> u64 {
    match q {
        QueryId::Q6 => 1,
        QueryId::Q7 => 2,
        QueryId::Q8 => 2,
        QueryId::Q9 => 3,
        QueryId::Q10 => 1,
        QueryId::Q11 => 2,
    }
}

/// Whether the items-read target (≤ 1.2 × items returned) applies.
pub fn read_ratio_applies(q: QueryId) -> bool {
    q != QueryId::Q10
}

/// Items read may exceed items returned by this factor (Q6–Q9).
pub const READ_RATIO_TARGET: f64 = 1.2;
/// The scale-1,000 median may exceed the scale-100 median by this factor (Q6–Q9).
pub const SCALE_RATIO_TARGET: f64 = 1.2;
/// put_many must be at least this many times faster than the create loop.
pub const SEED_SPEEDUP_TARGET: f64 = 4.0;
/// Requests allowed for seeding at scale 100 (2,350 rows).
pub const SEED_REQUESTS_TARGET: u64 = 100;

/// One target, measured.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub target: String,
    pub measured: String,
    pub pass: bool,
    /// Reported for information only: not a target.
    pub info: bool,
}

impl Check {
    fn new(name: impl Into<String>, target: String, measured: String, pass: bool) -> Self {
        Check {
            name: name.into(),
            target,
            measured,
            pass,
            info: false,
        }
    }

    pub fn verdict(&self) -> &'static str {
        if self.info {
            "INFO"
        } else if self.pass {
            "PASS"
        } else {
            "FAIL"
        }
    }

    /// Whether a target was missed.
    pub fn failed(&self) -> bool {
        !self.info && !self.pass
    }

    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "target": self.target,
            "measured": self.measured,
            "pass": self.pass,
            "informational": self.info,
        })
    }
}

/// The targets that one `ecommerce` run can check.
pub fn checks(scale: Scale, seed: Option<&SeedReport>, queries: &[QueryReport]) -> Vec<Check> {
    let mut out = Vec::new();
    if let Some(seed) = seed {
        if scale.users == 100 {
            out.push(Check::new(
                "seeding requests",
                format!("≤ {SEED_REQUESTS_TARGET}"),
                seed.put_many.requests.total.to_string(),
                seed.put_many.requests.total <= SEED_REQUESTS_TARGET,
            ));
        }
        out.push(Check::new(
            "seeding requests at the BatchWriteItem floor",
            format!("= {} (Σ ⌈rows / 25⌉ per table)", seed.floor),
            seed.put_many.requests.total.to_string(),
            seed.put_many.requests.total <= seed.floor,
        ));
        if let Some(speedup) = seed.speedup() {
            let mut check = Check::new(
                "seeding put_many vs create loop",
                format!("≥ {SEED_SPEEDUP_TARGET}× faster"),
                format!("{speedup:.1}× faster"),
                speedup >= SEED_SPEEDUP_TARGET,
            );
            // Stated for scale 100 (2,350 rows).
            check.info = scale.users != 100;
            out.push(check);
        }
    }
    for r in queries {
        let q = r.query;
        // Q10 returns every user: its targets are stated for scale 100 only.
        let info = q == QueryId::Q10 && scale.users != 100;
        let mut requests = Check::new(
            format!("{q} requests"),
            format!("≤ {}", request_target(q)),
            r.requests.total.to_string(),
            r.requests.total <= request_target(q),
        );
        requests.info = info;
        out.push(requests);
        let mut rounds = Check::new(
            format!("{q} rounds"),
            format!("≤ {}", rounds_target(q)),
            r.requests.rounds.to_string(),
            r.requests.rounds <= rounds_target(q),
        );
        rounds.info = info;
        out.push(rounds);
        if read_ratio_applies(q) {
            out.push(Check::new(
                format!("{q} items read / returned"),
                format!("≤ {READ_RATIO_TARGET}"),
                format!(
                    "{:.2} ({} / {})",
                    r.read_ratio(),
                    r.requests.items_read,
                    r.items_returned
                ),
                r.read_ratio() <= READ_RATIO_TARGET,
            ));
        }
        if !r.stable {
            out.push(Check::new(
                format!("{q} same requests every run"),
                "identical".to_owned(),
                "varied between runs".to_owned(),
                false,
            ));
        }
    }
    out
}

/// A plain text table with right-aligned numbers.
#[derive(Debug)]
pub struct TextTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    pub fn new(header: &[&str]) -> Self {
        TextTable {
            header: header.iter().map(|s| (*s).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let numeric = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '×' | ','))
        };
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate().take(columns) {
                let pad = widths[i] - cell.chars().count();
                if i > 0 {
                    out.push_str("  ");
                }
                if numeric(cell) {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    if i + 1 < columns {
                        out.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.trim_end().to_owned()
        };
        let mut out = line(&self.header);
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        for row in &self.rows {
            out.push('\n');
            out.push_str(&line(row));
        }
        out
    }
}

/// `0.412` ms with three significant decimals.
pub fn fmt_ms(d: std::time::Duration) -> String {
    let v = ms(d);
    if v >= 100.0 {
        format!("{v:.1}")
    } else if v >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_capacity(c: f64) -> String {
    format!("{c:.1}")
}

/// The seeding table.
pub fn seed_table(seed: &SeedReport) -> String {
    let mut t = TextTable::new(&[
        "table",
        "rows",
        "put_many ms",
        "put_many requests",
        "create loop ms",
        "create loop requests",
        "ratio",
    ]);
    let ratio = |p: &Phase, c: Option<&Phase>| {
        c.filter(|_| p.wall.as_secs_f64() > 0.0).map_or_else(
            || "-".to_owned(),
            |c| format!("{:.1}", c.wall.as_secs_f64() / p.wall.as_secs_f64()),
        )
    };
    for table in &seed.tables {
        t.row(vec![
            table.table.to_owned(),
            table.rows.to_string(),
            fmt_ms(table.put_many.wall),
            table.put_many.requests.operations(),
            table
                .create_loop
                .as_ref()
                .map_or_else(|| "-".to_owned(), |c| fmt_ms(c.wall)),
            table
                .create_loop
                .as_ref()
                .map_or_else(|| "-".to_owned(), |c| c.requests.operations()),
            ratio(&table.put_many, table.create_loop.as_ref()),
        ]);
    }
    t.row(vec![
        "total".to_owned(),
        seed.rows.to_string(),
        fmt_ms(seed.put_many.wall),
        seed.put_many.requests.operations(),
        seed.create_loop
            .as_ref()
            .map_or_else(|| "-".to_owned(), |c| fmt_ms(c.wall)),
        seed.create_loop
            .as_ref()
            .map_or_else(|| "-".to_owned(), |c| c.requests.operations()),
        ratio(&seed.put_many, seed.create_loop.as_ref()),
    ]);
    t.render()
}

/// The query table.
pub fn query_table(reports: &[QueryReport]) -> String {
    let mut t = TextTable::new(&[
        "query",
        "requests",
        "by operation",
        "rounds",
        "items read",
        "items returned",
        "read/returned",
        "capacity",
        "median ms",
        "min ms",
        "max ms",
    ]);
    for r in reports {
        t.row(vec![
            r.query.name().to_owned(),
            r.requests.total.to_string(),
            r.requests.operations(),
            r.requests.rounds.to_string(),
            r.requests.items_read.to_string(),
            r.items_returned.to_string(),
            format!("{:.2}", r.read_ratio()),
            fmt_capacity(r.requests.capacity_units),
            fmt_ms(r.timing.median),
            fmt_ms(r.timing.min),
            fmt_ms(r.timing.max),
        ]);
    }
    t.render()
}

/// The PASS / FAIL lines.
pub fn check_lines(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(
            out,
            "{}  {:<44} target {:<34} measured {}",
            c.verdict(),
            c.name,
            c.target,
            c.measured
        );
    }
    out.trim_end().to_owned()
}

// ------------------------------------------------------------------ JSON

pub fn requests_json(r: &Requests) -> Value {
    json!({
        "total": r.total,
        "by_operation": r.by_operation,
        "retries": r.retries,
        "rounds": r.rounds,
        "items_read": r.items_read,
        "capacity_units": r.capacity_units,
    })
}

pub fn timing_json(t: &Timing) -> Value {
    json!({
        "median_ms": ms(t.median),
        "min_ms": ms(t.min),
        "max_ms": ms(t.max),
    })
}

fn phase_json(p: &Phase) -> Value {
    json!({
        "wall_ms": ms(p.wall),
        "requests": requests_json(&p.requests),
    })
}

pub fn seed_json(seed: &SeedReport) -> Value {
    json!({
        "rows": seed.rows,
        "batch_write_floor": seed.floor,
        "sync_ms": ms(seed.sync),
        "put_many": phase_json(&seed.put_many),
        "create_loop": seed.create_loop.as_ref().map(phase_json),
        "speedup": seed.speedup(),
        "tables": seed.tables.iter().map(|t| json!({
            "table": t.table,
            "rows": t.rows,
            "put_many": phase_json(&t.put_many),
            "create_loop": t.create_loop.as_ref().map(phase_json),
        })).collect::<Vec<_>>(),
    })
}

pub fn query_json(r: &QueryReport) -> Value {
    json!({
        "query": r.query.name(),
        "shape": r.query.shape(),
        "explain": r.explain.lines().collect::<Vec<_>>(),
        "requests": requests_json(&r.requests),
        "items_returned": r.items_returned,
        "items_read_per_returned": r.read_ratio(),
        "same_requests_every_run": r.stable,
        "runs": r.samples.len(),
        "wall": timing_json(&r.timing),
        "samples_ms": r.samples.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
    })
}

pub fn checks_json(checks: &[Check]) -> Value {
    Value::Array(checks.iter().map(Check::to_json).collect())
}
