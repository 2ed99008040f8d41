use dynamite::prelude::*;

#[derive(Attribute)]
#[dynamite(table = "addresses")]
struct Address {
    #[dynamite(primary_key)]
    street: String,
    #[dynamite(flatten)]
    city: String,
}

#[derive(Attribute)]
enum Status {
    #[dynamite(alias = "on")]
    Active,
}

fn main() {}
