//! Nested collections read by their grandparent's prefix: projects ->
//! tasks -> comments in one shared table, all under `TENANT#<tenant>`,
//! comments under `COMMENT#<project>#<task>#`. The comments of every task
//! of one project come back from ONE Query (`COMMENT#<project>#`), in the
//! round of the tasks, when the task level returns its whole collection.
//!
//! A differential test over random trees (orphan comments, soft-deleted and
//! expired comments included) and random filters, limits, orders and
//! projections at each level compares every answer with a brute-force
//! reference and, when the fused read applies, the requests and items read
//! with what one Query per project (and none per task) reads. Seeded,
//! shrinking; `DYNAMITE_CASES` raises the case count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_nest", pk = "TENANT#{tenant_id}", sk = "PROJECT#{id}")]
struct NProject {
    tenant_id: String,
    id: u16,
    name: String,
    /// Every model of a table declares the same TTL attribute.
    #[dynamite(ttl)]
    expires: Option<i64>,
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id"]))]
    tasks: HasMany<NTask>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(
    table = "st_nest",
    pk = "TENANT#{tenant_id}",
    sk = "TASK#{project_id}#{id}"
)]
struct NTask {
    tenant_id: String,
    project_id: u16,
    id: u16,
    state: String,
    #[dynamite(ttl)]
    expires: Option<i64>,
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id", "task_id"]))]
    comments: HasMany<NComment>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(
    table = "st_nest",
    pk = "TENANT#{tenant_id}",
    sk = "COMMENT#{project_id}#{task_id}#{id}"
)]
struct NComment {
    tenant_id: String,
    project_id: u16,
    task_id: u16,
    id: u16,
    votes: i32,
    #[dynamite(deleted_at)]
    deleted_at: Option<i64>,
    #[dynamite(ttl)]
    expires: Option<i64>,
}

const NAMES: [&str; 3] = ["a", "b", "c"];
const STATES: [&str; 2] = ["open", "done"];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<NProject>()
        .table::<NTask>()
        .table::<NComment>()
}

async fn db() -> Dynamite {
    let db = register(crate::common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db
}

// ------------------------------------------------------------ the data

/// A comment: votes, soft-deleted, TTL (0 none, 1 expired, 2 future).
type CommentRow = (i32, bool, u8);
/// A task: state, expired, its comments by id.
type TaskRow = (&'static str, bool, BTreeMap<u16, CommentRow>);

#[derive(Debug, Clone)]
struct ProjectRow {
    name: &'static str,
    tasks: BTreeMap<u16, TaskRow>,
    /// Comments of tasks that do not exist (task id, comment id, comment).
    orphans: Vec<(u16, u16, CommentRow)>,
}

/// Tenants (by index) -> projects by id.
type Tree = Vec<BTreeMap<u16, ProjectRow>>;

fn comment() -> impl Strategy<Value = CommentRow> {
    (-2i32..3, prop::bool::weighted(0.15), 0u8..3)
}

fn tree() -> impl Strategy<Value = Tree> {
    let task = (
        prop::sample::select(STATES.to_vec()),
        prop::bool::weighted(0.15),
        prop::collection::btree_map(0u16..12, comment(), 0..4),
    );
    let project = (
        prop::sample::select(NAMES.to_vec()),
        prop::collection::btree_map(0u16..9, task, 0..4),
        prop::collection::vec((50u16..53, 0u16..12, comment()), 0..2),
    )
        .prop_map(|(name, tasks, orphans)| ProjectRow {
            name,
            tasks,
            orphans,
        });
    prop::collection::vec(prop::collection::btree_map(0u16..6, project, 0..4), 1..3)
}

fn expires(code: u8) -> Option<i64> {
    match code {
        1 => Some(now() - 6 * 366 * 86_400),
        2 => Some(now() + 366 * 86_400),
        _ => None,
    }
}

async fn write(db: &Dynamite, tenants: &[String], tree: &Tree) {
    let (mut projects, mut tasks, mut comments) = (Vec::new(), Vec::new(), Vec::new());
    let comment_row = |t: &str, p: u16, task: u16, id: u16, c: &CommentRow| NComment {
        tenant_id: t.to_owned(),
        project_id: p,
        task_id: task,
        id,
        votes: c.0,
        deleted_at: c.1.then_some(1),
        expires: expires(c.2),
    };
    for (tenant, projects_of) in tenants.iter().zip(tree) {
        for (pid, p) in projects_of {
            projects.push(NProject {
                tenant_id: tenant.clone(),
                id: *pid,
                name: p.name.to_owned(),
                expires: None,
                tasks: HasMany::default(),
            });
            for (tid, (state, expired, cs)) in &p.tasks {
                tasks.push(NTask {
                    tenant_id: tenant.clone(),
                    project_id: *pid,
                    id: *tid,
                    state: (*state).to_owned(),
                    expires: expires(if *expired { 1 } else { 2 }),
                    comments: HasMany::default(),
                });
                comments.extend(
                    cs.iter()
                        .map(|(id, c)| comment_row(tenant, *pid, *tid, *id, c)),
                );
            }
            comments.extend(
                p.orphans
                    .iter()
                    .map(|(tid, id, c)| comment_row(tenant, *pid, *tid, *id, c)),
            );
        }
    }
    NProject::put_many(db, projects).await.unwrap();
    NTask::put_many(db, tasks).await.unwrap();
    NComment::put_many(db, comments).await.unwrap();
}

// ------------------------------------------------------------ the query

#[derive(Debug, Clone)]
struct Case {
    /// The root reads this tenant (`eq`: a Query of its partition; `is_in`
    /// on a key-template field is a Scan today, not what this test is for).
    tenant: usize,
    project_name: Option<&'static str>,
    /// A task filter: the task level drops rows, so no fused read.
    task_state: Option<&'static str>,
    task_desc: bool,
    min_votes: Option<i32>,
    /// A comment limit: one Query per task (it stops at the limit).
    comment_limit: Option<usize>,
    comment_desc: bool,
    /// Comments projected to (id, votes).
    project_comments: bool,
}

impl Case {
    /// Whether the comments are read by the project's prefix.
    fn fused(&self) -> bool {
        self.task_state.is_none() && self.comment_limit.is_none()
    }
}

fn case(tenants: usize) -> impl Strategy<Value = Case> {
    (
        0..tenants,
        prop::option::of(prop::sample::select(NAMES.to_vec())),
        prop::option::weighted(0.3, prop::sample::select(STATES.to_vec())),
        any::<bool>(),
        prop::option::of(-1i32..3),
        prop::option::weighted(0.3, 1usize..3),
        any::<bool>(),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(
                tenant,
                project_name,
                task_state,
                task_desc,
                min_votes,
                comment_limit,
                comment_desc,
                project_comments,
            )| Case {
                tenant,
                project_name,
                task_state,
                task_desc,
                min_votes,
                comment_limit,
                comment_desc,
                project_comments,
            },
        )
}

/// The answer as lines: tenant, project, task, comment (id votes).
async fn run(db: &Dynamite, tenants: &[String], case: &Case) -> dynamite::Result<Vec<String>> {
    let mut comments = NTask::comments();
    if let Some(m) = case.min_votes {
        comments = comments.filter(NComment::VOTES.ge(m));
    }
    if let Some(l) = case.comment_limit {
        comments = comments.limit(l);
    }
    if case.comment_desc {
        comments = comments.order(Desc);
    }
    if case.project_comments {
        comments = comments.attributes((NComment::ID, NComment::VOTES));
    }
    let mut tasks = NProject::tasks();
    if let Some(s) = case.task_state {
        tasks = tasks.filter(NTask::STATE.eq(s));
    }
    if case.task_desc {
        tasks = tasks.order(Desc);
    }
    let mut query = NProject::query()
        .filter(NProject::TENANT_ID.eq(tenants[case.tenant].clone()))
        .include(tasks.include(comments));
    if let Some(n) = case.project_name {
        query = query.filter(NProject::NAME.eq(n));
    }
    let mut projects = query.all(db).await?;
    projects.sort_by(|a, b| (&a.tenant_id, a.id).cmp(&(&b.tenant_id, b.id)));
    let mut lines = Vec::new();
    for p in &projects {
        lines.push(format!("project {} {} {}", p.tenant_id, p.id, p.name));
        for t in p.tasks.iter() {
            lines.push(format!("  task {} {}", t.id, t.state));
            if case.project_comments {
                for c in t.comments.projected().unwrap_or_default() {
                    let (id, votes) = (c.get(NComment::ID)?, c.get(NComment::VOTES)?);
                    lines.push(format!("    comment {id} {votes}"));
                }
            } else {
                for c in t.comments.iter() {
                    lines.push(format!("    comment {} {}", c.id, c.votes));
                }
            }
        }
    }
    Ok(lines)
}

/// The brute-force answer, and the items a fused read must read: every
/// project of the chosen tenants (the root Query), every task of the
/// projects returned, every comment row under their prefix.
fn reference(tenants: &[String], tree: &Tree, case: &Case) -> (Vec<String>, u64) {
    let mut lines = Vec::new();
    let mut items = 0u64;
    {
        let t = case.tenant;
        items += tree[t].len() as u64;
        for (pid, p) in &tree[t] {
            if case.project_name.is_some_and(|n| n != p.name) {
                continue;
            }
            lines.push(format!("project {} {pid} {}", tenants[t], p.name));
            items += p.tasks.len() as u64;
            items += p
                .tasks
                .values()
                .map(|(_, _, cs)| cs.len() as u64)
                .sum::<u64>();
            items += p.orphans.len() as u64;
            let mut tasks: Vec<(&u16, &TaskRow)> = p
                .tasks
                .iter()
                .filter(|(_, (state, expired, _))| {
                    !expired && case.task_state.is_none_or(|s| s == *state)
                })
                .collect();
            if case.task_desc {
                tasks.reverse();
            }
            for (tid, (state, _, cs)) in tasks {
                lines.push(format!("  task {tid} {state}"));
                let mut live: Vec<(&u16, &CommentRow)> = cs
                    .iter()
                    .filter(|(_, c)| !c.1 && c.2 != 1 && case.min_votes.is_none_or(|m| c.0 >= m))
                    .collect();
                if case.comment_desc {
                    live.reverse();
                }
                if let Some(l) = case.comment_limit {
                    live.truncate(l);
                }
                for (id, c) in live {
                    lines.push(format!("    comment {id} {}", c.0));
                }
            }
        }
    }
    (lines, items)
}

static TENANT_SEQ: AtomicUsize = AtomicUsize::new(0);

#[test]
fn nested_collections_match_the_reference_on_random_trees() {
    let cases: u32 = std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(db());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = tree().prop_flat_map(|tree| {
        let n = tree.len();
        (Just(tree), prop::collection::vec(case(n), 3))
    });
    let result = runner.run(&strategy, |(tree, queries)| {
        // Fresh tenants for every case (shrinking included): no case sees
        // another's rows.
        let tenants: Vec<String> = (0..tree.len())
            .map(|_| format!("t{}", TENANT_SEQ.fetch_add(1, Ordering::Relaxed)))
            .collect();
        rt.block_on(write(&db, &tenants, &tree));
        for case in &queries {
            db.metrics().reset();
            let got = rt
                .block_on(run(&db, &tenants, case))
                .map_err(|e| TestCaseError::fail(format!("{case:?}: {e}")))?;
            let (want, items) = reference(&tenants, &tree, case);
            prop_assert_eq!(&got, &want, "{:?}", case);
            if case.fused() {
                // Roots: one Query per tenant; then per project returned,
                // one Query of tasks and one of all their comments.
                let projects = want.iter().filter(|l| l.starts_with("project")).count() as u64;
                let m = db.metrics();
                prop_assert_eq!(
                    m.count("Query"),
                    1 + 2 * projects,
                    "{:?} {} projects: {:?}",
                    case,
                    projects,
                    m
                );
                prop_assert_eq!(m.items_read(), items, "{:?}", case);
                prop_assert!(m.rounds() <= 2, "{} rounds: {:?}", m.rounds(), case);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ------------------------------------------------------ fixed examples

/// One tenant (returned), 2 projects of 3 tasks of 2 comments, plus an
/// orphan comment.
async fn seed(db: &Dynamite) -> String {
    let tenant = format!("t{}", TENANT_SEQ.fetch_add(1, Ordering::Relaxed));
    let mut tree: BTreeMap<u16, ProjectRow> = BTreeMap::new();
    for p in 0..2u16 {
        let tasks = (0..3u16)
            .map(|t| {
                let cs = (0..2u16)
                    .map(|c| (c, (i32::from(c + t), false, 0)))
                    .collect();
                (t, (STATES[usize::from(t % 2)], false, cs))
            })
            .collect();
        tree.insert(
            p,
            ProjectRow {
                name: NAMES[usize::from(p)],
                tasks,
                orphans: vec![(50, 9, (1, false, 0))],
            },
        );
    }
    write(db, std::slice::from_ref(&tenant), &vec![tree]).await;
    db.metrics().reset();
    tenant
}

#[dynamite::test(registry = register)]
async fn comments_of_all_tasks_of_a_project_are_one_query(db: Dynamite) {
    let tenant = seed(&db).await;
    let projects = NProject::query()
        .filter(NProject::TENANT_ID.eq(tenant.clone()))
        .include(NProject::tasks().include(NTask::comments()))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(projects.len(), 2);
    assert!(
        projects
            .iter()
            .all(|p| p.tasks.len() == 3 && p.tasks.iter().all(|t| t.comments.len() == 2))
    );
    // Before: 1 (projects) + 2 (tasks per project) + 6 (comments per task)
    // Queries in 3 rounds; now 1 + 2 + 2 in 2 rounds.
    let m = db.metrics();
    assert_eq!(m.count("Query"), 5, "{m:?}");
    assert_eq!(m.rounds(), 2);
    // 2 projects + 6 tasks + 12 comments + 2 orphans (read, not shown).
    assert_eq!(m.items_read(), 22);
}

#[dynamite::test(registry = register)]
async fn a_task_filter_keeps_one_query_per_task(db: Dynamite) {
    let tenant = seed(&db).await;
    let projects = NProject::query()
        .filter(NProject::TENANT_ID.eq(tenant.clone()))
        .include(
            NProject::tasks()
                .filter(NTask::STATE.eq("open"))
                .include(NTask::comments()),
        )
        .all(&db)
        .await
        .unwrap();
    let tasks: usize = projects.iter().map(|p| p.tasks.len()).sum();
    assert_eq!(tasks, 4);
    // Per task: the comments of the tasks the filter dropped are not read.
    let m = db.metrics();
    assert_eq!(m.count("Query"), 1 + 2 + 4, "{m:?}");
    assert_eq!(m.rounds(), 3);
}

#[dynamite::test(registry = register)]
async fn explain_shows_the_query_by_the_projects_prefix(db: Dynamite) {
    let plan = NProject::query()
        .filter(NProject::TENANT_ID.eq("t0"))
        .include(
            NProject::tasks().include(NTask::comments().filter(NComment::VOTES.gt(0)).order(Desc)),
        )
        .explain(&db);
    let text = plan.to_string();
    assert!(
        text.contains("key begins_with(sk, \"TASK#<project_id>#\")"),
        "{text}"
    );
    assert!(
        text.contains(
            "st_nest key pk = \"TENANT#<tenant_id>\" AND begins_with(sk, \"COMMENT#<project_id>#\")"
        ),
        "{text}"
    );
    // Tasks and comments in round 2: no round 3.
    let round2 = text
        .lines()
        .find(|l| l.starts_with("round 2"))
        .unwrap_or_default();
    assert!(
        round2.contains("`tasks`") && round2.contains("`comments`"),
        "{text}"
    );
    assert!(!text.contains("round 3"), "{text}");
    // A comment limit: one Query per task, a round later.
    let limited = NProject::query()
        .filter(NProject::TENANT_ID.eq("t0"))
        .include(NProject::tasks().include(NTask::comments().limit(1)))
        .explain(&db)
        .to_string();
    assert!(
        limited.contains("round 3: `comments`: Query ")
            && limited.contains(
                "st_nest partition of <each parent's tenant_id> key begins_with(sk, \"COMMENT#<project_id>#<task_id>#\")"
            ),
        "{limited}"
    );
}
