//! The seed's e-commerce models, and the benchmark dataset.

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub struct User {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub name: String,
    pub email: String,
    #[dynamite(default = "customer")]
    pub role: String,
    #[dynamite(created_at)]
    pub created_at: String,
    #[dynamite(updated_at)]
    pub updated_at: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub orders: HasMany<Order>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub reviews: HasMany<Review>,
    #[dynamite(has_one(foreign_key = "user_id"))]
    pub first_order: HasOne<Order>,
}

#[derive(Table, Debug, Clone)]
pub struct Product {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub name: String,
    pub description: String,
    pub price: f64,
    #[dynamite(default = 0)]
    pub stock: i64,
    #[dynamite(created_at)]
    pub created_at: String,
    #[dynamite(has_many(foreign_key = "product_id"))]
    pub order_items: HasMany<OrderItem>,
    #[dynamite(has_many(foreign_key = "product_id"))]
    pub reviews: HasMany<Review>,
}

#[derive(Table, Debug, Clone)]
pub struct Order {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub user_id: String,
    #[dynamite(default = "pending")]
    pub status: String,
    pub total: f64,
    #[dynamite(created_at)]
    pub created_at: String,
    #[dynamite(updated_at)]
    pub updated_at: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub user: BelongsTo<User>,
    #[dynamite(has_many(foreign_key = "order_id"))]
    pub items: HasMany<OrderItem>,
}

#[derive(Table, Debug, Clone)]
pub struct OrderItem {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub order_id: String,
    pub product_id: String,
    pub quantity: i64,
    pub price: f64,
    #[dynamite(belongs_to(foreign_key = "order_id"))]
    pub order: BelongsTo<Order>,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub product: BelongsTo<Product>,
}

#[derive(Table, Debug, Clone)]
pub struct Review {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub user_id: String,
    pub product_id: String,
    pub rating: i64,
    pub comment: String,
    #[dynamite(created_at)]
    pub created_at: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub user: BelongsTo<User>,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub product: BelongsTo<Product>,
}

pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<User>()
        .table::<Product>()
        .table::<Order>()
        .table::<OrderItem>()
        .table::<Review>()
}

pub async fn db() -> Dynamite {
    let db = register(crate::common::builder())
        .build()
        .await
        .expect("build");
    db.sync().await.expect("sync");
    db.metrics().reset();
    db
}

/// Ids of the seeded dataset, zero-padded so they sort in creation order.
pub fn user_id(i: usize) -> String {
    format!("user-{i:05}")
}
pub fn product_id(i: usize) -> String {
    format!("product-{i:05}")
}
pub fn order_id(i: usize) -> String {
    format!("order-{i:06}")
}

/// `users` users, `users / 2` products, 5 orders per user (status
/// alternating completed / pending), 3 items per order (products
/// round-robin), 2 reviews per user — seeded with `put_many`.
pub async fn seed(db: &Dynamite, users: usize) {
    let products = (users / 2).max(1);
    let user_rows: Vec<User> = (0..users)
        .map(|i| {
            User::create()
                .id(user_id(i))
                .name(format!("User {i}"))
                .email(format!("user{i}@example.com"))
                .build()
        })
        .collect();
    let product_rows: Vec<Product> = (0..products)
        .map(|i| {
            Product::create()
                .id(product_id(i))
                .name(format!("Product {i}"))
                .description("seeded")
                .price(10.0 + i as f64)
                .build()
        })
        .collect();
    let mut orders = Vec::new();
    let mut items = Vec::new();
    let mut reviews = Vec::new();
    let mut next_product = 0;
    for u in 0..users {
        for k in 0..5 {
            let o = u * 5 + k;
            orders.push(
                Order::create()
                    .id(order_id(o))
                    .user_id(user_id(u))
                    .status(if o % 2 == 0 { "completed" } else { "pending" })
                    .total(100.0 + o as f64)
                    .build(),
            );
            for j in 0..3 {
                items.push(
                    OrderItem::create()
                        .id(format!("item-{o:06}-{j}"))
                        .order_id(order_id(o))
                        .product_id(product_id(next_product % products))
                        .quantity(1 + j as i64)
                        .price(10.0)
                        .build(),
                );
                next_product += 1;
            }
        }
        for r in 0..2 {
            reviews.push(
                Review::create()
                    .id(format!("review-{u:05}-{r}"))
                    .user_id(user_id(u))
                    .product_id(product_id((u * 2 + r) % products))
                    .rating(1 + ((u + r) % 5) as i64)
                    .comment("seeded")
                    .build(),
            );
        }
    }
    User::put_many(db, user_rows).await.expect("seed users");
    Product::put_many(db, product_rows)
        .await
        .expect("seed products");
    Order::put_many(db, orders).await.expect("seed orders");
    OrderItem::put_many(db, items).await.expect("seed items");
    Review::put_many(db, reviews).await.expect("seed reviews");
    db.metrics().reset();
}
