//! The model of the marshalling micro benchmarks, and the two codecs it is
//! compared with: hand-written `AttributeValue` code and `serde_dynamo`.
//!
//! All three produce the same item (a unit test checks it), so the
//! benchmark compares equal work.

use std::collections::HashMap;

use dynamite::Item;
use dynamite::prelude::*;
use serde::{Deserialize, Serialize};

/// Ten persisted fields: strings, numbers, a bool, an `Option`, a `Vec<String>`.
#[derive(Table, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    pub email: String,
    pub city: String,
    pub age: i64,
    pub visits: u32,
    pub score: f64,
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    pub tags: Vec<String>,
}

/// A typical row.
pub fn sample() -> Profile {
    Profile {
        id: "profile-000042".to_owned(),
        name: "Ada Lovelace".to_owned(),
        email: "ada@example.com".to_owned(),
        city: "London".to_owned(),
        age: 36,
        visits: 1_204,
        score: 98.25,
        active: true,
        nickname: Some("Enchantress of Numbers".to_owned()),
        tags: vec!["math".to_owned(), "engines".to_owned(), "poetry".to_owned()],
    }
}

/// The derived codec.
pub fn dynamite_to_item(p: &Profile) -> dynamite::Result<Item> {
    p.to_item()
}

/// The derived codec.
pub fn dynamite_from_item(item: Item) -> dynamite::Result<Profile> {
    Profile::from_item(item)
}

/// `serde_dynamo` on the same model.
pub fn serde_dynamo_to_item(p: &Profile) -> serde_dynamo::Result<Item> {
    serde_dynamo::to_item(p)
}

/// `serde_dynamo` on the same model.
pub fn serde_dynamo_from_item(item: Item) -> serde_dynamo::Result<Profile> {
    serde_dynamo::from_item(item)
}

/// Hand-written encoding, as one would write it against the SDK: clone the
/// strings, format the numbers, refuse non-finite floats.
pub fn hand_to_item(p: &Profile) -> Result<Item, String> {
    if !p.score.is_finite() {
        return Err(format!("score {} is not a DynamoDB number", p.score));
    }
    let mut item = HashMap::with_capacity(10);
    item.insert("id".to_owned(), AttributeValue::S(p.id.clone()));
    item.insert("name".to_owned(), AttributeValue::S(p.name.clone()));
    item.insert("email".to_owned(), AttributeValue::S(p.email.clone()));
    item.insert("city".to_owned(), AttributeValue::S(p.city.clone()));
    item.insert("age".to_owned(), AttributeValue::N(p.age.to_string()));
    item.insert("visits".to_owned(), AttributeValue::N(p.visits.to_string()));
    item.insert("score".to_owned(), AttributeValue::N(p.score.to_string()));
    item.insert("active".to_owned(), AttributeValue::Bool(p.active));
    if let Some(nickname) = &p.nickname {
        item.insert("nickname".to_owned(), AttributeValue::S(nickname.clone()));
    }
    item.insert(
        "tags".to_owned(),
        AttributeValue::L(p.tags.iter().cloned().map(AttributeValue::S).collect()),
    );
    Ok(item)
}

/// Hand-written item building, but each value converted by Dynamite's
/// `Attribute::to_stored` (the conversions the derived code calls), so the
/// difference to [`hand_to_item`] is the cost of the value conversions and
/// the difference to the derived `to_item` the cost of the derive's glue.
pub fn hand_to_item_via_attribute(p: &Profile) -> Result<Item, dynamite::ValueError> {
    fn put<T: Attribute>(
        item: &mut Item,
        name: &str,
        value: &T,
    ) -> Result<(), dynamite::ValueError> {
        if let Some(v) = value.to_stored()? {
            item.insert(name.to_owned(), v);
        }
        Ok(())
    }
    let mut item = HashMap::with_capacity(10);
    put(&mut item, "id", &p.id)?;
    put(&mut item, "name", &p.name)?;
    put(&mut item, "email", &p.email)?;
    put(&mut item, "city", &p.city)?;
    put(&mut item, "age", &p.age)?;
    put(&mut item, "visits", &p.visits)?;
    put(&mut item, "score", &p.score)?;
    put(&mut item, "active", &p.active)?;
    put(&mut item, "nickname", &p.nickname)?;
    put(&mut item, "tags", &p.tags)?;
    Ok(item)
}

fn take_s(item: &mut Item, name: &str) -> Result<String, String> {
    match item.remove(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        other => Err(format!("{name}: expected S, found {other:?}")),
    }
}

fn take_n<T: std::str::FromStr>(item: &mut Item, name: &str) -> Result<T, String> {
    match item.remove(name) {
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| format!("{name}: bad number {n}")),
        other => Err(format!("{name}: expected N, found {other:?}")),
    }
}

/// Hand-written decoding: take the item by value and move the strings out.
pub fn hand_from_item(mut item: Item) -> Result<Profile, String> {
    Ok(Profile {
        id: take_s(&mut item, "id")?,
        name: take_s(&mut item, "name")?,
        email: take_s(&mut item, "email")?,
        city: take_s(&mut item, "city")?,
        age: take_n(&mut item, "age")?,
        visits: take_n(&mut item, "visits")?,
        score: take_n(&mut item, "score")?,
        active: match item.remove("active") {
            Some(AttributeValue::Bool(b)) => b,
            other => return Err(format!("active: expected BOOL, found {other:?}")),
        },
        nickname: match item.remove("nickname") {
            None | Some(AttributeValue::Null(true)) => None,
            Some(AttributeValue::S(s)) => Some(s),
            Some(other) => return Err(format!("nickname: expected S, found {other:?}")),
        },
        tags: match item.remove("tags") {
            Some(AttributeValue::L(list)) => list
                .into_iter()
                .map(|v| match v {
                    AttributeValue::S(s) => Ok(s),
                    other => Err(format!("tags: expected S, found {other:?}")),
                })
                .collect::<Result<_, _>>()?,
            other => return Err(format!("tags: expected L, found {other:?}")),
        },
    })
}

fn borrow_s(item: &Item, name: &str) -> Result<String, String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        other => Err(format!("{name}: expected S, found {other:?}")),
    }
}

fn borrow_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, String> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().map_err(|_| format!("{name}: bad number {n}")),
        other => Err(format!("{name}: expected N, found {other:?}")),
    }
}

/// Hand-written decoding that reads each attribute through a reference and
/// clones it (what an `fn from_value(&AttributeValue)` API implies), then
/// drops the item: isolates the cost of not moving the strings out.
pub fn hand_from_item_cloning(item: Item) -> Result<Profile, String> {
    Ok(Profile {
        id: borrow_s(&item, "id")?,
        name: borrow_s(&item, "name")?,
        email: borrow_s(&item, "email")?,
        city: borrow_s(&item, "city")?,
        age: borrow_n(&item, "age")?,
        visits: borrow_n(&item, "visits")?,
        score: borrow_n(&item, "score")?,
        active: match item.get("active") {
            Some(AttributeValue::Bool(b)) => *b,
            other => return Err(format!("active: expected BOOL, found {other:?}")),
        },
        nickname: match item.get("nickname") {
            None | Some(AttributeValue::Null(true)) => None,
            Some(AttributeValue::S(s)) => Some(s.clone()),
            Some(other) => return Err(format!("nickname: expected S, found {other:?}")),
        },
        tags: match item.get("tags") {
            Some(AttributeValue::L(list)) => list
                .iter()
                .map(|v| match v {
                    AttributeValue::S(s) => Ok(s.clone()),
                    other => Err(format!("tags: expected S, found {other:?}")),
                })
                .collect::<Result<_, _>>()?,
            other => return Err(format!("tags: expected L, found {other:?}")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_codecs_write_the_same_item() {
        let p = sample();
        let derived = dynamite_to_item(&p).unwrap();
        assert_eq!(derived.len(), 10);
        assert_eq!(hand_to_item(&p).unwrap(), derived);
        assert_eq!(hand_to_item_via_attribute(&p).unwrap(), derived);
        assert_eq!(serde_dynamo_to_item(&p).unwrap(), derived);
    }

    #[test]
    fn the_three_codecs_read_the_same_model() {
        let item = dynamite_to_item(&sample()).unwrap();
        assert_eq!(dynamite_from_item(item.clone()).unwrap(), sample());
        assert_eq!(hand_from_item(item.clone()).unwrap(), sample());
        assert_eq!(hand_from_item_cloning(item.clone()).unwrap(), sample());
        assert_eq!(serde_dynamo_from_item(item).unwrap(), sample());
    }

    #[test]
    fn none_is_an_absent_attribute_for_all_three() {
        let p = Profile {
            nickname: None,
            ..sample()
        };
        let derived = dynamite_to_item(&p).unwrap();
        assert!(!derived.contains_key("nickname"));
        assert_eq!(hand_to_item(&p).unwrap(), derived);
        assert_eq!(serde_dynamo_to_item(&p).unwrap(), derived);
        assert_eq!(hand_from_item(derived.clone()).unwrap(), p);
        assert_eq!(serde_dynamo_from_item(derived).unwrap(), p);
    }
}
