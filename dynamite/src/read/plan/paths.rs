//! Candidate access paths: which indexes may serve a read, what a filter
//! pins of each, and the choice of the path.

use std::collections::HashSet;

use super::Access;
use super::conjuncts::{Conjuncts, check_key_value};
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::TableMeta;
use crate::registry::IndexSpec;
use crate::value::{AttributeValue, Item};

/// The rows DynamoDB keeps in an index: an index may serve a read only
/// when the user's filter implies every attribute a row needs to be in it
/// (its key attributes; of an overloaded index, every field of its
/// templates, partition and sort) that a row may lack. Conditions the
/// planner renders itself prove nothing: `user` holds the filter's own
/// conjuncts only. `Err`: the first attribute not implied.
pub(super) fn index_eligible(
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

/// The chosen path and what the later stages need of it.
pub(super) struct Chosen {
    pub(super) access: Access,
    /// Attributes a Query cannot carry in its FilterExpression.
    pub(super) query_keys: Vec<&'static str>,
    /// Key attributes of the read for cursors.
    pub(super) cursor_keys: Vec<&'static str>,
    /// What `order` orders by; `None`: unordered.
    pub(super) natural_sort: Option<&'static str>,
    /// A sparse index the filter asks for but cannot read.
    pub(super) skipped: Option<(String, &'static str)>,
}

/// Chooses the access path and takes the conjuncts it turns into keys.
pub(super) fn choose(
    meta: &'static TableMeta,
    indexes: &[IndexSpec],
    eligibility: &[std::result::Result<(), &'static str>],
    conjuncts: &mut Conjuncts,
    consistent: bool,
) -> Result<Chosen> {
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
        most_pinned(meta, indexes.iter(), conjuncts)
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
            .zip(eligibility)
            .filter(|(_, e)| e.is_ok())
            .map(|(i, _)| i)
            .collect();
        // Every partition attribute pinned with `=`: one Query (of the
        // index pinning the most attributes, the first of equals); `is_in`
        // on a single partition attribute: one Query per value.
        let chosen = most_pinned(meta, eligible.iter().copied(), conjuncts)
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
                if consistent {
                    return Err(Error::ConsistentIndexRead {
                        model: meta.model,
                        index: index.name.clone(),
                    });
                }
                for key in index.key_attributes() {
                    query_keys.push(key.name);
                    cursor_keys.push(key.name);
                }
                let sorts = sort_conditions(index, conjuncts);
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
    Ok(Chosen {
        access,
        query_keys,
        cursor_keys,
        natural_sort,
        skipped,
    })
}
