//! Pages over HTTP: `?limit=&cursor=` in, `{"items": [...], "next": ...}` out.

use dynamite::{Cursor, Page};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The page size when the client gives none.
pub const DEFAULT_LIMIT: u32 = 20;

/// The largest page a client may ask for.
pub const MAX_LIMIT: u32 = 100;

/// The paging part of a query string.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    /// Rows per page, 1 to [`MAX_LIMIT`]. Kept as text and parsed by
    /// [`PageParams::limit`]: a query string's numbers reach a
    /// `#[serde(flatten)]`ed struct as strings.
    pub limit: Option<String>,
    /// The `next` of the previous page (serde `Cursor`: checked, and
    /// opened when the handle seals cursors, by the query that takes it).
    pub cursor: Option<Cursor>,
}

impl PageParams {
    /// The page size, checked.
    pub fn limit(&self) -> Result<usize, ApiError> {
        let limit = match &self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(text) => text.parse::<u32>(),
        };
        match limit {
            Ok(n @ 1..=MAX_LIMIT) => Ok(n as usize),
            _ => Err(ApiError::bad_request(format!(
                "`limit` must be between 1 and {MAX_LIMIT}"
            ))),
        }
    }

    /// The cursor, if any. Whether it belongs to the query is checked by
    /// the query itself (another query's cursor, another tenant's included,
    /// a tampered one or one sealed under a retired secret is
    /// `InvalidCursor`: a 400). With `SERVICE_CURSOR_SECRETS` set (see
    /// `main.rs`) cursors are sealed: a client sees no key, tenant id
    /// included.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }
}

/// One page of rows as JSON: [`Page`] without its `previous` cursor (the
/// service pages forward only) and without `next` on the last page.
#[derive(Debug, Serialize)]
pub struct PageBody<T> {
    /// The rows.
    pub items: Vec<T>,
    /// The cursor of the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Cursor>,
}

impl<T> From<Page<T>> for PageBody<T> {
    fn from(page: Page<T>) -> PageBody<T> {
        PageBody {
            items: page.items,
            next: page.next,
        }
    }
}
