//! Key conditions a shared-table model's filter implies through its key
//! templates.

use super::conjuncts::Conjuncts;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::TableMeta;
use crate::value::AttributeValue;

/// For a model in a shared table: the key conditions its filter implies.
/// `user_id = "u1"` pins the partition `pk = "USER#u1"`; the sort key gets
/// `=` when every field of its template is pinned, else `begins_with` the
/// rendered text up to the first unpinned field (at least the model's
/// literal prefix). The field conditions themselves stay in the filter.
pub(super) fn template_conditions(meta: &TableMeta, conjuncts: &Conjuncts) -> Result<Vec<Node>> {
    use crate::template::{Segment, render_prefix};
    use std::borrow::Cow;
    let Some(layout) = meta.single_table else {
        return Ok(Vec::new());
    };
    let invalid = |attribute: &str, e: crate::value::ValueError| Error::InvalidValue {
        attribute: format!("{}.{attribute}", meta.model),
        reason: e.to_string(),
    };
    // The text of a template up to its first unpinned field, and whether
    // every field was pinned.
    let rendered = |template: &[Segment]| -> Result<(String, bool)> {
        render_prefix(template, |attribute| {
            conjuncts.eq(attribute).map(|(_, v)| Cow::Owned(v))
        })
        .map_err(|(attribute, e)| invalid(attribute, e))
    };
    // The table's key, then each overloaded GSI's.
    let mut keys = vec![(
        layout.partition,
        layout.sort,
        meta.partition_key.name,
        meta.sort_key.map(|k| k.name),
    )];
    for template in layout.indexes {
        if let Some(index) = meta.indexes.iter().find(|i| i.name == template.name) {
            keys.push((
                template.partition,
                template.sort,
                index.partition_key.name,
                index.sort_key.map(|k| k.name),
            ));
        }
    }
    let mut implied = Vec::new();
    for (partition_template, sort_template, pk, sk) in keys {
        let (partition, complete) = rendered(partition_template)?;
        if !complete {
            continue;
        }
        implied.push(Node::Compare {
            path: pk,
            op: CompareOp::Eq,
            value: Ok(AttributeValue::S(partition)),
        });
        if let (Some(template), Some(sk)) = (sort_template, sk) {
            let (text, complete) = rendered(template)?;
            if complete {
                implied.push(Node::Compare {
                    path: sk,
                    op: CompareOp::Eq,
                    value: Ok(AttributeValue::S(text)),
                });
            } else if !text.is_empty() {
                implied.push(Node::BeginsWith {
                    path: sk,
                    value: Ok(AttributeValue::S(text)),
                });
            }
        }
    }
    Ok(implied)
}
