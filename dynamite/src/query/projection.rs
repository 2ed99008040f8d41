//! Projected rows: `query().attributes((User::ID, User::NAME))`.
//!
//! A projected row is not a model: its unfetched attributes are not data,
//! so it is a separate type, [`Projected<T>`], with typed getters and no
//! write methods. It can never overwrite the attributes it did not fetch.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::expr::Column;
use crate::model::{Table, decode_error};
use crate::value::{Attribute, Item};

/// A row read with a projection: only the listed attributes (and the keys).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// #[derive(Table, Debug, Clone)]
/// struct User {
///     #[dynamite(primary_key)]
///     id: String,
///     name: String,
///     email: String,
/// }
/// let db = Dynamite::embedded().table::<User>().build().await?;
/// db.sync().await?;
/// User::create().id("u1").name("Ada").email("ada@example.com").exec(&db).await?;
/// let rows = User::query().attributes((User::NAME,)).all(&db).await?;
/// assert_eq!(rows[0].get(User::NAME)?, "Ada");
/// assert!(rows[0].get(User::EMAIL).is_err()); // not fetched
/// # Ok(())
/// # }
/// ```
pub struct Projected<T> {
    item: Item,
    fetched: Arc<[String]>,
    _model: PhantomData<fn() -> T>,
}

impl<T> Clone for Projected<T> {
    fn clone(&self) -> Self {
        Projected::new(self.item.clone(), self.fetched.clone())
    }
}

impl<T: Table> fmt::Debug for Projected<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.item.keys().collect();
        names.sort();
        write!(f, "Projected<{}>{names:?}", T::META.model)
    }
}

impl<T> Projected<T> {
    pub(crate) fn new(item: Item, fetched: Arc<[String]>) -> Self {
        Projected {
            item,
            fetched,
            _model: PhantomData,
        }
    }

    /// The raw attributes fetched.
    pub fn item(&self) -> &Item {
        &self.item
    }
}

impl<T: Table> Projected<T> {
    /// A fetched attribute. An attribute outside the projection is an error,
    /// not a default value.
    pub fn get<V: Attribute>(&self, column: Column<T, V>) -> Result<V> {
        let name = column.name();
        if !self.fetched.iter().any(|f| f == name) {
            return Err(Error::NotFetched {
                model: T::META.model,
                attribute: name.to_owned(),
            });
        }
        column
            .read(self.item.get(name))
            .map_err(|e| decode_error(&T::META, name, e))
    }

    /// The row's key.
    pub fn key(&self) -> Result<Item> {
        T::META.key_of(&self.item)
    }
}
