//! Stitching: join values, rows grouped per parent, the loaded graph.

use std::collections::{HashMap, HashSet};

use crate::model::TemplateRead;
use crate::read::SortOrder;
use crate::read::canonical::{KeyId, sort_order};
use crate::read::exec::key_fingerprint;
use crate::value::{AttributeValue, Item};

use super::Groups;
use super::spec::{NodeAccess, NodeSpec};

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
    pub(super) groups: HashMap<usize, HashMap<KeyId, Vec<Item>>>,
    pub(super) items: HashMap<usize, Vec<Item>>,
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
    pub(super) fn store(&mut self, spec: &NodeSpec, groups: HashMap<KeyId, Vec<Item>>) {
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

pub(super) fn distinct_values(items: &[Item], attributes: &[&str]) -> Vec<AttributeValue> {
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
pub(super) fn sort_prefix(read: TemplateRead, fields: &Item) -> Option<String> {
    let (text, _) = crate::template::render_prefix(read.sort?, |attribute| {
        fields.get(attribute).map(std::borrow::Cow::Borrowed)
    })
    .ok()?;
    (!text.is_empty()).then_some(text)
}

/// The fields a join value binds on the child side.
pub(super) fn bound_fields(attributes: &[&str], value: &AttributeValue) -> Item {
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

/// Groups a Scan of the child table by join value, then orders and limits
/// each group as the per-parent Query would have.
pub(super) fn group_scanned(
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
