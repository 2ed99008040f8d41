//! The e-commerce workload in single-table form (`ecommerce --layout
//! single`): products keep their own table; users `USER#{id}` / `PROFILE`,
//! orders `USER#{user_id}` / `ORDER#{id}` (gsi1 `ORDER#{id}` / `ORDER`),
//! items `USER#{user_id}` / `ITEM#{order_id}#{id}`, reviews `USER#{user_id}`
//! / `REVIEW#{id}` (gsi2 `PRODUCT#{product_id}` / `REVIEW#{id}`) share one
//! table. The same data as the multi-table layout; every query's object
//! graph is checked against the multi-table layout's (the items'
//! denormalised `user_id` aside) before its requests are reported.

use std::future::Future;
use std::time::{Duration, Instant};

use dynamite::prelude::*;
use dynamite::{DynamiteBuilder, Query};

use crate::shop::{self, Scale, item_id, order_id, product_id, review_id, user_id};
use crate::workload::{Backend, BenchResult, QueryId, Requests, Timing};

/// A user: profile row of its partition.
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "shop", pk = "USER#{id}", sk = "PROFILE")]
pub struct SUser {
    pub id: String,
    pub name: String,
    pub email: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub orders: HasMany<SOrder>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub reviews: HasMany<SReview>,
}

/// A product, in its own table.
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "products")]
pub struct SProduct {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    pub description: String,
    pub price: f64,
    #[dynamite(has_many(foreign_key = "product_id"))]
    pub reviews: HasMany<SReview>,
}

/// An order, in its user's partition; gsi1 finds it by id.
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
#[dynamite(index(name = "gsi1", pk = "ORDER#{id}", sk = "ORDER"))]
pub struct SOrder {
    pub id: String,
    pub user_id: String,
    pub status: String,
    pub total: f64,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub user: BelongsTo<SUser>,
    #[dynamite(has_many(foreign_key = ["user_id", "order_id"]))]
    pub items: HasMany<SOrderItem>,
}

/// An item, in its user's partition (`user_id` is denormalised).
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ITEM#{order_id}#{id}")]
pub struct SOrderItem {
    pub id: String,
    pub user_id: String,
    pub order_id: String,
    pub product_id: String,
    pub quantity: i64,
    pub price: f64,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub product: BelongsTo<SProduct>,
}

/// A review, in its user's partition; gsi2 finds a product's reviews.
#[allow(missing_docs)]
#[derive(Table, Debug, Clone)]
#[dynamite(table = "shop", pk = "USER#{user_id}", sk = "REVIEW#{id}")]
#[dynamite(index(name = "gsi2", pk = "PRODUCT#{product_id}", sk = "REVIEW#{id}"))]
pub struct SReview {
    pub id: String,
    pub user_id: String,
    pub product_id: String,
    pub rating: i64,
    pub comment: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub user: BelongsTo<SUser>,
    #[dynamite(belongs_to(foreign_key = "product_id"))]
    pub product: BelongsTo<SProduct>,
}

/// Registers the five single-layout models.
pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<SUser>()
        .table::<SProduct>()
        .table::<SOrder>()
        .table::<SOrderItem>()
        .table::<SReview>()
}

fn err(context: &'static str) -> impl FnOnce(dynamite::Error) -> String {
    move |e| format!("{context}: {e}")
}

/// Seeds the multi-table layout's data (same ids and values) with
/// `create_many` (a shared table takes no blind `put_many`).
pub async fn seed(db: &Dynamite, scale: Scale) -> BenchResult<()> {
    let users = (0..scale.users).map(|i| {
        SUser::create()
            .id(user_id(i))
            .name(format!("User {i}"))
            .email(format!("user{i}@example.com"))
    });
    SUser::create_many(db, users)
        .await
        .map_err(err("seed users"))?;
    let products = (0..scale.products()).map(|i| {
        SProduct::create()
            .id(product_id(i))
            .name(format!("Product {i}"))
            .description("seeded")
            .price(10.0 + i as f64)
    });
    SProduct::create_many(db, products)
        .await
        .map_err(err("seed products"))?;
    let orders = (0..scale.orders()).map(|o| {
        SOrder::create()
            .id(order_id(o))
            .user_id(user_id(o / shop::ORDERS_PER_USER))
            .status(if o % 2 == 0 { "completed" } else { "pending" })
            .total(100.0 + o as f64)
    });
    SOrder::create_many(db, orders)
        .await
        .map_err(err("seed orders"))?;
    let items = (0..scale.orders()).flat_map(|o| {
        (0..shop::ITEMS_PER_ORDER).map(move |j| {
            SOrderItem::create()
                .id(item_id(o, j))
                .user_id(user_id(o / shop::ORDERS_PER_USER))
                .order_id(order_id(o))
                .product_id(product_id(scale.item_product(o, j)))
                .quantity(1 + j as i64)
                .price(10.0)
        })
    });
    SOrderItem::create_many(db, items)
        .await
        .map_err(err("seed items"))?;
    let reviews = (0..scale.users).flat_map(|u| {
        (0..shop::REVIEWS_PER_USER).map(move |r| {
            SReview::create()
                .id(review_id(u, r))
                .user_id(user_id(u))
                .product_id(product_id(scale.review_product(u, r)))
                .rating(1 + ((u + r) % 5) as i64)
                .comment("seeded")
        })
    });
    SReview::create_many(db, reviews)
        .await
        .map_err(err("seed reviews"))?;
    Ok(())
}

// ------------------------------------------------------- object graphs

/// An object graph as sorted lines: the same text for both layouts when
/// they returned the same rows and relations.
pub type Graph = Vec<String>;

fn sorted(mut lines: Vec<String>) -> Graph {
    lines.sort();
    lines
}

fn multi_graph(query: QueryId, db: &Dynamite) -> impl Future<Output = BenchResult<Graph>> + '_ {
    use crate::shop::{Order, Product, User};
    async move {
        let user_lines = |u: &User| {
            let mut lines = vec![format!("user {} {}", u.id, u.name)];
            for o in u.orders.iter() {
                lines.push(format!("order {} {} {}", o.id, o.status, o.total));
                for i in o.items.iter() {
                    let p = i.product.as_ref().map_or("-", |p| p.name.as_str());
                    lines.push(format!("item {} {} {} {p}", i.id, i.order_id, i.quantity));
                }
            }
            for r in u.reviews.iter() {
                let p = r.product.as_ref().map_or("-", |p| p.name.as_str());
                lines.push(format!("review {} {} {p}", r.id, r.rating));
            }
            lines
        };
        let lines = match query {
            QueryId::Q6 => user_lines(&first(QueryId::q6(), db).await?),
            QueryId::Q9 => user_lines(&first(QueryId::q9(), db).await?),
            QueryId::Q7 => {
                let o: Order = first(QueryId::q7(), db).await?;
                let mut lines = vec![format!(
                    "order {} {} by {}",
                    o.id,
                    o.total,
                    o.user.as_ref().map_or("-", |u| u.name.as_str())
                )];
                for i in o.items.iter() {
                    let p = i.product.as_ref().map_or("-", |p| p.name.as_str());
                    lines.push(format!("item {} {} {p}", i.id, i.quantity));
                }
                lines
            }
            QueryId::Q8 => {
                let p: Product = first(QueryId::q8(), db).await?;
                let mut lines = vec![format!("product {} {}", p.id, p.name)];
                for r in p.reviews.iter() {
                    let u = r.user.as_ref().map_or("-", |u| u.name.as_str());
                    lines.push(format!("review {} {} {u}", r.id, r.rating));
                }
                lines
            }
            QueryId::Q10 | QueryId::Q11 => {
                let users = QueryId::q10().all(db).await.map_err(err("Q10"))?;
                users
                    .iter()
                    .flat_map(|u| {
                        let mut lines = vec![format!("user {}", u.id)];
                        lines.extend(
                            u.orders
                                .iter()
                                .map(|o| format!("order {} {}", o.id, o.status)),
                        );
                        lines
                    })
                    .collect()
            }
        };
        Ok(sorted(lines))
    }
}

async fn first<T: Table>(query: Query<T>, db: &Dynamite) -> BenchResult<T> {
    query
        .first(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the first row is missing (is the table seeded?)".to_owned())
}

pub(crate) fn q6() -> Query<SUser> {
    SUser::query()
        .filter(SUser::ID.eq(user_id(0)))
        .include(SUser::orders())
}

pub(crate) fn q7() -> Query<SOrder> {
    SOrder::query()
        .filter(SOrder::ID.eq(order_id(0)))
        .include(SOrder::user())
        .include(SOrder::items().include(SOrderItem::product()))
}

pub(crate) fn q8() -> Query<SProduct> {
    SProduct::query()
        .filter(SProduct::ID.eq(product_id(0)))
        .include(SProduct::reviews().include(SReview::user()))
}

pub(crate) fn q9() -> Query<SUser> {
    SUser::query()
        .filter(SUser::ID.eq(user_id(0)))
        .include(SUser::orders().include(SOrder::items().include(SOrderItem::product())))
        .include(SUser::reviews().include(SReview::product()))
}

pub(crate) fn q10() -> Query<SUser> {
    SUser::query().include(SUser::orders().filter(SOrder::STATUS.eq("completed")))
}

/// The single-layout query's object graph (and its row count).
async fn single_graph(query: QueryId, db: &Dynamite) -> BenchResult<(Graph, usize)> {
    let user_lines = |u: &SUser| {
        let mut lines = vec![format!("user {} {}", u.id, u.name)];
        let mut rows = 1;
        for o in u.orders.iter() {
            rows += 1;
            lines.push(format!("order {} {} {}", o.id, o.status, o.total));
            for i in o.items.iter() {
                rows += 1 + usize::from(i.product.is_some());
                let p = i.product.as_ref().map_or("-", |p| p.name.as_str());
                lines.push(format!("item {} {} {} {p}", i.id, i.order_id, i.quantity));
            }
        }
        for r in u.reviews.iter() {
            rows += 1 + usize::from(r.product.is_some());
            let p = r.product.as_ref().map_or("-", |p| p.name.as_str());
            lines.push(format!("review {} {} {p}", r.id, r.rating));
        }
        (lines, rows)
    };
    let (lines, rows) = match query {
        QueryId::Q6 => user_lines(&first(q6(), db).await?),
        QueryId::Q9 => user_lines(&first(q9(), db).await?),
        QueryId::Q7 => {
            let o = first(q7(), db).await?;
            let mut rows = 1 + usize::from(o.user.is_some());
            let mut lines = vec![format!(
                "order {} {} by {}",
                o.id,
                o.total,
                o.user.as_ref().map_or("-", |u| u.name.as_str())
            )];
            for i in o.items.iter() {
                rows += 1 + usize::from(i.product.is_some());
                let p = i.product.as_ref().map_or("-", |p| p.name.as_str());
                lines.push(format!("item {} {} {p}", i.id, i.quantity));
            }
            (lines, rows)
        }
        QueryId::Q8 => {
            let p = first(q8(), db).await?;
            let mut rows = 1;
            let mut lines = vec![format!("product {} {}", p.id, p.name)];
            for r in p.reviews.iter() {
                rows += 1 + usize::from(r.user.is_some());
                let u = r.user.as_ref().map_or("-", |u| u.name.as_str());
                lines.push(format!("review {} {} {u}", r.id, r.rating));
            }
            (lines, rows)
        }
        QueryId::Q10 | QueryId::Q11 => {
            let users = q10().all(db).await.map_err(err("Q10"))?;
            let rows = users.iter().map(|u| 1 + u.orders.len()).sum();
            let lines = users
                .iter()
                .flat_map(|u| {
                    let mut lines = vec![format!("user {}", u.id)];
                    lines.extend(
                        u.orders
                            .iter()
                            .map(|o| format!("order {} {}", o.id, o.status)),
                    );
                    lines
                })
                .collect();
            (lines, rows)
        }
    };
    Ok((sorted(lines), rows))
}

fn explain(query: QueryId, db: &Dynamite) -> String {
    let text = match query {
        QueryId::Q6 => q6().explain(db),
        QueryId::Q7 => q7().explain(db),
        QueryId::Q8 => q8().explain(db),
        QueryId::Q9 => q9().explain(db),
        QueryId::Q10 | QueryId::Q11 => q10().explain(db),
    }
    .to_string();
    text.replace(db.table_prefix(), "")
}

/// One query on both layouts.
#[derive(Debug, Clone)]
pub struct LayoutRow {
    /// The query.
    pub query: QueryId,
    /// The multi-table layout's requests (first measured run).
    pub multi: Requests,
    /// The single-table layout's requests (first measured run).
    pub single: Requests,
    /// Rows of the object graph (the same on both, checked).
    pub returned: usize,
    /// Median wall times, multi then single.
    pub wall: (Duration, Duration),
    /// The single layout's plan.
    pub explain: String,
}

/// Seeds both layouts (unless `seed` is false), checks every query returns
/// the same object graph on both, and measures each `runs` times.
pub async fn compare(
    backend: &Backend,
    scale: Scale,
    queries: &[QueryId],
    runs: usize,
    seed_tables: bool,
) -> BenchResult<Vec<LayoutRow>> {
    let multi_prefix = format!("bench_lm_s{}_", scale.users);
    let single_prefix = format!("bench_ls_s{}_", scale.users);
    let multi = backend.connect(&multi_prefix).await?;
    let single = register(backend.base_builder(&single_prefix).same_backend_as(&multi))
        .build()
        .await
        .map_err(err("build the single-layout handle"))?;
    single.sync().await.map_err(err("sync the single layout"))?;
    if seed_tables {
        crate::workload::seed(&multi, scale, None).await?;
        seed(&single, scale).await?;
    }
    let mut rows = Vec::new();
    for &query in queries.iter().filter(|q| **q != QueryId::Q11) {
        let want = multi_graph(query, &multi).await?;
        let (got, returned) = single_graph(query, &single).await?;
        if got != want {
            let first_difference = want
                .iter()
                .zip(&got)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("multi `{a}`, single `{b}`"))
                .unwrap_or_else(|| format!("{} lines against {}", want.len(), got.len()));
            return Err(format!(
                "{query}: the single-table layout returned another object graph ({first_difference})"
            ));
        }
        let mut samples = (Vec::new(), Vec::new());
        let mut first_requests = (Requests::default(), Requests::default());
        for run in 0..=runs {
            multi.metrics().reset();
            let start = Instant::now();
            multi_graph(query, &multi).await?;
            let wall_multi = start.elapsed();
            let multi_requests = Requests::of(&multi);
            single.metrics().reset();
            let start = Instant::now();
            single_graph(query, &single).await?;
            let wall_single = start.elapsed();
            let single_requests = Requests::of(&single);
            // Run 0 warms up.
            if run == 1 {
                first_requests = (multi_requests, single_requests);
            }
            if run > 0 {
                samples.0.push(wall_multi);
                samples.1.push(wall_single);
            }
        }
        rows.push(LayoutRow {
            query,
            multi: first_requests.0,
            single: first_requests.1,
            returned,
            wall: (Timing::of(&samples.0).median, Timing::of(&samples.1).median),
            explain: explain(query, &single),
        });
    }
    Ok(rows)
}

/// The comparison as a Markdown table.
pub fn table(rows: &[LayoutRow]) -> String {
    let mut out = String::from(
        "| query | layout | requests | rounds | items read | returned | median ms |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        for (layout, r, wall) in [
            ("multi", &row.multi, row.wall.0),
            ("single", &row.single, row.wall.1),
        ] {
            out.push_str(&format!(
                "| {} {} | {layout} | {} ({}) | {} | {} | {} | {:.2} |\n",
                row.query,
                row.query.shape(),
                r.total,
                r.operations(),
                r.rounds,
                r.items_read,
                row.returned,
                crate::workload::ms(wall)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout's targets, on the embedded engine at a small scale: the
    /// same object graphs, Q6 one request and round reading only what it
    /// returns, Q9 two requests and rounds, Q7 and Q8 at most three.
    #[tokio::test]
    async fn the_single_layout_returns_the_same_graphs_in_fewer_requests() {
        let rows = compare(&Backend::default(), Scale::new(20), &QueryId::ALL, 1, true)
            .await
            .unwrap();
        let row = |q: QueryId| rows.iter().find(|r| r.query == q).unwrap();
        let q6 = row(QueryId::Q6);
        assert_eq!((q6.single.total, q6.single.rounds), (1, 1), "{q6:?}");
        assert_eq!(q6.single.items_read as usize, q6.returned);
        let q9 = row(QueryId::Q9);
        assert_eq!((q9.single.total, q9.single.rounds), (2, 2), "{q9:?}");
        assert!(
            q9.single.items_read as f64 <= 1.2 * q9.returned as f64,
            "{q9:?}"
        );
        assert!(row(QueryId::Q7).single.total <= 3);
        assert!(row(QueryId::Q8).single.total <= 3);
        assert!(rows.iter().any(|r| r.query == QueryId::Q10));
    }
}
