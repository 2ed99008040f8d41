use dynamite::prelude::*;

#[derive(Table)]
struct User {
    id: String,
    name: String,
}

fn main() {}
