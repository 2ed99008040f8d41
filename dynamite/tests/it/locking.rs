//! Optimistic locking: `#[dynamite(version)]`.

use dynamite::Error;
use dynamite::prelude::*;

use crate::safety_models::{Doc, Ticket};

async fn doc(db: &Dynamite, id: &str) -> Doc {
    Doc::create()
        .id(id)
        .title("draft")
        .views(0)
        .exec(db)
        .await
        .unwrap()
}

async fn stored(db: &Dynamite, id: &str) -> Doc {
    Doc::get(db, id).await.unwrap().expect("stored")
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn create_sets_version_one_and_save_bumps_it_in_place(db: Dynamite) {
    let mut d = doc(&db, "d1").await;
    assert_eq!(d.version, 1);
    assert_eq!(stored(&db, "d1").await.version, 1);
    d.title = "final".into();
    d.save(&db).await.unwrap();
    assert_eq!(d.version, 2);
    let s = stored(&db, "d1").await;
    assert_eq!((s.title.as_str(), s.version), ("final", 2));
    // The row in hand is current: it can be saved again.
    d.title = "again".into();
    d.save(&db).await.unwrap();
    assert_eq!((d.version, stored(&db, "d1").await.version), (3, 3));
}

// Regression: the TypeScript library's defect 4.
#[dynamite::test(registry = crate::safety_models::register)]
async fn update_is_not_a_blind_read_modify_write(db: Dynamite) {
    doc(&db, "d1").await;
    // Two writers read the same row.
    let mut a = stored(&db, "d1").await;
    let mut b = stored(&db, "d1").await;
    a.title = "from a".into();
    a.save(&db).await.unwrap();
    b.title = "from b".into();
    db.metrics().reset();
    let err = b.save(&db).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(err.to_string().contains("expected version 1"), "{err}");
    // b's version was not bumped, and a's write survived.
    assert_eq!(b.version, 1);
    let s = stored(&db, "d1").await;
    assert_eq!((s.title.as_str(), s.version), ("from a", 2));
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn row_update_checks_the_version_and_adds_one(db: Dynamite) {
    let d = doc(&db, "d1").await;
    let d2 = d
        .update()
        .set(Doc::TITLE, "edited")
        .increment(Doc::VIEWS, 1)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((d2.version, d2.views), (2, 1));
    // `d` is now stale.
    let err = d
        .update()
        .increment(Doc::VIEWS, 1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let s = stored(&db, "d1").await;
    assert_eq!((s.views, s.version, s.title.as_str()), (1, 2, "edited"));
    // The fresh row works.
    let d3 = d2
        .update()
        .increment(Doc::VIEWS, 1)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((d3.views, d3.version), (2, 3));
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn update_key_without_a_version_only_bumps_it(db: Dynamite) {
    doc(&db, "d1").await;
    let d = Doc::update_key("d1")
        .set(Doc::TITLE, "by key")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(d.version, 2);
    let err = Doc::update_key("missing")
        .set(Doc::TITLE, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn the_version_cannot_be_set_by_hand(db: Dynamite) {
    doc(&db, "d1").await;
    db.metrics().reset();
    let err = Doc::update_key("d1")
        .set(Doc::VERSION, 10u64)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_updatable(), "{err:?}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn delete_requires_the_version_and_missing_rows_stay_not_found(db: Dynamite) {
    let old = doc(&db, "d1").await;
    let fresh = old.update().set(Doc::TITLE, "x").exec(&db).await.unwrap();
    let err = old.delete(&db).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(Doc::get(&db, "d1").await.unwrap().is_some());
    fresh.delete(&db).await.unwrap();
    assert!(Doc::get(&db, "d1").await.unwrap().is_none());
    let err = fresh.delete(&db).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = fresh.clone().save(&db).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn delete_many_by_key_is_refused_on_a_versioned_model(db: Dynamite) {
    doc(&db, "d1").await;
    db.metrics().reset();
    let err = Doc::delete_many(&db, ["d1"]).await.unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert!(Doc::get(&db, "d1").await.unwrap().is_some());
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn delete_rows_many_checks_each_version_with_conditional_deletes(db: Dynamite) {
    let mut rows = Vec::new();
    for i in 0..5 {
        rows.push(doc(&db, &format!("d{i}")).await);
    }
    // d0 changes behind our back: its row in hand is stale.
    rows[0]
        .update()
        .set(Doc::TITLE, "moved")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let err = Doc::delete_rows_many(&db, &rows).await.unwrap_err();
    match &err {
        Error::Batch { failed, causes, .. } => {
            assert_eq!(failed.len(), 1);
            assert!(causes[0].is_conflict(), "{err}");
            assert_eq!(err.kind(), dynamite::ErrorKind::Conflict);
            assert_eq!(
                dynamite::model::string_attribute(&failed[0], "id"),
                Some("d0")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.metrics().count("BatchWriteItem"), 0);
    assert_eq!(db.metrics().count("DeleteItem"), 5);
    let left: Vec<Doc> = Doc::query().all(&db).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].title, "moved");
    // Rows already gone are not an error.
    Doc::delete_rows_many(&db, &rows[1..]).await.unwrap();
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn transactions_carry_the_version_condition(db: Dynamite) {
    let old = doc(&db, "d1").await;
    let other = doc(&db, "d2").await;
    let fresh = old.update().set(Doc::TITLE, "x").exec(&db).await.unwrap();

    let mut tx = db.transaction();
    tx.update(old.update().set(Doc::TITLE, "stale"));
    tx.update(other.update().set(Doc::TITLE, "ok"));
    let err = tx.commit().await.unwrap_err();
    assert!(
        matches!(&err, Error::TransactionCanceled { reasons, .. }
            if reasons[0].is_version_conflict() && reasons[1].is_none()),
        "{err:?}"
    );
    assert_eq!(stored(&db, "d2").await.title, "draft");

    let mut tx = db.transaction();
    tx.delete(&old);
    let err = tx.commit().await.unwrap_err();
    assert!(
        err.cancellation_reasons()[0].is_version_conflict(),
        "{err:?}"
    );
    assert!(Doc::get(&db, "d1").await.unwrap().is_some());

    let mut tx = db.transaction();
    tx.update(fresh.update().set(Doc::TITLE, "y"));
    tx.delete(&other);
    tx.commit().await.unwrap();
    let s = stored(&db, "d1").await;
    assert_eq!((s.title.as_str(), s.version), ("y", 3));
    assert!(Doc::get(&db, "d2").await.unwrap().is_none());
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn a_versioned_soft_deleted_model_checks_both(db: Dynamite) {
    let t = Ticket::create()
        .id("t1")
        .status("open")
        .exec(&db)
        .await
        .unwrap();
    let t2 = t
        .update()
        .set(Ticket::STATUS, "closed")
        .exec(&db)
        .await
        .unwrap();
    let err = t.delete(&db).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    t2.delete(&db).await.unwrap();
    assert!(Ticket::get(&db, "t1").await.unwrap().is_none());
    let gone = Ticket::query()
        .only_deleted()
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.version, 3);
    // Soft-deleted rows are NotFound to ordinary writes.
    let err = gone
        .update()
        .set(Ticket::STATUS, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let back = gone.restore(&db).await.unwrap();
    assert_eq!((back.deleted_at, back.version), (None, 4));
    // delete_many on a versioned model is refused even with soft delete.
    assert!(Ticket::delete_many(&db, ["t1"]).await.is_err());
}
