use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
struct Task {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index)]
    owner: String,
}

#[derive(Table, Debug, Clone)]
struct Note {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(index)]
    owner: String,
}

fn main() {
    // An index of another model does not type-check.
    let _ = Task::query().index(Note::OWNER_INDEX);
}
