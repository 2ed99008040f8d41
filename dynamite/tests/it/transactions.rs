//! Transactions, transactional reads and set-based writes.

use dynamite::prelude::*;
use dynamite::{CancellationKind, Error};

use crate::models::{Event, User};

async fn users(db: &Dynamite, n: usize) {
    let rows = (0..n).map(|i| {
        User::create()
            .id(format!("u{i}"))
            .name(format!("n{i}"))
            .email(format!("{i}@x.io"))
            .role(if i % 2 == 0 { "premium" } else { "customer" })
            .age(Some(i as u32))
            .build()
    });
    User::put_many(db, rows).await.unwrap();
    db.metrics().reset();
}

#[dynamite::test(registry = crate::models::register)]
async fn a_transaction_commits_every_operation_in_one_request(db: Dynamite) {
    users(&db, 3).await;
    let mut tx = db.transaction();
    tx.create(
        User::create()
            .id("new")
            .name("New")
            .email("new@x.io")
            .build(),
    );
    tx.update(User::update_key("u0").set(User::NAME, "changed"));
    tx.delete_key::<User>("u1");
    tx.condition_check::<User>("u2", User::ROLE.eq("premium"));
    tx.create(Event::create().stream("s").seq(1).kind("audit").build());
    assert_eq!(tx.len(), 5);
    tx.commit().await.unwrap();
    assert_eq!(db.metrics().count("TransactWriteItems"), 1);
    assert_eq!(db.metrics().data_plane_requests(), 1);
    assert!(User::get(&db, "new").await.unwrap().is_some());
    assert_eq!(User::get(&db, "u0").await.unwrap().unwrap().name, "changed");
    assert!(User::get(&db, "u1").await.unwrap().is_none());
    assert!(Event::get(&db, ("s", 1_i64)).await.unwrap().is_some());
}

#[dynamite::test(registry = crate::models::register)]
async fn a_cancelled_transaction_changes_nothing_and_says_why(db: Dynamite) {
    users(&db, 3).await;
    let mut tx = db.transaction();
    tx.update(User::update_key("u0").set(User::NAME, "changed"));
    tx.create(User::create().id("u1").name("dup").email("d@x.io").build());
    tx.condition_check::<User>("u2", User::ROLE.eq("customer"));
    let err = tx.commit().await.unwrap_err();
    match &err {
        Error::TransactionCanceled { reasons, added } => {
            let kinds: Vec<CancellationKind> = reasons.iter().map(|r| r.kind).collect();
            assert_eq!(
                kinds,
                [
                    CancellationKind::None,
                    CancellationKind::AlreadyExists,
                    CancellationKind::ConditionFailed
                ],
                "{err}"
            );
            assert!(added.is_empty());
        }
        other => panic!("expected TransactionCanceled, got {other}"),
    }
    assert_eq!(
        User::get(&db, "u0").await.unwrap().unwrap().name,
        "n0",
        "all or nothing"
    );
    assert_eq!(User::get(&db, "u1").await.unwrap().unwrap().name, "n1");
}

#[dynamite::test(registry = crate::models::register)]
async fn more_than_100_operations_is_an_error_before_sending(db: Dynamite) {
    let mut tx = db.transaction();
    for i in 0..101 {
        tx.create(
            User::create()
                .id(format!("x{i}"))
                .name("x")
                .email("x")
                .build(),
        );
    }
    let err = tx.commit().await.unwrap_err();
    assert!(err.is_too_many_operations(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert_eq!(
        User::query().count(&db).await.unwrap(),
        0,
        "never split into several calls"
    );

    let mut tx = db.transaction();
    for i in 0..100 {
        tx.create(
            User::create()
                .id(format!("x{i}"))
                .name("x")
                .email("x")
                .build(),
        );
    }
    tx.commit().await.unwrap();
    assert_eq!(User::query().count(&db).await.unwrap(), 100);
}

#[dynamite::test(registry = crate::models::register)]
async fn two_operations_on_one_item_is_an_error_before_sending(db: Dynamite) {
    users(&db, 1).await;
    let mut tx = db.transaction();
    tx.update(User::update_key("u0").set(User::NAME, "a"));
    tx.delete_key::<User>("u0");
    let err = tx.commit().await.unwrap_err();
    assert!(err.is_duplicate_item(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn a_bad_operation_fails_the_commit_before_sending(db: Dynamite) {
    let mut tx = db.transaction();
    tx.update(User::update_key("").set(User::NAME, "a"));
    assert!(tx.commit().await.unwrap_err().is_missing_key());
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn transact_get_reads_rows_of_several_models_in_order(db: Dynamite) {
    users(&db, 2).await;
    Event::create()
        .stream("s")
        .seq(7)
        .kind("k")
        .exec(&db)
        .await
        .unwrap();
    let mut read = db.transact_get();
    read.get::<User>("u1")
        .get::<Event>(("s", 7_i64))
        .get::<User>("missing");
    let rows = read.send().await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.get::<User>(0).unwrap().unwrap().name, "n1");
    assert_eq!(rows.get::<Event>(1).unwrap().unwrap().seq, 7);
    assert!(rows.get::<User>(2).unwrap().is_none());
    assert_eq!(db.metrics().count("TransactGetItems"), 1);
}

#[dynamite::test(registry = crate::models::register)]
async fn update_where_updates_only_matching_rows(db: Dynamite) {
    users(&db, 10).await;
    let n = User::update_where(User::ROLE.eq("premium"))
        .set(User::NAME, "vip")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 5);
    let all = User::query().all(&db).await.unwrap();
    assert!(
        all.iter()
            .all(|u| (u.role == "premium") == (u.name == "vip"))
    );
    let n = User::update_where(User::AGE.ge(8))
        .increment(User::AGE, 100)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 2);
}

#[dynamite::test(registry = crate::models::register)]
async fn set_based_writes_refuse_an_empty_filter_unless_all_rows(db: Dynamite) {
    users(&db, 4).await;
    let err = User::update_where(None)
        .set(User::NAME, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_unfiltered_write(), "{err}");
    let err = User::delete_where(None).exec(&db).await.unwrap_err();
    assert!(err.is_unfiltered_write(), "{err}");
    assert_eq!(
        db.metrics().data_plane_requests(),
        0,
        "nothing read or written"
    );
    assert_eq!(User::query().count(&db).await.unwrap(), 4);

    let n = User::update_where(None)
        .all_rows()
        .set(User::ROLE, "everyone")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 4);
    let n = User::delete_where(None).all_rows().exec(&db).await.unwrap();
    assert_eq!(n, 4);
    assert_eq!(User::query().count(&db).await.unwrap(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn delete_where_deletes_only_matching_rows(db: Dynamite) {
    users(&db, 9).await;
    let n = User::delete_where(User::ROLE.eq("customer"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 4);
    let left = User::query().all(&db).await.unwrap();
    assert_eq!(left.len(), 5);
    assert!(left.iter().all(|u| u.role == "premium"));
    db.metrics().reset();
    let n = User::delete_where(User::ID.eq("u0"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        db.metrics().count("Scan"),
        0,
        "the key lookup is a GetItem, not a Scan"
    );
    assert_eq!(db.metrics().count("GetItem"), 1);
    assert_eq!(db.metrics().count("DeleteItem"), 1);
}

/// Issue "The rest of the data model", item 7: a commit hands back the rows
/// it created as stored (generated ids, defaults), so callers need not
/// re-read them.
#[dynamite::test(registry = crate::models::register)]
async fn a_commit_returns_the_rows_it_created_as_stored(db: Dynamite) {
    use crate::models::Product;
    users(&db, 1).await;
    let mut tx = db.transaction();
    tx.create(
        Product::create()
            .name("Lamp")
            .price(20.0)
            .tags(Vec::<String>::new())
            .labels(std::collections::BTreeSet::new())
            .attributes(std::collections::HashMap::new())
            .category("home"),
    );
    tx.update(User::update_key("u0").set(User::NAME, "renamed"));
    tx.create(User::create().id("u9").name("new").email("9@x.io"));
    let committed = tx.commit().await.unwrap();
    assert_eq!(committed.created_count(), 2);
    let products: Vec<Product> = committed.created().unwrap();
    assert_eq!(products.len(), 1);
    assert!(!products[0].id.is_empty(), "the generated id");
    assert_eq!(products[0].stock, 0, "the default");
    let stored = Product::get(&db, products[0].id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, products[0]);
    let users: Vec<User> = committed.created().unwrap();
    assert_eq!(
        users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["u9"]
    );
    let events: Vec<crate::models::Event> = committed.created().unwrap();
    assert!(events.is_empty());
}
