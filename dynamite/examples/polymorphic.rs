//! The TypeScript library's relationships guide, section "Polymorphic
//! Relationships": a comment points at a post or a video through
//! `commentable_type` + `commentable_id`. A polymorphic `belongs_to` loads
//! the target as an enum: the include groups the ids by type and reads the
//! posts and the videos in one BatchGetItem.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::Entities;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub(crate) struct Post {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) title: String,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Video {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) url: String,
}

/// What a comment can point at: stored as the string "Post" / "Video".
#[derive(Attribute, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommentableType {
    Post,
    Video,
}

/// The target of a comment: one variant per model (`#[derive(Entities)]`).
#[derive(Entities, Debug, Clone)]
pub(crate) enum Commentable {
    Post(Post),
    Video(Video),
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Comment {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) commentable_type: CommentableType,
    #[dynamite(index)]
    pub(crate) commentable_id: String,
    pub(crate) content: String,
    /// The type field names the model, the id field its key.
    #[dynamite(belongs_to(
        foreign_key = "commentable_id",
        type_key = "commentable_type",
        targets(Post = "Post", Video = "Video")
    ))]
    pub(crate) commentable: BelongsTo<Commentable>,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<Post>().table::<Video>().table::<Comment>()
}

pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    Post::create().id("post-1").title("Hello").exec(db).await?;
    Video::create()
        .id("video-1")
        .url("https://example.com/v.mp4")
        .exec(db)
        .await?;
    Comment::create()
        .id("c1")
        .commentable_type(CommentableType::Post)
        .commentable_id("post-1")
        .content("Nice post")
        .exec(db)
        .await?;
    Comment::create()
        .id("c2")
        .commentable_type(CommentableType::Video)
        .commentable_id("video-1")
        .content("Nice video")
        .exec(db)
        .await?;

    db.metrics().reset();
    let mut comments = Comment::query()
        .include(Comment::commentable())
        .all(db)
        .await?;
    let requests = db.metrics().data_plane_requests();
    comments.sort_by(|a, b| a.id.cmp(&b.id));
    for comment in &comments {
        let target = match comment.commentable.as_deref() {
            Some(Commentable::Post(p)) => format!("post \"{}\"", p.title),
            Some(Commentable::Video(v)) => format!("video {}", v.url),
            None => "nothing".to_owned(),
        };
        out.push_str(&format!("{} -> {target}\n", comment.content));
    }
    out.push_str(&format!(
        "{requests} requests: a Scan of comments, one BatchGetItem of posts and videos\n"
    ));
    // Lazily, from one comment.
    if let Some(first) = comments.first()
        && let Some(Commentable::Post(p)) = Comment::commentable().of(first).get(db).await?
    {
        out.push_str(&format!("{} is about {}\n", first.id, p.id));
    }
    // All comments of one target: a Query on the commentable_id index.
    let on_video = Comment::query()
        .filter(Comment::COMMENTABLE_ID.eq("video-1"))
        .all(db)
        .await?;
    out.push_str(&format!("Comments on video-1: {}\n", on_video.len()));
    Ok(out)
}

#[tokio::main]
async fn main() -> dynamite::Result<()> {
    let db = register(common::builder()).build().await?;
    db.sync().await?; // create the tables and their indexes
    print!("{}", run(db).await?);
    Ok(())
}
