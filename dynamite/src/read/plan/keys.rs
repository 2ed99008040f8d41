//! Key conditions a shared-table model's filter implies through its key
//! templates.

use std::borrow::Cow;

use super::conjuncts::Conjuncts;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::TableMeta;
use crate::template::{Segment, fields, render_prefix};
use crate::value::AttributeValue;

/// A partition rendered from `is_in` lists: its implied `IN` holds only
/// the first `cap * 100 + 1` rendered values (more than any path within
/// the cap sends requests for: a Query per partition, a BatchGetItem per
/// 100 keys), so the path that takes it counts its requests from here
/// ([`Error::FanOutLimit`] past the cap).
#[derive(Debug, Clone, Copy)]
pub(super) struct Listed {
    /// The field given as a list (the key attribute when several are).
    pub(super) attribute: &'static str,
    /// The partitions the lists name (their product, saturated).
    pub(super) values: usize,
    /// Whether every one was rendered (the implied `IN` is the list).
    pub(super) complete: bool,
}

impl Listed {
    /// The partitions a path reads, given the implied `IN`'s `rendered`
    /// distinct values.
    pub(super) fn partitions(&self, rendered: usize) -> usize {
        if self.complete { rendered } else { self.values }
    }
}

/// One key condition a filter implies, and, for a partition rendered from
/// lists of values, how many it names.
pub(super) type Implied = (Node, Option<Listed>);

/// For a model in a shared table: the key conditions its filter implies.
/// `user_id = "u1"` pins the partition `pk = "USER#u1"`, and
/// `user_id.is_in(["u1", "u2"])` the partitions `pk IN ("USER#u1",
/// "USER#u2")` (with several fields given as lists, every combination:
/// at most `cap * 100 + 1` are rendered). The sort key gets `=` when every field
/// of its template is pinned with `=`, else `begins_with` the rendered
/// text up to the first unpinned field (at least the model's literal
/// prefix). The field conditions themselves stay in the filter.
pub(super) fn template_conditions(
    meta: &TableMeta,
    conjuncts: &Conjuncts,
    cap: usize,
) -> Result<Vec<Implied>> {
    let Some(layout) = meta.single_table else {
        return Ok(Vec::new());
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
        let Some(partitions) = partitions(meta, partition_template, conjuncts, cap)? else {
            continue;
        };
        let listed = (!partitions.lists.is_empty()).then_some(Listed {
            attribute: match partitions.lists.as_slice() {
                [field] => field,
                _ => pk,
            },
            values: partitions.count,
            complete: partitions.count <= rendered_cap(cap),
        });
        let mut texts = partitions.texts.into_iter().map(AttributeValue::S);
        let partition = match (partitions.lists.is_empty(), texts.next()) {
            (true, Some(one)) => Node::Compare {
                path: pk,
                op: CompareOp::Eq,
                value: Ok(one),
            },
            (_, first) => Node::In {
                path: pk,
                values: first.into_iter().chain(texts).map(Ok).collect(),
            },
        };
        implied.push((partition, listed));
        if let (Some(template), Some(sk)) = (sort_template, sk) {
            let (text, complete) = render(meta, template, |attribute| {
                conjuncts.eq(attribute).map(|(_, v)| Cow::Owned(v))
            })?;
            if complete {
                implied.push((
                    Node::Compare {
                        path: sk,
                        op: CompareOp::Eq,
                        value: Ok(AttributeValue::S(text)),
                    },
                    None,
                ));
            } else if !text.is_empty() {
                implied.push((
                    Node::BeginsWith {
                        path: sk,
                        value: Ok(AttributeValue::S(text)),
                    },
                    None,
                ));
            }
        }
    }
    Ok(implied)
}

/// The text of a template up to its first field `value_of` does not know,
/// and whether every field was known.
fn render<'v>(
    meta: &TableMeta,
    template: &[Segment],
    value_of: impl FnMut(&str) -> Option<Cow<'v, AttributeValue>>,
) -> Result<(String, bool)> {
    render_prefix(template, value_of).map_err(|(attribute, e)| Error::InvalidValue {
        attribute: format!("{}.{attribute}", meta.model),
        reason: e.to_string(),
    })
}

/// The most partitions a read within the cap can name: `cap` requests of
/// a key list (100 keys each); a Query per partition allows fewer.
fn rendered_cap(cap: usize) -> usize {
    cap.saturating_mul(crate::read::exec::BATCH_GET_LIMIT)
}

/// The partitions a filter names through a partition template.
struct Partitions {
    /// One rendered text per combination of the lists, the first field's
    /// values slowest, each list in the order its values were first given;
    /// at most `cap * 100 + 1`.
    texts: Vec<String>,
    /// How many combinations there are (saturated).
    count: usize,
    /// The fields given as `is_in` lists (none: one partition, by `=`).
    lists: Vec<&'static str>,
}

/// The partitions a filter names through a partition template: every
/// field pinned with `=` or given as an `is_in` list (deduplicated).
/// `None`: a field is neither.
fn partitions(
    meta: &TableMeta,
    template: &[Segment],
    conjuncts: &Conjuncts,
    cap: usize,
) -> Result<Option<Partitions>> {
    let mut values: Vec<(&'static str, Vec<AttributeValue>)> = Vec::new();
    let mut lists = Vec::new();
    for field in fields(template) {
        let given = match conjuncts.eq(field) {
            Some((_, v)) => vec![v],
            None => match conjuncts.is_in(field) {
                Some((_, list)) => {
                    lists.push(field);
                    list
                }
                None => return Ok(None),
            },
        };
        values.push((field, given));
    }
    let count = values
        .iter()
        .fold(1usize, |n, (_, given)| n.saturating_mul(given.len()));
    let mut texts = Vec::new();
    for n in 0..count.min(rendered_cap(cap).saturating_add(1)) {
        // Combination `n` in mixed radix, the last field's digit fastest.
        let mut rest = n;
        let mut pick = vec![0; values.len()];
        for (slot, (_, given)) in pick.iter_mut().zip(&values).rev() {
            *slot = rest % given.len();
            rest /= given.len();
        }
        let (text, _) = render(meta, template, |attribute| {
            values
                .iter()
                .zip(&pick)
                .find(|((field, _), _)| *field == attribute)
                .and_then(|((_, given), i)| given.get(*i))
                .map(Cow::Borrowed)
        })?;
        texts.push(text);
    }
    Ok(Some(Partitions {
        texts,
        count,
        lists,
    }))
}
