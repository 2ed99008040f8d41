//! The residual evaluator: a condition evaluated in memory with DynamoDB's
//! own semantics, so a filter answers the same whichever plan runs it.
//!
//! - An absent attribute, a NULL or a type mismatch makes every comparison
//!   false, except `<>`, which is then true (`NOT (a = v)`).
//! - `<`, `<=`, `>`, `>=` and `BETWEEN` order strings and binary byte by
//!   byte and numbers by decimal value; other types never compare.
//! - `begins_with` applies to strings and binary; `contains` to a string or
//!   binary (substring), a set (element of the set's type) and a list
//!   (element, numbers by value).
//! - `size` is the length of a string in UTF-16 code units, of binary in bytes,
//!   and the element count of a set, list or map; where it is undefined
//!   (absent, number, boolean, NULL) only `<>` holds.
//! - `attribute_exists` is true for a NULL; `is_none` means absent or NULL.

use std::cmp::Ordering;

use super::canonical::{same_value, scalar_order};
use crate::expr::{CompareOp, Node};
use crate::value::{AttributeValue, Item};

/// Whether `item` satisfies `node`.
pub(crate) fn matches(node: &Node, item: &Item) -> bool {
    use AttributeValue as V;
    match node {
        Node::Compare { path, op, value } => {
            let Ok(value) = value else { return false };
            let stored = item.get(*path);
            match op {
                CompareOp::Eq => stored.is_some_and(|s| same_value(s, value)),
                CompareOp::Ne => !stored.is_some_and(|s| same_value(s, value)),
                _ => stored
                    .and_then(|s| scalar_order(s, value))
                    .is_some_and(|o| holds(*op, o)),
            }
        }
        Node::Between { path, low, high } => match (item.get(*path), low, high) {
            (Some(s), Ok(l), Ok(h)) => {
                scalar_order(s, l).is_some_and(Ordering::is_ge)
                    && scalar_order(s, h).is_some_and(Ordering::is_le)
            }
            _ => false,
        },
        Node::BeginsWith { path, value } => match (item.get(*path), value) {
            (Some(V::S(s)), Ok(V::S(p))) => s.starts_with(p.as_str()),
            (Some(V::B(s)), Ok(V::B(p))) => s.as_ref().starts_with(p.as_ref()),
            _ => false,
        },
        Node::Contains { path, value } => match (item.get(*path), value) {
            (Some(V::S(s)), Ok(V::S(p))) => s.contains(p.as_str()),
            (Some(V::B(b)), Ok(V::B(p))) => contains_bytes(b.as_ref(), p.as_ref()),
            (Some(V::Ss(set)), Ok(V::S(v))) => set.contains(v),
            (Some(V::Ns(set)), Ok(v @ V::N(_))) => {
                set.iter().any(|n| same_value(&V::N(n.clone()), v))
            }
            (Some(V::Bs(set)), Ok(V::B(v))) => set.contains(v),
            (Some(V::L(list)), Ok(v)) => list.iter().any(|e| same_value(e, v)),
            _ => false,
        },
        Node::In { path, values } => item.get(*path).is_some_and(|stored| {
            values
                .iter()
                .any(|v| v.as_ref().is_ok_and(|v| same_value(stored, v)))
        }),
        Node::Exists(path) => item.contains_key(*path),
        Node::NotExists(path) => !item.contains_key(*path),
        Node::IsNone(path) => item.get(*path).is_none_or(|v| matches!(v, V::Null(_))),
        Node::IsSome(path) => item.get(*path).is_some_and(|v| !matches!(v, V::Null(_))),
        Node::Unexpired(path) => !crate::ttl::is_expired(path, item, crate::ttl::now_seconds()),
        Node::Expired(path) => crate::ttl::is_expired(path, item, crate::ttl::now_seconds()),
        // Where `size` is undefined (absent, number, boolean, NULL) the
        // comparison behaves as on an absent attribute: only `<>` holds.
        Node::Size { path, op, value } => match item.get(*path).and_then(size_of) {
            Some(size) => holds(*op, size.cmp(value)),
            None => *op == CompareOp::Ne,
        },
        Node::And(parts) => parts.iter().all(|n| matches(n, item)),
        Node::Or(parts) => parts.iter().any(|n| matches(n, item)),
        Node::Not(inner) => !matches(inner, item),
    }
}

fn holds(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord.is_eq(),
        CompareOp::Ne => ord.is_ne(),
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
    }
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// DynamoDB's `size()`: `None` where it is not defined. A string's size is
/// its length in UTF-16 code units, as DynamoDB (Local, verified) counts.
fn size_of(value: &AttributeValue) -> Option<usize> {
    Some(match value {
        AttributeValue::S(s) => s.encode_utf16().count(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        _ => return None,
    })
}

/// The attributes a condition reads.
pub(crate) fn attributes(node: &Node, out: &mut Vec<&'static str>) {
    let mut add = |p: &'static str| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    match node {
        Node::Compare { path, .. }
        | Node::Between { path, .. }
        | Node::BeginsWith { path, .. }
        | Node::Contains { path, .. }
        | Node::In { path, .. }
        | Node::Size { path, .. } => add(path),
        Node::Exists(p)
        | Node::NotExists(p)
        | Node::IsNone(p)
        | Node::IsSome(p)
        | Node::Unexpired(p)
        | Node::Expired(p) => add(p),
        Node::And(parts) | Node::Or(parts) => parts.iter().for_each(|p| attributes(p, out)),
        Node::Not(inner) => attributes(inner, out),
    }
}

/// Whether a condition reads any of `names`.
pub(crate) fn mentions(node: &Node, names: &[&str]) -> bool {
    let mut read = Vec::new();
    attributes(node, &mut read);
    read.iter().any(|a| names.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }

    fn cmp(path: &'static str, op: CompareOp, v: AttributeValue) -> Node {
        Node::Compare {
            path,
            op,
            value: Ok(v),
        }
    }

    #[test]
    fn not_equal_is_true_on_absent_null_and_other_types() {
        let ne = cmp("a", CompareOp::Ne, s("x"));
        assert!(matches(&ne, &item(&[])));
        assert!(matches(&ne, &item(&[("a", AttributeValue::Null(true))])));
        assert!(matches(&ne, &item(&[("a", n("1"))])));
        assert!(!matches(&ne, &item(&[("a", s("x"))])));
        let eq = cmp("a", CompareOp::Eq, s("x"));
        assert!(!matches(&eq, &item(&[])));
        assert!(matches(&Node::Not(Box::new(eq)), &item(&[])));
    }

    #[test]
    fn ordering_needs_the_same_scalar_type() {
        let lt = cmp("a", CompareOp::Lt, n("10"));
        assert!(matches(&lt, &item(&[("a", n("9.5"))])));
        assert!(!matches(&lt, &item(&[("a", s("1"))])));
        assert!(!matches(&lt, &item(&[])));
        assert!(!matches(
            &cmp("a", CompareOp::Le, AttributeValue::Bool(true)),
            &item(&[("a", AttributeValue::Bool(true))])
        ));
        let eq = cmp("a", CompareOp::Eq, n("1"));
        assert!(matches(&eq, &item(&[("a", n("1.0"))])));
    }

    #[test]
    fn size_contains_and_begins_with_per_type() {
        let size = Node::Size {
            path: "a",
            op: CompareOp::Eq,
            value: 2,
        };
        assert!(matches(&size, &item(&[("a", s("😀"))])));
        assert!(!matches(&size, &item(&[("a", s("é"))])));
        assert!(!matches(&size, &item(&[("a", n("12"))])));
        let size_ne = Node::Size {
            path: "a",
            op: CompareOp::Ne,
            value: 0,
        };
        assert!(matches(&size_ne, &item(&[("a", n("12"))])));
        assert!(matches(&size_ne, &item(&[])));
        assert!(matches(
            &size,
            &item(&[("a", AttributeValue::Ss(vec!["x".into(), "y".into()]))])
        ));
        let contains = Node::Contains {
            path: "a",
            value: Ok(n("2")),
        };
        assert!(matches(
            &contains,
            &item(&[("a", AttributeValue::Ns(vec!["2.0".into()]))])
        ));
        assert!(matches(
            &contains,
            &item(&[("a", AttributeValue::L(vec![n("2")]))])
        ));
        let begins = Node::BeginsWith {
            path: "a",
            value: Ok(AttributeValue::B(vec![1u8].into())),
        };
        assert!(matches(
            &begins,
            &item(&[("a", AttributeValue::B(vec![1u8, 2].into()))])
        ));
        assert!(!matches(&begins, &item(&[("a", s("\u{1}"))])));
    }
}
