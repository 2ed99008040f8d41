use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(tabel = "users")]
struct User {
    #[dynamite(primay_key)]
    id: String,
    #[dynamite(index(name = "by_email", sort = "id"))]
    email: String,
    #[dynamite(serde::rename = "x")]
    name: String,
}

fn main() {}
