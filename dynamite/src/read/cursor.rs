//! Opaque cursors for `page()`, bound to the plan that made them.
//!
//! A cursor carries a fingerprint of its plan's structural signature
//! (table, access path, key list, filter, order, projection: everything
//! but the page size), so another query, even of the same table, refuses
//! it with [`Error::InvalidCursor`]. Decoding never panics and never trusts
//! a number: offsets and start keys are checked against the plan.
//!
//! Without secrets a cursor is base64 of JSON: anyone can read the key
//! attributes of the row it resumes after. With secrets
//! ([`crate::DynamiteBuilder::cursor_secrets`]) it is sealed: XChaCha20-
//! Poly1305 with a random nonce, the plan's signature as associated data,
//! so it shows nothing and cannot be altered or moved to another query.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::value::{AttributeValue, Item};

/// The shortest secret [`crate::DynamiteBuilder::cursor_secrets`] takes.
pub(crate) const MIN_SECRET_BYTES: usize = 32;
/// Marks a sealed cursor (a plain one is base64 of JSON: `ey...`).
const SEALED: &str = "s.";
const NONCE_BYTES: usize = 24;

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

/// A cursor is its string ([`Cursor::as_str`]), e.g. `"next": "eyJm..."`
/// in JSON, and reads back from any string (checked when used).
#[cfg(feature = "serde")]
impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer).map(Cursor)
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

/// Cursor secrets as given to the builder (never shown by `Debug`);
/// `None` when `cursor_secrets` was not called.
#[derive(Clone, Default)]
pub(crate) struct Secrets(Option<Vec<Vec<u8>>>);

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Secrets({} secret(s))",
            self.0.as_ref().map_or(0, Vec::len)
        )
    }
}

impl Secrets {
    pub(crate) fn new<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Secrets {
        Secrets(Some(
            secrets.into_iter().map(|s| s.as_ref().to_vec()).collect(),
        ))
    }

    /// The ciphers, or [`Error::Config`] for a secret too short or an
    /// empty list (a secrets manager that returned nothing must not give
    /// plain cursors: fail closed).
    pub(crate) fn keys(&self) -> Result<CursorKeys> {
        match &self.0 {
            None => Ok(CursorKeys::default()),
            Some(secrets) if secrets.is_empty() => Err(Error::Config(
                "`cursor_secrets` was given no secret: list at least one (32 random bytes or \
                 more), or do not call it for plain cursors"
                    .to_owned(),
            )),
            Some(secrets) => CursorKeys::from_secrets(secrets),
        }
    }
}

/// The ciphers of a handle's cursor secrets, current first.
#[derive(Clone, Default)]
pub(crate) struct CursorKeys(std::sync::Arc<Vec<XChaCha20Poly1305>>);

impl fmt::Debug for CursorKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CursorKeys({} secret(s))", self.0.len())
    }
}

impl CursorKeys {
    /// One cipher per secret (each of at least [`MIN_SECRET_BYTES`]
    /// bytes), keyed by SHA-256 of a domain label and the secret.
    pub(crate) fn from_secrets(secrets: &[Vec<u8>]) -> Result<CursorKeys> {
        let ciphers = secrets
            .iter()
            .map(|secret| {
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(Error::Config(format!(
                        "a cursor secret must be at least {MIN_SECRET_BYTES} bytes (random, \
                         e.g. 32 bytes from a secrets manager); one has {}",
                        secret.len()
                    )));
                }
                let mut hash = Sha256::new();
                hash.update(b"dynamite cursor key v1\0");
                hash.update(secret);
                let mut key = [0u8; 32];
                key.copy_from_slice(hash.finalize().as_slice());
                Ok(XChaCha20Poly1305::new(&key.into()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CursorKeys(std::sync::Arc::new(ciphers)))
    }

    /// No secret: cursors are plain.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Writes and reads the cursors of one plan.
pub(crate) struct Codec {
    signature: String,
    keys: CursorKeys,
}

impl Codec {
    /// The codec of the plan with this signature; with keys, cursors are
    /// sealed (and only sealed ones are read).
    pub(crate) fn new(signature: String, keys: CursorKeys) -> Codec {
        Codec { signature, keys }
    }

    /// Whether cursors are sealed (they may then hold positions of rows
    /// the caller did not receive).
    pub(crate) fn sealed(&self) -> bool {
        !self.keys.is_empty()
    }

    pub(crate) fn encode(&self, position: &Position) -> Result<Cursor> {
        let Some(cipher) = self.keys.0.first() else {
            return Cursor::encode(&self.signature, position);
        };
        let body = json!({ "p": position_json(position)? }).to_string();
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce)
            .map_err(|e| Error::InvalidRequest(format!("no randomness for a cursor nonce: {e}")))?;
        let nonce = XNonce::from(nonce);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: body.as_bytes(),
                    aad: self.signature.as_bytes(),
                },
            )
            .map_err(|_| Error::InvalidRequest("a cursor could not be sealed".to_owned()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(Cursor(format!("{SEALED}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    pub(crate) fn decode(&self, cursor: &Cursor) -> Result<Position> {
        let sealed = cursor.0.strip_prefix(SEALED);
        if self.keys.is_empty() {
            if sealed.is_some() {
                return Err(invalid(
                    "it is sealed, and this handle has no cursor secrets",
                ));
            }
            return cursor.decode(&self.signature);
        }
        let bytes = sealed
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .ok_or_else(|| invalid("not a sealed cursor (this handle has cursor secrets)"))?;
        if bytes.len() <= NONCE_BYTES {
            return Err(invalid("not a sealed cursor"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let mut nonce_bytes = [0u8; NONCE_BYTES];
        nonce_bytes.copy_from_slice(nonce);
        let nonce = XNonce::from(nonce_bytes);
        let payload = || Payload {
            msg: sealed,
            aad: self.signature.as_bytes(),
        };
        let body = self
            .keys
            .0
            .iter()
            .find_map(|cipher| cipher.decrypt(&nonce, payload()).ok())
            .ok_or_else(|| {
                invalid(
                    "it was made by another query, altered, or sealed under a secret no \
                     longer listed",
                )
            })?;
        let body: Value = serde_json::from_slice(&body).map_err(|_| invalid("not a cursor"))?;
        position_from_json(body.get("p").ok_or_else(|| invalid("no position"))?)
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
        let body = json!({ "f": fingerprint(signature), "p": position_json(position)? });
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
        position_from_json(body.get("p").ok_or_else(|| invalid("no position"))?)
    }
}

fn position_json(position: &Position) -> Result<Value> {
    Ok(match position {
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
    })
}

fn position_from_json(position: &Value) -> Result<Position> {
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

    #[test]
    fn sealed_cursors_round_trip_rotate_and_refuse_tampering() {
        let mut key = Item::new();
        key.insert("tenant".into(), AttributeValue::S("acme-secret".into()));
        let position = Position::After(key);
        let keys = |s: &[[u8; 32]]| {
            CursorKeys::from_secrets(&s.iter().map(|k| k.to_vec()).collect::<Vec<_>>()).unwrap()
        };
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let old = Codec::new("q".into(), keys(&[a]));
        let sealed = old.encode(&position).unwrap();
        assert!(!sealed.as_str().contains("acme"));
        assert_ne!(sealed, old.encode(&position).unwrap(), "random nonce");
        assert_eq!(old.decode(&sealed).unwrap(), position);
        // Rotated: the old secret still opens it.
        let rotated = Codec::new("q".into(), keys(&[b, a]));
        assert_eq!(rotated.decode(&sealed).unwrap(), position);
        // Dropped secret, other query, plain handle, plain cursor: refused.
        let refused = [
            Codec::new("q".into(), keys(&[b])).decode(&sealed),
            Codec::new("other".into(), keys(&[a])).decode(&sealed),
            Codec::new("q".into(), CursorKeys::default()).decode(&sealed),
            old.decode(&Cursor::encode("q", &position).unwrap()),
        ];
        for r in refused {
            assert!(r.unwrap_err().is_invalid_cursor());
        }
        let text = sealed.as_str();
        for at in 2..text.len() {
            let mut bytes = text.as_bytes().to_vec();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let forged = Cursor::parse(String::from_utf8(bytes).unwrap());
            assert!(old.decode(&forged).is_err());
        }
        assert!(CursorKeys::from_secrets(&[vec![0u8; 31]]).is_err());
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
