use dynamite::prelude::*;
use dynamite::{BelongsTo, Entities};

#[derive(Table, Clone)]
struct Post {
    #[dynamite(primary_key)]
    id: String,
}

#[derive(Table, Clone)]
struct Video {
    #[dynamite(primary_key)]
    id: String,
}

#[derive(Entities, Clone)]
enum OnlyPosts {
    Post(Post),
}

#[derive(Table)]
struct Comment {
    #[dynamite(primary_key)]
    id: String,
    kind: String,
    target_id: String,
    // `Video` is not a variant of `OnlyPosts`.
    #[dynamite(belongs_to(foreign_key = "target_id", type_key = "kind", targets(Post = "post", Video = "video")))]
    target: BelongsTo<OnlyPosts>,
}

fn main() {}
