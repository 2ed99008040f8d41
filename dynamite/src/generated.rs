//! Items used by the code `#[derive(Table)]` and `#[derive(Attribute)]`
//! generate, in one place: the conversions of `to_item` / `from_item` /
//! `key_item`, the validators, and the `const` checks that turn a bad
//! declaration into a compile error. Not public API: mounted as the hidden
//! `dynamite::__private`, and may change in any release.

pub use crate::model::{
    AttributeMeta, IndexMeta, IndexTemplate, KeyMeta, Polymorphic, PolymorphicTarget, RelationKind,
    RelationMeta, SingleTable, TableMeta, Through,
};
pub use crate::testing::row_defaults::{
    FixtureJson, FixtureNoSerialize, FixtureRow, FixtureSerialize, FixtureValue,
};
pub use crate::value::{AttributeValue, Item, ScalarType, ValueError};
pub use std::collections::HashMap;
pub use std::result::Result;

use crate::error::{Error, Result as DynamiteResult};
use crate::model::{NotEmpty, decode_error};
use crate::value::{Attribute, is_empty_key_value};

/// Marks a create-builder field as set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Set;

/// Turns a value conversion error on the way in into [`Error::InvalidValue`].
pub fn encode_error(meta: &TableMeta, attribute: &str, error: ValueError) -> Error {
    Error::InvalidValue {
        attribute: format!("{}.{attribute}", meta.model),
        reason: error.to_string(),
    }
}

/// Reads one attribute out of an item (used by generated `from_item`).
#[inline]
pub fn read_attribute<T: Attribute>(
    meta: &TableMeta,
    item: &mut Item,
    name: &str,
) -> DynamiteResult<T> {
    T::from_stored_owned(item.remove(name)).map_err(|e| decode_error(meta, name, e))
}

/// Writes one attribute into an item (used by generated `to_item`).
#[inline]
pub fn write_attribute<T: Attribute>(
    meta: &TableMeta,
    item: &mut Item,
    name: &str,
    value: &T,
) -> DynamiteResult<()> {
    if let Some(v) = value.to_stored().map_err(|e| encode_error(meta, name, e))? {
        item.insert(name.to_owned(), v);
    }
    Ok(())
}

/// Reads the `ttl` attribute (epoch seconds) out of an item.
#[inline]
pub fn read_expiry<T: crate::ttl::Expiry>(
    meta: &TableMeta,
    item: &mut Item,
    name: &str,
) -> DynamiteResult<T> {
    crate::ttl::from_stored(item.remove(name).as_ref()).map_err(|e| decode_error(meta, name, e))
}

/// Writes the `ttl` attribute as epoch seconds (left out when `None`).
#[inline]
pub fn write_expiry<T: crate::ttl::Expiry>(
    meta: &TableMeta,
    item: &mut Item,
    name: &str,
    value: &T,
) -> DynamiteResult<()> {
    if let Some(v) = crate::ttl::to_stored(value).map_err(|e| encode_error(meta, name, e))? {
        item.insert(name.to_owned(), v);
    }
    Ok(())
}

/// Turns a validator's message into [`Error::Validation`] (generated code).
pub fn validation_error(meta: &TableMeta, field: &str, message: impl std::fmt::Display) -> Error {
    Error::Validation {
        model: meta.model.to_owned(),
        field: field.to_owned(),
        message: message.to_string(),
    }
}

/// Runs `not_empty` (generated code).
pub fn check_not_empty<T: NotEmpty>(
    meta: &TableMeta,
    field: &str,
    value: &T,
) -> DynamiteResult<()> {
    if value.is_empty_value() {
        Err(validation_error(meta, field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// Runs a `validate = path` function (generated code): `path(&value)`
/// returns `Result<(), E>` with any displayable `E`. The function may take
/// any borrowed form of the field (`&str` for a `String`, `&[T]` for a
/// `Vec<T>`, or `&FieldType` itself).
pub fn check_with<T, A, E>(
    meta: &TableMeta,
    field: &str,
    value: &T,
    validator: impl FnOnce(&A) -> std::result::Result<(), E>,
) -> DynamiteResult<()>
where
    T: std::borrow::Borrow<A>,
    A: ?Sized,
    E: std::fmt::Display,
{
    validator(value.borrow()).map_err(|e| validation_error(meta, field, e))
}

/// Decodes a value about to be written for validation (generated code).
pub fn decode_for_validation<T: Attribute>(
    meta: &TableMeta,
    name: &str,
    value: Option<&AttributeValue>,
) -> DynamiteResult<T> {
    T::from_stored(value).map_err(|e| decode_error(meta, name, e))
}

/// [`decode_for_validation`] for the `ttl` field (epoch seconds).
pub fn decode_expiry_for_validation<T: crate::ttl::Expiry>(
    meta: &TableMeta,
    name: &str,
    value: Option<&AttributeValue>,
) -> DynamiteResult<T> {
    crate::ttl::from_stored(value).map_err(|e| decode_error(meta, name, e))
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn find_attribute(meta: &TableMeta, field: &str) -> Option<&'static AttributeMeta> {
    let mut i = 0;
    while i < meta.attributes.len() {
        if str_eq(meta.attributes[i].field, field) {
            return Some(&meta.attributes[i]);
        }
        i += 1;
    }
    None
}

/// Compile-time check of a foreign key: `field` must be a persisted field
/// of `meta` with a key-able type (generated `const` assertions).
pub const fn check_foreign_key(meta: &TableMeta, field: &str) {
    match find_attribute(meta, field) {
        Some(a) => {
            if a.scalar.is_none() {
                panic!("the foreign key must be a string, number or binary field");
            }
        }
        None => panic!("the foreign key names no persisted field of the related model"),
    }
}

/// Compile-time check of a `belongs_to` local key: the primary key of the
/// related model, or an attribute it indexes.
pub const fn check_local_key(meta: &TableMeta, field: &str) {
    let Some(attribute) = find_attribute(meta, field) else {
        panic!("the local key names no persisted field of the related model");
    };
    if str_eq(attribute.name, meta.partition_key.name) {
        return;
    }
    let mut i = 0;
    while i < meta.indexes.len() {
        let index = &meta.indexes[i];
        if str_eq(index.partition_key.name, attribute.name) && index.more_partition_keys.is_empty()
        {
            return;
        }
        i += 1;
    }
    panic!("a belongs_to local key must be the related model's primary key or an indexed field");
}

/// Checks that a value is usable as a key (for `const` assertions in generated code).
pub const fn scalar_of(scalar: Option<ScalarType>) -> ScalarType {
    match scalar {
        Some(s) => s,
        None => panic!("a key attribute must be a string, number or binary type"),
    }
}

/// Adds one key part to a key item (generated `Table::key_item`). An empty
/// string or binary is [`Error::MissingKey`]; a value of another type than
/// the key schema's is [`Error::InvalidValue`]. Nothing is sent either way.
pub fn write_key_part<V: Attribute>(
    meta: &TableMeta,
    item: &mut Item,
    name: &'static str,
    value: &V,
) -> DynamiteResult<()> {
    let schema = std::iter::once(meta.partition_key)
        .chain(meta.sort_key)
        .find(|k| k.name == name);
    let invalid = |reason: String| Error::InvalidValue {
        attribute: format!("{}.{name}", meta.model),
        reason,
    };
    let value = value.to_value().map_err(|e| invalid(e.to_string()))?;
    if is_empty_key_value(&value) {
        return Err(Error::MissingKey {
            table: meta.table_name.to_owned(),
            attribute: name.to_owned(),
        });
    }
    let found = crate::value::type_name(&value);
    match schema {
        Some(key) if found == key.scalar.as_str() => {
            item.insert(name.to_owned(), value);
            Ok(())
        }
        Some(key) => Err(invalid(format!(
            "key type is {}, the key given is {found}",
            key.scalar.as_str()
        ))),
        None => Err(invalid("not a key attribute of the table".to_owned())),
    }
}

/// The key item of a shared-table model from the values of its key fields
/// (generated `key_item`): the rendered key attributes.
pub fn template_key_item(meta: &TableMeta, mut fields: Item) -> DynamiteResult<Item> {
    meta.render_keys(&mut fields)?;
    meta.key_of(&fields)
}

/// Decodes `item` as `T` when it is one of `T`'s live, unexpired items (generated
/// `Entities::decode`).
pub fn decode_as<T: crate::model::Table>(item: &Item) -> DynamiteResult<Option<T>> {
    if T::META.single_table.is_some() && T::META.is_visible(item) {
        T::from_item(item.clone()).map(Some)
    } else {
        Ok(None)
    }
}

/// The variant of an `#[derive(Entities)]` enum holding a `T` (used by a
/// polymorphic `belongs_to` to wrap the row it read).
pub trait Variant<T> {
    /// `T` as this variant.
    fn wrap(row: T) -> Self;
}

/// Decodes a polymorphic target's item as the enum variant holding it.
pub fn decode_variant<E: Variant<T>, T: crate::model::Table>(item: Item) -> DynamiteResult<E> {
    Ok(E::wrap(T::from_item(item)?))
}
