//! Previous pages: reads with the direction flipped from a position,
//! put back in the read's order.

use std::cmp::Ordering;

use super::key_from_item;
use super::page::{PageCtx, PageOut};
use super::read::read_from;
use super::read_spec;
use crate::error::Result;
use crate::read::cursor::{PartitionPosition, Position};
use crate::read::exec::RenderedRead;
use crate::value::Item;

/// The page just before `key` of a Query (`None`: the last page): read
/// with the direction flipped from `key`, then put back in the read's order. With a limit,
/// one row more than the page is read: it tells whether another page
/// precedes this one. Without, one DynamoDB page (with at least one row
/// unless the start is reached).
pub(super) async fn backward_page(ctx: &PageCtx<'_>, key: Option<Item>) -> Result<PageOut> {
    let (db, plan, want) = (ctx.db, ctx.plan, ctx.want);
    let encode = |p: &Position| ctx.cursor(p);
    let read = read_spec(plan, None).render()?.reversed();
    // Rows nearest `key` first, and where a previous page would end.
    let (mut rows, previous_at) = match want {
        Some(w) => {
            let (mut rows, _) = read_from(db, &read, key, Some(w.saturating_add(1))).await?;
            let previous_at = (rows.len() > w)
                .then(|| rows.get(w.saturating_sub(1)))
                .flatten()
                .map(|row| key_from_item(row, &plan.cursor_keys));
            rows.truncate(w);
            (rows, previous_at)
        }
        None => {
            let mut rows = Vec::new();
            let mut start = key;
            loop {
                let page = read.page(db, start, None).await?;
                rows.extend(page.items);
                match page.last_key {
                    None => break (rows, None),
                    // A plain cursor holds a row returned (the earliest
                    // of this page), never one the filter excluded.
                    Some(last) if !rows.is_empty() => {
                        let at = match rows.last() {
                            Some(row) if !ctx.codec.sealed() => {
                                key_from_item(row, &plan.cursor_keys)
                            }
                            _ => last,
                        };
                        break (rows, Some(at));
                    }
                    Some(last) => start = Some(last),
                }
            }
        }
    };
    rows.reverse();
    // Nothing matched before `key`: the page after this one is the first.
    let next = match rows.last() {
        Some(last) => Position::After(key_from_item(last, &plan.cursor_keys)),
        None => Position::Start,
    };
    Ok(PageOut {
        next: Some(encode(&next)?),
        previous: previous_at
            .map(|k| encode(&Position::Before(k)))
            .transpose()?,
        items: rows,
    })
}

/// The page of partitions read one after the other that ends just before
/// `key` of partition `at` (`None`: after its last row): partitions read
/// backward from there, nearest first, until one row more than the page
/// (which tells whether a page precedes it), then put back in order.
pub(super) async fn backward_partitions_page(
    ctx: &PageCtx<'_>,
    reads: &[RenderedRead],
    (at, key): (usize, Option<Item>),
) -> Result<PageOut> {
    let (db, plan) = (ctx.db, ctx.plan);
    // Without a limit (a cursor of a limited query): every row before.
    let want = ctx.want.unwrap_or(usize::MAX);
    let encode = |p: &Position| ctx.cursor(p);
    let mut rows: Vec<(usize, Item)> = Vec::new();
    let mut start = key;
    for p in (0..=at).rev() {
        let needed = want.saturating_add(1).saturating_sub(rows.len());
        let Some(read) = reads.get(p).filter(|_| needed > 0) else {
            break;
        };
        let (found, _) = read_from(db, &read.reversed(), start.take(), Some(needed)).await?;
        rows.extend(found.into_iter().map(|item| (p, item)));
    }
    let more = rows.len() > want;
    rows.truncate(want);
    rows.reverse();
    let previous = match rows.first() {
        Some((p, first)) if more => Some(encode(&Position::PartitionsBefore(
            *p,
            Some(key_from_item(first, &plan.cursor_keys)),
        ))?),
        _ => None,
    };
    // Resume after the last row: earlier partitions are done, later ones
    // not started.
    let next = match rows.last() {
        Some((q, last)) => Position::Partitions(
            (0..reads.len())
                .map(|i| match i.cmp(q) {
                    Ordering::Less => PartitionPosition::Done,
                    Ordering::Equal => {
                        PartitionPosition::After(key_from_item(last, &plan.cursor_keys))
                    }
                    Ordering::Greater => PartitionPosition::Start,
                })
                .collect(),
        ),
        None => Position::Start,
    };
    Ok(PageOut {
        items: rows.into_iter().map(|(_, i)| i).collect(),
        next: Some(encode(&next)?),
        previous,
    })
}
