//! Running a [`Plan`]: every terminal (all rows, a page, a stream, a
//! count) of every access path, limit-aware.
//!
//! - `limit` bounds the reading, not only the result: key lists are read
//!   in waves (the rows still wanted, doubling while rows are filtered
//!   out), Query and Scan pages stop once enough rows matched, and a
//!   multi-partition read without order takes partitions in waves too.
//! - Rows come back in a defined order: input order for key lists, key
//!   order for Queries (partitions merged by the index sort key when
//!   ordered), any order for Scans, and the requested order when sorted in
//!   memory (ties broken by key, so paging is exact).
//! - The residual runs on every row read; attributes fetched only for it
//!   are stripped before rows are returned.
//!
//! Stages: [`read`] sends requests until enough rows matched, [`all`]
//! answers whole-result terminals (all, count), [`page`] one page and its
//! cursors ([`backward`] for previous pages, [`partitions`] for reads over
//! several partitions), [`stream`] rows as they are read.

mod all;
mod backward;
mod fits;
mod page;
mod partitions;
mod read;
mod stream;

use std::cmp::Ordering;

use super::SortOrder;
use super::canonical::{KeyId, sort_order};
use super::eval;
use super::exec::{ReadSpec, RenderedRead};
use super::plan::{Access, Plan};
use crate::error::Result;
use crate::expr::{CompareOp, Node};
use crate::value::{AttributeValue, Item};

pub(crate) use all::{count, fetch};
pub(crate) use page::fetch_page;
pub(crate) use read::scan_everything;
pub(crate) use stream::item_stream;

/// The Query or Scan of a plan (for a MultiQuery, of one partition value).
pub(crate) fn read_spec(plan: &Plan, partition_value: Option<&AttributeValue>) -> ReadSpec {
    let (index, key_condition) = match &plan.access {
        Access::Query {
            index,
            key_condition,
            ..
        } => (index.clone(), Some(key_condition.clone())),
        Access::MultiQuery {
            index,
            partition,
            sort_condition,
            ..
        } => {
            let mut parts = Vec::new();
            if let Some(v) = partition_value {
                parts.push(Node::Compare {
                    path: partition,
                    op: CompareOp::Eq,
                    value: Ok(v.clone()),
                });
            }
            // Several sort attributes of a multi-attribute key: flat `AND`s.
            parts.extend(
                sort_condition
                    .clone()
                    .map(Node::conjuncts)
                    .unwrap_or_default(),
            );
            (index.clone(), Node::all(parts))
        }
        _ => (None, None),
    };
    ReadSpec {
        table: plan.table.clone(),
        index,
        key_condition,
        filter: plan.filter.clone(),
        residual: plan.residual.clone(),
        projection: plan.projection.clone(),
        forward: plan.forward,
        consistent: plan.consistent,
        count_only: false,
        segment: None,
    }
}

fn partition_reads(plan: &Plan) -> Result<Vec<RenderedRead>> {
    match &plan.access {
        Access::MultiQuery { values, .. } => values
            .iter()
            .map(|v| read_spec(plan, Some(v)).render())
            .collect(),
        _ => Ok(Vec::new()),
    }
}

/// Whether partitions are merged in the index's sort order (else a
/// memory sort, if any, sorts everything after reading).
fn merged(plan: &Plan) -> bool {
    matches!((&plan.access, plan.memory_sort),
        (Access::MultiQuery { sort_key: Some(s), .. }, Some((a, _))) if *s == a)
}

/// Whether the rows must all be read and sorted in memory.
fn sorted_in_memory(plan: &Plan) -> bool {
    plan.memory_sort.is_some() && !merged(plan)
}

/// The order of two rows under the plan's sort (then by key).
fn row_order(plan: &Plan, a: &Item, b: &Item) -> Ordering {
    keyed_order(plan, (&plan.key_id(a), a), (&plan.key_id(b), b))
}

/// [`row_order`] with each row's key identity already computed.
fn keyed_order(plan: &Plan, (ka, a): (&KeyId, &Item), (kb, b): (&KeyId, &Item)) -> Ordering {
    let Some((attribute, direction)) = plan.memory_sort else {
        return Ordering::Equal;
    };
    let ord = sort_order(a.get(attribute), b.get(attribute)).then_with(|| ka.cmp(kb));
    match direction {
        SortOrder::Asc => ord,
        SortOrder::Desc => ord.reverse(),
    }
}

/// Sorts rows by [`row_order`], computing each row's key identity once.
fn sort_rows(plan: &Plan, items: Vec<Item>) -> Vec<Item> {
    let mut keyed: Vec<(KeyId, Item)> = items.into_iter().map(|i| (plan.key_id(&i), i)).collect();
    keyed.sort_by(|(ka, a), (kb, b)| keyed_order(plan, (ka, a), (kb, b)));
    keyed.into_iter().map(|(_, item)| item).collect()
}

fn strip(plan: &Plan, mut items: Vec<Item>) -> Vec<Item> {
    if let Some(keep) = &plan.keep {
        for item in &mut items {
            item.retain(|name, _| keep.iter().any(|k| k == name));
        }
    }
    items
}

fn passes(plan: &Plan, item: &Item) -> bool {
    plan.residual
        .as_ref()
        .is_none_or(|r| eval::matches(r, item))
}

/// The key attributes of a row (a position to resume after).
fn key_from_item(item: &Item, names: &[&'static str]) -> Item {
    names
        .iter()
        .filter_map(|n| item.get(*n).map(|v| ((*n).to_owned(), v.clone())))
        .collect()
}
