use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(primary_key)]
    email: String,
}

#[derive(Table)]
struct Event {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(sort_key)]
    at: i64,
    #[dynamite(sort_key)]
    seq: i64,
}

fn main() {}
