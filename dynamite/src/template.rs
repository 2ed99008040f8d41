//! Key templates of models sharing one table (single-table design):
//! `pk = "USER#{user_id}"`, `sk = "ORDER#{id}"`.
//!
//! A template is literal text and field references. It is rendered from
//! the stored values of those fields, so one renderer serves writes (the
//! item's own attributes), reads by key (the key's fields) and the planner
//! (the values a filter pins). The encodings keep text order equal to value
//! order and never let two different values render the same text (the
//! derive requires every field to be last or followed by `#`):
//!
//! - strings as they are, refused when they contain the separator `#`
//!   (text order is byte order; a string field followed by more of the
//!   template keeps field order except for values with a byte below `#`,
//!   that is a space, `!` or `"`: `"a!"` then sorts before `"a"`);
//! - unsigned integers zero-padded to the width of their type's maximum;
//! - signed integers shifted by half their range (`i64::MIN` renders as
//!   all zeros), then padded the same way;
//! - floats and binary are not allowed (a compile error in the derive).
//!
//! ```
//! use dynamite::template::{Encoding, Segment, render};
//! use dynamite::AttributeValue;
//! let sk = [
//!     Segment::Literal("ORDER#"),
//!     Segment::Field { attribute: "seq", encoding: Encoding::Unsigned { digits: 3 } },
//! ];
//! let item = [("seq".to_owned(), AttributeValue::N("7".into()))].into();
//! assert_eq!(render(&sk, &item).unwrap(), "ORDER#007");
//! ```

use crate::value::{AttributeValue, Item, ValueError};

/// The separator between a template's parts; refused inside string values.
pub const SEPARATOR: char = '#';

/// How a field's value is written into a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// A string, as it is (no separator inside).
    Text,
    /// An unsigned integer, zero-padded to `digits`.
    Unsigned {
        /// The number of digits of the type's maximum.
        digits: usize,
    },
    /// A signed integer of `bits` bits, shifted by `2^(bits-1)` and
    /// zero-padded, so negative numbers sort before positive ones.
    Signed {
        /// The integer type's width.
        bits: u32,
    },
}

/// One part of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// Literal text.
    Literal(&'static str),
    /// The stored value of a model attribute.
    Field {
        /// The stored attribute name.
        attribute: &'static str,
        /// How its value is written.
        encoding: Encoding,
    },
}

/// A type allowed in a key template: strings, integers, and other types
/// stored as strings. `#[derive(Table)]` requires it of every field a
/// template names.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a key template",
    label = "a key template field must be a string or an integer",
    note = "floats and binary have no order-preserving text form; keep them out of `pk` / `sk` templates"
)]
pub trait TemplateField {
    /// How values of this type are written into a key.
    const ENCODING: Encoding;
}

/// An optional field may only be in a GSI template: the index is sparse,
/// an item without the field is not in it.
impl<T: TemplateField> TemplateField for Option<T> {
    const ENCODING: Encoding = T::ENCODING;
}

/// A sensitive field may be part of a key: the rendered key attribute is
/// then masked in errors, `explain()` and spans like the field itself.
impl<T: TemplateField> TemplateField for crate::value::Sensitive<T> {
    const ENCODING: Encoding = T::ENCODING;
}

impl TemplateField for String {
    const ENCODING: Encoding = Encoding::Text;
}

macro_rules! unsigned_template_field {
    ($($t:ty),*) => {$(
        impl TemplateField for $t {
            const ENCODING: Encoding = Encoding::Unsigned { digits: <$t>::MAX.ilog10() as usize + 1 };
        }
    )*};
}
unsigned_template_field!(u8, u16, u32, u64, u128, usize);

macro_rules! signed_template_field {
    ($($t:ty),*) => {$(
        impl TemplateField for $t {
            const ENCODING: Encoding = Encoding::Signed { bits: <$t>::BITS };
        }
    )*};
}
signed_template_field!(i8, i16, i32, i64, i128, isize);

#[cfg(feature = "uuid")]
impl TemplateField for uuid::Uuid {
    const ENCODING: Encoding = Encoding::Text;
}

#[cfg(feature = "chrono")]
impl TemplateField for chrono::DateTime<chrono::Utc> {
    const ENCODING: Encoding = Encoding::Text;
}

#[cfg(feature = "chrono")]
impl TemplateField for chrono::NaiveDate {
    const ENCODING: Encoding = Encoding::Text;
}

impl TemplateField for std::time::SystemTime {
    const ENCODING: Encoding = Encoding::Text;
}

/// Renders `template` from the attributes of `item`. A missing field, a
/// string containing the separator, or a number the encoding cannot hold is
/// a [`ValueError`] naming the attribute.
pub fn render(template: &[Segment], item: &Item) -> Result<String, ValueError> {
    let mut out = String::new();
    for segment in template {
        match segment {
            Segment::Literal(text) => out.push_str(text),
            Segment::Field {
                attribute,
                encoding,
            } => {
                let value = item.get(*attribute).ok_or_else(|| {
                    ValueError::Invalid(format!("key field `{attribute}` has no value"))
                })?;
                render_value(*encoding, value, &mut out)
                    .map_err(|e| ValueError::Invalid(format!("key field `{attribute}`: {e}")))?;
            }
        }
    }
    Ok(out)
}

/// The attributes a template names, in order.
pub fn fields(template: &[Segment]) -> impl Iterator<Item = &'static str> + '_ {
    template.iter().filter_map(|s| match s {
        Segment::Field { attribute, .. } => Some(*attribute),
        Segment::Literal(_) => None,
    })
}

/// Renders `template` up to its first field `value_of` does not know:
/// the text, and whether every field was known. A known value the
/// encoding refuses is the error, naming the attribute.
pub(crate) fn render_prefix<'v>(
    template: &[Segment],
    mut value_of: impl FnMut(&str) -> Option<std::borrow::Cow<'v, AttributeValue>>,
) -> Result<(String, bool), (&'static str, ValueError)> {
    let mut text = String::new();
    for segment in template {
        match segment {
            Segment::Literal(literal) => text.push_str(literal),
            Segment::Field {
                attribute,
                encoding,
            } => match value_of(attribute) {
                Some(value) => {
                    render_value(*encoding, &value, &mut text).map_err(|e| (*attribute, e))?
                }
                None => return Ok((text, false)),
            },
        }
    }
    Ok((text, true))
}

/// The text [`render_prefix`] sends for `template` when the fields in
/// `bound` are known and no others, with `<field>` in place of each bound
/// value: what `explain()` shows of a prefix rendered per parent
/// (`TASK#<project_id>#`).
pub(crate) fn describe_prefix(template: &[Segment], bound: &[&str]) -> String {
    let mut text = String::new();
    for segment in template {
        match segment {
            Segment::Literal(literal) => text.push_str(literal),
            Segment::Field { attribute, .. } if bound.contains(attribute) => {
                text.push('<');
                text.push_str(attribute);
                text.push('>');
            }
            Segment::Field { .. } => break,
        }
    }
    text
}

/// Writes one field value with its encoding. Its errors never quote the
/// value (it may be [`Sensitive`](crate::Sensitive)): the caller names the
/// attribute.
pub(crate) fn render_value(
    encoding: Encoding,
    value: &AttributeValue,
    out: &mut String,
) -> Result<(), ValueError> {
    match (encoding, value) {
        (Encoding::Text, AttributeValue::S(s)) => {
            if s.contains(SEPARATOR) {
                return Err(ValueError::Invalid(format!(
                    "the value contains `{SEPARATOR}`, the key template separator"
                )));
            }
            out.push_str(s);
            Ok(())
        }
        (Encoding::Unsigned { digits }, AttributeValue::N(n)) => {
            let n: u128 = n.parse().map_err(|_| not_integer())?;
            out.push_str(&format!("{n:0digits$}"));
            Ok(())
        }
        (Encoding::Signed { bits }, AttributeValue::N(n)) => {
            let n: i128 = n.parse().map_err(|_| not_integer())?;
            let shifted = shift_signed(n, bits).ok_or_else(not_integer)?;
            let digits = unsigned_digits(bits);
            out.push_str(&format!("{shifted:0digits$}"));
            Ok(())
        }
        (Encoding::Text, other) => Err(ValueError::wrong_type("S", other)),
        (_, other) => Err(ValueError::wrong_type("N", other)),
    }
}

fn not_integer() -> ValueError {
    ValueError::Invalid("not an integer of the key field's type".to_owned())
}

/// `n + 2^(bits-1)`, as an unsigned number (`None` when `n` does not fit).
fn shift_signed(n: i128, bits: u32) -> Option<u128> {
    if bits == 128 {
        return Some((n as u128) ^ (1 << 127));
    }
    let half = 1_i128 << (bits - 1);
    if n < -half || n >= half {
        return None;
    }
    u128::try_from(n + half).ok()
}

/// The digits of the largest shifted value of a `bits`-bit signed integer.
fn unsigned_digits(bits: u32) -> usize {
    let max = if bits == 128 {
        u128::MAX
    } else {
        (1_u128 << bits) - 1
    };
    max.ilog10() as usize + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(encoding: Encoding, value: AttributeValue) -> Result<String, ValueError> {
        let mut out = String::new();
        render_value(encoding, &value, &mut out).map(|()| out)
    }

    #[test]
    fn integer_text_order_is_numeric_order() {
        let signed = Encoding::Signed { bits: 64 };
        let values = [i64::MIN, -1_000, -1, 0, 1, 9, 10, 1_000, i64::MAX];
        let texts: Vec<String> = values
            .iter()
            .map(|v| one(signed, AttributeValue::N(v.to_string())).unwrap())
            .collect();
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "{texts:?}");
        assert!(texts.iter().all(|t| t.len() == 20));
        let unsigned = <u32 as TemplateField>::ENCODING;
        assert_eq!(
            one(unsigned, AttributeValue::N("42".into())).unwrap(),
            "0000000042"
        );
        let wide = <i128 as TemplateField>::ENCODING;
        let lo = one(wide, AttributeValue::N(i128::MIN.to_string())).unwrap();
        let hi = one(wide, AttributeValue::N(i128::MAX.to_string())).unwrap();
        assert!(lo < hi && lo.len() == hi.len());
    }

    #[test]
    fn strings_with_the_separator_and_wrong_types_are_refused() {
        assert!(one(Encoding::Text, AttributeValue::S("a#b".into())).is_err());
        assert_eq!(
            one(Encoding::Text, AttributeValue::S("ü".into())).unwrap(),
            "ü"
        );
        assert!(one(Encoding::Text, AttributeValue::N("1".into())).is_err());
        let byte = <u8 as TemplateField>::ENCODING;
        assert!(one(byte, AttributeValue::N("1.5".into())).is_err());
        assert!(
            one(
                Encoding::Signed { bits: 8 },
                AttributeValue::N("128".into())
            )
            .is_err()
        );
    }
}
