use dynamite::prelude::*;

// A field the template names does not exist.
#[derive(Table)]
#[dynamite(table = "shop", pk = "USER#{user}", sk = "PROFILE")]
struct Missing {
    id: String,
}

// Empty and unbalanced templates.
#[derive(Table)]
#[dynamite(table = "shop", pk = "", sk = "ORDER#{id")]
struct Malformed {
    id: String,
}

// Unbalanced braces.
#[derive(Table)]
#[dynamite(table = "shop", pk = "USER#{id", sk = "ORDER#id}")]
struct Unbalanced {
    id: String,
}

// Key fields beside templates; an optional template field.
#[derive(Table)]
#[dynamite(table = "shop", pk = "USER#{id}", sk = "NOTE#{note}")]
struct Mixed {
    #[dynamite(primary_key)]
    id: String,
    note: Option<String>,
}

// A relation field in a template; a field stored where the key goes.
#[derive(Table)]
#[dynamite(table = "shop", pk = "USER#{orders}")]
struct Related {
    id: String,
    #[dynamite(rename = "pk")]
    code: String,
    #[dynamite(has_many(foreign_key = "id"))]
    orders: HasMany<Related>,
}

// Two fields with no `#` between them: ("eu-west", "1") and ("eu", "west-1")
// would render the same key.
#[derive(Table)]
#[dynamite(table = "shop", pk = "R#{region}-{id}", sk = "{a}{b}")]
struct Ambiguous {
    region: String,
    id: String,
    a: String,
    b: String,
}

// `sk` without `pk`.
#[derive(Table)]
#[dynamite(table = "shop", sk = "PROFILE")]
struct NoPartition {
    #[dynamite(primary_key)]
    id: String,
}

fn main() {}
