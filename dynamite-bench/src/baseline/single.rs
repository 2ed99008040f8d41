//! The single-table layout's queries (Q6–Q10) written by hand against the
//! SDK: users, orders, items and reviews share the `shop` table (rows told
//! apart by their `entity` attribute), products keep their own; and the
//! ORM's answers converted into the same plain structs.

use std::collections::{BTreeSet, HashMap};

use dynamite::Dynamite;
use dynamite::sdk::operation::query::builders::QueryFluentBuilder;
use futures::future::try_join;

use super::decode::{float, int, key, s, str_of, string};
use super::sdk::{self, Item, Sdk};
use super::single_orm::{orm_graph, orm_rows};
use crate::shop::{order_id, product_id, user_id};
use crate::single::{SProduct, SUser};
use crate::workload::{BenchResult, QueryId};

/// A user (profile row).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// An order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub status: String,
    pub total: f64,
}

/// An order item.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub id: String,
    pub user_id: String,
    pub order_id: String,
    pub product_id: String,
    pub quantity: i64,
    pub price: f64,
}

/// A product.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price: f64,
}

/// A review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: String,
    pub user_id: String,
    pub product_id: String,
    pub rating: i64,
    pub comment: String,
}

/// A user and its includes.
#[derive(Debug, Clone, PartialEq)]
pub struct UserGraph {
    pub user: User,
    pub orders: Vec<OrderGraph>,
    pub reviews: Vec<ReviewGraph>,
}

/// An order and its includes.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderGraph {
    pub order: Order,
    pub user: Option<User>,
    pub items: Vec<ItemGraph>,
}

/// An item and its product when included.
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

/// A product and its reviews.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductGraph {
    pub product: Product,
    pub reviews: Vec<ReviewGraph>,
}

/// What one query returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Graph {
    Users(Vec<UserGraph>),
    Orders(Vec<OrderGraph>),
    Products(Vec<ProductGraph>),
}

fn item_rows(i: &ItemGraph) -> usize {
    1 + usize::from(i.product.is_some())
}

fn review_rows(r: &ReviewGraph) -> usize {
    1 + usize::from(r.user.is_some()) + usize::from(r.product.is_some())
}

fn order_rows(o: &OrderGraph) -> usize {
    1 + usize::from(o.user.is_some()) + o.items.iter().map(item_rows).sum::<usize>()
}

impl Graph {
    /// Rows of the graph.
    pub fn rows(&self) -> usize {
        match self {
            Graph::Users(users) => users
                .iter()
                .map(|u| {
                    1 + u.orders.iter().map(order_rows).sum::<usize>()
                        + u.reviews.iter().map(review_rows).sum::<usize>()
                })
                .sum(),
            Graph::Orders(orders) => orders.iter().map(order_rows).sum(),
            Graph::Products(products) => products
                .iter()
                .map(|p| 1 + p.reviews.iter().map(review_rows).sum::<usize>())
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
    })
}

fn order(mut i: Item) -> BenchResult<Order> {
    Ok(Order {
        total: float(&i, "total")?,
        id: string(&mut i, "id")?,
        user_id: string(&mut i, "user_id")?,
        status: string(&mut i, "status")?,
    })
}

fn order_item(mut i: Item) -> BenchResult<OrderItem> {
    Ok(OrderItem {
        quantity: int(&i, "quantity")?,
        price: float(&i, "price")?,
        id: string(&mut i, "id")?,
        user_id: string(&mut i, "user_id")?,
        order_id: string(&mut i, "order_id")?,
        product_id: string(&mut i, "product_id")?,
    })
}

fn product(mut i: Item) -> BenchResult<Product> {
    Ok(Product {
        price: float(&i, "price")?,
        id: string(&mut i, "id")?,
        name: string(&mut i, "name")?,
        description: string(&mut i, "description")?,
    })
}

fn review(mut i: Item) -> BenchResult<Review> {
    Ok(Review {
        rating: int(&i, "rating")?,
        id: string(&mut i, "id")?,
        user_id: string(&mut i, "user_id")?,
        product_id: string(&mut i, "product_id")?,
        comment: string(&mut i, "comment")?,
    })
}

fn is(item: &Item, entity: &str) -> bool {
    str_of(item, "entity").is_ok_and(|e| e == entity)
}

fn profile_key(user_id: &str) -> Item {
    key([
        ("pk", format!("USER#{user_id}")),
        ("sk", "PROFILE".to_owned()),
    ])
}

fn id_key(id: &str) -> Item {
    key([("id", id.to_owned())])
}

/// One partition's rows, split by entity.
#[derive(Default)]
struct Split {
    users: Vec<User>,
    orders: Vec<Order>,
    items: Vec<OrderItem>,
    reviews: Vec<Review>,
}

fn split(items: Vec<Item>) -> BenchResult<Split> {
    let mut out = Split::default();
    for item in items {
        match str_of(&item, "entity")? {
            "SUser" => out.users.push(user(item)?),
            "SOrder" => out.orders.push(order(item)?),
            "SOrderItem" => out.items.push(order_item(item)?),
            "SReview" => out.reviews.push(review(item)?),
            _ => {}
        }
    }
    Ok(out)
}

fn plain_order(order: Order) -> OrderGraph {
    OrderGraph {
        order,
        user: None,
        items: Vec::new(),
    }
}

// ------------------------------------------------------------ the queries

/// The single-table layout beside the ORM's handle.
#[derive(Debug)]
pub struct Single {
    pub db: Dynamite,
    pub sdk: Sdk,
    shop: String,
    products: String,
    shop_segments: u32,
    shop_stats: sdk::TableStats,
}

impl Single {
    /// The baseline beside `db` (tables seeded).
    pub async fn new(db: Dynamite, scan_segments: Option<u32>) -> BenchResult<Single> {
        let sdk = Sdk::from_handle(&db)?;
        let name = |r: dynamite::Result<String>| r.map_err(|e| format!("table name: {e}"));
        let shop = name(db.table_name::<SUser>())?;
        let shop_stats = sdk::TableStats::of(&sdk, &shop).await?;
        Ok(Single {
            shop_segments: sdk::scan_segments(scan_segments, shop_stats.bytes, db.concurrency()),
            shop_stats,
            products: name(db.table_name::<SProduct>())?,
            shop,
            sdk,
            db,
        })
    }

    /// The queries this layout has (no Q11).
    pub fn queries() -> &'static [QueryId] {
        &[
            QueryId::Q6,
            QueryId::Q7,
            QueryId::Q8,
            QueryId::Q9,
            QueryId::Q10,
        ]
    }

    /// Runs `q` by hand.
    pub async fn baseline(&self, q: QueryId) -> BenchResult<Graph> {
        match q {
            QueryId::Q6 => self.q6().await,
            QueryId::Q7 => self.q7().await,
            QueryId::Q8 => self.q8().await,
            QueryId::Q9 => self.q9().await,
            QueryId::Q10 => self.q10().await,
            QueryId::Q11 => Err("Q11 has no single-table form".to_owned()),
        }
    }

    /// Runs `q` with the ORM: the rows it returned.
    pub async fn orm(&self, q: QueryId) -> BenchResult<usize> {
        orm_rows(q, &self.db).await
    }

    /// Runs `q` with the ORM and converts its answer.
    pub async fn orm_graph(&self, q: QueryId) -> BenchResult<Graph> {
        orm_graph(q, &self.db).await
    }

    fn partition(&self, user_id: &str) -> QueryFluentBuilder {
        self.sdk
            .client()
            .query()
            .table_name(&self.shop)
            .expression_attribute_values(":pk", s(format!("USER#{user_id}")))
    }

    /// First user + orders: one Query of the user's partition from
    /// `ORDER#` to `PROFILE`.
    async fn q6(&self) -> BenchResult<Graph> {
        self.sdk.round();
        let rows = self
            .sdk
            .query(
                self.partition(&user_id(0))
                    .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                    .expression_attribute_values(":lo", s("ORDER#"))
                    .expression_attribute_values(":hi", s("PROFILE")),
            )
            .await?;
        let mut rows = split(rows)?;
        let Some(user) = rows.users.pop() else {
            return Ok(Graph::Users(Vec::new()));
        };
        Ok(Graph::Users(vec![UserGraph {
            user,
            orders: rows.orders.into_iter().map(plain_order).collect(),
            reviews: Vec::new(),
        }]))
    }

    /// First order + user + items.product: the order by gsi1, its items
    /// from its user's partition, then one BatchGetItem of the user's
    /// profile and the products.
    async fn q7(&self) -> BenchResult<Graph> {
        let id = order_id(0);
        self.sdk.round();
        let found = self
            .sdk
            .query(
                self.sdk
                    .client()
                    .query()
                    .table_name(&self.shop)
                    .index_name("gsi1")
                    .key_condition_expression("gsi1pk = :pk AND gsi1sk = :sk")
                    .filter_expression("id = :id AND entity = :entity")
                    .expression_attribute_values(":pk", s(format!("ORDER#{id}")))
                    .expression_attribute_values(":sk", s("ORDER"))
                    .expression_attribute_values(":id", s(id.as_str()))
                    .expression_attribute_values(":entity", s("SOrder")),
            )
            .await?;
        let Some(found) = found.into_iter().next() else {
            return Ok(Graph::Orders(Vec::new()));
        };
        let found = order(found)?;
        self.sdk.round();
        let items = self
            .sdk
            .query(
                self.partition(&found.user_id)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .filter_expression("entity = :entity")
                    .expression_attribute_values(":prefix", s(format!("ITEM#{id}#")))
                    .expression_attribute_values(":entity", s("SOrderItem")),
            )
            .await?;
        let items = items
            .into_iter()
            .map(order_item)
            .collect::<BenchResult<Vec<_>>>()?;
        let products: BTreeSet<&str> = items.iter().map(|i| i.product_id.as_str()).collect();
        self.sdk.round();
        let mut rows = self
            .sdk
            .batch_get(vec![
                (self.shop.clone(), vec![profile_key(&found.user_id)]),
                (
                    self.products.clone(),
                    products.into_iter().map(id_key).collect(),
                ),
            ])
            .await?;
        let user = rows
            .remove(&self.shop)
            .unwrap_or_default()
            .into_iter()
            .find(|i| is(i, "SUser"))
            .map(user)
            .transpose()?;
        let products = self.products_by_id(&mut rows)?;
        Ok(Graph::Orders(vec![OrderGraph {
            order: found,
            user,
            items: items
                .into_iter()
                .map(|item| ItemGraph {
                    product: products.get(&item.product_id).cloned(),
                    item,
                })
                .collect(),
        }]))
    }

    fn products_by_id(
        &self,
        rows: &mut HashMap<String, Vec<Item>>,
    ) -> BenchResult<HashMap<String, Product>> {
        rows.remove(&self.products)
            .unwrap_or_default()
            .into_iter()
            .map(|i| Ok((str_of(&i, "id")?.to_owned(), product(i)?)))
            .collect()
    }

    /// First product + reviews.user: GetItem and the reviews by gsi2,
    /// then one BatchGetItem of the reviewers' profiles.
    async fn q8(&self) -> BenchResult<Graph> {
        let id = product_id(0);
        self.sdk.round();
        let (found, reviews) = try_join(
            self.sdk.get_item(&self.products, id_key(&id)),
            self.sdk.query(
                self.sdk
                    .client()
                    .query()
                    .table_name(&self.shop)
                    .index_name("gsi2")
                    .key_condition_expression("gsi2pk = :pk AND begins_with(gsi2sk, :prefix)")
                    .filter_expression("entity = :entity")
                    .expression_attribute_values(":pk", s(format!("PRODUCT#{id}")))
                    .expression_attribute_values(":prefix", s("REVIEW#"))
                    .expression_attribute_values(":entity", s("SReview")),
            ),
        )
        .await?;
        let Some(found) = found else {
            return Ok(Graph::Products(Vec::new()));
        };
        let reviews = reviews
            .into_iter()
            .map(review)
            .collect::<BenchResult<Vec<_>>>()?;
        let mut users = HashMap::new();
        if !reviews.is_empty() {
            let ids: BTreeSet<&str> = reviews.iter().map(|r| r.user_id.as_str()).collect();
            self.sdk.round();
            let mut rows = self
                .sdk
                .batch_get(vec![(
                    self.shop.clone(),
                    ids.into_iter().map(profile_key).collect(),
                )])
                .await?;
            for item in rows.remove(&self.shop).unwrap_or_default() {
                if is(&item, "SUser") {
                    let u = user(item)?;
                    users.insert(u.id.clone(), u);
                }
            }
        }
        Ok(Graph::Products(vec![ProductGraph {
            product: product(found)?,
            reviews: reviews
                .into_iter()
                .map(|review| ReviewGraph {
                    user: users.get(&review.user_id).cloned(),
                    product: None,
                    review,
                })
                .collect(),
        }]))
    }

    /// First user + orders.items.product + reviews.product: one Query of
    /// the user's partition from `ITEM#` to the last `REVIEW#`, then one
    /// BatchGetItem of every product.
    async fn q9(&self) -> BenchResult<Graph> {
        self.sdk.round();
        let rows = self
            .sdk
            .query(
                self.partition(&user_id(0))
                    .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                    .expression_attribute_values(":lo", s("ITEM#"))
                    .expression_attribute_values(":hi", s("REVIEW#\u{10ffff}")),
            )
            .await?;
        let mut rows = split(rows)?;
        let Some(found) = rows.users.pop() else {
            return Ok(Graph::Users(Vec::new()));
        };
        let ids: BTreeSet<&str> = rows
            .items
            .iter()
            .map(|i| i.product_id.as_str())
            .chain(rows.reviews.iter().map(|r| r.product_id.as_str()))
            .collect();
        let mut products = HashMap::new();
        if !ids.is_empty() {
            self.sdk.round();
            let mut found = self
                .sdk
                .batch_get(vec![(
                    self.products.clone(),
                    ids.into_iter().map(id_key).collect(),
                )])
                .await?;
            products = self.products_by_id(&mut found)?;
        }
        let mut items_by_order: HashMap<String, Vec<ItemGraph>> = HashMap::new();
        for item in rows.items {
            items_by_order
                .entry(item.order_id.clone())
                .or_default()
                .push(ItemGraph {
                    product: products.get(&item.product_id).cloned(),
                    item,
                });
        }
        let orders = rows
            .orders
            .into_iter()
            .map(|order| OrderGraph {
                items: items_by_order.remove(&order.id).unwrap_or_default(),
                user: None,
                order,
            })
            .collect();
        let reviews = rows
            .reviews
            .into_iter()
            .map(|review| ReviewGraph {
                product: products.get(&review.product_id).cloned(),
                user: None,
                review,
            })
            .collect();
        Ok(Graph::Users(vec![UserGraph {
            user: found,
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
                    .table_name(&self.shop)
                    .filter_expression("#status = :status AND entity = :entity")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s("completed"))
                    .expression_attribute_values(":entity", s("SOrder")),
                self.shop_segments,
            )
            .await
    }

    /// All users + completed orders, as the ORM's cost rule reads them:
    /// with the users expected (a tenth of the table: one equality
    /// filter), two Scans of the shop table in one round; else the users'
    /// Scan, then a Scan of the orders or one Query of each user's
    /// orders. Scanned orders are grouped by user, in sort-key order.
    async fn q10(&self) -> BenchResult<Graph> {
        let concurrency = self.db.concurrency();
        let users_scan = self.sdk.scan(
            self.sdk
                .client()
                .scan()
                .table_name(&self.shop)
                .filter_expression("entity = :entity")
                .expression_attribute_values(":entity", s("SUser")),
            self.shop_segments,
        );
        self.sdk.round();
        let expected = self.shop_stats.items as f64 * 0.1;
        let early = sdk::child_scan_cheaper(expected, self.shop_stats, concurrency);
        let (users, scanned) = if early {
            let (users, orders) = try_join(users_scan, self.completed_orders()).await?;
            (users, Some(orders))
        } else {
            (users_scan.await?, None)
        };
        let users = users
            .into_iter()
            .map(user)
            .collect::<BenchResult<Vec<_>>>()?;
        let mut groups: HashMap<String, Vec<Order>> = HashMap::new();
        let scanned = match scanned {
            Some(orders) => Some(orders),
            None if users.is_empty() => None,
            None => {
                self.sdk.round();
                if sdk::child_scan_cheaper(users.len() as f64, self.shop_stats, concurrency) {
                    Some(self.completed_orders().await?)
                } else {
                    let per_user = self
                        .sdk
                        .each(
                            concurrency,
                            users.iter().map(|u| {
                                self.sdk.query(
                                    self.partition(&u.id)
                                        .key_condition_expression(
                                            "pk = :pk AND begins_with(sk, :prefix)",
                                        )
                                        .filter_expression("#status = :status AND entity = :entity")
                                        .expression_attribute_names("#status", "status")
                                        .expression_attribute_values(":prefix", s("ORDER#"))
                                        .expression_attribute_values(":status", s("completed"))
                                        .expression_attribute_values(":entity", s("SOrder")),
                                )
                            }),
                        )
                        .await?;
                    for (u, orders) in users.iter().zip(per_user) {
                        let orders = orders
                            .into_iter()
                            .map(order)
                            .collect::<BenchResult<Vec<_>>>()?;
                        groups.insert(u.id.clone(), orders);
                    }
                    None
                }
            }
        };
        if let Some(orders) = scanned {
            let mut keyed: HashMap<String, Vec<(String, Order)>> = HashMap::new();
            for mut item in orders {
                let sk = string(&mut item, "sk")?;
                let order = order(item)?;
                keyed
                    .entry(order.user_id.clone())
                    .or_default()
                    .push((sk, order));
            }
            for (user, mut orders) in keyed {
                orders.sort_by(|a, b| a.0.cmp(&b.0));
                groups.insert(user, orders.into_iter().map(|(_, o)| o).collect());
            }
        }
        let users = users
            .into_iter()
            .map(|user| UserGraph {
                orders: groups
                    .remove(&user.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(plain_order)
                    .collect(),
                reviews: Vec::new(),
                user,
            })
            .collect();
        Ok(Graph::Users(users))
    }
}
