//! The registered schema as infrastructure code: an AWS CloudFormation
//! template or Terraform JSON, describing the tables `sync()` creates (keys,
//! every GSI, TTL, and the [`TableOptions`](crate::table_options::TableOptions):
//! billing, deletion protection, stream, tags, point-in-time recovery). The
//! output is byte-stable: tables, attributes, indexes and tags are sorted,
//! so unchanged models export the same text.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::prelude::*;
//! use dynamite::export::Format;
//! #[derive(Table, Debug, Clone)]
//! struct User {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     #[dynamite(index)]
//!     email: String,
//! }
//! let db = Dynamite::embedded().table::<User>().build().await?;
//! let template = db.export(Format::CloudFormation)?;
//! let parsed: serde_json::Value = serde_json::from_str(&template).unwrap();
//! let table = &parsed["Resources"]["UsersTable"]["Properties"];
//! assert_eq!(table["TableName"], "users");
//! assert_eq!(table["GlobalSecondaryIndexes"][0]["IndexName"], "email_index");
//! # Ok(())
//! # }
//! ```

use serde_json::{Value, json};

use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::model::KeyMeta;
use crate::registry::IndexSpec;
use crate::schema::desired;
use crate::table_options::Billing;
use crate::table_spec::TableSpec;

/// The infrastructure-as-code format of [`Dynamite::export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An AWS CloudFormation template (JSON), one `AWS::DynamoDB::Table`
    /// resource per table.
    CloudFormation,
    /// Terraform JSON (`*.tf.json`), one `aws_dynamodb_table` per table.
    Terraform,
}

impl Dynamite {
    /// The registered tables (with the client's table prefix), their keys,
    /// every GSI, TTL and table options, as `format`. Byte-stable for
    /// unchanged models and options.
    pub fn export(&self, format: Format) -> Result<String> {
        let mut tables = desired(self)?;
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        let value = match format {
            Format::CloudFormation => cloudformation(&tables)?,
            Format::Terraform => terraform(&tables)?,
        };
        serde_json::to_string_pretty(&value)
            .map(|mut text| {
                text.push('\n');
                text
            })
            .map_err(|e| Error::Config(format!("export: {e}")))
    }
}

/// Every key attribute of a table and its GSIs, once, sorted by name.
fn attributes(table: &TableSpec) -> Vec<KeyMeta> {
    let mut keys: Vec<KeyMeta> = std::iter::once(table.partition_key)
        .chain(table.sort_key)
        .chain(table.indexes.iter().flat_map(IndexSpec::key_attributes))
        .collect();
    keys.sort_by(|a, b| a.name.cmp(b.name));
    keys.dedup_by(|a, b| a.name == b.name);
    keys
}

fn sorted_indexes(table: &TableSpec) -> Vec<&IndexSpec> {
    let mut indexes: Vec<&IndexSpec> = table.indexes.iter().collect();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    indexes
}

/// A GSI's key schema: every partition attribute (HASH), then every sort
/// attribute (RANGE), as in the API (several of each for a multi-attribute key).
fn index_key_schema(index: &IndexSpec, name: &str, kind: &str) -> Value {
    let hash = index.partition_keys().map(|k| (k, "HASH"));
    let range = index.sort_keys().map(|k| (k, "RANGE"));
    hash.chain(range)
        .map(|(k, key_type)| json!({ name: k.name, kind: key_type }))
        .collect()
}

fn key_schema(partition: KeyMeta, sort: Option<KeyMeta>) -> Value {
    let mut keys = vec![json!({"AttributeName": partition.name, "KeyType": "HASH"})];
    if let Some(sort) = sort {
        keys.push(json!({"AttributeName": sort.name, "KeyType": "RANGE"}));
    }
    Value::Array(keys)
}

/// `users` -> `UsersTable`, `shop_v2.orders` -> `ShopV2OrdersTable`
/// (CloudFormation logical ids: alphanumeric, at most 255 characters; a
/// longer one keeps its start and ends with its name's tag).
fn logical_id(table: &str) -> String {
    let id = readable_id(table);
    if id.len() <= 255 {
        return id;
    }
    let tag = name_tag(table);
    format!("{}{tag}Table", &id[..255 - tag.len() - 5])
}

fn readable_id(table: &str) -> String {
    let mut id = String::new();
    let mut upper = true;
    for c in table.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                id.extend(c.to_uppercase());
            } else {
                id.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    id.push_str("Table");
    id
}

/// On-demand caps: only the declared members (an absent one means no
/// maximum; `-1` is UpdateTable's way to remove one, not a value to
/// declare).
fn caps(read: (&str, Option<i64>), write: (&str, Option<i64>)) -> Value {
    let members: serde_json::Map<String, Value> = [read, write]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name.to_owned(), json!(v))))
        .collect();
    Value::Object(members)
}

/// The billing of a table: on-demand unless its options say otherwise.
fn billing(table: &TableSpec) -> Billing {
    table.options.billing_mode().unwrap_or_default()
}

fn cloudformation(tables: &[TableSpec]) -> Result<Value> {
    let mut resources = serde_json::Map::new();
    for table in tables {
        let mut properties = serde_json::Map::new();
        properties.insert("TableName".into(), json!(table.name));
        let billing = billing(table);
        properties.insert("BillingMode".into(), json!(billing.mode()));
        let throughput = match billing {
            Billing::Provisioned {
                read_capacity_units,
                write_capacity_units,
            } => Some(json!({
                "ReadCapacityUnits": read_capacity_units,
                "WriteCapacityUnits": write_capacity_units,
            })),
            Billing::OnDemand { .. } => None,
        };
        if let Some(throughput) = &throughput {
            properties.insert("ProvisionedThroughput".into(), throughput.clone());
        }
        if let Billing::OnDemand {
            max_read_request_units,
            max_write_request_units,
        } = billing
            && (max_read_request_units.is_some() || max_write_request_units.is_some())
        {
            properties.insert(
                "OnDemandThroughput".into(),
                caps(
                    ("MaxReadRequestUnits", max_read_request_units),
                    ("MaxWriteRequestUnits", max_write_request_units),
                ),
            );
        }
        properties.insert(
            "AttributeDefinitions".into(),
            attributes(table)
                .iter()
                .map(|k| json!({"AttributeName": k.name, "AttributeType": k.scalar.as_str()}))
                .collect(),
        );
        properties.insert(
            "KeySchema".into(),
            key_schema(table.partition_key, table.sort_key),
        );
        let indexes: Vec<Value> = sorted_indexes(table)
            .iter()
            .map(|i| {
                let mut index = json!({
                    "IndexName": i.name,
                    "KeySchema": index_key_schema(i, "AttributeName", "KeyType"),
                    "Projection": {"ProjectionType": "ALL"},
                });
                if let (Some(throughput), Some(index)) = (&throughput, index.as_object_mut()) {
                    index.insert("ProvisionedThroughput".into(), throughput.clone());
                }
                index
            })
            .collect();
        if !indexes.is_empty() {
            properties.insert("GlobalSecondaryIndexes".into(), Value::Array(indexes));
        }
        if let Some(attribute) = table.ttl {
            properties.insert(
                "TimeToLiveSpecification".into(),
                json!({"AttributeName": attribute, "Enabled": table.enabled_ttl().is_some()}),
            );
        }
        let options = &table.options;
        if let Some(enabled) = options.deletion_protection_enabled() {
            properties.insert("DeletionProtectionEnabled".into(), json!(enabled));
        }
        if let Some(Some(view)) = options.stream_view() {
            properties.insert(
                "StreamSpecification".into(),
                json!({"StreamViewType": view.as_str()}),
            );
        }
        if let Some(enabled) = options.point_in_time_recovery_enabled() {
            properties.insert(
                "PointInTimeRecoverySpecification".into(),
                json!({"PointInTimeRecoveryEnabled": enabled}),
            );
        }
        if !options.tags().is_empty() {
            properties.insert(
                "Tags".into(),
                options
                    .tags()
                    .iter()
                    .map(|(k, v)| json!({"Key": k, "Value": v}))
                    .collect(),
            );
        }
        // Dynamite never deletes a table: neither should a stack update.
        resources.insert(
            table.name.clone(),
            json!({
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": properties,
            }),
        );
    }
    let resources = renamed(resources, logical_id)?;
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "DynamoDB tables of the registered Dynamite models",
        "Resources": resources,
    }))
}

fn terraform(tables: &[TableSpec]) -> Result<Value> {
    let mut resources = serde_json::Map::new();
    for table in tables {
        let mut resource = serde_json::Map::new();
        resource.insert("name".into(), json!(table.name));
        let billing = billing(table);
        resource.insert("billing_mode".into(), json!(billing.mode()));
        let capacity = match billing {
            Billing::Provisioned {
                read_capacity_units,
                write_capacity_units,
            } => Some((read_capacity_units, write_capacity_units)),
            Billing::OnDemand { .. } => None,
        };
        if let Some((read, write)) = capacity {
            resource.insert("read_capacity".into(), json!(read));
            resource.insert("write_capacity".into(), json!(write));
        }
        if let Billing::OnDemand {
            max_read_request_units,
            max_write_request_units,
        } = billing
            && (max_read_request_units.is_some() || max_write_request_units.is_some())
        {
            resource.insert(
                "on_demand_throughput".into(),
                caps(
                    ("max_read_request_units", max_read_request_units),
                    ("max_write_request_units", max_write_request_units),
                ),
            );
        }
        resource.insert("hash_key".into(), json!(table.partition_key.name));
        if let Some(sort) = table.sort_key {
            resource.insert("range_key".into(), json!(sort.name));
        }
        resource.insert(
            "attribute".into(),
            attributes(table)
                .iter()
                .map(|k| json!({"name": k.name, "type": k.scalar.as_str()}))
                .collect(),
        );
        let indexes: Vec<Value> = sorted_indexes(table)
            .iter()
            .map(|i| {
                let mut index = serde_json::Map::new();
                index.insert("name".into(), json!(i.name));
                if i.is_multi_attribute() {
                    // Several attributes of a kind: `key_schema` blocks.
                    let keys = index_key_schema(i, "attribute_name", "key_type");
                    index.insert("key_schema".into(), keys);
                } else {
                    index.insert("hash_key".into(), json!(i.partition_key.name));
                    if let Some(sort) = i.sort_key {
                        index.insert("range_key".into(), json!(sort.name));
                    }
                }
                index.insert("projection_type".into(), json!("ALL"));
                if let Some((read, write)) = capacity {
                    index.insert("read_capacity".into(), json!(read));
                    index.insert("write_capacity".into(), json!(write));
                }
                Value::Object(index)
            })
            .collect();
        if !indexes.is_empty() {
            resource.insert("global_secondary_index".into(), Value::Array(indexes));
        }
        if let Some(attribute) = table.ttl {
            // The provider wants `attribute_name` only when enabled.
            let ttl = match table.enabled_ttl() {
                Some(_) => json!({"attribute_name": attribute, "enabled": true}),
                None => json!({"enabled": false}),
            };
            resource.insert("ttl".into(), ttl);
        }
        let options = &table.options;
        if let Some(enabled) = options.deletion_protection_enabled() {
            resource.insert("deletion_protection_enabled".into(), json!(enabled));
        }
        match options.stream_view() {
            Some(Some(view)) => {
                resource.insert("stream_enabled".into(), json!(true));
                resource.insert("stream_view_type".into(), json!(view.as_str()));
            }
            Some(None) => {
                resource.insert("stream_enabled".into(), json!(false));
            }
            None => {}
        }
        if let Some(enabled) = options.point_in_time_recovery_enabled() {
            resource.insert("point_in_time_recovery".into(), json!({"enabled": enabled}));
        }
        if !options.tags().is_empty() {
            resource.insert("tags".into(), json!(options.tags()));
        }
        resources.insert(table.name.clone(), Value::Object(resource));
    }
    let resources = renamed(resources, terraform_name)?;
    Ok(json!({"resource": {"aws_dynamodb_table": resources}}))
}

/// A Terraform resource name: letters, digits, `_` and `-`, starting
/// with a letter or `_` (`1st-app.users` -> `_1st-app_users`).
fn terraform_name(table: &str) -> String {
    let mut name: String = table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name.insert(0, '_');
    }
    name
}

/// FNV-1a, 32 bits: a short, stable tag of a table name.
fn name_tag(table: &str) -> String {
    let hash = table.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{hash:08x}")
}

/// Resources keyed by table name, re-keyed by `id(name)`. Names whose ids
/// collide (`a.b` and `a_b`) each get their name's tag appended, so every
/// table stays its own resource, deterministically; a collision left
/// after that is an error naming both tables.
fn renamed(
    resources: serde_json::Map<String, Value>,
    id: impl Fn(&str) -> String,
) -> Result<serde_json::Map<String, Value>> {
    let mut taken: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for name in resources.keys() {
        *taken.entry(id(name)).or_default() += 1;
    }
    let mut out = serde_json::Map::new();
    let mut owner: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (name, resource) in resources {
        let plain = id(&name);
        let key = if taken.get(&plain).copied().unwrap_or(0) > 1 {
            id(&format!("{name}_{}", name_tag(&name)))
        } else {
            plain
        };
        if let Some(other) = owner.insert(key.clone(), name.clone()) {
            return Err(Error::Config(format!(
                "export: tables `{other}` and `{name}` would both be the resource `{key}`"
            )));
        }
        out.insert(key, resource);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_alphanumeric() {
        assert_eq!(logical_id("users"), "UsersTable");
        assert_eq!(logical_id("app_v2.order-items"), "AppV2OrderItemsTable");
        let long = "t".repeat(255);
        let id = logical_id(&long);
        assert_eq!(id.len(), 255);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    }

    #[test]
    fn terraform_names_start_with_a_letter_or_underscore() {
        assert_eq!(terraform_name("users"), "users");
        assert_eq!(terraform_name("1st-app.users"), "_1st-app_users");
        assert_eq!(terraform_name("-x"), "_-x");
        assert_eq!(terraform_name("_x"), "_x");
    }

    #[test]
    fn colliding_names_stay_distinct_resources() {
        let resources: serde_json::Map<String, Value> = ["a.b", "a_b", "ab"]
            .into_iter()
            .map(|n| (n.to_owned(), json!(n)))
            .collect();
        let out = renamed(resources.clone(), logical_id).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out["AbTable"], "ab");
        let again = renamed(resources, logical_id).unwrap();
        assert_eq!(out, again, "deterministic");
        let tf: serde_json::Map<String, Value> = ["a.b", "a_b"]
            .into_iter()
            .map(|n| (n.to_owned(), json!(n)))
            .collect();
        let out = renamed(tf, terraform_name).unwrap();
        assert_eq!(out.len(), 2);
        assert!(out.keys().all(|k| k.starts_with("a_b_")), "{out:?}");
    }
}
