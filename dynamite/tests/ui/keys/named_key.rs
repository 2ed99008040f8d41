use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(table = "app", pk = "T#{tenant_id}", sk = "TASK#{project_id}#{id}")]
struct Task {
    tenant_id: String,
    project_id: String,
    id: String,
}

#[derive(Table)]
#[dynamite(table = "app", pk = "T#{tenant_id}", sk = "PROJECT#{id}")]
struct Project {
    tenant_id: String,
    id: String,
}

#[derive(Table)]
#[dynamite(table = "app", pk = "T#{tenant_id}", sk = "COMMENT#{project_id}#{id}")]
struct Comment {
    tenant_id: String,
    project_id: String,
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
    // A missing part: only the complete named key is a key.
    let _ = Task::get(db, Task::key().tenant_id("t").id("x")).await;
    // A part of the wrong type: a string for the numeric `seq`.
    let _ = Event::key().stream("s").seq("1");
    // A part set twice.
    let _ = Event::key().stream("s").stream("t");
    // Another model's named key, though its key has the same types.
    let _ = Comment::delete_key(db, Task::key().tenant_id("t").project_id("p").id("x")).await;
    // A two-part key for a three-part one.
    let _ = Task::get(db, Project::key().tenant_id("t").id("p")).await;
    // A tuple of two parts for a key of three fields.
    let _ = Task::update_key(("t", "x"));
}

fn main() {
    let _ = misuse;
}
