use dynamite::prelude::*;
use dynamite::HasMany;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    orders: HasMany<String>,
}

fn main() {}
