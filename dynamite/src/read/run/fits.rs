//! Whether a decoded cursor position fits the plan, checked before any
//! request is sent: a forged or replayed start key of another partition,
//! another table or index, of the wrong types or with extra attributes is
//! [`Error::InvalidCursor`], never a request DynamoDB refuses.

use std::collections::{HashMap, HashSet};

use super::read_spec;
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::Node;
use crate::key_limits::{self, Role};
use crate::read::cursor::{PartitionPosition, Position};
use crate::read::eval;
use crate::read::plan::{Access, Plan};
use crate::value::{AttributeValue, Item, ScalarType};

fn invalid(reason: &str) -> Error {
    Error::InvalidCursor {
        reason: reason.to_owned(),
    }
}

/// The declared type of every key attribute of the plan's table (table
/// keys and index keys of every model registered on it), with its
/// strictest role (a sort key of any of them caps it at 1,024 bytes).
fn key_types(db: &Dynamite, plan: &Plan) -> HashMap<&'static str, (ScalarType, Role)> {
    let mut types = HashMap::new();
    for registered in db.registry().iter() {
        if registered.table_name != plan.table {
            continue;
        }
        let meta = registered.meta;
        let table_keys = std::iter::once(meta.partition_key).chain(meta.sort_key);
        let index_keys = registered.indexes.iter().flat_map(|i| i.key_attributes());
        for key in table_keys.chain(index_keys) {
            let role =
                key_limits::role_of(meta, &registered.indexes, key.name).unwrap_or(Role::Partition);
            let entry = types.entry(key.name).or_insert((key.scalar, role));
            if role == Role::Sort {
                entry.1 = Role::Sort;
            }
        }
    }
    types
}

/// Checks every key a position holds against `plan`.
pub(super) fn check(db: &Dynamite, plan: &Plan, position: &Position) -> Result<()> {
    let types = key_types(db, plan);
    let start_key = |key: &Item, condition: Option<&Node>| start_key(plan, &types, key, condition);
    match position {
        Position::After(key) | Position::Before(key) => {
            start_key(key, single_condition(plan).as_ref())
        }
        Position::Partitions(parts) => {
            for (i, part) in parts.iter().enumerate() {
                if let PartitionPosition::After(key) = part {
                    start_key(key, partition_condition(plan, i)?.as_ref())?;
                }
            }
            Ok(())
        }
        Position::PartitionsBefore(i, Some(key)) => {
            start_key(key, partition_condition(plan, *i)?.as_ref())
        }
        Position::Sorted(row) | Position::SortedBefore(row) => {
            let allowed: Vec<&str> = plan
                .table_keys
                .iter()
                .copied()
                .chain(plan.memory_sort.map(|(a, _)| a))
                .collect();
            if row.keys().any(|name| !allowed.contains(&name.as_str())) {
                return Err(invalid(
                    "its position names attributes this query does not sort by",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The key condition of a single Query (`None` for a Scan).
fn single_condition(plan: &Plan) -> Option<Node> {
    match &plan.access {
        Access::Query { key_condition, .. } => Some(key_condition.clone()),
        _ => None,
    }
}

/// The key condition of partition `i` of a multi-partition read.
fn partition_condition(plan: &Plan, i: usize) -> Result<Option<Node>> {
    match &plan.access {
        Access::MultiQuery { values, .. } => {
            let value = values
                .get(i)
                .ok_or_else(|| invalid("its partition is not one of this query's"))?;
            Ok(read_spec(plan, Some(value)).key_condition)
        }
        _ => Ok(None),
    }
}

/// A start key: exactly the read's key attributes, each a non-empty
/// string, number (in DynamoDB's range) or binary of its declared type,
/// inside the key condition.
fn start_key(
    plan: &Plan,
    types: &HashMap<&'static str, (ScalarType, Role)>,
    key: &Item,
    condition: Option<&Node>,
) -> Result<()> {
    exact_names(key, &plan.cursor_keys)?;
    scalars(types, key)?;
    if let Some(condition) = condition
        && !eval::matches(condition, key)
    {
        return Err(invalid(
            "its start key is outside this query's partition or key range",
        ));
    }
    Ok(())
}

fn exact_names(key: &Item, names: &[&'static str]) -> Result<()> {
    let wanted: HashSet<&str> = names.iter().copied().collect();
    let given: HashSet<&str> = key.keys().map(String::as_str).collect();
    if wanted != given {
        return Err(invalid(
            "its start key does not have this read's key attributes",
        ));
    }
    Ok(())
}

fn scalars(types: &HashMap<&'static str, (ScalarType, Role)>, key: &Item) -> Result<()> {
    for (name, value) in key {
        let known = types.get(name.as_str()).copied();
        let declared = known.map(|(t, _)| t);
        let role = known.map_or(Role::Partition, |(_, r)| r);
        let stored = key_limits::unfit(value, role).is_none();
        let fits = match value {
            AttributeValue::S(_) => stored && declared.is_none_or(|t| t == ScalarType::S),
            AttributeValue::B(_) => stored && declared.is_none_or(|t| t == ScalarType::B),
            // What DynamoDB stores: 38 significant digits, 1E-130 to
            // under 1E+126.
            AttributeValue::N(n) => {
                crate::number::refusal(n).is_none() && declared.is_none_or(|t| t == ScalarType::N)
            }
            _ => false,
        };
        if !fits {
            return Err(invalid("its start key holds a value no key can have"));
        }
    }
    Ok(())
}
