//! Which stored attributes never show their values in text a person reads:
//! error messages (`Display` and `Debug`), `explain()` and request spans.
//!
//! An attribute is masked when a model declares it [`Sensitive`], and so is
//! every key attribute rendered from a template that names one (a
//! `pk = "USER#{email}"` with a sensitive `email` masks `pk`). The set is
//! process-wide and only grows: a name masked for one model is masked for
//! every model, so a message never depends on which handle produced it
//! (hiding too much is safe; hiding too little is a leak).
//!
//! [`Sensitive`]: crate::Sensitive

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};

/// What a masked value reads as.
pub(crate) const MASK: &str = "***";

fn names() -> &'static RwLock<HashSet<String>> {
    static NAMES: OnceLock<RwLock<HashSet<String>>> = OnceLock::new();
    NAMES.get_or_init(RwLock::default)
}

/// Masks these stored attribute names from now on (every registry that
/// resolves a model registers [`TableMeta::sensitive_names`]).
///
/// [`TableMeta::sensitive_names`]: crate::TableMeta::sensitive_names
pub(crate) fn register<'a>(add: impl IntoIterator<Item = &'a str>) {
    let mut set = names().write().unwrap_or_else(|e| e.into_inner());
    set.extend(add.into_iter().map(str::to_owned));
}

/// Whether values of the stored attribute `name` are masked.
pub(crate) fn is_masked(name: &str) -> bool {
    names_ref().contains(name)
}

/// Whether any of `names` is masked.
pub(crate) fn any_masked<'a>(mut names: impl Iterator<Item = &'a str>) -> bool {
    let set = names_ref();
    names.any(|n| set.contains(n))
}

fn names_ref() -> std::sync::RwLockReadGuard<'static, HashSet<String>> {
    names().read().unwrap_or_else(|e| e.into_inner())
}

/// Whether text shows values as they are (a cursor's fingerprint) or with
/// sensitive ones masked (everything a person reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Show {
    /// Values as they are.
    Exact,
    /// Sensitive values as [`MASK`].
    Masked,
}
