//! DynamoDB's key value limits (issue 19 item 11: hostile input gets a
//! typed error or bounded work): a string or binary key value is never
//! empty, at most 2,048 bytes in a partition key and 1,024 in a sort key,
//! of the table or of an index. Reads answer exactly without sending what
//! DynamoDB refuses; writes are refused before anything is sent. And
//! `max_is_in_queries` bounds the requests of a key list (one
//! BatchGetItem per 100 keys) as it bounds Queries per partition.

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder, Error, ErrorKind};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "kl_tasks")]
pub struct KlTask {
    #[dynamite(primary_key)]
    pub tenant: String,
    #[dynamite(sort_key)]
    pub id: String,
    #[dynamite(index(name = "by_assignee", sort_key = "label"))]
    pub assignee: String,
    pub label: String,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "kl_users")]
pub struct KlUser {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "kl_shop", pk = "ORG#{org}", sk = "DOC#{id}")]
#[dynamite(index(name = "by_state", pk = "S#{state}"))]
pub struct KlDoc {
    pub org: String,
    pub id: String,
    pub state: String,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "kl_blobs")]
pub struct KlBlob {
    #[dynamite(primary_key)]
    pub owner: String,
    #[dynamite(sort_key)]
    pub blob: Bytes,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<KlTask>()
        .table::<KlUser>()
        .table::<KlDoc>()
        .table::<KlBlob>()
}

/// The models, with at most 2 Queries or BatchGetItems per key list.
fn register_is_in_cap_2(builder: DynamiteBuilder) -> DynamiteBuilder {
    register(builder).max_is_in_queries(2)
}

fn task(tenant: &str, id: &str, assignee: &str, label: &str) -> KlTask {
    KlTask {
        tenant: tenant.to_owned(),
        id: id.to_owned(),
        assignee: assignee.to_owned(),
        label: label.to_owned(),
    }
}

fn ids(rows: &[KlTask]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

/// Stores `a/m` (assignee bob, label l1) and `a/z` (assignee
/// `second`, label l2).
async fn seed(db: &Dynamite, second: &str) {
    let rows = vec![task("a", "m", "bob", "l1"), task("a", "z", second, "l2")];
    KlTask::put_many(db, rows).await.unwrap();
}

/// Each query answers these ids (in any order).
async fn answers(db: &Dynamite, cases: Vec<(&str, dynamite::Query<KlTask>, Vec<&str>)>) {
    for (what, q, want) in cases {
        let rows = q.all(db).await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let mut got = ids(&rows);
        got.sort_unstable();
        assert_eq!(got, want, "{what}");
    }
}

/// Each query answers nothing, and sends nothing.
async fn nothing_sent(db: &Dynamite, cases: Vec<(&str, dynamite::Query<KlTask>)>) {
    for (what, q) in cases {
        db.metrics().reset();
        let rows = q.all(db).await.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(rows.is_empty(), "{what}");
        assert_eq!(db.metrics().data_plane_requests(), 0, "{what}");
    }
}

/// A typed client error (not a backend one) and nothing sent.
fn refused(db: &Dynamite, r: dynamite::Result<()>) -> Result<(), String> {
    let sent = db.metrics().data_plane_requests();
    match r {
        Err(e)
            if !matches!(e, Error::Backend { .. })
                && e.kind() == ErrorKind::Client
                && sent == 0 =>
        {
            Ok(())
        }
        other => Err(format!("{other:?} after {sent} request(s)")),
    }
}

#[dynamite::test(registry = register)]
async fn values_at_the_caps_are_stored_and_read_back(db: Dynamite) {
    let pk = "p".repeat(2_048);
    let sk = "s".repeat(1_024);
    let row = task(&pk, &sk, &"a".repeat(2_048), &"l".repeat(1_024));
    KlTask::put_many(&db, vec![row.clone()]).await.unwrap();
    assert_eq!(
        KlTask::get(&db, (pk.clone(), sk.clone())).await.unwrap(),
        Some(row.clone())
    );
    let got = KlTask::query()
        .filter(KlTask::TENANT.eq(pk.clone()) & KlTask::ID.ge(sk.clone()))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(got, std::slice::from_ref(&row));
    let got = KlTask::query()
        .filter(KlTask::ASSIGNEE.eq(row.assignee.clone()) & KlTask::LABEL.eq(row.label.clone()))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(got, [row]);
}

#[dynamite::test(registry = register)]
async fn reads_of_keys_past_the_caps_answer_without_sending(db: Dynamite) {
    seed(&db, "bob").await;
    let big_pk = "p".repeat(2_049);
    let big_sk = "m".repeat(1_025);
    let big_label = "l".repeat(1_025);
    db.metrics().reset();
    assert_eq!(KlTask::get(&db, ("a", big_sk.clone())).await.unwrap(), None);
    assert_eq!(KlTask::get(&db, (big_pk.clone(), "m")).await.unwrap(), None);
    assert!(KlUser::get(&db, "u".repeat(2_049)).await.unwrap().is_none());
    assert!(
        KlTask::get_many(&db, [("a".to_owned(), big_sk.clone())])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let got = KlTask::get_many(
        &db,
        [
            ("a".to_owned(), big_sk.clone()),
            ("a".to_owned(), "m".to_owned()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(ids(&got), ["m"]);
    // Nothing can match: nothing sent.
    let none: Vec<(&str, dynamite::Query<KlTask>)> = vec![
        (
            "pk =",
            KlTask::query().filter(KlTask::TENANT.eq(big_pk.clone())),
        ),
        (
            "sk =",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.eq(big_sk.clone())),
        ),
        (
            "gsi pk =",
            KlTask::query().filter(KlTask::ASSIGNEE.eq("b".repeat(2_049))),
        ),
        (
            "gsi sk =",
            KlTask::query()
                .filter(KlTask::ASSIGNEE.eq("bob") & KlTask::LABEL.eq(big_label.clone())),
        ),
        (
            "sk in",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.is_in([big_sk.clone()])),
        ),
        (
            "pk in",
            KlTask::query().filter(KlTask::TENANT.is_in([big_pk.clone()])),
        ),
        (
            "simple key in",
            KlTask::query().filter(KlTask::ASSIGNEE.is_in(["b".repeat(2_049)])),
        ),
    ];
    nothing_sent(&db, none).await;
    // Ranges past the cap: answered exactly (the bound evaluated on the rows read).
    let cases: Vec<(&str, dynamite::Query<KlTask>, Vec<&str>)> = vec![
        (
            "sk >",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.gt(big_sk.clone())),
            vec!["z"],
        ),
        (
            "sk <",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.lt(big_sk.clone())),
            vec!["m"],
        ),
        (
            "sk <=",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.le(big_sk.clone())),
            vec!["m"],
        ),
        (
            "sk between",
            KlTask::query()
                .filter(KlTask::TENANT.eq("a") & KlTask::ID.between("a", big_sk.clone())),
            vec!["m"],
        ),
        (
            "sk begins_with",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.begins_with(big_sk.clone())),
            vec![],
        ),
        (
            "gsi sk <",
            KlTask::query()
                .filter(KlTask::ASSIGNEE.eq("bob") & KlTask::LABEL.lt(big_label.clone())),
            vec!["m", "z"],
        ),
        (
            "in with a fitting value",
            KlTask::query().filter(
                KlTask::TENANT.eq("a") & KlTask::ID.is_in([big_sk.clone(), "z".to_owned()]),
            ),
            vec!["z"],
        ),
    ];
    answers(&db, cases).await;
}

#[dynamite::test(registry = register)]
async fn empty_key_values_in_conditions_answer_exactly(db: Dynamite) {
    seed(&db, "ann").await;
    let cases: Vec<(&str, dynamite::Query<KlTask>, Vec<&str>)> = vec![
        (
            "sk >= \"\"",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.ge("")),
            vec!["m", "z"],
        ),
        (
            "sk between",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.between("", "n")),
            vec!["m"],
        ),
        (
            "gsi sk > \"\"",
            KlTask::query().filter(KlTask::ASSIGNEE.eq("bob") & KlTask::LABEL.gt("")),
            vec!["m"],
        ),
        (
            "gsi sk begins_with \"\"",
            KlTask::query().filter(KlTask::ASSIGNEE.eq("bob") & KlTask::LABEL.begins_with("")),
            vec!["m"],
        ),
        (
            "gsi pk in",
            KlTask::query().filter(KlTask::ASSIGNEE.is_in(["", "ann"])),
            vec!["z"],
        ),
    ];
    answers(&db, cases).await;
    let none: Vec<(&str, dynamite::Query<KlTask>)> = vec![
        (
            "sk < \"\"",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.lt("")),
        ),
        (
            "sk <= \"\"",
            KlTask::query().filter(KlTask::TENANT.eq("a") & KlTask::ID.le("")),
        ),
        ("gsi pk", KlTask::query().filter(KlTask::ASSIGNEE.eq(""))),
        (
            "gsi pk in",
            KlTask::query().filter(KlTask::ASSIGNEE.is_in([""])),
        ),
        (
            "gsi sk",
            KlTask::query().filter(KlTask::ASSIGNEE.eq("bob") & KlTask::LABEL.eq("")),
        ),
        ("pk in", KlTask::query().filter(KlTask::TENANT.is_in([""]))),
    ];
    nothing_sent(&db, none).await;
    // Binary keys: an empty one is no key either.
    let blob = KlBlob {
        owner: "o".to_owned(),
        blob: Bytes::from(vec![1u8, 2]),
    };
    KlBlob::put_many(&db, vec![blob.clone()]).await.unwrap();
    db.metrics().reset();
    let none = KlBlob::query()
        .filter(KlBlob::OWNER.eq("o") & KlBlob::BLOB.is_in([Bytes::from(Vec::new())]))
        .all(&db)
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let all = KlBlob::query()
        .filter(KlBlob::OWNER.eq("o") & KlBlob::BLOB.gt(Bytes::from(Vec::new())))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(all, [blob]);
    db.metrics().reset();
    let r = KlBlob::put_many(
        &db,
        vec![KlBlob {
            owner: "o".to_owned(),
            blob: Bytes::from(vec![7u8; 1_025]),
        }],
    )
    .await;
    refused(&db, r).unwrap();
}

#[dynamite::test(registry = register)]
async fn writes_of_keys_past_the_caps_are_refused_before_sending(db: Dynamite) {
    let mut failures = Vec::new();
    let big_pk = "p".repeat(2_049);
    let big_sk = "s".repeat(1_025);
    let writes: Vec<(&str, dynamite::Result<()>)> = vec![
        (
            "put pk",
            KlTask::put_many(&db, vec![task(&big_pk, "x", "bob", "l")]).await,
        ),
        (
            "put_many, one bad row",
            KlTask::put_many(
                &db,
                vec![task("a", "ok", "bob", "l"), task("a", &big_sk, "bob", "l")],
            )
            .await,
        ),
        (
            "gsi pk",
            KlTask::put_many(&db, vec![task("a", "x", &"b".repeat(2_049), "l")]).await,
        ),
        (
            "gsi sk",
            KlTask::put_many(&db, vec![task("a", "x", "bob", &big_sk)]).await,
        ),
        (
            "create",
            KlUser::create()
                .id("u".repeat(2_049))
                .name("n")
                .exec(&db)
                .await
                .map(drop),
        ),
        (
            "delete_key",
            KlTask::delete_key(&db, ("a", big_sk.clone()))
                .await
                .map(drop),
        ),
        (
            "template pk",
            KlDoc::create()
                .org("o".repeat(2_045))
                .id("1")
                .state("s")
                .exec(&db)
                .await
                .map(drop),
        ),
        (
            "template sk",
            KlDoc::create()
                .org("o")
                .id("i".repeat(1_021))
                .state("s")
                .exec(&db)
                .await
                .map(drop),
        ),
        (
            "template gsi pk",
            KlDoc::create()
                .org("o")
                .id("1")
                .state("s".repeat(2_047))
                .exec(&db)
                .await
                .map(drop),
        ),
    ];
    for (what, r) in writes {
        if let Err(e) = refused(&db, r) {
            failures.push(format!("{what}: {e}"));
        }
    }
    db.metrics().reset();
    let mut tx = db.transaction();
    tx.create(task("a", "t1", "bob", "l"))
        .create(task("a", &big_sk, "bob", "l"));
    if let Err(e) = refused(&db, tx.commit().await.map(drop)) {
        failures.push(format!("transaction: {e}"));
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Nothing of the refused batch or transaction was written.
    let rows = KlTask::query()
        .filter(KlTask::TENANT.eq("a"))
        .all(&db)
        .await
        .unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    // Just inside the caps: written.
    KlDoc::create()
        .org("o".repeat(2_044))
        .id("i".repeat(1_020))
        .state("s")
        .exec(&db)
        .await
        .unwrap();
}

#[dynamite::test(registry = register_is_in_cap_2)]
async fn the_is_in_cap_counts_batch_get_requests(db: Dynamite) {
    KlUser::put_many(
        &db,
        vec![KlUser {
            id: "u7".to_owned(),
            name: "n".to_owned(),
        }],
    )
    .await
    .unwrap();
    let users = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    // 200 keys: two BatchGetItem, within the cap of 2.
    db.metrics().reset();
    let got = KlUser::query()
        .filter(KlUser::ID.is_in(users(200)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(db.metrics().data_plane_requests(), 2);
    // Duplicates count once.
    let mut doubled = users(200);
    doubled.extend(users(200));
    db.metrics().reset();
    KlUser::query()
        .filter(KlUser::ID.is_in(doubled))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().data_plane_requests(), 2);
    // 201 keys: three requests, past the cap; nothing sent.
    db.metrics().reset();
    let e = KlUser::query()
        .filter(KlUser::ID.is_in(users(201)))
        .all(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::FanOutLimit {
                attribute: "id",
                values: 3,
                limit: 2,
                ..
            }
        ),
        "{e:?}"
    );
    // A product of lists: counted, never built.
    let started = std::time::Instant::now();
    let e = KlTask::query()
        .filter(KlTask::TENANT.is_in(users(5_000)) & KlTask::ID.is_in(users(5_000)))
        .all(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::FanOutLimit {
                values: 250_000,
                limit: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // One partition, a list of sort keys: 150 keys, two requests.
    let e = KlTask::query()
        .filter(KlTask::TENANT.eq("a") & KlTask::ID.is_in(users(201)))
        .all(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::FanOutLimit {
                attribute: "id",
                values: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(db.metrics().data_plane_requests(), 0);
    KlTask::query()
        .filter(KlTask::TENANT.eq("a") & KlTask::ID.is_in(users(150)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().data_plane_requests(), 2);
}
