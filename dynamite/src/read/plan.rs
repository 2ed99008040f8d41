//! The planner: picks the access path for a filter and splits the filter
//! into the three places a condition can be evaluated (see `docs/architecture.md`).
//!
//! 1. **Key condition**: partition `=` and ONE sort-key condition (`=`, `<`,
//!    `<=`, `>`, `>=`, `BETWEEN`, `begins_with`) on the table or index read; a full key or a
//!    key list becomes GetItem / BatchGetItem, `IN` on a partition key one
//!    Query per distinct value.
//! 2. **Server filter** (FilterExpression): conditions DynamoDB accepts
//!    there. A Query's own key attributes cannot appear in it.
//! 3. **Residual**: everything else, evaluated in memory after the read
//!    with DynamoDB's semantics ([`super::eval`]). GetItem and BatchGetItem
//!    carry no filter, so their whole filter is residual.
//!
//! Whatever the residual reads is added to the projection, and stripped
//! from the rows again before they are returned.

use std::collections::HashSet;
use std::fmt;

use super::SortOrder;
use super::canonical::{Canonical, KeyId, scalar_order};
use super::eval;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, ExpressionBuilder, Node};
use crate::mask::Show;
use crate::model::{KeyMeta, TableMeta};
use crate::registry::IndexSpec;
use crate::value::{AttributeValue, Item, ScalarType, describe_key_in, is_empty_key_value};

/// How the rows are read.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// Nothing can match (`is_in` of no values): no request at all.
    Nothing,
    Get {
        key: Item,
    },
    /// Distinct keys, in the order first given.
    BatchGet {
        keys: Vec<Item>,
    },
    Query {
        index: Option<String>,
        key_condition: Node,
        sort_key: Option<&'static str>,
    },
    /// One Query per distinct partition value (`is_in` on the partition key
    /// of the table or of an index).
    MultiQuery {
        index: Option<String>,
        partition: &'static str,
        values: Vec<AttributeValue>,
        sort_condition: Option<Node>,
        sort_key: Option<&'static str>,
    },
    Scan,
}

/// A planned read.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) table: String,
    pub(crate) access: Access,
    /// FilterExpression (Query / Scan only).
    pub(crate) filter: Option<Node>,
    /// Evaluated in memory after the read.
    pub(crate) residual: Option<Node>,
    /// ScanIndexForward of Queries.
    pub(crate) forward: bool,
    /// Sort in memory (or merge partitions) by this attribute, then by key.
    pub(crate) memory_sort: Option<(&'static str, SortOrder)>,
    pub(crate) limit: Option<usize>,
    /// Rows skipped before the first one returned.
    pub(crate) offset: usize,
    /// Attributes fetched (the user's projection widened), `None` for all.
    pub(crate) projection: Option<Vec<String>>,
    /// Attributes left on returned rows, `None` for all.
    pub(crate) keep: Option<Vec<String>>,
    pub(crate) consistent: bool,
    /// Key attributes of the table.
    pub(crate) table_keys: Vec<&'static str>,
    /// The soft-delete attribute of the model, if any.
    pub(crate) deleted_at: Option<&'static str>,
    /// Key attributes of the read (table keys, plus index keys) for cursors.
    pub(crate) cursor_keys: Vec<&'static str>,
    /// The index the filter pins, when it could not serve the read
    /// (sparse: the filter does not imply the attribute named), for
    /// `explain()`.
    pub(crate) skipped: Option<(String, &'static str)>,
}

/// What the builder asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadRequest {
    pub(crate) filter: Option<Node>,
    pub(crate) order: Option<SortOrder>,
    pub(crate) order_by: Option<(&'static str, SortOrder)>,
    pub(crate) limit: Option<usize>,
    pub(crate) offset: usize,
    pub(crate) projection: Option<Vec<&'static str>>,
    pub(crate) consistent: bool,
}

/// The conjuncts of a filter, consumed as the planner assigns them.
struct Conjuncts(Vec<Option<Node>>);

impl Conjuncts {
    fn eq(&self, name: &str) -> Option<(usize, AttributeValue)> {
        self.0.iter().enumerate().find_map(|(i, n)| match n {
            Some(Node::Compare {
                path,
                op: CompareOp::Eq,
                value: Ok(v),
            }) if *path == name => Some((i, v.clone())),
            _ => None,
        })
    }

    /// An `is_in` on `name`, its values deduplicated by canonical value.
    fn is_in(&self, name: &str) -> Option<(usize, Vec<AttributeValue>)> {
        self.0.iter().enumerate().find_map(|(i, n)| match n {
            Some(Node::In { path, values }) if *path == name && !values.is_empty() => {
                let values: Vec<AttributeValue> = values
                    .iter()
                    .filter_map(|v| v.as_ref().ok().cloned())
                    .collect();
                Some((i, distinct(values)))
            }
            _ => None,
        })
    }

    /// A condition allowed on a sort key in a KeyConditionExpression.
    fn sort_condition(&self, key: KeyMeta) -> Option<usize> {
        self.0.iter().position(|n| match n {
            Some(Node::Compare { path, op, .. }) => *path == key.name && *op != CompareOp::Ne,
            Some(Node::Between { path, .. }) => *path == key.name,
            Some(Node::BeginsWith { path, .. }) => *path == key.name && key.scalar != ScalarType::N,
            _ => false,
        })
    }

    fn take(&mut self, i: usize) -> Option<Node> {
        self.0.get_mut(i).and_then(Option::take)
    }

    fn rest(self) -> Vec<Node> {
        self.0.into_iter().flatten().collect()
    }

    /// Whether the remaining conjuncts imply that `name` is present.
    fn implies_present(&self, name: &str) -> bool {
        self.0.iter().flatten().any(|n| implies_present(n, name))
    }
}

/// Whether `node` holding implies that attribute `name` exists and is not
/// NULL (a NULL, which another program may store, renders no key: the
/// item is not in an index templated on it). `attribute_exists` holds for
/// NULL, so it proves nothing here; `is_some()` does.
fn implies_present(node: &Node, name: &str) -> bool {
    match node {
        Node::Compare { path, op, .. } => *path == name && *op != CompareOp::Ne,
        // `size(a) <> n` also holds where `a` is absent.
        Node::Size { path, op, .. } => *path == name && *op != CompareOp::Ne,
        Node::Between { path, .. }
        | Node::BeginsWith { path, .. }
        | Node::Contains { path, .. } => *path == name,
        Node::In { path, values } => *path == name && !values.is_empty(),
        Node::IsSome(p) | Node::Expired(p) => *p == name,
        Node::And(parts) => parts.iter().any(|p| implies_present(p, name)),
        Node::Or(parts) => !parts.is_empty() && parts.iter().all(|p| implies_present(p, name)),
        Node::Exists(_)
        | Node::NotExists(_)
        | Node::IsNone(_)
        | Node::Unexpired(_)
        | Node::Not(_) => false,
    }
}

/// Values deduplicated by canonical value (`1` and `1.0` are one), first
/// occurrence kept.
pub(crate) fn distinct(values: Vec<AttributeValue>) -> Vec<AttributeValue> {
    let mut seen = HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(Canonical::of(v)))
        .collect()
}

fn check_key_value(meta: &TableMeta, key: KeyMeta, value: &AttributeValue) -> Result<()> {
    if is_empty_key_value(value) {
        return Err(Error::MissingKey {
            table: meta.table_name.to_owned(),
            attribute: key.name.to_owned(),
        });
    }
    Ok(())
}

/// Refuses values that could not be converted and `between` bounds in the
/// wrong order (DynamoDB rejects them): before anything is sent.
fn check_operands(meta: &TableMeta, node: &Node) -> Result<()> {
    if let Some((path, error)) = node.first_error() {
        return Err(Error::InvalidValue {
            attribute: format!("{}.{path}", meta.model),
            reason: error.to_string(),
        });
    }
    match node {
        Node::Between {
            path,
            low: Ok(low),
            high: Ok(high),
        } if scalar_order(low, high).is_some_and(std::cmp::Ordering::is_gt) => {
            Err(Error::InvalidValue {
                attribute: format!("{}.{path}", meta.model),
                reason: "between: the low bound is greater than the high bound".to_owned(),
            })
        }
        Node::And(parts) | Node::Or(parts) => {
            parts.iter().try_for_each(|p| check_operands(meta, p))
        }
        Node::Not(inner) => check_operands(meta, inner),
        _ => Ok(()),
    }
}

/// The rows DynamoDB keeps in an index: an index may serve a read only
/// when the user's filter implies every attribute a row needs to be in it
/// (its key attributes; of an overloaded index, every field of its
/// templates, partition and sort) that a row may lack. Conditions the
/// planner renders itself prove nothing: `user` holds the filter's own
/// conjuncts only. `Err`: the first attribute not implied.
fn index_eligible(
    meta: &TableMeta,
    index: &IndexSpec,
    user: &Conjuncts,
) -> std::result::Result<(), &'static str> {
    match index
        .sparse_on(meta)
        .into_iter()
        .find(|name| !user.implies_present(name))
    {
        Some(missing) => Err(missing),
        None => Ok(()),
    }
}

/// An index whose every partition attribute the filter pins with `=`:
/// the conjuncts to take, and the key condition's partition part.
fn pinned_partition(index: &IndexSpec, conjuncts: &Conjuncts) -> Option<Vec<(usize, Node)>> {
    index
        .partition_keys()
        .map(|k| {
            conjuncts.eq(k.name).map(|(i, v)| {
                let node = Node::Compare {
                    path: k.name,
                    op: CompareOp::Eq,
                    value: Ok(v),
                };
                (i, node)
            })
        })
        .collect()
}

/// Of `candidates`, the index whose partition the filter pins with the
/// most attributes, then with the most fields (an overloaded index's
/// template fields: a literal partition, the "list of X", narrows least),
/// then the first declared; with the conjuncts to take.
fn most_pinned<'i>(
    meta: &TableMeta,
    candidates: impl Iterator<Item = &'i IndexSpec>,
    conjuncts: &Conjuncts,
) -> Option<(&'i IndexSpec, Vec<(usize, Node)>)> {
    let fields = |index: &IndexSpec| match meta
        .single_table
        .and_then(|layout| layout.indexes.iter().find(|t| t.name == index.name))
    {
        Some(template) => crate::template::fields(template.partition).count(),
        None => index.partition_keys().count(),
    };
    candidates
        .filter_map(|i| pinned_partition(i, conjuncts).map(|p| (i, p)))
        .min_by_key(|(i, p)| std::cmp::Reverse((p.len(), fields(i))))
}

/// The sort part of a key condition on `index`: `=` on a left-to-right
/// prefix of its sort attributes, then at most one range condition on the
/// next one (DynamoDB's rule for multi-attribute sort keys; for a single
/// sort key, one condition of any kind).
fn sort_conditions(index: &IndexSpec, conjuncts: &Conjuncts) -> Vec<usize> {
    let mut taken = Vec::new();
    for key in index.sort_keys() {
        if let Some((i, _)) = conjuncts.eq(key.name) {
            taken.push(i);
            continue;
        }
        taken.extend(conjuncts.sort_condition(key));
        break;
    }
    if !index.is_multi_attribute() {
        // One condition on a single sort key (an `=` if there is one).
        taken.truncate(1);
    }
    taken
}

fn key_of(pairs: &[(&'static str, &AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).clone()))
        .collect()
}

/// Plans a read of `meta`'s table (full name `table`, GSIs `indexes`).
/// For a model in a shared table: the key conditions its filter implies.
/// `user_id = "u1"` pins the partition `pk = "USER#u1"`; the sort key gets
/// `=` when every field of its template is pinned, else `begins_with` the
/// rendered text up to the first unpinned field (at least the model's
/// literal prefix). The field conditions themselves stay in the filter.
fn template_conditions(meta: &TableMeta, conjuncts: &Conjuncts) -> Result<Vec<Node>> {
    use crate::template::{Segment, render_prefix};
    use std::borrow::Cow;
    let Some(layout) = meta.single_table else {
        return Ok(Vec::new());
    };
    let invalid = |attribute: &str, e: crate::value::ValueError| Error::InvalidValue {
        attribute: format!("{}.{attribute}", meta.model),
        reason: e.to_string(),
    };
    // The text of a template up to its first unpinned field, and whether
    // every field was pinned.
    let rendered = |template: &[Segment]| -> Result<(String, bool)> {
        render_prefix(template, |attribute| {
            conjuncts.eq(attribute).map(|(_, v)| Cow::Owned(v))
        })
        .map_err(|(attribute, e)| invalid(attribute, e))
    };
    // The table's key, then each overloaded GSI's.
    let mut keys = vec![(
        layout.partition,
        layout.sort,
        meta.partition_key.name,
        meta.sort_key.map(|k| k.name),
    )];
    for template in layout.indexes {
        if let Some(index) = meta.indexes.iter().find(|i| i.name == template.name) {
            keys.push((
                template.partition,
                template.sort,
                index.partition_key.name,
                index.sort_key.map(|k| k.name),
            ));
        }
    }
    let mut implied = Vec::new();
    for (partition_template, sort_template, pk, sk) in keys {
        let (partition, complete) = rendered(partition_template)?;
        if !complete {
            continue;
        }
        implied.push(Node::Compare {
            path: pk,
            op: CompareOp::Eq,
            value: Ok(AttributeValue::S(partition)),
        });
        if let (Some(template), Some(sk)) = (sort_template, sk) {
            let (text, complete) = rendered(template)?;
            if complete {
                implied.push(Node::Compare {
                    path: sk,
                    op: CompareOp::Eq,
                    value: Ok(AttributeValue::S(text)),
                });
            } else if !text.is_empty() {
                implied.push(Node::BeginsWith {
                    path: sk,
                    value: Ok(AttributeValue::S(text)),
                });
            }
        }
    }
    Ok(implied)
}

pub(crate) fn plan(
    meta: &'static TableMeta,
    table: String,
    indexes: &[IndexSpec],
    request: &ReadRequest,
) -> Result<Plan> {
    if let Some(node) = &request.filter {
        check_operands(meta, node)?;
    }
    let mut conjuncts = Conjuncts(
        request
            .filter
            .clone()
            .map(Node::conjuncts)
            .unwrap_or_default()
            .into_iter()
            .map(Some)
            .collect(),
    );
    // Which indexes may serve the read, decided on the user's conjuncts
    // before the planner adds its own.
    let eligibility: Vec<std::result::Result<(), &'static str>> = indexes
        .iter()
        .map(|i| index_eligible(meta, i, &conjuncts))
        .collect();
    // The conditions rendered from key templates only ever become key
    // conditions: one left over is dropped (it holds for every row of the
    // read, except that a sparse index's attributes may be absent).
    let user_conjuncts = conjuncts.0.len();
    let implied = template_conditions(meta, &conjuncts)?;
    conjuncts.0.extend(implied.into_iter().map(Some));
    let pk = meta.partition_key;
    let sk = meta.sort_key;
    let table_keys: Vec<&'static str> = meta.key_names().collect();
    let mut cursor_keys = table_keys.clone();
    // Attributes a Query cannot carry in its FilterExpression.
    let mut query_keys: Vec<&'static str> = Vec::new();

    let nothing = conjuncts
        .0
        .iter()
        .flatten()
        .any(|n| matches!(n, Node::In { values, .. } if values.is_empty()));
    let pk_eq = conjuncts.eq(pk.name);
    let pk_in = conjuncts.is_in(pk.name);
    let sk_eq = sk.and_then(|s| conjuncts.eq(s.name));
    let sk_in = sk.and_then(|s| conjuncts.is_in(s.name));
    for (_, v) in pk_eq.iter() {
        check_key_value(meta, pk, v)?;
    }
    for v in pk_in.iter().flat_map(|(_, v)| v) {
        check_key_value(meta, pk, v)?;
    }
    if let Some(s) = sk {
        for v in sk_eq
            .iter()
            .map(|(_, v)| v)
            .chain(sk_in.iter().flat_map(|(_, v)| v))
        {
            check_key_value(meta, s, v)?;
        }
    }

    let partitions: Option<(usize, Vec<AttributeValue>)> =
        pk_eq.clone().map(|(i, v)| (i, vec![v])).or(pk_in.clone());
    let sorts: Option<(usize, Vec<AttributeValue>)> =
        sk_eq.clone().map(|(i, v)| (i, vec![v])).or(sk_in.clone());

    // What `order` means is decided by the filter, not by the plan: the
    // sort key of the index whose partition the filter pins (even when a
    // sparse index cannot be read and the rows are sorted in memory), else
    // the table's sort key.
    // `None`: unordered (an index without a sort key).
    // The index the filter asks for (as chosen below, were every index
    // eligible), unless it pins the table's partition.
    let asked: Option<(usize, &IndexSpec)> = if partitions.is_some() {
        None
    } else {
        most_pinned(meta, indexes.iter(), &conjuncts)
            .map(|(i, _)| i)
            .or_else(|| {
                indexes.iter().find(|i| {
                    i.more_partition_keys.is_empty()
                        && conjuncts.is_in(i.partition_key.name).is_some()
                })
            })
            .and_then(|i| {
                indexes
                    .iter()
                    .position(|x| std::ptr::eq(x, i))
                    .map(|n| (n, i))
            })
    };
    let natural_sort: Option<&'static str> = match asked {
        Some((_, index)) => index.sort_key.map(|k| k.name),
        None => Some(sk.map_or(pk.name, |s| s.name)),
    };
    // A sparse index the filter asks for but cannot read: named by
    // `explain()` with the fallback.
    let skipped = asked.and_then(|(n, index)| {
        let missing = eligibility.get(n)?.err()?;
        Some((index.name.clone(), missing))
    });

    let access = if nothing {
        Access::Nothing
    } else if let (Some((pi, pvs)), true) = (&partitions, sk.is_none() || sorts.is_some()) {
        // A full key or a key list.
        let mut keys = Vec::new();
        match (sk, &sorts) {
            (Some(s), Some((si, svs))) => {
                for pv in pvs {
                    for sv in svs {
                        keys.push(key_of(&[(pk.name, pv), (s.name, sv)]));
                    }
                }
                conjuncts.take(*si);
            }
            _ => keys.extend(pvs.iter().map(|pv| key_of(&[(pk.name, pv)]))),
        }
        conjuncts.take(*pi);
        if pk_eq.is_some() && (sk.is_none() || sk_eq.is_some()) {
            let key = keys.pop().unwrap_or_default();
            Access::Get { key }
        } else {
            Access::BatchGet { keys }
        }
    } else if let (Some((pi, pvs)), Some(s)) = (partitions, sk) {
        // Partition key(s) of a composite table: Query(s).
        query_keys = table_keys.clone();
        let sort_condition = conjuncts
            .sort_condition(s)
            .and_then(|si| conjuncts.take(si));
        conjuncts.take(pi);
        if pk_eq.is_some() {
            let mut parts = vec![Node::Compare {
                path: pk.name,
                op: CompareOp::Eq,
                value: Ok(pvs.into_iter().next().unwrap_or(AttributeValue::Null(true))),
            }];
            parts.extend(sort_condition);
            Access::Query {
                index: None,
                key_condition: Node::all(parts).unwrap_or(Node::And(Vec::new())),
                sort_key: Some(s.name),
            }
        } else {
            Access::MultiQuery {
                index: None,
                partition: pk.name,
                values: pvs,
                sort_condition,
                sort_key: Some(s.name),
            }
        }
    } else {
        let eligible: Vec<&IndexSpec> = indexes
            .iter()
            .zip(&eligibility)
            .filter(|(_, e)| e.is_ok())
            .map(|(i, _)| i)
            .collect();
        // Every partition attribute pinned with `=`: one Query (of the
        // index pinning the most attributes, the first of equals); `is_in`
        // on a single partition attribute: one Query per value.
        let chosen = most_pinned(meta, eligible.iter().copied(), &conjuncts)
            .map(|(i, p)| (i, Ok(p)))
            .or_else(|| {
                eligible.iter().find_map(|i| {
                    if !i.more_partition_keys.is_empty() {
                        return None;
                    }
                    conjuncts
                        .is_in(i.partition_key.name)
                        .map(|(pi, v)| (*i, Err((pi, v))))
                })
            });
        match chosen {
            Some((index, partition)) => {
                if request.consistent {
                    return Err(Error::ConsistentIndexRead {
                        model: meta.model,
                        index: index.name.clone(),
                    });
                }
                for key in index.key_attributes() {
                    query_keys.push(key.name);
                    cursor_keys.push(key.name);
                }
                let sorts = sort_conditions(index, &conjuncts);
                let mut sort_parts: Vec<Node> = sorts
                    .into_iter()
                    .filter_map(|i| conjuncts.take(i))
                    .collect();
                let sort_key = index.sort_key.map(|k| k.name);
                match partition {
                    Ok(pinned) => {
                        let mut parts = Vec::new();
                        for (i, node) in pinned {
                            conjuncts.take(i);
                            parts.push(node);
                        }
                        parts.append(&mut sort_parts);
                        Access::Query {
                            index: Some(index.name.clone()),
                            key_condition: Node::all(parts).unwrap_or(Node::And(Vec::new())),
                            sort_key,
                        }
                    }
                    Err((pi, values)) => {
                        conjuncts.take(pi);
                        Access::MultiQuery {
                            index: Some(index.name.clone()),
                            partition: index.partition_key.name,
                            values,
                            sort_condition: Node::all(sort_parts),
                            sort_key,
                        }
                    }
                }
            }
            None => Access::Scan,
        }
    };
    let mut seen = HashSet::new();
    cursor_keys.retain(|k| seen.insert(*k));

    // Split what is left between the FilterExpression and the residual.
    conjuncts.0.truncate(user_conjuncts);
    let rest = conjuncts.rest();
    let (filter, residual) = match &access {
        Access::Nothing | Access::Get { .. } | Access::BatchGet { .. } => (Vec::new(), rest),
        Access::Scan => (rest, Vec::new()),
        Access::Query { .. } | Access::MultiQuery { .. } => rest
            .into_iter()
            .partition(|n| !eval::mentions(n, &query_keys)),
    };
    let filter = Node::all(filter);
    let residual = Node::all(residual);

    // Ordering: natively where the read's sort key is the one asked for,
    // merged across partitions, or in memory.
    let native_sort = match &access {
        Access::Query { sort_key, .. } => Some(*sort_key),
        _ => None,
    };
    let mut forward = true;
    let mut memory_sort = None;
    match (request.order_by, request.order) {
        (Some((attribute, direction)), _) => match (&access, native_sort) {
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
        (None, Some(direction)) => match (&access, natural_sort) {
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

    let (projection, keep) = match &request.projection {
        None => (None, None),
        Some(attributes) => {
            let mut keep: Vec<String> = Vec::new();
            let add = |list: &mut Vec<String>, a: &str| {
                if !list.iter().any(|x| x == a) {
                    list.push(a.to_owned());
                }
            };
            for a in attributes.iter().chain(table_keys.iter()) {
                add(&mut keep, a);
            }
            let mut fetch = keep.clone();
            for a in &cursor_keys {
                add(&mut fetch, a);
            }
            let mut read = Vec::new();
            if let Some(r) = &residual {
                eval::attributes(r, &mut read);
            }
            read.extend(memory_sort.map(|(a, _)| a));
            for a in read {
                add(&mut fetch, a);
            }
            (Some(fetch), Some(keep))
        }
    };

    Ok(Plan {
        table,
        access,
        filter,
        residual,
        forward,
        memory_sort,
        limit: request.limit,
        offset: request.offset,
        projection,
        keep,
        consistent: request.consistent,
        table_keys,
        deleted_at: meta.deleted_at,
        skipped,
        cursor_keys,
    })
}

/// The fraction of rows a condition is expected to keep, for cost choices
/// made before a read (the usual optimiser defaults: `=` keeps 10%, a
/// range a third, `<>` 90%). The soft-delete condition `deleted_at` is
/// absent keeps 95%: deleted rows are few.
pub(crate) fn selectivity(node: &Node, deleted_at: Option<&str>) -> f64 {
    match node {
        Node::IsNone(p) | Node::NotExists(p) if Some(*p) == deleted_at => 0.95,
        Node::IsSome(p) | Node::Exists(p) if Some(*p) == deleted_at => 0.05,
        Node::Compare { op, .. } => match op {
            CompareOp::Eq => 0.1,
            CompareOp::Ne => 0.9,
            _ => 1.0 / 3.0,
        },
        Node::Between { .. } | Node::BeginsWith { .. } | Node::Contains { .. } => 0.25,
        Node::Size { .. } => 1.0 / 3.0,
        // Expired rows are few: DynamoDB deletes them within days.
        Node::Unexpired(_) => 0.95,
        Node::Expired(_) => 0.05,
        Node::In { values, .. } => (0.1 * values.len() as f64).min(1.0),
        Node::Exists(_) | Node::IsSome(_) => 0.9,
        Node::NotExists(_) | Node::IsNone(_) => 0.5,
        Node::And(parts) => parts.iter().map(|p| selectivity(p, deleted_at)).product(),
        Node::Or(parts) => {
            1.0 - parts
                .iter()
                .map(|p| 1.0 - selectivity(p, deleted_at))
                .product::<f64>()
        }
        Node::Not(inner) => 1.0 - selectivity(inner, deleted_at),
    }
}

/// The requests a query will send, from `.explain()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explain {
    /// One line per request kind, in the order they are sent.
    pub steps: Vec<String>,
}

impl Explain {
    /// The first step (the root read).
    pub fn root(&self) -> &str {
        self.steps.first().map_or("", String::as_str)
    }
}

impl fmt::Display for Explain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(step)?;
        }
        Ok(())
    }
}

/// A condition on `table` as text with its names and values resolved, for
/// `explain()`: masked, every value of a condition naming a sensitive
/// attribute of `table` reads `***`.
pub(crate) fn describe_condition(table: &str, node: &Node) -> String {
    describe_condition_as(table, node, Show::Masked)
}

fn describe_condition_as(table: &str, node: &Node, show: Show) -> String {
    let mut builder = ExpressionBuilder::new();
    match builder.render(node) {
        Ok(text) => {
            let hidden = show == Show::Masked
                && crate::mask::any_masked(&[table], builder.attribute_names());
            builder.describe(&text, hidden)
        }
        Err(e) => format!("<invalid: {e}>"),
    }
}

impl Plan {
    /// A one-line description of the root read.
    pub(crate) fn describe(&self) -> String {
        let mut line = self.describe_read(Show::Masked);
        if let Some(l) = self.limit {
            line.push_str(&format!(" limit {l}"));
        }
        if let Some((index, missing)) = &self.skipped {
            line.push_str(&format!(
                " (index {index} not read: sparse, the filter does not imply {missing} is present)"
            ));
        }
        line
    }

    fn describe_read(&self, show: Show) -> String {
        let table = self.table.as_str();
        let condition = |node: &Node| describe_condition_as(table, node, show);
        let key = |key: &Item| match show {
            Show::Masked => describe_key_in(table, key),
        };
        let mut line = match &self.access {
            Access::Nothing => format!("no request to {} (is_in of no values)", self.table),
            Access::Get { key: k } => format!("GetItem {} key {}", self.table, key(k)),
            Access::BatchGet { keys } => format!(
                "BatchGetItem {} {} key(s) in {} call(s) of up to 100",
                self.table,
                keys.len(),
                keys.len().div_ceil(100).max(1)
            ),
            Access::Query {
                index,
                key_condition,
                ..
            } => {
                let mut s = format!("Query {}", self.table);
                if let Some(i) = index {
                    s.push_str(&format!(" index {i}"));
                }
                s.push_str(&format!(" key {}", condition(key_condition)));
                s
            }
            Access::MultiQuery {
                index,
                partition,
                values,
                sort_condition,
                ..
            } => {
                let mut s = format!("Query {}", self.table);
                if let Some(i) = index {
                    s.push_str(&format!(" index {i}"));
                }
                let hidden = show == Show::Masked && crate::mask::is_masked(table, partition);
                let shown: Vec<String> = values
                    .iter()
                    .map(|v| {
                        if hidden {
                            crate::mask::MASK.to_owned()
                        } else {
                            crate::value::describe_value(v)
                        }
                    })
                    .collect();
                s.push_str(&format!(
                    " x{} ({partition} in [{}], one Query per distinct value, concurrent)",
                    values.len(),
                    shown.join(", ")
                ));
                if let Some(c) = sort_condition {
                    s.push_str(&format!(" key {}", condition(c)));
                }
                s
            }
            Access::Scan => format!("Scan {}", self.table),
        };
        if let Access::BatchGet { keys } = &self.access
            && keys.len() <= 10
        {
            let shown: Vec<String> = keys.iter().map(key).collect();
            line.push_str(&format!(" [{}]", shown.join(", ")));
        }
        if let Some(filter) = &self.filter {
            line.push_str(&format!(" filter {}", condition(filter)));
        }
        if let Some(residual) = &self.residual {
            line.push_str(&format!(" filter in memory {}", condition(residual)));
        }
        if let Some(p) = &self.projection {
            line.push_str(&format!(" project [{}]", p.join(", ")));
        }
        if matches!(
            self.access,
            Access::Query { .. } | Access::MultiQuery { .. }
        ) && !self.forward
        {
            line.push_str(" order desc");
        }
        if let Some((attribute, direction)) = self.memory_sort {
            if matches!(&self.access, Access::MultiQuery { sort_key: Some(s), .. } if *s == attribute)
            {
                line.push_str(&format!(" merged by {attribute} {}", direction.as_str()));
            } else {
                line.push_str(&format!(
                    " then sort in memory by {attribute} {} (reads every match)",
                    direction.as_str()
                ));
            }
        }
        if self.offset > 0 {
            line.push_str(&format!(" offset {} (read, then skipped)", self.offset));
        }
        if self.consistent {
            line.push_str(" consistent");
        }
        line
    }

    /// The canonical identity of a row's table key.
    pub(crate) fn key_id(&self, item: &Item) -> KeyId {
        KeyId::of(item, self.table_keys.iter().copied())
    }
}
