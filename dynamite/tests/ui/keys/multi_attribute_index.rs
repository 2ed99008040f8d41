use dynamite::prelude::*;

// At most 4 partition and 4 sort attributes (DynamoDB's limit).
#[derive(Table)]
#[dynamite(index(name = "wide", partition = ["a", "b", "c", "d", "e"], sort = ["a1", "b1", "c1", "d1", "e1"]))]
struct Wide {
    #[dynamite(primary_key)]
    id: String,
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
    a1: u32,
    b1: u32,
    c1: u32,
    d1: u32,
    e1: u32,
}

// Unknown, unstored and repeated fields.
#[derive(Table)]
#[dynamite(index(partition = ["region", "missing"], sort = ["cache", "region"]))]
struct Fields {
    #[dynamite(primary_key)]
    id: String,
    region: String,
    #[dynamite(skip)]
    cache: u32,
}

// `sort` alone; templates and fields mixed; an empty list; not a string.
#[derive(Table)]
#[dynamite(index(name = "only_sort", sort = ["created"]))]
#[dynamite(index(name = "mixed", pk = "R#{region}", partition = ["region"]))]
#[dynamite(index(name = "empty", partition = []))]
#[dynamite(index(name = "ident", partition = [region]))]
struct Shapes {
    #[dynamite(primary_key)]
    id: String,
    region: String,
    created: u64,
}

// Two indexes under one name.
#[derive(Table)]
#[dynamite(index(name = "twice", partition = ["region", "kind"]))]
struct Twice {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index(name = "twice"))]
    region: String,
    kind: String,
}

fn main() {}
