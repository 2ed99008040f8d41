//! The projects workload (`dynamite-bench projects`): tenants -> projects
//! -> tasks -> comments in one shared table, every row under its tenant's
//! partition `TENANT#{tenant_id}`: projects `PROJECT#{id}`, tasks
//! `TASK#{project_id}#{id}`, comments `COMMENT#{project_id}#{task_id}#{id}`.
//!
//! - P1 `projects.tasks.comments` of one tenant: the projects' Query, then
//!   per project one Query of its tasks and one of all its tasks' comments
//!   (by the project's prefix `COMMENT#<project_id>#`), in one round.
//! - P1 per task: P1 with `comments().limit(1000)` (more than any task
//!   holds, so the same rows): a limit keeps one Query per task, a round
//!   later, which is the plan P1 had before nested collections were read
//!   by prefix; it gives the "before" numbers.
//! - P2 the same with a task filter (`state = "open"`): the task level
//!   drops rows, so the comments are read per task (the fused read would
//!   read the comments of the tasks the filter excluded).
//!
//! Each tenant holds [`PROJECTS`] projects of [`TASKS`] tasks of
//! [`COMMENTS`] comments.

use std::time::{Duration, Instant};

use dynamite::prelude::*;
use dynamite::{Dynamite, Query};

use crate::workload::{Backend, BenchResult, Requests, Timing};

/// A tenant, the row of its own partition.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "projects", pk = "TENANT#{id}", sk = "TENANT")]
pub struct PTenant {
    pub id: String,
    pub name: String,
    #[dynamite(has_many(foreign_key = "tenant_id"))]
    pub projects: HasMany<PProject>,
}

/// A project, in its tenant's partition.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "projects", pk = "TENANT#{tenant_id}", sk = "PROJECT#{id}")]
pub struct PProject {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id"]))]
    pub tasks: HasMany<PTask>,
}

/// A task, under its project's prefix.
#[derive(Table, Debug, Clone)]
#[dynamite(
    table = "projects",
    pk = "TENANT#{tenant_id}",
    sk = "TASK#{project_id}#{id}"
)]
pub struct PTask {
    pub tenant_id: String,
    pub project_id: String,
    pub id: String,
    pub title: String,
    pub state: String,
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id", "task_id"]))]
    pub comments: HasMany<PComment>,
}

/// A comment, under its project's and task's prefix.
#[derive(Table, Debug, Clone)]
#[dynamite(
    table = "projects",
    pk = "TENANT#{tenant_id}",
    sk = "COMMENT#{project_id}#{task_id}#{id}"
)]
pub struct PComment {
    pub tenant_id: String,
    pub project_id: String,
    pub task_id: String,
    pub id: String,
    pub body: String,
}

/// Projects per tenant.
pub const PROJECTS: usize = 5;
/// Tasks per project.
pub const TASKS: usize = 8;
/// Comments per task.
pub const COMMENTS: usize = 3;

/// The workload's queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectQuery {
    P1,
    P1PerTask,
    P2,
}

impl ProjectQuery {
    pub const ALL: [ProjectQuery; 3] =
        [ProjectQuery::P1, ProjectQuery::P1PerTask, ProjectQuery::P2];

    pub fn name(self) -> &'static str {
        match self {
            ProjectQuery::P1 => "P1",
            ProjectQuery::P1PerTask => "P1 per task",
            ProjectQuery::P2 => "P2",
        }
    }

    pub fn shape(self) -> &'static str {
        match self {
            ProjectQuery::P1 => "tenant's projects + tasks.comments",
            ProjectQuery::P1PerTask => "same, comments().limit(1000): per task (before)",
            ProjectQuery::P2 => "tenant's projects + tasks(state = open).comments",
        }
    }

    pub(crate) fn query(self, tenant: &str) -> Query<PProject> {
        let tasks = match self {
            ProjectQuery::P1 | ProjectQuery::P1PerTask => PProject::tasks(),
            ProjectQuery::P2 => PProject::tasks().filter(PTask::STATE.eq("open")),
        };
        let comments = match self {
            ProjectQuery::P1PerTask => PTask::comments().limit(1000),
            _ => PTask::comments(),
        };
        PProject::query()
            .filter(PProject::TENANT_ID.eq(tenant))
            .include(tasks.include(comments))
    }

    /// Comments returned for one tenant.
    pub fn expected_comments(self) -> usize {
        let tasks = match self {
            ProjectQuery::P1 | ProjectQuery::P1PerTask => TASKS,
            ProjectQuery::P2 => TASKS.div_ceil(2),
        };
        PROJECTS * tasks * COMMENTS
    }

    pub fn explain(self, db: &Dynamite) -> String {
        self.query(&tenant_id(0)).explain(db).to_string()
    }

    /// Runs the query for tenant `t`; the comments returned.
    pub async fn run(self, db: &Dynamite, t: usize) -> BenchResult<usize> {
        let projects = self
            .query(&tenant_id(t))
            .all(db)
            .await
            .map_err(|e| format!("{}: {e}", self.name()))?;
        let comments = projects
            .iter()
            .flat_map(|p| p.tasks.iter())
            .map(|t| t.comments.len())
            .sum();
        if comments != self.expected_comments() {
            return Err(format!(
                "{}: {comments} comments, expected {}",
                self.name(),
                self.expected_comments()
            ));
        }
        Ok(comments)
    }
}

pub fn tenant_id(t: usize) -> String {
    format!("t{t:05}")
}

/// The models, registered on `builder`.
pub fn register(builder: dynamite::DynamiteBuilder) -> dynamite::DynamiteBuilder {
    builder
        .table::<PTenant>()
        .table::<PProject>()
        .table::<PTask>()
        .table::<PComment>()
}

/// Seeds `tenants` tenants (put_many per model).
pub async fn seed(db: &Dynamite, tenants: usize) -> BenchResult<()> {
    let (mut ts, mut ps, mut tasks, mut cs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for t in 0..tenants {
        let tenant = tenant_id(t);
        ts.push(PTenant {
            id: tenant.clone(),
            name: format!("Tenant {t}"),
            projects: HasMany::default(),
        });
        for p in 0..PROJECTS {
            let project = format!("p{p:03}");
            ps.push(PProject {
                tenant_id: tenant.clone(),
                id: project.clone(),
                name: format!("Project {p}"),
                tasks: HasMany::default(),
            });
            for k in 0..TASKS {
                let task = format!("k{k:03}");
                tasks.push(PTask {
                    tenant_id: tenant.clone(),
                    project_id: project.clone(),
                    id: task.clone(),
                    title: format!("Task {k} of project {p}"),
                    state: if k % 2 == 0 { "open" } else { "done" }.to_owned(),
                    comments: HasMany::default(),
                });
                for c in 0..COMMENTS {
                    cs.push(PComment {
                        tenant_id: tenant.clone(),
                        project_id: project.clone(),
                        task_id: task.clone(),
                        id: format!("c{c:03}"),
                        body: format!("Comment {c} on task {k}: looks good to me"),
                    });
                }
            }
        }
    }
    let put = |e: dynamite::Error| format!("seed: {e}");
    PTenant::put_many(db, ts).await.map_err(put)?;
    PProject::put_many(db, ps).await.map_err(put)?;
    PTask::put_many(db, tasks).await.map_err(put)?;
    PComment::put_many(db, cs).await.map_err(put)?;
    Ok(())
}

/// One query's measurements.
#[derive(Debug, Clone)]
pub struct ProjectReport {
    pub query: ProjectQuery,
    pub explain: String,
    pub requests: Requests,
    pub timing: Timing,
}

/// Runs every query `runs` times (after one warm-up) over the tenants in
/// turn; the requests are those of one run (the same for every tenant).
pub async fn measure(
    db: &Dynamite,
    tenants: usize,
    runs: usize,
) -> BenchResult<Vec<ProjectReport>> {
    let mut reports = Vec::new();
    for query in ProjectQuery::ALL {
        query.run(db, 0).await?;
        db.metrics().reset();
        query.run(db, 0).await?;
        let requests = Requests::of(db);
        let mut samples: Vec<Duration> = Vec::new();
        for r in 0..runs {
            let start = Instant::now();
            query.run(db, r % tenants).await?;
            samples.push(start.elapsed());
        }
        reports.push(ProjectReport {
            query,
            explain: query.explain(db),
            requests,
            timing: Timing::of(&samples),
        });
    }
    Ok(reports)
}

/// Seeds (unless `seed` is false) and measures on `backend`.
pub async fn run(
    backend: &Backend,
    prefix: &str,
    tenants: usize,
    seed_tables: bool,
    runs: usize,
) -> BenchResult<Vec<ProjectReport>> {
    let db = register(backend.base_builder(prefix))
        .build()
        .await
        .map_err(|e| format!("build the handle: {e}"))?;
    if seed_tables {
        db.sync().await.map_err(|e| format!("sync: {e}"))?;
        seed(&db, tenants).await?;
    }
    measure(&db, tenants, runs).await
}

/// The reports as a text table.
pub fn table(reports: &[ProjectReport]) -> String {
    let mut t = crate::report::TextTable::new(&[
        "query",
        "shape",
        "requests",
        "rounds",
        "items read",
        "median",
    ]);
    for r in reports {
        t.row(vec![
            r.query.name().to_owned(),
            r.query.shape().to_owned(),
            format!("{} ({})", r.requests.total, r.requests.operations()),
            r.requests.rounds.to_string(),
            r.requests.items_read.to_string(),
            crate::report::fmt_ms(r.timing.median),
        ]);
    }
    t.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn comments_are_one_query_per_project() {
        let reports = run(&Backend::default(), "bench_projects_", 2, true, 2)
            .await
            .unwrap();
        let p1 = &reports[0];
        // 1 Query of projects, then per project 1 of tasks + 1 of comments.
        assert_eq!(p1.requests.total, 1 + 2 * PROJECTS as u64, "{p1:?}");
        assert_eq!(p1.requests.rounds, 2);
        let items = PROJECTS * (1 + TASKS + TASKS * COMMENTS);
        assert_eq!(p1.requests.items_read, items as u64);
        // A task filter: the comments per open task, a round later (one
        // Query each, or one Scan of this small table for 20 tasks).
        // The plan before: comments a round after the tasks, one Query per
        // task, or (the cost rule, from the table's statistics) one Scan
        // of the comments' table when that reads less.
        let before = &reports[1];
        let per_task = 1 + (PROJECTS + PROJECTS * TASKS) as u64;
        let scanned = 1 + PROJECTS as u64 + 1;
        assert!(
            before.requests.total == per_task || before.requests.total == scanned,
            "{before:?}"
        );
        assert_eq!(before.requests.rounds, 3);
        if before.requests.total == per_task {
            assert_eq!(before.requests.items_read, p1.requests.items_read);
        }
        let p2 = &reports[2];
        assert!(
            p2.explain.contains("COMMENT#<project_id>#<task_id>#"),
            "{p2:?}"
        );
        assert_eq!(p2.requests.rounds, 3);
    }
}
