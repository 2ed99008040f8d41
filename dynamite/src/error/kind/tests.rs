//! Every variant has a kind and a public message free of data.

use super::super::{CancellationKind, CancellationReason, Error, ErrorKind};
use crate::value::{AttributeValue, Item};

/// Text that must never reach a public message.
const TABLE: &str = "SECRET_TABLE";
const KEY: &str = "SECRET_KEY_VALUE";
const ATTRIBUTE: &str = "secret_attribute";
const VALUE: &str = "SECRET_VALUE";
const MODEL: &str = "SecretModel";

fn key_item() -> Item {
    Item::from([(ATTRIBUTE.to_owned(), AttributeValue::S(KEY.to_owned()))])
}

fn reason(index: usize, kind: CancellationKind) -> CancellationReason {
    CancellationReason::new(
        index,
        kind,
        Some("ConditionalCheckFailed"),
        Some(VALUE),
        (MODEL, TABLE, KEY.to_owned()),
    )
}

fn cancelled(kinds: &[CancellationKind]) -> Error {
    Error::TransactionCanceled {
        reasons: kinds
            .iter()
            .enumerate()
            .map(|(i, k)| reason(i, *k))
            .collect(),
        added: Vec::new(),
    }
}

fn backend(code: Option<&str>) -> Error {
    Error::Backend {
        operation: "PutItem".to_owned(),
        code: code.map(str::to_owned),
        request_id: Some(KEY.to_owned()),
        message: format!("{TABLE} {KEY} {VALUE}"),
        source: Box::new(std::io::Error::other(VALUE)),
    }
}

fn source() -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(std::io::Error::other(VALUE))
}

/// One value of every variant, with the kind the documented table gives it.
fn every_variant() -> Vec<(Error, ErrorKind)> {
    use CancellationKind as C;
    use ErrorKind as K;
    let (t, k, m) = (TABLE.to_owned(), KEY.to_owned(), VALUE.to_owned());
    vec![
        (Error::not_found(TABLE, &key_item()), K::NotFound),
        (Error::already_exists(TABLE, &key_item()), K::Conflict),
        (
            Error::ConditionFailed {
                table: t.clone(),
                key: k.clone(),
            },
            K::Conflict,
        ),
        (
            Error::Conflict {
                table: t.clone(),
                key: k.clone(),
                message: m.clone(),
            },
            K::Conflict,
        ),
        (
            Error::Validation {
                model: MODEL.into(),
                field: ATTRIBUTE.into(),
                message: m.clone(),
            },
            K::Client,
        ),
        (
            Error::Decode {
                table: t.clone(),
                attribute: ATTRIBUTE.into(),
                expected: m.clone(),
                found: m.clone(),
                source: source(),
            },
            K::Internal,
        ),
        (
            Error::InvalidValue {
                attribute: ATTRIBUTE.into(),
                reason: m.clone(),
            },
            K::Client,
        ),
        (
            Error::MissingKey {
                table: t.clone(),
                attribute: ATTRIBUTE.into(),
            },
            K::Client,
        ),
        (
            Error::ItemTooLarge {
                table: t.clone(),
                key: k.clone(),
                size: 500_000,
            },
            K::Client,
        ),
        (Error::NotRegistered { model: MODEL }, K::Internal),
        (
            Error::InvalidTableName {
                name: t.clone(),
                reason: m.clone(),
            },
            K::Internal,
        ),
        (
            Error::Schema {
                table: t.clone(),
                message: m.clone(),
            },
            K::Internal,
        ),
        (Error::Config(format!("{TABLE} {VALUE}")), K::Internal),
        (Error::InvalidRequest(format!("{KEY} {VALUE}")), K::Client),
        (
            Error::ConflictingUpdate {
                model: MODEL,
                attribute: ATTRIBUTE.into(),
                first: "set",
                second: "remove",
            },
            K::Client,
        ),
        (
            Error::OutcomeUnknown {
                operation: "PutItem",
                table: t.clone(),
                key: k.clone(),
                cause: Some(Box::new(backend(None))),
            },
            K::Unavailable,
        ),
        (
            Error::AppliedUnreadable {
                operation: "UpdateItem",
                table: t.clone(),
                key: k.clone(),
                source: Box::new(Error::not_found(TABLE, &key_item())),
            },
            K::Internal,
        ),
        (
            Error::Fixture {
                file: "tests/fixtures/users.json".into(),
                model: MODEL.into(),
                row: Some(2),
                message: m.clone(),
                source: Some(Box::new(Error::not_found(TABLE, &key_item()))),
            },
            K::Internal,
        ),
        (
            Error::TooManyOperations {
                what: "a transaction",
                limit: 100,
                given: 101,
            },
            K::Client,
        ),
        (
            Error::DuplicateItem {
                table: t.clone(),
                key: k.clone(),
                what: "a transaction",
            },
            K::Client,
        ),
        (
            Error::UnfilteredWrite {
                model: MODEL,
                operation: "delete_where",
            },
            K::Client,
        ),
        (
            Error::NotUpdatable {
                model: MODEL,
                attribute: ATTRIBUTE.into(),
                reason: "a key",
            },
            K::Client,
        ),
        (
            Error::NotFetched {
                model: MODEL,
                attribute: ATTRIBUTE.into(),
            },
            K::Internal,
        ),
        (
            Error::Unsupported {
                model: MODEL,
                message: m.clone(),
            },
            K::Internal,
        ),
        (
            Error::InvalidCursor {
                reason: format!("{KEY} {VALUE}"),
            },
            K::Client,
        ),
        (
            Error::ConsistentIndexRead {
                model: MODEL,
                index: ATTRIBUTE.into(),
            },
            K::Internal,
        ),
        (
            Error::IndexUnusable {
                model: MODEL,
                index: ATTRIBUTE.into(),
                reason: format!("the filter does not pin {ATTRIBUTE} = {VALUE}"),
            },
            K::Internal,
        ),
        (
            Error::StrictRead {
                model: MODEL,
                what: "a whole partition",
                read: format!("Query {TABLE} key ({ATTRIBUTE} = {KEY})"),
            },
            K::Client,
        ),
        (
            Error::FanOutLimit {
                model: MODEL,
                attribute: ATTRIBUTE,
                values: 5000,
                limit: 100,
            },
            K::Client,
        ),
        (
            cancelled(&[C::None, C::NotFound, C::ConditionFailed]),
            K::NotFound,
        ),
        (cancelled(&[C::VersionConflict, C::NotFound]), K::Conflict),
        (cancelled(&[C::AlreadyExists]), K::Conflict),
        (cancelled(&[C::ConditionFailed]), K::Conflict),
        (cancelled(&[C::None, C::TransactionConflict]), K::Conflict),
        (cancelled(&[C::NotFound, C::Throttled]), K::Unavailable),
        (cancelled(&[C::Validation]), K::Client),
        (cancelled(&[C::ItemCollectionTooLarge]), K::Internal),
        (cancelled(&[C::Other]), K::Internal),
        (cancelled(&[C::None]), K::Internal),
        (
            Error::Throttled {
                operation: "PutItem".into(),
                message: m.clone(),
            },
            K::Unavailable,
        ),
        (
            Error::Batch {
                operation: "create_many",
                failed: vec![key_item()].into(),
                existing: Vec::new().into(),
                causes: Vec::new(),
            },
            K::Unavailable,
        ),
        (
            Error::Batch {
                operation: "create_many",
                failed: Vec::new().into(),
                existing: vec![key_item()].into(),
                causes: Vec::new(),
            },
            K::Conflict,
        ),
        (
            Error::Batch {
                operation: "BatchWriteItem",
                failed: vec![key_item()].into(),
                existing: Vec::new().into(),
                causes: vec![backend(Some("ValidationException"))],
            },
            K::Client,
        ),
        (
            Error::SetPartiallyChanged {
                relation: format!("{MODEL}.{ATTRIBUTE}"),
                chunks_applied: 1,
                added: vec![AttributeValue::S(KEY.into())],
                removed: Vec::new(),
                source: Box::new(cancelled(&[C::TransactionConflict])),
            },
            K::Conflict,
        ),
        (
            Error::UnknownTarget {
                model: MODEL,
                relation: "owner",
                value: m.clone(),
                expected: vec![MODEL],
            },
            K::Internal,
        ),
        (Error::Timeout(format!("{TABLE} {VALUE}")), K::Unavailable),
        (backend(None), K::Unavailable),
        (backend(Some("InternalServerError")), K::Unavailable),
        (backend(Some("ValidationException")), K::Client),
        (backend(Some("TransactionConflictException")), K::Conflict),
        (backend(Some("AccessDeniedException")), K::Internal),
        (
            Error::backend(
                "PutItem",
                aws_sdk_dynamodb::error::BuildError::missing_field("key", VALUE),
            ),
            K::Internal,
        ),
    ]
}

/// Fails to compile when a variant is added without a case above (and a
/// row in `ErrorKind`'s table).
fn covered(error: &Error) -> &'static str {
    match error {
        Error::NotFound { .. } => "NotFound",
        Error::AlreadyExists { .. } => "AlreadyExists",
        Error::ConditionFailed { .. } => "ConditionFailed",
        Error::Conflict { .. } => "Conflict",
        Error::Validation { .. } => "Validation",
        Error::Decode { .. } => "Decode",
        Error::InvalidValue { .. } => "InvalidValue",
        Error::MissingKey { .. } => "MissingKey",
        Error::ItemTooLarge { .. } => "ItemTooLarge",
        Error::NotRegistered { .. } => "NotRegistered",
        Error::InvalidTableName { .. } => "InvalidTableName",
        Error::Schema { .. } => "Schema",
        Error::Config(_) => "Config",
        Error::InvalidRequest(_) => "InvalidRequest",
        Error::ConflictingUpdate { .. } => "ConflictingUpdate",
        Error::OutcomeUnknown { .. } => "OutcomeUnknown",
        Error::AppliedUnreadable { .. } => "AppliedUnreadable",
        Error::Fixture { .. } => "Fixture",
        Error::TooManyOperations { .. } => "TooManyOperations",
        Error::DuplicateItem { .. } => "DuplicateItem",
        Error::UnfilteredWrite { .. } => "UnfilteredWrite",
        Error::NotUpdatable { .. } => "NotUpdatable",
        Error::NotFetched { .. } => "NotFetched",
        Error::Unsupported { .. } => "Unsupported",
        Error::InvalidCursor { .. } => "InvalidCursor",
        Error::ConsistentIndexRead { .. } => "ConsistentIndexRead",
        Error::IndexUnusable { .. } => "IndexUnusable",
        Error::StrictRead { .. } => "StrictRead",
        Error::FanOutLimit { .. } => "FanOutLimit",
        Error::TransactionCanceled { .. } => "TransactionCanceled",
        Error::Throttled { .. } => "Throttled",
        Error::Batch { .. } => "Batch",
        Error::SetPartiallyChanged { .. } => "SetPartiallyChanged",
        Error::UnknownTarget { .. } => "UnknownTarget",
        Error::Timeout(_) => "Timeout",
        Error::Backend { .. } => "Backend",
    }
}

const VARIANTS: usize = 36;

#[test]
fn every_variant_has_its_documented_kind() {
    let cases = every_variant();
    let mut seen: Vec<&str> = cases.iter().map(|(e, _)| covered(e)).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len(),
        VARIANTS,
        "a variant is missing from every_variant(): {seen:?}"
    );
    for (error, kind) in &cases {
        assert_eq!(error.kind(), *kind, "{error}");
    }
}

#[test]
fn no_public_message_shows_a_table_key_value_or_attribute() {
    for (error, _) in every_variant() {
        let public = error.public_message();
        assert!(!public.is_empty(), "{error:?}");
        for secret in [TABLE, KEY, VALUE, ATTRIBUTE, MODEL, "PutItem", "#"] {
            assert!(
                !public.to_lowercase().contains(&secret.to_lowercase()),
                "{secret} in the public message of {error}: {public}"
            );
        }
        // The log form does name them (the test above could not pass by
        // reading the wrong text).
        let log = error.to_string();
        assert_ne!(log, public, "{error:?}");
    }
}

#[test]
fn a_cancellation_names_each_failed_operation_in_the_log_form() {
    let error = cancelled(&[CancellationKind::None, CancellationKind::VersionConflict]);
    let text = error.to_string();
    assert!(text.contains("#1 SecretModel"), "{text}");
    assert!(
        !text.contains("#0"),
        "an operation that was fine is not listed: {text}"
    );
    assert_eq!(error.cancellation_reasons().len(), 2);
    assert!(error.cancellation_reasons()[1].is_version_conflict());
    assert!(
        Error::Timeout(String::new())
            .cancellation_reasons()
            .is_empty()
    );
}

#[test]
fn cancellation_codes_map_to_kinds() {
    use CancellationKind as C;
    for (code, kind) in [
        (None, C::None),
        (Some("None"), C::None),
        (Some("TransactionConflict"), C::TransactionConflict),
        (Some("ThrottlingError"), C::Throttled),
        (Some("ProvisionedThroughputExceeded"), C::Throttled),
        (
            Some("ItemCollectionSizeLimitExceeded"),
            C::ItemCollectionTooLarge,
        ),
        (Some("ValidationError"), C::Validation),
        (Some("SomethingNew"), C::Other),
    ] {
        assert_eq!(C::of_code(code), kind, "{code:?}");
    }
}
