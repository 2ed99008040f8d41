//! The nested-collection shape (P1, P2 of the projects workload) written
//! by hand against the SDK, and the ORM's answers in the same plain
//! structs. Every row lives in its tenant's partition of one table.

use std::collections::HashMap;

use dynamite::Dynamite;
use dynamite::sdk::operation::query::builders::QueryFluentBuilder;

use super::decode::{s, string};
use super::sdk::{self, Item, Sdk};
use crate::projects::{PProject, ProjectQuery, tenant_id};
use crate::workload::BenchResult;

/// A project row.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
}

/// A task row.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub tenant_id: String,
    pub project_id: String,
    pub id: String,
    pub title: String,
    pub state: String,
}

/// A comment row.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub tenant_id: String,
    pub project_id: String,
    pub task_id: String,
    pub id: String,
    pub body: String,
}

/// A task and its comments.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskGraph {
    pub task: Task,
    pub comments: Vec<Comment>,
}

/// A project and its tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectGraph {
    pub project: Project,
    pub tasks: Vec<TaskGraph>,
}

/// What P1 or P2 returned.
pub type Graph = Vec<ProjectGraph>;

/// Rows of a graph.
pub fn rows(graph: &Graph) -> usize {
    graph
        .iter()
        .map(|p| 1 + p.tasks.iter().map(|t| 1 + t.comments.len()).sum::<usize>())
        .sum()
}

fn project(mut i: Item) -> BenchResult<Project> {
    Ok(Project {
        tenant_id: string(&mut i, "tenant_id")?,
        id: string(&mut i, "id")?,
        name: string(&mut i, "name")?,
    })
}

fn task(mut i: Item) -> BenchResult<Task> {
    Ok(Task {
        tenant_id: string(&mut i, "tenant_id")?,
        project_id: string(&mut i, "project_id")?,
        id: string(&mut i, "id")?,
        title: string(&mut i, "title")?,
        state: string(&mut i, "state")?,
    })
}

fn comment(mut i: Item) -> BenchResult<Comment> {
    Ok(Comment {
        tenant_id: string(&mut i, "tenant_id")?,
        project_id: string(&mut i, "project_id")?,
        task_id: string(&mut i, "task_id")?,
        id: string(&mut i, "id")?,
        body: string(&mut i, "body")?,
    })
}

/// A task's identity within its tenant.
type TaskKey = (String, String, String);

/// Comments grouped by task, each group in the order read.
fn group_comments(items: Vec<Item>) -> BenchResult<HashMap<TaskKey, Vec<Comment>>> {
    let mut groups: HashMap<TaskKey, Vec<Comment>> = HashMap::new();
    for item in items {
        let c = comment(item)?;
        groups
            .entry((c.tenant_id.clone(), c.project_id.clone(), c.task_id.clone()))
            .or_default()
            .push(c);
    }
    Ok(groups)
}

/// The projects workload's table beside the ORM's handle.
#[derive(Debug)]
pub struct Projects {
    pub db: Dynamite,
    pub sdk: Sdk,
    table: String,
    stats: sdk::TableStats,
    segments: u32,
}

impl Projects {
    /// The baseline beside `db` (seeded).
    pub async fn new(db: Dynamite, scan_segments: Option<u32>) -> BenchResult<Projects> {
        let sdk = Sdk::from_handle(&db)?;
        let table = db
            .table_name::<PProject>()
            .map_err(|e| format!("table name: {e}"))?;
        let stats = sdk::TableStats::of(&sdk, &table).await?;
        Ok(Projects {
            segments: sdk::scan_segments(scan_segments, stats.bytes, db.concurrency()),
            table,
            stats,
            sdk,
            db,
        })
    }

    /// The shapes measured against the baseline.
    pub fn queries() -> &'static [ProjectQuery] {
        &[ProjectQuery::P1, ProjectQuery::P2]
    }

    fn tenant_query(&self, tenant: &str, prefix: String) -> QueryFluentBuilder {
        self.sdk
            .client()
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(format!("TENANT#{tenant}")))
            .expression_attribute_values(":prefix", s(prefix))
    }

    /// Runs P1 or P2 by hand for tenant 0.
    pub async fn baseline(&self, q: ProjectQuery) -> BenchResult<Graph> {
        let tenant = tenant_id(0);
        self.sdk.round();
        let projects = self
            .sdk
            .query(
                self.tenant_query(&tenant, "PROJECT#".to_owned())
                    .filter_expression("tenant_id = :tenant AND entity = :entity")
                    .expression_attribute_values(":tenant", s(tenant.as_str()))
                    .expression_attribute_values(":entity", s("PProject")),
            )
            .await?;
        let projects = projects
            .into_iter()
            .map(project)
            .collect::<BenchResult<Vec<_>>>()?;
        if projects.is_empty() {
            return Ok(Vec::new());
        }
        match q {
            ProjectQuery::P2 => self.p2(&tenant, projects).await,
            _ => self.p1(&tenant, projects).await,
        }
    }

    /// Per project, in one round: its tasks and all its tasks' comments.
    async fn p1(&self, tenant: &str, projects: Vec<Project>) -> BenchResult<Graph> {
        self.sdk.round();
        let mut reads = Vec::with_capacity(2 * projects.len());
        for p in &projects {
            reads.push(
                self.tenant_query(tenant, format!("TASK#{}#", p.id))
                    .filter_expression("entity = :entity")
                    .expression_attribute_values(":entity", s("PTask")),
            );
            reads.push(
                self.tenant_query(tenant, format!("COMMENT#{}#", p.id))
                    .filter_expression("entity = :entity")
                    .expression_attribute_values(":entity", s("PComment")),
            );
        }
        let mut reads = self
            .sdk
            .each(
                self.db.concurrency(),
                reads.into_iter().map(|q| self.sdk.query(q)),
            )
            .await?
            .into_iter();
        let reads = std::iter::from_fn(|| Some((reads.next()?, reads.next()?)));
        projects
            .into_iter()
            .zip(reads)
            .map(|(project, (tasks, comments))| {
                let mut comments = group_comments(comments)?;
                let tasks = tasks
                    .into_iter()
                    .map(|item| {
                        let task = task(item)?;
                        let key = (
                            task.tenant_id.clone(),
                            task.project_id.clone(),
                            task.id.clone(),
                        );
                        Ok(TaskGraph {
                            comments: comments.remove(&key).unwrap_or_default(),
                            task,
                        })
                    })
                    .collect::<BenchResult<_>>()?;
                Ok(ProjectGraph { project, tasks })
            })
            .collect()
    }

    /// The open tasks per project, then their comments: one Query per
    /// task, or one Scan of the table when the ORM's cost rule prefers it
    /// (more tasks than one wave of Queries, at most 4 KB of table each).
    async fn p2(&self, tenant: &str, projects: Vec<Project>) -> BenchResult<Graph> {
        self.sdk.round();
        let tasks = self
            .sdk
            .each(
                self.db.concurrency(),
                projects.iter().map(|p| async {
                    let items = self
                        .sdk
                        .query(
                            self.tenant_query(tenant, format!("TASK#{}#", p.id))
                                .filter_expression("#state = :state AND entity = :entity")
                                .expression_attribute_names("#state", "state")
                                .expression_attribute_values(":state", s("open"))
                                .expression_attribute_values(":entity", s("PTask")),
                        )
                        .await?;
                    items.into_iter().map(task).collect::<BenchResult<Vec<_>>>()
                }),
            )
            .await?;
        let parents: usize = tasks.iter().map(Vec::len).sum();
        let mut comments: HashMap<TaskKey, Vec<Comment>> = HashMap::new();
        if parents > 0 {
            self.sdk.round();
            if sdk::child_scan_cheaper(parents as f64, self.stats, self.db.concurrency()) {
                let items = self
                    .sdk
                    .scan(
                        self.sdk
                            .client()
                            .scan()
                            .table_name(&self.table)
                            .filter_expression("entity = :entity")
                            .expression_attribute_values(":entity", s("PComment")),
                        self.segments,
                    )
                    .await?;
                comments = group_comments(items)?;
                // A Scan returns rows in no order: each task's in key order.
                for group in comments.values_mut() {
                    group.sort_by(|a, b| a.id.cmp(&b.id));
                }
            } else {
                let per_task = self
                    .sdk
                    .each(
                        self.db.concurrency(),
                        tasks.iter().flatten().map(|t| {
                            self.sdk.query(
                                self.tenant_query(
                                    tenant,
                                    format!("COMMENT#{}#{}#", t.project_id, t.id),
                                )
                                .filter_expression("entity = :entity")
                                .expression_attribute_values(":entity", s("PComment")),
                            )
                        }),
                    )
                    .await?;
                comments = group_comments(per_task.into_iter().flatten().collect())?;
            }
        }
        Ok(projects
            .into_iter()
            .zip(tasks)
            .map(|(project, tasks)| ProjectGraph {
                project,
                tasks: tasks
                    .into_iter()
                    .map(|task| {
                        let key = (
                            task.tenant_id.clone(),
                            task.project_id.clone(),
                            task.id.clone(),
                        );
                        TaskGraph {
                            comments: comments.remove(&key).unwrap_or_default(),
                            task,
                        }
                    })
                    .collect(),
            })
            .collect())
    }

    /// Runs P1 or P2 with the ORM for tenant 0: the rows returned.
    pub async fn orm(&self, q: ProjectQuery) -> BenchResult<usize> {
        let projects = q
            .query(&tenant_id(0))
            .all(&self.db)
            .await
            .map_err(|e| format!("{}: {e}", q.name()))?;
        Ok(projects
            .iter()
            .map(|p| 1 + p.tasks.iter().map(|t| 1 + t.comments.len()).sum::<usize>())
            .sum())
    }

    /// Runs P1 or P2 with the ORM and converts its answer.
    pub async fn orm_graph(&self, q: ProjectQuery) -> BenchResult<Graph> {
        let projects = q
            .query(&tenant_id(0))
            .all(&self.db)
            .await
            .map_err(|e| format!("{}: {e}", q.name()))?;
        Ok(projects
            .iter()
            .map(|p| ProjectGraph {
                project: Project {
                    tenant_id: p.tenant_id.clone(),
                    id: p.id.clone(),
                    name: p.name.clone(),
                },
                tasks: p
                    .tasks
                    .iter()
                    .map(|t| TaskGraph {
                        task: Task {
                            tenant_id: t.tenant_id.clone(),
                            project_id: t.project_id.clone(),
                            id: t.id.clone(),
                            title: t.title.clone(),
                            state: t.state.clone(),
                        },
                        comments: t
                            .comments
                            .iter()
                            .map(|c| Comment {
                                tenant_id: c.tenant_id.clone(),
                                project_id: c.project_id.clone(),
                                task_id: c.task_id.clone(),
                                id: c.id.clone(),
                                body: c.body.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect())
    }
}
