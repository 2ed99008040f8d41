//! A fault-injecting HTTP proxy: listens on 127.0.0.1 in front of a
//! backend and, request by request as a [`Schedule`] decides, injects HTTP
//! 500s, throttling, dropped connections (before forwarding, and after the
//! backend applied the write) and artificially unprocessed batch items.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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
    /// For TransactWriteItems: answer `TransactionCanceledException`
    /// without forwarding, with this cancellation code for the first
    /// operation (`ThrottlingError`, `TransactionConflict`, ...) and
    /// `None` for the others, as DynamoDB does.
    Cancel(&'static str),
}

/// Counters of what the proxy did.
#[derive(Debug, Default)]
pub struct Injected {
    requests: AtomicU64,
    by_kind: std::sync::Mutex<HashMap<Fault, u64>>,
    /// With a per-call bound: faults given so far to each request body (a
    /// retry sends the same body, so this counts faults per call).
    per_body: Option<(u32, std::sync::Mutex<HashMap<u64, u32>>)>,
}

impl Injected {
    /// `fault`, or [`Fault::None`] once this body had its share of faults.
    fn bounded(&self, fault: Fault, body: &[u8]) -> Fault {
        let Some((limit, seen)) = &self.per_body else {
            return fault;
        };
        if fault == Fault::None {
            return fault;
        }
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut hasher);
        let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        let count = seen.entry(hasher.finish()).or_default();
        if *count >= *limit {
            Fault::None
        } else {
            *count += 1;
            fault
        }
    }

    fn count(&self, fault: Fault) {
        let mut map = self.by_kind.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(fault).or_default() += 1;
    }
    /// Requests the proxy received.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
    /// Requests that got `fault`.
    pub fn of(&self, fault: Fault) -> u64 {
        self.by_kind
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&fault)
            .copied()
            .unwrap_or(0)
    }
    /// Requests that got a fault (any but [`Fault::None`]).
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
    /// The proxy's endpoint, `http://127.0.0.1:PORT`.
    pub url: String,
    /// What it did so far.
    pub injected: Arc<Injected>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Which fault request number `n` of operation `target` gets.
pub type Schedule = Arc<dyn Fn(u64, &str) -> Fault + Send + Sync>;

/// Runs after a [`Fault::DropAfter`] request was applied by the backend and
/// before its connection is closed, so before the client can retry it:
/// given the request number and operation, it can write the same row as
/// "another writer" between a lost answer and the retry.
pub type AfterDrop = Arc<
    dyn Fn(u64, &str) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

impl Proxy {
    /// Starts a proxy in front of `backend` (`http://host:port`) on a free
    /// port; it stops when dropped.
    pub async fn start(backend: &str, schedule: Schedule) -> Proxy {
        Self::start_with(backend, schedule, Injected::default(), None).await
    }

    /// [`Proxy::start`], running `after_drop` between each
    /// [`Fault::DropAfter`] request's application and the closing of its
    /// connection (see [`AfterDrop`]).
    pub async fn start_with_after_drop(
        backend: &str,
        schedule: Schedule,
        after_drop: AfterDrop,
    ) -> Proxy {
        Self::start_with(backend, schedule, Injected::default(), Some(after_drop)).await
    }

    /// [`Proxy::start`], giving each call (each distinct request body; its
    /// retries send the same body) at most `max_faults_per_call` faults, so
    /// a client with more attempts than that always gets an answer.
    pub async fn start_bounded(
        backend: &str,
        schedule: Schedule,
        max_faults_per_call: u32,
    ) -> Proxy {
        let injected = Injected {
            per_body: Some((max_faults_per_call, Default::default())),
            ..Injected::default()
        };
        Self::start_with(backend, schedule, injected, None).await
    }

    async fn start_with(
        backend: &str,
        schedule: Schedule,
        injected: Injected,
        after_drop: Option<AfterDrop>,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let backend = backend.trim_start_matches("http://").to_owned();
        let injected = Arc::new(injected);
        let counters = injected.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (backend, schedule, counters, after_drop) = (
                    backend.clone(),
                    schedule.clone(),
                    counters.clone(),
                    after_drop.clone(),
                );
                tokio::spawn(async move {
                    let _ = serve(client, &backend, schedule, counters, after_drop).await;
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

/// A `TransactionCanceledException` for the TransactWriteItems `request`:
/// `code` for its first operation, `None` for the others.
fn cancellation_body(request: &[u8], code: &str) -> Vec<u8> {
    let operations = serde_json::from_slice::<Value>(request)
        .ok()
        .and_then(|r| r.get("TransactItems")?.as_array().map(Vec::len))
        .unwrap_or(1)
        .max(1);
    let reasons: Vec<Value> = (0..operations)
        .map(|i| match i {
            0 => serde_json::json!({ "Code": code, "Message": "injected" }),
            _ => serde_json::json!({ "Code": "None" }),
        })
        .collect();
    let codes: Vec<&str> = (0..operations)
        .map(|i| if i == 0 { code } else { "None" })
        .collect();
    serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
        "CancellationReasons": reasons,
    })
    .to_string()
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
    after_drop: Option<AfterDrop>,
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
        if matches!(fault, Fault::Cancel(_)) && target != "TransactWriteItems" {
            fault = Fault::None;
        }
        let fault = counters.bounded(fault, &request.body);
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
            Fault::Cancel(code) => {
                let body = cancellation_body(&request.body, code);
                reply(&mut client, "400 Bad Request", &json_headers(&body), &body).await?;
            }
            Fault::DropBefore => return Ok(()),
            Fault::DropAfter => {
                forward(backend, &request).await?;
                if let Some(after_drop) = &after_drop {
                    after_drop(n, &target).await;
                }
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
