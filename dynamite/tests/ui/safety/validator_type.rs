use dynamite::prelude::*;

fn check_age(age: &u32) -> Result<(), String> {
    if *age > 150 { Err("too old".into()) } else { Ok(()) }
}

#[derive(Table)]
struct Person {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(validate = check_age)]
    name: String,
}

fn main() {}
