use dynamite::prelude::*;

#[derive(Table)]
#[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ORDER#{id}")]
struct Order {
    id: String,
    user_id: String,
    // One field is not a composite key; a composite key takes no local_key.
    #[dynamite(has_many(foreign_key = ["order_id"]))]
    items: HasMany<Item>,
    #[dynamite(has_many(foreign_key = ["user_id", "order_id"], local_key = "id"))]
    more: HasMany<Item>,
}

#[derive(Table)]
#[dynamite(table = "shop", pk = "USER#{user_id}", sk = "ITEM#{order_id}#{id}")]
struct Item {
    id: String,
    user_id: String,
    order_id: String,
    // Field names, not other values.
    #[dynamite(belongs_to(foreign_key = ["user_id", 7]))]
    order: BelongsTo<Order>,
}

fn main() {}
