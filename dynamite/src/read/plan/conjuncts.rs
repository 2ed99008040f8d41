//! The conjuncts of a filter as the planner consumes them, and the checks
//! of operands made before anything is sent.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::{KeyMeta, TableMeta};
use crate::read::canonical::{Canonical, scalar_order};
use crate::value::{AttributeValue, ScalarType, is_empty_key_value};

/// The conjuncts of a filter, consumed as the planner assigns them.
pub(super) struct Conjuncts(pub(super) Vec<Option<Node>>);

impl Conjuncts {
    pub(super) fn eq(&self, name: &str) -> Option<(usize, AttributeValue)> {
        self.0.iter().enumerate().find_map(|(i, n)| match n {
            Some(Node::Compare {
                path,
                op: CompareOp::Eq,
                value: Ok(v),
            }) if *path == name => Some((i, v.clone())),
            _ => None,
        })
    }

    /// An `is_in` on `name`, its values deduplicated by canonical value.
    pub(super) fn is_in(&self, name: &str) -> Option<(usize, Vec<AttributeValue>)> {
        self.0.iter().enumerate().find_map(|(i, n)| match n {
            Some(Node::In { path, values }) if *path == name && !values.is_empty() => {
                let values: Vec<AttributeValue> = values
                    .iter()
                    .filter_map(|v| v.as_ref().ok().cloned())
                    .collect();
                Some((i, distinct(values)))
            }
            _ => None,
        })
    }

    /// A condition allowed on a sort key in a KeyConditionExpression.
    pub(super) fn sort_condition(&self, key: KeyMeta) -> Option<usize> {
        self.0.iter().position(|n| match n {
            Some(Node::Compare { path, op, .. }) => *path == key.name && *op != CompareOp::Ne,
            Some(Node::Between { path, .. }) => *path == key.name,
            Some(Node::BeginsWith { path, .. }) => *path == key.name && key.scalar != ScalarType::N,
            _ => false,
        })
    }

    pub(super) fn take(&mut self, i: usize) -> Option<Node> {
        self.0.get_mut(i).and_then(Option::take)
    }

    pub(super) fn rest(self) -> Vec<Node> {
        self.0.into_iter().flatten().collect()
    }

    /// Whether the remaining conjuncts imply that `name` is present.
    pub(super) fn implies_present(&self, name: &str) -> bool {
        self.0.iter().flatten().any(|n| implies_present(n, name))
    }
}

/// Whether `node` holding implies that attribute `name` exists and is not
/// NULL (a NULL, which another program may store, renders no key: the
/// item is not in an index templated on it). `attribute_exists` holds for
/// NULL, so it proves nothing here; `is_some()` does.
fn implies_present(node: &Node, name: &str) -> bool {
    match node {
        Node::Compare { path, op, .. } => *path == name && *op != CompareOp::Ne,
        // `size(a) <> n` also holds where `a` is absent.
        Node::Size { path, op, .. } => *path == name && *op != CompareOp::Ne,
        Node::Between { path, .. }
        | Node::BeginsWith { path, .. }
        | Node::Contains { path, .. } => *path == name,
        Node::In { path, values } => *path == name && !values.is_empty(),
        Node::IsSome(p) | Node::Expired(p) => *p == name,
        Node::And(parts) => parts.iter().any(|p| implies_present(p, name)),
        Node::Or(parts) => !parts.is_empty() && parts.iter().all(|p| implies_present(p, name)),
        Node::Exists(_)
        | Node::NotExists(_)
        | Node::IsNone(_)
        | Node::Unexpired(_)
        | Node::Not(_) => false,
    }
}

/// Values deduplicated by canonical value (`1` and `1.0` are one), first
/// occurrence kept.
fn distinct(values: Vec<AttributeValue>) -> Vec<AttributeValue> {
    let mut seen = HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(Canonical::of(v)))
        .collect()
}

pub(super) fn check_key_value(
    meta: &TableMeta,
    key: KeyMeta,
    value: &AttributeValue,
) -> Result<()> {
    if is_empty_key_value(value) {
        return Err(Error::MissingKey {
            table: meta.table_name.to_owned(),
            attribute: key.name.to_owned(),
        });
    }
    Ok(())
}

/// Refuses values that could not be converted and `between` bounds in the
/// wrong order (DynamoDB rejects them): before anything is sent.
pub(super) fn check_operands(meta: &TableMeta, node: &Node) -> Result<()> {
    if let Some((path, error)) = node.first_error() {
        return Err(Error::InvalidValue {
            attribute: format!("{}.{path}", meta.model),
            reason: error.to_string(),
        });
    }
    match node {
        Node::Between {
            path,
            low: Ok(low),
            high: Ok(high),
        } if scalar_order(low, high).is_some_and(std::cmp::Ordering::is_gt) => {
            Err(Error::InvalidValue {
                attribute: format!("{}.{path}", meta.model),
                reason: "between: the low bound is greater than the high bound".to_owned(),
            })
        }
        Node::And(parts) | Node::Or(parts) => {
            parts.iter().try_for_each(|p| check_operands(meta, p))
        }
        Node::Not(inner) => check_operands(meta, inner),
        _ => Ok(()),
    }
}
