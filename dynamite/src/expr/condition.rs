//! The condition AST shared by filters, key conditions and write conditions.

use std::fmt;
use std::marker::PhantomData;

use crate::value::{AttributeValue, ValueError};

/// A value on the right of an operator; conversion errors surface when the
/// request is built, before anything is sent.
pub(crate) type Operand = Result<AttributeValue, ValueError>;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// The untyped condition tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Compare {
        path: &'static str,
        op: CompareOp,
        value: Operand,
    },
    Between {
        path: &'static str,
        low: Operand,
        high: Operand,
    },
    BeginsWith {
        path: &'static str,
        value: Operand,
    },
    Contains {
        path: &'static str,
        value: Operand,
    },
    In {
        path: &'static str,
        values: Vec<Operand>,
    },
    Exists(&'static str),
    NotExists(&'static str),
    Size {
        path: &'static str,
        op: CompareOp,
        value: usize,
    },
    IsNone(&'static str),
    IsSome(&'static str),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

impl Node {
    /// The conjuncts of a top-level AND (or the node itself).
    pub(crate) fn conjuncts(self) -> Vec<Node> {
        match self {
            Node::And(parts) => parts.into_iter().flat_map(Node::conjuncts).collect(),
            other => vec![other],
        }
    }

    /// Joins conjuncts back into one node (`None` when empty).
    pub(crate) fn all(mut parts: Vec<Node>) -> Option<Node> {
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Node::And(parts)),
        }
    }

    /// The first value that could not be converted, with its attribute.
    pub(crate) fn first_error(&self) -> Option<(&'static str, &ValueError)> {
        fn check<'a>(
            path: &'static str,
            operand: &'a Operand,
        ) -> Option<(&'static str, &'a ValueError)> {
            operand.as_ref().err().map(|e| (path, e))
        }
        match self {
            Node::Compare { path, value, .. }
            | Node::BeginsWith { path, value }
            | Node::Contains { path, value } => check(path, value),
            Node::Between { path, low, high } => check(path, low).or_else(|| check(path, high)),
            Node::In { path, values } => values.iter().find_map(|v| check(path, v)),
            Node::And(parts) | Node::Or(parts) => parts.iter().find_map(Node::first_error),
            Node::Not(inner) => inner.first_error(),
            Node::Exists(_)
            | Node::NotExists(_)
            | Node::Size { .. }
            | Node::IsNone(_)
            | Node::IsSome(_) => None,
        }
    }

    /// Evaluates the condition against an item in memory (used after reads
    /// that cannot carry a filter: GetItem and BatchGetItem).
    pub(crate) fn matches(&self, item: &crate::value::Item) -> bool {
        use crate::value::AttributeValue as V;
        let get = |p: &str| item.get(p).filter(|v| !matches!(v, V::Null(_)));
        match self {
            Node::Compare { path, op, value } => match (item.get(*path), value) {
                (Some(stored), Ok(v)) => compare(stored, v).is_some_and(|o| op_holds(*op, o)),
                (None, Ok(_)) => false,
                (_, Err(_)) => false,
            },
            Node::Between { path, low, high } => match (item.get(*path), low, high) {
                (Some(s), Ok(l), Ok(h)) => {
                    compare(s, l).is_some_and(|o| o.is_ge())
                        && compare(s, h).is_some_and(|o| o.is_le())
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
                (Some(V::L(l)), Ok(v)) => l.contains(v),
                (Some(V::Ss(set)), Ok(V::S(v))) => set.contains(v),
                (Some(V::Ns(set)), Ok(v @ V::N(_))) => set
                    .iter()
                    .any(|n| compare(&V::N(n.clone()), v) == Some(std::cmp::Ordering::Equal)),
                (Some(V::Bs(set)), Ok(V::B(v))) => set.contains(v),
                _ => false,
            },
            Node::In { path, values } => item.get(*path).is_some_and(|s| {
                values.iter().any(|v| {
                    v.as_ref()
                        .is_ok_and(|v| compare(s, v) == Some(std::cmp::Ordering::Equal))
                })
            }),
            Node::Exists(p) => item.contains_key(*p),
            Node::NotExists(p) => !item.contains_key(*p),
            Node::IsNone(p) => get(p).is_none(),
            Node::IsSome(p) => get(p).is_some(),
            Node::Size { path, op, value } => item
                .get(*path)
                .and_then(size_of)
                .is_some_and(|s| op_holds(*op, s.cmp(value))),
            Node::And(parts) => parts.iter().all(|n| n.matches(item)),
            Node::Or(parts) => parts.iter().any(|n| n.matches(item)),
            Node::Not(n) => !n.matches(item),
        }
    }
}

fn op_holds(op: CompareOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CompareOp::Eq => ord == Equal,
        CompareOp::Ne => ord != Equal,
        CompareOp::Lt => ord == Less,
        CompareOp::Le => ord != Greater,
        CompareOp::Gt => ord == Greater,
        CompareOp::Ge => ord != Less,
    }
}

fn size_of(v: &AttributeValue) -> Option<usize> {
    Some(match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        _ => return None,
    })
}

/// Orders two values the way DynamoDB compares them (same type only).
pub(crate) fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.cmp(b)),
        (AttributeValue::N(a), AttributeValue::N(b)) => compare_numbers(a, b),
        (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.as_ref().cmp(b.as_ref())),
        (AttributeValue::Bool(a), AttributeValue::Bool(b)) => {
            (a == b).then_some(std::cmp::Ordering::Equal)
        }
        (a, b) => (a == b).then_some(std::cmp::Ordering::Equal),
    }
}

fn compare_numbers(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    if let (Ok(x), Ok(y)) = (a.parse::<i128>(), b.parse::<i128>()) {
        return Some(x.cmp(&y));
    }
    let (x, y) = (a.parse::<f64>().ok()?, b.parse::<f64>().ok()?);
    x.partial_cmp(&y)
}

/// A rendered condition (see [`Condition::to_expression`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    /// The expression text: only placeholders, operators and functions.
    pub text: String,
    /// `ExpressionAttributeNames`.
    pub names: std::collections::HashMap<String, String>,
    /// `ExpressionAttributeValues`.
    pub values: std::collections::HashMap<String, AttributeValue>,
}

/// A typed condition on model `M`: build it from columns, combine it with
/// [`and`](Condition::and), [`or`](Condition::or), [`not`](Condition::not)
/// (or `&`, `|`, `!`).
pub struct Condition<M> {
    pub(crate) node: Node,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Condition<M> {
    fn clone(&self) -> Self {
        Condition::new(self.node.clone())
    }
}

impl<M> fmt::Debug for Condition<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

impl<M> Condition<M> {
    pub(crate) fn new(node: Node) -> Self {
        Condition {
            node,
            _marker: PhantomData,
        }
    }

    /// Both conditions hold.
    pub fn and(self, other: Condition<M>) -> Condition<M> {
        let mut parts = self.node.conjuncts();
        parts.extend(other.node.conjuncts());
        Condition::new(Node::And(parts))
    }

    /// The condition as DynamoDB receives it: expression text with `#n` /
    /// `:v` placeholders, and the maps that resolve them.
    ///
    /// ```
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Task { #[dynamite(primary_key)] id: String, status: String }
    /// let e = Task::STATUS.eq("done").to_expression().unwrap();
    /// assert_eq!(e.text, "#n0 = :v0");
    /// assert_eq!(e.names["#n0"], "status");
    /// ```
    pub fn to_expression(&self) -> crate::error::Result<Expression> {
        let mut builder = super::ExpressionBuilder::new();
        let text = builder.render(&self.node)?;
        Ok(Expression {
            text,
            names: builder.names().unwrap_or_default(),
            values: builder.values().unwrap_or_default(),
        })
    }

    /// At least one condition holds.
    pub fn or(self, other: Condition<M>) -> Condition<M> {
        let mut parts = match self.node {
            Node::Or(p) => p,
            n => vec![n],
        };
        match other.node {
            Node::Or(p) => parts.extend(p),
            n => parts.push(n),
        }
        Condition::new(Node::Or(parts))
    }

    /// The condition does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition<M> {
        Condition::new(Node::Not(Box::new(self.node)))
    }
}

impl<M> std::ops::BitAnd for Condition<M> {
    type Output = Condition<M>;
    fn bitand(self, rhs: Self) -> Self {
        self.and(rhs)
    }
}

impl<M> std::ops::BitOr for Condition<M> {
    type Output = Condition<M>;
    fn bitor(self, rhs: Self) -> Self {
        self.or(rhs)
    }
}

impl<M> std::ops::Not for Condition<M> {
    type Output = Condition<M>;
    fn not(self) -> Self {
        Condition::not(self)
    }
}
