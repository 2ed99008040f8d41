//! Seed section "Polymorphic Relationships": a comment points at a post or
//! a video through `commentable_type` + `commentable_id`. Like the seed,
//! the lookup is a manual pattern — an enum over the possible targets and
//! one GetItem — since DynamoDB has no polymorphic join.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub struct Post {
    #[dynamite(primary_key)]
    pub id: String,
    pub title: String,
}

#[derive(Table, Debug, Clone)]
pub struct Video {
    #[dynamite(primary_key)]
    pub id: String,
    pub url: String,
}

/// What a comment can point at: stored as the string "Post" / "Video".
#[derive(Attribute, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentableType {
    Post,
    Video,
}

#[derive(Table, Debug, Clone)]
pub struct Comment {
    #[dynamite(primary_key)]
    pub id: String,
    pub commentable_type: CommentableType,
    #[dynamite(index)]
    pub commentable_id: String,
    pub content: String,
}

/// The target of a comment.
#[derive(Debug)]
pub enum Commentable {
    Post(Post),
    Video(Video),
}

impl Comment {
    /// Loads the post or video this comment is about (one GetItem).
    pub async fn commentable(&self, db: &Dynamite) -> dynamite::Result<Option<Commentable>> {
        Ok(match self.commentable_type {
            CommentableType::Post => Post::get(db, self.commentable_id.as_str())
                .await?
                .map(Commentable::Post),
            CommentableType::Video => Video::get(db, self.commentable_id.as_str())
                .await?
                .map(Commentable::Video),
        })
    }
}

pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<Post>().table::<Video>().table::<Comment>()
}

pub async fn run(db: Dynamite) -> dynamite::Result<String> {
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

    let mut comments = Comment::query().all(db).await?;
    comments.sort_by(|a, b| a.id.cmp(&b.id));
    for comment in &comments {
        let target = match comment.commentable(db).await? {
            Some(Commentable::Post(p)) => format!("post \"{}\"", p.title),
            Some(Commentable::Video(v)) => format!("video {}", v.url),
            None => "nothing".to_owned(),
        };
        out.push_str(&format!("{} -> {target}\n", comment.content));
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
    common::main_with(register, run).await
}
