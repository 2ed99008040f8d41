//! Relation fields: `HasMany<T>`, `HasOne<T>`, `BelongsTo<T>`.
//!
//! They are never persisted. Each reports [`is_loaded`](HasMany::is_loaded),
//! so "not loaded" is never confused with "none".

use std::fmt;
use std::ops::Deref;

/// The children of a one-to-many relation. Derefs to `[T]` (empty when
/// not loaded).
///
/// With the `serde` feature (on by default) it serializes as a sequence when
/// loaded and as `null` when not, and reads back the same way (see
/// [`is_not_loaded`](HasMany::is_not_loaded) to omit it instead).
///
/// ```
/// use dynamite::HasMany;
/// let none: HasMany<u32> = HasMany::default();
/// assert!(!none.is_loaded());
/// assert!(none.is_empty());
/// let some = HasMany::from(vec![1, 2]);
/// assert_eq!(some.loaded(), Some(&[1, 2][..]));
/// ```
#[derive(Clone, PartialEq)]
pub struct HasMany<T> {
    rows: Vec<T>,
    loaded: bool,
}

impl<T> Default for HasMany<T> {
    fn default() -> Self {
        HasMany {
            rows: Vec::new(),
            loaded: false,
        }
    }
}

impl<T> HasMany<T> {
    /// The children, `None` when the relation was not loaded.
    pub fn loaded(&self) -> Option<&[T]> {
        self.loaded.then_some(self.rows.as_slice())
    }

    /// Whether the relation was loaded (an include or a lazy load ran).
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// Whether the relation was not loaded: `!is_loaded()`, named for
    /// `#[serde(skip_serializing_if = "HasMany::is_not_loaded")]`, which
    /// leaves an unloaded relation out of the output instead of writing
    /// `null` (with `#[serde(default)]` its absence reads back as not loaded).
    ///
    /// ```
    /// use dynamite::HasMany;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct User {
    ///     name: String,
    ///     #[serde(default, skip_serializing_if = "HasMany::is_not_loaded")]
    ///     orders: HasMany<u32>,
    /// }
    ///
    /// let user = User { name: "Ada".into(), orders: HasMany::default() };
    /// let json = serde_json::to_string(&user).unwrap();
    /// assert_eq!(json, r#"{"name":"Ada"}"#);
    /// assert!(serde_json::from_str::<User>(&json).unwrap().orders.is_not_loaded());
    ///
    /// let user = User { name: "Ada".into(), orders: HasMany::from(vec![7]) };
    /// assert_eq!(serde_json::to_string(&user).unwrap(), r#"{"name":"Ada","orders":[7]}"#);
    /// ```
    pub fn is_not_loaded(&self) -> bool {
        !self.loaded
    }
}

impl<T> From<Vec<T>> for HasMany<T> {
    fn from(rows: Vec<T>) -> Self {
        HasMany { rows, loaded: true }
    }
}

impl<T> Deref for HasMany<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.rows
    }
}

impl<'a, T> IntoIterator for &'a HasMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl<T: fmt::Debug> fmt::Debug for HasMany<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loaded {
            f.debug_list().entries(&self.rows).finish()
        } else {
            f.write_str("<not loaded>")
        }
    }
}

macro_rules! single_relation {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq)]
        pub struct $name<T> {
            value: Option<Box<T>>,
            loaded: bool,
        }

        impl<T> Default for $name<T> {
            fn default() -> Self {
                $name { value: None, loaded: false }
            }
        }

        impl<T> $name<T> {
            /// Whether the relation was loaded.
            pub fn is_loaded(&self) -> bool {
                self.loaded
            }

            /// Whether the relation was not loaded: `!is_loaded()`, named for
            #[doc = concat!("`#[serde(skip_serializing_if = \"", stringify!($name), "::is_not_loaded\")]`,")]
            /// which leaves an unloaded relation out of the output instead of
            /// writing `null` (with `#[serde(default)]` its absence reads back
            /// as not loaded). See [`HasMany::is_not_loaded`].
            pub fn is_not_loaded(&self) -> bool {
                !self.loaded
            }

            /// The related row, `None` when not loaded.
            pub fn loaded(&self) -> Option<Option<&T>> {
                self.loaded.then(|| self.value.as_deref())
            }
        }

        impl<T> From<Option<T>> for $name<T> {
            fn from(value: Option<T>) -> Self {
                $name { value: value.map(Box::new), loaded: true }
            }
        }

        impl<T> Deref for $name<T> {
            type Target = Option<Box<T>>;
            fn deref(&self) -> &Option<Box<T>> {
                &self.value
            }
        }

        impl<T: fmt::Debug> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.loaded {
                    self.value.fmt(f)
                } else {
                    f.write_str("<not loaded>")
                }
            }
        }
    };
}

single_relation!(
    /// The parent of a many-to-one relation. Derefs to `Option<Box<T>>`, so
    /// `order.user.as_ref().map(|u| &u.name)` reads like the TypeScript
    /// library's `order.user?.name`.
    ///
    /// With the `serde` feature (on by default) it serializes as the row, or
    /// `null` when there is none or it was not loaded; a row or `null` reads
    /// back as loaded (see [`is_not_loaded`](BelongsTo::is_not_loaded) to
    /// omit an unloaded one instead).
    ///
    /// ```
    /// use dynamite::BelongsTo;
    /// let parent = BelongsTo::from(Some("Ada"));
    /// assert_eq!(parent.as_deref(), Some(&"Ada"));
    /// assert!(BelongsTo::<&str>::default().loaded().is_none());
    /// ```
    BelongsTo
);

single_relation!(
    /// The one child of a one-to-one relation (the first by the index's
    /// sort order when there are several). Derefs to `Option<Box<T>>`.
    ///
    /// With the `serde` feature it serializes and deserializes like
    /// [`BelongsTo`].
    HasOne
);

/// A relation field that includes fill (implemented by the three containers).
pub trait RelationField<T> {
    /// The field loaded with these rows.
    fn load(rows: Vec<T>) -> Self;
}

impl<T> RelationField<T> for HasMany<T> {
    fn load(rows: Vec<T>) -> Self {
        HasMany::from(rows)
    }
}

impl<T> RelationField<T> for BelongsTo<T> {
    fn load(rows: Vec<T>) -> Self {
        BelongsTo::from(rows.into_iter().next())
    }
}

impl<T> RelationField<T> for HasOne<T> {
    fn load(rows: Vec<T>) -> Self {
        HasOne::from(rows.into_iter().next())
    }
}
