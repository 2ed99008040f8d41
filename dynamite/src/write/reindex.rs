//! Index keys that follow the stored fields: an update of a field of an
//! overloaded GSI's key template re-renders that index's key attributes,
//! and is conditioned on the stored values of the template's other fields.
//!
//! The rendering reads the fields the update does not set from the row the
//! update started from (`row.update()`), or, for an update by key
//! (`update_key`, `update_where`), from the row as stored, read first. Another
//! writer may have changed one of those fields since: without the
//! condition the new key would render the old value, and the index would
//! answer a query for the stored value without that row. With it, the
//! write is refused ([`crate::Error::Conflict`]) and nothing drifts.

use super::update::Action;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::model::TableMeta;
use crate::template::{fields as template_fields, render};
use crate::value::{AttributeValue, Item};

/// What an update adds for the overloaded GSIs whose templates it touches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reindexed {
    /// The index key attributes, re-rendered (or removed: sparse).
    pub(super) actions: Vec<Action>,
    /// The fields the rendering read from the row and the update does not
    /// set, with the value rendered from (`None`: absent): the stored item
    /// must still hold exactly these.
    pub(super) expected: Vec<(&'static str, Option<AttributeValue>)>,
}

impl Reindexed {
    /// The condition that the stored fields are the ones rendered from.
    pub(super) fn condition(&self) -> Option<Node> {
        let nodes: Vec<Node> = self
            .expected
            .iter()
            .map(|&(name, ref value)| match value {
                Some(v) => Node::Compare {
                    path: name,
                    op: CompareOp::Eq,
                    value: Ok(v.clone()),
                },
                None => Node::NotExists(name),
            })
            .collect();
        match nodes.len() {
            0 => None,
            1 => nodes.into_iter().next(),
            _ => Some(Node::And(nodes)),
        }
    }

    /// The first expected field the stored item `old` no longer holds.
    pub(super) fn stale_field(&self, old: &Item) -> Option<&str> {
        self.expected
            .iter()
            .find(|(name, value)| match (old.get(*name), value) {
                (None, None) => false,
                (Some(s), Some(v)) => !crate::read::canonical::same_value(s, v),
                _ => true,
            })
            .map(|(name, _)| *name)
    }
}

/// The template indexes whose fields `actions` touch, without an explicit
/// assignment of their key attributes (`save` assigns them itself).
fn touched<'a>(
    meta: &'a TableMeta,
    actions: &'a [Action],
) -> impl Iterator<
    Item = (
        &'static crate::model::IndexTemplate,
        &'static crate::model::IndexMeta,
        Vec<&'static str>,
    ),
> + 'a {
    let templates = meta.single_table.map(|l| l.indexes).unwrap_or_default();
    templates.iter().filter_map(move |template| {
        let index = meta.indexes.iter().find(|i| i.name == template.name)?;
        let fields: Vec<&'static str> = template_fields(template.partition)
            .chain(template_fields(template.sort.unwrap_or_default()))
            .collect();
        let touches = actions.iter().any(|a| fields.contains(&a.attribute()));
        let assigned = actions
            .iter()
            .any(|a| a.attribute() == index.partition_key.name);
        (touches && !assigned).then_some((template, index, fields))
    })
}

/// The names of the indexes whose keys the update re-renders.
pub(super) fn rerendered(meta: &TableMeta, actions: &[Action]) -> Vec<&'static str> {
    touched(meta, actions)
        .map(|(_, index, _)| index.name)
        .collect()
}

/// Whether the update re-renders an index key (and so needs the row: an
/// update by key reads it first).
pub(super) fn rerenders(meta: &TableMeta, actions: &[Action]) -> bool {
    touched(meta, actions).next().is_some()
}

/// The index key actions and the condition of an update started from
/// `origin` (the row as the writer saw it; `None`: an update by key whose
/// row was not read, refused when a template needs a field it does not set).
pub(super) fn reindex(
    meta: &TableMeta,
    origin: Option<&Item>,
    actions: &[Action],
) -> Result<Reindexed> {
    let mut out = Reindexed::default();
    for (template, index, fields) in touched(meta, actions) {
        let mut values = origin.cloned().unwrap_or_default();
        let mut removed = Vec::new();
        let mut set: Vec<&str> = Vec::new();
        for action in actions {
            match action {
                Action::Set(name, Ok(v)) => {
                    values.insert(name.clone(), v.clone());
                    set.push(name);
                }
                Action::Set(name, Err(_)) => set.push(name),
                Action::Unset(name) | Action::Remove(name) => {
                    values.remove(name);
                    removed.push(name.as_str());
                    set.push(name);
                }
                Action::Add(name, _) | Action::Append(name, _)
                    if fields.contains(&name.as_str()) =>
                {
                    return Err(Error::NotUpdatable {
                        model: meta.model,
                        attribute: name.clone(),
                        reason: "a field of an overloaded GSI key is set, not added to",
                    });
                }
                Action::Add(..) | Action::Append(..) => {}
            }
        }
        if origin.is_none()
            && let Some(unknown) = fields
                .iter()
                .find(|f| !values.contains_key(**f) && !removed.contains(f))
        {
            return Err(Error::NotUpdatable {
                model: meta.model,
                attribute: (*unknown).to_owned(),
                reason: "an update of a field of an overloaded GSI key needs every field of \
                         that index's templates: update the row (`row.update()`) instead",
            });
        }
        for field in fields.iter().filter(|f| !set.contains(*f)) {
            if !out.expected.iter().any(|(n, _)| n == field) {
                out.expected.push((field, values.get(*field).cloned()));
            }
        }
        // A value the template cannot hold is refused whatever the other
        // fields are (so an update by key refuses it before reading).
        let segments = template
            .partition
            .iter()
            .chain(template.sort.unwrap_or_default());
        for segment in segments {
            if let crate::template::Segment::Field {
                attribute,
                encoding,
            } = segment
                && let Some(Action::Set(_, Ok(v))) =
                    actions.iter().rev().find(|a| a.attribute() == *attribute)
            {
                crate::template::render_value(*encoding, v, &mut String::new()).map_err(|e| {
                    Error::InvalidValue {
                        attribute: format!("{}.{attribute}", meta.model),
                        reason: e.to_string(),
                    }
                })?;
            }
        }
        let present = fields.iter().all(|f| values.contains_key(*f));
        let sort = template.sort.zip(index.sort_key);
        if !present {
            out.actions
                .push(Action::Remove(index.partition_key.name.to_owned()));
            if let Some((_, k)) = sort {
                out.actions.push(Action::Remove(k.name.to_owned()));
            }
            continue;
        }
        let rendered = |t: &[crate::template::Segment], name: &str| -> Result<Action> {
            let text = render(t, &values).map_err(|e| Error::InvalidValue {
                attribute: format!("{}.{}", meta.model, index.partition_key.name),
                reason: e.to_string(),
            })?;
            // An empty key is refused before sending, as `create` refuses it.
            if text.is_empty() {
                return Err(Error::MissingKey {
                    table: meta.table_name.to_owned(),
                    attribute: name.to_owned(),
                });
            }
            Ok(Action::Set(name.to_owned(), Ok(AttributeValue::S(text))))
        };
        out.actions
            .push(rendered(template.partition, index.partition_key.name)?);
        if let Some((t, k)) = sort {
            out.actions.push(rendered(t, k.name)?);
        }
    }
    Ok(out)
}
