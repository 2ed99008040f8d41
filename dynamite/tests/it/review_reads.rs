//! Adversarial review of issue 18 (reads: sparse / literal-partition index
//! templates, projections, `Sensitive` masking, public docs). Each test
//! quotes what was promised; the ones marked `#[ignore = "finding: .."]`
//! fail on the current code.

use dynamite::prelude::*;
use dynamite::{AttributeValue, Dynamite, Sensitive};

type AV = AttributeValue;

// ------------------------------------------------------------ models

/// A plain GSI on a non-`Option` string.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rr_mail")]
pub struct RrMail {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub email: String,
    #[dynamite(index)]
    pub alias: Option<String>,
}

/// A literal-partition ("list of X") template sorted by an `Option`.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rr_jobs", pk = "J#{id}", sk = "JOB")]
#[dynamite(index(name = "lst", pk = "JOBS", sk = "{prio}#{id}"))]
#[dynamite(index(name = "by_tag", pk = "T#{tag}", sk = "J#{id}"))]
pub struct RrJob {
    pub id: String,
    pub prio: Option<u32>,
    pub tag: Option<String>,
    pub note: String,
}

/// Sensitive values whose conversion can fail, and a renamed sensitive field.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "rr_vault")]
pub struct RrVault {
    #[dynamite(primary_key)]
    pub id: String,
    pub big: Sensitive<u128>,
    pub ratio: Sensitive<f64>,
    #[dynamite(rename = "sec")]
    pub code: Option<Sensitive<u8>>,
}

fn ids<T>(rows: &[T], id: impl Fn(&T) -> String) -> Vec<String> {
    let mut v: Vec<String> = rows.iter().map(id).collect();
    v.sort();
    v
}

// ------------------------------------------------------------ class 1

/// README: "An index is used only when the filter implies each of its key
/// attributes exists"; issue 18: "Same rows as the Scan plan, always."
/// An empty string is a present attribute (`EMAIL.eq("")` holds for it),
/// but DynamoDB keeps no GSI entry for it.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_empty_string_on_plain_gsi_refused_before_sending_or_found(db: Dynamite) {
    let created = RrMail::create()
        .id("m1")
        .email("")
        .alias(Some(String::new()))
        .exec(&db)
        .await;
    // Refusing the write (typed, nothing sent) is acceptable; storing it
    // and then not finding it is not.
    if let Err(e) = created {
        assert!(
            e.is_missing_key(),
            "refused only by DynamoDB, not before sending: {e}"
        );
        return;
    }
    let plan = RrMail::query().filter(RrMail::EMAIL.eq("")).explain(&db);
    let by_email = RrMail::query()
        .filter(RrMail::EMAIL.eq(""))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(by_email.len(), 1, "EMAIL = \"\" via {plan}");
    let plan = RrMail::query().filter(RrMail::ALIAS.eq("")).explain(&db);
    let by_alias = RrMail::query()
        .filter(RrMail::ALIAS.eq(""))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(by_alias.len(), 1, "ALIAS = \"\" via {plan}");
    let count = RrMail::query()
        .filter(RrMail::ALIAS.eq(""))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(count, 1, "count ALIAS = \"\" via {plan}");
}

/// Foreign data: another program stored `prio` as NULL (no index keys).
/// `PRIO.exists()` is `attribute_exists(prio)`, which holds for NULL: a
/// Scan returns the row, so every plan must.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_exists_on_sparse_template_field_with_foreign_null(db: Dynamite) {
    RrJob::create()
        .id("a")
        .prio(Some(3))
        .note("n")
        .exec(&db)
        .await
        .unwrap();
    let table = db.table_name::<RrJob>().unwrap();
    db.client()
        .put_item()
        .table_name(&table)
        .item("pk", AV::S("J#f".into()))
        .item("sk", AV::S("JOB".into()))
        .item("entity", AV::S("RrJob".into()))
        .item("id", AV::S("f".into()))
        .item("prio", AV::Null(true))
        .item("note", AV::S("foreign".into()))
        .send()
        .await
        .unwrap();
    let scan: Vec<RrJob> = RrJob::query().all(&db).await.unwrap();
    let expected: Vec<String> = {
        // Reference: attribute_exists(prio) over the raw items.
        let raw = db.client().scan().table_name(&table).send().await.unwrap();
        let mut v: Vec<String> = raw
            .items()
            .iter()
            .filter(|i| i.contains_key("prio"))
            .filter_map(|i| match i.get("id") {
                Some(AV::S(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(scan.len(), 2);
    let plan = RrJob::query().filter(RrJob::PRIO.exists()).explain(&db);
    let got = RrJob::query()
        .filter(RrJob::PRIO.exists())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ids(&got, |r| r.id.clone()), expected, "via {plan}");
}

// ------------------------------------------------------------ class 8

const BIG: &str = "123456789012345678901234567890123456789";

#[track_caller]
fn assert_hidden(shown: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!shown.contains(s), "{s} shown in: {shown}");
    }
}

/// Issue 18 class 8: "A `Sensitive` attribute ... never appears in an
/// error's Display or Debug". A sensitive `u128` of 39 digits cannot be
/// stored: the refusal must not quote it.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_sensitive_number_refusal_on_create_is_masked(db: Dynamite) {
    let big: u128 = BIG.parse().unwrap();
    let error = RrVault::create()
        .id("v")
        .big(Sensitive::new(big))
        .ratio(Sensitive::new(0.5))
        .exec(&db)
        .await
        .unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &[BIG, "1234567890123"]);
}

/// The same for a sensitive float out of DynamoDB's range.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_sensitive_float_refusal_on_create_is_masked(db: Dynamite) {
    let error = RrVault::create()
        .id("v")
        .big(Sensitive::new(1))
        .ratio(Sensitive::new(9.87654321e200))
        .exec(&db)
        .await
        .unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &["987654321", "9.87654321"]);
}

/// A filter on a sensitive field with a value that cannot be converted:
/// the error and `explain()` must not quote it.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_sensitive_filter_refusal_is_masked(db: Dynamite) {
    let big: u128 = BIG.parse().unwrap();
    let q = RrVault::query().filter(RrVault::BIG.eq(Sensitive::new(big)));
    let plan = q.explain(&db).to_string();
    assert_hidden(&plan, &[BIG, "1234567890123"]);
    let error = q.all(&db).await.unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &[BIG, "1234567890123"]);
    let q = RrVault::query().filter(RrVault::RATIO.gt(Sensitive::new(9.87654321e200)));
    let plan = q.explain(&db).to_string();
    assert_hidden(&plan, &["987654321"]);
    let error = q.all(&db).await.unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &["987654321"]);
}

/// Decode errors on a renamed `Option<Sensitive<u8>>` and an out-of-range
/// sensitive number written by another program.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_sensitive_decode_errors_renamed_and_optional_are_masked(db: Dynamite) {
    let table = db.table_name::<RrVault>().unwrap();
    db.client()
        .put_item()
        .table_name(&table)
        .item("id", AV::S("v1".into()))
        .item("big", AV::N("7".into()))
        .item("ratio", AV::N("0.5".into()))
        .item("sec", AV::N("98765".into()))
        .send()
        .await
        .unwrap();
    let error = RrVault::get(&db, "v1").await.unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &["98765"]);
    db.client()
        .put_item()
        .table_name(&table)
        .item("id", AV::S("v2".into()))
        .item("big", AV::S("topsecret-str".into()))
        .item("ratio", AV::N("0.5".into()))
        .send()
        .await
        .unwrap();
    let error = RrVault::get(&db, "v2").await.unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &["topsecret"]);
    // Through a query too (a Scan, a different decode path).
    let error = RrVault::query().all(&db).await.unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &["topsecret", "98765"]);
}

/// Updates: an unconvertible sensitive value in `set`, in its explain.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_sensitive_update_refusal_is_masked(db: Dynamite) {
    RrVault::create()
        .id("v")
        .big(Sensitive::new(1))
        .ratio(Sensitive::new(0.5))
        .exec(&db)
        .await
        .unwrap();
    let big: u128 = BIG.parse().unwrap();
    let update = RrVault::update_key("v").set(RrVault::BIG, Sensitive::new(big));
    let plan = update.explain(&db).to_string();
    assert_hidden(&plan, &[BIG, "1234567890123"]);
    let error = update.exec(&db).await.unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &[BIG, "1234567890123"]);
    let update = RrVault::update_key("v").set(RrVault::RATIO, Sensitive::new(0.123456789));
    let plan = update.explain(&db).to_string();
    assert_hidden(&plan, &["123456789"]);
}

// ------------------------------------------------------------ class 3

/// A shared table with TTL, soft delete and two entities at colliding keys.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "rr_shared", pk = "U#{owner}", sk = "D#{id}")]
pub struct RrDoc {
    pub owner: String,
    pub id: String,
    pub title: String,
    pub size: i64,
    pub body: Option<String>,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(
    table = "rr_shared",
    pk = "U#{owner}",
    sk = "D#{id}",
    entity = "RrDocTwin"
)]
pub struct RrDocTwin {
    pub owner: String,
    pub id: String,
    pub title: String,
    pub size: i64,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
}

/// README: "Whatever the residual reads is fetched even under
/// `.attributes(..)`, and stripped from the rows returned"; the engine's
/// own attributes (TTL, soft delete, entity) are fetched and never shown.
/// Every terminal of a projected query answers the rows of the unprojected one.
#[dynamite::test(models(RrDoc, RrDocTwin))]
async fn review_projected_query_terminals_match_unprojected(db: Dynamite) {
    let past = 1_000_000_000i64;
    for (id, size, expires) in [
        ("1", 5, None),
        ("2", 7, Some(past)),
        ("3", 9, None),
        ("4", 11, None),
    ] {
        RrDoc::create()
            .owner("u")
            .id(id)
            .title(format!("t{id}"))
            .size(size)
            .body(Some("b".into()))
            .expires(expires)
            .exec(&db)
            .await
            .unwrap();
    }
    RrDoc::delete_key(&db, ("u", "3")).await.unwrap(); // soft
    RrDocTwin::create()
        .owner("u")
        .id("5")
        .title("twin")
        .size(100)
        .exec(&db)
        .await
        .unwrap();
    let filters: Vec<(&str, Condition<RrDoc>)> = vec![
        ("owner", RrDoc::OWNER.eq("u")),
        ("owner&size", RrDoc::OWNER.eq("u") & RrDoc::SIZE.gt(6)),
        (
            "owner&id in",
            RrDoc::OWNER.eq("u") & RrDoc::ID.is_in(["1", "2", "3", "4", "5"]),
        ),
        (
            "id in & size",
            RrDoc::OWNER.eq("u") & RrDoc::ID.is_in(["1", "4"]) & RrDoc::SIZE.lt(10),
        ),
        (
            "owner&id ne",
            RrDoc::OWNER.eq("u") & RrDoc::ID.ne("1") & RrDoc::SIZE.ge(0),
        ),
        ("scan size", RrDoc::SIZE.ge(0)),
        (
            "key get",
            RrDoc::OWNER.eq("u") & RrDoc::ID.eq("4") & RrDoc::SIZE.eq(11),
        ),
        (
            "or",
            (RrDoc::OWNER.eq("u") & RrDoc::ID.eq("1")) | RrDoc::SIZE.eq(11),
        ),
    ];
    for (name, f) in filters {
        let full = RrDoc::query().filter(f.clone()).all(&db).await.unwrap();
        let want: Vec<String> = ids(&full, |r| r.id.clone());
        let pq = || {
            RrDoc::query()
                .filter(f.clone())
                .attributes((RrDoc::TITLE, RrDoc::ID))
        };
        let plan = pq().explain(&db);
        let rows = pq().all(&db).await.unwrap();
        let got: Vec<String> = ids(&rows, |r| r.get(RrDoc::ID).unwrap());
        assert_eq!(got, want, "{name}: all via {plan}");
        for r in &rows {
            let mut names: Vec<&String> = r.item().keys().collect();
            names.sort();
            assert!(
                names
                    .iter()
                    .all(|n| ["pk", "sk", "title", "id", "owner"].contains(&n.as_str())),
                "{name}: engine attributes shown: {names:?}"
            );
            assert!(r.get(RrDoc::SIZE).is_err(), "{name}: size not listed");
        }
        let first = pq().first(&db).await.unwrap();
        assert_eq!(first.is_some(), !want.is_empty(), "{name}: first");
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = pq().limit(1).page(&db, cursor.as_ref()).await.unwrap();
            paged.extend(page.items.iter().map(|r| r.get(RrDoc::ID).unwrap()));
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        paged.sort();
        assert_eq!(paged, want, "{name}: pages via {plan}");
    }
}

// ------------------------------------------------------------ class 8 (includes)

#[derive(Table, Debug, Clone)]
#[dynamite(table = "rr_people")]
pub struct RrPerson {
    #[dynamite(primary_key)]
    pub email: Sensitive<String>,
    pub name: String,
    #[dynamite(has_many(foreign_key = "owner"))]
    pub notes: HasMany<RrNote>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "rr_notes")]
pub struct RrNote {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub owner: Sensitive<String>,
    pub text: String,
}

const MAIL: &str = "grace.hidden@example.com";

/// `explain()` of an include keyed by a sensitive value, and of
/// `update_where` / `delete_where` with a sensitive condition.
#[dynamite::test(models(RrPerson, RrNote))]
async fn review_sensitive_include_and_set_write_explain_masked(db: Dynamite) {
    let plans = [
        RrPerson::query()
            .filter(RrPerson::EMAIL.eq(Sensitive::new(MAIL.to_owned())))
            .include(RrPerson::notes())
            .explain(&db)
            .to_string(),
        RrNote::update_where(RrNote::OWNER.eq(Sensitive::new(MAIL.to_owned())))
            .set(RrNote::TEXT, "x")
            .explain(&db)
            .to_string(),
        RrNote::update_where(RrNote::TEXT.eq("x"))
            .set(RrNote::OWNER, Sensitive::new(MAIL.to_owned()))
            .explain(&db)
            .to_string(),
        RrNote::update_key("n1")
            .set(RrNote::OWNER, Sensitive::new(MAIL.to_owned()))
            .explain(&db)
            .to_string(),
    ];
    for plan in plans {
        assert_hidden(&plan, &[MAIL, "grace.hidden"]);
    }
    // Errors of the include paths: a child whose text is a number.
    RrPerson::create()
        .email(Sensitive::new(MAIL.to_owned()))
        .name("G")
        .exec(&db)
        .await
        .unwrap();
    let table = db.table_name::<RrNote>().unwrap();
    db.client()
        .put_item()
        .table_name(&table)
        .item("id", AV::S("n1".into()))
        .item("owner", AV::S(MAIL.into()))
        .item("text", AV::N("5".into()))
        .send()
        .await
        .unwrap();
    let error = RrPerson::query()
        .include(RrPerson::notes())
        .all(&db)
        .await
        .unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &[MAIL, "grace.hidden"]);
    let person = RrPerson::get(&db, Sensitive::new(MAIL.to_owned()))
        .await
        .unwrap()
        .unwrap();
    let error = RrPerson::notes().of(&person).all(&db).await.unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert_hidden(&shown, &[MAIL, "grace.hidden"]);
}

/// README: projected rows carry "the listed attributes and the keys, typed
/// getters". For a model keyed by templates the key *fields* are what a
/// user reads by typed getter; `get(ID)` of a row listed without it is
/// `NotFetched` although its key (`sk = "D#<id>"`) was fetched.
#[dynamite::test(models(RrDoc))]
async fn review_projected_template_row_key_fields_readable(db: Dynamite) {
    RrDoc::create()
        .owner("u")
        .id("1")
        .title("t")
        .size(1)
        .exec(&db)
        .await
        .unwrap();
    let rows = RrDoc::query()
        .filter(RrDoc::OWNER.eq("u"))
        .attributes((RrDoc::TITLE,))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get(RrDoc::ID).unwrap(), "1");
    assert_eq!(rows[0].get(RrDoc::OWNER).unwrap(), "u");
}

/// README: `.count(&db)` is a terminal of every query, and a projected
/// query is a query (`.attributes(..)` "returns `Projected<User>` rows").
/// Its count sends the projection's `ExpressionAttributeNames` with
/// `Select=COUNT` and no projection expression: DynamoDB refuses the request.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_projected_query_count(db: Dynamite) {
    RrMail::create()
        .id("m1")
        .email("a@b")
        .exec(&db)
        .await
        .unwrap();
    RrMail::create()
        .id("m2")
        .email("c@d")
        .exec(&db)
        .await
        .unwrap();
    let plan = RrMail::query().attributes((RrMail::EMAIL,)).explain(&db);
    let n = RrMail::query()
        .attributes((RrMail::EMAIL,))
        .count(&db)
        .await
        .unwrap_or_else(|e| panic!("count via {plan}: {e}"));
    assert_eq!(n, 2);
    let n = RrMail::query()
        .filter(RrMail::ID.eq("m1"))
        .attributes((RrMail::EMAIL,))
        .count(&db)
        .await
        .unwrap_or_else(|e| panic!("count by key: {e}"));
    assert_eq!(n, 1);
}

/// `first()` / `last()` on a literal-partition sparse index agree with `all()`.
#[dynamite::test(models(RrMail, RrJob, RrVault))]
async fn review_sparse_literal_partition_first_last_match_all(db: Dynamite) {
    for (id, prio) in [
        ("a", Some(3)),
        ("b", None),
        ("c", Some(1)),
        ("d", Some(12)),
        ("e", Some(0)),
    ] {
        RrJob::create()
            .id(id)
            .prio(prio)
            .note("n")
            .exec(&db)
            .await
            .unwrap();
    }
    let filters: Vec<(&str, Condition<RrJob>)> = vec![
        ("gt", RrJob::PRIO.gt(0u32)),
        ("some", RrJob::PRIO.is_some()),
        ("between", RrJob::PRIO.between(1u32, 12u32)),
        ("in", RrJob::PRIO.is_in([0u32, 12])),
        ("not none", RrJob::PRIO.is_none().not()),
    ];
    for (name, f) in filters {
        let plan = RrJob::query().filter(f.clone()).explain(&db);
        let all = RrJob::query().filter(f.clone()).all(&db).await.unwrap();
        let first = RrJob::query().filter(f.clone()).first(&db).await.unwrap();
        let last = RrJob::query().filter(f.clone()).last(&db).await.unwrap();
        assert_eq!(
            first.map(|r| r.id),
            all.first().map(|r| r.id.clone()),
            "{name}: first via {plan}"
        );
        assert_eq!(
            last.map(|r| r.id),
            all.last().map(|r| r.id.clone()),
            "{name}: last via {plan}"
        );
        let count = RrJob::query().filter(f.clone()).count(&db).await.unwrap();
        assert_eq!(count, all.len(), "{name}: count via {plan}");
        let scan_ref: Vec<String> = ids(
            &RrJob::query()
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| match name {
                    "gt" => r.prio.is_some_and(|p| p > 0),
                    "some" | "not none" => r.prio.is_some(),
                    "between" => r.prio.is_some_and(|p| (1..=12).contains(&p)),
                    _ => matches!(r.prio, Some(0) | Some(12)),
                })
                .collect::<Vec<_>>(),
            |r| r.id.clone(),
        );
        assert_eq!(
            ids(&all, |r| r.id.clone()),
            scan_ref,
            "{name}: all via {plan}"
        );
    }
}

/// A child whose foreign key is a plain `String` joined to a sensitive
/// parent key: the value a user filtered with as `Sensitive` must not show
/// in `explain()` of the include (the propagated key condition).
#[derive(Table, Debug, Clone)]
#[dynamite(table = "rr_people2")]
pub struct RrPerson2 {
    #[dynamite(primary_key)]
    pub email: Sensitive<String>,
    #[dynamite(has_many(foreign_key = "owner"))]
    pub notes: HasMany<RrNote2>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "rr_notes2")]
pub struct RrNote2 {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub owner: String,
}

#[dynamite::test(models(RrPerson2, RrNote2))]
async fn review_sensitive_parent_key_propagated_to_plain_child_key_in_explain(db: Dynamite) {
    let plan = RrPerson2::query()
        .filter(RrPerson2::EMAIL.eq(Sensitive::new(MAIL.to_owned())))
        .include(RrPerson2::notes())
        .explain(&db)
        .to_string();
    assert_hidden(&plan, &[MAIL, "grace.hidden"]);
}

// ------------------------------------------------------------ class 9

/// README: a multi-attribute index's "name defaults to the attributes
/// joined: `region_status_created_at_id_index`"; a field's
/// `index(sort_key = ..)` without a name is `<attribute>_<sort attribute>_index`.
#[derive(Table, Debug, Clone)]
#[dynamite(index(partition = ["region", "status"], sort = ["created_at", "id"]))]
pub struct RrTicket {
    #[dynamite(primary_key)]
    pub id: String,
    pub region: String,
    pub status: String,
    pub created_at: i64,
    #[dynamite(index(sort_key = "created_at"), rename = "own")]
    pub owner: String,
}

#[dynamite::test(models(RrTicket))]
async fn review_default_index_names_as_documented(db: Dynamite) {
    let plan = RrTicket::query()
        .filter(RrTicket::REGION.eq("eu") & RrTicket::STATUS.eq("open"))
        .explain(&db)
        .to_string();
    assert!(
        plan.contains("index region_status_created_at_id_index"),
        "{plan}"
    );
    let plan = RrTicket::query()
        .filter(RrTicket::OWNER.eq("o"))
        .explain(&db)
        .to_string();
    assert!(plan.contains("index own_created_at_index"), "{plan}");
}

// ------------------------------------------------------------ class 1 + 3: has_many through a template

#[derive(Table, Debug, Clone)]
#[dynamite(table = "rr_org", pk = "TEAM#{id}", sk = "TEAM")]
pub struct RrTeam {
    pub id: String,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(has_many(foreign_key = "team"))]
    pub members: HasMany<RrMember>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "rr_org", pk = "M#{id}", sk = "MEMBER")]
#[dynamite(index(name = "g_team", pk = "T#{team}", sk = "M#{id}"))]
pub struct RrMember {
    pub id: String,
    pub team: String,
    pub name: String,
    pub nick: Option<String>,
    #[dynamite(ttl)]
    pub expires: Option<i64>,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
}

/// An include with `.attributes(..)` through an index template answers the
/// same children as without, and shows none of the engine's attributes.
#[dynamite::test(models(RrTeam, RrMember))]
async fn review_projected_include_through_index_template(db: Dynamite) {
    RrTeam::create().id("t1").exec(&db).await.unwrap();
    for (id, expires) in [
        ("a", None),
        ("b", Some(1_000_000_000i64)),
        ("c", None),
        ("d", None),
    ] {
        RrMember::create()
            .id(id)
            .team("t1")
            .name(format!("n{id}"))
            .nick(Some("k".into()))
            .expires(expires)
            .exec(&db)
            .await
            .unwrap();
    }
    RrMember::delete_key(&db, "c").await.unwrap();
    let full = RrTeam::query()
        .filter(RrTeam::ID.eq("t1"))
        .include(RrTeam::members())
        .all(&db)
        .await
        .unwrap();
    let want: Vec<String> = ids(full[0].members.loaded().unwrap(), |m| m.id.clone());
    assert_eq!(want, ["a", "d"]);
    let q = || {
        RrTeam::query()
            .filter(RrTeam::ID.eq("t1"))
            .include(RrTeam::members().attributes((RrMember::NAME,)))
    };
    let plan = q().explain(&db);
    let got = q().all(&db).await.unwrap();
    let kids = got[0].members.projected().unwrap();
    let mut names: Vec<String> = kids
        .iter()
        .map(|m| m.get(RrMember::NAME).unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["na", "nd"], "via {plan}");
    for k in kids {
        for n in k.item().keys() {
            assert!(
                ![
                    "expires",
                    "deleted_at",
                    "entity",
                    "team",
                    "g_teampk",
                    "g_teamsk",
                    "nick"
                ]
                .contains(&n.as_str()),
                "{n} shown via {plan}"
            );
        }
    }
    let team = RrTeam::get(&db, "t1").await.unwrap().unwrap();
    let lazy = RrTeam::members()
        .attributes((RrMember::NAME,))
        .of(&team)
        .all_projected(&db)
        .await
        .unwrap();
    assert_eq!(lazy.len(), 2, "lazy projected");
}
