//! Rendering conditions into expression text with placeholders.

use std::collections::HashMap;

use super::condition::{Node, Operand};
use crate::error::{Error, Result};
use crate::value::AttributeValue;

/// Collects `#name` and `:value` placeholders while rendering expressions.
///
/// One builder serves every expression of a request (key condition, filter,
/// projection), so placeholders never collide.
#[derive(Debug, Default)]
pub(crate) struct ExpressionBuilder {
    names: HashMap<String, String>,
    by_attribute: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    /// The epoch second `Unexpired` / `Expired` compare with, taken once
    /// per builder (one request).
    now: Option<i64>,
}

/// The value placeholder of the current epoch second; `explain()` shows it
/// as `:now`.
const NOW: &str = ":now";

impl ExpressionBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The placeholder for an attribute name.
    pub(crate) fn name(&mut self, attribute: &str) -> String {
        if let Some(p) = self.by_attribute.get(attribute) {
            return p.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        self.by_attribute
            .insert(attribute.to_owned(), placeholder.clone());
        placeholder
    }

    /// The placeholder for a value.
    pub(crate) fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn operand(&mut self, path: &str, operand: &Operand) -> Result<String> {
        match operand {
            Ok(v) => Ok(self.value(v.clone())),
            Err(e) => Err(Error::InvalidValue {
                attribute: path.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// Renders a condition.
    pub(crate) fn render(&mut self, node: &Node) -> Result<String> {
        Ok(match node {
            Node::Compare { path, op, value } => {
                let n = self.name(path);
                let v = self.operand(path, value)?;
                format!("{n} {} {v}", op.symbol())
            }
            Node::Between { path, low, high } => {
                let n = self.name(path);
                let l = self.operand(path, low)?;
                let h = self.operand(path, high)?;
                format!("{n} BETWEEN {l} AND {h}")
            }
            Node::BeginsWith { path, value } => {
                let n = self.name(path);
                let v = self.operand(path, value)?;
                format!("begins_with({n}, {v})")
            }
            Node::Contains { path, value } => {
                let n = self.name(path);
                let v = self.operand(path, value)?;
                format!("contains({n}, {v})")
            }
            Node::In { path, values } => {
                if values.is_empty() {
                    // `IN ()` is invalid; an empty set matches nothing.
                    let n = self.name(path);
                    return Ok(format!(
                        "(attribute_exists({n}) AND attribute_not_exists({n}))"
                    ));
                }
                let n = self.name(path);
                // DynamoDB allows at most 100 operands per IN: split into ORs.
                let mut groups = Vec::new();
                for chunk in values.chunks(100) {
                    let vs = chunk
                        .iter()
                        .map(|v| self.operand(path, v))
                        .collect::<Result<Vec<_>>>()?;
                    groups.push(format!("{n} IN ({})", vs.join(", ")));
                }
                if groups.len() == 1 {
                    groups.remove(0)
                } else {
                    format!("({})", groups.join(" OR "))
                }
            }
            Node::Exists(p) => format!("attribute_exists({})", self.name(p)),
            Node::NotExists(p) => format!("attribute_not_exists({})", self.name(p)),
            Node::IsNone(p) => {
                let n = self.name(p);
                let null = self.value(AttributeValue::S("NULL".into()));
                format!("(attribute_not_exists({n}) OR attribute_type({n}, {null}))")
            }
            Node::IsSome(p) => {
                let n = self.name(p);
                let null = self.value(AttributeValue::S("NULL".into()));
                format!("(attribute_exists({n}) AND NOT attribute_type({n}, {null}))")
            }
            // `#ttl < :now` is false for an absent attribute and for every
            // type but a number, so its negation keeps exactly the rows
            // `ttl::is_expired` keeps (a NULL, a string, a set: never expire).
            Node::Unexpired(p) => {
                let n = self.name(p);
                let now = self.now();
                format!("(NOT ({n} < {now}))")
            }
            Node::Expired(p) => {
                let n = self.name(p);
                let now = self.now();
                format!("{n} < {now}")
            }
            Node::Size { path, op, value } => {
                let n = self.name(path);
                let v = self.value(AttributeValue::N(value.to_string()));
                format!("size({n}) {} {v}", op.symbol())
            }
            Node::And(parts) => self.join(parts, " AND ")?,
            Node::Or(parts) => self.join(parts, " OR ")?,
            Node::Not(inner) => format!("(NOT {})", self.render(inner)?),
        })
    }

    /// The placeholder of the current epoch second.
    fn now(&mut self) -> &'static str {
        let now = *self.now.get_or_insert_with(crate::ttl::now_seconds);
        self.values
            .insert(NOW.to_owned(), AttributeValue::N(now.to_string()));
        NOW
    }

    fn join(&mut self, parts: &[Node], separator: &str) -> Result<String> {
        let rendered = parts
            .iter()
            .map(|p| self.render(p))
            .collect::<Result<Vec<_>>>()?;
        Ok(match rendered.len() {
            0 => String::new(),
            1 => rendered.into_iter().next().unwrap_or_default(),
            _ => format!("({})", rendered.join(separator)),
        })
    }

    /// The attribute names the expressions rendered so far refer to.
    pub(crate) fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.names.values().map(String::as_str)
    }

    /// The `ExpressionAttributeNames` map (`None` when empty).
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The `ExpressionAttributeValues` map (`None` when empty).
    pub(crate) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// Resolves placeholders back to names and values, for `explain()`.
    /// `hidden`: every value reads `***` (for an expression naming a
    /// sensitive attribute: a value's attribute is not known per
    /// placeholder, so all are hidden).
    pub(crate) fn describe(&self, expression: &str, hidden: bool) -> String {
        // One pass over the text: a substituted value that looks like a
        // placeholder (`":v0"`) is never substituted again.
        let mut out = String::with_capacity(expression.len());
        let mut rest = expression;
        while let Some(at) = rest.find(['#', ':']) {
            out.push_str(&rest[..at]);
            let token_end = rest[at + 1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(rest.len(), |end| at + 1 + end);
            let token = &rest[at..token_end];
            match (self.names.get(token), self.values.get(token)) {
                (Some(name), _) => out.push_str(name),
                (None, Some(_)) if token == NOW => out.push_str(token),
                (None, Some(_)) if hidden => out.push_str(crate::mask::MASK),
                (None, Some(value)) => out.push_str(&crate::value::describe_value(value)),
                (None, None) => out.push_str(token),
            }
            rest = &rest[token_end..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{CompareOp, Node};

    #[test]
    fn names_and_values_are_placeholders() {
        let mut b = ExpressionBuilder::new();
        let node = Node::And(vec![
            Node::Compare {
                path: "status",
                op: CompareOp::Eq,
                value: Ok(AttributeValue::S("a'b:#c".into())),
            },
            Node::Exists("name"),
        ]);
        let text = b.render(&node).unwrap();
        assert_eq!(text, "(#n0 = :v0 AND attribute_exists(#n1))");
        assert!(!text.contains("status") && !text.contains("a'b"));
        assert_eq!(b.names().unwrap()["#n0"], "status");
    }

    #[test]
    fn regression_placeholder_like_values_are_described_as_given() {
        let mut b = ExpressionBuilder::new();
        let node = Node::And(vec![
            Node::Compare {
                path: "a",
                op: CompareOp::Eq,
                value: Ok(AttributeValue::S(":v1".into())),
            },
            Node::Compare {
                path: "b",
                op: CompareOp::Eq,
                value: Ok(AttributeValue::S("#n0".into())),
            },
        ]);
        let text = b.render(&node).unwrap();
        for _ in 0..20 {
            assert_eq!(b.describe(&text, false), "(a = \":v1\" AND b = \"#n0\")");
        }
    }

    #[test]
    fn large_in_lists_split_into_groups_of_100() {
        let mut b = ExpressionBuilder::new();
        let node = Node::In {
            path: "id",
            values: (0..250)
                .map(|i| Ok(AttributeValue::N(i.to_string())))
                .collect(),
        };
        let text = b.render(&node).unwrap();
        assert_eq!(text.matches(" IN (").count(), 3);
    }
}
