//! One test's life: a runtime, a fresh handle (an in-memory embedded
//! database, or a unique table prefix on `DYNAMITE_TEST_ENDPOINT`), the
//! schema, the seed, the fixtures, the body, and the clean-up, which runs
//! whether the body returned, failed or panicked.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::LocalBoxFuture;

use super::outcome::TestResult;
use crate::client::{Dynamite, DynamiteBuilder};

/// The variable naming the endpoint tests run against (DynamoDB Local, or
/// any other); unset or empty: the embedded engine.
pub const TEST_ENDPOINT_VAR: &str = "DYNAMITE_TEST_ENDPOINT";

/// The Tokio runtime a test runs on, as `#[tokio::test]`'s `flavor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// One thread: the test's own (the default).
    #[default]
    CurrentThread,
    /// A pool of worker threads (`None`: one per core).
    MultiThread {
        /// How many workers.
        worker_threads: Option<usize>,
    },
}

/// A Tokio runtime of `flavor`, with I/O and time enabled: what the
/// generated `#[test]` of `#[dynamite::test]` runs its body on.
///
/// ```
/// use dynamite::testing::{Flavor, runtime};
/// let rt = runtime(Flavor::MultiThread { worker_threads: Some(2) })?;
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn runtime(flavor: Flavor) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread { worker_threads } => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = worker_threads {
                builder.worker_threads(n.max(1));
            }
            builder
        }
    };
    builder.enable_all().build()
}

type Configure = Arc<dyn Fn(DynamiteBuilder) -> DynamiteBuilder>;
type Step = Arc<dyn for<'a> Fn(&'a Dynamite) -> LocalBoxFuture<'a, Result<(), String>>>;

fn step<F, R>(f: F) -> Step
where
    F: AsyncFn(&Dynamite) -> R + 'static,
    R: TestResult,
{
    let f = Arc::new(f);
    Arc::new(move |db: &Dynamite| {
        let f = f.clone();
        Box::pin(async move { f(db).await.into_result() })
    })
}

/// Runs one test the way `#[dynamite::test]` does; usable without the
/// attribute. Each run gets a fresh handle configured by the
/// [`configure`](Self::configure) steps, with its tables synced:
///
/// - on the embedded engine, a fresh in-memory database;
/// - with [`TEST_ENDPOINT_VAR`] set, that endpoint (region `us-east-1`,
///   credentials `test` / `test`) with a table prefix no other test
///   shares, and afterwards every table with that prefix deleted, also
///   when the test fails or panics (the panic then resumes, so
///   `#[should_panic]` holds).
///
/// Then the seed (see [`seed`](Self::seed)), the fixture files, the
/// fixture functions in order, and the body. A failed set-up step or an
/// `Err` from the body fails the test with a panic naming it.
///
/// ```no_run
/// use dynamite::prelude::*;
/// use dynamite::testing::{Flavor, Harness};
///
/// #[derive(Table, Debug, Clone)]
/// struct User {
///     #[dynamite(primary_key)]
///     id: String,
/// }
///
/// async fn one_user(db: &Dynamite) -> dynamite::Result<()> {
///     User::create().id("ada").exec(db).await.map(drop)
/// }
///
/// #[test]
/// fn finds_ada() {
///     Harness::new("finds_ada")
///         .flavor(Flavor::MultiThread { worker_threads: Some(2) })
///         .configure(|b| b.table::<User>())
///         .fixture(one_user)
///         .run(async |db| {
///             assert!(User::get(&db, "ada").await?.is_some());
///             Ok::<(), dynamite::Error>(())
///         });
/// }
/// ```
#[must_use = "a harness does nothing until `.run(body)`"]
pub struct Harness {
    name: String,
    flavor: Flavor,
    configure: Vec<Configure>,
    #[cfg(feature = "serde")]
    fixtures: super::Fixtures,
    #[cfg(feature = "serde")]
    files: Vec<(String, String)>,
    steps: Vec<(&'static str, Step)>,
    seed: Option<(TypeId, &'static str, Step)>,
}

impl fmt::Debug for Harness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harness")
            .field("name", &self.name)
            .field("flavor", &self.flavor)
            .field("configure", &self.configure.len())
            .field(
                "fixtures",
                &self.steps.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("seed", &self.seed.as_ref().map(|(_, n, _)| *n))
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// A harness for the test `name` (shown in failures, and the start of
    /// its table prefix on an endpoint).
    pub fn new(name: impl Into<String>) -> Self {
        Harness {
            name: name.into(),
            flavor: Flavor::default(),
            configure: Vec::new(),
            #[cfg(feature = "serde")]
            fixtures: super::Fixtures::new(),
            #[cfg(feature = "serde")]
            files: Vec::new(),
            steps: Vec::new(),
            seed: None,
        }
    }

    /// The runtime the test runs on (default: current thread).
    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.flavor = flavor;
        self
    }

    /// A step applied to the handle's builder: register models
    /// (`|b| b.table::<User>()`), set options. On an endpoint the harness
    /// sets the table prefix after these steps.
    pub fn configure(
        mut self,
        configure: impl Fn(DynamiteBuilder) -> DynamiteBuilder + 'static,
    ) -> Self {
        self.configure.push(Arc::new(configure));
        self
    }

    /// The models fixture files may list (see [`Fixtures`](super::Fixtures)).
    #[cfg(feature = "serde")]
    pub fn fixture_models(mut self, fixtures: super::Fixtures) -> Self {
        self.fixtures = fixtures;
        self
    }

    /// A fixture file's content, named `name` in errors, loaded before
    /// the fixture functions.
    #[cfg(feature = "serde")]
    pub fn fixture_json(mut self, name: impl Into<String>, json: impl Into<String>) -> Self {
        self.files.push((name.into(), json.into()));
        self
    }

    /// An `async fn(&Dynamite) -> R` run before the body (after the seed
    /// and the fixture files), `R` being `()` or `Result<(), E: Debug>`.
    pub fn fixture<F, R>(mut self, fixture: F) -> Self
    where
        F: AsyncFn(&Dynamite) -> R + 'static,
        R: TestResult,
    {
        self.steps.push((std::any::type_name::<F>(), step(fixture)));
        self
    }

    /// An `async fn(&Dynamite) -> R` whose data every test naming it starts
    /// from. On the embedded engine it runs once per test binary and set
    /// of tables, on a database of its own; its [`Snapshot`](super::Snapshot)
    /// is restored into each test's database. On an endpoint it runs in
    /// each test (there is no snapshot of another endpoint).
    pub fn seed<F, R>(mut self, seed: F) -> Self
    where
        F: AsyncFn(&Dynamite) -> R + 'static,
        R: TestResult,
    {
        self.seed = Some((TypeId::of::<F>(), std::any::type_name::<F>(), step(seed)));
        self
    }

    /// Runs the test: builds the runtime, prepares the database, runs
    /// `body` with the handle, cleans up.
    ///
    /// # Panics
    ///
    /// When the test fails: a set-up step fails, the body panics (the panic
    /// is resumed after the clean-up) or returns an `Err`, or the clean-up
    /// of an endpoint's tables fails. Also when called on a Tokio runtime
    /// (it builds its own: call it from a plain `#[test]`).
    pub fn run<F, Fut>(self, body: F)
    where
        F: FnOnce(Dynamite) -> Fut,
        Fut: Future,
        Fut::Output: TestResult,
    {
        let runtime = match runtime(self.flavor) {
            Ok(runtime) => runtime,
            Err(e) => panic!("{}: cannot build the Tokio runtime: {e}", self.name),
        };
        runtime.block_on(self.run_on_runtime(body));
    }

    async fn run_on_runtime<F, Fut>(self, body: F)
    where
        F: FnOnce(Dynamite) -> Fut,
        Fut: Future,
        Fut::Output: TestResult,
    {
        let endpoint = std::env::var(TEST_ENDPOINT_VAR)
            .ok()
            .filter(|e| !e.is_empty());
        let db = match self.builder(endpoint.as_deref()).build().await {
            Ok(db) => db,
            Err(e) => panic!("{}: cannot build the handle: {e}", self.name),
        };
        let test = async {
            self.set_up(&db, endpoint.is_some())
                .await
                .map_err(|e| format!("set-up failed: {e}"))?;
            body(db.clone()).await.into_result()
        };
        let outcome = AssertUnwindSafe(test).catch_unwind().await;
        let cleanup = match endpoint {
            Some(_) => super::cleanup::delete_tables(&db).await,
            None => Ok(()),
        };
        drop(db);
        match outcome {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(Err(e)) => panic!("{}: {e}", self.name),
            Ok(Ok(())) => {}
        }
        if let Err(e) = cleanup {
            panic!(
                "{}: the test passed, but its tables were not deleted: {e}",
                self.name
            );
        }
    }

    /// The handle's builder: the backend, then the configure steps, then
    /// (on an endpoint) a unique prefix.
    fn builder(&self, endpoint: Option<&str>) -> DynamiteBuilder {
        let base = match endpoint {
            Some(url) => Dynamite::builder()
                .endpoint(url)
                .region("us-east-1")
                .credentials("test", "test"),
            None => embedded_builder(&self.name),
        };
        let builder = self.configure.iter().fold(base, |b, f| f(b));
        match endpoint {
            Some(_) => builder.table_prefix(super::cleanup::unique_prefix(&self.name)),
            None => builder,
        }
    }

    async fn set_up(&self, db: &Dynamite, on_endpoint: bool) -> Result<(), String> {
        match &self.seed {
            #[cfg(feature = "embedded")]
            Some((id, name, seed)) if !on_endpoint => {
                self.restore_seed(db, *id, name, seed).await?
            }
            Some((_, name, seed)) => {
                db.sync().await.map_err(|e| format!("sync: {e}"))?;
                seed(db).await.map_err(|e| format!("seed {name}: {e}"))?;
            }
            None => db
                .sync()
                .await
                .map(drop)
                .map_err(|e| format!("sync: {e}"))?,
        }
        // Without the embedded engine there is no snapshot: seeds run per test.
        #[cfg(not(feature = "embedded"))]
        let _ = on_endpoint;
        #[cfg(feature = "serde")]
        for (name, json) in &self.files {
            self.fixtures
                .load_json(db, name, json)
                .await
                .map_err(|e| e.to_string())?;
        }
        for (name, fixture) in &self.steps {
            fixture(db)
                .await
                .map_err(|e| format!("fixture {name}: {e}"))?;
        }
        // The test's `db.metrics()` counts its own requests, not the set-up's.
        db.metrics().reset();
        Ok(())
    }

    /// Restores the seed's snapshot, seeding a database of its own first
    /// when no test of this binary has yet.
    #[cfg(feature = "embedded")]
    async fn restore_seed(
        &self,
        db: &Dynamite,
        id: TypeId,
        name: &str,
        seed: &Step,
    ) -> Result<(), String> {
        // One snapshot per seed and schema: each registered model (its
        // static metadata's address tells two models of one name apart) and
        // the table it is stored in.
        let mut schema: Vec<String> = db
            .registered_all()
            .map(|r| format!("{}:{}@{:p}", r.table_name, r.meta.model, r.meta))
            .collect();
        schema.sort();
        schema.dedup();
        let cell = super::seed::cell((id, schema));
        let snapshot = cell
            .get_or_try_init(|| async {
                let seeded = self
                    .builder(None)
                    .build()
                    .await
                    .map_err(|e| format!("seed {name}: {e}"))?;
                seeded
                    .sync()
                    .await
                    .map_err(|e| format!("seed {name}: sync: {e}"))?;
                seed(&seeded)
                    .await
                    .map_err(|e| format!("seed {name}: {e}"))?;
                seeded
                    .snapshot()
                    .await
                    .map_err(|e| format!("seed {name}: {e}"))
            })
            .await?;
        db.restore(snapshot)
            .await
            .map_err(|e| format!("seed {name}: {e}"))?;
        // The snapshot holds the seeded handle's tables; the test's own
        // options (indexes, TTL, table options) are brought to them.
        db.sync()
            .await
            .map(drop)
            .map_err(|e| format!("seed {name}: sync after restore: {e}"))
    }
}

#[cfg(feature = "embedded")]
fn embedded_builder(_name: &str) -> DynamiteBuilder {
    Dynamite::embedded()
}

#[cfg(not(feature = "embedded"))]
fn embedded_builder(name: &str) -> DynamiteBuilder {
    panic!(
        "{name}: set {TEST_ENDPOINT_VAR} to an endpoint (DynamoDB Local), or enable the \
         `embedded` feature of dynamite-orm for an in-process database"
    )
}
