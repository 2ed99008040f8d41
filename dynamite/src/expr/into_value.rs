//! The values a column comparison, an update's `set` or an optional field's
//! create setter accepts: [`IntoValue`].
//!
//! Everything that converts with `Into<T>` does, as before. An
//! `Option<String>` also takes the string forms a `String` takes (`&str`,
//! `&String`, `Cow<str>`, ...), so `.nick("n")` and `User::NICK.eq("n")`
//! compile like `.name("Ada")` and `User::NAME.eq("Ada")`.
//!
//! The second parameter only tells the two kinds of impls apart; it is
//! always inferred. Without it, the blanket `Into` impl and the `&str` impl
//! would be rejected as overlapping (`core` could add
//! `From<&str> for Option<String>`).

use std::borrow::Cow;

/// A value for a column or field of type `T`: anything `Into<T>`, and for an
/// `Option<String>` the string forms a `String` accepts, wrapped in `Some`.
///
/// `Form` is inferred (never name it). Implemented by dynamite only: give
/// your own types a `From` impl instead.
///
/// `None` must infer its type, so there is one `Option` form per field:
/// `Option<String>` takes `Some(String)` and `None`, not `Some(&str)`
/// (write `.nick("n")`, or convert the option: `opt.map(String::from)`).
///
/// ```
/// use dynamite::prelude::*;
///
/// #[derive(Table, Debug, Clone)]
/// struct User {
///     #[dynamite(primary_key)]
///     id: String,
///     nick: Option<String>,
///     age: Option<u32>,
/// }
///
/// let ada = User::create().id("u1").nick("ada").age(30).build();
/// assert_eq!(ada.nick.as_deref(), Some("ada"));
/// let bob = User::create().id("u2").nick(None).age(Some(7)).build();
/// assert_eq!((bob.nick, bob.age), (None, Some(7)));
/// let _filter = User::NICK.eq("ada").and(User::NICK.is_in(["a", "b"]));
/// ```
///
/// ```compile_fail,E0277
/// use dynamite::prelude::*;
///
/// #[derive(Table)]
/// struct User {
///     #[dynamite(primary_key)]
///     id: String,
///     nick: Option<String>,
/// }
///
/// // `Some(&str)` would make `None` ambiguous: write `.nick("ada")`.
/// let _ = User::create().id("u1").nick(Some("ada"));
/// ```
pub trait IntoValue<T, Form>: sealed::Sealed<T, Form> {
    /// The value as a `T`.
    fn into_value(self) -> T;
}

/// The impl kinds of [`IntoValue`], told apart so that they cannot overlap.
mod form {
    /// Converted with `Into<T>`.
    #[derive(Debug)]
    pub enum Converted {}
    /// A string form, converted into a `String` and wrapped in `Some`.
    #[derive(Debug)]
    pub enum SomeString {}
}

mod sealed {
    /// Only the impls of this module implement `IntoValue`.
    pub trait Sealed<T, Form> {}
}

impl<T, U: Into<T>> IntoValue<T, form::Converted> for U {
    fn into_value(self) -> T {
        self.into()
    }
}
impl<T, U: Into<T>> sealed::Sealed<T, form::Converted> for U {}

/// `impl IntoValue<Option<String>, SomeString>` for each `From` source of
/// `String` other than `String` itself (which `Converted` covers).
macro_rules! some_string {
    ($([$($lifetime:lifetime)?] $source:ty),+ $(,)?) => {$(
        impl$(<$lifetime>)? IntoValue<Option<String>, form::SomeString> for $source {
            fn into_value(self) -> Option<String> {
                Some(self.into())
            }
        }
        impl$(<$lifetime>)? sealed::Sealed<Option<String>, form::SomeString> for $source {}
    )+};
}

some_string!(
    ['a] &'a str,
    ['a] &'a mut str,
    ['a] &'a String,
    [] Box<str>,
    ['a] Cow<'a, str>,
    [] char,
);

#[cfg(test)]
mod tests {
    use super::IntoValue;

    fn value<T, F>(value: impl IntoValue<T, F>) -> T {
        value.into_value()
    }

    #[test]
    fn an_optional_string_takes_every_string_form() {
        let owned = String::from("b");
        let mut text = String::from("c");
        let forms: [Option<String>; 8] = [
            value("a"),
            value(&owned),
            value(text.as_mut_str()),
            value(Box::<str>::from("d")),
            value(std::borrow::Cow::Borrowed("e")),
            value('f'),
            value(String::from("g")),
            value(Some(String::from("h"))),
        ];
        let expected = ["a", "b", "c", "d", "e", "f", "g", "h"].map(|s| Some(s.to_owned()));
        assert_eq!(forms, expected);
        assert_eq!(value::<Option<String>, _>(None), None);
    }

    #[test]
    fn literals_still_infer_the_column_type() {
        let age: Option<u32> = value(30);
        let some: Option<u32> = value(Some(30));
        let none: Option<u32> = value(None);
        let score: Option<f64> = value(1.5);
        let plain: String = value("x");
        assert_eq!(
            (age, some, none, score),
            (Some(30), Some(30), None, Some(1.5))
        );
        assert_eq!(plain, "x");
    }
}
