//! Projected rows: `query().attributes((User::ID, User::NAME))`, and the
//! children of an include with `.attributes(..)`.
//!
//! A projected row is not a model: its unfetched attributes are not data,
//! so it is a separate type, [`Projected<T>`], with typed getters and no
//! write methods. It can never overwrite the attributes it did not fetch.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::expr::Column;
use crate::include::Related;
use crate::model::{Table, TableMeta, decode_error};
use crate::value::{Attribute, Item};

/// A row read with a projection: only the listed attributes (and the keys).
///
/// Top-level queries with `.attributes(..)` return it, and so do includes
/// with `.attributes(..)`: their children are in the relation field's
/// [`projected()`](crate::HasMany::projected), never as full models. The
/// relations included under a projected child are read with
/// [`related`](Projected::related). With the `serde` feature it serializes
/// as a map of the fetched fields (and the relations loaded under it).
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
    meta: &'static TableMeta,
    /// The row with the relations included under it (built from the
    /// fetched item and the model's required fields), when there are any.
    related: Option<Arc<T>>,
    _model: PhantomData<fn() -> T>,
}

impl<T> Clone for Projected<T> {
    fn clone(&self) -> Self {
        Projected {
            item: self.item.clone(),
            fetched: self.fetched.clone(),
            meta: self.meta,
            related: self.related.clone(),
            _model: PhantomData,
        }
    }
}

impl<T: PartialEq> PartialEq for Projected<T> {
    fn eq(&self, other: &Self) -> bool {
        self.item == other.item && self.fetched == other.fetched && self.related == other.related
    }
}

impl<T> fmt::Debug for Projected<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.item.keys().collect();
        names.sort();
        write!(f, "Projected<{}>{names:?}", self.meta.model)
    }
}

impl<T: Table> Projected<T> {
    /// A projected row of the attributes `fetched` (the item holds no other).
    pub(crate) fn new(item: Item, fetched: Arc<[String]>) -> Self {
        Projected::with_related(item, fetched, None)
    }

    /// A projected row of `item` restricted to `fetched`, carrying the
    /// row its nested includes were attached to.
    pub(crate) fn with_related(mut item: Item, fetched: Arc<[String]>, related: Option<T>) -> Self {
        item.retain(|name, _| fetched.iter().any(|f| f == name));
        Projected {
            item,
            fetched,
            meta: &T::META,
            related: related.map(Arc::new),
            _model: PhantomData,
        }
    }

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

    /// The explicit escape hatch: a full `T` from the fetched attributes.
    /// A required field outside the projection is a decode error; an
    /// `Option` field outside it reads `None` — so **saving the result
    /// removes that attribute from the stored item**. Use it only to hand
    /// the row to code that needs a `T` and never writes it. Relations are
    /// not carried over.
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
    ///     email: Option<String>,
    /// }
    /// let db = Dynamite::embedded().table::<User>().build().await?;
    /// db.sync().await?;
    /// User::create().id("u1").name("Ada").email(Some("ada@example.com".into())).exec(&db).await?;
    /// let row = User::query().attributes((User::NAME,)).first(&db).await?.unwrap();
    /// let partial = row.into_partial_model()?;
    /// assert_eq!((partial.name.as_str(), partial.email), ("Ada", None)); // not fetched: None
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_partial_model(self) -> Result<T> {
        T::from_item(self.item)
    }
}

impl<T> Projected<T> {
    /// The raw attributes fetched (the listed ones and the keys; nothing
    /// the engine read for its own conditions or joins).
    pub fn item(&self) -> &Item {
        &self.item
    }

    /// A relation included under this projected row: `row.related(|b|
    /// &b.reviews)`. `None` when the row was read without nested includes.
    /// Only relation fields can be read this way (the row's other fields
    /// were not all fetched).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Author {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    ///     #[dynamite(has_many(foreign_key = "author_id"))]
    ///     books: HasMany<Book>,
    /// }
    /// #[derive(Table, Debug, Clone)]
    /// struct Book {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    ///     #[dynamite(index)]
    ///     author_id: String,
    ///     title: String,
    ///     #[dynamite(belongs_to(foreign_key = "author_id"))]
    ///     author: BelongsTo<Author>,
    /// }
    /// let db = Dynamite::embedded().table::<Author>().table::<Book>().build().await?;
    /// db.sync().await?;
    /// Author::create().id("a1").exec(&db).await?;
    /// Book::create().id("b1").author_id("a1").title("Kindred").exec(&db).await?;
    /// let a = Author::query()
    ///     .filter(Author::ID.eq("a1"))
    ///     .include(Author::books().attributes((Book::TITLE,)).include(Book::author()))
    ///     .first(&db).await?.unwrap();
    /// let book = &a.books.projected().unwrap()[0];
    /// assert_eq!(book.get(Book::TITLE)?, "Kindred");
    /// let author = book.related(|b| &b.author).unwrap();
    /// assert_eq!(author.as_ref().map(|a| a.id.as_str()), Some("a1"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn related<R: Related>(&self, field: impl FnOnce(&T) -> &R) -> Option<&R> {
        self.related.as_deref().map(field)
    }
}

#[cfg(feature = "serde")]
mod serialize {
    use ::serde::ser::{Error as _, SerializeMap, SerializeSeq};
    use ::serde::{Serialize, Serializer};

    use super::Projected;
    use crate::value::AttributeValue;

    /// A stored value as plain data: strings, numbers, booleans, null,
    /// lists and maps; binary as base64 text; sets as sequences.
    struct Plain<'a>(&'a AttributeValue);

    impl Serialize for Plain<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use base64::Engine as _;
            let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
            match self.0 {
                AttributeValue::S(v) => s.serialize_str(v),
                AttributeValue::N(n) => match serde_json::from_str::<serde_json::Number>(n) {
                    Ok(number) => number.serialize(s),
                    Err(_) => s.serialize_str(n),
                },
                AttributeValue::B(b) => s.serialize_str(&b64(b.as_ref())),
                AttributeValue::Bool(b) => s.serialize_bool(*b),
                AttributeValue::Null(_) => s.serialize_none(),
                AttributeValue::L(list) => {
                    let mut seq = s.serialize_seq(Some(list.len()))?;
                    for v in list {
                        seq.serialize_element(&Plain(v))?;
                    }
                    seq.end()
                }
                AttributeValue::M(map) => {
                    let mut names: Vec<&String> = map.keys().collect();
                    names.sort();
                    let mut out = s.serialize_map(Some(map.len()))?;
                    for name in names {
                        out.serialize_entry(name, &Plain(&map[name]))?;
                    }
                    out.end()
                }
                AttributeValue::Ss(set) => set.serialize(s),
                AttributeValue::Ns(set) => {
                    let mut seq = s.serialize_seq(Some(set.len()))?;
                    for n in set {
                        seq.serialize_element(&Plain(&AttributeValue::N(n.clone())))?;
                    }
                    seq.end()
                }
                AttributeValue::Bs(set) => {
                    let mut seq = s.serialize_seq(Some(set.len()))?;
                    for b in set {
                        seq.serialize_element(&b64(b.as_ref()))?;
                    }
                    seq.end()
                }
                _ => Err(S::Error::custom("an attribute value of an unknown type")),
            }
        }
    }

    /// The fetched fields of the model, by Rust field name (an `Option`
    /// field fetched but absent is `null`), then the relations loaded
    /// under the row (as the model's own `Serialize` writes them).
    impl<T: Serialize> Serialize for Projected<T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            for attribute in self.meta.attributes {
                if self.fetched.iter().any(|f| f == attribute.name) {
                    match self.item.get(attribute.name) {
                        Some(value) => map.serialize_entry(attribute.field, &Plain(value))?,
                        None => map.serialize_entry(attribute.field, &None::<()>)?,
                    }
                }
            }
            if let Some(related) = &self.related {
                let value = serde_json::to_value(related.as_ref()).map_err(S::Error::custom)?;
                for relation in self.meta.relations {
                    if let Some(v) = value.get(relation.field) {
                        map.serialize_entry(relation.field, v)?;
                    }
                }
            }
            map.end()
        }
    }
}
