//! Keys given by the caller: `"id"`, `42`, or `("pk", "sk")` for composite keys.

use crate::error::{Error, Result};
use crate::model::TableMeta;
use crate::value::{Attribute, AttributeValue, Item, ValueError, is_empty_key_value};

/// One key attribute value (a string, number or binary).
pub trait KeyPart: Send {
    /// The value as a DynamoDB attribute.
    fn key_value(&self) -> Result<AttributeValue, ValueError>;
}

impl<T: Attribute + Send> KeyPart for T {
    fn key_value(&self) -> Result<AttributeValue, ValueError> {
        self.to_value()
    }
}

impl KeyPart for &str {
    fn key_value(&self) -> Result<AttributeValue, ValueError> {
        Ok(AttributeValue::S((*self).to_owned()))
    }
}

/// A full primary key: one value for a partition-key-only table, a
/// `(partition, sort)` tuple for a composite key.
///
/// ```
/// use dynamite::Key;
/// let parts = ("user-1", 7).into_parts();
/// assert_eq!(parts.len(), 2);
/// ```
pub trait Key: Send {
    /// The key values, partition first.
    fn into_parts(self) -> Vec<Result<AttributeValue, ValueError>>;
}

impl<T: KeyPart> Key for T {
    fn into_parts(self) -> Vec<Result<AttributeValue, ValueError>> {
        vec![self.key_value()]
    }
}

impl<A: KeyPart, B: KeyPart> Key for (A, B) {
    fn into_parts(self) -> Vec<Result<AttributeValue, ValueError>> {
        vec![self.0.key_value(), self.1.key_value()]
    }
}

/// Checks a caller's key against the model's key schema and builds the key
/// item. A missing or empty part is [`Error::MissingKey`]; nothing is sent.
pub(crate) fn key_item(meta: &TableMeta, key: impl Key) -> Result<Item> {
    let mut parts = key.into_parts().into_iter();
    let mut item = Item::with_capacity(2);
    let schema = std::iter::once(meta.partition_key).chain(meta.sort_key);
    for attribute in schema {
        let missing = || Error::MissingKey {
            table: meta.table_name.to_owned(),
            attribute: attribute.name.to_owned(),
        };
        let value = parts
            .next()
            .ok_or_else(missing)?
            .map_err(|e| Error::InvalidValue {
                attribute: format!("{}.{}", meta.model, attribute.name),
                reason: e.to_string(),
            })?;
        if is_empty_key_value(&value) {
            return Err(missing());
        }
        let found = crate::value::type_name(&value);
        if found != attribute.scalar.as_str() {
            return Err(Error::InvalidValue {
                attribute: format!("{}.{}", meta.model, attribute.name),
                reason: format!(
                    "key type is {}, the key given is {found}",
                    attribute.scalar.as_str()
                ),
            });
        }
        item.insert(attribute.name.to_owned(), value);
    }
    if parts.next().is_some() {
        return Err(Error::Unsupported {
            model: meta.model,
            message: "the table has no sort key, but a (partition, sort) key was given".to_owned(),
        });
    }
    Ok(item)
}
