use std::collections::HashSet;

use dynamite::Cursor;
use dynamite::prelude::*;
use futures::TryStreamExt;

use crate::models::{Event, Product, User, product};

async fn seed_users(db: &Dynamite, n: usize) -> Vec<User> {
    let users: Vec<User> = (0..n)
        .map(|i| {
            User::create()
                .id(format!("u{i:04}"))
                .name(format!("user {i}"))
                .email(format!("u{i}@x.io"))
                .role(if i % 2 == 0 { "premium" } else { "customer" })
                .age(Some(20 + (i % 50) as u32))
                .build()
        })
        .collect();
    User::put_many(db, users.clone()).await.unwrap();
    db.metrics().reset();
    users
}

async fn seed_events(db: &Dynamite, stream: &str, n: i64) {
    let events = (1..=n).map(|seq| {
        Event::create()
            .stream(stream)
            .seq(seq)
            .kind(if seq % 3 == 0 { "special" } else { "plain" })
            .build()
    });
    Event::put_many(db, events).await.unwrap();
    db.metrics().reset();
}

#[dynamite::test(registry = crate::models::register)]
async fn full_key_eq_plans_a_get_item(db: Dynamite) {
    seed_users(&db, 3).await;
    let q = User::query().filter(User::ID.eq("u0001"));
    assert!(
        q.explain(&db)
            .root()
            .replace(db.table_prefix(), "")
            .starts_with("GetItem users key {id: \"u0001\"}"),
        "{}",
        q.explain(&db)
    );
    let u = q.first(&db).await.unwrap().unwrap();
    assert_eq!(u.name, "user 1");
    assert_eq!(db.metrics().count("GetItem"), 1);
    assert_eq!(db.metrics().count("Scan"), 0);
    assert_eq!(db.metrics().data_plane_requests(), 1);
}

#[dynamite::test(registry = crate::models::register)]
async fn a_filter_on_a_get_is_applied_to_the_item(db: Dynamite) {
    seed_users(&db, 3).await;
    let hit = User::query()
        .filter(User::ID.eq("u0000").and(User::ROLE.eq("premium")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(hit.len(), 1);
    let miss = User::query()
        .filter(User::ID.eq("u0000").and(User::ROLE.eq("customer")))
        .all(&db)
        .await
        .unwrap();
    assert!(miss.is_empty());
}

#[dynamite::test(registry = crate::models::register)]
async fn is_in_on_the_key_is_batch_get_of_100_keys_a_call(db: Dynamite) {
    seed_users(&db, 260).await;
    let ids: Vec<String> = (0..250).map(|i| format!("u{i:04}")).collect();
    let q = User::query().filter(User::ID.is_in(ids.clone()));
    assert!(
        q.explain(&db)
            .root()
            .replace(db.table_prefix(), "")
            .starts_with("BatchGetItem users 250 key(s) in 3 call(s)"),
        "{}",
        q.explain(&db)
    );
    let users = q.all(&db).await.unwrap();
    assert_eq!(users.len(), 250);
    assert_eq!(
        users.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        ids,
        "input order kept"
    );
    assert_eq!(db.metrics().count("BatchGetItem"), 3);
    assert_eq!(db.metrics().data_plane_requests(), 3);
}

#[dynamite::test(registry = crate::models::register)]
async fn get_many_keeps_input_order_and_skips_missing_keys(db: Dynamite) {
    seed_users(&db, 5).await;
    let users = User::get_many(&db, ["u0003", "missing", "u0001", "u0003"])
        .await
        .unwrap();
    let ids: Vec<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u0003", "u0001", "u0003"]);
    assert_eq!(db.metrics().count("BatchGetItem"), 1);
}

#[dynamite::test(registry = crate::models::register)]
async fn partition_key_eq_is_a_query_with_sort_key_conditions(db: Dynamite) {
    seed_events(&db, "s1", 30).await;
    seed_events(&db, "s2", 5).await;
    let q = Event::query().filter(Event::STREAM.eq("s1").and(Event::SEQ.between(10, 19)));
    assert_eq!(
        q.explain(&db).root().replace(db.table_prefix(), ""),
        "Query events key (stream = \"s1\" AND seq BETWEEN 10 AND 19)"
    );
    let events = q.all(&db).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (10..=19).collect::<Vec<_>>()
    );
    assert_eq!(db.metrics().count("Query"), 1);

    let gt = Event::query()
        .filter(Event::STREAM.eq("s1") & Event::SEQ.gt(27))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(gt.len(), 3);
    let desc = Event::query()
        .filter(Event::STREAM.eq("s1"))
        .order(Desc)
        .limit(3)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        desc.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![30, 29, 28]
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn first_and_last_read_one_item_on_a_query(db: Dynamite) {
    seed_events(&db, "s1", 40).await;
    let first = Event::query()
        .filter(Event::STREAM.eq("s1"))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let last = Event::query()
        .filter(Event::STREAM.eq("s1"))
        .last(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.seq, last.seq), (1, 40));
    assert_eq!(db.metrics().count("Query"), 2);
    assert_eq!(db.metrics().count("Scan"), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn limit_with_a_filter_pages_until_enough_and_no_further(db: Dynamite) {
    seed_events(&db, "s1", 60).await;
    let q = Event::query()
        .filter(Event::STREAM.eq("s1").and(Event::KIND.eq("special")))
        .limit(5);
    assert_eq!(
        q.explain(&db).root().replace(db.table_prefix(), ""),
        "Query events key stream = \"s1\" filter kind = \"special\" limit 5"
    );
    let specials = q.all(&db).await.unwrap();
    assert_eq!(
        specials.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 6, 9, 12, 15]
    );
    assert_eq!(db.metrics().count("Query"), 1, "one page holds them all");
}

#[dynamite::test(registry = crate::models::register)]
async fn indexed_attribute_is_a_gsi_query(db: Dynamite) {
    seed_users(&db, 10).await;
    let q = User::query().filter(User::EMAIL.eq("u7@x.io"));
    assert_eq!(
        q.explain(&db).root().replace(db.table_prefix(), ""),
        "Query users index email_index key email = \"u7@x.io\""
    );
    let u = q.first(&db).await.unwrap().unwrap();
    assert_eq!(u.id, "u0007");
    assert_eq!(db.metrics().count("Query"), 1);
    assert_eq!(db.metrics().count("Scan"), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn index_with_a_sort_key_orders_and_ranges_natively(db: Dynamite) {
    let prices = [5.0, 50.0, 20.0, 10.0, 99.5];
    let rows: Vec<Product> = prices.iter().map(|p| product("p", "gadgets", *p)).collect();
    Product::put_many(&db, rows).await.unwrap();
    Product::put_many(&db, [product("other", "books", 1.0)])
        .await
        .unwrap();
    db.metrics().reset();
    let q = Product::query()
        .filter(Product::CATEGORY.eq("gadgets").and(Product::PRICE.ge(10.0)))
        .order_by(Product::PRICE, Desc);
    assert_eq!(
        q.explain(&db).root().replace(db.table_prefix(), ""),
        "Query products index by_category key (category = \"gadgets\" AND price >= 10) order desc"
    );
    let got: Vec<f64> = q.all(&db).await.unwrap().iter().map(|p| p.price).collect();
    assert_eq!(got, vec![99.5, 50.0, 20.0, 10.0]);
    assert_eq!(db.metrics().count("Query"), 1);
}

#[dynamite::test(registry = crate::models::register)]
async fn is_in_on_an_indexed_attribute_queries_each_value(db: Dynamite) {
    seed_users(&db, 10).await;
    let q = User::query().filter(User::EMAIL.is_in(["u1@x.io", "u2@x.io", "nobody@x.io"]));
    assert!(
        q.explain(&db)
            .root()
            .replace(db.table_prefix(), "")
            .replace(db.table_prefix(), "")
            .contains("index email_index x3"),
        "{}",
        q.explain(&db)
    );
    let mut ids: Vec<String> = q
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["u0001", "u0002"]);
    assert_eq!(db.metrics().count("Query"), 3);
}

#[dynamite::test(registry = crate::models::register)]
async fn other_filters_scan_with_a_filter_expression(db: Dynamite) {
    seed_users(&db, 20).await;
    let q = User::query().filter(User::ROLE.eq("premium").and(User::AGE.lt(30)));
    assert_eq!(
        q.explain(&db).root().replace(db.table_prefix(), ""),
        "Scan users filter (role = \"premium\" AND age < 30)"
    );
    let users = q.all(&db).await.unwrap();
    assert!(!users.is_empty());
    assert!(
        users
            .iter()
            .all(|u| u.role == "premium" && u.age.unwrap() < 30)
    );
    assert_eq!(users.len(), 5);
    assert_eq!(db.metrics().count("Scan"), 1);
}

#[dynamite::test(registry = crate::models::register)]
async fn every_operator_filters_as_documented(db: Dynamite) {
    seed_users(&db, 20).await;
    let count = |c: Condition<User>| {
        let db = db.clone();
        async move { User::query().filter(c).count(&db).await.unwrap() }
    };
    assert_eq!(count(User::AGE.eq(25)).await, 1);
    assert_eq!(count(User::AGE.ne(25)).await, 19);
    assert_eq!(count(User::AGE.le(25)).await, 6);
    assert_eq!(count(User::AGE.gt(25)).await, 14);
    assert_eq!(count(User::AGE.ge(25)).await, 15);
    assert_eq!(count(User::AGE.between(22, 24)).await, 3);
    assert_eq!(count(User::NAME.begins_with("user 1")).await, 11);
    assert_eq!(count(User::EMAIL.contains("9@")).await, 2);
    assert_eq!(count(User::ROLE.is_in(["premium", "admin"])).await, 10);
    assert_eq!(count(User::AGE.exists()).await, 20);
    assert_eq!(count(User::AGE.not_exists()).await, 0);
    assert_eq!(count(User::AGE.is_some()).await, 20);
    assert_eq!(count(User::AGE.is_none()).await, 0);
    assert_eq!(count(User::NAME.size().eq(6)).await, 10);
    assert_eq!(count(User::AGE.lt(22).or(User::AGE.gt(37))).await, 4);
    assert_eq!(count(User::ROLE.eq("premium").not()).await, 10);
    assert_eq!(
        count(!(User::ROLE.eq("premium") | User::AGE.eq(21))).await,
        9
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn is_none_matches_missing_attributes(db: Dynamite) {
    User::create()
        .id("a")
        .name("A")
        .email("a@x.io")
        .exec(&db)
        .await
        .unwrap();
    User::create()
        .id("b")
        .name("B")
        .email("b@x.io")
        .age(Some(3))
        .exec(&db)
        .await
        .unwrap();
    let none = User::query()
        .filter(User::AGE.is_none())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        none.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["a"]
    );
    let some = User::query()
        .filter(User::AGE.is_some())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        some.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["b"]
    );
}

#[dynamite::test(registry = crate::models::register)]
async fn order_by_a_non_key_attribute_sorts_in_memory_and_says_so(db: Dynamite) {
    seed_users(&db, 12).await;
    let q = User::query()
        .filter(User::ROLE.eq("premium"))
        .order_by(User::AGE, Desc)
        .limit(3);
    assert!(
        q.explain(&db)
            .root()
            .replace(db.table_prefix(), "")
            .contains("then sort in memory by age desc"),
        "{}",
        q.explain(&db)
    );
    let ages: Vec<u32> = q
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|u| u.age.unwrap())
        .collect();
    assert_eq!(ages, vec![30, 28, 26]);
}

#[dynamite::test(registry = crate::models::register)]
async fn scan_with_limit_stops_reading_once_satisfied(db: Dynamite) {
    seed_users(&db, 50).await;
    let users = User::query().limit(7).all(&db).await.unwrap();
    assert_eq!(users.len(), 7);
    assert_eq!(db.metrics().count("Scan"), 1);
    let one = User::query().first(&db).await.unwrap();
    assert!(one.is_some());
    assert_eq!(db.metrics().count("Scan"), 2);
}

#[dynamite::test(registry = crate::models::register)]
async fn pages_with_a_filter_never_skip_or_repeat_rows(db: Dynamite) {
    seed_users(&db, 45).await;
    let expected = User::query()
        .filter(User::ROLE.eq("premium"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(expected, 23);
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = User::query()
            .filter(User::ROLE.eq("premium"))
            .limit(4)
            .page(&db, cursor.as_ref())
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= 4);
        seen.extend(page.items.into_iter().map(|u| u.id));
        match page.next {
            Some(c) => cursor = Some(Cursor::parse(c.as_str().to_owned())),
            None => break,
        }
        assert!(pages < 20, "runaway pagination");
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row repeated");
    assert_eq!(seen.len(), expected, "no row skipped");
}

#[dynamite::test(registry = crate::models::register)]
async fn query_pages_resume_after_the_last_row(db: Dynamite) {
    seed_events(&db, "s1", 25).await;
    let mut cursor = None;
    let mut seqs = Vec::new();
    loop {
        let page = Event::query()
            .filter(Event::STREAM.eq("s1"))
            .order(Desc)
            .limit(10)
            .page(&db, cursor.as_ref())
            .await
            .unwrap();
        seqs.extend(page.items.iter().map(|e| e.seq));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seqs, (1..=25).rev().collect::<Vec<_>>());
}

#[dynamite::test(registry = crate::models::register)]
async fn a_cursor_from_another_query_is_rejected(db: Dynamite) {
    seed_events(&db, "s1", 5).await;
    seed_users(&db, 5).await;
    let page = User::query().limit(2).page(&db, None).await.unwrap();
    let cursor = page.next.unwrap();
    let err = Event::query()
        .filter(Event::STREAM.eq("s1"))
        .page(&db, Some(&cursor))
        .await
        .unwrap_err();
    assert!(err.is_invalid_cursor(), "{err}");
}

#[dynamite::test(registry = crate::models::register)]
async fn stream_yields_every_row_across_pages(db: Dynamite) {
    seed_events(&db, "s1", 30).await;
    let seqs: Vec<i64> = Event::query()
        .filter(Event::STREAM.eq("s1"))
        .stream(&db)
        .map_ok(|e| e.seq)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>());
    let limited: Vec<Event> = Event::query()
        .filter(Event::STREAM.eq("s1"))
        .limit(4)
        .stream(&db)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(limited.len(), 4);
}

#[dynamite::test(registry = crate::models::register)]
async fn count_uses_select_count(db: Dynamite) {
    seed_events(&db, "s1", 30).await;
    let n = Event::query()
        .filter(Event::STREAM.eq("s1").and(Event::KIND.eq("special")))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(n, 10);
    assert_eq!(User::query().count(&db).await.unwrap(), 0);
}

#[dynamite::test(registry = crate::models::register)]
async fn projections_fetch_only_the_listed_attributes_and_cannot_be_written(db: Dynamite) {
    seed_users(&db, 3).await;
    let rows = User::query()
        .filter(User::ID.eq("u0002"))
        .attributes((User::NAME, User::AGE))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.get(User::NAME).unwrap(), "user 2");
    assert_eq!(row.get(User::AGE).unwrap(), Some(22));
    assert_eq!(
        row.get(User::ID).unwrap(),
        "u0002",
        "keys are always fetched"
    );
    assert!(
        row.get(User::EMAIL).is_err(),
        "unfetched attributes are not data"
    );
    assert!(!row.item().contains_key("email"));
    // Projected rows have no save(): the row stays whole.
    let full = User::get(&db, "u0002").await.unwrap().unwrap();
    assert_eq!(full.email, "u2@x.io");
}

#[dynamite::test(registry = crate::models::register)]
async fn explain_sends_nothing(db: Dynamite) {
    let _ = User::query().filter(User::ROLE.eq("x")).explain(&db);
    let _ = User::query().filter(User::ID.eq("x")).explain(&db);
    assert_eq!(db.metrics().data_plane_requests(), 0);
}
