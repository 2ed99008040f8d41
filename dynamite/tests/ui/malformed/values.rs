use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(rename_all = "Snake", table = "a b")]
struct User {
    #[dynamite(primary_key = true)]
    id: String,
    #[dynamite(rename = 5)]
    name: String,
    #[dynamite(default = a + b)]
    role: String,
    #[dynamite(index = "by_email")]
    email: String,
    #[dynamite(rename = "")]
    bio: String,
    #[dynamite]
    age: u32,
}

fn main() {}
