//! TTL per model in a shared table: models of one table may declare TTL or
//! not; those that do agree on the attribute; a model without TTL is never
//! hidden, overwritten or swept because another model of the table has it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dynamite::prelude::*;
use dynamite::table_options::TableOptions;
use dynamite::{Change, Dynamite, DynamiteBuilder, Error};

use crate::common::builder;
use crate::ttl::LONG_AGO;

/// No TTL: its rows must never be hidden by the table's TTL.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ttl_st", pk = "T#{tenant}", sk = "N#{id}")]
struct StNote {
    tenant: String,
    id: String,
    body: String,
}

/// The table's TTL attribute is `expires`.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ttl_st", pk = "T#{tenant}", sk = "S#{id}")]
struct StSession {
    tenant: String,
    id: String,
    #[dynamite(ttl)]
    expires: Option<i64>,
}

/// Renders the same keys as `StNote`: only the entity type keeps them apart.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ttl_st", pk = "T#{tenant}", sk = "N#{id}", entity = "Lease")]
struct StLease {
    tenant: String,
    id: String,
    #[dynamite(ttl)]
    expires: Option<i64>,
}

fn epoch(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The model without TTL registered first: the table's TTL comes from a
/// later model.
fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<StNote>()
        .table::<StSession>()
        .table::<StLease>()
}

/// `sync()` took the table's TTL from the first model registered, so a
/// table whose first model has none never had TTL enabled.
#[tokio::test]
async fn regression_sync_enables_the_ttl_of_a_later_registered_model() {
    let db = builder()
        .table::<StNote>()
        .table::<StSession>()
        .table_options::<StNote>(TableOptions::new().time_to_live(true))
        .build()
        .await
        .unwrap();
    let plan = db.sync_plan().await.unwrap();
    let enable = Change::EnableTtl {
        table: db.table_name::<StNote>().unwrap(),
        attribute: "expires".into(),
    };
    assert!(plan.changes.contains(&enable), "{plan}");
}

#[dynamite::test(registry = register)]
async fn a_model_without_ttl_is_never_hidden_by_another_models_ttl(db: Dynamite) {
    let now = SystemTime::now();
    for id in ["n1", "n2"] {
        StNote::create()
            .tenant("a")
            .id(id)
            .body(id)
            .exec(&db)
            .await
            .unwrap();
    }
    for (id, at) in [
        ("s1", now + Duration::from_secs(3600)),
        ("s2", now - LONG_AGO),
    ] {
        StSession::create()
            .tenant("a")
            .id(id)
            .expires(Some(epoch(at)))
            .exec(&db)
            .await
            .unwrap();
    }
    let notes = StNote::query()
        .filter(StNote::TENANT.eq("a"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(StNote::query().count(&db).await.unwrap(), 2);
    let n1 = StNote::get(&db, StNote::key().tenant("a").id("n1"))
        .await
        .unwrap();
    assert_eq!(n1.map(|n| n.body), Some("n1".to_owned()));
    let many = StNote::get_many(&db, [("a", "n1"), ("a", "n2")])
        .await
        .unwrap();
    assert_eq!(many.len(), 2);
    // The model with TTL hides its expired row, and only it.
    let sessions = StSession::query()
        .filter(StSession::TENANT.eq("a"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        StSession::query().with_expired().count(&db).await.unwrap(),
        2
    );
    // Writes of the model without TTL find their rows.
    StNote::update_key(StNote::key().id("n2").tenant("a"))
        .set(StNote::BODY, "edited".to_owned())
        .exec(&db)
        .await
        .unwrap();
    let mut tx = db.transaction();
    tx.delete_key::<StNote>(StNote::key().tenant("a").id("n1"));
    tx.commit().await.unwrap();
    assert_eq!(StNote::query().count(&db).await.unwrap(), 1);
}

/// A create of a model with TTL may replace an expired row under its key,
/// but another model's item there is never overwritten, even when it holds
/// a past number under the TTL attribute (written by another program).
#[dynamite::test(registry = register)]
async fn regression_create_never_overwrites_another_models_item_with_a_past_ttl_number(
    db: Dynamite,
) {
    let note = StNote::create()
        .tenant("a")
        .id("n3")
        .body("keep")
        .exec(&db)
        .await
        .unwrap();
    let key = StNote::key_item(&note.key()).unwrap();
    db.client()
        .update_item()
        .table_name(db.table_name::<StNote>().unwrap())
        .set_key(Some(key))
        .update_expression("SET #t = :t")
        .expression_attribute_names("#t", "expires")
        .expression_attribute_values(":t", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let clash = StLease::create()
        .tenant("a")
        .id("n3")
        .expires(None)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(clash.is_already_exists(), "{clash}");
    let kept = StNote::get(&db, ("a", "n3")).await.unwrap();
    assert_eq!(kept.map(|n| n.body), Some("keep".to_owned()));
    // The lease's own expired row is replaced as before.
    StLease::create()
        .tenant("a")
        .id("l1")
        .expires(Some(1))
        .exec(&db)
        .await
        .unwrap();
    StLease::create()
        .tenant("a")
        .id("l1")
        .expires(None)
        .exec(&db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_model_storing_a_number_under_the_ttl_attribute_is_refused() {
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_st", pk = "T#{tenant}", sk = "C#{id}")]
    struct StCounter {
        tenant: String,
        id: String,
        expires: i64,
    }
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_st", pk = "T#{tenant}", sk = "R#{id}")]
    struct StRenamed {
        tenant: String,
        id: String,
        #[dynamite(rename = "expires")]
        deadline: Option<u64>,
    }
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_st", pk = "T#{tenant}", sk = "L#{id}")]
    struct StLabel {
        tenant: String,
        id: String,
        expires: String,
    }
    for error in [
        builder()
            .table::<StSession>()
            .table::<StCounter>()
            .build()
            .await
            .unwrap_err(),
        // Either registration order.
        builder()
            .table::<StRenamed>()
            .table::<StSession>()
            .build()
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::Config(m) if m.contains("TTL sweep")),
            "{error}"
        );
    }
    // A string is never swept; a model without the name is fine.
    let fine = builder()
        .table::<StSession>()
        .table::<StLabel>()
        .table::<StNote>()
        .build()
        .await;
    assert!(fine.is_ok());
}

/// No model of `ttl_live` declares TTL; `LiveCounter` stores a number
/// under `expires`, `LiveLabel` a string.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_live", pk = "T#{tenant}", sk = "C#{id}")]
struct LiveCounter {
    tenant: String,
    id: String,
    expires: i64,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_live", pk = "T#{tenant}", sk = "L#{id}")]
struct LiveLabel {
    tenant: String,
    id: String,
    expires: String,
}

/// Its own TTL is `due`; it stores a number under `expires` too.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_live", pk = "T#{tenant}", sk = "D#{id}")]
struct LiveDue {
    tenant: String,
    id: String,
    #[dynamite(ttl)]
    due: Option<i64>,
    expires: Option<u32>,
}

/// Its TTL is the one enabled: fine.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_live", pk = "T#{tenant}", sk = "S#{id}")]
struct LiveSession {
    tenant: String,
    id: String,
    #[dynamite(ttl)]
    expires: Option<i64>,
}

/// Another table, created by the first `sync()` that goes through.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_live_other")]
struct LiveOther {
    #[dynamite(primary_key)]
    id: String,
}

/// Enables TTL on `attribute` of `db`'s table of `T`, as another program
/// would.
async fn enable_ttl_elsewhere<T: Table>(db: &Dynamite, attribute: &str) {
    use aws_sdk_dynamodb::types::TimeToLiveSpecification;
    db.client()
        .update_time_to_live()
        .table_name(db.table_name::<T>().unwrap())
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Issue 19 item 8: a model storing a number under the table's TTL name
/// is `Error::Config` at `sync()` / `sync_plan()` too, when the TTL was
/// enabled elsewhere (only DescribeTimeToLive shows it), with or without a
/// model declaring TTL, and before anything is changed.
#[tokio::test]
async fn sync_refuses_a_number_under_a_ttl_enabled_elsewhere() {
    let first = builder()
        .table::<LiveCounter>()
        .table::<LiveLabel>()
        .build()
        .await
        .unwrap();
    first.sync().await.unwrap();
    enable_ttl_elsewhere::<LiveCounter>(&first, "expires").await;
    let on_same_tables = |b: dynamite::DynamiteBuilder| {
        b.same_backend_as(&first)
            .table_prefix(first.table_prefix())
            .table::<LiveOther>()
    };
    // No model declares TTL: LiveCounter's number is refused, by name.
    let db = on_same_tables(Dynamite::builder())
        .table::<LiveLabel>()
        .table::<LiveCounter>()
        .build()
        .await
        .unwrap();
    let table = db.table_name::<LiveCounter>().unwrap();
    for result in [db.sync_plan().await.map(drop), db.sync().await.map(drop)] {
        match result {
            Err(Error::Config(m)) => {
                for part in ["LiveCounter.expires", table.as_str(), "`expires`"] {
                    assert!(m.contains(part), "{part} in: {m}");
                }
            }
            other => panic!("expected Error::Config, got {other:?}"),
        }
    }
    // Nothing changed: the other table was not created.
    let other = db.table_name::<LiveOther>().unwrap();
    let described = db.client().describe_table().table_name(&other).send().await;
    assert!(described.is_err(), "{other} was created");
    // A model whose own TTL is another attribute: refused the same way.
    let db = on_same_tables(Dynamite::builder())
        .table::<LiveDue>()
        .build()
        .await
        .unwrap();
    let r = db.sync().await;
    assert!(
        matches!(&r, Err(Error::Config(m)) if m.contains("LiveDue.expires")),
        "{r:?}"
    );
    // A string under that name, and the model whose TTL it is: fine.
    let db = on_same_tables(Dynamite::builder())
        .table::<LiveLabel>()
        .table::<LiveSession>()
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    let described = db.client().describe_table().table_name(&other).send().await;
    assert!(described.is_ok(), "{other} was not created");
}

/// TTL enabled elsewhere on another attribute: a number under `expires`
/// is never swept, `sync()` goes through.
#[dynamite::test(models(LiveCounter))]
async fn sync_accepts_a_number_under_a_name_the_table_ttl_does_not_use(db: Dynamite) {
    enable_ttl_elsewhere::<LiveCounter>(&db, "gone").await;
    db.sync_plan().await.unwrap();
    db.sync().await.unwrap();
}
