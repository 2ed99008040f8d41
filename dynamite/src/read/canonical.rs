//! One canonical, hashable form of a stored value.
//!
//! DynamoDB compares numbers by their decimal value (`1`, `1.0` and `10E-1`
//! are one number), sets regardless of element order, and strings and
//! binary byte by byte. [`Canonical`] has exactly that equality and a total
//! order, so it serves deduplication (`is_in` values, key lists), key
//! matching (BatchGetItem responses, include stitching) and the residual
//! evaluator alike. Numbers are never converted to `f64`: two keys that
//! differ in their 30th digit stay apart.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::plan::{Access, Plan};
use crate::expr::Node;
use crate::number::Decimal;
use crate::value::{AttributeValue, Item};

/// A stored value in canonical form: equality is DynamoDB's equality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Canonical {
    S(String),
    /// A number; text that is not a number keeps its text (never equal to
    /// a real number).
    N(Decimal),
    BadNumber(String),
    B(Vec<u8>),
    Bool(bool),
    Null,
    L(Vec<Canonical>),
    M(BTreeMap<String, Canonical>),
    Ss(BTreeSet<String>),
    Ns(BTreeSet<Decimal>),
    Bs(BTreeSet<Vec<u8>>),
    /// A type this crate does not know (the SDK's enum is non-exhaustive).
    Unknown,
}

impl Canonical {
    /// The canonical form of a value.
    pub(crate) fn of(value: &AttributeValue) -> Canonical {
        use AttributeValue as V;
        match value {
            V::S(s) => Canonical::S(s.clone()),
            V::N(n) => number(n),
            V::B(b) => Canonical::B(b.as_ref().to_vec()),
            V::Bool(b) => Canonical::Bool(*b),
            V::Null(_) => Canonical::Null,
            V::L(l) => Canonical::L(l.iter().map(Canonical::of).collect()),
            V::M(m) => Canonical::M(
                m.iter()
                    .map(|(k, v)| (k.clone(), Canonical::of(v)))
                    .collect(),
            ),
            V::Ss(s) => Canonical::Ss(s.iter().cloned().collect()),
            V::Ns(s) => match s.iter().map(|n| Decimal::parse(n)).collect() {
                Some(set) => Canonical::Ns(set),
                None => Canonical::Unknown,
            },
            V::Bs(s) => Canonical::Bs(s.iter().map(|b| b.as_ref().to_vec()).collect()),
            _ => Canonical::Unknown,
        }
    }
}

fn number(text: &str) -> Canonical {
    Decimal::parse(text).map_or_else(|| Canonical::BadNumber(text.to_owned()), Canonical::N)
}

/// Whether two values are equal by DynamoDB's rules.
pub(crate) fn same_value(a: &AttributeValue, b: &AttributeValue) -> bool {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x == y,
        (AttributeValue::N(x), AttributeValue::N(y)) => {
            x == y || matches!((Decimal::parse(x), Decimal::parse(y)), (Some(p), Some(q)) if p == q)
        }
        _ => Canonical::of(a) == Canonical::of(b),
    }
}

/// Orders two scalars of the same type (S, N or B) the way DynamoDB does;
/// `None` for other types or a type mismatch.
pub(crate) fn scalar_order(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => {
            Some(Decimal::parse(x)?.cmp(&Decimal::parse(y)?))
        }
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.as_ref().cmp(y.as_ref())),
        _ => None,
    }
}

/// A total order over any two (possibly absent) values, for sorting in
/// memory: absent and NULL first (both are `None` to an `Option` field),
/// then by type, then by value.
pub(crate) fn sort_order(a: Option<&AttributeValue>, b: Option<&AttributeValue>) -> Ordering {
    match (present(a), present(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => {
            scalar_order(x, y).unwrap_or_else(|| Canonical::of(x).cmp(&Canonical::of(y)))
        }
    }
}

fn present(value: Option<&AttributeValue>) -> Option<&AttributeValue> {
    value.filter(|v| !matches!(v, AttributeValue::Null(_)))
}

/// The canonical identity of a key (the named attributes of an item).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct KeyId(Vec<Option<Canonical>>);

impl KeyId {
    /// The identity of one value.
    pub(crate) fn value(value: &AttributeValue) -> KeyId {
        KeyId(vec![Some(Canonical::of(value))])
    }

    /// The identity of `item`'s attributes `names`.
    pub(crate) fn of<'a>(item: &Item, names: impl IntoIterator<Item = &'a str>) -> KeyId {
        KeyId(
            names
                .into_iter()
                .map(|n| item.get(n).map(Canonical::of))
                .collect(),
        )
    }
}

/// Everything that decides which rows a plan returns in which order (not
/// the page size), written structurally: each value in canonical form
/// (so `1` and `1.0` are one), each string quoted, nothing substituted.
/// What a cursor is bound to: the same query always gives the same text,
/// whatever its values look like (`":v0"`, `"#n0"`).
///
/// `sealed`: the text is the associated data of a sealed cursor (never
/// shown). Else it is hashed into a plain cursor's unkeyed fingerprint,
/// which anyone may try to invert offline: the values of `Sensitive`
/// attributes are left out (a plain cursor is then bound to the query's
/// shape for them, and the rows it returns are still filtered by the
/// query's own values).
pub(crate) fn plan_signature(plan: &Plan, sealed: bool) -> String {
    let w = Writer {
        hidden: if sealed { &[] } else { &plan.sensitive },
    };
    let mut s = String::new();
    let _ = write!(s, "table {:?}", plan.table);
    match &plan.access {
        Access::Nothing => s.push_str(" nothing"),
        Access::Get { key } => {
            s.push_str(" get ");
            w.item(&mut s, key);
        }
        Access::BatchGet { keys } => {
            let _ = write!(s, " batch {}", keys.len());
            for key in keys {
                s.push(' ');
                w.item(&mut s, key);
            }
        }
        Access::Query {
            index,
            key_condition,
            sort_key,
        } => {
            let _ = write!(s, " query {index:?} {sort_key:?} key ");
            w.node(&mut s, key_condition);
        }
        Access::MultiQuery {
            index,
            partition,
            values,
            sort_condition,
            sort_key,
        } => {
            let _ = write!(s, " queries {index:?} {partition:?} {sort_key:?} [");
            for v in values {
                let _ = write!(s, "{},", w.value(partition, v));
            }
            s.push_str("] key ");
            w.option(&mut s, sort_condition.as_ref());
        }
        Access::Scan => s.push_str(" scan"),
    }
    s.push_str(" filter ");
    w.option(&mut s, plan.filter.as_ref());
    s.push_str(" residual ");
    w.option(&mut s, plan.residual.as_ref());
    let _ = write!(
        s,
        " forward {} sort {:?} offset {} project {:?} keep {:?} consistent {} keys {:?} {:?}",
        plan.forward,
        plan.memory_sort,
        plan.offset,
        plan.projection,
        plan.keep,
        plan.consistent,
        plan.table_keys,
        plan.cursor_keys,
    );
    s
}

/// Writes a plan's parts, the values of `hidden` attributes left out.
struct Writer<'a> {
    hidden: &'a [&'static str],
}

impl Writer<'_> {
    fn value(&self, path: &str, value: &AttributeValue) -> String {
        if self.hidden.contains(&path) {
            crate::mask::MASK.to_owned()
        } else {
            format!("{:?}", Canonical::of(value))
        }
    }

    fn item(&self, out: &mut String, item: &Item) {
        let sorted: BTreeMap<&String, String> =
            item.iter().map(|(k, v)| (k, self.value(k, v))).collect();
        let _ = write!(out, "{sorted:?}");
    }

    fn option(&self, out: &mut String, node: Option<&Node>) {
        match node {
            Some(n) => self.node(out, n),
            None => out.push('-'),
        }
    }

    /// A condition tree in prefix form, written without recursion.
    fn node(&self, out: &mut String, node: &Node) {
        let operand = |path: &str, o: &crate::expr::Operand| match o {
            Ok(v) => self.value(path, v),
            Err(_) => "error".to_owned(),
        };
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            let _ = match node {
                Node::Compare { path, op, value } => {
                    write!(out, "({path:?} {} {})", op.symbol(), operand(path, value))
                }
                Node::Between { path, low, high } => write!(
                    out,
                    "(between {path:?} {} {})",
                    operand(path, low),
                    operand(path, high)
                ),
                Node::BeginsWith { path, value } => {
                    write!(out, "(begins {path:?} {})", operand(path, value))
                }
                Node::Contains { path, value } => {
                    write!(out, "(contains {path:?} {})", operand(path, value))
                }
                Node::In { path, values } => {
                    let shown: Vec<String> = values.iter().map(|v| operand(path, v)).collect();
                    write!(out, "(in {path:?} [{}])", shown.join(","))
                }
                Node::Exists(p) => write!(out, "(exists {p:?})"),
                Node::NotExists(p) => write!(out, "(not_exists {p:?})"),
                Node::Size { path, op, value } => {
                    write!(out, "(size {path:?} {} {value})", op.symbol())
                }
                Node::IsNone(p) => write!(out, "(none {p:?})"),
                Node::IsSome(p) => write!(out, "(some {p:?})"),
                Node::Unexpired(p) => write!(out, "(unexpired {p:?})"),
                Node::Expired(p) => write!(out, "(expired {p:?})"),
                Node::And(parts) => {
                    stack.extend(parts.iter().rev());
                    write!(out, "and{} ", parts.len())
                }
                Node::Or(parts) => {
                    stack.extend(parts.iter().rev());
                    write!(out, "or{} ", parts.len())
                }
                Node::Not(inner) => {
                    stack.push(inner);
                    write!(out, "not ")
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    #[test]
    fn numbers_compare_by_decimal_value() {
        assert_eq!(n("1"), n("1.0"));
        assert_eq!(n("1"), n("10E-1"));
        assert_eq!(n("0"), n("-0.000"));
        assert_eq!(n("100"), n("1E2"));
        assert!(n("-2") < n("-1"));
        assert!(n("-1") < n("0"));
        assert!(n("0.5") < n("1"));
        assert!(n("9") < n("10"));
        assert!(n("0.123") < n("0.2"));
        // Beyond f64's precision: 38 significant digits stay distinct.
        assert_ne!(
            n("12345678901234567890123456789012345678"),
            n("12345678901234567890123456789012345679")
        );
        assert!(n("1E+2147483647") > n("1E+100"));
        assert_eq!(Decimal::parse("abc"), None);
        assert_eq!(Decimal::parse(""), None);
        assert_eq!(Decimal::parse("1E"), None);
        assert_eq!(n(".5"), n("0.5"));
    }

    #[test]
    fn regression_placeholder_like_values_keep_the_signature_stable() {
        use crate::expr::{CompareOp, Node};
        let eq = |path, v: &str| Node::Compare {
            path,
            op: CompareOp::Eq,
            value: Ok(AttributeValue::S(v.into())),
        };
        let mut text = String::new();
        Writer { hidden: &[] }.node(&mut text, &Node::And(vec![eq("a", ":v1"), eq("b", "#n0")]));
        for _ in 0..20 {
            let mut again = String::new();
            Writer { hidden: &[] }
                .node(&mut again, &Node::And(vec![eq("a", ":v1"), eq("b", "#n0")]));
            assert_eq!(again, text);
        }
        // Structure, not text: these two differ.
        let mut swapped = String::new();
        Writer { hidden: &[] }.node(
            &mut swapped,
            &Node::And(vec![eq("a", "#n0"), eq("b", ":v1")]),
        );
        assert_ne!(swapped, text);
        // Deep trees are written without recursion.
        let mut deep = eq("a", "x");
        for _ in 0..100_000 {
            deep = Node::Not(Box::new(deep));
        }
        let mut out = String::new();
        Writer { hidden: &[] }.node(&mut out, &deep);
        assert!(out.len() > 100_000);
        // Dropping the tree recursively would overflow: unwind it here.
        while let Node::Not(inner) = deep {
            deep = *inner;
        }
    }

    #[test]
    fn sets_are_equal_whatever_their_order() {
        let a = AttributeValue::Ss(vec!["x".into(), "y".into()]);
        let b = AttributeValue::Ss(vec!["y".into(), "x".into()]);
        assert!(same_value(&a, &b));
        let a = AttributeValue::Ns(vec!["1".into(), "2.0".into()]);
        let b = AttributeValue::Ns(vec!["2".into(), "1".into()]);
        assert!(same_value(&a, &b));
        let a = AttributeValue::L(vec![AttributeValue::N("1".into())]);
        let b = AttributeValue::L(vec![AttributeValue::N("1.0".into())]);
        assert!(same_value(&a, &b));
        assert!(!same_value(
            &AttributeValue::S("1".into()),
            &AttributeValue::N("1".into())
        ));
    }
}
