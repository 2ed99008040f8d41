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
            Format::CloudFormation => cloudformation(&tables),
            Format::Terraform => terraform(&tables),
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

/// `users` -> `UsersTable`, `shop_v2.orders` -> `ShopV2OrdersTable`.
fn logical_id(table: &str) -> String {
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

/// The billing of a table: on-demand unless its options say otherwise.
fn billing(table: &TableSpec) -> Billing {
    table.options.billing_mode().unwrap_or_default()
}

fn cloudformation(tables: &[TableSpec]) -> Value {
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
                json!({
                    "MaxReadRequestUnits": max_read_request_units.unwrap_or(-1),
                    "MaxWriteRequestUnits": max_write_request_units.unwrap_or(-1),
                }),
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
        resources.insert(
            logical_id(&table.name),
            json!({"Type": "AWS::DynamoDB::Table", "Properties": properties}),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "DynamoDB tables of the registered Dynamite models",
        "Resources": resources,
    })
}

fn terraform(tables: &[TableSpec]) -> Value {
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
                json!({
                    "max_read_request_units": max_read_request_units.unwrap_or(-1),
                    "max_write_request_units": max_write_request_units.unwrap_or(-1),
                }),
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
            resource.insert(
                "ttl".into(),
                json!({"attribute_name": attribute, "enabled": table.enabled_ttl().is_some()}),
            );
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
        // Terraform names: letters, digits, `_` and `-`.
        let name: String = table
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        resources.insert(name, Value::Object(resource));
    }
    json!({"resource": {"aws_dynamodb_table": resources}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_alphanumeric() {
        assert_eq!(logical_id("users"), "UsersTable");
        assert_eq!(logical_id("app_v2.order-items"), "AppV2OrderItemsTable");
    }
}
