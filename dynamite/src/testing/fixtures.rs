//! Fixture files: rows loaded before a test, from JSON naming each list's
//! model, through the same writes as `create` (hooks run, keys and index
//! templates are rendered, validators apply).

use std::fmt;
use std::path::Path;

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::model::Table;

/// The key of a file's raw items section.
pub const RAW_ITEMS: &str = "$items";

type LoadRow = for<'a> fn(&'a Dynamite, Value) -> BoxFuture<'a, std::result::Result<(), RowError>>;

/// Why one row was not stored.
enum RowError {
    /// It does not deserialize into its model.
    Parse(serde_json::Error),
    /// The write failed.
    Write(Error),
}

/// Loads fixture files: JSON objects mapping a model's type name to a list
/// of its rows in the model's serde form, plus raw DynamoDB-JSON items
/// under `"$items"`, keyed by table name without the handle's prefix:
///
/// ```json
/// {
///   "User": [{"id": "ada", "name": "Ada"}],
///   "Order": [{"id": "o1", "user_id": "ada", "total": 42}],
///   "$items": {"legacy_events": [{"pk": {"S": "e1"}, "kind": {"S": "login"}}]}
/// }
/// ```
///
/// A field a row leaves out gets what `create` would give it: its
/// `#[dynamite(default = ..)]` (a literal, a function's value, a fresh
/// `uuid` / `ulid`, `now`), the time of loading for `created_at` and
/// `updated_at`, 1 for `version`; else its `#[serde(default)]`, `None` for
/// an `Option`, or a "missing field" error. Keys are serde's (after
/// `#[serde(rename)]` / `rename_all`), and a default is written in its
/// type's serde form, so that type must implement `Serialize`. A value the
/// row gives is kept as given, as `create` keeps what is set. Then the row
/// is deserialized with serde and stored like a `create`:
/// `before_create` / `after_create` hooks run, validators apply, keys and
/// index templates are rendered, and a row whose key is already stored is
/// an error. Raw items are stored as they are (a PutItem, no
/// condition) in the prefixed table, which must exist. Every failure is
/// [`Error::Fixture`], naming the file, the model and the row's index.
///
/// `#[dynamite::test(models(..), fixtures("path"))]` loads files this way;
/// without the attribute:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// use dynamite::testing::Fixtures;
///
/// #[derive(Table, Debug, Clone, serde::Deserialize)]
/// struct User {
///     #[dynamite(primary_key)]
///     id: String,
///     name: String,
/// }
///
/// let db = Dynamite::embedded().table::<User>().build().await?;
/// db.sync().await?;
/// let fixtures = Fixtures::new().model::<User>();
/// let loaded = fixtures
///     .load_json(&db, "users", r#"{"User": [{"id": "ada", "name": "Ada"}]}"#)
///     .await?;
/// assert_eq!(loaded, 1);
/// assert_eq!(User::get(&db, "ada").await?.map(|u| u.name), Some("Ada".into()));
///
/// // A row that is not a User names the file, the model and the row.
/// let error = fixtures
///     .load_json(&db, "bad.json", r#"{"User": [{"id": "bob"}]}"#)
///     .await
///     .unwrap_err();
/// assert_eq!(error.to_string(), "fixture bad.json, User row 0: missing field `name`");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Fixtures {
    /// Model name, Rust type path (which tells two models of one name
    /// apart), loader.
    models: Vec<(&'static str, &'static str, LoadRow)>,
}

impl fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixtures")
            .field(
                "models",
                &self
                    .models
                    .iter()
                    .map(|(name, _, _)| *name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn load_row<T: Table + DeserializeOwned>(
    db: &Dynamite,
    value: Value,
) -> BoxFuture<'_, std::result::Result<(), RowError>> {
    Box::pin(async move {
        let mut value = value;
        if let Value::Object(row) = &mut value {
            T::__fill_fixture_defaults(&mut super::row_defaults::FixtureRow::new(row));
        }
        let row: T = serde_json::from_value(value).map_err(RowError::Parse)?;
        crate::write::single::create(db, row)
            .await
            .map(drop)
            .map_err(RowError::Write)
    })
}

impl Fixtures {
    /// A loader that knows no model yet.
    pub fn new() -> Self {
        Fixtures::default()
    }

    /// Rows listed under `T`'s type name (`"User"`) deserialize into `T`.
    /// Two models of one name (`a::Note`, `b::Note`) make that name
    /// ambiguous: a file listing it is an [`Error::Fixture`](crate::Error::Fixture)
    /// naming both.
    pub fn model<T: Table + DeserializeOwned>(mut self) -> Self {
        let name = T::META.model;
        let path = std::any::type_name::<T>();
        if !self.models.iter().any(|(_, p, _)| *p == path) {
            self.models.push((name, path, load_row::<T>));
        }
        self
    }

    /// Reads the JSON file at `path` and stores its rows (see
    /// [`load_json`](Self::load_json)); returns how many it stored.
    pub async fn load(&self, db: &Dynamite, path: impl AsRef<Path>) -> Result<usize> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let json = std::fs::read_to_string(path).map_err(|e| {
            fixture_error(
                &name,
                "",
                None,
                format!("cannot read it: {e}"),
                Some(Box::new(e)),
            )
        })?;
        self.load_json(db, &name, &json).await
    }

    /// Stores the rows of the fixture `json` (named `name` in errors):
    /// the lists in the order of their keys (`"$items"` first, then the
    /// models by name), each list's rows in order; returns how many it
    /// stored. Stops at the first failure (rows stored before it stay).
    pub async fn load_json(&self, db: &Dynamite, name: &str, json: &str) -> Result<usize> {
        let lists: Map<String, Value> = serde_json::from_str(json).map_err(|e| {
            fixture_error(
                name,
                "",
                None,
                format!("not a JSON object of model names to row lists: {e}"),
                Some(Box::new(e)),
            )
        })?;
        let mut stored = 0;
        for (model, rows) in lists {
            if model == RAW_ITEMS {
                stored += raw_items(db, name, rows).await?;
                continue;
            }
            let load = self.loader(name, &model)?;
            for (index, row) in rows_of(name, &model, rows)?.into_iter().enumerate() {
                load(db, row).await.map_err(|e| match e {
                    RowError::Parse(e) => {
                        fixture_error(name, &model, Some(index), e.to_string(), Some(Box::new(e)))
                    }
                    RowError::Write(e) => not_stored(name, &model, index, e),
                })?;
                stored += 1;
            }
        }
        Ok(stored)
    }

    fn loader(&self, file: &str, model: &str) -> Result<LoadRow> {
        let named: Vec<_> = self.models.iter().filter(|(n, _, _)| *n == model).collect();
        if named.len() > 1 {
            let paths: Vec<&str> = named.iter().map(|(_, p, _)| *p).collect();
            return Err(fixture_error(
                file,
                model,
                None,
                format!(
                    "{} models of this test are named `{model}` ({}): a fixture file names \
                     models by type name, so load each through a `Fixtures` of its own",
                    paths.len(),
                    paths.join(", ")
                ),
                None,
            ));
        }
        named.first().map(|(_, _, load)| *load).ok_or_else(|| {
            let known: Vec<&str> = self.models.iter().map(|(n, _, _)| *n).collect();
            fixture_error(
                file,
                model,
                None,
                format!(
                    "no model of this test is named `{model}` (known: {}; raw items go \
                         under \"{RAW_ITEMS}\")",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
                None,
            )
        })
    }
}

fn rows_of(file: &str, model: &str, rows: Value) -> Result<Vec<Value>> {
    match rows {
        Value::Array(rows) => Ok(rows),
        other => Err(fixture_error(
            file,
            model,
            None,
            format!("expected a list of rows, found {}", json_type(&other)),
            None,
        )),
    }
}

/// Stores the `"$items"` section: table name (without prefix) to items.
async fn raw_items(db: &Dynamite, file: &str, tables: Value) -> Result<usize> {
    let Value::Object(tables) = tables else {
        return Err(fixture_error(
            file,
            RAW_ITEMS,
            None,
            format!(
                "expected an object of table names to item lists, found {}",
                json_type(&tables)
            ),
            None,
        ));
    };
    let mut stored = 0;
    for (table, items) in tables {
        let label = format!("{RAW_ITEMS}.{table}");
        let full = format!("{}{table}", db.table_prefix());
        for (index, value) in rows_of(file, &label, items)?.into_iter().enumerate() {
            let item = super::dynamodb_json::item(&value)
                .map_err(|e| fixture_error(file, &label, Some(index), e, None))?;
            db.client()
                .put_item()
                .table_name(&full)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| {
                    let e = crate::error::sdk_error("PutItem", &full, e);
                    not_stored(file, &label, index, e)
                })?;
            stored += 1;
        }
    }
    Ok(stored)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Row `row` of `model` was sent, and its write failed with `error`.
fn not_stored(file: &str, model: &str, row: usize, error: Error) -> Error {
    let message = format!("not stored: {error}");
    fixture_error(file, model, Some(row), message, Some(Box::new(error)))
}

fn fixture_error(
    file: &str,
    model: &str,
    row: Option<usize>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Fixture {
        file: file.to_owned(),
        model: model.to_owned(),
        row,
        message,
        source,
    }
}
