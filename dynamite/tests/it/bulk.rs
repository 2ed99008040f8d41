use dynamite::prelude::*;

use crate::models::{Event, Product, User, product};

fn users(range: std::ops::Range<usize>) -> Vec<User> {
    range
        .map(|i| {
            User::create()
                .id(format!("u{i:04}"))
                .name(format!("n{i}"))
                .email(format!("{i}@x.io"))
                .build()
        })
        .collect()
}

#[dynamite::test(registry = crate::models::register)]
async fn put_many_of_60_is_3_batch_write_items(db: Dynamite) {
    User::put_many(&db, users(0..60)).await.unwrap();
    assert_eq!(db.metrics().count("BatchWriteItem"), 3);
    assert_eq!(User::query().count(&db).await.unwrap(), 60);
}

#[dynamite::test(registry = crate::models::register)]
async fn put_many_upserts_and_dedupes_keys_last_wins(db: Dynamite) {
    User::put_many(&db, users(0..5)).await.unwrap();
    let mut changed = users(3..8);
    for u in &mut changed {
        u.name = format!("changed {}", u.id);
    }
    let mut dup = changed[0].clone();
    dup.name = "last wins".into();
    changed.push(dup);
    User::put_many(&db, changed).await.unwrap();
    assert_eq!(User::query().count(&db).await.unwrap(), 8);
    assert_eq!(
        User::get(&db, "u0003").await.unwrap().unwrap().name,
        "last wins"
    );
    assert_eq!(
        User::get(&db, "u0007").await.unwrap().unwrap().name,
        "changed u0007"
    );
    assert_eq!(User::get(&db, "u0001").await.unwrap().unwrap().name, "n1");
}

#[dynamite::test(registry = crate::models::register)]
async fn put_many_of_nothing_sends_nothing(db: Dynamite) {
    User::put_many(&db, Vec::new()).await.unwrap();
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn create_many_writes_transactions_of_100(db: Dynamite) {
    let created = User::create_many(&db, users(0..250)).await.unwrap();
    assert_eq!(created.len(), 250);
    assert_eq!(db.metrics().count("TransactWriteItems"), 3);
    assert_eq!(User::query().count(&db).await.unwrap(), 250);
}

#[dynamite::test(registry = crate::models::register)]
async fn create_many_never_overwrites_and_reports_existing_keys(db: Dynamite) {
    let mut original = users(5..6).remove(0);
    original.name = "original".into();
    User::create_many(&db, [original]).await.unwrap();
    let err = User::create_many(&db, users(0..10)).await.unwrap_err();
    match &err {
        dynamite::Error::Batch {
            existing, failed, ..
        } => {
            assert!(failed.is_empty());
            assert_eq!(existing.len(), 1);
            assert_eq!(
                existing[0].get("id"),
                Some(&AttributeValue::S("u0005".into()))
            );
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(
        User::get(&db, "u0005").await.unwrap().unwrap().name,
        "original"
    );
    assert_eq!(
        User::query().count(&db).await.unwrap(),
        10,
        "the other nine were created"
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn create_many_rejects_conflicting_duplicates_before_sending(db: Dynamite) {
    let mut rows = users(0..3);
    let mut dup = rows[1].clone();
    dup.name = "different".into();
    rows.push(dup);
    let err = User::create_many(&db, rows).await.unwrap_err();
    assert!(err.is_duplicate_item(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // Identical duplicates are created once. The duplicate is a clone:
    // two builds a millisecond apart stamp different timestamps.
    let mut rows = users(0..3);
    rows.push(rows[1].clone());
    assert_eq!(User::create_many(&db, rows).await.unwrap().len(), 3);
}

#[dynamite::test(registry = crate::models::register)]
async fn delete_many_removes_only_the_given_keys(db: Dynamite) {
    let events: Vec<Event> = (1..=40)
        .map(|s| Event::create().stream("s").seq(s).kind("k").build())
        .collect();
    Event::put_many(&db, events).await.unwrap();
    db.metrics().reset();
    Event::delete_many(&db, (1..=30).map(|s| ("s", s as i64)))
        .await
        .unwrap();
    assert_eq!(db.metrics().count("BatchWriteItem"), 2);
    let left: Vec<i64> = Event::query()
        .filter(Event::STREAM.eq("s"))
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(left, (31..=40).collect::<Vec<_>>());
}

#[dynamite::test(registry = crate::models::register)]
async fn bulk_writes_validate_every_row_before_sending_any(db: Dynamite) {
    let mut rows: Vec<Product> = (0..30)
        .map(|i| product(&format!("p{i}"), "c", 1.0))
        .collect();
    rows[29].price = f64::NAN;
    let err = Product::put_many(&db, rows).await.unwrap_err();
    assert!(matches!(err, dynamite::Error::InvalidValue { .. }), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert_eq!(Product::query().count(&db).await.unwrap(), 0);
}
