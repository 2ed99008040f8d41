use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(hooks)]
struct User {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(version)]
    version: u64,
    #[dynamite(deleted_at)]
    deleted_at: Option<String>,
    #[dynamite(validate = check_name, not_empty)]
    name: String,
    #[dynamite(ttl)]
    expires: i64,
    #[dynamite(has_many(foreign_key = "user_id"))]
    orders: Vec<String>,
    #[dynamite(belongs_to(foreign_key = "team_id"))]
    team: Option<String>,
}

fn main() {}
