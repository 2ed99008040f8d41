//! Sending one read until enough rows matched: a Query or Scan from a
//! start key, a key list in waves, a whole Scan in parallel segments, and
//! the merge of partitions read in one order.

use std::cmp::Ordering;

use futures::stream::{self, StreamExt, TryStreamExt};

use super::{keyed_order, passes};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::read::canonical::KeyId;
use crate::read::exec::{self, RenderedRead, TableKeys};
use crate::read::plan::Plan;
use crate::value::Item;

/// Reads from `start` until `want` rows matched (or the end); `true` when
/// the end of the read was reached with every row read returned.
pub(super) async fn read_from(
    db: &Dynamite,
    read: &RenderedRead,
    mut start: Option<Item>,
    want: Option<usize>,
) -> Result<(Vec<Item>, bool)> {
    let mut items = Vec::new();
    loop {
        let remaining = want.map(|w| w.saturating_sub(items.len()));
        if remaining == Some(0) {
            return Ok((items, false));
        }
        let page_limit = if read.has_filter() { None } else { remaining };
        let page = read.page(db, start, page_limit).await?;
        items.extend(page.items);
        if let Some(w) = want
            && items.len() > w
        {
            items.truncate(w);
            return Ok((items, false));
        }
        match page.last_key {
            Some(k) => start = Some(k),
            None => return Ok((items, true)),
        }
    }
}

/// Rows of a key list from index `start`, in key order, until `want` rows
/// matched: each with the index of its key.
pub(super) async fn read_keys(
    db: &Dynamite,
    plan: &Plan,
    keys: &[Item],
    start: usize,
    want: Option<usize>,
) -> Result<Vec<(usize, Item)>> {
    let mut out = Vec::new();
    let mut next = start;
    let mut wave = want.unwrap_or(keys.len()).max(1);
    while next < keys.len() {
        let needed = want.map(|w| w.saturating_sub(out.len()));
        if needed == Some(0) {
            break;
        }
        let size = match needed {
            Some(n) => wave.max(n),
            None => keys.len(),
        };
        let end = next.saturating_add(size).min(keys.len());
        let slice = keys.get(next..end).unwrap_or_default();
        let found = exec::batch_get_ordered(
            db,
            TableKeys {
                table: plan.table.clone(),
                key_names: plan.table_keys.clone(),
                keys: slice.to_vec(),
                projection: plan.projection.clone(),
                consistent: plan.consistent,
            },
        )
        .await?;
        out.extend(
            found
                .into_iter()
                .filter(|(_, item)| passes(plan, item))
                .map(|(offset, item)| (next + offset, item)),
        );
        next = end;
        // Rows were filtered out or missing: read more at a time.
        wave = wave.saturating_mul(2).min(1_000);
    }
    if let Some(w) = want {
        out.truncate(w);
    }
    Ok(out)
}

/// Every row of a Scan, its segments read in parallel (see
/// [`exec::scan_segments`]).
pub(crate) async fn scan_everything(
    db: &Dynamite,
    read: &RenderedRead,
    table: &str,
) -> Result<Vec<Item>> {
    let segments = exec::scan_segments(db, table).await;
    if segments <= 1 {
        return Ok(read_from(db, read, None, None).await?.0);
    }
    let parts: Vec<Vec<Item>> = stream::iter(0..segments)
        .map(|s| {
            let segment = read.segment(s, segments);
            async move { Ok::<_, Error>(read_from(db, &segment, None, None).await?.0) }
        })
        .buffered(db.concurrency())
        .try_collect()
        .await?;
    Ok(parts.into_iter().flatten().collect())
}

/// Merges per-partition lists (each in the read's order) into one, k-way,
/// keeping every partition's own order: each row with its partition.
pub(super) fn merge(plan: &Plan, lists: Vec<Vec<Item>>) -> Vec<(usize, Item)> {
    // Each row's key identity is computed once, not at every comparison.
    let mut heads: Vec<std::collections::VecDeque<(KeyId, Item)>> = lists
        .into_iter()
        .map(|list| list.into_iter().map(|i| (plan.key_id(&i), i)).collect())
        .collect();
    let mut out = Vec::new();
    loop {
        let mut best: Option<usize> = None;
        for (i, list) in heads.iter().enumerate() {
            let Some((kh, head)) = list.front() else {
                continue;
            };
            best = match best {
                Some(b) => match heads[b].front() {
                    Some((kc, current))
                        if keyed_order(plan, (kh, head), (kc, current)) == Ordering::Less =>
                    {
                        Some(i)
                    }
                    _ => Some(b),
                },
                None => Some(i),
            };
        }
        let Some(b) = best else { return out };
        if let Some((_, item)) = heads[b].pop_front() {
            out.push((b, item));
        }
    }
}
