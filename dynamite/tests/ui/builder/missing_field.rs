use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key, default = uuid)]
    id: String,
    name: String,
    email: String,
    nickname: Option<String>,
}

fn main() {
    let _ = User::create().name("Ada").build();
    let _ = |db: &Dynamite| User::create().exec(db);
}
