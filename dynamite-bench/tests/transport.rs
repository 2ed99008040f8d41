//! `dynamite-bench transport` runs end to end at a small scale: every
//! variant measured, the same requests on both transports (wall times are
//! not asserted: they belong to the release-build run).

// A test: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, missing_docs)]

use dynamite_bench::shop::Scale;
use dynamite_bench::transport;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transport_subcommand_measures_every_variant_with_equal_requests() {
    let report = transport::run(Scale::new(10), 4, 3).await.unwrap();
    for v in report.variants() {
        assert!(!v.samples.is_empty(), "{} was not measured", v.name);
        assert!(v.timing.median > std::time::Duration::ZERO, "{}", v.name);
    }
    let get = "GetItem 1";
    assert_eq!(report.orm_get_socketless.requests.operations(), get);
    assert_eq!(report.sdk_get_socketless.requests.operations(), get);
    assert_eq!(report.sdk_get_loopback.requests.operations(), get);
    assert_eq!(report.sdk_get_idle.requests.operations(), get);
    assert_eq!(report.sdk_get_socketless.samples.len(), 4);
    assert_eq!(
        report.q6_socketless.requests.operations(),
        "GetItem 1, Query 1"
    );
    assert_eq!(report.q6_socketless.samples.len(), 3);
    assert!(
        report
            .q6_socketless
            .requests
            .same_requests(&report.q6_loopback.requests)
    );
    assert!(report.q9_socketless.requests.total > 2);
    assert!(
        report
            .q9_socketless
            .requests
            .same_requests(&report.q9_loopback.requests)
    );
    // Every target is checked, and the table names every variant.
    assert_eq!(report.checks().len(), 4);
    let table = report.table();
    assert!(table.contains("SDK GetItem, loopback HTTP"), "{table}");
}
