//! Soft delete: `#[dynamite(deleted_at)]`.

use std::time::Duration;

use dynamite::prelude::*;
use futures::TryStreamExt;

use crate::safety_models::{Author, Post};

async fn seed(db: &Dynamite) {
    for a in ["a1", "a2"] {
        Author::create()
            .id(a)
            .name(a.to_uppercase())
            .exec(db)
            .await
            .unwrap();
    }
    for i in 0..4 {
        Post::create()
            .id(format!("p{i}"))
            .author_id(if i < 3 { "a1" } else { "a2" })
            .title(format!("post {i}"))
            .exec(db)
            .await
            .unwrap();
    }
}

async fn stored_with_deleted(db: &Dynamite, id: &str) -> Post {
    Post::query()
        .filter(Post::ID.eq(id))
        .with_deleted()
        .first(db)
        .await
        .unwrap()
        .expect("the item is still stored")
}

// Regression: the TypeScript library's defect 12.
#[dynamite::test(registry = crate::safety_models::register)]
async fn save_and_soft_delete_refresh_updated_at(db: Dynamite) {
    seed(&db).await;
    let mut p = Post::get(&db, "p0").await.unwrap().unwrap();
    let created = p.updated_at.clone();
    tokio::time::sleep(Duration::from_millis(5)).await;
    p.title = "saved".into();
    p.save(&db).await.unwrap();
    let saved = Post::get(&db, "p0").await.unwrap().unwrap();
    assert!(saved.updated_at > created, "save refreshes updated_at");
    assert_eq!(saved.created_at, created);
    tokio::time::sleep(Duration::from_millis(5)).await;
    db.metrics().reset();
    saved.delete(&db).await.unwrap();
    assert_eq!(db.metrics().count("UpdateItem"), 1);
    assert_eq!(db.metrics().count("DeleteItem"), 0);
    let deleted = stored_with_deleted(&db, "p0").await;
    assert!(deleted.deleted_at.is_some());
    assert!(
        deleted.updated_at > saved.updated_at,
        "soft delete refreshes updated_at"
    );
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn reads_skip_soft_deleted_rows_by_default(db: Dynamite) {
    seed(&db).await;
    Post::delete_key(&db, "p1").await.unwrap();
    assert!(Post::get(&db, "p1").await.unwrap().is_none());
    let many = Post::get_many(&db, ["p0", "p1", "p2"]).await.unwrap();
    assert_eq!(
        many.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["p0", "p2"]
    );

    let by_author = || Post::query().filter(Post::AUTHOR_ID.eq("a1"));
    assert_eq!(by_author().all(&db).await.unwrap().len(), 2);
    assert_eq!(by_author().count(&db).await.unwrap(), 2);
    assert_eq!(Post::query().count(&db).await.unwrap(), 3);
    assert_eq!(Post::query().all(&db).await.unwrap().len(), 3);
    let page = by_author().page(&db, None).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let streamed: Vec<Post> = Post::query().stream(&db).try_collect().await.unwrap();
    assert_eq!(streamed.len(), 3);
    assert!(
        Post::query()
            .filter(Post::ID.eq("p1"))
            .first(&db)
            .await
            .unwrap()
            .is_none()
    );

    assert_eq!(by_author().with_deleted().all(&db).await.unwrap().len(), 3);
    assert_eq!(Post::query().with_deleted().count(&db).await.unwrap(), 4);
    let only: Vec<Post> = Post::query().only_deleted().all(&db).await.unwrap();
    assert_eq!(
        only.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["p1"]
    );
    assert_eq!(Post::query().only_deleted().count(&db).await.unwrap(), 1);
    let projected = Post::query()
        .filter(Post::ID.eq("p1"))
        .attributes(Post::TITLE)
        .all(&db)
        .await
        .unwrap();
    assert!(projected.is_empty());
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn includes_skip_soft_deleted_rows_at_every_level(db: Dynamite) {
    seed(&db).await;
    Post::delete_key(&db, "p0").await.unwrap();
    Author::delete_key(&db, "a2").await.unwrap();
    let authors = Author::query()
        .with_deleted()
        .include(Author::posts())
        .all(&db)
        .await
        .unwrap();
    let mut counts: Vec<(String, usize)> = authors
        .iter()
        .map(|a| (a.id.clone(), a.posts.len()))
        .collect();
    counts.sort();
    assert_eq!(counts, [("a1".to_string(), 2), ("a2".to_string(), 1)]);

    let posts = Post::query()
        .include(Post::author())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(posts.len(), 3);
    for p in &posts {
        assert!(p.author.is_loaded());
        match p.author_id.as_str() {
            "a1" => assert_eq!(p.author.as_ref().map(|a| a.name.as_str()), Some("A1")),
            _ => assert!(p.author.is_none(), "a deleted parent is not attached"),
        }
    }
    // Nested: author -> posts -> author.
    let nested = Author::query()
        .filter(Author::ID.eq("a1"))
        .include(Author::posts().include(Post::author()))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nested.posts.len(), 2);
    assert!(nested.posts.iter().all(|p| p.author.is_some()));
    // The deleted author itself is hidden from a plain query.
    assert!(Author::get(&db, "a2").await.unwrap().is_none());
    assert_eq!(Author::query().all(&db).await.unwrap().len(), 1);
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn restore_and_force_delete(db: Dynamite) {
    seed(&db).await;
    let p = Post::get(&db, "p0").await.unwrap().unwrap();
    p.delete(&db).await.unwrap();
    // Deleting it again, or writing to it, is NotFound.
    assert!(p.delete(&db).await.unwrap_err().is_not_found());
    let err = p
        .update()
        .set(Post::TITLE, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(p.clone().save(&db).await.unwrap_err().is_not_found());

    let back = p.restore(&db).await.unwrap();
    assert!(back.deleted_at.is_none());
    assert!(back.updated_at > p.updated_at);
    assert!(Post::get(&db, "p0").await.unwrap().is_some());

    p.delete(&db).await.unwrap();
    p.force_delete(&db).await.unwrap();
    assert!(
        Post::query()
            .with_deleted()
            .filter(Post::ID.eq("p0"))
            .first(&db)
            .await
            .unwrap()
            .is_none()
    );
    Post::force_delete_key(&db, "p1").await.unwrap();
    assert!(
        Post::query()
            .with_deleted()
            .filter(Post::ID.eq("p1"))
            .first(&db)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        Post::force_delete_key(&db, "p1")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        Post::delete_key(&db, "nope")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn restore_needs_a_soft_delete_model_and_an_existing_row(db: Dynamite) {
    seed(&db).await;
    let mut p = Post::get(&db, "p0").await.unwrap().unwrap();
    p.id = "missing".into();
    assert!(p.restore(&db).await.unwrap_err().is_not_found());
    let doc = crate::safety_models::Doc::create()
        .id("d")
        .title("t")
        .views(0)
        .build();
    assert!(doc.restore(&db).await.unwrap_err().is_unsupported());
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn delete_many_soft_deletes_with_conditional_writes(db: Dynamite) {
    seed(&db).await;
    db.metrics().reset();
    Post::delete_many(&db, ["p0", "p1", "gone"]).await.unwrap();
    assert_eq!(db.metrics().count("BatchWriteItem"), 0);
    assert_eq!(db.metrics().count("UpdateItem"), 3);
    assert_eq!(Post::query().count(&db).await.unwrap(), 2);
    assert_eq!(Post::query().only_deleted().count(&db).await.unwrap(), 2);
}

#[dynamite::test(registry = crate::safety_models::register)]
async fn transactions_and_set_based_deletes_are_soft(db: Dynamite) {
    seed(&db).await;
    let p = Post::get(&db, "p0").await.unwrap().unwrap();
    let mut tx = db.transaction();
    tx.delete(&p);
    tx.delete_key::<Post>("p1");
    tx.commit().await.unwrap();
    assert_eq!(Post::query().only_deleted().count(&db).await.unwrap(), 2);
    let n = Post::delete_where(Post::AUTHOR_ID.eq("a2"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(Post::query().count(&db).await.unwrap(), 1);
    assert_eq!(Post::query().with_deleted().count(&db).await.unwrap(), 4);
    let mut read = db.transact_get();
    read.get::<Post>("p0").get::<Post>("p2");
    let rows = read.send().await.unwrap();
    assert!(rows.get::<Post>(0).unwrap().is_none());
    assert!(rows.get::<Post>(1).unwrap().is_some());
}
