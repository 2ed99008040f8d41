//! Review of issue 20 through the public API: the socketless embedded
//! transport answers as the loopback server over the same engine does,
//! handles survive runtimes, `#[dynamite::test]`, fixtures and snapshots.
//! Tests about the embedded engine itself return early when
//! `DYNAMITE_TEST_ENDPOINT` is set.

// Tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;
use std::time::Duration;

use dynamite::Error;
use dynamite::prelude::*;
use dynamite::sdk::Client;
use dynamite::sdk::config::http::HttpResponse;
use dynamite::sdk::error::{ProvideErrorMetadata, SdkError};
use dynamite::sdk::primitives::Blob;
use dynamite::sdk::types::{
    AttributeValue as Av, KeysAndAttributes, PutRequest, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, WriteRequest,
};
use dynamite::testing::{Fixtures, TEST_ENDPOINT_VAR};

#[derive(Table, Debug, Clone, serde::Deserialize)]
#[dynamite(table = "r20_notes")]
struct Note {
    #[dynamite(primary_key)]
    id: String,
    text: String,
}

mod other {
    /// A second model whose type name is also `Note`.
    #[derive(dynamite::Table, Debug, Clone, serde::Deserialize)]
    #[dynamite(table = "r20_other_notes")]
    pub struct Note {
        #[dynamite(primary_key)]
        pub key: u32,
        pub body: String,
    }
}

fn on_endpoint() -> bool {
    std::env::var(TEST_ENDPOINT_VAR).is_ok_and(|e| !e.is_empty())
}

/// What a request came to, without what legitimately differs per request
/// (the request id): the output's Debug lines, sorted (maps print in hash
/// order), or the error's code and status.
fn outcome<O: Debug, E: ProvideErrorMetadata + Debug>(
    r: Result<O, SdkError<E, HttpResponse>>,
) -> String {
    match r {
        Ok(o) => {
            // Maps print in hash order: compare the multiset of lines.
            let text = format!("{o:#?}");
            let mut lines: Vec<&str> = text.lines().map(str::trim).collect();
            // The request id: the line after `_request_id: Some(`.
            if let Some(i) = lines.iter().position(|l| *l == "_request_id: Some(") {
                lines.remove(i + 1);
            }
            lines.sort_unstable();
            format!("Ok {}", lines.join("\n"))
        }
        Err(e) => format!(
            "Err code={:?} status={:?}",
            e.code(),
            e.raw_response().map(|r| r.status().as_u16())
        ),
    }
}

/// Sends the same request through the socketless client and the loopback
/// client; asserts they came to the same; returns it.
macro_rules! same {
    ($socketless:expr, $loopback:expr, |$c:ident| $op:expr) => {{
        let a = {
            let $c: &Client = $socketless;
            outcome($op.send().await)
        };
        let b = {
            let $c: &Client = $loopback;
            outcome($op.send().await)
        };
        assert_eq!(a, b, "socketless vs loopback: {}", stringify!($op));
        a
    }};
}

/// An embedded handle with `Note` synced, and an SDK client over its
/// loopback endpoint.
async fn pair() -> (Dynamite, Client) {
    let db = Dynamite::embedded().table::<Note>().build().await.unwrap();
    db.sync().await.unwrap();
    let endpoint = db.embedded_endpoint().unwrap().to_owned();
    let over_http = Dynamite::builder()
        .endpoint(endpoint)
        .credentials("x", "y")
        .table::<Note>()
        .build()
        .await
        .unwrap();
    (db, over_http.client().clone())
}

fn s(v: &str) -> Av {
    Av::S(v.to_owned())
}

fn n(v: &str) -> Av {
    Av::N(v.to_owned())
}

fn nested(depth: usize) -> Av {
    (0..depth).fold(s("leaf"), |inner, _| {
        Av::M([("k".to_owned(), inner)].into_iter().collect())
    })
}

/// Issue 20: "the same request and response bytes the SDK would have sent
/// and parsed ... errors keep their `__type` and status". Items at the
/// edges (unicode, binary, numbers of 38 digits and extreme exponents, a
/// 400 KB item, deep nesting) and their errors come out of both embedded
/// transports alike.
#[tokio::test]
async fn items_and_errors_at_the_edges_match_over_both_transports() {
    if on_endpoint() {
        return;
    }
    let (db, http) = pair().await;
    let sl = db.client();
    let t = "r20_notes";
    let edge_numbers = [
        "9.9999999999999999999999999999999999999E+125",
        "-9.9999999999999999999999999999999999999E+125",
        "1E-130",
        "-1E-130",
        "12345678901234567890123456789012345678",
        "0",
        "1E+126",
        "1E-131",
        "123456789012345678901234567890123456789",
        "NaN",
        " 1",
    ];
    for (i, num) in edge_numbers.iter().enumerate() {
        let id = format!("num{i}");
        same!(sl, &http, |c| c
            .put_item()
            .table_name(t)
            .item("id", s(&id))
            .item("text", s("x"))
            .item("n", n(num)));
        same!(sl, &http, |c| c
            .get_item()
            .table_name(t)
            .key("id", s(&id))
            .consistent_read(true));
    }
    let unicode = "ключ 🔑 \u{0}\u{FFFF} 𝄞 \"\\";
    // "1" and "1.0" are one number: a set holding both is refused.
    let dup = same!(sl, &http, |c| c
        .put_item()
        .table_name(t)
        .item("id", s(unicode))
        .item("ns", Av::Ns(vec!["1".into(), "1.0".into()])));
    assert!(dup.contains("ValidationException"), "{dup}");
    same!(sl, &http, |c| c
        .put_item()
        .table_name(t)
        .item("id", s(unicode))
        .item("text", s(unicode))
        .item("b", Av::B(Blob::new(vec![0u8, 255, 128, 10, 13])))
        .item("bs", Av::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2])]))
        .item("ns", Av::Ns(vec!["1".into(), "-1E-130".into()])));
    let got = same!(sl, &http, |c| c
        .get_item()
        .table_name(t)
        .key("id", s(unicode)));
    assert!(got.contains("\"ns\": Ns("), "{got}");
    // Size limits: just under 400 KB, and over.
    for (id, size) in [("big", 399_000), ("huge", 410_000)] {
        same!(sl, &http, |c| c
            .put_item()
            .table_name(t)
            .item("id", s(id))
            .item("text", s(&"é".repeat(size / 2))));
        same!(sl, &http, |c| c.get_item().table_name(t).key("id", s(id)));
    }
    // Nesting: DynamoDB allows 32 levels; 70 goes past serde's recursion
    // limit (the adapter's loopback path).
    for depth in [32, 33, 70] {
        let id = format!("deep{depth}");
        same!(sl, &http, |c| c
            .put_item()
            .table_name(t)
            .item("id", s(&id))
            .item("text", nested(depth)));
        same!(sl, &http, |c| c.get_item().table_name(t).key("id", s(&id)));
    }
    // Keys and tables that are not there.
    same!(sl, &http, |c| c.get_item().table_name(t).key("id", s("")));
    same!(sl, &http, |c| c
        .get_item()
        .table_name(t)
        .key("nope", s("a")));
    same!(sl, &http, |c| c
        .get_item()
        .table_name("r20_missing")
        .key("id", s("a")));
    same!(sl, &http, |c| c.get_item().table_name("").key("id", s("a")));
    same!(sl, &http, |c| c
        .put_item()
        .table_name(t)
        .item("id", s("c"))
        .item("text", Av::Ss(vec![])));
    // A condition that fails, returning the item (a failed write changes
    // nothing, so both transports see the same state).
    let failed = same!(sl, &http, |c| c
        .put_item()
        .table_name(t)
        .item("id", s(unicode))
        .condition_expression("attribute_not_exists(id)")
        .return_values_on_condition_check_failure(
            ReturnValuesOnConditionCheckFailure::AllOld
        ));
    assert!(failed.contains("ConditionalCheckFailed"), "{failed}");
}

/// Issue 20: paginators, batches near their limits, transactions, PartiQL,
/// TTL, streams and tags answer alike over both transports.
#[tokio::test]
async fn every_operation_family_matches_over_both_transports() {
    if on_endpoint() {
        return;
    }
    let (db, http) = pair().await;
    let sl = db.client();
    let t = "r20_notes";
    let put = |i: usize| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .item("id", s(&format!("b{i:03}")))
                    .item("text", s(&"z".repeat(10_000)))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    // 25 writes is the limit; 26 is refused; duplicates are refused.
    same!(sl, &http, |c| c
        .batch_write_item()
        .request_items(t, (0..25).map(put).collect()));
    same!(sl, &http, |c| c
        .batch_write_item()
        .request_items(t, (25..51).map(put).collect()));
    same!(sl, &http, |c| c
        .batch_write_item()
        .request_items(t, vec![put(1), put(1)]));
    let keys = |range: std::ops::Range<usize>| {
        let mut k = KeysAndAttributes::builder();
        for i in range {
            k = k.keys([("id".to_owned(), s(&format!("b{i:03}")))].into());
        }
        k.build().unwrap()
    };
    let got = same!(sl, &http, |c| c
        .batch_get_item()
        .request_items(t, keys(0..100)));
    assert!(got.starts_with("Ok"), "{got}");
    same!(sl, &http, |c| c
        .batch_get_item()
        .request_items(t, keys(0..101)));
    // Paginators (16 MB pages would be one; 1 MB scans split these).
    for c in [sl, &http] {
        let pages: Vec<_> = c
            .scan()
            .table_name(t)
            .limit(7)
            .into_paginator()
            .send()
            .collect::<Vec<_>>()
            .await;
        assert_eq!(pages.len(), 4, "25 items in pages of 7");
        assert!(pages.iter().all(Result::is_ok));
    }
    // Transactions.
    let tx_put = |id: &str, cond: Option<&str>| {
        TransactWriteItem::builder()
            .put(
                dynamite::sdk::types::Put::builder()
                    .table_name(t)
                    .item("id", s(id))
                    .item("text", s("tx"))
                    .set_condition_expression(cond.map(str::to_owned))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    same!(sl, &http, |c| c
        .transact_write_items()
        .transact_items(tx_put("b000", Some("attribute_not_exists(id)")))
        .transact_items(tx_put("t1", None)));
    same!(sl, &http, |c| c
        .transact_write_items()
        .transact_items(tx_put("t1", None))
        .transact_items(tx_put("t1", None)));
    same!(sl, &http, |c| c.transact_write_items());
    // PartiQL.
    same!(sl, &http, |c| c
        .execute_statement()
        .statement(format!("SELECT * FROM \"{t}\" WHERE id = 'b001'")));
    same!(sl, &http, |c| c
        .execute_statement()
        .statement("SELEKT nonsense"));
    same!(sl, &http, |c| c.execute_statement().statement(format!(
        "INSERT INTO \"{t}\" VALUE {{'id': 'b001', 'text': 'dup'}}"
    )));
    same!(sl, &http, |c| c.execute_transaction().transact_statements(
        dynamite::sdk::types::ParameterizedStatement::builder()
            .statement(format!("SELECT * FROM \"{t}\" WHERE id = 'b001'"))
            .build()
            .unwrap()
    ));
    // Updates, queries and scans, valid and not.
    let update = |c: &Client, expr: &str| {
        c.update_item()
            .table_name(t)
            .key("id", s("b002"))
            .update_expression(expr.to_owned())
            .expression_attribute_values(":one", n("1"))
            .return_values(dynamite::sdk::types::ReturnValue::AllNew)
    };
    same!(sl, &http, |c| update(c, "SET hits = :one"));
    same!(sl, &http, |c| update(
        c,
        "SET hits = if_not_exists(hits, :one), more = :one"
    ));
    same!(sl, &http, |c| update(c, "SET id = :one"));
    same!(sl, &http, |c| update(c, "SET #missing = :one"));
    same!(sl, &http, |c| update(c, "REMOVE"));
    same!(sl, &http, |c| c
        .query()
        .table_name(t)
        .key_condition_expression("id = :v")
        .expression_attribute_values(":v", s("b003")));
    same!(sl, &http, |c| c
        .query()
        .table_name(t)
        .key_condition_expression("text = :v")
        .expression_attribute_values(":v", s("b003")));
    same!(sl, &http, |c| c
        .query()
        .table_name(t)
        .index_name("nope")
        .key_condition_expression("id = :v")
        .expression_attribute_values(":v", s("b003")));
    same!(sl, &http, |c| c
        .scan()
        .table_name(t)
        .segment(1)
        .total_segments(3)
        .filter_expression("begins_with(id, :p)")
        .expression_attribute_values(":p", s("b01")));
    same!(sl, &http, |c| c
        .scan()
        .table_name(t)
        .segment(3)
        .total_segments(3));
    same!(sl, &http, |c| c.scan().table_name(t).limit(0));
    // TTL, streams, tags, tables.
    same!(sl, &http, |c| c.describe_time_to_live().table_name(t));
    same!(sl, &http, |c| c
        .describe_time_to_live()
        .table_name("r20_missing"));
    same!(sl, &http, |c| c.describe_table().table_name(t));
    same!(sl, &http, |c| c.list_tables().limit(1));
    same!(sl, &http, |c| c.list_tags_of_resource().resource_arn(
        "arn:aws:dynamodb:us-east-1:000000000000:table/r20_notes"
    ));
    same!(sl, &http, |c| c
        .list_tags_of_resource()
        .resource_arn("not an arn"));
    same!(sl, &http, |c| c.delete_table().table_name("r20_missing"));
}

/// Issue 20: "the engine outlives any one test's runtime". A handle built
/// (and its loopback endpoint started) on one runtime keeps working on
/// another after the first is dropped, also on a current-thread runtime.
#[test]
fn a_handle_outlives_the_runtime_that_built_it() {
    if on_endpoint() {
        return;
    }
    let first = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, endpoint) = first.block_on(async {
        let db = Dynamite::embedded().table::<Note>().build().await.unwrap();
        db.sync().await.unwrap();
        Note::create().id("a").text("one").exec(&db).await.unwrap();
        let endpoint = db.embedded_endpoint().unwrap().to_owned();
        (db, endpoint)
    });
    drop(first);
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        assert_eq!(Note::get(&db, "a").await.unwrap().unwrap().text, "one");
        Note::create().id("b").text("two").exec(&db).await.unwrap();
        let over_http = Dynamite::builder()
            .endpoint(&endpoint)
            .credentials("x", "y")
            .table::<Note>()
            .build()
            .await
            .unwrap();
        assert_eq!(
            Note::get(&over_http, "b").await.unwrap().unwrap().text,
            "two"
        );
        assert_eq!(db.embedded_endpoint(), Some(endpoint.as_str()));
    });
}

/// Issue 20: many concurrent requests on a current-thread runtime,
/// `embedded_endpoint()` called from many threads at once (one address),
/// and requests abandoned mid-flight leave the engine answering.
#[tokio::test(flavor = "current_thread")]
async fn concurrency_cancellation_and_a_late_endpoint() {
    if on_endpoint() {
        return;
    }
    let db = Dynamite::embedded().table::<Note>().build().await.unwrap();
    db.sync().await.unwrap();
    let writes = (0..300).map(|i| {
        let db = db.clone();
        async move { Note::create().id(format!("n{i}")).text("x").exec(&db).await }
    });
    for r in futures::future::join_all(writes).await {
        r.unwrap();
    }
    // Abandon 200 requests at once, at various points.
    for i in 0..200u64 {
        let db = db.clone();
        let _ = tokio::time::timeout(
            Duration::from_micros(i % 7),
            Note::create().id(format!("c{i}")).text("y").exec(&db),
        )
        .await;
    }
    // The endpoint, late and from many threads at once: one address.
    let addresses: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| db.embedded_endpoint().unwrap().to_owned()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(addresses.windows(2).all(|w| w[0] == w[1]), "{addresses:?}");
    assert!(Note::query().count(&db).await.unwrap() >= 300);
    // A client clone keeps the engine after the handle is dropped.
    let client = db.client().clone();
    let in_flight: Vec<_> = (0..50)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get_item()
                    .table_name("r20_notes")
                    .key("id", s(&format!("n{i}")))
                    .send()
                    .await
            })
        })
        .collect();
    drop(db);
    for task in in_flight {
        assert!(task.await.unwrap().unwrap().item().is_some());
    }
}

/// `Dynamite::embedded().path(..)`: the data is in the file; another
/// handle opened on it after the first is dropped reads it, and a
/// snapshot restored into it persists there too.
#[tokio::test]
async fn a_persisted_engine_keeps_its_data_and_restores_into_the_file() {
    if on_endpoint() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("r20-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("db.sqlite");
    let _ = std::fs::remove_file(&file);
    {
        let db = Dynamite::embedded()
            .path(&file)
            .table::<Note>()
            .build()
            .await
            .unwrap();
        db.sync().await.unwrap();
        Note::create().id("kept").text("k").exec(&db).await.unwrap();
    }
    let seed = {
        let mem = Dynamite::embedded().table::<Note>().build().await.unwrap();
        mem.sync().await.unwrap();
        Note::create()
            .id("seeded")
            .text("s")
            .exec(&mem)
            .await
            .unwrap();
        mem.snapshot().await.unwrap()
    };
    {
        let db = Dynamite::embedded()
            .path(&file)
            .table::<Note>()
            .build()
            .await
            .unwrap();
        db.sync().await.unwrap();
        assert!(Note::get(&db, "kept").await.unwrap().is_some());
        db.restore(&seed).await.unwrap();
        assert!(Note::get(&db, "kept").await.unwrap().is_none());
    }
    let db = Dynamite::embedded()
        .path(&file)
        .table::<Note>()
        .build()
        .await
        .unwrap();
    assert!(Note::get(&db, "seeded").await.unwrap().is_some());
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Snapshots: restore into another handle with other models replaces its
/// tables (the loopback server sees the restored data); a handle on
/// another endpoint gets a typed `Error::Config`, as `sweep_expired` does.
#[tokio::test]
async fn snapshots_restore_across_handles_and_refuse_other_endpoints() {
    if on_endpoint() {
        let endpoint = std::env::var(TEST_ENDPOINT_VAR).unwrap();
        let remote = Dynamite::builder()
            .endpoint(endpoint)
            .credentials("test", "test")
            .region("us-east-1")
            .table::<Note>()
            .build()
            .await
            .unwrap();
        assert!(matches!(remote.snapshot().await, Err(Error::Config(_))));
        assert!(matches!(
            remote.sweep_expired().await,
            Err(Error::Config(_))
        ));
        return;
    }
    let seeded = Dynamite::embedded().table::<Note>().build().await.unwrap();
    seeded.sync().await.unwrap();
    Note::create()
        .id("s")
        .text("seed")
        .exec(&seeded)
        .await
        .unwrap();
    let snapshot = seeded.snapshot().await.unwrap();
    assert!(!snapshot.is_empty());

    let target = Dynamite::embedded()
        .table::<other::Note>()
        .build()
        .await
        .unwrap();
    target.sync().await.unwrap();
    let endpoint = target.embedded_endpoint().unwrap().to_owned();
    target.restore(&snapshot).await.unwrap();
    let names = target.client().list_tables().send().await.unwrap();
    assert_eq!(names.table_names(), ["r20_notes"]);
    // The restored table is readable through a handle of the seed's model,
    // over the loopback server started before the restore.
    let over_http = Dynamite::builder()
        .endpoint(endpoint)
        .credentials("x", "y")
        .table::<Note>()
        .build()
        .await
        .unwrap();
    assert_eq!(
        Note::get(&over_http, "s").await.unwrap().unwrap().text,
        "seed"
    );
    // The other model's table is gone: a typed error, no panic.
    assert!(other::Note::get(&target, 1u32).await.is_err());

    let remote = Dynamite::builder()
        .endpoint(
            over_http
                .embedded_endpoint()
                .unwrap_or("http://127.0.0.1:9"),
        )
        .credentials("x", "y")
        .build()
        .await
        .unwrap();
    assert!(matches!(
        remote.restore(&snapshot).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(remote.snapshot().await, Err(Error::Config(_))));
    assert!(matches!(
        remote.sweep_expired().await,
        Err(Error::Config(_))
    ));
}

/// `Fixtures::model`: "Rows listed under `T`'s type name deserialize into
/// `T`". Two models of one test sharing a type name (`Note` in two
/// modules) make `"Note"` ambiguous; the loader must say so (typed
/// `Error::Fixture`) rather than silently load every `"Note"` row into
/// whichever model was registered first.
#[tokio::test]

async fn two_models_with_one_type_name_are_not_silently_merged() {
    let db = harness_db(|b| b.table::<Note>().table::<other::Note>()).await;
    let fixtures = Fixtures::new().model::<Note>().model::<other::Note>();
    let result = fixtures
        .load_json(&db, "f.json", r#"{"Note": [{"key": 1, "body": "b"}]}"#)
        .await;
    // Whatever it does, it must not be a silent wrong-model parse: either
    // it loads into other::Note, or it refuses naming the ambiguity.
    match result {
        Ok(1) => assert!(other::Note::get(&db, 1u32).await.unwrap().is_some()),
        Ok(n) => panic!("stored {n}"),
        Err(Error::Fixture { message, .. }) => {
            assert!(
                message.contains("other"),
                "the error does not name the ambiguity: {message}"
            )
        }
        Err(e) => panic!("untyped: {e}"),
    }
    cleanup(&db).await;
}

/// Fixture rows with bad types or missing keys, and raw items for tables
/// that do not exist or without their key, are typed `Error::Fixture`
/// naming the file, the model (or `$items.<table>`) and the row.
#[tokio::test]
async fn bad_fixture_rows_name_file_model_and_row() {
    let db = harness_db(|b| b.table::<Note>()).await;
    let fixtures = Fixtures::new().model::<Note>();
    let cases = [
        (
            r#"{"Note": [{"id": "a", "text": "t"}, {"id": 7, "text": "t"}]}"#,
            "Note",
            Some(1),
        ),
        (r#"{"Note": [{"text": "t"}]}"#, "Note", Some(0)),
        (r#"{"Note": [{"id": "", "text": "t"}]}"#, "Note", Some(0)),
        (r#"{"Note": {"id": "a"}}"#, "Note", None),
        (
            r#"{"$items": {"r20_notes": [{"text": {"S": "no key"}}]}}"#,
            "$items.r20_notes",
            Some(0),
        ),
        (
            r#"{"$items": {"r20_nope": [{"id": {"S": "a"}}]}}"#,
            "$items.r20_nope",
            Some(0),
        ),
        (
            r#"{"$items": {"r20_notes": [{"id": {"S": "a"}, "n": {"N": "abc"}}]}}"#,
            "$items.r20_notes",
            Some(0),
        ),
        (
            r#"{"$items": {"r20_notes": [{"id": {"Q": "a"}}]}}"#,
            "$items.r20_notes",
            Some(0),
        ),
        (r#"{"Nope": []}"#, "Nope", None),
        (
            r#"{"Note": [{"id": "d", "text": "t"}, {"id": "d", "text": "again"}]}"#,
            "Note",
            Some(1),
        ),
        (
            r#"{"$items": {"r20_notes": [{"id": {"S": "e"}, "n": {"N": 5}}]}}"#,
            "$items.r20_notes",
            Some(0),
        ),
        (
            r#"{"$items": {"r20_notes": [{"id": {"S": "e"}, "b": {"B": "@@"}}]}}"#,
            "$items.r20_notes",
            Some(0),
        ),
        (
            r#"{"$items": {"r20_notes": [{"id": {"S": "e"}, "s": {"SS": []}}]}}"#,
            "$items.r20_notes",
            Some(0),
        ),
        (
            r#"{"$items": {"r20_notes": [{"id": {"S": "e"}, "s": {"S": "a", "N": "1"}}]}}"#,
            "$items.r20_notes",
            Some(0),
        ),
        (r#"{"$items": [{"id": {"S": "e"}}]}"#, "$items", None),
    ];
    for (json, want_model, want_row) in cases {
        match fixtures.load_json(&db, "bad.json", json).await {
            Err(Error::Fixture {
                file, model, row, ..
            }) => {
                assert_eq!(
                    (file.as_str(), model.as_str(), row),
                    ("bad.json", want_model, want_row),
                    "{json}"
                );
            }
            other => panic!("{json}: {other:?}"),
        }
    }
    cleanup(&db).await;
}

/// A fresh synced handle as `#[dynamite::test]` makes one, for tests that
/// need the `Fixtures` API directly.
async fn harness_db(
    f: impl FnOnce(dynamite::DynamiteBuilder) -> dynamite::DynamiteBuilder,
) -> Dynamite {
    let builder = match std::env::var(TEST_ENDPOINT_VAR) {
        Ok(e) if !e.is_empty() => Dynamite::builder()
            .endpoint(e)
            .credentials("test", "test")
            .region("us-east-1")
            .table_prefix(format!("r20_{}_", uuid_ish())),
        _ => Dynamite::embedded(),
    };
    let db = f(builder).build().await.unwrap();
    db.sync().await.unwrap();
    db
}

fn uuid_ish() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{nanos}{}", N.fetch_add(1, Ordering::SeqCst))
}

async fn cleanup(db: &Dynamite) {
    if db.table_prefix().is_empty() {
        return;
    }
    let tables = db.client().list_tables().send().await.unwrap();
    for t in tables.table_names() {
        if t.starts_with(db.table_prefix()) {
            let _ = db.client().delete_table().table_name(t).send().await;
        }
    }
}

mod odd {
    /// A model reached by path, with a raw-identifier field.
    #[derive(dynamite::Table, Debug, Clone, serde::Deserialize)]
    #[dynamite(table = "r20_odd")]
    pub struct r#Match {
        #[dynamite(primary_key)]
        pub r#type: String,
    }
}

async fn seed_a(db: &Dynamite) -> dynamite::Result<()> {
    Note::create()
        .id("from_a")
        .text("a")
        .exec(db)
        .await
        .map(drop)
}

async fn seed_b(db: &Dynamite) -> dynamite::Result<()> {
    Note::create()
        .id("from_b")
        .text("b")
        .exec(db)
        .await
        .map(drop)
}

async fn add_one(db: &Dynamite) -> dynamite::Result<()> {
    Note::create()
        .id("fn_row")
        .text("f")
        .exec(db)
        .await
        .map(drop)
}

/// Two seeds on the same model: each test starts from its own seed only.
#[dynamite::test(models(Note), seed = seed_a, flavor = "multi_thread", worker_threads = 2)]
async fn seed_a_sees_only_seed_a(db: Dynamite) -> dynamite::Result<()> {
    assert!(Note::get(&db, "from_a").await?.is_some());
    assert!(Note::get(&db, "from_b").await?.is_none());
    Note::create()
        .id("written_by_a")
        .text("w")
        .exec(&db)
        .await?;
    Ok(())
}

/// Two seeds on the same model: each test starts from its own seed only,
/// and sees nothing another seeded test wrote.
#[dynamite::test(models(Note), seed = seed_b, fixture = add_one)]
async fn seed_b_sees_only_seed_b_and_its_fixture(db: Dynamite) -> dynamite::Result<()> {
    assert!(Note::get(&db, "from_b").await?.is_some());
    assert!(Note::get(&db, "from_a").await?.is_none());
    assert!(Note::get(&db, "written_by_a").await?.is_none());
    assert!(Note::get(&db, "fn_row").await?.is_some());
    Ok(())
}

/// Many tests sharing one seed, each writing the same key.
#[dynamite::test(models(Note), seed = seed_a)]
async fn shared_seed_one(db: Dynamite) -> dynamite::Result<()> {
    Note::create().id("same").text("1").exec(&db).await?;
    assert_eq!(Note::query().count(&db).await?, 2);
    Ok(())
}

/// Many tests sharing one seed, each writing the same key.
#[dynamite::test(models(Note), seed = seed_a)]
async fn shared_seed_two(db: Dynamite) -> dynamite::Result<()> {
    Note::create().id("same").text("2").exec(&db).await?;
    assert_eq!(Note::query().count(&db).await?, 2);
    Ok(())
}

/// A model named by path, with raw identifiers.
#[dynamite::test(models(odd::r#Match))]
async fn a_model_named_by_path_with_raw_identifiers(db: Dynamite) -> dynamite::Result<()> {
    odd::r#Match::create().r#type("t").exec(&db).await?;
    assert!(odd::r#Match::get(&db, "t").await?.is_some());
    Ok(())
}

/// `#[should_panic]` on a Result-returning test that returns `Err`.
#[dynamite::test(models(Note), flavor = "multi_thread")]
#[should_panic]
async fn should_panic_with_err_on_multi_thread(db: Dynamite) -> dynamite::Result<()> {
    Note::delete_key(&db, "nobody").await
}

/// The raw items section loads next to model rows.
#[dynamite::test(models(Note))]
async fn raw_items_and_rows_in_one_fixture(db: Dynamite) -> dynamite::Result<()> {
    let loaded = Fixtures::new()
        .model::<Note>()
        .load_json(
            &db,
            "mixed",
            r#"{"Note": [{"id": "row", "text": "r"}],
                "$items": {"r20_notes": [{"id": {"S": "raw"}, "text": {"S": "ключ"}, "b": {"B": "AAEC"}}]}}"#,
        )
        .await?;
    assert_eq!(loaded, 2);
    assert_eq!(Note::get(&db, "raw").await?.unwrap().text, "ключ");
    let raw = db
        .client()
        .get_item()
        .table_name(db.table_name::<Note>()?)
        .key("id", s("raw"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.item().and_then(|i| i.get("b")),
        Some(&Av::B(Blob::new(vec![0u8, 1, 2])))
    );
    Ok(())
}

/// Keys are any UTF-8 string (DynamoDB stores and returns them as sent):
/// a key holding NUL, U+FFFF and astral characters reads back, and a
/// second conditional create of it fails, on every backend.
#[tokio::test]
async fn any_utf8_key_reads_back_and_stays_unique() {
    for key in ["a\u{0}b", "a\u{FFFF}b", "𝄞", "ключ 🔑", "\"\\"] {
        let db = harness_db(|b| b.table::<Note>()).await;
        let c = db.client();
        let t = db.table_name::<Note>().unwrap();
        let put = || {
            c.put_item()
                .table_name(&t)
                .item("id", s(key))
                .item("text", s("v"))
                .condition_expression("attribute_not_exists(id)")
        };
        let first = outcome(put().send().await);
        let get = outcome(c.get_item().table_name(&t).key("id", s(key)).send().await);
        let second = outcome(put().send().await);
        assert!(first.starts_with("Ok"), "{key:?}: {first}");
        assert!(get.contains(&format!("{key:?}")), "{key:?}: {get}");
        assert!(
            second.contains("ConditionalCheckFailedException"),
            "{key:?}: {second}"
        );
        cleanup(&db).await;
    }
}

/// Responses near DynamoDB's 16 MB BatchGetItem cap and 1 MB Query pages
/// come back alike over both transports (the same unprocessed keys, the
/// same page boundaries).
#[tokio::test]
async fn responses_near_the_size_caps_match_over_both_transports() {
    if on_endpoint() {
        return;
    }
    let (db, http) = pair().await;
    let sl = db.client();
    let t = "r20_notes";
    let big = "q".repeat(380_000);
    for i in 0..50 {
        sl.put_item()
            .table_name(t)
            .item("id", s(&format!("k{i:02}")))
            .item("text", s(&big))
            .send()
            .await
            .unwrap();
    }
    let mut keys = KeysAndAttributes::builder();
    for i in 0..50 {
        keys = keys.keys([("id".to_owned(), s(&format!("k{i:02}")))].into());
    }
    let keys = keys.build().unwrap();
    let got = same!(sl, &http, |c| c
        .batch_get_item()
        .request_items(t, keys.clone()));
    assert!(got.starts_with("Ok"), "{}", &got[..200.min(got.len())]);
    for c in [sl, &http] {
        let out = c
            .batch_get_item()
            .request_items(t, keys.clone())
            .send()
            .await
            .unwrap();
        let returned = out.responses().and_then(|r| r.get(t)).map_or(0, Vec::len);
        let unprocessed = out
            .unprocessed_keys()
            .and_then(|u| u.get(t))
            .map_or(0, |k| k.keys().len());
        assert_eq!(returned + unprocessed, 50);
        assert!(unprocessed > 0, "50 items of 380 KB exceed 16 MB");
    }
    same!(sl, &http, |c| c.scan().table_name(t));
    same!(sl, &http, |c| c
        .scan()
        .table_name(t)
        .exclusive_start_key("id", s("k10")));
}

/// TTL through one transport is seen through the other, and
/// `sweep_expired` deletes what both then agree is gone; a handle made
/// with `same_backend_as` shares the engine, its endpoint and its sweep.
#[tokio::test]
async fn ttl_and_sweep_are_one_engine_for_both_transports() {
    if on_endpoint() {
        return;
    }
    let (db, http) = pair().await;
    let sl = db.client();
    let t = "r20_notes";
    sl.update_time_to_live()
        .table_name(t)
        .time_to_live_specification(
            dynamite::sdk::types::TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ttl = same!(sl, &http, |c| c.describe_time_to_live().table_name(t));
    assert!(ttl.contains("exp"), "{ttl}");
    for (id, exp) in [("old", "1"), ("new", "99999999999"), ("junk", "1E+3")] {
        http.put_item()
            .table_name(t)
            .item("id", s(id))
            .item("exp", n(exp))
            .send()
            .await
            .unwrap();
    }
    let shared = Dynamite::builder()
        .same_backend_as(&db)
        .table::<other::Note>()
        .build()
        .await
        .unwrap();
    assert_eq!(shared.embedded_endpoint(), db.embedded_endpoint());
    assert_eq!(shared.sweep_expired().await.unwrap(), 2);
    same!(sl, &http, |c| c
        .get_item()
        .table_name(t)
        .key("id", s("old")));
    let kept = same!(sl, &http, |c| c
        .get_item()
        .table_name(t)
        .key("id", s("new")));
    assert!(kept.contains("99999999999"), "{kept}");
    assert_eq!(db.sweep_expired().await.unwrap(), 0);
}

/// A snapshot holds "every table, index and item": a table made with the
/// raw SDK (a GSI, a stream, tags, TTL) describes the same after restore
/// into a fresh handle, and its index answers.
#[tokio::test]
async fn a_snapshot_keeps_indexes_streams_tags_and_ttl() {
    use dynamite::sdk::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, Tag,
        TimeToLiveSpecification,
    };
    if on_endpoint() {
        return;
    }
    let seeded = Dynamite::embedded().build().await.unwrap();
    let c = seeded.client();
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    c.create_table()
        .table_name("r20_raw")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("g"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("team").value("r20").build().unwrap())
        .send()
        .await
        .unwrap();
    c.update_time_to_live()
        .table_name("r20_raw")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.put_item()
        .table_name("r20_raw")
        .item("pk", s("p1"))
        .item("g", s("G"))
        .send()
        .await
        .unwrap();
    let describe = async |db: &Dynamite| {
        let c = db.client();
        let table = c
            .describe_table()
            .table_name("r20_raw")
            .send()
            .await
            .unwrap();
        let table = table.table().unwrap();
        let arn = table.table_arn().unwrap().to_owned();
        let tags = c
            .list_tags_of_resource()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap();
        let ttl = c
            .describe_time_to_live()
            .table_name("r20_raw")
            .send()
            .await
            .unwrap();
        let by_g = c
            .query()
            .table_name("r20_raw")
            .index_name("by_g")
            .key_condition_expression("g = :g")
            .expression_attribute_values(":g", s("G"))
            .send()
            .await
            .unwrap();
        (
            table
                .global_secondary_indexes()
                .iter()
                .map(|i| i.index_name().unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
            table.stream_specification().cloned(),
            tags.tags().to_vec(),
            ttl.time_to_live_description()
                .and_then(|d| d.attribute_name())
                .map(str::to_owned),
            by_g.count(),
        )
    };
    let before = describe(&seeded).await;
    assert_eq!(before.4, 1);
    let snapshot = seeded.snapshot().await.unwrap();
    let fresh = Dynamite::embedded().build().await.unwrap();
    fresh.restore(&snapshot).await.unwrap();
    assert_eq!(describe(&fresh).await, before);
}

/// Bad `.path(..)`s are typed errors from `build()`, never panics.
#[tokio::test]
async fn an_unusable_path_is_a_typed_error() {
    if on_endpoint() {
        return;
    }
    let missing_dir = std::env::temp_dir().join("r20-no-such-dir/x/y/db.sqlite");
    let result = Dynamite::embedded().path(&missing_dir).build().await;
    assert!(result.is_err(), "{result:?}");
    let a_dir = std::env::temp_dir();
    let result = Dynamite::embedded().path(&a_dir).build().await;
    assert!(result.is_err(), "{result:?}");
}

/// Issue 20: the engine outlives any one test's runtime. Requests left in
/// flight on a runtime that is shut down do not wedge the engine: the
/// handle answers on the next runtime, and two runtimes on two threads
/// use one handle at once.
#[test]
fn a_runtime_dropped_mid_request_leaves_the_handle_usable() {
    if on_endpoint() {
        return;
    }
    let rt = |threads: Option<usize>| match threads {
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()
            .unwrap(),
    };
    let first = rt(Some(2));
    let db = first.block_on(async {
        let db = Dynamite::embedded().table::<Note>().build().await.unwrap();
        db.sync().await.unwrap();
        db
    });
    for i in 0..200 {
        let db = db.clone();
        first.spawn(async move {
            let _ = Note::create().id(format!("f{i}")).text("x").exec(&db).await;
        });
    }
    first.shutdown_background();
    std::thread::scope(|scope| {
        for t in 0..3 {
            let db = db.clone();
            scope.spawn(move || {
                rt(if t == 0 { None } else { Some(1) }).block_on(async {
                    let writes = (0..100)
                        .map(|i| Note::create().id(format!("t{t}-{i}")).text("y").exec(&db));
                    for r in futures::future::join_all(writes).await {
                        r.unwrap();
                    }
                });
            });
        }
    });
    rt(None).block_on(async {
        let n = Note::query().count(&db).await.unwrap();
        assert!((300..=500).contains(&n), "{n}");
    });
}

/// Raw `$items` are "DynamoDB-JSON items": `{"NULL": false}` is not one
/// (DynamoDB refuses a NULL that is not `true`, as the raw SDK put below
/// shows on every backend), so the fixture must refuse it with a typed
/// `Error::Fixture` rather than store a NULL.
#[tokio::test]

async fn a_null_that_is_not_true_is_refused() {
    let db = harness_db(|b| b.table::<Note>()).await;
    let table = db.table_name::<Note>().unwrap();
    let raw = db
        .client()
        .put_item()
        .table_name(&table)
        .item("id", s("z"))
        .item("z", Av::Null(false))
        .send()
        .await;
    assert_eq!(
        raw.map_err(|e| e.code().map(str::to_owned)).err(),
        Some(Some("ValidationException".to_owned()))
    );
    let result = Fixtures::new()
        .load_json(
            &db,
            "null.json",
            r#"{"$items": {"r20_notes": [{"id": {"S": "z"}, "z": {"NULL": false}}]}}"#,
        )
        .await;
    cleanup(&db).await;
    assert!(
        matches!(result, Err(Error::Fixture { row: Some(0), .. })),
        "{result:?}"
    );
}

/// One entity of a shared (single-table) table, with an index of its own.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "r20_shop", pk = "A#{id}", sk = "A")]
#[dynamite(index(name = "g_a", pk = "GA#{tag}", sk = "A#{id}"))]
struct ShopA {
    id: String,
    tag: String,
}

/// Another entity of the same table, with another index.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "r20_shop", pk = "B#{id}", sk = "B")]
#[dynamite(index(name = "g_b", pk = "GB#{tag}", sk = "B#{id}"))]
struct ShopB {
    id: String,
    tag: String,
}

/// A seed every test of the suite shares (it writes raw data only).
async fn shared_seed(db: &Dynamite) -> dynamite::Result<()> {
    db.client()
        .put_item()
        .table_name(format!("{}r20_shop", db.table_prefix()))
        .item("pk", s("SEED"))
        .item("sk", s("SEED"))
        .send()
        .await
        .map(drop)
        .map_err(|e| Error::Config(format!("{e:?}")))
}

/// Issue 20: "each test gets a fresh handle with the models it names ...
/// synced". Two tests share a seed function and a table name but name
/// different models of that (single-table) table: the second must still
/// get its own model's index, not the schema of the first test's seed
/// snapshot (the seed cache is keyed by seed function and table names only,
/// and a restored seed is not synced).
#[test]

fn a_shared_seed_does_not_drop_another_models_indexes() {
    use dynamite::testing::Harness;
    let indexes = |db: Dynamite| async move {
        let t = db
            .client()
            .describe_table()
            .table_name(
                db.table_name::<ShopA>()
                    .or_else(|_| db.table_name::<ShopB>())
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let names: Vec<String> = t
            .table()
            .unwrap()
            .global_secondary_indexes()
            .iter()
            .filter_map(|i| i.index_name().map(str::to_owned))
            .collect();
        names
    };
    Harness::new("r20_seed_a")
        .configure(|b| b.table::<ShopA>())
        .seed(shared_seed)
        .run(|db| async move {
            let names = indexes(db.clone()).await;
            assert!(names.contains(&"g_a".to_owned()), "{names:?}");
        });
    Harness::new("r20_seed_b")
        .configure(|b| b.table::<ShopB>())
        .seed(shared_seed)
        .run(|db| async move {
            let names = indexes(db.clone()).await;
            assert!(names.contains(&"g_b".to_owned()), "{names:?}");
        });
}

/// Requests near DynamoDB's request-size limits (a BatchWriteItem of 25
/// items of ~390 KB, about 10 MB; a TransactWriteItems over 4 MB) answer
/// alike over both transports.
#[tokio::test]
async fn requests_near_the_size_limits_match_over_both_transports() {
    if on_endpoint() {
        return;
    }
    let (db, http) = pair().await;
    let sl = db.client();
    let t = "r20_notes";
    let big = "w".repeat(390_000);
    let put = |i: usize| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .item("id", s(&format!("w{i:02}")))
                    .item("text", s(&big))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let batch = same!(sl, &http, |c| c
        .batch_write_item()
        .request_items(t, (0..25).map(put).collect()));
    assert!(batch.starts_with("Ok"), "{batch}");
    let tx_put = |i: usize| {
        TransactWriteItem::builder()
            .put(
                dynamite::sdk::types::Put::builder()
                    .table_name(t)
                    .item("id", s(&format!("x{i:02}")))
                    .item("text", s(&big))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let tx = same!(sl, &http, |c| c
        .transact_write_items()
        .set_transact_items(Some((0..12).map(tx_put).collect())));
    let tx_small = same!(sl, &http, |c| c
        .transact_write_items()
        .set_transact_items(Some((0..8).map(tx_put).collect())));
    assert!(tx_small.starts_with("Ok"), "{tx_small}");
    assert!(tx.contains("ValidationException"), "over 4 MB: {tx}");
}

/// `embedded_endpoint()`: "The server stops when the last handle using the
/// engine is dropped" (a handle made with `same_backend_as` is one of
/// them); the server started implicitly by a deeply nested request is the
/// one `embedded_endpoint()` returns.
#[tokio::test]
async fn the_loopback_server_stops_with_the_last_handle() {
    if on_endpoint() {
        return;
    }
    let db = Dynamite::embedded().table::<Note>().build().await.unwrap();
    db.sync().await.unwrap();
    // Past serde's recursion limit: answered through the loopback server.
    let deep = db
        .client()
        .put_item()
        .table_name("r20_notes")
        .item("id", s("deep"))
        .item("text", nested(70))
        .send()
        .await;
    assert_eq!(
        deep.err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("ValidationException")
    );
    let endpoint = db.embedded_endpoint().unwrap().to_owned();
    let address = endpoint.trim_start_matches("http://").to_owned();
    let shared = Dynamite::builder()
        .same_backend_as(&db)
        .build()
        .await
        .unwrap();
    drop(db);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        std::net::TcpStream::connect(&address).is_ok(),
        "a handle remains"
    );
    assert_eq!(shared.embedded_endpoint(), Some(endpoint.as_str()));
    drop(shared);
    let mut refused = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if std::net::TcpStream::connect(&address).is_err() {
            refused = true;
            break;
        }
    }
    assert!(
        refused,
        "{address} still accepts connections after the last handle was dropped"
    );
}

/// The handle parameter may have any name and be `mut`; the body may
/// return any `Result<(), E: Debug>`.
#[dynamite::test(models(Note))]
async fn any_parameter_name_and_error_type(
    mut handle: Dynamite,
) -> Result<(), Box<dyn std::error::Error>> {
    handle = handle.clone();
    Note::create().id("p").text("t").exec(&handle).await?;
    Ok(())
}

/// A fixture file naming the model by its type name loads through the
/// attribute too (relative to the crate root), before a fixture function.
#[dynamite::test(models(Note), fixture = add_one)]
async fn a_fixture_function_alone(db: Dynamite) -> dynamite::Result<()> {
    assert_eq!(Note::query().count(&db).await?, 1);
    Ok(())
}

/// Issue 20: the socketless transport answers "exactly as the loopback
/// HTTP server over the same engine does". The engine's server refuses a
/// body over 16 MiB (`DefaultBodyLimit`, HTTP 413, no `__type`) before
/// any parsing; the socketless adapter skips that check and answers a
/// ValidationException (400), so code that handles the oversized-request
/// path differs between the two transports.
#[tokio::test]

async fn a_body_over_16_mib_is_refused_alike() {
    if on_endpoint() {
        return;
    }
    let (db, http) = pair().await;
    let sl = db.client();
    let t = "r20_notes";
    // 17 MiB in one PutItem, flat and deeply nested (the loopback path).
    let huge = "h".repeat(17 << 20);
    same!(sl, &http, |c| c
        .put_item()
        .table_name(t)
        .item("id", s("huge"))
        .item("text", s(&huge)));
    same!(sl, &http, |c| c
        .put_item()
        .table_name(t)
        .item("id", s("huge"))
        .item("text", nested(70))
        .item("more", s(&huge)));
}

/// The engine's server reads BatchWriteItem, TransactWriteItems,
/// TransactGetItems and the PartiQL operations under its older value
/// layer (dynoxide `ValueLayer::for_operation`); numbers at and past the
/// edges in those operations answer alike over both transports.
#[tokio::test]
async fn numbers_in_batches_transactions_and_partiql_match_over_both_transports() {
    if on_endpoint() {
        return;
    }
    let (db, http) = pair().await;
    let sl = db.client();
    let t = "r20_notes";
    let numbers = [
        "1",
        "-0",
        "00",
        "+1",
        ".5",
        "5.",
        "1e5",
        "1E+126",
        "9.9999999999999999999999999999999999999E+125",
        "1E-130",
        "1E-131",
        "123456789012345678901234567890123456789",
        "1E+99999999999",
        "1E-99999999999",
        "0E+99999999999",
        "0.000000000000000000000000000000000000000000001",
        "NaN",
        "Infinity",
        " 1",
        "1 ",
        "",
        "0x10",
        "1_000",
    ];
    for (i, num) in numbers.iter().enumerate() {
        let id = format!("n{i:02}");
        let put = || {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("id", s(&id))
                        .item("n", n(num))
                        .build()
                        .unwrap(),
                )
                .build()
        };
        same!(sl, &http, |c| c
            .batch_write_item()
            .request_items(t, vec![put()]));
        let tx = || {
            TransactWriteItem::builder()
                .update(
                    dynamite::sdk::types::Update::builder()
                        .table_name(t)
                        .key("id", s(&id))
                        .update_expression("SET m = :n")
                        .expression_attribute_values(":n", n(num))
                        .build()
                        .unwrap(),
                )
                .build()
        };
        same!(sl, &http, |c| c.transact_write_items().transact_items(tx()));
        same!(sl, &http, |c| c
            .execute_statement()
            .statement(format!("UPDATE \"{t}\" SET p = ? WHERE id = '{id}'"))
            .parameters(n(num)));
        same!(sl, &http, |c| c
            .execute_statement()
            .statement(format!("SELECT * FROM \"{t}\" WHERE id = '{id}' AND n = ?"))
            .parameters(n(num)));
        same!(sl, &http, |c| c
            .update_item()
            .table_name(t)
            .key("id", s(&id))
            .update_expression("SET q = :n")
            .expression_attribute_values(":n", n(num)));
        same!(sl, &http, |c| c.get_item().table_name(t).key("id", s(&id)));
    }
}
