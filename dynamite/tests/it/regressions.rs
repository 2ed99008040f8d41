//! One test per defect of the TypeScript Dynamite (`reference/dynamite-ts.md`)
//! and of Toasty's DynamoDB driver (`reference/peers.md`) that applies to
//! us, each proving we do not have it.

use dynamite::Error;
use dynamite::prelude::*;

use crate::common::{builder, db};
use crate::models::{Event, User};
use crate::shop::{self, Order, user_id};

async fn users(db: &Dynamite, n: usize) {
    let rows = (0..n).map(|i| {
        User::create()
            .id(format!("u{i:03}"))
            .name(format!("n{i}"))
            .email(format!("{i}@x.io"))
            .role(if i % 3 == 0 { "premium" } else { "customer" })
            .build()
    });
    User::put_many(db, rows).await.unwrap();
    db.metrics().reset();
}

// Regression: the TypeScript library's defect 1.
#[dynamite::test(registry = crate::models::register)]
async fn a_missing_key_is_never_a_table_wide_write(db: Dynamite) {
    users(&db, 5).await;
    assert!(
        User::update_key("")
            .set(User::NAME, "x")
            .exec(&db)
            .await
            .unwrap_err()
            .is_missing_key()
    );
    assert!(
        User::delete_key(&db, "")
            .await
            .unwrap_err()
            .is_missing_key()
    );
    assert!(
        User::update_where(None)
            .set(User::NAME, "x")
            .exec(&db)
            .await
            .is_err()
    );
    assert!(User::delete_where(None).exec(&db).await.is_err());
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let all = User::query().all(&db).await.unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|u| u.name != "x"));
}

// Regression: the TypeScript library's defect 2.
#[dynamite::test(registry = crate::models::register)]
async fn composite_keys_send_both_key_attributes(db: Dynamite) {
    for seq in 1..=3 {
        Event::create()
            .stream("s")
            .seq(seq)
            .kind("k")
            .exec(&db)
            .await
            .unwrap();
    }
    Event::update_key(("s", 2_i64))
        .set(Event::KIND, "changed")
        .exec(&db)
        .await
        .unwrap();
    Event::delete_key(&db, ("s", 3_i64)).await.unwrap();
    let rows = Event::query()
        .filter(Event::STREAM.eq("s"))
        .all(&db)
        .await
        .unwrap();
    let got: Vec<(i64, &str)> = rows.iter().map(|e| (e.seq, e.kind.as_str())).collect();
    assert_eq!(got, [(1, "k"), (2, "changed")]);
}

// Regression: the TypeScript library's defect 3.
#[dynamite::test(registry = crate::models::register)]
async fn transactions_over_25_operations_stay_one_atomic_call(db: Dynamite) {
    let mut tx = db.transaction();
    for i in 0..60 {
        tx.create(
            User::create()
                .id(format!("t{i}"))
                .name("t")
                .email("t")
                .build(),
        );
    }
    tx.commit().await.unwrap();
    assert_eq!(db.metrics().count("TransactWriteItems"), 1);
    assert_eq!(User::query().count(&db).await.unwrap(), 60);
}

// Regression: the TypeScript library's defect 4.
#[dynamite::test(registry = crate::models::register)]
async fn update_is_one_conditional_update_item_not_a_read_modify_write(db: Dynamite) {
    users(&db, 1).await;
    User::update_key("u000")
        .set(User::NAME, "x")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().count("UpdateItem"), 1);
    assert_eq!(
        db.metrics().count("GetItem") + db.metrics().count("PutItem"),
        0
    );
}

// Regression: the TypeScript library's defect 5.
#[dynamite::test(registry = crate::models::register)]
async fn limit_and_first_stop_reading_early(db: Dynamite) {
    users(&db, 300).await;
    let three = User::query().limit(3).all(&db).await.unwrap();
    assert_eq!(three.len(), 3);
    assert_eq!(db.metrics().count("Scan"), 1);
    assert_eq!(
        db.metrics().items_read(),
        3,
        "Limit sent to DynamoDB: no full-table read"
    );
}

// Regression: the TypeScript library's defect 6.
#[dynamite::test(registry = crate::shop::register)]
async fn includes_query_the_index_instead_of_scanning_with_an_or_chain(db: Dynamite) {
    shop::seed(&db, 200).await;
    let ids: Vec<String> = (0..180).map(user_id).collect();
    let users = crate::shop::User::query()
        .filter(crate::shop::User::ID.is_in(ids))
        .include(crate::shop::User::orders().filter(Order::STATUS.eq("completed")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(users.len(), 180);
    assert!(
        users
            .iter()
            .all(|u| u.orders.iter().all(|o| o.status == "completed"))
    );
    assert_eq!(users.iter().map(|u| u.orders.len()).sum::<usize>(), 450);
    // Never a Scan carrying an OR chain of the 180 parent ids: either one
    // Query per parent on the foreign-key index, or (cheaper here, by the
    // table sizes) ONE Scan of the child table with the include filter only.
    let scans = db.metrics().count("Scan");
    let queries = db.metrics().count("Query");
    assert!(
        (scans == 0 && queries == 180) || (scans == 1 && queries == 0),
        "{:?}",
        db.metrics()
    );
    let plan = crate::shop::User::query()
        .filter(crate::shop::User::ID.is_in((0..180).map(user_id)))
        .include(crate::shop::User::orders().filter(Order::STATUS.eq("completed")))
        .explain(&db)
        .to_string();
    assert!(!plan.contains(" OR "), "{plan}");
}

// Regression: the TypeScript library's defect 6.
#[dynamite::test(registry = crate::shop::register)]
async fn many_to_many_junction_reads_paginate_past_1_mb(db: Dynamite) {
    shop::seed(&db, 1).await;
    // 1,200 orders of ~1 KB each: more than one 1 MB page of the GSI.
    let note = "x".repeat(1_000);
    let orders = (0..1_200).map(|i| {
        Order::create()
            .id(format!("big-{i:05}"))
            .user_id(user_id(0))
            .status(note.clone())
            .total(1.0)
            .build()
    });
    Order::put_many(&db, orders).await.unwrap();
    db.metrics().reset();
    let user = crate::shop::User::query()
        .filter(crate::shop::User::ID.eq(user_id(0)))
        .include(crate::shop::User::orders())
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.orders.len(), 1_205, "nothing lost past the first page");
    assert!(
        db.metrics().count("Query") >= 2,
        "the include paged: {:?}",
        db.metrics()
    );
}

// Regression: the TypeScript library's defect 13.
#[dynamite::test(registry = crate::many_to_many::register)]
async fn many_to_many_replace_pages_the_junction_and_is_transactional(db: Dynamite) {
    use crate::many_to_many::{MEnrollment, MStudent, course_id};
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    // 110 links of ~10 KB each: more than one 1 MB page of the junction.
    let grade = "x".repeat(10_000);
    let links = (0..110).map(|c| {
        MEnrollment::create()
            .student_id("s1")
            .course_id(course_id(c))
            .grade(Some(grade.clone()))
            .build()
    });
    MEnrollment::put_many(&db, links).await.unwrap();
    db.metrics().reset();
    let change = MStudent::courses()
        .replace(&db, "s1", [course_id(0)])
        .await
        .unwrap();
    assert_eq!(
        change.removed.len(),
        109,
        "nothing missed past the first page"
    );
    assert_eq!(change.unchanged, [course_id(0)]);
    assert!(db.metrics().count("Query") >= 2, "the junction read paged");
    // Not one request per link: 109 deletes in two transactions.
    assert_eq!(db.metrics().count("TransactWriteItems"), 2);
    assert_eq!(db.metrics().count("DeleteItem"), 0);
    let left = MEnrollment::query()
        .filter(MEnrollment::STUDENT_ID.eq("s1"))
        .consistent()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(left, 1);
}

// Regression: the TypeScript library's defect 7.
#[dynamite::test(registry = crate::shop::register)]
async fn a_projection_without_the_foreign_key_still_stitches(db: Dynamite) {
    shop::seed(&db, 2).await;
    let user = crate::shop::User::query()
        .filter(crate::shop::User::ID.eq(user_id(1)))
        .include(crate::shop::User::orders().attributes((Order::TOTAL,)))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.orders.projected().map(<[_]>::len), Some(5));
}

// Regression: the TypeScript library's defect 8.
#[dynamite::test(registry = crate::models::register)]
async fn filtered_cursors_do_not_skip_leftover_rows(db: Dynamite) {
    users(&db, 50).await;
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = User::query()
            .filter(User::ROLE.eq("premium"))
            .limit(3)
            .page(&db, cursor.as_ref())
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|u| u.id));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    seen.sort();
    let mut expected: Vec<String> = (0..50)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("u{i:03}"))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
}

// Regression: the TypeScript library's defect 9.
#[tokio::test]
async fn sync_waits_for_active_tables_and_types_keys_from_rust() {
    let db = builder().table::<Event>().build().await.unwrap();
    db.sync().await.unwrap();
    let table = db.table_name::<Event>().unwrap();
    let described = db
        .client()
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(described.table_status().map(|s| s.as_str()), Some("ACTIVE"));
    let seq = described
        .attribute_definitions()
        .iter()
        .find(|d| d.attribute_name() == "seq")
        .unwrap();
    assert_eq!(seq.attribute_type().as_str(), "N");
    // Usable immediately after sync returns.
    Event::create()
        .stream("s")
        .seq(1)
        .kind("k")
        .exec(&db)
        .await
        .unwrap();
}

// Regression: the TypeScript library's defect 11.
#[tokio::test]
async fn every_plain_field_is_persisted_and_clients_are_explicit() {
    let db_a = db().await;
    let db_b = db().await;
    User::create()
        .id("a")
        .name("A")
        .email("a@x.io")
        .age(Some(7))
        .exec(&db_a)
        .await
        .unwrap();
    let raw = db_a
        .client()
        .get_item()
        .table_name(db_a.table_name::<User>().unwrap())
        .key("id", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    for attribute in [
        "id",
        "name",
        "email",
        "role",
        "age",
        "created_at",
        "updated_at",
    ] {
        assert!(raw.contains_key(attribute), "{attribute} persisted");
    }
    // Two handles, two isolated backends: no global client.
    assert!(User::get(&db_b, "a").await.unwrap().is_none());
}

// Regression: the TypeScript library's defect 12.
#[dynamite::test(registry = crate::models::register)]
async fn errors_are_typed(db: Dynamite) {
    User::create()
        .id("x")
        .name("X")
        .email("x")
        .exec(&db)
        .await
        .unwrap();
    let err = User::create()
        .id("x")
        .name("Y")
        .email("y")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }));
    let err = User::update_key("nobody")
        .set(User::NAME, "n")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
}

#[dynamite::test(registry = crate::models::register)]
async fn toasty_more_than_25_rows_are_chunked_and_unprocessed_items_retried(db: Dynamite) {
    users(&db, 130).await;
    assert_eq!(User::query().count(&db).await.unwrap(), 130);
    let db2 = crate::common::db().await;
    let rows = (0..130).map(|i| {
        User::create()
            .id(format!("z{i}"))
            .name("z")
            .email("z")
            .build()
    });
    User::put_many(&db2, rows).await.unwrap();
    assert_eq!(db2.metrics().count("BatchWriteItem"), 6);
}

#[dynamite::test(registry = crate::models::register)]
async fn toasty_more_than_100_keys_in_one_read_are_batched_not_a_panic(db: Dynamite) {
    users(&db, 250).await;
    let found = User::get_many(&db, (0..250).map(|i| format!("u{i:03}")))
        .await
        .unwrap();
    assert_eq!(found.len(), 250);
    assert_eq!(db.metrics().count("BatchGetItem"), 3);
}

#[dynamite::test(registry = crate::models::register)]
async fn toasty_schema_sync_never_recreates_a_table(db: Dynamite) {
    users(&db, 3).await;
    assert!(db.sync().await.unwrap().is_empty());
    assert_eq!(db.metrics().count("DeleteTable"), 0);
    assert_eq!(User::query().count(&db).await.unwrap(), 3);
}

#[dynamite::test(registry = crate::models::register)]
async fn toasty_order_by_on_a_gsi_query_is_honoured(db: Dynamite) {
    let rows = (0..6).map(|i| {
        User::create()
            .id(format!("o{i}"))
            .name(format!("name {}", 5 - i))
            .email("same@x.io")
            .age(Some(i))
            .build()
    });
    User::put_many(&db, rows).await.unwrap();
    let names: Vec<String> = User::query()
        .filter(User::EMAIL.eq("same@x.io"))
        .order_by(User::NAME, Asc)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(
        names,
        ["name 0", "name 1", "name 2", "name 3", "name 4", "name 5"]
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn toasty_first_with_a_non_key_filter_does_not_scan_limit_1_page_after_page(db: Dynamite) {
    users(&db, 200).await;
    let found = User::query()
        .filter(User::NAME.eq("n199"))
        .first(&db)
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some("u199".to_string()));
    assert_eq!(
        db.metrics().count("Scan"),
        1,
        "one 1 MB page, not 200 Scans of Limit 1"
    );
}

#[dynamite::test(registry = crate::shop::register)]
async fn toasty_include_filters_are_sent_to_dynamodb(db: Dynamite) {
    shop::seed(&db, 4).await;
    let user = crate::shop::User::query()
        .filter(crate::shop::User::ID.eq(user_id(0)))
        .include(crate::shop::User::orders().filter(Order::STATUS.eq("completed")))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.orders.len(), 3);
    // The FilterExpression ran in DynamoDB: 5 items read, 3 returned (plus the user).
    assert_eq!(db.metrics().items_read(), 6);
}
