//! User data and attribute names never enter expression text.

use dynamite::prelude::*;
use proptest::prelude::*;

use crate::models::{Reserved, User};

#[dynamite::test(registry = crate::models::register)]
async fn reserved_word_attribute_names_work_everywhere(db: Dynamite) {
    let rows: Vec<Reserved> = (0..5)
        .map(|i| {
            Reserved::create()
                .name(format!("n{i}"))
                .status(if i % 2 == 0 { "on" } else { "off" })
                .size(i)
                .total(i * 10)
                .build()
        })
        .collect();
    Reserved::put_many(&db, rows).await.unwrap();
    let on = Reserved::query()
        .filter(Reserved::STATUS.eq("on").and(Reserved::SIZE.ge(2)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(on.len(), 2);
    let r = Reserved::update_key("n1")
        .increment(Reserved::TOTAL, 5)
        .set(Reserved::STATUS, "on")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((r.total, r.status.as_str()), (15, "on"));
    let raw = db
        .client()
        .get_item()
        .table_name(db.table_name::<Reserved>().unwrap())
        .key("name", AttributeValue::S("n1".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        raw.get("count"),
        Some(&AttributeValue::N("15".into())),
        "renamed attribute"
    );
    let page = Reserved::query()
        .filter(Reserved::STATUS.eq("on"))
        .attributes((Reserved::SIZE,))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(page.len(), 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn adversarial_values_never_appear_in_expressions(value in "\\PC{1,40}", prefix in "[#:'\"() a-zA-Z]{1,10}") {
        let condition = User::NAME.eq(value.clone())
            .or(User::EMAIL.begins_with(prefix.clone()))
            .and(User::ROLE.ne("status"))
            .and(User::AGE.is_in([1_u32, 2]));
        let e = condition.to_expression().unwrap();
        // Only placeholders, operators, functions and parentheses.
        let allowed = |c: char| c.is_ascii_alphanumeric() || " #:_(),=<>".contains(c);
        prop_assert!(e.text.chars().all(allowed), "{}", e.text);
        for word in ["name", "email", "role", "status", "age"] {
            prop_assert!(!e.text.contains(word), "{} leaked into {}", word, e.text);
        }
        prop_assert!(e.values.values().any(|v| v == &AttributeValue::S(value.clone())));
        prop_assert!(e.values.values().any(|v| v == &AttributeValue::S(prefix.clone())));
        let mut names: Vec<_> = e.names.values().cloned().collect();
        names.sort();
        prop_assert_eq!(names, vec!["age", "email", "name", "role"]);
    }
}

#[dynamite::test(registry = crate::models::register)]
async fn adversarial_values_round_trip_through_the_backend(db: Dynamite) {
    let nasty = [
        "#n0",
        ":v0",
        "a'b\"c",
        "ünïcødé ✓ 🦀",
        "(attribute_exists(id))",
        "  ",
        "\\",
        "NULL",
        "status",
    ];
    for (i, value) in nasty.iter().enumerate() {
        User::create()
            .id(format!("{value}-{i}"))
            .name(*value)
            .email(format!("{value}@x"))
            .role(*value)
            .exec(&db)
            .await
            .unwrap();
    }
    for (i, value) in nasty.iter().enumerate() {
        let found = User::query()
            .filter(User::NAME.eq(*value))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{value}");
        assert_eq!(found[0].id, format!("{value}-{i}"));
        let by_key = User::get(&db, format!("{value}-{i}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_key.role, *value);
    }
}
