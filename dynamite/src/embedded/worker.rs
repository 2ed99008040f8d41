//! The engine's own thread: every call into the synchronous engine (SQLite
//! behind a mutex) runs there, never on an async worker, and the thread
//! outlives any one Tokio runtime. It stops when the last [`Worker`] is
//! dropped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

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
                while let Some(job) = next(&queue) {
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
        // The engine answers in microseconds: polling for that long keeps
        // this worker from parking, which would cost a thread wake-up (tens
        // of microseconds on a VM) per request.
        let mut rx = rx;
        let deadline = Instant::now() + SPIN;
        loop {
            match rx.try_recv() {
                Ok(answer) => return Ok(answer),
                Err(oneshot::error::TryRecvError::Closed) => return Err(Stopped),
                Err(oneshot::error::TryRecvError::Empty) if Instant::now() < deadline => {
                    tokio::task::yield_now().await;
                }
                Err(oneshot::error::TryRecvError::Empty) => break,
            }
        }
        rx.await.map_err(|_| Stopped)
    }
}

/// How long either side polls before it sleeps: the engine thread for the
/// next call, a caller for its answer.
const SPIN: Duration = Duration::from_micros(50);

/// The next call for the engine thread: polled for [`SPIN`] (a caller's next
/// request usually follows within microseconds), then waited for; `None`
/// once every [`Worker`] is gone.
fn next(queue: &mpsc::Receiver<Job>) -> Option<Job> {
    let deadline = Instant::now() + SPIN;
    loop {
        match queue.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if Instant::now() < deadline => {
                std::hint::spin_loop();
            }
            Err(mpsc::TryRecvError::Empty) => return queue.recv().ok(),
        }
    }
}
