use dynamite::prelude::*;

#[derive(Attribute, Debug, Clone, PartialEq)]
struct Score(f64);

// A type the derive does not know by name: the literal is typed as the
// field, so the mismatch is still reported on the literal.
#[derive(Table)]
struct Player {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(default = 0)]
    score: Score,
    #[dynamite(default = "x")]
    best: Option<Score>,
}

fn main() {}
