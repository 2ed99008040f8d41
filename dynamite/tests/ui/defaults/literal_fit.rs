use dynamite::prelude::*;

// A literal default must fit its field's type; the error is on the literal.
#[derive(Table)]
struct Defaults {
    #[dynamite(primary_key)]
    id: String,
    #[dynamite(default = 1.5)]
    count: u32,
    #[dynamite(default = "x")]
    total: i64,
    #[dynamite(default = -1)]
    size: u64,
    #[dynamite(default = 256)]
    byte: u8,
    #[dynamite(default = -129)]
    small: Option<i8>,
    #[dynamite(default = 1u8)]
    ratio: f64,
    #[dynamite(default = 1.5f32)]
    weight: f64,
    #[dynamite(default = true)]
    score: Option<f64>,
    #[dynamite(default = 0)]
    name: String,
    #[dynamite(default = 'c')]
    label: Option<String>,
    #[dynamite(default = 0)]
    visible: bool,
    #[dynamite(default = "c")]
    grade: char,
    // These fit: an integer literal on a float is that number.
    #[dynamite(default = 0)]
    zero: f64,
    #[dynamite(default = -2)]
    minus: Option<f32>,
    #[dynamite(default = 255u8)]
    max: u8,
    #[dynamite(default = -128)]
    min: i8,
}

fn main() {}
