//! [`TableSpec`]: one table the registered models need, with its keys,
//! indexes, TTL attribute and options. Plain data: `sync()`, `sync_plan()`
//! and the export all start from it.

use crate::model::KeyMeta;
use crate::registry::IndexSpec;
use crate::table_options::TableOptions;

/// A table the models need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// Full table name (prefix included).
    pub name: String,
    /// Partition key.
    pub partition_key: KeyMeta,
    /// Sort key.
    pub sort_key: Option<KeyMeta>,
    /// Every GSI, declared and foreign-key ones.
    pub indexes: Vec<IndexSpec>,
    /// The TTL attribute (`#[dynamite(ttl)]`), if the models have one.
    pub ttl: Option<&'static str>,
    /// Billing, deletion protection, stream, tags, point-in-time recovery.
    pub options: TableOptions,
}

impl TableSpec {
    /// The TTL attribute `sync()` enables: the models' one, unless the
    /// options say `time_to_live(false)`.
    pub fn enabled_ttl(&self) -> Option<&'static str> {
        self.ttl
            .filter(|_| self.options.time_to_live_enabled() != Some(false))
    }
}
