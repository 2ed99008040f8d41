use dynamite::prelude::*;

#[derive(Table)]
struct User {
    #[dynamite(primary_key)]
    id: String,
}

#[derive(Table)]
struct Event {
    #[dynamite(primary_key)]
    stream: String,
    #[dynamite(sort_key)]
    seq: i64,
}

async fn misuse(db: &Dynamite) {
    // A number for a `String` key.
    let _ = User::get(db, 42).await;
    // A partition-only key for a composite table.
    let _ = Event::delete_key(db, "s").await;
    // Three parts for a two-part key.
    let _ = Event::update_key(("s", 1, 2));
    // A string for a numeric sort key.
    let _ = Event::get_many(db, [("s", "1")]).await;
    // A `User` key for an `Event` in a transaction.
    let mut tx = db.transaction();
    tx.delete_key::<Event>(String::from("s"));
}

fn main() {
    let _ = misuse;
}
