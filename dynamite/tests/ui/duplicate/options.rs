use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(rename_all = "camelCase", rename_all = "snake_case")]
struct User {
    #[dynamite(primary_key)]
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(rename = "a", rename = "b")]
    name: String,
    #[dynamite(default = "x", default = "y")]
    role: String,
    #[dynamite(index(name = "by_email", name = "email_idx"))]
    email: String,
}

fn main() {}
