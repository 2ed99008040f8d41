use dynamite::prelude::*;

#[derive(Table)]
struct Owner {
    #[dynamite(primary_key)]
    id: String,
}

#[derive(Table)]
struct Pet {
    #[dynamite(primary_key)]
    id: String,
    owner_id: String,
    // `Pet::key()` is the named key of a model; a relation cannot take it.
    #[dynamite(belongs_to(foreign_key = "owner_id"))]
    key: BelongsTo<Owner>,
}

fn main() {}
