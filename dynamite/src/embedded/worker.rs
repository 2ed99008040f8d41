//! The engine's own thread: every call into the synchronous engine (SQLite
//! behind a mutex) runs there, never on an async worker, and the thread
//! outlives any one Tokio runtime. It stops when the last [`Worker`] is
//! dropped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;

use dynoxide::Database;
use tokio::sync::oneshot;

use crate::error::{Error, Result};

type Job = Box<dyn FnOnce(&Database) + Send>;

/// A handle on the engine thread (clones share it).
#[derive(Debug, Clone)]
pub(super) struct Worker {
    jobs: mpsc::Sender<Job>,
}

/// The engine thread stopped (a call panicked in the engine, or the thread
/// could not be reached).
#[derive(Debug)]
pub(super) struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the embedded engine's thread did not answer")
    }
}

impl std::error::Error for Stopped {}

impl Worker {
    /// Starts the thread that owns calls into `database`.
    pub(super) fn start(database: Database) -> Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("dynamite-embedded-engine".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    // A panic inside the engine fails that call (its answer
                    // channel closes) and leaves the thread serving others.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(&database)));
                }
            })
            .map_err(|e| Error::backend("embedded engine: thread", e))?;
        Ok(Worker { jobs })
    }

    /// Runs `f` on the engine thread; resolves on any runtime.
    pub(super) async fn run<T, F>(&self, f: F) -> std::result::Result<T, Stopped>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            let _ = tx.send(f(db));
        });
        self.jobs.send(job).map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }
}
