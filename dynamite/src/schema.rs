//! `sync()`: create missing tables and GSIs, enable TTL, set the table
//! options, wait until ACTIVE, report changes.
//!
//! It never deletes or recreates a table: a table whose key schema differs
//! from the model is an [`Error::Schema`], left as it is. A change that
//! would lose data or protection is reported as [`Withheld`], not made.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableDescription, TableStatus,
};
use tracing::Instrument;

use crate::client::Dynamite;
use crate::error::{Error, Result, sdk_error};
use crate::model::KeyMeta;
pub use crate::registry::IndexSpec;
use crate::sync_options::{self, Mode};
use crate::table_options::{Billing, StreamView, TableOptions};
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
    /// The TTL attribute (`#[dynamite(ttl)]`), if the models have one.
    pub ttl: Option<&'static str>,
    /// Billing, deletion protection, stream, tags, point-in-time recovery.
    pub options: TableOptions,
}

impl TableSpec {
    /// The TTL attribute `sync()` enables: the models' one, unless the
    /// options say `time_to_live(false)`.
    pub fn enabled_ttl(&self) -> Option<&'static str> {
        self.ttl
            .filter(|_| self.options.time_to_live_enabled() != Some(false))
    }
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
    /// TTL enabled on an attribute.
    EnableTtl {
        /// Table name.
        table: String,
        /// The TTL attribute.
        attribute: String,
    },
    /// TTL turned off (only ever withheld: AWS then blocks enabling it
    /// again for about an hour).
    DisableTtl {
        /// Table name.
        table: String,
    },
    /// The billing mode (or its capacity) set.
    SetBilling {
        /// Table name.
        table: String,
        /// The billing now.
        billing: Billing,
    },
    /// Deletion protection turned on.
    EnableDeletionProtection {
        /// Table name.
        table: String,
    },
    /// Deletion protection turned off (only ever withheld).
    DisableDeletionProtection {
        /// Table name.
        table: String,
    },
    /// A stream enabled.
    EnableStream {
        /// Table name.
        table: String,
        /// What its records carry.
        view: StreamView,
    },
    /// The stream disabled (only ever withheld: its records would be lost).
    DisableStream {
        /// Table name.
        table: String,
    },
    /// A tag set (added, or its value changed).
    Tag {
        /// Table name.
        table: String,
        /// Tag key.
        key: String,
        /// Tag value.
        value: String,
    },
    /// Point-in-time recovery turned on.
    EnablePointInTimeRecovery {
        /// Table name.
        table: String,
    },
    /// Point-in-time recovery turned off (only ever withheld: its backups
    /// would be deleted).
    DisablePointInTimeRecovery {
        /// Table name.
        table: String,
    },
}

impl Change {
    /// The table the change is about.
    pub fn table(&self) -> &str {
        match self {
            Change::CreateTable { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::EnableTtl { table, .. }
            | Change::DisableTtl { table }
            | Change::SetBilling { table, .. }
            | Change::EnableDeletionProtection { table }
            | Change::DisableDeletionProtection { table }
            | Change::EnableStream { table, .. }
            | Change::DisableStream { table }
            | Change::Tag { table, .. }
            | Change::EnablePointInTimeRecovery { table }
            | Change::DisablePointInTimeRecovery { table } => table,
        }
    }
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
            Change::EnableTtl { table, attribute } => {
                write!(f, "enable TTL on {table}.{attribute}")
            }
            Change::DisableTtl { table } => write!(f, "disable TTL on {table}"),
            Change::SetBilling { table, billing } => write!(f, "bill {table} {billing}"),
            Change::EnableDeletionProtection { table } => {
                write!(f, "enable deletion protection on {table}")
            }
            Change::DisableDeletionProtection { table } => {
                write!(f, "disable deletion protection on {table}")
            }
            Change::EnableStream { table, view } => {
                write!(f, "enable stream {} on {table}", view.as_str())
            }
            Change::DisableStream { table } => write!(f, "disable the stream of {table}"),
            Change::Tag { table, key, value } => write!(f, "tag {table} {key}={value}"),
            Change::EnablePointInTimeRecovery { table } => {
                write!(f, "enable point-in-time recovery on {table}")
            }
            Change::DisablePointInTimeRecovery { table } => {
                write!(f, "disable point-in-time recovery on {table}")
            }
        }
    }
}

/// A change the models or options ask for that `sync()` did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// What was asked for.
    pub change: Change,
    /// Why it was not made.
    pub reason: WithheldReason,
}

/// Why `sync()` withheld a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithheldReason {
    /// It would lose data (stream records, backups): make it yourself.
    LosesData(String),
    /// It would remove a protection: make it yourself.
    LosesProtection(String),
    /// The table's TTL is on another attribute. DynamoDB has one TTL
    /// attribute per table, and after TTL is disabled AWS blocks enabling
    /// it again for about an hour: change it yourself.
    TtlAttributeInUse {
        /// The attribute TTL is on now.
        current: String,
    },
    /// DynamoDB cannot make it now.
    NotNow(String),
    /// The endpoint does not implement it (DynamoDB Local and the embedded
    /// engine lack point-in-time recovery); AWS does.
    Unsupported {
        /// The operation the endpoint refused.
        operation: &'static str,
        /// What it answered.
        message: String,
    },
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: not made, ", self.change)?;
        match &self.reason {
            WithheldReason::LosesData(why)
            | WithheldReason::LosesProtection(why)
            | WithheldReason::NotNow(why) => f.write_str(why),
            WithheldReason::TtlAttributeInUse { current } => write!(
                f,
                "TTL is on `{current}`; DynamoDB has one TTL attribute per table and blocks \
                 re-enabling TTL for about an hour after it is disabled: change it yourself"
            ),
            WithheldReason::Unsupported { operation, message } => {
                write!(f, "the endpoint does not implement {operation} ({message})")
            }
        }
    }
}

/// What `sync()` changed (or `sync_plan()` would change): empty when the
/// schema and options were already in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The changes, in the order they were made.
    pub changes: Vec<Change>,
    /// Changes asked for but not made (destructive, blocked by DynamoDB
    /// for now, or not implemented by the endpoint), with the reason.
    pub withheld: Vec<Withheld>,
}

impl SyncReport {
    /// True when nothing had to change and nothing was withheld.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.withheld.is_empty()
    }
}

/// One line per change, then one per withheld change.
impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for line in self
            .changes
            .iter()
            .map(ToString::to_string)
            .chain(self.withheld.iter().map(ToString::to_string))
        {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            f.write_str(&line)?;
        }
        Ok(())
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
                ttl: r.meta.ttl,
                options: db.table_options(&r.table_name),
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

pub(crate) async fn describe(db: &Dynamite, table: &str) -> Result<Option<TableDescription>> {
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

pub(crate) async fn wait_active(db: &Dynamite, table: &str, deadline: Instant) -> Result<()> {
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
    // Provisioned billing: every GSI gets the table's capacity.
    let throughput = sync_options::provisioned_throughput(spec.options.billing_mode())?;
    let gsis = spec
        .indexes
        .iter()
        .map(|i| {
            GlobalSecondaryIndex::builder()
                .index_name(&i.name)
                .set_key_schema(Some(index_key_schema(i)?))
                .projection(all_projection())
                .set_provisioned_throughput(throughput.clone())
                .build()
                .map_err(|e| Error::backend("CreateTable", e))
        })
        .collect::<Result<Vec<_>>>()?;
    let request = db
        .client()
        .create_table()
        .table_name(&spec.name)
        .set_key_schema(Some(key_schema(spec.partition_key, spec.sort_key)?))
        .set_attribute_definitions(Some(attribute_definitions(keys.iter())?))
        .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis));
    sync_options::create_settings(request, &spec.options)?
        .send()
        .await
        .map_err(|e| sdk_error("CreateTable", &spec.name, e))?;
    Ok(())
}

async fn create_index(
    db: &Dynamite,
    spec: &TableSpec,
    existing: &TableDescription,
    index: &IndexSpec,
) -> Result<()> {
    let keys: Vec<KeyMeta> = index.key_attributes().collect();
    let action = CreateGlobalSecondaryIndexAction::builder()
        .index_name(&index.name)
        .set_key_schema(Some(index_key_schema(index)?))
        .projection(all_projection())
        .set_provisioned_throughput(sync_options::index_throughput(existing)?)
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
        let span = crate::trace::operation_span!("dynamite.sync_plan", None);
        async move {
            let mut report = SyncReport::default();
            for spec in desired(self)? {
                match describe(self, &spec.name).await? {
                    None => {
                        report.changes.push(Change::CreateTable {
                            table: spec.name.clone(),
                            indexes: spec.indexes.iter().map(|i| i.name.clone()).collect(),
                        });
                        report
                            .changes
                            .extend(sync_options::new_table_changes(&spec));
                    }
                    Some(existing) => {
                        check_keys(&spec, &existing)?;
                        for index in missing_indexes(&spec, &existing) {
                            report.changes.push(Change::CreateIndex {
                                table: spec.name.clone(),
                                index: index.name.clone(),
                            });
                        }
                        sync_options::reconcile(self, &spec, &existing, Mode::Plan, &mut report)
                            .await?;
                    }
                }
            }
            Ok(report)
        }
        .instrument(span)
        .await
    }

    /// Creates missing tables and GSIs of every registered model (billing
    /// PAY_PER_REQUEST unless [`TableOptions`] say otherwise, projection
    /// ALL), enables TTL on the models' `ttl` attribute, sets the table
    /// options, one UpdateTable at a time, and waits until all are ACTIVE.
    /// Idempotent; never deletes or recreates a table, and never makes a
    /// change that would lose data or protection: those are in
    /// [`SyncReport::withheld`], as are options the endpoint lacks.
    pub async fn sync(&self) -> Result<SyncReport> {
        let span = crate::trace::operation_span!("dynamite.sync", None);
        async move {
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
                        // What CreateTable set; TTL and point-in-time recovery follow.
                        report.changes.extend(
                            sync_options::new_table_changes(&spec)
                                .into_iter()
                                .filter(|c| {
                                    !matches!(
                                        c,
                                        Change::EnableTtl { .. }
                                            | Change::EnablePointInTimeRecovery { .. }
                                    )
                                }),
                        );
                        wait_active(self, &spec.name, deadline).await?;
                        sync_options::after_create(self, &spec, &mut report).await?;
                    }
                    Some(existing) => {
                        check_keys(&spec, &existing)?;
                        if !is_active(&existing) {
                            wait_active(self, &spec.name, deadline).await?;
                        }
                        for index in missing_indexes(&spec, &existing) {
                            create_index(self, &spec, &existing, index).await?;
                            report.changes.push(Change::CreateIndex {
                                table: spec.name.clone(),
                                index: index.name.clone(),
                            });
                            wait_active(self, &spec.name, deadline).await?;
                        }
                        let mode = Mode::Apply { deadline };
                        sync_options::reconcile(self, &spec, &existing, mode, &mut report).await?;
                    }
                }
            }
            Ok(report)
        }
        .instrument(span)
        .await
    }
}
