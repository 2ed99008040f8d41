//! Include resolution: breadth-first, one round of concurrent requests per
//! level at most, fewer with key propagation.
//!
//! - `belongs_to`: distinct foreign keys -> BatchGetItem (100 keys a call,
//!   every `belongs_to` of a round in the same calls, across tables); a leaf
//!   lookup into a table that a deeper level reads too waits for that round,
//!   so both share one BatchGetItem.
//! - `has_many` / `has_one`: one Query per distinct parent on the
//!   foreign-key GSI, with the include's filter, limit and order inside it.
//! - Under an unfiltered full-table Scan, a `has_many` reads the child table
//!   with one Scan (carrying the include filter) in the same round.
//! - Key propagation: when the root filter pins the join value, the child
//!   read goes out in the same round as the root read.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use futures::{StreamExt, future};

use crate::client::{Dynamite, TableStats};
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::{RelationKind, RelationMeta, TableMeta, TemplateRead};
use crate::read::SortOrder;
use crate::read::canonical::{KeyId, sort_order};
use crate::read::eval;
use crate::read::exec::{self, ReadSpec, TableKeys, key_fingerprint};
use crate::read::plan::{Access, Plan, describe_condition};
use crate::registry::Registry;
use crate::value::{AttributeValue, Item};

/// Options of one include (filter, limit, order, projection).
#[derive(Debug, Clone, Default)]
pub(crate) struct IncludeOptions {
    pub(crate) filter: Option<Node>,
    pub(crate) limit: Option<usize>,
    pub(crate) order: Option<SortOrder>,
    pub(crate) projection: Option<Vec<&'static str>>,
}

/// How a node's rows are read.
#[derive(Debug, Clone)]
pub(crate) enum NodeAccess {
    /// By primary key (the join attribute is the target's partition key).
    BatchGet,
    /// By a GSI whose partition key is the join attribute.
    Index {
        name: String,
        sort: Option<&'static str>,
    },
    /// A shared-table target whose partition (of the table or of a GSI)
    /// the join value renders: one Query per join value, `pk = <rendered>
    /// AND begins_with(sk, <the target's sort prefix>)` (a collection).
    Partition(TemplateRead),
}

/// The untyped plan of one include.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct NodeSpec {
    pub(crate) id: usize,
    pub(crate) kind: RelationKind,
    pub(crate) field: &'static str,
    pub(crate) target: &'static TableMeta,
    pub(crate) table: String,
    /// Join attribute on the parent rows (the first of a composite join).
    pub(crate) parent_attr: &'static str,
    /// Join attribute on the child rows (the first of a composite join).
    pub(crate) child_attr: &'static str,
    /// Every join attribute on the parent rows (one, or a composite
    /// foreign key's, in order); the join value of a row is
    /// [`join_value`] of them.
    pub(crate) parent_attrs: Vec<&'static str>,
    /// The matching attributes on the child rows.
    pub(crate) child_attrs: Vec<&'static str>,
    pub(crate) access: NodeAccess,
    pub(crate) filter: Option<Node>,
    pub(crate) limit: Option<usize>,
    pub(crate) order: Option<SortOrder>,
    /// Attributes fetched (`None`: all).
    pub(crate) projection: Option<Vec<String>>,
    /// Attributes left on the children (`None`: all).
    pub(crate) keep: Option<Vec<String>>,
    pub(crate) children: Vec<NodeSpec>,
    /// One target of a polymorphic `belongs_to`: only the parents whose
    /// type attribute holds this value are joined.
    pub(crate) parent_type: Option<(&'static str, AttributeValue)>,
    /// The far node of a many-to-many (`has_many(through = ..)`): read for
    /// every parent of the round at once, then per parent (of the junction
    /// node above it) made distinct, ordered by key and limited here.
    pub(crate) per_parent: Option<PerParent>,
}

/// The order and limit a many-to-many applies to each parent's far rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PerParent {
    pub(crate) order: Option<SortOrder>,
    pub(crate) limit: Option<usize>,
}

impl NodeSpec {
    pub(crate) fn new(
        registry: &Registry,
        id: usize,
        owner: &'static TableMeta,
        relation: &'static RelationMeta,
        options: &IncludeOptions,
        children: Vec<NodeSpec>,
    ) -> Result<NodeSpec> {
        let target = (relation.target)();
        let registered = registry.by_meta(target)?;
        let pairs = relation.joins(owner).ok_or_else(|| {
            Error::Config(format!(
                "relation `{}.{}`: its keys are not persisted fields (or a composite foreign \
                 key does not match the referenced key field by field)",
                owner.model, relation.field
            ))
        })?;
        let parent_attrs: Vec<&'static str> = pairs.iter().map(|(p, _)| *p).collect();
        let child_attrs: Vec<&'static str> = pairs.iter().map(|(_, c)| *c).collect();
        let (parent_attr, child_attr) = pairs[0];
        if let Some((path, e)) = options.filter.as_ref().and_then(Node::first_error) {
            return Err(Error::InvalidValue {
                attribute: format!("{}.{path}", target.model),
                reason: e.to_string(),
            });
        }
        let by_index = || {
            registered
                .indexes
                .iter()
                .find(|i| crate::registry::reads_children(target, i, child_attr))
                .map(|i| NodeAccess::Index {
                    name: i.name.clone(),
                    sort: i.sort_key.map(|k| k.name),
                })
        };
        let access = match relation.kind {
            RelationKind::BelongsTo if joins_on_whole_key(target, &child_attrs) => {
                NodeAccess::BatchGet
            }
            _ => match target.template_reading(&child_attrs) {
                Some(read) => NodeAccess::Partition(read),
                None if child_attrs.len() > 1 => {
                    return Err(Error::Config(format!(
                        "relation `{}.{}`: a composite foreign key must render the partition \
                         of `{}` (its `pk` template, or a GSI's)",
                        owner.model, relation.field, target.model
                    )));
                }
                None => by_index().ok_or_else(|| {
                    Error::Config(format!(
                        "relation `{}.{}`: `{}` has no index on `{child_attr}`",
                        owner.model, relation.field, target.model
                    ))
                })?,
            },
        };
        // Includes skip soft-deleted rows at every level.
        let filter =
            crate::read::and_filter(options.filter.clone(), crate::read::live_only(target));
        // A projected child shows the listed attributes and its keys; the
        // read fetches also what the engine reads: join and sort
        // attributes, the nested includes' join and type attributes, what
        // the filter reads (soft delete, TTL, entity type and the user's
        // conditions are evaluated in memory on some paths), and, when
        // nested includes are attached to it, the model's required fields.
        let keep = options.projection.as_ref().map(|listed| {
            let mut names: Vec<String> = Vec::new();
            listed.iter().for_each(|n| add_name(&mut names, n));
            target.key_names().for_each(|n| add_name(&mut names, n));
            // A shared-table model's key is its key fields.
            target
                .single_table
                .iter()
                .flat_map(|layout| layout.key_fields.iter())
                .for_each(|n| add_name(&mut names, n));
            names
        });
        let projection = keep.as_ref().map(|keep| {
            let mut names = keep.clone();
            engine_attributes(target, &child_attrs, &access, &filter, &children)
                .into_iter()
                .for_each(|n| add_name(&mut names, n));
            names
        });
        let limit = match relation.kind {
            RelationKind::HasOne => Some(options.limit.unwrap_or(1).min(1)),
            _ => options.limit,
        };
        Ok(NodeSpec {
            id,
            kind: relation.kind,
            field: relation.field,
            target,
            table: registered.table_name.clone(),
            parent_attr,
            child_attr,
            parent_attrs,
            child_attrs,
            access,
            // Includes skip soft-deleted rows at every level.
            filter,
            limit,
            order: options.order,
            projection,
            keep,
            children,
            parent_type: None,
            per_parent: None,
        })
    }

    /// Whether `parent` is joined by this node (its type attribute, for a
    /// polymorphic target).
    pub(crate) fn joins_parent(&self, parent: &Item) -> bool {
        self.parent_type
            .as_ref()
            .is_none_or(|(attribute, value)| parent.get(*attribute) == Some(value))
    }

    /// The distinct join values of the parents this node joins.
    fn values_of(&self, parents: &[Item]) -> Vec<AttributeValue> {
        match self.parent_type {
            None => distinct_values(parents, &self.parent_attrs),
            Some(_) => {
                let mine: Vec<Item> = parents
                    .iter()
                    .filter(|p| self.joins_parent(p))
                    .cloned()
                    .collect();
                distinct_values(&mine, &self.parent_attrs)
            }
        }
    }

    fn walk<'a>(&'a self, out: &mut Vec<&'a NodeSpec>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }

    fn is_batch(&self) -> bool {
        matches!(self.access, NodeAccess::BatchGet)
    }
}

fn add_name(names: &mut Vec<String>, name: &str) {
    if !names.iter().any(|x| x == name) {
        names.push(name.to_owned());
    }
}

/// What the engine reads on a node's rows besides what the user listed:
/// the join attributes, the sort attribute children are ordered by, the
/// join and type attributes of the includes nested under it, what its
/// filter reads, and (when nested includes are attached to a row built
/// from it) the model's required fields.
fn engine_attributes(
    target: &TableMeta,
    child_attrs: &[&'static str],
    access: &NodeAccess,
    filter: &Option<Node>,
    children: &[NodeSpec],
) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = child_attrs.to_vec();
    match access {
        NodeAccess::Index { sort: Some(s), .. } => names.push(s),
        NodeAccess::Partition(read) => {
            names.push(read.partition_key);
            names.extend(read.sort_key);
        }
        _ => {}
    }
    for child in children {
        names.extend(&child.parent_attrs);
        names.extend(child.parent_type.as_ref().map(|(a, _)| *a));
    }
    if let Some(f) = filter {
        eval::attributes(f, &mut names);
    }
    if !children.is_empty() {
        names.extend(
            target
                .attributes
                .iter()
                .filter(|a| !a.optional)
                .map(|a| a.name),
        );
    }
    names
}

/// The Queries of a [`NodeAccess::Partition`] include: per join value, the
/// child's partition, narrowed to the child's rows by its sort prefix. A
/// value the template refuses (a `#` inside) matches no row: no Query.
fn partition_jobs(
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
            spec: ReadSpec {
                table: node.table.clone(),
                index: read.index.map(str::to_owned),
                key_condition: Node::all(parts),
                filter: node.filter.clone(),
                residual: None,
                projection: node.projection.clone(),
                forward: node.order != Some(SortOrder::Desc),
                consistent: false,
                count_only: false,
                segment: None,
            },
            limit: if belongs_to { Some(1) } else { node.limit },
        });
    }
    jobs
}

/// A GetItem of a shared-table row fused with the collections of its own
/// partition: one Query `pk = <the row's partition> AND sk BETWEEN lo AND
/// hi` covering the row's sort key and every collection's prefix, split by
/// entity type in memory ("user + orders" is one request).
struct FusedPartition<'a> {
    key_condition: Node,
    key: Item,
    /// The partition read (`USER#u1`).
    partition: String,
    nodes: Vec<&'a NodeSpec>,
    /// Nested collections of the same table whose rows may live in this
    /// partition (an order's items in its user's), with their parent node:
    /// taken from the Query when every parent's join value renders this
    /// partition, else read in their own round as usual.
    nested: Vec<(&'a NodeSpec, usize)>,
}

/// Whether a partition read of `node` reads the root's table by its own
/// key attributes, whole items: it can share the root's Query.
fn reads_root_keys(node: &NodeSpec, read: TemplateRead, plan: &Plan) -> bool {
    read.index.is_none()
        && node.table == plan.table
        && node.projection.is_none()
        && plan.table_keys.first() == Some(&read.partition_key)
        && plan.table_keys.get(1).copied() == read.sort_key
}

/// Takes out of `tasks` the collections that can ride on the root's GetItem.
fn fuse_partition<'a>(plan: &Plan, tasks: &mut Vec<Task<'a>>) -> Option<FusedPartition<'a>> {
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
    async fn read(&self, db: &Dynamite, plan: &Plan) -> Result<(Vec<Item>, Vec<(usize, Groups)>)> {
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
            let mine: Vec<Item> = items
                .iter()
                .filter(|i| node.filter.as_ref().is_none_or(|f| eval::matches(f, i)))
                .cloned()
                .collect();
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
            let mine: Vec<Item> = items
                .iter()
                .filter(|i| node.filter.as_ref().is_none_or(|f| eval::matches(f, i)))
                .cloned()
                .collect();
            let mut groups = Groups::new();
            group_scanned(node, mine, &mut groups, Some(&wanted));
            results.push((node.id, groups));
        }
        Ok((roots, results))
    }
}

/// Whether `attribute` alone is the whole key of `target`: its partition
/// key (no sort key), or the one field a shared-table model's key is
/// rendered from.
fn joins_on_whole_key(target: &TableMeta, attributes: &[&str]) -> bool {
    match (target.single_table, attributes) {
        (Some(layout), _) => layout.key_fields == attributes,
        (None, [one]) => *one == target.partition_key.name && target.sort_key.is_none(),
        (None, _) => false,
    }
}

/// The key item of the `target` row whose `attribute` (its whole key, see
/// [`joins_on_whole_key`]) is `value`; `None` when no key can hold it (a
/// value a key template refuses matches no row).
fn key_for(target: &TableMeta, attributes: &[&str], value: &AttributeValue) -> Option<Item> {
    let mut fields = bound_fields(attributes, value);
    if target.single_table.is_none() {
        return Some(fields);
    }
    target.render_keys(&mut fields).ok()?;
    target.key_of(&fields).ok()
}

/// A join value as a map key (canonical: `1` and `1.0` join alike).
pub(crate) fn value_key(value: &AttributeValue) -> Option<KeyId> {
    match value {
        AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_) => {
            Some(KeyId::value(value))
        }
        // A composite join value: every part must be a key value.
        AttributeValue::L(parts) if parts.iter().all(|p| value_key(p).is_some()) => {
            Some(KeyId::value(value))
        }
        _ => None,
    }
}

/// Rows loaded for every include node, grouped by join value.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct Loaded {
    groups: HashMap<usize, HashMap<KeyId, Vec<Item>>>,
    items: HashMap<usize, Vec<Item>>,
    /// Rounds of requests the load took.
    pub(crate) rounds: usize,
}

impl Loaded {
    /// The children of `parent` for include `spec`.
    pub(crate) fn children_of<'a>(&'a self, spec: &NodeSpec, parent: &Item) -> &'a [Item] {
        if !spec.joins_parent(parent) {
            return &[];
        }
        join_value(parent, &spec.parent_attrs)
            .as_ref()
            .and_then(value_key)
            .and_then(|k| self.groups.get(&spec.id)?.get(&k))
            .map_or(&[], Vec::as_slice)
    }

    /// The far rows of `parent` through a many-to-many: its junction rows
    /// (`near`), then their far rows (`far`): distinct, in the far model's
    /// key order (reversed by `order(Desc)`), at most `limit`.
    pub(crate) fn far_rows<'a>(
        &'a self,
        near: &NodeSpec,
        far: &NodeSpec,
        parent: &Item,
    ) -> Vec<&'a Item> {
        let mut seen = HashSet::new();
        let mut items: Vec<&Item> = Vec::new();
        for junction in self.children_of(near, parent) {
            for item in self.children_of(far, junction) {
                if seen.insert(key_fingerprint(item, far.target.key_names())) {
                    items.push(item);
                }
            }
        }
        items.sort_by(|a, b| {
            far.target
                .key_names()
                .map(|k| sort_order(a.get(k), b.get(k)))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let per = far.per_parent;
        if per.is_some_and(|p| p.order == Some(SortOrder::Desc)) {
            items.reverse();
        }
        if let Some(limit) = per.and_then(|p| p.limit) {
            items.truncate(limit);
        }
        items
    }

    /// Stores a node's rows as fetched: the next level joins on them; what
    /// a projected child shows is cut when it is built ([`NodeSpec::keep`]).
    fn store(&mut self, spec: &NodeSpec, groups: HashMap<KeyId, Vec<Item>>) {
        let flat = self.items.entry(spec.id).or_default();
        let mut seen = HashSet::new();
        for rows in groups.values() {
            for row in rows {
                if seen.insert(key_fingerprint(row, spec.target.key_names())) {
                    flat.push(row.clone());
                }
            }
        }
        self.groups.entry(spec.id).or_default().extend(groups);
    }
}

/// What one node reads in a round.
#[derive(Debug)]
enum Task<'a> {
    /// Rows whose join attribute holds one of these values.
    Values(&'a NodeSpec, Vec<AttributeValue>),
    /// The whole child table (one Scan with the include filter), keeping
    /// the children of these parent values (`None`: decided later).
    Scan(&'a NodeSpec, Option<Vec<AttributeValue>>),
}

/// A per-parent Query costs at least one read unit (4 KB read); one Scan
/// of the child table reads each of its bytes once.
const READ_UNIT_BYTES: f64 = 4096.0;

/// The cost rule: one Scan of the child table costs less than one Query
/// per parent when there are more parents than one wave of concurrent
/// Queries and the child table is no larger than what those Queries would
/// read at the least (one read unit each). Only `has_many` / `has_one`
/// levels read by index qualify.
fn scan_is_cheaper(node: &NodeSpec, parents: f64, child: TableStats, concurrency: usize) -> bool {
    node.kind != RelationKind::BelongsTo
        && !node.is_batch()
        && parents > concurrency as f64
        && (child.bytes as f64) <= parents * READ_UNIT_BYTES
}

/// [`scan_is_cheaper`] with the child table's statistics (fetched, cached);
/// without statistics, Queries.
async fn child_scan_cheaper(db: &Dynamite, node: &NodeSpec, parents: f64) -> bool {
    if node.kind == RelationKind::BelongsTo || node.is_batch() || parents <= db.concurrency() as f64
    {
        return false;
    }
    exec::table_stats(db, &node.table)
        .await
        .is_some_and(|child| scan_is_cheaper(node, parents, child, db.concurrency()))
}

/// Whether a root read reads its whole table (an unlimited Scan).
fn reads_whole_table(plan: &Plan) -> bool {
    matches!(plan.access, Access::Scan) && plan.limit.is_none() && plan.offset == 0
}

/// How many rows a root read is expected to keep when it reads a whole
/// table (an unlimited Scan of a table of `stats`): the item count times
/// the filter's estimated selectivity. `None` for any other read.
fn expected_roots(plan: &Plan, stats: Option<TableStats>) -> Option<f64> {
    if !reads_whole_table(plan) {
        return None;
    }
    let kept = plan
        .filter
        .as_ref()
        .map_or(1.0, |f| crate::read::plan::selectivity(f, plan.deleted_at));
    Some(stats?.items as f64 * kept)
}

fn distinct_values(items: &[Item], attributes: &[&str]) -> Vec<AttributeValue> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter_map(|i| join_value(i, attributes))
        .filter(|v| value_key(v).is_some_and(|k| seen.insert(k)))
        .collect()
}

/// A row's join value: the attribute's value, or for a composite join the
/// list of its attributes' values (`None` when one is missing).
pub(crate) fn join_value(item: &Item, attributes: &[&str]) -> Option<AttributeValue> {
    match attributes {
        [one] => item.get(*one).cloned(),
        many => many
            .iter()
            .map(|a| item.get(*a).cloned())
            .collect::<Option<Vec<_>>>()
            .map(AttributeValue::L),
    }
}

/// The text a target's sort key starts with in a partition read: the sort
/// template rendered up to its first field the join does not bind (its
/// literal prefix at least: `"ITEM#o1#"` for `"ITEM#{order_id}#{id}"` with
/// `order_id` bound). `None` when that is empty.
fn sort_prefix(read: TemplateRead, fields: &Item) -> Option<String> {
    let (text, _) = crate::template::render_prefix(read.sort?, |attribute| {
        fields.get(attribute).map(std::borrow::Cow::Borrowed)
    })
    .ok()?;
    (!text.is_empty()).then_some(text)
}

/// The fields a join value binds on the child side.
fn bound_fields(attributes: &[&str], value: &AttributeValue) -> Item {
    match (attributes, value) {
        ([one], v) => Item::from([((*one).to_owned(), v.clone())]),
        (many, AttributeValue::L(values)) => many
            .iter()
            .zip(values)
            .map(|(a, v)| ((*a).to_owned(), v.clone()))
            .collect(),
        _ => Item::new(),
    }
}

/// Values of `attribute` pinned by the root read (key, key condition, or
/// an `eq` / `is_in` conjunct of the filter).
fn pinned_values(plan: &Plan, spec: &NodeSpec) -> Option<Vec<AttributeValue>> {
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
fn assign_rounds(specs: &[NodeSpec], early: &HashSet<usize>) -> HashMap<usize, usize> {
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

/// Loads the includes of rows already read (lazy loading, pages, streams).
pub(crate) async fn load_for(
    db: &Dynamite,
    parents: &[Item],
    specs: &[NodeSpec],
) -> Result<Loaded> {
    let (_, loaded) = run(db, None, parents.to_vec(), specs).await?;
    Ok(loaded)
}

/// Reads the root rows of `plan` and every include, round by round.
pub(crate) async fn load(
    db: &Dynamite,
    plan: &Plan,
    specs: &[NodeSpec],
) -> Result<(Vec<Item>, Loaded)> {
    run(db, Some(plan), Vec::new(), specs).await
}

async fn run(
    db: &Dynamite,
    plan: Option<&Plan>,
    roots: Vec<Item>,
    specs: &[NodeSpec],
) -> Result<(Vec<Item>, Loaded)> {
    // Level-1 reads that need no root row.
    let mut early_tasks: Vec<Task<'_>> = Vec::new();
    let mut early = HashSet::new();
    let mut scanned_early = HashSet::new();
    if let Some(plan) = plan {
        let expected = match reads_whole_table(plan) {
            true => expected_roots(plan, exec::table_stats(db, &plan.table).await),
            false => None,
        };
        for spec in specs {
            let scan = match expected {
                Some(parents) => child_scan_cheaper(db, spec, parents).await,
                None => false,
            };
            if scan {
                early.insert(spec.id);
                scanned_early.insert(spec.id);
                early_tasks.push(Task::Scan(spec, None));
            } else if let Some(values) = pinned_values(plan, spec)
                && plan.limit.is_none_or(|l| values.len() <= l)
            {
                early.insert(spec.id);
                if child_scan_cheaper(db, spec, values.len() as f64).await {
                    early_tasks.push(Task::Scan(spec, Some(values)));
                } else {
                    early_tasks.push(Task::Values(spec, values));
                }
            }
        }
    }
    let rounds = assign_rounds(specs, &early);
    let last_round = rounds.values().copied().max().unwrap_or(0);
    let mut loaded = Loaded::default();
    let mut all = Vec::new();
    specs.iter().for_each(|s| s.walk(&mut all));
    let by_id: HashMap<usize, &NodeSpec> = all.iter().map(|n| (n.id, *n)).collect();
    let store = |loaded: &mut Loaded, results: Vec<(usize, Groups)>| {
        for (id, groups) in results {
            if let Some(spec) = by_id.get(&id) {
                loaded.store(spec, groups);
            }
        }
    };

    // Round 0: the root read with the early include reads; a shared-table
    // row and collections of its own partition are one Query.
    let fused = plan.and_then(|plan| fuse_partition(plan, &mut early_tasks));
    // Nested collections the fused Query loaded are not read again.
    let mut fused_loaded: HashSet<usize> = HashSet::new();
    let roots = match plan {
        Some(plan) => {
            let root_read = async {
                match &fused {
                    Some(fused) => fused.read(db, plan).await,
                    None => crate::read::run::fetch(db, plan)
                        .await
                        .map(|root| (root, Vec::new())),
                }
            };
            let relations = round_relations(true, &early_tasks);
            let reads = 1 + early_tasks.len();
            let (root, early_results) = crate::trace::round(
                1,
                reads,
                &relations,
                future::join(root_read, run_tasks(db, early_tasks)),
            )
            .await;
            let (root, fused_results) = root?;
            let mut early_results = early_results?;
            fused_loaded.extend(fused_results.iter().map(|(id, _)| *id));
            early_results.extend(fused_results);
            // The child Scan read every parent's children: keep the rows'.
            for (id, groups) in &mut early_results {
                if let Some(spec) = by_id.get(id).filter(|s| scanned_early.contains(&s.id)) {
                    let wanted: HashSet<KeyId> = distinct_values(&root, &spec.parent_attrs)
                        .iter()
                        .filter_map(value_key)
                        .collect();
                    groups.retain(|k, _| wanted.contains(k));
                }
            }
            store(&mut loaded, early_results);
            loaded.rounds += 1;
            root
        }
        None => roots,
    };

    let parent_of: HashMap<usize, Option<usize>> = {
        let mut m = HashMap::new();
        fn visit(spec: &NodeSpec, parent: Option<usize>, m: &mut HashMap<usize, Option<usize>>) {
            m.insert(spec.id, parent);
            for c in &spec.children {
                visit(c, Some(spec.id), m);
            }
        }
        specs.iter().for_each(|s| visit(s, None, &mut m));
        m
    };
    for round in 1..=last_round {
        let mut tasks = Vec::new();
        for node in all.iter().filter(|n| {
            rounds.get(&n.id) == Some(&round)
                && !early.contains(&n.id)
                && !fused_loaded.contains(&n.id)
        }) {
            let parent = parent_of.get(&node.id).copied().flatten();
            let parents: &[Item] = match parent {
                Some(p) => loaded.items.get(&p).map_or(&[], Vec::as_slice),
                None => &roots,
            };
            // Under a many-to-many with a limit, only the far rows kept.
            let kept: Vec<Item>;
            let parents = match parent.and_then(|p| by_id.get(&p)) {
                Some(far) if far.per_parent.is_some_and(|p| p.limit.is_some()) => {
                    let near = parent_of.get(&far.id).copied().flatten();
                    let grandparents: &[Item] =
                        match near.and_then(|n| parent_of.get(&n).copied().flatten()) {
                            Some(g) => loaded.items.get(&g).map_or(&[], Vec::as_slice),
                            None => &roots,
                        };
                    let mut seen = HashSet::new();
                    kept = match near.and_then(|n| by_id.get(&n)) {
                        Some(near) => grandparents
                            .iter()
                            .flat_map(|g| loaded.far_rows(near, far, g))
                            .filter(|i| seen.insert(key_fingerprint(i, far.target.key_names())))
                            .cloned()
                            .collect(),
                        None => parents.to_vec(),
                    };
                    kept.as_slice()
                }
                _ => parents,
            };
            let values = node.values_of(parents);
            if values.is_empty() {
                continue;
            }
            if child_scan_cheaper(db, node, values.len() as f64).await {
                tasks.push(Task::Scan(node, Some(values)));
            } else {
                tasks.push(Task::Values(node, values));
            }
        }
        if tasks.is_empty() {
            continue;
        }
        let relations = round_relations(false, &tasks);
        let reads = tasks.len();
        let results =
            crate::trace::round(loaded.rounds + 1, reads, &relations, run_tasks(db, tasks)).await?;
        store(&mut loaded, results);
        loaded.rounds += 1;
    }
    db.metrics().record_rounds(loaded.rounds.max(1) as u64);
    Ok((roots, loaded))
}

type Groups = HashMap<KeyId, Vec<Item>>;

/// The relations a round reads, `field (Model)`, for its span; empty when
/// no subscriber wants round spans (nothing is formatted then).
fn round_relations(root: bool, tasks: &[Task<'_>]) -> String {
    if !crate::trace::rounds_enabled() {
        return String::new();
    }
    let mut names: Vec<String> = Vec::new();
    if root {
        names.push("root".to_owned());
    }
    for task in tasks {
        let (Task::Values(spec, _) | Task::Scan(spec, _)) = task;
        names.push(format!("{} ({})", spec.field, spec.target.model));
    }
    names.join(", ")
}

/// One Query or Scan of a round, owning everything it needs.
struct ReadJob {
    node: usize,
    /// The join value queried, `None` for a whole-table Scan.
    value: Option<KeyId>,
    /// For a Scan: the join values whose children are kept (`None`: all).
    wanted: Option<HashSet<KeyId>>,
    spec: ReadSpec,
    limit: Option<usize>,
}

/// Runs one round: every BatchGetItem lookup merged into the fewest calls,
/// every Query and Scan concurrently (bounded).
async fn run_tasks(db: &Dynamite, tasks: Vec<Task<'_>>) -> Result<Vec<(usize, Groups)>> {
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
                        spec: ReadSpec {
                            table: node.table.clone(),
                            index: Some(name.clone()),
                            key_condition: Some(key_condition),
                            filter,
                            residual,
                            projection: node.projection.clone(),
                            forward: node.order != Some(SortOrder::Desc),
                            consistent: false,
                            count_only: false,
                            segment: None,
                        },
                        limit: if belongs_to { Some(1) } else { node.limit },
                    });
                }
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
fn split_for_index(filter: Option<Node>, index_keys: &[&str]) -> (Option<Node>, Option<Node>) {
    let Some(filter) = filter else {
        return (None, None);
    };
    let (server, memory): (Vec<Node>, Vec<Node>) = filter
        .conjuncts()
        .into_iter()
        .partition(|n| !eval::mentions(n, index_keys));
    (Node::all(server), Node::all(memory))
}

/// Groups a Scan of the child table by join value, then orders and limits
/// each group as the per-parent Query would have.
fn group_scanned(
    node: &NodeSpec,
    items: Vec<Item>,
    groups: &mut Groups,
    wanted: Option<&HashSet<KeyId>>,
) {
    for item in items {
        if let Some(k) = join_value(&item, &node.child_attrs)
            .as_ref()
            .and_then(value_key)
            && wanted.is_none_or(|w| w.contains(&k))
        {
            groups.entry(k).or_default().push(item);
        }
    }
    let sort_attr = match &node.access {
        NodeAccess::Index { sort: Some(s), .. } => *s,
        NodeAccess::Partition(read) => read.sort_key.unwrap_or(read.partition_key),
        _ => node.target.partition_key.name,
    };
    for rows in groups.values_mut() {
        rows.sort_by(|a, b| sort_order(a.get(sort_attr), b.get(sort_attr)));
        if node.order == Some(SortOrder::Desc) {
            rows.reverse();
        }
        if let Some(l) = node.limit {
            rows.truncate(l);
        }
    }
}

/// Every `belongs_to` lookup of a round, merged per table, in as few
/// BatchGetItem calls as the keys need.
async fn run_batch(
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

fn describe_value(value: &AttributeValue) -> String {
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
    let mut lines = Vec::new();
    for round in 0..=last {
        let mut parts = Vec::new();
        if round == 0 {
            match &fused {
                Some(fused) => {
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
                    parts.push(format!(
                        "Query {} key {} (the row and {} in one Query, split by entity type)",
                        plan.table,
                        describe_condition(&plan.table, &fused.key_condition),
                        fields.join(", ")
                    ));
                }
                None => parts.push(plan.describe()),
            }
        }
        let mut batch_tables: Vec<String> = Vec::new();
        for node in all.iter().filter(|n| {
            rounds.get(&n.id) == Some(&round)
                && !fused.as_ref().is_some_and(|f| {
                    f.nodes.iter().any(|x| x.id == n.id)
                        || f.nested.iter().any(|(x, _)| x.id == n.id)
                })
        }) {
            let mut line = if let Some(why) = scans.get(&node.id) {
                format!(
                    "Scan {} (all `{}` children, stitched on {}; {why})",
                    node.table, node.field, node.child_attr
                )
            } else {
                match &node.access {
                    NodeAccess::BatchGet => {
                        if !batch_tables.contains(&node.table) {
                            batch_tables.push(node.table.clone());
                        }
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
                        // The prefix each Query sends, rendered from the same
                        // template and bound fields, with `<field>` for values.
                        if let (Some(sort), Some(sk)) = (read.sort, read.sort_key) {
                            let prefix = crate::template::describe_prefix(sort, &node.child_attrs);
                            if !prefix.is_empty() {
                                let _ = write!(line, " key begins_with({sk}, {prefix:?})");
                            }
                        }
                        line
                    }
                }
            };
            let (server, memory) = match &node.access {
                _ if scans.contains_key(&node.id) => (node.filter.clone(), None),
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
            if !scans.contains_key(&node.id)
                && !node.is_batch()
                && node.kind != RelationKind::BelongsTo
            {
                let _ = write!(
                    line,
                    " (or one Scan of {} when over {concurrency} parents and under 4 KB of it per parent)",
                    node.table
                );
            }
            parts.push(line);
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
        if !parts.is_empty() {
            lines.push(format!("round {}: {}", round + 1, parts.join("; ")));
        }
    }
    lines
}
