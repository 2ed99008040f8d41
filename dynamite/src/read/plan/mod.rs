//! The planner: picks the access path for a filter and splits the filter
//! into the three places a condition can be evaluated (see `docs/architecture.md`).
//!
//! 1. **Key condition**: partition `=` and ONE sort-key condition (`=`, `<`,
//!    `<=`, `>`, `>=`, `BETWEEN`, `begins_with`) on the table or index read; a full key or a
//!    key list becomes GetItem / BatchGetItem, `IN` on a partition key (or
//!    on fields of a partition template) one Query per distinct partition.
//! 2. **Server filter** (FilterExpression): conditions DynamoDB accepts
//!    there. A Query's own key attributes cannot appear in it.
//! 3. **Residual**: everything else, evaluated in memory after the read
//!    with DynamoDB's semantics ([`super::eval`]). GetItem and BatchGetItem
//!    carry no filter, so their whole filter is residual.
//!
//! Whatever the residual reads is added to the projection, and stripped
//! from the rows again before they are returned.

mod candidates;
mod conjuncts;
mod describe;
mod keys;
mod paths;
mod selectivity;
mod split;

use super::SortOrder;
use crate::error::Result;
use crate::expr::Node;
use crate::model::TableMeta;
use crate::registry::IndexSpec;
use crate::value::{AttributeValue, Item};

pub use describe::Explain;
pub(crate) use describe::describe_condition;
pub(crate) use selectivity::selectivity;

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
    /// Why the path was chosen and the others rejected, for `explain()`.
    pub(crate) paths: Vec<String>,
    /// A strict read: the include levels under it never Scan either.
    pub(crate) strict: bool,
    /// The stored attributes whose values are `Sensitive` (fields, and
    /// keys rendered from them) in the rows read: never in a plain cursor.
    pub(crate) sensitive: Vec<&'static str>,
}

/// Which paths a read may take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum PathHint {
    /// The planner's choice.
    #[default]
    Any,
    /// The table's key, partition, or a Scan.
    Table,
    /// This index only.
    Index(&'static str),
}

/// Requests one `is_in` fan-out may send by default (a Query per
/// partition, a BatchGetItem per 100 keys).
pub(crate) const DEFAULT_MAX_IS_IN_QUERIES: usize = 100;

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
    /// The path forced with `Query::index`.
    pub(crate) path: PathHint,
    /// Refuse reads of a whole table or partition that filter.
    pub(crate) strict: bool,
    /// `None`: [`DEFAULT_MAX_IS_IN_QUERIES`].
    pub(crate) max_is_in_queries: Option<usize>,
}

impl ReadRequest {
    /// Requests one `is_in` fan-out may send.
    pub(crate) fn max_is_in_queries(&self) -> usize {
        self.max_is_in_queries.unwrap_or(DEFAULT_MAX_IS_IN_QUERIES)
    }
}

/// Plans a read of `meta`'s table (full name `table`, GSIs `indexes`):
/// the access path, then the split of what is left of the filter, the
/// order and the projection.
pub(crate) fn plan(
    meta: &'static TableMeta,
    table: String,
    indexes: &[IndexSpec],
    request: &ReadRequest,
) -> Result<Plan> {
    if let Some(node) = &request.filter {
        conjuncts::check_operands(meta, node)?;
    }
    let mut conjuncts = conjuncts::Conjuncts(
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
        .map(|i| candidates::index_eligible(meta, i, &conjuncts))
        .collect();
    // The conditions rendered from key templates only ever become key
    // conditions: one left over is dropped (it holds for every row of the
    // read, except that a sparse index's attributes may be absent).
    let user_conjuncts = conjuncts.0.len();
    let implied = keys::template_conditions(meta, &conjuncts, request.max_is_in_queries())?;
    let mut listed = Vec::new();
    for (node, over) in implied {
        listed.extend(over.map(|o| (conjuncts.0.len(), o)));
        conjuncts.0.push(Some(node));
    }
    conjuncts.fit_keys(meta, indexes);
    let chosen = paths::choose(
        meta,
        indexes,
        &eligibility,
        &mut conjuncts,
        &listed,
        request,
    )?;

    conjuncts.0.truncate(user_conjuncts);
    let rest = conjuncts.rest();
    if request.strict {
        strict_check(meta, &table, &chosen, &rest)?;
    }
    let (filter, residual) = split::filter(&chosen.access, rest, &chosen.query_keys);
    let (forward, memory_sort) = split::ordering(&chosen.access, request, chosen.natural_sort);
    let table_keys: Vec<&'static str> = meta.key_names().collect();
    let (projection, keep) = split::projection(
        request.projection.as_deref(),
        &table_keys,
        &chosen.cursor_keys,
        residual.as_ref(),
        memory_sort,
    );

    Ok(Plan {
        table,
        access: chosen.access,
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
        skipped: chosen.skipped,
        cursor_keys: chosen.cursor_keys,
        paths: chosen.paths,
        strict: request.strict,
        sensitive: meta.sensitive_names(),
    })
}

/// `.strict()`: refuses every Scan, and every Query whose key condition is
/// a partition alone while conditions of the filter remain (`rest`, other
/// than the visibility conditions every read carries).
fn strict_check(
    meta: &'static TableMeta,
    table: &str,
    chosen: &paths::Chosen,
    rest: &[Node],
) -> Result<()> {
    use crate::read::canonical::Canonical;
    let filters = rest.iter().any(|n| {
        let pinned = match n {
            Node::Compare {
                path,
                op: crate::expr::CompareOp::Eq,
                value: Ok(v),
            } => chosen
                .pinned
                .iter()
                .any(|(field, pinned)| field == path && Canonical::of(pinned) == Canonical::of(v)),
            // The list a templated partition was rendered from.
            Node::In { path, values } => chosen.pinned_lists.iter().any(|(field, list)| {
                let given: std::collections::HashSet<Canonical> =
                    values.iter().flatten().map(Canonical::of).collect();
                field == path && given == list.iter().map(Canonical::of).collect()
            }),
            _ => false,
        };
        !pinned && !paths::is_visibility(meta, n)
    });
    let what = match &chosen.access {
        Access::Scan => "a whole table",
        Access::Query { .. } | Access::MultiQuery { .. } if filters && chosen.bare_partition => {
            "a whole partition"
        }
        _ => return Ok(()),
    };
    let read = match &chosen.access {
        Access::Query {
            key_condition,
            index,
            ..
        } => {
            let mut s = format!("Query {table}");
            if let Some(i) = index {
                s.push_str(&format!(" index {i}"));
            }
            s.push_str(&format!(
                " key {}",
                describe_condition(table, key_condition)
            ));
            s
        }
        Access::MultiQuery {
            index, partition, ..
        } => {
            let mut s = format!("Query {table}");
            if let Some(i) = index {
                s.push_str(&format!(" index {i}"));
            }
            s.push_str(&format!(" per value of {partition}"));
            s
        }
        _ => format!("Scan {table}"),
    };
    Err(crate::error::Error::StrictRead {
        model: meta.model,
        what,
        read,
    })
}
