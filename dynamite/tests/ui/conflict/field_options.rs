use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key, skip)]
    id: String,
    #[dynamite(skip, rename = "nick")]
    nickname: String,
    #[dynamite(created_at, updated_at)]
    stamp: String,
    #[dynamite(default = now, created_at)]
    created: String,
    #[dynamite(primary_key)]
    pk: String,
}

fn main() {}
