//! `sync()`: create missing tables and GSIs, enable TTL, set the table
//! options, wait until ACTIVE, report changes.
//!
//! It never deletes or recreates a table: a table whose key schema differs
//! from the model is an [`Error::Schema`], left as it is. A change that
//! would lose data or protection is reported as [`Withheld`], not made.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableDescription, TimeToLiveStatus,
};
use tracing::Instrument;

use crate::client::Dynamite;
use crate::error::{Error, Result, sdk_error};
use crate::model::KeyMeta;
pub use crate::registry::IndexSpec;
use crate::sync_billing;
use crate::sync_options::{self, Mode};
pub use crate::sync_report::{Change, SyncReport, Withheld, WithheldReason};
pub use crate::table_spec::TableSpec;
use crate::table_status::{describe, is_active, wait_active};
use crate::value::ScalarType;

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
        // The table's TTL attribute: the one its TTL models agree on
        // (checked by the registry), whichever model is registered first.
        spec.ttl = spec.ttl.or(r.meta.ttl);
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

async fn create_table(db: &Dynamite, spec: &TableSpec) -> Result<()> {
    let mut keys: Vec<KeyMeta> = vec![spec.partition_key];
    keys.extend(spec.sort_key);
    for index in &spec.indexes {
        keys.extend(index.key_attributes());
    }
    // Provisioned billing: every GSI gets the table's capacity.
    let throughput = sync_billing::provisioned_throughput(spec.options.billing_mode())?;
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
    let caps = sync_billing::create_on_demand_throughput(spec.options.billing_mode());
    let first = sync_options::create_settings(request.clone(), &spec.options)?
        .set_on_demand_throughput(caps.clone())
        .send()
        .await;
    match first {
        Ok(_) => Ok(()),
        // A maximum on one member only, refused (DynamoDB Local wants
        // both): created without it; `after_create` reports it withheld.
        Err(e)
            if caps.as_ref().is_some_and(|c| {
                c.max_read_request_units().is_none() || c.max_write_request_units().is_none()
            }) && e.as_service_error().and_then(|s| s.meta().code())
                == Some("ValidationException") =>
        {
            sync_options::create_settings(request, &spec.options)?
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error("CreateTable", &spec.name, e))
        }
        Err(e) => Err(sdk_error("CreateTable", &spec.name, e)),
    }
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
        .set_provisioned_throughput(sync_billing::index_throughput(
            existing,
            spec.options.billing_mode(),
        )?)
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

/// Every table the models need, with its description (`None`: missing).
/// An existing table's live TTL attribute (DescribeTimeToLive: enabled or
/// enabling, by whoever) is checked against the number fields of every
/// model stored there first, so that a refusal changes nothing.
async fn described(db: &Dynamite) -> Result<Vec<(TableSpec, Option<TableDescription>)>> {
    let mut tables = Vec::new();
    for spec in desired(db)? {
        let existing = describe(db, &spec.name).await?;
        if existing.is_some()
            && let Some((Some(live), TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)) =
                sync_options::current_ttl(db, &spec.name).await?
        {
            crate::registry::check_live_ttl(db.registry(), &spec.name, &live)?;
        }
        tables.push((spec, existing));
    }
    Ok(tables)
}

impl Dynamite {
    /// What [`sync`](Dynamite::sync) would change, without changing anything;
    /// what `sync` would refuse is the same error here.
    pub async fn sync_plan(&self) -> Result<SyncReport> {
        let span = crate::trace::operation_span!("dynamite.sync_plan", None);
        async move {
            let mut report = SyncReport::default();
            for (spec, existing) in described(self).await? {
                match existing {
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
    /// PAY_PER_REQUEST unless [`TableOptions`](crate::table_options::TableOptions) say otherwise, projection
    /// ALL), enables TTL on the models' `ttl` attribute, sets the table
    /// options, one UpdateTable at a time, and waits until all are ACTIVE.
    /// Idempotent; never deletes or recreates a table, and never makes a
    /// change that would lose data or protection: those are in
    /// [`SyncReport::withheld`], as are options the endpoint lacks.
    ///
    /// A table whose TTL is already enabled (by anyone) on an attribute a
    /// registered model stores a number field under, without it being that
    /// model's TTL, is [`Error::Config`] before anything changes: DynamoDB's
    /// sweep would delete those rows.
    pub async fn sync(&self) -> Result<SyncReport> {
        let span = crate::trace::operation_span!("dynamite.sync", None);
        async move {
            let deadline = Instant::now() + self.sync_timeout();
            let mut report = SyncReport::default();
            for (spec, existing) in described(self).await? {
                match existing {
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
                        let mut existing = existing;
                        if !is_active(&existing) {
                            existing = wait_active(self, &spec.name, deadline).await?;
                        }
                        // One index per UpdateTable, ACTIVE before the next.
                        for index in missing_indexes(&spec, &existing) {
                            create_index(self, &spec, &existing, index).await?;
                            report.changes.push(Change::CreateIndex {
                                table: spec.name.clone(),
                                index: index.name.clone(),
                            });
                            existing = wait_active(self, &spec.name, deadline).await?;
                        }
                        // The options compare against the table as it is now,
                        // new indexes included (billing gives them capacity).
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
