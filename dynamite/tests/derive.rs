//! `#[derive(Table)]` and `#[derive(Attribute)]`: metadata, item round trips
//! and the create builder. Pure functions only: no database needed.

// Tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use dynamite::prelude::*;
use dynamite::{AttributeValue, Error, Item, ScalarType, TableMeta};

// ------------------------------------------------------------------ models

#[derive(Table, Debug, Clone, PartialEq)]
struct User {
    #[dynamite(primary_key, default = uuid)]
    id: String,
    name: String,
    #[dynamite(index)]
    email: String,
    #[dynamite(default = "customer")]
    role: String,
    nickname: Option<String>,
    #[dynamite(created_at)]
    created_at: String,
    #[dynamite(updated_at)]
    updated_at: String,
    #[dynamite(skip)]
    cached_score: u32,
}

/// Every key scalar, a sort key, renames, GSIs with sort keys and explicit names.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "app.events-v2", rename_all = "camelCase")]
struct Event {
    #[dynamite(primary_key)]
    tenant_id: String,
    #[dynamite(sort_key)]
    sequence: u64,
    #[dynamite(rename = "payload_bytes")]
    payload: Bytes,
    #[dynamite(index(sort_key = "sequence"), index(name = "by-kind"))]
    event_kind: Kind,
    #[dynamite(index(name = "by_checksum", sort_key = "occurred_at"))]
    checksum: Bytes,
    #[dynamite(default = now)]
    occurred_at: i64,
    #[dynamite(default = 3)]
    retries: u8,
    #[dynamite(default = -1.5)]
    weight: f64,
    #[dynamite(default = true)]
    visible: bool,
    #[dynamite(default = default_tags)]
    tags: Vec<String>,
    #[dynamite(index)]
    owner: Option<String>,
}

fn default_tags() -> Vec<String> {
    vec!["new".to_owned()]
}

/// A numeric primary key and a binary sort key; pluralization of the name.
#[derive(Table, Debug, Clone, PartialEq)]
struct Category {
    #[dynamite(primary_key)]
    id: i64,
    #[dynamite(sort_key)]
    digest: Bytes,
}

#[derive(Table, Debug, Clone, PartialEq)]
struct Person {
    #[dynamite(primary_key, default = ulid)]
    id: String,
}

/// Fields named like generated items and trait methods. A field named
/// `meta` would shadow `Table::META` with its column: it is renamed in Rust
/// and keeps its stored name.
#[derive(Table, Debug, Clone, PartialEq)]
struct Clash {
    #[dynamite(primary_key)]
    r#type: String,
    query: String,
    exec: Option<String>,
    create: i32,
    #[dynamite(rename = "meta")]
    meta_flag: bool,
    #[dynamite(rename = "build")]
    r#build: u16,
}

/// Literal defaults on optional fields; a SCREAMING rename rule.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(rename_all = "SCREAMING_SNAKE_CASE")]
struct Setting {
    #[dynamite(primary_key)]
    setting_id: u32,
    #[dynamite(default = "dark")]
    theme: Option<String>,
    #[dynamite(default = 10)]
    page_size: Option<u64>,
}

// -------------------------------------------------------------- attributes

#[derive(Attribute, Debug, Clone, PartialEq)]
#[dynamite(rename_all = "camelCase")]
struct Address {
    street_name: String,
    #[dynamite(rename = "zip")]
    postal_code: String,
    unit: Option<u32>,
    #[dynamite(skip)]
    geocoded: bool,
    history: Vec<Address>,
}

#[derive(Attribute, Debug, Clone, Copy, PartialEq, Eq)]
#[dynamite(rename_all = "snake_case")]
enum Kind {
    SignedUp,
    #[dynamite(rename = "bought")]
    Purchased,
    Left,
}

#[derive(Attribute, Debug, Clone, PartialEq)]
enum Shape {
    Empty,
    Circle(f64),
    Rect {
        width: f64,
        height: f64,
        label: Option<String>,
    },
    Point(i32, i32),
    #[dynamite(rename = "poly")]
    Polygon(Vec<Shape>),
}

#[derive(Attribute, Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Email(String);

#[derive(Table, Debug, Clone, PartialEq)]
struct Customer {
    #[dynamite(primary_key)]
    email: Email,
    #[dynamite(index)]
    tier: Kind,
    address: Address,
    shapes: Vec<Shape>,
    favourite: Option<Shape>,
}

// --------------------------------------------------------------- helpers

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

fn key(name: &'static str, scalar: ScalarType) -> dynamite::model::KeyMeta {
    dynamite::model::KeyMeta { name, scalar }
}

fn attribute_names(meta: &TableMeta) -> Vec<&'static str> {
    meta.attributes.iter().map(|a| a.name).collect()
}

// ----------------------------------------------------------------- META

#[test]
fn user_meta() {
    let meta = User::meta();
    assert_eq!(meta.model, "User");
    assert_eq!(meta.table_name, "users");
    assert_eq!(meta.partition_key, key("id", ScalarType::S));
    assert_eq!(meta.sort_key, None);
    assert_eq!(
        attribute_names(meta),
        [
            "id",
            "name",
            "email",
            "role",
            "nickname",
            "created_at",
            "updated_at"
        ],
        "skip fields are not persisted"
    );
    let nickname = meta.attribute("nickname").expect("nickname");
    assert_eq!(nickname.field, "nickname");
    assert!(nickname.optional);
    assert_eq!(nickname.scalar, Some(ScalarType::S));
    assert!(!meta.attribute("name").expect("name").optional);
    assert_eq!(meta.indexes.len(), 1);
    assert_eq!(meta.indexes[0].name, "email_index");
    assert_eq!(meta.indexes[0].partition_key, key("email", ScalarType::S));
    assert_eq!(meta.indexes[0].sort_key, None);
    assert!(meta.relations.is_empty());
    assert_eq!(meta.created_at, Some("created_at"));
    assert_eq!(meta.updated_at, Some("updated_at"));
}

#[test]
fn event_meta_renames_and_indexes() {
    let meta = Event::meta();
    assert_eq!(meta.table_name, "app.events-v2");
    assert_eq!(meta.partition_key, key("tenantId", ScalarType::S));
    assert_eq!(meta.sort_key, Some(key("sequence", ScalarType::N)));
    assert_eq!(
        attribute_names(meta),
        [
            "tenantId",
            "sequence",
            "payload_bytes",
            "eventKind",
            "checksum",
            "occurredAt",
            "retries",
            "weight",
            "visible",
            "tags",
            "owner",
        ]
    );
    let payload = meta.attribute("payload_bytes").expect("renamed attribute");
    assert_eq!(payload.field, "payload");
    assert_eq!(payload.scalar, Some(ScalarType::B));
    assert_eq!(meta.attribute("tags").expect("tags").scalar, None);

    let indexes: Vec<_> = meta
        .indexes
        .iter()
        .map(|i| (i.name, i.partition_key, i.sort_key))
        .collect();
    assert_eq!(
        indexes,
        [
            (
                "eventKind_sequence_index",
                key("eventKind", ScalarType::S),
                Some(key("sequence", ScalarType::N)),
            ),
            ("by-kind", key("eventKind", ScalarType::S), None),
            (
                "by_checksum",
                key("checksum", ScalarType::B),
                Some(key("occurredAt", ScalarType::N)),
            ),
            ("owner_index", key("owner", ScalarType::S), None),
        ]
    );
    assert_eq!(meta.created_at, None);
    assert_eq!(meta.updated_at, None);
}

#[test]
fn key_scalars_and_default_table_names() {
    assert_eq!(Category::META.table_name, "categories");
    assert_eq!(Category::META.partition_key, key("id", ScalarType::N));
    assert_eq!(Category::META.sort_key, Some(key("digest", ScalarType::B)));
    assert_eq!(Person::META.table_name, "people");
    assert_eq!(<Clash as Table>::META.table_name, "clashes");
    assert_eq!(Customer::META.table_name, "customers");
    // A newtype inherits its inner key type; a unit enum is a string.
    assert_eq!(Customer::META.partition_key, key("email", ScalarType::S));
    assert_eq!(
        Customer::META.indexes[0].partition_key,
        key("tier", ScalarType::S)
    );
    assert_eq!(
        Customer::META.attribute("address").expect("address").scalar,
        None
    );
}

#[test]
fn columns_are_associated_constants() {
    assert_eq!(User::EMAIL.name(), "email");
    assert_eq!(User::CREATED_AT.name(), "created_at");
    assert_eq!(Event::TENANT_ID.name(), "tenantId");
    assert_eq!(Event::PAYLOAD.name(), "payload_bytes");
    assert_eq!(Clash::TYPE.name(), "type");
    assert_eq!(Clash::QUERY.name(), "query");
    assert_eq!(Clash::EXEC.name(), "exec");
    assert_eq!(Clash::CREATE.name(), "create");
    assert_eq!(Clash::BUILD.name(), "build");
    // The field stored as `meta` is `meta_flag` in Rust: `META` stays the trait's.
    assert_eq!(Clash::META_FLAG.name(), "meta");
    assert_eq!(Clash::META.model, "Clash");
    // Columns are typed: this compiles only because `email` is a `String`.
    let _: Column<User, String> = User::EMAIL;
    let _: Column<Event, Option<String>> = Event::OWNER;
}

// ------------------------------------------------------------ round trips

fn sample_user() -> User {
    User {
        id: "u-1".into(),
        name: "Ada".into(),
        email: "ada@example.com".into(),
        role: "admin".into(),
        nickname: None,
        created_at: "2024-01-01T00:00:00.000Z".into(),
        updated_at: "2024-01-02T00:00:00.000Z".into(),
        cached_score: 99,
    }
}

#[test]
fn user_round_trip() {
    let user = sample_user();
    let item = user.to_item().expect("to_item");
    assert_eq!(item.len(), 6, "None and skip fields are left out: {item:?}");
    assert_eq!(item["id"], s("u-1"));
    assert_eq!(item["role"], s("admin"));
    assert!(!item.contains_key("nickname"));
    assert!(!item.contains_key("cached_score"));

    let back = User::from_item(item.clone()).expect("from_item");
    assert_eq!(
        back,
        User {
            cached_score: 0,
            ..user.clone()
        },
        "skip fields read back as Default"
    );

    let with_nickname = User {
        nickname: Some("countess".into()),
        ..user
    };
    let item = with_nickname.to_item().expect("to_item");
    assert_eq!(item["nickname"], s("countess"));
    let back = User::from_item(item).expect("from_item");
    assert_eq!(back.nickname.as_deref(), Some("countess"));
}

#[test]
fn key_extracts_key_attributes() {
    let user = sample_user();
    assert_eq!(user.key(), "u-1");
    let key = user.key_attributes().expect("key");
    assert_eq!(key, HashMap::from([("id".to_owned(), s("u-1"))]));
    assert_eq!(User::key_item(&user.key()).expect("key item"), key);
}

#[test]
fn unknown_attributes_are_ignored() {
    let mut item = sample_user().to_item().expect("to_item");
    item.insert("legacy".into(), s("whatever"));
    assert_eq!(User::from_item(item).expect("from_item").name, "Ada");
}

#[test]
fn event_round_trip_with_renames() {
    let event = Event {
        tenant_id: "t-1".into(),
        sequence: 42,
        payload: Bytes(vec![1, 2, 3]),
        event_kind: Kind::Purchased,
        checksum: Bytes(vec![9]),
        occurred_at: 1_700_000_000_000,
        retries: 0,
        weight: 2.5,
        visible: false,
        tags: vec!["a".into(), "b".into()],
        owner: Some("o-1".into()),
    };
    let item = event.to_item().expect("to_item");
    assert_eq!(item["tenantId"], s("t-1"));
    assert_eq!(item["sequence"], n("42"));
    assert_eq!(item["eventKind"], s("bought"));
    assert_eq!(item["occurredAt"], n("1700000000000"));
    assert_eq!(item["visible"], AttributeValue::Bool(false));
    assert!(matches!(&item["payload_bytes"], AttributeValue::B(b) if b.as_ref() == [1, 2, 3]));
    assert!(!item.contains_key("tenant_id"));
    assert_eq!(Event::from_item(item).expect("from_item"), event);
}

#[test]
fn clash_fields_round_trip() {
    let clash = Clash {
        r#type: "t".into(),
        query: "q".into(),
        exec: Some("e".into()),
        create: -7,
        meta_flag: true,
        r#build: 3,
    };
    let item = clash.to_item().expect("to_item");
    assert_eq!(item["type"], s("t"));
    assert_eq!(item["query"], s("q"));
    assert_eq!(item["exec"], s("e"));
    assert_eq!(item["create"], n("-7"));
    assert_eq!(item["meta"], AttributeValue::Bool(true));
    assert_eq!(item["build"], n("3"));
    assert_eq!(Clash::from_item(item).expect("from_item"), clash);
}

#[test]
fn wrong_stored_type_is_a_decode_error() {
    let mut item = sample_user().to_item().expect("to_item");
    item.insert("name".into(), n("7"));
    match User::from_item(item) {
        Err(Error::Decode {
            table,
            attribute,
            expected,
            found,
            ..
        }) => {
            assert_eq!(table, "users");
            assert_eq!(attribute, "name");
            assert_eq!(expected, "S");
            assert_eq!(found, "N");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[test]
fn missing_required_attribute_is_a_decode_error() {
    let mut item = sample_user().to_item().expect("to_item");
    item.remove("email");
    let error = User::from_item(item).expect_err("email is required");
    assert!(error.is_decode(), "{error:?}");
    assert!(error.to_string().contains("users.email"), "{error}");
}

#[test]
fn renamed_attribute_errors_name_the_stored_attribute() {
    let mut item = Category {
        id: 1,
        digest: Bytes(vec![0]),
    }
    .to_item()
    .expect("to_item");
    item.insert("id".into(), s("one"));
    match Category::from_item(item) {
        Err(Error::Decode {
            table,
            attribute,
            expected,
            found,
            ..
        }) => {
            assert_eq!((table.as_str(), attribute.as_str()), ("categories", "id"));
            assert_eq!((expected.as_str(), found.as_str()), ("N", "S"));
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

// --------------------------------------------------------------- builder

fn is_iso8601(s: &str) -> bool {
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

#[test]
fn create_fills_defaults_ids_and_timestamps() {
    let user = User::create()
        .name("Ada")
        .email(String::from("ada@example.com"))
        .build();
    assert_eq!(user.name, "Ada");
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.role, "customer");
    assert_eq!(user.nickname, None);
    assert_eq!(user.cached_score, 0);
    assert_eq!(user.id.len(), 36, "{}", user.id);
    let groups: Vec<usize> = user.id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{}", user.id);
    assert_eq!(&user.id[14..15], "7", "time-ordered UUID v7: {}", user.id);
    assert!(is_iso8601(&user.created_at), "{}", user.created_at);
    assert_eq!(user.created_at, user.updated_at, "one `now` on create");

    let other = User::create().email("b@example.com").name("Bob").build();
    assert_ne!(other.id, user.id);
    assert!(other.id > user.id, "v7 ids sort by creation");
}

#[test]
fn create_accepts_explicit_values_for_optional_fields() {
    let user = User::create()
        .id("fixed")
        .role("admin")
        .nickname(Some("ace".to_owned()))
        .created_at("2020-01-01T00:00:00.000Z")
        .name("Ada")
        .email("a@example.com")
        .build();
    assert_eq!(user.id, "fixed");
    assert_eq!(user.role, "admin");
    assert_eq!(user.nickname.as_deref(), Some("ace"));
    assert_eq!(user.created_at, "2020-01-01T00:00:00.000Z");
    assert!(is_iso8601(&user.updated_at));
    assert_ne!(user.updated_at, user.created_at);

    let none = User::create()
        .nickname(None::<String>)
        .name("x")
        .email("y")
        .build();
    assert_eq!(none.nickname, None);
}

#[test]
fn create_literal_path_and_now_defaults() {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let event = Event::create()
        .tenant_id("t")
        .sequence(1)
        .payload(vec![1_u8])
        .event_kind(Kind::Left)
        .checksum(Bytes(vec![]))
        .build();
    assert_eq!(event.retries, 3);
    assert_eq!(event.weight, -1.5);
    assert!(event.visible);
    assert_eq!(event.tags, ["new"]);
    assert_eq!(event.owner, None);
    assert!(
        event.occurred_at >= before,
        "{} < {before}",
        event.occurred_at
    );

    let person = Person::create().build();
    assert_eq!(person.id.len(), 26, "a ULID: {}", person.id);
}

#[test]
fn create_optional_fields_with_defaults() {
    assert_eq!(<Setting as Table>::META.table_name, "settings");
    assert_eq!(
        attribute_names(Setting::meta()),
        ["SETTING_ID", "THEME", "PAGE_SIZE"]
    );
    let defaults = Setting::create().setting_id(1).build();
    assert_eq!(defaults.theme.as_deref(), Some("dark"));
    assert_eq!(defaults.page_size, Some(10));
    // An explicit `None` wins over the default.
    let explicit = Setting::create()
        .setting_id(2)
        .theme(None::<String>)
        .page_size(25_u64)
        .build();
    assert_eq!(explicit.theme, None);
    assert_eq!(explicit.page_size, Some(25));
    let item = explicit.to_item().expect("to_item");
    assert_eq!(item.len(), 2, "{item:?}");
    assert_eq!(item["PAGE_SIZE"], n("25"));
}

#[test]
fn builder_setters_named_like_trait_methods() {
    // `exec` and `build` are fields of `Clash`: their setters win, and the
    // model is still built through the `Create` trait.
    let clash = Create::build(
        Clash::create()
            .r#type("t")
            .query("q")
            .exec(Some("e".to_owned()))
            .create(1)
            .meta_flag(false)
            .r#build(2),
    );
    assert_eq!(clash.r#type, "t");
    assert_eq!(clash.exec.as_deref(), Some("e"));
    assert_eq!(clash.r#build, 2);
}

#[test]
fn touch_sets_updated_at() {
    let mut user = sample_user();
    user.touch();
    assert!(is_iso8601(&user.updated_at));
    assert_ne!(user.updated_at, "2024-01-02T00:00:00.000Z");
    assert_eq!(user.created_at, "2024-01-01T00:00:00.000Z");
}

// ---------------------------------------------------- derive(Attribute)

#[test]
fn nested_struct_round_trip() {
    let address = Address {
        street_name: "Main St".into(),
        postal_code: "12345".into(),
        unit: None,
        geocoded: true,
        history: vec![Address {
            street_name: "Old Rd".into(),
            postal_code: "999".into(),
            unit: Some(4),
            geocoded: false,
            history: vec![],
        }],
    };
    let value = address.to_value().expect("to_value");
    let AttributeValue::M(map) = &value else {
        panic!("a struct is stored as a map: {value:?}")
    };
    let mut keys: Vec<_> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["history", "streetName", "zip"]);
    assert_eq!(map["streetName"], s("Main St"));
    let AttributeValue::L(history) = &map["history"] else {
        panic!("history is a list")
    };
    let AttributeValue::M(old) = &history[0] else {
        panic!("nested map")
    };
    assert_eq!(old["unit"], n("4"));

    let back = Address::from_value(&value).expect("from_value");
    assert_eq!(
        back,
        Address {
            geocoded: false,
            ..address
        }
    );
}

#[test]
fn nested_struct_errors() {
    assert_eq!(
        Address::from_value(&s("x")),
        Err(dynamite::ValueError::WrongType {
            expected: "M",
            found: "S"
        })
    );
    let missing = AttributeValue::M(HashMap::from([("streetName".to_owned(), s("x"))]));
    let error = Address::from_value(&missing).expect_err("zip is missing");
    assert!(error.to_string().contains("zip"), "{error}");
}

#[test]
fn unit_enum_is_a_string() {
    assert_eq!(<Kind as Attribute>::SCALAR, Some(ScalarType::S));
    assert_eq!(Kind::SignedUp.to_value().expect("to_value"), s("signed_up"));
    assert_eq!(Kind::Purchased.to_value().expect("to_value"), s("bought"));
    assert_eq!(Kind::from_value(&s("left")), Ok(Kind::Left));
    assert_eq!(
        Kind::from_value(&s("Left")),
        Err(dynamite::ValueError::Invalid(
            "unknown variant `Left` of Kind".into()
        ))
    );
    assert_eq!(
        Kind::from_value(&n("1")),
        Err(dynamite::ValueError::WrongType {
            expected: "S",
            found: "N"
        })
    );
}

#[test]
fn data_enum_is_externally_tagged() {
    let tagged = |tag: &str, value: AttributeValue| {
        AttributeValue::M(HashMap::from([(tag.to_owned(), value)]))
    };
    let cases = [
        (Shape::Empty, s("Empty")),
        (Shape::Circle(1.5), tagged("Circle", n("1.5"))),
        (
            Shape::Rect {
                width: 2.0,
                height: 3.0,
                label: None,
            },
            tagged(
                "Rect",
                AttributeValue::M(HashMap::from([
                    ("width".to_owned(), n("2")),
                    ("height".to_owned(), n("3")),
                ])),
            ),
        ),
        (
            Shape::Point(-1, 2),
            tagged("Point", AttributeValue::L(vec![n("-1"), n("2")])),
        ),
        (
            Shape::Polygon(vec![Shape::Empty]),
            tagged("poly", AttributeValue::L(vec![s("Empty")])),
        ),
    ];
    for (shape, stored) in cases {
        assert_eq!(shape.to_value().expect("to_value"), stored, "{shape:?}");
        assert_eq!(Shape::from_value(&stored).expect("from_value"), shape);
    }
    assert_eq!(<Shape as Attribute>::SCALAR, None);
    assert_eq!(
        Shape::from_value(&tagged("Hexagon", n("6"))),
        Err(dynamite::ValueError::Invalid(
            "unknown variant `Hexagon` of Shape".into()
        ))
    );
    assert!(Shape::from_value(&tagged("Point", AttributeValue::L(vec![n("1")]))).is_err());
    assert!(Shape::from_value(&AttributeValue::Bool(true)).is_err());
}

#[test]
fn newtype_is_stored_as_its_inner_value() {
    assert_eq!(<Email as Attribute>::SCALAR, Some(ScalarType::S));
    let email = Email("a@example.com".into());
    assert_eq!(email.to_value().expect("to_value"), s("a@example.com"));
    assert_eq!(Email::from_value(&s("b")), Ok(Email("b".into())));
}

#[test]
fn model_with_derived_attributes_round_trips() {
    let customer = Customer {
        email: Email("c@example.com".into()),
        tier: Kind::SignedUp,
        address: Address {
            street_name: "Elm".into(),
            postal_code: "1".into(),
            unit: Some(2),
            geocoded: false,
            history: vec![],
        },
        shapes: vec![Shape::Circle(1.0), Shape::Empty],
        favourite: Some(Shape::Point(0, 0)),
    };
    let item: Item = customer.to_item().expect("to_item");
    assert_eq!(item["email"], s("c@example.com"));
    assert_eq!(item["tier"], s("signed_up"));
    assert_eq!(Customer::from_item(item).expect("from_item"), customer);

    let built = Customer::create()
        .email(Email("d@example.com".into()))
        .tier(Kind::Left)
        .address(customer.address.clone())
        .shapes(vec![])
        .build();
    assert_eq!(built.favourite, None);
}

// ------------------------------------------------------------- relations

/// Models related to each other (and to themselves). In a module: `User`
/// and `Category` are taken above.
mod shop {
    use dynamite::prelude::*;
    use dynamite::{BelongsTo, HasMany, HasOne};

    #[derive(Table, Debug, Clone, PartialEq)]
    pub struct User {
        #[dynamite(primary_key)]
        pub id: String,
        pub name: String,
        #[dynamite(index)]
        pub email: String,
        #[dynamite(has_many(foreign_key = "user_id"))]
        pub orders: HasMany<Order>,
        #[dynamite(has_many(foreign_key = "user_id"))]
        pub reviews: HasMany<Review>,
        #[dynamite(has_one(foreign_key = "user_id"))]
        pub first_order: HasOne<Order>,
        #[dynamite(has_many(foreign_key = "user_email", local_key = "email"))]
        pub orders_by_email: HasMany<Order>,
    }

    #[derive(Table, Debug, Clone, PartialEq)]
    pub struct Order {
        #[dynamite(primary_key)]
        pub id: String,
        pub user_id: String,
        pub user_email: Option<String>,
        #[dynamite(default = 0.0)]
        pub total: f64,
        #[dynamite(belongs_to(foreign_key = "user_id"))]
        pub user: BelongsTo<User>,
        #[dynamite(belongs_to(foreign_key = "user_email", local_key = "email"))]
        pub user_by_email: dynamite::BelongsTo<User>,
    }

    #[derive(Table, Debug, Clone, PartialEq)]
    pub struct Review {
        #[dynamite(primary_key)]
        pub id: String,
        pub user_id: String,
        #[dynamite(belongs_to(foreign_key = "user_id", local_key = "id"))]
        pub author: BelongsTo<User>,
    }

    /// Self-referential: a tree of categories.
    #[derive(Table, Debug, Clone, PartialEq)]
    pub struct Category {
        #[dynamite(primary_key)]
        pub id: String,
        pub name: String,
        #[dynamite(index)]
        pub parent_id: Option<String>,
        #[dynamite(has_many(foreign_key = "parent_id"))]
        pub children: HasMany<Category>,
        #[dynamite(belongs_to(foreign_key = "parent_id"))]
        pub parent: BelongsTo<Self>,
    }
}

#[test]
fn relations_meta() {
    use dynamite::model::RelationKind;
    // `field: Kind Target by foreign_key [-> local_key]`
    let summary = |meta: &TableMeta| -> Vec<String> {
        meta.relations
            .iter()
            .map(|r| {
                let local = r.local_key.map(|k| format!(" -> {k}"));
                format!(
                    "{}: {:?} {} by {}{}",
                    r.field,
                    r.kind,
                    (r.target)().model,
                    r.foreign_key,
                    local.unwrap_or_default()
                )
            })
            .collect()
    };
    assert_eq!(
        summary(shop::User::meta()),
        [
            "orders: HasMany Order by user_id",
            "reviews: HasMany Review by user_id",
            "first_order: HasOne Order by user_id",
            "orders_by_email: HasMany Order by user_email -> email",
        ]
    );
    assert_eq!(
        summary(shop::Order::meta()),
        [
            "user: BelongsTo User by user_id",
            "user_by_email: BelongsTo User by user_email -> email",
        ]
    );
    assert_eq!(
        summary(shop::Review::meta()),
        ["author: BelongsTo User by user_id -> id"]
    );
    assert_eq!(
        summary(shop::Category::meta()),
        [
            "children: HasMany Category by parent_id",
            "parent: BelongsTo Category by parent_id",
        ]
    );
    let first_order = shop::User::META
        .relation("first_order")
        .expect("first_order");
    assert_eq!(first_order.kind, RelationKind::HasOne);
    assert_eq!(first_order.local_key, None);
    // The target is the related model's own metadata.
    let orders = shop::User::META.relation("orders").expect("orders");
    assert!(std::ptr::eq((orders.target)(), shop::Order::meta()));
    // Joins resolve to stored names: (on the declaring model, on the target).
    let user = shop::User::meta();
    assert_eq!(orders.join(user), Some(("id", "user_id")));
    let by_email = user.relation("orders_by_email").expect("orders_by_email");
    assert_eq!(by_email.join(user), Some(("email", "user_email")));
    let parent = shop::Order::META.relation("user").expect("user");
    assert_eq!(parent.join(shop::Order::meta()), Some(("user_id", "id")));
}

#[test]
fn relation_fields_are_not_persisted() {
    assert_eq!(attribute_names(shop::User::meta()), ["id", "name", "email"]);
    assert_eq!(
        attribute_names(shop::Order::meta()),
        ["id", "user_id", "user_email", "total"]
    );
    assert_eq!(
        attribute_names(shop::Category::meta()),
        ["id", "name", "parent_id"]
    );
    // An optional foreign key is a sparse GSI: still a string key.
    let parent_id = shop::Category::META
        .attribute("parent_id")
        .expect("parent_id");
    assert_eq!(parent_id.scalar, Some(ScalarType::S));
    assert!(parent_id.optional);

    let user = shop::User {
        id: "u-1".into(),
        name: "Ada".into(),
        email: "ada@example.com".into(),
        orders: vec![shop::Order::create().id("o-1").user_id("u-1").build()].into(),
        reviews: Default::default(),
        first_order: None.into(),
        orders_by_email: Default::default(),
    };
    let item = user.to_item().expect("to_item");
    let mut keys: Vec<_> = item.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["email", "id", "name"], "relations are never stored");

    let back = shop::User::from_item(item).expect("from_item");
    assert_eq!(back.name, "Ada");
    assert!(!back.orders.is_loaded());
    assert!(back.orders.is_empty());
    assert!(!back.reviews.is_loaded());
    assert!(!back.first_order.is_loaded());
    assert!(!back.orders_by_email.is_loaded());
}

#[test]
fn create_leaves_relations_not_loaded() {
    let order = shop::Order::create().id("o-1").user_id("u-1").build();
    assert_eq!(order.total, 0.0);
    assert_eq!(order.user_email, None);
    assert!(!order.user.is_loaded());
    assert!(!order.user_by_email.is_loaded());
    assert_eq!(format!("{:?}", order.user), "<not loaded>");

    let root = shop::Category::create().id("c-1").name("Root").build();
    assert_eq!(root.parent_id, None);
    assert!(!root.children.is_loaded());
    assert!(!root.parent.is_loaded());
}

#[test]
fn relation_functions() {
    let orders: dynamite::Relation<shop::User, shop::Order> = shop::User::orders();
    assert_eq!(format!("{orders:?}"), "Relation(User.orders -> Order)");
    let _: dynamite::Relation<shop::User, shop::Review> = shop::User::reviews();
    let _: dynamite::Relation<shop::User, shop::Order> = shop::User::first_order();
    let _: dynamite::Relation<shop::Order, shop::User> = shop::Order::user();
    let _: dynamite::Relation<shop::Review, shop::User> = shop::Review::author();
    assert_eq!(
        format!("{:?}", shop::Order::user_by_email()),
        "Relation(Order.user_by_email -> User)"
    );
    assert_eq!(
        format!("{:?}", shop::Category::children()),
        "Relation(Category.children -> Category)"
    );
    assert_eq!(
        format!("{:?}", shop::Category::parent()),
        "Relation(Category.parent -> Category)"
    );
    // Column constants live next to them.
    assert_eq!(shop::Category::PARENT_ID.name(), "parent_id");
}

// ------------------------------------------------- version, deleted_at, validation

fn no_spaces(v: &str) -> Result<(), String> {
    if v.contains(' ') {
        Err("must not contain spaces".into())
    } else {
        Ok(())
    }
}

#[derive(Table, Debug, Clone)]
#[dynamite(rename_all = "camelCase")]
struct Guarded {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(not_empty, validate = no_spaces)]
    handle: String,
    #[dynamite(not_empty)]
    labels: Option<Vec<String>>,
    #[dynamite(version)]
    row_version: u32,
    #[dynamite(deleted_at)]
    removed_at: Option<i64>,
}

#[test]
fn version_and_deleted_at_are_in_the_metadata_and_new_rows_are_version_one() {
    let meta: &TableMeta = Guarded::meta();
    assert_eq!(meta.version, Some("rowVersion"));
    assert_eq!(meta.deleted_at, Some("removedAt"));
    assert_eq!(User::meta().version, None);
    assert_eq!(User::meta().deleted_at, None);
    let g = Guarded::create().id("g").handle("h").build();
    assert_eq!((g.row_version, g.removed_at), (1, None));
    // The version may be set explicitly (imports).
    let g = Guarded::create().id("g").handle("h").row_version(7).build();
    assert_eq!(g.row_version, 7);
    let mut item = g.to_item().unwrap();
    assert!(!meta.is_deleted(&item));
    item.insert("removedAt".into(), AttributeValue::N("1".into()));
    assert!(meta.is_deleted(&item));
}

#[test]
fn validators_name_the_field_and_never_run_in_from_item() {
    let ok = Guarded::create()
        .id("g")
        .handle("ada")
        .labels(Some(vec!["x".to_string()]))
        .build();
    ok.validate().unwrap();
    let cases = [
        (
            Guarded {
                handle: String::new(),
                ..ok.clone()
            },
            "handle",
            "must not be empty",
        ),
        (
            Guarded {
                handle: "a b".into(),
                ..ok.clone()
            },
            "handle",
            "must not contain spaces",
        ),
        (
            Guarded {
                labels: Some(vec![]),
                ..ok.clone()
            },
            "labels",
            "must not be empty",
        ),
        (
            Guarded {
                labels: None,
                ..ok.clone()
            },
            "labels",
            "must not be empty",
        ),
    ];
    for (row, field, message) in cases {
        match row.validate() {
            Err(Error::Validation {
                model,
                field: f,
                message: m,
            }) => {
                assert_eq!(
                    (model.as_str(), f.as_str(), m.as_str()),
                    ("Guarded", field, message)
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // An invalid stored item still decodes.
    let bad = Guarded {
        handle: "a b".into(),
        labels: None,
        ..ok
    };
    let back = Guarded::from_item(bad.to_item().unwrap()).unwrap();
    assert_eq!(back.handle, "a b");
    // Per-attribute checks used by `update().set(..)`, by stored name.
    let value = AttributeValue::S("x y".into());
    assert!(
        Guarded::validate_stored("handle", Some(&value))
            .unwrap_err()
            .is_validation()
    );
    assert!(
        Guarded::validate_stored("labels", None)
            .unwrap_err()
            .is_validation()
    );
    Guarded::validate_stored("rowVersion", None).unwrap();
}
