//! One page of a plan and the cursors of the pages after and before it.

use std::cmp::Ordering;

use super::all::collect;
use super::backward::{backward_page, backward_partitions_page};
use super::fits;
use super::partitions::{merged_page, sequential_page};
use super::read::read_keys;
use super::{
    key_from_item, merged, partition_reads, read_spec, row_order, sort_rows, sorted_in_memory,
    strip,
};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::read::canonical::plan_signature;
use crate::read::cursor::{Codec, Cursor, PartitionPosition, Position};
use crate::read::exec::RenderedRead;
use crate::read::plan::{Access, Plan};
use crate::value::Item;

/// One page of a plan and the cursors of the pages after and before it.
#[derive(Debug, Default)]
pub(crate) struct PageOut {
    pub(crate) items: Vec<Item>,
    pub(crate) next: Option<Cursor>,
    /// `None` on the first page, for Scans, for partitions merged by an
    /// order, and with an offset (whose skipped rows cannot be counted
    /// backward).
    pub(crate) previous: Option<Cursor>,
}

/// What every page function shares: the handle, the plan, how cursors are
/// written, and the page's size.
pub(super) struct PageCtx<'a> {
    pub(super) db: &'a Dynamite,
    pub(super) plan: &'a Plan,
    pub(super) codec: &'a Codec,
    /// Rows to read (the limit plus the offset skipped on a first page).
    pub(super) want: Option<usize>,
    /// Whether previous-page cursors can be given (no offset).
    pub(super) reversible: bool,
}

impl PageCtx<'_> {
    pub(super) fn cursor(&self, position: &Position) -> Result<Cursor> {
        self.codec.encode(position)
    }

    fn some(&self, position: Position) -> Result<Option<Cursor>> {
        self.cursor(&position).map(Some)
    }
}

fn wrong() -> Error {
    Error::InvalidCursor {
        reason: "its position does not fit this query".to_owned(),
    }
}

/// One page of a plan, forward from `cursor` (or the start), or backward
/// from a previous-page cursor: then the `limit` matching rows just before
/// that cursor's position, in the read's (forward) order.
pub(crate) async fn fetch_page(
    db: &Dynamite,
    plan: &Plan,
    cursor: Option<&Cursor>,
) -> Result<PageOut> {
    let keys = db.cursor_keys();
    let sealed = !keys.is_empty();
    if !sealed {
        plain_cursor_allowed(plan)?;
    }
    let codec = Codec::new(plan_signature(plan, sealed), keys);
    let position = match cursor.map(|c| codec.decode(c)).transpose()? {
        Some(Position::Start) => None,
        p => p,
    };
    if let Some(p) = &position {
        fits::check(db, plan, p)?;
    }
    let backward = matches!(
        position,
        Some(
            Position::Before(_)
                | Position::BeforeOffset(_)
                | Position::SortedBefore(_)
                | Position::End
        )
    );
    if backward && plan.offset > 0 {
        return Err(wrong());
    }
    // A page of no rows has no neighbours (else walking would never end).
    if plan.limit == Some(0) {
        return Ok(PageOut::default());
    }
    // The first page skips `offset` rows: read them, then drop them.
    let skip = if position.is_none() { plan.offset } else { 0 };
    let ctx = PageCtx {
        db,
        plan,
        codec: &codec,
        want: plan.limit.map(|l| l.saturating_add(skip)),
        // Previous-page cursors only where rows before a position can be
        // counted: not past an offset's skipped rows.
        reversible: plan.offset == 0,
    };
    let out = if sorted_in_memory(plan) {
        sorted_page(&ctx, position).await?
    } else {
        match &plan.access {
            Access::Nothing => PageOut::default(),
            Access::Get { .. } => {
                if position.is_some() {
                    return Err(wrong());
                }
                let mut unlimited = plan.clone();
                unlimited.limit = None;
                unlimited.offset = 0;
                PageOut {
                    items: collect(db, &unlimited).await?,
                    ..PageOut::default()
                }
            }
            Access::BatchGet { keys } => keys_page(&ctx, keys, position).await?,
            Access::Query { .. } | Access::Scan => one_read_page(&ctx, position).await?,
            Access::MultiQuery { values, .. } => {
                partitions_page(&ctx, values.len(), position).await?
            }
        }
    };
    let items = out.items.into_iter().skip(skip).collect();
    Ok(PageOut {
        items: strip(plan, items),
        ..out
    })
}

/// A page of a read sorted in memory: every match is read and sorted, the
/// page is cut from the sorted rows. A position holds the sort value and
/// the key of its row (fetched even when the query projects them away),
/// and the next page starts strictly after that (value, key): rows
/// deleted or changed meanwhile never make it skip one.
async fn sorted_page(ctx: &PageCtx<'_>, position: Option<Position>) -> Result<PageOut> {
    let (plan, want) = (ctx.plan, ctx.want);
    let items = sort_rows(plan, collect(ctx.db, plan).await?);
    let len = items.len();
    let sort_key = |row: &Item| key_from_item(row, &sorted_positions(plan));
    // The first row after `row` (`strict`), or at or after it.
    let at = |row: &Item, strict: bool| {
        items
            .iter()
            .position(|i| match row_order(plan, i, row) {
                Ordering::Greater => true,
                Ordering::Equal => !strict,
                Ordering::Less => false,
            })
            .unwrap_or(len)
    };
    let (begin, end) = match &position {
        None => (0, want.unwrap_or(len).min(len)),
        Some(Position::Sorted(after)) => {
            let begin = at(after, true);
            (
                begin,
                want.map_or(len, |w| begin.saturating_add(w).min(len)),
            )
        }
        Some(Position::SortedBefore(before)) => {
            let end = at(before, false);
            (want.map_or(0, |w| end.saturating_sub(w)), end)
        }
        Some(Position::End) => (want.map_or(0, |w| len.saturating_sub(w)), len),
        // Key-and-rank positions (no longer written: a rank skips rows
        // after deletes) and positions of other reads.
        Some(_) => return Err(wrong()),
    };
    let page: Vec<Item> = items.get(begin..end).unwrap_or_default().to_vec();
    let next = match (end < len, page.last()) {
        (false, _) => None,
        (true, Some(last)) => ctx.some(Position::Sorted(sort_key(last)))?,
        (true, None) => ctx.some(Position::Start)?,
    };
    let previous = match page.first().or(items.get(begin)) {
        _ if begin == 0 || !ctx.reversible => None,
        Some(first) => ctx.some(Position::SortedBefore(sort_key(first)))?,
        None => ctx.some(Position::End)?,
    };
    Ok(PageOut {
        items: page,
        next,
        previous,
    })
}

/// The attributes a position of a read sorted in memory holds: the table
/// keys and the sort attribute.
fn sorted_positions(plan: &Plan) -> Vec<&'static str> {
    let mut names = plan.table_keys.clone();
    names.extend(plan.memory_sort.map(|(a, _)| a));
    names
}

/// The attributes a cursor of `plan` may hold: the key attributes of the
/// read (table keys, the index keys of an index read), plus the sort
/// attribute of a read sorted in memory; none for key lists (offsets).
fn positions(plan: &Plan) -> Vec<&'static str> {
    if sorted_in_memory(plan) {
        return sorted_positions(plan);
    }
    match &plan.access {
        Access::Nothing | Access::Get { .. } | Access::BatchGet { .. } => Vec::new(),
        Access::Query { .. } | Access::MultiQuery { .. } | Access::Scan => {
            let mut names = plan.cursor_keys.clone();
            names.extend(plan.memory_sort.map(|(a, _)| a));
            names
        }
    }
}

/// A plain cursor never holds a `Sensitive` value (a sensitive field, or
/// a key rendered from one): a read whose cursor would is refused before
/// anything is sent, decided from the plan, not from the data.
fn plain_cursor_allowed(plan: &Plan) -> Result<()> {
    let names = positions(plan);
    let Some(sensitive) = names.iter().find(|n| plan.sensitive.contains(n)) else {
        return Ok(());
    };
    Err(Error::Config(format!(
        "page() of this read would put `{sensitive}` (a Sensitive value, or a key rendered \
         from one) of table `{}` in a plain cursor, which shows it to whoever holds the \
         cursor: give the handle cursor secrets (`DynamiteBuilder::cursor_secrets`) so \
         cursors are sealed, or read it with `all()` / `stream()`",
        plan.table
    )))
}

/// A page of a key list: cursors are offsets into the list.
async fn keys_page(
    ctx: &PageCtx<'_>,
    keys: &[Item],
    position: Option<Position>,
) -> Result<PageOut> {
    let (db, plan, want) = (ctx.db, ctx.plan, ctx.want);
    let (rows, next_key, previous_key) = match position {
        Some(Position::BeforeOffset(end)) if end <= keys.len() => {
            // The keys before `end`, nearest first: one row more
            // than the page tells whether a page precedes it.
            let before: Vec<Item> = keys[..end].iter().rev().cloned().collect();
            let mut rows =
                read_keys(db, plan, &before, 0, want.map(|w| w.saturating_add(1))).await?;
            let more = want.is_some_and(|w| rows.len() > w);
            rows.truncate(want.unwrap_or(usize::MAX));
            rows.reverse();
            let rows: Vec<(usize, Item)> = rows
                .into_iter()
                .map(|(i, item)| (end.saturating_sub(i + 1), item))
                .collect();
            let next_key = rows.last().map_or(end, |(i, _)| i.saturating_add(1));
            let previous_key = rows.first().filter(|_| more).map(|(i, _)| *i);
            (rows, next_key, previous_key)
        }
        None | Some(Position::Offset(_)) => {
            let start = match position {
                Some(Position::Offset(n)) if n <= keys.len() => n,
                Some(_) => return Err(wrong()),
                None => 0,
            };
            let rows = read_keys(db, plan, keys, start, want).await?;
            let next_key = match (want, rows.last()) {
                (Some(w), Some((i, _))) if rows.len() >= w => i.saturating_add(1),
                _ => keys.len(),
            };
            let previous_key =
                (start > 0 && ctx.reversible).then(|| rows.first().map_or(start, |(i, _)| *i));
            (rows, next_key, previous_key)
        }
        Some(_) => return Err(wrong()),
    };
    Ok(PageOut {
        items: rows.into_iter().map(|(_, i)| i).collect(),
        next: (next_key < keys.len())
            .then(|| ctx.cursor(&Position::Offset(next_key)))
            .transpose()?,
        previous: previous_key
            .map(|i| ctx.cursor(&Position::BeforeOffset(i)))
            .transpose()?,
    })
}

/// A page of one Query or Scan, forward or backward.
async fn one_read_page(ctx: &PageCtx<'_>, position: Option<Position>) -> Result<PageOut> {
    let plan = ctx.plan;
    let query = matches!(plan.access, Access::Query { .. });
    match position {
        Some(Position::Before(key)) if query => backward_page(ctx, Some(key)).await,
        Some(Position::End) if query => backward_page(ctx, None).await,
        None | Some(Position::After(_)) => {
            let start = match position {
                Some(Position::After(k)) => Some(k),
                _ => None,
            };
            let read = read_spec(plan, None).render()?;
            let (items, next) = page_of_one(ctx, &read, start.clone()).await?;
            // Backward from the first row; an empty page (nothing
            // matches after where it started) follows the last page.
            let previous = match (items.first(), start) {
                (_, None) => None,
                _ if !query || !ctx.reversible => None,
                (Some(first), _) => {
                    ctx.some(Position::Before(key_from_item(first, &plan.cursor_keys)))?
                }
                (None, Some(_)) => ctx.some(Position::End)?,
            };
            Ok(PageOut {
                items,
                next,
                previous,
            })
        }
        Some(_) => Err(wrong()),
    }
}

/// A page of a read over `count` partitions (one Query each).
async fn partitions_page(
    ctx: &PageCtx<'_>,
    count: usize,
    position: Option<Position>,
) -> Result<PageOut> {
    let (plan, want) = (ctx.plan, ctx.want);
    let reads = partition_reads(plan)?;
    // Partitions one after the other (no order asked) page back
    // with a limit; merged ones have no previous page.
    let sequential = !merged(plan);
    let started = position.is_some();
    let states = match position {
        Some(Position::PartitionsBefore(p, key)) if sequential && p < count => {
            return backward_partitions_page(ctx, &reads, (p, key)).await;
        }
        None => vec![PartitionPosition::Start; count],
        Some(Position::Partitions(p)) if p.len() == count => p,
        Some(_) => return Err(wrong()),
    };
    let (items, states) = if sequential {
        sequential_page(ctx, &reads, states).await?
    } else {
        merged_page(ctx, &reads, states)
            .await
            .map(|(items, states)| (items.into_iter().map(|i| (0, i)).collect(), states))?
    };
    let previous = match items.first() {
        _ if !(sequential && started && ctx.reversible && want.is_some()) => None,
        Some((p, first)) => ctx.some(Position::PartitionsBefore(
            *p,
            Some(key_from_item(first, &plan.cursor_keys)),
        ))?,
        // Nothing after where the page started: the last page precedes it.
        None => ctx.some(Position::PartitionsBefore(count.saturating_sub(1), None))?,
    };
    let next = states
        .iter()
        .any(|s| *s != PartitionPosition::Done)
        .then(|| ctx.cursor(&Position::Partitions(states)))
        .transpose()?;
    Ok(PageOut {
        items: items.into_iter().map(|(_, i)| i).collect(),
        next,
        previous,
    })
}

/// A page of one Query or Scan: DynamoDB's own page without a limit. A
/// sealed cursor resumes at DynamoDB's LastEvaluatedKey; a plain one only
/// ever after the last row returned (LastEvaluatedKey may be a row the
/// filter excluded, e.g. another tenant's), so a page that returned
/// nothing yet reads on until a row matches or the read ends.
async fn page_of_one(
    ctx: &PageCtx<'_>,
    read: &RenderedRead,
    mut start: Option<Item>,
) -> Result<(Vec<Item>, Option<Cursor>)> {
    let (db, plan, want) = (ctx.db, ctx.plan, ctx.want);
    let after_row =
        |row: &Item| ctx.cursor(&Position::After(key_from_item(row, &plan.cursor_keys)));
    let mut items: Vec<Item> = Vec::new();
    loop {
        let remaining = want.map(|w| w.saturating_sub(items.len()));
        let page_limit = if read.has_filter() { None } else { remaining };
        let page = read.page(db, start, page_limit).await?;
        let wanted = remaining.unwrap_or(usize::MAX);
        if page.items.len() > wanted {
            // Stop inside this page: resume right after the last row returned.
            items.extend(page.items.into_iter().take(wanted));
            let cursor = items.last().map(after_row).transpose()?;
            return Ok((items, cursor));
        }
        items.extend(page.items);
        let done = want.is_none_or(|w| items.len() >= w);
        match page.last_key {
            None => return Ok((items, None)),
            Some(k) if done && ctx.codec.sealed() => {
                return Ok((items, Some(ctx.cursor(&Position::After(k))?)));
            }
            Some(k) if done => match items.last() {
                Some(last) => {
                    let cursor = after_row(last)?;
                    return Ok((items, Some(cursor)));
                }
                None => start = Some(k),
            },
            Some(k) => start = Some(k),
        }
    }
}
