//! The TypeScript library's "Complete E-Commerce Example", step for step:
//! the same models, the same data, the same ten steps, printing the output
//! that guide expects.
//!
//! `cargo run --example ecommerce` runs it on the embedded engine; with
//! `DYNAMITE_ENDPOINT=http://127.0.0.1:8000` it runs against DynamoDB Local.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub(crate) struct User {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    #[dynamite(default = "customer")]
    pub(crate) role: String,
    #[dynamite(created_at)]
    pub(crate) created_at: String,
    #[dynamite(updated_at)]
    pub(crate) updated_at: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) orders: HasMany<Order>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) reviews: HasMany<Review>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Product {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) price: f64,
    #[dynamite(default = 0)]
    pub(crate) stock: i64,
    #[dynamite(created_at)]
    pub(crate) created_at: String,
    #[dynamite(has_many(foreign_key = "product_id"))]
    pub(crate) order_items: HasMany<OrderItem>,
    #[dynamite(has_many(foreign_key = "product_id"))]
    pub(crate) reviews: HasMany<Review>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Order {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    #[dynamite(default = "pending")]
    pub(crate) status: String,
    pub(crate) total: f64,
    #[dynamite(created_at)]
    pub(crate) created_at: String,
    #[dynamite(updated_at)]
    pub(crate) updated_at: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub(crate) user: BelongsTo<User>,
    #[dynamite(has_many(foreign_key = "order_id"))]
    pub(crate) items: HasMany<OrderItem>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct OrderItem {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) order_id: String,
    pub(crate) product_id: String,
    pub(crate) quantity: i64,
    pub(crate) price: f64,
    #[dynamite(belongs_to(foreign_key = "order_id"))]
    pub(crate) order: BelongsTo<Order>,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub(crate) product: BelongsTo<Product>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Review {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) product_id: String,
    pub(crate) rating: i64,
    pub(crate) comment: String,
    #[dynamite(created_at)]
    pub(crate) created_at: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub(crate) user: BelongsTo<User>,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub(crate) product: BelongsTo<Product>,
}

/// Registers the five models (the TypeScript example's `tables: [User, Product, Order, OrderItem, Review]`).
pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<User>()
        .table::<Product>()
        .table::<Order>()
        .table::<OrderItem>()
        .table::<Review>()
}

macro_rules! say {
    ($out:ident) => { $out.push('\n') };
    ($out:ident, $($fmt:tt)*) => {{ $out.push_str(&format!($($fmt)*)); $out.push('\n'); }};
}

/// The ten steps; returns what they print.
pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    say!(out, "=== E-Commerce Relationships Example ===\n");

    // 1. Create users
    say!(out, "1. Creating users...");
    let user1 = User::create()
        .name("John Doe")
        .email("john@example.com")
        .exec(db)
        .await?;
    let user2 = User::create()
        .name("Jane Smith")
        .email("jane@example.com")
        .exec(db)
        .await?;
    say!(out, "Created: {}, {}\n", user1.name, user2.name);

    // 2. Create products
    say!(out, "2. Creating products...");
    let product1 = Product::create()
        .name("Laptop")
        .description("High-performance laptop")
        .price(999.99)
        .stock(10)
        .exec(db)
        .await?;
    let product2 = Product::create()
        .name("Mouse")
        .description("Wireless mouse")
        .price(29.99)
        .stock(50)
        .exec(db)
        .await?;
    let product3 = Product::create()
        .name("Keyboard")
        .description("Mechanical keyboard")
        .price(79.99)
        .stock(30)
        .exec(db)
        .await?;
    say!(
        out,
        "Created: {}, {}, {}\n",
        product1.name,
        product2.name,
        product3.name
    );

    // 3. Create orders
    say!(out, "3. Creating orders...");
    let order1 = Order::create()
        .user_id(&user1.id)
        .total(1109.97)
        .status("pending")
        .exec(db)
        .await?;
    let order2 = Order::create()
        .user_id(&user2.id)
        .total(79.99)
        .status("completed")
        .exec(db)
        .await?;
    say!(out, "Created: Order {}, Order {}\n", order1.id, order2.id);

    // 4. Create order items
    say!(out, "4. Creating order items...");
    OrderItem::create()
        .order_id(&order1.id)
        .product_id(&product1.id)
        .quantity(1)
        .price(999.99)
        .exec(db)
        .await?;
    OrderItem::create()
        .order_id(&order1.id)
        .product_id(&product2.id)
        .quantity(2)
        .price(29.99)
        .exec(db)
        .await?;
    OrderItem::create()
        .order_id(&order1.id)
        .product_id(&product3.id)
        .quantity(1)
        .price(79.99)
        .exec(db)
        .await?;
    OrderItem::create()
        .order_id(&order2.id)
        .product_id(&product3.id)
        .quantity(1)
        .price(79.99)
        .exec(db)
        .await?;
    say!(out, "Order items created\n");

    // 5. Create reviews
    say!(out, "5. Creating reviews...");
    Review::create()
        .user_id(&user1.id)
        .product_id(&product1.id)
        .rating(5)
        .comment("Excellent laptop! Very fast and reliable.")
        .exec(db)
        .await?;
    Review::create()
        .user_id(&user2.id)
        .product_id(&product3.id)
        .rating(4)
        .comment("Great keyboard, but a bit loud.")
        .exec(db)
        .await?;
    say!(out, "Reviews created\n");

    // 6. Load user with orders
    say!(out, "6. Loading user with orders...");
    let users_with_orders = User::query()
        .filter(User::ID.eq(&user1.id))
        .include(User::orders())
        .all(db)
        .await?;
    if let Some(user) = users_with_orders.first() {
        say!(out, "{} has {} order(s)", user.name, user.orders.len());
        for order in &user.orders {
            say!(
                out,
                "  Order {}: ${} ({})",
                order.id,
                order.total,
                order.status
            );
        }
    }
    say!(out);

    // 7. Load order with items and products
    say!(out, "7. Loading order with items and products...");
    let orders_with_items = Order::query()
        .filter(Order::ID.eq(&order1.id))
        .include(Order::user())
        .include(Order::items().include(OrderItem::product()))
        .all(db)
        .await?;
    if let Some(order) = orders_with_items.first() {
        let by = order.user.as_ref().map_or("", |u| u.name.as_str());
        say!(out, "Order {} by {}", order.id, by);
        say!(out, "Total: ${}", order.total);
        say!(out, "Items:");
        for item in &order.items {
            let name = item.product.as_ref().map_or("", |p| p.name.as_str());
            say!(out, "  {}x {} @ ${}", item.quantity, name, item.price);
        }
    }
    say!(out);

    // 8. Load product with reviews and reviewers
    say!(out, "8. Loading product with reviews...");
    let products_with_reviews = Product::query()
        .filter(Product::ID.eq(&product1.id))
        .include(Product::reviews().include(Review::user()))
        .all(db)
        .await?;
    if let Some(product) = products_with_reviews.first() {
        say!(out, "{} - Reviews:", product.name);
        for review in &product.reviews {
            let by = review.user.as_ref().map_or("", |u| u.name.as_str());
            say!(out, "  {}/5 by {}", review.rating, by);
            say!(out, "  \"{}\"", review.comment);
        }
    }
    say!(out);

    // 9. Load user with orders, reviews, and related data
    say!(out, "9. Loading user with all relationships...");
    let users_complete = User::query()
        .filter(User::ID.eq(&user1.id))
        .include(User::orders().include(Order::items().include(OrderItem::product())))
        .include(User::reviews().include(Review::product()))
        .all(db)
        .await?;
    if let Some(user) = users_complete.first() {
        say!(out, "{}:", user.name);
        say!(out, "  Orders: {}", user.orders.len());
        for order in &user.orders {
            say!(
                out,
                "    - Order {}: {} items, ${}",
                order.id,
                order.items.len(),
                order.total
            );
        }
        say!(out, "  Reviews: {}", user.reviews.len());
        for review in &user.reviews {
            let name = review.product.as_ref().map_or("", |p| p.name.as_str());
            say!(out, "    - {}/5 for {}", review.rating, name);
        }
    }
    say!(out);

    // 10. Load orders with filters
    say!(out, "10. Loading completed orders only...");
    let all_users_with_completed = User::query()
        .include(User::orders().filter(Order::STATUS.eq("completed")))
        .all(db)
        .await?;
    for user in &all_users_with_completed {
        if !user.orders.is_empty() {
            say!(
                out,
                "{}: {} completed order(s)",
                user.name,
                user.orders.len()
            );
        }
    }
    say!(out);

    say!(out, "=== All relationship operations completed ===");
    Ok(out)
}

#[tokio::main]
async fn main() -> dynamite::Result<()> {
    let db = register(common::builder()).build().await?;
    db.sync().await?; // create the tables and their indexes
    print!("{}", run(db).await?);
    Ok(())
}
