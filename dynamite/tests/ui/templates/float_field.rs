use dynamite::prelude::*;

// Floats have no order-preserving text form: not allowed in a template.
#[derive(Table)]
#[dynamite(table = "shop", pk = "POINT#{x}", sk = "P")]
struct Point {
    x: f64,
}

fn main() {}
