//! The TypeScript library's relationships guide, sections "Two-Level
//! Nesting" (users -> posts -> comments) and "Multi-Level Nesting" (orders
//! -> user, items -> product): one round of requests per level.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub(crate) struct User {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) name: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) posts: HasMany<Post>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Post {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) title: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub(crate) user: BelongsTo<User>,
    #[dynamite(has_many(foreign_key = "post_id"))]
    pub(crate) comments: HasMany<Comment>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Comment {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) post_id: String,
    pub(crate) content: String,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Order {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub(crate) user: BelongsTo<User>,
    #[dynamite(has_many(foreign_key = "order_id"))]
    pub(crate) items: HasMany<OrderItem>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct OrderItem {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) order_id: String,
    pub(crate) product_id: String,
    pub(crate) quantity: i64,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub(crate) product: BelongsTo<Product>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Product {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) price: f64,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<User>()
        .table::<Post>()
        .table::<Comment>()
        .table::<Order>()
        .table::<OrderItem>()
        .table::<Product>()
}

pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    User::put_many(
        db,
        [
            User::create().id("u1").name("Ada").build(),
            User::create().id("u2").name("Alan").build(),
        ],
    )
    .await?;
    Post::put_many(
        db,
        [
            Post::create()
                .id("p1")
                .user_id("u1")
                .title("Engines")
                .build(),
            Post::create()
                .id("p2")
                .user_id("u2")
                .title("Machines")
                .build(),
        ],
    )
    .await?;
    Comment::put_many(
        db,
        [
            Comment::create()
                .id("c1")
                .post_id("p1")
                .content("Brilliant")
                .build(),
            Comment::create()
                .id("c2")
                .post_id("p1")
                .content("Ahead of its time")
                .build(),
            Comment::create()
                .id("c3")
                .post_id("p2")
                .content("Can machines think?")
                .build(),
        ],
    )
    .await?;
    Product::put_many(
        db,
        [
            Product::create()
                .id("pr1")
                .name("Keyboard")
                .price(79.99)
                .build(),
            Product::create()
                .id("pr2")
                .name("Mouse")
                .price(29.99)
                .build(),
        ],
    )
    .await?;
    Order::put_many(db, [Order::create().id("o1").user_id("u1").build()]).await?;
    OrderItem::put_many(
        db,
        [
            OrderItem::create()
                .id("i1")
                .order_id("o1")
                .product_id("pr1")
                .quantity(1)
                .build(),
            OrderItem::create()
                .id("i2")
                .order_id("o1")
                .product_id("pr2")
                .quantity(2)
                .build(),
        ],
    )
    .await?;

    // Two levels: users -> posts -> comments.
    let mut users = User::query()
        .include(User::posts().include(Post::comments()))
        .all(db)
        .await?;
    users.sort_by(|a, b| a.name.cmp(&b.name));
    for user in &users {
        out.push_str(&format!("{}:\n", user.name));
        for post in &user.posts {
            out.push_str(&format!(
                "  {} ({} comments)\n",
                post.title,
                post.comments.len()
            ));
            for comment in &post.comments {
                out.push_str(&format!("    - {}\n", comment.content));
            }
        }
    }

    // Multi-level: orders -> user, items -> product.
    let orders = Order::query()
        .include(Order::user())
        .include(Order::items().include(OrderItem::product()))
        .all(db)
        .await?;
    for order in &orders {
        let by = order.user.as_ref().map_or("?", |u| u.name.as_str());
        out.push_str(&format!("Order {} by {by}\n", order.id));
        for item in &order.items {
            if let Some(product) = item.product.as_ref() {
                out.push_str(&format!(
                    "  {}x {} @ ${}\n",
                    item.quantity, product.name, product.price
                ));
            }
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> dynamite::Result<()> {
    let db = register(common::builder()).build().await?;
    db.sync().await?; // create the tables and their indexes
    print!("{}", run(db).await?);
    Ok(())
}
