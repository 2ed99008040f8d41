//! Adversarial review of issue 18, class 5 ("one definition of expired")
//! and foreign data: TTL values another program stored, against every
//! read and write path and the features TTL interacts with.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder, Item};

type AV = AttributeValue;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rv_groups")]
pub struct RvGroup {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(has_many(foreign_key = "group"))]
    pub items: HasMany<RvItem>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rv_items")]
pub struct RvItem {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub group: String,
    pub n: i64,
    pub note: Option<String>,
    #[dynamite(version)]
    pub version: u64,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(ttl)]
    pub until: Option<i64>,
    #[dynamite(belongs_to(foreign_key = "group"))]
    pub owner: BelongsTo<RvGroup>,
}

/// Many-to-many: students and courses through enrollments; courses expire.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "rv_students")]
pub struct RvStudent {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(has_many(through = RvEnrollment, foreign_key = "student_id", far_key = "course_id"))]
    pub courses: HasMany<RvCourse>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "rv_courses")]
pub struct RvCourse {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "rv_enrollments")]
pub struct RvEnrollment {
    #[dynamite(primary_key)]
    pub student_id: String,
    #[dynamite(sort_key)]
    pub course_id: String,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

/// A `time::OffsetDateTime` TTL (a milliseconds value is year ~55,000).
#[derive(Table, Debug, Clone)]
#[dynamite(table = "rv_time")]
pub struct RvTime {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(ttl)]
    pub ends: Option<SystemTime>,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<RvGroup>()
        .table::<RvItem>()
        .table::<RvStudent>()
        .table::<RvCourse>()
        .table::<RvEnrollment>()
        .table::<RvTime>()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const LONG_AGO: i64 = 6 * 366 * 24 * 3600;

fn n(t: impl Into<String>) -> Option<AV> {
    Some(AV::N(t.into()))
}

/// Stores an `RvItem` item through the raw SDK with `until` = `ttl`.
async fn raw_item(db: &Dynamite, id: &str, group: &str, ttl: Option<AV>, extra: &[(&str, AV)]) {
    let mut item: Item = HashMap::from([
        ("id".to_owned(), AV::S(id.into())),
        ("group".to_owned(), AV::S(group.into())),
        ("n".to_owned(), AV::N("1".into())),
        ("version".to_owned(), AV::N("1".into())),
    ]);
    if let Some(t) = ttl {
        item.insert("until".into(), t);
    }
    for (k, v) in extra {
        item.insert((*k).to_owned(), v.clone());
    }
    db.client()
        .put_item()
        .table_name(db.table_name::<RvItem>().unwrap())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

async fn raw_get(db: &Dynamite, table: String, key: &[(&str, &str)]) -> Option<Item> {
    let mut req = db
        .client()
        .get_item()
        .table_name(table)
        .consistent_read(true);
    for (k, v) in key {
        req = req.key(*k, AV::S((*v).into()));
    }
    req.send().await.unwrap().item
}

/// Values that have passed by the one rule (exact decimal below now).
fn expired_values() -> Vec<Option<AV>> {
    let past = now() - LONG_AGO;
    vec![
        n("1.5"),
        n("-5"),
        n("1E+3"),
        n(past.to_string()),
        n(format!("{past}.5")),
        n("-1E+125"),
    ]
}

/// Values that never expire or have not passed.
fn live_values() -> Vec<Option<AV>> {
    vec![
        None,
        Some(AV::Null(true)),
        n((now() * 1000).to_string()),
        n((now() + 30 * 24 * 3600).to_string()),
    ]
}

// ------------------------------------------------------------- reads

// ------------------------------------------------------------- writes

/// `create`'s overwrite rule holds for `create_many` and a transaction's
/// `create` too: an expired row (any notation) "is absent: it may be
/// overwritten".
#[dynamite::test(registry = register)]
async fn review_create_many_and_tx_create_overwrite_expired_rows(db: Dynamite) {
    let values = expired_values();
    for (i, v) in values.iter().enumerate() {
        raw_item(&db, &format!("m{i}"), "g", v.clone(), &[]).await;
        raw_item(&db, &format!("t{i}"), "g", v.clone(), &[]).await;
    }
    let rows: Vec<_> = (0..values.len())
        .map(|i| RvItem::create().id(format!("m{i}")).group("h").n(2).build())
        .collect();
    let created = RvItem::create_many(&db, rows).await;
    assert!(
        created.is_ok(),
        "create_many over expired rows: {created:?}"
    );
    for (i, value) in values.iter().enumerate() {
        let mut tx = db.transaction();
        tx.create(RvItem::create().id(format!("t{i}")).group("h").n(2).build());
        let r = tx.commit().await;
        assert!(r.is_ok(), "tx create over {value:?}: {r:?}");
    }
    assert_eq!(
        RvItem::query()
            .filter(RvItem::GROUP.eq("h"))
            .count(&db)
            .await
            .unwrap(),
        2 * values.len()
    );
}

/// `update_where` / `delete_where` skip expired rows by the one rule and
/// touch every live one (a milliseconds value, NULL, absent).
#[dynamite::test(registry = register)]
async fn review_update_where_and_delete_where_follow_the_one_rule(db: Dynamite) {
    let dead = expired_values();
    let live = live_values();
    for (i, v) in dead.iter().enumerate() {
        raw_item(&db, &format!("x{i}"), "g", v.clone(), &[]).await;
    }
    for (i, v) in live.iter().enumerate() {
        raw_item(&db, &format!("l{i}"), "g", v.clone(), &[]).await;
    }
    let updated = RvItem::update_where(RvItem::GROUP.eq("g"))
        .set(RvItem::N, 7)
        .exec(&db)
        .await;
    assert_eq!(
        updated.as_ref().ok(),
        Some(&live.len()),
        "update_where gsi: {updated:?}"
    );
    let updated = RvItem::update_where(RvItem::N.eq(7))
        .increment(RvItem::N, 1)
        .exec(&db)
        .await;
    assert_eq!(
        updated.as_ref().ok(),
        Some(&live.len()),
        "update_where scan: {updated:?}"
    );
    let table = db.table_name::<RvItem>().unwrap();
    for i in 0..dead.len() {
        let raw = raw_get(&db, table.clone(), &[("id", &format!("x{i}"))])
            .await
            .unwrap();
        assert_eq!(raw["n"], AV::N("1".into()), "expired x{i} touched");
    }
    let deleted = RvItem::delete_where(RvItem::GROUP.eq("g")).exec(&db).await;
    assert_eq!(
        deleted.as_ref().ok(),
        Some(&live.len()),
        "delete_where: {deleted:?}"
    );
}

// ------------------------------------------------------------- many-to-many

/// A projected query's `count()` (`ProjectedQuery::count` is public API):
/// "counts decode nothing" and must answer as the unprojected count. It
/// sends the projection's attribute names with `Select=COUNT` and no
/// ProjectionExpression, and the backend refuses the request
/// ("Value provided in ExpressionAttributeNames unused in expressions").
#[dynamite::test(registry = register)]
async fn review_projected_count_is_refused_by_the_backend(db: Dynamite) {
    raw_item(&db, "x", "g", n("1.5"), &[]).await;
    raw_item(&db, "l", "g", None, &[]).await;
    let gsi = RvItem::query()
        .filter(RvItem::GROUP.eq("g"))
        .attributes((RvItem::N,))
        .count(&db)
        .await;
    assert_eq!(gsi.as_ref().ok(), Some(&1), "gsi count: {gsi:?}");
    let scan = RvItem::query().attributes((RvItem::N,)).count(&db).await;
    assert_eq!(scan.as_ref().ok(), Some(&1), "scan count: {scan:?}");
    let key = RvItem::query()
        .filter(RvItem::ID.eq("l"))
        .attributes((RvItem::N,))
        .count(&db)
        .await;
    assert_eq!(key.as_ref().ok(), Some(&1), "get count: {key:?}");
}

// ------------------------------------------------------------- shared table

/// A shared-table model with templates, an overloaded GSI, a sparse GSI,
/// a renamed TTL attribute, soft delete and a version.
// Two indexes share the sort template `P#{id}` (clippy reads the repeated
// `sk = ..` as a duplicated attribute).
#[allow(clippy::duplicated_attributes)]
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rv_shared", pk = "U#{user}", sk = "P#{id}")]
#[dynamite(index(name = "gsi1", pk = "K#{kind}", sk = "P#{id}"))]
#[dynamite(index(name = "gsi2", pk = "TAG#{tag}", sk = "P#{id}"))]
pub struct RvPost {
    pub user: String,
    pub id: String,
    pub kind: String,
    pub tag: Option<String>,
    pub n: i64,
    #[dynamite(version)]
    pub version: u64,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(ttl, rename = "exp")]
    pub until: Option<i64>,
}

/// Another entity rendering the same keys.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(
    table = "rv_shared",
    pk = "U#{user}",
    sk = "P#{id}",
    entity = "RvOther"
)]
pub struct RvOther {
    pub user: String,
    pub id: String,
    pub n: i64,
    #[dynamite(ttl, rename = "exp")]
    pub until: Option<i64>,
}

fn register_shared(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<RvPost>().table::<RvOther>()
}

/// Stores an `RvPost` (or, with `entity`, another entity's item) at
/// `(u, id)` with `exp` = `ttl`, keys rendered as Dynamite renders them.
async fn raw_post(db: &Dynamite, id: &str, ttl: Option<AV>, entity: Option<&str>) {
    let mut item = RvPost {
        user: "u".into(),
        id: id.into(),
        kind: "k".into(),
        tag: Some("t".into()),
        n: 1,
        version: 1,
        deleted_at: None,
        until: None,
    }
    .to_item()
    .unwrap();
    RvPost::META.render_keys(&mut item).unwrap();
    match ttl {
        Some(v) => {
            item.insert("exp".into(), v);
        }
        None => {
            item.remove("exp");
        }
    }
    if let Some(e) = entity {
        let attr = RvPost::META.single_table.unwrap().entity_attribute;
        item.insert(attr.to_owned(), AV::S(e.into()));
    }
    db.client()
        .put_item()
        .table_name(db.table_name::<RvPost>().unwrap())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

/// Renamed TTL attribute in a shared table: every read plan (key, GSI,
/// sparse GSI, Scan, projected, pages, counts, transactions) hides a row
/// Writes in a shared table with a renamed TTL: `create` overwrites an
/// expired row (ours or another entity's at the colliding key), refuses a
/// live one of another entity (`AlreadyExists`); `update_key` of a
/// templated field (the GSI's `kind`) of an expired row is `NotFound`,
/// nothing changes; `update_where` skips expired rows.
#[dynamite::test(registry = register_shared)]
async fn review_shared_table_writes_follow_the_one_rule(db: Dynamite) {
    let table = db.table_name::<RvPost>().unwrap();
    let pk = RvPost::META.partition_key.name;
    let sk = RvPost::META.sort_key.unwrap().name;
    let raw = |id: String| {
        let db = db.clone();
        let table = table.clone();
        async move {
            db.client()
                .get_item()
                .table_name(table)
                .key(pk, AV::S("U#u".into()))
                .key(sk, AV::S(format!("P#{id}")))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
        }
    };
    for (i, v) in expired_values().into_iter().enumerate() {
        let id = format!("x{i}");
        raw_post(&db, &id, v.clone(), None).await;
        let before = raw(id.clone()).await;
        let r = RvPost::update_key(("u", id.as_str()))
            .set(RvPost::KIND, "k2")
            .exec(&db)
            .await;
        assert!(
            r.as_ref().is_err_and(|e| e.is_not_found()),
            "update_key kind {v:?}: {r:?}"
        );
        let r = RvPost::update_key(("u", id.as_str()))
            .set(RvPost::TAG, None)
            .exec(&db)
            .await;
        assert!(
            r.as_ref().is_err_and(|e| e.is_not_found()),
            "update_key tag {v:?}: {r:?}"
        );
        let r = RvPost::delete_key(&db, ("u", id.as_str())).await;
        assert!(
            r.as_ref().is_err_and(|e| e.is_not_found()),
            "delete_key {v:?}: {r:?}"
        );
        assert_eq!(raw(id.clone()).await, before, "unchanged {v:?}");
        let c = RvPost::create()
            .user("u")
            .id(id.as_str())
            .kind("k")
            .n(2)
            .exec(&db)
            .await;
        assert!(c.is_ok(), "create over expired {v:?}: {c:?}");
        // Another entity's expired item at the colliding key.
        let oid = format!("o{i}");
        raw_post(&db, &oid, v.clone(), Some("RvOther")).await;
        let c = RvPost::create()
            .user("u")
            .id(oid.as_str())
            .kind("k")
            .n(2)
            .exec(&db)
            .await;
        assert!(
            c.is_ok(),
            "create over another entity's expired {v:?}: {c:?}"
        );
    }
    raw_post(
        &db,
        "other_live",
        n((now() * 1000).to_string()),
        Some("RvOther"),
    )
    .await;
    let c = RvPost::create()
        .user("u")
        .id("other_live")
        .kind("k")
        .n(2)
        .exec(&db)
        .await;
    assert!(
        matches!(c, Err(dynamite::Error::AlreadyExists { .. })),
        "create over another's live: {c:?}"
    );
    // update_where over expired rows only.
    for (i, v) in expired_values().into_iter().enumerate() {
        raw_post(&db, &format!("w{i}"), v, None).await;
    }
    let r = RvPost::update_where(RvPost::KIND.eq("k").and(RvPost::N.eq(1)))
        .set(RvPost::KIND, "k3")
        .exec(&db)
        .await;
    assert_eq!(
        r.as_ref().ok(),
        Some(&0),
        "update_where over expired rows: {r:?}"
    );
    let r = RvPost::delete_where(RvPost::TAG.eq("t")).exec(&db).await;
    assert_eq!(
        r.as_ref().ok(),
        Some(&0),
        "delete_where over expired rows: {r:?}"
    );
}

// ------------------------------------------------------------- more paths

/// Linking to a far row that exists and has not expired (its TTL is a
/// string or a huge number: never expires / far future) is a link, not a
/// `NotFound` and not a decode error: the existence check decides by the
/// `create_many` in a shared table over another entity's expired item at
/// An expired junction row is absent: `add` and `replace` of that link
/// make it visible again (they may overwrite it, as `create` does), and
/// `remove` of it is not a second deletion of a live link.
#[dynamite::test(registry = register)]
async fn review_many_to_many_relinks_over_an_expired_junction_row(db: Dynamite) {
    RvStudent::create().id("s").exec(&db).await.unwrap();
    for c in ["c1", "c2"] {
        RvCourse::create().id(c).exec(&db).await.unwrap();
    }
    RvStudent::courses()
        .add(&db, "s", ["c1".to_owned(), "c2".to_owned()])
        .await
        .unwrap();
    let junction = db.table_name::<RvEnrollment>().unwrap();
    let expire = |c: &'static str| {
        let db = db.clone();
        let junction = junction.clone();
        async move {
            db.client()
                .update_item()
                .table_name(junction)
                .key("student_id", AV::S("s".into()))
                .key("course_id", AV::S(c.into()))
                .update_expression("SET #u = :u")
                .expression_attribute_names("#u", "until")
                .expression_attribute_values(":u", AV::N("1.5".into()))
                .send()
                .await
                .unwrap();
        }
    };
    let linked = |db: Dynamite| async move {
        let mut ids: Vec<String> = RvStudent::courses()
            .of_key("s")
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        ids.sort();
        ids
    };
    expire("c1").await;
    assert_eq!(linked(db.clone()).await, ["c2"]);
    let r = RvStudent::courses().add(&db, "s", ["c1".to_owned()]).await;
    assert!(r.is_ok(), "add over an expired link: {r:?}");
    assert_eq!(linked(db.clone()).await, ["c1", "c2"], "after add");
    expire("c1").await;
    let r = RvStudent::courses()
        .replace(&db, "s", ["c1".to_owned(), "c2".to_owned()])
        .await;
    assert!(r.is_ok(), "replace over an expired link: {r:?}");
    assert_eq!(linked(db.clone()).await, ["c1", "c2"], "after replace");
}

/// Foreign soft-delete markers of any type (present, not NULL) and another
/// entity's items hide rows on projected reads as on full ones: key,
/// "counts decode nothing": on the key plans (GetItem, BatchGetItem) too,
/// A write to a visible row another program stored with a TTL the field
/// cannot hold (a string: never expires): either it applies and says `Ok`,
/// or it says an error and changed nothing; never a decode error behind
/// an applied write (the class of `regression_a_soft_delete_of_an_
/// undecodable_row_is_ok`). Covers `update_key` of a plain field, of a
/// templated GSI field (read first), `save` of a stale versioned copy
/// (`Conflict`, not `NotFound`: the row has not expired).
#[dynamite::test(registry = register_shared)]
async fn review_writes_to_a_live_row_with_an_undecodable_ttl(db: Dynamite) {
    let table = db.table_name::<RvPost>().unwrap();
    let raw = || {
        let db = db.clone();
        let table = table.clone();
        async move {
            db.client()
                .get_item()
                .table_name(table)
                .key(RvPost::META.partition_key.name, AV::S("U#u".into()))
                .key(RvPost::META.sort_key.unwrap().name, AV::S("P#a".into()))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
                .unwrap()
        }
    };
    let mut stale = RvPost::create()
        .user("u")
        .id("a")
        .kind("k")
        .n(1)
        .exec(&db)
        .await
        .unwrap();
    raw_post(&db, "a", Some(AV::S("soon".into())), None).await;
    db.client()
        .update_item()
        .table_name(table.clone())
        .key(RvPost::META.partition_key.name, AV::S("U#u".into()))
        .key(RvPost::META.sort_key.unwrap().name, AV::S("P#a".into()))
        .update_expression("SET version = :v")
        .expression_attribute_values(":v", AV::N("5".into()))
        .send()
        .await
        .unwrap();
    let mut problems = Vec::new();
    let before = raw().await;
    let r = RvPost::update_key(("u", "a"))
        .set(RvPost::N, 7)
        .exec(&db)
        .await;
    let after = raw().await;
    if r.as_ref().is_err_and(|e| !e.is_applied_unreadable()) && after != before {
        problems.push(format!("update_key n: {r:?} but applied"));
    }
    let before = after;
    let r = RvPost::update_key(("u", "a"))
        .set(RvPost::KIND, "k2")
        .exec(&db)
        .await;
    let after = raw().await;
    if r.as_ref().is_err_and(|e| !e.is_applied_unreadable()) && after != before {
        problems.push(format!("update_key kind: {r:?} but applied"));
    }
    let before = after;
    let r = stale.save(&db).await;
    let after = raw().await;
    if !matches!(r, Err(dynamite::Error::Conflict { .. })) {
        problems.push(format!("stale save: {r:?} (want Conflict)"));
    }
    if after != before {
        problems.push("stale save changed the row".into());
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The same on the other write paths: `row.update()`, `restore()`,
/// `update_where` and a transaction's update of a live row whose TTL
/// attribute another program stored as a string (never expires, does not
/// decode): `Ok` when applied, or an error with nothing changed.
#[dynamite::test(registry = register)]
async fn review_other_writes_to_a_live_row_with_an_undecodable_ttl(db: Dynamite) {
    let table = db.table_name::<RvItem>().unwrap();
    let row = RvItem::create()
        .id("a")
        .group("g")
        .n(1)
        .exec(&db)
        .await
        .unwrap();
    raw_item(
        &db,
        "a",
        "g",
        Some(AV::S("soon".into())),
        &[("deleted_at", AV::N("5".into()))],
    )
    .await;
    let mut problems = Vec::new();
    let mut before = raw_get(&db, table.clone(), &[("id", "a")]).await;
    let mut check = |what: &str, ok: bool, r: String, after: Option<Item>| {
        if !ok && after != before {
            problems.push(format!("{what}: {r} but applied"));
        }
        before = after;
    };
    let r = row.restore(&db).await;
    check(
        "restore",
        r.as_ref().is_ok()
            || r.as_ref()
                .is_err_and(dynamite::Error::is_applied_unreadable),
        format!("{r:?}"),
        raw_get(&db, table.clone(), &[("id", "a")]).await,
    );
    let r = RvItem::update_key("a")
        .increment(RvItem::N, 1)
        .exec(&db)
        .await;
    check(
        "update_key increment",
        r.as_ref().is_ok()
            || r.as_ref()
                .is_err_and(dynamite::Error::is_applied_unreadable),
        format!("{r:?}"),
        raw_get(&db, table.clone(), &[("id", "a")]).await,
    );
    let r = RvItem::update_where(RvItem::GROUP.eq("g"))
        .set(RvItem::N, 9)
        .exec(&db)
        .await;
    check(
        "update_where",
        r.is_ok(),
        format!("{r:?}"),
        raw_get(&db, table.clone(), &[("id", "a")]).await,
    );
    let mut tx = db.transaction();
    tx.update(RvItem::update_key("a").set(RvItem::N, 11));
    let r = tx.commit().await;
    check(
        "tx update",
        r.is_ok(),
        format!("{r:?}"),
        raw_get(&db, table.clone(), &[("id", "a")]).await,
    );
    // Un-delete it for delete_where (restore may or may not have).
    raw_item(&db, "a", "g", Some(AV::S("soon".into())), &[]).await;
    before = raw_get(&db, table.clone(), &[("id", "a")]).await;
    let r = RvItem::delete_where(RvItem::GROUP.eq("g")).exec(&db).await;
    let after = raw_get(&db, table.clone(), &[("id", "a")]).await;
    if r.as_ref().is_err_and(|e| !e.is_applied_unreadable()) && after != before {
        problems.push(format!("delete_where: {r:?} but applied"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
