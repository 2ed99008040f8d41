//! The multi-table layout's queries (Q6–Q11) written by hand against the
//! SDK: the requests the ORM sends, round by round, decoded into plain
//! structs; and the ORM's answers converted into the same structs.

use std::collections::{BTreeSet, HashMap};

use dynamite::Dynamite;
use futures::future::{try_join, try_join3};

use super::decode::{float, int, key, s, str_of, string};
use super::sdk::{self, Item, Sdk};
use crate::shop::{self, user_id};
use crate::workload::{BenchResult, QueryId};

/// A user row.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An order row.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub status: String,
    pub total: f64,
    pub created_at: String,
    pub updated_at: String,
}

/// An order item row.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub id: String,
    pub order_id: String,
    pub product_id: String,
    pub quantity: i64,
    pub price: f64,
}

/// A product row.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price: f64,
    pub stock: i64,
    pub created_at: String,
}

/// A review row.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: String,
    pub user_id: String,
    pub product_id: String,
    pub rating: i64,
    pub comment: String,
    pub created_at: String,
}

/// A user and what was included under it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserGraph {
    pub user: User,
    pub orders: Vec<OrderGraph>,
    pub reviews: Vec<ReviewGraph>,
}

/// An order and what was included under it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderGraph {
    pub order: Order,
    pub user: Option<User>,
    pub items: Vec<ItemGraph>,
}

/// An order item and its product when included.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemGraph {
    pub item: OrderItem,
    pub product: Option<Product>,
}

/// A review and its user or product when included.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewGraph {
    pub review: Review,
    pub user: Option<User>,
    pub product: Option<Product>,
}

/// A product and its reviews when included.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductGraph {
    pub product: Product,
    pub reviews: Vec<ReviewGraph>,
}

/// What one query returned: its root rows with their includes.
#[derive(Debug, Clone, PartialEq)]
pub enum Graph {
    Users(Vec<UserGraph>),
    Orders(Vec<OrderGraph>),
    Products(Vec<ProductGraph>),
}

impl Graph {
    /// Rows of the graph (a product reached twice counts twice), as
    /// `GraphSize` counts them.
    pub fn rows(&self) -> usize {
        fn item(i: &ItemGraph) -> usize {
            1 + usize::from(i.product.is_some())
        }
        fn review(r: &ReviewGraph) -> usize {
            1 + usize::from(r.user.is_some()) + usize::from(r.product.is_some())
        }
        fn order(o: &OrderGraph) -> usize {
            1 + usize::from(o.user.is_some()) + o.items.iter().map(item).sum::<usize>()
        }
        match self {
            Graph::Users(users) => users
                .iter()
                .map(|u| {
                    1 + u.orders.iter().map(order).sum::<usize>()
                        + u.reviews.iter().map(review).sum::<usize>()
                })
                .sum(),
            Graph::Orders(orders) => orders.iter().map(order).sum(),
            Graph::Products(products) => products
                .iter()
                .map(|p| 1 + p.reviews.iter().map(review).sum::<usize>())
                .sum(),
        }
    }
}

// ------------------------------------------------------------ decoding

fn user(mut i: Item) -> BenchResult<User> {
    Ok(User {
        id: string(&mut i, "id")?,
        name: string(&mut i, "name")?,
        email: string(&mut i, "email")?,
        role: string(&mut i, "role")?,
        created_at: string(&mut i, "created_at")?,
        updated_at: string(&mut i, "updated_at")?,
    })
}

fn order(mut i: Item) -> BenchResult<Order> {
    Ok(Order {
        total: float(&i, "total")?,
        id: string(&mut i, "id")?,
        user_id: string(&mut i, "user_id")?,
        status: string(&mut i, "status")?,
        created_at: string(&mut i, "created_at")?,
        updated_at: string(&mut i, "updated_at")?,
    })
}

fn order_item(mut i: Item) -> BenchResult<OrderItem> {
    Ok(OrderItem {
        quantity: int(&i, "quantity")?,
        price: float(&i, "price")?,
        id: string(&mut i, "id")?,
        order_id: string(&mut i, "order_id")?,
        product_id: string(&mut i, "product_id")?,
    })
}

fn product(mut i: Item) -> BenchResult<Product> {
    Ok(Product {
        price: float(&i, "price")?,
        stock: int(&i, "stock")?,
        id: string(&mut i, "id")?,
        name: string(&mut i, "name")?,
        description: string(&mut i, "description")?,
        created_at: string(&mut i, "created_at")?,
    })
}

fn review(mut i: Item) -> BenchResult<Review> {
    Ok(Review {
        rating: int(&i, "rating")?,
        id: string(&mut i, "id")?,
        user_id: string(&mut i, "user_id")?,
        product_id: string(&mut i, "product_id")?,
        comment: string(&mut i, "comment")?,
        created_at: string(&mut i, "created_at")?,
    })
}

fn all<T>(items: Vec<Item>, decode: fn(Item) -> BenchResult<T>) -> BenchResult<Vec<T>> {
    items.into_iter().map(decode).collect()
}

/// Decoded rows of one table by id.
fn by_id<T>(
    found: &mut HashMap<String, Vec<Item>>,
    table: &str,
    decode: fn(Item) -> BenchResult<T>,
) -> BenchResult<HashMap<String, T>> {
    found
        .remove(table)
        .unwrap_or_default()
        .into_iter()
        .map(|i| Ok((str_of(&i, "id")?.to_owned(), decode(i)?)))
        .collect()
}

fn id_key(id: &str) -> Item {
    key([("id", id.to_owned())])
}

// ------------------------------------------------------------ the queries

/// The multi-table layout: the ORM's handle, the baseline's client, the
/// stored table names.
#[derive(Debug)]
pub struct Multi {
    pub db: Dynamite,
    pub sdk: Sdk,
    users: String,
    products: String,
    orders: String,
    items: String,
    reviews: String,
    users_segments: u32,
    orders_segments: u32,
    users_stats: sdk::TableStats,
    orders_stats: sdk::TableStats,
}

impl Multi {
    /// The baseline beside `db` (tables seeded); `scan_segments` as configured on `db`.
    pub async fn new(db: Dynamite, scan_segments: Option<u32>) -> BenchResult<Multi> {
        let sdk = Sdk::from_handle(&db)?;
        let name = |r: dynamite::Result<String>| r.map_err(|e| format!("table name: {e}"));
        let users = name(db.table_name::<shop::User>())?;
        let orders = name(db.table_name::<shop::Order>())?;
        let segments = |bytes| sdk::scan_segments(scan_segments, bytes, db.concurrency());
        let users_stats = sdk::TableStats::of(&sdk, &users).await?;
        let orders_stats = sdk::TableStats::of(&sdk, &orders).await?;
        let users_segments = segments(users_stats.bytes);
        let orders_segments = segments(orders_stats.bytes);
        Ok(Multi {
            products: name(db.table_name::<shop::Product>())?,
            items: name(db.table_name::<shop::OrderItem>())?,
            reviews: name(db.table_name::<shop::Review>())?,
            users,
            orders,
            users_segments,
            orders_segments,
            users_stats,
            orders_stats,
            sdk,
            db,
        })
    }

    /// The queries this layout has.
    pub fn queries() -> &'static [QueryId] {
        &QueryId::ALL
    }

    /// Runs `q` by hand and returns its object graph.
    pub async fn baseline(&self, q: QueryId) -> BenchResult<Graph> {
        match q {
            QueryId::Q6 => self.q6().await,
            QueryId::Q7 => self.q7().await,
            QueryId::Q8 => self.q8().await,
            QueryId::Q9 => self.q9().await,
            QueryId::Q10 => self.q10().await,
            QueryId::Q11 => self.q11().await,
        }
    }

    /// Runs `q` with the ORM and returns the rows it returned.
    pub async fn orm(&self, q: QueryId) -> BenchResult<usize> {
        q.run(&self.db).await
    }

    /// Runs `q` with the ORM and converts its answer.
    pub async fn orm_graph(&self, q: QueryId) -> BenchResult<Graph> {
        orm_graph(q, &self.db).await
    }

    /// `Query` of a table's index by one string key.
    fn by_index(&self, table: &str, index: &str, attribute: &str, value: &str) -> Query0 {
        self.sdk
            .client()
            .query()
            .table_name(table)
            .index_name(index)
            .key_condition_expression(format!("{attribute} = :v"))
            .expression_attribute_values(":v", s(value))
    }

    async fn user_orders(&self, id: &str) -> BenchResult<Vec<Item>> {
        self.sdk
            .query(self.by_index(&self.orders, "user_id_index", "user_id", id))
            .await
    }

    /// First user + orders: GetItem and the orders' Query in one round.
    async fn q6(&self) -> BenchResult<Graph> {
        let id = user_id(0);
        self.sdk.round();
        let (found, orders) = try_join(
            self.sdk.get_item(&self.users, id_key(&id)),
            self.user_orders(&id),
        )
        .await?;
        let Some(found) = found else {
            return Ok(Graph::Users(Vec::new()));
        };
        let orders = orders
            .into_iter()
            .map(|i| Ok(plain_order(order(i)?)))
            .collect::<BenchResult<_>>()?;
        Ok(Graph::Users(vec![UserGraph {
            user: user(found)?,
            orders,
            reviews: Vec::new(),
        }]))
    }

    /// First order + user + items.product: GetItem and the items' Query,
    /// then one BatchGetItem of the user and the products.
    async fn q7(&self) -> BenchResult<Graph> {
        let id = shop::order_id(0);
        self.sdk.round();
        let (found, items) = try_join(
            self.sdk.get_item(&self.orders, id_key(&id)),
            self.sdk
                .query(self.by_index(&self.items, "order_id_index", "order_id", &id)),
        )
        .await?;
        let Some(found) = found else {
            return Ok(Graph::Orders(Vec::new()));
        };
        let found = order(found)?;
        let items = all(items, order_item)?;
        let products: BTreeSet<&str> = items.iter().map(|i| i.product_id.as_str()).collect();
        self.sdk.round();
        let mut rows = self
            .sdk
            .batch_get(vec![
                (self.users.clone(), vec![id_key(&found.user_id)]),
                (
                    self.products.clone(),
                    products.into_iter().map(id_key).collect(),
                ),
            ])
            .await?;
        let mut users = by_id(&mut rows, &self.users, user)?;
        let products = by_id(&mut rows, &self.products, product)?;
        let items = items
            .into_iter()
            .map(|item| ItemGraph {
                product: products.get(&item.product_id).cloned(),
                item,
            })
            .collect();
        Ok(Graph::Orders(vec![OrderGraph {
            user: users.remove(&found.user_id),
            order: found,
            items,
        }]))
    }

    /// First product + reviews.user: GetItem and the reviews' Query, then
    /// one BatchGetItem of the reviewers.
    async fn q8(&self) -> BenchResult<Graph> {
        let id = shop::product_id(0);
        self.sdk.round();
        let (found, reviews) = try_join(
            self.sdk.get_item(&self.products, id_key(&id)),
            self.sdk
                .query(self.by_index(&self.reviews, "product_id_index", "product_id", &id)),
        )
        .await?;
        let Some(found) = found else {
            return Ok(Graph::Products(Vec::new()));
        };
        let reviews = all(reviews, review)?;
        let mut users = HashMap::new();
        if !reviews.is_empty() {
            let ids: BTreeSet<&str> = reviews.iter().map(|r| r.user_id.as_str()).collect();
            self.sdk.round();
            let mut rows = self
                .sdk
                .batch_get(vec![(
                    self.users.clone(),
                    ids.into_iter().map(id_key).collect(),
                )])
                .await?;
            users = by_id(&mut rows, &self.users, user)?;
        }
        let reviews = reviews
            .into_iter()
            .map(|review| ReviewGraph {
                user: users.get(&review.user_id).cloned(),
                product: None,
                review,
            })
            .collect();
        Ok(Graph::Products(vec![ProductGraph {
            product: product(found)?,
            reviews,
        }]))
    }

    /// First user + orders.items.product + reviews.product: GetItem and
    /// the orders' and reviews' Queries; one items' Query per order; one
    /// BatchGetItem of every product.
    async fn q9(&self) -> BenchResult<Graph> {
        let id = user_id(0);
        self.sdk.round();
        let (found, orders, reviews) = try_join3(
            self.sdk.get_item(&self.users, id_key(&id)),
            self.user_orders(&id),
            self.sdk
                .query(self.by_index(&self.reviews, "user_id_index", "user_id", &id)),
        )
        .await?;
        let Some(found) = found else {
            return Ok(Graph::Users(Vec::new()));
        };
        let orders = all(orders, order)?;
        let reviews = all(reviews, review)?;
        let items: Vec<Vec<OrderItem>> = if orders.is_empty() {
            Vec::new()
        } else {
            self.sdk.round();
            self.sdk
                .each(
                    self.db.concurrency(),
                    orders.iter().map(|o| async {
                        let items = self
                            .sdk
                            .query(self.by_index(&self.items, "order_id_index", "order_id", &o.id))
                            .await?;
                        all(items, order_item)
                    }),
                )
                .await?
        };
        let ids: BTreeSet<&str> = items
            .iter()
            .flatten()
            .map(|i| i.product_id.as_str())
            .chain(reviews.iter().map(|r| r.product_id.as_str()))
            .collect();
        let mut products = HashMap::new();
        if !ids.is_empty() {
            self.sdk.round();
            let mut rows = self
                .sdk
                .batch_get(vec![(
                    self.products.clone(),
                    ids.into_iter().map(id_key).collect(),
                )])
                .await?;
            products = by_id(&mut rows, &self.products, product)?;
        }
        let orders = orders
            .into_iter()
            .zip(items.into_iter().chain(std::iter::repeat_with(Vec::new)))
            .map(|(order, items)| OrderGraph {
                order,
                user: None,
                items: items
                    .into_iter()
                    .map(|item| ItemGraph {
                        product: products.get(&item.product_id).cloned(),
                        item,
                    })
                    .collect(),
            })
            .collect();
        let reviews = reviews
            .into_iter()
            .map(|review| ReviewGraph {
                product: products.get(&review.product_id).cloned(),
                user: None,
                review,
            })
            .collect();
        Ok(Graph::Users(vec![UserGraph {
            user: user(found)?,
            orders,
            reviews,
        }]))
    }

    /// The completed orders' Scan.
    async fn completed_orders(&self) -> BenchResult<Vec<Item>> {
        self.sdk
            .scan(
                self.sdk
                    .client()
                    .scan()
                    .table_name(&self.orders)
                    .filter_expression("#status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s("completed")),
                self.orders_segments,
            )
            .await
    }

    /// All users + completed orders, as the ORM's cost rule reads them:
    /// with as many users expected as the users' table holds, a Scan of
    /// each table in one round; else the users' Scan, then a Scan of the
    /// orders or one Query per user, whichever the rule picks for the
    /// users found. Scanned orders are grouped by user and ordered by id.
    async fn q10(&self) -> BenchResult<Graph> {
        let client = self.sdk.client();
        let concurrency = self.db.concurrency();
        let users_scan = self
            .sdk
            .scan(client.scan().table_name(&self.users), self.users_segments);
        self.sdk.round();
        let early = sdk::child_scan_cheaper(
            self.users_stats.items as f64,
            self.orders_stats,
            concurrency,
        );
        let (users, scanned) = if early {
            let (users, orders) = try_join(users_scan, self.completed_orders()).await?;
            (users, Some(orders))
        } else {
            (users_scan.await?, None)
        };
        let users = all(users, user)?;
        let mut groups: HashMap<String, Vec<Order>> = HashMap::new();
        let scanned = match scanned {
            Some(orders) => Some(orders),
            None if users.is_empty() => None,
            None => {
                self.sdk.round();
                if sdk::child_scan_cheaper(users.len() as f64, self.orders_stats, concurrency) {
                    Some(self.completed_orders().await?)
                } else {
                    let per_user = self
                        .sdk
                        .each(
                            concurrency,
                            users.iter().map(|u| {
                                self.sdk.query(
                                    self.by_index(&self.orders, "user_id_index", "user_id", &u.id)
                                        .filter_expression("#status = :status")
                                        .expression_attribute_names("#status", "status")
                                        .expression_attribute_values(":status", s("completed")),
                                )
                            }),
                        )
                        .await?;
                    for (u, orders) in users.iter().zip(per_user) {
                        groups.insert(u.id.clone(), all(orders, order)?);
                    }
                    None
                }
            }
        };
        if let Some(orders) = scanned {
            for item in orders {
                let order = order(item)?;
                groups.entry(order.user_id.clone()).or_default().push(order);
            }
            for orders in groups.values_mut() {
                orders.sort_by(|a, b| a.id.cmp(&b.id));
            }
        }
        let users = users
            .into_iter()
            .map(|user| {
                let orders = groups.remove(&user.id).unwrap_or_default();
                UserGraph {
                    user,
                    orders: orders.into_iter().map(plain_order).collect(),
                    reviews: Vec::new(),
                }
            })
            .collect();
        Ok(Graph::Users(users))
    }

    /// First of 150 user ids + orders: the ids in key order, read in waves
    /// (1, 2, 4, ... keys) until one exists, then its orders' Query.
    async fn q11(&self) -> BenchResult<Graph> {
        let ids: Vec<String> = (0..150).map(user_id).collect();
        let mut next = 0;
        let mut wave = 1;
        while next < ids.len() {
            let end = (next + wave).min(ids.len());
            self.sdk.round();
            let mut rows = self
                .sdk
                .batch_get(vec![(
                    self.users.clone(),
                    ids[next..end].iter().map(|id| id_key(id)).collect(),
                )])
                .await?;
            let mut found = by_id(&mut rows, &self.users, user)?;
            if let Some(first) = ids[next..end].iter().find_map(|id| found.remove(id)) {
                self.sdk.round();
                let orders = self.user_orders(&first.id).await?;
                let orders = orders
                    .into_iter()
                    .map(|i| Ok(plain_order(order(i)?)))
                    .collect::<BenchResult<_>>()?;
                return Ok(Graph::Users(vec![UserGraph {
                    user: first,
                    orders,
                    reviews: Vec::new(),
                }]));
            }
            next = end;
            wave = (wave * 2).min(1_000);
        }
        Ok(Graph::Users(Vec::new()))
    }
}

type Query0 = dynamite::sdk::operation::query::builders::QueryFluentBuilder;

fn plain_order(order: Order) -> OrderGraph {
    OrderGraph {
        order,
        user: None,
        items: Vec::new(),
    }
}

// ------------------------------------------------------------ the ORM's answers

fn orm_user(u: &shop::User) -> User {
    User {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
        role: u.role.clone(),
        created_at: u.created_at.clone(),
        updated_at: u.updated_at.clone(),
    }
}

fn orm_product(p: &shop::Product) -> Product {
    Product {
        id: p.id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        price: p.price,
        stock: p.stock,
        created_at: p.created_at.clone(),
    }
}

fn orm_review(r: &shop::Review) -> ReviewGraph {
    ReviewGraph {
        review: Review {
            id: r.id.clone(),
            user_id: r.user_id.clone(),
            product_id: r.product_id.clone(),
            rating: r.rating,
            comment: r.comment.clone(),
            created_at: r.created_at.clone(),
        },
        user: r.user.as_ref().map(|u| orm_user(u)),
        product: r.product.as_ref().map(|p| orm_product(p)),
    }
}

fn orm_order(o: &shop::Order) -> OrderGraph {
    OrderGraph {
        order: Order {
            id: o.id.clone(),
            user_id: o.user_id.clone(),
            status: o.status.clone(),
            total: o.total,
            created_at: o.created_at.clone(),
            updated_at: o.updated_at.clone(),
        },
        user: o.user.as_ref().map(|u| orm_user(u)),
        items: o
            .items
            .iter()
            .map(|i| ItemGraph {
                item: OrderItem {
                    id: i.id.clone(),
                    order_id: i.order_id.clone(),
                    product_id: i.product_id.clone(),
                    quantity: i.quantity,
                    price: i.price,
                },
                product: i.product.as_ref().map(|p| orm_product(p)),
            })
            .collect(),
    }
}

fn orm_user_graph(u: &shop::User) -> UserGraph {
    UserGraph {
        user: orm_user(u),
        orders: u.orders.iter().map(orm_order).collect(),
        reviews: u.reviews.iter().map(orm_review).collect(),
    }
}

/// Runs `q` with the ORM on `db` and converts its answer into plain structs.
pub async fn orm_graph(q: QueryId, db: &Dynamite) -> BenchResult<Graph> {
    let e = |e: dynamite::Error| format!("{q}: {e}");
    Ok(match q {
        QueryId::Q6 => Graph::Users(
            QueryId::q6()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_user_graph)
                .collect(),
        ),
        QueryId::Q9 => Graph::Users(
            QueryId::q9()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_user_graph)
                .collect(),
        ),
        QueryId::Q11 => Graph::Users(
            QueryId::q11()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_user_graph)
                .collect(),
        ),
        QueryId::Q10 => Graph::Users(
            QueryId::q10()
                .all(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_user_graph)
                .collect(),
        ),
        QueryId::Q7 => Graph::Orders(
            QueryId::q7()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_order)
                .collect(),
        ),
        QueryId::Q8 => Graph::Products(
            QueryId::q8()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(|p| ProductGraph {
                    product: orm_product(p),
                    reviews: p.reviews.iter().map(orm_review).collect(),
                })
                .collect(),
        ),
    })
}
