//! Pages of reads over several partitions (`is_in` on a partition key):
//! one after the other, or merged by the index's sort key.

use futures::stream::{self, StreamExt, TryStreamExt};

use super::key_from_item;
use super::page::PageCtx;
use super::read::{merge, read_from};
use crate::error::Result;
use crate::read::cursor::PartitionPosition;
use crate::read::exec::RenderedRead;
use crate::value::Item;

fn resume(state: &PartitionPosition) -> Option<Item> {
    match state {
        PartitionPosition::After(k) => Some(k.clone()),
        _ => None,
    }
}

/// Partitions one after the other: the page comes from the first
/// unfinished partitions, each resumed where the last page stopped; each
/// row with its partition.
pub(super) async fn sequential_page(
    ctx: &PageCtx<'_>,
    reads: &[RenderedRead],
    mut states: Vec<PartitionPosition>,
) -> Result<(Vec<(usize, Item)>, Vec<PartitionPosition>)> {
    let (db, plan, want) = (ctx.db, ctx.plan, ctx.want);
    let mut items = Vec::new();
    for (i, read) in reads.iter().enumerate() {
        if states[i] == PartitionPosition::Done {
            continue;
        }
        let needed = want.map(|w| w.saturating_sub(items.len()));
        if needed == Some(0) {
            break;
        }
        if want.is_none() {
            // One DynamoDB page of the first unfinished partition; a plain
            // cursor resumes after the last row returned (reading on past
            // pages that matched nothing), a sealed one where DynamoDB
            // stopped.
            let mut start = resume(&states[i]);
            loop {
                let page = read.page(db, start, None).await?;
                let last_row = page
                    .items
                    .last()
                    .map(|row| key_from_item(row, &plan.cursor_keys));
                items.extend(page.items.into_iter().map(|item| (i, item)));
                match (page.last_key, last_row) {
                    (None, _) => states[i] = PartitionPosition::Done,
                    (Some(k), _) if ctx.codec.sealed() => states[i] = PartitionPosition::After(k),
                    (Some(_), Some(row)) => states[i] = PartitionPosition::After(row),
                    (Some(k), None) => {
                        start = Some(k);
                        continue;
                    }
                }
                break;
            }
            break;
        }
        let (rows, exhausted) = read_from(db, read, resume(&states[i]), needed).await?;
        states[i] = match (exhausted, rows.last()) {
            (true, _) => PartitionPosition::Done,
            (false, Some(last)) => PartitionPosition::After(key_from_item(last, &plan.cursor_keys)),
            (false, None) => states[i].clone(),
        };
        items.extend(rows.into_iter().map(|item| (i, item)));
    }
    Ok((items, states))
}

/// Partitions merged in the index's sort order: every unfinished partition
/// reads up to a page's worth, the merge takes the first rows, and each
/// partition resumes after the last of its rows taken.
pub(super) async fn merged_page(
    ctx: &PageCtx<'_>,
    reads: &[RenderedRead],
    mut states: Vec<PartitionPosition>,
) -> Result<(Vec<Item>, Vec<PartitionPosition>)> {
    let (db, plan, want) = (ctx.db, ctx.plan, ctx.want);
    let open: Vec<usize> = (0..reads.len())
        .filter(|i| states[*i] != PartitionPosition::Done)
        .collect();
    let results: Vec<(Vec<Item>, bool)> = stream::iter(open.iter().copied())
        .map(|i| {
            let start = resume(&states[i]);
            let read = reads[i].clone();
            async move { read_from(db, &read, start, want).await }
        })
        .buffered(db.concurrency())
        .try_collect()
        .await?;
    let lengths: Vec<usize> = results.iter().map(|(rows, _)| rows.len()).collect();
    let exhausted: Vec<bool> = results.iter().map(|(_, e)| *e).collect();
    let merged = merge(plan, results.into_iter().map(|(rows, _)| rows).collect());
    let taken: Vec<(usize, Item)> = merged
        .into_iter()
        .take(want.unwrap_or(usize::MAX))
        .collect();
    let mut consumed = vec![0usize; open.len()];
    let mut last: Vec<Option<&Item>> = vec![None; open.len()];
    for (p, item) in &taken {
        consumed[*p] += 1;
        last[*p] = Some(item);
    }
    for (slot, i) in open.iter().enumerate() {
        states[*i] = if consumed[slot] == lengths[slot] && exhausted[slot] {
            PartitionPosition::Done
        } else if let Some(row) = last[slot] {
            PartitionPosition::After(key_from_item(row, &plan.cursor_keys))
        } else {
            states[*i].clone()
        };
    }
    Ok((taken.into_iter().map(|(_, i)| i).collect(), states))
}
