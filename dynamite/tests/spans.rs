//! Tracing spans: one per public operation, per include round, per request,
//! captured by a small in-test subscriber (span names, fields, parents).
//!
//! Its own test binary, with the capture installed as the global
//! subscriber and the tests taking turns: a subscriber set per thread
//! (`set_default`) races with callsites registered by tests running on
//! other threads (their interest is cached as "never"), and spans went
//! missing under load.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use dynamite::prelude::*;
use dynamite::{Dynamite, Sensitive};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(Table, Debug, Clone)]
#[dynamite(table = "trace_accounts")]
struct TraceAccount {
    #[dynamite(primary_key)]
    id: String,
    role: String,
    secret: Sensitive<String>,
    #[dynamite(has_many(foreign_key = "account_id"))]
    posts: HasMany<TracePost>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "trace_posts")]
struct TracePost {
    #[dynamite(primary_key)]
    id: String,
    account_id: String,
    status: String,
    #[dynamite(belongs_to(foreign_key = "account_id"))]
    account: BelongsTo<TraceAccount>,
}

/// A shared-table model whose keys are rendered from sensitive fields.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "trace_shop", pk = "ACCOUNT#{email}", sk = "PROFILE")]
#[dynamite(index(name = "gsi1", pk = "TOKEN#{token}", sk = "ACCOUNT"))]
struct TraceSecretKey {
    email: Sensitive<String>,
    token: Sensitive<String>,
    name: String,
}

#[derive(Debug, Clone)]
struct Captured {
    name: &'static str,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    next: u64,
    spans: HashMap<u64, (Captured, &'static Metadata<'static>)>,
    stack: Vec<u64>,
}

/// Records every `dynamite` span with its fields and parent.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<State>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("dynamite")
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut state = self.0.lock().unwrap();
        state.next += 1;
        let id = state.next;
        let parent = if attrs.is_root() {
            None
        } else if let Some(p) = attrs.parent() {
            Some(p.into_u64())
        } else {
            state.stack.last().copied()
        };
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let captured = Captured {
            name: attrs.metadata().name(),
            parent,
            fields,
        };
        state.spans.insert(id, (captured, attrs.metadata()));
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut state = self.0.lock().unwrap();
        if let Some((c, _)) = state.spans.get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut c.fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, span: &Id) {
        self.0.lock().unwrap().stack.push(span.into_u64());
    }
    fn exit(&self, span: &Id) {
        let mut state = self.0.lock().unwrap();
        if let Some(at) = state.stack.iter().rposition(|s| *s == span.into_u64()) {
            state.stack.remove(at);
        }
    }
    fn current_span(&self) -> tracing_core::span::Current {
        let state = self.0.lock().unwrap();
        match state.stack.last() {
            Some(id) => tracing_core::span::Current::new(Id::from_u64(*id), state.spans[id].1),
            None => tracing_core::span::Current::none(),
        }
    }
}

/// The tests take turns, from their first request to their last: the
/// capture is global and records every thread's spans.
async fn turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

/// The global capture, emptied (call it holding the [`turn`]).
fn capture() -> Capture {
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    let capture = CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            tracing::subscriber::set_global_default(capture.clone()).unwrap();
            capture
        })
        .clone();
    {
        let mut state = capture.0.lock().unwrap();
        state.spans.clear();
        state.stack.clear();
    }
    capture
}

impl Capture {
    fn spans(&self) -> Vec<(u64, Captured)> {
        let state = self.0.lock().unwrap();
        let mut out: Vec<_> = state
            .spans
            .iter()
            .map(|(id, (c, _))| (*id, c.clone()))
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }
}

async fn seeded(trace_values: bool) -> Dynamite {
    let db = dynamite_testkit::backend::isolated(dynamite_testkit::backend::TEST_ENDPOINT_VAR, "t")
        .trace_values(trace_values)
        .table::<TraceAccount>()
        .table::<TracePost>()
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    for a in 0..3 {
        TraceAccount::create()
            .id(format!("a{a}"))
            .role("member-role-value")
            .secret(Sensitive::new("hunter2-secret-value".to_owned()))
            .exec(&db)
            .await
            .unwrap();
        for p in 0..2 {
            TracePost::create()
                .id(format!("a{a}-p{p}"))
                .account_id(format!("a{a}"))
                .status("published-status-value")
                .exec(&db)
                .await
                .unwrap();
        }
    }
    db
}

/// Runs a query with an include and a filter on a Sensitive attribute under
/// the capturing subscriber; returns the spans.
async fn captured_query(db: &Dynamite) -> Vec<(u64, Captured)> {
    let capture = capture();
    let accounts = TraceAccount::query()
        .filter(TraceAccount::ROLE.eq("member-role-value"))
        .include(TraceAccount::posts().filter(TracePost::STATUS.eq("published-status-value")))
        .all(db)
        .await
        .unwrap();
    assert_eq!(accounts.len(), 3);
    assert!(accounts.iter().all(|a| a.posts.len() == 2));
    let secret = TraceAccount::query()
        .filter(TraceAccount::SECRET.eq(Sensitive::new("hunter2-secret-value".to_owned())))
        .count(db)
        .await
        .unwrap();
    assert_eq!(secret, 3);
    capture.spans()
}

fn children(spans: &[(u64, Captured)], parent: u64) -> Vec<&Captured> {
    spans
        .iter()
        .filter(|(_, c)| c.parent == Some(parent))
        .map(|(_, c)| c)
        .collect()
}

fn field<'a>(c: &'a Captured, name: &str) -> Option<&'a str> {
    c.fields.get(name).map(String::as_str)
}

#[tokio::test]
async fn spans_nest_operation_rounds_and_requests_without_values() {
    let _turn = turn().await;
    let db = seeded(false).await;
    let spans = captured_query(&db).await;
    let accounts = db.table_name::<TraceAccount>().unwrap();
    let posts = db.table_name::<TracePost>().unwrap();

    let (all_id, all) = spans
        .iter()
        .find(|(_, c)| c.name == "dynamite.query.all")
        .expect("an operation span");
    assert_eq!(all.parent, None);
    assert_eq!(field(all, "dynamite.model"), Some("TraceAccount"));

    // One round span per round, numbered from 1, under the operation.
    let rounds: Vec<(u64, &Captured)> = spans
        .iter()
        .filter(|(_, c)| c.name == "dynamite.include.round")
        .map(|(id, c)| (*id, c))
        .collect();
    assert_eq!(rounds.len(), 2, "root read, then the posts: {rounds:?}");
    for (n, (id, round)) in rounds.iter().enumerate() {
        assert_eq!(round.parent, Some(*all_id));
        assert_eq!(field(round, "dynamite.round"), Some(&*(n + 1).to_string()));
        let requests: Vec<&Captured> = children(&spans, *id)
            .into_iter()
            .filter(|c| c.name == "dynamodb.request")
            .collect();
        assert!(!requests.is_empty());
        assert_eq!(
            field(round, "dynamite.round.requests"),
            Some(&*requests.len().to_string()),
            "the round counts its own requests"
        );
    }
    assert!(
        field(rounds[1].1, "dynamite.round.relations")
            .unwrap()
            .contains("posts (TracePost)")
    );

    // Request spans: OpenTelemetry names, tables, capacity, no retries.
    let requests: Vec<&Captured> = spans
        .iter()
        .filter(|(_, c)| c.name == "dynamodb.request")
        .map(|(_, c)| c)
        .collect();
    let data: Vec<&&Captured> = requests
        .iter()
        .filter(|c| field(c, "db.operation.name") != Some("DescribeTable"))
        .collect();
    assert!(data.len() >= 3, "{requests:?}");
    for request in &requests {
        assert_eq!(field(request, "db.system.name"), Some("aws.dynamodb"));
        assert_eq!(field(request, "dynamite.retries"), Some("0"));
        assert!(field(request, "error.type").is_none());
        let parent = request.parent.expect("a request has a parent");
        let parent = spans.iter().find(|(id, _)| *id == parent).unwrap();
        assert!(
            matches!(
                parent.1.name,
                "dynamite.include.round" | "dynamite.query.all" | "dynamite.query.count"
            ),
            "{:?}",
            parent.1.name
        );
    }
    for request in &data {
        let table = field(request, "db.collection.name").unwrap();
        assert!(table == accounts || table == posts, "{table}");
        assert_eq!(field(request, "aws.dynamodb.table_names"), Some(table));
        let capacity: f64 = field(request, "aws.dynamodb.consumed_capacity")
            .unwrap()
            .parse()
            .unwrap();
        assert!(capacity > 0.0, "{request:?}");
        assert!(field(request, "db.query.text").is_some(), "{request:?}");
        if matches!(field(request, "db.operation.name"), Some("Query" | "Scan")) {
            assert!(field(request, "aws.dynamodb.count").is_some());
            assert!(field(request, "aws.dynamodb.scanned_count").is_some());
        }
    }
    assert!(
        data.iter()
            .any(|r| field(r, "db.collection.name") == Some(&*posts))
    );
    // Expressions keep their placeholders: no value in any field.
    for (_, span) in &spans {
        for value in span.fields.values() {
            assert!(!value.contains("member-role-value"), "{span:?}");
            assert!(!value.contains("published-status-value"), "{span:?}");
            assert!(!value.contains("hunter2"), "{span:?}");
        }
    }
}

#[tokio::test]
async fn trace_values_shows_values_but_never_sensitive_ones() {
    let _turn = turn().await;
    let db = seeded(true).await;
    let spans = captured_query(&db).await;
    let texts: Vec<&str> = spans
        .iter()
        .filter_map(|(_, c)| field(c, "db.query.text"))
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("\"member-role-value\"")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("\"published-status-value\"")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("secret = ***")),
        "{texts:?}"
    );
    for (_, span) in &spans {
        for value in span.fields.values() {
            assert!(!value.contains("hunter2"), "{span:?}");
        }
    }
}

/// A key rendered from a sensitive field is as secret as the field, even
/// with values recorded: the table Query, the index Query and the writes.
#[tokio::test]
async fn keys_rendered_from_sensitive_fields_are_never_recorded() {
    let _turn = turn().await;
    let db = dynamite_testkit::backend::isolated(dynamite_testkit::backend::TEST_ENDPOINT_VAR, "t")
        .trace_values(true)
        .table::<TraceSecretKey>()
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    let capture = capture();
    let secret = |s: &str| Sensitive::new(s.to_owned());
    TraceSecretKey::create()
        .email(secret("ada-hunter2@example.com"))
        .token(secret("tok-hunter2"))
        .name("plain-name-value")
        .exec(&db)
        .await
        .unwrap();
    let by_email = TraceSecretKey::query()
        .filter(TraceSecretKey::EMAIL.eq(secret("ada-hunter2@example.com")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(by_email.len(), 1);
    let by_token = TraceSecretKey::query()
        .filter(TraceSecretKey::TOKEN.eq(secret("tok-hunter2")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(by_token.len(), 1);
    TraceSecretKey::update_key(secret("ada-hunter2@example.com"))
        .set(TraceSecretKey::NAME, "plain-name-value-2")
        .exec(&db)
        .await
        .unwrap();
    let spans = capture.spans();
    let texts: Vec<&str> = spans
        .iter()
        .filter_map(|(_, c)| field(c, "db.query.text"))
        .collect();
    assert!(texts.len() >= 3, "{texts:?}");
    for (_, span) in &spans {
        for value in span.fields.values() {
            assert!(!value.contains("hunter2"), "{span:?}");
        }
    }
}

#[tokio::test]
async fn a_failed_request_records_its_error_type_under_the_operation() {
    let _turn = turn().await;
    let db = seeded(false).await;
    let capture = capture();
    let duplicate = TraceAccount::create()
        .id("a0")
        .role("r")
        .secret(Sensitive::new("s".to_owned()))
        .exec(&db)
        .await;
    assert!(duplicate.unwrap_err().is_already_exists());
    let spans = capture.spans();
    let (create_id, _) = spans
        .iter()
        .find(|(_, c)| c.name == "dynamite.create")
        .expect("an operation span");
    let failed: Vec<&Captured> = spans
        .iter()
        .filter(|(_, c)| field(c, "error.type").is_some())
        .map(|(_, c)| c)
        .collect();
    assert_eq!(failed.len(), 1, "{spans:?}");
    assert_eq!(
        field(failed[0], "error.type"),
        Some("ConditionalCheckFailedException")
    );
    assert_eq!(field(failed[0], "otel.status_code"), Some("ERROR"));
    assert_eq!(field(failed[0], "db.operation.name"), Some("PutItem"));
    assert_eq!(failed[0].parent, Some(*create_id));
}

#[tokio::test]
async fn lazy_relation_loads_are_operations_with_their_requests() {
    let _turn = turn().await;
    let db = seeded(false).await;
    let capture = capture();
    let posts = TraceAccount::posts().of_key("a1").all(&db).await.unwrap();
    assert_eq!(posts.len(), 2);
    let spans = capture.spans();
    let (all_id, all) = spans
        .iter()
        .find(|(_, c)| c.name == "dynamite.relation.all")
        .expect("an operation span");
    assert_eq!(field(all, "dynamite.model"), Some("TracePost"));
    let under: Vec<u64> = spans
        .iter()
        .filter(|(_, c)| c.name == "dynamodb.request")
        .filter_map(|(_, c)| {
            // The request's chain of parents reaches the operation.
            let mut parent = c.parent;
            while let Some(p) = parent {
                if p == *all_id {
                    return Some(p);
                }
                parent = spans
                    .iter()
                    .find(|(id, _)| *id == p)
                    .and_then(|(_, s)| s.parent);
            }
            None
        })
        .collect();
    assert!(!under.is_empty(), "{spans:?}");
    assert!(
        spans
            .iter()
            .filter(|(_, c)| c.name == "dynamodb.request")
            .count()
            == under.len(),
        "every request of the load is under it: {spans:?}"
    );
}
