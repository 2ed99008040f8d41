use dynamite::prelude::*;
use dynamite::{BelongsTo, Entities, HasMany};

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
enum Target {
    Post(Post),
    Video(Video),
}

#[derive(Table)]
struct Comment {
    #[dynamite(primary_key)]
    id: String,
    kind: String,
    target_id: String,
    // `type_key` needs `targets`.
    #[dynamite(belongs_to(foreign_key = "target_id", type_key = "kind"))]
    a: BelongsTo<Target>,
    // `targets` needs `type_key`.
    #[dynamite(belongs_to(foreign_key = "target_id", targets(Post = "post")))]
    b: BelongsTo<Target>,
    // polymorphic is a belongs_to.
    #[dynamite(has_many(foreign_key = "target_id", type_key = "kind", targets(Post = "post")))]
    c: HasMany<Post>,
    // the same type value twice; an empty list; not a string
    #[dynamite(belongs_to(foreign_key = "target_id", type_key = "kind", targets(Post = "post", Video = "post")))]
    d: BelongsTo<Target>,
    #[dynamite(belongs_to(foreign_key = "target_id", type_key = "kind", targets()))]
    e: BelongsTo<Target>,
    #[dynamite(belongs_to(foreign_key = "target_id", type_key = "kind", targets(Post = 1)))]
    f: BelongsTo<Target>,
    // the type field must be a field of this model
    #[dynamite(belongs_to(foreign_key = "target_id", type_key = "sort", targets(Post = "post")))]
    g: BelongsTo<Target>,
    // a local key makes no sense: each target's primary key is referred to
    #[dynamite(belongs_to(foreign_key = "target_id", local_key = "id", type_key = "kind", targets(Post = "post")))]
    h: BelongsTo<Target>,
}

fn main() {}
