//! Values round-trip exactly, in memory and through the backend.

use std::collections::{BTreeSet, HashMap};

use dynamite::prelude::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use crate::models::{Product, product};

fn round_trip<T: Attribute + PartialEq + std::fmt::Debug>(value: &T) -> T {
    let stored = value.to_value().expect("storable");
    T::from_value(&stored).expect("readable")
}

fn dynamo_range_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite, in DynamoDB's range", |f| {
            f.is_finite() && (*f == 0.0 || (1e-130..1e126).contains(&f.abs()))
        }),
        (-1e6f64..1e6f64),
        Just(0.1 + 0.2),
        Just(1109.97),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn floats_round_trip_exactly(f in dynamo_range_f64()) {
        prop_assert_eq!(round_trip(&f).to_bits(), f.to_bits());
    }

    #[test]
    fn integers_round_trip(a in any::<i64>(), b in any::<u64>(), c in any::<i32>(), d in any::<u8>()) {
        prop_assert_eq!(round_trip(&a), a);
        prop_assert_eq!(round_trip(&b), b);
        prop_assert_eq!(round_trip(&c), c);
        prop_assert_eq!(round_trip(&d), d);
    }

    #[test]
    fn wide_integers_round_trip_within_38_digits(x in -(10i128.pow(37))..10i128.pow(37)) {
        prop_assert_eq!(round_trip(&x), x);
    }

    #[test]
    fn strings_and_collections_round_trip(
        s in "\\PC*",
        list in proptest::collection::vec("\\PC{0,8}", 0..6),
        set in proptest::collection::btree_set("\\PC{1,8}", 1..6),
        map in proptest::collection::hash_map("\\PC{1,8}", any::<i64>(), 0..6),
        opt in proptest::option::of(any::<i32>()),
        bytes in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        prop_assert_eq!(round_trip(&s), s);
        prop_assert_eq!(round_trip(&list), list);
        prop_assert_eq!(round_trip(&set), set);
        prop_assert_eq!(round_trip(&map), map);
        prop_assert_eq!(round_trip(&opt), opt);
        let b = Bytes(bytes);
        prop_assert_eq!(round_trip(&b), b);
    }
}

#[test]
fn none_and_empty_sets_are_absent_attributes() {
    assert_eq!(None::<String>.to_stored().unwrap(), None);
    assert_eq!(BTreeSet::<String>::new().to_stored().unwrap(), None);
    assert_eq!(Option::<i32>::from_stored(None).unwrap(), None);
    assert!(String::from_stored(None).is_err());
}

#[test]
fn sensitive_values_never_print() {
    let s = Sensitive::new("hunter2".to_string());
    assert_eq!(format!("{s:?}"), "***");
    assert_eq!(s.to_value().unwrap(), AttributeValue::S("hunter2".into()));
}

#[dynamite::test(registry = crate::models::register)]
async fn random_floats_survive_the_backend(db: Dynamite) {
    let mut rows = Vec::new();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for i in 0..50 {
        let price = dynamo_range_f64().new_tree(&mut runner).unwrap().current();
        let mut p = product("p", "c", price);
        p.id = format!("p{i}");
        p.attributes = HashMap::from([("k".to_string(), format!("{price}"))]);
        rows.push(p);
    }
    Product::put_many(&db, rows.clone()).await.unwrap();
    let read = Product::get_many(&db, rows.iter().map(|p| p.id.clone()))
        .await
        .unwrap();
    for (want, got) in rows.iter().zip(&read) {
        assert_eq!(want.price, got.price, "{}", want.id);
    }
}
