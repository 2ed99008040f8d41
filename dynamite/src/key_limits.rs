//! The key values DynamoDB stores, the crate's one check of them: a string
//! or binary key value is never empty, at most 2,048 bytes in a partition
//! key and 1,024 bytes in a sort key (of the table or of an index: a write
//! whose index key breaks either rule is refused). Reads use it to answer
//! without sending what DynamoDB would refuse; writes, to refuse first.

use crate::error::{Error, Result};
use crate::model::{KeyMeta, TableMeta};
use crate::registry::IndexSpec;
use crate::value::{AttributeValue, Item};

/// The longest partition key value DynamoDB stores, in bytes.
pub(crate) const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// The longest sort key value DynamoDB stores, in bytes.
pub(crate) const MAX_SORT_KEY_BYTES: usize = 1024;

/// The role of a key attribute in a table's or an index's key schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Partition,
    Sort,
}

impl Role {
    /// The byte cap of a string or binary value in this role.
    pub(crate) fn max_bytes(self) -> usize {
        match self {
            Role::Partition => MAX_PARTITION_KEY_BYTES,
            Role::Sort => MAX_SORT_KEY_BYTES,
        }
    }
}

/// Why a value cannot be stored in a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unfit {
    /// An empty string or binary.
    Empty,
    /// A string or binary past the role's byte cap.
    TooLong { bytes: usize, max: usize },
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfit::Empty => f.write_str("a key value cannot be empty"),
            Unfit::TooLong { bytes, max } => write!(
                f,
                "a key value of {bytes} bytes is past DynamoDB's {max}-byte limit for this key"
            ),
        }
    }
}

/// Whether `value` may be stored in a key attribute of `role`: strings
/// and binaries only (numbers have their own check, [`crate::number`]).
pub(crate) fn unfit(value: &AttributeValue, role: Role) -> Option<Unfit> {
    let bytes = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        _ => return None,
    };
    let max = role.max_bytes();
    if bytes == 0 {
        Some(Unfit::Empty)
    } else if bytes > max {
        Some(Unfit::TooLong { bytes, max })
    } else {
        None
    }
}

/// The strictest role `name` has among the key schemas of `meta`'s table
/// and of `indexes` (a sort key anywhere caps it at 1,024 bytes: DynamoDB
/// refuses a write past any of them); `None`: not a key attribute.
pub(crate) fn role_of(meta: &TableMeta, indexes: &[IndexSpec], name: &str) -> Option<Role> {
    strictest(
        name,
        std::iter::once(meta.partition_key).chain(indexes.iter().flat_map(|i| i.partition_keys())),
        meta.sort_key
            .into_iter()
            .chain(indexes.iter().flat_map(|i| i.sort_keys())),
    )
}

/// [`role_of`] with the indexes `meta` declares.
fn declared_role(meta: &TableMeta, name: &str) -> Option<Role> {
    let index_keys = |i: &'static crate::model::IndexMeta, sort: bool| {
        let (first, more) = if sort {
            (i.sort_key, i.more_sort_keys)
        } else {
            (Some(i.partition_key), i.more_partition_keys)
        };
        first.into_iter().chain(more.iter().copied())
    };
    strictest(
        name,
        std::iter::once(meta.partition_key)
            .chain(meta.indexes.iter().flat_map(|i| index_keys(i, false))),
        meta.sort_key
            .into_iter()
            .chain(meta.indexes.iter().flat_map(|i| index_keys(i, true))),
    )
}

fn strictest(
    name: &str,
    mut partitions: impl Iterator<Item = KeyMeta>,
    mut sorts: impl Iterator<Item = KeyMeta>,
) -> Option<Role> {
    if sorts.any(|k| k.name == name) {
        Some(Role::Sort)
    } else {
        partitions
            .any(|k| k.name == name)
            .then_some(Role::Partition)
    }
}

/// Whether every key attribute `item` holds (of the table and of the
/// indexes `meta` declares) can be stored.
pub(crate) fn storable(meta: &TableMeta, item: &Item) -> bool {
    refusal(meta, item).is_none()
}

/// The first key attribute of `item` (of the table or of an index `meta`
/// declares) DynamoDB could not store, refused before anything is sent:
/// empty, [`Error::MissingKey`]; too long, [`Error::InvalidValue`].
pub(crate) fn check_item(meta: &TableMeta, item: &Item) -> Result<()> {
    match refusal(meta, item) {
        Some((name, Unfit::Empty)) => Err(Error::MissingKey {
            table: meta.table_name.to_owned(),
            attribute: name.to_owned(),
        }),
        Some((name, unfit)) => Err(Error::InvalidValue {
            attribute: format!("{}.{name}", meta.model),
            reason: unfit.to_string(),
        }),
        None => Ok(()),
    }
}

fn refusal<'i>(meta: &TableMeta, item: &'i Item) -> Option<(&'i str, Unfit)> {
    item.iter().find_map(|(name, value)| {
        let role = declared_role(meta, name)?;
        unfit(value, role).map(|u| (name.as_str(), u))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_by_role() {
        let s = |n: usize| AttributeValue::S("x".repeat(n));
        assert_eq!(unfit(&s(0), Role::Sort), Some(Unfit::Empty));
        assert_eq!(unfit(&s(1024), Role::Sort), None);
        assert_eq!(
            unfit(&s(1025), Role::Sort),
            Some(Unfit::TooLong {
                bytes: 1025,
                max: 1024
            })
        );
        assert_eq!(unfit(&s(2048), Role::Partition), None);
        assert!(unfit(&s(2049), Role::Partition).is_some());
        assert_eq!(unfit(&AttributeValue::N("1".into()), Role::Sort), None);
    }
}
