//! The socketless transport against the engine's own HTTP server: the same
//! seeded random requests (valid and invalid) go to two embedded engines
//! with the same start state, one reached without a socket and one over its
//! loopback endpoint, and the parsed SDK results must match: equal outputs,
//! equal error codes (`__type`) and HTTP statuses. Messages are compared
//! too (the known differences are listed in `KNOWN_MESSAGE_DIFFERENCES`).
//!
//! Embedded only: skipped when `DYNAMITE_TEST_ENDPOINT` is set.

use std::collections::HashMap;

use dynamite::Dynamite;
use dynamite::sdk::Client;
use dynamite::sdk::config::http::HttpResponse;
use dynamite::sdk::error::ProvideErrorMetadata;
use dynamite::sdk::error::SdkError;
use dynamite::sdk::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType,
    KeysAndAttributes, Put, ScalarAttributeType, TransactWriteItem,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

const TABLE: &str = "equiv";
const MISSING: &str = "equiv_missing";

/// Messages that may differ between the transports (none known: both run
/// the same engine code; the adapter rewords nothing an SDK request reaches).
const KNOWN_MESSAGE_DIFFERENCES: &[&str] = &[];

#[derive(Debug, Clone, Copy)]
enum Key {
    S(u8),
    /// A number where the key is a string.
    WrongType(u8),
    /// An empty string key.
    Empty,
}

#[derive(Debug, Clone, Copy)]
enum Payload {
    Small(u8),
    Nested(u8),
    /// Past DynamoDB's 400 KB item limit.
    Oversize,
}

#[derive(Debug, Clone, Copy)]
enum Cond {
    None,
    NotExists,
    Exists,
    /// `n = :c`
    Equals(u8),
    /// Does not parse.
    Unparsable,
    /// Names an attribute placeholder that is not given.
    MissingName,
}

#[derive(Debug, Clone)]
enum Op {
    Put {
        missing: bool,
        key: Key,
        sk: u8,
        payload: Payload,
        cond: Cond,
    },
    Get {
        missing: bool,
        key: Key,
        sk: u8,
        projection: bool,
    },
    Update {
        key: Key,
        sk: u8,
        expr: &'static str,
        cond: Cond,
    },
    Delete {
        key: Key,
        sk: u8,
        cond: Cond,
        return_old: bool,
    },
    Query {
        key: Key,
        limit: Option<i32>,
        filter: bool,
    },
    Scan {
        limit: Option<i32>,
    },
    Transact {
        puts: Vec<(Key, u8, Cond)>,
    },
    BatchGet {
        keys: Vec<(Key, u8)>,
    },
    PartiQl {
        statement: &'static str,
    },
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        8 => (0u8..3).prop_map(Key::S),
        1 => (0u8..3).prop_map(Key::WrongType),
        1 => Just(Key::Empty),
    ]
}

fn cond() -> impl Strategy<Value = Cond> {
    prop_oneof![
        4 => Just(Cond::None),
        2 => Just(Cond::NotExists),
        1 => Just(Cond::Exists),
        2 => (0u8..3).prop_map(Cond::Equals),
        1 => Just(Cond::Unparsable),
        1 => Just(Cond::MissingName),
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        6 => (0u8..5).prop_map(Payload::Small),
        2 => (0u8..5).prop_map(Payload::Nested),
        1 => Just(Payload::Oversize),
    ]
}

const UPDATES: &[&str] = &[
    "SET n = :v",
    "ADD n :v",
    "SET n = n + :v",
    "SET tag = :v",
    "REMOVE tag",
    "SET = :v",
    "SET pk = :v",
    "SET #undefined = :v",
];

const STATEMENTS: &[&str] = &[
    "SELECT * FROM \"equiv\" WHERE pk = 'p0'",
    "INSERT INTO \"equiv\" VALUE {'pk': 'p1', 'sk': 1, 'n': 5}",
    "UPDATE \"equiv\" SET n = 9 WHERE pk = 'p0' AND sk = 0",
    "DELETE FROM \"equiv\" WHERE pk = 'p2' AND sk = 2",
    "SELECT * FROM \"equiv_missing\"",
    "SELEC nonsense",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (proptest::bool::weighted(0.1), key(), 0u8..3, payload(), cond())
            .prop_map(|(missing, key, sk, payload, cond)| Op::Put { missing, key, sk, payload, cond }),
        3 => (proptest::bool::weighted(0.1), key(), 0u8..3, any::<bool>())
            .prop_map(|(missing, key, sk, projection)| Op::Get { missing, key, sk, projection }),
        3 => (key(), 0u8..3, select(UPDATES), cond())
            .prop_map(|(key, sk, expr, cond)| Op::Update { key, sk, expr, cond }),
        2 => (key(), 0u8..3, cond(), any::<bool>())
            .prop_map(|(key, sk, cond, return_old)| Op::Delete { key, sk, cond, return_old }),
        2 => (key(), proptest::option::of(0i32..3), any::<bool>())
            .prop_map(|(key, limit, filter)| Op::Query { key, limit, filter }),
        1 => proptest::option::of(0i32..4).prop_map(|limit| Op::Scan { limit }),
        2 => vec((key(), 0u8..3, cond()), 1..4).prop_map(|puts| Op::Transact { puts }),
        1 => vec((key(), 0u8..3), 1..4).prop_map(|keys| Op::BatchGet { keys }),
        1 => select(STATEMENTS).prop_map(|statement| Op::PartiQl { statement }),
    ]
}

fn pk(k: Key) -> Av {
    match k {
        Key::S(i) => Av::S(format!("p{i}")),
        Key::WrongType(i) => Av::N(i.to_string()),
        Key::Empty => Av::S(String::new()),
    }
}

fn key_map(k: Key, sk: u8) -> HashMap<String, Av> {
    HashMap::from([
        ("pk".to_owned(), pk(k)),
        ("sk".to_owned(), Av::N(sk.to_string())),
    ])
}

fn item(k: Key, sk: u8, payload: Payload) -> HashMap<String, Av> {
    let mut item = key_map(k, sk);
    match payload {
        Payload::Small(i) => {
            item.insert("n".to_owned(), Av::N(i.to_string()));
            item.insert("tag".to_owned(), Av::S(format!("t{i}")));
        }
        Payload::Nested(i) => {
            item.insert("n".to_owned(), Av::N(i.to_string()));
            let inner = HashMap::from([
                (
                    "a".to_owned(),
                    Av::L(vec![Av::N("1".into()), Av::Bool(true)]),
                ),
                ("b".to_owned(), Av::Ss(vec!["x".into(), "y".into()])),
            ]);
            item.insert("m".to_owned(), Av::M(inner));
        }
        Payload::Oversize => {
            item.insert("blob".to_owned(), Av::S("x".repeat(410 * 1024)));
        }
    }
    item
}

/// A condition's expression, names and values.
type Condition = (
    Option<&'static str>,
    Option<HashMap<String, String>>,
    Option<HashMap<String, Av>>,
);

fn condition(c: Cond) -> Condition {
    match c {
        Cond::None => (None, None, None),
        Cond::NotExists => (Some("attribute_not_exists(pk)"), None, None),
        Cond::Exists => (Some("attribute_exists(pk)"), None, None),
        Cond::Equals(i) => (
            Some("n = :c"),
            None,
            Some(HashMap::from([(":c".to_owned(), Av::N(i.to_string()))])),
        ),
        Cond::Unparsable => (Some("attribute_not_exists("), None, None),
        Cond::MissingName => (Some("#gone = n"), None, None),
    }
}

/// What one request came back as, in a form to compare.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Output(String),
    Error {
        code: Option<String>,
        status: Option<u16>,
        message: Option<String>,
    },
}

fn outcome<O, E>(
    result: Result<O, SdkError<E, HttpResponse>>,
    summary: impl FnOnce(&O) -> String,
) -> Outcome
where
    E: ProvideErrorMetadata,
{
    match result {
        Ok(out) => Outcome::Output(summary(&out)),
        Err(e) => Outcome::Error {
            code: e.code().map(str::to_owned),
            status: e.raw_response().map(|r| r.status().as_u16()),
            message: e.message().map(str::to_owned),
        },
    }
}

/// A value with its maps in key order (maps print in hash order).
fn canon(v: &Av) -> String {
    match v {
        Av::M(m) => format!("M{}", canon_item(m)),
        Av::L(l) => format!("L[{}]", l.iter().map(canon).collect::<Vec<_>>().join(",")),
        other => format!("{other:?}"),
    }
}

fn canon_item(item: &HashMap<String, Av>) -> String {
    let mut fields: Vec<_> = item.iter().collect();
    fields.sort_by_key(|(k, _)| k.as_str());
    let fields: Vec<String> = fields
        .into_iter()
        .map(|(k, v)| format!("{k}:{}", canon(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn canon_opt(item: Option<&HashMap<String, Av>>) -> String {
    item.map_or_else(|| "-".to_owned(), canon_item)
}

fn canon_items(items: &[HashMap<String, Av>]) -> String {
    items.iter().map(canon_item).collect::<Vec<_>>().join(";")
}

async fn send(client: &Client, op: &Op) -> Outcome {
    match op.clone() {
        Op::Put {
            missing,
            key,
            sk,
            payload,
            cond,
        } => {
            let (expr, names, values) = condition(cond);
            let r = client
                .put_item()
                .table_name(if missing { MISSING } else { TABLE })
                .set_item(Some(item(key, sk, payload)))
                .set_condition_expression(expr.map(str::to_owned))
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .return_values(dynamite::sdk::types::ReturnValue::AllOld)
                .send()
                .await;
            outcome(r, |o| canon_opt(o.attributes()))
        }
        Op::Get {
            missing,
            key,
            sk,
            projection,
        } => {
            let r = client
                .get_item()
                .table_name(if missing { MISSING } else { TABLE })
                .set_key(Some(key_map(key, sk)))
                .set_projection_expression(projection.then(|| "pk, n, m.a[0]".to_owned()))
                .consistent_read(true)
                .send()
                .await;
            outcome(r, |o| canon_opt(o.item()))
        }
        Op::Update {
            key,
            sk,
            expr,
            cond,
        } => {
            let (cexpr, names, mut values) = condition(cond);
            let v = if expr.starts_with("SET tag") {
                Av::S("u".into())
            } else {
                Av::N("1".into())
            };
            if expr.contains(":v") {
                values
                    .get_or_insert_with(HashMap::new)
                    .insert(":v".into(), v);
            }
            let r = client
                .update_item()
                .table_name(TABLE)
                .set_key(Some(key_map(key, sk)))
                .update_expression(expr)
                .set_condition_expression(cexpr.map(str::to_owned))
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .return_values(dynamite::sdk::types::ReturnValue::AllNew)
                .send()
                .await;
            outcome(r, |o| canon_opt(o.attributes()))
        }
        Op::Delete {
            key,
            sk,
            cond,
            return_old,
        } => {
            let (expr, names, values) = condition(cond);
            let r = client
                .delete_item()
                .table_name(TABLE)
                .set_key(Some(key_map(key, sk)))
                .set_condition_expression(expr.map(str::to_owned))
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_values(return_old.then_some(dynamite::sdk::types::ReturnValue::AllOld))
                .send()
                .await;
            outcome(r, |o| canon_opt(o.attributes()))
        }
        Op::Query { key, limit, filter } => {
            let mut values = HashMap::from([(":p".to_owned(), pk(key))]);
            if filter {
                values.insert(":z".into(), Av::N("0".into()));
            }
            let r = client
                .query()
                .table_name(TABLE)
                .key_condition_expression("pk = :p")
                .set_filter_expression(filter.then(|| "n > :z".to_owned()))
                .set_expression_attribute_values(Some(values))
                .set_limit(limit)
                .send()
                .await;
            outcome(r, |o| {
                format!(
                    "{} count {} scanned {} last {}",
                    canon_items(o.items()),
                    o.count(),
                    o.scanned_count(),
                    canon_opt(o.last_evaluated_key())
                )
            })
        }
        Op::Scan { limit } => {
            let r = client
                .scan()
                .table_name(TABLE)
                .set_limit(limit)
                .send()
                .await;
            outcome(r, |o| {
                format!(
                    "{} count {} last {}",
                    canon_items(o.items()),
                    o.count(),
                    canon_opt(o.last_evaluated_key())
                )
            })
        }
        Op::Transact { puts } => {
            let items = puts
                .iter()
                .map(|&(key, sk, cond)| {
                    let (expr, names, values) = condition(cond);
                    let put = Put::builder()
                        .table_name(TABLE)
                        .set_item(Some(item(key, sk, Payload::Small(sk))))
                        .set_condition_expression(expr.map(str::to_owned))
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .expect("a put");
                    TransactWriteItem::builder().put(put).build()
                })
                .collect();
            let r = client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            match r {
                Ok(_) => Outcome::Output("ok".into()),
                Err(e) => {
                    let reasons = e
                        .as_service_error()
                        .and_then(|s| match s {
                            dynamite::sdk::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(c),
                            _ => None,
                        })
                        .map(|c| {
                            c.cancellation_reasons()
                                .iter()
                                .map(|r| format!("{:?}/{:?}", r.code(), r.message()))
                                .collect::<Vec<_>>()
                                .join(";")
                        });
                    let mut o = outcome::<(), _>(Err(e), |_| String::new());
                    if let (Outcome::Error { message, .. }, Some(reasons)) = (&mut o, reasons) {
                        let text = format!("{message:?} reasons {reasons}");
                        *message = Some(text);
                    }
                    o
                }
            }
        }
        Op::BatchGet { keys } => {
            let keys = keys.iter().map(|&(k, sk)| key_map(k, sk)).collect();
            let r = client
                .batch_get_item()
                .request_items(
                    TABLE,
                    KeysAndAttributes::builder()
                        .set_keys(Some(keys))
                        .consistent_read(true)
                        .build()
                        .expect("keys"),
                )
                .send()
                .await;
            outcome(r, |o| {
                let mut rows: Vec<String> = o
                    .responses()
                    .and_then(|r| r.get(TABLE))
                    .map(|items| items.iter().map(canon_item).collect())
                    .unwrap_or_default();
                rows.sort();
                format!(
                    "{} unprocessed {}",
                    rows.join(";"),
                    o.unprocessed_keys().map_or(0, HashMap::len)
                )
            })
        }
        Op::PartiQl { statement } => {
            let r = client
                .execute_statement()
                .statement(statement)
                .consistent_read(true)
                .send()
                .await;
            outcome(r, |o| canon_items(o.items()))
        }
    }
}

async fn create_table(client: &Client) {
    client
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Two fresh engines: one reached without a socket, one over its loopback
/// endpoint (the handle that owns it is returned to keep it running).
async fn transports() -> (Dynamite, Dynamite, Dynamite) {
    let socketless = Dynamite::embedded().build().await.unwrap();
    let owner = Dynamite::embedded().build().await.unwrap();
    let endpoint = owner.embedded_endpoint().unwrap().to_owned();
    let http = dynamite_testkit::backend::remote(endpoint)
        .build()
        .await
        .unwrap();
    create_table(socketless.client()).await;
    create_table(http.client()).await;
    (socketless, http, owner)
}

#[derive(Debug, Default)]
struct Tally {
    outputs: usize,
    errors: HashMap<String, usize>,
    message_differences: Vec<String>,
}

#[test]
fn both_embedded_transports_answer_alike() {
    if crate::common::endpoint().is_some() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tally = std::sync::Mutex::new(Tally::default());
    let mut runner = crate::common::seeded_runner(24);
    runner
        .run(&vec(op(), 1..25), |ops| {
            rt.block_on(async {
                let (socketless, http, _owner) = transports().await;
                for (i, op) in ops.iter().enumerate() {
                    let a = send(socketless.client(), op).await;
                    let b = send(http.client(), op).await;
                    let mut t = tally.lock().unwrap();
                    match (&a, &b) {
                        (Outcome::Output(x), Outcome::Output(y)) => {
                            prop_assert_eq!(x, y, "op {} {:?}", i, op);
                            t.outputs += 1;
                        }
                        (
                            Outcome::Error {
                                code,
                                status,
                                message,
                            },
                            Outcome::Error {
                                code: code_b,
                                status: status_b,
                                message: message_b,
                            },
                        ) => {
                            prop_assert_eq!(code, code_b, "op {} {:?}", i, op);
                            prop_assert_eq!(status, status_b, "op {} {:?}", i, op);
                            prop_assert!(status.is_some(), "an HTTP answer: {:?}", a);
                            *t.errors.entry(format!("{code:?} {status:?}")).or_default() += 1;
                            if message != message_b {
                                t.message_differences
                                    .push(format!("{op:?}: {message:?} / {message_b:?}"));
                            }
                        }
                        _ => {
                            return Err(TestCaseError::fail(format!(
                                "op {i} {op:?}: socketless {a:?}, loopback {b:?}"
                            )));
                        }
                    }
                }
                Ok(())
            })
        })
        .unwrap();
    let tally = tally.into_inner().unwrap();
    println!("{tally:#?}");
    // The run reached both sides of the comparison.
    assert!(tally.outputs > 50, "{tally:?}");
    for code in [
        "ResourceNotFoundException",
        "ValidationException",
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    ] {
        assert!(
            tally.errors.keys().any(|k| k.contains(code)),
            "no {code} in {tally:?}"
        );
    }
    let unexpected: Vec<_> = tally
        .message_differences
        .iter()
        .filter(|d| !KNOWN_MESSAGE_DIFFERENCES.iter().any(|k| d.contains(k)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "message differences: {unexpected:#?}"
    );
}

/// A body nested past serde's recursion limit (the server answers it with
/// private code; the adapter sends it to the loopback server): the same
/// ValidationException either way.
#[tokio::test]
async fn a_body_nested_past_the_parsers_limit_gets_the_servers_answer() {
    if crate::common::endpoint().is_some() {
        return;
    }
    let (socketless, http, _owner) = transports().await;
    // 70 nested maps: JSON nested past 128 levels.
    let mut deep = Av::S("leaf".into());
    for _ in 0..70 {
        deep = Av::M(HashMap::from([("a".to_owned(), deep)]));
    }
    let mut it = key_map(Key::S(0), 0);
    it.insert("deep".into(), deep);
    let put = |client: &Client| {
        client
            .put_item()
            .table_name(TABLE)
            .set_item(Some(it.clone()))
            .send()
    };
    let a = outcome(put(socketless.client()).await, |_| "ok".into());
    let b = outcome(put(http.client()).await, |_| "ok".into());
    assert_eq!(a, b);
    assert!(
        matches!(&a, Outcome::Error { code: Some(c), status: Some(400), .. } if c == "ValidationException"),
        "{a:?}"
    );
}
