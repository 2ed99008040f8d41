use dynamite::prelude::*;

#[derive(Table, Debug, Clone, serde::Deserialize)]
struct User {
    #[dynamite(primary_key)]
    id: String,
}

#[dynamite::test(models(User), fixtures("tests/fixtures/missing.json"))]
async fn missing_file(db: Dynamite) {}

#[dynamite::test(fixtures("tests/fixtures/shop.json"))]
async fn no_models(db: Dynamite) {}

#[dynamite::test(models(User), fixtures(users))]
async fn not_a_string(db: Dynamite) {}

fn main() {}
