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
    /// A `ttl` attribute that has not passed: anything but a number below
    /// the current epoch second (taken when the request is rendered, so
    /// plans and cursors do not change with the clock); see
    /// `ttl::is_expired`, the one definition.
    Unexpired(&'static str),
    /// A `ttl` attribute that has passed: a number below the current epoch
    /// second.
    Expired(&'static str),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// How deep a [`Condition`] may nest: `and` / `or` / `not` levels, a
/// leaf counting as one. A combinator that would nest deeper gives a
/// condition that fails with [`crate::Error::InvalidValue`] when used
/// (before anything is sent), so a tree built from client input can never
/// exhaust the stack while rendered, evaluated or planned.
///
/// ```
/// use dynamite::prelude::*;
/// use dynamite::expr::MAX_CONDITION_DEPTH;
/// #[derive(Table, Debug, Clone)]
/// struct Task { #[dynamite(primary_key)] id: String, status: String }
/// let mut c = Task::STATUS.eq("a");
/// for _ in 0..MAX_CONDITION_DEPTH {
///     c = !c;
/// }
/// assert!(c.to_expression().unwrap_err().is_invalid_value());
/// ```
pub const MAX_CONDITION_DEPTH: usize = 100;

/// The leaf standing for a tree that nests deeper than
/// [`MAX_CONDITION_DEPTH`]: an operand that is an error, so every path
/// (planning, includes, write conditions) refuses it before sending.
fn too_deep() -> Node {
    Node::Compare {
        path: "(condition)",
        op: CompareOp::Eq,
        value: Err(ValueError::Invalid(format!(
            "the condition nests deeper than {MAX_CONDITION_DEPTH} levels of and / or / not"
        ))),
    }
}

impl Node {
    /// Nesting levels (a leaf is 1), counted without recursion.
    pub(crate) fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((node, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            match node {
                Node::And(parts) | Node::Or(parts) => {
                    stack.extend(parts.iter().map(|p| (p, depth.saturating_add(1))));
                }
                Node::Not(inner) => stack.push((inner, depth.saturating_add(1))),
                _ => {}
            }
        }
        deepest
    }

    /// The conjuncts of a top-level AND, nested ANDs flattened (or the
    /// node itself).
    pub(crate) fn conjuncts(self) -> Vec<Node> {
        let mut out = Vec::new();
        self.push_conjuncts(&mut out);
        out
    }

    /// Moves the conjuncts of this node onto `out` (as
    /// [`Node::conjuncts`]): linear in the parts moved, without recursion,
    /// so appending one term to an `And` of n terms costs O(1), not O(n).
    pub(crate) fn push_conjuncts(self, out: &mut Vec<Node>) {
        let parts = match self {
            Node::And(parts) => parts,
            other => return out.push(other),
        };
        let mut stack: Vec<Node> = parts.into_iter().rev().collect();
        while let Some(node) = stack.pop() {
            match node {
                Node::And(parts) => stack.extend(parts.into_iter().rev()),
                other => out.push(other),
            }
        }
    }

    /// The parts of an `And` (its own Vec, moved, so appending to it is
    /// O(1)), or the node alone.
    pub(crate) fn into_and_parts(self) -> Vec<Node> {
        match self {
            Node::And(parts) => parts,
            other => vec![other],
        }
    }

    /// Joins alternatives into one node (`None` when empty).
    pub(crate) fn any(mut parts: Vec<Node>) -> Option<Node> {
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Node::Or(parts)),
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
            | Node::IsSome(_)
            | Node::Unexpired(_)
            | Node::Expired(_) => None,
        }
    }
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
    /// `node.depth()`, kept so combining is O(1) in the tree's depth.
    depth: usize,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Condition<M> {
    fn clone(&self) -> Self {
        Condition {
            node: self.node.clone(),
            depth: self.depth,
            _marker: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Condition<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

impl<M> Condition<M> {
    pub(crate) fn new(node: Node) -> Self {
        let depth = node.depth();
        Condition::nested(node, depth)
    }

    /// A condition of known depth; past [`MAX_CONDITION_DEPTH`] the tree
    /// is dropped for the leaf that refuses it.
    fn nested(node: Node, depth: usize) -> Self {
        let (node, depth) = if depth > MAX_CONDITION_DEPTH {
            (too_deep(), 1)
        } else {
            (node, depth)
        };
        Condition {
            node,
            depth,
            _marker: PhantomData,
        }
    }

    /// The depth of this condition's operands once flattened into a
    /// top-level `And` (`and`) or `Or` (`or`).
    fn inner_depth(&self, flattened: fn(&Node) -> bool) -> usize {
        if flattened(&self.node) {
            self.depth.saturating_sub(1)
        } else {
            self.depth
        }
    }

    /// Both conditions hold.
    pub fn and(self, other: Condition<M>) -> Condition<M> {
        let is_and = |n: &Node| matches!(n, Node::And(_));
        let depth = self
            .inner_depth(is_and)
            .max(other.inner_depth(is_and))
            .saturating_add(1);
        // Reuse the left side's Vec: `a & b & c ...` of n terms is O(n).
        let mut parts = self.node.into_and_parts();
        other.node.push_conjuncts(&mut parts);
        Condition::nested(Node::And(parts), depth)
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
        let is_or = |n: &Node| matches!(n, Node::Or(_));
        let depth = self
            .inner_depth(is_or)
            .max(other.inner_depth(is_or))
            .saturating_add(1);
        let mut parts = match self.node {
            Node::Or(p) => p,
            n => vec![n],
        };
        match other.node {
            Node::Or(p) => parts.extend(p),
            n => parts.push(n),
        }
        Condition::nested(Node::Or(parts), depth)
    }

    /// The condition does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition<M> {
        let depth = self.depth.saturating_add(1);
        Condition::nested(Node::Not(Box::new(self.node)), depth)
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
