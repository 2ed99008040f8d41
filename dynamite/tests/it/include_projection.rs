//! Includes with `.attributes(..)` on every relation kind, against the
//! same includes without a projection (the reference): random datasets
//! with expired (TTL) rows, soft-deleted rows, another entity at colliding
//! keys in the shared table, links to missing rows and polymorphic
//! targets; random projections on each level.
//!
//! For every case: the projected graph equals the unprojected graph
//! restricted to the listed fields (same children, same order, same
//! values, nested includes included), no attribute the engine read for
//! itself (join, type, sort, TTL, soft-delete, entity) is in a projected
//! row or its JSON, a projected relation is never a full model
//! (`loaded()` is `None`, the deref is empty), and a lazy load with a
//! projection refuses to hand out full rows. Seeded, shrinking;
//! `DYNAMITE_CASES` raises the query cases per dataset (default 24, three
//! datasets).

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use dynamite::expr::Columns;
use dynamite::prelude::*;
use dynamite::value::Item;
use dynamite::{Dynamite, DynamiteBuilder, Entities, Projected};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde::Serialize;

use crate::common;

/// A user: a shared-table row whose orders live in its partition.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(table = "ip_shop", pk = "USER#{id}", sk = "PROFILE")]
pub struct IpUser {
    pub id: String,
    pub name: String,
    pub bio: Option<String>,
    /// The shared table has one TTL attribute: every model in it names it.
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub orders: HasMany<IpOrder>,
    #[dynamite(has_many(through = IpUserTag, foreign_key = "user_id", far_key = "tag_id"))]
    pub tags: HasMany<IpTag>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub comments: HasMany<IpComment>,
    #[dynamite(has_one(foreign_key = "user_id"))]
    pub first_comment: HasOne<IpComment>,
}

/// An order: TTL'd and soft-deletable, in its user's partition.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(table = "ip_shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
pub struct IpOrder {
    pub user_id: String,
    pub id: String,
    pub total: i64,
    pub note: Option<String>,
    pub status: Option<String>,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub user: BelongsTo<IpUser>,
    #[dynamite(has_many(foreign_key = "order_id"))]
    pub lines: HasMany<IpLine>,
}

/// Another entity at the very keys of `IpOrder`: only the entity type
/// keeps its rows out of the orders.
#[derive(Table, Debug, Clone, Serialize)]
#[dynamite(
    table = "ip_shop",
    pk = "USER#{user_id}",
    sk = "ORDER#{id}",
    entity = "IpTwin"
)]
pub struct IpTwin {
    pub user_id: String,
    pub id: String,
    pub total: i64,
    pub note: Option<String>,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
}

/// An order line in its own table, read through an index.
#[derive(Table, Debug, Clone, Serialize)]
pub struct IpLine {
    #[dynamite(primary_key)]
    pub id: String,
    pub order_id: String,
    pub qty: i64,
    pub sku: Option<String>,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
}

#[derive(Table, Debug, Clone, Serialize)]
pub struct IpTag {
    #[dynamite(primary_key)]
    pub id: String,
    pub label: String,
    pub color: Option<String>,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
}

#[derive(Table, Debug, Clone, Serialize)]
pub struct IpUserTag {
    #[dynamite(primary_key)]
    pub user_id: String,
    #[dynamite(sort_key)]
    pub tag_id: String,
}

#[derive(Entities, Debug, Clone, Serialize)]
pub enum IpTarget {
    Tag(IpTag),
    Line(IpLine),
}

/// A comment on a tag or a line (polymorphic), by a user.
#[derive(Table, Debug, Clone, Serialize)]
pub struct IpComment {
    #[dynamite(primary_key)]
    pub id: String,
    pub user_id: String,
    pub body: String,
    pub mood: Option<String>,
    pub kind: Option<String>,
    pub target_id: Option<String>,
    #[dynamite(belongs_to(
        foreign_key = "target_id",
        type_key = "kind",
        targets(IpTag = "tag", IpLine = "line")
    ))]
    pub target: BelongsTo<IpTarget>,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<IpUser>()
        .table::<IpOrder>()
        .table::<IpTwin>()
        .table::<IpLine>()
        .table::<IpTag>()
        .table::<IpUserTag>()
        .table::<IpComment>()
}

async fn db() -> Dynamite {
    let db = register(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A TTL value: none, six years past (expired, and out of reach of
/// DynamoDB's own sweep), or a year ahead.
fn ttl(code: u8) -> Option<i64> {
    match code % 3 {
        0 => None,
        1 => Some(now() - 6 * 366 * 86_400),
        _ => Some(now() + 366 * 86_400),
    }
}

fn text(code: u8, what: &str) -> Option<String> {
    (!code.is_multiple_of(3)).then(|| format!("{what}{code}"))
}

#[derive(Debug, Clone)]
struct Order {
    user: usize,
    total: i64,
    note: u8,
    status: u8,
    ttl: u8,
    deleted: bool,
    /// Also a twin row at this order's keys.
    twin: bool,
}

#[derive(Debug, Clone)]
struct Line {
    order: usize,
    qty: i64,
    sku: u8,
    ttl: u8,
    deleted: bool,
}

#[derive(Debug, Clone)]
struct Comment {
    user: usize,
    mood: u8,
    /// (kind: 0 tag / 1 line / 2 none, target index; past the end: missing)
    target: (u8, usize),
}

#[derive(Debug, Clone)]
struct Dataset {
    users: Vec<u8>,
    orders: Vec<Order>,
    lines: Vec<Line>,
    /// (color, ttl) per tag
    tags: Vec<(u8, u8)>,
    /// (user, tag index; past the end: a tag never created)
    links: BTreeSet<(usize, usize)>,
    comments: Vec<Comment>,
}

fn dataset() -> impl Strategy<Value = Dataset> {
    let users = proptest::collection::vec(any::<u8>(), 1..4);
    users.prop_flat_map(|users| {
        let n = users.len();
        let order = (0..n, -5i64..50, any::<u8>(), any::<u8>(), any::<u8>())
            .prop_flat_map(|(user, total, note, status, ttl)| {
                (
                    Just((user, total, note, status, ttl)),
                    any::<bool>(),
                    proptest::bool::weighted(0.3),
                )
            })
            .prop_map(|((user, total, note, status, ttl), deleted, twin)| Order {
                user,
                total,
                note,
                status,
                ttl,
                deleted: deleted && note.is_multiple_of(2),
                twin,
            });
        let line = (0usize..8, 0i64..9, any::<u8>(), any::<u8>(), any::<bool>()).prop_map(
            |(order, qty, sku, ttl, deleted)| Line {
                order,
                qty,
                sku,
                ttl,
                deleted: deleted && qty % 3 == 0,
            },
        );
        let comment = (0..n, any::<u8>(), (0u8..3, 0usize..5))
            .prop_map(|(user, mood, target)| Comment { user, mood, target });
        (
            Just(users),
            proptest::collection::vec(order, 0..7),
            proptest::collection::vec(line, 0..8),
            proptest::collection::vec((any::<u8>(), any::<u8>()), 0..4),
            proptest::collection::btree_set((0..n, 0usize..5), 0..6),
            proptest::collection::vec(comment, 0..5),
        )
            .prop_map(|(users, orders, lines, tags, links, comments)| Dataset {
                users,
                orders,
                lines,
                tags,
                links,
                comments,
            })
    })
}

fn user_id(u: usize) -> String {
    format!("u{u}")
}

async fn seed(db: &Dynamite, data: &Dataset) {
    for (u, bio) in data.users.iter().enumerate() {
        IpUser::create()
            .id(user_id(u))
            .name(format!("User {u}"))
            .bio(text(*bio, "bio"))
            .exec(db)
            .await
            .unwrap();
    }
    for (i, o) in data.orders.iter().enumerate() {
        let row = IpOrder {
            user_id: user_id(o.user),
            id: format!("o{i}"),
            total: o.total,
            note: text(o.note, "note"),
            status: text(o.status, "s"),
            expires: ttl(o.ttl),
            deleted_at: o.deleted.then_some(1),
            user: BelongsTo::default(),
            lines: HasMany::default(),
        };
        IpOrder::put_many(db, vec![row]).await.unwrap();
        if o.twin {
            let twin = IpTwin {
                user_id: user_id(o.user),
                id: format!("o{i}"),
                total: -o.total,
                note: Some("twin".into()),
                expires: None,
            };
            IpTwin::put_many(db, vec![twin]).await.unwrap();
        }
    }
    for (i, l) in data.lines.iter().enumerate() {
        let row = IpLine {
            id: format!("l{i}"),
            order_id: format!("o{}", l.order),
            qty: l.qty,
            sku: text(l.sku, "sku"),
            expires: ttl(l.ttl),
            deleted_at: l.deleted.then_some(1),
        };
        IpLine::put_many(db, vec![row]).await.unwrap();
    }
    for (i, (color, code)) in data.tags.iter().enumerate() {
        let row = IpTag {
            id: format!("t{i}"),
            label: format!("Tag {i}"),
            color: text(*color, "c"),
            expires: ttl(*code),
        };
        IpTag::put_many(db, vec![row]).await.unwrap();
    }
    for (u, t) in &data.links {
        IpUserTag::create()
            .user_id(user_id(*u))
            .tag_id(format!("t{t}"))
            .exec(db)
            .await
            .unwrap();
    }
    for (i, c) in data.comments.iter().enumerate() {
        let (kind, target) = match c.target.0 {
            0 => (Some("tag".to_owned()), Some(format!("t{}", c.target.1))),
            1 => (Some("line".to_owned()), Some(format!("l{}", c.target.1))),
            _ => (None, None),
        };
        IpComment::create()
            .id(format!("c{i}"))
            .user_id(user_id(c.user))
            .body(format!("Comment {i}"))
            .mood(text(c.mood, "m"))
            .kind(kind)
            .target_id(target)
            .exec(db)
            .await
            .unwrap();
    }
}

/// Listed attribute names, as a projection.
#[derive(Debug, Clone)]
struct Names(Vec<&'static str>);

impl<M> Columns<M> for Names {
    fn names(&self) -> Vec<&'static str> {
        self.0.clone()
    }
}

/// A random subset of `fields` (possibly empty), or no projection.
fn projection(fields: &'static [&'static str]) -> impl Strategy<Value = Option<Vec<&'static str>>> {
    proptest::option::of(proptest::sample::subsequence(fields, 0..=fields.len()))
}

const ORDER_FIELDS: &[&str] = &["total", "note", "status", "expires", "deleted_at", "id"];
const USER_FIELDS: &[&str] = &["name", "bio", "expires"];
const LINE_FIELDS: &[&str] = &["qty", "sku", "order_id", "expires"];
const TAG_FIELDS: &[&str] = &["label", "color", "expires"];
const COMMENT_FIELDS: &[&str] = &["body", "mood", "kind"];

/// One query: the root (one user or all), and each include's projection.
#[derive(Debug, Clone)]
struct Case {
    user: Option<usize>,
    orders: Option<Vec<&'static str>>,
    order_user: Option<Vec<&'static str>>,
    lines: Option<Vec<&'static str>>,
    tags: Option<Vec<&'static str>>,
    comments: Option<Vec<&'static str>>,
    first_comment: Option<Vec<&'static str>>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::option::of(0usize..4),
        projection(ORDER_FIELDS),
        projection(USER_FIELDS),
        projection(LINE_FIELDS),
        projection(TAG_FIELDS),
        projection(COMMENT_FIELDS),
        projection(COMMENT_FIELDS),
    )
        .prop_map(
            |(user, orders, order_user, lines, tags, comments, first_comment)| Case {
                user,
                orders,
                order_user,
                lines,
                tags,
                comments,
                first_comment,
            },
        )
}

fn with<P: Table, C: Table>(
    relation: dynamite::Relation<P, C>,
    projection: Option<&Vec<&'static str>>,
) -> dynamite::Relation<P, C> {
    match projection {
        Some(names) => relation.attributes(Names(names.clone())),
        None => relation,
    }
}

/// The query of a case; `projected: false` drops every projection (the
/// reference).
fn query(case: &Case, projected: bool) -> dynamite::Query<IpUser> {
    let p = |o: &Option<Vec<&'static str>>| if projected { o.clone() } else { None };
    let orders = with(IpUser::orders(), p(&case.orders).as_ref())
        .include(with(IpOrder::user(), p(&case.order_user).as_ref()))
        .include(with(IpOrder::lines(), p(&case.lines).as_ref()));
    let q = IpUser::query()
        .include(orders)
        .include(with(IpUser::tags(), p(&case.tags).as_ref()))
        .include(with(IpUser::comments(), p(&case.comments).as_ref()).include(IpComment::target()))
        .include(with(
            IpUser::first_comment(),
            p(&case.first_comment).as_ref(),
        ));
    match case.user {
        Some(u) => q.filter(IpUser::ID.eq(user_id(u))),
        None => q,
    }
}

/// A row shown as its listed fields (`None`: every field), sorted.
fn show_full<T: Table>(row: &T, listed: Option<&Vec<&'static str>>) -> String {
    let item = row.to_item().unwrap();
    let mut out: Vec<String> = T::META
        .attributes
        .iter()
        .filter(|a| listed.is_none_or(|l| l.contains(&a.name)))
        .map(|a| format!("{}={:?}", a.name, item.get(a.name)))
        .collect();
    out.sort();
    out.join(" ")
}

/// A projected row shown like [`show_full`], after checking that it holds
/// nothing but the listed fields and its keys, in `item()` and in JSON.
fn show_projected<T: Table + Serialize>(
    row: &Projected<T>,
    listed: &[&'static str],
) -> Result<String, String> {
    // The keys: the physical key attributes and, for a shared-table
    // model, its key fields (its `Key`).
    let mut keys: Vec<&str> = T::META.key_names().collect();
    keys.extend(
        T::META
            .single_table
            .iter()
            .flat_map(|l| l.key_fields.iter().copied()),
    );
    let item: &Item = row.item();
    for name in item.keys() {
        if !listed.contains(&name.as_str()) && !keys.contains(&name.as_str()) {
            return Err(format!(
                "{}: `{name}` leaked into a projected row",
                T::META.model
            ));
        }
    }
    let json = serde_json::to_value(row).map_err(|e| e.to_string())?;
    let object = json
        .as_object()
        .ok_or("a projected row is not a JSON object")?;
    let relations: Vec<&str> = T::META.relations.iter().map(|r| r.field).collect();
    for name in object.keys() {
        let field_of = |a: &&dynamite::model::AttributeMeta| a.field == name;
        let attribute = T::META.attributes.iter().find(field_of).map(|a| a.name);
        let shown = attribute.is_some_and(|a| listed.contains(&a) || keys.contains(&a))
            || relations.contains(&name.as_str());
        if !shown {
            return Err(format!(
                "{}: `{name}` leaked into a projected row's JSON {json}",
                T::META.model
            ));
        }
    }
    for name in listed {
        let field = T::META.attribute(name).map_or(*name, |a| a.field);
        if !object.contains_key(field) {
            return Err(format!(
                "{}: listed `{name}` missing from JSON {json}",
                T::META.model
            ));
        }
    }
    let mut out: Vec<String> = T::META
        .attributes
        .iter()
        .filter(|a| listed.contains(&a.name))
        .map(|a| format!("{}={:?}", a.name, item.get(a.name)))
        .collect();
    out.sort();
    Ok(out.join(" "))
}

/// The lines of a `HasMany` / `HasOne` / `BelongsTo`, projected or full,
/// each row followed by its nested lines.
struct Shown {
    rows: Vec<(String, Vec<String>)>,
}

fn many<T: Table + Serialize>(
    field: &HasMany<T>,
    listed: Option<&Vec<&'static str>>,
    nested: impl Fn(Either<'_, T>) -> Result<Vec<String>, String>,
) -> Result<Shown, String> {
    let mut rows = Vec::new();
    match (listed, field.projected()) {
        (Some(listed), Some(projected)) => {
            if field.loaded().is_some() || !field.is_empty() || field.is_loaded() {
                return Err(format!(
                    "{}: a projected relation exposes full rows",
                    T::META.model
                ));
            }
            for row in projected {
                rows.push((
                    show_projected(row, listed)?,
                    nested(Either::Projected(row))?,
                ));
            }
        }
        (None, None) => {
            let loaded = field.loaded().ok_or("not loaded")?;
            for row in loaded {
                rows.push((show_full(row, None), nested(Either::Full(row))?));
            }
        }
        (listed, projected) => {
            return Err(format!(
                "{}: listed {listed:?} but projected {}",
                T::META.model,
                projected.is_some()
            ));
        }
    }
    Ok(Shown { rows })
}

/// The reference side of [`many`]: full rows cut to the listed fields.
fn many_reference<T: Table>(
    field: &HasMany<T>,
    listed: Option<&Vec<&'static str>>,
    nested: impl Fn(&T) -> Vec<String>,
) -> Shown {
    let rows = field
        .loaded()
        .unwrap_or_default()
        .iter()
        .map(|row| (show_full(row, listed), nested(row)))
        .collect();
    Shown { rows }
}

enum Either<'a, T> {
    Full(&'a T),
    Projected(&'a Projected<T>),
}

impl Shown {
    fn lines(self, label: &str, out: &mut Vec<String>) {
        for (row, nested) in self.rows {
            out.push(format!("  {label} {row}"));
            out.extend(nested.into_iter().map(|l| format!("  {l}")));
        }
    }
}

fn single<T: Table + Serialize>(
    loaded: Option<Option<&T>>,
    projected: Option<Option<&Projected<T>>>,
    listed: Option<&Vec<&'static str>>,
) -> Result<Vec<String>, String> {
    Ok(match (listed, projected) {
        (Some(listed), Some(row)) => {
            if loaded.is_some() {
                return Err(format!(
                    "{}: a projected relation exposes a full row",
                    T::META.model
                ));
            }
            row.map(|r| show_projected(r, listed))
                .transpose()?
                .into_iter()
                .collect()
        }
        (None, None) => loaded
            .ok_or("not loaded")?
            .map(|r| show_full(r, None))
            .into_iter()
            .collect(),
        _ => {
            return Err(format!(
                "{}: projected state differs from the include",
                T::META.model
            ));
        }
    })
}

fn target_line(target: &BelongsTo<IpTarget>) -> Vec<String> {
    match target.loaded() {
        Some(Some(IpTarget::Tag(t))) => vec![format!("target tag {}", t.id)],
        Some(Some(IpTarget::Line(l))) => vec![format!("target line {}", l.id)],
        Some(None) => vec!["target none".into()],
        None => vec!["target not loaded".into()],
    }
}

/// The projected graph, checked and shown.
fn graph(users: &[IpUser], case: &Case) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut users: Vec<&IpUser> = users.iter().collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    for u in users {
        out.push(format!("user {}", u.id));
        let order_nested = |o: Either<'_, IpOrder>| -> Result<Vec<String>, String> {
            let (user, lines) = match o {
                Either::Full(o) => (&o.user, &o.lines),
                Either::Projected(p) => (
                    p.related(|o| &o.user)
                        .ok_or("nested includes not attached")?,
                    p.related(|o| &o.lines)
                        .ok_or("nested includes not attached")?,
                ),
            };
            let mut lines_out = Vec::new();
            for l in single(user.loaded(), user.projected(), case.order_user.as_ref())? {
                lines_out.push(format!("user {l}"));
            }
            many(lines, case.lines.as_ref(), |_| Ok(Vec::new()))?.lines("line", &mut lines_out);
            Ok(lines_out)
        };
        many(&u.orders, case.orders.as_ref(), order_nested)?.lines("order", &mut out);
        many(&u.tags, case.tags.as_ref(), |_| Ok(Vec::new()))?.lines("tag", &mut out);
        let comment_nested = |c: Either<'_, IpComment>| -> Result<Vec<String>, String> {
            Ok(match c {
                Either::Full(c) => target_line(&c.target),
                Either::Projected(p) => target_line(
                    p.related(|c| &c.target)
                        .ok_or("nested includes not attached")?,
                ),
            })
        };
        many(&u.comments, case.comments.as_ref(), comment_nested)?.lines("comment", &mut out);
        for l in single(
            u.first_comment.loaded(),
            u.first_comment.projected(),
            case.first_comment.as_ref(),
        )? {
            out.push(format!("  first {l}"));
        }
    }
    Ok(out)
}

/// The unprojected graph restricted to each level's listed fields.
fn reference(users: &[IpUser], case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    let mut users: Vec<&IpUser> = users.iter().collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    for u in users {
        out.push(format!("user {}", u.id));
        let order_nested = |o: &IpOrder| {
            let mut lines_out = Vec::new();
            if let Some(Some(user)) = o.user.loaded() {
                lines_out.push(format!(
                    "user {}",
                    show_full(user, case.order_user.as_ref())
                ));
            }
            many_reference(&o.lines, case.lines.as_ref(), |_| Vec::new())
                .lines("line", &mut lines_out);
            lines_out
        };
        many_reference(&u.orders, case.orders.as_ref(), order_nested).lines("order", &mut out);
        many_reference(&u.tags, case.tags.as_ref(), |_| Vec::new()).lines("tag", &mut out);
        many_reference(&u.comments, case.comments.as_ref(), |c| {
            target_line(&c.target)
        })
        .lines("comment", &mut out);
        if let Some(Some(c)) = u.first_comment.loaded() {
            out.push(format!(
                "  first {}",
                show_full(c, case.first_comment.as_ref())
            ));
        }
    }
    out
}

fn cases() -> u32 {
    std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

#[test]
fn projected_includes_differential() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    for round in 0..3 {
        let data = dataset().new_tree(&mut runner).unwrap().current();
        let db = rt.block_on(async {
            let db = db().await;
            seed(&db, &data).await;
            db
        });
        let before = rt.block_on(snapshot(&db));
        let result = runner.run(&case(), |case| {
            let (projected, full) = rt.block_on(async {
                let projected = query(&case, true).all(&db).await;
                let full = query(&case, false).all(&db).await;
                (projected, full)
            });
            let projected = projected.map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let full = full.map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let got = graph(&projected, &case).map_err(TestCaseError::fail)?;
            prop_assert_eq!(got, reference(&full, &case), "dataset {}", round);
            Ok(())
        });
        if let Err(e) = result {
            panic!("dataset {round} {data:?}: {e}");
        }
        assert_eq!(rt.block_on(snapshot(&db)), before, "reads wrote nothing");
    }
}

/// Every stored item of the test's tables, sorted (debug text).
async fn snapshot(db: &Dynamite) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        db.table_name::<IpUser>().unwrap(),
        db.table_name::<IpLine>().unwrap(),
        db.table_name::<IpTag>().unwrap(),
        db.table_name::<IpUserTag>().unwrap(),
        db.table_name::<IpComment>().unwrap(),
    ] {
        let items = db
            .client()
            .scan()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default();
        for item in items {
            let mut attrs: Vec<String> = item.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            attrs.sort();
            out.push(attrs.join(" "));
        }
    }
    out.sort();
    out
}

/// A polymorphic include under a projected level reads the parent's type
/// attribute even when the projection leaves it out (it is an `Option`
/// field: it used to be fetched only when listed, and every target read
/// as "none").
#[dynamite::test(registry = register)]
async fn regression_polymorphic_under_a_projection_reads_the_type_attribute(db: Dynamite) {
    IpUser::create()
        .id("u0")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    IpTag::create()
        .id("t0")
        .label("Rust")
        .exec(&db)
        .await
        .unwrap();
    IpComment::create()
        .id("c0")
        .user_id("u0")
        .body("nice")
        .kind(Some("tag".into()))
        .target_id(Some("t0".into()))
        .exec(&db)
        .await
        .unwrap();
    let user = IpUser::query()
        .filter(IpUser::ID.eq("u0"))
        .include(
            IpUser::comments()
                .attributes((IpComment::BODY,))
                .include(IpComment::target()),
        )
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let comments = user.comments.projected().unwrap();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0]
            .get(IpComment::KIND)
            .unwrap_err()
            .is_not_fetched()
    );
    assert!(!comments[0].item().contains_key("kind"), "read, not shown");
    let target = comments[0].related(|c| &c.target).unwrap();
    assert!(
        matches!(target.loaded(), Some(Some(IpTarget::Tag(t))) if t.id == "t0"),
        "{target:?}"
    );
}

/// The other half of "unfetched fields are not data": a child read with a
/// projection is never a model a write accepts. It used to come back as
/// a full `IpOrder` whose unfetched `note` read `None`, and `save()` of it
/// removed `note` from the stored item.
#[dynamite::test(registry = register)]
async fn regression_a_projected_child_cannot_be_saved_back(db: Dynamite) {
    IpUser::create()
        .id("u0")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    let order = IpOrder {
        user_id: "u0".into(),
        id: "o0".into(),
        total: 7,
        note: Some("gift wrap".into()),
        status: None,
        expires: None,
        deleted_at: None,
        user: BelongsTo::default(),
        lines: HasMany::default(),
    };
    IpOrder::put_many(&db, vec![order]).await.unwrap();
    let user = IpUser::query()
        .filter(IpUser::ID.eq("u0"))
        .include(IpUser::orders().attributes((IpOrder::TOTAL,)))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    // No `IpOrder` is reachable: the deref is empty, `loaded()` is None.
    assert!(user.orders.is_empty() && user.orders.loaded().is_none());
    let projected = &user.orders.projected().unwrap()[0];
    assert_eq!(projected.get(IpOrder::TOTAL).unwrap(), 7);
    // The lazy load refuses to build full rows from a projection.
    let err = IpUser::orders()
        .attributes((IpOrder::TOTAL,))
        .of(&user)
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    let lazy = IpUser::orders()
        .attributes((IpOrder::TOTAL,))
        .of(&user)
        .all_projected(&db)
        .await
        .unwrap();
    assert_eq!(lazy.len(), 1);
    // Only the explicit escape hatch gives a model: the key fields and the
    // listed `total` are all its required fields, and the unfetched `note`
    // reads `None` there (which is why it is explicit).
    let partial = projected.clone().into_partial_model().unwrap();
    assert_eq!((partial.total, partial.note), (7, None));
    let stored = IpOrder::get(&db, ("u0", "o0")).await.unwrap().unwrap();
    assert_eq!(
        stored.note.as_deref(),
        Some("gift wrap"),
        "the item is unchanged"
    );
}

/// A query with `.attributes(..)` and includes used to read the includes
/// and drop them (a projected row has no relation fields): refused now,
/// before anything is sent.
#[dynamite::test(registry = register)]
async fn regression_includes_under_a_projected_query_are_refused(db: Dynamite) {
    IpUser::create()
        .id("u0")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let err = IpUser::query()
        .include(IpUser::orders())
        .attributes((IpUser::NAME,))
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}
