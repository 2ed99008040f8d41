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
    // The server refuses a body that is not JSON before anything else. A
    // body the operation's request type reads is JSON, so the check runs
    // only where an answer would otherwise be a refusal: one parse per
    // request, not two.
    let malformed = || not_json(body).map(|refusal| refusal.framed(ct));
    let target = request.target.as_deref().unwrap_or("");
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .or_else(|| target.strip_prefix(STREAMS_TARGET_PREFIX))
        .filter(|op| OPERATIONS.contains(op));
    let Some(operation) = operation else {
        return malformed().unwrap_or_else(|| {
            Answer::Response(WireResponse::new(400, Some(ct), UNKNOWN_OPERATION))
        });
    };
    let material = dynoxide::auth_material::AuthMaterial {
        authorization: request.authorization.as_deref(),
        query: &request.query,
        has_date_header: request.has_date_header,
    };
    if let Some(refusal) = dynoxide::auth_material::validate(material) {
        return malformed()
            .unwrap_or_else(|| Answer::Response(WireResponse::new(400, Some(ct), refusal)));
    }
    if body.is_empty() {
        return Answer::Response(WireResponse::new(400, Some(ct), SERIALIZATION_BARE));
    }
    let failure = match dispatch(db, operation, body) {
        Ok(json) => return Answer::Response(WireResponse::new(200, Some(ct), json)),
        Err(Failure::Read(e)) => match malformed() {
            Some(refusal) => return refusal,
            None => read_error(&e.to_string()),
        },
        Err(Failure::Engine(e)) => e,
    };
    let e = on_the_wire(operation, failure);
    let status = e.status_code();
    Answer::Response(WireResponse::new(
        status,
        Some(ct),
        error_body(operation, &e),
    ))
}

/// How the server refuses a body that is not JSON.
enum NotJson {
    /// Nested deeper than serde reads: the server's private code answers.
    TooDeep,
    /// Anything else: a bare SerializationException.
    Malformed,
}

impl NotJson {
    fn framed(self, content_type: &str) -> Answer {
        match self {
            NotJson::TooDeep => Answer::Loopback,
            NotJson::Malformed => Answer::Response(WireResponse::new(
                400,
                Some(content_type),
                SERIALIZATION_BARE,
            )),
        }
    }
}

/// The server's JSON check (`serde_json::Value` over the body), which an
/// empty body passes.
fn not_json(body: &str) -> Option<NotJson> {
    if body.is_empty() {
        return None;
    }
    // `Value`, not `IgnoredAny`: only `Value` applies serde's depth limit,
    // which the server's check hits.
    let e = serde_json::from_str::<serde_json::Value>(body).err()?;
    Some(if e.to_string().starts_with("recursion limit exceeded") {
        NotJson::TooDeep
    } else {
        NotJson::Malformed
    })
}

/// Why an operation failed: its request type did not read the body, or the
/// engine refused the request.
enum Failure {
    Read(serde_json::Error),
    Engine(DynoxideError),
}

impl From<DynoxideError> for Failure {
    fn from(e: DynoxideError) -> Self {
        Failure::Engine(e)
    }
}

/// Reads the request type, runs the operation, writes the response type.
fn call<Req, Resp>(
    body: &str,
    op: impl FnOnce(Req) -> dynoxide::Result<Resp>,
) -> Result<String, Failure>
where
    Req: DeserializeOwned,
    Resp: Serialize,
{
    let request = serde_json::from_str(body).map_err(Failure::Read)?;
    let response = op(request)?;
    serde_json::to_string(&response)
        .map_err(|e| Failure::Engine(DynoxideError::InternalServerError(e.to_string())))
}

/// The server's `dispatch_operation`, one arm per operation.
fn dispatch(db: &Database, operation: &str, body: &str) -> Result<String, Failure> {
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
        _ => Err(Failure::Engine(DynoxideError::SerializationException(
            "UnknownOperationException".to_owned(),
        ))),
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
    } else if REWORDED.iter().any(|shape| msg.starts_with(shape)) {
        // dynoxide rewords these in DynamoDB's words (private code); the
        // class is the same and the wording differs.
        DynoxideError::SerializationException(without_position(msg).to_owned())
    } else {
        DynoxideError::SerializationException(msg.to_owned())
    }
}

/// The serde messages dynoxide's private `map_serde_to_dynamodb_message`
/// rewrites; any other one it passes on as serde wrote it.
const REWORDED: &[&str] = &[
    "invalid type: ",
    "invalid length ",
    "expected string for ",
    "expected value at line ",
];

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::server::LoopbackServer;

    fn request(target: &str, body: &str, authorization: Option<&str>) -> WireRequest {
        WireRequest {
            method: "POST".to_owned(),
            content_type: Some(AMZ_JSON.to_owned()),
            target: Some(target.to_owned()),
            authorization: authorization.map(str::to_owned),
            has_date_header: true,
            body: body.as_bytes().to_vec(),
            ..WireRequest::default()
        }
    }

    /// Raw requests the SDK never sends, each answered in process exactly as
    /// the engine's own server answers it (the JSON check runs only on the
    /// refusal paths, so its order against the other checks is what this
    /// pins down).
    #[test]
    fn refusals_match_the_servers_in_order() {
        let db = Database::memory().unwrap();
        let server = LoopbackServer::start(db.clone()).unwrap();
        let auth = "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request, \
                    SignedHeaders=host, Signature=abc";
        let get = "DynamoDB_20120810.GetItem";
        let create = r#"{"TableName":"t","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
            "BillingMode":"PAY_PER_REQUEST"}"#;
        let cases = [
            // Not JSON, with every other check failing too: the JSON check wins.
            request("DynamoDB_20120810.Nope", "{not json", Some(auth)),
            request(get, "{not json", None),
            request(get, "{\"TableName\":\"t\"} trailing", Some(auth)),
            // JSON, unknown operation / missing auth.
            request("DynamoDB_20120810.Nope", "{}", Some(auth)),
            request(get, "{}", None),
            // JSON the request type refuses: the engine's classification.
            request(get, "{}", Some(auth)),
            request(
                get,
                r#"{"TableName":"t","TableName":"u","Key":{}}"#,
                Some(auth),
            ),
            request(get, r#"{"TableName":"t","Key":{"id":{}}}"#, Some(auth)),
            request(get, "[]", Some(auth)),
            request(get, "", Some(auth)),
            // Answered by the engine.
            request("DynamoDB_20120810.CreateTable", create, Some(auth)),
            request(
                get,
                r#"{"TableName":"t","Key":{"id":{"S":"a"}}}"#,
                Some(auth),
            ),
            request(
                get,
                r#"{"TableName":"missing","Key":{"id":{"S":"a"}}}"#,
                Some(auth),
            ),
        ];
        for case in &cases {
            let here = match answer(&db, case) {
                Answer::Response(r) => r,
                Answer::Loopback => panic!("answered by the server: {case:?}"),
            };
            let there = server.post(case).unwrap();
            assert_eq!(here, there, "{case:?}");
        }
    }

    /// A type mismatch dynoxide rewords: same status and class.
    #[test]
    fn reworded_refusals_keep_the_servers_class() {
        let db = Database::memory().unwrap();
        let server = LoopbackServer::start(db.clone()).unwrap();
        let auth = "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request, \
                    SignedHeaders=host, Signature=abc";
        let case = request(
            "DynamoDB_20120810.GetItem",
            r#"{"TableName":5,"Key":{}}"#,
            Some(auth),
        );
        let Answer::Response(here) = answer(&db, &case) else {
            panic!("answered by the server");
        };
        let there = server.post(&case).unwrap();
        let class = |r: &WireResponse| {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            v["__type"].as_str().unwrap().to_owned()
        };
        assert_eq!(here.status, there.status);
        assert_eq!(class(&here), class(&there));
    }

    #[test]
    fn a_body_past_the_depth_limit_goes_to_the_server() {
        let db = Database::memory().unwrap();
        let auth = "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request, \
                    SignedHeaders=host, Signature=abc";
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for target in ["DynamoDB_20120810.GetItem", "DynamoDB_20120810.Nope"] {
            let case = request(target, &deep, Some(auth));
            assert!(matches!(answer(&db, &case), Answer::Loopback), "{target}");
        }
    }
}
