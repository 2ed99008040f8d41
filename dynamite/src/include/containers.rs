//! Relation fields: `HasMany<T>`, `HasOne<T>`, `BelongsTo<T>`.
//!
//! They are never persisted. Each reports [`is_loaded`](HasMany::is_loaded),
//! so "not loaded" is never confused with "none".
//!
//! An include with `.attributes(..)` loads its children as
//! [`Projected`] rows, kept apart from the full rows: they are read with
//! `projected()`, while `loaded()` stays `None` and the deref is empty. A
//! projected child is never a `T`, so no write can take it and drop the
//! attributes it did not fetch.

use std::fmt;
use std::ops::Deref;

use crate::query::Projected;

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
    projected: Option<Vec<Projected<T>>>,
}

impl<T> Default for HasMany<T> {
    fn default() -> Self {
        HasMany {
            rows: Vec::new(),
            loaded: false,
            projected: None,
        }
    }
}

impl<T> HasMany<T> {
    /// The children, `None` when the relation was not loaded as full rows
    /// (not loaded, or loaded with a projection: see
    /// [`projected`](HasMany::projected)).
    pub fn loaded(&self) -> Option<&[T]> {
        self.loaded.then_some(self.rows.as_slice())
    }

    /// Whether the relation was loaded as full rows (an include without
    /// `.attributes(..)`, or a lazy load).
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// The children loaded by an include with `.attributes(..)`: only the
    /// listed attributes and the keys, with typed getters and no write
    /// methods. `None` when the relation was not loaded that way.
    pub fn projected(&self) -> Option<&[Projected<T>]> {
        self.projected.as_deref()
    }

    /// Whether the relation was loaded with a projection.
    pub fn is_projected(&self) -> bool {
        self.projected.is_some()
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
        !self.loaded && self.projected.is_none()
    }
}

impl<T> From<Vec<T>> for HasMany<T> {
    fn from(rows: Vec<T>) -> Self {
        HasMany {
            rows,
            loaded: true,
            projected: None,
        }
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
        match &self.projected {
            Some(rows) => f.debug_list().entries(rows).finish(),
            None if self.loaded => f.debug_list().entries(&self.rows).finish(),
            None => f.write_str("<not loaded>"),
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
            projected: Option<Option<Box<Projected<T>>>>,
        }

        impl<T> Default for $name<T> {
            fn default() -> Self {
                $name { value: None, loaded: false, projected: None }
            }
        }

        impl<T> $name<T> {
            /// Whether the relation was loaded as a full row (an include
            /// without `.attributes(..)`, or a lazy load).
            pub fn is_loaded(&self) -> bool {
                self.loaded
            }

            /// The related row loaded by an include with `.attributes(..)`
            /// (`Some(None)`: there is none); `None` when the relation was
            /// not loaded that way. See [`HasMany::projected`].
            pub fn projected(&self) -> Option<Option<&Projected<T>>> {
                self.projected.as_ref().map(|row| row.as_deref())
            }

            /// Whether the relation was loaded with a projection.
            pub fn is_projected(&self) -> bool {
                self.projected.is_some()
            }

            /// Whether the relation was not loaded: `!is_loaded()`, named for
            #[doc = concat!("`#[serde(skip_serializing_if = \"", stringify!($name), "::is_not_loaded\")]`,")]
            /// which leaves an unloaded relation out of the output instead of
            /// writing `null` (with `#[serde(default)]` its absence reads back
            /// as not loaded). See [`HasMany::is_not_loaded`].
            pub fn is_not_loaded(&self) -> bool {
                !self.loaded && self.projected.is_none()
            }

            /// The related row, `None` when not loaded as a full row.
            pub fn loaded(&self) -> Option<Option<&T>> {
                self.loaded.then(|| self.value.as_deref())
            }
        }

        impl<T> From<Option<T>> for $name<T> {
            fn from(value: Option<T>) -> Self {
                $name { value: value.map(Box::new), loaded: true, projected: None }
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
                match &self.projected {
                    Some(row) => row.fmt(f),
                    None if self.loaded => self.value.fmt(f),
                    None => f.write_str("<not loaded>"),
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
    /// The field loaded with these projected rows (an include with
    /// `.attributes(..)`).
    fn load_projected(rows: Vec<Projected<T>>) -> Self;
}

impl<T> RelationField<T> for HasMany<T> {
    fn load(rows: Vec<T>) -> Self {
        HasMany::from(rows)
    }
    fn load_projected(rows: Vec<Projected<T>>) -> Self {
        HasMany {
            rows: Vec::new(),
            loaded: false,
            projected: Some(rows),
        }
    }
}

macro_rules! single_relation_field {
    ($name:ident) => {
        impl<T> RelationField<T> for $name<T> {
            fn load(rows: Vec<T>) -> Self {
                $name::from(rows.into_iter().next())
            }
            fn load_projected(rows: Vec<Projected<T>>) -> Self {
                $name {
                    value: None,
                    loaded: false,
                    projected: Some(rows.into_iter().next().map(Box::new)),
                }
            }
        }
    };
}

single_relation_field!(BelongsTo);
single_relation_field!(HasOne);

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::HasMany<T> {}
    impl<T> Sealed for super::HasOne<T> {}
    impl<T> Sealed for super::BelongsTo<T> {}
}

/// The relation fields ([`HasMany`], [`HasOne`], [`BelongsTo`]): what
/// [`Projected::related`] reads (sealed).
pub trait Related: sealed::Sealed {}

impl<T> Related for HasMany<T> {}
impl<T> Related for HasOne<T> {}
impl<T> Related for BelongsTo<T> {}
