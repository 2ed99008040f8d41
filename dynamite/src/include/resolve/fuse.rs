//! Partition fusion: a shared-table row and the collections of its own
//! partition read with one Query.

use std::collections::HashSet;

use crate::client::Dynamite;
use crate::error::Result;
use crate::expr::{CompareOp, Node};
use crate::model::TemplateRead;
use crate::read::canonical::KeyId;
use crate::read::eval;
use crate::read::exec::ReadSpec;
use crate::read::plan::{Access, Plan};
use crate::value::{AttributeValue, Item};

use super::spec::{NodeAccess, NodeSpec};
use super::stitch::{bound_fields, distinct_values, group_scanned, sort_prefix, value_key};
use super::{Groups, Task};

/// A GetItem of a shared-table row fused with the collections of its own
/// partition: one Query `pk = <the row's partition> AND sk BETWEEN lo AND
/// hi` covering the row's sort key and every collection's prefix, split by
/// entity type in memory ("user + orders" is one request).
pub(super) struct FusedPartition<'a> {
    pub(super) key_condition: Node,
    pub(super) key: Item,
    /// The partition read (`USER#u1`).
    pub(super) partition: String,
    pub(super) nodes: Vec<&'a NodeSpec>,
    /// Nested collections of the same table whose rows may live in this
    /// partition (an order's items in its user's), with their parent node:
    /// taken from the Query when every parent's join value renders this
    /// partition, else read in their own round as usual.
    pub(super) nested: Vec<(&'a NodeSpec, usize)>,
}

/// Whether a partition read of `node` reads the root's table by its own
/// key attributes, whole items: it can share the root's Query.
pub(super) fn reads_root_keys(node: &NodeSpec, read: TemplateRead, plan: &Plan) -> bool {
    read.index.is_none()
        && node.table == plan.table
        && node.projection.is_none()
        && plan.table_keys.first() == Some(&read.partition_key)
        && plan.table_keys.get(1).copied() == read.sort_key
}

/// Takes out of `tasks` the collections that can ride on the root's GetItem.
pub(super) fn fuse_partition<'a>(
    plan: &Plan,
    tasks: &mut Vec<Task<'a>>,
) -> Option<FusedPartition<'a>> {
    let Access::Get { key } = &plan.access else {
        return None;
    };
    let [pk, sk] = plan.table_keys.as_slice() else {
        return None;
    };
    let (Some(AttributeValue::S(partition)), Some(AttributeValue::S(sort))) =
        (key.get(*pk), key.get(*sk))
    else {
        return None;
    };
    // The fused read returns the row as is: no projection, offset or empty limit.
    if plan.projection.is_some() || plan.offset > 0 || plan.limit == Some(0) {
        return None;
    }
    let fits = |task: &Task<'a>| -> Option<(&'a NodeSpec, String)> {
        let Task::Values(node, values) = task else {
            return None;
        };
        let NodeAccess::Partition(read) = node.access else {
            return None;
        };
        let [value] = values.as_slice() else {
            return None;
        };
        let same_place = reads_root_keys(node, read, plan);
        let fields = bound_fields(&node.child_attrs, value);
        let rendered = crate::template::render(read.partition, &fields).ok()?;
        (same_place && rendered == *partition).then_some((*node, sort_prefix(read, &fields)?))
    };
    let mut nodes = Vec::new();
    let (mut lo, mut hi) = (sort.clone(), sort.clone());
    let mut kept = Vec::new();
    for task in tasks.drain(..) {
        match fits(&task) {
            Some((node, prefix)) => {
                lo = lo.min(prefix.clone());
                hi = hi.max(format!("{prefix}\u{10FFFF}"));
                nodes.push(node);
            }
            None => kept.push(task),
        }
    }
    *tasks = kept;
    if nodes.is_empty() {
        return None;
    }
    // Nested collections: their literal sort prefix joins the range.
    let mut nested = Vec::new();
    let mut stack: Vec<&NodeSpec> = nodes.clone();
    while let Some(parent) = stack.pop() {
        for child in &parent.children {
            let NodeAccess::Partition(read) = child.access else {
                continue;
            };
            if let (true, Some(prefix)) = (reads_root_keys(child, read, plan), read.sort_prefix) {
                lo = lo.min(prefix.to_owned());
                hi = hi.max(format!("{prefix}\u{10FFFF}"));
                nested.push((child, parent.id));
                stack.push(child);
            }
        }
    }
    let key_condition = Node::And(vec![
        Node::Compare {
            path: pk,
            op: CompareOp::Eq,
            value: Ok(AttributeValue::S(partition.clone())),
        },
        Node::Between {
            path: sk,
            low: Ok(AttributeValue::S(lo)),
            high: Ok(AttributeValue::S(hi)),
        },
    ]);
    Some(FusedPartition {
        key_condition,
        key: key.clone(),
        partition: partition.clone(),
        nodes,
        nested,
    })
}

impl FusedPartition<'_> {
    /// The root rows and each collection's groups (nested ones included
    /// when all their rows were in the Query).
    pub(super) async fn read(
        &self,
        db: &Dynamite,
        plan: &Plan,
    ) -> Result<(Vec<Item>, Vec<(usize, Groups)>)> {
        let spec = ReadSpec {
            table: plan.table.clone(),
            index: None,
            key_condition: Some(self.key_condition.clone()),
            filter: None,
            residual: None,
            projection: None,
            forward: true,
            consistent: plan.consistent,
            count_only: false,
            segment: None,
        };
        let items = spec.render()?.all(db, None).await?;
        let is_root = |item: &Item| {
            self.key.iter().all(|(k, v)| item.get(k) == Some(v))
                && plan
                    .residual
                    .as_ref()
                    .is_none_or(|r| eval::matches(r, item))
        };
        let roots: Vec<Item> = items.iter().filter(|i| is_root(i)).cloned().collect();
        let mut results = Vec::new();
        for node in &self.nodes {
            let mine = rows_of(node, &items);
            let mut groups = Groups::new();
            group_scanned(node, mine, &mut groups, None);
            results.push((node.id, groups));
        }
        for (node, parent) in &self.nested {
            let Some(parents) = results
                .iter()
                .find(|(id, _)| id == parent)
                .map(|(_, groups)| groups.values().flatten().cloned().collect::<Vec<_>>())
            else {
                continue;
            };
            let NodeAccess::Partition(read) = node.access else {
                continue;
            };
            let values = distinct_values(&parents, &node.parent_attrs);
            let here = values.iter().all(|v| {
                let fields = bound_fields(&node.child_attrs, v);
                crate::template::render(read.partition, &fields)
                    .ok()
                    .as_deref()
                    == Some(self.partition.as_str())
            });
            if !here {
                continue;
            }
            let wanted: HashSet<KeyId> = values.iter().filter_map(value_key).collect();
            let mine = rows_of(node, &items);
            let mut groups = Groups::new();
            group_scanned(node, mine, &mut groups, Some(&wanted));
            results.push((node.id, groups));
        }
        Ok((roots, results))
    }
}

/// The rows of `items` that `node`'s filter keeps.
fn rows_of(node: &NodeSpec, items: &[Item]) -> Vec<Item> {
    items
        .iter()
        .filter(|i| node.filter.as_ref().is_none_or(|f| eval::matches(f, i)))
        .cloned()
        .collect()
}
