//! Writes and keys that cannot lie (issue "Writes and keys that cannot
//! lie"): one named regression test per item done so far, on both backends.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use dynamite::Dynamite;
use dynamite::prelude::*;

use crate::models::{Product, User, product};

// Item 5: one action per attribute.

#[dynamite::test(registry = crate::models::register)]
async fn regression_setting_one_column_twice_keeps_the_last_value(db: Dynamite) {
    let p = product("Mouse", "gadgets", 10.0);
    Product::put_many(&db, [p.clone()]).await.unwrap();
    let updated = p
        .update()
        .set(Product::NAME, "first")
        .set(Product::NAME, "second")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.name, "second");
    let u = User::create()
        .id("u1")
        .name("Ada")
        .email("ada@x.io")
        .age(Some(30))
        .exec(&db)
        .await
        .unwrap();
    let u = u
        .update()
        .set(User::AGE, Some(31u32))
        .set(User::AGE, None)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(u.age, None, "set(Some) then set(None): the last one wins");
}

#[dynamite::test(registry = crate::models::register)]
async fn regression_contradictory_actions_on_one_column_are_refused_before_sending(db: Dynamite) {
    let p = product("Mouse", "gadgets", 10.0);
    Product::put_many(&db, [p.clone()]).await.unwrap();
    db.metrics().reset();
    let err = p
        .clone()
        .update()
        .set(Product::STOCK, 5)
        .increment(Product::STOCK, 1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflicting_update(), "{err}");
    let err = p
        .clone()
        .update()
        .remove(Product::PHOTO)
        .set(Product::PHOTO, Some(Bytes::from(vec![1u8])))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflicting_update(), "{err}");
    let err = p
        .clone()
        .update()
        .increment(Product::STOCK, 1)
        .decrement(Product::STOCK, 2)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflicting_update(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0, "nothing was sent");
    let stored = Product::get(&db, p.id.as_str()).await.unwrap().unwrap();
    assert_eq!(stored.stock, p.stock);
}

// Item 7: sync() compares key names AND types, of tables and indexes.

#[derive(Table, Debug, Clone)]
#[dynamite(table = "truth_accounts")]
struct Account {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index)]
    email: String,
}

async fn handle() -> Dynamite {
    crate::common::builder()
        .table::<Account>()
        .build()
        .await
        .unwrap()
}

fn attribute(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .unwrap()
}

fn hash(name: &str) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(KeyType::Hash)
        .build()
        .unwrap()
}

#[tokio::test]
async fn regression_sync_refuses_a_table_whose_key_has_another_type() {
    let db = handle().await;
    let table = db.table_name::<Account>().unwrap();
    db.client()
        .create_table()
        .table_name(&table)
        .attribute_definitions(attribute("id", ScalarAttributeType::N))
        .key_schema(hash("id"))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let err = db.sync().await.unwrap_err();
    assert!(err.is_schema(), "{err}");
    let text = err.to_string();
    assert!(text.contains("id (N)") && text.contains("id (S)"), "{text}");
    assert!(db.sync_plan().await.unwrap_err().is_schema());
}

#[tokio::test]
async fn regression_sync_refuses_an_index_of_the_same_name_with_other_keys() {
    let db = handle().await;
    let table = db.table_name::<Account>().unwrap();
    db.client()
        .create_table()
        .table_name(&table)
        .attribute_definitions(attribute("id", ScalarAttributeType::S))
        .attribute_definitions(attribute("email", ScalarAttributeType::N))
        .key_schema(hash("id"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("email_index")
                .key_schema(hash("email"))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let err = db.sync().await.unwrap_err();
    assert!(err.is_schema(), "{err}");
    assert!(err.to_string().contains("email_index"), "{err}");
}

// Item 9: errors keep their cause.

#[tokio::test]
async fn regression_backend_errors_keep_the_sdk_error_code_and_request_id() {
    // A table whose key has another type than the model's (made behind
    // the handle's back, never synced): DynamoDB refuses the write. (Keys
    // past DynamoDB's size limits and empty index keys are refused before
    // sending now.)
    let db = handle().await;
    let table = db.table_name::<Account>().unwrap();
    db.client()
        .create_table()
        .table_name(&table)
        .attribute_definitions(attribute("id", ScalarAttributeType::N))
        .key_schema(hash("id"))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let err = Account::create()
        .id("a1")
        .email("a@example.com")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_backend(), "{err}");
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(err.request_id().is_some_and(|id| !id.is_empty()));
    assert!(
        std::error::Error::source(&err).is_some(),
        "the SDK error is the source"
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn regression_decode_errors_keep_the_value_error(db: Dynamite) {
    let table = db.table_name::<User>().unwrap();
    let mut item = std::collections::HashMap::new();
    item.insert("id".to_owned(), AttributeValue::S("u1".into()));
    item.insert("name".to_owned(), AttributeValue::N("3".into()));
    item.insert("email".to_owned(), AttributeValue::S("a@x.io".into()));
    db.client()
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let err = User::get(&db, "u1").await.unwrap_err();
    assert!(err.is_decode(), "{err}");
    let source = std::error::Error::source(&err).expect("the ValueError");
    assert!(source.downcast_ref::<dynamite::ValueError>().is_some());
}

// Item 2: bulk writes chunked by size as well as count.

#[dynamite::test(registry = crate::models::register)]
async fn regression_create_many_of_150_rows_of_60_kb_is_chunked_under_4_mb(db: Dynamite) {
    let big = "x".repeat(60 * 1024);
    let rows: Vec<User> = (0..150)
        .map(|i| {
            User::create()
                .id(format!("u{i:04}"))
                .name(big.clone())
                .email(format!("{i}@x.io"))
                .build()
        })
        .collect();
    let created = User::create_many(&db, rows).await.unwrap();
    assert_eq!(created.len(), 150);
    assert_eq!(User::query().count(&db).await.unwrap(), 150);
    // 150 x 60 KB = 9 MB: at least 3 transactions of at most 4 MB.
    assert!(db.metrics().count("TransactWriteItems") >= 3);
}

// `create` returns the row as a read returns it.

/// An email address stored trimmed and lowercased.
#[derive(Debug, Clone, PartialEq)]
struct Email(String);

impl dynamite::Attribute for Email {
    fn to_value(&self) -> Result<AttributeValue, dynamite::ValueError> {
        Ok(AttributeValue::S(self.0.trim().to_lowercase()))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, dynamite::ValueError> {
        String::from_value(value).map(Email)
    }
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "truth_contacts")]
struct Contact {
    #[dynamite(primary_key)]
    id: String,
    email: Email,
}

#[dynamite::test(models(Contact))]
async fn regression_create_returns_the_stored_form_of_the_row(db: Dynamite) {
    let created = Contact::create()
        .id("c1")
        .email(Email("  Ada@Example.COM ".into()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(created.email, Email("ada@example.com".into()));
    let read = Contact::get(&db, "c1").await.unwrap().unwrap();
    assert_eq!(read.email, created.email);
}

// Item 4: keys are matched by exact value, never through f64.

/// A decimal number kept as its exact text (a key beyond f64's precision).
#[derive(Debug, Clone, PartialEq)]
struct Exact(String);

impl dynamite::Attribute for Exact {
    const SCALAR: Option<dynamite::ScalarType> = Some(dynamite::ScalarType::N);
    fn to_value(&self) -> Result<AttributeValue, dynamite::ValueError> {
        Ok(AttributeValue::N(self.0.clone()))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, dynamite::ValueError> {
        match value {
            AttributeValue::N(n) => Ok(Exact(n.clone())),
            other => Err(dynamite::ValueError::wrong_type("N", other)),
        }
    }
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "truth_wide_keys")]
struct Wide {
    #[dynamite(primary_key)]
    id: Exact,
    label: String,
}

#[dynamite::test(models(Wide))]
async fn regression_numeric_keys_beyond_17_digits_never_collide(db: Dynamite) {
    // Equal as f64, distinct as decimals (23 significant digits).
    let a = Exact("0.12345678901234567890123".into());
    let b = Exact("0.12345678901234567890124".into());
    let rows = vec![
        Wide {
            id: a.clone(),
            label: "a".into(),
        },
        Wide {
            id: b.clone(),
            label: "b".into(),
        },
    ];
    Wide::put_many(&db, rows.clone()).await.unwrap();
    assert_eq!(Wide::query().count(&db).await.unwrap(), 2, "no row dropped");
    let got = Wide::get_many(&db, [b.clone(), a.clone()]).await.unwrap();
    assert_eq!(
        got,
        vec![rows[1].clone(), rows[0].clone()],
        "each key its own row"
    );
    let mut tx = db.transaction();
    tx.update(Wide::update_key(a.clone()).set(Wide::LABEL, "a2"));
    tx.update(Wide::update_key(b.clone()).set(Wide::LABEL, "b2"));
    tx.commit().await.unwrap();
    let in_query = Wide::query()
        .filter(Wide::ID.is_in([a.clone(), b, a]))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(in_query.len(), 2);
}

// Item 4: typed keys. Wrong types and arities are compile errors
// (`tests/ui/keys/wrong_key.rs`); these are the forms that compile.

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "truth_numbered")]
struct Numbered {
    #[dynamite(primary_key)]
    id: u64,
    #[dynamite(sort_key)]
    part: String,
    label: String,
}

#[tokio::test]
async fn typed_keys_accept_literals_references_and_a_rows_own_key() {
    let db = crate::common::builder()
        .table::<Numbered>()
        .table::<crate::models::Event>()
        .build()
        .await
        .unwrap();
    db.sync().await.unwrap();
    let row = Numbered::create()
        .id(7)
        .part("a")
        .label("seven")
        .exec(&db)
        .await
        .unwrap();
    let key: (u64, String) = row.key();
    assert_eq!(key, (7, "a".to_owned()));
    // An integer literal infers the key's `u64`; `&str` stands for `String`.
    assert_eq!(
        Numbered::get(&db, (7, "a")).await.unwrap().as_ref(),
        Some(&row)
    );
    // The row's own key, by value and by reference; `&String` and `Cow<str>` parts.
    assert!(Numbered::get(&db, &key).await.unwrap().is_some());
    assert!(Numbered::get(&db, key.clone()).await.unwrap().is_some());
    let part = "a".to_owned();
    assert!(Numbered::get(&db, (7, &part)).await.unwrap().is_some());
    assert!(
        Numbered::get(&db, (7u64, std::borrow::Cow::Borrowed("a")))
            .await
            .unwrap()
            .is_some()
    );
    // Every by-key read and write takes the same forms.
    let got = Numbered::get_many(&db, [(7, "a"), (8, "b")]).await.unwrap();
    assert_eq!(got, vec![row.clone()]);
    let updated = Numbered::update_key((7, "a"))
        .set(Numbered::LABEL, "sept")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.label, "sept");
    let mut read = db.transact_get();
    read.get::<Numbered>(&key);
    assert_eq!(
        read.send().await.unwrap().get::<Numbered>(0).unwrap(),
        Some(updated)
    );
    let mut tx = db.transaction();
    tx.delete_key::<Numbered>(key.clone());
    tx.commit().await.unwrap();
    assert!(Numbered::get(&db, &key).await.unwrap().is_none());
    // A key item is the model's key attributes, typed as the table's schema.
    let item = Numbered::key_item(&(9, "z".to_owned())).unwrap();
    assert_eq!(item.len(), 2);
    assert_eq!(item["id"], AttributeValue::N("9".into()));
    assert_eq!(item["part"], AttributeValue::S("z".into()));
}
