//! Round execution: the requests of one round (BatchGetItem lookups
//! merged, Queries and Scans concurrent), grouped by join value.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, future};

use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::{RelationKind, TableMeta, TemplateRead};
use crate::read::SortOrder;
use crate::read::canonical::KeyId;
use crate::read::eval;
use crate::read::exec::{self, ReadSpec, TableKeys, key_fingerprint};
use crate::value::{AttributeValue, Item};

use super::spec::{NodeAccess, NodeSpec};
use super::stitch::{bound_fields, group_scanned, sort_prefix, value_key};
use super::{Groups, Task};

/// The Queries of a [`NodeAccess::Partition`] include: per join value, the
/// child's partition, narrowed to the child's rows by its sort prefix. A
/// value the template refuses (a `#` inside) matches no row: no Query.
pub(super) fn partition_jobs(
    node: &NodeSpec,
    read: TemplateRead,
    values: Vec<AttributeValue>,
) -> Vec<ReadJob> {
    let belongs_to = node.kind == RelationKind::BelongsTo;
    let mut jobs = Vec::new();
    for value in values {
        let fields = bound_fields(&node.child_attrs, &value);
        let Ok(partition) = crate::template::render(read.partition, &fields) else {
            continue;
        };
        let mut parts = vec![Node::Compare {
            path: read.partition_key,
            op: CompareOp::Eq,
            value: Ok(AttributeValue::S(partition)),
        }];
        if let (Some(prefix), Some(sk)) = (sort_prefix(read, &fields), read.sort_key) {
            parts.push(Node::BeginsWith {
                path: sk,
                value: Ok(AttributeValue::S(prefix)),
            });
        }
        jobs.push(ReadJob {
            node: node.id,
            value: value_key(&value),
            wanted: None,
            spec: per_value_spec(
                node,
                read.index.map(str::to_owned),
                Node::all(parts),
                node.filter.clone(),
                None,
            ),
            limit: if belongs_to { Some(1) } else { node.limit },
        });
    }
    jobs
}

/// The key item of the `target` row whose `attribute` (its whole key, see
/// [`joins_on_whole_key`]) is `value`; `None` when no key can hold it (a
/// value a key template refuses matches no row).
pub(super) fn key_for(
    target: &TableMeta,
    attributes: &[&str],
    value: &AttributeValue,
) -> Option<Item> {
    let mut fields = bound_fields(attributes, value);
    if target.single_table.is_none() {
        return Some(fields);
    }
    target.render_keys(&mut fields).ok()?;
    target.key_of(&fields).ok()
}

/// The relations a round reads, `field (Model)`, for its span; empty when
/// no subscriber wants round spans (nothing is formatted then).
pub(super) fn round_relations(root: bool, tasks: &[Task<'_>]) -> String {
    if !crate::trace::rounds_enabled() {
        return String::new();
    }
    let mut names: Vec<String> = Vec::new();
    if root {
        names.push("root".to_owned());
    }
    for task in tasks {
        match task {
            Task::Values(spec, _) | Task::Scan(spec, _) => {
                names.push(format!("{} ({})", spec.field, spec.target.model));
            }
            Task::Nested(by, _) => names.push(format!(
                "{} ({}, by grandparent)",
                by.node.field, by.node.target.model
            )),
        }
    }
    names.join(", ")
}

/// One Query or Scan of a round, owning everything it needs.
pub(super) struct ReadJob {
    pub(super) node: usize,
    /// The join value queried, `None` for a whole-table Scan.
    pub(super) value: Option<KeyId>,
    /// For a Scan: the join values whose children are kept (`None`: all).
    pub(super) wanted: Option<HashSet<KeyId>>,
    pub(super) spec: ReadSpec,
    pub(super) limit: Option<usize>,
}

/// Runs one round: every BatchGetItem lookup merged into the fewest calls,
/// every Query and Scan concurrently (bounded).
pub(super) async fn run_tasks(db: &Dynamite, tasks: Vec<Task<'_>>) -> Result<Vec<(usize, Groups)>> {
    let mut nodes: HashMap<usize, &NodeSpec> = HashMap::new();
    let mut batch: Vec<(&NodeSpec, Vec<AttributeValue>)> = Vec::new();
    let mut jobs: Vec<ReadJob> = Vec::new();
    for task in tasks {
        match task {
            Task::Values(node, values) if node.is_batch() => batch.push((node, values)),
            Task::Values(node, values) => {
                nodes.insert(node.id, node);
                if let NodeAccess::Partition(read) = node.access {
                    jobs.extend(partition_jobs(node, read, values));
                    continue;
                }
                let NodeAccess::Index { name, sort } = &node.access else {
                    continue;
                };
                let mut index_keys = vec![node.child_attr];
                index_keys.extend(*sort);
                for value in values {
                    let key_condition = Node::Compare {
                        path: node.child_attr,
                        op: CompareOp::Eq,
                        value: Ok(value.clone()),
                    };
                    let belongs_to = node.kind == RelationKind::BelongsTo;
                    // The index's own keys cannot be in a FilterExpression.
                    let (filter, residual) = if belongs_to {
                        (None, None)
                    } else {
                        split_for_index(node.filter.clone(), &index_keys)
                    };
                    jobs.push(ReadJob {
                        node: node.id,
                        value: value_key(&value),
                        wanted: None,
                        spec: per_value_spec(
                            node,
                            Some(name.clone()),
                            Some(key_condition),
                            filter,
                            residual,
                        ),
                        limit: if belongs_to { Some(1) } else { node.limit },
                    });
                }
            }
            Task::Nested(by, values) => {
                nodes.insert(by.node.id, by.node);
                jobs.extend(by.jobs(&values));
            }
            Task::Scan(node, wanted) => {
                nodes.insert(node.id, node);
                jobs.push(ReadJob {
                    node: node.id,
                    value: None,
                    wanted: wanted.map(|values| values.iter().filter_map(value_key).collect()),
                    spec: ReadSpec {
                        table: node.table.clone(),
                        index: None,
                        key_condition: None,
                        filter: node.filter.clone(),
                        residual: None,
                        projection: node.projection.clone(),
                        forward: true,
                        consistent: false,
                        count_only: false,
                        segment: None,
                    },
                    limit: None,
                });
            }
        }
    }

    let reads: Vec<_> = jobs
        .into_iter()
        .map(|job| async move {
            let table = job.spec.table.clone();
            let read = job.spec.render()?;
            let items = if read.is_query() {
                read.all(db, job.limit).await?
            } else {
                crate::read::run::scan_everything(db, &read, &table).await?
            };
            Ok::<_, Error>((job.node, job.value, job.wanted, items))
        })
        .collect();
    let reads_future = futures::stream::iter(reads)
        .buffer_unordered(db.concurrency())
        .collect::<Vec<_>>();
    let (batch_result, read_results) = future::join(run_batch(db, batch), reads_future).await;

    let mut out: HashMap<usize, Groups> = HashMap::new();
    for (id, groups) in batch_result? {
        out.entry(id).or_default().extend(groups);
    }
    for result in read_results {
        let (id, value, wanted, items) = result?;
        let Some(node) = nodes.get(&id) else {
            continue;
        };
        let groups = out.entry(id).or_default();
        match value {
            Some(v) => {
                let items = if node.kind == RelationKind::BelongsTo {
                    items
                        .into_iter()
                        .filter(|i| node.filter.as_ref().is_none_or(|f| eval::matches(f, i)))
                        .collect()
                } else {
                    items
                };
                groups.insert(v, items);
            }
            None => group_scanned(node, items, groups, wanted.as_ref()),
        }
    }
    Ok(out.into_iter().collect())
}

/// Splits an include filter for a Query on an index: conditions on the
/// index's key attributes go to the residual, the rest to the
/// FilterExpression.
pub(super) fn split_for_index(
    filter: Option<Node>,
    index_keys: &[&str],
) -> (Option<Node>, Option<Node>) {
    let Some(filter) = filter else {
        return (None, None);
    };
    let (server, memory): (Vec<Node>, Vec<Node>) = filter
        .conjuncts()
        .into_iter()
        .partition(|n| !eval::mentions(n, index_keys));
    (Node::all(server), Node::all(memory))
}

/// Every `belongs_to` lookup of a round, merged per table, in as few
/// BatchGetItem calls as the keys need.
pub(super) async fn run_batch(
    db: &Dynamite,
    batch: Vec<(&NodeSpec, Vec<AttributeValue>)>,
) -> Result<Vec<(usize, Groups)>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut tables: Vec<TableKeys> = Vec::new();
    for (node, values) in &batch {
        let key_names: Vec<&'static str> = node.target.key_names().collect();
        let keys = values
            .iter()
            .filter_map(|v| key_for(node.target, &node.child_attrs, v));
        match tables.iter_mut().find(|t| t.table == node.table) {
            Some(t) => {
                t.keys.extend(keys);
                t.projection = match (t.projection.take(), &node.projection) {
                    (Some(mut a), Some(b)) => {
                        for n in b {
                            if !a.contains(n) {
                                a.push(n.clone());
                            }
                        }
                        Some(a)
                    }
                    _ => None,
                };
            }
            None => tables.push(TableKeys {
                table: node.table.clone(),
                key_names,
                keys: keys.collect(),
                projection: node.projection.clone(),
                consistent: false,
            }),
        }
    }
    let found = exec::batch_get(db, tables).await?;
    let mut out = Vec::new();
    for (node, values) in batch {
        let rows = found.get(&node.table);
        let mut groups = Groups::new();
        for v in values {
            let Some(key) = key_for(node.target, &node.child_attrs, &v) else {
                continue;
            };
            let fp = key_fingerprint(&key, node.target.key_names());
            let Some(item) = rows.and_then(|r| r.get(&fp)) else {
                continue;
            };
            if node.filter.as_ref().is_none_or(|f| eval::matches(f, item))
                && let Some(k) = value_key(&v)
            {
                groups.insert(k, vec![item.clone()]);
            }
        }
        out.push((node.id, groups));
    }
    Ok(out)
}

/// The Query of one parent's children of `node` (eventually consistent,
/// in the node's order).
fn per_value_spec(
    node: &NodeSpec,
    index: Option<String>,
    key_condition: Option<Node>,
    filter: Option<Node>,
    residual: Option<Node>,
) -> ReadSpec {
    ReadSpec {
        table: node.table.clone(),
        index,
        key_condition,
        filter,
        residual,
        projection: node.projection.clone(),
        forward: node.order != Some(SortOrder::Desc),
        consistent: false,
        count_only: false,
        segment: None,
    }
}
