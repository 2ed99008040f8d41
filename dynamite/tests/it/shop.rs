//! The seed's e-commerce models and dataset (from `dynamite-testkit`):
//! tests take them with `#[dynamite::test(registry = crate::shop::register)]`.

use dynamite::Dynamite;
use dynamite::prelude::*;
pub use dynamite_testkit::shop::*;

/// `users` users, `users / 2` products (at least one), 5 orders per user
/// (status alternating completed / pending), 3 items per order (products
/// round-robin), 2 reviews per user — seeded with `put_many`, metrics reset.
pub async fn seed(db: &Dynamite, users: usize) {
    // Not `Scale::new`: that makes at least one user, `seed(db, 0)` stores none.
    let scale = Scale { users };
    put(db, scale.users(), "users").await;
    put(db, scale.products_rows(), "products").await;
    put(db, scale.orders_rows(), "orders").await;
    put(db, scale.items_rows(), "items").await;
    put(db, scale.reviews_rows(), "reviews").await;
    db.metrics().reset();
}

async fn put<T: Table>(
    db: &Dynamite,
    rows: impl Iterator<Item = impl Create<Model = T>>,
    what: &str,
) {
    T::put_many(db, rows.map(Create::build))
        .await
        .unwrap_or_else(|e| panic!("seed {what}: {e:?}"));
}
