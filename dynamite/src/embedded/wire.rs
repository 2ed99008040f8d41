//! One DynamoDB JSON request, answered by the engine in process: the adapter
//! that stands where `dynoxide`'s HTTP server would.
//!
//! It mirrors the server's private request handling (`dynoxide`
//! `src/server/mod.rs`, `handle_request` and `dispatch`) step by step over
//! the engine's public API: the content-type check, the JSON check, the
//! `X-Amz-Target` check, the auth-material check, the per-operation call with
//! the operation's serde request and response types, and the error shaping
//! (`__type`, status, body). What it cannot mirror through the public API it
//! hands back as [`Answer::Loopback`], for the caller to send to the engine's
//! own HTTP server.

use dynoxide::{Database, DynoxideError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The media type DynamoDB speaks.
pub(super) const AMZ_JSON: &str = "application/x-amz-json-1.0";
const TARGET_PREFIX: &str = "DynamoDB_20120810.";
const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";
/// The server's request body limit (`MAX_BODY_SIZE`, axum's
/// `DefaultBodyLimit`), whose refusal its HTTP layer shapes.
const MAX_BODY_SIZE: usize = 16 * 1024 * 1024;
/// The server's answer to anything but a POST (and to an unknown media type).
const NOT_FOUND_BODY: &str = "<UnknownOperationException/>\n";
const SERIALIZATION_BARE: &str = r#"{"__type":"com.amazon.coral.service#SerializationException"}"#;
const UNKNOWN_OPERATION: &str =
    r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#;

/// Every operation the server dispatches (dynoxide's `KNOWN_OPERATIONS`).
const OPERATIONS: &[&str] = &[
    "CreateTable",
    "DeleteTable",
    "DescribeTable",
    "ListTables",
    "UpdateTable",
    "PutItem",
    "GetItem",
    "DeleteItem",
    "UpdateItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
    "ListStreams",
    "DescribeStream",
    "GetShardIterator",
    "GetRecords",
    "UpdateTimeToLive",
    "DescribeTimeToLive",
    "ExecuteStatement",
    "ExecuteTransaction",
    "BatchExecuteStatement",
    "TagResource",
    "UntagResource",
    "ListTagsOfResource",
    "SearchVectors",
];

/// What the adapter reads of an HTTP request.
#[derive(Debug, Default)]
pub(super) struct WireRequest {
    pub(super) method: String,
    /// The query string, without `?` (auth material may ride on it).
    pub(super) query: String,
    pub(super) content_type: Option<String>,
    pub(super) target: Option<String>,
    pub(super) authorization: Option<String>,
    pub(super) has_date_header: bool,
    pub(super) body: Vec<u8>,
}

/// The engine's answer, as the server would frame it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WireResponse {
    pub(super) status: u16,
    /// `None` where the server sets no content type (health check, 404).
    pub(super) content_type: Option<String>,
    pub(super) body: String,
}

/// How a request is answered.
#[derive(Debug)]
pub(super) enum Answer {
    /// Answered here.
    Response(WireResponse),
    /// A body nested deeper than serde reads, which the server answers with
    /// private code (`deep_nesting`), or one past the server's body limit,
    /// which its HTTP layer refuses: send it to the loopback server.
    Loopback,
}

impl WireResponse {
    fn new(status: u16, content_type: Option<&str>, body: impl Into<String>) -> Self {
        WireResponse {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.into(),
        }
    }
}

/// Answers one request as the server's `handle_root` and `handle_request` do.
pub(super) fn answer(db: &Database, request: &WireRequest) -> Answer {
    match request.method.as_str() {
        "POST" => {}
        "GET" => {
            let body = "healthy: dynamodb.us-east-1.amazonaws.com ";
            return Answer::Response(WireResponse::new(200, None, body));
        }
        _ => return Answer::Response(WireResponse::new(404, None, NOT_FOUND_BODY)),
    }
    if request.body.len() > MAX_BODY_SIZE {
        return Answer::Loopback;
    }
    let Ok(body) = std::str::from_utf8(&request.body) else {
        // axum's `String` extractor refuses the request before the handler.
        let text = "Request body didn't contain valid UTF-8";
        return Answer::Response(WireResponse::new(
            400,
            Some("text/plain; charset=utf-8"),
            text,
        ));
    };
    let raw_ct = request.content_type.as_deref().unwrap_or("");
    let base_ct = raw_ct.split(';').next().unwrap_or("").trim();
    let is_amz_json = base_ct.eq_ignore_ascii_case(AMZ_JSON);
    let is_plain_json = base_ct.eq_ignore_ascii_case("application/json");
    if !is_amz_json && !is_plain_json && (!body.is_empty() || !raw_ct.is_empty()) {
        return Answer::Response(WireResponse::new(404, None, NOT_FOUND_BODY));
    }
    let ct = if is_amz_json {
        AMZ_JSON
    } else {
        "application/json"
    };
    if !body.is_empty()
        && let Err(e) = serde_json::from_str::<serde_json::Value>(body)
    {
        if e.to_string().starts_with("recursion limit exceeded") {
            return Answer::Loopback;
        }
        return Answer::Response(WireResponse::new(400, Some(ct), SERIALIZATION_BARE));
    }
    let target = request.target.as_deref().unwrap_or("");
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .or_else(|| target.strip_prefix(STREAMS_TARGET_PREFIX))
        .filter(|op| OPERATIONS.contains(op));
    let Some(operation) = operation else {
        return Answer::Response(WireResponse::new(400, Some(ct), UNKNOWN_OPERATION));
    };
    let material = dynoxide::auth_material::AuthMaterial {
        authorization: request.authorization.as_deref(),
        query: &request.query,
        has_date_header: request.has_date_header,
    };
    if let Some(refusal) = dynoxide::auth_material::validate(material) {
        return Answer::Response(WireResponse::new(400, Some(ct), refusal));
    }
    if body.is_empty() {
        return Answer::Response(WireResponse::new(400, Some(ct), SERIALIZATION_BARE));
    }
    Answer::Response(match dispatch(db, operation, body) {
        Ok(json) => WireResponse::new(200, Some(ct), json),
        Err(e) => {
            let e = on_the_wire(operation, e);
            let status = e.status_code();
            WireResponse::new(status, Some(ct), error_body(operation, &e))
        }
    })
}

/// Reads the request type, runs the operation, writes the response type.
fn call<Req, Resp>(
    body: &str,
    op: impl FnOnce(Req) -> dynoxide::Result<Resp>,
) -> dynoxide::Result<String>
where
    Req: DeserializeOwned,
    Resp: Serialize,
{
    let request = serde_json::from_str(body).map_err(|e| read_error(&e.to_string()))?;
    let response = op(request)?;
    serde_json::to_string(&response).map_err(|e| DynoxideError::InternalServerError(e.to_string()))
}

/// The server's `dispatch_operation`, one arm per operation.
fn dispatch(db: &Database, operation: &str, body: &str) -> dynoxide::Result<String> {
    match operation {
        "CreateTable" => call(body, |r| db.create_table(r)),
        "DeleteTable" => call(body, |r| db.delete_table(r)),
        "DescribeTable" => call(body, |r| db.describe_table(r)),
        "ListTables" => call(body, |r| db.list_tables(r)),
        "UpdateTable" => call(body, |r| db.update_table(r)),
        "PutItem" => call(body, |r| db.put_item(r)),
        "GetItem" => call(body, |r| db.get_item(r)),
        "DeleteItem" => call(body, |r| db.delete_item(r)),
        "UpdateItem" => call(body, |r| db.update_item(r)),
        "Query" => call(body, |r| db.query(r)),
        "Scan" => call(body, |r| db.scan(r)),
        "SearchVectors" => call(body, |r| db.search_vectors(r)),
        "BatchGetItem" => call(body, |r| db.batch_get_item(r)),
        "BatchWriteItem" => call(body, |r| db.batch_write_item(r)),
        "TransactWriteItems" => call(body, |r| db.transact_write_items(r)),
        "TransactGetItems" => call(body, |r| db.transact_get_items(r)),
        "ListStreams" => call(body, |r| db.list_streams(r)),
        "DescribeStream" => call(body, |r| db.describe_stream(r)),
        "GetShardIterator" => call(body, |r| db.get_shard_iterator(r)),
        "GetRecords" => call(body, |r| db.get_records(r)),
        "UpdateTimeToLive" => call(body, |r| db.update_time_to_live(r)),
        "DescribeTimeToLive" => call(body, |r| db.describe_time_to_live(r)),
        "ExecuteStatement" => call(body, |r| db.execute_statement(r)),
        "ExecuteTransaction" => call(body, |r| db.execute_transaction(r)),
        "BatchExecuteStatement" => call(body, |r| db.batch_execute_statement(r)),
        "TagResource" => call(body, |r| db.tag_resource(r)),
        "UntagResource" => call(body, |r| db.untag_resource(r)),
        "ListTagsOfResource" => call(body, |r| db.list_tags_of_resource(r)),
        _ => Err(DynoxideError::SerializationException(
            "UnknownOperationException".to_owned(),
        )),
    }
}

// The marker prefixes dynoxide's `Deserialize` impls put on a serde message
// to choose the error class (dynoxide `serde_errors`).
const SERIALIZATION_AS_READ: &str = "SERIALIZATION_AS_READ:";
const VALIDATION_AS_READ: &str = "VALIDATION_AS_READ:";
const SERIALIZATION: &str = "SERIALIZATION:";
const VALIDATION_REQUEST: &str = "VALIDATION_REQUEST:";
const VALIDATION: &str = "VALIDATION:";

/// The error a request body serde refused is, as dynoxide's private
/// `serde_errors::deserialize` classifies it. The class (`__type`) is
/// exact; a plain type mismatch keeps serde's wording where dynoxide
/// rewrites it in DynamoDB's.
fn read_error(msg: &str) -> DynoxideError {
    if let Some(m) = msg.strip_prefix(SERIALIZATION_AS_READ) {
        return DynoxideError::SerializationException(m.to_owned());
    }
    if let Some(m) = msg.strip_prefix(VALIDATION_AS_READ) {
        return DynoxideError::ValidationException(m.to_owned());
    }
    if let Some(m) = msg.strip_prefix(SERIALIZATION) {
        return DynoxideError::SerializationException(without_position(m).to_owned());
    }
    if let Some(m) = msg.strip_prefix(VALIDATION_REQUEST) {
        return DynoxideError::EnvelopedValidation(without_position(m).to_owned());
    }
    if let Some(m) = msg.strip_prefix(VALIDATION) {
        return DynoxideError::ValidationException(without_position(m).to_owned());
    }
    if msg.contains("missing field")
        || msg.contains("unknown variant")
        || msg.contains("invalid type: null")
    {
        DynoxideError::ValidationException(msg.to_owned())
    } else if msg.contains("empty AttributeValue") {
        DynoxideError::ValidationException(
            "Supplied AttributeValue is empty, must contain exactly one of the supported \
             datatypes"
                .to_owned(),
        )
    } else if msg.contains("Supplied AttributeValue") {
        DynoxideError::ValidationException(without_position(msg).to_owned())
    } else {
        DynoxideError::SerializationException(without_position(msg).to_owned())
    }
}

/// serde_json's " at line N column N" suffix removed.
fn without_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains("column") => &msg[..i],
        _ => msg,
    }
}

/// The error as `operation` puts it on the wire: the request-validation tag
/// resolved (enveloped on PutItem, UpdateItem and DeleteItem, bare
/// elsewhere) and ExecuteStatement's condition failure in its own shape
/// (dynoxide `validation::resolve_request_validation_tag`,
/// `errors::for_operation`).
fn on_the_wire(operation: &str, e: DynoxideError) -> DynoxideError {
    match (operation, e) {
        ("PutItem" | "UpdateItem" | "DeleteItem", DynoxideError::EnvelopedValidation(m)) => {
            DynoxideError::ValidationException(format!("1 validation error detected: {m}"))
        }
        (_, DynoxideError::EnvelopedValidation(m)) => DynoxideError::ValidationException(m),
        ("ExecuteStatement", DynoxideError::ConditionalCheckFailedException(m, Some(item))) => {
            DynoxideError::StatementConditionalCheckFailed(m, item)
        }
        (_, e) => e,
    }
}

/// The error body (dynoxide `to_json_for`): SearchVectors writes a
/// SerializationException's message in lower case.
fn error_body(operation: &str, e: &DynoxideError) -> String {
    match e {
        DynoxideError::SerializationException(_) if operation == "SearchVectors" => {
            let mut body = serde_json::Map::new();
            body.insert("__type".to_owned(), e.error_type().into());
            let message = e.to_string();
            if !message.is_empty() {
                body.insert("message".to_owned(), message.into());
            }
            serde_json::to_string(&body).unwrap_or_default()
        }
        _ => e.to_json(),
    }
}
