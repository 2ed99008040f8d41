//! Opaque cursors for `page()`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::value::{AttributeValue, Item};

/// Where the next page starts. Opaque: store it as a string with
/// [`Cursor::as_str`] and read it back with [`Cursor::parse`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.0)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The decoded position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Position {
    /// Resume after this key (ExclusiveStartKey).
    After(Item),
    /// Resume at this offset of a key list (BatchGetItem reads).
    Offset(usize),
}

impl Cursor {
    /// The cursor as a URL-safe string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads a cursor back from [`Cursor::as_str`]. Validated when used.
    pub fn parse(text: impl Into<String>) -> Cursor {
        Cursor(text.into())
    }

    pub(crate) fn encode(scope: &str, position: &Position) -> Result<Cursor> {
        let body = match position {
            Position::Offset(n) => json!({ "s": scope, "o": n }),
            Position::After(key) => {
                let mut map = Map::new();
                for (name, value) in key {
                    let v = match value {
                        AttributeValue::S(s) => json!(["S", s]),
                        AttributeValue::N(n) => json!(["N", n]),
                        AttributeValue::B(b) => json!(["B", URL_SAFE_NO_PAD.encode(b.as_ref())]),
                        other => {
                            return Err(Error::InvalidRequest(format!(
                                "key attribute {name} has non-key type {}",
                                crate::value::type_name(other)
                            )));
                        }
                    };
                    map.insert(name.clone(), v);
                }
                json!({ "s": scope, "k": map })
            }
        };
        Ok(Cursor(URL_SAFE_NO_PAD.encode(body.to_string())))
    }

    pub(crate) fn decode(&self, scope: &str) -> Result<Position> {
        let invalid = |why: &str| Error::InvalidRequest(format!("invalid cursor: {why}"));
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| invalid("not base64"))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|_| invalid("not a cursor"))?;
        if body.get("s").and_then(Value::as_str) != Some(scope) {
            return Err(invalid("it belongs to another query"));
        }
        if let Some(n) = body.get("o").and_then(Value::as_u64) {
            return Ok(Position::Offset(n as usize));
        }
        let keys = body
            .get("k")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no key"))?;
        let mut item = Item::new();
        for (name, v) in keys {
            let pair = v.as_array().ok_or_else(|| invalid("bad key value"))?;
            let (kind, text) = match (
                pair.first().and_then(Value::as_str),
                pair.get(1).and_then(Value::as_str),
            ) {
                (Some(k), Some(t)) => (k, t),
                _ => return Err(invalid("bad key value")),
            };
            let value = match kind {
                "S" => AttributeValue::S(text.to_owned()),
                "N" => AttributeValue::N(text.to_owned()),
                "B" => AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
                    URL_SAFE_NO_PAD
                        .decode(text)
                        .map_err(|_| invalid("bad binary key"))?,
                )),
                _ => return Err(invalid("bad key type")),
            };
            item.insert(name.clone(), value);
        }
        Ok(Position::After(item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks_scope() {
        let mut key = Item::new();
        key.insert("id".into(), AttributeValue::S("a\"b".into()));
        key.insert("n".into(), AttributeValue::N("3".into()));
        let c = Cursor::encode("users", &Position::After(key.clone())).unwrap();
        assert_eq!(
            Cursor::parse(c.as_str()).decode("users").unwrap(),
            Position::After(key)
        );
        assert!(c.decode("orders").is_err());
        assert!(Cursor::parse("garbage!").decode("users").is_err());
    }
}
