//! Node specs: the untyped plan of one include (how its rows are read,
//! its filter, limit, order and projection).

use crate::error::{Error, Result};
use crate::expr::Node;
use crate::model::{RelationKind, RelationMeta, TableMeta, TemplateRead};
use crate::read::SortOrder;
use crate::read::eval;
use crate::registry::Registry;
use crate::value::{AttributeValue, Item};

use super::stitch::distinct_values;

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
    /// The include's filter with the conditions every read adds (not
    /// soft-deleted, not expired, this model's entity).
    pub(crate) filter: Option<Node>,
    /// Whether the level may keep rows out of its collection for good: a
    /// filter given by the user, or soft delete (a limit is
    /// [`NodeSpec::limit`]; expired TTL rows are deleted by DynamoDB soon).
    pub(crate) drops_rows: bool,
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
            drops_rows: options.filter.is_some() || target.deleted_at.is_some(),
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
    pub(super) fn values_of(&self, parents: &[Item]) -> Vec<AttributeValue> {
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

    pub(super) fn walk<'a>(&'a self, out: &mut Vec<&'a NodeSpec>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }

    pub(super) fn is_batch(&self) -> bool {
        matches!(self.access, NodeAccess::BatchGet)
    }
}

pub(super) fn add_name(names: &mut Vec<String>, name: &str) {
    if !names.iter().any(|x| x == name) {
        names.push(name.to_owned());
    }
}

/// What the engine reads on a node's rows besides what the user listed:
/// the join attributes, the sort attribute children are ordered by, the
/// join and type attributes of the includes nested under it, what its
/// filter reads, and (when nested includes are attached to a row built
/// from it) the model's required fields.
pub(super) fn engine_attributes(
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

/// Whether `attribute` alone is the whole key of `target`: its partition
/// key (no sort key), or the one field a shared-table model's key is
/// rendered from.
pub(super) fn joins_on_whole_key(target: &TableMeta, attributes: &[&str]) -> bool {
    match (target.single_table, attributes) {
        (Some(layout), _) => layout.key_fields == attributes,
        (None, [one]) => *one == target.partition_key.name && target.sort_key.is_none(),
        (None, _) => false,
    }
}
