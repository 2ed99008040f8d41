//! The ORM's answers on the single-table layout, converted into the
//! baseline's plain structs, and the rows they hold.

use dynamite::Dynamite;

use super::single::{
    Graph, ItemGraph, Order, OrderGraph, OrderItem, Product, ProductGraph, Review, ReviewGraph,
    User, UserGraph,
};
use crate::single::{self as orm, SOrder, SOrderItem, SProduct, SReview, SUser};
use crate::workload::{BenchResult, QueryId};

fn orm_user(u: &SUser) -> User {
    User {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
    }
}

fn orm_product(p: &SProduct) -> Product {
    Product {
        id: p.id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        price: p.price,
    }
}

fn orm_review(r: &SReview) -> ReviewGraph {
    ReviewGraph {
        review: Review {
            id: r.id.clone(),
            user_id: r.user_id.clone(),
            product_id: r.product_id.clone(),
            rating: r.rating,
            comment: r.comment.clone(),
        },
        user: r.user.as_ref().map(|u| orm_user(u)),
        product: r.product.as_ref().map(|p| orm_product(p)),
    }
}

fn orm_item(i: &SOrderItem) -> ItemGraph {
    ItemGraph {
        item: OrderItem {
            id: i.id.clone(),
            user_id: i.user_id.clone(),
            order_id: i.order_id.clone(),
            product_id: i.product_id.clone(),
            quantity: i.quantity,
            price: i.price,
        },
        product: i.product.as_ref().map(|p| orm_product(p)),
    }
}

fn orm_order(o: &SOrder) -> OrderGraph {
    OrderGraph {
        order: Order {
            id: o.id.clone(),
            user_id: o.user_id.clone(),
            status: o.status.clone(),
            total: o.total,
        },
        user: o.user.as_ref().map(|u| orm_user(u)),
        items: o.items.iter().map(orm_item).collect(),
    }
}

fn orm_user_graph(u: &SUser) -> UserGraph {
    UserGraph {
        user: orm_user(u),
        orders: u.orders.iter().map(orm_order).collect(),
        reviews: u.reviews.iter().map(orm_review).collect(),
    }
}

fn orm_error(q: QueryId) -> impl Fn(dynamite::Error) -> String {
    move |e| format!("{q} (single-table layout): {e}")
}

/// Runs `q` with the ORM on the single-table layout and converts its answer.
pub async fn orm_graph(q: QueryId, db: &Dynamite) -> BenchResult<Graph> {
    let e = orm_error(q);
    Ok(match q {
        QueryId::Q6 => Graph::Users(
            orm::q6()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_user_graph)
                .collect(),
        ),
        QueryId::Q9 => Graph::Users(
            orm::q9()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_user_graph)
                .collect(),
        ),
        QueryId::Q10 => Graph::Users(
            orm::q10()
                .all(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_user_graph)
                .collect(),
        ),
        QueryId::Q7 => Graph::Orders(
            orm::q7()
                .first(db)
                .await
                .map_err(e)?
                .iter()
                .map(orm_order)
                .collect(),
        ),
        QueryId::Q8 => Graph::Products(
            orm::q8()
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
        QueryId::Q11 => return Err("Q11 has no single-table form".to_owned()),
    })
}

fn user_rows(u: &SUser) -> usize {
    1 + u
        .orders
        .iter()
        .map(|o| {
            1 + o
                .items
                .iter()
                .map(|i| 1 + usize::from(i.product.is_some()))
                .sum::<usize>()
        })
        .sum::<usize>()
        + u.reviews
            .iter()
            .map(|r| 1 + usize::from(r.product.is_some()))
            .sum::<usize>()
}

/// Runs `q` with the ORM on the single-table layout: the rows returned.
pub async fn orm_rows(q: QueryId, db: &Dynamite) -> BenchResult<usize> {
    let e = orm_error(q);
    Ok(match q {
        QueryId::Q6 => orm::q6()
            .first(db)
            .await
            .map_err(e)?
            .as_ref()
            .map_or(0, user_rows),
        QueryId::Q9 => orm::q9()
            .first(db)
            .await
            .map_err(e)?
            .as_ref()
            .map_or(0, user_rows),
        QueryId::Q10 => orm::q10()
            .all(db)
            .await
            .map_err(e)?
            .iter()
            .map(user_rows)
            .sum(),
        QueryId::Q7 => orm::q7().first(db).await.map_err(e)?.map_or(0, |o| {
            1 + usize::from(o.user.is_some())
                + o.items
                    .iter()
                    .map(|i| 1 + usize::from(i.product.is_some()))
                    .sum::<usize>()
        }),
        QueryId::Q8 => orm::q8().first(db).await.map_err(e)?.map_or(0, |p| {
            1 + p
                .reviews
                .iter()
                .map(|r| 1 + usize::from(r.user.is_some()))
                .sum::<usize>()
        }),
        QueryId::Q11 => return Err("Q11 has no single-table form".to_owned()),
    })
}
