use dynamite::prelude::*;

// The index `status_index` would generate `Ticket::STATUS_INDEX`, the
// column constant of the field `status_index`.
#[derive(Table)]
struct Ticket {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index)]
    status: String,
    status_index: String,
}

// Two index names with one constant.
#[derive(Table)]
#[dynamite(index(name = "by-owner", partition = ["owner"]))]
#[dynamite(index(name = "by.owner", partition = ["owner"]))]
struct Doc {
    #[dynamite(primary_key)]
    id: String,
    owner: String,
}

fn main() {}
