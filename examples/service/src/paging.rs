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
    /// The `next` of the previous page.
    pub cursor: Option<String>,
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
    /// is `InvalidCursor`: a 400).
    //
    // FEATURE SLOT (serde `Cursor`, sealed cursors): with the `serde`
    // feature `Cursor` deserializes straight from the query string, and a
    // handle given secrets seals it; today it is the cursor's string form,
    // which shows the last row's key (tenant id included) to its client.
    pub fn cursor(&self) -> Option<Cursor> {
        self.cursor.as_deref().map(Cursor::parse)
    }
}

/// One page of rows as JSON.
//
// FEATURE SLOT (serde `Page`): with `Page<T>: Serialize` this type goes
// and handlers return the page itself.
#[derive(Debug, Serialize)]
pub struct PageBody<T> {
    /// The rows.
    pub items: Vec<T>,
    /// The cursor of the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> From<Page<T>> for PageBody<T> {
    fn from(page: Page<T>) -> PageBody<T> {
        PageBody {
            items: page.items,
            next: page.next.map(|c| c.as_str().to_owned()),
        }
    }
}
