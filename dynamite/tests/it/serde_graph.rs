//! Feature `serde`: an object graph read with includes serializes to JSON
//! (loaded relations as arrays / objects, unloaded ones as `null` or left
//! out) and reads back.

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Relations without serde attributes: not loaded writes `null`.
#[derive(Table, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Customer {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    #[dynamite(has_many(foreign_key = "customer_id"))]
    pub purchases: HasMany<Purchase>,
    #[dynamite(has_one(foreign_key = "customer_id"))]
    pub profile: HasOne<Profile>,
}

/// `customer` is left out when not loaded; `lines` writes `null`.
#[derive(Table, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Purchase {
    #[dynamite(primary_key)]
    pub id: String,
    pub customer_id: String,
    pub total: i64,
    #[dynamite(belongs_to(foreign_key = "customer_id"))]
    #[serde(default, skip_serializing_if = "BelongsTo::is_not_loaded")]
    pub customer: BelongsTo<Customer>,
    #[dynamite(has_many(foreign_key = "purchase_id"))]
    pub lines: HasMany<Line>,
}

#[derive(Table, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Line {
    #[dynamite(primary_key)]
    pub id: String,
    pub purchase_id: String,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Table, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Profile {
    #[dynamite(primary_key)]
    pub id: String,
    pub customer_id: String,
    pub bio: String,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Customer>()
        .table::<Purchase>()
        .table::<Line>()
        .table::<Profile>()
}

/// Ada: a profile, purchase o1 with two lines, o2 with none. Grace: no
/// profile, no purchases. Purchase o3 belongs to a customer that does not exist.
async fn graph(db: &Dynamite) {
    Customer::put_many(
        db,
        [("c1", "Ada"), ("c2", "Grace")]
            .map(|(id, name)| Customer::create().id(id).name(name).build()),
    )
    .await
    .expect("customers");
    Profile::create()
        .id("p1")
        .customer_id("c1")
        .bio("counts")
        .exec(db)
        .await
        .expect("profile");
    Purchase::put_many(
        db,
        [("o1", "c1", 30), ("o2", "c1", 0), ("o3", "c9", 5)].map(|(id, customer, total)| {
            Purchase::create()
                .id(id)
                .customer_id(customer)
                .total(total)
                .build()
        }),
    )
    .await
    .expect("purchases");
    Line::put_many(
        db,
        [("l1", "pen", 1), ("l2", "ink", 2)].map(|(id, sku, quantity)| {
            Line::create()
                .id(id)
                .purchase_id("o1")
                .sku(sku)
                .quantity(quantity)
                .build()
        }),
    )
    .await
    .expect("lines");
}

#[dynamite::test(registry = register, fixture = graph)]
async fn loaded_graph_serializes_as_arrays_and_objects_and_reads_back_exactly(db: Dynamite) {
    let mut customers = Customer::query()
        .include(Customer::purchases().include(Purchase::lines()))
        .include(Customer::profile())
        .all(&db)
        .await
        .unwrap();
    customers.sort_by(|a, b| a.id.cmp(&b.id));

    let json = serde_json::to_value(&customers).unwrap();
    assert_eq!(
        json,
        json!([
            {
                "id": "c1",
                "name": "Ada",
                "purchases": [
                    {
                        "id": "o1",
                        "customer_id": "c1",
                        "total": 30,
                        // `customer` not loaded and skipped.
                        "lines": [
                            {"id": "l1", "purchase_id": "o1", "sku": "pen", "quantity": 1},
                            {"id": "l2", "purchase_id": "o1", "sku": "ink", "quantity": 2}
                        ]
                    },
                    {"id": "o2", "customer_id": "c1", "total": 0, "lines": []}
                ],
                "profile": {"id": "p1", "customer_id": "c1", "bio": "counts"}
            },
            {"id": "c2", "name": "Grace", "purchases": [], "profile": null}
        ])
    );

    // Every state here round-trips: loaded lists (empty too), a loaded
    // profile and a loaded absent one, an unloaded `customer` left out.
    let back: Vec<Customer> = serde_json::from_value(json).unwrap();
    assert_eq!(back, customers);
    assert!(back[1].purchases.is_loaded() && back[1].purchases.is_empty());
    assert_eq!(back[1].profile.loaded(), Some(None));
    assert!(back[0].purchases[0].customer.is_not_loaded());

    // And through text, as a web handler would send it.
    let text = serde_json::to_string(&customers[1]).unwrap();
    assert_eq!(
        text,
        r#"{"id":"c2","name":"Grace","purchases":[],"profile":null}"#
    );
    assert_eq!(
        serde_json::from_str::<Customer>(&text).unwrap(),
        customers[1]
    );
}

#[dynamite::test(registry = register, fixture = graph)]
async fn unloaded_relations_serialize_as_null_and_a_missing_parent_as_null(db: Dynamite) {
    let mut purchases = Purchase::query()
        .filter(Purchase::ID.is_in(["o1", "o3"]))
        .include(Purchase::customer())
        .all(&db)
        .await
        .unwrap();
    purchases.sort_by(|a, b| a.id.cmp(&b.id));

    let json = serde_json::to_value(&purchases).unwrap();
    assert_eq!(
        json,
        json!([
            {
                "id": "o1",
                "customer_id": "c1",
                "total": 30,
                // Loaded, so written; its own relations were not asked for.
                "customer": {"id": "c1", "name": "Ada", "purchases": null, "profile": null},
                "lines": null
            },
            // Loaded and absent: null, not skipped.
            {"id": "o3", "customer_id": "c9", "total": 5, "customer": null, "lines": null}
        ])
    );

    let back: Vec<Purchase> = serde_json::from_value(json).unwrap();
    assert_eq!(back[1], purchases[1], "loaded-absent parent round-trips");
    assert!(
        back[0].lines.is_not_loaded(),
        "null HasMany reads as not loaded"
    );
    let customer = back[0].customer.as_deref().unwrap();
    assert!(customer.purchases.is_not_loaded());
    // The documented loss: `null` for a HasOne reads as loaded, none.
    assert_eq!(customer.profile.loaded(), Some(None));
    let mut expected = purchases[0].clone();
    let original = expected.customer.as_deref().unwrap().clone();
    assert!(original.profile.is_not_loaded());
    expected.customer = BelongsTo::from(Some(Customer {
        profile: HasOne::from(None),
        ..original
    }));
    assert_eq!(back[0], expected, "nothing else changed");
}

#[test]
fn wrong_shapes_are_errors_not_guesses() {
    let err = serde_json::from_value::<Customer>(json!({
        "id": "c1", "name": "Ada", "purchases": {"id": "o1"}, "profile": null
    }))
    .unwrap_err();
    assert!(err.to_string().contains("sequence"), "{err}");
    let value: Value =
        json!({"id": "o1", "customer_id": "c1", "total": 1, "customer": [], "lines": null});
    assert!(serde_json::from_value::<Purchase>(value).is_err());
}
