//! Expected selectivity of conditions, for cost choices made before a read.

use crate::expr::{CompareOp, Node};

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
