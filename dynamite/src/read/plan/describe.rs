//! What `explain()` shows of a plan, and the signature a cursor binds to.

use std::fmt;

use super::{Access, Plan};
use crate::expr::{ExpressionBuilder, Node};
use crate::mask::Show;
use crate::read::canonical::KeyId;
use crate::value::{Item, describe_key_in};

/// The requests a query will send, from `.explain()`.
///
/// `{}` shows the steps; `{:#}` adds why the root read takes its path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explain {
    /// One line per request kind, in the order they are sent.
    pub steps: Vec<String>,
    /// Why the root read takes its path: `chosen: <path> (<why>)` first,
    /// then `rejected: <path> (<why>)` for every other path of the table
    /// (empty for writes by key).
    pub paths: Vec<String>,
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
        if f.alternate() {
            for line in &self.paths {
                write!(f, "\n  {line}")?;
            }
        }
        Ok(())
    }
}

/// A condition on `table` as text with its names and values resolved, for
/// `explain()`: masked, every value of a condition naming a sensitive
/// attribute of `table` reads `***`.
pub(crate) fn describe_condition(table: &str, node: &Node) -> String {
    describe_condition_as(table, node, Show::Masked)
}

fn describe_condition_as(table: &str, node: &Node, show: Show) -> String {
    let mut builder = ExpressionBuilder::new();
    match builder.render(node) {
        Ok(text) => {
            let hidden = show == Show::Masked
                && crate::mask::any_masked(&[table], builder.attribute_names());
            builder.describe(&text, hidden)
        }
        Err(e) => format!("<invalid: {e}>"),
    }
}

impl Plan {
    /// A one-line description of the root read.
    pub(crate) fn describe(&self) -> String {
        let mut line = self.describe_read(Show::Masked);
        if let Some(l) = self.limit {
            line.push_str(&format!(" limit {l}"));
        }
        if let Some((index, missing)) = &self.skipped {
            line.push_str(&format!(
                " (index {index} not read: sparse, the filter does not imply {missing} is present)"
            ));
        }
        line
    }

    fn describe_read(&self, show: Show) -> String {
        let table = self.table.as_str();
        let condition = |node: &Node| describe_condition_as(table, node, show);
        let key = |key: &Item| match show {
            Show::Masked => describe_key_in(table, key),
        };
        let mut line = match &self.access {
            Access::Nothing => format!("no request to {} (is_in of no values)", self.table),
            Access::Get { key: k } => format!("GetItem {} key {}", self.table, key(k)),
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
                s.push_str(&format!(" key {}", condition(key_condition)));
                s
            }
            Access::MultiQuery {
                index,
                partition,
                values,
                sort_condition,
                ..
            } => {
                let mut s = format!("Query {}", self.table);
                if let Some(i) = index {
                    s.push_str(&format!(" index {i}"));
                }
                let hidden = show == Show::Masked && crate::mask::is_masked(table, partition);
                let shown: Vec<String> = values
                    .iter()
                    .map(|v| {
                        if hidden {
                            crate::mask::MASK.to_owned()
                        } else {
                            crate::value::describe_value(v)
                        }
                    })
                    .collect();
                s.push_str(&format!(
                    " x{} ({partition} in [{}], one Query per distinct value, concurrent)",
                    values.len(),
                    shown.join(", ")
                ));
                if let Some(c) = sort_condition {
                    s.push_str(&format!(" key {}", condition(c)));
                }
                s
            }
            Access::Scan => format!("Scan {}", self.table),
        };
        if let Access::BatchGet { keys } = &self.access
            && keys.len() <= 10
        {
            let shown: Vec<String> = keys.iter().map(key).collect();
            line.push_str(&format!(" [{}]", shown.join(", ")));
        }
        if let Some(filter) = &self.filter {
            line.push_str(&format!(" filter {}", condition(filter)));
        }
        if let Some(residual) = &self.residual {
            line.push_str(&format!(" filter in memory {}", condition(residual)));
        }
        if let Some(p) = &self.projection {
            line.push_str(&format!(" project [{}]", p.join(", ")));
        }
        if matches!(
            self.access,
            Access::Query { .. } | Access::MultiQuery { .. }
        ) && !self.forward
        {
            line.push_str(" order desc");
        }
        if let Some((attribute, direction)) = self.memory_sort {
            if matches!(&self.access, Access::MultiQuery { sort_key: Some(s), .. } if *s == attribute)
            {
                line.push_str(&format!(" merged by {attribute} {}", direction.as_str()));
            } else {
                line.push_str(&format!(
                    " then sort in memory by {attribute} {} (reads every match)",
                    direction.as_str()
                ));
            }
        }
        if self.offset > 0 {
            line.push_str(&format!(" offset {} (read, then skipped)", self.offset));
        }
        if self.consistent {
            line.push_str(" consistent");
        }
        line
    }

    /// The canonical identity of a row's table key.
    pub(crate) fn key_id(&self, item: &Item) -> KeyId {
        KeyId::of(item, self.table_keys.iter().copied())
    }
}
