use dynamite::prelude::*;
use dynamite::{BelongsTo, HasMany};

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(skip)]
    cache: String,
    // The local key of a has_many is a field of this model.
    #[dynamite(has_many(foreign_key = "user_id", local_key = "handle"))]
    orders: HasMany<Order>,
    #[dynamite(has_many(foreign_key = "user_id", local_key = "cache"))]
    cached: HasMany<Order>,
}

#[derive(Table)]
struct Order {
    #[dynamite(primary_key)]
    id: String,
    user_id: String,
    // The foreign key of a belongs_to is a field of this model.
    #[dynamite(belongs_to(foreign_key = "owner_id"))]
    user: BelongsTo<User>,
    #[dynamite(belongs_to(foreign_key = "user"))]
    again: BelongsTo<User>,
}

fn main() {}
