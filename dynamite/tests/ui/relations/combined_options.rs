use dynamite::prelude::*;
use dynamite::{BelongsTo, HasMany, HasOne};

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(has_many(foreign_key = "user_id"), rename = "o", skip)]
    orders: HasMany<Order>,
    #[dynamite(index, has_one(foreign_key = "user_id"))]
    first_order: HasOne<Order>,
    #[dynamite(default = "x")]
    #[dynamite(belongs_to(foreign_key = "id"))]
    me: BelongsTo<User>,
    #[dynamite(primary_key, has_many(foreign_key = "user_id"))]
    keyed: HasMany<Order>,
}

#[derive(Table)]
struct Order {
    #[dynamite(primary_key)]
    id: String,
    user_id: String,
}

fn main() {}
