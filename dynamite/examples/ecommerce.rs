//! The seed's "Complete E-Commerce Example", step for step.
//!
//! Runs on the embedded engine; set `DYNAMITE_ENDPOINT` to run it against
//! DynamoDB Local or any endpoint (with a unique table prefix per run).
//!
//! Until relation includes land, steps 6-10 load related rows with the
//! planner's index queries and batch reads (`get_many`) instead of
//! `.include(..)`.

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
}

#[derive(Table, Debug, Clone)]
pub struct Order {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    #[dynamite(index(sort_key = "id"))]
    pub user_id: String,
    #[dynamite(default = "pending")]
    pub status: String,
    pub total: f64,
    #[dynamite(created_at)]
    pub created_at: String,
    #[dynamite(updated_at)]
    pub updated_at: String,
}

#[derive(Table, Debug, Clone)]
pub struct OrderItem {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    #[dynamite(index(sort_key = "id"))]
    pub order_id: String,
    pub product_id: String,
    pub quantity: i64,
    pub price: f64,
}

#[derive(Table, Debug, Clone)]
pub struct Review {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    #[dynamite(index(sort_key = "id"))]
    pub user_id: String,
    #[dynamite(index(sort_key = "id"))]
    pub product_id: String,
    pub rating: i64,
    pub comment: String,
    #[dynamite(created_at)]
    pub created_at: String,
}

async fn connect() -> dynamite::Result<Dynamite> {
    let builder = match std::env::var("DYNAMITE_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let run = uuid_prefix();
            Dynamite::builder()
                .region("us-east-1")
                .endpoint(endpoint)
                .credentials("test", "test")
                .table_prefix(format!("ecommerce_{run}_"))
        }
        _ => Dynamite::embedded(),
    };
    builder
        .table::<User>()
        .table::<Product>()
        .table::<Order>()
        .table::<OrderItem>()
        .table::<Review>()
        .build()
        .await
}

fn uuid_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}", nanos & 0xffff_ffff_ffff)
}

#[tokio::main]
async fn main() -> dynamite::Result<()> {
    let db = connect().await?;
    db.sync().await?;
    println!("=== E-Commerce Relationships Example ===\n");

    // 1. Create users
    println!("1. Creating users...");
    let user1 = User::create()
        .name("John Doe")
        .email("john@example.com")
        .exec(&db)
        .await?;
    let user2 = User::create()
        .name("Jane Smith")
        .email("jane@example.com")
        .exec(&db)
        .await?;
    println!("Created: {}, {}\n", user1.name, user2.name);

    // 2. Create products
    println!("2. Creating products...");
    let product1 = Product::create()
        .name("Laptop")
        .description("High-performance laptop")
        .price(999.99)
        .stock(10)
        .exec(&db)
        .await?;
    let product2 = Product::create()
        .name("Mouse")
        .description("Wireless mouse")
        .price(29.99)
        .stock(50)
        .exec(&db)
        .await?;
    let product3 = Product::create()
        .name("Keyboard")
        .description("Mechanical keyboard")
        .price(79.99)
        .stock(30)
        .exec(&db)
        .await?;
    println!(
        "Created: {}, {}, {}\n",
        product1.name, product2.name, product3.name
    );

    // 3. Create orders
    println!("3. Creating orders...");
    let order1 = Order::create()
        .user_id(&user1.id)
        .total(1109.97)
        .status("pending")
        .exec(&db)
        .await?;
    let order2 = Order::create()
        .user_id(&user2.id)
        .total(79.99)
        .status("completed")
        .exec(&db)
        .await?;
    println!("Created: Order {}, Order {}\n", order1.id, order2.id);

    // 4. Create order items
    println!("4. Creating order items...");
    for (order, product, quantity, price) in [
        (&order1, &product1, 1, 999.99),
        (&order1, &product2, 2, 29.99),
        (&order1, &product3, 1, 79.99),
        (&order2, &product3, 1, 79.99),
    ] {
        OrderItem::create()
            .order_id(&order.id)
            .product_id(&product.id)
            .quantity(quantity)
            .price(price)
            .exec(&db)
            .await?;
    }
    println!("Order items created\n");

    // 5. Create reviews
    println!("5. Creating reviews...");
    Review::create()
        .user_id(&user1.id)
        .product_id(&product1.id)
        .rating(5)
        .comment("Excellent laptop! Very fast and reliable.")
        .exec(&db)
        .await?;
    Review::create()
        .user_id(&user2.id)
        .product_id(&product3.id)
        .rating(4)
        .comment("Great keyboard, but a bit loud.")
        .exec(&db)
        .await?;
    println!("Reviews created\n");

    // 6. Load user with orders
    println!("6. Loading user with orders...");
    let user = User::get(&db, user1.id.as_str())
        .await?
        .expect("user 1 exists");
    let orders = Order::query()
        .filter(Order::USER_ID.eq(&user.id))
        .all(&db)
        .await?;
    println!("{} has {} order(s)", user.name, orders.len());
    for order in &orders {
        println!("  Order {}: ${} ({})", order.id, order.total, order.status);
    }
    println!();

    // 7. Load order with items and products
    println!("7. Loading order with items and products...");
    let order = Order::get(&db, order1.id.as_str())
        .await?
        .expect("order 1 exists");
    let buyer = User::get(&db, order.user_id.as_str()).await?;
    let items = OrderItem::query()
        .filter(OrderItem::ORDER_ID.eq(&order.id))
        .all(&db)
        .await?;
    let products = Product::get_many(&db, items.iter().map(|i| i.product_id.clone())).await?;
    let product_name = |id: &str| products.iter().find(|p| p.id == id).map(|p| p.name.clone());
    println!(
        "Order {} by {}",
        order.id,
        buyer.map(|u| u.name).unwrap_or_default()
    );
    println!("Total: ${}", order.total);
    println!("Items:");
    for item in &items {
        println!(
            "  {}x {} @ ${}",
            item.quantity,
            product_name(&item.product_id).unwrap_or_default(),
            item.price
        );
    }
    println!();

    // 8. Load product with reviews and reviewers
    println!("8. Loading product with reviews...");
    let product = Product::get(&db, product1.id.as_str())
        .await?
        .expect("product 1 exists");
    let reviews = Review::query()
        .filter(Review::PRODUCT_ID.eq(&product.id))
        .all(&db)
        .await?;
    let reviewers = User::get_many(&db, reviews.iter().map(|r| r.user_id.clone())).await?;
    println!("{} - Reviews:", product.name);
    for review in &reviews {
        let by = reviewers
            .iter()
            .find(|u| u.id == review.user_id)
            .map(|u| u.name.as_str());
        println!("  {}/5 by {}", review.rating, by.unwrap_or_default());
        println!("  \"{}\"", review.comment);
    }
    println!();

    // 9. Load user with orders, reviews, and related data
    println!("9. Loading user with all relationships...");
    let user = User::get(&db, user1.id.as_str())
        .await?
        .expect("user 1 exists");
    let orders = Order::query()
        .filter(Order::USER_ID.eq(&user.id))
        .all(&db)
        .await?;
    let reviews = Review::query()
        .filter(Review::USER_ID.eq(&user.id))
        .all(&db)
        .await?;
    let items = OrderItem::query()
        .filter(OrderItem::ORDER_ID.is_in(orders.iter().map(|o| o.id.clone())))
        .all(&db)
        .await?;
    let reviewed = Product::get_many(&db, reviews.iter().map(|r| r.product_id.clone())).await?;
    println!("{}:", user.name);
    println!("  Orders: {}", orders.len());
    for order in &orders {
        let count = items.iter().filter(|i| i.order_id == order.id).count();
        println!(
            "    - Order {}: {} items, ${}",
            order.id, count, order.total
        );
    }
    println!("  Reviews: {}", reviews.len());
    for review in &reviews {
        let name = reviewed
            .iter()
            .find(|p| p.id == review.product_id)
            .map(|p| p.name.as_str());
        println!("    - {}/5 for {}", review.rating, name.unwrap_or_default());
    }
    println!();

    // 10. Load orders with filters
    println!("10. Loading completed orders only...");
    let users = User::query().all(&db).await?;
    let completed = Order::query()
        .filter(Order::STATUS.eq("completed"))
        .all(&db)
        .await?;
    for user in &users {
        let n = completed.iter().filter(|o| o.user_id == user.id).count();
        if n > 0 {
            println!("{}: {} completed order(s)", user.name, n);
        }
    }
    println!();

    println!("=== All relationship operations completed ===");
    Ok(())
}
