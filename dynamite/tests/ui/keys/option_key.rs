use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: Option<String>,
    #[dynamite(sort_key)]
    at: std::option::Option<i64>,
}

fn main() {}
