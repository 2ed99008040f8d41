//! Values that round-trip exactly (issue "Values that round-trip exactly
//! and declarations that just work", items 1 to 5), on both backends:
//! timestamps whose text order is time order, maps and nested sets that
//! keep every entry, `Option` nesting kept apart, numbers by DynamoDB's
//! rules, and a round-trip property test over nested values.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use dynamite::prelude::*;
use dynamite::{Dynamite, Error};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common;

// ------------------------------------------------------------ timestamps

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "exact_chrono_ticks")]
struct ChronoTick {
    #[dynamite(primary_key)]
    stream: String,
    #[dynamite(sort_key)]
    at: DateTime<Utc>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "exact_time_ticks")]
struct TimeTick {
    #[dynamite(primary_key)]
    stream: String,
    #[dynamite(sort_key)]
    at: time::OffsetDateTime,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "exact_system_ticks")]
struct SystemTick {
    #[dynamite(primary_key)]
    stream: String,
    #[dynamite(sort_key)]
    at: SystemTime,
}

fn stored_text<T: Attribute>(value: &T) -> String {
    match value.to_value().expect("storable") {
        AttributeValue::S(s) => s,
        other => panic!("a timestamp is a string, not {other:?}"),
    }
}

/// Seconds of years 0000 to 9999.
const FIRST_SECOND: i64 = -62_167_219_200;
const LAST_SECOND: i64 = 253_402_300_799;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// For random pairs of instants, text order is time order for every
    /// timestamp type (chrono, time with any offset, SystemTime), and each
    /// reads back as the same instant.
    #[test]
    fn timestamp_text_order_is_time_order(
        a in (FIRST_SECOND..=LAST_SECOND, 0u32..1_000_000_000),
        b in (FIRST_SECOND..=LAST_SECOND, 0u32..1_000_000_000),
        near in 0i64..3,
        offset_a in -86_399i32..86_400,
        offset_b in -86_399i32..86_400,
    ) {
        // Half the pairs within a few seconds of each other: fractions decide.
        let b = if near > 0 { ((a.0 + near - 1).min(LAST_SECOND), b.1) } else { b };
        let expected = a.cmp(&b);

        let chrono_of = |(s, n): (i64, u32)| DateTime::<Utc>::from_timestamp(s, n).expect("in range");
        let (ca, cb) = (chrono_of(a), chrono_of(b));
        prop_assert_eq!(stored_text(&ca).cmp(&stored_text(&cb)), expected);
        prop_assert_eq!(DateTime::<Utc>::from_value(&ca.to_value().unwrap()).unwrap(), ca);

        let time_of = |(s, n): (i64, u32), offset: i32| {
            let utc = time::OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(s) * 1_000_000_000 + i128::from(n),
            )
            .expect("in range");
            // Only offsets that keep the local date in years 0000-9999.
            utc.checked_to_offset(time::UtcOffset::from_whole_seconds(offset).expect("offset"))
                .unwrap_or(utc)
        };
        let (ta, tb) = (time_of(a, offset_a), time_of(b, offset_b));
        prop_assert_eq!(stored_text(&ta).cmp(&stored_text(&tb)), expected);
        prop_assert_eq!(time::OffsetDateTime::from_value(&ta.to_value().unwrap()).unwrap(), ta);

        let system_of = |(s, n): (i64, u32)| {
            let whole = if s >= 0 {
                UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
            } else {
                UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
            };
            whole + Duration::from_nanos(u64::from(n))
        };
        let (sa, sb) = (system_of(a), system_of(b));
        prop_assert_eq!(stored_text(&sa).cmp(&stored_text(&sb)), expected);
        prop_assert_eq!(SystemTime::from_value(&sa.to_value().unwrap()).unwrap(), sa);
        prop_assert_eq!(stored_text(&sa), stored_text(&ca), "one form for every type");
    }
}

#[test]
fn older_variable_width_forms_still_read() {
    let at = |text: &str| DateTime::<Utc>::from_value(&AttributeValue::S(text.into())).unwrap();
    let base = DateTime::<Utc>::from_timestamp(1_704_067_200, 0).unwrap();
    assert_eq!(at("2024-01-01T00:00:00Z"), base);
    assert_eq!(
        at("2024-01-01T00:00:00.500Z"),
        base + chrono::Duration::milliseconds(500)
    );
    assert_eq!(at("2024-01-01T02:00:00+02:00"), base);
    let sys = SystemTime::from_value(&AttributeValue::S("2024-01-01T00:00:00.5Z".into())).unwrap();
    assert_eq!(sys, UNIX_EPOCH + Duration::from_millis(1_704_067_200_500));
    // Years without a fixed-width form are refused before sending.
    let far = DateTime::<Utc>::from_timestamp(LAST_SECOND + 1, 0).unwrap();
    assert!(far.to_value().is_err());
}

/// Instants whose old variable-width text (`…00Z`, `…00.5Z`,
/// `…00.500000001Z`) sorted out of time order.
fn awkward_instants() -> Vec<(i64, u32)> {
    let base = 1_704_067_200;
    vec![
        (base, 0),
        (base, 1),
        (base, 500_000_000),
        (base, 500_000_001),
        (base, 999_999_999),
        (base + 1, 0),
        (base + 1, 100),
        (base - 1, 999_999_999),
        (base + 60, 0),
    ]
}

#[dynamite::test(models(ChronoTick, TimeTick, SystemTick))]
async fn timestamp_sort_keys_order_and_compare_by_time_on_the_backend(db: Dynamite) {
    let instants = awkward_instants();
    let mut sorted = instants.clone();
    sorted.sort();
    let pivot = (1_704_067_200, 500_000_000);
    let after_pivot: Vec<(i64, u32)> = sorted.iter().copied().filter(|i| *i > pivot).collect();

    // chrono
    let chrono_of = |(s, n): (i64, u32)| DateTime::<Utc>::from_timestamp(s, n).unwrap();
    let rows: Vec<ChronoTick> = instants
        .iter()
        .map(|i| ChronoTick {
            stream: "s".into(),
            at: chrono_of(*i),
        })
        .collect();
    ChronoTick::put_many(&db, rows).await.unwrap();
    let desc = ChronoTick::query()
        .filter(ChronoTick::STREAM.eq("s"))
        .order(Desc)
        .all(&db)
        .await
        .unwrap();
    let want: Vec<DateTime<Utc>> = sorted.iter().rev().map(|i| chrono_of(*i)).collect();
    assert_eq!(desc.iter().map(|t| t.at).collect::<Vec<_>>(), want);
    let later = ChronoTick::query()
        .filter(
            ChronoTick::STREAM
                .eq("s")
                .and(ChronoTick::AT.gt(chrono_of(pivot))),
        )
        .all(&db)
        .await
        .unwrap();
    let want: Vec<DateTime<Utc>> = after_pivot.iter().map(|i| chrono_of(*i)).collect();
    assert_eq!(later.iter().map(|t| t.at).collect::<Vec<_>>(), want);

    // time, written with offsets: the local text would sort otherwise.
    let offsets = [0, 3600, -7200, 19_800, -36_000];
    let time_of = |(s, n): (i64, u32), k: usize| {
        time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(s) * 1_000_000_000 + i128::from(n),
        )
        .unwrap()
        .to_offset(time::UtcOffset::from_whole_seconds(offsets[k % offsets.len()]).unwrap())
    };
    let rows: Vec<TimeTick> = instants
        .iter()
        .enumerate()
        .map(|(k, i)| TimeTick {
            stream: "s".into(),
            at: time_of(*i, k),
        })
        .collect();
    TimeTick::put_many(&db, rows).await.unwrap();
    let desc = TimeTick::query()
        .filter(TimeTick::STREAM.eq("s"))
        .order(Desc)
        .all(&db)
        .await
        .unwrap();
    let got: Vec<i128> = desc.iter().map(|t| t.at.unix_timestamp_nanos()).collect();
    let want: Vec<i128> = sorted
        .iter()
        .rev()
        .map(|(s, n)| i128::from(*s) * 1_000_000_000 + i128::from(*n))
        .collect();
    assert_eq!(got, want);
    let later = TimeTick::query()
        .filter(
            TimeTick::STREAM
                .eq("s")
                .and(TimeTick::AT.gt(time_of(pivot, 3))),
        )
        .all(&db)
        .await
        .unwrap();
    assert_eq!(later.len(), after_pivot.len());

    // SystemTime
    let system_of = |(s, n): (i64, u32)| UNIX_EPOCH + Duration::new(s.unsigned_abs(), n);
    let rows: Vec<SystemTick> = instants
        .iter()
        .map(|i| SystemTick {
            stream: "s".into(),
            at: system_of(*i),
        })
        .collect();
    SystemTick::put_many(&db, rows).await.unwrap();
    let asc = SystemTick::query()
        .filter(
            SystemTick::STREAM
                .eq("s")
                .and(SystemTick::AT.gt(system_of(pivot))),
        )
        .order(Asc)
        .all(&db)
        .await
        .unwrap();
    let want: Vec<SystemTime> = after_pivot.iter().map(|i| system_of(*i)).collect();
    assert_eq!(asc.iter().map(|t| t.at).collect::<Vec<_>>(), want);
}

// ------------------------------------------------- maps, sets and options

#[derive(Attribute, Debug, Clone, PartialEq)]
enum Holder {
    Empty,
    Tags(HashSet<String>),
    Pair(BTreeSet<i64>, String),
    Named {
        tags: HashSet<String>,
        note: Option<String>,
    },
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "exact_shapes")]
struct Shapes {
    #[dynamite(primary_key)]
    id: String,
    optional_counts: HashMap<String, Option<i32>>,
    tag_groups: HashMap<String, HashSet<String>>,
    sorted_groups: BTreeMap<String, BTreeSet<i64>>,
    set_list: Vec<HashSet<String>>,
    holders: Vec<Holder>,
    holder: Holder,
    maybe_maybe: Option<Option<String>>,
    maybe_set: Option<HashSet<String>>,
    maybe_json: Option<serde_json::Value>,
    big: u128,
}

fn shapes(id: &str) -> Shapes {
    Shapes {
        id: id.into(),
        optional_counts: HashMap::from([("a".into(), None), ("b".into(), Some(1))]),
        tag_groups: HashMap::from([
            ("empty".into(), HashSet::new()),
            ("full".into(), HashSet::from(["x".to_owned()])),
        ]),
        sorted_groups: BTreeMap::from([("none".into(), BTreeSet::new())]),
        set_list: vec![
            HashSet::new(),
            HashSet::from(["y".to_owned()]),
            HashSet::new(),
        ],
        holders: vec![
            Holder::Tags(HashSet::new()),
            Holder::Pair(BTreeSet::new(), "p".into()),
            Holder::Named {
                tags: HashSet::new(),
                note: None,
            },
            Holder::Empty,
        ],
        holder: Holder::Tags(HashSet::new()),
        maybe_maybe: Some(None),
        maybe_set: Some(HashSet::new()),
        maybe_json: Some(serde_json::Value::Null),
        big: 10_u128.pow(38),
    }
}

#[dynamite::test(models(Shapes))]
async fn regression_no_map_entry_nested_set_or_option_level_is_lost(db: Dynamite) {
    let row = shapes("s1");
    // In memory: nothing dropped, no empty set sent.
    let item = row.to_item().unwrap();
    match &item["optional_counts"] {
        AttributeValue::M(m) => assert_eq!(m.get("a"), Some(&AttributeValue::Null(true))),
        other => panic!("{other:?}"),
    }
    assert_eq!(item["maybe_maybe"], AttributeValue::Null(true));
    assert_eq!(item["maybe_set"], AttributeValue::Null(true));
    // Through the backend: every value comes back as it was.
    Shapes::put_many(&db, [row.clone()]).await.unwrap();
    let back = Shapes::get(&db, "s1").await.unwrap().unwrap();
    assert_eq!(back, row);
    // The other side of each distinction.
    let other = Shapes {
        id: "s2".into(),
        maybe_maybe: None,
        maybe_set: None,
        maybe_json: None,
        holder: Holder::Empty,
        ..shapes("s2")
    };
    Shapes::put_many(&db, [other.clone()]).await.unwrap();
    assert_eq!(Shapes::get(&db, "s2").await.unwrap().unwrap(), other);
    let inner = Shapes {
        id: "s3".into(),
        maybe_maybe: Some(Some("x".into())),
        maybe_set: Some(HashSet::from(["t".to_owned()])),
        ..shapes("s3")
    };
    Shapes::put_many(&db, [inner.clone()]).await.unwrap();
    assert_eq!(Shapes::get(&db, "s3").await.unwrap().unwrap(), inner);
    // Updates set the same forms.
    let updated = Shapes::update_key("s3")
        .set(Shapes::MAYBE_MAYBE, Some(None))
        .set(Shapes::MAYBE_SET, Some(HashSet::new()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.maybe_maybe, Some(None));
    assert_eq!(updated.maybe_set, Some(HashSet::new()));
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "exact_nested_options")]
struct NestedOptions {
    #[dynamite(primary_key)]
    id: String,
    list: Vec<Option<Option<i32>>>,
}

#[dynamite::test(models(NestedOptions))]
async fn a_value_nested_where_it_cannot_be_told_apart_is_a_typed_error_before_sending(
    db: Dynamite,
) {
    let ambiguous = NestedOptions {
        id: "n".into(),
        list: vec![Some(Some(1)), Some(None)],
    };
    let err = NestedOptions::put_many(&db, [ambiguous]).await.unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let fine = NestedOptions {
        id: "n".into(),
        list: vec![Some(Some(1)), None],
    };
    NestedOptions::put_many(&db, [fine.clone()]).await.unwrap();
    assert_eq!(NestedOptions::get(&db, "n").await.unwrap().unwrap(), fine);
}

// ---------------------------------------------------------------- numbers

#[dynamite::test(models(Shapes))]
async fn regression_numbers_follow_dynamodbs_rules_before_sending(db: Dynamite) {
    // 10^38: one significant digit, stored and read back exactly.
    let row = shapes("big");
    Shapes::put_many(&db, [row]).await.unwrap();
    assert_eq!(
        Shapes::get(&db, "big").await.unwrap().unwrap().big,
        10_u128.pow(38)
    );
    db.metrics().reset();
    // 39 significant digits, and JSON numbers out of DynamoDB's range.
    let too_precise = Shapes {
        big: 10_u128.pow(38) + 1,
        ..shapes("p")
    };
    let err = Shapes::put_many(&db, [too_precise]).await.unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    for number in [serde_json::json!(1e200), serde_json::json!(-1e-200)] {
        let row = Shapes {
            maybe_json: Some(serde_json::json!({ "n": number })),
            ..shapes("j")
        };
        let err = Shapes::put_many(&db, [row]).await.unwrap_err();
        assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    }
    assert_eq!(db.metrics().data_plane_requests(), 0, "nothing was sent");
}

// ------------------------------------------- round trip of nested values

#[derive(Attribute, Debug, Clone, PartialEq)]
enum Tree {
    Leaf,
    Int(i64),
    Wide(i128),
    Float(f64),
    Text(String),
    Flag(bool),
    Blob(Bytes),
    Strings(HashSet<String>),
    Numbers(BTreeSet<u64>),
    List(Vec<Tree>),
    Map(HashMap<String, Tree>),
    Maybe(Option<Box<Tree>>),
    Record {
        name: Option<String>,
        children: Vec<Tree>,
        tags: BTreeSet<String>,
    },
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "exact_trees")]
struct Deep {
    #[dynamite(primary_key)]
    id: String,
    tree: Tree,
    maybe: Option<Tree>,
    maybe_maybe: Option<Option<i64>>,
    maybe_set: Option<BTreeSet<i64>>,
    counts: HashMap<String, Option<i64>>,
    floats: Vec<f64>,
    smallest: i64,
    largest: u64,
    tiny: i8,
}

/// Floats in and just outside DynamoDB's range, NaN-free.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e6f64..1e6f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(1e-130),
        1 => Just(-1e-130),
        1 => Just(9.99e125),
        1 => Just(-9.99e125),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(f64::MAX),
        1 => any::<f64>().prop_filter("no NaN", |f| !f.is_nan()),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        Just(Tree::Leaf),
        any::<i64>().prop_map(Tree::Int),
        prop_oneof![
            any::<i128>(),
            Just(i128::MAX),
            Just(i128::MIN),
            -(10i128.pow(37))..10i128.pow(37)
        ]
        .prop_map(Tree::Wide),
        float().prop_map(Tree::Float),
        "\\PC{0,12}".prop_map(Tree::Text),
        any::<bool>().prop_map(Tree::Flag),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| Tree::Blob(Bytes(b))),
        proptest::collection::hash_set("\\PC{1,6}", 0..4).prop_map(Tree::Strings),
        proptest::collection::btree_set(any::<u64>(), 0..4).prop_map(Tree::Numbers),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Tree::List),
            proptest::collection::hash_map("\\PC{1,6}", inner.clone(), 0..4).prop_map(Tree::Map),
            proptest::option::of(inner.clone().prop_map(Box::new)).prop_map(Tree::Maybe),
            (
                proptest::option::of("\\PC{0,6}"),
                proptest::collection::vec(inner, 0..3),
                proptest::collection::btree_set("\\PC{1,6}", 0..3),
            )
                .prop_map(|(name, children, tags)| Tree::Record {
                    name,
                    children,
                    tags
                }),
        ]
    })
}

fn deep() -> impl Strategy<Value = Deep> {
    (
        tree(),
        proptest::option::of(tree()),
        proptest::option::of(proptest::option::of(any::<i64>())),
        proptest::option::of(proptest::collection::btree_set(any::<i64>(), 0..3)),
        proptest::collection::hash_map("\\PC{1,6}", proptest::option::of(any::<i64>()), 0..4),
        proptest::collection::vec(float(), 0..4),
        (
            prop_oneof![Just(i64::MIN), Just(i64::MAX), any::<i64>()],
            prop_oneof![Just(u64::MAX), Just(0), any::<u64>()],
            any::<i8>(),
        ),
    )
        .prop_map(
            |(tree, maybe, maybe_maybe, maybe_set, counts, floats, (smallest, largest, tiny))| {
                Deep {
                    id: "deep".into(),
                    tree,
                    maybe,
                    maybe_maybe,
                    maybe_set,
                    counts,
                    floats,
                    smallest,
                    largest,
                    tiny,
                }
            },
        )
}

/// `from_item(to_item(x)) == x` through the backend, or a typed error
/// before anything is sent. Seeded, shrinking to a minimal case.
#[test]
fn nested_values_round_trip_through_the_backend_or_fail_before_sending() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = common::builder().table::<Deep>().build().await.unwrap();
        db.sync().await.unwrap();
        db
    });
    let config = Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let (stored, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let result = runner.run(&deep(), |row| {
        let outcome = rt.block_on(async {
            db.metrics().reset();
            let in_memory = row.to_item();
            let written = Deep::put_many(&db, [row.clone()]).await;
            match (in_memory, written) {
                (Ok(item), Ok(())) => {
                    let decoded = Deep::from_item(item).map_err(|e| e.to_string())?;
                    if decoded != row {
                        return Err(format!("in memory: {decoded:?}"));
                    }
                    let back = Deep::get(&db, "deep").await.map_err(|e| e.to_string())?;
                    match back {
                        Some(back) if back == row => Ok(true),
                        other => Err(format!("read back {other:?}")),
                    }
                }
                (Err(_), Err(Error::InvalidValue { .. })) => {
                    if db.metrics().data_plane_requests() == 0 {
                        Ok(false)
                    } else {
                        Err("a refused value was sent".to_owned())
                    }
                }
                (memory, backend) => Err(format!("in memory {memory:?}, backend {backend:?}")),
            }
        });
        match outcome {
            Ok(true) => stored.set(stored.get() + 1),
            Ok(false) => refused.set(refused.get() + 1),
            Err(e) => return Err(TestCaseError::fail(e)),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (stored, refused) = (stored.get(), refused.get());
    eprintln!("nested round trip: {stored} stored and read back, {refused} refused before sending");
    assert!(
        stored > 0 && refused > 0,
        "both paths exercised: {stored} / {refused}"
    );
}

#[test]
fn the_stored_form_of_every_timestamp_type_is_pinned() {
    // The form other services reading the table can rely on (README, Values).
    let t = DateTime::<Utc>::from_timestamp(1_709_210_096, 789_000_000).unwrap();
    assert_eq!(stored_text(&t), "2024-02-29T12:34:56.789000000Z");
    let whole = DateTime::<Utc>::from_timestamp(1_709_210_096, 0).unwrap();
    assert_eq!(stored_text(&whole), "2024-02-29T12:34:56.000000000Z");
    assert_eq!(stored_text(&whole).cmp(&stored_text(&t)), Ordering::Less);
    let sys = UNIX_EPOCH + Duration::new(1_709_210_096, 789_000_000);
    assert_eq!(stored_text(&sys), stored_text(&t));
}

#[dynamite::test(models(Shapes))]
async fn is_none_and_is_some_keep_some_empty_apart_from_none(db: Dynamite) {
    let empty = shapes("empty");
    let absent = Shapes {
        id: "absent".into(),
        maybe_set: None,
        maybe_maybe: None,
        ..shapes("absent")
    };
    Shapes::put_many(&db, [empty, absent]).await.unwrap();
    let ids = |rows: Vec<Shapes>| {
        let mut ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    let none = Shapes::query()
        .filter(Shapes::MAYBE_SET.is_none())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ids(none), ["absent"]);
    let some = Shapes::query()
        .filter(Shapes::MAYBE_MAYBE.is_some())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ids(some), ["empty"], "Some(None) is Some");
}
