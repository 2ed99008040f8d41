use dynamite::prelude::*;

#[derive(Table)]
enum Model {
    A,
}

#[derive(Table)]
struct Generic<T> {
    #[dynamite(primary_key)]
    id: T,
}

#[derive(Table)]
struct A {
    #[dynamite(primary_key)]
    id: String,
}

#[derive(Attribute)]
struct Pair(String, String);

#[derive(Attribute)]
#[dynamite(rename_all = "camelCase")]
struct Email(String);

#[derive(Attribute)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
