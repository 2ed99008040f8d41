//! `sync()`: create missing tables and GSIs, wait until ACTIVE, report changes.
//!
//! It never deletes or recreates a table: a table whose key schema differs
//! from the model is an [`Error::Schema`], left as it is.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableDescription, TableStatus,
};

use crate::client::Dynamite;
use crate::error::{Error, Result, sdk_error};
use crate::model::KeyMeta;
pub use crate::registry::IndexSpec;
use crate::value::ScalarType;

/// A table the models need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// Full table name (prefix included).
    pub name: String,
    /// Partition key.
    pub partition_key: KeyMeta,
    /// Sort key.
    pub sort_key: Option<KeyMeta>,
    /// Every GSI, declared and foreign-key ones.
    pub indexes: Vec<IndexSpec>,
}

/// One change `sync()` made (or, from `sync_plan()`, would make).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new table, with its GSIs.
    CreateTable {
        /// Table name.
        table: String,
        /// GSIs created with it.
        indexes: Vec<String>,
    },
    /// A GSI added to an existing table.
    CreateIndex {
        /// Table name.
        table: String,
        /// Index name.
        index: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CreateTable { table, indexes } if indexes.is_empty() => {
                write!(f, "create table {table}")
            }
            Change::CreateTable { table, indexes } => {
                write!(
                    f,
                    "create table {table} with index(es) {}",
                    indexes.join(", ")
                )
            }
            Change::CreateIndex { table, index } => write!(f, "create index {index} on {table}"),
        }
    }
}

/// What `sync()` changed: empty when the schema was already in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The changes, in the order they were made.
    pub changes: Vec<Change>,
}

impl SyncReport {
    /// True when nothing had to change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Every table the registry needs, with declared and foreign-key GSIs.
/// A table shared by several models (single-table design) is one spec with
/// the union of their GSIs; one GSI name declared with different keys is
/// [`crate::Error::Schema`] before anything is created.
pub(crate) fn desired(db: &Dynamite) -> Result<Vec<TableSpec>> {
    let mut specs: Vec<TableSpec> = Vec::new();
    for r in db.registered_all() {
        let Some(spec) = specs.iter_mut().find(|s| s.name == r.table_name) else {
            specs.push(TableSpec {
                name: r.table_name.clone(),
                partition_key: r.meta.partition_key,
                sort_key: r.meta.sort_key,
                indexes: r.indexes.clone(),
            });
            continue;
        };
        for index in &r.indexes {
            match spec.indexes.iter().find(|i| i.name == index.name) {
                Some(existing) if existing == index => {}
                Some(existing) => {
                    return Err(crate::Error::Schema {
                        table: spec.name.clone(),
                        message: format!(
                            "index `{}` is declared with different keys by the models of this \
                             table: {existing:?} and {index:?}",
                            index.name
                        ),
                    });
                }
                None => spec.indexes.push(index.clone()),
            }
        }
    }
    Ok(specs)
}

fn scalar_type(s: ScalarType) -> ScalarAttributeType {
    match s {
        ScalarType::S => ScalarAttributeType::S,
        ScalarType::N => ScalarAttributeType::N,
        ScalarType::B => ScalarAttributeType::B,
    }
}

fn key_schema(pk: KeyMeta, sk: Option<KeyMeta>) -> Result<Vec<KeySchemaElement>> {
    let mut out = vec![
        KeySchemaElement::builder()
            .attribute_name(pk.name)
            .key_type(KeyType::Hash)
            .build()
            .map_err(|e| Error::backend("CreateTable", e))?,
    ];
    if let Some(sk) = sk {
        out.push(
            KeySchemaElement::builder()
                .attribute_name(sk.name)
                .key_type(KeyType::Range)
                .build()
                .map_err(|e| Error::backend("CreateTable", e))?,
        );
    }
    Ok(out)
}

/// A GSI's key schema: every partition attribute (HASH), then every sort
/// attribute (RANGE), in declaration order: one of each for a classic key,
/// up to 4 of each for a multi-attribute key.
fn index_key_schema(index: &IndexSpec) -> Result<Vec<KeySchemaElement>> {
    let hash = index.partition_keys().map(|k| (k, KeyType::Hash));
    let range = index.sort_keys().map(|k| (k, KeyType::Range));
    hash.chain(range)
        .map(|(key, kind)| {
            KeySchemaElement::builder()
                .attribute_name(key.name)
                .key_type(kind)
                .build()
                .map_err(|e| Error::backend("CreateTable", e))
        })
        .collect()
}

fn attribute_definitions<'a>(
    keys: impl Iterator<Item = &'a KeyMeta>,
) -> Result<Vec<AttributeDefinition>> {
    let mut seen = HashMap::new();
    for key in keys {
        seen.entry(key.name).or_insert(key.scalar);
    }
    let mut names: Vec<_> = seen.into_iter().collect();
    names.sort_by_key(|(n, _)| *n);
    names
        .into_iter()
        .map(|(name, scalar)| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(scalar_type(scalar))
                .build()
                .map_err(|e| Error::backend("CreateTable", e))
        })
        .collect()
}

fn all_projection() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

async fn describe(db: &Dynamite, table: &str) -> Result<Option<TableDescription>> {
    match db.client().describe_table().table_name(table).send().await {
        Ok(out) => Ok(out.table),
        Err(e) => match e.as_service_error() {
            Some(DescribeTableError::ResourceNotFoundException(_)) => Ok(None),
            _ => Err(sdk_error("DescribeTable", table, e)),
        },
    }
}

/// A key as `name (S|N|B)` (a multi-attribute one as `a (S) + b (N)`),
/// from a key schema and the attribute definitions.
fn describe_existing_key(
    schema: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
    kind: KeyType,
) -> Option<String> {
    let parts: Vec<String> = schema
        .iter()
        .filter(|k| *k.key_type() == kind)
        .map(|k| {
            let name = k.attribute_name();
            let scalar = definitions
                .iter()
                .find(|d| d.attribute_name() == name)
                .map_or("?", |d| d.attribute_type().as_str());
            format!("{name} ({scalar})")
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" + "))
}

fn describe_model_key(keys: impl IntoIterator<Item = KeyMeta>) -> Option<String> {
    let parts: Vec<String> = keys
        .into_iter()
        .map(|k| format!("{} ({})", k.name, scalar_type(k.scalar).as_str()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" + "))
}

fn show(key: &Option<String>) -> &str {
    key.as_deref().unwrap_or("none")
}

/// The existing table's key names and types, and those of its GSIs that
/// the models declare too (and their projection), must be the models':
/// any difference is [`Error::Schema`] naming both sides, and nothing is
/// changed (Dynamite never recreates a table or an index).
fn check_keys(spec: &TableSpec, existing: &TableDescription) -> Result<()> {
    let definitions = existing.attribute_definitions();
    let found = (
        describe_existing_key(existing.key_schema(), definitions, KeyType::Hash),
        describe_existing_key(existing.key_schema(), definitions, KeyType::Range),
    );
    let wanted = (
        describe_model_key(Some(spec.partition_key)),
        describe_model_key(spec.sort_key),
    );
    if found != wanted {
        return Err(Error::Schema {
            table: spec.name.clone(),
            message: format!(
                "the existing table's key is {} / {}, the model's is {} / {} (partition / sort); \
                 Dynamite never recreates tables: migrate it yourself",
                show(&found.0),
                show(&found.1),
                show(&wanted.0),
                show(&wanted.1)
            ),
        });
    }
    for index in &spec.indexes {
        let Some(gsi) = existing
            .global_secondary_indexes()
            .iter()
            .find(|g| g.index_name() == Some(index.name.as_str()))
        else {
            continue;
        };
        let found = (
            describe_existing_key(gsi.key_schema(), definitions, KeyType::Hash),
            describe_existing_key(gsi.key_schema(), definitions, KeyType::Range),
        );
        let wanted = (
            describe_model_key(index.partition_keys()),
            describe_model_key(index.sort_keys()),
        );
        if found != wanted {
            return Err(Error::Schema {
                table: spec.name.clone(),
                message: format!(
                    "index `{}` exists with key {} / {}, the model's is {} / {} (partition / sort); \
                     Dynamite never recreates indexes: drop or rename it yourself",
                    index.name,
                    show(&found.0),
                    show(&found.1),
                    show(&wanted.0),
                    show(&wanted.1)
                ),
            });
        }
        let projection = gsi
            .projection()
            .and_then(|p| p.projection_type())
            .map(|t| t.as_str().to_owned());
        if projection.as_deref() != Some(ProjectionType::All.as_str()) {
            return Err(Error::Schema {
                table: spec.name.clone(),
                message: format!(
                    "index `{}` projects {}, the models read whole items from it (ALL)",
                    index.name,
                    projection.as_deref().unwrap_or("nothing")
                ),
            });
        }
    }
    Ok(())
}

fn missing_indexes<'a>(spec: &'a TableSpec, existing: &TableDescription) -> Vec<&'a IndexSpec> {
    let present: Vec<&str> = existing
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    spec.indexes
        .iter()
        .filter(|i| !present.contains(&i.name.as_str()))
        .collect()
}

fn is_active(table: &TableDescription) -> bool {
    table.table_status() == Some(&TableStatus::Active)
        && table
            .global_secondary_indexes()
            .iter()
            .all(|g| g.index_status() == Some(&IndexStatus::Active))
}

async fn wait_active(db: &Dynamite, table: &str, deadline: Instant) -> Result<()> {
    let mut delay = Duration::from_millis(50);
    loop {
        if let Some(d) = describe(db, table).await?
            && is_active(&d)
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout(format!(
                "table {table} and its indexes to become ACTIVE"
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

async fn create_table(db: &Dynamite, spec: &TableSpec) -> Result<()> {
    let mut keys: Vec<KeyMeta> = vec![spec.partition_key];
    keys.extend(spec.sort_key);
    for index in &spec.indexes {
        keys.extend(index.key_attributes());
    }
    let gsis = spec
        .indexes
        .iter()
        .map(|i| {
            GlobalSecondaryIndex::builder()
                .index_name(&i.name)
                .set_key_schema(Some(index_key_schema(i)?))
                .projection(all_projection())
                .build()
                .map_err(|e| Error::backend("CreateTable", e))
        })
        .collect::<Result<Vec<_>>>()?;
    db.client()
        .create_table()
        .table_name(&spec.name)
        .set_key_schema(Some(key_schema(spec.partition_key, spec.sort_key)?))
        .set_attribute_definitions(Some(attribute_definitions(keys.iter())?))
        .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| sdk_error("CreateTable", &spec.name, e))?;
    Ok(())
}

async fn create_index(db: &Dynamite, spec: &TableSpec, index: &IndexSpec) -> Result<()> {
    let keys: Vec<KeyMeta> = index.key_attributes().collect();
    let action = CreateGlobalSecondaryIndexAction::builder()
        .index_name(&index.name)
        .set_key_schema(Some(index_key_schema(index)?))
        .projection(all_projection())
        .build()
        .map_err(|e| Error::backend("UpdateTable", e))?;
    db.client()
        .update_table()
        .table_name(&spec.name)
        .set_attribute_definitions(Some(attribute_definitions(keys.iter())?))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(action).build(),
        )
        .send()
        .await
        .map_err(|e| sdk_error("UpdateTable", &spec.name, e))?;
    Ok(())
}

impl Dynamite {
    /// What [`sync`](Dynamite::sync) would change, without changing anything.
    pub async fn sync_plan(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        for spec in desired(self)? {
            match describe(self, &spec.name).await? {
                None => report.changes.push(Change::CreateTable {
                    table: spec.name.clone(),
                    indexes: spec.indexes.iter().map(|i| i.name.clone()).collect(),
                }),
                Some(existing) => {
                    check_keys(&spec, &existing)?;
                    for index in missing_indexes(&spec, &existing) {
                        report.changes.push(Change::CreateIndex {
                            table: spec.name.clone(),
                            index: index.name.clone(),
                        });
                    }
                }
            }
        }
        Ok(report)
    }

    /// Creates missing tables and GSIs of every registered model (billing
    /// PAY_PER_REQUEST, projection ALL), one UpdateTable at a time, and waits
    /// until all are ACTIVE. Idempotent; never deletes or recreates a table.
    pub async fn sync(&self) -> Result<SyncReport> {
        let deadline = Instant::now() + self.sync_timeout();
        let mut report = SyncReport::default();
        for spec in desired(self)? {
            match describe(self, &spec.name).await? {
                None => {
                    create_table(self, &spec).await?;
                    report.changes.push(Change::CreateTable {
                        table: spec.name.clone(),
                        indexes: spec.indexes.iter().map(|i| i.name.clone()).collect(),
                    });
                    wait_active(self, &spec.name, deadline).await?;
                }
                Some(existing) => {
                    check_keys(&spec, &existing)?;
                    if !is_active(&existing) {
                        wait_active(self, &spec.name, deadline).await?;
                    }
                    for index in missing_indexes(&spec, &existing) {
                        create_index(self, &spec, index).await?;
                        report.changes.push(Change::CreateIndex {
                            table: spec.name.clone(),
                            index: index.name.clone(),
                        });
                        wait_active(self, &spec.name, deadline).await?;
                    }
                }
            }
        }
        Ok(report)
    }
}
