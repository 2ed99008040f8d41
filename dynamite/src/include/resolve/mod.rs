//! Include resolution: breadth-first, one round of concurrent requests per
//! level at most, fewer with key propagation.
//!
//! - `belongs_to`: distinct foreign keys -> BatchGetItem (100 keys a call,
//!   every `belongs_to` of a round in the same calls, across tables); a leaf
//!   lookup into a table that a deeper level reads too waits for that round,
//!   so both share one BatchGetItem.
//! - `has_many` / `has_one`: one Query per distinct parent on the
//!   foreign-key GSI, with the include's filter, limit and order inside it.
//! - Under an unfiltered full-table Scan, a `has_many` reads the child table
//!   with one Scan (carrying the include filter) in the same round.
//! - Key propagation: when the root filter pins the join value, the child
//!   read goes out in the same round as the root read.
//!
//! Stages, one module each: [`spec`] (the untyped plan of an include),
//! [`cost`] (Scan or Queries, pinned values, the round of each node),
//! [`round`] (the requests of one round), [`fuse`] (a row and the
//! collections of its partition in one Query), [`stitch`] (join values and
//! the loaded graph), [`describe`] (`explain()`).

mod cost;
mod describe;
mod fuse;
mod round;
mod spec;
mod stitch;

pub(crate) use describe::describe;
pub(crate) use spec::{IncludeOptions, NodeSpec, PerParent};
pub(crate) use stitch::{Loaded, value_key};

use std::collections::{HashMap, HashSet};

use futures::future;

use crate::client::Dynamite;
use crate::error::Result;
use crate::read::canonical::KeyId;
use crate::read::exec::{self, key_fingerprint};
use crate::read::plan::Plan;
use crate::value::{AttributeValue, Item};
use cost::{assign_rounds, child_scan_cheaper, expected_roots, pinned_values, reads_whole_table};
use fuse::fuse_partition;
use round::{round_relations, run_tasks};
use stitch::distinct_values;

/// What one node reads in a round.
#[derive(Debug)]
enum Task<'a> {
    /// Rows whose join attribute holds one of these values.
    Values(&'a NodeSpec, Vec<AttributeValue>),
    /// The whole child table (one Scan with the include filter), keeping
    /// the children of these parent values (`None`: decided later).
    Scan(&'a NodeSpec, Option<Vec<AttributeValue>>),
}

/// Loads the includes of rows already read (lazy loading, pages, streams).
pub(crate) async fn load_for(
    db: &Dynamite,
    parents: &[Item],
    specs: &[NodeSpec],
) -> Result<Loaded> {
    let (_, loaded) = run(db, None, parents.to_vec(), specs).await?;
    Ok(loaded)
}

/// Reads the root rows of `plan` and every include, round by round.
pub(crate) async fn load(
    db: &Dynamite,
    plan: &Plan,
    specs: &[NodeSpec],
) -> Result<(Vec<Item>, Loaded)> {
    run(db, Some(plan), Vec::new(), specs).await
}

async fn run(
    db: &Dynamite,
    plan: Option<&Plan>,
    roots: Vec<Item>,
    specs: &[NodeSpec],
) -> Result<(Vec<Item>, Loaded)> {
    // Level-1 reads that need no root row.
    let mut early_tasks: Vec<Task<'_>> = Vec::new();
    let mut early = HashSet::new();
    let mut scanned_early = HashSet::new();
    if let Some(plan) = plan {
        let expected = match reads_whole_table(plan) {
            true => expected_roots(plan, exec::table_stats(db, &plan.table).await),
            false => None,
        };
        for spec in specs {
            let scan = match expected {
                Some(parents) => child_scan_cheaper(db, spec, parents).await,
                None => false,
            };
            if scan {
                early.insert(spec.id);
                scanned_early.insert(spec.id);
                early_tasks.push(Task::Scan(spec, None));
            } else if let Some(values) = pinned_values(plan, spec)
                && plan.limit.is_none_or(|l| values.len() <= l)
            {
                early.insert(spec.id);
                if child_scan_cheaper(db, spec, values.len() as f64).await {
                    early_tasks.push(Task::Scan(spec, Some(values)));
                } else {
                    early_tasks.push(Task::Values(spec, values));
                }
            }
        }
    }
    let rounds = assign_rounds(specs, &early);
    let last_round = rounds.values().copied().max().unwrap_or(0);
    let mut loaded = Loaded::default();
    let mut all = Vec::new();
    specs.iter().for_each(|s| s.walk(&mut all));
    let by_id: HashMap<usize, &NodeSpec> = all.iter().map(|n| (n.id, *n)).collect();
    let store = |loaded: &mut Loaded, results: Vec<(usize, Groups)>| {
        for (id, groups) in results {
            if let Some(spec) = by_id.get(&id) {
                loaded.store(spec, groups);
            }
        }
    };

    // Round 0: the root read with the early include reads; a shared-table
    // row and collections of its own partition are one Query.
    let fused = plan.and_then(|plan| fuse_partition(plan, &mut early_tasks));
    // Nested collections the fused Query loaded are not read again.
    let mut fused_loaded: HashSet<usize> = HashSet::new();
    let roots = match plan {
        Some(plan) => {
            let root_read = async {
                match &fused {
                    Some(fused) => fused.read(db, plan).await,
                    None => crate::read::run::fetch(db, plan)
                        .await
                        .map(|root| (root, Vec::new())),
                }
            };
            let relations = round_relations(true, &early_tasks);
            let reads = 1 + early_tasks.len();
            let (root, early_results) = crate::trace::round(
                1,
                reads,
                &relations,
                future::join(root_read, run_tasks(db, early_tasks)),
            )
            .await;
            let (root, fused_results) = root?;
            let mut early_results = early_results?;
            fused_loaded.extend(fused_results.iter().map(|(id, _)| *id));
            early_results.extend(fused_results);
            // The child Scan read every parent's children: keep the rows'.
            for (id, groups) in &mut early_results {
                if let Some(spec) = by_id.get(id).filter(|s| scanned_early.contains(&s.id)) {
                    let wanted: HashSet<KeyId> = distinct_values(&root, &spec.parent_attrs)
                        .iter()
                        .filter_map(value_key)
                        .collect();
                    groups.retain(|k, _| wanted.contains(k));
                }
            }
            store(&mut loaded, early_results);
            loaded.rounds += 1;
            root
        }
        None => roots,
    };

    let parent_of: HashMap<usize, Option<usize>> = {
        let mut m = HashMap::new();
        fn visit(spec: &NodeSpec, parent: Option<usize>, m: &mut HashMap<usize, Option<usize>>) {
            m.insert(spec.id, parent);
            for c in &spec.children {
                visit(c, Some(spec.id), m);
            }
        }
        specs.iter().for_each(|s| visit(s, None, &mut m));
        m
    };
    for round in 1..=last_round {
        let mut tasks = Vec::new();
        for node in all.iter().filter(|n| {
            rounds.get(&n.id) == Some(&round)
                && !early.contains(&n.id)
                && !fused_loaded.contains(&n.id)
        }) {
            let parent = parent_of.get(&node.id).copied().flatten();
            let parents: &[Item] = match parent {
                Some(p) => loaded.items.get(&p).map_or(&[], Vec::as_slice),
                None => &roots,
            };
            // Under a many-to-many with a limit, only the far rows kept.
            let kept: Vec<Item>;
            let parents = match parent.and_then(|p| by_id.get(&p)) {
                Some(far) if far.per_parent.is_some_and(|p| p.limit.is_some()) => {
                    let near = parent_of.get(&far.id).copied().flatten();
                    let grandparents: &[Item] =
                        match near.and_then(|n| parent_of.get(&n).copied().flatten()) {
                            Some(g) => loaded.items.get(&g).map_or(&[], Vec::as_slice),
                            None => &roots,
                        };
                    let mut seen = HashSet::new();
                    kept = match near.and_then(|n| by_id.get(&n)) {
                        Some(near) => grandparents
                            .iter()
                            .flat_map(|g| loaded.far_rows(near, far, g))
                            .filter(|i| seen.insert(key_fingerprint(i, far.target.key_names())))
                            .cloned()
                            .collect(),
                        None => parents.to_vec(),
                    };
                    kept.as_slice()
                }
                _ => parents,
            };
            let values = node.values_of(parents);
            if values.is_empty() {
                continue;
            }
            if child_scan_cheaper(db, node, values.len() as f64).await {
                tasks.push(Task::Scan(node, Some(values)));
            } else {
                tasks.push(Task::Values(node, values));
            }
        }
        if tasks.is_empty() {
            continue;
        }
        let relations = round_relations(false, &tasks);
        let reads = tasks.len();
        let results =
            crate::trace::round(loaded.rounds + 1, reads, &relations, run_tasks(db, tasks)).await?;
        store(&mut loaded, results);
        loaded.rounds += 1;
    }
    db.metrics().record_rounds(loaded.rounds.max(1) as u64);
    Ok((roots, loaded))
}

type Groups = HashMap<KeyId, Vec<Item>>;
