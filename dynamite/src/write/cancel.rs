//! The one mapping of DynamoDB's `TransactionCanceledException` to typed
//! reasons: every TransactWriteItems the crate sends (transactions,
//! `create_many`, exact mode, many-to-many set writes, `attach`) reads its
//! cancellation here.

use aws_sdk_dynamodb::types::CancellationReason as SdkReason;

use crate::error::{CancellationKind, CancellationReason, Error};
use crate::model::TableMeta;
use crate::value::{AttributeValue, Item, describe_key_in};

/// What a failed condition (`ConditionalCheckFailed`) of one operation
/// means, told apart with the stored item DynamoDB returns (`ALL_OLD`).
pub(crate) enum OnCondition {
    /// A create: the key is taken.
    Create,
    /// A write or check of an existing row: missing (or soft-deleted,
    /// expired, another model's), another version, a field an index key is
    /// rendered from changed, or the caller's condition.
    Existing {
        expected_version: Option<AttributeValue>,
        has_condition: bool,
        reindexed: Option<super::reindex::Reindexed>,
        /// The operation applies to live rows only: a soft-deleted row is
        /// not found to it, whatever its version.
        live_only: bool,
    },
    /// A check that a row Dynamite needs exists (a parent, a linked row).
    RowExists,
    /// A many-to-many set's guard: missing parent, or another set write
    /// changed it meanwhile.
    Guard,
}

/// Who added an operation to a transaction.
pub(crate) enum Origin {
    /// The caller, through the public builder.
    Caller,
    /// Dynamite, for the purpose given; it serves the caller's operation
    /// added last before it when `serves_previous`.
    Added {
        purpose: &'static str,
        serves_previous: bool,
    },
}

/// What the mapping needs of one operation sent.
pub(crate) struct Sent {
    pub(crate) meta: &'static TableMeta,
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) on_condition: OnCondition,
    pub(crate) origin: Origin,
}

impl Sent {
    /// The kind of this operation's cancellation reason.
    fn kind(&self, reason: Option<&SdkReason>) -> CancellationKind {
        kind(
            self.meta,
            &self.on_condition,
            &self.table,
            &self.key,
            reason,
        )
    }
}

/// Whether DynamoDB's reason is a failed condition (the operation's
/// stored item, `ALL_OLD`, comes with it).
pub(crate) fn is_failed_condition(reason: Option<&SdkReason>) -> bool {
    reason.and_then(|r| r.code()) == Some("ConditionalCheckFailed")
}

/// The kind of DynamoDB's cancellation reason of one operation.
pub(crate) fn kind(
    meta: &TableMeta,
    on_condition: &OnCondition,
    table: &str,
    key: &Item,
    reason: Option<&SdkReason>,
) -> CancellationKind {
    if !is_failed_condition(reason) {
        return CancellationKind::of_code(reason.and_then(|r| r.code()));
    }
    failed_condition(
        meta,
        on_condition,
        table,
        key,
        reason.and_then(|r| r.item()),
    )
}

/// The kind of a failed condition of one operation, from the stored item.
fn failed_condition(
    meta: &TableMeta,
    on_condition: &OnCondition,
    table: &str,
    key: &Item,
    old: Option<&Item>,
) -> CancellationKind {
    let (expected_version, has_condition, reindexed) = match on_condition {
        OnCondition::Create => return CancellationKind::AlreadyExists,
        OnCondition::RowExists => return CancellationKind::NotFound,
        OnCondition::Guard => (None, false, None),
        OnCondition::Existing {
            live_only: true, ..
        } if old.is_some_and(|o| meta.owns(o) && meta.is_deleted(o)) => {
            return CancellationKind::NotFound;
        }
        OnCondition::Existing {
            expected_version,
            has_condition,
            reindexed,
            ..
        } => (
            expected_version.as_ref(),
            *has_condition,
            reindexed.as_ref(),
        ),
    };
    let error =
        super::failure::classify_failure(meta, table, key, old, expected_version, has_condition);
    match error {
        Error::NotFound { .. } => CancellationKind::NotFound,
        Error::Conflict { .. } => CancellationKind::VersionConflict,
        _ if old
            .zip(reindexed)
            .is_some_and(|(o, r)| r.stale_field(o).is_some()) =>
        {
            CancellationKind::VersionConflict
        }
        _ => CancellationKind::ConditionFailed,
    }
}

/// The typed reasons of a cancelled transaction of `sent` (in the order
/// sent): the caller's operations in `reasons`, Dynamite's in `added`.
pub(crate) fn canceled(sent: &[Sent], sdk: &[SdkReason]) -> Error {
    let mut reasons = Vec::new();
    let mut added = Vec::new();
    for (position, op) in sent.iter().enumerate() {
        let reason = sdk.get(position);
        let kind = op.kind(reason);
        let described = (
            op.meta.model,
            op.table.as_str(),
            describe_key_in(&op.table, &op.key),
        );
        let code = reason.and_then(|r| r.code());
        let message = reason.and_then(|r| r.message());
        match op.origin {
            Origin::Caller => {
                reasons.push(CancellationReason::new(
                    reasons.len(),
                    kind,
                    code,
                    message,
                    described,
                ));
            }
            Origin::Added {
                purpose,
                serves_previous,
            } => {
                let mut reason =
                    CancellationReason::new(added.len(), kind, code, message, described);
                reason.purpose = Some(purpose);
                reason.serves = reasons.len().checked_sub(1).filter(|_| serves_previous);
                added.push(reason);
            }
        }
    }
    Error::TransactionCanceled { reasons, added }
}
