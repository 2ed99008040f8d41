//! The planner: picks the cheapest request for a filter.
//!
//! full key `eq` -> GetItem; `is_in` on the key -> BatchGetItem; partition key
//! `eq` -> Query (sort-key conditions in the KeyConditionExpression); `eq` /
//! `is_in` on an indexed attribute -> Query on that GSI; otherwise Scan.

use std::fmt;

use super::SortOrder;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, ExpressionBuilder, Node};
use crate::model::{KeyMeta, TableMeta};
use crate::schema::IndexSpec;
use crate::value::{AttributeValue, Item, describe_key, is_empty_key_value};

/// How the rows are read.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    Get {
        key: Item,
    },
    BatchGet {
        keys: Vec<Item>,
    },
    Query {
        index: Option<String>,
        key_condition: Node,
        sort_key: Option<&'static str>,
    },
    /// One Query per partition value (`is_in` on an indexed attribute).
    MultiQuery {
        index: String,
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
    /// FilterExpression for Query/Scan; evaluated in memory after Get/BatchGet.
    pub(crate) filter: Option<Node>,
    pub(crate) forward: bool,
    /// Sort in memory by this attribute (reads every matching row first).
    pub(crate) memory_sort: Option<(&'static str, SortOrder)>,
    pub(crate) limit: Option<usize>,
    /// Attributes to fetch (keys always included), `None` for all.
    pub(crate) projection: Option<Vec<String>>,
    pub(crate) consistent: bool,
    /// Key attributes of the read (table keys, plus index keys) for cursors.
    pub(crate) cursor_keys: Vec<&'static str>,
}

/// What the builder asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadRequest {
    pub(crate) filter: Option<Node>,
    pub(crate) order: Option<SortOrder>,
    pub(crate) order_by: Option<(&'static str, SortOrder)>,
    pub(crate) limit: Option<usize>,
    pub(crate) projection: Option<Vec<&'static str>>,
    pub(crate) consistent: bool,
}

fn eq_value<'a>(parts: &'a [Node], name: &str) -> Option<(usize, &'a AttributeValue)> {
    parts.iter().enumerate().find_map(|(i, n)| match n {
        Node::Compare {
            path,
            op: CompareOp::Eq,
            value: Ok(v),
        } if *path == name => Some((i, v)),
        _ => None,
    })
}

fn in_values(parts: &[Node], name: &str) -> Option<(usize, Vec<AttributeValue>)> {
    parts.iter().enumerate().find_map(|(i, n)| match n {
        Node::In { path, values } if *path == name => values
            .iter()
            .map(|v| v.clone().ok())
            .collect::<Option<Vec<_>>>()
            .map(|v| (i, v)),
        _ => None,
    })
}

/// A condition usable on a sort key in a KeyConditionExpression.
fn sort_condition(parts: &[Node], name: &str) -> Option<usize> {
    parts.iter().position(|n| match n {
        Node::Compare { path, op, .. } => *path == name && *op != CompareOp::Ne,
        Node::Between { path, .. } | Node::BeginsWith { path, .. } => *path == name,
        _ => false,
    })
}

fn take(parts: &mut Vec<Node>, mut indexes: Vec<usize>) -> Vec<Node> {
    indexes.sort_unstable();
    indexes.dedup();
    let mut taken = Vec::new();
    for i in indexes.into_iter().rev() {
        taken.push(parts.remove(i));
    }
    taken.reverse();
    taken
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

/// Plans a read of `meta`'s table (full name `table`, GSIs `indexes`).
pub(crate) fn plan(
    meta: &'static TableMeta,
    table: String,
    indexes: &[IndexSpec],
    request: &ReadRequest,
) -> Result<Plan> {
    if let Some(node) = &request.filter
        && let Some((path, error)) = node.first_error()
    {
        return Err(Error::InvalidValue {
            attribute: format!("{}.{path}", meta.model),
            reason: error.to_string(),
        });
    }
    let mut parts = request
        .filter
        .clone()
        .map(Node::conjuncts)
        .unwrap_or_default();
    let pk = meta.partition_key;
    let sk = meta.sort_key;
    let table_keys: Vec<&'static str> = meta.key_names().collect();

    let sk_eq = sk.and_then(|s| eq_value(&parts, s.name).map(|(i, v)| (i, s, v.clone())));
    let full_key_sort = sk.is_none() || sk_eq.is_some();

    let access;
    let mut cursor_keys = table_keys.clone();
    if let (Some((pi, pv)), true) = (eq_value(&parts, pk.name), full_key_sort) {
        check_key_value(meta, pk, pv)?;
        let mut key = Item::new();
        key.insert(pk.name.to_owned(), pv.clone());
        let mut used = vec![pi];
        if let Some((si, s, v)) = &sk_eq {
            check_key_value(meta, *s, v)?;
            key.insert(s.name.to_owned(), v.clone());
            used.push(*si);
        }
        take(&mut parts, used);
        access = Access::Get { key };
    } else if let (Some((pi, values)), true) = (in_values(&parts, pk.name), full_key_sort) {
        let mut keys = Vec::with_capacity(values.len());
        let mut seen = std::collections::HashSet::new();
        for v in values {
            check_key_value(meta, pk, &v)?;
            let mut key = Item::new();
            key.insert(pk.name.to_owned(), v);
            if let Some((_, s, sv)) = &sk_eq {
                key.insert(s.name.to_owned(), sv.clone());
            }
            if seen.insert(super::exec::key_fingerprint(
                &key,
                table_keys.iter().copied(),
            )) {
                keys.push(key);
            }
        }
        let mut used = vec![pi];
        if let Some((si, _, _)) = &sk_eq {
            used.push(*si);
        }
        take(&mut parts, used);
        access = Access::BatchGet { keys };
    } else if let Some((pi, pv)) = eq_value(&parts, pk.name) {
        check_key_value(meta, pk, pv)?;
        let pv = pv.clone();
        let mut used = vec![pi];
        let mut key_parts = vec![Node::Compare {
            path: pk.name,
            op: CompareOp::Eq,
            value: Ok(pv),
        }];
        if let Some(s) = sk
            && let Some(si) = sort_condition(&parts, s.name)
        {
            used.push(si);
            key_parts.push(parts[si].clone());
        }
        take(&mut parts, used);
        access = Access::Query {
            index: None,
            key_condition: Node::all(key_parts).unwrap_or(Node::And(Vec::new())),
            sort_key: sk.map(|s| s.name),
        };
    } else {
        let mut chosen = None;
        for index in indexes {
            let ipk = index.partition_key.name;
            if let Some((pi, pv)) = eq_value(&parts, ipk) {
                let pv = pv.clone();
                let mut used = vec![pi];
                let mut key_parts = vec![Node::Compare {
                    path: ipk,
                    op: CompareOp::Eq,
                    value: Ok(pv),
                }];
                if let Some(isk) = index.sort_key
                    && let Some(si) = sort_condition(&parts, isk.name)
                {
                    used.push(si);
                    key_parts.push(parts[si].clone());
                }
                take(&mut parts, used);
                chosen = Some(Access::Query {
                    index: Some(index.name.clone()),
                    key_condition: Node::all(key_parts).unwrap_or(Node::And(Vec::new())),
                    sort_key: index.sort_key.map(|k| k.name),
                });
            } else if let Some((pi, values)) = in_values(&parts, ipk) {
                let mut used = vec![pi];
                let mut sort_condition_node = None;
                if let Some(isk) = index.sort_key
                    && let Some(si) = sort_condition(&parts, isk.name)
                {
                    used.push(si);
                    sort_condition_node = Some(parts[si].clone());
                }
                take(&mut parts, used);
                chosen = Some(Access::MultiQuery {
                    index: index.name.clone(),
                    partition: ipk,
                    values,
                    sort_condition: sort_condition_node,
                    sort_key: index.sort_key.map(|k| k.name),
                });
            }
            if chosen.is_some() {
                cursor_keys.push(ipk);
                if let Some(isk) = index.sort_key {
                    cursor_keys.push(isk.name);
                }
                break;
            }
        }
        access = chosen.unwrap_or(Access::Scan);
    }
    cursor_keys.dedup();

    // Ordering.
    let native_sort = match &access {
        Access::Query { sort_key, .. } => Some(*sort_key),
        _ => None,
    };
    let mut forward = true;
    let mut memory_sort = None;
    match (request.order_by, request.order) {
        (Some((attribute, direction)), _) => match native_sort {
            Some(Some(s)) if s == attribute => forward = direction == SortOrder::Asc,
            _ => memory_sort = Some((attribute, direction)),
        },
        (None, Some(direction)) => match (&access, native_sort) {
            (_, Some(_)) => forward = direction == SortOrder::Asc,
            (Access::Get { .. }, _) => {}
            (
                Access::MultiQuery {
                    sort_key: Some(s), ..
                },
                _,
            ) => memory_sort = Some((*s, direction)),
            _ => {
                let by = sk.map_or(pk.name, |s| s.name);
                memory_sort = Some((by, direction));
            }
        },
        (None, None) => {}
    }

    let projection = request.projection.as_ref().map(|attributes| {
        let mut list: Vec<String> = Vec::new();
        for a in attributes.iter().chain(cursor_keys.iter()) {
            if !list.iter().any(|x| x == a) {
                list.push((*a).to_owned());
            }
        }
        if let Some((attribute, _)) = memory_sort
            && !list.iter().any(|x| x == attribute)
        {
            list.push(attribute.to_owned());
        }
        list
    });

    Ok(Plan {
        table,
        access,
        filter: Node::all(parts),
        forward,
        memory_sort,
        limit: request.limit,
        projection,
        consistent: request.consistent,
        cursor_keys,
    })
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

fn describe(node: &Node) -> String {
    let mut builder = ExpressionBuilder::new();
    match builder.render(node) {
        Ok(text) => builder.describe(&text),
        Err(e) => format!("<invalid: {e}>"),
    }
}

impl Plan {
    /// A one-line description of the root read.
    pub(crate) fn describe(&self) -> String {
        let mut line = match &self.access {
            Access::Get { key } => format!("GetItem {} key {}", self.table, describe_key(key)),
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
                s.push_str(&format!(" key {}", describe(key_condition)));
                s
            }
            Access::MultiQuery {
                index,
                partition,
                values,
                sort_condition,
                ..
            } => {
                let mut s = format!(
                    "Query {} index {index} x{} ({partition} in {} values, concurrent)",
                    self.table,
                    values.len(),
                    values.len()
                );
                if let Some(c) = sort_condition {
                    s.push_str(&format!(" key {}", describe(c)));
                }
                s
            }
            Access::Scan => format!("Scan {}", self.table),
        };
        if let Some(filter) = &self.filter {
            let kind = match self.access {
                Access::Get { .. } | Access::BatchGet { .. } => "filter in memory",
                _ => "filter",
            };
            line.push_str(&format!(" {kind} {}", describe(filter)));
        }
        if let Some(p) = &self.projection {
            line.push_str(&format!(" project [{}]", p.join(", ")));
        }
        if matches!(self.access, Access::Query { .. }) && !self.forward {
            line.push_str(" order desc");
        }
        if let Some((attribute, direction)) = self.memory_sort {
            line.push_str(&format!(
                " then sort in memory by {attribute} {} (reads every match)",
                direction.as_str()
            ));
        }
        if let Some(l) = self.limit {
            line.push_str(&format!(" limit {l}"));
        }
        line
    }
}
