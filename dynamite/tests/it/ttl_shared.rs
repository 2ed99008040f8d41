//! TTL per model in a shared table: models of one table may declare TTL or
//! not; those that do agree on the attribute; a model without TTL is never
//! hidden, overwritten or swept because another model of the table has it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dynamite::prelude::*;
use dynamite::table_options::TableOptions;
use dynamite::{Change, Dynamite, Error};

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
async fn db() -> Dynamite {
    let db = builder()
        .table::<StNote>()
        .table::<StSession>()
        .table::<StLease>()
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    db
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

#[tokio::test]
async fn a_model_without_ttl_is_never_hidden_by_another_models_ttl() {
    let db = db().await;
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
#[tokio::test]
async fn regression_create_never_overwrites_another_models_item_with_a_past_ttl_number() {
    let db = db().await;
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
