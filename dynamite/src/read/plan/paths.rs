//! The choice of the access path: a key read when the filter pins the
//! table's full key, else the best-ranked Query path among the table's
//! partition and every eligible index (see [`Candidate::rank`]), else a
//! Scan. It depends on the filter, the request's order, hint and
//! consistency, and the declared schema only: never on table statistics.

use std::collections::HashSet;

use super::candidates::{
    Candidate, PartitionPin, SortFix, Target, index_candidate, table_candidate,
};
use super::conjuncts::{Conjuncts, check_key_value};
use super::keys::Listed;
use super::{Access, PathHint, ReadRequest};
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::TableMeta;
use crate::registry::IndexSpec;
use crate::value::{AttributeValue, Item};

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
    /// Why this path, and why not the others, for `explain()`.
    pub(super) paths: Vec<String>,
    /// A Query path whose key condition is the partition alone.
    pub(super) bare_partition: bool,
    /// The fields the key condition fixes with `=`, with their values
    /// (their own `=` conditions, left in the filter of a templated key,
    /// hold for every row read).
    pub(super) pinned: Vec<(&'static str, AttributeValue)>,
    /// The fields of a templated partition given as `is_in` lists, with
    /// their values: one Query per combination.
    pub(super) pinned_lists: Vec<(&'static str, Vec<AttributeValue>)>,
}

/// The table's full key (or key list) the filter pins with `=` / `is_in`,
/// with the conjuncts it uses; `None` when it does not pin one.
fn key_read(
    meta: &TableMeta,
    conjuncts: &mut Conjuncts,
    listed: &[(usize, Listed)],
    cap: usize,
) -> Result<Option<Access>> {
    let pk = meta.partition_key;
    let sk = meta.sort_key;
    let pk_eq = conjuncts.eq(pk.name);
    let pk_in = conjuncts.is_in(pk.name);
    let sk_eq = sk.and_then(|s| conjuncts.eq(s.name));
    let sk_in = sk.and_then(|s| conjuncts.is_in(s.name));
    for v in pk_eq
        .iter()
        .map(|(_, v)| v)
        .chain(pk_in.iter().flat_map(|(_, v)| v))
    {
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
    let partitions = pk_eq.clone().map(|(i, v)| (i, vec![v])).or(pk_in);
    let sorts = sk_eq.clone().map(|(i, v)| (i, vec![v])).or(sk_in);
    let Some((pi, pvs)) = partitions else {
        return Ok(None);
    };
    if sk.is_some() && sorts.is_none() {
        // A Query path; its own fan-out check applies.
        return Ok(None);
    }
    // The key list's requests, counted before it is built: a templated
    // partition names `over.values` partitions (only the first
    // `cap * 100 + 1` rendered).
    let over = listed.iter().find(|(i, _)| *i == pi).map(|(_, o)| *o);
    let partition_count = over.map_or(pvs.len(), |o| o.partitions(pvs.len()));
    let sort_count = sorts.as_ref().map_or(1, |(_, svs)| svs.len());
    let requests = batch_requests(partition_count.saturating_mul(sort_count));
    if requests > cap {
        let attribute = match (&over, pk_eq.is_some(), sk) {
            (Some(o), _, _) => o.attribute,
            (None, true, Some(s)) => s.name,
            _ => pk.name,
        };
        return Err(Error::FanOutLimit {
            model: meta.model,
            attribute,
            values: requests,
            limit: cap,
        });
    }
    let mut keys = Vec::new();
    match (sk, &sorts) {
        (Some(s), Some((si, svs))) => {
            for pv in &pvs {
                for sv in svs {
                    keys.push(key_of(&[(pk.name, pv), (s.name, sv)]));
                }
            }
            conjuncts.take(*si);
        }
        _ => keys.extend(pvs.iter().map(|pv| key_of(&[(pk.name, pv)]))),
    }
    conjuncts.take(pi);
    Ok(Some(
        if pk_eq.is_some() && (sk.is_none() || sk_eq.is_some()) {
            Access::Get {
                key: keys.pop().unwrap_or_default(),
            }
        } else {
            Access::BatchGet { keys }
        },
    ))
}

/// The BatchGetItem requests a list of `keys` keys takes (100 a request).
pub(super) fn batch_requests(keys: usize) -> usize {
    keys.div_ceil(crate::read::exec::BATCH_GET_LIMIT)
}

fn key_of(pairs: &[(&'static str, &AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).clone()))
        .collect()
}

/// What `order` means, decided by the filter and the schema, not by the
/// path: the table's sort key (its partition key without one), unless the
/// filter pins no table partition but an index's (the best-ranked such,
/// eligible or not), whose sort key it is then (`None`: an index without
/// one, unordered). With that index, for `explain()`.
fn order_meaning<'i>(
    meta: &TableMeta,
    indexes: &'i [IndexSpec],
    conjuncts: &Conjuncts,
) -> (Option<&'static str>, Option<(usize, &'i IndexSpec)>) {
    let table = Some(meta.sort_key.map_or(meta.partition_key.name, |s| s.name));
    if table_candidate(meta, conjuncts).is_some() {
        return (table, None);
    }
    let asked = indexes
        .iter()
        .enumerate()
        .filter_map(|(n, i)| index_candidate(meta, n, i, conjuncts))
        .max_by_key(|c| c.rank(None));
    match asked.map(|c| c.target) {
        Some(Target::Index(n, index)) => (index.sort_key.map(|k| k.name), Some((n, index))),
        _ => (table, None),
    }
}

/// The Query (or one Query per value) of a candidate, taking the
/// conjuncts its key condition uses.
fn access_of(candidate: Candidate<'_>, conjuncts: &mut Conjuncts) -> Access {
    let mut sort_parts: Vec<Node> = candidate
        .sorts
        .iter()
        .filter_map(|i| conjuncts.take(*i))
        .collect();
    let index = candidate.target.index_name().map(str::to_owned);
    match candidate.partition {
        PartitionPin::Eq(pinned) => {
            let mut parts = Vec::new();
            for (i, node) in pinned {
                conjuncts.take(i);
                parts.push(node);
            }
            parts.append(&mut sort_parts);
            Access::Query {
                index,
                key_condition: Node::all(parts).unwrap_or(Node::And(Vec::new())),
                sort_key: candidate.sort_key,
            }
        }
        PartitionPin::In {
            conjunct,
            attribute,
            values,
        } => {
            conjuncts.take(conjunct);
            Access::MultiQuery {
                index,
                partition: attribute,
                values,
                sort_condition: Node::all(sort_parts),
                sort_key: candidate.sort_key,
            }
        }
    }
}

/// Every index's verdict: a candidate, or why it is none.
fn index_verdicts<'i>(
    meta: &TableMeta,
    indexes: &'i [IndexSpec],
    eligibility: &[std::result::Result<(), &'static str>],
    conjuncts: &Conjuncts,
) -> Vec<(&'i IndexSpec, std::result::Result<Candidate<'i>, String>)> {
    indexes
        .iter()
        .enumerate()
        .map(|(n, index)| {
            let verdict = match (
                eligibility.get(n).copied().unwrap_or(Ok(())),
                index_candidate(meta, n, index, conjuncts),
            ) {
                (_, None) => Err(format!(
                    "the filter does not pin its partition ({})",
                    index
                        .partition_keys()
                        .map(|k| k.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                (Err(missing), Some(_)) => Err(format!(
                    "sparse: the filter does not imply {missing} is present"
                )),
                (Ok(()), Some(c)) => Ok(c),
            };
            (index, verdict)
        })
        .collect()
}

/// Chooses the access path and takes the conjuncts it turns into keys.
pub(super) fn choose(
    meta: &'static TableMeta,
    indexes: &[IndexSpec],
    eligibility: &[std::result::Result<(), &'static str>],
    conjuncts: &mut Conjuncts,
    listed: &[(usize, Listed)],
    request: &ReadRequest,
) -> Result<Chosen> {
    let table_keys: Vec<&'static str> = meta.key_names().collect();
    let nothing = conjuncts
        .0
        .iter()
        .flatten()
        .any(|n| matches!(n, Node::In { values, .. } if values.is_empty()));
    let (natural_sort, asked) = order_meaning(meta, indexes, conjuncts);
    // A sparse index the filter asks for but cannot read: named by
    // `explain()` with the fallback.
    let skipped = asked.and_then(|(n, index)| {
        let missing = eligibility.get(n)?.err()?;
        Some((index.name.clone(), missing))
    });
    let mut chosen = Chosen {
        access: Access::Scan,
        query_keys: Vec::new(),
        cursor_keys: table_keys.clone(),
        natural_sort,
        skipped,
        paths: Vec::new(),
        bare_partition: false,
        pinned: Vec::new(),
        pinned_lists: Vec::new(),
    };
    if nothing {
        chosen.access = Access::Nothing;
        return Ok(chosen);
    }
    let hinted_index = match &request.path {
        PathHint::Index(name) => Some(*name),
        PathHint::Any | PathHint::Table => None,
    };
    if let Some(name) = hinted_index {
        if request.consistent {
            return Err(Error::ConsistentIndexRead {
                model: meta.model,
                index: name.to_owned(),
            });
        }
    } else if let Some(access) = key_read(meta, conjuncts, listed, request.max_is_in_queries())? {
        chosen.access = access;
        chosen
            .paths
            .push("chosen: table key (the filter pins the full key)".to_owned());
        return Ok(chosen);
    }
    let order = match (request.order_by, request.order) {
        (Some((attribute, _)), _) => Some(attribute),
        (None, Some(_)) => natural_sort,
        (None, None) => None,
    };
    let (mut pool, rejected) = pool(meta, indexes, eligibility, conjuncts, request, order)?;
    pool.sort_by_key(|c| std::cmp::Reverse(c.rank(order)));
    let mut pool = pool.into_iter();
    let Some(best) = pool.next() else {
        if request.consistent
            && let Some(index) = indexes.iter().zip(eligibility).find_map(|(i, e)| {
                (e.is_ok() && index_candidate(meta, 0, i, conjuncts).is_some()).then_some(i)
            })
        {
            // Only a Scan of the table remains: the index the read needs.
            return Err(Error::ConsistentIndexRead {
                model: meta.model,
                index: index.name.clone(),
            });
        }
        chosen
            .paths
            .push("chosen: Scan (no readable path pins a partition)".to_owned());
        chosen
            .paths
            .extend(rejected.into_iter().map(|r| format!("rejected: {r}")));
        return Ok(chosen);
    };
    chosen.paths.push(format!(
        "chosen: {} ({})",
        best.target.label(),
        best.describe(order)
    ));
    for c in pool {
        chosen.paths.push(format!(
            "rejected: {} ({}; ranks lower)",
            c.target.label(),
            c.describe(order)
        ));
    }
    chosen
        .paths
        .extend(rejected.into_iter().map(|r| format!("rejected: {r}")));
    take(meta, chosen, best, table_keys, conjuncts, listed, request)
}

/// The paths the read may take (the table's partition and the eligible
/// indexes, narrowed by a hint and by consistency), and every other with
/// why it is rejected. A hinted index that cannot serve is an error.
fn pool<'i>(
    meta: &'static TableMeta,
    indexes: &'i [IndexSpec],
    eligibility: &[std::result::Result<(), &'static str>],
    conjuncts: &Conjuncts,
    request: &ReadRequest,
    order: Option<&'static str>,
) -> Result<(Vec<Candidate<'i>>, Vec<String>)> {
    let hinted_index = match &request.path {
        PathHint::Index(name) => Some(*name),
        PathHint::Any | PathHint::Table => None,
    };
    let table = table_candidate(meta, conjuncts);
    let verdicts = index_verdicts(meta, indexes, eligibility, conjuncts);
    let mut pool: Vec<Candidate<'_>> = Vec::new();
    let mut rejected: Vec<String> = Vec::new();
    match (&table, hinted_index) {
        (Some(c), None) => pool.push(c.clone()),
        (Some(c), Some(_)) => rejected.push(format!(
            "table ({}; not the index named by .index(..))",
            c.describe(order)
        )),
        (None, _) => rejected.push(format!(
            "table (the filter does not pin its partition key {})",
            meta.partition_key.name
        )),
    }
    for (index, verdict) in verdicts {
        let label = format!("index {}", index.name);
        match (verdict, hinted_index, &request.path) {
            (Err(why), Some(name), _) if name == index.name => {
                return Err(Error::IndexUnusable {
                    model: meta.model,
                    index: index.name.clone(),
                    reason: why,
                });
            }
            (Err(why), _, _) => rejected.push(format!("{label} ({why})")),
            (Ok(c), Some(name), _) if name != index.name => rejected.push(format!(
                "{label} ({}; not the index named by .index(..))",
                c.describe(order)
            )),
            (Ok(c), None, PathHint::Table) => rejected.push(format!(
                "{label} ({}; .index(IndexRef::table()) reads the table)",
                c.describe(order)
            )),
            (Ok(c), None, _) if request.consistent => rejected.push(format!(
                "{label} ({}; an index cannot be read consistently)",
                c.describe(order)
            )),
            (Ok(c), _, _) => pool.push(c),
        }
    }
    if let Some(name) = hinted_index
        && pool.is_empty()
    {
        // Not an index of the model's table.
        return Err(Error::IndexUnusable {
            model: meta.model,
            index: name.to_owned(),
            reason: "not an index of the model's table".to_owned(),
        });
    }
    Ok((pool, rejected))
}

/// Takes the best candidate: its access, key attributes, and the `is_in`
/// fan-out check.
fn take(
    meta: &'static TableMeta,
    mut chosen: Chosen,
    best: Candidate<'_>,
    table_keys: Vec<&'static str>,
    conjuncts: &mut Conjuncts,
    listed: &[(usize, Listed)],
    request: &ReadRequest,
) -> Result<Chosen> {
    match best.target {
        Target::Table => chosen.query_keys = table_keys,
        Target::Index(_, index) => {
            for key in index.key_attributes() {
                chosen.query_keys.push(key.name);
                chosen.cursor_keys.push(key.name);
            }
        }
    }
    let mut seen = HashSet::new();
    chosen.cursor_keys.retain(|k| seen.insert(*k));
    chosen.bare_partition = best.sort_fix == SortFix::Bare;
    chosen.pinned = best
        .pinned
        .iter()
        .filter_map(|f| conjuncts.eq(f).map(|(_, v)| (*f, v)))
        .collect();
    if let PartitionPin::In {
        conjunct,
        attribute,
        values,
    } = &best.partition
    {
        // One Query per partition.
        let over = listed.iter().find(|(i, _)| i == conjunct).map(|(_, o)| *o);
        let limit = request.max_is_in_queries();
        let requests = over.map_or(values.len(), |o| o.partitions(values.len()));
        if requests > limit {
            return Err(Error::FanOutLimit {
                model: meta.model,
                attribute: over.map_or(*attribute, |o| o.attribute),
                values: requests,
                limit,
            });
        }
        chosen.pinned_lists = best
            .pinned
            .iter()
            .filter(|f| conjuncts.eq(f).is_none())
            .filter_map(|f| conjuncts.is_in(f).map(|(_, v)| (*f, v)))
            .collect();
    }
    chosen.access = access_of(best, conjuncts);
    Ok(chosen)
}

/// Whether `node` is one of the conditions every read of `meta` carries
/// to show its visible rows only (soft delete, TTL, a shared table's
/// entity), which `.strict()` does not count as filtering.
pub(super) fn is_visibility(meta: &TableMeta, node: &Node) -> bool {
    match node {
        Node::IsNone(p) | Node::IsSome(p) => Some(*p) == meta.deleted_at,
        Node::Unexpired(p) => Some(*p) == meta.ttl,
        Node::Compare {
            path,
            op: CompareOp::Eq,
            ..
        } => meta
            .single_table
            .is_some_and(|layout| *path == layout.entity_attribute),
        _ => false,
    }
}
