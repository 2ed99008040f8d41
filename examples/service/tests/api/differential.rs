//! The service against an in-memory reference: random sequences of
//! writes (create, change with the right or a stale version, delete,
//! comment) by two tenants, then every listing walked page by page with a
//! random page size and compared with the reference: the tasks of each
//! project (all, and by status), each assignee's tasks, the projects'
//! task counters, and the tree.
//!
//! Seeded and shrinking. Cases: `DYNAMITE_CASES` (default 8 on the
//! embedded engine, 4 on an endpoint); seed: `DYNAMITE_SEED`. All cases
//! share one backend; each uses tenants of its own, so every case also
//! runs beside the earlier cases' data.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::common::{Api, id, ids};

const PROJECTS: usize = 3;
const ASSIGNEES: [&str; 3] = ["ada", "bob", "cy"];
const STATUSES: [&str; 3] = ["open", "doing", "done"];

#[derive(Debug, Clone)]
enum Op {
    Create {
        tenant: usize,
        project: usize,
        assignee: usize,
        status: usize,
    },
    Change {
        tenant: usize,
        pick: usize,
        status: usize,
        assignee: usize,
        stale: bool,
    },
    Delete {
        tenant: usize,
        pick: usize,
        stale: bool,
    },
    Comment {
        tenant: usize,
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 0..PROJECTS, 0..3usize, 0..3usize)
            .prop_map(|(tenant, project, assignee, status)| Op::Create { tenant, project, assignee, status }),
        2 => (0..2usize, any::<usize>(), 0..3usize, 0..3usize, any::<bool>())
            .prop_map(|(tenant, pick, status, assignee, stale)| Op::Change { tenant, pick, status, assignee, stale }),
        1 => (0..2usize, any::<usize>(), any::<bool>())
            .prop_map(|(tenant, pick, stale)| Op::Delete { tenant, pick, stale }),
        1 => (0..2usize, any::<usize>()).prop_map(|(tenant, pick)| Op::Comment { tenant, pick }),
    ]
}

/// A task as the reference knows it.
#[derive(Debug, Clone)]
struct Task {
    id: String,
    project: usize,
    assignee: usize,
    status: usize,
    version: u64,
    comments: Vec<String>,
}

/// One tenant in the reference.
#[derive(Debug, Default)]
struct Tenant {
    name: String,
    projects: Vec<String>,
    /// In creation order (ids are time-ordered).
    tasks: Vec<Task>,
}

fn cases() -> u32 {
    std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if crate::common::on_endpoint() { 4 } else { 8 })
}

fn seed() -> [u8; 32] {
    let n: u64 = std::env::var("DYNAMITE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5E_41_1C_E0);
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    seed
}

#[test]
fn the_api_answers_as_the_reference() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let api = rt.block_on(Api::new());
    let case = AtomicUsize::new(0);
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed()));
    let strategy = (prop::collection::vec(op(), 0..28), 1..7u32);
    let result = runner.run(&strategy, |(ops, limit)| {
        let n = case.fetch_add(1, Ordering::SeqCst);
        rt.block_on(run_case(&api, n, &ops, limit))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

async fn run_case(api: &Api, n: usize, ops: &[Op], limit: u32) -> Result<(), String> {
    let mut tenants: Vec<Tenant> = Vec::new();
    for t in 0..2 {
        let name = format!("c{n}t{t}");
        api.tenant(&name).await;
        let mut projects = Vec::new();
        for p in 0..PROJECTS {
            projects.push(api.project(&name, &format!("p{p}")).await);
        }
        tenants.push(Tenant {
            name,
            projects,
            tasks: Vec::new(),
        });
    }
    for op in ops {
        apply(api, &mut tenants, op).await?;
    }
    for tenant in &tenants {
        check(api, tenant, limit).await?;
    }
    Ok(())
}

fn expect(what: &str, got: StatusCode, want: StatusCode, body: &Value) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: {got} (expected {want}): {body}"))
    }
}

async fn apply(api: &Api, tenants: &mut [Tenant], op: &Op) -> Result<(), String> {
    match *op {
        Op::Create {
            tenant,
            project,
            assignee,
            status,
        } => {
            let t = &mut tenants[tenant];
            let r = api
                .post(
                    &t.name,
                    &format!("/projects/{}/tasks", t.projects[project]),
                    json!({ "title": "t", "assignee": ASSIGNEES[assignee], "status": STATUSES[status] }),
                )
                .await;
            expect("create", r.status, StatusCode::CREATED, &r.body)?;
            t.tasks.push(Task {
                id: id(&r.body),
                project,
                assignee,
                status,
                version: 1,
                comments: Vec::new(),
            });
        }
        Op::Change {
            tenant,
            pick,
            status,
            assignee,
            stale,
        } => {
            let t = &mut tenants[tenant];
            if t.tasks.is_empty() {
                return Ok(());
            }
            let i = pick % t.tasks.len();
            let task = &mut t.tasks[i];
            let version = if stale {
                task.version + 1
            } else {
                task.version
            };
            let r = api
                .patch(
                    &t.name,
                    &format!("/projects/{}/tasks/{}", t.projects[task.project], task.id),
                    json!({ "status": STATUSES[status], "assignee": ASSIGNEES[assignee] }),
                    Some(&format!("\"{version}\"")),
                )
                .await;
            if stale {
                expect("stale change", r.status, StatusCode::CONFLICT, &r.body)?;
            } else {
                expect("change", r.status, StatusCode::OK, &r.body)?;
                task.status = status;
                task.assignee = assignee;
                task.version += 1;
            }
        }
        Op::Delete {
            tenant,
            pick,
            stale,
        } => {
            let t = &mut tenants[tenant];
            if t.tasks.is_empty() {
                return Ok(());
            }
            let i = pick % t.tasks.len();
            let task = &t.tasks[i];
            let version = if stale {
                task.version + 1
            } else {
                task.version
            };
            let r = api
                .delete(
                    &t.name,
                    &format!("/projects/{}/tasks/{}", t.projects[task.project], task.id),
                    Some(&format!("\"{version}\"")),
                )
                .await;
            if stale {
                expect("stale delete", r.status, StatusCode::CONFLICT, &r.body)?;
            } else {
                expect("delete", r.status, StatusCode::NO_CONTENT, &r.body)?;
                t.tasks.remove(i);
            }
        }
        Op::Comment { tenant, pick } => {
            let t = &mut tenants[tenant];
            if t.tasks.is_empty() {
                return Ok(());
            }
            let i = pick % t.tasks.len();
            let task = &mut t.tasks[i];
            let r = api
                .post(
                    &t.name,
                    &format!(
                        "/projects/{}/tasks/{}/comments",
                        t.projects[task.project], task.id
                    ),
                    json!({ "author": "a", "body": "b" }),
                )
                .await;
            expect("comment", r.status, StatusCode::CREATED, &r.body)?;
            task.comments.push(id(&r.body));
        }
    }
    Ok(())
}

fn same(what: String, got: &[String], want: &[String]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}:\n  got  {got:?}\n  want {want:?}"))
    }
}

async fn check(api: &Api, t: &Tenant, limit: u32) -> Result<(), String> {
    let (projects, _) = api.walk(&t.name, "/projects", limit).await;
    same(format!("{} projects", t.name), &ids(&projects), &t.projects)?;
    for (p, project) in t.projects.iter().enumerate() {
        let of = |keep: &dyn Fn(&Task) -> bool| -> Vec<String> {
            t.tasks
                .iter()
                .filter(|x| x.project == p && keep(x))
                .map(|x| x.id.clone())
                .collect()
        };
        let uri = format!("/projects/{project}/tasks");
        let (rows, _) = api.walk(&t.name, &uri, limit).await;
        same(format!("{} {uri}", t.name), &ids(&rows), &of(&|_| true))?;
        for row in &rows {
            let Some(want) = t.tasks.iter().find(|x| x.id == id(row)) else {
                continue;
            };
            let got = (
                row["status"].as_str(),
                row["assignee"].as_str(),
                row["version"].as_u64(),
            );
            if got
                != (
                    Some(STATUSES[want.status]),
                    Some(ASSIGNEES[want.assignee]),
                    Some(want.version),
                )
            {
                return Err(format!(
                    "{} task {}: {row} but the reference has {want:?}",
                    t.name, want.id
                ));
            }
        }
        for (s, status) in STATUSES.iter().enumerate() {
            let (rows, _) = api
                .walk(&t.name, &format!("{uri}?status={status}"), limit)
                .await;
            same(
                format!("{} {uri}?status={status}", t.name),
                &ids(&rows),
                &of(&|x| x.status == s),
            )?;
        }
        let r = api.get(&t.name, &format!("/projects/{project}")).await;
        let want = of(&|_| true).len() as i64;
        if r.body["task_count"].as_i64() != Some(want) {
            return Err(format!(
                "{} project {p}: task_count {} (expected {want})",
                t.name, r.body["task_count"]
            ));
        }
        let r = api.get(&t.name, &format!("/projects/{project}/tree")).await;
        let tree = r.body["tasks"].as_array().cloned().unwrap_or_default();
        same(
            format!("{} tree of {p}", t.name),
            &ids(&tree),
            &of(&|_| true),
        )?;
        for row in &tree {
            let want = t
                .tasks
                .iter()
                .find(|x| x.id == id(row))
                .map(|x| x.comments.clone())
                .unwrap_or_default();
            let got = ids(row["comments"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default());
            same(format!("{} comments of {}", t.name, id(row)), &got, &want)?;
        }
    }
    for (a, assignee) in ASSIGNEES.iter().enumerate() {
        // Which path serves it (the tenant's partition or the index) sets
        // the order; the rows are the same: compared as sorted lists.
        let (rows, _) = api
            .walk(&t.name, &format!("/tasks?assignee={assignee}"), limit)
            .await;
        let mut got = ids(&rows);
        got.sort();
        let mut want: Vec<String> = t
            .tasks
            .iter()
            .filter(|x| x.assignee == a)
            .map(|x| x.id.clone())
            .collect();
        want.sort();
        same(
            format!("{} /tasks?assignee={assignee}", t.name),
            &got,
            &want,
        )?;
    }
    Ok(())
}
