//! What the chosen path leaves to the later stages: the split of the rest
//! of the filter between the FilterExpression and the residual, the order
//! and the projection.

use super::{Access, ReadRequest};
use crate::expr::Node;
use crate::read::{SortOrder, eval};

/// Splits what is left of the filter between the FilterExpression and the
/// residual (evaluated in memory).
pub(super) fn filter(
    access: &Access,
    rest: Vec<Node>,
    query_keys: &[&'static str],
) -> (Option<Node>, Option<Node>) {
    let (filter, residual) = match access {
        Access::Nothing | Access::Get { .. } | Access::BatchGet { .. } => (Vec::new(), rest),
        Access::Scan => (rest, Vec::new()),
        Access::Query { .. } | Access::MultiQuery { .. } => rest
            .into_iter()
            .partition(|n| !eval::mentions(n, query_keys)),
    };
    (Node::all(filter), Node::all(residual))
}

/// Ordering: natively where the read's sort key is the one asked for,
/// merged across partitions, or in memory. `(forward, memory_sort)`.
pub(super) fn ordering(
    access: &Access,
    request: &ReadRequest,
    natural_sort: Option<&'static str>,
) -> (bool, Option<(&'static str, SortOrder)>) {
    let native_sort = match access {
        Access::Query { sort_key, .. } => Some(*sort_key),
        _ => None,
    };
    let mut forward = true;
    let mut memory_sort = None;
    match (request.order_by, request.order) {
        (Some((attribute, direction)), _) => match (access, native_sort) {
            (_, Some(Some(s))) if s == attribute => forward = direction == SortOrder::Asc,
            (Access::Get { .. } | Access::Nothing, _) => {}
            (
                Access::MultiQuery {
                    sort_key: Some(s), ..
                },
                _,
            ) if *s == attribute => {
                forward = direction == SortOrder::Asc;
                memory_sort = Some((attribute, direction));
            }
            _ => memory_sort = Some((attribute, direction)),
        },
        (None, Some(direction)) => match (access, natural_sort) {
            (Access::Get { .. } | Access::Nothing, _) => {}
            (Access::Query { sort_key, .. }, target) if *sort_key == target => {
                forward = direction == SortOrder::Asc;
            }
            (_, None) => {}
            (Access::MultiQuery { sort_key, .. }, Some(target)) if *sort_key == Some(target) => {
                forward = direction == SortOrder::Asc;
                memory_sort = Some((target, direction));
            }
            (_, Some(target)) => memory_sort = Some((target, direction)),
        },
        (None, None) => {}
    }
    (forward, memory_sort)
}

/// The attributes fetched (the user's projection widened by keys, cursor
/// keys and what the residual and a memory sort read) and those kept on
/// returned rows; `(None, None)` without a projection.
pub(super) fn projection(
    attributes: Option<&[&'static str]>,
    table_keys: &[&'static str],
    cursor_keys: &[&'static str],
    residual: Option<&Node>,
    memory_sort: Option<(&'static str, SortOrder)>,
) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let Some(attributes) = attributes else {
        return (None, None);
    };
    let add = |list: &mut Vec<String>, a: &str| {
        if !list.iter().any(|x| x == a) {
            list.push(a.to_owned());
        }
    };
    let mut keep: Vec<String> = Vec::new();
    for a in attributes.iter().chain(table_keys.iter()) {
        add(&mut keep, a);
    }
    let mut fetch = keep.clone();
    for a in cursor_keys {
        add(&mut fetch, a);
    }
    let mut read = Vec::new();
    if let Some(r) = residual {
        eval::attributes(r, &mut read);
    }
    read.extend(memory_sort.map(|(a, _)| a));
    for a in read {
        add(&mut fetch, a);
    }
    (Some(fetch), Some(keep))
}
