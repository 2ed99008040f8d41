//! Includes, lazy loading and their request counts on the seeded dataset.

use dynamite::prelude::*;

use crate::shop::{self, Order, OrderItem, Product, Review, User, order_id, product_id, user_id};

/// 100 users with their orders, items, products and reviews: seeded once
/// per test binary on the embedded engine, each test starting from a copy.
async fn users_100(db: &Dynamite) {
    shop::seed(db, 100).await;
}

fn requests(db: &Dynamite) -> u64 {
    db.metrics().data_plane_requests()
}

#[dynamite::test(registry = shop::register, seed = users_100)]
async fn q6_first_user_with_orders_is_two_requests_in_one_round(db: Dynamite) {
    let user = User::query()
        .filter(User::ID.eq(user_id(0)))
        .include(User::orders())
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.name, "User 0");
    assert!(user.orders.is_loaded());
    let ids: Vec<_> = user.orders.iter().map(|o| o.id.clone()).collect();
    assert_eq!(
        ids,
        (0..5).map(order_id).collect::<Vec<_>>(),
        "children in creation order"
    );
    assert!(user.orders.iter().all(|o| o.user_id == user.id));
    assert!(!user.reviews.is_loaded(), "not asked for");
    assert_eq!(requests(&db), 2);
    assert_eq!(db.metrics().count("GetItem"), 1);
    assert_eq!(db.metrics().count("Query"), 1);
    assert_eq!(
        db.metrics().rounds(),
        1,
        "key propagation: orders go out with the user read"
    );
    assert_eq!(db.metrics().items_read(), 6);
}

#[dynamite::test(registry = shop::register, seed = users_100)]
async fn q7_first_order_with_user_and_items_products(db: Dynamite) {
    let order = Order::query()
        .filter(Order::ID.eq(order_id(0)))
        .include(Order::user())
        .include(Order::items().include(OrderItem::product()))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.user.as_ref().map(|u| u.name.as_str()), Some("User 0"));
    assert_eq!(order.items.len(), 3);
    let products: Vec<_> = order
        .items
        .iter()
        .map(|i| i.product.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(products, vec![product_id(0), product_id(1), product_id(2)]);
    assert!(requests(&db) <= 4, "{:?}", db.metrics());
    assert_eq!(
        requests(&db),
        3,
        "user and products share one BatchGetItem: {:?}",
        db.metrics()
    );
    assert_eq!(db.metrics().count("BatchGetItem"), 1);
    assert_eq!(db.metrics().rounds(), 2);
}

#[dynamite::test(registry = shop::register, seed = users_100)]
async fn q8_first_product_with_reviews_and_their_users(db: Dynamite) {
    let product = Product::query()
        .filter(Product::ID.eq(product_id(0)))
        .include(Product::reviews().include(Review::user()))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    // Reviews of product 0: users u with (2u + r) % 50 == 0 -> u = 0, 25, 50, 75 (r = 0).
    let reviewers: Vec<_> = product
        .reviews
        .iter()
        .map(|r| r.user.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(
        reviewers,
        vec![user_id(0), user_id(25), user_id(50), user_id(75)]
    );
    assert_eq!(requests(&db), 3, "{:?}", db.metrics());
    assert_eq!(db.metrics().rounds(), 2);
}

#[dynamite::test(registry = shop::register, seed = users_100)]
async fn q9_first_user_with_orders_items_products_and_reviews_products(db: Dynamite) {
    let user = User::query()
        .filter(User::ID.eq(user_id(3)))
        .include(User::orders().include(Order::items().include(OrderItem::product())))
        .include(User::reviews().include(Review::product()))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.orders.len(), 5);
    assert!(user.orders.iter().all(|o| o.items.len() == 3));
    assert!(
        user.orders
            .iter()
            .flat_map(|o| o.items.iter())
            .all(|i| i.product.is_some())
    );
    assert_eq!(user.reviews.len(), 2);
    let reviewed: Vec<_> = user
        .reviews
        .iter()
        .map(|r| r.product.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(reviewed, vec![product_id(6), product_id(7)]);
    assert!(requests(&db) <= 10, "{:?}", db.metrics());
    assert_eq!(requests(&db), 9, "{:?}", db.metrics());
    assert_eq!(
        db.metrics().count("BatchGetItem"),
        1,
        "both product paths share one BatchGetItem"
    );
    assert_eq!(db.metrics().rounds(), 3);
}

#[dynamite::test(registry = shop::register, seed = users_100)]
async fn q10_all_users_with_completed_orders_is_two_scans(db: Dynamite) {
    let users = User::query()
        .include(User::orders().filter(Order::STATUS.eq("completed")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(users.len(), 100);
    let completed: usize = users.iter().map(|u| u.orders.len()).sum();
    assert_eq!(completed, 250);
    assert!(users.iter().all(|u| {
        u.orders
            .iter()
            .all(|o| o.status == "completed" && o.user_id == u.id)
    }));
    assert!(requests(&db) <= 3, "{:?}", db.metrics());
    assert_eq!(db.metrics().count("Scan"), 2);
    assert_eq!(db.metrics().count("Query"), 0);
    assert_eq!(db.metrics().rounds(), 1, "the two Scans run concurrently");
}

#[dynamite::test(registry = shop::register)]
async fn include_filters_limits_orders_and_projections(db: Dynamite) {
    shop::seed(&db, 10).await;
    let user = User::query()
        .filter(User::ID.eq(user_id(1)))
        .include(
            User::orders()
                .filter(Order::STATUS.eq("completed"))
                .limit(2)
                .order(Desc)
                .attributes((Order::TOTAL,)),
        )
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    // User 1 owns orders 5..=9; completed are the even ones: 6 and 8, newest first.
    let orders = user.orders.projected().unwrap();
    let ids: Vec<_> = orders.iter().map(|o| o.get(Order::ID).unwrap()).collect();
    assert_eq!(ids, vec![order_id(8), order_id(6)]);
    assert!(
        orders.iter().all(|o| o.get(Order::USER_ID).is_err()),
        "the join key is fetched for stitching, not shown"
    );
    assert_eq!(orders[0].get(Order::TOTAL).unwrap(), 108.0);
    let explain = User::query()
        .filter(User::ID.eq(user_id(1)))
        .include(
            User::orders()
                .filter(Order::STATUS.eq("completed"))
                .limit(2)
                .order(Desc),
        )
        .explain(&db)
        .to_string();
    assert!(
        explain.contains("filter status = \"completed\""),
        "{explain}"
    );
    assert!(
        explain.contains("order desc limit 2 per parent"),
        "{explain}"
    );
}

#[dynamite::test(registry = shop::register)]
async fn belongs_to_filters_apply_after_the_batch_read(db: Dynamite) {
    shop::seed(&db, 10).await;
    let items = OrderItem::query()
        .filter(OrderItem::ORDER_ID.eq(order_id(0)))
        .include(OrderItem::product().filter(Product::PRICE.lt(10.5)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(items.len(), 3);
    let loaded: Vec<bool> = items.iter().map(|i| i.product.is_some()).collect();
    assert_eq!(
        loaded,
        vec![true, false, false],
        "only product 0 costs under 10.5"
    );
    assert!(items.iter().all(|i| i.product.is_loaded()));
}

#[dynamite::test(registry = shop::register)]
async fn has_one_yields_the_first_child_in_index_order(db: Dynamite) {
    shop::seed(&db, 5).await;
    let user = User::query()
        .filter(User::ID.eq(user_id(2)))
        .include(User::first_order())
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        user.first_order.as_ref().map(|o| o.id.clone()),
        Some(order_id(10))
    );
}

#[dynamite::test(registry = shop::register)]
async fn lazy_loading_binds_a_relation_to_one_row(db: Dynamite) {
    shop::seed(&db, 5).await;
    let user = User::get(&db, user_id(1)).await.unwrap().unwrap();
    db.metrics().reset();
    let orders = User::orders().of(&user).all(&db).await.unwrap();
    assert_eq!(orders.len(), 5);
    assert_eq!(db.metrics().count("Query"), 1);
    let latest = User::orders()
        .order(Desc)
        .limit(1)
        .of(&user)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(latest[0].id, order_id(9));
    let completed = User::orders()
        .filter(Order::STATUS.eq("completed"))
        .of(&user)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(completed.len(), 2);
    let order = &orders[0];
    let owner = Order::user().of(order).get(&db).await.unwrap().unwrap();
    assert_eq!(owner.id, user.id);
    let with_products = Order::items()
        .include(OrderItem::product())
        .of(order)
        .all(&db)
        .await
        .unwrap();
    assert!(with_products.iter().all(|i| i.product.is_some()));
}

#[dynamite::test(registry = shop::register)]
async fn lazy_loading_by_key_reads_no_parent_when_the_join_is_the_key(db: Dynamite) {
    shop::seed(&db, 5).await;
    db.metrics().reset();
    // has_many on the parent's key: the key alone is enough, one Query.
    let orders = User::orders().of_key(user_id(1)).all(&db).await.unwrap();
    assert_eq!(orders.len(), 5);
    assert_eq!(db.metrics().data_plane_requests(), 1);
    let by_str = User::orders()
        .of_key(user_id(1).as_str())
        .all(&db)
        .await
        .unwrap();
    let ids = |rows: &[Order]| rows.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&by_str), ids(&orders));
    // belongs_to: the foreign key is on the child, read first (GetItem).
    db.metrics().reset();
    let owner = Order::user()
        .of_key(&orders[0].id)
        .get(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.id, user_id(1));
    assert_eq!(db.metrics().data_plane_requests(), 2);
    // No such parent: no related rows, no error.
    assert!(
        Order::user()
            .of_key("no-such-order")
            .get(&db)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        User::orders()
            .of_key("no-such-user")
            .all(&db)
            .await
            .unwrap()
            .is_empty()
    );
    // An empty key is refused before sending.
    db.metrics().reset();
    let err = User::orders().of_key("").all(&db).await.unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = shop::register)]
async fn includes_over_150_parents_of_a_small_child_table_scan_it_once(db: Dynamite) {
    shop::seed(&db, 160).await;
    let ids: Vec<String> = (0..150).map(user_id).collect();
    let users = User::query()
        .filter(User::ID.is_in(ids))
        .include(User::orders())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(users.len(), 150);
    assert!(users.iter().all(|u| u.orders.len() == 5));
    // 800 orders of ~120 bytes are less than one 4 KB read unit per
    // parent: one Scan of the child table instead of 150 Queries.
    assert_eq!(db.metrics().count("BatchGetItem"), 2);
    assert_eq!(db.metrics().count("Query"), 0);
    assert_eq!(db.metrics().count("Scan"), 1);
}

#[dynamite::test(registry = shop::register)]
async fn includes_over_1000_parents_batch_and_stitch(db: Dynamite) {
    shop::seed(&db, 220).await;
    let orders = Order::query()
        .include(Order::user())
        .include(Order::items())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(orders.len(), 1100);
    assert!(
        orders
            .iter()
            .all(|o| o.user.as_ref().is_some_and(|u| u.id == o.user_id))
    );
    assert!(orders.iter().all(|o| o.items.len() == 3));
    // 220 distinct users: 3 BatchGetItem calls; items by one Scan of the child table.
    assert_eq!(db.metrics().count("BatchGetItem"), 3, "{:?}", db.metrics());
    assert_eq!(db.metrics().count("Query"), 0, "{:?}", db.metrics());
}

#[dynamite::test(registry = shop::register)]
async fn includes_work_on_pages_and_streams(db: Dynamite) {
    use futures::TryStreamExt;
    shop::seed(&db, 6).await;
    let page = User::query()
        .limit(4)
        .include(User::orders())
        .page(&db, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4);
    assert!(page.items.iter().all(|u| u.orders.len() == 5));
    let rest = User::query()
        .limit(4)
        .include(User::orders())
        .page(&db, page.next.as_ref())
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    let streamed: Vec<User> = User::query()
        .include(User::reviews())
        .stream(&db)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 6);
    assert!(streamed.iter().all(|u| u.reviews.len() == 2));
}

#[dynamite::test(registry = shop::register)]
async fn explain_shows_the_include_plan_round_by_round(db: Dynamite) {
    let q = User::query()
        .filter(User::ID.eq("u"))
        .include(User::orders().include(Order::items().include(OrderItem::product())))
        .include(User::reviews().include(Review::product()));
    let text = q.explain(&db).to_string().replace(db.table_prefix(), "");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("round 1: GetItem users"), "{text}");
    assert!(
        lines[0].contains("`orders`: Query orders index user_id_index"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("round 2: `items`: Query order_items"),
        "{text}"
    );
    assert!(
        lines[2].contains("`product`: BatchGetItem products"),
        "{text}"
    );
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

#[dynamite::test(registry = shop::register)]
async fn query_futures_are_send_so_they_can_be_spawned(db: Dynamite) {
    shop::seed(&db, 3).await;
    let task = {
        let db = db.clone();
        tokio::spawn(async move {
            User::query()
                .include(User::orders().include(Order::items().include(OrderItem::product())))
                .include(User::reviews().include(Review::product()))
                .all(&db)
                .await
        })
    };
    let users = task.await.unwrap().unwrap();
    assert_eq!(users.len(), 3);
    assert!(
        users
            .iter()
            .all(|u| u.orders.len() == 5 && u.reviews.len() == 2)
    );
}

/// A self-referential chain for deep includes.
#[derive(Table, Debug, Clone)]
pub struct Node {
    #[dynamite(primary_key)]
    pub id: String,
    pub parent_id: Option<String>,
    pub depth: u32,
    #[dynamite(has_many(foreign_key = "parent_id"))]
    pub children: HasMany<Node>,
    #[dynamite(belongs_to(foreign_key = "parent_id"))]
    pub parent: BelongsTo<Node>,
}

#[dynamite::test(models(Node))]
async fn includes_nest_deeper_than_five_levels(db: Dynamite) {
    // Two children per node, 8 levels: 255 nodes.
    let mut rows = Vec::new();
    let mut level = vec!["n".to_string()];
    rows.push(Node::create().id("n").parent_id(None).depth(0).build());
    for depth in 1..8u32 {
        let mut next = Vec::new();
        for parent in &level {
            for k in 0..2 {
                let id = format!("{parent}.{k}");
                rows.push(
                    Node::create()
                        .id(&id)
                        .parent_id(Some(parent.clone()))
                        .depth(depth)
                        .build(),
                );
                next.push(id);
            }
        }
        level = next;
    }
    Node::put_many(&db, rows).await.unwrap();
    db.metrics().reset();

    let mut include = Node::children();
    for _ in 0..6 {
        include = Node::children().include(include);
    }
    let root = Node::query()
        .filter(Node::ID.eq("n"))
        .include(include)
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    fn count(node: &Node) -> usize {
        1 + node.children.iter().map(count).sum::<usize>()
    }
    fn deepest(node: &Node) -> u32 {
        node.children
            .iter()
            .map(deepest)
            .max()
            .unwrap_or(node.depth)
    }
    assert_eq!(count(&root), 255, "seven nested levels below the root");
    assert_eq!(deepest(&root), 7);
    assert_eq!(
        db.metrics().rounds(),
        7,
        "one round per level, the first with the root read"
    );

    // And upwards: a leaf with six levels of parents.
    let mut up = Node::parent();
    for _ in 0..5 {
        up = Node::parent().include(up);
    }
    let leaf = Node::query()
        .filter(Node::ID.eq("n.0.1.0.1.0.1.0"))
        .include(up)
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let mut chain = Vec::new();
    let mut cursor = leaf.parent.as_deref();
    while let Some(p) = cursor {
        chain.push(p.id.clone());
        cursor = p.parent.as_deref();
    }
    assert_eq!(
        chain,
        [
            "n.0.1.0.1.0.1",
            "n.0.1.0.1.0",
            "n.0.1.0.1",
            "n.0.1.0",
            "n.0.1",
            "n.0"
        ]
    );
}
