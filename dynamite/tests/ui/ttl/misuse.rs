use dynamite::prelude::*;

#[derive(Table)]
struct TwoTtls {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(ttl)]
    expires: i64,
    #[dynamite(ttl)]
    purge_at: i64,
}

#[derive(Table)]
struct TtlKey {
    #[dynamite(primary_key, ttl)]
    id: i64,
}

#[derive(Table)]
struct TtlIndexed {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index, ttl)]
    expires: i64,
}

#[derive(Table)]
#[dynamite(table = "shop", pk = "S#{id}", sk = "E#{expires}")]
struct TtlInTemplate {
    id: String,
    #[dynamite(ttl)]
    expires: u64,
}

#[derive(Attribute)]
struct Nested {
    #[dynamite(ttl)]
    expires: i64,
}

fn main() {}
