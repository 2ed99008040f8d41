//! Seeds run once per test binary: the snapshot each seed function left,
//! per schema (registered models and their tables), shared by every test
//! that names both.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::OnceCell;

use super::snapshot::Snapshot;

/// A seed function (its type: every `fn` item has its own) and the full
/// schema of the handle it seeds (one `table:model@address` per model).
pub(super) type SeedKey = (TypeId, Vec<String>);

static SEEDS: LazyLock<Mutex<HashMap<SeedKey, Arc<OnceCell<Snapshot>>>>> =
    LazyLock::new(Mutex::default);

/// The cell holding `key`'s snapshot, empty until a test fills it (a seed
/// that fails leaves it empty: the next test tries again).
pub(super) fn cell(key: SeedKey) -> Arc<OnceCell<Snapshot>> {
    let mut seeds = SEEDS.lock().unwrap_or_else(|e| e.into_inner());
    seeds.entry(key).or_default().clone()
}
