//! Hand decoding: attributes moved out of the items the SDK returned.

use dynamite::sdk::types::AttributeValue;

use super::sdk::Item;
use crate::workload::BenchResult;

fn missing(name: &str) -> String {
    format!("attribute `{name}` is missing or of another type")
}

/// Moves string attribute `name` out of `item`.
pub fn string(item: &mut Item, name: &str) -> BenchResult<String> {
    match item.remove(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        _ => Err(missing(name)),
    }
}

/// String attribute `name` of `item`, borrowed.
pub fn str_of<'a>(item: &'a Item, name: &str) -> BenchResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        _ => Err(missing(name)),
    }
}

fn number<T: std::str::FromStr>(item: &Item, name: &str) -> BenchResult<T> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| missing(name)),
        _ => Err(missing(name)),
    }
}

/// Number attribute `name` of `item` as `f64`.
pub fn float(item: &Item, name: &str) -> BenchResult<f64> {
    number(item, name)
}

/// Number attribute `name` of `item` as `i64`.
pub fn int(item: &Item, name: &str) -> BenchResult<i64> {
    number(item, name)
}

/// A key of string attributes.
pub fn key<const N: usize>(parts: [(&str, String); N]) -> Item {
    parts
        .into_iter()
        .map(|(name, value)| (name.to_owned(), AttributeValue::S(value)))
        .collect()
}

/// A string value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}
