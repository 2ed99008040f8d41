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
//! - Nested collections of a shared table whose partition and sort prefix
//!   the grandparent renders: one Query per grandparent, in the round of
//!   the children ([`nested`]).
//!
//! Stages, one module each: [`spec`] (the untyped plan of an include),
//! [`cost`] (Scan or Queries, pinned values, the round of each node),
//! [`round`] (the requests of one round), [`fuse`] (a row and the
//! collections of its partition in one Query), [`nested`] (grandchildren
//! read by their grandparent's prefix), [`stitch`] (join values and the
//! loaded graph), [`describe`] (`explain()`).

mod cost;
mod describe;
mod fuse;
mod nested;
mod round;
mod spec;
mod stitch;

pub(crate) use describe::describe;
pub(crate) use spec::{IncludeOptions, NodeSpec, PerParent};
pub(crate) use stitch::{Loaded, value_key};

use std::borrow::Cow;
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
use nested::{add_by_grandparent, keep_returned_children};
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
    /// A grandchild level read by the prefix of its grandparents, whose
    /// join values (as the child level's Queries get them) are these.
    Nested(nested::ByGrandparent<'a>, Vec<AttributeValue>),
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

/// The level-1 reads that need no root row: a Scan of the child table
/// when it is cheaper under a whole-table root read, or the children of
/// join values the root filter pins.
struct EarlyReads<'a> {
    tasks: Vec<Task<'a>>,
    /// Their node ids.
    nodes: HashSet<usize>,
    /// The nodes read by a whole child-table Scan (kept for the roots' join
    /// values once the roots are in).
    scanned: HashSet<usize>,
}

async fn early_reads<'a>(
    db: &Dynamite,
    plan: Option<&Plan>,
    specs: &'a [NodeSpec],
) -> EarlyReads<'a> {
    let mut early = EarlyReads {
        tasks: Vec::new(),
        nodes: HashSet::new(),
        scanned: HashSet::new(),
    };
    let Some(plan) = plan else {
        return early;
    };
    let expected = match reads_whole_table(plan) {
        true => expected_roots(plan, exec::table_stats(db, &plan.table).await),
        false => None,
    };
    for spec in specs {
        let scan = match expected {
            Some(parents) => child_scan_cheaper(db, spec, parents, plan.strict).await,
            None => false,
        };
        if scan {
            early.nodes.insert(spec.id);
            early.scanned.insert(spec.id);
            early.tasks.push(Task::Scan(spec, None));
        } else if let Some(values) = pinned_values(plan, spec)
            && plan.limit.is_none_or(|l| values.len() <= l)
        {
            early.nodes.insert(spec.id);
            if child_scan_cheaper(db, spec, values.len() as f64, plan.strict).await {
                early.tasks.push(Task::Scan(spec, Some(values)));
            } else {
                early.tasks.push(Task::Values(spec, values));
            }
        }
    }
    early
}

/// The include tree flattened: every node by id, with its parent.
struct Tree<'a> {
    all: Vec<&'a NodeSpec>,
    by_id: HashMap<usize, &'a NodeSpec>,
    parent_of: HashMap<usize, Option<usize>>,
}

impl<'a> Tree<'a> {
    fn new(specs: &'a [NodeSpec]) -> Tree<'a> {
        fn visit(spec: &NodeSpec, parent: Option<usize>, m: &mut HashMap<usize, Option<usize>>) {
            m.insert(spec.id, parent);
            for c in &spec.children {
                visit(c, Some(spec.id), m);
            }
        }
        let mut all = Vec::new();
        specs.iter().for_each(|s| s.walk(&mut all));
        let by_id = all.iter().map(|n| (n.id, *n)).collect();
        let mut parent_of = HashMap::new();
        specs.iter().for_each(|s| visit(s, None, &mut parent_of));
        Tree {
            all,
            by_id,
            parent_of,
        }
    }

    fn parent(&self, id: usize) -> Option<usize> {
        self.parent_of.get(&id).copied().flatten()
    }

    fn store(&self, loaded: &mut Loaded, results: Vec<(usize, Groups)>) {
        for (id, groups) in results {
            if let Some(spec) = self.by_id.get(&id) {
                loaded.store(spec, groups);
            }
        }
    }

    /// The rows whose children `node` reads: its parent level's (under a
    /// many-to-many with a limit, only the far rows kept), or the roots.
    fn parents_of<'b>(
        &self,
        node: &NodeSpec,
        loaded: &'b Loaded,
        roots: &'b [Item],
    ) -> Cow<'b, [Item]> {
        let level = |id: Option<usize>| -> &'b [Item] {
            match id {
                Some(p) => loaded.items.get(&p).map_or(&[], Vec::as_slice),
                None => roots,
            }
        };
        let parent = self.parent(node.id);
        let far = parent
            .and_then(|p| self.by_id.get(&p))
            .filter(|far| far.per_parent.is_some_and(|p| p.limit.is_some()));
        let near = far.and_then(|far| self.by_id.get(&self.parent(far.id)?));
        let (Some(far), Some(near)) = (far, near) else {
            return Cow::Borrowed(level(parent));
        };
        let mut seen = HashSet::new();
        Cow::Owned(
            level(self.parent(near.id))
                .iter()
                .flat_map(|g| loaded.far_rows(near, far, g))
                .filter(|i| seen.insert(key_fingerprint(i, far.target.key_names())))
                .cloned()
                .collect(),
        )
    }
}

async fn run(
    db: &Dynamite,
    plan: Option<&Plan>,
    roots: Vec<Item>,
    specs: &[NodeSpec],
) -> Result<(Vec<Item>, Loaded)> {
    let EarlyReads {
        tasks: mut early_tasks,
        nodes: early,
        scanned: scanned_early,
    } = early_reads(db, plan, specs).await;
    let rounds = assign_rounds(specs, &early);
    let last_round = rounds.values().copied().max().unwrap_or(0);
    let mut loaded = Loaded::default();
    let tree = Tree::new(specs);

    // Round 0: the root read with the early include reads; a shared-table
    // row and collections of its own partition are one Query.
    let fused = plan.and_then(|plan| fuse_partition(plan, &mut early_tasks));
    // Nested collections read already (by the fused Query, or by their
    // grandparents' prefix) are not read again.
    let mut fused_loaded: HashSet<usize> = HashSet::new();
    let roots = match plan {
        Some(plan) => {
            let by_grandparent = add_by_grandparent(&mut early_tasks);
            fused_loaded.extend(by_grandparent.iter().map(|b| b.node.id));
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
                if let Some(spec) = tree.by_id.get(id).filter(|s| scanned_early.contains(&s.id)) {
                    let wanted: HashSet<KeyId> = distinct_values(&root, &spec.parent_attrs)
                        .iter()
                        .filter_map(value_key)
                        .collect();
                    groups.retain(|k, _| wanted.contains(k));
                }
            }
            keep_returned_children(&by_grandparent, &mut early_results);
            tree.store(&mut loaded, early_results);
            loaded.rounds += 1;
            root
        }
        None => roots,
    };

    for round in 1..=last_round {
        let mut tasks = Vec::new();
        for node in tree.all.iter().filter(|n| {
            rounds.get(&n.id) == Some(&round)
                && !early.contains(&n.id)
                && !fused_loaded.contains(&n.id)
        }) {
            let values = node.values_of(&tree.parents_of(node, &loaded, &roots));
            if values.is_empty() {
                continue;
            }
            if child_scan_cheaper(
                db,
                node,
                values.len() as f64,
                plan.is_some_and(|p| p.strict),
            )
            .await
            {
                tasks.push(Task::Scan(node, Some(values)));
            } else {
                tasks.push(Task::Values(node, values));
            }
        }
        if tasks.is_empty() {
            continue;
        }
        let by_grandparent = add_by_grandparent(&mut tasks);
        fused_loaded.extend(by_grandparent.iter().map(|b| b.node.id));
        let relations = round_relations(false, &tasks);
        let reads = tasks.len();
        let mut results =
            crate::trace::round(loaded.rounds + 1, reads, &relations, run_tasks(db, tasks)).await?;
        keep_returned_children(&by_grandparent, &mut results);
        tree.store(&mut loaded, results);
        loaded.rounds += 1;
    }
    db.metrics().record_rounds(loaded.rounds.max(1) as u64);
    Ok((roots, loaded))
}

type Groups = HashMap<KeyId, Vec<Item>>;
