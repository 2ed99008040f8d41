//! Exports that deploy, checked over the export corpus
//! (`dynamite_testkit::export_corpus`: every option kind, key shape, odd
//! table prefixes and colliding names):
//!
//! - Terraform JSON against a vendored excerpt of the hashicorp/aws
//!   provider's `aws_dynamodb_table` schema (`tests/data/`, version pinned
//!   there): which names are attributes and which blocks, nesting, types,
//!   required fields, the GSI key shape (multi-attribute keys included),
//!   and the provider's cross-field rules;
//! - both formats: one resource per table, absent caps left out (never
//!   `-1`). `scripts/cfn-lint` lints the CloudFormation side with AWS's
//!   linter.

use std::collections::BTreeSet;

use dynamite::Dynamite;
use dynamite::export::Format;
use dynamite_testkit::export_corpus::{CASES, case};
use serde_json::Value;

const SCHEMA: &str = include_str!("../data/terraform-aws-dynamodb-table.schema.json");

fn table_schema() -> Value {
    let all: Value = serde_json::from_str(SCHEMA).unwrap();
    all["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["resource_schemas"]
        ["aws_dynamodb_table"]["block"]
        .clone()
}

/// Whether `value` has the Terraform type `ty` (`"string"`, `"number"`,
/// `"bool"`, `["map", "string"]`, `["set"|"list", "string"]`).
fn has_type(value: &Value, ty: &Value) -> bool {
    match (ty.as_str(), ty.as_array().map(Vec::as_slice)) {
        (Some("string"), _) => value.is_string(),
        (Some("number"), _) => value.is_number(),
        (Some("bool"), _) => value.is_boolean(),
        (_, Some([kind, element])) => match kind.as_str() {
            Some("map") => value
                .as_object()
                .is_some_and(|m| m.values().all(|v| has_type(v, element))),
            Some("set" | "list") => value
                .as_array()
                .is_some_and(|a| a.iter().all(|v| has_type(v, element))),
            _ => false,
        },
        _ => false,
    }
}

/// Checks `body` (one block's JSON) against a schema block: every name is
/// an attribute or a block type of it, attributes have their type and are
/// not computed-only, blocks are objects (or arrays of them) within their
/// item limits, required attributes are present.
fn check_block(path: &str, body: &Value, block: &Value, errors: &mut Vec<String>) {
    let Some(body) = body.as_object() else {
        errors.push(format!("{path}: a block must be a JSON object"));
        return;
    };
    let attributes = block["attributes"].as_object().cloned().unwrap_or_default();
    let blocks = block["block_types"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, value) in body {
        let at = format!("{path}.{name}");
        if let Some(attribute) = attributes.get(name) {
            let settable = attribute["required"] == true || attribute["optional"] == true;
            if !settable {
                errors.push(format!("{at}: computed only, cannot be set"));
            }
            if !has_type(value, &attribute["type"]) {
                errors.push(format!("{at}: {value} is not a {}", attribute["type"]));
            }
        } else if let Some(nested) = blocks.get(name) {
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            if let Some(max) = nested["max_items"].as_u64()
                && items.len() as u64 > max
            {
                errors.push(format!("{at}: {} blocks, at most {max}", items.len()));
            }
            for (i, item) in items.into_iter().enumerate() {
                check_block(&format!("{at}[{i}]"), item, &nested["block"], errors);
            }
        } else {
            errors.push(format!("{at}: not an argument of the resource"));
        }
    }
    for (name, attribute) in &attributes {
        if attribute["required"] == true && !body.contains_key(name) {
            errors.push(format!("{path}: the required `{name}` is missing"));
        }
    }
}

/// A block given as an object or an array of objects, as a list.
fn blocks(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// The provider's cross-field rules (`x_rules` in the vendored file).
fn check_rules(path: &str, table: &Value, errors: &mut Vec<String>) {
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    keys.extend(table["hash_key"].as_str());
    keys.extend(table["range_key"].as_str());
    let provisioned = table["billing_mode"].as_str().unwrap_or("PROVISIONED") == "PROVISIONED";
    let capacity = |block: &Value| {
        block.get("read_capacity").is_some() && block.get("write_capacity").is_some()
    };
    let any_capacity = |block: &Value| {
        block.get("read_capacity").is_some() || block.get("write_capacity").is_some()
    };
    if provisioned != capacity(table) || (!provisioned && any_capacity(table)) {
        errors.push(format!(
            "{path}: capacity must be set exactly when PROVISIONED"
        ));
    }
    for (i, gsi) in blocks(&table["global_secondary_index"])
        .into_iter()
        .enumerate()
    {
        let at = format!("{path}.global_secondary_index[{i}]");
        if provisioned != capacity(gsi)
            || (!provisioned
                && (gsi.get("read_capacity").is_some() || gsi.get("write_capacity").is_some()))
        {
            errors.push(format!(
                "{at}: capacity must be set exactly when PROVISIONED"
            ));
        }
        let schema = blocks(&gsi["key_schema"]);
        match (gsi.get("hash_key"), schema.is_empty()) {
            (Some(_), false) => errors.push(format!("{at}: hash_key conflicts with key_schema")),
            (None, true) => errors.push(format!("{at}: neither hash_key nor key_schema")),
            (Some(hash), true) => {
                keys.extend(hash.as_str());
                keys.extend(gsi["range_key"].as_str());
            }
            (None, false) => {
                let kinds: Vec<&str> = schema
                    .iter()
                    .filter_map(|k| k["key_type"].as_str())
                    .collect();
                let hashes = kinds.iter().take_while(|k| **k == "HASH").count();
                let ranges = kinds[hashes..].iter().filter(|k| **k == "RANGE").count();
                if !(1..=4).contains(&hashes) || ranges > 4 || hashes + ranges != kinds.len() {
                    errors.push(format!(
                        "{at}: key_schema must be 1-4 HASH then 0-4 RANGE: {kinds:?}"
                    ));
                }
                keys.extend(schema.iter().filter_map(|k| k["attribute_name"].as_str()));
            }
        }
    }
    let defined: BTreeSet<&str> = blocks(&table["attribute"])
        .into_iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    if defined != keys {
        errors.push(format!(
            "{path}: attributes {defined:?} are not the key attributes {keys:?}"
        ));
    }
    for a in blocks(&table["attribute"]) {
        if !matches!(a["type"].as_str(), Some("S" | "N" | "B")) {
            errors.push(format!("{path}: attribute type {}", a["type"]));
        }
    }
    if let Some(caps) = table.get("on_demand_throughput") {
        if provisioned {
            errors.push(format!("{path}: on_demand_throughput with PROVISIONED"));
        }
        for cap in blocks(caps)
            .into_iter()
            .flat_map(|c| c.as_object().into_iter().flatten())
        {
            if cap.1.as_i64().is_none_or(|v| v < 1) {
                errors.push(format!(
                    "{path}: on_demand_throughput.{} = {}",
                    cap.0, cap.1
                ));
            }
        }
    }
    for ttl in blocks(&table["ttl"]) {
        let enabled = ttl["enabled"] == true;
        if enabled != ttl.get("attribute_name").is_some() {
            errors.push(format!("{path}: ttl.attribute_name set iff enabled: {ttl}"));
        }
    }
    if let Some(view) = table.get("stream_view_type") {
        let known = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];
        if table["stream_enabled"] != true || !view.as_str().is_some_and(|v| known.contains(&v)) {
            errors.push(format!(
                "{path}: stream_view_type {view} without stream_enabled"
            ));
        }
    }
}

fn valid_terraform_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Every corpus case's Terraform JSON: one valid resource per table.
fn check_terraform(text: &str, tables: &BTreeSet<String>, errors: &mut Vec<String>) {
    let schema = table_schema();
    let tf: Value = serde_json::from_str(text).unwrap();
    let resources = tf["resource"]["aws_dynamodb_table"].as_object().unwrap();
    let names: BTreeSet<String> = resources
        .values()
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect();
    if &names != tables || resources.len() != tables.len() {
        errors.push(format!(
            "terraform: resources {:?} for tables {tables:?}",
            resources.keys()
        ));
    }
    for (name, table) in resources {
        if !valid_terraform_name(name) {
            errors.push(format!("terraform: `{name}` is not a resource name"));
        }
        let path = format!("aws_dynamodb_table.{name}");
        check_block(&path, table, &schema, errors);
        check_rules(&path, table, errors);
    }
}

/// Every corpus case's CloudFormation: one resource per table, caps only
/// as declared (>= 1).
fn check_cloudformation(text: &str, tables: &BTreeSet<String>, errors: &mut Vec<String>) {
    let cf: Value = serde_json::from_str(text).unwrap();
    let resources = cf["Resources"].as_object().unwrap();
    let names: BTreeSet<String> = resources
        .values()
        .filter_map(|r| r["Properties"]["TableName"].as_str().map(str::to_owned))
        .collect();
    if &names != tables || resources.len() != tables.len() {
        errors.push(format!(
            "cloudformation: resources {:?} for tables {tables:?}",
            resources.keys()
        ));
    }
    for (id, resource) in resources {
        if !id.chars().all(|c| c.is_ascii_alphanumeric()) || id.len() > 255 {
            errors.push(format!("cloudformation: `{id}` is not a logical id"));
        }
        if let Some(caps) = resource["Properties"]["OnDemandThroughput"].as_object()
            && (caps.is_empty() || caps.values().any(|v| v.as_i64().is_none_or(|v| v < 1)))
        {
            errors.push(format!("cloudformation: {id} caps {caps:?}"));
        }
    }
}

#[tokio::test]
async fn every_corpus_export_matches_the_provider_schema_and_keeps_tables_apart() {
    let mut errors = Vec::new();
    let mut checked = 0;
    for i in 0..CASES {
        let (name, builder) = case(Dynamite::embedded(), i);
        let db = builder.build().await.unwrap();
        let tables: BTreeSet<String> = db
            .sync_plan()
            .await
            .unwrap()
            .changes
            .iter()
            .filter(|c| matches!(c, dynamite::Change::CreateTable { .. }))
            .map(|c| c.table().to_owned())
            .collect();
        let mut case_errors = Vec::new();
        check_terraform(
            &db.export(Format::Terraform).unwrap(),
            &tables,
            &mut case_errors,
        );
        check_cloudformation(
            &db.export(Format::CloudFormation).unwrap(),
            &tables,
            &mut case_errors,
        );
        errors.extend(case_errors.into_iter().map(|e| format!("{name}: {e}")));
        checked += 1;
    }
    assert_eq!(checked, CASES);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The checker itself: what it must refuse.
#[test]
fn the_schema_check_refuses_what_the_provider_refuses() {
    let schema = table_schema();
    let table = serde_json::json!({
        "name": "t", "hash_key": "id", "billing_mode": "PAY_PER_REQUEST",
        "attribute": [{"name": "id", "type": "S"}, {"name": "a", "type": "S"}, {"name": "b", "type": "N"}],
        "global_secondary_index": [{
            "name": "g", "projection_type": "ALL",
            "key_schema": [{"attribute_name": "a", "key_type": "HASH"}, {"attribute_name": "b", "key_type": "RANGE"}]
        }],
        "ttl": {"attribute_name": "exp", "enabled": true}
    });
    let mut errors = Vec::new();
    check_block("ok", &table, &schema, &mut errors);
    check_rules("ok", &table, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let broken = [
        (
            "ttl",
            serde_json::json!({"attribute_name": "exp", "enabled": false}),
        ),
        (
            "on_demand_throughput",
            serde_json::json!({"max_read_request_units": -1}),
        ),
        ("stream_view_type", serde_json::json!("NEW_IMAGE")),
        ("read_capacity", serde_json::json!(5)),
        ("ttl_attribute", serde_json::json!("exp")),
        ("hash_key", serde_json::json!(1)),
        ("arn", serde_json::json!("arn")),
    ];
    for (name, value) in broken {
        let mut t = table.clone();
        t[name] = value;
        let mut errors = Vec::new();
        check_block("t", &t, &schema, &mut errors);
        check_rules("t", &t, &mut errors);
        assert!(!errors.is_empty(), "{name} must be refused");
    }
    let mut both = table.clone();
    both["global_secondary_index"][0]["hash_key"] = serde_json::json!("a");
    let mut errors = Vec::new();
    check_rules("t", &both, &mut errors);
    assert!(
        !errors.is_empty(),
        "hash_key with key_schema must be refused"
    );
    assert!(!valid_terraform_name("1st"));
    assert!(valid_terraform_name("_1st-x"));
}
