//! The TypeScript library's relationships guide, sections "Filtered
//! Relationships", "Select Specific Attributes" and "Combined Filters":
//! include filters run inside DynamoDB (a FilterExpression on each child
//! Query), limits and order per parent.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub(crate) struct User {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    #[dynamite(index)]
    pub(crate) role: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) orders: HasMany<Order>,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) posts: HasMany<Post>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Order {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) status: String,
    pub(crate) total: f64,
    #[dynamite(created_at)]
    pub(crate) created_at: String,
    pub(crate) note: Option<String>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Post {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) title: String,
    pub(crate) published: bool,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub(crate) user: BelongsTo<User>,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<User>().table::<Order>().table::<Post>()
}

pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    User::put_many(
        db,
        [
            User::create()
                .id("user-123")
                .name("Ada")
                .email("ada@example.com")
                .role("premium")
                .build(),
            User::create()
                .id("user-456")
                .name("Bob")
                .email("bob@example.com")
                .role("customer")
                .build(),
        ],
    )
    .await?;
    let orders = (0..14).map(|i| {
        Order::create()
            .id(format!("order-{i:02}"))
            .user_id(if i < 12 { "user-123" } else { "user-456" })
            .status(if i % 3 == 0 { "pending" } else { "completed" })
            .total(10.0 * f64::from(i))
            .note(Some(format!("note {i}")))
            .build()
    });
    Order::put_many(db, orders).await?;
    let posts = (0..8).map(|i| {
        Post::create()
            .id(format!("post-{i}"))
            .user_id("user-123")
            .title(format!("Post {i}"))
            .published(i % 2 == 0)
            .build()
    });
    Post::put_many(db, posts).await?;

    // Only published posts.
    let users = User::query()
        .filter(User::ID.eq("user-123"))
        .include(User::posts().filter(Post::PUBLISHED.eq(true)))
        .all(db)
        .await?;
    out.push_str(&format!(
        "Published posts: {}\n",
        users.first().map_or(0, |u| u.posts.len())
    ));

    // The 5 most recent posts.
    let users = User::query()
        .filter(User::ID.eq("user-123"))
        .include(User::posts().limit(5).order(Desc))
        .all(db)
        .await?;
    if let Some(user) = users.first() {
        let titles: Vec<&str> = user.posts.iter().map(|p| p.title.as_str()).collect();
        out.push_str(&format!(
            "Recent posts: {} ({})\n",
            titles.len(),
            titles.join(", ")
        ));
    }

    // Posts with only the author's name and email.
    let mut posts = Post::query()
        .filter(Post::PUBLISHED.eq(true))
        .include(Post::user().attributes((User::NAME, User::EMAIL)))
        .all(db)
        .await?;
    posts.sort_by(|a, b| a.title.cmp(&b.title));
    // A projected relation holds `Projected<User>` (typed getters, no
    // `save`), never a `User` whose unfetched fields would read as empty.
    if let Some(post) = posts.first()
        && let Some(Some(user)) = post.user.projected()
    {
        out.push_str(&format!(
            "{} by {} ({})\n",
            post.title,
            user.get(User::NAME)?,
            user.get(User::EMAIL)?
        ));
    }

    // Combined filters: premium users (a Query on the role index), their 10
    // latest completed orders with three attributes, their 5 first published posts.
    let query = User::query()
        .filter(User::ROLE.eq("premium"))
        .include(
            User::orders()
                .filter(Order::STATUS.eq("completed"))
                .limit(10)
                .order(Desc)
                .attributes((Order::ID, Order::TOTAL, Order::CREATED_AT)),
        )
        .include(User::posts().filter(Post::PUBLISHED.eq(true)).limit(5));
    out.push_str(&format!(
        "Plan:\n{}\n",
        query.explain(db).to_string().replace(db.table_prefix(), "")
    ));
    for user in query.all(db).await? {
        out.push_str(&format!("{}:\n", user.name));
        let orders = user.orders.projected().unwrap_or_default();
        out.push_str(&format!("  Recent orders: {}\n", orders.len()));
        // `note` was not fetched: asking for it is an error, not a `None`.
        let newest = match orders.first() {
            Some(o) => Some((
                o.get(Order::ID)?,
                o.get(Order::TOTAL)?,
                o.get(Order::NOTE).is_err(),
            )),
            None => None,
        };
        out.push_str(&format!("  Newest completed: {newest:?}\n"));
        out.push_str(&format!("  Published posts: {}\n", user.posts.len()));
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> dynamite::Result<()> {
    let db = register(common::builder()).build().await?;
    db.sync().await?; // create the tables and their indexes
    print!("{}", run(db).await?);
    Ok(())
}
