//! Validation: `validate = path` and `not_empty`.

use std::collections::HashMap;

use dynamite::prelude::*;
use dynamite::{AttributeValue, Error};

use crate::safety_models::Account;

fn valid(id: &str) -> Account {
    Account::create()
        .id(id)
        .name("Ada")
        .email("ada@x.io")
        .tags(vec!["a".to_string()])
        .build()
}

fn assert_invalid(err: &Error, field: &str, message: &str) {
    match err {
        Error::Validation {
            model,
            field: f,
            message: m,
        } => {
            assert_eq!((model.as_str(), f.as_str()), ("Account", field), "{err}");
            assert!(m.contains(message), "{m}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with(&format!("Account.{field}: ")),
        "{err}"
    );
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn create_runs_every_rule_and_sends_nothing_on_failure(db: Dynamite) {
    let cases: Vec<(Account, &str, &str)> = vec![
        (
            Account {
                name: "  ".into(),
                ..valid("v1")
            },
            "name",
            "must not be empty",
        ),
        (
            Account {
                email: "nope".into(),
                ..valid("v1")
            },
            "email",
            "`nope` is not an email address",
        ),
        (
            Account {
                tags: vec![],
                ..valid("v1")
            },
            "tags",
            "must not be empty",
        ),
        (
            Account {
                age: Some(200),
                ..valid("v1")
            },
            "age",
            "must be at most 150",
        ),
    ];
    for (row, field, message) in cases {
        db.metrics().reset();
        let err = Account::create()
            .id(row.id)
            .name(row.name)
            .email(row.email)
            .tags(row.tags)
            .age(row.age)
            .exec(&db)
            .await
            .unwrap_err();
        assert_invalid(&err, field, message);
        assert_eq!(db.metrics().data_plane_requests(), 0);
    }
    assert!(Account::get(&db, "v1").await.unwrap().is_none());
    let ok = Account::create()
        .id("v1")
        .name("Ada")
        .email("a@x.io")
        .tags(vec!["t".to_string()])
        .age(Some(36))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(ok.age, Some(36));
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn save_and_update_validate_the_new_values(db: Dynamite) {
    let mut row = Account::create()
        .id("v1")
        .name("Ada")
        .email("a@x.io")
        .tags(vec!["t".to_string()])
        .exec(&db)
        .await
        .unwrap();
    row.email = "broken".into();
    db.metrics().reset();
    assert_invalid(&row.save(&db).await.unwrap_err(), "email", "not an email");
    let err = row
        .update()
        .set(Account::NAME, "")
        .exec(&db)
        .await
        .unwrap_err();
    assert_invalid(&err, "name", "must not be empty");
    let err = Account::update_key("v1")
        .set(Account::AGE, Some(999))
        .exec(&db)
        .await
        .unwrap_err();
    assert_invalid(&err, "age", "at most 150");
    let err = Account::update_where(Account::ID.eq("v1"))
        .set(Account::TAGS, Vec::<String>::new())
        .exec(&db)
        .await
        .unwrap_err();
    assert_invalid(&err, "tags", "must not be empty");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let stored = Account::get(&db, "v1").await.unwrap().unwrap();
    assert_eq!(stored.email, "a@x.io");
    // Valid values go through; columns without rules are not checked.
    let updated = Account::update_key("v1")
        .set(Account::AGE, None)
        .set(Account::NAME, "Grace")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((updated.name.as_str(), updated.age), ("Grace", None));
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn bulk_writes_and_transactions_validate_every_row_before_sending(db: Dynamite) {
    let bad = Account {
        email: "x".into(),
        ..valid("v2")
    };
    db.metrics().reset();
    let err = Account::put_many(&db, [valid("v1"), bad.clone()])
        .await
        .unwrap_err();
    assert_invalid(&err, "email", "not an email");
    let err = Account::create_many(&db, [valid("v1"), bad.clone()])
        .await
        .unwrap_err();
    assert_invalid(&err, "email", "not an email");
    let mut tx = db.transaction();
    tx.create(valid("v1"));
    tx.create(bad);
    assert_invalid(&tx.commit().await.unwrap_err(), "email", "not an email");
    let mut tx = db.transaction();
    tx.update(Account::update_key("v1").set(Account::NAME, ""));
    assert_invalid(&tx.commit().await.unwrap_err(), "name", "must not be empty");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert_eq!(Account::query().count(&db).await.unwrap(), 0);
}

// Regression: the TypeScript library's defect 10.
#[dynamite::test(registry = crate::safety_models::register)]
async fn validators_do_not_run_on_read(db: Dynamite) {
    // An item written before the rules existed (or by another service).
    let table = db.table_name::<Account>().unwrap();
    let item: HashMap<String, AttributeValue> = [
        ("id", AttributeValue::S("old".into())),
        ("name", AttributeValue::S("".into())),
        ("email", AttributeValue::S("not-an-email".into())),
        ("tags", AttributeValue::L(vec![])),
        ("age", AttributeValue::N("999".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    db.client()
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let row = Account::get(&db, "old")
        .await
        .unwrap()
        .expect("the old row loads");
    assert_eq!((row.email.as_str(), row.age), ("not-an-email", Some(999)));
    assert_eq!(Account::query().all(&db).await.unwrap().len(), 1);
    assert_eq!(Account::get_many(&db, ["old"]).await.unwrap().len(), 1);
    // Writing it back is where the rules apply.
    assert!(row.clone().save(&db).await.unwrap_err().is_validation());
    // A targeted update of a valid column still works on the old row.
    Account::update_key("old")
        .set(Account::EMAIL, "fixed@x.io")
        .exec(&db)
        .await
        .unwrap();
}
