//! The baseline comparison as a table, as targets, and as JSON.

use serde_json::{Value, json};

use super::run::CaseReport;
use crate::report::{Check, TextTable};

/// The wall-time target: 95 % upper bound of the ratio's geometric mean.
pub const WALL_TARGET: f64 = 1.08;

fn us(d: std::time::Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

/// One line per query: requests (equal on both sides, or both shown),
/// CPU per execution and the wall-time ratios.
pub fn table(cases: &[CaseReport], embedded: bool) -> String {
    let cpu = if embedded {
        "CPU/exec µs ORM (incl. engine)"
    } else {
        "CPU/exec µs ORM"
    };
    let mut t = TextTable::new(&[
        "layout",
        "query",
        "requests (rounds, items read)",
        "rows",
        cpu,
        "baseline",
        "CPU ratio",
        "wall geo-mean",
        "wall 95% upper",
        "R",
    ]);
    for c in cases {
        let r = &c.orm_requests;
        let mut requests = format!("{} ({}, {})", r.operations(), r.rounds, r.items_read);
        if !c.same_requests() {
            let b = &c.baseline_requests;
            requests.push_str(&format!(
                " != baseline {} ({}, {})",
                b.operations(),
                b.rounds,
                b.items_read
            ));
        }
        let (orm, baseline) = c.cpu();
        let measured = !c.cpu_orm.is_empty();
        t.row(vec![
            c.layout.to_owned(),
            c.query.clone(),
            requests,
            c.rows.to_string(),
            if measured { us(orm) } else { "-".to_owned() },
            if measured {
                us(baseline)
            } else {
                "-".to_owned()
            },
            if measured {
                format!("{:.2}", c.cpu_ratio())
            } else {
                "-".to_owned()
            },
            if c.wall.ratios.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.3}", c.wall.geometric_mean())
            },
            if c.wall.ratios.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.3}", c.wall.upper_95())
            },
            c.cpu_runs.to_string(),
        ]);
    }
    t.render()
}

/// The targets: the same requests as the ORM (always), the CPU ratio (a
/// target on a server in another process; reported on the embedded
/// engine, whose work counts as the client's) and the wall-time bound
/// (a target on an endpoint, reported on the embedded engine).
pub fn checks(cases: &[CaseReport], embedded: bool) -> Vec<Check> {
    let mut out = Vec::new();
    for c in cases {
        let name = format!("{} {} baseline", c.layout, c.query);
        out.push(Check {
            name: format!("{name}: same requests, rounds, items read"),
            target: "equal".to_owned(),
            measured: format!(
                "ORM {} / {} rounds / {} items, baseline {} / {} / {}",
                c.orm_requests.operations(),
                c.orm_requests.rounds,
                c.orm_requests.items_read,
                c.baseline_requests.operations(),
                c.baseline_requests.rounds,
                c.baseline_requests.items_read
            ),
            pass: c.same_requests(),
            info: false,
        });
        if c.cpu_orm.is_empty() {
            continue;
        }
        let ratio = c.cpu_ratio();
        let (target, limit) = match c.cpu_target {
            Some(t) => (format!("≤ {t:.2}×"), t),
            None => ("reported".to_owned(), f64::INFINITY),
        };
        out.push(Check {
            name: format!("{name}: client CPU ORM / baseline"),
            target,
            measured: format!(
                "{ratio:.2}×{}",
                if embedded { " (incl. the engine)" } else { "" }
            ),
            pass: ratio <= limit,
            info: embedded || c.cpu_target.is_none(),
        });
        let upper = c.wall.upper_95();
        out.push(Check {
            name: format!("{name}: wall ORM / baseline, 95 % upper bound"),
            target: format!("≤ {WALL_TARGET:.2}×"),
            measured: format!(
                "{upper:.3}× (geometric mean {:.3}×, {} rounds)",
                c.wall.geometric_mean(),
                c.wall.ratios.len()
            ),
            pass: upper <= WALL_TARGET,
            info: embedded,
        });
    }
    out
}

/// The comparison as JSON.
pub fn to_json(cases: &[CaseReport]) -> Value {
    json!(
        cases
            .iter()
            .map(|c| {
                let (orm, baseline) = c.cpu();
                json!({
                    "layout": c.layout,
                    "query": c.query,
                    "shape": c.shape,
                    "rows": c.rows,
                    "same_requests": c.same_requests(),
                    "orm_requests": crate::report::requests_json(&c.orm_requests),
                    "baseline_requests": crate::report::requests_json(&c.baseline_requests),
                    "cpu_runs": c.cpu_runs,
                    "cpu_us": {"orm": orm.as_secs_f64() * 1e6, "baseline": baseline.as_secs_f64() * 1e6},
                    "cpu_ratio": c.cpu_ratio(),
                    "cpu_target": c.cpu_target,
                    "wall_ratios": c.wall.ratios,
                    "wall_geometric_mean": c.wall.geometric_mean(),
                    "wall_upper_95": c.wall.upper_95(),
                })
            })
            .collect::<Vec<_>>()
    )
}
