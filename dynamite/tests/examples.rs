//! Every example runs, on the embedded engine or against
//! `DYNAMITE_TEST_ENDPOINT`, and prints what its section of the TypeScript library's guide expects.

// Tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code, clippy::duplicate_mod)]

#[path = "../examples/categories.rs"]
mod categories;
#[path = "../examples/ecommerce.rs"]
mod ecommerce;
#[path = "../examples/enrollments.rs"]
mod enrollments;
#[path = "../examples/filtered_includes.rs"]
mod filtered_includes;
#[path = "../examples/multiple_relations.rs"]
mod multiple_relations;
#[path = "../examples/nesting.rs"]
mod nesting;
#[path = "../examples/polymorphic.rs"]
mod polymorphic;
#[path = "../examples/relationships.rs"]
mod relationships;
#[path = "../examples/single_table.rs"]
mod single_table;

use dynamite::{Dynamite, DynamiteBuilder};
use dynamite_testkit::backend::{self, TEST_ENDPOINT_VAR};

async fn connect(register: fn(DynamiteBuilder) -> DynamiteBuilder) -> Dynamite {
    let db = register(backend::isolated(TEST_ENDPOINT_VAR, "ex"))
        .build()
        .await
        .expect("build");
    db.sync().await.expect("sync");
    db
}

/// Replaces every UUID with `<id>` so outputs compare across runs.
fn mask_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
        let candidate = &rest[start..];
        let is_uuid = candidate.len() >= 36
            && candidate.char_indices().take(36).all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        out.push_str(&rest[..start]);
        if is_uuid {
            out.push_str("<id>");
            rest = &candidate[36..];
        } else {
            let c = candidate.chars().next().unwrap_or_default();
            out.push(c);
            rest = &candidate[c.len_utf8()..];
        }
    }
    out.push_str(rest);
    out
}

const ECOMMERCE_EXPECTED: &str = "\
=== E-Commerce Relationships Example ===

1. Creating users...
Created: John Doe, Jane Smith

2. Creating products...
Created: Laptop, Mouse, Keyboard

3. Creating orders...
Created: Order <id>, Order <id>

4. Creating order items...
Order items created

5. Creating reviews...
Reviews created

6. Loading user with orders...
John Doe has 1 order(s)
  Order <id>: $1109.97 (pending)

7. Loading order with items and products...
Order <id> by John Doe
Total: $1109.97
Items:
  1x Laptop @ $999.99
  2x Mouse @ $29.99
  1x Keyboard @ $79.99

8. Loading product with reviews...
Laptop - Reviews:
  5/5 by John Doe
  \"Excellent laptop! Very fast and reliable.\"

9. Loading user with all relationships...
John Doe:
  Orders: 1
    - Order <id>: 3 items, $1109.97
  Reviews: 1
    - 5/5 for Laptop

10. Loading completed orders only...
Jane Smith: 1 completed order(s)

=== All relationship operations completed ===
";

#[tokio::test]
async fn ecommerce_prints_the_typescript_guides_expected_output() {
    let db = connect(ecommerce::register).await;
    let out = ecommerce::run(db).await.unwrap();
    assert_eq!(mask_ids(&out), ECOMMERCE_EXPECTED);
}

#[tokio::test]
async fn ecommerce_order_ids_are_the_created_ones() {
    let db = connect(ecommerce::register).await;
    let out = ecommerce::run(db.clone()).await.unwrap();
    let created = out
        .lines()
        .find(|l| l.starts_with("Created: Order "))
        .unwrap()
        .to_owned();
    let first_id = created
        .trim_start_matches("Created: Order ")
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    assert!(out.contains(&format!("Order {first_id} by John Doe")));
    assert!(out.contains(&format!("  Order {first_id}: $1109.97 (pending)")));
}

#[tokio::test]
async fn single_table_prints_the_same_output_as_ecommerce() {
    let db = connect(single_table::register).await;
    let out = single_table::run(db).await.unwrap();
    assert_eq!(mask_ids(&out), ECOMMERCE_EXPECTED);
}

/// The headline of single-table design, on the example's data: "user +
/// orders" is one request; "user + orders.items.product +
/// reviews.product" is one partition Query plus one BatchGetItem.
#[tokio::test]
async fn single_table_reads_a_users_graph_in_the_fewest_requests() {
    use dynamite::prelude::*;
    use single_table::{Order, OrderItem, Review, User};
    let db = connect(single_table::register).await;
    single_table::run(db.clone()).await.unwrap();
    let john = User::query()
        .filter(User::NAME.eq("John Doe"))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    db.metrics().reset();
    let users = User::query()
        .filter(User::ID.eq(john.id.as_str()))
        .include(User::orders())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(users[0].orders.len(), 1);
    assert_eq!(db.metrics().data_plane_requests(), 1, "user + orders");
    db.metrics().reset();
    let users = User::query()
        .filter(User::ID.eq(john.id.as_str()))
        .include(User::orders().include(Order::items().include(OrderItem::product())))
        .include(User::reviews().include(Review::product()))
        .all(&db)
        .await
        .unwrap();
    let user = &users[0];
    assert_eq!(user.orders[0].items.len(), 3);
    assert!(user.orders[0].items.iter().all(|i| i.product.is_some()));
    assert_eq!(user.reviews.len(), 1);
    assert!(user.reviews[0].product.is_some());
    let snapshot = db.metrics().snapshot();
    assert_eq!(db.metrics().data_plane_requests(), 2, "{snapshot:?}");
    assert_eq!(db.metrics().count("Query"), 1);
    assert_eq!(db.metrics().count("BatchGetItem"), 1);
}

async fn output(
    register: fn(DynamiteBuilder) -> DynamiteBuilder,
    run: impl AsyncFnOnce(Dynamite) -> dynamite::Result<String>,
) -> String {
    run(connect(register).await).await.unwrap()
}

#[tokio::test]
async fn relationships_example() {
    let out = output(relationships::register, relationships::run).await;
    assert_eq!(
        out,
        "Ada has 2 posts\n  - Notes on the Engine\n  - Bernoulli numbers\nAlan has 1 posts\n  - Computable numbers\n\
         Posts: 2\nBernoulli numbers by Ada\nComputable numbers by Alan\nNotes on the Engine by Ada\n"
    );
}

#[tokio::test]
async fn multiple_relations_example_loads_three_relations_in_one_round() {
    let out = output(multiple_relations::register, multiple_relations::run).await;
    assert_eq!(
        out,
        "Posts: 2\nComments: 1\nOrders: 1\n(4 requests in 1 round)\nCustomer: Grace\nProduct: Compiler\nQuantity: 2\n"
    );
}

#[tokio::test]
async fn nesting_example() {
    let out = output(nesting::register, nesting::run).await;
    assert_eq!(
        out,
        "Ada:\n  Engines (2 comments)\n    - Brilliant\n    - Ahead of its time\nAlan:\n  Machines (1 comments)\n    - Can machines think?\n\
         Order o1 by Ada\n  1x Keyboard @ $79.99\n  2x Mouse @ $29.99\n"
    );
}

#[tokio::test]
async fn filtered_includes_example() {
    let out = output(filtered_includes::register, filtered_includes::run).await;
    let expected_start = "Published posts: 4\nRecent posts: 5 (Post 7, Post 6, Post 5, Post 4, Post 3)\nPost 0 by Ada (ada@example.com)\nPlan:\n\
         round 1: Query users index role_index key role = \"premium\"\n\
         round 2: `orders`: Query orders index user_id_index key user_id = <each parent's id> filter status = \"completed\" order desc limit 10 per parent";
    assert!(out.starts_with(expected_start), "{out}");
    assert!(out.ends_with(
        "Ada:\n  Recent orders: 8\n  Newest completed: Some((\"order-11\", 110.0, true))\n  Published posts: 4\n"
    ), "{out}");
}

#[tokio::test]
async fn categories_example_loads_the_tree() {
    let out = output(categories::register, categories::run).await;
    assert_eq!(
        out,
        "Electronics\n  Computers\n    Laptops\n    Desktops\n  Phones\nBooks\n  Fiction\nLaptops < Computers < Electronics\n"
    );
}

#[tokio::test]
async fn enrollments_example_links_and_replaces() {
    let out = output(enrollments::register, enrollments::run).await;
    assert_eq!(
        out,
        "Ada's courses:\n  Mathematics - Grade: A\n  Physics - Grade: B+\n  Poetry - Grade: A-\n\
         replace: added [\"c-chem\"], removed [\"c-poetry\"], unchanged [\"c-math\", \"c-phys\"], 1 transaction(s)\n\
         Ada's courses but Physics, by id descending: Mathematics, Chemistry\n\
         Mathematics students: Ada, Alan\n"
    );
}

#[tokio::test]
async fn polymorphic_example() {
    let out = output(polymorphic::register, polymorphic::run).await;
    assert_eq!(
        out,
        "Nice post -> post \"Hello\"\nNice video -> video https://example.com/v.mp4\n\
         2 requests: a Scan of comments, one BatchGetItem of posts and videos\n\
         c1 is about post-1\nComments on video-1: 1\n"
    );
}

#[path = "../examples/schema.rs"]
mod schema;

#[tokio::test]
async fn the_schema_command_line_plans_syncs_and_exports() {
    use dynamite::cli::{Outcome, run};
    let db = schema::register(backend::isolated(TEST_ENDPOINT_VAR, "ex"))
        .build()
        .await
        .expect("build");
    let sessions = db.table_name::<schema::Session>().unwrap();
    let orders = db.table_name::<schema::Order>().unwrap();
    let mut out = Vec::new();
    let pending = run(&db, ["plan", "--check"], &mut out).await.unwrap();
    assert_eq!(pending, Outcome::Pending);
    let plan = String::from_utf8(out).unwrap();
    assert!(plan.contains(&format!(
        "create table {sessions} with index(es) user_id_index"
    )));
    assert!(plan.contains(&format!("enable TTL on {sessions}.expires_at")));
    assert!(plan.contains(&format!("enable stream NEW_AND_OLD_IMAGES on {orders}")));

    let mut out = Vec::new();
    assert_eq!(run(&db, ["sync"], &mut out).await.unwrap(), Outcome::Done);
    let synced = String::from_utf8(out).unwrap();
    assert!(
        synced.contains(&format!("enable TTL on {sessions}.expires_at")),
        "{synced}"
    );
    // Neither emulator implements point-in-time recovery: reported, not failed.
    assert!(
        synced.contains("point-in-time recovery on") && synced.contains("not made"),
        "{synced}"
    );

    let mut out = Vec::new();
    run(&db, ["export", "--format=cloudformation"], &mut out)
        .await
        .unwrap();
    let template: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let resources = template["Resources"].as_object().unwrap();
    assert_eq!(resources.len(), 2);
    let dir = std::env::temp_dir().join(format!("dynamite-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tables.tf.json");
    let path = file.to_str().unwrap();
    let mut out = Vec::new();
    run(
        &db,
        ["export", "--format", "terraform", "--output", path],
        &mut out,
    )
    .await
    .unwrap();
    assert!(out.is_empty());
    let terraform: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        terraform["resource"]["aws_dynamodb_table"]
            .as_object()
            .unwrap()
            .len(),
        2
    );
    std::fs::remove_dir_all(&dir).unwrap();

    for (args, message) in [
        (vec!["drop"], "unknown command `drop`"),
        (vec![], "no command given"),
        (vec!["export"], "needs `--format"),
        (vec!["export", "--format", "yaml"], "unknown format `yaml`"),
        (vec!["sync", "--force"], "`sync` does not take `--force`"),
    ] {
        let error = run(&db, args.clone(), &mut Vec::new()).await.unwrap_err();
        assert!(
            matches!(&error, dynamite::cli::CliError::Usage(m) if m.contains(message)),
            "{args:?}: {error}"
        );
        assert!(error.to_string().contains("usage:"));
    }
}
