use dynamite::prelude::*;
use dynamite::{BelongsTo, HasMany, HasOne};

// A relation function named like a trait function would shadow it:
// `User::get(&db, key)` would call the relation.
#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    get: HasMany<Order>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    query: HasMany<Order>,
    #[dynamite(has_one(foreign_key = "user_id"))]
    create: HasOne<Order>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    delete_where: HasMany<Order>,
    // Methods taking `self` are not shadowed: `user.save(&db)` still works.
    #[dynamite(has_many(foreign_key = "user_id"))]
    save: HasMany<Order>,
}

// A column constant named like a trait constant would shadow it:
// `Order::META` would be the column.
#[derive(Table)]
struct Order {
    #[dynamite(primary_key)]
    id: String,
    user_id: String,
    meta: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    meta_item: BelongsTo<User>,
}

#[derive(Table)]
struct Tag {
    #[dynamite(primary_key)]
    id: String,
    // Renaming the stored attribute does not rename the column.
    #[dynamite(rename = "meta_json")]
    meta: String,
    #[dynamite(belongs_to(foreign_key = "id"))]
    from_item: BelongsTo<User>,
}

fn main() {}
