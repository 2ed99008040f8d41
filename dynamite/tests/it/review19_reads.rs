//! Adversarial review of issue 19, reads: index choice, the `.index(..)`
//! hint, `.strict()`, explain(), nested collection includes and the
//! `is_in` fan-out cap. Each test quotes what was promised; the ones marked
//! `#[ignore = "finding: .."]` fail on the current code.

use dynamite::prelude::*;
use dynamite::{Cursor, Dynamite, DynamiteBuilder, IndexRef};

// ------------------------------------------------------------ models

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "r19_tk")]
#[dynamite(index(name = "by_assignee", partition = ["tenant", "assignee"], sort = "id"))]
#[dynamite(index(name = "by_status", partition = ["tenant", "status"], sort = "due"))]
#[dynamite(index(name = "by_due", partition = ["status"], sort = ["due", "id"]))]
pub struct R19Tk {
    #[dynamite(primary_key)]
    pub tenant: String,
    #[dynamite(sort_key)]
    pub id: u16,
    pub assignee: String,
    pub status: String,
    pub due: u16,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "r19_nest", pk = "TENANT#{tenant_id}", sk = "PROJECT#{id}")]
pub struct R19Project {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id"]))]
    pub tasks: HasMany<R19Task>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(
    table = "r19_nest",
    pk = "TENANT#{tenant_id}",
    sk = "TASK#{project_id}#{id}"
)]
pub struct R19Task {
    pub tenant_id: String,
    pub project_id: String,
    pub id: String,
    pub state: String,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id", "task_id"]))]
    pub comments: HasMany<R19Comment>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(
    table = "r19_nest",
    pk = "TENANT#{tenant_id}",
    sk = "COMMENT#{project_id}#{task_id}#{id}"
)]
pub struct R19Comment {
    pub tenant_id: String,
    pub project_id: String,
    pub task_id: String,
    pub id: u16,
    pub votes: i32,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
}

const PEOPLE: [&str; 3] = ["ann", "bob", "cy"];
const STATUSES: [&str; 2] = ["open", "done"];

fn register_tk(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<R19Tk>().strict(false)
}

fn register_tk_strict(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<R19Tk>().strict(true)
}

/// At most 2 Queries or BatchGetItems per key list.
fn register_tk_is_in_cap_2(builder: DynamiteBuilder) -> DynamiteBuilder {
    register_tk(builder).max_is_in_queries(2)
}

/// 20 tasks of tenant t0.
async fn tasks(db: &Dynamite) {
    // Written through a non-strict handle sharing the same backend would
    // need the same prefix; the handle writes itself (writes are not reads).
    for id in 0..20u16 {
        R19Tk::put_many(
            db,
            [R19Tk {
                tenant: "t0".into(),
                id,
                assignee: PEOPLE[usize::from(id % 3)].into(),
                status: STATUSES[usize::from(id % 2)].into(),
                due: id % 5,
            }],
        )
        .await
        .unwrap();
    }
}

fn ids(rows: &[R19Tk]) -> Vec<u16> {
    rows.iter().map(|t| t.id).collect()
}

// ------------------------------------------------------------ strict

/// README: "`.strict(true)` on the handle builder for every query,
/// refuses with `Error::StrictRead`, before sending, exactly the reads that
/// fetch a whole table or partition to filter it: every Scan ..." and
/// "Every read (a query, each include level, the rows `update_where` /
/// `delete_where` select, a lazy relation) goes through one planner".
/// Instead: `update_where(due = 1)` on a `.strict(true)` handle Scans the
/// table and writes 4 rows (5 requests). Cause: write/set_based.rs
/// `matching_plan` builds `ReadRequest { .. ReadRequest::default() }`,
/// never reading the handle's `strict_reads()`.
#[dynamite::test(registry = register_tk_strict, fixture = tasks)]
async fn review_strict_handle_refuses_update_where_scan(db: Dynamite) {
    let r = R19Tk::update_where(R19Tk::DUE.eq(1u16))
        .set(R19Tk::STATUS, "x")
        .exec(&db)
        .await;
    let sent = db.metrics().data_plane_requests();
    assert!(
        matches!(&r, Err(e) if e.is_strict_read()),
        "strict handle: update_where by Scan gave {r:?} after {sent} requests"
    );
    assert_eq!(sent, 0);
}

#[dynamite::test(registry = register_tk_strict, fixture = tasks)]
// Same promise; instead: `delete_where(tenant = t0 AND due = 1)` reads the
// whole partition of t0, filters, and deletes 4 rows. Same cause.
async fn review_strict_handle_refuses_delete_where_whole_partition(db: Dynamite) {
    let r = R19Tk::delete_where(R19Tk::TENANT.eq("t0") & R19Tk::DUE.eq(1u16))
        .exec(&db)
        .await;
    let sent = db.metrics().data_plane_requests();
    assert!(
        matches!(&r, Err(e) if e.is_strict_read()),
        "strict handle: delete_where of a whole partition gave {r:?} after {sent} requests"
    );
}

/// Per call, on a handle that is not strict: `update_where(..).strict()`
/// and `delete_where(..).strict()` select like a strict query — a Scan or
/// a whole partition read to filter is refused before anything is read or
/// written; a selection by key (or a sort-key condition) goes through.
#[dynamite::test(registry = register_tk, fixture = tasks)]
async fn strict_per_call_on_set_based_writes(db: Dynamite) {
    let scan = R19Tk::update_where(R19Tk::DUE.eq(1u16))
        .set(R19Tk::STATUS, "x")
        .strict()
        .exec(&db)
        .await;
    assert!(matches!(&scan, Err(e) if e.is_strict_read()), "{scan:?}");
    let partition = R19Tk::delete_where(R19Tk::TENANT.eq("t0") & R19Tk::DUE.eq(1u16))
        .strict()
        .exec(&db)
        .await;
    assert!(
        matches!(&partition, Err(e) if e.is_strict_read()),
        "{partition:?}"
    );
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // By key and by a sort-key range: written.
    let n = R19Tk::update_where(R19Tk::TENANT.eq("t0") & R19Tk::ID.eq(3u16))
        .set(R19Tk::STATUS, "x")
        .strict()
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let n = R19Tk::delete_where(R19Tk::TENANT.eq("t0") & R19Tk::ID.ge(18u16))
        .strict()
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    // Without `.strict()` the same handle reads and filters.
    let n = R19Tk::delete_where(R19Tk::TENANT.eq("t0") & R19Tk::DUE.eq(1u16))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 4);
}

/// `.strict()` on every terminal of a query and of a projected query.
#[dynamite::test(registry = register_tk, fixture = tasks)]
async fn review_strict_on_every_terminal(db: Dynamite) {
    let q = || {
        R19Tk::query()
            .filter(R19Tk::TENANT.eq("t0") & R19Tk::DUE.eq(1u16))
            .index(IndexRef::table())
            .strict()
    };
    let mut bad = Vec::new();
    if !matches!(q().all(&db).await, Err(e) if e.is_strict_read()) {
        bad.push("all");
    }
    if !matches!(q().first(&db).await, Err(e) if e.is_strict_read()) {
        bad.push("first");
    }
    if !matches!(q().last(&db).await, Err(e) if e.is_strict_read()) {
        bad.push("last");
    }
    if !matches!(q().count(&db).await, Err(e) if e.is_strict_read()) {
        bad.push("count");
    }
    if !matches!(q().page(&db, None).await, Err(e) if e.is_strict_read()) {
        bad.push("page");
    }
    {
        use futures::StreamExt;
        let first = q().stream(&db).next().await;
        if !matches!(first, Some(Err(e)) if e.is_strict_read()) {
            bad.push("stream");
        }
    }
    let p = || q().attributes((R19Tk::ID,));
    if !matches!(p().all(&db).await, Err(e) if e.is_strict_read()) {
        bad.push("projected all");
    }
    if !matches!(p().count(&db).await, Err(e) if e.is_strict_read()) {
        bad.push("projected count");
    }
    if !matches!(p().page(&db, None).await, Err(e) if e.is_strict_read()) {
        bad.push("projected page");
    }
    assert!(bad.is_empty(), "not refused: {bad:?}");
}

// ------------------------------------------------------------ hint + order

/// README: "`order(dir)` keeps its documented meaning whatever the path":
/// with the table's partition pinned it orders by the table's sort key,
/// also when a hint forces an index sorted by something else.
#[dynamite::test(registry = register_tk, fixture = tasks)]
async fn review_hint_with_order_keeps_table_sort_key(db: Dynamite) {
    let q = || {
        R19Tk::query()
            .filter(R19Tk::TENANT.eq("t0") & R19Tk::STATUS.eq("open"))
            .index(R19Tk::BY_STATUS)
    };
    let all = ids(&q().order(Desc).all(&db).await.unwrap());
    assert_eq!(all, [18, 16, 14, 12, 10, 8, 6, 4, 2, 0]);
    let three = ids(&q().order(Desc).limit(3).all(&db).await.unwrap());
    assert_eq!(three, [18, 16, 14]);
    let last = q().order(Asc).last(&db).await.unwrap().map(|t| t.id);
    assert_eq!(last, Some(18));
    let first = q().order(Asc).first(&db).await.unwrap().map(|t| t.id);
    assert_eq!(first, Some(0));
    // Pages, forward.
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = q()
            .order(Desc)
            .limit(3)
            .page(&db, cursor.as_ref())
            .await
            .unwrap();
        seen.extend(ids(&page.items));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(seen.len() <= 10, "{seen:?}");
    }
    assert_eq!(seen, [18, 16, 14, 12, 10, 8, 6, 4, 2, 0]);
}

// ------------------------------------------------------------ cursors

/// "a cursor keeps the path it was made on": a cursor made on the chosen
/// index path and replayed on the same filter forced onto the table must
/// be refused (`InvalidCursor`) or continue without skipping or repeating.
#[dynamite::test(registry = register_tk, fixture = tasks)]
async fn review_cursor_replayed_on_a_forced_path(db: Dynamite) {
    let q = || {
        R19Tk::query()
            .filter(R19Tk::TENANT.eq("t0") & R19Tk::ASSIGNEE.eq("ann"))
            .limit(2)
    };
    let p1 = q().page(&db, None).await.unwrap();
    let c = p1.next.clone().unwrap();
    for (name, forced) in [
        ("table", q().index(IndexRef::table())),
        ("by_status", q().index(R19Tk::BY_STATUS)),
        ("consistent", q().consistent()),
    ] {
        match forced.page(&db, Some(&c)).await {
            Err(e) if e.is_invalid_cursor() || e.is_index_unusable() => {}
            Err(e) => panic!("{name}: {e}"),
            Ok(p2) => {
                let mut got = ids(&p1.items);
                got.extend(ids(&p2.items));
                assert_eq!(got, [0, 3, 6, 9], "{name}: replayed cursor");
            }
        }
    }
}

// ------------------------------------------------------------ is_in cap

/// README: "`is_in` on a partition key sends one Query per distinct value:
/// more than `max_is_in_queries` (handle builder, default 100) distinct
/// values is `Error::FanOutLimit` before anything is sent." The rows
/// `delete_where` selects go through the same planner.
#[dynamite::test(registry = register_tk_is_in_cap_2, fixture = tasks)]
async fn review_delete_where_ignores_the_handle_is_in_cap(db: Dynamite) {
    let r = R19Tk::delete_where(R19Tk::TENANT.is_in(["a", "b", "c"]) & R19Tk::ASSIGNEE.ne("zed"))
        .exec(&db)
        .await;
    let sent = db.metrics().data_plane_requests();
    assert!(
        matches!(&r, Err(e) if e.is_fan_out_limit()),
        "max_is_in_queries(2): delete_where gave {r:?} after {sent} requests"
    );
}

// ------------------------------------------------------------ explain

// ------------------------------------------------------------ nested

/// Projects of one tenant: each with its tasks, each with its comments' ids.
type Tree<'a> = [(&'a str, &'a [(&'a str, &'a [u16])])];

async fn put_tree(db: &Dynamite, tenant: &str, projects: &Tree<'_>) {
    for (p, tasks) in projects {
        R19Project::put_many(
            db,
            [R19Project {
                tenant_id: tenant.into(),
                id: (*p).into(),
                name: format!("P {p}"),
                expires: None,
                tasks: HasMany::default(),
            }],
        )
        .await
        .unwrap();
        for (t, comments) in *tasks {
            R19Task::put_many(
                db,
                [R19Task {
                    tenant_id: tenant.into(),
                    project_id: (*p).into(),
                    id: (*t).into(),
                    state: "open".into(),
                    expires: None,
                    comments: HasMany::default(),
                }],
            )
            .await
            .unwrap();
            for c in *comments {
                R19Comment::put_many(
                    db,
                    [R19Comment {
                        tenant_id: tenant.into(),
                        project_id: (*p).into(),
                        task_id: (*t).into(),
                        id: *c,
                        votes: i32::from(*c),
                        deleted_at: None,
                        expires: None,
                    }],
                )
                .await
                .unwrap();
            }
        }
    }
}

/// README: `.strict()` refuses "every Scan", and "Every read (a query, each
/// include level, ...) goes through one planner". A strict query whose
/// include level is read by a Scan of the whole shared table (the
/// include's "one Scan of <table> when over 16 parents" choice) reads a
/// whole table anyway. Instead: root Query passes strict, then round 2
/// sends a DescribeTable and a Scan of the whole shared table (40 items:
/// projects and tasks). That Scan choice is also made from table
/// statistics (DescribeTable), which issue 19 rules out for the choice.
/// Cause: include/resolve/cost.rs + round.rs choose the Scan with no
/// strict check (includes do not go through `plan::plan`).
#[dynamite::test(models(R19Project, R19Task, R19Comment))]
async fn review_strict_query_include_level_scans(db: Dynamite) {
    let mut projects = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..20u16 {
        projects.push(R19Project {
            tenant_id: "t".into(),
            id: format!("p{i}"),
            name: "n".into(),
            expires: None,
            tasks: HasMany::default(),
        });
        tasks.push(R19Task {
            tenant_id: "t".into(),
            project_id: format!("p{i}"),
            id: "a".into(),
            state: "open".into(),
            expires: None,
            comments: HasMany::default(),
        });
    }
    R19Project::put_many(&db, projects).await.unwrap();
    R19Task::put_many(&db, tasks).await.unwrap();
    let q = || {
        R19Project::query()
            .filter(R19Project::TENANT_ID.eq("t"))
            .include(R19Project::tasks())
            .strict()
    };
    eprintln!("{}", q().explain(&db));
    db.metrics().reset();
    let r = q().all(&db).await;
    let m = db.metrics();
    eprintln!("{m:?}");
    match r {
        Err(e) if e.is_strict_read() => {}
        Err(e) => panic!("{e}"),
        Ok(rows) => {
            assert_eq!(rows.len(), 20);
            assert_eq!(m.count("Scan"), 0, "a strict query scanned: {m:?}");
        }
    }
}

/// A multi-tenant shared table: `tenant_id IN (a, b)` where the partition
/// is `TENANT#{tenant_id}`. README: "`is_in` on a single partition
/// attribute: one Query per distinct value"; "more key fields pinned with
/// `=` (partition attributes, or template fields ...)". Instead the whole
/// shared table (every tenant, every entity) is Scanned, silently, with
/// any number of values (so the `is_in` cap never applies either); a
/// plain-attribute partition (`R19Tk::TENANT.is_in`) gets one Query per
/// value. Cause: read/plan/paths.rs does not build a MultiQuery for a
/// template partition field.
#[dynamite::test(models(R19Project, R19Task, R19Comment))]
async fn review_is_in_on_template_partition_scans_every_tenant(db: Dynamite) {
    let e = R19Project::query()
        .filter(R19Project::TENANT_ID.is_in(["t0", "t1"]))
        .explain(&db);
    assert!(!e.root().starts_with("Scan"), "{e:#}");
}

/// explain() of the fused nested read says one comments Query per
/// project: the requests sent agree (comments filtered and ordered).
#[dynamite::test(models(R19Project, R19Task, R19Comment))]
async fn review_nested_fused_requests_match_explain(db: Dynamite) {
    put_tree(
        &db,
        "t",
        &[
            ("p1", &[("a", &[1, 2, 3]), ("b", &[4, 5])]),
            ("p2", &[("a", &[6]), ("b", &[]), ("c", &[7])]),
        ],
    )
    .await;
    let q = || {
        R19Project::query()
            .filter(R19Project::TENANT_ID.eq("t"))
            .include(
                R19Project::tasks().order(Desc).include(
                    R19Task::comments()
                        .filter(R19Comment::VOTES.ge(2))
                        .order(Desc),
                ),
            )
    };
    let text = q().explain(&db).to_string();
    assert!(text.contains("COMMENT#<project_id>#\")"), "{text}");
    db.metrics().reset();
    let got = q().all(&db).await.unwrap();
    let m = db.metrics();
    assert_eq!(m.count("Query"), 1 + 2 + 2, "{text}\n{m:?}");
    let order: Vec<(String, Vec<u16>)> = got
        .iter()
        .flat_map(|p| p.tasks.iter())
        .map(|t| {
            (
                format!("{}/{}", t.project_id, t.id),
                t.comments.iter().map(|c| c.id).collect(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("p1/b".to_owned(), vec![5, 4]),
            ("p1/a".to_owned(), vec![3, 2]),
            ("p2/c".to_owned(), vec![7]),
            ("p2/b".to_owned(), vec![]),
            ("p2/a".to_owned(), vec![6]),
        ]
    );
}
