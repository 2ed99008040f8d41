//! Typed keys: every model's [`Table::Key`] and the forms a caller may pass
//! for it ([`IntoKey`]).
//!
//! `#[derive(Table)]` sets `Key` to the key field's type (`String`, `u64`,
//! a custom key type) or a tuple of the key fields' types (`(String, i64)`).
//! Reads and writes by key take `impl IntoKey<T::Key>`, so a wrong type or a
//! wrong number of parts is a compile error:
//!
//! ```
//! use dynamite::IntoKey;
//! // `&str` for a `String` key, integer literals infer the key's integer type.
//! let key: (String, u64) = ("user-1", 7).into_key();
//! assert_eq!(key, ("user-1".to_owned(), 7));
//! ```
//!
//! ```compile_fail
//! use dynamite::IntoKey;
//! // A number is not a `String` key.
//! let key: String = 42.into_key();
//! ```
//!
//! ```compile_fail
//! use dynamite::IntoKey;
//! // Two parts for a one-part key.
//! let key: String = ("user-1", 7).into_key();
//! ```

use std::borrow::Cow;

use crate::error::Result;
use crate::value::{Attribute, Item};

/// A value that converts into the key type `K` of a model: the key itself,
/// a reference to it, `&str` / `&String` / `Cow<str>` for `String` parts, and
/// tuples of such parts for keys of several fields (up to six).
///
/// Each key type has exactly one integer impl (its own), so an integer
/// literal takes the type of the key part it stands for.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a key of this model, whose key is `{K}`",
    label = "expected the key `{K}`, or parts converting to it",
    note = "a key is the key field's value (`&str` for a `String` key) or, for a composite key, a tuple `(partition, sort)`"
)]
pub trait IntoKey<K>: Send {
    /// The key.
    fn into_key(self) -> K;
}

impl<T: Attribute + Send> IntoKey<T> for T {
    fn into_key(self) -> T {
        self
    }
}

impl<T: Attribute + Clone + Send + Sync> IntoKey<T> for &T {
    fn into_key(self) -> T {
        self.clone()
    }
}

impl IntoKey<String> for &str {
    fn into_key(self) -> String {
        self.to_owned()
    }
}

impl IntoKey<String> for Cow<'_, str> {
    fn into_key(self) -> String {
        self.into_owned()
    }
}

macro_rules! tuple_keys {
    ($(($($part:ident $key:ident $index:tt),+))+) => {$(
        impl<$($part,)+ $($key,)+> IntoKey<($($key,)+)> for ($($part,)+)
        where
            $($part: IntoKey<$key>,)+
        {
            fn into_key(self) -> ($($key,)+) {
                ($(self.$index.into_key(),)+)
            }
        }

        impl<$($key: Clone + Send + Sync,)+> IntoKey<($($key,)+)> for &($($key,)+) {
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

/// The key item of a caller's key: the model's key conversion, checked.
pub(crate) fn key_item<T: crate::Table>(key: impl IntoKey<T::Key>) -> Result<Item> {
    T::key_item(&key.into_key())
}
