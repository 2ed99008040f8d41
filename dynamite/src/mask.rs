//! Which stored attributes never show their values in text a person reads:
//! error messages (`Display` and `Debug`), `explain()` and request spans.
//!
//! An attribute is masked when a model declares it [`Sensitive`], and so is
//! every key attribute rendered from a template that names one (a
//! `pk = "USER#{email}"` with a sensitive `email` masks `pk`). Masking is
//! per table (prefix included): a shared table with one such model masks
//! `pk` for every model stored in it, other tables are unaffected. The set
//! is process-wide and only grows, filled by every registry that resolves
//! a model, so a message never depends on which handle produced it.
//!
//! [`Sensitive`]: crate::Sensitive

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock, RwLockReadGuard};

/// What a masked value reads as.
pub(crate) const MASK: &str = "***";

#[derive(Default)]
struct Masked {
    /// (table, attribute) pairs.
    pairs: HashSet<(String, String)>,
    /// The attribute names of every pair, for text that knows no table.
    names: HashSet<String>,
}

fn masked() -> &'static RwLock<Masked> {
    static MASKED: OnceLock<RwLock<Masked>> = OnceLock::new();
    MASKED.get_or_init(RwLock::default)
}

fn read() -> RwLockReadGuard<'static, Masked> {
    masked().read().unwrap_or_else(|e| e.into_inner())
}

/// Masks these stored attribute names of `table` from now on (every
/// registry that resolves a model registers its
/// [`TableMeta::sensitive_names`](crate::TableMeta::sensitive_names)).
pub(crate) fn register(table: &str, names: Vec<&str>) {
    if names.is_empty() {
        return;
    }
    let mut set = masked().write().unwrap_or_else(|e| e.into_inner());
    for name in names {
        set.pairs.insert((table.to_owned(), name.to_owned()));
        set.names.insert(name.to_owned());
    }
}

/// Whether values of attribute `name` of `table` are masked.
pub(crate) fn is_masked(table: &str, name: &str) -> bool {
    read().pairs.contains(&(table.to_owned(), name.to_owned()))
}

/// Whether any attribute of `names` is masked in any of `tables`.
pub(crate) fn any_masked<'a>(tables: &[&str], names: impl Iterator<Item = &'a str>) -> bool {
    let set = read();
    let names: Vec<&str> = names.collect();
    tables.iter().any(|t| {
        names
            .iter()
            .any(|n| set.pairs.contains(&((*t).to_owned(), (*n).to_owned())))
    })
}

/// Whether attribute `name` is masked in some table (for text that knows
/// no table: it hides more, never less).
pub(crate) fn is_masked_anywhere(name: &str) -> bool {
    read().names.contains(name)
}

/// How text shows values: sensitive ones masked (everything a person
/// reads; a cursor's fingerprint is structural, `read::canonical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Show {
    /// Sensitive values as [`MASK`].
    Masked,
}
