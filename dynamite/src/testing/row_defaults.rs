//! The defaults `create` gives, for fixture rows: the derive generates
//! `Table::__fill_fixture_defaults`, which fills each key a row leaves out
//! with the field's default in its serde form. A field type without
//! `Serialize` cannot be written into the row: it is left out (and serde
//! then asks for it). Mounted in `dynamite::__private` for generated code.

#[cfg(not(feature = "serde"))]
use std::marker::PhantomData;

/// A default in the serde form a fixture row holds.
#[cfg(feature = "serde")]
pub type FixtureJson = serde_json::Value;

/// A default in the serde form a fixture row holds (none without the
/// `serde` feature).
#[cfg(not(feature = "serde"))]
#[derive(Debug)]
pub enum FixtureJson {}

/// A fixture row (a JSON object) being filled.
#[derive(Debug)]
pub struct FixtureRow<'a> {
    #[cfg(feature = "serde")]
    row: &'a mut serde_json::Map<String, serde_json::Value>,
    /// Without serde there is no row to fill: never built.
    #[cfg(not(feature = "serde"))]
    never: (std::convert::Infallible, PhantomData<&'a mut ()>),
}

impl<'a> FixtureRow<'a> {
    /// The row `row`.
    #[cfg(feature = "serde")]
    pub(crate) fn new(row: &'a mut serde_json::Map<String, serde_json::Value>) -> Self {
        FixtureRow { row }
    }

    /// Whether the row gives the key `key`.
    pub fn has(&self, key: &str) -> bool {
        #[cfg(feature = "serde")]
        return self.row.contains_key(key);
        #[cfg(not(feature = "serde"))]
        {
            let _ = key;
            match self.never.0 {}
        }
    }

    /// Sets `key` to `value` (nothing when the value has no serde form).
    pub fn fill(&mut self, key: &str, value: Option<FixtureJson>) {
        #[cfg(feature = "serde")]
        if let Some(value) = value {
            self.row.insert(key.to_owned(), value);
        }
        #[cfg(not(feature = "serde"))]
        {
            let _ = (key, value);
            match self.never.0 {}
        }
    }
}

/// A default value, for [`FixtureSerialize`] / [`FixtureNoSerialize`]:
/// `(&FixtureValue(&v)).fixture_json()` is its serde form when its type
/// implements `Serialize`, else `None` (method resolution picks the first
/// trait that applies: this is not a generic bound, so a model whose field
/// types lack `Serialize` still compiles).
#[derive(Debug)]
pub struct FixtureValue<'a, T>(pub &'a T);

/// The serde form of a `Serialize` value.
pub trait FixtureSerialize {
    /// The value as JSON.
    fn fixture_json(&self) -> Option<FixtureJson>;
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize> FixtureSerialize for FixtureValue<'_, T> {
    fn fixture_json(&self) -> Option<FixtureJson> {
        serde_json::to_value(self.0).ok()
    }
}

/// No serde form: any other value.
pub trait FixtureNoSerialize {
    /// `None`.
    fn fixture_json(&self) -> Option<FixtureJson>;
}

impl<T> FixtureNoSerialize for &FixtureValue<'_, T> {
    fn fixture_json(&self) -> Option<FixtureJson> {
        None
    }
}

// The borrow is the dispatch: written as generated code writes it.
#[cfg(all(test, feature = "serde"))]
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    struct Opaque;

    #[test]
    fn a_serialize_value_has_its_serde_form_any_other_none() {
        let n = 7u32;
        assert_eq!(
            (&FixtureValue(&n)).fixture_json(),
            Some(serde_json::json!(7))
        );
        assert!((&FixtureValue(&Opaque)).fixture_json().is_none());
    }

    #[test]
    fn fill_sets_only_values_with_a_serde_form() {
        let mut map = serde_json::Map::new();
        let mut row = FixtureRow::new(&mut map);
        assert!(!row.has("a"));
        row.fill("a", Some(serde_json::json!("x")));
        row.fill("b", None);
        assert!(row.has("a") && !row.has("b"));
    }
}
