use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(hooks)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(version)]
    version: u64,
    #[dynamite(deleted_at)]
    deleted_at: Option<String>,
    #[dynamite(validate = check_name, not_empty)]
    name: String,
    #[dynamite(ttl)]
    expires: i64,
}

fn main() {}
