//! `--baseline sdk` at a small scale: on every layout, the hand-written
//! SDK baseline returns the ORM's answer (checked inside the run: a
//! different graph is an error) and sends the same requests, rounds and
//! items read, so the test fails when the ORM's plan and the baseline
//! drift apart. On the embedded engine, or on DynamoDB Local when
//! `DYNAMITE_TEST_ENDPOINT` is set.

// A test: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, missing_docs)]

use dynamite_bench::baseline::{command, report, run::CaseReport, run::Effort};
use dynamite_bench::projects::ProjectQuery;
use dynamite_bench::shop::Scale;
use dynamite_bench::workload::{Backend, QueryId};
use dynamite_testkit::backend::{TEST_ENDPOINT_VAR, endpoint_from, unique_prefix};

fn backend() -> Backend {
    Backend {
        endpoint: endpoint_from(TEST_ENDPOINT_VAR),
        ..Backend::default()
    }
}

/// Deletes the tables under `prefix` on an endpoint (the embedded engine
/// goes away with the handles).
async fn drop_prefix(backend: &Backend, prefix: &str) {
    let Some(url) = &backend.endpoint else {
        return;
    };
    let db = dynamite_testkit::backend::remote(url.clone())
        .build()
        .await
        .unwrap();
    let tables = db.client().list_tables().send().await.unwrap();
    for name in tables.table_names() {
        if name.starts_with(prefix) {
            db.client()
                .delete_table()
                .table_name(name)
                .send()
                .await
                .unwrap();
        }
    }
}

/// Runs `test` on a 2-thread runtime on a thread with a large stack: an
/// unoptimised ORM query's future nests deeper than a test thread's 2 MiB.
fn on_large_stack<F: std::future::Future<Output = ()> + 'static>(test: fn() -> F) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(16 << 20)
                .enable_all()
                .build()
                .unwrap()
                .block_on(test());
        })
        .unwrap()
        .join()
        .unwrap();
}

fn case<'a>(cases: &'a [CaseReport], layout: &str, query: &str) -> &'a CaseReport {
    cases
        .iter()
        .find(|c| c.layout == layout && c.query == query)
        .unwrap_or_else(|| panic!("{layout} {query} was not measured"))
}

#[test]
fn the_baseline_sends_the_orms_requests_and_returns_its_answers() {
    on_large_stack(ecommerce);
}

#[test]
fn the_nested_collection_baseline_is_measured_against_the_orm() {
    on_large_stack(projects);
}

/// Scale 12: the multi-table Q10 reads the orders with one Query per user
/// (12 users, under one wave of 16), the single-table one with a Scan.
async fn ecommerce() {
    let backend = backend();
    let prefix = unique_prefix("bl");
    let scale = Scale::new(12);
    let effort = Effort {
        wall_rounds: 20,
        cpu_runs: Some(2),
        check_only: true,
    };
    let cases = Box::pin(command::ecommerce(
        &backend,
        scale,
        &prefix,
        true,
        true,
        &QueryId::ALL,
        effort,
    ))
    .await
    .unwrap();
    // Q6–Q11 on the multi-table layout, Q6–Q10 on the single-table one.
    assert_eq!(cases.len(), 11, "{cases:#?}");
    for c in &cases {
        assert!(c.same_requests(), "{} {}: {c:#?}", c.layout, c.query);
        let q: QueryId = c.query.parse().unwrap();
        assert_eq!(c.rows, q.expected_rows(scale), "{} {}", c.layout, c.query);
    }
    // The plans the baseline was written against.
    let plan = |layout, query| {
        let c = case(&cases, layout, query);
        (c.baseline_requests.operations(), c.baseline_requests.rounds)
    };
    assert_eq!(plan("multi", "Q6"), ("GetItem 1, Query 1".to_owned(), 1));
    assert_eq!(
        plan("multi", "Q9"),
        ("BatchGetItem 1, GetItem 1, Query 7".to_owned(), 3)
    );
    assert_eq!(plan("multi", "Q10"), ("Query 12, Scan 1".to_owned(), 2));
    assert_eq!(plan("single", "Q10"), ("Scan 2".to_owned(), 1));
    assert_eq!(plan("single", "Q6"), ("Query 1".to_owned(), 1));
    assert_eq!(
        plan("single", "Q9"),
        ("BatchGetItem 1, Query 1".to_owned(), 2)
    );

    // A baseline that drifted (one more round) fails its check.
    let mut drifted = case(&cases, "multi", "Q7").clone();
    drifted.baseline_requests.rounds += 1;
    let checks = report::checks(&[drifted], backend.endpoint.is_none());
    assert!(checks[0].failed(), "{checks:?}");
    drop_prefix(&backend, &prefix).await;
}

/// Two tenants: P2 reads the comments of its 20 open tasks with one Scan
/// of the (small) table.
async fn projects() {
    let backend = backend();
    let prefix = unique_prefix("blp");
    let effort = Effort {
        wall_rounds: 20,
        cpu_runs: Some(2),
        check_only: false,
    };
    let cases = Box::pin(command::projects(&backend, &prefix, 2, true, effort))
        .await
        .unwrap();
    assert_eq!(cases.len(), 2);
    for (c, q) in cases.iter().zip([ProjectQuery::P1, ProjectQuery::P2]) {
        assert_eq!(c.query, q.name());
        assert!(c.same_requests(), "{c:#?}");
        assert_eq!(c.wall.ratios.len(), 20);
        assert!(c.wall.ratios.iter().all(|r| *r > 0.0));
        assert!(c.wall.upper_95() >= c.wall.geometric_mean());
        assert_eq!((c.cpu_orm.len(), c.cpu_baseline.len()), (3, 3));
        assert_eq!(c.cpu_runs, 2);
    }
    // P1: the projects' Query, then per project its tasks and its comments.
    assert_eq!(cases[0].orm_requests.total, 11);
    assert_eq!(cases[0].orm_requests.rounds, 2);
    assert_eq!(cases[1].orm_requests.operations(), "Query 6, Scan 1");
    let table = report::table(&cases, backend.endpoint.is_none());
    assert!(table.contains("projects  P2"), "{table}");
    let checks = report::checks(&cases, backend.endpoint.is_none());
    assert_eq!(checks.len(), 6);
    drop_prefix(&backend, &prefix).await;
}
