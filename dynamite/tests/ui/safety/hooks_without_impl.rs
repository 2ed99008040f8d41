use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(hooks)]
struct Note {
    #[dynamite(primary_key)]
    id: String,
}

fn main() {}
