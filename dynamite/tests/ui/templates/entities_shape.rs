use dynamite::Entities;

#[derive(Entities)]
struct NotAnEnum {
    id: String,
}

#[derive(Entities)]
enum Shapes {
    Unit,
    Two(String, String),
    Named { id: String },
}

fn main() {}
