//! Reading a failed conditional write: which of our conditions failed.

use crate::error::Error;
use crate::model::TableMeta;
use crate::value::{Item, describe_key_in};

/// Why a conditional write of an existing-or-not row failed, from the item
/// DynamoDB returned with ALL_OLD: no item (or a soft-deleted or expired one) is
/// [`Error::NotFound`]; another version than the expected one is
/// [`Error::Conflict`]; otherwise the user's condition failed.
pub(crate) fn classify_failure(
    meta: &TableMeta,
    table: &str,
    key: &Item,
    old: Option<&Item>,
    expected_version: Option<&crate::value::AttributeValue>,
    has_condition: bool,
) -> Error {
    // No item, or another model's item in a shared table: not this row.
    // An expired row is gone to readers: not found either.
    let now = crate::ttl::now_seconds();
    let Some(old) = old.filter(|o| !o.is_empty() && meta.owns(o) && !meta.is_expired(o, now))
    else {
        return Error::not_found(table, key);
    };
    if let (Some(name), Some(expected)) = (meta.version, expected_version) {
        let stored = old.get(name);
        let same = stored.is_some_and(|s| crate::read::canonical::same_value(s, expected));
        if !same {
            let found = match stored {
                Some(crate::value::AttributeValue::N(n)) => n.clone(),
                _ => "none".to_owned(),
            };
            let wanted = match expected {
                crate::value::AttributeValue::N(n) => n.clone(),
                other => format!("{other:?}"),
            };
            return Error::Conflict {
                table: table.to_owned(),
                key: describe_key_in(table, key),
                message: format!(
                    "expected version {wanted}, stored version is {found}: re-read the row and retry"
                ),
            };
        }
    }
    if meta.is_deleted(old) {
        return Error::not_found(table, key);
    }
    if has_condition {
        return Error::ConditionFailed {
            table: table.to_owned(),
            key: describe_key_in(table, key),
        };
    }
    // Only our own conditions were there and they hold now: the row changed
    // between the write and the read of ALL_OLD.
    Error::Conflict {
        table: table.to_owned(),
        key: describe_key_in(table, key),
        message: "the row changed during the write".to_owned(),
    }
}

/// A write refused because `field`, which an index key it re-renders is
/// rendered from, is no longer the value the writer read: the stored index
/// key would otherwise disagree with the stored fields.
pub(crate) fn stale_field_conflict(table: &str, key: &Item, field: &str) -> Error {
    Error::Conflict {
        table: table.to_owned(),
        key: describe_key_in(table, key),
        message: format!(
            "`{field}` changed since the row was read, and an index key is rendered from it \
             with the fields this write sets: re-read the row and retry"
        ),
    }
}
