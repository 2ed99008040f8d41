//! One read engine: a named regression test for each class of defect of
//! the issue "Every filter, every plan, DynamoDB's answer". Each runs on
//! the embedded engine and on DynamoDB Local.

use dynamite::prelude::*;
use dynamite::{Cursor, Dynamite, DynamiteBuilder};

use crate::models::{Event, Product, User, product};
use crate::safety_models::{Author, Post};

/// An index whose sort key is optional: rows without it are not in it.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "re_tasks")]
pub struct Task {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index(name = "by_owner", sort_key = "due"))]
    pub owner: String,
    pub due: Option<i64>,
    pub note: Option<String>,
}

/// The suite's models, the safety models, and `Task`.
fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    crate::safety_models::register(crate::models::register(builder.table::<Task>()))
}

async fn events(db: &Dynamite, streams: &[&str], n: i64) {
    let rows: Vec<Event> = streams
        .iter()
        .flat_map(|s| {
            (0..n).map(move |seq| {
                Event::create()
                    .stream(*s)
                    .seq(seq)
                    .kind(if seq % 2 == 0 { "even" } else { "odd" })
                    .payload(if seq % 3 == 0 {
                        None
                    } else {
                        Some(format!("p{seq}"))
                    })
                    .build()
            })
        })
        .collect();
    Event::put_many(db, rows).await.unwrap();
    db.metrics().reset();
}

async fn users(db: &Dynamite, n: usize) {
    let rows: Vec<User> = (0..n)
        .map(|i| {
            User::create()
                .id(format!("u{i:04}"))
                .name(format!("user {i}"))
                .email(format!("u{i}@x.io"))
                .role(if i % 2 == 0 { "premium" } else { "customer" })
                .age(if i % 3 == 0 {
                    None
                } else {
                    Some(20 + i as u32)
                })
                .build()
        })
        .collect();
    User::put_many(db, rows).await.unwrap();
    db.metrics().reset();
}

fn seqs(rows: &[Event]) -> Vec<i64> {
    rows.iter().map(|e| e.seq).collect()
}

// Class 1: key attributes never reach a FilterExpression.

#[dynamite::test(registry = register)]
async fn regression_two_sort_key_bounds_query_with_one_and_filter_the_other_in_memory(
    db: Dynamite,
) {
    events(&db, &["s1", "s2"], 10).await;
    let q = Event::query().filter(
        Event::STREAM
            .eq("s1")
            .and(Event::SEQ.gt(1))
            .and(Event::SEQ.lt(5)),
    );
    let plan = q.explain(&db).root().replace(db.table_prefix(), "");
    assert_eq!(
        plan,
        "Query events key (stream = \"s1\" AND seq > 1) filter in memory seq < 5"
    );
    assert_eq!(seqs(&q.all(&db).await.unwrap()), vec![2, 3, 4]);
    assert_eq!(db.metrics().count("Query"), 1);
}

#[dynamite::test(registry = register)]
async fn regression_sort_key_in_ne_and_or_are_answered_not_rejected(db: Dynamite) {
    events(&db, &["s1", "s2"], 10).await;
    let q = |c| Event::query().filter(Event::STREAM.eq("s1").and(c));
    let got = q(Event::SEQ.is_in([3, 1, 3])).all(&db).await.unwrap();
    assert_eq!(
        seqs(&got),
        vec![3, 1],
        "key list: input order, deduplicated"
    );
    let got = q(Event::SEQ.ne(0).and(Event::KIND.eq("even")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(seqs(&got), vec![2, 4, 6, 8]);
    let got = q(Event::SEQ.lt(2).or(Event::SEQ.gt(7)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(seqs(&got), vec![0, 1, 8, 9]);
    let got = q(Event::SEQ.between(2, 6).and(Event::SEQ.ne(4)))
        .order(Desc)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(seqs(&got), vec![6, 5, 3, 2]);
}

#[dynamite::test(registry = register)]
async fn regression_index_key_conditions_on_a_gsi_query_are_residual(db: Dynamite) {
    let rows: Vec<Product> = [5.0, 10.0, 20.0, 50.0, 99.5]
        .iter()
        .map(|p| product("p", "gadgets", *p))
        .collect();
    Product::put_many(&db, rows).await.unwrap();
    let q = Product::query().filter(
        Product::CATEGORY
            .eq("gadgets")
            .and(Product::PRICE.ge(10.0))
            .and(Product::PRICE.ne(50.0)),
    );
    let text = q.explain(&db).root().replace(db.table_prefix(), "");
    assert!(
        text.contains("key (category = \"gadgets\" AND price >= 10)")
            && text.contains("filter in memory price <> 50"),
        "{text}"
    );
    let mut got: Vec<f64> = q.all(&db).await.unwrap().iter().map(|p| p.price).collect();
    got.sort_by(f64::total_cmp);
    assert_eq!(got, vec![10.0, 20.0, 99.5]);
}

#[dynamite::test(registry = crate::shop::register)]
async fn regression_include_filter_on_the_childs_id_when_the_index_sorts_by_id(db: Dynamite) {
    crate::shop::seed(&db, 4).await;
    let first = crate::shop::order_id(1);
    let users = crate::shop::User::query()
        .filter(crate::shop::User::ID.eq(crate::shop::user_id(0)))
        .include(
            crate::shop::User::orders().filter(
                crate::shop::Order::ID
                    .gt(first.clone())
                    .and(crate::shop::Order::ID.ne(crate::shop::order_id(3))),
            ),
        )
        .all(&db)
        .await
        .unwrap();
    let ids: Vec<&str> = users[0].orders.iter().map(|o| o.id.as_str()).collect();
    assert!(!ids.is_empty());
    assert!(
        ids.iter()
            .all(|id| *id > first.as_str() && *id != crate::shop::order_id(3)),
        "{ids:?}"
    );
}

// Class 2: the residual always sees the attributes it reads.

#[dynamite::test(registry = register)]
async fn regression_projected_get_with_another_condition_fetches_what_it_filters_on(db: Dynamite) {
    users(&db, 4).await;
    let rows = User::query()
        .filter(User::ID.eq("u0000").and(User::ROLE.eq("premium")))
        .attributes((User::NAME,))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get(User::NAME).unwrap(), "user 0");
    assert!(
        !rows[0].item().contains_key("role"),
        "attributes fetched only to filter are stripped"
    );
}

#[dynamite::test(registry = register)]
async fn regression_update_where_on_a_key_and_another_condition_writes_the_row(db: Dynamite) {
    users(&db, 4).await;
    let n = User::update_where(User::ID.eq("u0002").and(User::ROLE.eq("premium")))
        .set(User::NAME, "renamed")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        User::get(&db, "u0002").await.unwrap().unwrap().name,
        "renamed"
    );
    let n = User::delete_where(
        User::ID
            .is_in(["u0001", "u0002"])
            .and(User::ROLE.eq("customer")),
    )
    .exec(&db)
    .await
    .unwrap();
    assert_eq!(n, 1);
    assert!(User::get(&db, "u0001").await.unwrap().is_none());
}

#[dynamite::test(registry = register)]
async fn regression_projected_belongs_to_include_never_attaches_a_soft_deleted_parent(
    db: Dynamite,
) {
    Author::create()
        .id("a1")
        .name("Ann")
        .exec(&db)
        .await
        .unwrap();
    Post::create()
        .id("p1")
        .author_id("a1")
        .title("t")
        .exec(&db)
        .await
        .unwrap();
    Author::get(&db, "a1")
        .await
        .unwrap()
        .unwrap()
        .delete(&db)
        .await
        .unwrap();
    let posts = Post::query()
        .filter(Post::ID.eq("p1"))
        .include(Post::author().attributes((Author::NAME,)))
        .all(&db)
        .await
        .unwrap();
    assert!(posts[0].author.is_projected());
    assert!(
        matches!(posts[0].author.projected(), Some(None)),
        "a soft-deleted parent is not attached"
    );
}

// Class 3: in memory, DynamoDB's semantics.

#[dynamite::test(registry = register)]
async fn regression_ne_on_an_absent_attribute_is_true_on_every_plan(db: Dynamite) {
    users(&db, 6).await;
    // u0000 and u0003 have no age.
    let by_scan = User::query()
        .filter(User::AGE.ne(21u32))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(by_scan, 5);
    let by_get = User::query()
        .filter(User::ID.eq("u0000").and(User::AGE.ne(21u32)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(by_get.len(), 1, "GetItem plan agrees with the Scan");
    let by_batch = User::query()
        .filter(
            User::ID
                .is_in(["u0000", "u0001", "u0003"])
                .and(User::AGE.ne(21u32)),
        )
        .all(&db)
        .await
        .unwrap();
    let ids: Vec<&str> = by_batch.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u0000", "u0003"]);
}

// Class 4 and 5: is_in deduplicated; on a partition key, one Query per value.

#[dynamite::test(registry = register)]
async fn regression_repeated_is_in_values_on_an_index_read_each_row_once(db: Dynamite) {
    users(&db, 4).await;
    let q = User::query().filter(User::EMAIL.is_in(["u1@x.io", "u1@x.io", "u2@x.io"]));
    assert_eq!(q.clone().all(&db).await.unwrap().len(), 2);
    assert_eq!(q.count(&db).await.unwrap(), 2);
}

#[dynamite::test(registry = register)]
async fn regression_is_in_on_the_partition_key_of_a_composite_table_is_one_query_per_value(
    db: Dynamite,
) {
    events(&db, &["s1", "s2", "s3"], 5).await;
    let q = Event::query().filter(Event::STREAM.is_in(["s1", "s3", "s1"]));
    let text = q.explain(&db).root().replace(db.table_prefix(), "");
    assert!(text.starts_with("Query events x2"), "{text}");
    assert_eq!(q.clone().all(&db).await.unwrap().len(), 10);
    assert_eq!(db.metrics().count("Query"), 2);
    assert_eq!(db.metrics().count("Scan"), 0);
    // Ordered by the sort key across partitions, and paged exactly.
    let ordered = Event::query()
        .filter(Event::STREAM.is_in(["s1", "s3"]).and(Event::SEQ.ge(1)))
        .order(Desc);
    let all = ordered.clone().all(&db).await.unwrap();
    assert_eq!(seqs(&all), vec![4, 4, 3, 3, 2, 2, 1, 1]);
    let mut paged = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = ordered
            .clone()
            .limit(3)
            .page(&db, cursor.as_ref())
            .await
            .unwrap();
        paged.extend(page.items);
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(paged, all);
}

// Class 6: limit bounds the reading; includes run for the rows kept.

#[dynamite::test(registry = crate::shop::register)]
async fn regression_first_of_150_ids_with_an_include_reads_at_most_3_times(db: Dynamite) {
    use crate::shop::{User as ShopUser, user_id};
    crate::shop::seed(&db, 150).await;
    db.metrics().reset();
    let ids: Vec<String> = (0..150).map(user_id).collect();
    let first = ShopUser::query()
        .filter(ShopUser::ID.is_in(ids))
        .include(ShopUser::orders())
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, user_id(0));
    assert_eq!(first.orders.len(), 5);
    assert!(
        db.metrics().data_plane_requests() <= 3,
        "{} requests",
        db.metrics().data_plane_requests()
    );
}

// Class 7: cursors are bound to their query.

#[dynamite::test(registry = register)]
async fn regression_a_cursor_of_another_query_is_refused(db: Dynamite) {
    events(&db, &["s1"], 10).await;
    let a = Event::query().filter(Event::STREAM.eq("s1")).limit(3);
    let page = a.clone().page(&db, None).await.unwrap();
    let cursor = page.next.unwrap();
    let other = Event::query()
        .filter(Event::STREAM.eq("s1").and(Event::KIND.eq("odd")))
        .limit(3);
    let err = other.page(&db, Some(&cursor)).await.unwrap_err();
    assert!(err.is_invalid_cursor(), "{err}");
    let err = Event::query()
        .filter(Event::STREAM.eq("s1"))
        .order(Desc)
        .limit(3)
        .page(&db, Some(&cursor))
        .await
        .unwrap_err();
    assert!(err.is_invalid_cursor(), "{err}");
    // The same query with another page size accepts it.
    let next = a.limit(5).page(&db, Some(&cursor)).await.unwrap();
    assert_eq!(seqs(&next.items), vec![3, 4, 5, 6, 7]);
    for garbage in ["", "!!!", "eyJmIjoxfQ", "eyJmIjoiMCIsInAiOnsibyI6LTF9fQ"] {
        let err = Event::query()
            .filter(Event::STREAM.eq("s1"))
            .page(&db, Some(&Cursor::parse(garbage)))
            .await
            .unwrap_err();
        assert!(err.is_invalid_cursor(), "{garbage}: {err}");
    }
}

#[dynamite::test(registry = register)]
async fn regression_page_over_a_key_list_keeps_order_by(db: Dynamite) {
    users(&db, 8).await;
    let ids: Vec<String> = (0..8).map(|i| format!("u{i:04}")).collect();
    let q = User::query()
        .filter(User::ID.is_in(ids))
        .order_by(User::NAME, Desc)
        .limit(3);
    let mut names = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = q.clone().page(&db, cursor.as_ref()).await.unwrap();
        names.extend(page.items.into_iter().map(|u| u.name));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut expected: Vec<String> = (0..8).map(|i| format!("user {i}")).collect();
    expected.sort();
    expected.reverse();
    assert_eq!(names, expected);
}

// Class 8: a sparse index never drops rows.

#[dynamite::test(registry = register)]
async fn regression_sparse_index_is_only_used_when_the_filter_needs_its_sort_key(db: Dynamite) {
    let tasks = vec![
        Task::create().id("t1").owner("o").due(Some(5)).build(),
        Task::create().id("t2").owner("o").build(),
        Task::create().id("t3").owner("p").due(Some(1)).build(),
    ];
    Task::put_many(&db, tasks).await.unwrap();
    let mut ids: Vec<String> = Task::query()
        .filter(Task::OWNER.eq("o"))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["t1", "t2"], "the row without `due` is not dropped");
    let q = Task::query().filter(Task::OWNER.eq("o").and(Task::DUE.gt(0)));
    assert!(q.explain(&db).root().contains("index by_owner"));
    assert_eq!(q.all(&db).await.unwrap().len(), 1);
}

// Class 9: consistent reads are never silently weakened.

#[dynamite::test(registry = register)]
async fn regression_consistent_read_on_an_index_is_a_typed_error(db: Dynamite) {
    users(&db, 2).await;
    let err = User::query()
        .filter(User::EMAIL.eq("u1@x.io"))
        .consistent()
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_consistent_index_read(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    let by_key = User::query()
        .filter(User::ID.eq("u0001"))
        .consistent()
        .first(&db)
        .await
        .unwrap();
    assert!(by_key.is_some());
}

// Class 11: no read for an empty is_in; ordered paging and offset.

#[dynamite::test(registry = register)]
async fn regression_empty_is_in_reads_nothing(db: Dynamite) {
    users(&db, 3).await;
    let rows = User::query()
        .filter(User::ROLE.is_in(Vec::<String>::new()))
        .all(&db)
        .await
        .unwrap();
    assert!(rows.is_empty());
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = register)]
async fn regression_in_memory_order_pages_exactly_and_offset_skips(db: Dynamite) {
    users(&db, 10).await;
    let q = User::query()
        .filter(User::ROLE.eq("premium").or(User::ROLE.eq("customer")))
        .order_by(User::AGE, Desc);
    let all = q.clone().all(&db).await.unwrap();
    assert_eq!(all.len(), 10);
    let mut paged = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = q.clone().limit(4).page(&db, cursor.as_ref()).await.unwrap();
        paged.extend(page.items);
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let skipped = q.clone().offset(3).limit(2).all(&db).await.unwrap();
    assert_eq!(skipped, all[3..5].to_vec());
}

// Class 10: one child Scan or one Query per parent, by cost.

async fn authors_with_posts(db: &Dynamite, authors: usize) {
    for a in 0..authors {
        Author::create()
            .id(format!("a{a:03}"))
            .name(format!("author {a}"))
            .exec(db)
            .await
            .unwrap();
    }
    let posts: Vec<Post> = (0..authors * 2)
        .map(|p| {
            Post::create()
                .id(format!("p{p:04}"))
                .author_id(format!("a{:03}", p / 2))
                .title(format!("post {p}"))
                .build()
        })
        .collect();
    Post::put_many(db, posts).await.unwrap();
    db.metrics().reset();
}

#[dynamite::test(registry = register)]
async fn regression_soft_delete_root_keeps_the_child_scan(db: Dynamite) {
    authors_with_posts(&db, 40).await;
    let authors = Author::query()
        .include(Author::posts())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(authors.len(), 40);
    assert!(authors.iter().all(|a| a.posts.len() == 2));
    assert_eq!(db.metrics().count("Scan"), 2, "{:?}", db.metrics());
    assert_eq!(db.metrics().count("Query"), 0, "{:?}", db.metrics());
    assert_eq!(db.metrics().rounds(), 1);
    let plan = Author::query()
        .include(Author::posts())
        .explain(&db)
        .to_string();
    assert!(
        plan.contains("Scan") && plan.contains("cheaper than one Query each"),
        "{plan}"
    );
}

#[dynamite::test(registry = register)]
async fn few_parents_query_each_parent_instead_of_scanning_the_child_table(db: Dynamite) {
    authors_with_posts(&db, 40).await;
    let authors = Author::query()
        .filter(Author::NAME.eq("author 7"))
        .include(Author::posts())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(authors.len(), 1);
    assert_eq!(authors[0].posts.len(), 2);
    assert_eq!(db.metrics().count("Query"), 1, "{:?}", db.metrics());
    assert_eq!(db.metrics().count("Scan"), 1, "only the root Scan");
}
