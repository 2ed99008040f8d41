use dynamite::BelongsTo;
use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    email: String,
    #[dynamite(index)]
    handle: String,
}

#[derive(Table)]
struct Order {
    #[dynamite(primary_key)]
    id: String,
    user_email: String,
    user_handle: String,
    // `email` is neither `User`'s primary key nor indexed.
    #[dynamite(belongs_to(foreign_key = "user_email", local_key = "email"))]
    by_email: BelongsTo<User>,
    // `missing` is no field of `User`.
    #[dynamite(belongs_to(foreign_key = "user_email", local_key = "missing"))]
    by_missing: BelongsTo<User>,
    // Fine: indexed.
    #[dynamite(belongs_to(foreign_key = "user_handle", local_key = "handle"))]
    by_handle: BelongsTo<User>,
}

fn main() {}
