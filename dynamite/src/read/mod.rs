//! The read engine: planning, condition partitioning, the residual
//! evaluator, request execution, paging and cursors.
//!
//! Every read goes through it: queries (built in [`crate::query`]),
//! include levels ([`crate::include`]) and the selection of set-based
//! writes. It never imports those modules: builders describe a read as a
//! [`plan::ReadRequest`], the engine plans and runs it.
//!
//! - [`plan`] splits a filter into key condition, server filter and
//!   residual for the access path it picks (see `docs/architecture.md`);
//! - [`eval`] evaluates the residual with DynamoDB's semantics;
//! - [`canonical`] is the one hashable value form (numbers by exact
//!   decimal value) for deduplication and key matching;
//! - [`exec`] sends GetItem, BatchGetItem, Query and Scan requests;
//! - [`run`] runs a plan for every terminal, limit-aware;
//! - [`cursor`] binds a page position to the plan that made it.

pub(crate) mod canonical;
pub(crate) mod cursor;
pub(crate) mod eval;
pub(crate) mod exec;
pub(crate) mod plan;
pub(crate) mod run;

use crate::expr::Node;
use crate::model::TableMeta;

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending (newest first with time-ordered ids).
    Desc,
}

impl SortOrder {
    /// `"asc"` or `"desc"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }

    /// The other direction.
    pub(crate) fn reversed(self) -> Self {
        match self {
            SortOrder::Asc => SortOrder::Desc,
            SortOrder::Desc => SortOrder::Asc,
        }
    }
}

/// The condition keeping the rows a read shows by default: not
/// soft-deleted, this model's (in a shared table), not expired. `None`
/// when the model has none of these.
pub(crate) fn live_only(meta: &TableMeta) -> Option<Node> {
    let live = and_filter(meta.deleted_at.map(Node::IsNone), own_entity(meta));
    and_filter(live, unexpired(meta))
}

/// For a model with a `ttl` field: rows whose time has not passed.
pub(crate) fn unexpired(meta: &TableMeta) -> Option<Node> {
    meta.ttl.map(Node::Unexpired)
}

/// What a write of an existing row adds to `attribute_exists(key)`: the
/// item is this model's (in a shared table) and has not expired, so an
/// expired row is [`crate::Error::NotFound`] like a missing one.
pub(crate) fn writable_row(meta: &TableMeta) -> Option<Node> {
    and_filter(own_entity(meta), unexpired(meta))
}

/// For a model in a shared table: its items only (`entity = "Order"`),
/// evaluated wherever the planner puts it. `None` for a model with its own
/// table.
pub(crate) fn own_entity(meta: &TableMeta) -> Option<Node> {
    meta.single_table.map(|layout| layout.entity_condition())
}

/// Adds `extra` to a filter as one more conjunct (its conjuncts appended
/// to the filter's own Vec: `.filter()` called n times is O(n)).
pub(crate) fn and_filter(filter: Option<Node>, extra: Option<Node>) -> Option<Node> {
    match (filter, extra) {
        (f, None) => f,
        (None, e) => e,
        (Some(f), Some(e)) => {
            let mut parts = f.into_and_parts();
            e.push_conjuncts(&mut parts);
            Node::all(parts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::CompareOp;

    fn leaf(i: usize) -> Node {
        Node::Compare {
            path: "status",
            op: CompareOp::Ne,
            value: Ok(crate::value::AttributeValue::S(format!("v{i}"))),
        }
    }

    /// `.filter()` called n times, and `&` of n terms, append to one flat
    /// `And` (O(n) in all; `DYNAMITE_PRINT_TIMINGS=1` prints the time),
    /// nested `And`s flattened without recursion.
    #[test]
    fn regression_and_filter_appends_to_one_flat_and() {
        const N: usize = 20_000;
        let started = std::time::Instant::now();
        let mut filter = None;
        for i in 0..N {
            filter = and_filter(filter, Some(leaf(i)));
        }
        let elapsed = started.elapsed();
        if std::env::var_os("DYNAMITE_PRINT_TIMINGS").is_some() {
            eprintln!("and_filter x {N}: {elapsed:?}");
        }
        let Some(Node::And(parts)) = filter else {
            panic!("not an And");
        };
        assert_eq!(parts.len(), N);
        // `a & b & c ...` likewise (the Condition keeps one flat Vec).
        let started = std::time::Instant::now();
        let mut c = crate::expr::Condition::<()>::new(leaf(0));
        for i in 1..N {
            c = c & crate::expr::Condition::new(leaf(i));
        }
        let elapsed = started.elapsed();
        if std::env::var_os("DYNAMITE_PRINT_TIMINGS").is_some() {
            eprintln!("& x {N}: {elapsed:?}");
        }
        assert!(matches!(&c.node, Node::And(p) if p.len() == N));
        assert!(parts.iter().all(|p| matches!(p, Node::Compare { .. })));
        // Nested Ands (planner-built) flatten, in order.
        let nested = Node::And(vec![
            Node::And(vec![leaf(0), Node::And(vec![leaf(1), leaf(2)])]),
            leaf(3),
        ]);
        let flat = nested.conjuncts();
        assert_eq!(flat.len(), 4);
        let Some(Node::And(parts)) = and_filter(Some(leaf(9)), Some(Node::And(flat))) else {
            panic!("not an And");
        };
        assert_eq!(parts.len(), 5);
    }
}
