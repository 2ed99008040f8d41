#[dynamite::test]
async fn borrowed(db: &dynamite::Dynamite) {}

#[dynamite::test]
async fn not_a_handle(db: String) {}

#[dynamite::test]
async fn two(db: dynamite::Dynamite, other: dynamite::Dynamite) {}

fn main() {}
