//! Rows of a plan as a stream, page by page where the read pages.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::all::fetch;
use super::{read_spec, strip};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::read::plan::{Access, Plan};
use crate::value::Item;

/// The rows of a plan as a stream, page by page where the read pages.
pub(crate) fn item_stream<'a>(db: &'a Dynamite, plan: Plan) -> BoxStream<'a, Result<Item>> {
    let pageable = matches!(plan.access, Access::Query { .. } | Access::Scan)
        && plan.memory_sort.is_none()
        && plan.offset == 0;
    if !pageable {
        return stream::once(async move { fetch(db, &plan).await })
            .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
            .try_flatten()
            .boxed();
    }
    let rendered = match read_spec(&plan, None).render() {
        Ok(r) => r,
        Err(e) => return stream::once(async move { Err(e) }).boxed(),
    };
    // State: (next start key, rows still wanted, finished).
    let state = (None::<Item>, plan.limit, false);
    stream::try_unfold(state, move |(start, remaining, finished)| {
        let rendered = rendered.clone();
        let plan = plan.clone();
        async move {
            if finished || remaining == Some(0) {
                return Ok(None);
            }
            let page_limit = if rendered.has_filter() {
                None
            } else {
                remaining
            };
            let page = rendered.page(db, start, page_limit).await?;
            let mut items = page.items;
            if let Some(r) = remaining {
                items.truncate(r);
            }
            let remaining = remaining.map(|r| r.saturating_sub(items.len()));
            let finished = page.last_key.is_none();
            Ok::<_, Error>(Some((
                strip(&plan, items),
                (page.last_key, remaining, finished),
            )))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}
