//! Nested collections by their grandparent's prefix: when a grandchild
//! level's partition and sort prefix are rendered from fields its
//! grandparent binds (project -> tasks -> comments, comments under
//! `TENANT#<tenant_id>` / `COMMENT#<project_id>#`), the grandchildren of
//! every child of one grandparent are read with ONE Query by that prefix,
//! in the same round as the children, and stitched to them in memory by
//! the join value (instead of one Query per child, a round later).
//!
//! The rule, decided from the include tree alone: the child level must
//! return every row of its collection (no filter of the user's, no limit,
//! no soft delete), so the prefix holds the grandchildren of the children
//! returned, plus rows read and dropped: orphans (grandchildren whose
//! child row does not exist) and those of expired children DynamoDB's TTL
//! sweep has not deleted yet; the grandchild level must have no limit,
//! which a per-child Query stops reading at. Then the fused read reads no
//! more items than the per-child Queries would (but for those dropped
//! rows), in one request per grandparent, in the round of the children
//! (a grandparent without children costs one empty Query). Its filter,
//! order and projection apply as on the per-child Queries.

use std::collections::HashSet;

use crate::expr::{CompareOp, Node};
use crate::model::{RelationKind, TemplateRead};
use crate::read::SortOrder;
use crate::read::canonical::KeyId;
use crate::read::exec::ReadSpec;
use crate::value::{AttributeValue, Item};

use super::round::ReadJob;
use super::spec::{NodeAccess, NodeSpec};
use super::stitch::{distinct_values, value_key};
use super::{Groups, Task};
use crate::template::describe_prefix;

/// A grandchild level read by its grandparents' prefix.
#[derive(Debug, Clone)]
pub(super) struct ByGrandparent<'a> {
    /// The grandchild level (comments).
    pub(super) node: &'a NodeSpec,
    /// The child level between (tasks).
    pub(super) via: &'a NodeSpec,
    read: TemplateRead,
    /// The grandchild's join attributes the grandparent binds, with their
    /// position in the child level's join value.
    bound: Vec<(&'static str, usize)>,
}

/// Whether `node` (a collection under `via`) can be read by the prefix of
/// `via`'s parents: see the module's rule.
pub(super) fn by_grandparent<'a>(
    via: &'a NodeSpec,
    node: &'a NodeSpec,
) -> Option<ByGrandparent<'a>> {
    let whole_collection = via.kind != RelationKind::BelongsTo
        && !via.is_batch()
        && !via.drops_rows
        && via.limit.is_none()
        && via.parent_type.is_none()
        && via.per_parent.is_none();
    let plain_collection = node.kind == RelationKind::HasMany
        && node.limit.is_none()
        && node.parent_type.is_none()
        && node.per_parent.is_none();
    let NodeAccess::Partition(read) = node.access else {
        return None;
    };
    if !whole_collection || !plain_collection {
        return None;
    }
    let bound: Vec<(&'static str, usize)> = node
        .parent_attrs
        .iter()
        .zip(&node.child_attrs)
        .filter_map(|(on_child, on_grandchild)| {
            let at = via.child_attrs.iter().position(|a| a == on_child)?;
            Some((*on_grandchild, at))
        })
        .collect();
    let is_bound = |attribute: &str| bound.iter().any(|(a, _)| *a == attribute);
    // The partition is the grandparent's; every bound field is in the
    // partition or in the sort prefix rendered before the first free field
    // (else the prefix would hold other grandparents' rows).
    if bound.is_empty() || !crate::template::fields(read.partition).all(is_bound) {
        return None;
    }
    let in_prefix: Vec<&str> = read
        .sort
        .map(|sort| {
            crate::template::fields(sort)
                .take_while(|f| is_bound(f))
                .collect()
        })
        .unwrap_or_default();
    let rendered = |attribute: &&str| {
        crate::template::fields(read.partition).any(|f| f == *attribute)
            || in_prefix.contains(attribute)
    };
    let all_rendered = bound.iter().all(|(a, _)| rendered(a));
    all_rendered.then_some(ByGrandparent {
        node,
        via,
        read,
        bound,
    })
}

/// Adds to a round's tasks the grandchild levels read by prefix alongside
/// the child levels they hang under, and returns them.
pub(super) fn add_by_grandparent<'a>(tasks: &mut Vec<Task<'a>>) -> Vec<ByGrandparent<'a>> {
    let mut added = Vec::new();
    let mut extra = Vec::new();
    for task in tasks.iter() {
        let Task::Values(via, values) = task else {
            continue;
        };
        for child in &via.children {
            if let Some(by) = by_grandparent(via, child) {
                extra.push(Task::Nested(by.clone(), values.clone()));
                added.push(by);
            }
        }
    }
    tasks.extend(extra);
    added
}

/// Keeps, of each grandchild level read by prefix, the groups of the child
/// rows of the same round: rows of children the child level did not
/// return (orphans) never show.
pub(super) fn keep_returned_children(added: &[ByGrandparent<'_>], results: &mut [(usize, Groups)]) {
    for by in added {
        let children: Vec<Item> = results
            .iter()
            .filter(|(id, _)| *id == by.via.id)
            .flat_map(|(_, groups)| groups.values().flatten().cloned())
            .collect();
        let wanted: HashSet<KeyId> = distinct_values(&children, &by.node.parent_attrs)
            .iter()
            .filter_map(value_key)
            .collect();
        for (id, groups) in results.iter_mut() {
            if *id == by.node.id {
                groups.retain(|k, _| wanted.contains(k));
            }
        }
    }
}

impl ByGrandparent<'_> {
    /// The grandchild fields one join value of the child level binds
    /// (`value` as the child level's Queries get it).
    fn fields(&self, value: &AttributeValue) -> Item {
        let part = |at: usize| match (self.via.child_attrs.len(), value) {
            (1, v) => Some(v.clone()),
            (_, AttributeValue::L(parts)) => parts.get(at).cloned(),
            _ => None,
        };
        self.bound
            .iter()
            .filter_map(|(attribute, at)| Some(((*attribute).to_owned(), part(*at)?)))
            .collect()
    }

    /// One Query per distinct (partition, prefix) of the grandparents'
    /// join values; a value a template refuses matches no row.
    pub(super) fn jobs(&self, values: &[AttributeValue]) -> Vec<ReadJob> {
        let mut seen = HashSet::new();
        let mut jobs = Vec::new();
        for value in values {
            let fields = self.fields(value);
            let Ok(partition) = crate::template::render(self.read.partition, &fields) else {
                continue;
            };
            let prefix = match self.read.sort {
                Some(sort) => match crate::template::render_prefix(sort, |a| {
                    fields.get(a).map(std::borrow::Cow::Borrowed)
                }) {
                    Ok((text, _)) => Some(text).filter(|t| !t.is_empty()),
                    Err(_) => continue,
                },
                None => None,
            };
            if !seen.insert((partition.clone(), prefix.clone())) {
                continue;
            }
            let mut parts = vec![Node::Compare {
                path: self.read.partition_key,
                op: CompareOp::Eq,
                value: Ok(AttributeValue::S(partition)),
            }];
            if let (Some(prefix), Some(sk)) = (prefix, self.read.sort_key) {
                parts.push(Node::BeginsWith {
                    path: sk,
                    value: Ok(AttributeValue::S(prefix)),
                });
            }
            jobs.push(ReadJob {
                node: self.node.id,
                value: None,
                wanted: None,
                spec: ReadSpec {
                    table: self.node.table.clone(),
                    index: self.read.index.map(str::to_owned),
                    key_condition: Node::all(parts),
                    filter: self.node.filter.clone(),
                    residual: None,
                    projection: self.node.projection.clone(),
                    forward: self.node.order != Some(SortOrder::Desc),
                    consistent: false,
                    count_only: false,
                    segment: None,
                },
                limit: None,
            });
        }
        jobs
    }

    /// The GSI read, `None` for the table.
    pub(super) fn index(&self) -> Option<&'static str> {
        self.read.index
    }

    /// The key condition as `explain()` shows it, the fields the
    /// grandparent binds as `<field>` (`pk = "TENANT#<tenant_id>" AND
    /// begins_with(sk, "COMMENT#<project_id>#")`).
    pub(super) fn describe_key(&self) -> String {
        let bound: Vec<&str> = self.bound.iter().map(|(a, _)| *a).collect();
        let mut line = format!(
            "{} = {:?}",
            self.read.partition_key,
            describe_prefix(self.read.partition, &bound)
        );
        if let (Some(sort), Some(sk)) = (self.read.sort, self.read.sort_key) {
            let prefix = describe_prefix(sort, &bound);
            if !prefix.is_empty() {
                line.push_str(&format!(" AND begins_with({sk}, {prefix:?})"));
            }
        }
        line
    }
}
