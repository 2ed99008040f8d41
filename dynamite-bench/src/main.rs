//! `dynamite-bench`: the e-commerce workload benchmark (the relationships walkthrough's queries).
//!
//! ```text
//! dynamite-bench ecommerce --scale N [--endpoint URL] [--prefix P] [--path FILE] [--concurrency N]
//!                          [--no-seed] [--no-create-loop] [--query Q6|Q7|Q8|Q9|Q10]
//!                          [--runs R] [--json PATH] [--layout single]
//!                          [--baseline sdk] [--cpu-runs R]
//! dynamite-bench compare [--scales 100,1000] [--endpoint URL] [--prefix P] [--no-seed]
//!                        [--query Q] [--runs R] [--json PATH]
//! dynamite-bench projects --scale N [--endpoint URL] [--prefix P] [--no-seed] [--runs R]
//!                         [--baseline sdk] [--cpu-runs R]
//! dynamite-bench transport [--scale N] [--runs R] [--json PATH]
//! dynamite-bench drop --prefix P --endpoint URL
//! ```
//!
//! The default prefixes are `bench_s<N>_` and `bench_cmp_`; use a new
//! prefix per run when several runs share one DynamoDB Local.
//!
//! ```text
//! ```

use std::process::ExitCode;

use dynamite_bench::baseline::{self, run::Effort};
use dynamite_bench::compare::{self, CompareOptions};
use dynamite_bench::projects;
use dynamite_bench::report;
use dynamite_bench::shop::Scale;
use dynamite_bench::workload::{self, Backend, BenchResult, QueryId};
use serde_json::json;

const USAGE: &str = "\
usage:
  dynamite-bench ecommerce --scale N [options]
      seeds N users, N/2 products, 5 orders per user, 3 items per order and
      2 reviews per user (put_many, and a loop of single creates for
      comparison), then measures Q6-Q10
  dynamite-bench compare [--scales 100,1000] [options]
      seeds every scale under its own prefix (<P>s<N>_), runs the queries
      on all of them interleaved, and compares requests and median wall time
  dynamite-bench projects --scale N [options]
      seeds N tenants of 5 projects, 8 tasks per project and 3 comments per
      task in one shared table, then measures P1 (a tenant's projects +
      tasks.comments) and P2 (the same with a task filter)
  dynamite-bench transport [--scale N] [--runs R] [--json PATH]
      one embedded engine (scale N, default 100) reached without a socket and
      over its loopback HTTP server: ORM get and SDK GetItem (25 x R each),
      Q6 and Q9 (R each), in alternating back-to-back blocks, medians
  dynamite-bench drop --prefix P --endpoint URL
      deletes the five tables under prefix P

options:
  --endpoint URL      a DynamoDB endpoint (DynamoDB Local); default: the embedded engine
  --prefix P          table prefix (default bench_s<N>_ / bench_cmp_)
  --path FILE         embedded engine only: keep its data in this SQLite file
  --concurrency N     requests one operation keeps in flight (default 16)
  --scan-segments N   parallel Scan segments (default: one per MiB of the table)
  --no-seed           reuse tables seeded earlier under the same prefix
  --no-create-loop    ecommerce: skip the loop of single creates
  --query Q           run only Q6 ... Q11 (Q11: first() of 150 ids + orders)
  --runs R            measured runs per query after one warm-up (default 20)
  --json PATH         also write every measurement as JSON
  --layout single     ecommerce: also seed the single-table layout (users, orders,
                      items, reviews in one table) and report both side by side,
                      after checking every query returns the same object graph
  --baseline sdk      ecommerce, projects: run every query also as the same requests
                      written by hand with the SDK (multi-table layout, plus the
                      single-table one with --layout single); checks answers and
                      requests equal, then reports client CPU per execution
                      (R+1 executions minus 1, over R) and wall-time ratios
                      (geometric mean of --runs alternating rounds, at least 20,
                      with a 95 % bootstrap upper bound)
  --cpu-runs R        executions per CPU batch (default: about 0.4 s of wall time)";

#[derive(Debug)]
struct Args {
    command: String,
    scale: Option<usize>,
    scales: Vec<usize>,
    backend: Backend,
    prefix: Option<String>,
    seed: bool,
    create_loop: bool,
    queries: Vec<QueryId>,
    runs: usize,
    json: Option<String>,
    /// `--layout single`: both layouts, object graphs checked equal.
    single_layout: bool,
    /// `--baseline sdk`: measure against the hand-written SDK baseline.
    baseline: bool,
    /// `--cpu-runs R`: executions per CPU batch of the baseline comparison.
    cpu_runs: Option<usize>,
}

fn parse_count(flag: &str, value: &str) -> BenchResult<usize> {
    value
        .replace(['_', ','], "")
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag}: expected a positive number, got `{value}`"))
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> BenchResult<Args> {
    let command = argv.next().ok_or("missing command")?;
    if !matches!(
        command.as_str(),
        "ecommerce" | "compare" | "drop" | "projects" | "transport"
    ) {
        return Err(format!("unknown command `{command}`"));
    }
    let mut args = Args {
        command,
        scale: None,
        scales: vec![100, 1000],
        backend: Backend::default(),
        prefix: None,
        seed: true,
        create_loop: true,
        queries: QueryId::ALL.to_vec(),
        runs: 20,
        json: None,
        single_layout: false,
        baseline: false,
        cpu_runs: None,
    };
    while let Some(flag) = argv.next() {
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (flag, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| argv.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--scale" => args.scale = Some(parse_count(&flag, &value()?)?),
            "--scales" => {
                args.scales = value()?
                    .split(',')
                    .map(|s| parse_count(&flag, s.trim()))
                    .collect::<BenchResult<_>>()?;
            }
            "--endpoint" => args.backend.endpoint = Some(value()?),
            "--path" => args.backend.path = Some(value()?),
            "--prefix" => args.prefix = Some(value()?),
            "--concurrency" => args.backend.concurrency = Some(parse_count(&flag, &value()?)?),
            "--scan-segments" => {
                let n = parse_count(&flag, &value()?)?;
                args.backend.scan_segments = Some(u32::try_from(n).map_err(|e| e.to_string())?);
            }
            "--no-seed" => args.seed = false,
            "--no-create-loop" => args.create_loop = false,
            "--query" => args.queries = vec![value()?.parse()?],
            "--runs" => args.runs = parse_count(&flag, &value()?)?,
            "--json" => args.json = Some(value()?),
            "--layout" => {
                args.single_layout = match value()?.as_str() {
                    "single" => true,
                    "multi" => false,
                    other => return Err(format!("--layout: `single` or `multi`, not `{other}`")),
                }
            }
            "--baseline" => {
                args.baseline = match value()?.as_str() {
                    "sdk" => true,
                    other => return Err(format!("--baseline: `sdk`, not `{other}`")),
                }
            }
            "--cpu-runs" => args.cpu_runs = Some(parse_count(&flag, &value()?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if matches!(args.command.as_str(), "ecommerce" | "projects") && args.scale.is_none() {
        return Err(format!("{} needs --scale N", args.command));
    }
    if args.baseline && !matches!(args.command.as_str(), "ecommerce" | "projects") {
        return Err("--baseline is for ecommerce and projects".to_owned());
    }
    if args.command == "transport"
        && (args.backend.endpoint.is_some() || args.backend.path.is_some())
    {
        return Err(
            "transport measures the in-memory embedded engine: no --endpoint or --path".to_owned(),
        );
    }
    if args.command == "drop" && (args.prefix.is_none() || args.backend.endpoint.is_none()) {
        return Err("drop needs --prefix and --endpoint".to_owned());
    }
    if args.command == "compare" && args.scales.len() < 2 {
        return Err("compare needs at least two scales (--scales 100,1000)".to_owned());
    }
    if args.backend.endpoint.is_some() && args.backend.path.is_some() {
        return Err("--path is for the embedded engine; drop it with --endpoint".to_owned());
    }
    if !args.seed && args.backend.endpoint.is_none() && args.backend.path.is_none() {
        return Err(
            "--no-seed on the in-memory embedded engine has nothing to reuse: pass --endpoint or --path"
                .to_owned(),
        );
    }
    Ok(args)
}

fn write_json(path: &str, value: &serde_json::Value) -> BenchResult<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("write {path}: {e}"))?;
    eprintln!("wrote {path}");
    Ok(())
}

fn print_checks(checks: &[report::Check]) {
    println!("\ntargets");
    println!("{}", report::check_lines(checks));
    let failed = checks.iter().filter(|c| c.failed()).count();
    let checked = checks.iter().filter(|c| !c.info).count();
    println!(
        "{} of {checked} targets met{}",
        checked - failed,
        if failed > 0 {
            format!(", {failed} missed")
        } else {
            String::new()
        }
    );
}

/// `ecommerce --layout single`: both layouts side by side.
async fn single_layout(args: &Args) -> BenchResult<()> {
    let scale = Scale::new(args.scale.unwrap_or(100));
    println!(
        "ecommerce at scale {}, multi-table against single-table layout, on {}, {} runs per query",
        scale.users,
        args.backend.name(),
        args.runs
    );
    let rows =
        dynamite_bench::single::compare(&args.backend, scale, &args.queries, args.runs, args.seed)
            .await?;
    println!(
        "
every query returned the same object graph on both layouts"
    );
    println!("{}", dynamite_bench::single::table(&rows));
    println!("plans of the single-table layout (explain)");
    for row in &rows {
        println!("{} {}:", row.query, row.query.shape());
        for line in row.explain.lines() {
            println!("    {line}");
        }
    }
    if let Some(path) = &args.json {
        let value = json!(rows
            .iter()
            .map(|r| json!({
                "query": r.query.name(),
                "returned": r.returned,
                "multi": {"requests": r.multi.total, "rounds": r.multi.rounds, "items_read": r.multi.items_read,
                          "median_ms": workload::ms(r.wall.0)},
                "single": {"requests": r.single.total, "rounds": r.single.rounds, "items_read": r.single.items_read,
                           "median_ms": workload::ms(r.wall.1)},
            }))
            .collect::<Vec<_>>());
        write_json(path, &value)?;
    }
    Ok(())
}

/// `--baseline sdk`: every query against its hand-written SDK baseline.
async fn baseline(args: &Args) -> BenchResult<()> {
    let effort = Effort {
        wall_rounds: args.runs,
        cpu_runs: args.cpu_runs,
        check_only: false,
    };
    let embedded = args.backend.endpoint.is_none();
    let scale = args.scale.unwrap_or(100);
    let (what, cases) = if args.command == "projects" {
        let prefix = args
            .prefix
            .clone()
            .unwrap_or_else(|| format!("bench_projects_s{scale}_"));
        let cases =
            baseline::command::projects(&args.backend, &prefix, scale, args.seed, effort).await?;
        (
            format!("projects, {scale} tenant(s), prefix `{prefix}`"),
            cases,
        )
    } else {
        let prefix = args
            .prefix
            .clone()
            .unwrap_or_else(|| format!("bench_s{scale}_"));
        let cases = baseline::command::ecommerce(
            &args.backend,
            Scale::new(scale),
            &prefix,
            args.seed,
            args.single_layout,
            &args.queries,
            effort,
        )
        .await?;
        (
            format!("ecommerce at scale {scale}, prefix `{prefix}`"),
            cases,
        )
    };
    println!(
        "ORM against the hand-written SDK baseline: {what}, on {}; load average {}",
        args.backend.name(),
        load_average()
    );
    println!(
        "every answer equal; CPU per execution = (CPU of R+1 executions - CPU of 1) / R, median of {} batches{}; \
         wall = ORM / baseline per round, {} alternating rounds",
        baseline::run::CPU_BATCHES,
        if embedded {
            " (embedded engine: the engine's work counts too)"
        } else {
            ""
        },
        args.runs.max(baseline::run::MIN_WALL_ROUNDS)
    );
    println!("{}", baseline::report::table(&cases, embedded));
    let checks = baseline::report::checks(&cases, embedded);
    print_checks(&checks);
    if let Some(path) = &args.json {
        let value = json!({
            "command": args.command,
            "baseline": "sdk",
            "backend": args.backend.name(),
            "scale": scale,
            "load_average": load_average(),
            "cases": baseline::report::to_json(&cases),
            "checks": report::checks_json(&checks),
        });
        write_json(path, &value)?;
    }
    Ok(())
}

/// The machine's load averages (1, 5, 15 minutes), as /proc/loadavg gives them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

async fn ecommerce(args: &Args) -> BenchResult<()> {
    if args.baseline {
        return baseline(args).await;
    }
    if args.single_layout {
        return single_layout(args).await;
    }
    let scale = Scale::new(args.scale.unwrap_or(100));
    let prefix = args
        .prefix
        .clone()
        .unwrap_or_else(|| format!("bench_s{}_", scale.users));
    println!(
        "ecommerce at scale {} ({} users, {} products, {} orders, {} order items, {} reviews: {} rows) on {}, prefix `{prefix}`, {} runs per query",
        scale.users,
        scale.users,
        scale.products(),
        scale.orders(),
        scale.items(),
        scale.reviews(),
        scale.total_rows(),
        args.backend.name(),
        args.runs
    );
    let db = args.backend.connect(&prefix).await?;
    let seed = if args.seed {
        let create_prefix = format!("{prefix}cl_");
        let seed = workload::seed(
            &db,
            scale,
            args.create_loop.then_some(create_prefix.as_str()),
        )
        .await?;
        println!(
            "\nseeding: put_many into `{prefix}`{}, interleaved table by table",
            if args.create_loop {
                format!(", a loop of single `create` calls into `{create_prefix}` (dropped after)")
            } else {
                String::new()
            }
        );
        println!("{}", report::seed_table(&seed));
        Some(seed)
    } else {
        workload::verify_seeded(&db, scale).await?;
        println!("\nseeding: skipped (--no-seed), tables under `{prefix}` verified");
        None
    };

    let queries = workload::measure_queries(&db, scale, &args.queries, args.runs).await?;
    println!(
        "\nqueries ({} measured runs each after one warm-up; requests, rounds and items are per run)",
        args.runs
    );
    println!("{}", report::query_table(&queries));
    println!("\nplans (explain)");
    for q in &queries {
        println!("{} {}:", q.query, q.query.shape());
        for line in q.explain.lines() {
            println!("    {line}");
        }
        if !q.stable {
            println!("    note: the requests varied between runs");
        }
    }
    let checks = report::checks(scale, seed.as_ref(), &queries);
    print_checks(&checks);

    if let Some(path) = &args.json {
        let value = json!({
            "command": "ecommerce",
            "backend": args.backend.name(),
            "scale": scale.users,
            "rows": {
                "users": scale.users,
                "products": scale.products(),
                "orders": scale.orders(),
                "order_items": scale.items(),
                "reviews": scale.reviews(),
            },
            "prefix": prefix,
            "runs": args.runs,
            "seed": seed.as_ref().map(report::seed_json),
            "queries": queries.iter().map(report::query_json).collect::<Vec<_>>(),
            "checks": report::checks_json(&checks),
        });
        write_json(path, &value)?;
    }
    Ok(())
}

async fn run_compare(args: &Args) -> BenchResult<()> {
    let options = CompareOptions {
        backend: args.backend.clone(),
        prefix: args
            .prefix
            .clone()
            .unwrap_or_else(|| "bench_cmp_".to_owned()),
        scales: args.scales.clone(),
        queries: args.queries.clone(),
        runs: args.runs,
        seed: args.seed,
    };
    println!(
        "compare scales {:?} on {}, prefix `{}`, {} interleaved runs per query and scale",
        options.scales,
        options.backend.name(),
        options.prefix,
        options.runs
    );
    let runs = compare::compare(&options).await?;
    for run in &runs {
        if let Some(seed) = &run.seed {
            println!(
                "\nseeding scale {} with put_many: {} rows, {} requests, {} ms",
                run.scale.users,
                seed.rows,
                seed.put_many.requests.total,
                report::fmt_ms(seed.put_many.wall)
            );
        }
    }
    for run in &runs {
        println!("\nscale {} (prefix `{}`)", run.scale.users, run.prefix);
        println!("{}", report::query_table(&run.queries));
    }
    println!("\ncomparison (medians of interleaved runs)");
    println!("{}", compare::table(&runs));
    let checks = compare::checks(&runs);
    print_checks(&checks);
    if let Some(path) = &args.json {
        write_json(path, &compare::to_json(&options, &runs, &checks))?;
    }
    Ok(())
}

async fn drop_tables(args: &Args) -> BenchResult<()> {
    let prefix = args.prefix.clone().unwrap_or_default();
    let db = args
        .backend
        .builder(&prefix)
        .build()
        .await
        .map_err(|e| format!("build the handle: {e}"))?;
    workload::drop_tables(&db).await?;
    println!(
        "dropped the tables under `{prefix}` on {}",
        args.backend.name()
    );
    Ok(())
}

/// `projects`: seeds the tenants and prints P1 and P2.
async fn projects(args: &Args) -> BenchResult<()> {
    if args.baseline {
        return baseline(args).await;
    }
    let tenants = args.scale.unwrap_or(1);
    let prefix = args
        .prefix
        .clone()
        .unwrap_or_else(|| format!("bench_projects_s{tenants}_"));
    println!(
        "projects workload: {tenants} tenant(s) of {} projects x {} tasks x {} comments on {}",
        projects::PROJECTS,
        projects::TASKS,
        projects::COMMENTS,
        args.backend.name()
    );
    let reports = projects::run(&args.backend, &prefix, tenants, args.seed, args.runs).await?;
    println!("{}", projects::table(&reports));
    for r in &reports {
        println!("{} plan:\n{}\n", r.query.name(), r.explain);
    }
    Ok(())
}

/// `transport`: socketless against loopback HTTP over one engine.
async fn transport(args: &Args) -> BenchResult<()> {
    let scale = Scale::new(args.scale.unwrap_or(100));
    let get_runs = args.runs * 25;
    println!(
        "transport: one embedded engine at scale {}, socketless against loopback HTTP; \
         {get_runs} GetItem and {} Q6 and Q9 runs per variant, in alternating blocks \
         (one warm-up)",
        scale.users, args.runs
    );
    let report = dynamite_bench::transport::run(scale, get_runs, args.runs).await?;
    println!("{}", report.table());
    let checks = report.checks();
    print_checks(&checks);
    if let Some(path) = &args.json {
        write_json(path, &dynamite_bench::transport::to_json(&report, &checks))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.command.as_str() {
        "compare" => run_compare(&args).await,
        "drop" => drop_tables(&args).await,
        "projects" => projects(&args).await,
        "transport" => transport(&args).await,
        _ => ecommerce(&args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> BenchResult<Args> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_the_documented_command_line() {
        let a = args(
            "ecommerce --scale 1_000 --endpoint http://127.0.0.1:8000 --prefix p_ --no-seed --query q9 --runs 5 --json out.json",
        )
        .unwrap();
        assert_eq!(a.scale, Some(1000));
        assert_eq!(a.backend.endpoint.as_deref(), Some("http://127.0.0.1:8000"));
        assert_eq!(a.prefix.as_deref(), Some("p_"));
        assert!(!a.seed);
        assert_eq!(a.queries, vec![QueryId::Q9]);
        assert_eq!(a.runs, 5);
        assert_eq!(a.json.as_deref(), Some("out.json"));
        let c = args("compare --scales=100,1000 --runs=3").unwrap();
        assert_eq!(c.scales, vec![100, 1000]);
        assert_eq!(c.runs, 3);
    }

    #[test]
    fn rejects_bad_command_lines() {
        assert!(args("ecommerce").is_err(), "no scale");
        assert!(args("ecommerce --scale 0").is_err());
        assert!(args("ecommerce --scale 10 --query Q12").is_err());
        assert!(
            args("ecommerce --scale 10 --no-seed").is_err(),
            "nothing to reuse"
        );
        assert!(args("compare --scales 100").is_err());
        assert!(args("bench").is_err());
        assert!(args("ecommerce --scale 10 --baseline orm").is_err());
        assert!(args("compare --baseline sdk").is_err());
        let b = args("ecommerce --scale 10 --baseline sdk --cpu-runs 50 --layout single").unwrap();
        assert!(b.baseline && b.single_layout);
        assert_eq!(b.cpu_runs, Some(50));
    }
}
