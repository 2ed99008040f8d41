use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index(sort_key = "created"))]
    email: String,
    #[dynamite(index(sort_key = "cache"))]
    role: String,
    #[dynamite(skip)]
    cache: u32,
}

fn main() {}
