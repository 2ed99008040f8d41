//! Snapshots of an embedded database: every table, index and item, taken
//! once and restored into any embedded handle (a suite seeds once, each
//! test starts from the seed).
//!
//! The engine copies a database only through files (SQLite's
//! `VACUUM INTO` and backup API), so a snapshot is read into memory as
//! soon as it is taken and its file deleted; a restore writes it to a
//! fresh file, restores from it, and deletes it. No file outlives the call.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::client::Dynamite;
use crate::error::{Error, Result};

/// The tables and items of an embedded database at one moment, held in
/// memory. Cloning it is cheap; restore it into any embedded handle with
/// [`Dynamite::restore`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
///
/// #[derive(Table, Debug, Clone)]
/// struct User {
///     #[dynamite(primary_key)]
///     id: String,
/// }
///
/// let seeded = Dynamite::embedded().table::<User>().build().await?;
/// seeded.sync().await?;
/// User::create().id("ada").exec(&seeded).await?;
/// let snapshot = seeded.snapshot().await?;
///
/// // Another database, starting from the seed: tables and rows included.
/// let db = Dynamite::embedded().table::<User>().build().await?;
/// db.restore(&snapshot).await?;
/// assert!(User::get(&db, "ada").await?.is_some());
/// User::create().id("bob").exec(&db).await?;
/// assert!(User::get(&seeded, "bob").await?.is_none()); // the seed is untouched
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Snapshot {
    bytes: Arc<[u8]>,
}

impl Snapshot {
    /// The snapshot's size in bytes (an SQLite database image).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the snapshot holds no bytes (never, for one taken by
    /// [`Dynamite::snapshot`]).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A temporary file path, removed (if it exists) when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new() -> Self {
        let name = format!("dynamite-snapshot-{}.sqlite", uuid::Uuid::new_v4().simple());
        TempFile(std::env::temp_dir().join(name))
    }

    fn path(&self) -> Result<&str> {
        self.0.to_str().ok_or_else(|| {
            Error::Config(format!(
                "the temporary directory {:?} is not UTF-8: the embedded engine cannot \
                 snapshot there (set TMPDIR)",
                self.0
            ))
        })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn engine_of(db: &Dynamite, operation: &str) -> Result<dynoxide::Database> {
    db.embedded_database().cloned().ok_or_else(|| {
        Error::Config(format!(
            "{operation} copies the embedded engine's database; this handle talks to another \
             endpoint (seed it in each test instead)"
        ))
    })
}

/// Runs `work` off the async workers: the engine is synchronous.
async fn blocking<T: Send + 'static>(
    operation: &'static str,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::backend(operation, e))?
}

impl Dynamite {
    /// Copies the embedded database this handle talks to (every table, not
    /// only this handle's models) into a [`Snapshot`].
    /// [`Error::Config`] on any other backend.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let engine = engine_of(self, "snapshot")?;
        blocking("embedded engine: snapshot", move || {
            let file = TempFile::new();
            engine
                .vacuum_into(file.path()?)
                .map_err(|e| Error::backend("embedded engine: snapshot", e))?;
            let bytes = std::fs::read(&file.0)
                .map_err(|e| Error::backend("embedded engine: read snapshot", e))?;
            Ok(Snapshot {
                bytes: bytes.into(),
            })
        })
        .await
    }

    /// Replaces every table and item of the embedded database this handle
    /// talks to with `snapshot`'s (handles sharing the engine see it too).
    /// [`Error::Config`] on any other backend.
    pub async fn restore(&self, snapshot: &Snapshot) -> Result<()> {
        let engine = engine_of(self, "restore")?;
        let bytes = snapshot.bytes.clone();
        blocking("embedded engine: restore", move || {
            let file = TempFile::new();
            std::fs::write(&file.0, &bytes)
                .map_err(|e| Error::backend("embedded engine: write snapshot", e))?;
            engine
                .restore_from(file.path()?)
                .map_err(|e| Error::backend("embedded engine: restore", e))
        })
        .await
    }
}
