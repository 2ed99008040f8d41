//! Single-table design, first part (issue "Single-table design with
//! relations"): key templates, typed keys made of the template fields,
//! several models in one table, reads pinned to a partition by the fields a
//! filter names, and entity isolation of every read and write.

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder, Error};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "st_shop", pk = "USER#{id}", sk = "PROFILE")]
struct Member {
    id: String,
    name: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    purchases: HasMany<Purchase>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "st_shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
#[dynamite(index(name = "gsi1", pk = "ORDER#{id}", sk = "ORDER"))]
struct Purchase {
    id: String,
    user_id: String,
    status: String,
    total: u32,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "st_shop", pk = "USER#{user_id}", sk = "ITEM#{order_id}#{seq}")]
struct Line {
    user_id: String,
    order_id: String,
    seq: u16,
    sku: String,
}

/// Keys render exactly like `Purchase`'s: only the entity type tells them apart.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(
    table = "st_shop",
    pk = "USER#{user_id}",
    sk = "ORDER#{id}",
    entity = "Note"
)]
#[dynamite(index(name = "gsi2", pk = "TAG#{tag}", sk = "NOTE#{id}"))]
struct Note {
    id: String,
    user_id: String,
    text: String,
    tag: Option<String>,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Member>()
        .table::<Purchase>()
        .table::<Line>()
        .table::<Note>()
}

/// Members u1 and u2, each with orders o0 (open), o1 and o2 (paid) of
/// lines 2, 10 and 1.
async fn shop(db: &Dynamite) {
    for user in ["u1", "u2"] {
        Member::create()
            .id(user)
            .name(user.to_uppercase())
            .exec(db)
            .await
            .unwrap();
        for (i, status) in ["open", "paid", "paid"].iter().enumerate() {
            let order = format!("o{i}");
            Purchase::create()
                .id(order.as_str())
                .user_id(user)
                .status(*status)
                .total(10 * (i as u32 + 1))
                .exec(db)
                .await
                .unwrap();
            for seq in [2_u16, 10, 1] {
                Line::create()
                    .user_id(user)
                    .order_id(order.as_str())
                    .seq(seq)
                    .sku(format!("sku-{seq}"))
                    .exec(db)
                    .await
                    .unwrap();
            }
        }
    }
}

#[tokio::test]
async fn the_four_models_sync_as_one_shared_table() {
    let db = register(crate::common::builder()).build().await.unwrap();
    let report = db.sync().await.unwrap();
    assert_eq!(report.changes.len(), 1, "one shared table: {report:?}");
}

#[tokio::test]
async fn items_carry_rendered_keys_and_the_entity_type() {
    let order = Purchase {
        id: "o1".into(),
        user_id: "u1".into(),
        status: "open".into(),
        total: 5,
    };
    let item = order.to_item().unwrap();
    assert_eq!(item["pk"], AttributeValue::S("USER#u1".into()));
    assert_eq!(item["sk"], AttributeValue::S("ORDER#o1".into()));
    assert_eq!(item["entity"], AttributeValue::S("Purchase".into()));
    assert_eq!(
        item["user_id"],
        AttributeValue::S("u1".into()),
        "fields stay"
    );
    assert_eq!(Purchase::from_item(item).unwrap(), order);
    // The key lists each template field once, in order of first appearance.
    let key: (String, String) = order.key();
    assert_eq!(key, ("u1".to_owned(), "o1".to_owned()));
    let line = Line {
        user_id: "u1".into(),
        order_id: "o1".into(),
        seq: 7,
        sku: "s".into(),
    };
    assert_eq!(
        line.to_item().unwrap()["sk"],
        AttributeValue::S("ITEM#o1#00007".into()),
        "integers fixed width"
    );
    assert_eq!(
        Note::key_item(&("u1".into(), "o1".into())).unwrap(),
        Purchase::key_item(&key).unwrap()
    );
}

#[dynamite::test(registry = register, fixture = shop)]
async fn reads_by_key_and_by_partition_see_only_their_model(db: Dynamite) {
    let order = Purchase::get(&db, ("u1", "o1")).await.unwrap().unwrap();
    assert_eq!(order.status, "paid");
    assert_eq!(db.metrics().count("GetItem"), 1);
    assert!(Member::get(&db, "u1").await.unwrap().is_some());

    // A filter on the partition's fields reads the partition by key, and
    // only this model's items come back.
    db.metrics().reset();
    let orders = Purchase::query()
        .filter(Purchase::USER_ID.eq("u1"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        orders.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        ["o0", "o1", "o2"]
    );
    assert_eq!(db.metrics().count("Query"), 1);
    assert_eq!(db.metrics().data_plane_requests(), 1);
    let plan = Purchase::query()
        .filter(Purchase::USER_ID.eq("u1"))
        .explain(&db)
        .to_string();
    assert!(plan.contains("pk = \"USER#u1\""), "{plan}");
    assert!(plan.contains("begins_with(sk, \"ORDER#\")"), "{plan}");

    // Pinned sort fields narrow the key condition; numbers sort numerically.
    let lines = Line::query()
        .filter(Line::USER_ID.eq("u2").and(Line::ORDER_ID.eq("o1")))
        .order(Desc)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(lines.iter().map(|l| l.seq).collect::<Vec<_>>(), [10, 2, 1]);
    // Every field of the key pinned: one GetItem.
    db.metrics().reset();
    let one = Line::query()
        .filter(
            Line::USER_ID
                .eq("u2")
                .and(Line::ORDER_ID.eq("o1"))
                .and(Line::SEQ.eq(10_u16)),
        )
        .all(&db)
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(db.metrics().count("GetItem"), 1);

    // A Scan of the shared table keeps this model's items only.
    let members = Member::query().all(&db).await.unwrap();
    assert_eq!(members.len(), 2);
    let paid = Purchase::query()
        .filter(Purchase::STATUS.eq("paid"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(paid, 4);
    assert_eq!(Line::query().count(&db).await.unwrap(), 18);
}

#[dynamite::test(registry = register, fixture = shop)]
async fn a_model_whose_key_renders_the_same_never_reads_updates_or_deletes_another(db: Dynamite) {
    // Note ("u1", "o1") renders the key of Purchase ("u1", "o1").
    assert!(Note::get(&db, ("u1", "o1")).await.unwrap().is_none());
    assert!(
        Note::get_many(&db, [("u1", "o1")])
            .await
            .unwrap()
            .is_empty()
    );
    let err = Note::create()
        .id("o1")
        .user_id("u1")
        .text("x")
        .tag(None)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err}");
    let err = Note::update_key(("u1", "o1"))
        .set(Note::TEXT, "overwritten")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = Note::delete_key(&db, ("u1", "o1")).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    Note::delete_many(&db, [("u1", "o1"), ("u1", "o2")])
        .await
        .unwrap();
    // put_many overwrites its own model's items only: the key holding a
    // purchase is reported, the free key is written.
    let note = |id: &str, text: &str| Note {
        id: id.into(),
        user_id: "u1".into(),
        text: text.into(),
        tag: None,
    };
    let err = Note::put_many(&db, [note("o1", "blind"), note("n7", "free")])
        .await
        .unwrap_err();
    match &err {
        Error::Batch {
            existing, failed, ..
        } => {
            assert_eq!(existing.len(), 1, "{err}");
            assert!(failed.is_empty(), "{err}");
        }
        other => panic!("{other}"),
    }
    Note::put_many(&db, [note("n7", "again")]).await.unwrap();
    assert_eq!(
        Note::get(&db, ("u1", "n7")).await.unwrap().unwrap().text,
        "again"
    );
    Note::delete_key(&db, ("u1", "n7")).await.unwrap();
    assert!(
        Note::query()
            .filter(Note::USER_ID.eq("u1"))
            .all(&db)
            .await
            .unwrap()
            .is_empty()
    );
    // The purchases are untouched.
    let order = Purchase::get(&db, ("u1", "o1")).await.unwrap().unwrap();
    assert_eq!(order.status, "paid");
    assert!(Purchase::get(&db, ("u1", "o2")).await.unwrap().is_some());
}

#[dynamite::test(registry = register, fixture = shop)]
async fn writes_render_keys_and_refuse_what_would_corrupt_them(db: Dynamite) {
    let mut order = Purchase::get(&db, ("u2", "o0")).await.unwrap().unwrap();
    order.status = "shipped".into();
    order.save(&db).await.unwrap();
    let updated = order
        .update()
        .set(Purchase::TOTAL, 99_u32)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.total, 99);
    assert_eq!(updated.status, "shipped");
    // A key field names the item: it cannot be set.
    let err = order
        .update()
        .set(Purchase::ID, "elsewhere")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(err.is_not_updatable(), "{err}");
    // Values that would make keys ambiguous are refused before sending.
    db.metrics().reset();
    let err = Purchase::create()
        .id("a#b")
        .user_id("u1")
        .status("open")
        .total(1)
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { .. }), "{err}");
    let err = Purchase::get(&db, ("u1", "")).await.unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // Deletes by key remove this model's item only.
    order.delete(&db).await.unwrap();
    assert!(Purchase::get(&db, ("u2", "o0")).await.unwrap().is_none());
    assert_eq!(
        Line::query()
            .filter(Line::USER_ID.eq("u2"))
            .count(&db)
            .await
            .unwrap(),
        9
    );
}

#[tokio::test]
async fn models_with_their_own_table_cannot_share_one() {
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "st_shop")]
    struct Loner {
        #[dynamite(primary_key)]
        id: String,
    }
    let err = crate::common::builder()
        .table::<Member>()
        .table::<Loner>()
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_rel", pk = "USER#{id}", sk = "PROFILE")]
struct Owner {
    id: String,
    name: String,
    #[dynamite(has_many(foreign_key = "owner_id"))]
    pets: HasMany<Pet>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_rel", pk = "USER#{owner_id}", sk = "PET#{id}")]
struct Pet {
    id: String,
    owner_id: String,
    kind: String,
    #[dynamite(belongs_to(foreign_key = "owner_id"))]
    owner: BelongsTo<Owner>,
    #[dynamite(has_many(foreign_key = ["owner_id", "pet_id"]))]
    toys: HasMany<Toy>,
}

/// In its owner's partition, under its pet: `TOY#<pet>#<id>`.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_rel", pk = "USER#{owner_id}", sk = "TOY#{pet_id}#{id}")]
struct Toy {
    id: String,
    owner_id: String,
    pet_id: String,
}

#[tokio::test]
async fn relations_between_shared_table_models_load_their_rows_only() {
    let db = crate::common::builder()
        .table::<Owner>()
        .table::<Pet>()
        .table::<Toy>()
        .build()
        .await
        .unwrap();
    let report = db.sync().await.unwrap();
    assert_eq!(
        report
            .changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [format!(
            "create table {}",
            db.registry().table_name::<Owner>().unwrap()
        )],
        "a child read by partition needs no foreign-key GSI"
    );
    for owner in ["a", "b"] {
        Owner::create()
            .id(owner)
            .name(owner)
            .exec(&db)
            .await
            .unwrap();
        for pet in ["p1", "p2"] {
            Pet::create()
                .id(pet)
                .owner_id(owner)
                .kind("cat")
                .exec(&db)
                .await
                .unwrap();
            for toy in ["ball", "mouse"] {
                Toy::create()
                    .id(toy)
                    .owner_id(owner)
                    .pet_id(pet)
                    .exec(&db)
                    .await
                    .unwrap();
            }
        }
    }
    db.metrics().reset();
    let owners = Owner::query()
        .include(Owner::pets())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(owners.len(), 2);
    // One Scan, then each owner's partition (a collection): no GSI.
    assert_eq!(db.metrics().count("Scan"), 1);
    assert_eq!(db.metrics().count("Query"), 2);
    let plan = Owner::query()
        .filter(Owner::NAME.eq("a"))
        .include(Owner::pets().order(Desc).limit(1))
        .explain(&db)
        .to_string();
    assert!(
        plan.contains("partition of <each parent's id> key begins_with(sk, \"PET#\")"),
        "{plan}"
    );
    db.metrics().reset();
    let first = Owner::query()
        .filter(Owner::ID.eq("a"))
        .include(Owner::pets().order(Desc).limit(1))
        .all(&db)
        .await
        .unwrap();
    let ids = |o: &Owner| o.pets.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first[0]), ["p2"]);
    // The owner's row and its pets share a partition: ONE Query reads both.
    assert_eq!(db.metrics().data_plane_requests(), 1);
    let fused = Owner::query()
        .filter(Owner::ID.eq("a"))
        .include(Owner::pets())
        .explain(&db)
        .to_string();
    assert!(
        fused.contains("BETWEEN \"PET#\" AND \"PROFILE\""),
        "{fused}"
    );
    assert!(fused.contains("the row and `pets` in one Query"), "{fused}");
    db.metrics().reset();
    let one = Owner::query()
        .filter(Owner::ID.eq("b"))
        .include(Owner::pets().filter(Pet::ID.eq("p1")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, "b");
    assert_eq!(ids(&one[0]), ["p1"]);
    assert_eq!(db.metrics().data_plane_requests(), 1);
    let none = Owner::query()
        .filter(Owner::ID.eq("zzz"))
        .include(Owner::pets())
        .all(&db)
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(owners.iter().all(|o| o.pets.len() == 2), "{owners:?}");
    assert!(
        owners
            .iter()
            .all(|o| o.pets.iter().all(|p| p.owner_id == o.id))
    );
    let pets = Pet::query()
        .filter(Pet::OWNER_ID.eq("a"))
        .include(Pet::owner())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(pets.len(), 2);
    assert!(
        pets.iter()
            .all(|p| p.owner.as_ref().is_some_and(|o| o.id == "a")),
        "{pets:?}"
    );
    // Owner, pets and the pets' toys: all in the owner's partition, ONE Query.
    db.metrics().reset();
    let graph = Owner::query()
        .filter(Owner::ID.eq("a"))
        .include(Owner::pets().include(Pet::toys()))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().data_plane_requests(), 1);
    assert_eq!(graph[0].pets.len(), 2);
    for pet in graph[0].pets.iter() {
        let toys: Vec<(&str, &str)> = pet
            .toys
            .iter()
            .map(|t| (t.pet_id.as_str(), t.id.as_str()))
            .collect();
        assert_eq!(
            toys,
            [(pet.id.as_str(), "ball"), (pet.id.as_str(), "mouse")]
        );
    }
    let plan = Owner::query()
        .filter(Owner::ID.eq("a"))
        .include(Owner::pets().include(Pet::toys()))
        .explain(&db)
        .to_string();
    assert!(plan.contains("`toys` (when in this partition)"), "{plan}");
    // Without the owner's row pinned, toys come by their pets' partitions.
    let pets = Pet::query()
        .filter(Pet::OWNER_ID.eq("b"))
        .include(Pet::toys())
        .all(&db)
        .await
        .unwrap();
    assert!(
        pets.iter()
            .all(|p| p.toys.len() == 2 && p.toys.iter().all(|t| t.pet_id == p.id))
    );
    let lazy = Owner::pets().of_key("b").all(&db).await.unwrap();
    assert_eq!(lazy.len(), 2);
}

/// `explain()` showed the model's literal prefix (`TOY#`) while each Query
/// sent the prefix rendered with the parent's fields (`TOY#<pet>#`): both
/// now come from the same template and bound fields.
#[dynamite::test(models(Owner, Pet, Toy))]
async fn regression_explain_shows_the_sort_prefix_each_collection_query_sends(db: Dynamite) {
    let plan = Pet::query()
        .filter(Pet::OWNER_ID.eq("b"))
        .include(Pet::toys())
        .explain(&db)
        .to_string();
    assert!(
        plan.contains("key begins_with(sk, \"TOY#<pet_id>#\")"),
        "{plan}"
    );
}

#[dynamite::test(registry = register, fixture = shop)]
async fn overloaded_gsis_are_rendered_sparse_and_read_by_their_template_fields(db: Dynamite) {
    let plan = Purchase::query()
        .filter(Purchase::ID.eq("o1"))
        .explain(&db)
        .to_string();
    assert!(plan.contains("index gsi1"), "{plan}");
    assert!(plan.contains("gsi1pk = \"ORDER#o1\""), "{plan}");
    let orders = Purchase::query()
        .filter(Purchase::ID.eq("o1"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(orders.len(), 2, "order o1 of each user");
    assert_eq!(db.metrics().count("Query"), 1);
    let item = orders[0].to_item().unwrap();
    assert_eq!(item["gsi1pk"], AttributeValue::S("ORDER#o1".into()));
    assert_eq!(item["gsi1sk"], AttributeValue::S("ORDER".into()));
    // A note without a tag is not in gsi2; one with a tag is.
    for (id, tag) in [("n1", Some("red")), ("n2", None), ("n3", Some("red"))] {
        Note::create()
            .id(id)
            .user_id("u9")
            .text("t")
            .tag(tag.map(String::from))
            .exec(&db)
            .await
            .unwrap();
    }
    let untagged = Note::get(&db, ("u9", "n2")).await.unwrap().unwrap();
    assert!(!untagged.to_item().unwrap().contains_key("gsi2pk"));
    let red = Note::query()
        .filter(Note::TAG.eq("red"))
        .order(Desc)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        red.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        ["n3", "n1"]
    );
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_orders", pk = "USER#{user_id}", sk = "ORDER#{id}")]
#[dynamite(index(name = "gsi1", pk = "ORDER#{id}", sk = "ORDER"))]
struct Basket {
    id: String,
    user_id: String,
    #[dynamite(has_many(foreign_key = "basket_id"))]
    entries: HasMany<Entry>,
    /// The same rows through a composite foreign key: the basket's own
    /// partition, narrowed to `ENTRY#<basket>#`.
    #[dynamite(has_many(foreign_key = ["user_id", "basket_id"]))]
    lines: HasMany<Entry>,
}

/// Lives in its user's partition; its basket is found through gsi1.
#[derive(Table, Debug, Clone)]
#[dynamite(
    table = "st_orders",
    pk = "USER#{user_id}",
    sk = "ENTRY#{basket_id}#{id}"
)]
struct Entry {
    id: String,
    user_id: String,
    basket_id: String,
    #[dynamite(belongs_to(foreign_key = "basket_id"))]
    basket: BelongsTo<Basket>,
    #[dynamite(belongs_to(foreign_key = ["user_id", "basket_id"]))]
    basket_by_key: BelongsTo<Basket>,
}

#[dynamite::test(models(Basket, Entry))]
async fn a_single_foreign_key_joins_the_parents_own_id_through_its_gsi(db: Dynamite) {
    for (user, basket) in [("u1", "b1"), ("u1", "b2"), ("u2", "b3")] {
        Basket::create()
            .id(basket)
            .user_id(user)
            .exec(&db)
            .await
            .unwrap();
        for entry in ["e1", "e2"] {
            Entry::create()
                .id(entry)
                .user_id(user)
                .basket_id(basket)
                .exec(&db)
                .await
                .unwrap();
        }
    }
    // belongs_to by the basket's own id: one Query of gsi1 per basket.
    db.metrics().reset();
    let entries = Entry::query()
        .filter(Entry::USER_ID.eq("u1"))
        .include(Entry::basket())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 4);
    assert!(
        entries
            .iter()
            .all(|e| e.basket.as_ref().is_some_and(|b| b.id == e.basket_id)),
        "{entries:?}"
    );
    assert_eq!(
        db.metrics().count("Query"),
        3,
        "the entries, then b1 and b2"
    );
    // has_many on a foreign key that is not the partition: a GSI on it.
    let baskets = Basket::query()
        .filter(Basket::USER_ID.eq("u1"))
        .include(Basket::entries())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        baskets.iter().map(|b| b.entries.len()).collect::<Vec<_>>(),
        [2, 2]
    );
    assert!(
        baskets
            .iter()
            .all(|b| b.entries.iter().all(|e| e.basket_id == b.id))
    );
}

/// Versioned, soft-deletable, timestamped: every kind of write on a
/// shared-table model.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "st_writes", pk = "ACCOUNT#{account}", sk = "DOC#{id}")]
struct Doc {
    account: String,
    id: u32,
    title: String,
    views: i64,
    #[dynamite(version)]
    version: u64,
    #[dynamite(deleted_at)]
    deleted_at: Option<String>,
    #[dynamite(updated_at)]
    updated_at: String,
}

/// Another model of the same table whose keys render like `Doc`'s.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(
    table = "st_writes",
    pk = "ACCOUNT#{account}",
    sk = "DOC#{id}",
    entity = "Draft"
)]
struct Draft {
    account: String,
    id: u32,
    title: String,
}

#[dynamite::test(models(Doc, Draft))]
async fn every_write_works_on_shared_table_models_and_touches_only_their_items(db: Dynamite) {
    // create_many, and a draft at a key no doc uses.
    let docs: Vec<_> = (1..=4)
        .map(|id| {
            Doc::create()
                .account("a")
                .id(id)
                .title(format!("doc {id}"))
                .views(0)
        })
        .collect();
    Doc::create_many(&db, docs).await.unwrap();
    Draft::create()
        .account("a")
        .id(9)
        .title("draft")
        .exec(&db)
        .await
        .unwrap();
    // A draft at a doc's key is refused: that item exists.
    let err = Draft::create_many(&db, [Draft::create().account("a").id(1).title("x")])
        .await
        .unwrap_err();
    assert!(matches!(err, dynamite::Error::Batch { .. }), "{err}");

    // save (versioned), update, increment.
    let mut doc = Doc::get(&db, ("a", 1)).await.unwrap().unwrap();
    let created = doc.version;
    doc.title = "first".into();
    doc.save(&db).await.unwrap();
    assert_eq!(doc.version, created + 1);
    let mut stale = doc.clone();
    let doc = doc
        .update()
        .increment(Doc::VIEWS, 5)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!((doc.views, doc.version), (5, created + 2));
    stale.title = "stale".into();
    assert!(stale.save(&db).await.unwrap_err().is_conflict());

    // A transaction: update one, delete another, check a third.
    let mut tx = db.transaction();
    tx.update(Doc::update_key(("a", 2)).set(Doc::TITLE, "second"));
    tx.delete_key::<Doc>(("a", 3));
    tx.condition_check::<Doc>(("a", 4), Doc::VIEWS.eq(0));
    tx.commit().await.unwrap();
    assert_eq!(
        Doc::get(&db, ("a", 2)).await.unwrap().unwrap().title,
        "second"
    );
    // Soft-deleted: hidden, restorable.
    assert!(Doc::get(&db, ("a", 3)).await.unwrap().is_none());
    let deleted = Doc::query()
        .filter(Doc::ACCOUNT.eq("a"))
        .only_deleted()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(deleted.len(), 1);
    let restored = deleted[0].restore(&db).await.unwrap();
    assert_eq!(restored.id, 3);
    assert!(restored.deleted_at.is_none());

    // A transaction touching the draft's key as a doc fails as a whole.
    let mut tx = db.transaction();
    tx.update(Doc::update_key(("a", 2)).set(Doc::TITLE, "never"));
    tx.update(Doc::update_key(("a", 9)).set(Doc::TITLE, "not a doc"));
    assert!(tx.commit().await.is_err());
    assert_eq!(
        Doc::get(&db, ("a", 2)).await.unwrap().unwrap().title,
        "second"
    );

    // Set-based writes select and write docs only.
    let updated = Doc::update_where(Doc::ACCOUNT.eq("a"))
        .set(Doc::TITLE, "bulk")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated, 4);
    let draft = Draft::get(&db, ("a", 9)).await.unwrap().unwrap();
    assert_eq!(draft.title, "draft");
    let removed = Doc::delete_where(Doc::ID.gt(2_u32))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(removed, 2);
    assert_eq!(
        Doc::query()
            .filter(Doc::ACCOUNT.eq("a"))
            .count(&db)
            .await
            .unwrap(),
        2
    );
    assert!(Draft::get(&db, ("a", 9)).await.unwrap().is_some());
    // Hard deletes and bulk deletes.
    let doc = Doc::get(&db, ("a", 1)).await.unwrap().unwrap();
    doc.force_delete(&db).await.unwrap();
    Doc::delete_rows_many(&db, &Doc::query().all(&db).await.unwrap())
        .await
        .unwrap();
    assert_eq!(Doc::query().count(&db).await.unwrap(), 0);
    assert_eq!(Draft::query().count(&db).await.unwrap(), 1);
}

#[dynamite::test(models(Basket, Entry))]
async fn composite_foreign_keys_read_the_partition_and_the_key_field_by_field(db: Dynamite) {
    for (user, basket) in [("u1", "b1"), ("u1", "b2"), ("u2", "b1")] {
        Basket::create()
            .id(basket)
            .user_id(user)
            .exec(&db)
            .await
            .unwrap();
        for entry in ["e1", "e2", "e3"] {
            Entry::create()
                .id(entry)
                .user_id(user)
                .basket_id(basket)
                .exec(&db)
                .await
                .unwrap();
        }
    }
    // Two users each have a basket "b1": the composite key tells them apart.
    db.metrics().reset();
    let baskets = Basket::query()
        .filter(Basket::USER_ID.eq("u1"))
        .include(Basket::lines().limit(2))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(baskets.len(), 2);
    for basket in &baskets {
        assert_eq!(basket.lines.len(), 2);
        assert!(
            basket
                .lines
                .iter()
                .all(|e| e.user_id == "u1" && e.basket_id == basket.id)
        );
    }
    // One Query of the baskets, then one of each basket's own entries.
    assert_eq!(db.metrics().count("Query"), 3);
    let plan = Basket::query()
        .filter(Basket::USER_ID.eq("u1"))
        .include(Basket::lines())
        .explain(&db)
        .to_string();
    assert!(
        plan.contains("partition of <each parent's user_id>"),
        "{plan}"
    );
    // belongs_to through the composite key: one BatchGetItem of rendered keys.
    db.metrics().reset();
    let entries = Entry::query()
        .filter(Entry::USER_ID.eq("u2"))
        .include(Entry::basket_by_key())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| {
        e.basket_by_key
            .as_ref()
            .is_some_and(|b| b.user_id == "u2" && b.id == "b1")
    }));
    assert_eq!(db.metrics().count("BatchGetItem"), 1);
    // attach sets every field of the key.
    let parent = Basket::get(&db, ("u2", "b1")).await.unwrap().unwrap();
    let attached = Basket::lines()
        .attach(
            &db,
            &parent,
            Entry::create().id("e9").user_id("x").basket_id("x"),
        )
        .await
        .unwrap();
    assert_eq!(
        (attached.user_id.as_str(), attached.basket_id.as_str()),
        ("u2", "b1")
    );
}

#[derive(dynamite::Entities, Debug)]
enum MemberItem {
    Member(Member),
    Purchase(Purchase),
    Line(Line),
}

#[dynamite::test(registry = register, fixture = shop)]
async fn a_whole_partition_reads_typed_in_one_query(db: Dynamite) {
    use dynamite::Partition;
    Note::create()
        .id("n1")
        .user_id("u1")
        .text("not listed")
        .tag(None)
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let items = Partition::<MemberItem>::of::<Member>("u1")
        .consistent()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().data_plane_requests(), 1);
    let (mut members, mut purchases, mut lines) = (0, 0, 0);
    for item in &items {
        match item {
            MemberItem::Member(m) => {
                assert_eq!(m.id, "u1");
                members += 1;
            }
            MemberItem::Purchase(p) => {
                assert_eq!(p.user_id, "u1");
                purchases += 1;
            }
            MemberItem::Line(l) => {
                assert_eq!(l.user_id, "u1");
                lines += 1;
            }
        }
    }
    // The note is in the partition but not in the enum: left out.
    assert_eq!((members, purchases, lines), (1, 3, 9));
    // Sort-key order: ITEM# < ORDER# < PROFILE.
    assert!(matches!(items.first(), Some(MemberItem::Line(_))));
    assert!(matches!(items.last(), Some(MemberItem::Member(_))));
    assert!(
        Partition::<MemberItem>::of::<Member>("nobody")
            .all(&db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_sync", pk = "A#{id}", sk = "A")]
#[dynamite(index(name = "gsi1", pk = "X#{id}"))]
struct SyncA {
    id: String,
}

/// Declares gsi1 with a sort key: not the same index as `SyncA`'s.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_sync", pk = "B#{id}", sk = "B")]
#[dynamite(index(name = "gsi1", pk = "Y#{id}", sk = "Y"))]
struct SyncB {
    id: String,
}

/// Adds a GSI of its own to the shared table.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_sync", pk = "C#{id}", sk = "C")]
#[dynamite(index(name = "gsi9", pk = "Z#{id}"))]
struct SyncC {
    id: String,
}

#[tokio::test]
async fn sync_refuses_conflicting_gsis_before_creating_and_adds_a_new_one() {
    let db = crate::common::builder()
        .table::<SyncA>()
        .table::<SyncB>()
        .build()
        .await
        .unwrap();
    let err = db.sync_plan().await.unwrap_err();
    assert!(err.is_schema(), "{err}");
    let err = db.sync().await.unwrap_err();
    assert!(err.is_schema(), "{err}");
    let table = db.registry().table_name::<SyncA>().unwrap();
    assert!(
        !db.client()
            .list_tables()
            .send()
            .await
            .unwrap()
            .table_names()
            .contains(&table),
        "nothing was created"
    );
    // A: the table with gsi1; then C needs gsi9 on the same table.
    let a = crate::common::builder()
        .table::<SyncA>()
        .build()
        .await
        .unwrap();
    a.sync().await.unwrap();
    let both = crate::common::builder()
        .table::<SyncA>()
        .table::<SyncC>()
        .same_backend_as(&a)
        .table_prefix(a.table_prefix())
        .build()
        .await
        .unwrap();
    let plan = both.sync_plan().await.unwrap();
    let changes: Vec<String> = plan.changes.iter().map(ToString::to_string).collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].starts_with("create index gsi9"), "{changes:?}");
    both.sync().await.unwrap();
    SyncC::create().id("c1").exec(&both).await.unwrap();
    let found = SyncC::query()
        .filter(SyncC::ID.eq("c1"))
        .all(&both)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}

#[dynamite::test(registry = register, fixture = shop)]
async fn adversarial_key_values_stay_in_their_own_item(db: Dynamite) {
    // Another model's literal prefix, its entity name, unicode: stored and
    // read back as themselves, never as the other model's item.
    for id in ["PROFILE", "ORDER", "Member", "Purchase", "ü-ß-東京", " "] {
        Purchase::create()
            .id(id)
            .user_id("u1")
            .status("open")
            .total(1)
            .exec(&db)
            .await
            .unwrap();
        let back = Purchase::get(&db, ("u1", id)).await.unwrap().unwrap();
        assert_eq!(back.id, id);
    }
    // The member row of u1 is untouched and still one.
    let members = Member::query()
        .filter(Member::ID.eq("u1"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].name, "U1");
    let orders = Purchase::query()
        .filter(Purchase::USER_ID.eq("u1"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(orders, 3 + 6);
    // A user id that is another user's id plus a separator is refused.
    let err = Member::create()
        .id("u1#x")
        .name("x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, dynamite::Error::InvalidValue { .. }), "{err}");
    let err = Purchase::query()
        .filter(Purchase::USER_ID.eq("u1#ORDER"))
        .all(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, dynamite::Error::InvalidValue { .. }), "{err}");
}

#[dynamite::test(registry = register, fixture = shop)]
async fn updating_a_gsi_template_field_re_renders_the_index_keys(db: Dynamite) {
    Note::create()
        .id("g1")
        .user_id("u5")
        .text("t")
        .tag(Some("red".to_owned()))
        .exec(&db)
        .await
        .unwrap();
    let by_tag = |tag: &'static str| {
        let db = db.clone();
        async move {
            Note::query()
                .filter(Note::TAG.eq(tag))
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|n| n.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(by_tag("red").await, ["g1"]);
    // row.update(): the index follows the field.
    let note = Note::get(&db, ("u5", "g1")).await.unwrap().unwrap();
    let note = note
        .update()
        .set(Note::TAG, "blue")
        .exec(&db)
        .await
        .unwrap();
    assert!(by_tag("red").await.is_empty());
    assert_eq!(by_tag("blue").await, ["g1"]);
    // save(): the same.
    let mut note = note;
    note.tag = Some("green".into());
    note.save(&db).await.unwrap();
    assert!(by_tag("blue").await.is_empty());
    assert_eq!(by_tag("green").await, ["g1"]);
    // None: out of the sparse index.
    let note = note.update().set(Note::TAG, None).exec(&db).await.unwrap();
    assert!(by_tag("green").await.is_empty());
    let item = note.to_item().unwrap();
    assert!(!item.contains_key("gsi2pk"));
    // By key alone: the row is read first (one GetItem), the key rendered
    // from it, and the write conditioned on the fields it read.
    db.metrics().reset();
    Note::update_key(("u5", "g1"))
        .set(Note::TAG, "x")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(db.metrics().count("GetItem"), 1);
    assert_eq!(by_tag("x").await, ["g1"]);
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_dupes", pk = "K#{id}", sk = "K", entity = "X")]
struct DupeA {
    id: String,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_dupes", pk = "L#{id}", sk = "L", entity = "Y")]
struct DupeB {
    id: String,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_dupes", pk = "M#{id}", sk = "M", entity = "X")]
struct DupeC {
    id: String,
}

#[tokio::test]
async fn an_entity_type_used_twice_in_a_table_is_refused_whatever_the_order() {
    let err = crate::common::builder()
        .table::<DupeA>()
        .table::<DupeB>()
        .table::<DupeC>()
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[dynamite::test(registry = register, fixture = shop)]
async fn a_fused_root_read_keeps_offset_and_empty_limit(db: Dynamite) {
    let none = Member::query()
        .filter(Member::ID.eq("u1"))
        .offset(1)
        .include(Member::purchases())
        .all(&db)
        .await
        .unwrap();
    assert!(none.is_empty());
    let one = Member::query()
        .filter(Member::ID.eq("u1"))
        .include(Member::purchases())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].purchases.len(), 3);
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_loose", pk = "USER#{user_id}", sk = "ORDER#{id}")]
struct LooseOrder {
    id: String,
    user_id: String,
    #[dynamite(has_many(foreign_key = ["user_id", "order_id"]))]
    lines: HasMany<LooseLine>,
}

/// Its sort key does not lead with `order_id`: a Query of its user's
/// partition cannot tell one order's lines from another's.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "st_loose", pk = "USER#{user_id}", sk = "LINE#{id}")]
struct LooseLine {
    id: String,
    user_id: String,
    order_id: String,
}

#[tokio::test]
async fn a_composite_key_that_cannot_narrow_the_read_is_refused() {
    let err = crate::common::builder()
        .table::<LooseOrder>()
        .table::<LooseLine>()
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

/// `pk` and `sk` may name the same field: the key lists it once.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "st_same", pk = "TAG#{name}", sk = "TAG#{name}")]
struct Tag {
    name: String,
    uses: u32,
}

#[dynamite::test(models(Tag))]
async fn a_field_in_both_templates_is_one_key_part(db: Dynamite) {
    let tag = Tag::create().name("rust").uses(3).exec(&db).await.unwrap();
    let key: String = tag.key();
    assert_eq!(key, "rust");
    let item = tag.to_item().unwrap();
    assert_eq!(item["pk"], AttributeValue::S("TAG#rust".into()));
    assert_eq!(item["sk"], AttributeValue::S("TAG#rust".into()));
    assert_eq!(Tag::get(&db, "rust").await.unwrap(), Some(tag));
    db.metrics().reset();
    let found = Tag::query()
        .filter(Tag::NAME.eq("rust"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(db.metrics().count("GetItem"), 1, "every key field pinned");
}

#[dynamite::test(registry = register, fixture = shop)]
async fn pages_streams_and_counts_of_a_shared_table_see_one_model(db: Dynamite) {
    use futures::TryStreamExt;
    // 9 lines in u1's partition, between its orders and its profile.
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let page = Line::query()
            .filter(Line::USER_ID.eq("u1"))
            .limit(4)
            .page(&db, cursor.as_ref())
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|l| (l.order_id.clone(), l.seq)));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "key order, no repeats");
    sorted.dedup();
    assert_eq!(sorted.len(), 9);
    let streamed: Vec<Line> = Line::query()
        .filter(Line::USER_ID.eq("u2"))
        .stream(&db)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 9);
    assert_eq!(Member::query().count(&db).await.unwrap(), 2);
    assert_eq!(
        Purchase::query()
            .filter(Purchase::USER_ID.eq("u2"))
            .count(&db)
            .await
            .unwrap(),
        3
    );
}

#[dynamite::test(registry = register, fixture = shop)]
async fn a_key_of_three_fields_reads_and_writes_by_key(db: Dynamite) {
    let key: (String, String, u16) = ("u2".into(), "o1".into(), 10);
    let line = Line::get(&db, ("u2", "o1", 10)).await.unwrap().unwrap();
    assert_eq!(line.key(), key);
    let updated = Line::update_key(&key)
        .set(Line::SKU, "renamed")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.sku, "renamed");
    Line::delete_key(&db, ("u2", "o1", 10)).await.unwrap();
    assert!(Line::get(&db, key).await.unwrap().is_none());
}
