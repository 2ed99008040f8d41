//! `explain()` of updates: the requests `update_key` / `row.update()` and
//! `update_where` send, without sending them.

use super::set_based::UpdateWhere;
use super::update::Update;
use crate::error::Result;
use crate::model::Table;
use crate::read::plan::Explain;
use crate::registry::Models;
use crate::value::describe_key_in;

/// The step of an update by key that re-renders an overloaded GSI key.
fn read_first(table: &str, key: &str, indexes: &[&str]) -> String {
    format!(
        "GetItem {table} key {key} consistent (the stored fields of the index key(s) {} this \
         update re-renders; the write is conditioned on them)",
        indexes.join(", ")
    )
}

fn described(steps: Result<Vec<String>>) -> Explain {
    match steps {
        Ok(steps) => Explain {
            steps,
            ..Explain::default()
        },
        Err(e) => Explain {
            steps: vec![format!("invalid: {e}")],
            ..Explain::default()
        },
    }
}

impl<T: Table> Update<T> {
    /// The requests this update sends on `models`' tables, without sending
    /// them: an UpdateItem, preceded by a consistent GetItem when it is an
    /// update by key (`update_key`) of a field an overloaded GSI key is
    /// rendered from (the key is rendered from the stored row, and the
    /// write is conditioned on the fields it read).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// #[dynamite(table = "app", pk = "T#{id}", sk = "T")]
    /// #[dynamite(index(name = "gsi1", pk = "S#{status}", sk = "P#{priority}"))]
    /// struct Ticket {
    ///     id: String,
    ///     status: String,
    ///     priority: u8,
    /// }
    /// let db = Dynamite::embedded().table::<Ticket>().build().await?;
    /// let update = Ticket::update_key("t1").set(Ticket::STATUS, "done");
    /// let explain = update.explain(&db);
    /// assert!(explain.steps[0].starts_with("GetItem app key "));
    /// assert!(explain.steps[1].starts_with("UpdateItem app key "));
    /// # Ok(())
    /// # }
    /// ```
    pub fn explain(&self, models: &impl Models) -> Explain {
        described((|| {
            let table = models.registry().table_name::<T>()?;
            let key = describe_key_in(&table, self.key_item()?);
            if self.is_no_op() {
                return Ok(vec![format!(
                    "nothing sent: no change to {table} key {key} (the row in hand is returned)"
                )]);
            }
            if self.changes_nothing() {
                return Err(crate::Error::NotUpdatable {
                    model: T::META.model,
                    attribute: String::new(),
                    reason: "an update with nothing to change",
                });
            }
            let mut steps = Vec::new();
            let indexes = self.rerendered_indexes();
            if self.reads_row_first() {
                steps.push(read_first(&table, &key, &indexes));
            }
            let mut write = format!("UpdateItem {table} key {key}");
            if !indexes.is_empty() {
                write.push_str(&format!(
                    " (re-renders index key(s) {})",
                    indexes.join(", ")
                ));
            }
            steps.push(write);
            Ok(steps)
        })())
    }
}

impl<T: Table> UpdateWhere<T> {
    /// The requests this update sends, without sending them: the read of
    /// the matching keys, then per matching row an UpdateItem (conditioned
    /// on the filter), preceded by a consistent GetItem of the row when the
    /// update sets a field an overloaded GSI key is rendered from.
    pub fn explain(&self, models: &impl Models) -> Explain {
        described((|| {
            let registry = models.registry();
            let table = registry.table_name::<T>()?;
            let mut steps = vec![self.matching_plan(models)?.describe()];
            let update = self.template();
            let indexes = update.rerendered_indexes();
            if update.reads_row_first() {
                steps.push(format!(
                    "per matching row: {}",
                    read_first(&table, "(the row's)", &indexes)
                ));
            }
            steps.push(format!(
                "per matching row: UpdateItem {table} conditioned on the filter"
            ));
            Ok(steps)
        })())
    }
}
