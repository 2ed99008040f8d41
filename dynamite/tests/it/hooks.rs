//! Hooks: `#[dynamite(hooks)]` + `impl Hooks`.

use dynamite::prelude::*;

use crate::safety_models::{Audited, Plain, hook_calls};

#[dynamite::test(registry = crate::safety_models::register)]
async fn hooks_run_around_single_writes(db: Dynamite) {
    let mut row = Audited::create()
        .id("h1-a")
        .text("hi")
        .exec(&db)
        .await
        .unwrap();
    row.text = "there".into();
    row.save(&db).await.unwrap();
    row.update()
        .set(Audited::TEXT, "again")
        .exec(&db)
        .await
        .unwrap();
    row.delete(&db).await.unwrap();
    assert_eq!(
        hook_calls("h1-"),
        [
            "before_create h1-a",
            "after_create h1-a",
            "before_update h1-a",
            "after_update h1-a",
            "before_update h1-a",
            "after_update h1-a",
            "before_delete h1-a",
            "after_delete h1-a",
        ]
    );
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn a_before_hook_error_vetoes_the_write(db: Dynamite) {
    db.metrics().reset();
    let err = Audited::create()
        .id("h2-a")
        .text("veto")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("vetoed"), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert!(Audited::get(&db, "h2-a").await.unwrap().is_none());

    let mut row = Audited::create()
        .id("h2-b")
        .text("ok")
        .exec(&db)
        .await
        .unwrap();
    row.text = "veto".into();
    db.metrics().reset();
    assert!(row.save(&db).await.is_err());
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert_eq!(Audited::get(&db, "h2-b").await.unwrap().unwrap().text, "ok");

    let keep = Audited::create()
        .id("h2-keep")
        .text("x")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    assert!(keep.delete(&db).await.is_err());
    assert!(Audited::delete_key(&db, "h2-keep").await.is_err());
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert!(Audited::get(&db, "h2-keep").await.unwrap().is_some());
    // After-hooks did not run for the vetoed writes.
    assert!(!hook_calls("h2-").iter().any(|c| c == "after_create h2-a"));
    assert!(
        !hook_calls("h2-")
            .iter()
            .any(|c| c.starts_with("after_delete"))
    );
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn in_a_transaction_after_hooks_run_only_after_the_commit(db: Dynamite) {
    Audited::create()
        .id("h3-old")
        .text("x")
        .exec(&db)
        .await
        .unwrap();
    // A failing transaction: the create of an existing key cancels it.
    let mut tx = db.transaction();
    tx.create(Audited::create().id("h3-new").text("x").build());
    tx.create(Audited::create().id("h3-old").text("x").build());
    assert!(tx.commit().await.is_err());
    let calls = hook_calls("h3-new");
    assert_eq!(
        calls,
        ["before_create h3-new"],
        "no after-hook for a cancelled commit"
    );

    let mut tx = db.transaction();
    tx.create(Audited::create().id("h3-new").text("x").build());
    tx.update(Audited::update_key("h3-old").set(Audited::TEXT, "y"));
    tx.commit().await.unwrap();
    let calls = hook_calls("h3-");
    assert!(
        calls.ends_with(&[
            "before_create h3-new".to_string(),
            "before_update h3-old".to_string(),
            "after_create h3-new".to_string(),
            "after_update h3-old".to_string(),
        ]),
        "{calls:?}"
    );

    // A vetoing before-hook stops the whole transaction, unsent.
    let mut tx = db.transaction();
    tx.create(Audited::create().id("h3-other").text("fine").build());
    tx.create(Audited::create().id("h3-veto").text("veto").build());
    db.metrics().reset();
    assert!(tx.commit().await.is_err());
    assert_eq!(db.metrics().data_plane_requests(), 0);
    assert!(Audited::get(&db, "h3-other").await.unwrap().is_none());
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn bulk_writes_run_no_hooks_and_models_without_the_attribute_run_none(db: Dynamite) {
    Audited::put_many(&db, [Audited::create().id("h4-a").text("veto").build()])
        .await
        .unwrap();
    Audited::create_many(&db, [Audited::create().id("h4-b").text("veto").build()])
        .await
        .unwrap();
    Audited::delete_many(&db, ["h4-a", "h4-b"]).await.unwrap();
    assert!(hook_calls("h4-").is_empty());
    // `Plain` has no `#[dynamite(hooks)]` and no `impl Hooks`.
    Plain::create()
        .id("h4-p")
        .text("veto")
        .exec(&db)
        .await
        .unwrap();
    assert!(hook_calls("h4-").is_empty());
}

#[dynamite::test(
    registry = crate::safety_models::register,
    flavor = "multi_thread",
    worker_threads = 2
)]
async fn writes_with_hooks_are_send_futures(db: Dynamite) {
    let db = std::sync::Arc::new(db);
    let handle = tokio::spawn({
        let db = db.clone();
        async move {
            let mut row = Audited::create().id("h5-a").text("x").exec(&db).await?;
            row.text = "y".into();
            row.save(&db).await?;
            row.delete(&db).await
        }
    });
    handle.await.unwrap().unwrap();
    assert_eq!(hook_calls("h5-").len(), 6);
}

/// Issue "Writes and keys that cannot lie", item 6: `row.update()` hands
/// the row to `before_update`, so a veto that inspects it holds.
#[dynamite::test(registry = crate::safety_models::register)]
async fn regression_row_update_passes_the_row_to_before_update(db: Dynamite) {
    Audited::create()
        .id("h9-a")
        .text("ok")
        .exec(&db)
        .await
        .unwrap();
    // By key the hook has no row, so it cannot veto on the text.
    Audited::update_key("h9-a")
        .set(Audited::TEXT, "veto")
        .exec(&db)
        .await
        .unwrap();
    let row = Audited::get(&db, "h9-a").await.unwrap().unwrap();
    db.metrics().reset();
    let err = row
        .update()
        .set(Audited::TEXT, "changed")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("vetoed"), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0, "nothing was sent");
    assert_eq!(
        Audited::get(&db, "h9-a").await.unwrap().unwrap().text,
        "veto"
    );
}

/// Item 6: `before_create(&mut self)` may fill a field, and what it sets
/// is what is stored, by `create` and in a transaction.
#[dynamite::test(registry = crate::safety_models::register)]
async fn regression_before_create_can_fill_a_field_that_is_stored(db: Dynamite) {
    let row = Audited::create()
        .id("h10-a")
        .text("slug me")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(row.text, "h10-a-slug");
    assert_eq!(
        Audited::get(&db, "h10-a").await.unwrap().unwrap().text,
        "h10-a-slug"
    );
    let mut tx = db.transaction();
    tx.create(Audited::create().id("h10-b").text("slug me").build());
    tx.commit().await.unwrap();
    assert_eq!(
        Audited::get(&db, "h10-b").await.unwrap().unwrap().text,
        "h10-b-slug"
    );
}

/// Item 6: `before_update` sees what the write changes, so it can veto by
/// field (here: the text of "-frozen" rows), for updates by key, by row,
/// `save`, and in a transaction.
#[dynamite::test(registry = crate::safety_models::register)]
async fn regression_before_update_sees_the_changes(db: Dynamite) {
    let mut row = Audited::create()
        .id("h11-frozen")
        .text("ice")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let by_key = Audited::update_key("h11-frozen")
        .set(Audited::TEXT, "water")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(by_key.to_string().contains("frozen"), "{by_key}");
    row.text = "steam".into();
    assert!(row.save(&db).await.is_err());
    let mut tx = db.transaction();
    tx.update(Audited::update_key("h11-frozen").set(Audited::TEXT, "x"));
    assert!(tx.commit().await.is_err());
    assert_eq!(db.metrics().data_plane_requests(), 0, "nothing was sent");
    assert_eq!(
        Audited::get(&db, "h11-frozen").await.unwrap().unwrap().text,
        "ice"
    );
}
