//! The registered schema as infrastructure code: an AWS CloudFormation
//! template or Terraform JSON, describing the tables `sync()` creates (keys,
//! every GSI, on-demand billing). The output is byte-stable: tables,
//! attributes and indexes are sorted, so unchanged models export the same
//! text.
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
use crate::schema::{IndexSpec, TableSpec, desired};

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
    /// The registered tables (with the client's table prefix), their keys
    /// and every GSI, as `format`. Byte-stable for unchanged models.
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

fn cloudformation(tables: &[TableSpec]) -> Value {
    let mut resources = serde_json::Map::new();
    for table in tables {
        let mut properties = serde_json::Map::new();
        properties.insert("TableName".into(), json!(table.name));
        properties.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
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
                json!({
                    "IndexName": i.name,
                    "KeySchema": index_key_schema(i, "AttributeName", "KeyType"),
                    "Projection": {"ProjectionType": "ALL"},
                })
            })
            .collect();
        if !indexes.is_empty() {
            properties.insert("GlobalSecondaryIndexes".into(), Value::Array(indexes));
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
        resource.insert("billing_mode".into(), json!("PAY_PER_REQUEST"));
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
                Value::Object(index)
            })
            .collect();
        if !indexes.is_empty() {
            resource.insert("global_secondary_index".into(), Value::Array(indexes));
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
