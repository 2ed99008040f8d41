//! Fault injection: a loopback HTTP proxy in front of the backend injects
//! HTTP 500s, throttling, dropped connections (before forwarding, and after
//! the backend applied the write) and artificially unprocessed batch items.
//! Under it, bulk writes and transactions must lose nothing and duplicate
//! nothing, and a write that finally fails must be reported.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use dynamite::prelude::*;
use dynamite::{Dynamite, Error};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common;
use crate::models::User;

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Forward untouched.
    None,
    /// Answer HTTP 500 without forwarding.
    ServerError,
    /// Answer `ProvisionedThroughputExceededException` without forwarding.
    Throttle,
    /// Close the connection without forwarding.
    DropBefore,
    /// Forward (the backend applies the write), then close without answering.
    DropAfter,
    /// For batch calls: forward only half the items, report the rest unprocessed.
    Unprocessed,
    /// For batch calls: forward nothing, report every item unprocessed.
    UnprocessedAll,
}

/// Counters of what the proxy did.
#[derive(Debug, Default)]
pub struct Injected {
    requests: AtomicU64,
    by_kind: std::sync::Mutex<HashMap<Fault, u64>>,
}

impl Injected {
    fn count(&self, fault: Fault) {
        let mut map = self.by_kind.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(fault).or_default() += 1;
    }
    pub fn of(&self, fault: Fault) -> u64 {
        self.by_kind
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&fault)
            .copied()
            .unwrap_or(0)
    }
    pub fn faults(&self) -> u64 {
        let map = self.by_kind.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .filter(|(k, _)| **k != Fault::None)
            .map(|(_, v)| v)
            .sum()
    }
}

/// A fault-injecting proxy listening on 127.0.0.1.
pub struct Proxy {
    pub url: String,
    pub injected: Arc<Injected>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Which fault request number `n` of operation `target` gets.
pub type Schedule = Arc<dyn Fn(u64, &str) -> Fault + Send + Sync>;

impl Proxy {
    pub async fn start(backend: &str, schedule: Schedule) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let backend = backend.trim_start_matches("http://").to_owned();
        let injected = Arc::new(Injected::default());
        let counters = injected.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (backend, schedule, counters) =
                    (backend.clone(), schedule.clone(), counters.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &backend, schedule, counters).await;
                });
            }
        });
        Proxy {
            url,
            injected,
            task,
        }
    }
}

struct Message {
    head: String,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

async fn read_head<R: AsyncRead + Unpin>(
    stream: &mut R,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            buffer.drain(..end + 4);
            return Ok(Some(head));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn read_exact_body<R: AsyncRead + Unpin>(
    stream: &mut R,
    buffer: &mut Vec<u8>,
    len: usize,
) -> std::io::Result<Vec<u8>> {
    while buffer.len() < len {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(buffer.drain(..len).collect())
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

/// Sends one request to the backend on a fresh connection and reads the whole response.
async fn forward(backend: &str, request: &Message) -> std::io::Result<Message> {
    let mut stream = TcpStream::connect(backend).await?;
    let mut head: Vec<String> = request
        .head
        .lines()
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            !lower.starts_with("connection:") && !lower.starts_with("content-length:")
        })
        .map(str::to_owned)
        .collect();
    head.push(format!("Content-Length: {}", request.body.len()));
    head.push("Connection: close".to_owned());
    stream
        .write_all(format!("{}\r\n\r\n", head.join("\r\n")).as_bytes())
        .await?;
    stream.write_all(&request.body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let mut buffer = raw;
    let head = read_head(&mut &[][..], &mut buffer)
        .await?
        .unwrap_or_default();
    let response = Message {
        head,
        body: Vec::new(),
    };
    let body = if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(&buffer)
    } else {
        let len = response
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(buffer.len());
        buffer.truncate(len);
        buffer
    };
    Ok(Message { body, ..response })
}

async fn reply(
    client: &mut TcpStream,
    status: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut text = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    client.write_all(text.as_bytes()).await?;
    client.write_all(body).await
}

fn error_body(kind: &str, message: &str) -> Vec<u8> {
    format!("{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{kind}\",\"message\":\"{message}\"}}")
        .into_bytes()
}

fn json_headers(body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/x-amz-json-1.0".into()),
        ("x-amz-crc32".into(), crc32fast::hash(body).to_string()),
        ("x-amzn-RequestId".into(), "injected".into()),
    ]
}

/// Splits a batch request: keeps the first half of each table's items and
/// returns the request to forward plus the held-back part.
fn hold_back(target: &str, body: &[u8], all: bool) -> Option<(Vec<u8>, Value)> {
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let items = request.get_mut("RequestItems")?.as_object_mut()?;
    let mut held = serde_json::Map::new();
    for (table, spec) in items.iter_mut() {
        match target {
            "BatchWriteItem" => {
                let list = spec.as_array_mut()?;
                let keep = if all { 0 } else { list.len().div_ceil(2) };
                let rest: Vec<Value> = list.split_off(keep);
                if !rest.is_empty() {
                    held.insert(table.clone(), Value::Array(rest));
                }
            }
            "BatchGetItem" => {
                let keys = spec.get_mut("Keys")?.as_array_mut()?;
                let keep = if all { 0 } else { keys.len().div_ceil(2) };
                let rest: Vec<Value> = keys.split_off(keep);
                if !rest.is_empty() {
                    let mut entry = spec.clone();
                    entry["Keys"] = Value::Array(rest);
                    held.insert(table.clone(), entry);
                }
            }
            _ => return None,
        }
    }
    Some((serde_json::to_vec(&request).ok()?, Value::Object(held)))
}

async fn serve(
    mut client: TcpStream,
    backend: &str,
    schedule: Schedule,
    counters: Arc<Injected>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        let Some(head) = read_head(&mut client, &mut buffer).await? else {
            return Ok(());
        };
        let mut request = Message {
            head,
            body: Vec::new(),
        };
        let len = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        request.body = read_exact_body(&mut client, &mut buffer, len).await?;
        let target = request
            .header("x-amz-target")
            .and_then(|t| t.split('.').nth(1))
            .unwrap_or("")
            .to_owned();
        let n = counters.requests.fetch_add(1, Ordering::SeqCst);
        let mut fault = schedule(n, &target);
        if matches!(fault, Fault::Unprocessed | Fault::UnprocessedAll)
            && !matches!(target.as_str(), "BatchWriteItem" | "BatchGetItem")
        {
            fault = Fault::None;
        }
        counters.count(fault);
        match fault {
            Fault::ServerError => {
                let body = error_body("InternalServerError", "injected 500");
                reply(
                    &mut client,
                    "500 Internal Server Error",
                    &json_headers(&body),
                    &body,
                )
                .await?;
            }
            Fault::Throttle => {
                let body = error_body(
                    "ProvisionedThroughputExceededException",
                    "injected throttling",
                );
                reply(&mut client, "400 Bad Request", &json_headers(&body), &body).await?;
            }
            Fault::DropBefore => return Ok(()),
            Fault::DropAfter => {
                forward(backend, &request).await?;
                return Ok(());
            }
            Fault::None => {
                let response = forward(backend, &request).await?;
                let status = response
                    .head
                    .lines()
                    .next()
                    .and_then(|line| line.split_once(' '))
                    .map_or("502 Bad Gateway", |(_, status)| status)
                    .to_owned();
                let headers: Vec<(String, String)> = response
                    .head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .filter(|(k, _)| {
                        let k = k.to_ascii_lowercase();
                        k != "content-length" && k != "transfer-encoding" && k != "connection"
                    })
                    .collect();
                reply(&mut client, &status, &headers, &response.body).await?;
            }
            Fault::Unprocessed | Fault::UnprocessedAll => {
                let Some((forwarded, held)) =
                    hold_back(&target, &request.body, fault == Fault::UnprocessedAll)
                else {
                    return Ok(());
                };
                let mut json: Value = if fault == Fault::UnprocessedAll {
                    serde_json::json!({})
                } else {
                    let response = forward(
                        backend,
                        &Message {
                            head: request.head.clone(),
                            body: forwarded,
                        },
                    )
                    .await?;
                    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
                };
                let field = if target == "BatchWriteItem" {
                    "UnprocessedItems"
                } else {
                    "UnprocessedKeys"
                };
                if let (Some(obj), Some(held)) = (json.as_object_mut(), held.as_object()) {
                    let slot = obj
                        .entry(field)
                        .or_insert_with(|| Value::Object(Default::default()));
                    if let Some(slot) = slot.as_object_mut() {
                        for (table, value) in held {
                            match (slot.get_mut(table), value) {
                                (Some(Value::Array(existing)), Value::Array(more)) => {
                                    existing.extend(more.iter().cloned())
                                }
                                (Some(existing), Value::Object(more)) => {
                                    if let (Some(keys), Some(more_keys)) = (
                                        existing.get_mut("Keys").and_then(Value::as_array_mut),
                                        more.get("Keys").and_then(Value::as_array),
                                    ) {
                                        keys.extend(more_keys.iter().cloned());
                                    }
                                }
                                (None, v) => {
                                    slot.insert(table.clone(), v.clone());
                                }
                                _ => {}
                            }
                        }
                    }
                }
                let body = serde_json::to_vec(&json).unwrap_or_default();
                reply(&mut client, "200 OK", &json_headers(&body), &body).await?;
            }
        }
    }
}

/// A counter per (stream, seq), for exactly-once checks.
#[derive(Table, Debug, Clone)]
pub struct Tally {
    #[dynamite(primary_key)]
    pub stream: String,
    #[dynamite(sort_key)]
    pub seq: i64,
    pub kind: String,
    pub hits: Option<i64>,
}

fn register(builder: dynamite::DynamiteBuilder) -> dynamite::DynamiteBuilder {
    crate::models::register(builder).table::<Tally>()
}

/// A handle on `backend` (kept alive for the embedded engine) and one
/// through a proxy with `schedule`, sharing the table prefix.
async fn through_proxy(schedule: Schedule, attempts: u32) -> (Dynamite, Dynamite, Proxy) {
    let backend = register(common::builder()).build().await.unwrap();
    backend.sync().await.unwrap();
    let endpoint = common::endpoint()
        .or_else(|| backend.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let proxy = Proxy::start(&endpoint, schedule).await;
    let faulty = register(
        Dynamite::builder()
            .endpoint(&proxy.url)
            .region("us-east-1")
            .credentials("test", "test")
            .table_prefix(backend.table_prefix())
            .max_attempts(attempts),
    )
    .build()
    .await
    .unwrap();
    (backend, faulty, proxy)
}

/// One fault every few requests, cycling through every kind.
fn mixed_schedule() -> Schedule {
    Arc::new(|n, _target| match n % 12 {
        1 => Fault::ServerError,
        3 => Fault::Throttle,
        5 => Fault::Unprocessed,
        7 => Fault::DropBefore,
        9 => Fault::DropAfter,
        11 => Fault::Unprocessed,
        _ => Fault::None,
    })
}

fn users(n: usize) -> Vec<User> {
    (0..n)
        .map(|i| {
            User::create()
                .id(format!("u{i:05}"))
                .name(format!("n{i}"))
                .email(format!("{i}@x.io"))
                .build()
        })
        .collect()
}

async fn assert_all_present_once(db: &Dynamite, n: usize) {
    let ids: Vec<String> = (0..n).map(|i| format!("u{i:05}")).collect();
    let found = User::get_many(db, ids.clone()).await.unwrap();
    assert_eq!(found.len(), n, "every item present");
    let got: Vec<&str> = found.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        User::query().count(db).await.unwrap(),
        n,
        "no duplicates, nothing extra"
    );
}

fn report(label: &str, proxy: &Proxy, db: &Dynamite) {
    let i = &proxy.injected;
    let retries: u64 = db.metrics().snapshot().values().map(|o| o.retries).sum();
    eprintln!(
        "FAULTS {label}: requests {} faults {} (500: {}, throttle: {}, drop-before: {}, drop-after: {}, unprocessed: {}), sdk retries {retries}",
        i.requests.load(Ordering::SeqCst),
        i.faults(),
        i.of(Fault::ServerError),
        i.of(Fault::Throttle),
        i.of(Fault::DropBefore),
        i.of(Fault::DropAfter),
        i.of(Fault::Unprocessed),
    );
}

#[tokio::test]
async fn put_many_of_10_000_under_faults_writes_every_item_once() {
    let (backend, faulty, proxy) = through_proxy(mixed_schedule(), 10).await;
    User::put_many(&faulty, users(10_000)).await.unwrap();
    report("put_many 10000", &proxy, &faulty);
    for kind in [
        Fault::ServerError,
        Fault::Throttle,
        Fault::DropBefore,
        Fault::DropAfter,
        Fault::Unprocessed,
    ] {
        assert!(proxy.injected.of(kind) > 0, "{kind:?} was injected");
    }
    assert_all_present_once(&backend, 10_000).await;
}

#[tokio::test]
async fn create_many_of_10_000_under_faults_creates_every_item_once() {
    let (backend, faulty, proxy) = through_proxy(mixed_schedule(), 10).await;
    let created = User::create_many(&faulty, users(10_000)).await.unwrap();
    report("create_many 10000", &proxy, &faulty);
    assert_eq!(created.len(), 10_000);
    assert!(
        proxy.injected.of(Fault::DropAfter) > 0,
        "some transactions were applied and their answer lost"
    );
    assert_all_present_once(&backend, 10_000).await;
}

#[tokio::test]
async fn get_many_under_faults_reads_every_key() {
    let (backend, faulty, proxy) = through_proxy(mixed_schedule(), 10).await;
    User::put_many(&backend, users(1_000)).await.unwrap();
    assert_all_present_once(&faulty, 1_000).await;
    assert!(proxy.injected.of(Fault::Unprocessed) > 0);
}

#[tokio::test]
async fn a_100_operation_transaction_is_all_or_nothing_under_faults() {
    // Every request whose answer is lost once: the retry carries the same
    // ClientRequestToken, so the transaction applies exactly once.
    let dropped = Arc::new(AtomicUsize::new(0));
    let flag = dropped.clone();
    let schedule: Schedule = Arc::new(move |_, target| {
        if target == "TransactWriteItems" && flag.fetch_add(1, Ordering::SeqCst) == 0 {
            Fault::DropAfter
        } else {
            Fault::None
        }
    });
    let (backend, faulty, proxy) = through_proxy(schedule, 5).await;
    Tally::put_many(
        &backend,
        (0..100).map(|i| {
            Tally::create()
                .stream("s")
                .seq(i)
                .kind("n")
                .hits(Some(0))
                .build()
        }),
    )
    .await
    .unwrap();
    let mut tx = faulty.transaction();
    for i in 0..100 {
        tx.update(Tally::update_key(("s", i as i64)).increment(Tally::HITS, 1));
    }
    tx.commit().await.unwrap();
    report("transaction 100", &proxy, &faulty);
    assert_eq!(proxy.injected.of(Fault::DropAfter), 1);
    let events = Tally::query()
        .filter(Tally::STREAM.eq("s"))
        .all(&backend)
        .await
        .unwrap();
    assert_eq!(events.len(), 100);
    assert!(
        events.iter().all(|e| e.hits == Some(1)),
        "applied exactly once despite the retry"
    );

    // A transaction that cannot commit changes nothing.
    let mut tx = faulty.transaction();
    for i in 0..99 {
        tx.update(Tally::update_key(("s", i as i64)).increment(Tally::HITS, 1));
    }
    tx.update(
        Tally::update_key(("s", 99_i64))
            .increment(Tally::HITS, 1)
            .condition(Tally::KIND.eq("other")),
    );
    assert!(matches!(
        tx.commit().await.unwrap_err(),
        Error::TransactionCanceled { .. }
    ));
    let events = Tally::query()
        .filter(Tally::STREAM.eq("s"))
        .all(&backend)
        .await
        .unwrap();
    assert!(
        events.iter().all(|e| e.hits == Some(1)),
        "none of the 100 applied"
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_a_success_not_already_exists() {
    let schedule: Schedule = Arc::new(|n, target| {
        if target == "PutItem" && n == 0 {
            Fault::DropAfter
        } else {
            Fault::None
        }
    });
    let (backend, faulty, proxy) = through_proxy(schedule, 5).await;
    let user = User::create()
        .id("once")
        .name("Once")
        .email("o@x.io")
        .exec(&faulty)
        .await
        .unwrap();
    assert_eq!(proxy.injected.of(Fault::DropAfter), 1);
    assert_eq!(User::get(&backend, "once").await.unwrap().unwrap(), user);
    // A genuinely different row with the same key still fails.
    let err = User::create()
        .id("once")
        .name("Other")
        .email("x@x.io")
        .exec(&faulty)
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err}");
}

#[tokio::test]
async fn throttling_after_retries_is_a_typed_error_and_nothing_is_lost_silently() {
    let schedule: Schedule = Arc::new(|_, _| Fault::Throttle);
    let (_backend, faulty, proxy) = through_proxy(schedule, 2).await;
    let err = User::create()
        .id("t")
        .name("T")
        .email("t@x.io")
        .exec(&faulty)
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err}");
    let err = User::get(&faulty, "t").await.unwrap_err();
    assert!(err.is_throttled(), "{err}");
    let err = User::put_many(&faulty, users(30)).await.unwrap_err();
    assert!(
        err.is_throttled() || matches!(err, Error::Batch { .. }),
        "{err}"
    );
    assert!(proxy.injected.of(Fault::Throttle) >= 4);
}

#[tokio::test]
async fn items_left_unprocessed_are_reported_by_key() {
    let schedule: Schedule = Arc::new(|_, target| {
        if target == "BatchWriteItem" {
            Fault::UnprocessedAll
        } else {
            Fault::None
        }
    });
    let (backend, faulty, _proxy) = through_proxy(schedule, 2).await;
    let err = User::put_many(&faulty, users(8)).await.unwrap_err();
    match err {
        Error::Batch {
            operation, failed, ..
        } => {
            assert_eq!(operation, "BatchWriteItem");
            assert_eq!(failed.len(), 8, "every held-back item is reported");
            let written = User::query().count(&backend).await.unwrap();
            assert_eq!(
                written + failed.len(),
                8,
                "every item is either written or reported"
            );
            for key in failed {
                let id = match key.get("id") {
                    Some(AttributeValue::S(s)) => s.clone(),
                    other => panic!("unexpected key {other:?}"),
                };
                assert!(
                    User::get(&backend, id).await.unwrap().is_none(),
                    "a reported key was really not written"
                );
            }
        }
        other => panic!("expected Error::Batch, got {other}"),
    }
}

#[tokio::test]
async fn retry_mode_and_attempts_are_configurable() {
    use dynamite::sdk::config::retry::RetryMode;
    let schedule: Schedule = Arc::new(|_, target| {
        if target == "GetItem" {
            Fault::ServerError
        } else {
            Fault::None
        }
    });
    let (backend, _faulty, proxy) = through_proxy(schedule, 1).await;
    for (mode, attempts) in [
        (RetryMode::Standard, 1_u32),
        (RetryMode::Standard, 3),
        (RetryMode::Adaptive, 4),
    ] {
        let handle = register(
            Dynamite::builder()
                .endpoint(&proxy.url)
                .region("us-east-1")
                .credentials("test", "test")
                .table_prefix(backend.table_prefix())
                .retry_mode(mode)
                .max_attempts(attempts),
        )
        .build()
        .await
        .unwrap();
        let before = proxy.injected.of(Fault::ServerError);
        let err = User::get(&handle, "x").await.unwrap_err();
        assert!(matches!(err, Error::Backend { .. }), "{err}");
        assert_eq!(
            proxy.injected.of(Fault::ServerError) - before,
            u64::from(attempts),
            "{mode:?}"
        );
        assert_eq!(handle.metrics().retries("GetItem"), u64::from(attempts - 1));
    }
}
