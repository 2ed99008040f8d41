//! `explain()` of an include plan, round by round.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::client::TableStats;
use crate::model::RelationKind;
use crate::read::SortOrder;
use crate::read::plan::{Plan, describe_condition};
use crate::value::AttributeValue;

use super::Task;
use super::cost::{assign_rounds, expected_roots, pinned_values, scan_is_cheaper};
use super::fuse::{FusedPartition, fuse_partition};
use super::nested::{ByGrandparent, by_grandparent};
use super::round::split_for_index;
use super::spec::{NodeAccess, NodeSpec};

pub(super) fn describe_value(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    }
}

/// Describes the include plan round by round, for `explain()`.
///
/// Whether a child table is read with one Scan or one Query per parent is
/// decided from table sizes; `stats` gives the sizes known without a
/// request (none: the rule is printed instead).
pub(crate) fn describe(
    plan: &Plan,
    specs: &[NodeSpec],
    stats: &dyn Fn(&str) -> Option<TableStats>,
    concurrency: usize,
) -> Vec<String> {
    let expected = expected_roots(plan, stats(&plan.table));
    let mut early = HashSet::new();
    let mut scans = HashMap::new();
    for spec in specs {
        let child = stats(&spec.table);
        let scan = match (expected, child) {
            (Some(parents), Some(child)) => scan_is_cheaper(spec, parents, child, concurrency),
            _ => false,
        };
        if scan {
            early.insert(spec.id);
            let why = format!(
                "about {:.0} parents expected, {} bytes of children: cheaper than one Query each",
                expected.unwrap_or(0.0),
                child.map_or(0, |c| c.bytes)
            );
            scans.insert(spec.id, why);
        } else if pinned_values(plan, spec).is_some() {
            early.insert(spec.id);
        }
    }
    let rounds = assign_rounds(specs, &early);
    let mut all = Vec::new();
    specs.iter().for_each(|s| s.walk(&mut all));
    let last = rounds.values().copied().max().unwrap_or(0);
    // The collections read with the root's own partition Query.
    let mut pinned: Vec<Task<'_>> = specs
        .iter()
        .filter(|s| !scans.contains_key(&s.id))
        .filter_map(|s| pinned_values(plan, s).map(|v| Task::Values(s, v)))
        .collect();
    let fused = fuse_partition(plan, &mut pinned);
    let in_fused = |id: usize| {
        fused.as_ref().is_some_and(|f| {
            f.nodes.iter().any(|x| x.id == id) || f.nested.iter().any(|(x, _)| x.id == id)
        })
    };
    // Grandchild levels read by their grandparents' prefix, in the round of
    // the level between.
    let by_grandparent: Vec<(ByGrandparent<'_>, usize)> = all
        .iter()
        .filter(|via| !scans.contains_key(&via.id) && !in_fused(via.id))
        .flat_map(|via| via.children.iter().map(move |c| (*via, c)))
        .filter_map(|(via, child)| Some((by_grandparent(via, child)?, *rounds.get(&via.id)?)))
        .collect();
    let by_prefix = |id: usize| by_grandparent.iter().any(|(b, _)| b.node.id == id);
    let mut lines = Vec::new();
    for round in 0..=last {
        let mut parts = Vec::new();
        if round == 0 {
            parts.push(match &fused {
                Some(fused) => fused_line(plan, fused),
                None => plan.describe(),
            });
        }
        let mut batch_tables: Vec<String> = Vec::new();
        for node in all
            .iter()
            .filter(|n| rounds.get(&n.id) == Some(&round) && !in_fused(n.id) && !by_prefix(n.id))
        {
            if node.is_batch() && !batch_tables.contains(&node.table) {
                batch_tables.push(node.table.clone());
            }
            parts.push(node_line(node, scans.get(&node.id), concurrency));
        }
        for (by, _) in by_grandparent.iter().filter(|(_, r)| *r == round) {
            parts.push(by_grandparent_line(by));
        }
        if batch_tables.len() > 1
            || all
                .iter()
                .filter(|n| rounds.get(&n.id) == Some(&round) && n.is_batch())
                .count()
                > 1
        {
            parts.push("(BatchGetItem lookups of this round share calls)".to_owned());
        }
        // Rounds left with nothing to read are not sent: not numbered.
        if !parts.is_empty() {
            lines.push(format!("round {}: {}", lines.len() + 1, parts.join("; ")));
        }
    }
    lines
}

/// The root row and the collections of its partition in one Query.
fn fused_line(plan: &Plan, fused: &FusedPartition<'_>) -> String {
    let fields: Vec<String> = fused
        .nodes
        .iter()
        .map(|n| format!("`{}`", n.field))
        .chain(
            fused
                .nested
                .iter()
                .map(|(n, _)| format!("`{}` (when in this partition)", n.field)),
        )
        .collect();
    format!(
        "Query {} key {} (the row and {} in one Query, split by entity type)",
        plan.table,
        describe_condition(&plan.table, &fused.key_condition),
        fields.join(", ")
    )
}

/// A grandchild level read by its grandparents' prefix.
fn by_grandparent_line(by: &ByGrandparent<'_>) -> String {
    let node = by.node;
    let mut line = format!("`{}`: Query {}", node.field, node.table);
    if let Some(index) = by.index() {
        let _ = write!(line, " index {index}");
    }
    let _ = write!(
        line,
        " key {} (one Query per parent of `{}` for the `{}` of all its `{}`, stitched on {})",
        by.describe_key(),
        by.via.field,
        node.field,
        by.via.field,
        node.parent_attrs.join(", ")
    );
    if let Some(f) = &node.filter {
        let _ = write!(line, " filter {}", describe_condition(&node.table, f));
    }
    if node.order == Some(SortOrder::Desc) {
        line.push_str(" order desc");
    }
    if let Some(p) = &node.projection {
        let _ = write!(line, " project [{}]", p.join(", "));
    }
    line
}

/// How one node is read: the request, then its filter, order, limit and
/// projection.
fn node_line(node: &NodeSpec, scan: Option<&String>, concurrency: usize) -> String {
    let mut line = match scan {
        Some(why) => format!(
            "Scan {} (all `{}` children, stitched on {}; {why})",
            node.table, node.field, node.child_attr
        ),
        None => request_line(node),
    };
    let (server, memory) = match &node.access {
        _ if scan.is_some() => (node.filter.clone(), None),
        NodeAccess::Index { sort, .. } if node.kind != RelationKind::BelongsTo => {
            let mut keys = vec![node.child_attr];
            keys.extend(*sort);
            split_for_index(node.filter.clone(), &keys)
        }
        _ => (None, node.filter.clone()),
    };
    if let Some(f) = &server {
        let _ = write!(line, " filter {}", describe_condition(&node.table, f));
    }
    if let Some(f) = &memory {
        let _ = write!(
            line,
            " filter in memory {}",
            describe_condition(&node.table, f)
        );
    }
    if node.order == Some(SortOrder::Desc) {
        line.push_str(" order desc");
    }
    if let Some(l) = node.limit {
        let _ = write!(line, " limit {l} per parent");
    }
    if let Some(p) = &node.projection {
        let _ = write!(line, " project [{}]", p.join(", "));
    }
    if let Some(per) = &node.per_parent {
        let _ = write!(
            line,
            " (the rows of every parent in this round; then per parent: distinct, by key{}",
            if per.order == Some(SortOrder::Desc) {
                " desc"
            } else {
                ""
            }
        );
        if let Some(limit) = per.limit {
            let _ = write!(line, ", at most {limit}");
        }
        line.push(')');
    }
    if scan.is_none() && !node.is_batch() && node.kind != RelationKind::BelongsTo {
        let _ = write!(
            line,
            " (or one Scan of {} when over {concurrency} parents and under 4 KB of it per parent)",
            node.table
        );
    }
    line
}

/// The request of a node read per parent (no Scan).
fn request_line(node: &NodeSpec) -> String {
    match &node.access {
        NodeAccess::BatchGet => {
            let mut line = format!(
                "`{}`: BatchGetItem {} by {}",
                node.field, node.table, node.child_attr
            );
            if let Some((attribute, value)) = &node.parent_type {
                let _ = write!(
                    line,
                    " (parents whose {attribute} = {})",
                    describe_value(value)
                );
            }
            line
        }
        NodeAccess::Index { name, .. } => format!(
            "`{}`: Query {} index {name} key {} = <each parent's {}>",
            node.field, node.table, node.child_attr, node.parent_attr
        ),
        NodeAccess::Partition(read) => {
            let mut line = format!("`{}`: Query {}", node.field, node.table);
            if let Some(index) = read.index {
                let _ = write!(line, " index {index}");
            }
            let _ = write!(line, " partition of <each parent's {}>", node.parent_attr);
            let prefix = read
                .sort
                .map(|sort| crate::template::describe_prefix(sort, &node.child_attrs))
                .filter(|p| !p.is_empty());
            if let (Some(prefix), Some(sk)) = (prefix, read.sort_key) {
                let _ = write!(line, " key begins_with({sk}, {prefix:?})");
            }
            line
        }
    }
}
