//! The actions of an update (`SET`, `REMOVE`, `ADD`, `list_append`), one
//! per attribute, and the attributes no update may touch.

use std::collections::{BTreeSet, HashSet};

use crate::error::{Error, Result};
use crate::expr::Operand;
use crate::value::{Attribute, SetElement};

/// Numbers usable with `increment` / `decrement` / `add`.
pub trait Numeric: Attribute {}
macro_rules! numeric { ($($t:ty),*) => {$( impl Numeric for $t {} )*}; }
numeric!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);
impl<T: Numeric> Numeric for Option<T> {}

/// Values `ADD` accepts: numbers (added) and sets (union).
pub trait Addable: Attribute {}
impl<T: Numeric> Addable for T {}
impl<E: SetElement> Addable for HashSet<E> {}
impl<E: SetElement> Addable for BTreeSet<E> {}

#[derive(Debug, Clone)]
pub(in crate::write) enum Action {
    Set(String, Operand),
    /// `set(column, None)`: an assignment that removes the attribute.
    Unset(String),
    Remove(String),
    Add(String, Operand),
    Append(String, Operand),
}

impl Action {
    pub(in crate::write) fn attribute(&self) -> &str {
        match self {
            Action::Set(a, _)
            | Action::Unset(a)
            | Action::Remove(a)
            | Action::Add(a, _)
            | Action::Append(a, _) => a,
        }
    }

    fn is_assignment(&self) -> bool {
        matches!(self, Action::Set(..) | Action::Unset(_))
    }

    fn describe(&self) -> &'static str {
        match self {
            Action::Set(..) | Action::Unset(_) => "set",
            Action::Remove(_) => "remove",
            Action::Add(..) => "add / increment / decrement",
            Action::Append(..) => "append",
        }
    }
}

/// One action per attribute: `set` twice is the last `set` (last wins),
/// `remove` twice is one; any other pair on one attribute contradicts
/// itself (DynamoDB refuses overlapping paths) and is refused before
/// sending.
pub(super) fn one_action_per_attribute(
    model: &'static str,
    actions: Vec<Action>,
) -> Result<Vec<Action>> {
    let mut out: Vec<Action> = Vec::with_capacity(actions.len());
    for action in actions {
        let Some(i) = out.iter().position(|a| a.attribute() == action.attribute()) else {
            out.push(action);
            continue;
        };
        let earlier = &out[i];
        if earlier.is_assignment() && action.is_assignment() {
            out[i] = action;
        } else if matches!((earlier, &action), (Action::Remove(_), Action::Remove(_))) {
            continue;
        } else {
            return Err(Error::ConflictingUpdate {
                model,
                attribute: action.attribute().to_owned(),
                first: earlier.describe(),
                second: action.describe(),
            });
        }
    }
    Ok(out)
}

/// Key attributes and the version are never updated (refused before sending).
pub(super) fn refuse_unupdatable(meta: &crate::model::TableMeta, actions: &[Action]) -> Result<()> {
    for action in actions {
        if meta.key_names().any(|k| k == action.attribute())
            || meta.is_key_field(action.attribute())
        {
            return Err(Error::NotUpdatable {
                model: meta.model,
                attribute: action.attribute().to_owned(),
                reason: "a key attribute cannot be updated",
            });
        }
        if meta.version == Some(action.attribute()) {
            return Err(Error::NotUpdatable {
                model: meta.model,
                attribute: action.attribute().to_owned(),
                reason: "the version attribute: every write bumps it, it cannot be set",
            });
        }
    }
    Ok(())
}

/// Joins `SET a, SET b, REMOVE c` clauses into one clause per keyword.
pub(super) fn merge_clauses(clauses: Vec<String>) -> String {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for clause in clauses {
        let (keyword, body) = clause.split_once(' ').unwrap_or((clause.as_str(), ""));
        match out.iter_mut().find(|(k, _)| k == keyword) {
            Some((_, bodies)) => bodies.push(body.to_owned()),
            None => out.push((keyword.to_owned(), vec![body.to_owned()])),
        }
    }
    out.into_iter()
        .map(|(keyword, bodies)| format!("{keyword} {}", bodies.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
}
