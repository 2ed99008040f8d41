use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: Vec<String>,
    #[dynamite(index)]
    active: bool,
}

fn main() {}
