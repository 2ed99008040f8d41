use dynamite::prelude::*;

#[derive(Table)]
struct Session {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(ttl)]
    expires: String,
}

fn main() {}
