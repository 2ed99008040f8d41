//! Table options in `sync()` / `sync_plan()`: billing, deletion
//! protection, streams, tags, point-in-time recovery. Never destructive;
//! what an endpoint lacks is reported, not failed.

use dynamite::prelude::*;
use dynamite::table_options::{Billing, StreamView, TableOptions};
use dynamite::{Change, Error, SyncReport, WithheldReason};

use crate::common::builder;

#[derive(Table, Debug, Clone)]
#[dynamite(table = "opt_orders")]
pub struct Order {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub user_id: String,
}

fn production() -> TableOptions {
    TableOptions::new()
        .billing(Billing::provisioned(5, 4))
        .deletion_protection(true)
        .stream(StreamView::NewAndOldImages)
        .point_in_time_recovery(true)
        .tag("team", "shop")
        .tag("env", "test")
}

async fn describe(db: &Dynamite, table: &str) -> dynamite::sdk::types::TableDescription {
    db.client()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

/// The table's tags; `None` where the endpoint does not implement tagging
/// (DynamoDB Local: "Tagging is not currently supported").
async fn tags(db: &Dynamite, arn: &str) -> Option<Vec<(String, String)>> {
    let out = match db
        .client()
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if crate::common::endpoint().is_some() => {
            let message = format!("{e:?}");
            assert!(message.contains("UnknownOperationException"), "{message}");
            return None;
        }
        Err(e) => panic!("{e:?}"),
    };
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    Some(tags)
}

/// Point-in-time recovery and tags are either made or reported as
/// unsupported by the endpoint (neither emulator implements point-in-time
/// recovery; DynamoDB Local does not implement tagging); nothing else is
/// withheld.
fn only_unsupported_withheld(report: &SyncReport) {
    for withheld in &report.withheld {
        assert!(
            matches!(
                withheld.change,
                Change::EnablePointInTimeRecovery { .. } | Change::Tag { .. }
            ) && matches!(withheld.reason, WithheldReason::Unsupported { .. }),
            "{report}"
        );
    }
}

async fn assert_production(db: &Dynamite, table: &str) {
    let described = describe(db, table).await;
    assert_eq!(
        described
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str())
            .unwrap_or("PROVISIONED"),
        "PROVISIONED"
    );
    let throughput = described.provisioned_throughput().unwrap();
    assert_eq!(throughput.read_capacity_units(), Some(5));
    assert_eq!(throughput.write_capacity_units(), Some(4));
    assert_eq!(described.deletion_protection_enabled(), Some(true));
    let stream = described.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_AND_OLD_IMAGES")
    );
    let arn = described.table_arn().unwrap();
    if let Some(tags) = tags(db, arn).await {
        assert_eq!(
            tags,
            [
                ("env".into(), "test".into()),
                ("team".into(), "shop".into())
            ]
        );
    }
}

#[tokio::test]
async fn a_new_table_gets_every_option_and_a_second_sync_changes_nothing() {
    let db = builder()
        .table::<Order>()
        .table_options::<Order>(production())
        .build()
        .await
        .unwrap();
    let table = db.table_name::<Order>().unwrap();
    let plan = db.sync_plan().await.unwrap();
    assert_eq!(
        plan.to_string(),
        format!(
            "create table {table} with index(es) user_id_index\n\
             bill {table} provisioned (5 read / 4 write units)\n\
             enable deletion protection on {table}\n\
             enable stream NEW_AND_OLD_IMAGES on {table}\n\
             tag {table} env=test\n\
             tag {table} team=shop\n\
             enable point-in-time recovery on {table}"
        )
    );
    let report = db.sync().await.unwrap();
    only_unsupported_withheld(&report);
    let made = report.changes.len() + report.withheld.len();
    assert_eq!(made, plan.changes.len(), "{report}");
    assert_production(&db, &table).await;

    let again = db.sync().await.unwrap();
    assert!(again.changes.is_empty(), "{again}");
    only_unsupported_withheld(&again);
}

#[tokio::test]
async fn an_existing_table_is_brought_to_its_options() {
    let plain = builder().table::<Order>().build().await.unwrap();
    plain.sync().await.unwrap();
    let table = plain.table_name::<Order>().unwrap();
    let db = Dynamite::builder()
        .same_backend_as(&plain)
        .table_prefix(plain.table_prefix())
        .table::<Order>()
        .default_table_options(production())
        .build()
        .await
        .unwrap();
    let plan = db.sync_plan().await.unwrap();
    let wanted = [
        Change::SetBilling {
            table: table.clone(),
            billing: Billing::provisioned(5, 4),
        },
        Change::EnableDeletionProtection {
            table: table.clone(),
        },
        Change::EnableStream {
            table: table.clone(),
            view: StreamView::NewAndOldImages,
        },
        Change::Tag {
            table: table.clone(),
            key: "env".into(),
            value: "test".into(),
        },
        Change::Tag {
            table: table.clone(),
            key: "team".into(),
            value: "shop".into(),
        },
        Change::EnablePointInTimeRecovery {
            table: table.clone(),
        },
    ];
    // What the endpoint cannot show (point-in-time recovery on both
    // emulators, tags on DynamoDB Local) is planned as withheld.
    only_unsupported_withheld(&plan);
    let mut planned: Vec<Change> = plan.changes.clone();
    planned.extend(plan.withheld.iter().map(|w| w.change.clone()));
    planned.sort_by_key(|c| c.to_string());
    let mut wanted = wanted.to_vec();
    wanted.sort_by_key(|c| c.to_string());
    assert_eq!(planned, wanted, "{plan}");
    let report = db.sync().await.unwrap();
    only_unsupported_withheld(&report);
    assert_production(&db, &table).await;
    let again = db.sync().await.unwrap();
    assert!(again.changes.is_empty(), "{again}");
}

#[tokio::test]
async fn changes_that_lose_data_or_protection_are_withheld() {
    let first = builder()
        .table::<Order>()
        .table_options::<Order>(
            TableOptions::new()
                .stream(StreamView::KeysOnly)
                .deletion_protection(true),
        )
        .build()
        .await
        .unwrap();
    first.sync().await.unwrap();
    let table = first.table_name::<Order>().unwrap();
    for options in [
        TableOptions::new().no_stream().deletion_protection(false),
        TableOptions::new().stream(StreamView::NewImage),
    ] {
        let db = Dynamite::builder()
            .same_backend_as(&first)
            .table_prefix(first.table_prefix())
            .table::<Order>()
            .table_options::<Order>(options)
            .build()
            .await
            .unwrap();
        for report in [db.sync_plan().await.unwrap(), db.sync().await.unwrap()] {
            assert!(report.changes.is_empty(), "{report}");
            assert!(!report.withheld.is_empty(), "{report}");
            for withheld in &report.withheld {
                assert!(
                    matches!(
                        withheld.reason,
                        WithheldReason::LosesData(_) | WithheldReason::LosesProtection(_)
                    ),
                    "{report}"
                );
                assert!(withheld.to_string().contains("not made"), "{withheld}");
            }
        }
    }
    // Nothing changed.
    let described = describe(&first, &table).await;
    assert_eq!(described.deletion_protection_enabled(), Some(true));
    let stream = described.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("KEYS_ONLY")
    );
}

#[tokio::test]
async fn on_demand_maximum_throughput_is_set_and_read_back() {
    let db = builder()
        .table::<Order>()
        .table_options::<Order>(
            TableOptions::new().billing(Billing::on_demand().max_throughput(100, 50)),
        )
        .build()
        .await
        .unwrap();
    let report = db.sync().await.unwrap();
    let table = db.table_name::<Order>().unwrap();
    assert!(report.changes.contains(&Change::SetBilling {
        table: table.clone(),
        billing: Billing::on_demand().max_throughput(100, 50),
    }));
    let described = describe(&db, &table).await;
    let cap = described.on_demand_throughput();
    if let Some(cap) = cap {
        assert_eq!(cap.max_read_request_units(), Some(100));
        assert_eq!(cap.max_write_request_units(), Some(50));
        assert!(db.sync().await.unwrap().is_empty(), "idempotent");
    }
}

#[tokio::test]
async fn two_option_sets_for_one_table_are_a_config_error() {
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "opt_shared", pk = "A#{id}", sk = "A")]
    struct A {
        id: String,
    }
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "opt_shared", pk = "A#{id}", sk = "B")]
    struct B {
        id: String,
    }
    let error = builder()
        .table::<A>()
        .table::<B>()
        .table_options::<A>(TableOptions::new().deletion_protection(true))
        .table_options::<B>(TableOptions::new().deletion_protection(false))
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("two different table_options")),
        "{error}"
    );
}

#[tokio::test]
async fn the_export_carries_ttl_and_every_option() {
    use crate::ttl::Grant;
    use dynamite::export::Format;
    let build = |options: TableOptions| async move {
        builder()
            .table_prefix("app_")
            .table::<Order>()
            .table::<Grant>()
            .table_options::<Order>(options)
            .default_table_options(TableOptions::new().tag("owner", "platform"))
            .build()
            .await
            .unwrap()
    };
    let db = build(production()).await;
    // The same options given in another order: the same bytes.
    let reordered = build(
        TableOptions::new()
            .tag("env", "test")
            .point_in_time_recovery(true)
            .tag("team", "shop")
            .stream(StreamView::NewAndOldImages)
            .deletion_protection(true)
            .billing(Billing::provisioned(5, 4)),
    )
    .await;
    for format in [Format::CloudFormation, Format::Terraform] {
        assert_eq!(
            db.export(format).unwrap(),
            reordered.export(format).unwrap()
        );
    }

    let cf: serde_json::Value =
        serde_json::from_str(&db.export(Format::CloudFormation).unwrap()).unwrap();
    let orders = &cf["Resources"]["AppOptOrdersTable"]["Properties"];
    assert_eq!(orders["BillingMode"], "PROVISIONED");
    let capacity = serde_json::json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 4});
    assert_eq!(orders["ProvisionedThroughput"], capacity);
    assert_eq!(
        orders["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"],
        capacity
    );
    assert_eq!(orders["DeletionProtectionEnabled"], true);
    assert_eq!(
        orders["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    assert_eq!(
        orders["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(
        orders["Tags"],
        serde_json::json!([
            {"Key": "env", "Value": "test"},
            {"Key": "owner", "Value": "platform"},
            {"Key": "team", "Value": "shop"},
        ])
    );
    assert!(orders.get("TimeToLiveSpecification").is_none());
    let grants = &cf["Resources"]["AppTtlSecondsTable"]["Properties"];
    assert_eq!(grants["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        grants["TimeToLiveSpecification"],
        serde_json::json!({"AttributeName": "until", "Enabled": true})
    );
    assert_eq!(
        grants["Tags"],
        serde_json::json!([{"Key": "owner", "Value": "platform"}])
    );

    let tf: serde_json::Value =
        serde_json::from_str(&db.export(Format::Terraform).unwrap()).unwrap();
    let orders = &tf["resource"]["aws_dynamodb_table"]["app_opt_orders"];
    assert_eq!(orders["billing_mode"], "PROVISIONED");
    assert_eq!(orders["read_capacity"], 5);
    assert_eq!(orders["write_capacity"], 4);
    assert_eq!(orders["global_secondary_index"][0]["read_capacity"], 5);
    assert_eq!(orders["deletion_protection_enabled"], true);
    assert_eq!(orders["stream_enabled"], true);
    assert_eq!(orders["stream_view_type"], "NEW_AND_OLD_IMAGES");
    assert_eq!(orders["point_in_time_recovery"]["enabled"], true);
    assert_eq!(orders["tags"]["team"], "shop");
    let grants = &tf["resource"]["aws_dynamodb_table"]["app_ttl_seconds"];
    assert_eq!(
        grants["ttl"],
        serde_json::json!({"attribute_name": "until", "enabled": true})
    );
}

/// `plan --check` exits 0 when only withheld changes remain, and prints
/// them.
#[tokio::test]
async fn plan_check_passes_when_only_withheld_changes_remain() {
    use dynamite::cli::{Outcome, run};
    let first = builder()
        .table::<Order>()
        .table_options::<Order>(TableOptions::new().stream(StreamView::KeysOnly))
        .build()
        .await
        .unwrap();
    first.sync().await.unwrap();
    let db = Dynamite::builder()
        .same_backend_as(&first)
        .table_prefix(first.table_prefix())
        .table::<Order>()
        .table_options::<Order>(TableOptions::new().no_stream())
        .build()
        .await
        .unwrap();
    let mut out = Vec::new();
    let outcome = run(&db, ["plan", "--check"], &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(
        text.contains("disable the stream") && text.contains("not made"),
        "{text}"
    );
    // A change still pending fails the check.
    let pending = Dynamite::builder()
        .same_backend_as(&first)
        .table_prefix(first.table_prefix())
        .table::<Order>()
        .table_options::<Order>(TableOptions::new().deletion_protection(true))
        .build()
        .await
        .unwrap();
    let outcome = run(&pending, ["plan", "--check"], &mut Vec::new())
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Pending);
}
