//! The TypeScript library's relationships guide, sections "Multiple HasMany
//! Relationships" and "Multiple BelongsTo Relationships": one user with
//! posts, comments and orders in one round; an order with both its user and
//! its product.

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
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) comments: HasMany<Comment>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) orders: HasMany<Order>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Post {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) title: String,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Comment {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) content: String,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Product {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) name: String,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Order {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) product_id: String,
    pub(crate) quantity: i64,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub(crate) user: BelongsTo<User>,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub(crate) product: BelongsTo<Product>,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<User>()
        .table::<Post>()
        .table::<Comment>()
        .table::<Product>()
        .table::<Order>()
}

pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    User::create().id("user-123").name("Grace").exec(db).await?;
    Product::create()
        .id("product-1")
        .name("Compiler")
        .exec(db)
        .await?;
    Post::create()
        .user_id("user-123")
        .title("COBOL")
        .exec(db)
        .await?;
    Post::create()
        .user_id("user-123")
        .title("Nanoseconds")
        .exec(db)
        .await?;
    Comment::create()
        .user_id("user-123")
        .content("A ship in port is safe")
        .exec(db)
        .await?;
    Order::create()
        .id("order-123")
        .user_id("user-123")
        .product_id("product-1")
        .quantity(2)
        .exec(db)
        .await?;

    db.metrics().reset();
    let users = User::query()
        .filter(User::ID.eq("user-123"))
        .include(User::posts())
        .include(User::comments())
        .include(User::orders())
        .all(db)
        .await?;
    if let Some(user) = users.first() {
        out.push_str(&format!("Posts: {}\n", user.posts.len()));
        out.push_str(&format!("Comments: {}\n", user.comments.len()));
        out.push_str(&format!("Orders: {}\n", user.orders.len()));
    }
    out.push_str(&format!(
        "({} requests in {} round)\n",
        db.metrics().data_plane_requests(),
        db.metrics().rounds()
    ));

    let orders = Order::query()
        .filter(Order::ID.eq("order-123"))
        .include(Order::user())
        .include(Order::product())
        .all(db)
        .await?;
    if let Some(order) = orders.first() {
        out.push_str(&format!(
            "Customer: {}\n",
            order.user.as_ref().map_or("?", |u| u.name.as_str())
        ));
        out.push_str(&format!(
            "Product: {}\n",
            order.product.as_ref().map_or("?", |p| p.name.as_str())
        ));
        out.push_str(&format!("Quantity: {}\n", order.quantity));
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
