use dynamite::prelude::*;

// Every attribute of a multi-attribute key is a string, number or binary.
#[derive(Table)]
#[dynamite(index(partition = ["region", "tags"]))]
struct Tagged {
    #[dynamite(primary_key)]
    id: String,
    region: String,
    tags: Vec<String>,
}

fn main() {}
