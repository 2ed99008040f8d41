use dynamite::Error;
use dynamite::prelude::*;

use crate::common::builder;
use crate::models::{Event, Product, Stray, User, product};

#[dynamite::test(registry = crate::models::register)]
async fn empty_key_on_get_update_delete_is_missing_key_and_sends_nothing(db: Dynamite) {
    assert!(User::get(&db, "").await.unwrap_err().is_missing_key());
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
        User::get_many(&db, ["a", ""])
            .await
            .unwrap_err()
            .is_missing_key()
    );
    assert!(
        User::delete_many(&db, ["a", ""])
            .await
            .unwrap_err()
            .is_missing_key()
    );
    assert!(
        User::query()
            .filter(User::ID.eq(""))
            .all(&db)
            .await
            .unwrap_err()
            .is_missing_key()
    );
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

// A partition-only key for a composite table, or a key of the wrong type,
// no longer compiles: see `tests/ui/keys/wrong_key.rs`. What remains a
// run-time error is an empty key part.
#[dynamite::test(registry = crate::models::register)]
async fn an_empty_key_part_is_missing_key_and_never_a_table_wide_write(db: Dynamite) {
    Event::create()
        .stream("s")
        .seq(1)
        .kind("k")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let err = Event::delete_key(&db, ("", 1)).await.unwrap_err();
    assert!(
        matches!(&err, Error::MissingKey { attribute, .. } if attribute == "stream"),
        "{err}"
    );
    let err = Event::update_key(("", 1))
        .set(Event::KIND, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    let err = Event::delete_many(&db, [("s", 1), ("", 2)])
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert!(Event::get(&db, ("s", 1)).await.unwrap().is_some());
}

#[dynamite::test(registry = crate::models::register)]
async fn a_row_with_an_empty_key_cannot_be_created_or_saved(db: Dynamite) {
    let err = User::create()
        .id("")
        .name("x")
        .email("e")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    let mut user = User::create().id("").name("x").email("e").build();
    assert!(user.save(&db).await.unwrap_err().is_missing_key());
    assert!(user.delete(&db).await.unwrap_err().is_missing_key());
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn an_unregistered_model_is_an_error(db: Dynamite) {
    let err = Stray::get(&db, "x").await.unwrap_err();
    assert!(
        matches!(err, Error::NotRegistered { model: "Stray" }),
        "{err}"
    );
    assert!(err.to_string().contains(".table::<Stray>()"));
    assert!(Stray::query().all(&db).await.is_err());
    assert!(Stray::create().id("x").exec(&db).await.is_err());
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn an_item_over_400_kb_is_rejected_before_sending(db: Dynamite) {
    let mut p = product("big", "c", 1.0);
    p.tags = vec!["x".repeat(1024); 401];
    let err = Product::create_many(&db, [p.clone()]).await.unwrap_err();
    assert!(
        matches!(err, Error::ItemTooLarge { size, .. } if size > 400 * 1024),
        "{err}"
    );
    let err = Product::put_many(&db, [p]).await.unwrap_err();
    assert!(matches!(err, Error::ItemTooLarge { .. }), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn an_item_just_under_400_kb_is_accepted(db: Dynamite) {
    let mut p = product("big", "c", 1.0);
    p.tags = vec!["x".repeat(1000); 390];
    Product::put_many(&db, [p.clone()]).await.unwrap();
    assert_eq!(
        Product::get(&db, p.id.as_str())
            .await
            .unwrap()
            .unwrap()
            .tags
            .len(),
        390
    );
}

#[tokio::test]
async fn invalid_table_names_fail_at_build() {
    let err = builder()
        .table_prefix("bad prefix!")
        .table::<User>()
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTableName { .. }), "{err}");
}

#[dynamite::test(registry = crate::models::register)]
async fn a_wrong_stored_type_is_a_decode_error_naming_the_attribute(db: Dynamite) {
    let table = db.table_name::<User>().unwrap();
    db.client()
        .put_item()
        .table_name(&table)
        .item("id", AttributeValue::S("bad".into()))
        .item("name", AttributeValue::N("42".into()))
        .item("email", AttributeValue::S("e".into()))
        .item("role", AttributeValue::S("r".into()))
        .item("created_at", AttributeValue::S("t".into()))
        .item("updated_at", AttributeValue::S("t".into()))
        .send()
        .await
        .unwrap();
    let err = User::get(&db, "bad").await.unwrap_err();
    match &err {
        Error::Decode {
            table,
            attribute,
            expected,
            found,
            ..
        } => {
            assert_eq!(table, "users");
            assert_eq!(attribute, "name");
            assert_eq!(expected, "S");
            assert_eq!(found, "N");
        }
        other => panic!("expected Decode, got {other}"),
    }
}

#[dynamite::test(registry = crate::models::register)]
async fn a_missing_required_attribute_is_a_decode_error(db: Dynamite) {
    let table = db.table_name::<User>().unwrap();
    db.client()
        .put_item()
        .table_name(&table)
        .item("id", AttributeValue::S("thin".into()))
        .send()
        .await
        .unwrap();
    let err = User::get(&db, "thin").await.unwrap_err();
    assert!(err.is_decode(), "{err}");
}

#[dynamite::test(registry = crate::models::register)]
async fn nan_and_out_of_range_numbers_are_rejected_before_sending(db: Dynamite) {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e-300] {
        let mut p = product("n", "c", bad);
        p.id = "n".into();
        let err = Product::create_many(&db, [p]).await.unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{bad}: {err}");
    }
    let err = Product::query()
        .filter(Product::PRICE.gt(f64::NAN))
        .all(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = Product::update_key("x")
        .set(Product::PRICE, f64::INFINITY)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[tokio::test]
async fn reading_before_sync_is_a_schema_error() {
    let db = crate::models::register(builder()).build().await.unwrap();
    let err = User::get(&db, "x").await.unwrap_err();
    assert!(matches!(err, Error::Schema { .. }), "{err}");
}
