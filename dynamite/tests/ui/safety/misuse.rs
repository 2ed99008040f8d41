use dynamite::prelude::*;

#[derive(Table)]
struct Stale {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(version)]
    version: String,
    #[dynamite(deleted_at)]
    deleted_at: String,
    #[dynamite(validate = "check_name")]
    name: String,
    #[dynamite(validate = |v: &String| v.is_empty())]
    other: String,
    #[dynamite(not_empty = true)]
    note: String,
}

#[derive(Table)]
struct Twice {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(version)]
    a: u64,
    #[dynamite(version)]
    b: u64,
    #[dynamite(deleted_at, default = now)]
    gone: Option<String>,
    #[dynamite(version, skip)]
    c: u32,
}

#[derive(Attribute)]
#[dynamite(hooks)]
struct Nested {
    #[dynamite(not_empty)]
    x: String,
}

fn main() {}
