//! The backend's own judgement of TTL values, writes over foreign rows,
//! and the named regressions the harness found.

use super::plans::check_tickets;
use super::*;

// ---------------------------------------------------------------- writes and the backend

/// The backend's own answer to the conditions Dynamite sends, for every TTL
/// value of the generator: `NOT (#ttl < :now)` keeps exactly the unexpired
/// items, and `create`'s `attribute_not_exists(pk) OR #ttl < :now` lets
/// exactly the expired ones be overwritten. This pins the embedded engine
/// and DynamoDB Local to DynamoDB's semantics (a comparison with an absent
/// attribute or another type than a number is false).
#[test]
fn the_backend_judges_every_ttl_value_as_dynamodb_does() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = builder().table::<Ticket>().build().await.unwrap();
        db.sync().await.unwrap();
        let table = db.table_name::<Ticket>().unwrap();
        let now = now();
        let cases = ttl_cases(now);
        let items: Vec<Item> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut item = Item::new();
                item.insert("id".into(), AV::S(format!("t{i:02}")));
                put(&mut item, "until", c.draw.stored.clone());
                item
            })
            .collect();
        store_raw(&db, &table, &["id"], &items).await;
        let names = HashMap::from([("#t".to_owned(), "until".to_owned())]);
        let values = HashMap::from([(":now".to_owned(), AV::N(now.to_string()))]);
        let kept = db
            .client()
            .scan()
            .table_name(&table)
            .consistent_read(true)
            .filter_expression("NOT (#t < :now)")
            .set_expression_attribute_names(Some(names.clone()))
            .set_expression_attribute_values(Some(values.clone()))
            .send()
            .await
            .unwrap();
        let mut kept: Vec<String> = kept
            .items()
            .iter()
            .map(|i| match &i["id"] {
                AV::S(id) => id.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        kept.sort();
        let wanted: Vec<String> = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.expired)
            .map(|(i, _)| format!("t{i:02}"))
            .collect();
        assert_eq!(kept, wanted, "NOT (#t < :now) keeps the unexpired items");
        // The overwrite condition of `create`, and the NotFound of writes.
        let mut names = names;
        names.insert("#k".into(), "id".into());
        for (i, c) in cases.iter().enumerate() {
            let mut replacement = Item::new();
            replacement.insert("id".into(), AV::S(format!("t{i:02}")));
            let put = db
                .client()
                .put_item()
                .table_name(&table)
                .set_item(Some(replacement))
                .condition_expression("attribute_not_exists(#k) OR #t < :now")
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .send()
                .await;
            assert_eq!(
                put.is_ok(),
                c.expired,
                "overwrite of {:?}: {put:?}",
                c.draw.stored
            );
        }
    });
}

/// Every TTL value another program may store decides the writes by the
/// one rule: an expired row is `NotFound` to `update` / `delete` (by key
/// and in a transaction) and may be overwritten by `create`; a row that
/// has not expired is `AlreadyExists` to `create`.
#[test]
fn foreign_ttl_values_decide_writes_by_the_one_rule() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = builder().table::<Ticket>().build().await.unwrap();
        db.sync().await.unwrap();
        let table = db.table_name::<Ticket>().unwrap();
        let now = now();
        let cases = ttl_cases(now);
        let items: Vec<Item> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut item = Ticket {
                    id: format!("t{i:02}"),
                    queue: "q0".into(),
                    rank: 1,
                    note: Some("foreign".into()),
                    version: 1,
                    deleted_at: None,
                    until: None,
                }
                .to_item()
                .unwrap();
                put(&mut item, "until", c.draw.stored.clone());
                item
            })
            .collect();
        store_raw(&db, &table, &["id"], &items).await;
        let raw = |id: String| {
            let db = db.clone();
            let table = table.clone();
            async move {
                db.client()
                    .get_item()
                    .table_name(table)
                    .key("id", AV::S(id))
                    .consistent_read(true)
                    .send()
                    .await
                    .unwrap()
                    .item
            }
        };
        for (i, c) in cases.iter().enumerate() {
            let id = format!("t{i:02}");
            let what = format!("{id} {:?}", c.draw.stored);
            // As the backend holds it (it may normalise a number's text).
            let before = raw(id.clone()).await;
            assert!(before.is_some(), "{what} stored");
            if c.expired {
                let update = Ticket::update_key(id.as_str())
                    .set(Ticket::RANK, 2)
                    .exec(&db)
                    .await;
                assert!(
                    update.as_ref().is_err_and(|e| e.is_not_found()),
                    "update {what}: {update:?}"
                );
                let delete = Ticket::delete_key(&db, id.as_str()).await;
                assert!(
                    delete.as_ref().is_err_and(|e| e.is_not_found()),
                    "delete {what}: {delete:?}"
                );
                // In a transaction: the cancellation a missing row gets.
                let mut tx = db.transaction();
                tx.delete_key::<Ticket>(id.as_str());
                let tx = tx.commit().await;
                assert!(
                    matches!(&tx, Err(dynamite::Error::TransactionCanceled { reasons, .. })
                        if reasons[0].is_not_found()),
                    "tx delete {what}: {tx:?}"
                );
                assert_eq!(raw(id.clone()).await, before, "{what} unchanged");
                let created = Ticket::create()
                    .id(id.as_str())
                    .queue("q1")
                    .rank(5)
                    .exec(&db)
                    .await;
                assert!(created.is_ok(), "create over {what}: {created:?}");
            } else {
                let created = Ticket::create()
                    .id(id.as_str())
                    .queue("q1")
                    .rank(5)
                    .exec(&db)
                    .await;
                assert!(
                    matches!(created, Err(dynamite::Error::AlreadyExists { .. })),
                    "create over {what}: {created:?}"
                );
                assert_eq!(raw(id.clone()).await, before, "{what} unchanged");
                Ticket::delete_key(&db, id.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("delete {what}: {e}"));
                // Soft delete: the marker is set, the item stays.
                let stored = raw(id.clone()).await;
                assert!(
                    stored
                        .as_ref()
                        .is_some_and(|i| i.contains_key("deleted_at")),
                    "{what} soft-deleted: {stored:?}"
                );
            }
        }
    });
}

// ---------------------------------------------------------------- regressions

/// One `Ticket` stored by another program with `until` = `value`, read on
/// every plan (GetItem, BatchGetItem, TransactGetItems, Scan, GSI Query,
/// pages, counts); each must answer `fate`.
async fn every_plan_answers(value: Option<AV>, fate: &Fate<Ticket>) {
    let db = ticket_db().await;
    let table = db.table_name::<Ticket>().unwrap();
    let mut item = Ticket {
        id: "t0".into(),
        queue: "q0".into(),
        rank: 1,
        note: None,
        version: 1,
        deleted_at: None,
        until: None,
    }
    .to_item()
    .unwrap();
    put(&mut item, "until", value.clone());
    store_raw(&db, &table, &["id"], &[item.clone()]).await;
    let items = [ForeignTicket {
        item,
        fate: fate.clone(),
    }];
    let outcome = check_tickets(&db, &items, None, "q0").await;
    assert!(
        outcome.is_ok(),
        "until = {value:?}: {}",
        outcome.unwrap_err()
    );
}

fn live_row(until: Option<i64>) -> Fate<Ticket> {
    Fate::Row(Ticket {
        id: "t0".into(),
        queue: "q0".into(),
        rank: 1,
        note: None,
        version: 1,
        deleted_at: None,
        until,
    })
}

/// `1.5` has passed: hidden on every plan (GetItem used to parse it as an
/// integer, fail, call it unexpired and then fail to decode it, while the
/// Scan's condition hid it).
#[tokio::test]
async fn regression_a_fractional_ttl_that_passed_is_hidden_on_every_plan() {
    every_plan_answers(n("1.5"), &Fate::Hidden("expired")).await;
    every_plan_answers(
        n(format!("0.{}1", "0".repeat(100))),
        &Fate::Hidden("expired"),
    )
    .await;
}

/// `1E+3` and `-5` have passed: hidden on every plan.
#[tokio::test]
async fn regression_an_exponent_or_negative_ttl_that_passed_is_hidden_on_every_plan() {
    every_plan_answers(n("1E+3"), &Fate::Hidden("expired")).await;
    every_plan_answers(n("-5"), &Fate::Hidden("expired")).await;
    every_plan_answers(n("-1E+125"), &Fate::Hidden("expired")).await;
}

/// A number beyond `i64` still to come is visible (and, not being whole
/// epoch seconds an `i64` holds, a decode error) on every plan; a
/// milliseconds value is a second far in the future: visible, decoded.
#[tokio::test]
async fn regression_a_huge_ttl_is_compared_exactly() {
    every_plan_answers(n("1E+125"), &Fate::Undecodable).await;
    every_plan_answers(n("9".repeat(38)), &Fate::Undecodable).await;
    let ms = now() * 1000;
    every_plan_answers(n(ms.to_string()), &live_row(Some(ms))).await;
    // The same second in exponent form decodes.
    let later = now() + AHEAD;
    every_plan_answers(n(format!("{}E-2", later * 100)), &live_row(Some(later))).await;
}

/// A TTL attribute of another type never expires: the row is visible on
/// every plan (the server's condition used to hide it while GetItem showed
/// it), and as the field cannot hold it, every plan answers a decode
/// error. A NULL is "no expiry".
#[tokio::test]
async fn regression_a_ttl_of_another_type_never_expires_on_every_plan() {
    every_plan_answers(s("1"), &Fate::Undecodable).await;
    every_plan_answers(Some(AV::Ns(vec!["1".into()])), &Fate::Undecodable).await;
    every_plan_answers(Some(AV::Bool(false)), &Fate::Undecodable).await;
    every_plan_answers(Some(AV::Null(true)), &live_row(None)).await;
}

/// A write of a row whose TTL passed in a notation `i64` parsing missed is
/// `NotFound`, not a conflict ("the row changed during the write").
#[tokio::test]
async fn regression_an_update_of_a_row_with_a_fractional_ttl_that_passed_is_not_found() {
    let db = builder().table::<Ticket>().build().await.unwrap();
    db.sync().await.unwrap();
    let table = db.table_name::<Ticket>().unwrap();
    for value in ["1.5", "1E+3"] {
        let mut item = Ticket {
            id: "t0".into(),
            queue: "q0".into(),
            rank: 1,
            note: None,
            version: 1,
            deleted_at: None,
            until: None,
        }
        .to_item()
        .unwrap();
        put(&mut item, "until", n(value));
        store_raw(&db, &table, &["id"], &[item]).await;
        let update = Ticket::update_key("t0")
            .set(Ticket::RANK, 2)
            .exec(&db)
            .await;
        assert!(
            update.as_ref().is_err_and(|e| e.is_not_found()),
            "{value}: {update:?}"
        );
    }
}

/// A soft delete of a visible row another program stored with a field the
/// model cannot hold is applied and `Ok` (it used to decode the stored
/// item after writing it and answer a decode error behind an applied write).
#[tokio::test]
async fn regression_a_soft_delete_of_an_undecodable_row_is_ok() {
    let db = builder().table::<Ticket>().build().await.unwrap();
    db.sync().await.unwrap();
    let table = db.table_name::<Ticket>().unwrap();
    let mut item = Ticket {
        id: "t0".into(),
        queue: "q0".into(),
        rank: 1,
        note: None,
        version: 1,
        deleted_at: None,
        until: None,
    }
    .to_item()
    .unwrap();
    put(&mut item, "rank", s("one"));
    store_raw(&db, &table, &["id"], &[item]).await;
    assert!(Ticket::get(&db, "t0").await.unwrap_err().is_decode());
    Ticket::delete_key(&db, "t0").await.unwrap();
    assert!(
        Ticket::get(&db, "t0").await.unwrap().is_none(),
        "soft-deleted: hidden"
    );
    assert_eq!(Ticket::query().with_deleted().count(&db).await.unwrap(), 1);
}
