// `unversioned` is for ordinary stored fields only `update()` actions
// change: never a key, a template field, the version, a timestamp, an
// expiry, a skipped or relation field, nor a field of `derive(Attribute)`.
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
struct Keys {
    #[dynamite(primary_key, unversioned)]
    id: String,
    #[dynamite(sort_key, unversioned)]
    n: i64,
}

#[derive(Table, Debug, Clone)]
struct Stamps {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(version, unversioned)]
    version: u64,
    #[dynamite(created_at, unversioned)]
    created_at: String,
    #[dynamite(updated_at, unversioned)]
    updated_at: String,
    #[dynamite(deleted_at, unversioned)]
    deleted_at: Option<String>,
    #[dynamite(ttl, unversioned)]
    expires: Option<i64>,
    #[dynamite(skip, unversioned)]
    cache: String,
    #[dynamite(has_many(foreign_key = "stamps_id"), unversioned)]
    children: HasMany<Keys>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "shared", pk = "T#{tenant}", sk = "C#{id}")]
#[dynamite(index(name = "gsi1", pk = "R#{rank}", sk = "C#{id}"))]
struct Shared {
    #[dynamite(unversioned)]
    tenant: String,
    id: String,
    #[dynamite(unversioned)]
    rank: u32,
}

#[derive(Attribute, Debug, Clone)]
struct Address {
    #[dynamite(unversioned)]
    street: String,
}

fn main() {}
