//! Whole-result terminals: every row of a plan, and the count.

use futures::stream::{self, StreamExt, TryStreamExt};

use super::read::{merge, read_from, read_keys, scan_everything};
use super::{merged, partition_reads, passes, read_spec, sort_rows, sorted_in_memory, strip};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::read::eval;
use crate::read::exec;
use crate::read::plan::{Access, Plan};
use crate::value::Item;

/// The matching rows of a plan, before sorting in memory, offset and limit.
pub(super) async fn collect(db: &Dynamite, plan: &Plan) -> Result<Vec<Item>> {
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
pub(super) fn finish(plan: &Plan, mut items: Vec<Item>) -> Vec<Item> {
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
