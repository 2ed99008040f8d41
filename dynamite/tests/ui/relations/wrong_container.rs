use dynamite::prelude::*;
use dynamite::{BelongsTo, HasMany, HasOne};

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    orders: Vec<Order>,
    #[dynamite(has_one(foreign_key = "user_id"))]
    first_order: HasMany<Order>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    untyped: HasMany,
}

#[derive(Table)]
struct Order {
    #[dynamite(primary_key)]
    id: String,
    user_id: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    user: HasOne<User>,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    owner: Option<BelongsTo<User>>,
}

fn main() {}
