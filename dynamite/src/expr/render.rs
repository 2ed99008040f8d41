//! Rendering conditions into expression text with placeholders.

use std::collections::HashMap;

use super::condition::{Node, Operand};
use crate::error::{Error, Result};
use crate::value::AttributeValue;

/// DynamoDB's limits on expressions (Developer Guide, "Constraints",
/// expression parameters): any one expression string (key condition,
/// filter, condition, update, projection) is at most 4 KB; all substitution
/// variables of a request (`ExpressionAttributeNames` and
/// `ExpressionAttributeValues`) at most 2 MB; `IN` takes at most 100
/// operands. A read keeps its FilterExpression within them (what does not
/// fit is evaluated in memory, see `read::exec`); a write past them is
/// [`Error::Validation`] before anything is sent.
pub(crate) const MAX_EXPRESSION_BYTES: usize = 4 * 1024;
/// See [`MAX_EXPRESSION_BYTES`].
pub(crate) const MAX_SUBSTITUTION_BYTES: usize = 2 * 1024 * 1024;
/// See [`MAX_EXPRESSION_BYTES`].
pub(crate) const MAX_IN_OPERANDS: usize = 100;
/// Operators and functions one expression may hold (documented for
/// UpdateExpression; DynamoDB refuses a FilterExpression or
/// ConditionExpression past it too: "too many operators").
pub(crate) const MAX_OPERATORS: usize = 300;

/// The operators and functions of a condition as DynamoDB counts them
/// (measured against DynamoDB Local): each comparator, `AND`, `OR`,
/// `NOT`, `IN`, `BETWEEN` (its own `AND` not counted) and function
/// (`size(a) > :v` is two). Placeholders are skipped, so values never
/// count.
pub(crate) fn condition_operators(text: &str) -> usize {
    let mut count = 0usize;
    let mut in_between = false;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
        match c {
            '#' | ':' => while chars.next_if(|(_, c)| word_char(*c)).is_some() {},
            '=' | '<' | '>' => {
                while chars
                    .next_if(|(_, c)| matches!(c, '=' | '<' | '>'))
                    .is_some()
                {}
                count += 1;
            }
            c if word_char(c) => {
                let mut end = at + c.len_utf8();
                while let Some((i, c)) = chars.next_if(|(_, c)| word_char(*c)) {
                    end = i + c.len_utf8();
                }
                match &text[at..end] {
                    "AND" if in_between => in_between = false,
                    "BETWEEN" => {
                        in_between = true;
                        count += 1;
                    }
                    "AND"
                    | "OR"
                    | "NOT"
                    | "IN"
                    | "attribute_exists"
                    | "attribute_not_exists"
                    | "attribute_type"
                    | "begins_with"
                    | "contains"
                    | "size" => count += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    count
}

/// The operators and functions of an UpdateExpression as DynamoDB's
/// documented limit counts them (`SET a = :v1 + :v2` has one).
pub(crate) fn update_operators(text: &str) -> usize {
    [" + ", " - ", "if_not_exists(", "list_append("]
        .iter()
        .map(|op| text.matches(op).count())
        .sum()
}

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
    /// Bytes of the placeholders, names and values so far.
    substitution_bytes: usize,
}

/// What a builder held at one point, to take back what was rendered since
/// ([`ExpressionBuilder::rollback`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    names: usize,
    values: usize,
    now: bool,
    substitution_bytes: usize,
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
        self.substitution_bytes = self
            .substitution_bytes
            .saturating_add(placeholder.len() + attribute.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        self.by_attribute
            .insert(attribute.to_owned(), placeholder.clone());
        placeholder
    }

    /// The placeholder for a value.
    pub(crate) fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.substitution_bytes = self
            .substitution_bytes
            .saturating_add(placeholder.len() + crate::value::value_size(&value));
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// The builder's state now, for [`Self::rollback`].
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            names: self.names.len(),
            values: self.values.len(),
            now: self.now.is_some(),
            substitution_bytes: self.substitution_bytes,
        }
    }

    /// Forgets every placeholder added since `mark` (cost: the ones
    /// forgotten).
    pub(crate) fn rollback(&mut self, mark: Mark) {
        for i in mark.names..self.names.len() {
            if let Some(attribute) = self.names.remove(&format!("#n{i}")) {
                self.by_attribute.remove(&attribute);
            }
        }
        for i in mark.values..self.values.len() {
            self.values.remove(&format!(":v{i}"));
        }
        if !mark.now && self.now.take().is_some() {
            self.values.remove(NOW);
        }
        self.substitution_bytes = mark.substitution_bytes;
    }

    /// Whether the substitution variables so far are within DynamoDB's
    /// [`MAX_SUBSTITUTION_BYTES`].
    pub(crate) fn substitutions_fit(&self) -> bool {
        self.substitution_bytes <= MAX_SUBSTITUTION_BYTES
    }

    /// A write's expressions (`(what, text)`, e.g. `("condition", ..)`)
    /// within DynamoDB's limits, else [`Error::Validation`] naming the
    /// model and what is too long: nothing is sent, nothing is cut.
    pub(crate) fn check_write(&self, model: &str, expressions: &[(&str, &str)]) -> Result<()> {
        let too_long = |what: &str, message: String| Error::Validation {
            model: model.to_owned(),
            field: format!("({what})"),
            message,
        };
        for (what, text) in expressions {
            let operators = if *what == "update" {
                update_operators(text)
            } else {
                condition_operators(text)
            };
            if operators > MAX_OPERATORS {
                return Err(too_long(
                    what,
                    format!(
                        "the {what} expression holds {operators} operators and functions, past \
                         DynamoDB's limit of {MAX_OPERATORS}: split the write or shorten its \
                         condition (nothing was sent)"
                    ),
                ));
            }
        }
        if let Some((what, text)) = expressions
            .iter()
            .find(|(_, text)| text.len() > MAX_EXPRESSION_BYTES)
        {
            return Err(too_long(
                what,
                format!(
                    "the {what} expression renders to {} bytes, past DynamoDB's limit of {} \
                     bytes per expression: split the write or shorten its condition (nothing \
                     was sent)",
                    text.len(),
                    MAX_EXPRESSION_BYTES
                ),
            ));
        }
        if !self.substitutions_fit() {
            return Err(too_long(
                "values",
                format!(
                    "the expression values and names take {} bytes, past DynamoDB's limit of \
                     {} bytes per request (nothing was sent)",
                    self.substitution_bytes, MAX_SUBSTITUTION_BYTES
                ),
            ));
        }
        Ok(())
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
                for chunk in values.chunks(MAX_IN_OPERANDS) {
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
        let value = AttributeValue::N(now.to_string());
        if !self.values.contains_key(NOW) {
            self.substitution_bytes = self
                .substitution_bytes
                .saturating_add(NOW.len() + crate::value::value_size(&value));
        }
        self.values.insert(NOW.to_owned(), value);
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
    fn operators_are_counted_as_dynamodb_counts_them() {
        assert_eq!(condition_operators("#n0 = :v0"), 1);
        assert_eq!(condition_operators("(#n0 <> :v0 AND #n1 >= :v1)"), 3);
        assert_eq!(
            condition_operators("#n0 BETWEEN :v0 AND :v1 AND size(#n1) > :v2"),
            4
        );
        assert_eq!(
            condition_operators("(NOT (#n0 < :now)) OR #n1 IN (:v1, :v2, :vAND)"),
            4
        );
        assert_eq!(
            condition_operators("(attribute_exists(#n0) AND NOT attribute_type(#n0, :v0))"),
            4
        );
        assert_eq!(
            update_operators("SET #n0 = #n0 + :v0, #n1 = if_not_exists(#n1, :v1)"),
            2
        );
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
