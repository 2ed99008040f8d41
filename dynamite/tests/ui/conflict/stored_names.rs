use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(rename = "id")]
    legacy_id: String,
    #[dynamite(index)]
    email: String,
    #[dynamite(index(name = "email_index"))]
    mail: String,
}

fn main() {}
