use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key, skip)]
    id: String,
    #[dynamite(skip, rename = "nick")]
    nickname: String,
    #[dynamite(created_at, updated_at)]
    stamp: String,
}

#[derive(Table)]
struct Order {
    #[dynamite(primary_key, sort_key)]
    id: String,
    #[dynamite(default = now, updated_at)]
    changed: String,
}

fn main() {}
