//! Models of the safety tests: optimistic locking, soft delete, hooks, validation.

use std::sync::Mutex;

use dynamite::prelude::*;
use dynamite::{DynamiteBuilder, Item};

/// A versioned document.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "safety_docs")]
pub struct Doc {
    #[dynamite(primary_key)]
    pub id: String,
    pub title: String,
    pub views: i64,
    #[dynamite(version)]
    pub version: u64,
    #[dynamite(updated_at)]
    pub updated_at: String,
}

/// An author whose rows are soft-deleted (an `i64` timestamp).
#[derive(Table, Debug, Clone)]
#[dynamite(table = "safety_authors")]
pub struct Author {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
    #[dynamite(has_many(foreign_key = "author_id"))]
    pub posts: HasMany<Post>,
}

/// A soft-deleted post (an ISO-8601 timestamp), with timestamps.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "safety_posts")]
pub struct Post {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub author_id: String,
    pub title: String,
    #[dynamite(created_at)]
    pub created_at: String,
    #[dynamite(updated_at)]
    pub updated_at: String,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<String>,
    #[dynamite(belongs_to(foreign_key = "author_id"))]
    pub author: BelongsTo<Author>,
}

/// Versioned and soft-deleted.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "safety_tickets")]
pub struct Ticket {
    #[dynamite(primary_key)]
    pub id: String,
    pub status: String,
    #[dynamite(version)]
    pub version: i32,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<String>,
}

pub fn check_email(email: &str) -> Result<(), String> {
    if email.contains('@') {
        Ok(())
    } else {
        Err(format!("`{email}` is not an email address"))
    }
}

pub fn check_age(age: &Option<u32>) -> Result<(), &'static str> {
    match age {
        Some(a) if *a > 150 => Err("must be at most 150"),
        _ => Ok(()),
    }
}

/// Validated fields.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "safety_accounts")]
pub struct Account {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(not_empty)]
    pub name: String,
    #[dynamite(validate = check_email)]
    pub email: String,
    #[dynamite(not_empty)]
    pub tags: Vec<String>,
    #[dynamite(validate = check_age)]
    pub age: Option<u32>,
}

/// Every hook call, as `"<hook> <id>"` (tests filter by their own ids).
pub static HOOK_LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The hook calls about ids starting with `prefix`.
pub fn hook_calls(prefix: &str) -> Vec<String> {
    HOOK_LOG
        .lock()
        .map(|log| {
            log.iter()
                .filter(|l| l.split(' ').nth(1).is_some_and(|id| id.starts_with(prefix)))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn log(hook: &str, id: &str) {
    if let Ok(mut l) = HOOK_LOG.lock() {
        l.push(format!("{hook} {id}"));
    }
}

fn id_of(key: &Item) -> String {
    dynamite::model::string_attribute(key, "id")
        .unwrap_or_default()
        .to_owned()
}

/// A model with hooks: texts equal to "veto" are refused on create and
/// update; ids ending in "-keep" cannot be deleted.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "safety_audited", hooks)]
pub struct Audited {
    #[dynamite(primary_key)]
    pub id: String,
    pub text: String,
}

impl Hooks for Audited {
    async fn before_create(&mut self) -> dynamite::Result<()> {
        log("before_create", &self.id);
        if self.text == "veto" {
            return Err(dynamite::Error::InvalidRequest("vetoed".into()));
        }
        // A hook may fill a field: a text "slug me" is stored as a slug.
        if self.text == "slug me" {
            self.text = format!("{}-slug", self.id);
        }
        Ok(())
    }
    async fn after_create(&self) -> dynamite::Result<()> {
        log("after_create", &self.id);
        Ok(())
    }
    async fn before_update(
        key: &Item,
        row: Option<&Self>,
        changes: &dynamite::Changes,
    ) -> dynamite::Result<()> {
        log("before_update", &id_of(key));
        if row.is_some_and(|r| r.text == "veto") {
            return Err(dynamite::Error::InvalidRequest("vetoed".into()));
        }
        // A veto by field: ids ending in "-frozen" keep their text.
        if id_of(key).ends_with("-frozen") && changes.touches("text") {
            return Err(dynamite::Error::InvalidRequest("frozen".into()));
        }
        Ok(())
    }
    async fn after_update(key: &Item, _row: Option<&Self>) -> dynamite::Result<()> {
        log("after_update", &id_of(key));
        Ok(())
    }
    async fn before_delete(key: &Item, _row: Option<&Self>) -> dynamite::Result<()> {
        let id = id_of(key);
        log("before_delete", &id);
        if id.ends_with("-keep") {
            return Err(dynamite::Error::InvalidRequest("kept".into()));
        }
        Ok(())
    }
    async fn after_delete(key: &Item, _row: Option<&Self>) -> dynamite::Result<()> {
        log("after_delete", &id_of(key));
        Ok(())
    }
}

/// Same table as [`Audited`], without hooks (to see hooks are opt-in).
#[derive(Table, Debug, Clone)]
#[dynamite(table = "safety_plain")]
pub struct Plain {
    #[dynamite(primary_key)]
    pub id: String,
    pub text: String,
}

pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Doc>()
        .table::<Author>()
        .table::<Post>()
        .table::<Ticket>()
        .table::<Account>()
        .table::<Audited>()
        .table::<Plain>()
}

/// An isolated handle with the safety models synced, metrics reset.
pub async fn db() -> Dynamite {
    let db = register(crate::common::builder())
        .build()
        .await
        .expect("build the handle");
    db.sync().await.expect("sync the schema");
    db.metrics().reset();
    db
}
