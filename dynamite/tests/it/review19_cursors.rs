//! Adversarial review of issue 19, items 9 (pages and cursors for HTTP,
//! sealed cursors) and 11 (hostile input), through the public API only.
//! Tests marked `#[ignore = "finding: .."]` fail on the current code; the
//! others are regression tests. Each states what the issue or the docs
//! promise.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dynamite::prelude::*;
use dynamite::{Cursor, Dynamite, Entities, Error, ErrorKind, Partition, Sensitive};
use futures::TryStreamExt;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "r19c_tasks")]
pub struct RcTask {
    #[dynamite(primary_key)]
    pub tenant: String,
    #[dynamite(sort_key)]
    pub id: String,
    #[dynamite(index(name = "by_assignee", sort_key = "rank"))]
    pub assignee: String,
    pub rank: i64,
    pub status: String,
    pub code: Sensitive<String>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "r19c_shop", pk = "TENANT#{tenant}", sk = "PROFILE")]
pub struct RcTenant {
    pub tenant: String,
    pub name: String,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "r19c_shop", pk = "TENANT#{tenant}", sk = "ORDER#{id}")]
pub struct RcOrder {
    pub tenant: String,
    pub id: String,
    pub total: i64,
}

/// A model of the same partitions that the entity enum does not list.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "r19c_shop", pk = "TENANT#{tenant}", sk = "NOTE#{id}")]
pub struct RcNote {
    pub tenant: String,
    pub id: String,
    pub text: String,
}

#[derive(Entities, Debug)]
pub enum RcTenantItem {
    Tenant(RcTenant),
    Order(RcOrder),
}

/// A model keyed by a sensitive field.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "r19c_accounts", pk = "ACCOUNT#{email}", sk = "PROFILE")]
pub struct RcAccount {
    pub email: Sensitive<String>,
    pub name: String,
}

/// An index sorted by a sensitive attribute.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "r19c_pins")]
pub struct RcPin {
    #[dynamite(primary_key)]
    pub tenant: String,
    #[dynamite(sort_key)]
    pub id: String,
    #[dynamite(index(name = "by_owner", sort_key = "pin"))]
    pub owner: String,
    pub pin: Sensitive<String>,
}

const SECRET_A: [u8; 32] = [0x1A; 32];
const SECRET_B: [u8; 32] = [0x2B; 32];
const EMAIL: &str = "ada.hidden@example.com";

fn register(builder: dynamite::DynamiteBuilder) -> dynamite::DynamiteBuilder {
    builder
        .table::<RcTask>()
        .table::<RcTenant>()
        .table::<RcOrder>()
        .table::<RcNote>()
        .table::<RcAccount>()
        .table::<RcPin>()
}

async fn db() -> Dynamite {
    let db = register(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db.metrics().reset();
    db
}

/// The models, with at most `N` Queries or BatchGetItems per key list.
fn register_is_in_cap<const N: usize>(
    builder: dynamite::DynamiteBuilder,
) -> dynamite::DynamiteBuilder {
    register(builder).max_is_in_queries(N)
}

/// A handle on `db`'s backend and tables, with these cursor secrets.
async fn sealed<S: AsRef<[u8]>>(db: &Dynamite, secrets: Vec<S>) -> dynamite::Result<Dynamite> {
    register(
        Dynamite::builder()
            .same_backend_as(db)
            .table_prefix(db.table_prefix()),
    )
    .cursor_secrets(secrets)
    .build()
    .await
}

fn task(tenant: &str, id: &str, assignee: &str, rank: i64, status: &str) -> RcTask {
    RcTask {
        tenant: tenant.to_owned(),
        id: id.to_owned(),
        assignee: assignee.to_owned(),
        rank,
        status: status.to_owned(),
        code: Sensitive::new(format!("code-{id}")),
    }
}

async fn put(db: &Dynamite, rows: &[RcTask]) {
    RcTask::put_many(db, rows.to_vec()).await.unwrap();
}

fn ids(rows: &[RcTask]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

/// The JSON inside a plain cursor.
fn plain(cursor: &Cursor) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_str()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn reencode(body: &Value) -> Cursor {
    Cursor::parse(URL_SAFE_NO_PAD.encode(body.to_string()))
}

/// `body` with its position's start key (`p.k`) attribute `name` set.
fn with_key_value(body: &Value, name: &str, value: Value) -> Cursor {
    let mut b = body.clone();
    b["p"]["k"][name] = value;
    reencode(&b)
}

// ------------------------------------------------ start keys before sending

/// Issue 19 item 11: "a forged cursor whose start key does not fit the
/// plan reaches DynamoDB and comes back as a backend error: it must be
/// `InvalidCursor` before sending"; guide: start keys of "wrong types"
/// are refused "before any request is sent". A start key whose number is
/// out of DynamoDB's range (`1E+200`, 40 digits) is sent and comes back as
/// `Backend(ValidationException)` "Number overflow" (both backends), as
/// are `1E-131` (underflow) and `" 1"` / `"1 "` (the number check takes
/// padded text, DynamoDB does not); a 1,500-byte sort key (DynamoDB's cap is 1,024; the check uses 2,048 for
/// every key) is sent too (both local engines answer it). Fix:
/// read/run/fits.rs `scalars` (DynamoDB's number range and precision, a
/// per-role byte cap).
#[dynamite::test(registry = register)]
async fn forged_start_keys_past_dynamodb_key_limits_are_refused_before_sending(db: Dynamite) {
    let rows: Vec<RcTask> = (0..3)
        .map(|i| task("a", &format!("id{i}"), "bob", i, "open"))
        .collect();
    put(&db, &rows).await;
    // Table Query: the sort key `id`.
    let q = || RcTask::query().filter(RcTask::TENANT.eq("a")).limit(1);
    let body = plain(&q().page(&db, None).await.unwrap().next.unwrap());
    // Index Query: the index sort key `rank` (a number).
    let g = || RcTask::query().filter(RcTask::ASSIGNEE.eq("bob")).limit(1);
    let gbody = plain(&g().page(&db, None).await.unwrap().next.unwrap());
    let mut failures = Vec::new();
    let mut cases: Vec<(String, bool, Cursor)> = vec![
        (
            "sort key of 1,500 bytes".to_owned(),
            true,
            with_key_value(&body, "id", json!({"S": "x".repeat(1_500)})),
        ),
        (
            "number 1E+200".to_owned(),
            false,
            with_key_value(&gbody, "rank", json!({"N": "1E+200"})),
        ),
        (
            "number of 40 digits".to_owned(),
            false,
            with_key_value(
                &gbody,
                "rank",
                json!({"N": "1234567890123456789012345678901234567890"}),
            ),
        ),
    ];
    // Numbers DynamoDB refuses: below its smallest magnitude, padded.
    for n in ["1E-131", " 1", "1 "] {
        cases.push((
            format!("number {n:?}"),
            false,
            with_key_value(&gbody, "rank", json!({ "N": n })),
        ));
    }
    for (what, table, cursor) in cases {
        db.metrics().reset();
        let r = if table {
            q().page(&db, Some(&cursor)).await.map(drop)
        } else {
            g().page(&db, Some(&cursor)).await.map(drop)
        };
        let sent = db.metrics().data_plane_requests();
        match r {
            Err(e) if e.is_invalid_cursor() && sent == 0 => {}
            other => failures.push(format!("{what}: {other:?}, {sent} request(s)")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The same promise for `Partition` reads and `is_in` partitions: every
/// position a cursor holds is checked against its own partition.
#[dynamite::test(registry = register)]
async fn forged_partition_and_is_in_positions_are_refused_before_sending(db: Dynamite) {
    for t in ["a", "b"] {
        RcTenant::create()
            .tenant(t)
            .name(t)
            .exec(&db)
            .await
            .unwrap();
        for i in 0..3 {
            RcOrder::create()
                .tenant(t)
                .id(format!("o{i}"))
                .total(i)
                .exec(&db)
                .await
                .unwrap();
        }
    }
    let p = || Partition::<RcTenantItem>::of::<RcTenant>("a").limit(1);
    let body = plain(&p().page(&db, None).await.unwrap().next.unwrap());
    let mut forged = body.clone();
    forged["p"]["k"]["pk"] = json!({"S": "TENANT#b"});
    db.metrics().reset();
    let e = p().page(&db, Some(&reencode(&forged))).await.unwrap_err();
    assert!(e.is_invalid_cursor(), "{e}");
    assert_eq!(db.metrics().data_plane_requests(), 0);

    put(
        &db,
        &[
            task("a", "x1", "bob", 1, "open"),
            task("a", "x2", "bob", 2, "open"),
            task("b", "y1", "bob", 1, "open"),
            task("c", "z1", "bob", 1, "open"),
        ],
    )
    .await;
    let q = || {
        RcTask::query()
            .filter(RcTask::TENANT.is_in(["a", "b"]))
            .limit(1)
    };
    let body = plain(&q().page(&db, None).await.unwrap().next.unwrap());
    let parts = body["p"]["p"].as_array().cloned().unwrap();
    // Partition 0 ("a") resumed at a key of tenant "c".
    let mut moved = body.clone();
    let mut key = parts[0].clone();
    key["tenant"] = json!({"S": "c"});
    moved["p"]["p"][0] = key;
    // More partitions than the query has.
    let mut longer = body.clone();
    longer["p"]["p"] = json!(["start", "start", "start"]);
    for cursor in [reencode(&moved), reencode(&longer)] {
        db.metrics().reset();
        let e = q().page(&db, Some(&cursor)).await.unwrap_err();
        assert!(e.is_invalid_cursor(), "{e}");
        assert_eq!(db.metrics().data_plane_requests(), 0);
    }
}

/// Strings that are no cursor, sent as JSON by a client: `InvalidCursor`,
/// nothing sent, on a plain and on a sealed handle; serde takes any string.
#[dynamite::test(registry = register)]
async fn hostile_cursor_strings_are_invalid_cursor_and_send_nothing(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    put(&db, &[task("a", "x", "bob", 1, "open")]).await;
    let nested = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let texts = [
        String::new(),
        " ".to_owned(),
        "s.".to_owned(),
        "s.AAAA".to_owned(),
        "null".to_owned(),
        "e30".to_owned(), // {}
        URL_SAFE_NO_PAD.encode("{\"f\":null,\"p\":{\"k\":{}}}"),
        URL_SAFE_NO_PAD.encode(&nested),
        "x".repeat(1_000_000),
        "é😀\u{0}".to_owned(),
    ];
    for handle in [&db, &sealed_db] {
        for text in &texts {
            let cursor: Cursor = serde_json::from_value(Value::String(text.clone())).unwrap();
            db.metrics().reset();
            sealed_db.metrics().reset();
            let e = RcTask::query()
                .filter(RcTask::TENANT.eq("a"))
                .limit(1)
                .page(handle, Some(&cursor))
                .await
                .unwrap_err();
            assert!(e.is_invalid_cursor(), "{e}");
            assert_eq!(e.kind(), ErrorKind::Client);
            assert_eq!(handle.metrics().data_plane_requests(), 0);
        }
    }
}

// ------------------------------------------------------- secrets, rotation

/// `cursor_secrets`: "Each secret is at least 32 random bytes, else
/// `build()` is `Error::Config`"; issue 19 item 9: with secrets, cursors
/// are sealed. An empty list (a secrets manager that returned nothing)
/// builds a handle whose cursors are plain base64 JSON showing tenant
/// ids: the handle fails open. Expected: `Error::Config` at build, like a
/// short secret. Fix: read/cursor.rs `CursorKeys::from_secrets` (or the
/// builder) when `cursor_secrets` was called with no secret.
#[dynamite::test(registry = register)]
async fn an_empty_secret_list_is_a_config_error_not_plain_cursors(db: Dynamite) {
    let r = sealed(&db, Vec::<Vec<u8>>::new()).await;
    assert!(matches!(r, Err(Error::Config(_))), "{:?}", r.map(drop));
}

/// Secret lengths: 31 bytes (alone or beside a good one) is `Config`;
/// 33 bytes and 4 KB work; rotation in either order opens both.
#[dynamite::test(registry = register)]
async fn secret_lengths_and_rotation_order(db: Dynamite) {
    put(
        &db,
        &(0..4)
            .map(|i| task("a", &format!("id{i}"), "bob", i, "open"))
            .collect::<Vec<_>>(),
    )
    .await;
    for bad in [
        vec![vec![7u8; 31]],
        vec![SECRET_A.to_vec(), vec![7u8; 31]],
        vec![Vec::new()],
    ] {
        let e = sealed(&db, bad).await.unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
        // The message never quotes a secret.
        assert!(!format!("{e} {e:?}").contains("7, 7"));
    }
    let q = || RcTask::query().filter(RcTask::TENANT.eq("a")).limit(1);
    for good in [vec![vec![9u8; 33]], vec![vec![3u8; 4096]]] {
        let h = sealed(&db, good).await.unwrap();
        let next = q().page(&h, None).await.unwrap().next.unwrap();
        assert!(next.as_str().starts_with("s."));
        assert_eq!(
            ids(&q().page(&h, Some(&next)).await.unwrap().items),
            ["id1"]
        );
    }
    let ab = sealed(&db, vec![SECRET_A, SECRET_B]).await.unwrap();
    let ba = sealed(&db, vec![SECRET_B, SECRET_A]).await.unwrap();
    let from_ab = q().page(&ab, None).await.unwrap().next.unwrap();
    let from_ba = q().page(&ba, None).await.unwrap().next.unwrap();
    for (h, c) in [(&ab, &from_ba), (&ba, &from_ab), (&ab, &from_ab)] {
        assert_eq!(ids(&q().page(h, Some(c)).await.unwrap().items), ["id1"]);
    }
    // Sealed under A only: the same secret twice still opens it.
    let aa = sealed(&db, vec![SECRET_A, SECRET_A]).await.unwrap();
    assert_eq!(
        ids(&q().page(&aa, Some(&from_ab)).await.unwrap().items),
        ["id1"]
    );
}

/// Issue 19 item 9: a sealed cursor "opens only for the query that made
/// it". Another table (the same models under another table prefix, as a
/// tenant-per-prefix service has) and the same secret: refused.
#[dynamite::test(registry = register)]
async fn sealed_and_plain_cursors_are_bound_to_the_table_prefix(db: Dynamite) {
    let other = register(
        Dynamite::builder()
            .same_backend_as(&db)
            .table_prefix(format!("{}o_", db.table_prefix())),
    )
    .build()
    .await
    .unwrap();
    other.sync().await.unwrap();
    let rows: Vec<RcTask> = (0..4)
        .map(|i| task("a", &format!("id{i}"), "bob", i, "open"))
        .collect();
    put(&db, &rows).await;
    put(&other, &rows).await;
    let q = || RcTask::query().filter(RcTask::TENANT.eq("a")).limit(1);
    let plain_next = q().page(&db, None).await.unwrap().next.unwrap();
    assert!(
        q().page(&other, Some(&plain_next))
            .await
            .unwrap_err()
            .is_invalid_cursor()
    );
    let sa = sealed(&db, vec![SECRET_A]).await.unwrap();
    let sb = register(
        Dynamite::builder()
            .same_backend_as(&db)
            .table_prefix(other.table_prefix()),
    )
    .cursor_secrets(vec![SECRET_A])
    .build()
    .await
    .unwrap();
    let next = q().page(&sa, None).await.unwrap().next.unwrap();
    assert!(
        q().page(&sb, Some(&next))
            .await
            .unwrap_err()
            .is_invalid_cursor()
    );
}

// ------------------------------------------------ what a plain cursor shows

/// Issue 19 item 11: the in-memory sort put "the sort field's value in
/// the cursor even when it is `Sensitive`", fixed by resuming at the key;
/// `Sensitive`'s docs and the mask module: sensitive values, "and keys
/// rendered from them", never appear in text a person reads. A plain
/// cursor of a read of a model keyed by a `Sensitive` email shows that
/// email in clear (base64 JSON of `pk = "ACCOUNT#<email>"`), in every
/// page's `next`, to every client and every access log that records query
/// strings. Expected: no plain cursor for a table whose keys are masked
/// (sealed required: `Error::Config`/`InvalidRequest` on `page()` without
/// secrets), or the key shown masked. Fix: read/run/page.rs (`PageCtx::
/// cursor`) with `mask::any_masked` on the plan's cursor keys.
#[dynamite::test(registry = register)]
async fn a_plain_cursor_never_shows_a_sensitive_key(db: Dynamite) {
    for (email, name) in [(EMAIL, "Ada"), ("bob.hidden@example.com", "Bob")] {
        RcAccount::create()
            .email(Sensitive::new(email.to_owned()))
            .name(name)
            .exec(&db)
            .await
            .unwrap();
    }
    // Decided: a read whose plain cursor would hold a Sensitive value (or
    // a key rendered from one) is `Error::Config` before sending, telling
    // to set cursor secrets (the reviewer's test took a Client error).
    db.metrics().reset();
    let e = RcAccount::query()
        .limit(1)
        .page(&db, None)
        .await
        .map(drop)
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(e.to_string().contains("cursor_secrets"), "{e}");
    assert!(!format!("{e} {e:?}").contains(".hidden@"), "{e:?}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // `all()` and `stream()` have no cursor: they answer.
    assert_eq!(RcAccount::query().all(&db).await.unwrap().len(), 2);
    // Sealed, the read pages, and its cursor shows nothing.
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let mut names = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..5 {
        let page = RcAccount::query()
            .limit(1)
            .page(&sealed_db, cursor.as_ref())
            .await
            .unwrap();
        names.extend(page.items.into_iter().map(|a| a.name));
        let Some(next) = page.next else { break };
        let text = String::from_utf8_lossy(&URL_SAFE_NO_PAD.decode(&next.as_str()[2..]).unwrap())
            .into_owned();
        assert!(!text.contains(".hidden@"));
        cursor = Some(next);
    }
    names.sort();
    assert_eq!(names, ["Ada", "Bob"]);
}

/// Issue 19 item 11: "a cursor carries only positions of rows the caller
/// received"; `Partition` docs: "Only the live items of the models `E`
/// lists come back (the rule is sent as the Query's filter, so a limit
/// counts them alone)". A partition holding a model the enum does not
/// list (notes): pages hold only listed models, each page `limit` items,
/// and no cursor names a note.
#[dynamite::test(registry = register)]
async fn partition_cursors_hold_only_returned_items_of_listed_models(db: Dynamite) {
    RcTenant::create()
        .tenant("a")
        .name("Acme")
        .exec(&db)
        .await
        .unwrap();
    for i in 0..6 {
        RcOrder::create()
            .tenant("a")
            .id(format!("o{i}"))
            .total(i)
            .exec(&db)
            .await
            .unwrap();
        RcNote::create()
            .tenant("a")
            .id(format!("n{i}"))
            .text("secret note")
            .exec(&db)
            .await
            .unwrap();
    }
    let q = || Partition::<RcTenantItem>::of::<RcTenant>("a").limit(2);
    let mut cursor: Option<Cursor> = None;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let page = q().page(&db, cursor.as_ref()).await.unwrap();
        let names: Vec<String> = page
            .items
            .iter()
            .map(|i| match i {
                RcTenantItem::Tenant(t) => format!("T{}", t.tenant),
                RcTenantItem::Order(o) => o.id.clone(),
            })
            .collect();
        if page.next.is_some() {
            assert_eq!(names.len(), 2, "{names:?}");
        }
        seen.extend(names);
        let Some(next) = page.next else { break };
        let shown = plain(&next).to_string();
        assert!(!shown.contains("NOTE#"), "cursor names a note: {shown}");
        cursor = Some(next);
    }
    assert_eq!(seen, ["o0", "o1", "o2", "o3", "o4", "o5", "Ta"]);
}

// --------------------------------------------------- never skip or repeat

/// Guide: a cursor "never skips or repeats rows, filters included"; "A
/// read sorted in memory by a `Sensitive` attribute ... resumes by the
/// last row's key and rank instead of its sort value (a row deleted
/// meanwhile: its rank)". Rows 7..0 by `code` descending, pages of 3:
/// after the first page [7, 6, 5], rows 5 and 6 are deleted. The rows
/// after the cursor are [4, 3, 2, ...]; the plain cursor resumes at rank 2
/// of the new list, [7, 4, 3, 2, ...], and skips row 4 (a sealed cursor,
/// which holds the sort value, does not). Fix: read/run/page.rs
/// `sorted_page` (e.g. a keyed MAC of the sort value is not orderable;
/// keep the sort value but require secrets for hidden sorts, or document
/// that plain cursors of hidden sorts may skip rows).
//
// Decided (fix of findings 3 and 4): no rank fallback. A plain cursor of a
// read sorted in memory holds the last row's sort value and key (fetched
// even when projected away) and resumes strictly after them, as a sealed
// one does; a read sorted by a `Sensitive` field has no plain cursor
// (`Error::Config` before sending). The tests below assert that instead of
// a plain walk by `code`, and add the plain walk by an unprojected field.
/// One page of 3 of tenant `tenant`'s rows sorted in memory, descending,
/// by `code` (Sensitive) or by `rank` with `rank` projected away: the ids
/// and the next cursor.
async fn sorted_ids(
    handle: &Dynamite,
    tenant: &str,
    by_code: bool,
    cursor: Option<&Cursor>,
) -> (Vec<String>, Option<Cursor>) {
    let base = RcTask::query().filter(RcTask::TENANT.eq(tenant)).limit(3);
    if by_code {
        let page = base
            .order_by(RcTask::CODE, Desc)
            .page(handle, cursor)
            .await
            .unwrap();
        return (ids(&page.items), page.next);
    }
    let page = base
        .order_by(RcTask::RANK, Desc)
        .attributes((RcTask::ID, RcTask::STATUS))
        .page(handle, cursor)
        .await
        .unwrap();
    let got = page
        .items
        .iter()
        .map(|r| {
            // The sort value was fetched for the cursor, not returned.
            assert!(r.item().get("rank").is_none(), "{:?}", r.item());
            match r.item().get("id") {
                Some(dynamite::AttributeValue::S(id)) => id.clone(),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    (got, page.next)
}

#[dynamite::test(registry = register)]
async fn hidden_sort_cursor_never_skips_a_row_after_deletes(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let mut failures = Vec::new();
    for (name, handle, by_code) in [
        ("sealed", &sealed_db, true),
        ("plain", &db, false),
        ("sealed-rank", &sealed_db, false),
    ] {
        let rows: Vec<RcTask> = (0..8)
            .map(|i| task(name, &format!("r{i}"), "bob", i, "open"))
            .collect();
        put(&db, &rows).await;
        let (first, next) = sorted_ids(handle, name, by_code, None).await;
        assert_eq!(first, ["r7", "r6", "r5"]);
        for id in ["r5", "r6"] {
            RcTask::delete_key(&db, (name.to_owned(), id.to_owned()))
                .await
                .unwrap();
        }
        let (got, _) = sorted_ids(handle, name, by_code, next.as_ref()).await;
        if got != ["r4", "r3", "r2"] {
            failures.push(format!("{name}: {got:?}"));
        }
    }
    // Sorted by a Sensitive field without secrets: refused before sending.
    db.metrics().reset();
    let e = RcTask::query()
        .filter(RcTask::TENANT.eq("plain"))
        .order_by(RcTask::CODE, Desc)
        .limit(3)
        .page(&db, None)
        .await
        .map(drop)
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert!(failures.is_empty(), "{failures:?}");
}

/// The same promise when the cursor's row changes its sort value: row r5
/// (last of the first page) moves to the end. The rows after the first
/// page are still r4, r3, r2 (r5 may come again later: keyset paging).
#[dynamite::test(registry = register)]
async fn hidden_sort_cursor_never_skips_rows_after_an_update(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let mut failures = Vec::new();
    for (name, handle, by_code) in [
        ("sealed", &sealed_db, true),
        ("plain", &db, false),
        ("sealed-rank", &sealed_db, false),
    ] {
        let rows: Vec<RcTask> = (0..8)
            .map(|i| task(name, &format!("r{i}"), "bob", i, "open"))
            .collect();
        put(&db, &rows).await;
        let (first, next) = sorted_ids(handle, name, by_code, None).await;
        assert_eq!(first, ["r7", "r6", "r5"]);
        let mut moved = rows[5].clone();
        moved.code = Sensitive::new("a-first".to_owned());
        moved.rank = -1;
        put(&db, &[moved]).await;
        let (got, _) = sorted_ids(handle, name, by_code, next.as_ref()).await;
        if got != ["r4", "r3", "r2"] {
            failures.push(format!("{name}: {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

/// The rows of a plan walked page by page with the page size changing at
/// every step, forward; the guide: a cursor "never skips or repeats rows".
async fn walk<F>(handle: &Dynamite, q: F, sizes: &[usize]) -> Vec<String>
where
    F: Fn(usize) -> dynamite::Query<RcTask>,
{
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for step in 0..200 {
        let size = sizes[step % sizes.len()];
        let page = q(size).page(handle, cursor.as_ref()).await.unwrap();
        out.extend(ids(&page.items));
        match page.next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
    panic!("no last page after 200 pages: {out:?}");
}

/// Page size changes between pages (signature excludes the limit): every
/// access path, plain and sealed, gives the rows of `all()` exactly once,
/// in order (any order for a Scan).
#[dynamite::test(registry = register)]
async fn cursors_survive_page_size_changes_on_every_path(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let mut rows = Vec::new();
    for t in ["a", "b", "c"] {
        for i in 0..9i64 {
            let status = if i % 3 == 0 { "done" } else { "open" };
            rows.push(task(
                t,
                &format!("{t}{i}"),
                ["bob", "ann"][(i % 2) as usize],
                i,
                status,
            ));
        }
    }
    put(&db, &rows).await;
    type Plan = Box<dyn Fn(usize) -> dynamite::Query<RcTask>>;
    let plans: Vec<(&str, Plan, bool)> = vec![
        (
            "query+filter",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.eq("a") & RcTask::STATUS.eq("open"))
                    .limit(n)
            }),
            true,
        ),
        (
            "query desc",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.eq("b"))
                    .order(Desc)
                    .limit(n)
            }),
            true,
        ),
        (
            "gsi",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::ASSIGNEE.eq("bob") & RcTask::STATUS.eq("open"))
                    .limit(n)
            }),
            true,
        ),
        (
            "is_in",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.is_in(["c", "a"]) & RcTask::STATUS.ne("done"))
                    .limit(n)
            }),
            true,
        ),
        (
            "is_in ordered",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::ASSIGNEE.is_in(["bob", "ann"]))
                    .order(Desc)
                    .limit(n)
            }),
            true,
        ),
        (
            "keys",
            Box::new(|n| {
                RcTask::query()
                    .filter(
                        RcTask::TENANT.eq("a")
                            & RcTask::ID.is_in(["a8", "a1", "zz", "a4", "a2", "a7"]),
                    )
                    .limit(n)
            }),
            true,
        ),
        (
            "memory sort",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.eq("c"))
                    .order_by(RcTask::STATUS, Asc)
                    .limit(n)
            }),
            true,
        ),
        (
            "hidden sort",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.eq("c"))
                    .order_by(RcTask::CODE, Desc)
                    .limit(n)
            }),
            true,
        ),
        (
            "scan",
            Box::new(|n| RcTask::query().filter(RcTask::RANK.ge(4i64)).limit(n)),
            false,
        ),
    ];
    let mut failures = Vec::new();
    for (name, q, ordered) in &plans {
        let mut want = ids(&q(1).limit(usize::MAX).all(&db).await.unwrap());
        for (h, handle) in [("plain", &db), ("sealed", &sealed_db)] {
            // Decided: no plain cursor of a read sorted by a Sensitive field.
            if *name == "hidden sort" && h == "plain" {
                let e = q(2).page(handle, None).await.map(drop).unwrap_err();
                assert!(matches!(e, Error::Config(_)), "{e}");
                continue;
            }
            let mut got = walk(handle, q, &[2, 1, 4, 3, 7]).await;
            if !ordered {
                got.sort();
                want.sort();
            }
            if got != want {
                failures.push(format!("{name} {h}: {got:?} != {want:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Backward paging with a page size changed between calls: the previous
/// page of a page reached with limit 3, read with limit 2, is the 2 rows
/// just before it (plain and sealed; Query, key list, partitions, memory
/// sort, hidden sort).
#[dynamite::test(registry = register)]
async fn previous_cursors_survive_page_size_changes(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let rows: Vec<RcTask> = (0..9)
        .map(|i| task("a", &format!("a{i}"), "bob", i, "open"))
        .chain((0..3).map(|i| task("b", &format!("b{i}"), "bob", i, "open")))
        .collect();
    put(&db, &rows).await;
    type Plan = Box<dyn Fn(usize) -> dynamite::Query<RcTask>>;
    let plans: Vec<(&str, Plan)> = vec![
        (
            "query",
            Box::new(|n| RcTask::query().filter(RcTask::TENANT.eq("a")).limit(n)),
        ),
        (
            "keys",
            Box::new(|n| {
                RcTask::query()
                    .filter(
                        RcTask::TENANT.eq("a")
                            & RcTask::ID.is_in(["a0", "a1", "a2", "a3", "a4", "a5", "a6"]),
                    )
                    .limit(n)
            }),
        ),
        (
            "partitions",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.is_in(["b", "a"]))
                    .limit(n)
            }),
        ),
        (
            "memory sort",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.eq("a"))
                    .order_by(RcTask::RANK, Desc)
                    .limit(n)
            }),
        ),
        (
            "hidden sort",
            Box::new(|n| {
                RcTask::query()
                    .filter(RcTask::TENANT.eq("a"))
                    .order_by(RcTask::CODE, Asc)
                    .limit(n)
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (name, q) in &plans {
        let all = ids(&q(1).limit(usize::MAX).all(&db).await.unwrap());
        for (h, handle) in [("plain", &db), ("sealed", &sealed_db)] {
            // Decided: no plain cursor of a read sorted by a Sensitive field.
            if *name == "hidden sort" && h == "plain" {
                let e = q(3).page(handle, None).await.map(drop).unwrap_err();
                assert!(matches!(e, Error::Config(_)), "{e}");
                continue;
            }
            let first = q(3).page(handle, None).await.unwrap();
            let second = q(3).page(handle, first.next.as_ref()).await.unwrap();
            let Some(prev) = second.previous else {
                failures.push(format!("{name} {h}: no previous"));
                continue;
            };
            let back = q(2).page(handle, Some(&prev)).await.unwrap();
            if ids(&back.items) != all[1..3] {
                failures.push(format!(
                    "{name} {h}: {:?} != {:?}",
                    ids(&back.items),
                    &all[1..3]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A cursor is bound to its query: the cursor of `page()` given to the
/// same query with another order, projection, consistency, offset,
/// forced path or an `attributes()` projection is refused, before
/// sending.
#[dynamite::test(registry = register)]
async fn cursors_refused_by_every_other_shape_of_the_query(db: Dynamite) {
    put(
        &db,
        &(0..4)
            .map(|i| task("a", &format!("id{i}"), "bob", i, "open"))
            .collect::<Vec<_>>(),
    )
    .await;
    let q = || RcTask::query().filter(RcTask::TENANT.eq("a")).limit(1);
    let next = q().page(&db, None).await.unwrap().next.unwrap();
    let prev = q().page(&db, Some(&next)).await.unwrap().previous.unwrap();
    for cursor in [&next, &prev] {
        db.metrics().reset();
        let errs = [
            q().order(Desc).page(&db, Some(cursor)).await.map(drop),
            q().consistent().page(&db, Some(cursor)).await.map(drop),
            q().offset(1).page(&db, Some(cursor)).await.map(drop),
            q().order_by(RcTask::RANK, Asc)
                .page(&db, Some(cursor))
                .await
                .map(drop),
            q().attributes((RcTask::ID, RcTask::STATUS))
                .page(&db, Some(cursor))
                .await
                .map(drop),
            RcTask::query()
                .filter(RcTask::TENANT.eq("a") & RcTask::STATUS.eq("open"))
                .page(&db, Some(cursor))
                .await
                .map(drop),
            RcTask::query()
                .filter(RcTask::TENANT.eq("a") & RcTask::ASSIGNEE.eq("bob"))
                .page(&db, Some(cursor))
                .await
                .map(drop),
        ];
        for (i, e) in errs.into_iter().enumerate() {
            match e {
                Err(e) if e.is_invalid_cursor() => {}
                other => panic!("shape {i}: {other:?}"),
            }
        }
        assert_eq!(db.metrics().data_plane_requests(), 0);
    }
}

// ---------------------------------------------------------------- is_in caps

/// Issue 19 item 11: "`is_in` on a partition key sends one Query per value
/// with no cap ...: a configurable cap (a sensible default) with a typed
/// error beyond it"; "never ... unbounded fan-out". With the cap at 10,
/// `tenant IN (40 values) AND id IN (40 values)` is 1,600 full keys: 16
/// BatchGetItem requests (both backends), past the cap that refuses
/// `tenant IN (11 values)` alone. Key lists have no cap at all: the list
/// is the product of the `is_in` lists (1,000 x 1,000 client strings: a
/// million keys in memory, 10,000 requests), and `tenant = a AND id IN
/// (100,000 ids)` sent 1,000 BatchGetItem requests in 10 s (measured,
/// embedded). Expected: `FanOutLimit` before sending (a documented cap on
/// the keys / requests one read may send). Fix: read/plan/paths.rs next
/// to the MultiQuery check (`access_of` building `Access::BatchGet`).
#[dynamite::test(registry = register_is_in_cap::<10>)]
async fn is_in_on_both_keys_is_capped_like_partition_fan_out(db: Dynamite) {
    put(&db, &[task("t3", "i3", "bob", 1, "open")]).await;
    let tenants: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    let idents: Vec<String> = (0..40).map(|i| format!("i{i}")).collect();
    db.metrics().reset();
    let alone = RcTask::query()
        .filter(RcTask::TENANT.is_in(tenants[..11].to_vec()))
        .all(&db)
        .await
        .unwrap_err();
    assert!(matches!(alone, Error::FanOutLimit { .. }), "{alone}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let r = RcTask::query()
        .filter(RcTask::TENANT.is_in(tenants.clone()) & RcTask::ID.is_in(idents.clone()))
        .all(&db)
        .await;
    let sent = db.metrics().data_plane_requests();
    assert!(
        matches!(r, Err(Error::FanOutLimit { .. })) && sent == 0,
        "{:?} after {sent} requests ({:?})",
        r.map(|rows| rows.len()),
        db.metrics().snapshot()
    );
}

/// The same cap for an `OR` of partition equalities (what a filter built
/// from a client's list looks like without `is_in`).
#[dynamite::test(registry = register_is_in_cap::<10>)]
async fn or_of_partition_equalities_is_capped_or_one_read(db: Dynamite) {
    put(&db, &[task("t3", "i3", "bob", 1, "open")]).await;
    let mut c = RcTask::TENANT.eq("t0");
    for i in 1..40 {
        c = c | RcTask::TENANT.eq(format!("t{i}"));
    }
    db.metrics().reset();
    let r = RcTask::query().filter(c).all(&db).await;
    let sent = db.metrics().data_plane_requests();
    match r {
        Err(Error::FanOutLimit { .. }) => assert_eq!(sent, 0),
        Ok(rows) => {
            assert_eq!(ids(&rows), ["i3"]);
            assert!(sent <= 10, "{sent} requests: {:?}", db.metrics().snapshot());
        }
        Err(e) => panic!("{e}"),
    }
    // The index partition too.
    let mut c = RcTask::ASSIGNEE.eq("a0");
    for i in 1..40 {
        c = c | RcTask::ASSIGNEE.eq(format!("a{i}"));
    }
    db.metrics().reset();
    let r = RcTask::query().filter(c).all(&db).await;
    let sent = db.metrics().data_plane_requests();
    assert!(
        matches!(r, Err(Error::FanOutLimit { .. })) && sent == 0 || r.is_ok() && sent <= 10,
        "{:?} {sent}",
        r.map(|r| r.len())
    );
    let e = RcTask::query()
        .filter(RcTask::ASSIGNEE.is_in((0..11).map(|i| format!("a{i}")).collect::<Vec<_>>()))
        .all(&db)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::FanOutLimit { .. }), "{e}");
    // Duplicates count once: 5,000 copies of one value are one Query.
    db.metrics().reset();
    let one = RcTask::query()
        .filter(RcTask::TENANT.is_in(vec!["t3".to_owned(); 5_000]))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ids(&one), ["i3"]);
    assert_eq!(db.metrics().data_plane_requests(), 1);
}

// ------------------------------------------- hostile values in filters/keys

/// Issue 19 item 11: client strings in filters and ids get "a typed
/// error or bounded work"; the docs promise `MissingKey` before sending
/// for empty keys. Keys longer than DynamoDB allows (partition 2,048
/// bytes, sort 1,024) cannot exist, but are sent: `get` of a 1,100-byte
/// sort key or a 2,100-byte partition key, `tenant = a AND id = <1,100
/// bytes>` and `id IN (..)` are `Backend(ValidationException)` after 1
/// request on both backends; `id > <1,100 bytes>` is a Backend error on
/// DynamoDB Local but answers (nothing) on the embedded engine: the
/// backends disagree; a write is an `Error::Batch` of a backend cause.
/// (A Query whose partition key is 2,100 bytes answers nothing on both.)
/// Expected: nothing found (`Ok`, nothing sent) or a typed client error
/// before sending, and a write refused before sending. Fix: where keys
/// are rendered (write/key.rs `key_item`, read/plan key conditions).
#[dynamite::test(registry = register)]
async fn oversized_key_values_give_the_same_answer_on_both_backends(db: Dynamite) {
    put(&db, &[task("a", "x", "bob", 1, "open")]).await;
    let long_pk = "p".repeat(2_100);
    let long_sk = "s".repeat(1_100);
    let mut failures = Vec::new();
    let mut check = |what: &str, r: dynamite::Result<usize>, sent: u64| match r {
        Ok(0) => {}
        Err(e)
            if !matches!(e, Error::Backend { .. })
                && e.kind() == ErrorKind::Client
                && sent == 0 => {}
        other => failures.push(format!("{what}: {other:?} ({sent} sent)")),
    };
    let cases: Vec<(&str, dynamite::Query<RcTask>)> = vec![
        (
            "query pk",
            RcTask::query().filter(RcTask::TENANT.eq(long_pk.clone())),
        ),
        (
            "query sk",
            RcTask::query().filter(RcTask::TENANT.eq("a") & RcTask::ID.eq(long_sk.clone())),
        ),
        (
            "query sk range",
            RcTask::query().filter(RcTask::TENANT.eq("a") & RcTask::ID.gt(long_sk.clone())),
        ),
        (
            "gsi pk",
            RcTask::query().filter(RcTask::ASSIGNEE.eq(long_pk.clone())),
        ),
        (
            "is_in pk",
            RcTask::query().filter(RcTask::TENANT.is_in([long_pk.clone(), "a".to_owned()])),
        ),
        (
            "is_in sk",
            RcTask::query().filter(
                RcTask::TENANT.eq("a") & RcTask::ID.is_in([long_sk.clone(), "x".to_owned()]),
            ),
        ),
    ];
    for (what, q) in cases {
        db.metrics().reset();
        let r = q
            .all(&db)
            .await
            .map(|rows| rows.iter().filter(|r| r.id != "x").count());
        check(what, r, db.metrics().data_plane_requests());
    }
    db.metrics().reset();
    let r = RcTask::get(&db, ("a".to_owned(), long_sk.clone()))
        .await
        .map(|r| usize::from(r.is_some()));
    check("get", r, db.metrics().data_plane_requests());
    db.metrics().reset();
    let r = RcTask::get(&db, (long_pk.clone(), "x".to_owned()))
        .await
        .map(|r| usize::from(r.is_some()));
    check("get pk", r, db.metrics().data_plane_requests());
    // A write of such a key: a typed error before sending.
    db.metrics().reset();
    let r = RcTask::put_many(&db, vec![task("a", &long_sk, "bob", 1, "open")]).await;
    let sent = db.metrics().data_plane_requests();
    match r {
        Err(e) if !matches!(e, Error::Backend { .. }) && sent == 0 => {}
        other => failures.push(format!("write: {:?} ({sent} sent)", other.map(drop))),
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Issue 19 item 11: client input gets "a typed error or bounded work";
/// the library knows DynamoDB's limits (it splits `IN` lists at 100).
/// Filters that render past DynamoDB's 4 KB expression limit (a wide `OR`
/// of 600 equalities, `status IN (1,000 values)` on a plain attribute) are
/// sent and come back as `Backend(ValidationException)` "Expression size
/// has exceeded the maximum allowed size" (1 request, both backends).
/// Expected: `InvalidValue` before sending, like a tree past
/// `MAX_CONDITION_DEPTH`. Fix: read/exec.rs where the read is rendered
/// (check the rendered expression lengths), or expr/render.rs.
#[dynamite::test(registry = register)]
async fn filters_past_dynamodb_expression_limits_answer_alike_on_both_backends(db: Dynamite) {
    put(&db, &[task("a", "x", "bob", 1, "v7")]).await;
    let mut wide = RcTask::STATUS.eq("v0");
    for i in 1..600 {
        wide = wide | RcTask::STATUS.eq(format!("v{i}"));
    }
    let list: Vec<String> = (0..1_000).map(|i| format!("v{i}")).collect();
    let mut failures = Vec::new();
    for (what, c) in [("wide or", wide), ("in 1000", RcTask::STATUS.is_in(list))] {
        db.metrics().reset();
        let r = RcTask::query()
            .filter(RcTask::TENANT.eq("a") & c)
            .all(&db)
            .await;
        let sent = db.metrics().data_plane_requests();
        match r {
            // Answered: the row matches ("v7" is listed).
            Ok(rows) if ids(&rows) == ["x"] => {}
            // Or refused before sending, typed.
            Err(e)
                if !matches!(e, Error::Backend { .. })
                    && e.kind() == ErrorKind::Client
                    && sent == 0 => {}
            other => failures.push(format!(
                "{what}: {:?} ({sent} sent)",
                other.map(|r| ids(&r))
            )),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Fix of the finding above, as a class: every read terminal (all, count,
/// page walk, stream, a Scan, an index Query, a projection) of filters
/// past the 4 KB limit in different shapes (a long AND of conjuncts that
/// partly fits, an IN of 1,000 values, one huge string value) answers
/// exactly on both backends: what does not fit is evaluated in memory.
#[dynamite::test(registry = register)]
async fn reads_past_dynamodb_expression_limits_answer_exactly_on_every_terminal(db: Dynamite) {
    let rows: Vec<RcTask> = (0..6)
        .map(|i| task("a", &format!("x{i}"), "bob", i, &format!("v{i}")))
        .chain([task("b", "y0", "bob", 9, "v1")])
        .collect();
    put(&db, &rows).await;
    let list: Vec<String> = (0..1_000).map(|i| format!("v{}", i * 2 + 1)).collect();
    let mut long_and = RcTask::TENANT.eq("a");
    for i in 0..400 {
        long_and = long_and & RcTask::STATUS.ne(format!("zz{i}"));
    }
    let huge = "q".repeat(5_000);
    let shapes: Vec<(&str, dynamite::Condition<RcTask>, Vec<&str>)> = vec![
        (
            "in 1000",
            RcTask::TENANT.eq("a") & RcTask::STATUS.is_in(list.clone()),
            vec!["x1", "x3", "x5"],
        ),
        ("long and", long_and & RcTask::RANK.gt(3), vec!["x4", "x5"]),
        (
            "huge value",
            RcTask::TENANT.eq("a") & RcTask::STATUS.ne(huge) & RcTask::RANK.lt(2),
            vec!["x0", "x1"],
        ),
        // A Scan and an index Query with the long list.
        (
            "scan",
            RcTask::STATUS.is_in(list.clone()),
            vec!["x1", "x3", "x5", "y0"],
        ),
        (
            "index",
            RcTask::ASSIGNEE.eq("bob") & RcTask::STATUS.is_in(list.clone()),
            vec!["x1", "x3", "x5", "y0"],
        ),
    ];
    for (what, c, want) in shapes {
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let q = || RcTask::query().filter(c.clone());
        assert_eq!(sorted(ids(&q().all(&db).await.unwrap())), want, "{what}");
        assert_eq!(q().count(&db).await.unwrap(), want.len(), "{what}");
        let streamed: Vec<RcTask> = q().stream(&db).try_collect().await.unwrap();
        assert_eq!(sorted(ids(&streamed)), want, "{what}");
        let projected = q().attributes((RcTask::ID,)).all(&db).await.unwrap();
        for row in &projected {
            assert!(
                row.item().get("status").is_none(),
                "{what}: {:?}",
                row.item()
            );
        }
        assert_eq!(projected.len(), want.len(), "{what}");
        let walked = walk(&db, |n| q().limit(n), &[1, 2]).await;
        assert_eq!(sorted(walked), want, "{what}");
    }
}

/// Write conditions and update expressions past DynamoDB's limits are a
/// typed error (`Validation`, a client error) before anything is sent,
/// and nothing is written: a conditioned update, a transaction's
/// condition check, `update_where` and `delete_where` (whose rows are
/// written with the filter as their condition).
#[dynamite::test(registry = register)]
async fn writes_past_dynamodb_expression_limits_are_refused_before_sending(db: Dynamite) {
    put(&db, &[task("a", "x", "bob", 1, "v7")]).await;
    let list: Vec<String> = (0..1_000).map(|i| format!("v{i}")).collect();
    let wide = || RcTask::STATUS.is_in(list.clone());
    let mut errors = Vec::new();
    db.metrics().reset();
    errors.push(
        RcTask::update_key(("a".to_owned(), "x".to_owned()))
            .set(RcTask::STATUS, "changed")
            .condition(wide())
            .exec(&db)
            .await
            .map(drop)
            .unwrap_err(),
    );
    let mut tx = db.transaction();
    tx.condition_check::<RcTask>(("a".to_owned(), "x".to_owned()), wide());
    errors.push(tx.commit().await.map(drop).unwrap_err());
    assert_eq!(db.metrics().data_plane_requests(), 0);
    errors.push(
        RcTask::update_where(RcTask::TENANT.eq("a") & wide())
            .set(RcTask::STATUS, "changed")
            .exec(&db)
            .await
            .map(drop)
            .unwrap_err(),
    );
    errors.push(
        RcTask::delete_where(RcTask::TENANT.eq("a") & wide())
            .exec(&db)
            .await
            .map(drop)
            .unwrap_err(),
    );
    // Under 4 KB but past DynamoDB's 300 operators (200 `<>` and their ANDs).
    let mut many = RcTask::STATUS.ne("w0");
    for i in 1..200 {
        many = many & RcTask::STATUS.ne(format!("w{i}"));
    }
    assert!(many.to_expression().unwrap().text.len() < 4096);
    let e = RcTask::update_key(("a".to_owned(), "x".to_owned()))
        .set(RcTask::STATUS, "changed")
        .condition(many)
        .exec(&db)
        .await
        .map(drop)
        .unwrap_err();
    assert!(e.is_validation() && e.to_string().contains("300"), "{e}");
    for e in &errors {
        assert!(e.is_validation(), "{e}");
        assert_eq!(e.kind(), ErrorKind::Client, "{e}");
        assert!(e.to_string().contains("4096"), "{e}");
    }
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let row = RcTask::get(&db, ("a".to_owned(), "x".to_owned()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "v7");
    // Within the limits (an IN of 100), the same writes are sent.
    let short: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
    RcTask::update_key(("a".to_owned(), "x".to_owned()))
        .set(RcTask::STATUS, "changed")
        .condition(RcTask::STATUS.is_in(short))
        .exec(&db)
        .await
        .unwrap();
}

/// A plain cursor's fingerprint is unkeyed (anyone can hash guesses): it
/// leaves out the values of `Sensitive` fields of the filter, so a cursor
/// of `code = <secret>` cannot be brute-forced offline; other values still
/// bind it. The rows it returns are still filtered by the query's own
/// values. Sealed cursors bind every value (another value: refused).
#[dynamite::test(registry = register)]
async fn plain_fingerprints_leave_sensitive_filter_values_out(db: Dynamite) {
    let rows: Vec<RcTask> = (0..4)
        .map(|i| task("a", &format!("id{i}"), "bob", i, "open"))
        .chain((4..6).map(|i| task("a", &format!("id{i}"), "bob", i, "done")))
        .collect();
    put(&db, &rows).await;
    let q = |code: &str, status: &str| {
        RcTask::query()
            .filter(
                RcTask::TENANT.eq("a")
                    & RcTask::CODE.ne(Sensitive::new(code.to_owned()))
                    & RcTask::STATUS.eq(status.to_owned()),
            )
            .limit(1)
    };
    let f = |c: &Cursor| plain(c)["f"].as_str().unwrap().to_owned();
    let one = q("pin-1111", "open")
        .page(&db, None)
        .await
        .unwrap()
        .next
        .unwrap();
    let two = q("pin-2222", "open")
        .page(&db, None)
        .await
        .unwrap()
        .next
        .unwrap();
    let other = q("pin-1111", "done")
        .page(&db, None)
        .await
        .unwrap()
        .next
        .unwrap();
    assert_eq!(f(&one), f(&two));
    assert_ne!(f(&one), f(&other));
    // The cursor resumes with the query's own values.
    let next = q("code-id2", "open").page(&db, Some(&one)).await.unwrap();
    assert_eq!(ids(&next.items), ["id1"]);
    let next = q("code-id2", "open")
        .page(&db, next.next.as_ref())
        .await
        .unwrap();
    assert_eq!(ids(&next.items), ["id3"], "id2's code is excluded");
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let s1 = q("pin-1111", "open")
        .page(&sealed_db, None)
        .await
        .unwrap()
        .next
        .unwrap();
    assert!(
        q("pin-2222", "open")
            .page(&sealed_db, Some(&s1))
            .await
            .unwrap_err()
            .is_invalid_cursor()
    );
}

// ---------------------------------------------- errors a service can show

/// Issue 19 item 10: `public_message()` has "no table names, keys or
/// values"; `Display` masks `Sensitive` values. Every error hostile input
/// provokes here (forged cursor, sealed cursor of another handle, fan-out,
/// deep tree, missing row with a sensitive key, a separator in a
/// sensitive key, strict reads filtering on sensitive values) is a client-or-not-found kind whose public message
/// names nothing of the request, and whose `Display` / `Debug` never
/// shows the sensitive email.
#[dynamite::test(registry = register_is_in_cap::<2>)]
async fn errors_from_hostile_input_show_no_names_keys_or_secrets(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    put(&db, &[task("tenant-zq", "id-zq", "bob", 1, "open")]).await;
    let q = || {
        RcTask::query()
            .filter(RcTask::TENANT.eq("tenant-zq"))
            .limit(1)
    };
    let mut forged =
        json!({"f": "0", "p": {"k": {"tenant": {"S": "tenant-zq"}, "id": {"S": "id-zq"}}}});
    forged["p"]["k"]["x"] = json!({"S": "value-zq"});
    let mut deep = RcTask::STATUS.eq("value-zq");
    for _ in 0..200 {
        deep = !deep;
    }
    let errors: Vec<Error> = vec![
        q().page(&db, Some(&reencode(&forged))).await.unwrap_err(),
        q().page(&db, Some(&Cursor::parse("s.AAAA")))
            .await
            .unwrap_err(),
        q().page(&sealed_db, Some(&reencode(&forged)))
            .await
            .unwrap_err(),
        RcTask::query()
            .filter(RcTask::TENANT.is_in(["tenant-zq", "b-zq", "c-zq"]))
            .all(&db)
            .await
            .unwrap_err(),
        RcTask::query().filter(deep).all(&db).await.unwrap_err(),
        RcAccount::update_key(Sensitive::new(EMAIL.to_owned()))
            .set(RcAccount::NAME, "x")
            .exec(&db)
            .await
            .unwrap_err(),
        RcAccount::create()
            .email(Sensitive::new(format!("{EMAIL}#x")))
            .name("n")
            .exec(&db)
            .await
            .unwrap_err(),
        RcAccount::get(&db, Sensitive::new(format!("{EMAIL}#x")))
            .await
            .unwrap_err(),
        // Strict reads quote the read, sensitive values masked.
        RcAccount::query()
            .filter(RcAccount::NAME.eq("n") | RcAccount::EMAIL.eq(Sensitive::new(EMAIL.to_owned())))
            .strict()
            .all(&db)
            .await
            .unwrap_err(),
        RcTask::query()
            .filter(
                RcTask::TENANT.eq("tenant-zq")
                    & RcTask::CODE.eq(Sensitive::new("ada.hidden@x".to_owned())),
            )
            .strict()
            .all(&db)
            .await
            .unwrap_err(),
    ];
    for e in &errors {
        let public = e.public_message();
        for word in [
            "r19c",
            "tenant",
            "zq",
            "ada",
            "hidden",
            "RcTask",
            "RcAccount",
        ] {
            assert!(
                !public.contains(word),
                "{word} in public message {public:?} of {e}"
            );
        }
        assert!(
            matches!(e.kind(), ErrorKind::Client | ErrorKind::NotFound),
            "{e}: {:?}",
            e.kind()
        );
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("hidden@"), "{shown}");
    }
}

// ---------------------------------------------------------- property test

fn hostile() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just(":v0".to_owned()),
        Just("#n0".to_owned()),
        Just("a#b".to_owned()),
        Just("\u{0}".to_owned()),
        Just("x".repeat(1_000)),
        "[a-c]{1,2}",
        "\\PC{0,16}",
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum Op {
    Get(String, String),
    Delete(String, String),
    PkIn(Vec<String>),
    KeysIn(String, Vec<String>),
    Begins(String, String),
    Range(String, String, String),
    Partition(String),
    Cursor(String, String),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (hostile(), hostile()).prop_map(|(a, b)| Op::Get(a, b)),
        (hostile(), hostile()).prop_map(|(a, b)| Op::Delete(a, b)),
        proptest::collection::vec(hostile(), 0..150).prop_map(Op::PkIn),
        (hostile(), proptest::collection::vec(hostile(), 0..300))
            .prop_map(|(a, l)| Op::KeysIn(a, l)),
        (hostile(), hostile()).prop_map(|(a, b)| Op::Begins(a, b)),
        (hostile(), hostile(), hostile()).prop_map(|(a, b, c)| Op::Range(a, b, c)),
        hostile().prop_map(Op::Partition),
        (hostile(), "\\PC{0,64}").prop_map(|(a, c)| Op::Cursor(a, c)),
    ]
}

/// Issue 19 item 11: "Every such input gets a typed error or bounded
/// work, never a panic, abort, or unbounded fan-out; a fuzz/property test
/// feeds random hostile strings, lists and trees through the public API."
/// Random hostile ids, keys, lists and cursors through get, delete_key,
/// `is_in` on the partition key and on the full key, `begins_with` /
/// `between` on the sort key, `Partition::of` and `page()`: no panic; a
/// non-backend error (refused before sending, nothing sent) or an answer
/// inside the filter, with at most `max_is_in_queries` (default 100)
/// Queries + 4 BatchGetItem per call. (Strings stay under DynamoDB's key
/// caps: keys past them are the finding of
/// `oversized_key_values_give_the_same_answer_on_both_backends`.)
#[test]
fn hostile_ids_keys_lists_and_cursors_are_typed_or_bounded() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(db());
    let rows: Vec<RcTask> = ["a", "b", ":v0"]
        .iter()
        .flat_map(|t| (0..3).map(move |i| task(t, &format!("{t}{i}"), "bob", i, "open")))
        .collect();
    rt.block_on(put(&db, &rows));
    let mut runner = common::seeded_runner(64);
    let result = runner.run(&op(), |op| {
        db.metrics().reset();
        let r: dynamite::Result<Vec<RcTask>> = rt.block_on(async {
            match &op {
                Op::Get(t, i) => RcTask::get(&db, (t.clone(), i.clone()))
                    .await
                    .map(|r| r.into_iter().collect()),
                Op::Delete(t, i) => RcTask::delete_key(&db, (t.clone(), i.clone()))
                    .await
                    .map(|_| Vec::new()),
                Op::PkIn(l) => {
                    RcTask::query()
                        .filter(RcTask::TENANT.is_in(l.clone()))
                        .all(&db)
                        .await
                }
                Op::KeysIn(t, l) => {
                    RcTask::query()
                        .filter(RcTask::TENANT.eq(t.clone()) & RcTask::ID.is_in(l.clone()))
                        .all(&db)
                        .await
                }
                Op::Begins(t, p) => {
                    RcTask::query()
                        .filter(RcTask::TENANT.eq(t.clone()) & RcTask::ID.begins_with(p.clone()))
                        .all(&db)
                        .await
                }
                Op::Range(t, lo, hi) => {
                    RcTask::query()
                        .filter(
                            RcTask::TENANT.eq(t.clone())
                                & RcTask::ID.between(lo.clone(), hi.clone()),
                        )
                        .all(&db)
                        .await
                }
                Op::Partition(t) => Partition::<RcTenantItem>::of::<RcTenant>(t.clone())
                    .all(&db)
                    .await
                    .map(|_| Vec::new()),
                Op::Cursor(t, c) => RcTask::query()
                    .filter(RcTask::TENANT.eq(t.clone()))
                    .limit(2)
                    .page(&db, Some(&Cursor::parse(c.clone())))
                    .await
                    .map(|p| p.items),
            }
        });
        let m = db.metrics();
        prop_assert!(
            m.count("Query") <= 100 && m.count("BatchGetItem") <= 4,
            "{:?}",
            m.snapshot()
        );
        match r {
            Ok(rows) => {
                for row in &rows {
                    let inside = match &op {
                        Op::Get(t, i) => &row.tenant == t && &row.id == i,
                        Op::PkIn(l) => l.contains(&row.tenant),
                        Op::KeysIn(t, l) => &row.tenant == t && l.contains(&row.id),
                        Op::Begins(t, p) => &row.tenant == t && row.id.starts_with(p.as_str()),
                        Op::Range(t, lo, hi) => &row.tenant == t && *lo <= row.id && row.id <= *hi,
                        Op::Cursor(t, _) => &row.tenant == t,
                        Op::Delete(..) | Op::Partition(_) => true,
                    };
                    prop_assert!(inside, "{row:?} outside {op:?}");
                }
            }
            // A delete of a missing row is told by DynamoDB.
            Err(e) if e.is_not_found() && matches!(op, Op::Delete(..)) => {}
            Err(e) => {
                prop_assert!(!matches!(e, Error::Backend { .. }), "backend error: {e}");
                prop_assert_eq!(m.data_plane_requests(), 0, "refused after sending: {}", e);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A stream of the same query never takes a cursor, but its rows are the
/// pages' rows: `page()` walked to the end equals `stream()` (and
/// `all()`), plain and sealed, for a filtered GSI read with hostile
/// placeholder-like values.
#[dynamite::test(registry = register)]
async fn pages_stream_and_all_agree_with_placeholder_values(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let rows: Vec<RcTask> = (0..12)
        .map(|i| {
            task(
                ["a", ":v0", "#n0"][i % 3],
                &format!(":v{i}"),
                ":v1",
                i as i64,
                ["#n1", ":v0"][i % 2],
            )
        })
        .collect();
    put(&db, &rows).await;
    let q = || {
        RcTask::query().filter(
            RcTask::ASSIGNEE.eq(":v1") & RcTask::STATUS.eq(":v0") & RcTask::TENANT.ne("#n0"),
        )
    };
    let all = ids(&q().all(&db).await.unwrap());
    let streamed: Vec<RcTask> = q().stream(&db).try_collect().await.unwrap();
    assert_eq!(ids(&streamed), all);
    for handle in [&db, &sealed_db] {
        let got = walk(handle, |n| q().limit(n), &[1, 2]).await;
        assert_eq!(got, all);
    }
    assert_eq!(all.len(), 4);
}

/// Issue 19 item 11: a filter built from a client's list gets "bounded
/// work", "never ... unbounded". `Condition::and` re-flattens every
/// conjunct built so far (`self.node.conjuncts()` allocates a Vec per
/// part), so `a & b & c ...` of n terms costs O(n^2): measured in a debug
/// build, 5,000 terms 4.4 s, 10,000 terms 19 s, 20,000 terms 78 s of CPU
/// (`|` of 20,000 terms: 5 ms); `Query::filter` called once per term is
/// quadratic too (4,000 calls: 2.5 s). A server that ANDs a client's
/// list of exclusions into a filter is pinned for minutes by one request.
/// Fix: expr/condition.rs `Condition::and` and read/mod.rs `and_filter`
/// (move an `And`'s parts as `or` does, instead of `conjuncts()`, which
/// rebuilds a Vec per part).
//
// Fixed: `&` and `.filter()` append to the left side's Vec. Asserted by
// structure, not wall time: 20,000 terms (`&`, and `.filter()` called
// 20,000 times) give one flat `AND` (one pair of parentheses), which the
// quadratic version also gave but in minutes (measured in the fix's
// report); the same flat filter plans, renders within DynamoDB's limits
// and answers exactly.
#[dynamite::test(registry = register)]
async fn long_and_chains_build_in_linear_time(db: Dynamite) {
    const N: usize = 20_000;
    let mut c = RcTask::STATUS.eq("v0");
    for i in 1..N {
        c = c & RcTask::STATUS.ne(format!("v{i}"));
    }
    let e = c.to_expression().unwrap();
    assert_eq!(e.text.matches(" AND ").count(), N - 1);
    assert_eq!(e.text.matches('(').count(), 1, "one flat AND");
    assert_eq!(e.values.len(), N);
    // `|` keeps its flat OR too.
    let mut o = RcTask::STATUS.eq("v0");
    for i in 1..N {
        o = o | RcTask::STATUS.eq(format!("v{i}"));
    }
    let e = o.to_expression().unwrap();
    assert_eq!(e.text.matches(" OR ").count(), N - 1);
    assert_eq!(e.text.matches('(').count(), 1, "one flat OR");
    // `.filter()` once per term: one flat AND of every term, which the read
    // answers (the FilterExpression keeps what fits in 4 KB, the rest is
    // evaluated in memory).
    put(
        &db,
        &[
            task("a", "x1", "bob", 1, "keep"),
            task("a", "x2", "bob", 2, "v7"),
        ],
    )
    .await;
    let mut q = RcTask::query().filter(RcTask::TENANT.eq("a"));
    for i in 0..N {
        q = q.filter(RcTask::STATUS.ne(format!("v{i}")));
    }
    assert_eq!(ids(&q.all(&db).await.unwrap()), ["x1"]);
}

#[derive(Debug, Clone)]
enum Pred {
    Gt(String),
    Lt(String),
    Between(String, String),
    Begins(String),
    Contains(String),
    Ne(String),
    SizeGt(usize),
    CodeBegins(String),
    Not(Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

impl Pred {
    fn cond(&self) -> dynamite::Condition<RcTask> {
        match self {
            Pred::Gt(v) => RcTask::STATUS.gt(v.clone()),
            Pred::Lt(v) => RcTask::STATUS.lt(v.clone()),
            Pred::Between(a, b) => RcTask::STATUS.between(a.clone(), b.clone()),
            Pred::Begins(v) => RcTask::STATUS.begins_with(v.clone()),
            Pred::Contains(v) => RcTask::STATUS.contains(v.clone()),
            Pred::Ne(v) => RcTask::STATUS.ne(v.clone()),
            Pred::SizeGt(n) => RcTask::STATUS.size().gt(*n),
            Pred::CodeBegins(v) => RcTask::CODE.begins_with(Sensitive::new(v.clone())),
            Pred::Not(p) => !p.cond(),
            Pred::Or(a, b) => a.cond() | b.cond(),
        }
    }
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just(":v0".to_owned()),
        Just("#n0".to_owned()),
        Just("é".to_owned()),
        Just("😀".to_owned()),
        Just("\u{FFFD}".to_owned()),
        Just("code-".to_owned()),
        "[a-c:#]{0,3}",
        "\\PC{0,4}",
    ]
    .boxed()
}

fn pred() -> impl Strategy<Value = Pred> {
    let leaf = prop_oneof![
        text().prop_map(Pred::Gt),
        text().prop_map(Pred::Lt),
        (text(), text()).prop_map(|(a, b)| Pred::Between(a, b)),
        text().prop_map(Pred::Begins),
        text().prop_map(Pred::Contains),
        text().prop_map(Pred::Ne),
        (0usize..6).prop_map(Pred::SizeGt),
        text().prop_map(Pred::CodeBegins),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|p| Pred::Not(Box::new(p))),
            (inner.clone(), inner).prop_map(|(a, b)| Pred::Or(Box::new(a), Box::new(b))),
        ]
    })
}

/// The guide: "The residual runs on every row read" and a key list's
/// whole filter is evaluated in memory, by DynamoDB's rules. Hostile
/// strings (empty, unicode above the BMP, U+FFFD, placeholder-like) in
/// comparisons, `between`, `begins_with`, `contains`, `size` and `not` /
/// `or`: the key-list read (filter in memory) returns exactly the rows
/// the Query (DynamoDB's FilterExpression) returns, or both refuse.
#[test]
fn hostile_values_filter_alike_in_memory_and_in_dynamodb() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(db());
    let statuses = [
        "", ":v0", "#n0", "é", "😀", "\u{FFFD}", "e", "ab", "a😀b", "ä", "Z", "zz",
    ];
    let rows: Vec<RcTask> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| task("a", &format!("k{i:02}"), "bob", i as i64, s))
        .collect();
    rt.block_on(put(&db, &rows));
    let keys: Vec<String> = ids(&rows);
    let mut runner = common::seeded_runner(96);
    let result = runner.run(&pred(), |p| {
        let c = p.cond();
        let by_query = rt.block_on(
            RcTask::query()
                .filter(RcTask::TENANT.eq("a") & c.clone())
                .all(&db),
        );
        let by_keys = rt.block_on(
            RcTask::query()
                .filter(RcTask::TENANT.eq("a") & RcTask::ID.is_in(keys.clone()) & c)
                .all(&db),
        );
        match (by_query, by_keys) {
            (Ok(q), Ok(k)) => {
                let mut k = ids(&k);
                k.sort();
                prop_assert_eq!(ids(&q), k, "{:?}", p);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
            (q, k) => prop_assert!(
                false,
                "{:?}: query {:?} keys {:?}",
                p,
                q.map(|r| ids(&r)),
                k.map(|r| ids(&r))
            ),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// `Partition` docs: "filtered, ordered, limited and paged like
/// [`crate::Query`]": page sizes changed between pages, forward and
/// back, plain and sealed, give the rows of `all()` exactly once.
#[dynamite::test(registry = register)]
async fn partition_cursors_survive_page_size_changes(db: Dynamite) {
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    RcTenant::create()
        .tenant("a")
        .name("Acme")
        .exec(&db)
        .await
        .unwrap();
    for i in 0..9 {
        RcOrder::create()
            .tenant("a")
            .id(format!("o{i}"))
            .total(i)
            .exec(&db)
            .await
            .unwrap();
    }
    let q = |n: usize| {
        Partition::<RcTenantItem>::of::<RcTenant>("a")
            .filter(RcOrder::TOTAL.ne(4i64))
            .order(Desc)
            .limit(n)
    };
    let name = |i: &RcTenantItem| match i {
        RcTenantItem::Tenant(t) => format!("T{}", t.tenant),
        RcTenantItem::Order(o) => o.id.clone(),
    };
    let want: Vec<String> = q(1)
        .limit(usize::MAX)
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(name)
        .collect();
    assert_eq!(want.len(), 9);
    for handle in [&db, &sealed_db] {
        let mut got = Vec::new();
        let mut cursor: Option<Cursor> = None;
        let mut pages = Vec::new();
        for step in 0..20 {
            let page = q([2, 1, 3][step % 3])
                .page(handle, cursor.as_ref())
                .await
                .unwrap();
            got.extend(page.items.iter().map(name));
            pages.push(page.previous.clone());
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(got, want);
        // Back from the third page with another size: the rows before it.
        let third_prev = pages[2].clone().unwrap();
        let back = q(2).page(handle, Some(&third_prev)).await.unwrap();
        assert_eq!(back.items.iter().map(name).collect::<Vec<_>>(), want[1..3]);
    }
}

#[derive(Debug, Clone)]
enum KeyOp {
    Eq(String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
    Between(String, String),
    Begins(String),
    In(Vec<String>),
    Ne(String),
}

impl KeyOp {
    fn cond(&self) -> dynamite::Condition<RcOrder> {
        match self {
            KeyOp::Eq(v) => RcOrder::ID.eq(v.clone()),
            KeyOp::Lt(v) => RcOrder::ID.lt(v.clone()),
            KeyOp::Le(v) => RcOrder::ID.le(v.clone()),
            KeyOp::Gt(v) => RcOrder::ID.gt(v.clone()),
            KeyOp::Ge(v) => RcOrder::ID.ge(v.clone()),
            KeyOp::Between(a, b) => RcOrder::ID.between(a.clone(), b.clone()),
            KeyOp::Begins(v) => RcOrder::ID.begins_with(v.clone()),
            KeyOp::In(l) => RcOrder::ID.is_in(l.clone()),
            KeyOp::Ne(v) => RcOrder::ID.ne(v.clone()),
        }
    }

    fn holds(&self, id: &str) -> bool {
        let b = id.as_bytes();
        match self {
            KeyOp::Eq(v) => id == v,
            KeyOp::Lt(v) => b < v.as_bytes(),
            KeyOp::Le(v) => b <= v.as_bytes(),
            KeyOp::Gt(v) => b > v.as_bytes(),
            KeyOp::Ge(v) => b >= v.as_bytes(),
            KeyOp::Between(lo, hi) => lo.as_bytes() <= b && b <= hi.as_bytes(),
            KeyOp::Begins(v) => id.starts_with(v.as_str()),
            KeyOp::In(l) => l.iter().any(|v| v == id),
            KeyOp::Ne(v) => id != v,
        }
    }
}

fn order_id() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        Just("!".to_owned()),
        Just("a".to_owned()),
        Just("a!".to_owned()),
        Just("a b".to_owned()),
        Just("é".to_owned()),
        Just("😀".to_owned()),
        Just(":v0".to_owned()),
        Just("a#".to_owned()),
        Just("PROFILE".to_owned()),
        "[ !a-c]{0,3}",
    ]
    .boxed()
}

fn key_op() -> impl Strategy<Value = KeyOp> {
    prop_oneof![
        order_id().prop_map(KeyOp::Eq),
        order_id().prop_map(KeyOp::Lt),
        order_id().prop_map(KeyOp::Le),
        order_id().prop_map(KeyOp::Gt),
        order_id().prop_map(KeyOp::Ge),
        (order_id(), order_id()).prop_map(|(a, b)| KeyOp::Between(a, b)),
        order_id().prop_map(KeyOp::Begins),
        proptest::collection::vec(order_id(), 0..4).prop_map(KeyOp::In),
        order_id().prop_map(KeyOp::Ne),
    ]
}

/// Single-table key templates (`sk = "ORDER#{id}"`) with hostile ids:
/// bytes below the separator (space, `!`), unicode, a literal of another
/// model (`PROFILE`), the separator itself. Any condition on the
/// template field (the planner turns it into a sort-key condition) gives
/// exactly the orders it holds for by DynamoDB's byte order, never a row
/// of another model, or a typed error before sending; walking it in
/// pages of 2 (plain) gives the same rows.
#[test]
fn hostile_conditions_on_a_template_sort_key_match_byte_order() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(db());
    let stored = [
        "a", "a!", "a b", " ", "!", "é", "😀", ":v0", "b", "PROFILE", "ab", "c",
    ];
    rt.block_on(async {
        RcTenant::create()
            .tenant("t")
            .name("n")
            .exec(&db)
            .await
            .unwrap();
        RcNote::create()
            .tenant("t")
            .id("a")
            .text("x")
            .exec(&db)
            .await
            .unwrap();
        for (i, id) in stored.iter().enumerate() {
            RcOrder::create()
                .tenant("t")
                .id(*id)
                .total(i as i64)
                .exec(&db)
                .await
                .unwrap();
        }
    });
    let mut runner = common::seeded_runner(128);
    let result = runner.run(&key_op(), |op| {
        let q = || RcOrder::query().filter(RcOrder::TENANT.eq("t") & op.cond());
        db.metrics().reset();
        let got = rt.block_on(q().all(&db));
        let mut want: Vec<String> = stored
            .iter()
            .filter(|id| op.holds(id))
            .map(|s| (*s).to_owned())
            .collect();
        want.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        match got {
            Ok(rows) => {
                let mut ids: Vec<String> = rows.iter().map(|o| o.id.clone()).collect();
                if matches!(op, KeyOp::In(_)) {
                    ids.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                }
                prop_assert_eq!(&ids, &want, "{:?}", op);
                // Paged (plain cursors) the same.
                let mut paged = Vec::new();
                let mut cursor: Option<Cursor> = None;
                for _ in 0..20 {
                    let page = rt
                        .block_on(q().limit(2).page(&db, cursor.as_ref()))
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    paged.extend(page.items.into_iter().map(|o| o.id));
                    match page.next {
                        Some(c) => cursor = Some(c),
                        None => break,
                    }
                }
                if matches!(op, KeyOp::In(_)) {
                    paged.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                }
                prop_assert_eq!(paged, want, "paged {:?}", op);
            }
            Err(e) => {
                prop_assert!(!matches!(e, Error::Backend { .. }), "{:?}: {}", op, e);
                prop_assert_eq!(db.metrics().data_plane_requests(), 0);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Issue 19 item 11: client strings in filters and lists get "a typed
/// error or bounded work"; CONTRIBUTING: one behaviour on both backends.
/// Empty strings from a client in key positions (an empty search prefix
/// `?prefix=` is the most common): no row has an empty key, so each read
/// answers by DynamoDB's rules (`begins_with(id, "")` and `id > ""` hold
/// for every row) or is a typed client error before sending. The table's
/// own `tenant = ""`, `id = ""` and `tenant IN ("", a)` are handled; but
/// `id > ""`, `begins_with(id, "")`, `assignee = ""` and `assignee IN ("",
/// bob)` (an index partition key) are sent as key conditions and DynamoDB
/// Local refuses them (`Backend(ValidationException)`: "The AttributeValue
/// for a key attribute cannot contain an empty string value", as DynamoDB
/// does), while the embedded engine answers them: this test passes on the
/// embedded engine and fails on DynamoDB Local (the divergence is the
/// finding). Fix: read/plan (paths.rs / keys.rs): an empty-string sort
/// bound or prefix is no key condition (`begins_with ""` / `> ""` pin
/// nothing; `< ""` matches nothing), an empty index partition value
/// matches nothing (drop it from `is_in`), as for the table's keys.
#[dynamite::test(registry = register)]
async fn empty_strings_in_key_positions_are_answered_or_refused_before_sending(db: Dynamite) {
    put(&db, &[task("a", "x", "bob", 1, "open")]).await;
    let cases: Vec<(&str, dynamite::Query<RcTask>, Vec<&str>)> = vec![
        ("pk", RcTask::query().filter(RcTask::TENANT.eq("")), vec![]),
        (
            "sk",
            RcTask::query().filter(RcTask::TENANT.eq("a") & RcTask::ID.eq("")),
            vec![],
        ),
        (
            "sk range",
            RcTask::query().filter(RcTask::TENANT.eq("a") & RcTask::ID.gt("")),
            vec!["x"],
        ),
        (
            "sk begins",
            RcTask::query().filter(RcTask::TENANT.eq("a") & RcTask::ID.begins_with("")),
            vec!["x"],
        ),
        (
            "gsi pk",
            RcTask::query().filter(RcTask::ASSIGNEE.eq("")),
            vec![],
        ),
        (
            "gsi pk in",
            RcTask::query().filter(RcTask::ASSIGNEE.is_in(["", "bob"])),
            vec!["x"],
        ),
        (
            "pk in",
            RcTask::query().filter(RcTask::TENANT.is_in(["", "a"])),
            vec!["x"],
        ),
        (
            "keys in",
            RcTask::query().filter(RcTask::TENANT.eq("a") & RcTask::ID.is_in(["", "x"])),
            vec!["x"],
        ),
    ];
    let mut failures = Vec::new();
    for (what, q, want) in cases {
        db.metrics().reset();
        let r = q.all(&db).await;
        let sent = db.metrics().data_plane_requests();
        match r {
            Ok(rows) if ids(&rows) == want => {}
            Err(e)
                if !matches!(e, Error::Backend { .. })
                    && e.kind() == ErrorKind::Client
                    && sent == 0 => {}
            other => failures.push(format!(
                "{what}: {:?} ({sent} sent)",
                other.map(|r| ids(&r))
            )),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Issue 19 item 11: "an in-memory sort puts the sort field's value in
/// the cursor even when it is `Sensitive` or not projected. Without a
/// secret, a cursor carries only positions of rows the caller received";
/// the fix hides such sort values for memory sorts only. An index Query
/// resumes at the index key, so its plain cursor shows the index sort
/// key: a `Sensitive` one (`pin`, read by `owner = o`), and one the query
/// does not project (`rank` of `attributes((id, status))`), in clear.
/// Expected as for memory sorts: no sensitive or unprojected value in a
/// plain cursor (e.g. resume by the table key and re-read, or require
/// secrets for such reads). Fix: read/run/page.rs (`page_of_one`'s
/// `after_row`) with the rule of `sort_value_hidden` applied to
/// `plan.cursor_keys`.
//
// Decided: a plain cursor holds the key attributes of the read (table keys
// and the index keys of an index read) even when projected away (fetched,
// then stripped from the rows), so the unprojected `rank` may show in it
// (the reviewer's test asserted it must not); a Sensitive index key (`pin`)
// never does: such a read's `page()` without secrets is `Error::Config`
// before sending, and sealed it pages exactly.
#[dynamite::test(registry = register)]
async fn index_cursors_never_show_sensitive_or_unprojected_sort_keys(db: Dynamite) {
    for (id, pin) in [
        ("p1", "pin-secret-111"),
        ("p2", "pin-secret-222"),
        ("p3", "pin-secret-333"),
    ] {
        RcPin::create()
            .tenant("a")
            .id(id)
            .owner("o")
            .pin(Sensitive::new(pin.to_owned()))
            .exec(&db)
            .await
            .unwrap();
    }
    put(
        &db,
        &[
            task("a", "x1", "bob", 987_651, "open"),
            task("a", "x2", "bob", 987_652, "open"),
            task("a", "x3", "bob", 987_653, "open"),
        ],
    )
    .await;
    let pins = || RcPin::query().filter(RcPin::OWNER.eq("o")).limit(1);
    db.metrics().reset();
    let e = pins().page(&db, None).await.map(drop).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(!format!("{e} {e:?}").contains("pin-secret"));
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let sealed_db = sealed(&db, vec![SECRET_A]).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..5 {
        let page = pins().page(&sealed_db, cursor.as_ref()).await.unwrap();
        seen.extend(page.items.into_iter().map(|p| p.id));
        let Some(next) = page.next else { break };
        cursor = Some(next);
    }
    assert_eq!(seen, ["p1", "p2", "p3"]);
    // Unprojected index sort key: fetched for the cursor, not returned.
    let q = || {
        RcTask::query()
            .filter(RcTask::ASSIGNEE.eq("bob"))
            .attributes((RcTask::ID, RcTask::STATUS))
            .limit(1)
    };
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..5 {
        let page = q().page(&db, cursor.as_ref()).await.unwrap();
        for row in &page.items {
            assert!(row.item().get("rank").is_none(), "{:?}", row.item());
            seen.push(format!("{:?}", row.item().get("id")));
        }
        let Some(next) = page.next else { break };
        // The position: the table keys and the index keys, nothing else.
        let mut names: Vec<String> = plain(&next)["p"]["k"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        names.sort();
        assert_eq!(names, ["assignee", "id", "rank", "tenant"]);
        cursor = Some(next);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[0].contains("x1") && seen[2].contains("x3"), "{seen:?}");
}

/// README on `is_in`: more than `max_is_in_queries` distinct values on a
/// partition key is `FanOutLimit`; issue 19 item 1: the planner chooses
/// "among the table's partition and every eligible index". When another
/// path answers with one Query (`tenant = a` pins the table's partition,
/// or `assignee = bob` pins an index), a long client list on the other
/// partition key is only a filter there: the read answers, never
/// `FanOutLimit`.
#[dynamite::test(registry = register)]
async fn a_long_is_in_list_beside_a_pinned_partition_is_a_filter_not_fan_out(db: Dynamite) {
    put(
        &db,
        &[
            task("a", "x1", "bob", 1, "open"),
            task("a", "x2", "ann", 2, "open"),
            task("b", "y1", "bob", 3, "open"),
        ],
    )
    .await;
    let names: Vec<String> = (0..150)
        .map(|i| format!("u{i}"))
        .chain(["bob".to_owned()])
        .collect();
    let tenants: Vec<String> = (0..150)
        .map(|i| format!("t{i}"))
        .chain(["a".to_owned()])
        .collect();
    db.metrics().reset();
    let by_tenant = RcTask::query()
        .filter(RcTask::TENANT.eq("a") & RcTask::ASSIGNEE.is_in(names))
        .all(&db)
        .await;
    let by_assignee = RcTask::query()
        .filter(RcTask::ASSIGNEE.eq("bob") & RcTask::TENANT.is_in(tenants))
        .all(&db)
        .await;
    let requests = db.metrics().data_plane_requests();
    assert_eq!(ids(&by_tenant.unwrap()), ["x1"]);
    assert_eq!(ids(&by_assignee.unwrap()), ["x1"]);
    assert!(requests <= 2, "{:?}", db.metrics().snapshot());
}
