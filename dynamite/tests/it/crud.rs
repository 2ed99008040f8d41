use dynamite::prelude::*;

use crate::models::{Event, Product, User, product};

#[dynamite::test(registry = crate::models::register)]
async fn create_fills_defaults_and_timestamps(db: Dynamite) {
    let user = User::create()
        .name("Ada")
        .email("ada@example.com")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(user.role, "customer");
    assert_eq!(user.id.len(), 36);
    assert_eq!(&user.id[14..15], "7", "time-ordered UUID v7");
    assert_eq!(user.created_at, user.updated_at);
    assert!(user.created_at.ends_with('Z'));
    let stored = User::get(&db, user.id.as_str()).await.unwrap().unwrap();
    assert_eq!(stored, user);
    assert_eq!(db.metrics().count("PutItem"), 1);
    assert_eq!(db.metrics().count("GetItem"), 1);
}

#[dynamite::test(registry = crate::models::register)]
async fn generated_ids_sort_in_creation_order(db: Dynamite) {
    let mut ids = Vec::new();
    for i in 0..20 {
        let u = User::create()
            .name(format!("u{i}"))
            .email(format!("u{i}@x.io"))
            .exec(&db)
            .await
            .unwrap();
        ids.push(u.id);
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[dynamite::test(registry = crate::models::register)]
async fn create_with_an_existing_key_is_already_exists_and_keeps_the_row(db: Dynamite) {
    let first = User::create()
        .id("u1")
        .name("First")
        .email("a@x.io")
        .exec(&db)
        .await
        .unwrap();
    let err = User::create()
        .id("u1")
        .name("Second")
        .email("b@x.io")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err}");
    assert!(err.to_string().contains("u1"));
    let stored = User::get(&db, "u1").await.unwrap().unwrap();
    assert_eq!(stored.name, first.name);
}

#[dynamite::test(registry = crate::models::register)]
async fn get_of_a_missing_row_is_none(db: Dynamite) {
    assert!(User::get(&db, "nobody").await.unwrap().is_none());
}

#[dynamite::test(registry = crate::models::register)]
async fn composite_keys_round_trip(db: Dynamite) {
    for seq in 1..=3 {
        Event::create()
            .stream("s1")
            .seq(seq)
            .kind("k")
            .exec(&db)
            .await
            .unwrap();
    }
    let e = Event::get(&db, ("s1", 2_i64)).await.unwrap().unwrap();
    assert_eq!(e.seq, 2);
    assert!(Event::get(&db, ("s1", 9_i64)).await.unwrap().is_none());
    Event::delete_key(&db, ("s1", 2_i64)).await.unwrap();
    assert!(Event::get(&db, ("s1", 2_i64)).await.unwrap().is_none());
    assert!(
        Event::get(&db, ("s1", 3_i64)).await.unwrap().is_some(),
        "only the addressed item is deleted"
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn save_writes_changes_and_refreshes_updated_at(db: Dynamite) {
    let mut user = User::create()
        .name("Ada")
        .email("ada@x.io")
        .exec(&db)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    user.name = "Ada L.".into();
    user.age = Some(36);
    user.save(&db).await.unwrap();
    let stored = User::get(&db, user.id.as_str()).await.unwrap().unwrap();
    assert_eq!(stored.name, "Ada L.");
    assert_eq!(stored.age, Some(36));
    assert!(stored.updated_at > stored.created_at);
    assert_eq!(stored, user);

    user.age = None;
    user.save(&db).await.unwrap();
    let stored = User::get(&db, user.id.as_str()).await.unwrap().unwrap();
    assert_eq!(stored.age, None, "None removes the attribute");
}

#[dynamite::test(registry = crate::models::register)]
async fn save_of_a_deleted_row_is_not_found_and_does_not_recreate_it(db: Dynamite) {
    let mut user = User::create()
        .name("Ada")
        .email("ada@x.io")
        .exec(&db)
        .await
        .unwrap();
    user.delete(&db).await.unwrap();
    let err = user.save(&db).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(User::get(&db, user.id.as_str()).await.unwrap().is_none());
}

#[dynamite::test(registry = crate::models::register)]
async fn save_keeps_attributes_the_model_does_not_declare(db: Dynamite) {
    let mut user = User::create()
        .name("Ada")
        .email("ada@x.io")
        .exec(&db)
        .await
        .unwrap();
    let table = db.table_name::<User>().unwrap();
    db.client()
        .update_item()
        .table_name(&table)
        .key("id", AttributeValue::S(user.id.clone()))
        .update_expression("SET legacy = :v")
        .expression_attribute_values(":v", AttributeValue::S("keep me".into()))
        .send()
        .await
        .unwrap();
    user.name = "Ada L.".into();
    user.save(&db).await.unwrap();
    let raw = db
        .client()
        .get_item()
        .table_name(&table)
        .key("id", AttributeValue::S(user.id.clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        raw.get("legacy"),
        Some(&AttributeValue::S("keep me".into()))
    );
    assert_eq!(raw.get("name"), Some(&AttributeValue::S("Ada L.".into())));
}

#[dynamite::test(registry = crate::models::register)]
async fn update_changes_only_what_is_asked(db: Dynamite) {
    let p = Product::create_many(&db, [product("Mouse", "input", 29.99)])
        .await
        .unwrap()
        .remove(0);
    let updated = p
        .update()
        .set(Product::NAME, "Wireless mouse")
        .increment(Product::STOCK, 5)
        .append(Product::TAGS, ["new".to_string(), "sale".to_string()])
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.name, "Wireless mouse");
    assert_eq!(updated.stock, 5);
    assert_eq!(updated.tags, vec!["new", "sale"]);
    assert_eq!(updated.price, 29.99);
    let updated = Product::update_key(p.id.as_str())
        .decrement(Product::STOCK, 2)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.stock, 3);
    assert_eq!(db.metrics().count("UpdateItem"), 2);
    assert_eq!(db.metrics().count("GetItem"), 0, "no read-modify-write");
}

#[dynamite::test(registry = crate::models::register)]
async fn update_refreshes_updated_at_and_removes_options(db: Dynamite) {
    let user = User::create()
        .name("Ada")
        .email("ada@x.io")
        .age(Some(30))
        .exec(&db)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = user.update().remove(User::AGE).exec(&db).await.unwrap();
    assert_eq!(updated.age, None);
    assert!(updated.updated_at > user.updated_at);
    let updated = user
        .update()
        .set(User::AGE, Some(31))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.age, Some(31));
}

#[dynamite::test(registry = crate::models::register)]
async fn update_of_a_missing_row_is_not_found_and_creates_nothing(db: Dynamite) {
    let err = User::update_key("ghost")
        .set(User::NAME, "Boo")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(User::get(&db, "ghost").await.unwrap().is_none());
}

#[dynamite::test(registry = crate::models::register)]
async fn update_with_a_failing_condition_changes_nothing(db: Dynamite) {
    let user = User::create()
        .name("Ada")
        .email("ada@x.io")
        .exec(&db)
        .await
        .unwrap();
    let err = user
        .update()
        .set(User::NAME, "Eve")
        .condition(User::ROLE.eq("admin"))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_condition_failed(), "{err}");
    assert_eq!(
        User::get(&db, user.id.as_str())
            .await
            .unwrap()
            .unwrap()
            .name,
        "Ada"
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn updating_a_key_attribute_is_refused(db: Dynamite) {
    let user = User::create()
        .name("Ada")
        .email("ada@x.io")
        .exec(&db)
        .await
        .unwrap();
    let err = user
        .update()
        .set(User::ID, "other")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_updatable(), "{err}");
    assert_eq!(db.metrics().count("UpdateItem"), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn delete_removes_the_row_and_a_second_delete_is_not_found(db: Dynamite) {
    let user = User::create()
        .name("Ada")
        .email("ada@x.io")
        .exec(&db)
        .await
        .unwrap();
    user.delete(&db).await.unwrap();
    assert!(User::get(&db, user.id.as_str()).await.unwrap().is_none());
    assert!(user.delete(&db).await.unwrap_err().is_not_found());
}

#[dynamite::test(registry = crate::models::register)]
async fn values_of_every_kind_round_trip_through_the_backend(db: Dynamite) {
    let mut p = product("Camera", "photo", 1e-3);
    p.tags = vec!["a".into(), "b".into()];
    p.labels = ["x".to_string(), "y".to_string()].into_iter().collect();
    p.attributes.insert("colour".into(), "black".into());
    p.photo = Some(Bytes(vec![0, 1, 2, 255]));
    p.stock = i64::MIN + 1;
    let stored = Product::create_many(&db, [p.clone()])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(stored, p);
    let read = Product::get(&db, p.id.as_str()).await.unwrap().unwrap();
    assert_eq!(read, p);
    for price in [
        0.1 + 0.2,
        1109.97,
        123_456_789.123_456_79,
        5e-100,
        9.9e125,
        -0.0,
    ] {
        let mut q = product("Price", "photo", price);
        q.id = format!("price-{price}");
        Product::put_many(&db, [q.clone()]).await.unwrap();
        let back = Product::get(&db, q.id.as_str()).await.unwrap().unwrap();
        assert!(back.price == price, "{price} came back as {}", back.price);
    }
}
