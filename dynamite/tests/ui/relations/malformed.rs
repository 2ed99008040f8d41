use dynamite::prelude::*;
use dynamite::{BelongsTo, HasMany};

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(has_many)]
    a: HasMany<User>,
    #[dynamite(has_many())]
    b: HasMany<User>,
    #[dynamite(has_many(local_key = "id"))]
    c: HasMany<User>,
    #[dynamite(has_many(foreign_key = "id", foreign_key = "id", through = "x"))]
    d: HasMany<User>,
    #[dynamite(has_many(foreign_key = 3))]
    e: HasMany<User>,
    #[dynamite(has_many(foreign_key = "id"), belongs_to(foreign_key = "id"))]
    f: HasMany<User>,
    #[dynamite(has_many = "id")]
    g: HasMany<User>,
}

#[derive(Attribute)]
struct Address {
    #[dynamite(belongs_to(foreign_key = "id"))]
    owner: BelongsTo<User>,
}

fn main() {}
