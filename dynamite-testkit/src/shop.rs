//! The e-commerce models of the seed and their dataset, shared by the
//! integration tests and the benchmark.
//!
//! Scale `n`: `n` users, `n / 2` products, 5 orders per user (status
//! alternating "completed" / "pending"), 3 items per order (products
//! round-robin), 2 reviews per user. Ids are zero-padded, so the first
//! seeded row of every table is also the smallest key.

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

/// A customer: orders and reviews.
#[allow(missing_docs)] // the fields are columns, named for what they hold
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

/// A product: ordered in items, reviewed.
#[allow(missing_docs)] // the fields are columns, named for what they hold
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

/// An order of a user, with its items.
#[allow(missing_docs)] // the fields are columns, named for what they hold
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

/// One product in an order.
#[allow(missing_docs)] // the fields are columns, named for what they hold
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

/// A user's review of a product.
#[allow(missing_docs)] // the fields are columns, named for what they hold
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

/// Registers the five models.
pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<User>()
        .table::<Product>()
        .table::<Order>()
        .table::<OrderItem>()
        .table::<Review>()
}

/// The stored table names of the five models, before the prefix.
pub const TABLES: [&str; 5] = [
    User::META.table_name,
    Product::META.table_name,
    Order::META.table_name,
    OrderItem::META.table_name,
    Review::META.table_name,
];

/// Ids of the seeded dataset, zero-padded so they sort in creation order:
/// the id of user `i`.
pub fn user_id(i: usize) -> String {
    format!("user-{i:05}")
}
/// The id of product `i`.
pub fn product_id(i: usize) -> String {
    format!("product-{i:05}")
}
/// The id of order `i`.
pub fn order_id(i: usize) -> String {
    format!("order-{i:06}")
}
/// The id of item `j` of order `order`.
pub fn item_id(order: usize, j: usize) -> String {
    format!("item-{order:06}-{j}")
}
/// The id of review `r` of user `user`.
pub fn review_id(user: usize, r: usize) -> String {
    format!("review-{user:05}-{r}")
}

/// Orders per user.
pub const ORDERS_PER_USER: usize = 5;
/// Items per order.
pub const ITEMS_PER_ORDER: usize = 3;
/// Reviews per user.
pub const REVIEWS_PER_USER: usize = 2;

/// The size of every table at one scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Users; every other table's size follows from it.
    pub users: usize,
}

impl Scale {
    /// The scale of `users` users (at least one).
    pub fn new(users: usize) -> Self {
        Scale {
            users: users.max(1),
        }
    }
    /// Products: half the users, at least one.
    pub fn products(self) -> usize {
        (self.users / 2).max(1)
    }
    /// Orders.
    pub fn orders(self) -> usize {
        self.users * ORDERS_PER_USER
    }
    /// Order items.
    pub fn items(self) -> usize {
        self.orders() * ITEMS_PER_ORDER
    }
    /// Reviews.
    pub fn reviews(self) -> usize {
        self.users * REVIEWS_PER_USER
    }
    /// Rows per table, in [`TABLES`] order.
    pub fn rows(self) -> [usize; 5] {
        [
            self.users,
            self.products(),
            self.orders(),
            self.items(),
            self.reviews(),
        ]
    }
    /// Rows in all five tables.
    pub fn total_rows(self) -> usize {
        self.rows().iter().sum()
    }
    /// The fewest BatchWriteItem calls that store the dataset (25 rows a call, per table).
    pub fn batch_write_floor(self) -> u64 {
        self.rows().iter().map(|r| r.div_ceil(25) as u64).sum()
    }

    /// The product of item `j` of order `o` (round-robin over the products).
    pub fn item_product(self, order: usize, j: usize) -> usize {
        (order * ITEMS_PER_ORDER + j) % self.products()
    }
    /// The product of review `r` of user `u`.
    pub fn review_product(self, user: usize, r: usize) -> usize {
        (user * REVIEWS_PER_USER + r) % self.products()
    }
    /// Orders with status "completed" (the even order numbers).
    pub fn completed_orders(self) -> usize {
        self.orders().div_ceil(2)
    }
    /// Reviews of product `p`.
    pub fn reviews_of_product(self, p: usize) -> usize {
        (0..self.users)
            .flat_map(|u| (0..REVIEWS_PER_USER).map(move |r| (u, r)))
            .filter(|&(u, r)| self.review_product(u, r) == p)
            .count()
    }

    /// The users' rows, to build or create.
    pub fn users(self) -> impl Iterator<Item = impl Create<Model = User>> {
        (0..self.users).map(|i| {
            User::create()
                .id(user_id(i))
                .name(format!("User {i}"))
                .email(format!("user{i}@example.com"))
        })
    }

    /// The products' rows.
    pub fn products_rows(self) -> impl Iterator<Item = impl Create<Model = Product>> {
        (0..self.products()).map(|i| {
            Product::create()
                .id(product_id(i))
                .name(format!("Product {i}"))
                .description("seeded")
                .price(10.0 + i as f64)
        })
    }

    /// The orders' rows (status "completed" for even order numbers, else "pending").
    pub fn orders_rows(self) -> impl Iterator<Item = impl Create<Model = Order>> {
        (0..self.orders()).map(|o| {
            Order::create()
                .id(order_id(o))
                .user_id(user_id(o / ORDERS_PER_USER))
                .status(if o % 2 == 0 { "completed" } else { "pending" })
                .total(100.0 + o as f64)
        })
    }

    /// The order items' rows (products round-robin).
    pub fn items_rows(self) -> impl Iterator<Item = impl Create<Model = OrderItem>> {
        (0..self.orders()).flat_map(move |o| {
            (0..ITEMS_PER_ORDER).map(move |j| {
                OrderItem::create()
                    .id(item_id(o, j))
                    .order_id(order_id(o))
                    .product_id(product_id(self.item_product(o, j)))
                    .quantity(1 + j as i64)
                    .price(10.0)
            })
        })
    }

    /// The reviews' rows.
    pub fn reviews_rows(self) -> impl Iterator<Item = impl Create<Model = Review>> {
        (0..self.users).flat_map(move |u| {
            (0..REVIEWS_PER_USER).map(move |r| {
                Review::create()
                    .id(review_id(u, r))
                    .user_id(user_id(u))
                    .product_id(product_id(self.review_product(u, r)))
                    .rating(1 + ((u + r) % 5) as i64)
                    .comment("seeded")
            })
        })
    }
}

/// Rows in a loaded object graph: the row itself and every loaded relation, recursively.
pub trait GraphSize {
    /// The row count of this graph.
    fn graph_size(&self) -> usize;
}

fn many<T: GraphSize>(rows: &[T]) -> usize {
    rows.iter().map(GraphSize::graph_size).sum()
}

fn one<T: GraphSize>(row: &Option<Box<T>>) -> usize {
    row.as_deref().map_or(0, GraphSize::graph_size)
}

impl GraphSize for User {
    fn graph_size(&self) -> usize {
        1 + many(&self.orders) + many(&self.reviews) + one(&self.first_order)
    }
}

impl GraphSize for Product {
    fn graph_size(&self) -> usize {
        1 + many(&self.order_items) + many(&self.reviews)
    }
}

impl GraphSize for Order {
    fn graph_size(&self) -> usize {
        1 + one(&self.user) + many(&self.items)
    }
}

impl GraphSize for OrderItem {
    fn graph_size(&self) -> usize {
        1 + one(&self.order) + one(&self.product)
    }
}

impl GraphSize for Review {
    fn graph_size(&self) -> usize {
        1 + one(&self.user) + one(&self.product)
    }
}
