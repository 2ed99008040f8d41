// An expected version needs a `#[dynamite(version)]` field.
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
struct Note {
    #[dynamite(primary_key)]
    id: String,
    text: String,
}

async fn misuse(db: &Dynamite) {
    let _ = Note::update_key("n1").set(Note::TEXT, "x").expect_version(3u64);
    let _ = Note::delete_key_expecting(db, "n1", 3u64).await;
    let mut tx = db.transaction();
    tx.delete_key_expecting::<Note>("n1", 3u64);
}

fn main() {
    let _ = misuse;
}
