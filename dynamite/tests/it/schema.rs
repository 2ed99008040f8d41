use dynamite::Change;
use dynamite::prelude::*;

use crate::common::builder;
use crate::models::{Event, Product, User};

#[derive(Table, Debug, Clone)]
#[dynamite(table = "products")]
struct ProductV1 {
    #[dynamite(primary_key)]
    id: String,
    name: String,
}

#[tokio::test]
async fn sync_creates_tables_and_indexes_then_is_idempotent() {
    let db = crate::models::register(builder()).build().await.unwrap();
    let plan = db.sync_plan().await.unwrap();
    assert_eq!(plan.changes.len(), 4);
    let report = db.sync().await.unwrap();
    assert_eq!(report, plan, "sync does what sync_plan said");
    let users = db.table_name::<User>().unwrap();
    assert!(report.changes.contains(&Change::CreateTable {
        table: users.clone(),
        indexes: vec!["email_index".into()]
    }));
    let products = db.table_name::<Product>().unwrap();
    assert!(report.changes.contains(&Change::CreateTable {
        table: products,
        indexes: vec!["by_category".into()]
    }));

    assert!(db.sync().await.unwrap().is_empty());
    assert!(db.sync_plan().await.unwrap().is_empty());

    let described = db
        .client()
        .describe_table()
        .table_name(&users)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(described.table_status().map(|s| s.as_str()), Some("ACTIVE"));
    let events = db.table_name::<Event>().unwrap();
    let described = db
        .client()
        .describe_table()
        .table_name(&events)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let types: Vec<(String, String)> = described
        .attribute_definitions()
        .iter()
        .map(|d| {
            (
                d.attribute_name().to_owned(),
                d.attribute_type().as_str().to_owned(),
            )
        })
        .collect();
    assert!(
        types.contains(&("seq".into(), "N".into())),
        "key types come from the Rust types: {types:?}"
    );
    assert!(types.contains(&("stream".into(), "S".into())));
}

#[tokio::test]
async fn sync_adds_a_missing_index_to_an_existing_table_and_keeps_its_rows() {
    let b = builder();
    let old = b.clone().table::<ProductV1>().build().await.unwrap();
    old.sync().await.unwrap();
    ProductV1::create()
        .id("p1")
        .name("kept")
        .exec(&old)
        .await
        .unwrap();

    let db = b
        .same_backend_as(&old)
        .table::<Product>()
        .build()
        .await
        .unwrap();
    let plan = db.sync_plan().await.unwrap();
    let products = db.table_name::<Product>().unwrap();
    assert_eq!(
        plan.changes,
        vec![Change::CreateIndex {
            table: products.clone(),
            index: "by_category".into()
        }]
    );
    let report = db.sync().await.unwrap();
    assert_eq!(report, plan);
    let raw = db
        .client()
        .get_item()
        .table_name(&products)
        .key("id", AttributeValue::S("p1".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        raw.get("name"),
        Some(&AttributeValue::S("kept".into())),
        "never recreated"
    );
    assert!(db.sync().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_table_with_another_key_schema_is_an_error_not_a_recreation() {
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "users")]
    struct OtherUsers {
        #[dynamite(primary_key)]
        email: String,
    }
    let b = builder();
    let db = b.clone().table::<User>().build().await.unwrap();
    db.sync().await.unwrap();
    User::create()
        .name("Ada")
        .email("a@x.io")
        .exec(&db)
        .await
        .unwrap();
    let other = b
        .same_backend_as(&db)
        .table::<OtherUsers>()
        .build()
        .await
        .unwrap();
    let err = other.sync().await.unwrap_err();
    assert!(matches!(err, dynamite::Error::Schema { .. }), "{err}");
    assert_eq!(User::query().count(&db).await.unwrap(), 1);
}

#[tokio::test]
async fn table_prefix_applies_to_every_table() {
    let db = builder()
        .table_prefix("pre_fix.")
        .table::<User>()
        .build()
        .await
        .unwrap();
    assert_eq!(db.table_name::<User>().unwrap(), "pre_fix.users");
}

#[tokio::test]
async fn metrics_count_control_plane_calls_by_name() {
    let db = crate::models::register(builder()).build().await.unwrap();
    db.sync().await.unwrap();
    let m = db.metrics();
    assert_eq!(m.count("CreateTable"), 4);
    assert!(m.count("DescribeTable") >= 4);
    assert_eq!(m.data_plane_requests(), 0);
}

#[tokio::test]
async fn clones_share_the_engine_and_the_metrics() {
    let db = crate::models::register(builder()).build().await.unwrap();
    db.sync().await.unwrap();
    let copy = db.clone();
    drop(db);
    User::create()
        .id("c")
        .name("C")
        .email("c@x.io")
        .exec(&copy)
        .await
        .unwrap();
    assert_eq!(copy.metrics().count("PutItem"), 1);
    assert!(User::get(&copy, "c").await.unwrap().is_some());
}

#[tokio::test]
async fn the_embedded_engine_outlives_runtimes_and_stops_with_the_last_handle() {
    if crate::common::endpoint().is_some() {
        // Against a shared endpoint there is no engine of ours to stop; the
        // embedded-only half of this test runs in the default suite.
        let db = crate::models::register(builder()).build().await.unwrap();
        assert!(db.embedded_endpoint().is_none());
        return;
    }
    // Built on one runtime, used on another: the engine has its own thread.
    let db = std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let db = crate::models::register(builder()).build().await.unwrap();
            db.sync().await.unwrap();
            db
        })
    })
    .join()
    .unwrap();
    User::create()
        .id("x")
        .name("X")
        .email("x@x.io")
        .exec(&db)
        .await
        .unwrap();
    let endpoint = db
        .embedded_endpoint()
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    let copy = db.clone();
    drop(db);
    assert!(
        std::net::TcpStream::connect(&endpoint).is_ok(),
        "a clone keeps it running"
    );
    assert!(User::get(&copy, "x").await.unwrap().is_some());
    drop(copy);
    let mut stopped = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&endpoint).is_err() {
            stopped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(stopped, "the engine stops when the last handle is dropped");
}

/// Issue "The rest of the data model", item 6 (export part): the schema as
/// CloudFormation and Terraform JSON, byte-stable, the same tables and GSIs
/// `sync()` creates.
#[tokio::test]
async fn the_schema_exports_as_cloudformation_and_terraform_json() {
    use dynamite::export::Format;
    let db = crate::models::register(crate::common::builder())
        .build()
        .await
        .unwrap();
    let plan = db.sync_plan().await.unwrap();
    let cf = db.export(Format::CloudFormation).unwrap();
    assert_eq!(
        cf,
        db.export(Format::CloudFormation).unwrap(),
        "byte-stable"
    );
    let cf: serde_json::Value = serde_json::from_str(&cf).unwrap();
    assert_eq!(cf["AWSTemplateFormatVersion"], "2010-09-09");
    let resources = cf["Resources"].as_object().unwrap();
    let tf: serde_json::Value =
        serde_json::from_str(&db.export(Format::Terraform).unwrap()).unwrap();
    let tf_tables = tf["resource"]["aws_dynamodb_table"].as_object().unwrap();
    assert_eq!(resources.len(), plan.changes.len());
    assert_eq!(tf_tables.len(), plan.changes.len());
    for change in &plan.changes {
        let dynamite::Change::CreateTable { table, indexes } = change else {
            panic!("a fresh backend only creates tables: {change}");
        };
        let resource = resources
            .values()
            .find(|r| r["Properties"]["TableName"] == *table)
            .unwrap_or_else(|| panic!("{table} is exported"));
        assert_eq!(resource["Type"], "AWS::DynamoDB::Table");
        assert_eq!(resource["Properties"]["BillingMode"], "PAY_PER_REQUEST");
        let mut exported: Vec<String> = resource["Properties"]["GlobalSecondaryIndexes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| i["IndexName"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        exported.sort();
        let mut wanted = indexes.clone();
        wanted.sort();
        assert_eq!(exported, wanted, "{table}");
        // Every key attribute is defined, with its type.
        let defined: Vec<&str> = resource["Properties"]["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["AttributeName"].as_str().unwrap())
            .collect();
        for key in resource["Properties"]["KeySchema"].as_array().unwrap() {
            assert!(defined.contains(&key["AttributeName"].as_str().unwrap()));
        }
        let terraform = tf_tables
            .values()
            .find(|t| t["name"] == *table)
            .unwrap_or_else(|| panic!("{table} is in the Terraform export"));
        assert_eq!(
            terraform["hash_key"],
            resource["Properties"]["KeySchema"][0]["AttributeName"]
        );
    }
}
