//! Running a [`Plan`]: every terminal (all rows, a page, a stream, a
//! count) of every access path, limit-aware.
//!
//! - `limit` bounds the reading, not only the result: key lists are read
//!   in waves (the rows still wanted, doubling while rows are filtered
//!   out), Query and Scan pages stop once enough rows matched, and a
//!   multi-partition read without order takes partitions in waves too.
//! - Rows come back in a defined order: input order for key lists, key
//!   order for Queries (partitions merged by the index sort key when
//!   ordered), any order for Scans, and the requested order when sorted in
//!   memory (ties broken by key, so paging is exact).
//! - The residual runs on every row read; attributes fetched only for it
//!   are stripped before rows are returned.

use std::cmp::Ordering;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::SortOrder;
use super::canonical::{KeyId, sort_order};
use super::cursor::{Cursor, PartitionPosition, Position};
use super::eval;
use super::exec::{self, ReadSpec, RenderedRead, TableKeys};
use super::plan::{Access, Plan};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::{CompareOp, Node};
use crate::value::{AttributeValue, Item};

/// The Query or Scan of a plan (for a MultiQuery, of one partition value).
pub(crate) fn read_spec(plan: &Plan, partition_value: Option<&AttributeValue>) -> ReadSpec {
    let (index, key_condition) = match &plan.access {
        Access::Query {
            index,
            key_condition,
            ..
        } => (index.clone(), Some(key_condition.clone())),
        Access::MultiQuery {
            index,
            partition,
            sort_condition,
            ..
        } => {
            let mut parts = Vec::new();
            if let Some(v) = partition_value {
                parts.push(Node::Compare {
                    path: partition,
                    op: CompareOp::Eq,
                    value: Ok(v.clone()),
                });
            }
            // Several sort attributes of a multi-attribute key: flat `AND`s.
            parts.extend(
                sort_condition
                    .clone()
                    .map(Node::conjuncts)
                    .unwrap_or_default(),
            );
            (index.clone(), Node::all(parts))
        }
        _ => (None, None),
    };
    ReadSpec {
        table: plan.table.clone(),
        index,
        key_condition,
        filter: plan.filter.clone(),
        residual: plan.residual.clone(),
        projection: plan.projection.clone(),
        forward: plan.forward,
        consistent: plan.consistent,
        count_only: false,
        segment: None,
    }
}

fn partition_reads(plan: &Plan) -> Result<Vec<RenderedRead>> {
    match &plan.access {
        Access::MultiQuery { values, .. } => values
            .iter()
            .map(|v| read_spec(plan, Some(v)).render())
            .collect(),
        _ => Ok(Vec::new()),
    }
}

/// Whether partitions are merged in the index's sort order (else a
/// memory sort, if any, sorts everything after reading).
fn merged(plan: &Plan) -> bool {
    matches!((&plan.access, plan.memory_sort),
        (Access::MultiQuery { sort_key: Some(s), .. }, Some((a, _))) if *s == a)
}

/// Whether the rows must all be read and sorted in memory.
fn sorted_in_memory(plan: &Plan) -> bool {
    plan.memory_sort.is_some() && !merged(plan)
}

/// The order of two rows under the plan's sort (then by key).
fn row_order(plan: &Plan, a: &Item, b: &Item) -> Ordering {
    keyed_order(plan, (&plan.key_id(a), a), (&plan.key_id(b), b))
}

/// [`row_order`] with each row's key identity already computed.
fn keyed_order(plan: &Plan, (ka, a): (&KeyId, &Item), (kb, b): (&KeyId, &Item)) -> Ordering {
    let Some((attribute, direction)) = plan.memory_sort else {
        return Ordering::Equal;
    };
    let ord = sort_order(a.get(attribute), b.get(attribute)).then_with(|| ka.cmp(kb));
    match direction {
        SortOrder::Asc => ord,
        SortOrder::Desc => ord.reverse(),
    }
}

/// Sorts rows by [`row_order`], computing each row's key identity once.
fn sort_rows(plan: &Plan, items: Vec<Item>) -> Vec<Item> {
    let mut keyed: Vec<(KeyId, Item)> = items.into_iter().map(|i| (plan.key_id(&i), i)).collect();
    keyed.sort_by(|(ka, a), (kb, b)| keyed_order(plan, (ka, a), (kb, b)));
    keyed.into_iter().map(|(_, item)| item).collect()
}

fn strip(plan: &Plan, mut items: Vec<Item>) -> Vec<Item> {
    if let Some(keep) = &plan.keep {
        for item in &mut items {
            item.retain(|name, _| keep.iter().any(|k| k == name));
        }
    }
    items
}

fn passes(plan: &Plan, item: &Item) -> bool {
    plan.residual
        .as_ref()
        .is_none_or(|r| eval::matches(r, item))
}

/// The key attributes of a row (a position to resume after).
fn key_from_item(item: &Item, names: &[&'static str]) -> Item {
    names
        .iter()
        .filter_map(|n| item.get(*n).map(|v| ((*n).to_owned(), v.clone())))
        .collect()
}

/// Reads from `start` until `want` rows matched (or the end); `true` when
/// the end of the read was reached with every row read returned.
async fn read_from(
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
async fn read_keys(
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
fn merge(plan: &Plan, lists: Vec<Vec<Item>>) -> Vec<(usize, Item)> {
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

/// The matching rows of a plan, before sorting in memory, offset and limit.
async fn collect(db: &Dynamite, plan: &Plan) -> Result<Vec<Item>> {
    let want = if sorted_in_memory(plan) {
        None
    } else {
        plan.limit.map(|l| l.saturating_add(plan.offset))
    };
    Ok(match &plan.access {
        Access::Nothing => Vec::new(),
        Access::Get { key } => exec::get_item(
            db,
            &plan.table,
            key.clone(),
            plan.projection.as_deref(),
            plan.consistent,
        )
        .await?
        .into_iter()
        .filter(|i| passes(plan, i))
        .collect(),
        Access::BatchGet { keys } => read_keys(db, plan, keys, 0, want)
            .await?
            .into_iter()
            .map(|(_, item)| item)
            .collect(),
        Access::Scan if want.is_none() => {
            scan_everything(db, &read_spec(plan, None).render()?, &plan.table).await?
        }
        Access::Query { .. } | Access::Scan => {
            read_from(db, &read_spec(plan, None).render()?, None, want)
                .await?
                .0
        }
        Access::MultiQuery { .. } => {
            let reads = partition_reads(plan)?;
            if merged(plan) {
                // Every partition's first `want` rows hold the merged first `want`.
                let lists: Vec<Vec<Item>> = stream::iter(reads)
                    .map(|r| async move { Ok::<_, Error>(read_from(db, &r, None, want).await?.0) })
                    .buffered(db.concurrency())
                    .try_collect()
                    .await?;
                merge(plan, lists).into_iter().map(|(_, i)| i).collect()
            } else {
                // Partitions in order; with a limit, in waves (1, 2, 4, ...).
                let mut items = Vec::new();
                let mut next = 0;
                let mut wave = 1usize;
                while next < reads.len() {
                    let needed = want.map(|w| w.saturating_sub(items.len()));
                    if needed == Some(0) {
                        break;
                    }
                    let end = match needed {
                        Some(_) => next.saturating_add(wave).min(reads.len()),
                        None => reads.len(),
                    };
                    let lists: Vec<Vec<Item>> =
                        stream::iter(reads[next..end].to_vec())
                            .map(|r| async move {
                                Ok::<_, Error>(read_from(db, &r, None, needed).await?.0)
                            })
                            .buffered(db.concurrency())
                            .try_collect()
                            .await?;
                    items.extend(lists.into_iter().flatten());
                    next = end;
                    wave = wave.saturating_mul(2);
                }
                items
            }
        }
    })
}

/// Sorts in memory (when the plan says so), skips the offset, applies the
/// limit and strips helper attributes.
fn finish(plan: &Plan, mut items: Vec<Item>) -> Vec<Item> {
    if sorted_in_memory(plan) {
        items = sort_rows(plan, items);
    }
    let items: Vec<Item> = items
        .into_iter()
        .skip(plan.offset)
        .take(plan.limit.unwrap_or(usize::MAX))
        .collect();
    strip(plan, items)
}

/// Every row of a plan (sorted, offset, limited).
pub(crate) async fn fetch(db: &Dynamite, plan: &Plan) -> Result<Vec<Item>> {
    let items = collect(db, plan).await?;
    Ok(finish(plan, items))
}

/// The number of matching rows (after offset, at most `limit`).
pub(crate) async fn count(db: &Dynamite, plan: &Plan) -> Result<usize> {
    if let Access::Query { .. } | Access::Scan = plan.access {
        let mut spec = read_spec(plan, None);
        spec.count_only = true;
        let read = spec.render()?;
        if read.server_countable() {
            let segments = match plan.access {
                Access::Scan => exec::scan_segments(db, &plan.table).await,
                _ => 1,
            };
            let counts: Vec<usize> = stream::iter(0..segments)
                .map(|s| {
                    let segment = if segments > 1 {
                        read.segment(s, segments)
                    } else {
                        read.clone()
                    };
                    async move { segment.count(db).await }
                })
                .buffered(db.concurrency())
                .try_collect()
                .await?;
            let n = counts.iter().sum::<usize>().saturating_sub(plan.offset);
            return Ok(plan.limit.map_or(n, |l| n.min(l)));
        }
    }
    // Read the keys (and what the residual needs), then count.
    let mut lean = plan.clone();
    lean.memory_sort = None;
    let mut fetch_names: Vec<String> = lean.cursor_keys.iter().map(|k| (*k).to_owned()).collect();
    if let Some(r) = &lean.residual {
        let mut read = Vec::new();
        eval::attributes(r, &mut read);
        fetch_names.extend(read.into_iter().map(str::to_owned));
    }
    let mut seen = std::collections::HashSet::new();
    fetch_names.retain(|n| seen.insert(n.clone()));
    lean.projection = Some(fetch_names);
    lean.keep = Some(Vec::new());
    Ok(fetch(db, &lean).await?.len())
}

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

/// One page of a plan, forward from `cursor` (or the start), or backward
/// from a previous-page cursor: then the `limit` matching rows just before
/// that cursor's position, in the read's (forward) order.
pub(crate) async fn fetch_page(
    db: &Dynamite,
    plan: &Plan,
    cursor: Option<&Cursor>,
) -> Result<PageOut> {
    let signature = plan.signature();
    let position = match cursor.map(|c| c.decode(&signature)).transpose()? {
        Some(Position::Start) => None,
        p => p,
    };
    let wrong = || Error::InvalidCursor {
        reason: "its position does not fit this query".to_owned(),
    };
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
    // Previous-page cursors only where rows before a position can be
    // counted: not past an offset's skipped rows.
    let reversible = plan.offset == 0;
    // The first page skips `offset` rows: read them, then drop them.
    let skip = if position.is_none() { plan.offset } else { 0 };
    let want = plan.limit.map(|l| l.saturating_add(skip));
    let encode = |p: &Position| Cursor::encode(&signature, p);
    let some = |p: Position| encode(&p).map(Some);
    let signature = signature.as_str();

    if sorted_in_memory(plan) {
        let items = sort_rows(plan, collect(db, plan).await?);
        let len = items.len();
        let sort_key = |row: &Item| {
            let mut names = plan.table_keys.clone();
            names.extend(plan.memory_sort.map(|(a, _)| a));
            key_from_item(row, &names)
        };
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
            Some(_) => return Err(wrong()),
        };
        let page: Vec<Item> = items.get(begin..end).unwrap_or_default().to_vec();
        let next = match (end < len, page.last()) {
            (false, _) => None,
            (true, Some(last)) => some(Position::Sorted(sort_key(last)))?,
            (true, None) => some(Position::Start)?,
        };
        let previous = match page.first().or(items.get(begin)) {
            _ if begin == 0 || !reversible => None,
            Some(first) => some(Position::SortedBefore(sort_key(first)))?,
            None => some(Position::End)?,
        };
        let page = page.into_iter().skip(skip).collect();
        return Ok(PageOut {
            items: strip(plan, page),
            next,
            previous,
        });
    }

    let out = match &plan.access {
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
        Access::BatchGet { keys } => {
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
                        (start > 0 && reversible).then(|| rows.first().map_or(start, |(i, _)| *i));
                    (rows, next_key, previous_key)
                }
                Some(_) => return Err(wrong()),
            };
            PageOut {
                items: rows.into_iter().map(|(_, i)| i).collect(),
                next: (next_key < keys.len())
                    .then(|| encode(&Position::Offset(next_key)))
                    .transpose()?,
                previous: previous_key
                    .map(|i| encode(&Position::BeforeOffset(i)))
                    .transpose()?,
            }
        }
        Access::Query { .. } | Access::Scan => {
            let query = matches!(plan.access, Access::Query { .. });
            match position {
                Some(Position::Before(key)) if query => {
                    backward_page(db, plan, Some(key), want, signature).await?
                }
                Some(Position::End) if query => {
                    backward_page(db, plan, None, want, signature).await?
                }
                None | Some(Position::After(_)) => {
                    let start = match position {
                        Some(Position::After(k)) => Some(k),
                        _ => None,
                    };
                    let read = read_spec(plan, None).render()?;
                    let (items, next) =
                        page_of_one(db, plan, &read, start.clone(), want, signature).await?;
                    // Backward from the first row; an empty page (nothing
                    // matches after where it started) follows the last page.
                    let previous = match (items.first(), start) {
                        (_, None) => None,
                        _ if !query || !reversible => None,
                        (Some(first), _) => {
                            some(Position::Before(key_from_item(first, &plan.cursor_keys)))?
                        }
                        (None, Some(_)) => some(Position::End)?,
                    };
                    PageOut {
                        items,
                        next,
                        previous,
                    }
                }
                Some(_) => return Err(wrong()),
            }
        }
        Access::MultiQuery { values, .. } => {
            let reads = partition_reads(plan)?;
            // Partitions one after the other (no order asked) page back
            // with a limit; merged ones have no previous page.
            let sequential = !merged(plan);
            let started = position.is_some();
            let states = match position {
                Some(Position::PartitionsBefore(p, key)) if sequential && p < values.len() => {
                    // Without a limit (a cursor of a limited query): every row before.
                    let want = want.unwrap_or(usize::MAX);
                    return backward_partitions_page(db, plan, &reads, (p, key), want, signature)
                        .await
                        .map(|out| PageOut {
                            items: strip(plan, out.items),
                            ..out
                        });
                }
                None => vec![PartitionPosition::Start; values.len()],
                Some(Position::Partitions(p)) if p.len() == values.len() => p,
                Some(_) => return Err(wrong()),
            };
            let (items, states) = if sequential {
                sequential_page(db, plan, &reads, states, want).await?
            } else {
                merged_page(db, plan, &reads, states, want)
                    .await
                    .map(|(items, states)| (items.into_iter().map(|i| (0, i)).collect(), states))?
            };
            let previous = match items.first() {
                _ if !(sequential && started && reversible && want.is_some()) => None,
                Some((p, first)) => some(Position::PartitionsBefore(
                    *p,
                    Some(key_from_item(first, &plan.cursor_keys)),
                ))?,
                // Nothing after where the page started: the last page precedes it.
                None => some(Position::PartitionsBefore(
                    values.len().saturating_sub(1),
                    None,
                ))?,
            };
            let next = states
                .iter()
                .any(|s| *s != PartitionPosition::Done)
                .then(|| encode(&Position::Partitions(states)))
                .transpose()?;
            PageOut {
                items: items.into_iter().map(|(_, i)| i).collect(),
                next,
                previous,
            }
        }
    };
    let items = out.items.into_iter().skip(skip).collect();
    Ok(PageOut {
        items: strip(plan, items),
        ..out
    })
}

/// The page just before `key` of a Query (`None`: the last page): read
/// with the direction flipped from `key`, then put back in the read's order. With a limit,
/// one row more than the page is read: it tells whether another page
/// precedes this one. Without, one DynamoDB page (with at least one row
/// unless the start is reached).
async fn backward_page(
    db: &Dynamite,
    plan: &Plan,
    key: Option<Item>,
    want: Option<usize>,
    signature: &str,
) -> Result<PageOut> {
    let encode = |p: &Position| Cursor::encode(signature, p);
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
                    Some(last) if !rows.is_empty() => break (rows, Some(last)),
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

/// A page of one Query or Scan: DynamoDB's own page without a limit.
async fn page_of_one(
    db: &Dynamite,
    plan: &Plan,
    read: &RenderedRead,
    mut start: Option<Item>,
    want: Option<usize>,
    signature: &str,
) -> Result<(Vec<Item>, Option<Cursor>)> {
    let encode = |p: &Position| Cursor::encode(signature, p);
    let mut items: Vec<Item> = Vec::new();
    loop {
        let remaining = want.map(|w| w.saturating_sub(items.len()));
        let page_limit = if read.has_filter() { None } else { remaining };
        let page = read.page(db, start, page_limit).await?;
        let wanted = remaining.unwrap_or(usize::MAX);
        if page.items.len() > wanted {
            // Stop inside this page: resume right after the last row returned.
            items.extend(page.items.into_iter().take(wanted));
            let last = items.last().map(|i| key_from_item(i, &plan.cursor_keys));
            let cursor = last.map(|k| encode(&Position::After(k))).transpose()?;
            return Ok((items, cursor));
        }
        items.extend(page.items);
        let done = want.is_none_or(|w| items.len() >= w);
        match page.last_key {
            None => return Ok((items, None)),
            Some(k) if done => return Ok((items, Some(encode(&Position::After(k))?))),
            Some(k) => start = Some(k),
        }
    }
}

fn resume(state: &PartitionPosition) -> Option<Item> {
    match state {
        PartitionPosition::After(k) => Some(k.clone()),
        _ => None,
    }
}

/// Partitions one after the other: the page comes from the first
/// unfinished partitions, each resumed where the last page stopped; each
/// row with its partition.
async fn sequential_page(
    db: &Dynamite,
    plan: &Plan,
    reads: &[RenderedRead],
    mut states: Vec<PartitionPosition>,
    want: Option<usize>,
) -> Result<(Vec<(usize, Item)>, Vec<PartitionPosition>)> {
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
            // One DynamoDB page of the first unfinished partition.
            let page = read.page(db, resume(&states[i]), None).await?;
            states[i] = match page.last_key {
                Some(k) => PartitionPosition::After(k),
                None => PartitionPosition::Done,
            };
            items.extend(page.items.into_iter().map(|item| (i, item)));
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

/// The page of partitions read one after the other that ends just before
/// `key` of partition `at` (`None`: after its last row): partitions read
/// backward from there, nearest first, until one row more than the page
/// (which tells whether a page precedes it), then put back in order.
async fn backward_partitions_page(
    db: &Dynamite,
    plan: &Plan,
    reads: &[RenderedRead],
    (at, key): (usize, Option<Item>),
    want: usize,
    signature: &str,
) -> Result<PageOut> {
    let encode = |p: &Position| Cursor::encode(signature, p);
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

/// Partitions merged in the index's sort order: every unfinished partition
/// reads up to a page's worth, the merge takes the first rows, and each
/// partition resumes after the last of its rows taken.
async fn merged_page(
    db: &Dynamite,
    plan: &Plan,
    reads: &[RenderedRead],
    mut states: Vec<PartitionPosition>,
    want: Option<usize>,
) -> Result<(Vec<Item>, Vec<PartitionPosition>)> {
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
