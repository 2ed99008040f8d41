//! Why a transaction was cancelled: one typed reason per operation.

/// What stopped one operation of a cancelled transaction, from DynamoDB's
/// cancellation code and what Dynamite knows of the operation (a failed
/// condition is told apart with the stored item DynamoDB returns with it,
/// `ALL_OLD`: no read is sent).
///
/// ```
/// use dynamite::CancellationKind;
/// assert!(CancellationKind::VersionConflict.is_conflict());
/// assert!(CancellationKind::NotFound.is_failure());
/// assert!(!CancellationKind::None.is_failure());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancellationKind {
    /// Nothing was wrong with this operation: another one cancelled the
    /// transaction (or DynamoDB stopped before checking it).
    None,
    /// The row to update, delete or check does not exist (or is
    /// soft-deleted, expired, or another model's item in a shared table).
    NotFound,
    /// The row exists, but another writer changed it since it was read:
    /// its version is not the one expected (or a field an index key is
    /// rendered from changed). Re-read and retry.
    VersionConflict,
    /// A create found a row with the same key.
    AlreadyExists,
    /// The row exists and the caller's own condition did not hold.
    ConditionFailed,
    /// Another transaction was writing the same item at the same time:
    /// retry.
    TransactionConflict,
    /// DynamoDB throttled the operation (`ThrottlingError`,
    /// `ProvisionedThroughputExceeded`): retry later.
    Throttled,
    /// The item collection of a table with a local secondary index is over
    /// 10 GB.
    ItemCollectionTooLarge,
    /// DynamoDB refused the operation as invalid (`ValidationError`: an
    /// item over 400 KB after the update, an expression DynamoDB refuses).
    Validation,
    /// A code this version of Dynamite does not know; see
    /// [`CancellationReason::code`].
    Other,
}

impl CancellationKind {
    /// The kind of DynamoDB's cancellation `code`, when it is not
    /// `ConditionalCheckFailed` (which needs the operation to be told
    /// apart, see [`CancellationKind`]). A missing code is `None`.
    pub(crate) fn of_code(code: Option<&str>) -> CancellationKind {
        match code {
            None | Some("None") => CancellationKind::None,
            Some("TransactionConflict") => CancellationKind::TransactionConflict,
            Some("ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded") => {
                CancellationKind::Throttled
            }
            Some("ItemCollectionSizeLimitExceeded") => CancellationKind::ItemCollectionTooLarge,
            Some("ValidationError") => CancellationKind::Validation,
            // The caller classifies a failed condition; unknown codes stay Other.
            Some(_) => CancellationKind::Other,
        }
    }

    /// True for every kind but [`CancellationKind::None`].
    pub fn is_failure(self) -> bool {
        self != CancellationKind::None
    }

    /// True when the operation's condition failed: not found, version
    /// conflict, already exists or the caller's own condition.
    pub fn is_condition(self) -> bool {
        matches!(
            self,
            CancellationKind::NotFound
                | CancellationKind::VersionConflict
                | CancellationKind::AlreadyExists
                | CancellationKind::ConditionFailed
        )
    }

    /// True for what a concurrent writer causes and a retry after a
    /// re-read may fix: a version conflict or a transaction conflict.
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            CancellationKind::VersionConflict | CancellationKind::TransactionConflict
        )
    }

    /// What the kind says, in a few words (no data).
    pub fn describe(self) -> &'static str {
        match self {
            CancellationKind::None => "no error",
            CancellationKind::NotFound => "not found",
            CancellationKind::VersionConflict => "changed since it was read",
            CancellationKind::AlreadyExists => "already exists",
            CancellationKind::ConditionFailed => "condition failed",
            CancellationKind::TransactionConflict => "another transaction was writing it",
            CancellationKind::Throttled => "throttled",
            CancellationKind::ItemCollectionTooLarge => "item collection over 10 GB",
            CancellationKind::Validation => "refused as invalid",
            CancellationKind::Other => "cancelled",
        }
    }
}

impl std::fmt::Display for CancellationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why one operation of a cancelled transaction failed, in
/// [`Error::TransactionCanceled`](crate::Error::TransactionCanceled): its
/// model and key (values of [`Sensitive`](crate::Sensitive) attributes
/// read `***`) and a typed [`CancellationKind`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// #[derive(Table, Debug, Clone)]
/// struct Seat {
///     #[dynamite(primary_key)]
///     id: String,
///     #[dynamite(version)]
///     version: u64,
/// }
/// let db = Dynamite::embedded().table::<Seat>().build().await?;
/// db.sync().await?;
/// let seat = Seat::create().id("1A").exec(&db).await?;
///
/// let mut tx = db.transaction();
/// tx.create(Seat::create().id("1B"));
/// tx.create(Seat::create().id("1A")); // taken
/// tx.delete_key::<Seat>("9Z"); // no such seat
/// let err = tx.commit().await.unwrap_err();
/// let reasons = err.cancellation_reasons();
/// assert!(reasons[0].is_none());
/// assert!(reasons[1].is_already_exists());
/// assert!(reasons[2].is_not_found());
/// assert_eq!(reasons[1].model, "Seat");
/// # let _ = seat;
/// # Ok(())
/// # }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationReason {
    /// Position of the operation in its list: in
    /// [`reasons`](crate::Error::TransactionCanceled::reasons) the order
    /// the operations were added, in
    /// [`added`](crate::Error::TransactionCanceled::added) the order
    /// Dynamite added its own.
    pub index: usize,
    /// What stopped it.
    pub kind: CancellationKind,
    /// The model written (its Rust name).
    pub model: &'static str,
    /// The table written (prefix included).
    pub table: String,
    /// The item's key, as text (sensitive values masked).
    pub key: String,
    /// For an operation Dynamite added itself: the position, in
    /// `reasons`, of the operation it serves (`None`: the whole
    /// transaction, or not one operation of the caller's).
    pub serves: Option<usize>,
    /// For an operation Dynamite added itself: what it is for ("the
    /// parent exists", "the linked row exists", "the link guard").
    pub purpose: Option<&'static str>,
    /// DynamoDB's message, when it sent one.
    pub message: Option<String>,
    /// DynamoDB's code, for logs.
    code: String,
}

impl CancellationReason {
    pub(crate) fn new(
        index: usize,
        kind: CancellationKind,
        code: Option<&str>,
        message: Option<&str>,
        (model, table, key): (&'static str, &str, String),
    ) -> CancellationReason {
        CancellationReason {
            index,
            kind,
            model,
            table: table.to_owned(),
            key,
            serves: None,
            purpose: None,
            message: message.map(str::to_owned),
            code: code.unwrap_or("None").to_owned(),
        }
    }

    /// DynamoDB's cancellation code as sent (`ConditionalCheckFailed`,
    /// `None`, ...), for logs: decide with [`CancellationReason::kind`]
    /// and the `is_*` helpers, never by comparing codes.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// True when this operation was fine ([`CancellationKind::None`]).
    pub fn is_none(&self) -> bool {
        self.kind == CancellationKind::None
    }
    /// True for [`CancellationKind::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.kind == CancellationKind::NotFound
    }
    /// True for [`CancellationKind::VersionConflict`].
    pub fn is_version_conflict(&self) -> bool {
        self.kind == CancellationKind::VersionConflict
    }
    /// True for [`CancellationKind::AlreadyExists`].
    pub fn is_already_exists(&self) -> bool {
        self.kind == CancellationKind::AlreadyExists
    }
    /// True for [`CancellationKind::ConditionFailed`] (the caller's own
    /// condition; see [`CancellationKind::is_condition`] for every failed
    /// condition).
    pub fn is_condition_failed(&self) -> bool {
        self.kind == CancellationKind::ConditionFailed
    }
    /// True for [`CancellationKind::TransactionConflict`].
    pub fn is_transaction_conflict(&self) -> bool {
        self.kind == CancellationKind::TransactionConflict
    }
    /// True for [`CancellationKind::Throttled`].
    pub fn is_throttled(&self) -> bool {
        self.kind == CancellationKind::Throttled
    }
    /// True for [`CancellationKind::ItemCollectionTooLarge`].
    pub fn is_item_collection_too_large(&self) -> bool {
        self.kind == CancellationKind::ItemCollectionTooLarge
    }
    /// True for [`CancellationKind::Validation`].
    pub fn is_validation(&self) -> bool {
        self.kind == CancellationKind::Validation
    }
    /// True for an operation Dynamite added itself (listed in
    /// [`added`](crate::Error::TransactionCanceled::added)).
    pub fn is_added(&self) -> bool {
        self.purpose.is_some()
    }
}

impl std::fmt::Display for CancellationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} {} {}: {}",
            self.index, self.model, self.key, self.kind
        )?;
        if let Some(purpose) = self.purpose {
            write!(f, " ({purpose}")?;
            if let Some(serves) = self.serves {
                write!(f, ", for #{serves}")?;
            }
            f.write_str(")")?;
        }
        if self.kind == CancellationKind::Other {
            write!(f, " [{}]", self.code)?;
        }
        Ok(())
    }
}

/// The text of a cancellation: the operations that failed, in order.
pub(super) fn format_reasons(
    reasons: &[CancellationReason],
    added: &[CancellationReason],
) -> String {
    let failed: Vec<String> = reasons
        .iter()
        .chain(added)
        .filter(|r| r.kind.is_failure())
        .map(ToString::to_string)
        .collect();
    if failed.is_empty() {
        "no operation reported a failure".to_owned()
    } else {
        failed.join(", ")
    }
}
