//! [`IndexRef`]: a typed name of one of a model's access paths, for
//! [`Query::index`](crate::Query::index).

use std::marker::PhantomData;

/// A declared index of model `T` (or the table itself), to force the path
/// a query reads with [`Query::index`](crate::Query::index).
///
/// `#[derive(Table)]` generates one constant per declared index, named
/// like the index in `SCREAMING_SNAKE_CASE` (`by_assignee` gives
/// `Task::BY_ASSIGNEE`; an index name that clashes with a column constant
/// is a compile error). [`IndexRef::table`] names the table itself. An
/// index of another model does not type-check.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
/// use dynamite::IndexRef;
///
/// #[derive(Table, Debug, Clone)]
/// #[dynamite(index(name = "by_assignee", partition = ["tenant_id", "assignee"], sort = "id"))]
/// struct Task {
///     #[dynamite(primary_key)]
///     tenant_id: String,
///     #[dynamite(sort_key)]
///     id: String,
///     assignee: String,
/// }
///
/// let db = Dynamite::embedded().table::<Task>().build().await?;
/// db.sync().await?;
/// let mine = Task::query()
///     .filter(Task::TENANT_ID.eq("t1"))
///     .filter(Task::ASSIGNEE.eq("ann"));
/// // Chosen without a hint: the index pins two key fields, the table one.
/// assert!(mine.explain(&db).root().starts_with("Query tasks index by_assignee"));
/// // Forced to the table's partition:
/// let table = mine.clone().index(IndexRef::table());
/// assert!(table.explain(&db).root().starts_with("Query tasks key tenant_id"));
/// assert_eq!(Task::BY_ASSIGNEE.name(), Some("by_assignee"));
/// // An index that cannot answer the filter is an error, never a Scan.
/// let err = Task::query().index(Task::BY_ASSIGNEE).all(&db).await.unwrap_err();
/// assert!(err.is_index_unusable());
/// # Ok(())
/// # }
/// ```
pub struct IndexRef<T> {
    name: Option<&'static str>,
    _model: PhantomData<fn() -> T>,
}

impl<T> IndexRef<T> {
    /// The index named `name` (what the derive generates).
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        IndexRef {
            name: Some(name),
            _model: PhantomData,
        }
    }

    /// The table itself: its key or partition, else a Scan.
    pub const fn table() -> Self {
        IndexRef {
            name: None,
            _model: PhantomData,
        }
    }

    /// The index name; `None` for the table.
    pub const fn name(&self) -> Option<&'static str> {
        self.name
    }
}

impl<T> Clone for IndexRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for IndexRef<T> {}

impl<T> PartialEq for IndexRef<T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<T> Eq for IndexRef<T> {}

impl<T> std::fmt::Debug for IndexRef<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            Some(name) => write!(f, "IndexRef({name})"),
            None => f.write_str("IndexRef(table)"),
        }
    }
}
