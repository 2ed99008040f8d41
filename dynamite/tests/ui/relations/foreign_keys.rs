use dynamite::prelude::*;
use dynamite::{BelongsTo, HasMany, HasOne};

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    // `Order` has no `owner_id`.
    #[dynamite(has_many(foreign_key = "owner_id"))]
    orders: HasMany<Order>,
    // `tags` is stored but cannot be a key.
    #[dynamite(has_one(foreign_key = "tags"))]
    first_order: HasOne<Order>,
    // `note` is `skip`ped: not in `Order`'s metadata.
    #[dynamite(has_many(foreign_key = "note"))]
    noted: HasMany<Order>,
    // A local key must be a key-able field of this model.
    labels: Vec<String>,
    #[dynamite(has_many(foreign_key = "user_id", local_key = "labels"))]
    labelled: HasMany<Order>,
}

#[derive(Table)]
struct Order {
    #[dynamite(primary_key)]
    id: String,
    user_id: String,
    tags: Vec<String>,
    #[dynamite(skip)]
    note: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    user: BelongsTo<User>,
}

fn main() {}
