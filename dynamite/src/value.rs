//! Rust values <-> DynamoDB `AttributeValue`.
//!
//! [`Attribute`] is implemented for strings, every integer, floats, `bool`,
//! [`Bytes`], `Option<T>` (an absent attribute when `None`, NULL when
//! nested), `Vec<T>` (a list), sets (`SS` / `NS` / `BS`; an empty set is
//! absent, or NULL when nested), maps with string keys (every entry kept),
//! `SystemTime`, [`Sensitive<T>`], and behind features for `chrono`,
//! `time`, `uuid`, `rust_decimal` and `serde_json` types. Timestamps are
//! fixed-width RFC 3339 in UTC, so text order is time order. Nested structs
//! and enums get it from `#[derive(Attribute)]`; users may implement it for
//! their own types.
//!
//! ```
//! use dynamite::{Attribute, AttributeValue};
//! assert_eq!(42_i64.to_value().unwrap(), AttributeValue::N("42".into()));
//! assert_eq!(f64::from_value(&AttributeValue::N("1109.97".into())).unwrap(), 1109.97);
//! assert!(f64::NAN.to_value().is_err());
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::hash::Hash;

pub use aws_sdk_dynamodb::types::AttributeValue;

/// One stored item: attribute name -> value.
pub type Item = HashMap<String, AttributeValue>;

/// DynamoDB's limit on the size of one item.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// The scalar types DynamoDB accepts for key attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// String (`S`).
    S,
    /// Number (`N`).
    N,
    /// Binary (`B`).
    B,
}

impl ScalarType {
    /// The DynamoDB type letter.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

/// Why a value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// A required attribute is absent.
    Missing,
    /// The stored value has another DynamoDB type.
    WrongType {
        /// The DynamoDB type wanted.
        expected: &'static str,
        /// The DynamoDB type stored.
        found: &'static str,
    },
    /// A number that DynamoDB or the Rust type cannot represent.
    Number {
        /// The number, as text.
        value: String,
        /// Why it does not fit.
        reason: &'static str,
    },
    /// Any other invalid value.
    Invalid(String),
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Missing => f.write_str("attribute is missing"),
            ValueError::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ValueError::Number { value, reason } => write!(f, "number {value}: {reason}"),
            ValueError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ValueError {}

impl ValueError {
    /// A [`ValueError::WrongType`] for `found`.
    pub fn wrong_type(expected: &'static str, found: &AttributeValue) -> Self {
        ValueError::WrongType {
            expected,
            found: type_name(found),
        }
    }

    /// The same error without the value it was about (for a
    /// [`Sensitive`] attribute): numbers and messages read `***`.
    pub(crate) fn masked(self) -> ValueError {
        match self {
            ValueError::Number { reason, .. } => ValueError::Number {
                value: crate::mask::MASK.to_owned(),
                reason,
            },
            ValueError::Invalid(_) => {
                ValueError::Invalid(format!("{} is not a valid value", crate::mask::MASK))
            }
            other => other,
        }
    }

    /// The expected/found pair used by `Error::Decode`.
    pub fn expected_found(&self) -> (String, String) {
        match self {
            ValueError::Missing => ("a value".into(), "nothing (attribute missing)".into()),
            ValueError::WrongType { expected, found } => ((*expected).into(), (*found).into()),
            ValueError::Number { value, reason } => {
                ("a number".into(), format!("{value} ({reason})"))
            }
            ValueError::Invalid(m) => ("a valid value".into(), m.clone()),
        }
    }
}

/// The DynamoDB type letter(s) of a value, for error messages.
pub fn type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "unknown",
    }
}

/// A Rust type that can be stored as one DynamoDB attribute.
///
/// Implement [`to_value`](Attribute::to_value) and
/// [`from_value`](Attribute::from_value); set [`SCALAR`](Attribute::SCALAR)
/// when the type may be a key (string, number or binary).
pub trait Attribute: Sized {
    /// The key type of this Rust type, if it can be a key attribute.
    const SCALAR: Option<ScalarType> = None;

    /// Whether some value of this type is NULL in its nested form
    /// ([`to_value`](Attribute::to_value)): `Option`, sets (an empty set),
    /// JSON values. An `Option` of such a type stores `Some(empty)` as NULL
    /// and `None` as an absent attribute, so the two stay apart.
    const NULLABLE: bool = false;

    /// Whether values of this type are kept out of traces ([`Sensitive`]).
    const SENSITIVE: bool = false;

    /// Converts to a DynamoDB value. NaN, infinities and out-of-range numbers are errors.
    fn to_value(&self) -> Result<AttributeValue, ValueError>;

    /// Converts back from a stored value.
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError>;

    /// The value as stored in an item: `None` means "leave the attribute out"
    /// (`Option::None`, empty sets).
    fn to_stored(&self) -> Result<Option<AttributeValue>, ValueError> {
        self.to_value().map(Some)
    }

    /// Reads the attribute of a stored item, `None` when it is absent.
    fn from_stored(value: Option<&AttributeValue>) -> Result<Self, ValueError> {
        match value {
            Some(v) => Self::from_value(v),
            None => Err(ValueError::Missing),
        }
    }

    /// Reads an owned attribute of a stored item, `None` when absent.
    /// The default borrows; types that own heap data override it to move
    /// strings and collections out instead of copying them.
    #[inline]
    fn from_stored_owned(value: Option<AttributeValue>) -> Result<Self, ValueError> {
        Self::from_stored(value.as_ref())
    }

    /// Whether this value is the "no value" of an optional attribute.
    fn is_absent(&self) -> bool {
        false
    }
}

// ---------------------------------------------------------------- strings

impl Attribute for String {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    #[inline]
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::S(self.clone()))
    }
    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(s) => Ok(s.clone()),
            other => Err(ValueError::wrong_type("S", other)),
        }
    }
    #[inline]
    fn from_stored_owned(value: Option<AttributeValue>) -> Result<Self, ValueError> {
        match value {
            Some(AttributeValue::S(s)) => Ok(s),
            Some(other) => Err(ValueError::wrong_type("S", &other)),
            None => Err(ValueError::Missing),
        }
    }
}

impl Attribute for Box<str> {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::S(self.to_string()))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        String::from_value(value).map(String::into_boxed_str)
    }
}

impl Attribute for char {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::S(self.to_string()))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let s = String::from_value(value)?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(ValueError::Invalid(format!(
                "expected one character, found {s:?}"
            ))),
        }
    }
}

impl Attribute for bool {
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::Bool(*self))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Bool(b) => Ok(*b),
            other => Err(ValueError::wrong_type("BOOL", other)),
        }
    }
}

// ---------------------------------------------------------------- numbers

/// Largest magnitude DynamoDB stores (just under 1E+126).
const MAX_MAGNITUDE: f64 = 1e126;
/// Smallest non-zero magnitude DynamoDB stores.
const MIN_MAGNITUDE: f64 = 1e-130;

/// Formats a finite float as a DynamoDB number (shortest exact representation).
pub(crate) fn format_float(value: f64, shortest: String) -> Result<String, ValueError> {
    if !value.is_finite() {
        return Err(ValueError::Number {
            value: shortest,
            reason: "NaN and infinities cannot be stored in DynamoDB",
        });
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(MIN_MAGNITUDE..MAX_MAGNITUDE).contains(&magnitude) {
        return Err(ValueError::Number {
            value: shortest,
            reason: "out of DynamoDB's range (1E-130 to 9.99E+125)",
        });
    }
    Ok(shortest)
}

/// The number text, or why DynamoDB would refuse it (see `number`).
fn check_number(text: String) -> Result<String, ValueError> {
    match crate::number::refusal(&text) {
        None => Ok(text),
        Some(reason) => Err(ValueError::Number {
            value: text,
            reason,
        }),
    }
}

fn number_text(value: &AttributeValue) -> Result<&str, ValueError> {
    match value {
        AttributeValue::N(n) => Ok(n),
        other => Err(ValueError::wrong_type("N", other)),
    }
}

macro_rules! integer_attribute {
    ($($t:ty),*) => {$(
        impl Attribute for $t {
            const SCALAR: Option<ScalarType> = Some(ScalarType::N);
            #[inline]
            fn to_value(&self) -> Result<AttributeValue, ValueError> {
                if <$t>::BITS <= 64 {
                    // At most 20 digits: always within DynamoDB's 38.
                    Ok(AttributeValue::N(self.to_string()))
                } else {
                    check_number(self.to_string()).map(AttributeValue::N)
                }
            }
            #[inline]
            fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
                let text = number_text(value)?;
                parse_integer::<$t>(text)
            }
        }
    )*};
}

fn parse_integer<T: std::str::FromStr>(text: &str) -> Result<T, ValueError> {
    if let Ok(v) = text.parse::<T>() {
        return Ok(v);
    }
    // DynamoDB may normalise an integer into exponent form ("1E+2") or with a
    // fractional ".0": accept those when the value is integral.
    let error = |reason| ValueError::Number {
        value: text.to_owned(),
        reason,
    };
    let number = crate::number::Decimal::parse(text).ok_or_else(|| error("not a number"))?;
    if !number.is_integer() {
        return Err(error("not an integer"));
    }
    // No Rust integer has more than 39 digits: a longer one is out of range
    // without writing it out (`1E+2147483647` would be 2 GB of zeros).
    number
        .integer_text(40)
        .and_then(|digits| digits.parse::<T>().ok())
        .ok_or_else(|| error("out of range for the Rust integer type"))
}

integer_attribute!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl Attribute for f64 {
    const SCALAR: Option<ScalarType> = Some(ScalarType::N);
    #[inline]
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        let shortest = if self.abs() >= 1e21 || (self.abs() < 1e-7 && *self != 0.0) {
            format!("{self:e}")
        } else {
            format!("{self}")
        };
        format_float(*self, shortest).map(AttributeValue::N)
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let text = number_text(value)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(ValueError::Number {
                value: text.to_owned(),
                reason: "not a finite f64",
            }),
        }
    }
}

impl Attribute for f32 {
    const SCALAR: Option<ScalarType> = Some(ScalarType::N);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        let shortest = if self.abs() >= 1e21 || (self.abs() < 1e-7 && *self != 0.0) {
            format!("{self:e}")
        } else {
            format!("{self}")
        };
        format_float(f64::from(*self), shortest).map(AttributeValue::N)
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let text = number_text(value)?;
        match text.parse::<f32>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(ValueError::Number {
                value: text.to_owned(),
                reason: "not a finite f32",
            }),
        }
    }
}

// ---------------------------------------------------------------- bytes

/// Binary data stored as `B`.
///
/// A newtype because `Vec<u8>` is a `Vec<T>` and is stored as a list.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Self {
        Bytes(v.to_vec())
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Attribute for Bytes {
    const SCALAR: Option<ScalarType> = Some(ScalarType::B);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
            self.0.clone(),
        )))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(b) => Ok(Bytes(b.as_ref().to_vec())),
            other => Err(ValueError::wrong_type("B", other)),
        }
    }
}

// ---------------------------------------------------------------- wrappers

/// `None` is an absent attribute (NULL inside a list, a map or an enum
/// variant). When `T` has a NULL value of its own (`Option<Option<U>>`,
/// `Option<HashSet<U>>`), `Some` of it is stored as NULL, so an attribute
/// keeps `Some(None)` / `Some(empty set)` apart from `None`; nested in a list
/// or map, where NULL is the only "nothing", such a value is a
/// [`ValueError`] before anything is sent rather than a silent `None`.
impl<T: Attribute> Attribute for Option<T> {
    const SCALAR: Option<ScalarType> = T::SCALAR;
    const NULLABLE: bool = true;
    const SENSITIVE: bool = T::SENSITIVE;
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        match self {
            Some(v) => match v.to_value()? {
                AttributeValue::Null(_) => Err(ValueError::Invalid(
                    "`Some` of an empty value (`Some(None)`, `Some` of an empty set) inside \
                     a list, a map or an enum variant would read back as `None`"
                        .to_owned(),
                )),
                value => Ok(value),
            },
            None => Ok(AttributeValue::Null(true)),
        }
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
    fn to_stored(&self) -> Result<Option<AttributeValue>, ValueError> {
        match self {
            Some(v) if T::NULLABLE => v.to_value().map(Some),
            Some(v) => v.to_stored(),
            None => Ok(None),
        }
    }
    fn from_stored(value: Option<&AttributeValue>) -> Result<Self, ValueError> {
        match value {
            None => Ok(None),
            Some(null @ AttributeValue::Null(_)) if T::NULLABLE => T::from_value(null).map(Some),
            Some(AttributeValue::Null(_)) => Ok(None),
            Some(v) => T::from_value(v).map(Some),
        }
    }
    #[inline]
    fn from_stored_owned(value: Option<AttributeValue>) -> Result<Self, ValueError> {
        match value {
            Some(AttributeValue::Null(_)) if T::NULLABLE => Self::from_stored(value.as_ref()),
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(v) => T::from_stored_owned(Some(v)).map(Some),
        }
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T: Attribute> Attribute for Box<T> {
    const SCALAR: Option<ScalarType> = T::SCALAR;
    const NULLABLE: bool = T::NULLABLE;
    const SENSITIVE: bool = T::SENSITIVE;
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        (**self).to_value()
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        T::from_value(value).map(Box::new)
    }
    fn to_stored(&self) -> Result<Option<AttributeValue>, ValueError> {
        (**self).to_stored()
    }
    fn from_stored(value: Option<&AttributeValue>) -> Result<Self, ValueError> {
        T::from_stored(value).map(Box::new)
    }
}

/// A value kept out of `Debug` output and tracing: it prints as `***`.
///
/// ```
/// use dynamite::Sensitive;
/// let token = Sensitive::new("s3cr3t".to_string());
/// assert_eq!(format!("{token:?}"), "***");
/// assert_eq!(token.expose(), "s3cr3t");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }
    /// The wrapped value.
    pub fn expose(&self) -> &T {
        &self.0
    }
    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Sensitive(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Conversion errors never quote the value (a number out of range, a
/// string a key template refuses): everything built from them is masked.
impl<T: Attribute> Attribute for Sensitive<T> {
    const SCALAR: Option<ScalarType> = T::SCALAR;
    const NULLABLE: bool = T::NULLABLE;
    const SENSITIVE: bool = true;
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        self.0.to_value().map_err(ValueError::masked)
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        T::from_value(value)
            .map(Sensitive)
            .map_err(ValueError::masked)
    }
    fn to_stored(&self) -> Result<Option<AttributeValue>, ValueError> {
        self.0.to_stored().map_err(ValueError::masked)
    }
    fn from_stored(value: Option<&AttributeValue>) -> Result<Self, ValueError> {
        T::from_stored(value)
            .map(Sensitive)
            .map_err(ValueError::masked)
    }
    fn is_absent(&self) -> bool {
        self.0.is_absent()
    }
}

// ---------------------------------------------------------------- collections

impl<T: Attribute> Attribute for Vec<T> {
    const SENSITIVE: bool = T::SENSITIVE;
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        self.iter()
            .map(Attribute::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map(AttributeValue::L)
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::L(items) => items.iter().map(T::from_value).collect(),
            other => Err(ValueError::wrong_type("L", other)),
        }
    }
    fn from_stored_owned(value: Option<AttributeValue>) -> Result<Self, ValueError> {
        match value {
            Some(AttributeValue::L(items)) => items
                .into_iter()
                .map(|v| match v {
                    AttributeValue::Null(_) => T::from_value(&v),
                    v => T::from_stored_owned(Some(v)),
                })
                .collect(),
            Some(other) => Err(ValueError::wrong_type("L", &other)),
            None => Err(ValueError::Missing),
        }
    }
}

fn map_to_value<'a, T: Attribute + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
) -> Result<AttributeValue, ValueError> {
    // Every entry is kept: `None` and empty sets as NULL (leaving them out
    // would drop the key).
    let mut map = HashMap::new();
    for (k, v) in entries {
        map.insert(k.clone(), v.to_value()?);
    }
    Ok(AttributeValue::M(map))
}

impl<T: Attribute> Attribute for HashMap<String, T> {
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        map_to_value(self.iter())
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::M(m) => m
                .iter()
                .map(|(k, v)| T::from_value(v).map(|v| (k.clone(), v)))
                .collect(),
            other => Err(ValueError::wrong_type("M", other)),
        }
    }
}

impl<T: Attribute> Attribute for BTreeMap<String, T> {
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        map_to_value(self.iter())
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        HashMap::<String, T>::from_value(value).map(|m| m.into_iter().collect())
    }
}

/// An element type of a DynamoDB set (`SS`, `NS` or `BS`).
pub trait SetElement: Attribute + Eq + Hash + Ord {}
impl SetElement for String {}
impl SetElement for Bytes {}
macro_rules! number_set_element { ($($t:ty),*) => {$( impl SetElement for $t {} )*}; }
number_set_element!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

fn set_to_value<'a, T: SetElement + 'a>(
    items: impl Iterator<Item = &'a T>,
) -> Result<AttributeValue, ValueError> {
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    let mut blobs = Vec::new();
    for item in items {
        match item.to_value()? {
            AttributeValue::S(s) => strings.push(s),
            AttributeValue::N(n) => numbers.push(n),
            AttributeValue::B(b) => blobs.push(b),
            other => return Err(ValueError::wrong_type("S, N or B set element", &other)),
        }
    }
    Ok(match T::SCALAR {
        Some(ScalarType::N) => AttributeValue::Ns(numbers),
        Some(ScalarType::B) => AttributeValue::Bs(blobs),
        _ => AttributeValue::Ss(strings),
    })
}

fn set_from_value<T: SetElement, C: FromIterator<T>>(
    value: &AttributeValue,
) -> Result<C, ValueError> {
    match value {
        AttributeValue::Ss(v) => v
            .iter()
            .map(|s| T::from_value(&AttributeValue::S(s.clone())))
            .collect(),
        AttributeValue::Ns(v) => v
            .iter()
            .map(|s| T::from_value(&AttributeValue::N(s.clone())))
            .collect(),
        AttributeValue::Bs(v) => v
            .iter()
            .map(|b| T::from_value(&AttributeValue::B(b.clone())))
            .collect(),
        other => Err(ValueError::wrong_type("SS, NS or BS", other)),
    }
}

macro_rules! set_attribute {
    ($set:ident) => {
        /// DynamoDB has no empty set: an empty set is an absent attribute
        /// (a model or struct field) or NULL (inside a list, a map or an
        /// enum variant); both read back as an empty set.
        impl<T: SetElement> Attribute for $set<T> {
            const NULLABLE: bool = true;
            fn to_value(&self) -> Result<AttributeValue, ValueError> {
                if self.is_empty() {
                    Ok(AttributeValue::Null(true))
                } else {
                    set_to_value(self.iter())
                }
            }
            fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
                match value {
                    AttributeValue::Null(_) => Ok(Self::new()),
                    v => set_from_value(v),
                }
            }
            fn to_stored(&self) -> Result<Option<AttributeValue>, ValueError> {
                if self.is_empty() {
                    Ok(None)
                } else {
                    self.to_value().map(Some)
                }
            }
            fn from_stored(value: Option<&AttributeValue>) -> Result<Self, ValueError> {
                match value {
                    None | Some(AttributeValue::Null(_)) => Ok(Self::new()),
                    Some(v) => Self::from_value(v),
                }
            }
        }
    };
}
set_attribute!(HashSet);
set_attribute!(BTreeSet);

// ---------------------------------------------------------------- features

#[cfg(feature = "json")]
impl Attribute for serde_json::Value {
    const NULLABLE: bool = true;
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        use serde_json::Value;
        Ok(match self {
            Value::Null => AttributeValue::Null(true),
            Value::Bool(b) => AttributeValue::Bool(*b),
            Value::Number(n) => AttributeValue::N(check_number(n.to_string())?),
            Value::String(s) => AttributeValue::S(s.clone()),
            Value::Array(a) => {
                AttributeValue::L(a.iter().map(|v| v.to_value()).collect::<Result<_, _>>()?)
            }
            Value::Object(o) => AttributeValue::M(
                o.iter()
                    .map(|(k, v)| v.to_value().map(|v| (k.clone(), v)))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        use serde_json::Value;
        Ok(match value {
            AttributeValue::Null(_) => Value::Null,
            AttributeValue::Bool(b) => Value::Bool(*b),
            AttributeValue::S(s) => Value::String(s.clone()),
            AttributeValue::N(n) => serde_json::from_str::<serde_json::Number>(n)
                .map(Value::Number)
                .map_err(|_| ValueError::Number {
                    value: n.clone(),
                    reason: "not a JSON number",
                })?,
            AttributeValue::L(l) => {
                Value::Array(l.iter().map(Value::from_value).collect::<Result<_, _>>()?)
            }
            AttributeValue::M(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Value::from_value(v).map(|v| (k.clone(), v)))
                    .collect::<Result<_, _>>()?,
            ),
            AttributeValue::Ss(v) => Value::Array(v.iter().cloned().map(Value::String).collect()),
            AttributeValue::Ns(v) => Value::Array(
                v.iter()
                    .map(|n| Value::from_value(&AttributeValue::N(n.clone())))
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(ValueError::wrong_type("a JSON-compatible value", other)),
        })
    }
}

#[cfg(feature = "uuid")]
impl Attribute for uuid::Uuid {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::S(self.to_string()))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let s = String::from_value(value)?;
        uuid::Uuid::parse_str(&s)
            .map_err(|e| ValueError::Invalid(format!("invalid UUID {s:?}: {e}")))
    }
}

#[cfg(feature = "decimal")]
impl Attribute for rust_decimal::Decimal {
    const SCALAR: Option<ScalarType> = Some(ScalarType::N);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::N(self.normalize().to_string()))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let text = number_text(value)?;
        text.parse::<rust_decimal::Decimal>()
            .or_else(|_| rust_decimal::Decimal::from_scientific(text))
            .map_err(|_| ValueError::Number {
                value: text.to_owned(),
                reason: "not representable as a Decimal",
            })
    }
}

#[cfg(feature = "chrono")]
impl Attribute for chrono::DateTime<chrono::Utc> {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    /// Fixed-width UTC with nine fraction digits (see `SystemTime`'s
    /// impl); years 0000-9999.
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        use chrono::Datelike;
        if !(0..=9999).contains(&self.year()) {
            return Err(timestamp_out_of_range());
        }
        // `%S` writes a leap second as `60`, which still sorts in place.
        Ok(AttributeValue::S(
            self.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        ))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let s = String::from_value(value)?;
        chrono::DateTime::parse_from_rfc3339(&s)
            .map(|d| d.with_timezone(&chrono::Utc))
            .map_err(|e| ValueError::Invalid(format!("invalid RFC 3339 timestamp {s:?}: {e}")))
    }
}

#[cfg(feature = "chrono")]
impl Attribute for chrono::NaiveDate {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        use chrono::Datelike;
        if !(0..=9999).contains(&self.year()) {
            return Err(timestamp_out_of_range());
        }
        Ok(AttributeValue::S(self.format("%Y-%m-%d").to_string()))
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let s = String::from_value(value)?;
        chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| ValueError::Invalid(format!("invalid date {s:?}: {e}")))
    }
}

#[cfg(feature = "time")]
impl Attribute for time::OffsetDateTime {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    /// Fixed-width UTC with nine fraction digits, whatever the offset
    /// (see `SystemTime`'s impl); reads back in UTC, the same instant.
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        let utc = self.to_offset(time::UtcOffset::UTC);
        crate::time::format_fixed_utc(utc.unix_timestamp(), utc.nanosecond())
            .map(AttributeValue::S)
            .ok_or_else(timestamp_out_of_range)
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let s = String::from_value(value)?;
        time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
            .map_err(|e| ValueError::Invalid(format!("invalid RFC 3339 timestamp {s:?}: {e}")))
    }
}

// ---------------------------------------------------------------- timestamps

fn timestamp_out_of_range() -> ValueError {
    ValueError::Invalid(
        "timestamps are stored as fixed-width RFC 3339 (so that text order is time order): \
         years 0000 to 9999 only"
            .to_owned(),
    )
}

/// Stored as RFC 3339 in UTC with nine fraction digits,
/// `2024-02-29T12:34:56.789000000Z`: always 30 characters, so text order is
/// time order (a sort key, `order`, `gt` work). Every timestamp type uses
/// this form; any RFC 3339 text (another fraction width, an offset) reads.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use dynamite::{Attribute, AttributeValue};
/// let t = UNIX_EPOCH + Duration::from_millis(1_500);
/// let stored = t.to_value().unwrap();
/// assert_eq!(stored, AttributeValue::S("1970-01-01T00:00:01.500000000Z".into()));
/// assert_eq!(std::time::SystemTime::from_value(&stored).unwrap(), t);
/// ```
impl Attribute for std::time::SystemTime {
    const SCALAR: Option<ScalarType> = Some(ScalarType::S);
    fn to_value(&self) -> Result<AttributeValue, ValueError> {
        use std::time::UNIX_EPOCH;
        let (secs, nanos) = match self.duration_since(UNIX_EPOCH) {
            Ok(after) => (i64::try_from(after.as_secs()).ok(), after.subsec_nanos()),
            Err(before) => {
                let before = before.duration();
                let secs = i64::try_from(before.as_secs()).ok().map(|s| -s);
                match before.subsec_nanos() {
                    0 => (secs, 0),
                    n => (secs.and_then(|s| s.checked_sub(1)), 1_000_000_000 - n),
                }
            }
        };
        secs.and_then(|secs| crate::time::format_fixed_utc(secs, nanos))
            .map(AttributeValue::S)
            .ok_or_else(timestamp_out_of_range)
    }
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        use std::time::{Duration, UNIX_EPOCH};
        let s = String::from_value(value)?;
        let invalid = || ValueError::Invalid(format!("invalid RFC 3339 timestamp {s:?}"));
        let (secs, nanos) = crate::time::parse_rfc3339(&s).ok_or_else(invalid)?;
        let time = if secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::new(secs.unsigned_abs(), nanos))
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(secs.unsigned_abs()))
                .and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nanos))))
        };
        time.ok_or_else(invalid)
    }
}

// ---------------------------------------------------------------- helpers

/// A short, stable description of a key for messages: `{id: "u-1", sk: 3}`.
///
/// It knows no table, so values of every attribute name some registered
/// model declares [`Sensitive`] (or renders a key from) read `***`.
pub fn describe_key(key: &Item) -> String {
    describe_key_by(key, crate::mask::is_masked_anywhere)
}

/// A key of `table` for messages: its sensitive values read `***`.
pub(crate) fn describe_key_in(table: &str, key: &Item) -> String {
    describe_key_by(key, |name| crate::mask::is_masked(table, name))
}

/// A key for messages, the values of attributes `hidden` names masked.
pub(crate) fn describe_key_by(key: &Item, hidden: impl Fn(&str) -> bool) -> String {
    let mut parts: Vec<_> = key
        .iter()
        .map(|(k, v)| {
            let value = if hidden(k) {
                crate::mask::MASK.to_owned()
            } else {
                describe_value(v)
            };
            format!("{k}: {value}")
        })
        .collect();
    parts.sort();
    format!("{{{}}}", parts.join(", "))
}

/// A short description of one value for messages and `explain()`.
pub(crate) fn describe_value(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("{s:?}"),
        AttributeValue::N(n) => n.clone(),
        AttributeValue::B(b) => format!("<{} bytes>", b.as_ref().len()),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null(_) => "null".to_owned(),
        other => type_name(other).to_owned(),
    }
}

/// The size DynamoDB charges for an item (attribute names plus values), in bytes.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn number_size(n: &str) -> usize {
    let digits = n.chars().filter(char::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

/// The size of one value, as [`item_size`] counts it.
pub(crate) fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

/// True when a key value is empty (an empty string or binary): DynamoDB rejects those.
pub(crate) fn is_empty_key_value(value: &AttributeValue) -> bool {
    match value {
        AttributeValue::S(s) => s.is_empty(),
        AttributeValue::B(b) => b.as_ref().is_empty(),
        AttributeValue::N(n) => n.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_accept_normalised_forms() {
        assert_eq!(
            i64::from_value(&AttributeValue::N("1E+2".into())).unwrap(),
            100
        );
        assert_eq!(
            i64::from_value(&AttributeValue::N("5.0".into())).unwrap(),
            5
        );
        assert!(i64::from_value(&AttributeValue::N("5.5".into())).is_err());
        assert!(u8::from_value(&AttributeValue::N("300".into())).is_err());
    }

    #[test]
    fn floats_reject_nan_and_out_of_range() {
        assert!(f64::NAN.to_value().is_err());
        assert!(f64::INFINITY.to_value().is_err());
        assert!(1e200_f64.to_value().is_err());
        assert!(1e-200_f64.to_value().is_err());
        assert_eq!(0.0_f64.to_value().unwrap(), AttributeValue::N("0".into()));
        assert_eq!(
            1e100_f64.to_value().unwrap(),
            AttributeValue::N("1e100".into())
        );
    }

    #[test]
    fn huge_integers_over_38_digits_are_rejected() {
        assert!(u128::MAX.to_value().is_err());
        assert!(10_u128.pow(37).to_value().is_ok());
        // Trailing zeros are not significant digits.
        assert!(10_u128.pow(38).to_value().is_ok());
        assert_eq!(
            u128::from_value(&10_u128.pow(38).to_value().unwrap()).unwrap(),
            10_u128.pow(38)
        );
    }

    #[test]
    fn huge_exponents_are_errors_not_panics_or_allocations() {
        for text in [
            "1E+2147483647",
            "1E+9223372036854775807",
            "-1e99999",
            "1E-2147483648",
        ] {
            let n = AttributeValue::N(text.into());
            assert!(i64::from_value(&n).is_err(), "{text}");
            assert!(u128::from_value(&n).is_err(), "{text}");
        }
        assert!(f64::from_value(&AttributeValue::N("1E+999".into())).is_err());
    }
}

#[cfg(all(
    test,
    feature = "chrono",
    feature = "time",
    feature = "uuid",
    feature = "decimal",
    feature = "json"
))]
mod feature_tests {
    use super::*;

    #[allow(clippy::unwrap_used)]
    fn round_trip<T: Attribute + PartialEq + std::fmt::Debug>(value: T) {
        let stored = value.to_value().unwrap();
        assert_eq!(T::from_value(&stored).unwrap(), value, "{stored:?}");
    }

    #[test]
    fn feature_types_round_trip() {
        use std::str::FromStr;
        round_trip(
            chrono::DateTime::parse_from_rfc3339("2024-02-29T12:34:56.789Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
        );
        round_trip(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        round_trip(time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap());
        round_trip(uuid::Uuid::now_v7());
        round_trip(rust_decimal::Decimal::from_str("1234.5678").unwrap());
        round_trip(serde_json::json!({"a": [1, "two", true, null], "b": {"c": 1.5}}));
        assert_eq!(<uuid::Uuid as Attribute>::SCALAR, Some(ScalarType::S));
        assert_eq!(
            <rust_decimal::Decimal as Attribute>::SCALAR,
            Some(ScalarType::N)
        );
        assert!(chrono::NaiveDate::from_value(&AttributeValue::S("not a date".into())).is_err());
    }
}
