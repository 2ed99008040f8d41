//! What `sync()` made, or `sync_plan()` would make: [`SyncReport`], its
//! [`Change`]s and the changes [`Withheld`] with their reason.

use std::fmt;

use crate::table_options::{Billing, StreamView};

/// One change `sync()` made (or, from `sync_plan()`, would make).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new table, with its GSIs.
    CreateTable {
        /// Table name.
        table: String,
        /// GSIs created with it.
        indexes: Vec<String>,
    },
    /// A GSI added to an existing table.
    CreateIndex {
        /// Table name.
        table: String,
        /// Index name.
        index: String,
    },
    /// TTL enabled on an attribute.
    EnableTtl {
        /// Table name.
        table: String,
        /// The TTL attribute.
        attribute: String,
    },
    /// TTL turned off (only ever withheld: AWS then blocks enabling it
    /// again for about an hour).
    DisableTtl {
        /// Table name.
        table: String,
    },
    /// The billing mode (or its capacity) set.
    SetBilling {
        /// Table name.
        table: String,
        /// The billing now.
        billing: Billing,
    },
    /// Deletion protection turned on.
    EnableDeletionProtection {
        /// Table name.
        table: String,
    },
    /// Deletion protection turned off (only ever withheld).
    DisableDeletionProtection {
        /// Table name.
        table: String,
    },
    /// A stream enabled.
    EnableStream {
        /// Table name.
        table: String,
        /// What its records carry.
        view: StreamView,
    },
    /// The stream disabled (only ever withheld: its records would be lost).
    DisableStream {
        /// Table name.
        table: String,
    },
    /// A tag set (added, or its value changed).
    Tag {
        /// Table name.
        table: String,
        /// Tag key.
        key: String,
        /// Tag value.
        value: String,
    },
    /// Point-in-time recovery turned on.
    EnablePointInTimeRecovery {
        /// Table name.
        table: String,
    },
    /// Point-in-time recovery turned off (only ever withheld: its backups
    /// would be deleted).
    DisablePointInTimeRecovery {
        /// Table name.
        table: String,
    },
}

impl Change {
    /// The table the change is about.
    pub fn table(&self) -> &str {
        match self {
            Change::CreateTable { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::EnableTtl { table, .. }
            | Change::DisableTtl { table }
            | Change::SetBilling { table, .. }
            | Change::EnableDeletionProtection { table }
            | Change::DisableDeletionProtection { table }
            | Change::EnableStream { table, .. }
            | Change::DisableStream { table }
            | Change::Tag { table, .. }
            | Change::EnablePointInTimeRecovery { table }
            | Change::DisablePointInTimeRecovery { table } => table,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CreateTable { table, indexes } if indexes.is_empty() => {
                write!(f, "create table {table}")
            }
            Change::CreateTable { table, indexes } => {
                write!(
                    f,
                    "create table {table} with index(es) {}",
                    indexes.join(", ")
                )
            }
            Change::CreateIndex { table, index } => write!(f, "create index {index} on {table}"),
            Change::EnableTtl { table, attribute } => {
                write!(f, "enable TTL on {table}.{attribute}")
            }
            Change::DisableTtl { table } => write!(f, "disable TTL on {table}"),
            Change::SetBilling { table, billing } => write!(f, "bill {table} {billing}"),
            Change::EnableDeletionProtection { table } => {
                write!(f, "enable deletion protection on {table}")
            }
            Change::DisableDeletionProtection { table } => {
                write!(f, "disable deletion protection on {table}")
            }
            Change::EnableStream { table, view } => {
                write!(f, "enable stream {} on {table}", view.as_str())
            }
            Change::DisableStream { table } => write!(f, "disable the stream of {table}"),
            Change::Tag { table, key, value } => write!(f, "tag {table} {key}={value}"),
            Change::EnablePointInTimeRecovery { table } => {
                write!(f, "enable point-in-time recovery on {table}")
            }
            Change::DisablePointInTimeRecovery { table } => {
                write!(f, "disable point-in-time recovery on {table}")
            }
        }
    }
}

/// A change the models or options ask for that `sync()` did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// What was asked for.
    pub change: Change,
    /// Why it was not made.
    pub reason: WithheldReason,
}

/// Why `sync()` withheld a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithheldReason {
    /// It would lose data (stream records, backups): make it yourself.
    LosesData(String),
    /// It would remove a protection: make it yourself.
    LosesProtection(String),
    /// The table's TTL is on another attribute. DynamoDB has one TTL
    /// attribute per table, and after TTL is disabled AWS blocks enabling
    /// it again for about an hour: change it yourself.
    TtlAttributeInUse {
        /// The attribute TTL is on now.
        current: String,
    },
    /// DynamoDB cannot make it now.
    NotNow(String),
    /// The endpoint does not implement it (DynamoDB Local and the embedded
    /// engine lack point-in-time recovery); AWS does.
    Unsupported {
        /// The operation the endpoint refused.
        operation: &'static str,
        /// What it answered.
        message: String,
    },
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: not made, ", self.change)?;
        match &self.reason {
            WithheldReason::LosesData(why)
            | WithheldReason::LosesProtection(why)
            | WithheldReason::NotNow(why) => f.write_str(why),
            WithheldReason::TtlAttributeInUse { current } => write!(
                f,
                "TTL is on `{current}`; DynamoDB has one TTL attribute per table and blocks \
                 re-enabling TTL for about an hour after it is disabled: change it yourself"
            ),
            WithheldReason::Unsupported { operation, message } => {
                write!(f, "the endpoint does not implement {operation} ({message})")
            }
        }
    }
}

/// What `sync()` changed (or `sync_plan()` would change): empty when the
/// schema and options were already in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The changes, in the order they were made.
    pub changes: Vec<Change>,
    /// Changes asked for but not made (destructive, blocked by DynamoDB
    /// for now, or not implemented by the endpoint), with the reason.
    pub withheld: Vec<Withheld>,
}

impl SyncReport {
    /// True when nothing had to change and nothing was withheld.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.withheld.is_empty()
    }
}

/// One line per change, then one per withheld change.
impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for line in self
            .changes
            .iter()
            .map(ToString::to_string)
            .chain(self.withheld.iter().map(ToString::to_string))
        {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            f.write_str(&line)?;
        }
        Ok(())
    }
}
