//! The TypeScript library's relationships guide, sections "One-to-Many
//! (HasMany)" and "Many-to-One (BelongsTo)": users with their posts, posts
//! with their author.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub(crate) struct User {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    #[dynamite(has_many(foreign_key = "user_id"))]
    pub(crate) posts: HasMany<Post>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Post {
    #[dynamite(primary_key, default = uuid)]
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) title: String,
    pub(crate) content: String,
    #[dynamite(belongs_to(foreign_key = "user_id"))]
    pub(crate) user: BelongsTo<User>,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<User>().table::<Post>()
}

pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    let ada = User::create()
        .name("Ada")
        .email("ada@example.com")
        .exec(db)
        .await?;
    let alan = User::create()
        .name("Alan")
        .email("alan@example.com")
        .exec(db)
        .await?;
    for (user, title) in [
        (&ada, "Notes on the Engine"),
        (&ada, "Bernoulli numbers"),
        (&alan, "Computable numbers"),
    ] {
        Post::create()
            .user_id(&user.id)
            .title(title)
            .content("...")
            .exec(db)
            .await?;
    }

    // Load users with their posts (one Scan of each table, stitched).
    let mut users = User::query().include(User::posts()).all(db).await?;
    users.sort_by(|a, b| a.name.cmp(&b.name));
    for user in &users {
        out.push_str(&format!("{} has {} posts\n", user.name, user.posts.len()));
        for post in &user.posts {
            out.push_str(&format!("  - {}\n", post.title));
        }
    }

    // Load one user with posts: GetItem + a Query on the posts' user_id index, in one round.
    let one = User::query()
        .filter(User::ID.eq(&ada.id))
        .include(User::posts())
        .first(db)
        .await?;
    if let Some(user) = one {
        out.push_str(&format!("Posts: {}\n", user.posts.len()));
    }

    // Load posts with their author (BatchGetItem of the distinct authors).
    let mut posts = Post::query().include(Post::user()).all(db).await?;
    posts.sort_by(|a, b| a.title.cmp(&b.title));
    for post in &posts {
        let by = post.user.as_ref().map_or("Unknown", |u| u.name.as_str());
        out.push_str(&format!("{} by {by}\n", post.title));
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
