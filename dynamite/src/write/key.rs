//! Typed keys: every model's [`Table::Key`](crate::Table::Key) and the
//! forms a caller may pass for it ([`IntoKey`]).
//!
//! `#[derive(Table)]` sets `Key` to the key field's type (`String`, `u64`,
//! a custom key type) or a tuple of the key fields' types (`(String, i64)`).
//! Reads and writes by key take `impl IntoKey<T::Key, T::KeyFields>`, so a
//! wrong type or a wrong number of parts is a compile error that names the
//! model's key fields in order:
//!
//! ```
//! use dynamite::IntoKey;
//! // `&str` for a `String` key, integer literals infer the key's integer type.
//! let key: (String, u64) = IntoKey::<(String, u64)>::into_key(("user-1", 7));
//! assert_eq!(key, ("user-1".to_owned(), 7));
//! ```
//!
//! ```compile_fail
//! use dynamite::IntoKey;
//! // A number is not a `String` key.
//! let key: String = IntoKey::<String>::into_key(42);
//! ```
//!
//! ```compile_fail
//! use dynamite::IntoKey;
//! // Two parts for a one-part key.
//! let key: String = IntoKey::<String>::into_key(("user-1", 7));
//! ```
//!
//! A model whose key has several parts also has a named form that cannot
//! swap them: `Task::key().tenant_id("t").id("x")`, accepted wherever a
//! key is (see [Named keys](crate::guide::single_table#named-keys)).

use std::borrow::Cow;

use crate::error::Result;
use crate::value::{Attribute, Item};

/// A value that converts into the key type `K` of a model: the key itself,
/// a reference to it, `&str` / `&String` / `Cow<str>` for `String` parts,
/// tuples of such parts for keys of several fields (up to six), and the
/// named key builder of a model with several key fields
/// (`Task::key().tenant_id(..).id(..)`).
///
/// `F` names the model's key fields ([`Table::KeyFields`](crate::Table::KeyFields)):
/// reads and writes require `IntoKey<T::Key, T::KeyFields>`, so a wrong key
/// is a compile error that lists the fields in order. Every form above
/// converts for any `F`, except a model's key builder, which converts only
/// for its own model (and for `F = ()`). An implementation of your own
/// should be generic over `F` too: `impl<F> IntoKey<String, F> for MyId`.
///
/// Each key type has exactly one integer impl (its own), so an integer
/// literal takes the type of the key part it stands for.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a key of this model, whose key is `{K}` (key fields `{F}`)",
    label = "expected the key `{K}`, or parts converting to it",
    note = "a key is the key field's value (`&str` for a `String` key), a tuple of the key fields' values in the order above, or the model's named key `Model::key().<field>(..)..`"
)]
pub trait IntoKey<K, F = ()>: Send {
    /// The key.
    fn into_key(self) -> K;
}

/// One part of a key: a value converting into the key field's type `K`
/// (the value itself, a reference to it, `&str` / `Cow<str>` for a
/// `String` field). The parts of a key tuple and the setters of a key
/// builder take it.
///
/// ```
/// use dynamite::KeyPart;
/// let part: String = "tenant-1".into_part();
/// assert_eq!(part, "tenant-1");
/// let seq: i64 = 7.into_part(); // an integer literal takes the field's type
/// assert_eq!(seq, 7);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a key part of type `{K}`",
    label = "expected `{K}`, or a value converting to it",
    note = "a key part is the key field's value (`&str` for a `String` field)"
)]
pub trait KeyPart<K>: Send {
    /// The part.
    fn into_part(self) -> K;
}

macro_rules! scalar_keys {
    ($($trait:ident :: $method:ident [$($f:ident)?]),+) => {$(
        impl<T: Attribute + Send $(, $f)?> $trait<T $(, $f)?> for T {
            fn $method(self) -> T {
                self
            }
        }

        impl<T: Attribute + Clone + Send + Sync $(, $f)?> $trait<T $(, $f)?> for &T {
            fn $method(self) -> T {
                self.clone()
            }
        }

        impl<$($f)?> $trait<String $(, $f)?> for &str {
            fn $method(self) -> String {
                self.to_owned()
            }
        }

        impl<$($f)?> $trait<String $(, $f)?> for Cow<'_, str> {
            fn $method(self) -> String {
                self.into_owned()
            }
        }
    )+};
}

scalar_keys!(IntoKey::into_key[F], KeyPart::into_part[]);

macro_rules! tuple_keys {
    ($(($($part:ident $key:ident $index:tt),+))+) => {$(
        impl<$($part,)+ $($key,)+ __F> IntoKey<($($key,)+), __F> for ($($part,)+)
        where
            $($part: KeyPart<$key>,)+
        {
            fn into_key(self) -> ($($key,)+) {
                ($(self.$index.into_part(),)+)
            }
        }

        impl<$($key: Clone + Send + Sync,)+ __F> IntoKey<($($key,)+), __F> for &($($key,)+) {
            fn into_key(self) -> ($($key,)+) {
                self.clone()
            }
        }
    )+};
}

tuple_keys! {
    (A KA 0, B KB 1)
    (A KA 0, B KB 1, C KC 2)
    (A KA 0, B KB 1, C KC 2, D KD 3)
    (A KA 0, B KB 1, C KC 2, D KD 3, E KE 4)
    (A KA 0, B KB 1, C KC 2, D KD 3, E KE 4, F KF 5)
}

/// The key item of a caller's key: the model's key conversion, checked
/// (empty: [`Error::MissingKey`](crate::Error::MissingKey); a value past
/// DynamoDB's key size limits: [`Error::InvalidValue`](crate::Error::InvalidValue)).
pub(crate) fn key_item<T: crate::Table>(key: impl IntoKey<T::Key, T::KeyFields>) -> Result<Item> {
    let item = T::key_item(&key.into_key())?;
    crate::key_limits::check_item(&T::META, &item)?;
    Ok(item)
}

/// The key item of a caller's key for a read: `None` when DynamoDB could
/// not store it (past its size limits), so no row has it.
pub(crate) fn read_key_item<T: crate::Table>(
    key: impl IntoKey<T::Key, T::KeyFields>,
) -> Result<Option<Item>> {
    let item = T::key_item(&key.into_key())?;
    Ok(crate::key_limits::storable(&T::META, &item).then_some(item))
}
