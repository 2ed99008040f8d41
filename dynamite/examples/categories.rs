//! The TypeScript library's relationships guide, section "Self-Referential
//! Relationships": a category tree loaded from its roots (`parent_id` is
//! none) three levels deep.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub(crate) struct Category {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) parent_id: Option<String>,
    #[dynamite(has_many(foreign_key = "parent_id"))]
    pub(crate) children: HasMany<Category>,
    #[dynamite(belongs_to(foreign_key = "parent_id"))]
    pub(crate) parent: BelongsTo<Category>,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder.table::<Category>()
}

fn print_tree(out: &mut String, category: &Category, depth: usize) {
    out.push_str(&format!("{}{}\n", "  ".repeat(depth), category.name));
    for child in &category.children {
        print_tree(out, child, depth + 1);
    }
}

pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    let tree = [
        ("1", "Electronics", None),
        ("1.1", "Computers", Some("1")),
        ("1.1.1", "Laptops", Some("1.1")),
        ("1.1.2", "Desktops", Some("1.1")),
        ("1.2", "Phones", Some("1")),
        ("2", "Books", None),
        ("2.1", "Fiction", Some("2")),
    ];
    let rows = tree.iter().map(|(id, name, parent)| {
        Category::create()
            .id(*id)
            .name(*name)
            .parent_id(parent.map(str::to_owned))
            .build()
    });
    Category::put_many(db, rows).await?;

    let mut roots = Category::query()
        .filter(Category::PARENT_ID.is_none())
        .include(Category::children().include(Category::children()))
        .all(db)
        .await?;
    roots.sort_by(|a, b| a.id.cmp(&b.id));
    for root in &roots {
        print_tree(&mut out, root, 0);
    }

    let laptops = Category::query()
        .filter(Category::ID.eq("1.1.1"))
        .include(Category::parent().include(Category::parent()))
        .first(db)
        .await?;
    if let Some(leaf) = laptops {
        let parent = leaf.parent.as_ref();
        let grandparent = parent.and_then(|p| p.parent.as_ref());
        out.push_str(&format!(
            "{} < {} < {}\n",
            leaf.name,
            parent.map_or("?", |p| p.name.as_str()),
            grandparent.map_or("?", |g| g.name.as_str())
        ));
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
