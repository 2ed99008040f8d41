//! Opaque cursors for `page()`, bound to the plan that made them.
//!
//! A cursor carries a fingerprint of its plan's signature (table, access
//! path, key list, filter, order, projection: everything but the page
//! size), so another query, even of the same table, refuses it with
//! [`Error::InvalidCursor`]. Decoding never panics and never trusts a
//! number: offsets are checked against the plan.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::value::{AttributeValue, Item};

/// Where the next (or previous) page starts: the direction is part of the
/// cursor, so either one goes back to the same `page()` call. Opaque: store it as a string with
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

/// Where one partition of a multi-partition read stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PartitionPosition {
    Start,
    After(Item),
    Done,
}

/// The decoded position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Position {
    /// Resume after this key (ExclusiveStartKey) of a Query or Scan.
    After(Item),
    /// Resume at this offset of a key list.
    Offset(usize),
    /// One position per partition of a multi-partition read.
    Partitions(Vec<PartitionPosition>),
    /// Resume after this row of a read sorted in memory (the sort
    /// attribute and the key; an absent sort attribute is left out).
    Sorted(Item),
    /// The page ending just before this key of a Query (read backward).
    Before(Item),
    /// The page ending just before this offset of a key list.
    BeforeOffset(usize),
    /// The page ending just before this row of a read sorted in memory.
    SortedBefore(Item),
    /// The page ending just before this key of partition `n` of a
    /// multi-partition read (`None`: after the partition's last row).
    PartitionsBefore(usize, Option<Item>),
    /// The first page (after reading backward found nothing before).
    Start,
    /// The last page of a Query or a read sorted in memory (before the
    /// empty page that follows it).
    End,
}

/// FNV-1a, 64 bits: a stable fingerprint (the same in every build).
pub(crate) fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn invalid(reason: &str) -> Error {
    Error::InvalidCursor {
        reason: reason.to_owned(),
    }
}

fn encode_value(value: &AttributeValue) -> Result<Value> {
    use AttributeValue as V;
    let strings = |v: &[String]| json!(v);
    Ok(match value {
        V::S(s) => json!({ "S": s }),
        V::N(n) => json!({ "N": n }),
        V::B(b) => json!({ "B": URL_SAFE_NO_PAD.encode(b.as_ref()) }),
        V::Bool(b) => json!({ "BOOL": b }),
        V::Null(_) => json!({ "NULL": true }),
        V::Ss(s) => json!({ "SS": strings(s) }),
        V::Ns(s) => json!({ "NS": strings(s) }),
        V::Bs(s) => json!({
            "BS": s.iter().map(|b| URL_SAFE_NO_PAD.encode(b.as_ref())).collect::<Vec<_>>()
        }),
        V::L(l) => json!({ "L": l.iter().map(encode_value).collect::<Result<Vec<_>>>()? }),
        V::M(m) => json!({ "M": encode_item(m)? }),
        other => {
            return Err(Error::InvalidRequest(format!(
                "a cursor cannot hold a value of type {}",
                crate::value::type_name(other)
            )));
        }
    })
}

fn encode_item(item: &Item) -> Result<Value> {
    let mut map = Map::new();
    for (name, value) in item {
        map.insert(name.clone(), encode_value(value)?);
    }
    Ok(Value::Object(map))
}

fn decode_value(value: &Value) -> Result<AttributeValue> {
    use AttributeValue as V;
    let object = value.as_object().ok_or_else(|| invalid("bad value"))?;
    let (kind, body) = object.iter().next().ok_or_else(|| invalid("bad value"))?;
    let text = || {
        body.as_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid("bad value"))
    };
    let blob = |t: &str| {
        URL_SAFE_NO_PAD
            .decode(t)
            .map(aws_sdk_dynamodb::primitives::Blob::new)
            .map_err(|_| invalid("bad binary value"))
    };
    let texts = || {
        body.as_array()
            .ok_or_else(|| invalid("bad set"))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid("bad set"))
            })
            .collect::<Result<Vec<_>>>()
    };
    Ok(match kind.as_str() {
        "S" => V::S(text()?),
        "N" => V::N(text()?),
        "B" => V::B(blob(&text()?)?),
        "BOOL" => V::Bool(body.as_bool().ok_or_else(|| invalid("bad value"))?),
        "NULL" => V::Null(true),
        "SS" => V::Ss(texts()?),
        "NS" => V::Ns(texts()?),
        "BS" => V::Bs(texts()?.iter().map(|t| blob(t)).collect::<Result<_>>()?),
        "L" => V::L(
            body.as_array()
                .ok_or_else(|| invalid("bad list"))?
                .iter()
                .map(decode_value)
                .collect::<Result<_>>()?,
        ),
        "M" => V::M(decode_item(body)?),
        _ => return Err(invalid("bad value type")),
    })
}

fn decode_item(value: &Value) -> Result<Item> {
    value
        .as_object()
        .ok_or_else(|| invalid("bad key"))?
        .iter()
        .map(|(k, v)| Ok((k.clone(), decode_value(v)?)))
        .collect()
}

/// Writes and reads the cursors of one plan.
pub(crate) struct Codec {
    signature: String,
}

impl Codec {
    /// The codec of the plan with this signature.
    pub(crate) fn new(signature: String) -> Codec {
        Codec { signature }
    }

    pub(crate) fn encode(&self, position: &Position) -> Result<Cursor> {
        Cursor::encode(&self.signature, position)
    }

    pub(crate) fn decode(&self, cursor: &Cursor) -> Result<Position> {
        cursor.decode(&self.signature)
    }
}

impl Cursor {
    /// The cursor as a URL-safe string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads a cursor back from [`Cursor::as_str`]. Validated when used:
    /// a cursor of another query is [`Error::InvalidCursor`].
    pub fn parse(text: impl Into<String>) -> Cursor {
        Cursor(text.into())
    }

    pub(crate) fn encode(signature: &str, position: &Position) -> Result<Cursor> {
        let position = match position {
            Position::Offset(n) => json!({ "o": n }),
            Position::After(key) => json!({ "k": encode_item(key)? }),
            Position::Sorted(row) => json!({ "r": encode_item(row)? }),
            Position::Before(key) => json!({ "bk": encode_item(key)? }),
            Position::BeforeOffset(n) => json!({ "bo": n }),
            Position::SortedBefore(row) => json!({ "br": encode_item(row)? }),
            Position::PartitionsBefore(n, key) => json!({
                "bp": n,
                "bpk": key.as_ref().map(encode_item).transpose()?,
            }),
            Position::Start => json!({ "s": true }),
            Position::End => json!({ "e": true }),
            Position::Partitions(parts) => json!({
                "p": parts
                    .iter()
                    .map(|p| match p {
                        PartitionPosition::Start => Ok(json!("start")),
                        PartitionPosition::Done => Ok(json!("done")),
                        PartitionPosition::After(k) => encode_item(k),
                    })
                    .collect::<Result<Vec<_>>>()?
            }),
        };
        let body = json!({ "f": fingerprint(signature), "p": position });
        Ok(Cursor(URL_SAFE_NO_PAD.encode(body.to_string())))
    }

    pub(crate) fn decode(&self, signature: &str) -> Result<Position> {
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| invalid("not a cursor (not base64)"))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|_| invalid("not a cursor"))?;
        if body.get("f").and_then(Value::as_str) != Some(fingerprint(signature).as_str()) {
            return Err(invalid(
                "it was made by another query (a different table, filter, order, key list or projection)",
            ));
        }
        let position = body.get("p").ok_or_else(|| invalid("no position"))?;
        let offset = |n: &Value| {
            n.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| invalid("bad offset"))
        };
        if let Some(n) = position.get("o") {
            return Ok(Position::Offset(offset(n)?));
        }
        if let Some(n) = position.get("bo") {
            return Ok(Position::BeforeOffset(offset(n)?));
        }
        if let Some(n) = position.get("bp") {
            let key = match position.get("bpk") {
                None | Some(Value::Null) => None,
                Some(k) => Some(decode_item(k)?),
            };
            return Ok(Position::PartitionsBefore(offset(n)?, key));
        }
        if let Some(k) = position.get("k") {
            return Ok(Position::After(decode_item(k)?));
        }
        if let Some(k) = position.get("bk") {
            return Ok(Position::Before(decode_item(k)?));
        }
        if let Some(r) = position.get("r") {
            return Ok(Position::Sorted(decode_item(r)?));
        }
        if let Some(r) = position.get("br") {
            return Ok(Position::SortedBefore(decode_item(r)?));
        }
        if position.get("s").and_then(Value::as_bool) == Some(true) {
            return Ok(Position::Start);
        }
        if position.get("e").and_then(Value::as_bool) == Some(true) {
            return Ok(Position::End);
        }
        if let Some(parts) = position.get("p").and_then(Value::as_array) {
            return parts
                .iter()
                .map(|p| match p.as_str() {
                    Some("start") => Ok(PartitionPosition::Start),
                    Some("done") => Ok(PartitionPosition::Done),
                    Some(_) => Err(invalid("bad partition position")),
                    None => decode_item(p).map(PartitionPosition::After),
                })
                .collect::<Result<Vec<_>>>()
                .map(Position::Partitions);
        }
        Err(invalid("no position"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks_the_plan() {
        let mut key = Item::new();
        key.insert("id".into(), AttributeValue::S("a\"b".into()));
        key.insert("n".into(), AttributeValue::N("3".into()));
        let c = Cursor::encode("Scan users", &Position::After(key.clone())).unwrap();
        assert_eq!(
            Cursor::parse(c.as_str()).decode("Scan users").unwrap(),
            Position::After(key)
        );
        assert!(
            c.decode("Scan users filter x")
                .unwrap_err()
                .is_invalid_cursor()
        );
        assert!(
            Cursor::parse("garbage!")
                .decode("Scan users")
                .unwrap_err()
                .is_invalid_cursor()
        );
        assert!(Cursor::parse("").decode("Scan users").is_err());
    }

    #[test]
    fn forged_offsets_are_refused_not_trusted() {
        let forged =
            URL_SAFE_NO_PAD.encode(json!({ "f": fingerprint("q"), "p": { "o": -1 } }).to_string());
        assert!(Cursor::parse(forged).decode("q").is_err());
        let huge = URL_SAFE_NO_PAD.encode(format!(
            "{{\"f\":\"{}\",\"p\":{{\"o\":18446744073709551615}}}}",
            fingerprint("q")
        ));
        // Decodes (it is a number), and the reader checks it against the plan.
        assert!(matches!(
            Cursor::parse(huge).decode("q"),
            Ok(Position::Offset(_)) | Err(_)
        ));
    }

    #[test]
    fn backward_positions_round_trip() {
        let mut key = Item::new();
        key.insert("pk".into(), AttributeValue::S("a".into()));
        for p in [
            Position::Before(key.clone()),
            Position::BeforeOffset(3),
            Position::SortedBefore(key.clone()),
            Position::PartitionsBefore(2, Some(key)),
            Position::PartitionsBefore(0, None),
            Position::Start,
            Position::End,
        ] {
            let c = Cursor::encode("q", &p).unwrap();
            assert_eq!(c.decode("q").unwrap(), p);
            assert!(c.decode("other").unwrap_err().is_invalid_cursor());
        }
    }

    #[test]
    fn partition_positions_round_trip() {
        let mut key = Item::new();
        key.insert("pk".into(), AttributeValue::B(vec![0u8, 255].into()));
        let p = Position::Partitions(vec![
            PartitionPosition::Done,
            PartitionPosition::After(key),
            PartitionPosition::Start,
        ]);
        let c = Cursor::encode("q", &p).unwrap();
        assert_eq!(c.decode("q").unwrap(), p);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// Whatever the bytes, decoding answers (a position or
        /// `InvalidCursor`) and never panics.
        #[test]
        fn any_bytes_decode_without_panic(text in "\\PC{0,200}", raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = Cursor::parse(text).decode("q");
            let _ = Cursor::parse(URL_SAFE_NO_PAD.encode(&raw)).decode("q");
            let forged = format!("{{\"f\":\"{}\",\"p\":{}}}", fingerprint("q"), String::from_utf8_lossy(&raw));
            let _ = Cursor::parse(URL_SAFE_NO_PAD.encode(forged)).decode("q");
        }
    }
}
