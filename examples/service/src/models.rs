//! The service's models. Tenants, projects, tasks and comments share the
//! table `app`; each tenant is one partition `TENANT#<id>`:
//!
//! | model | `pk` | `sk` |
//! |---|---|---|
//! | [`Tenant`] | `TENANT#<id>` | `TENANT` |
//! | [`Project`] | `TENANT#<tenant_id>` | `PROJECT#<id>` |
//! | [`Task`] | `TENANT#<tenant_id>` | `TASK#<project_id>#<id>` |
//! | [`Comment`] | `TENANT#<tenant_id>` | `COMMENT#<project_id>#<task_id>#<id>` |
//! | [`Session`] | `TENANT#<tenant_id>` | `SESSION#<id>` |
//!
//! Every key starts with the tenant, so a read by key or by collection is
//! pinned to one tenant's partition by construction. Tasks also live in
//! the overloaded index `gsi1` under `ASSIGNEE#<tenant_id>#<assignee>`:
//! "the tasks of one assignee" within a tenant.
//!
//! [`Session`]s expire: the table's TTL attribute is `expires_at`, which
//! only sessions have, so DynamoDB's sweep deletes sessions and nothing
//! else of the tenant's partition.

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;
use serde::Serialize;

/// A tenant: the root of everything else, named by the `x-tenant-id` header.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(table = "app", pk = "TENANT#{id}", sk = "TENANT")]
pub struct Tenant {
    /// The tenant id (the header's value).
    pub id: String,
    /// A display name.
    #[dynamite(not_empty)]
    pub name: String,
    /// When it was created.
    #[dynamite(created_at)]
    pub created_at: String,
}

/// A project of a tenant, with a counter of its tasks kept by the
/// transactions that create and delete tasks.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(table = "app", pk = "TENANT#{tenant_id}", sk = "PROJECT#{id}")]
pub struct Project {
    /// The owning tenant.
    pub tenant_id: String,
    /// A time-ordered UUID: projects list oldest first.
    #[dynamite(default = uuid)]
    pub id: String,
    /// The project's name.
    #[dynamite(not_empty)]
    pub name: String,
    /// How many tasks the project holds. Unversioned: the transactions
    /// that create and delete tasks change it without bumping `version`,
    /// so a client's `If-Match` on the project survives task creation.
    #[dynamite(default = 0, unversioned)]
    pub task_count: i64,
    /// Optimistic locking: the `ETag` / `If-Match` of the project.
    #[dynamite(version)]
    pub version: u64,
    /// When it was created.
    #[dynamite(created_at)]
    pub created_at: String,
    /// When it last changed.
    #[dynamite(updated_at)]
    pub updated_at: String,
    /// The project's tasks (one Query of `TASK#<project id>#` in the tenant's partition).
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id"]))]
    #[serde(skip_serializing_if = "HasMany::is_not_loaded")]
    pub tasks: HasMany<Task>,
}

/// A task of a project.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(
    table = "app",
    pk = "TENANT#{tenant_id}",
    sk = "TASK#{project_id}#{id}"
)]
#[dynamite(index(
    name = "gsi1",
    pk = "ASSIGNEE#{tenant_id}#{assignee}",
    sk = "TASK#{id}"
))]
pub struct Task {
    /// The owning tenant.
    pub tenant_id: String,
    /// The project the task belongs to.
    pub project_id: String,
    /// A time-ordered UUID: tasks list oldest first.
    #[dynamite(default = uuid)]
    pub id: String,
    /// What is to be done.
    #[dynamite(not_empty)]
    pub title: String,
    /// `open`, `doing` or `done` (checked by the service).
    #[dynamite(default = "open")]
    pub status: String,
    /// Who does it.
    #[dynamite(not_empty)]
    pub assignee: String,
    /// Optimistic locking: the `ETag` / `If-Match` of the task.
    #[dynamite(version)]
    pub version: u64,
    /// When it was created.
    #[dynamite(created_at)]
    pub created_at: String,
    /// When it last changed.
    #[dynamite(updated_at)]
    pub updated_at: String,
    /// The task's comments (one Query of `COMMENT#<project id>#<task id>#`).
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id", "task_id"]))]
    #[serde(skip_serializing_if = "HasMany::is_not_loaded")]
    pub comments: HasMany<Comment>,
}

/// A comment on a task.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(
    table = "app",
    pk = "TENANT#{tenant_id}",
    sk = "COMMENT#{project_id}#{task_id}#{id}"
)]
pub struct Comment {
    /// The owning tenant.
    pub tenant_id: String,
    /// The project of the task.
    pub project_id: String,
    /// The task commented on.
    pub task_id: String,
    /// A time-ordered UUID: comments list oldest first.
    #[dynamite(default = uuid)]
    pub id: String,
    /// Who wrote it.
    #[dynamite(not_empty)]
    pub author: String,
    /// The text.
    #[dynamite(not_empty)]
    pub body: String,
    /// When it was created.
    #[dynamite(created_at)]
    pub created_at: String,
}

/// A session of a tenant's user, gone once `expires_at` has passed: reads
/// hide it at once, DynamoDB's TTL sweep deletes it later. It lives in the
/// tenant's partition of the shared table, next to models without TTL.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(table = "app", pk = "TENANT#{tenant_id}", sk = "SESSION#{id}")]
pub struct Session {
    /// The owning tenant.
    pub tenant_id: String,
    /// A random UUID.
    #[dynamite(default = uuid)]
    pub id: String,
    /// The user the session is for.
    #[dynamite(not_empty)]
    pub user: String,
    /// When it expires, in epoch seconds (DynamoDB's TTL attribute).
    #[dynamite(ttl)]
    pub expires_at: u64,
    /// When it was created.
    #[dynamite(created_at)]
    pub created_at: String,
}

/// Registers every model of the service.
pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Tenant>()
        .table::<Project>()
        .table::<Task>()
        .table::<Comment>()
        .table::<Session>()
}
