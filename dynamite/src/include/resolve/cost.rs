//! Cost choice and round assignment: a child Scan or one Query per
//! parent, join values the root read pins, the round of each node.

use crate::registry::Models;
use std::collections::{HashMap, HashSet};

use crate::client::{Dynamite, TableStats};
use crate::error::Result;
use crate::expr::{CompareOp, Node};
use crate::model::RelationKind;
use crate::read::exec::{self};
use crate::read::plan::{Access, Plan};
use crate::value::AttributeValue;

use super::spec::NodeSpec;

/// A per-parent Query costs at least one read unit (4 KB read); one Scan
/// of the child table reads each of its bytes once.
pub(super) const READ_UNIT_BYTES: f64 = 4096.0;

/// The cost rule: one Scan of the child table costs less than one Query
/// per parent when there are more parents than one wave of concurrent
/// Queries and the child table is no larger than what those Queries would
/// read at the least (one read unit each). Only `has_many` / `has_one`
/// levels read by index qualify.
pub(super) fn scan_is_cheaper(
    node: &NodeSpec,
    parents: f64,
    child: TableStats,
    concurrency: usize,
) -> bool {
    node.kind != RelationKind::BelongsTo
        && !node.is_batch()
        && parents > concurrency as f64
        && (child.bytes as f64) <= parents * READ_UNIT_BYTES
}

/// [`scan_is_cheaper`] with the child table's statistics (fetched, cached);
/// without statistics, Queries. A strict read (the query's `.strict()` or
/// the handle's) never Scans a child table: it reads by key.
pub(super) async fn child_scan_cheaper(
    db: &Dynamite,
    node: &NodeSpec,
    parents: f64,
    strict: bool,
) -> bool {
    if strict
        || db.strict_reads()
        || node.kind == RelationKind::BelongsTo
        || node.is_batch()
        || parents <= db.concurrency() as f64
    {
        return false;
    }
    exec::table_stats(db, &node.table)
        .await
        .is_some_and(|child| scan_is_cheaper(node, parents, child, db.concurrency()))
}

/// Whether a root read reads its whole table (an unlimited Scan).
pub(super) fn reads_whole_table(plan: &Plan) -> bool {
    matches!(plan.access, Access::Scan) && plan.limit.is_none() && plan.offset == 0
}

/// How many rows a root read is expected to keep when it reads a whole
/// table (an unlimited Scan of a table of `stats`): the item count times
/// the filter's estimated selectivity. `None` for any other read.
pub(super) fn expected_roots(plan: &Plan, stats: Option<TableStats>) -> Option<f64> {
    if !reads_whole_table(plan) {
        return None;
    }
    let kept = plan
        .filter
        .as_ref()
        .map_or(1.0, |f| crate::read::plan::selectivity(f, plan.deleted_at));
    Some(stats?.items as f64 * kept)
}

/// Values of `attribute` pinned by the root read (key, key condition, or
/// an `eq` / `is_in` conjunct of the filter).
pub(super) fn pinned_values(plan: &Plan, spec: &NodeSpec) -> Option<Vec<AttributeValue>> {
    // A composite join value is never pinned as a whole (a conservative
    // choice: its children are read after the root, with every field known).
    let [attribute] = spec.parent_attrs.as_slice() else {
        return None;
    };
    // A polymorphic target's values depend on each parent's type: read
    // after the parents.
    if spec.parent_type.is_some() {
        return None;
    }
    let attribute = *attribute;
    let from_node = |node: &Node| -> Option<Vec<AttributeValue>> {
        node.clone().conjuncts().into_iter().find_map(|n| match n {
            Node::Compare {
                path,
                op: CompareOp::Eq,
                value: Ok(v),
            } if path == attribute => Some(vec![v]),
            Node::In { path, values } if path == attribute => {
                values.into_iter().collect::<Result<Vec<_>, _>>().ok()
            }
            _ => None,
        })
    };
    let from_access = match &plan.access {
        Access::Get { key } => key.get(attribute).map(|v| vec![v.clone()]),
        Access::BatchGet { keys } => {
            let values: Vec<_> = keys
                .iter()
                .filter_map(|k| k.get(attribute).cloned())
                .collect();
            (values.len() == keys.len()).then_some(values)
        }
        Access::Query { key_condition, .. } => from_node(key_condition),
        Access::MultiQuery {
            partition, values, ..
        } if *partition == attribute => Some(values.clone()),
        _ => None,
    };
    from_access
        .or_else(|| plan.filter.as_ref().and_then(from_node))
        .or_else(|| plan.residual.as_ref().and_then(from_node))
}

/// Round of each node: level-1 nodes sent early go in round 0, every other
/// node one round after its parent; `belongs_to` leaves wait for the last
/// round that batch-reads (any table: one BatchGetItem serves several).
pub(super) fn assign_rounds(specs: &[NodeSpec], early: &HashSet<usize>) -> HashMap<usize, usize> {
    fn visit(
        spec: &NodeSpec,
        round: usize,
        early: &HashSet<usize>,
        out: &mut HashMap<usize, usize>,
    ) {
        let round = if early.contains(&spec.id) { 0 } else { round };
        out.insert(spec.id, round);
        for c in &spec.children {
            visit(c, round + 1, early, out);
        }
    }
    let mut rounds = HashMap::new();
    for s in specs {
        visit(s, 1, early, &mut rounds);
    }
    let mut all = Vec::new();
    specs.iter().for_each(|s| s.walk(&mut all));
    // One BatchGetItem serves several tables: a lookup nothing waits for
    // joins the last round that has lookups anyway (no round is added).
    let last_batch = all
        .iter()
        .filter(|n| n.is_batch())
        .map(|n| rounds[&n.id])
        .max();
    for n in all
        .iter()
        .filter(|n| n.is_batch() && n.children.is_empty() && !early.contains(&n.id))
    {
        if let Some(r) = last_batch {
            rounds.insert(n.id, r);
        }
    }
    rounds
}
