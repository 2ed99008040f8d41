//! The conjuncts of a filter as the planner consumes them, and the checks
//! of operands made before anything is sent.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::key_limits::{self, Role, Unfit};
use crate::model::{KeyMeta, TableMeta};
use crate::read::canonical::{Canonical, scalar_order};
use crate::registry::IndexSpec;
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

    /// A condition allowed on a sort key in a KeyConditionExpression: not
    /// one whose operand no sort key can hold (`> ""`, `begins_with ""`,
    /// a bound past 1,024 bytes), which DynamoDB refuses there; it stays
    /// in the filter, evaluated on the rows read.
    pub(super) fn sort_condition(&self, key: KeyMeta) -> Option<usize> {
        let fits = |v: &std::result::Result<AttributeValue, _>| {
            v.as_ref()
                .is_ok_and(|v| key_limits::unfit(v, Role::Sort).is_none())
        };
        self.0.iter().position(|n| match n {
            Some(Node::Compare { path, op, value }) => {
                *path == key.name && *op != CompareOp::Ne && fits(value)
            }
            Some(Node::Between { path, low, high }) => *path == key.name && fits(low) && fits(high),
            Some(Node::BeginsWith { path, value }) => {
                *path == key.name && key.scalar != ScalarType::N && fits(value)
            }
            _ => false,
        })
    }

    /// Applies what DynamoDB stores in key attributes (of the table and of
    /// `indexes`, see [`key_limits`]) to the conjuncts: values no key can
    /// hold (empty, past the byte cap) are dropped from `is_in` lists, and
    /// `=` such a value, or `<` / `<=` an empty one, becomes `is_in` of
    /// nothing (no row matches: the read sends nothing). Exact: no stored
    /// row satisfies what is removed. `=` an empty value on the table's
    /// own key is left to the key read ([`Error::MissingKey`]).
    pub(super) fn fit_keys(&mut self, meta: &TableMeta, indexes: &[IndexSpec]) {
        for slot in &mut self.0 {
            let Some(node) = slot else { continue };
            let (path, unsatisfiable) = match node {
                Node::Compare {
                    path,
                    op,
                    value: Ok(v),
                } => {
                    let Some(role) = key_limits::role_of(meta, indexes, path) else {
                        continue;
                    };
                    let unfit = key_limits::unfit(v, role);
                    let table_key = meta.key_names().any(|k| k == *path);
                    let never = match op {
                        // `= ""` on the table's key stays: the key read
                        // refuses it (`MissingKey`, as `get` does).
                        CompareOp::Eq => unfit.is_some_and(|u| !(table_key && u == Unfit::Empty)),
                        CompareOp::Lt | CompareOp::Le => unfit == Some(Unfit::Empty),
                        _ => false,
                    };
                    (*path, never)
                }
                Node::In { path, values } if !values.is_empty() => {
                    let Some(role) = key_limits::role_of(meta, indexes, path) else {
                        continue;
                    };
                    values.retain(|v| {
                        v.as_ref()
                            .map_or(true, |v| key_limits::unfit(v, role).is_none())
                    });
                    (*path, values.is_empty())
                }
                _ => continue,
            };
            if unsatisfiable {
                *node = Node::In {
                    path,
                    values: Vec::new(),
                };
            }
        }
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
