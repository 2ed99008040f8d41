use std::collections::{BTreeSet, HashMap};

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone, PartialEq)]
pub struct User {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub name: String,
    #[dynamite(index)]
    pub email: String,
    #[dynamite(default = "customer")]
    pub role: String,
    pub age: Option<u32>,
    #[dynamite(created_at)]
    pub created_at: String,
    #[dynamite(updated_at)]
    pub updated_at: String,
}

/// Composite key: partition + numeric sort key.
#[derive(Table, Debug, Clone, PartialEq)]
pub struct Event {
    #[dynamite(primary_key)]
    pub stream: String,
    #[dynamite(sort_key)]
    pub seq: i64,
    pub kind: String,
    pub payload: Option<String>,
}

#[derive(Table, Debug, Clone, PartialEq)]
pub struct Product {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub name: String,
    pub price: f64,
    #[dynamite(default = 0)]
    pub stock: i64,
    pub tags: Vec<String>,
    pub labels: BTreeSet<String>,
    pub attributes: HashMap<String, String>,
    #[dynamite(index(name = "by_category", sort_key = "price"))]
    pub category: String,
    pub photo: Option<Bytes>,
}

/// Attribute names that are DynamoDB reserved words.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "reserved_words")]
pub struct Reserved {
    #[dynamite(primary_key)]
    pub name: String,
    pub status: String,
    pub size: i64,
    #[dynamite(rename = "count")]
    pub total: i64,
}

/// Never registered.
#[derive(Table, Debug, Clone)]
pub struct Stray {
    #[dynamite(primary_key)]
    pub id: String,
}

pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<User>()
        .table::<Event>()
        .table::<Product>()
        .table::<Reserved>()
}

pub fn product(name: &str, category: &str, price: f64) -> Product {
    Product::create()
        .name(name)
        .price(price)
        .tags(Vec::<String>::new())
        .labels(BTreeSet::new())
        .attributes(HashMap::new())
        .category(category)
        .build()
}
