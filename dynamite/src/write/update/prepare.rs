//! An update's UpdateItem, rendered in stages: the actions (with
//! `updated_at`, re-rendered index keys and the version), the update
//! expression, the condition, and the write id.

use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::{ExpressionBuilder, Node, Operand};
use crate::model::{Table, TableMeta};
use crate::value::{AttributeValue, Item, ScalarType, ValueError};

use super::Update;
use super::action::{Action, merge_clauses, one_action_per_attribute, refuse_unupdatable};

/// The actions to send and what they mean for the version.
struct Planned {
    actions: Vec<Action>,
    reindexed: crate::write::reindex::Reindexed,
    /// The version the stored row must have.
    expected_version: Option<AttributeValue>,
    /// Whether the update adds one to the version: not when it changes
    /// only `unversioned` fields.
    bumps_version: bool,
    /// Not idempotent and unprotected by the version (see `PreparedUpdate`).
    at_most_once: bool,
}

impl<T: Table> Update<T> {
    /// The UpdateItem's parts, validated (for `exec` and transactions). An
    /// update with no action is [`Error::NotUpdatable`] and nothing is sent.
    pub(crate) fn prepare(self, db: &Dynamite) -> Result<PreparedUpdate> {
        let meta = &T::META;
        self.check()?;
        let key = self.key?;
        let table = db.registered::<T>()?.table_name.clone();
        let planned = plan_actions(
            meta,
            self.actions,
            self.origin.as_ref(),
            self.expected_version,
            self.version_given,
        )?;
        let mut b = ExpressionBuilder::new();
        let mut expression = render_actions(meta, &mut b, planned.actions)?;
        let mut condition = format!("attribute_exists({})", b.name(meta.partition_key.name));
        if let (Some(version), Some(expected)) = (meta.version, &planned.expected_version) {
            let node = Node::Compare {
                path: version,
                op: crate::expr::CompareOp::Eq,
                value: Ok(expected.clone()),
            };
            condition = format!("{condition} AND {}", b.render(&node)?);
        }
        if let (Some(deleted_at), true) = (meta.deleted_at, self.live_only) {
            condition = format!("{condition} AND {}", b.render(&Node::IsNone(deleted_at))?);
        }
        // In a shared table never another model's item with the same key;
        // never an expired row.
        if let Some(own) = crate::read::writable_row(meta) {
            condition = format!("{condition} AND {}", b.render(&own)?);
        }
        // The fields a re-rendered index key was rendered from are still
        // the stored ones (no index key drifts from its item).
        if let Some(c) = planned.reindexed.condition() {
            condition = format!("{condition} AND {}", b.render(&c)?);
        }
        if let Some(c) = &self.condition {
            condition = format!("{condition} AND {}", b.render(c)?);
        }
        // The write id: stored by this update, and required not to be
        // stored already, so a retry of an applied attempt changes nothing
        // and is recognised (see `evidence`).
        let write_id = db.write_id_attribute().map(|name| {
            let id = crate::write::evidence::new_write_id();
            let n = b.name(name);
            let v = b.value(id.clone());
            expression.push(format!("SET {n} = {v}"));
            condition = format!("{condition} AND {n} <> {v}");
            (name.to_owned(), id)
        });
        let expression = merge_clauses(expression);
        b.check_write(
            meta.model,
            &[("update", &expression), ("condition", &condition)],
        )?;
        Ok(PreparedUpdate {
            table,
            key,
            expression,
            condition,
            names: b.names(),
            values: b.values(),
            expected_version: planned.expected_version,
            bumps_version: planned.bumps_version,
            has_condition: self.condition.is_some(),
            live_only: self.live_only,
            write_id,
            reindexed: planned.reindexed,
            at_most_once: planned.at_most_once,
        })
    }
}

/// The actions to send: the caller's (one per attribute, none on a key or
/// the version), the re-rendered index keys, `updated_at`, and `ADD
/// version 1` unless only `unversioned` fields change. Such an update
/// keeps only a version the caller gave (`expect_version`), not the one of
/// the row it started from: a counter never conflicts with a stale copy.
fn plan_actions(
    meta: &TableMeta,
    actions: Vec<Action>,
    origin: Option<&Item>,
    expected_version: Option<AttributeValue>,
    version_given: bool,
) -> Result<Planned> {
    if actions.is_empty() {
        return Err(Error::NotUpdatable {
            model: meta.model,
            attribute: String::new(),
            reason: "an update with nothing to change",
        });
    }
    let mut actions = one_action_per_attribute(meta.model, actions)?;
    refuse_unupdatable(meta, &actions)?;
    let bumps_version =
        meta.version.is_some() && actions.iter().any(|a| !meta.is_unversioned(a.attribute()));
    let expected_version = expected_version.filter(|_| bumps_version || version_given);
    let mut reindexed = crate::write::reindex::reindex(meta, origin, &actions)?;
    actions.append(&mut reindexed.actions);
    if let Some(updated_at) = meta.updated_at
        && !actions.iter().any(|a| a.attribute() == updated_at)
    {
        let scalar = meta.attribute(updated_at).and_then(|a| a.scalar);
        let now = match scalar {
            Some(ScalarType::N) => AttributeValue::N(crate::time::now_millis().to_string()),
            _ => AttributeValue::S(crate::time::now_iso8601()),
        };
        actions.push(Action::Set(updated_at.to_owned(), Ok(now)));
    }
    // A second application of an ADD / list_append changes the row again;
    // only a version condition that the write itself moves makes a retry
    // fail instead.
    let at_most_once = !(expected_version.is_some() && bumps_version)
        && actions
            .iter()
            .any(|a| matches!(a, Action::Add(..) | Action::Append(..)));
    if let (Some(version), true) = (meta.version, bumps_version) {
        actions.push(Action::Add(
            version.to_owned(),
            Ok(AttributeValue::N("1".to_owned())),
        ));
    }
    Ok(Planned {
        actions,
        reindexed,
        expected_version,
        bumps_version,
        at_most_once,
    })
}

/// `SET .. REMOVE .. ADD ..` clauses of `actions` (merged by `prepare`).
fn render_actions(
    meta: &TableMeta,
    b: &mut ExpressionBuilder,
    actions: Vec<Action>,
) -> Result<Vec<String>> {
    let operand = |b: &mut ExpressionBuilder, name: &str, v: Operand| -> Result<String> {
        v.map(|v| b.value(v))
            .map_err(|e: ValueError| Error::InvalidValue {
                attribute: format!("{}.{name}", meta.model),
                reason: e.to_string(),
            })
    };
    let (mut sets, mut removes, mut adds) = (Vec::new(), Vec::new(), Vec::new());
    for action in actions {
        match action {
            Action::Set(name, v) => {
                let n = b.name(&name);
                sets.push(format!("{n} = {}", operand(b, &name, v)?));
            }
            Action::Append(name, v) => {
                let n = b.name(&name);
                let v = operand(b, &name, v)?;
                let empty = b.value(AttributeValue::L(Vec::new()));
                sets.push(format!(
                    "{n} = list_append(if_not_exists({n}, {empty}), {v})"
                ));
            }
            Action::Remove(name) | Action::Unset(name) => removes.push(b.name(&name)),
            Action::Add(name, v) => {
                let n = b.name(&name);
                adds.push(format!("{n} {}", operand(b, &name, v)?));
            }
        }
    }
    let mut expression = Vec::new();
    if !sets.is_empty() {
        expression.push(format!("SET {}", sets.join(", ")));
    }
    if !removes.is_empty() {
        expression.push(format!("REMOVE {}", removes.join(", ")));
    }
    if !adds.is_empty() {
        expression.push(format!("ADD {}", adds.join(", ")));
    }
    Ok(expression)
}

/// The parts of one UpdateItem.
#[derive(Debug, Clone)]
pub(crate) struct PreparedUpdate {
    pub(crate) table: String,
    pub(crate) key: Item,
    pub(crate) expression: String,
    pub(crate) condition: String,
    pub(crate) names: Option<std::collections::HashMap<String, String>>,
    pub(crate) values: Option<std::collections::HashMap<String, AttributeValue>>,
    pub(crate) expected_version: Option<AttributeValue>,
    /// Whether the update adds one to the version (a version one past the
    /// expected one is then evidence of who wrote, see `evidence`).
    pub(crate) bumps_version: bool,
    pub(crate) has_condition: bool,
    /// Whether a soft-deleted row fails the condition (all but `restore`).
    pub(crate) live_only: bool,
    /// The write id attribute and this update's id.
    pub(crate) write_id: Option<(String, AttributeValue)>,
    /// The index keys re-rendered and the stored fields they need.
    pub(crate) reindexed: crate::write::reindex::Reindexed,
    /// Not idempotent (an ADD or append not guarded by a version it
    /// moves): never sent again after an attempt that may have applied
    /// (see `evidence`).
    pub(crate) at_most_once: bool,
}
