//! The [`Dynamite`] handle: SDK client, registry of tables, configuration.
//!
//! Every operation takes the handle explicitly (`&db`), like SeaORM's
//! connection. Cloning it is cheap (an `Arc`).

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryMode};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

use crate::error::Result;
use crate::metrics::{Metrics, MetricsInterceptor};
use crate::model::{Table, TableMeta};
use crate::registry::{Registered, Registry};
use crate::table_options::TableOptions;

/// How many retries the SDK may spend. The SDK draws every retry from a
/// token bucket (a retry costs 5 tokens, a retry after a timeout 10, a
/// success refunds 1); when the bucket is empty a failed attempt is not
/// retried, even with attempts left, and the call returns its error
/// (bulk calls still retry unprocessed items themselves: that budget is
/// theirs). The SDK's default bucket is shared by every client of the
/// process in one region, so one handle's fault storm can starve another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryBudget {
    /// The SDK's default: one bucket of 500 tokens per process and region.
    Shared,
    /// A bucket of this many tokens for this handle alone (the default:
    /// 500, the SDK's own capacity, unshared).
    PerHandle(usize),
    /// Every retry is allowed, up to `max_attempts` per request.
    Unlimited,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::PerHandle(500)
    }
}

impl RetryBudget {
    fn partition(self) -> Option<aws_sdk_dynamodb::config::retry::RetryPartition> {
        use aws_sdk_dynamodb::config::retry::{RetryPartition, TokenBucket};
        let name = format!("dynamite-{}", uuid::Uuid::new_v4().simple());
        match self {
            RetryBudget::Shared => None,
            RetryBudget::PerHandle(tokens) => Some(
                RetryPartition::custom(name)
                    .token_bucket(TokenBucket::new(tokens))
                    .build(),
            ),
            RetryBudget::Unlimited => Some(
                RetryPartition::custom(name)
                    .token_bucket(TokenBucket::unlimited())
                    .build(),
            ),
        }
    }
}

fn with_budget(
    config: aws_sdk_dynamodb::config::Builder,
    budget: RetryBudget,
) -> aws_sdk_dynamodb::config::Builder {
    match budget.partition() {
        Some(partition) => config.retry_partition(partition),
        None => config,
    }
}

/// The attribute single-row writes store their write id in, by default.
pub const DEFAULT_WRITE_ID_ATTRIBUTE: &str = "_dynamite_write";

/// Default number of requests one operation keeps in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A table's size as DynamoDB last reported it (DescribeTable), for the
/// planner's cost choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableStats {
    pub(crate) items: u64,
    pub(crate) bytes: u64,
}

/// How long table statistics are reused before DescribeTable is asked again.
const STATS_TTL: Duration = Duration::from_secs(300);

struct Inner {
    client: aws_sdk_dynamodb::Client,
    registry: Registry,
    metrics: Metrics,
    trace: Arc<crate::trace::TraceSettings>,
    scan_segments: Option<u32>,
    write_id: Option<String>,
    exact_writes: bool,
    /// Per table: when it was asked, and what DescribeTable said (`None`:
    /// it could not say, e.g. no permission).
    stats: std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, Option<TableStats>)>,
    >,
    concurrency: usize,
    /// Every query strict (`Query::strict`).
    strict: bool,
    /// At most this many Queries for one `is_in` on a partition key.
    max_is_in_queries: Option<usize>,
    sync_timeout: Duration,
    /// Seal cursors with these (current first); empty: plain cursors.
    cursor_keys: crate::read::cursor::CursorKeys,
    /// The options of each table `sync()` manages (full table name).
    table_options: TableOptionsByTable,
    #[cfg(feature = "embedded")]
    embedded: Option<crate::embedded::EmbeddedEngine>,
}

/// Per-table options over the defaults, resolved at `build`.
#[derive(Debug, Clone, Default)]
struct TableOptionsByTable {
    defaults: TableOptions,
    tables: std::collections::HashMap<String, TableOptions>,
}

impl TableOptionsByTable {
    /// The builder's settings by full table name; two different settings
    /// for one table (two models of a shared table) are [`Error::Config`].
    fn resolve(
        prefix: &str,
        defaults: TableOptions,
        set: &[(&'static TableMeta, TableOptions)],
    ) -> Result<Self> {
        let mut tables: std::collections::HashMap<String, TableOptions> =
            std::collections::HashMap::new();
        for (meta, options) in set {
            let name = format!("{prefix}{}", meta.table_name);
            match tables.get(&name) {
                Some(existing) if existing != options => {
                    return Err(crate::Error::Config(format!(
                        "table `{name}` is given two different table_options (model `{}`); \
                         a table has one set of options",
                        meta.model
                    )));
                }
                _ => {
                    tables.insert(name, options.clone());
                }
            }
        }
        Ok(TableOptionsByTable { defaults, tables })
    }

    fn get(&self, table: &str) -> TableOptions {
        match self.tables.get(table) {
            Some(options) => options.over(&self.defaults),
            None => self.defaults.clone(),
        }
    }
}

/// The handle to DynamoDB and the registered models.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynamite::Result<()> {
/// use dynamite::prelude::*;
///
/// #[derive(Table, Debug, Clone)]
/// struct Note {
///     #[dynamite(primary_key)]
///     id: String,
///     text: String,
/// }
///
/// let db = Dynamite::embedded().table_prefix("docs_").table::<Note>().build().await?;
/// assert_eq!(db.table_name::<Note>()?, "docs_notes");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Dynamite {
    inner: Arc<Inner>,
}

impl fmt::Debug for Dynamite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dynamite")
            .field("prefix", &self.inner.registry.prefix())
            .field("tables", &self.inner.registry.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
enum Source {
    /// Region / endpoint / credentials given explicitly, the rest from the AWS chain.
    Configured,
    /// Everything from the AWS environment.
    Environment,
    /// The in-process engine.
    #[cfg(feature = "embedded")]
    Embedded { path: Option<std::path::PathBuf> },
}

/// Configures a [`Dynamite`] handle: `Dynamite::builder()`, `Dynamite::embedded()`
/// or `Dynamite::from_env()`.
#[must_use = "a builder does nothing until `.build().await`"]
#[derive(Debug, Clone)]
pub struct DynamiteBuilder {
    source: Source,
    region: Option<String>,
    endpoint: Option<String>,
    credentials: Option<(String, String)>,
    prefix: String,
    tables: Vec<(TypeId, &'static TableMeta)>,
    retry_mode: RetryMode,
    max_attempts: u32,
    concurrency: usize,
    strict: bool,
    max_is_in_queries: Option<usize>,
    sync_timeout: Duration,
    scan_segments: Option<u32>,
    write_id: Option<String>,
    exact_writes: bool,
    retry_budget: RetryBudget,
    shared: Option<Dynamite>,
    default_table_options: TableOptions,
    table_options: Vec<(&'static TableMeta, TableOptions)>,
    trace_values: bool,
    cursor_secrets: crate::read::cursor::Secrets,
}

impl Dynamite {
    /// A builder for AWS or any endpoint (DynamoDB Local): set `region`,
    /// `endpoint`, `credentials`; what is not set comes from the AWS
    /// environment (profiles, environment variables, instance roles).
    pub fn builder() -> DynamiteBuilder {
        DynamiteBuilder::new(Source::Configured)
    }

    /// A builder configured entirely from the AWS environment.
    pub fn from_env() -> DynamiteBuilder {
        DynamiteBuilder::new(Source::Environment)
    }

    /// A builder for the in-process engine (in memory unless
    /// [`DynamiteBuilder::path`] is set). Never chosen implicitly.
    ///
    /// Each `build()` starts a fresh engine (`dynoxide-rs`, SQLite). The
    /// SDK reaches it without a socket: its HTTP client hands each request's
    /// bytes to the engine on the engine's own thread and parses the answer
    /// as it would from DynamoDB, so retries, interceptors, metrics and error
    /// codes are those of the wire. The engine outlives the Tokio runtime
    /// that built it and stops with the last handle. For an HTTP endpoint
    /// over the same data, see [`Dynamite::embedded_endpoint`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Note {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    ///     text: String,
    /// }
    /// let db = Dynamite::embedded().table::<Note>().build().await?;
    /// db.sync().await?;
    /// Note::create().id("n1").text("hi").exec(&db).await?;
    /// assert_eq!(Note::get(&db, "n1").await?.map(|n| n.text), Some("hi".into()));
    ///
    /// // The raw SDK client goes through the same transport.
    /// let tables = db.client().list_tables().send().await?;
    /// assert_eq!(tables.table_names(), [db.table_name::<Note>()?]);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "embedded")]
    pub fn embedded() -> DynamiteBuilder {
        DynamiteBuilder::new(Source::Embedded { path: None })
    }

    /// The SDK client, for requests Dynamite does not model.
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.inner.client
    }

    /// The HTTP endpoint of the embedded engine this handle started, for
    /// tools that need one (the CLI, a fault proxy, another language); `None`
    /// for other backends, or if the server could not start (logged).
    ///
    /// The handle itself talks to the engine without a socket. The first
    /// call starts the engine's HTTP server on `127.0.0.1`, over the same
    /// data; later calls return the same address. The server stops when the
    /// last handle using the engine is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Note {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    /// }
    /// let db = Dynamite::embedded().table::<Note>().build().await?;
    /// db.sync().await?;
    /// Note::create().id("n1").exec(&db).await?;
    ///
    /// // Another client, over HTTP, sees the same data.
    /// let endpoint = db.embedded_endpoint().expect("an embedded handle");
    /// assert!(endpoint.starts_with("http://127.0.0.1:"));
    /// assert_eq!(db.embedded_endpoint(), Some(endpoint));
    /// let over_http = Dynamite::builder()
    ///     .endpoint(endpoint)
    ///     .credentials("x", "y")
    ///     .table::<Note>()
    ///     .build()
    ///     .await?;
    /// assert!(Note::get(&over_http, "n1").await?.is_some());
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "embedded")]
    pub fn embedded_endpoint(&self) -> Option<&str> {
        self.inner
            .embedded
            .as_ref()
            .and_then(crate::embedded::EmbeddedEngine::endpoint)
    }

    /// The embedded engine this handle talks to, `None` for other backends.
    #[cfg(feature = "embedded")]
    pub(crate) fn embedded_database(&self) -> Option<&dynoxide::Database> {
        self.inner
            .embedded
            .as_ref()
            .map(crate::embedded::EmbeddedEngine::database)
    }

    /// Request metrics of this handle (shared with its clones).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The table prefix.
    pub fn table_prefix(&self) -> &str {
        self.inner.registry.prefix()
    }

    /// How many requests one operation keeps in flight.
    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    /// The ciphers sealing this handle's cursors (none: plain cursors).
    pub(crate) fn cursor_keys(&self) -> crate::read::cursor::CursorKeys {
        self.inner.cursor_keys.clone()
    }

    pub(crate) fn sync_timeout(&self) -> Duration {
        self.inner.sync_timeout
    }

    /// The options `sync()` gives table `table` (full name).
    pub(crate) fn table_options(&self, table: &str) -> TableOptions {
        self.inner.table_options.get(table)
    }

    /// On the embedded engine: deletes now every item whose TTL has passed
    /// (in tables where `sync()` enabled TTL), as DynamoDB does some time
    /// after expiry, and returns how many it deleted. Lets tests see what
    /// happens once DynamoDB has swept. [`crate::Error::Config`] on any
    /// other endpoint: DynamoDB sweeps on its own schedule.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Token {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    ///     #[dynamite(ttl)]
    ///     expires: i64,
    /// }
    /// let db = Dynamite::embedded().table::<Token>().build().await?;
    /// db.sync().await?;
    /// Token::create().id("t").expires(1).exec(&db).await?; // 1970: long expired
    /// assert_eq!(Token::query().with_expired().count(&db).await?, 1);
    /// assert_eq!(db.sweep_expired().await?, 1);
    /// assert_eq!(Token::query().with_expired().count(&db).await?, 0);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "embedded")]
    pub async fn sweep_expired(&self) -> Result<usize> {
        let span = crate::trace::operation_span!("dynamite.sweep_expired", None);
        match &self.inner.embedded {
            Some(engine) => tracing::Instrument::instrument(engine.sweep_ttl(), span).await,
            None => Err(crate::Error::Config(
                "sweep_expired runs the embedded engine's TTL sweep; this handle talks to \
                 another endpoint, which deletes expired items on its own schedule"
                    .to_owned(),
            )),
        }
    }

    /// The full table name of a registered model.
    pub fn table_name<T: Table>(&self) -> Result<String> {
        self.registered::<T>().map(|r| r.table_name.clone())
    }

    /// The registered models (plain data: explain plans from it).
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    pub(crate) fn registered<T: Table>(&self) -> Result<&Registered> {
        self.inner.registry.get::<T>()
    }

    /// Whether updates are sent in exact (token) mode.
    pub(crate) fn exact_writes(&self) -> bool {
        self.inner.exact_writes
    }

    /// The write id attribute, if write ids are on.
    pub(crate) fn write_id_attribute(&self) -> Option<&str> {
        self.inner.write_id.as_deref()
    }

    /// The configured number of Scan segments (`None`: from the table size).
    pub(crate) fn scan_segments(&self) -> Option<u32> {
        self.inner.scan_segments
    }

    /// Table statistics asked less than five minutes ago (the inner `None`:
    /// DynamoDB could not say).
    pub(crate) fn cached_stats(&self, table: &str) -> Option<Option<TableStats>> {
        let cache = self.inner.stats.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(table)
            .filter(|(at, _)| at.elapsed() < STATS_TTL)
            .map(|(_, s)| *s)
    }

    pub(crate) fn store_stats(&self, table: &str, stats: Option<TableStats>) {
        let mut cache = self.inner.stats.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(table.to_owned(), (std::time::Instant::now(), stats));
    }

    /// Every registered model, in registration order.
    pub(crate) fn registered_all(&self) -> impl Iterator<Item = &Registered> {
        self.inner.registry.iter()
    }
}

impl crate::registry::Models for Dynamite {
    fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    fn known_table_size(&self, table: &str) -> Option<(u64, u64)> {
        self.cached_stats(table)
            .flatten()
            .map(|s| (s.items, s.bytes))
    }

    fn concurrency(&self) -> Option<usize> {
        Some(self.inner.concurrency)
    }

    fn strict_reads(&self) -> bool {
        self.inner.strict
    }

    fn max_is_in_queries(&self) -> Option<usize> {
        self.inner.max_is_in_queries
    }
}

impl DynamiteBuilder {
    fn new(source: Source) -> Self {
        DynamiteBuilder {
            source,
            region: None,
            endpoint: None,
            credentials: None,
            prefix: String::new(),
            tables: Vec::new(),
            retry_mode: RetryMode::Standard,
            max_attempts: 5,
            concurrency: DEFAULT_CONCURRENCY,
            strict: false,
            max_is_in_queries: None,
            sync_timeout: Duration::from_secs(120),
            scan_segments: None,
            write_id: Some(DEFAULT_WRITE_ID_ATTRIBUTE.to_owned()),
            exact_writes: false,
            retry_budget: RetryBudget::default(),
            shared: None,
            default_table_options: TableOptions::default(),
            table_options: Vec::new(),
            trace_values: false,
            cursor_secrets: crate::read::cursor::Secrets::default(),
        }
    }

    /// Talks to the same backend as `db` (its SDK client, its embedded
    /// engine, its metrics), with this builder's own models and prefix.
    /// The connection settings of this builder are then ignored.
    pub fn same_backend_as(mut self, db: &Dynamite) -> Self {
        self.shared = Some(db.clone());
        self
    }

    /// The AWS region (default for explicit endpoints: `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// A custom endpoint, e.g. DynamoDB Local at `http://127.0.0.1:8000`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Static credentials (DynamoDB Local accepts any).
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// A prefix for every table name (`table = ".."` ones included).
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Persist the embedded engine's data in this SQLite file.
    #[cfg(feature = "embedded")]
    pub fn path(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        if let Source::Embedded { path: p } = &mut self.source {
            *p = Some(path.into());
        }
        self
    }

    /// Options `sync()` gives `T`'s table: billing, deletion protection,
    /// stream, tags, point-in-time recovery (see [`TableOptions`]). They
    /// override [`default_table_options`](Self::default_table_options)
    /// option by option.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// use dynamite::table_options::{StreamView, TableOptions};
    /// #[derive(Table, Debug, Clone)]
    /// struct Order {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    /// }
    /// let db = Dynamite::embedded()
    ///     .table::<Order>()
    ///     .table_options::<Order>(TableOptions::new().stream(StreamView::NewImage).tag("team", "shop"))
    ///     .build()
    ///     .await?;
    /// let report = db.sync().await?;
    /// assert_eq!(
    ///     report.to_string(),
    ///     "create table orders\nenable stream NEW_IMAGE on orders\ntag orders team=shop"
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn table_options<T: Table>(mut self, options: TableOptions) -> Self {
        self.table_options.push((T::meta(), options));
        self
    }

    /// Options `sync()` gives every table without its own
    /// [`table_options`](Self::table_options) for that option.
    pub fn default_table_options(mut self, options: TableOptions) -> Self {
        self.default_table_options = options;
        self
    }

    /// Registers a model. Operations on unregistered models fail with
    /// [`Error::NotRegistered`](crate::Error::NotRegistered).
    pub fn table<T: Table>(mut self) -> Self {
        let id = TypeId::of::<T>();
        if !self.tables.iter().any(|(t, _)| *t == id) {
            self.tables.push((id, T::meta()));
        }
        self
    }

    /// The SDK retry mode (standard by default; adaptive adds client-side rate limiting).
    pub fn retry_mode(mut self, mode: RetryMode) -> Self {
        self.retry_mode = mode;
        self
    }

    /// How many retries the SDK may spend (default: a bucket of 500 tokens
    /// for this handle alone); see [`RetryBudget`].
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.retry_budget = budget;
        self
    }

    /// Attempts per request, including the first (default 5).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Requests one operation keeps in flight (default 16).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Makes every query strict: a read that would fetch a whole table or
    /// partition only to filter it is [`crate::Error::StrictRead`] before
    /// anything is sent (see [`Query::strict`](crate::Query::strict)).
    /// Off by default.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// At most `n` requests (default 100) for the fan-out of one read's
    /// `is_in`: one Query per distinct partition (`is_in` on a partition
    /// key, or on fields of a partition-key template: one per rendered
    /// partition), one BatchGetItem per 100 distinct keys of a key list
    /// (`is_in` on a simple key, or on the sort key beside a pinned or
    /// listed partition). More is [`crate::Error::FanOutLimit`] before
    /// anything is sent; the keys are counted, never built past the cap.
    pub fn max_is_in_queries(mut self, n: usize) -> Self {
        self.max_is_in_queries = Some(n.max(1));
        self
    }

    /// Segments of a full-table Scan read in parallel (Segment /
    /// TotalSegments). By default one segment per MiB of the table (what
    /// one Scan page returns), up to [`concurrency`](Self::concurrency),
    /// from the table size DescribeTable reports (asked at most every five
    /// minutes); `1` reads every Scan sequentially. Scans with a `limit`,
    /// `page()` and `stream()` always read one segment in order.
    pub fn scan_segments(mut self, segments: u32) -> Self {
        self.scan_segments = Some(segments.clamp(1, 1_000_000));
        self
    }

    /// The attribute in which single-row writes (`create`, `save`,
    /// `update`, soft deletes) store a fresh random id, so that a write
    /// whose answer was lost and that the SDK retried is recognised as
    /// applied (by its id in the stored item) instead of being reported as
    /// `AlreadyExists` / `Conflict`, and is never applied twice (updates
    /// are conditioned on the stored id not being theirs; creates, hard
    /// deletes and unversioned increments, set additions and appends are
    /// not resent after an attempt that may have applied, see the guide's
    /// writing chapter). Default
    /// `_dynamite_write`; models never declare it.
    pub fn write_id_attribute(mut self, name: impl Into<String>) -> Self {
        self.write_id = Some(name.into());
        self
    }

    /// Exact mode for `create`, updates (`save`, `update().exec`, soft
    /// delete, `restore`) and hard deletes (`delete` / `delete_key` without
    /// `deleted_at`, `force_delete`): each is sent as a one-item TransactWriteItems with a
    /// ClientRequestToken, which DynamoDB answers from the first attempt
    /// when the SDK retries it, so an applied write whose answer was lost
    /// is still `Ok` where the default mode may have to say
    /// `OutcomeUnknown` (by default an unversioned `increment`, `add` or
    /// `append` whose answer was lost is never resent: `Ok` only when a
    /// read finds its own write id). It costs twice the write units; `update().exec`
    /// and `restore`, which return the row, read it back consistently
    /// afterwards (`save` and deletes do not read).
    pub fn exact_writes(mut self, exact: bool) -> Self {
        self.exact_writes = exact;
        self
    }

    /// No write id attribute: items hold only the model's attributes. A
    /// write whose answer was lost and whose retry fails its condition is
    /// then [`crate::Error::OutcomeUnknown`].
    pub fn without_write_ids(mut self) -> Self {
        self.write_id = None;
        self
    }

    /// Records values in request spans: `db.query.text` then shows the
    /// expressions with attribute names and values in place of their
    /// placeholders. Off by default (spans carry names, counts, capacity,
    /// table and index names, and expressions with placeholders). Keys and
    /// items are never recorded, and a request naming an attribute of type
    /// [`Sensitive`](crate::Sensitive) shows every value as `***`. A handle
    /// built with [`same_backend_as`](Self::same_backend_as) follows the
    /// setting of the handle it shares.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Note {
    ///     #[dynamite(primary_key)]
    ///     id: String,
    /// }
    /// let db = Dynamite::embedded().trace_values(true).table::<Note>().build().await?;
    /// # let _ = db;
    /// # Ok(())
    /// # }
    /// ```
    pub fn trace_values(mut self, record: bool) -> Self {
        self.trace_values = record;
        self
    }

    /// Seals the cursors of `page()`: opaque and tamper-proof
    /// (XChaCha20-Poly1305, bound to the query), so a client holding one
    /// sees no key (tenant ids, row ids) and cannot alter it or use it for
    /// another query. The first secret seals; every listed one opens, so
    /// list the new secret first and keep the previous ones for as long as
    /// their cursors should keep working (a cursor sealed under a secret no
    /// longer listed is [`crate::Error::InvalidCursor`]). A handle with
    /// secrets refuses plain cursors, one without refuses sealed ones.
    /// Each secret is at least 32 random bytes, else `build()` is
    /// [`crate::Error::Config`]; so is an empty list (it fails closed:
    /// never plain cursors because a secrets manager returned nothing).
    /// Without secrets a cursor is readable base64: it shows the key
    /// attributes of the row it resumes after, and a read whose cursor
    /// would hold a `Sensitive` value is refused (see `Query::page`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> dynamite::Result<()> {
    /// use dynamite::prelude::*;
    /// #[derive(Table, Debug, Clone)]
    /// struct Note { #[dynamite(primary_key)] id: String }
    /// let current = [7u8; 32]; // from a secrets manager
    /// let previous = [9u8; 32];
    /// let db = Dynamite::embedded()
    ///     .cursor_secrets([current, previous])
    ///     .table::<Note>()
    ///     .build()
    ///     .await?;
    /// db.sync().await?;
    /// for id in ["a", "b"] {
    ///     Note::create().id(id).exec(&db).await?;
    /// }
    /// let page = Note::query().limit(1).page(&db, None).await?;
    /// let next = page.next.unwrap();
    /// assert_eq!(Note::query().limit(1).page(&db, Some(&next)).await?.items.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn cursor_secrets<S: AsRef<[u8]>>(mut self, secrets: impl IntoIterator<Item = S>) -> Self {
        self.cursor_secrets = crate::read::cursor::Secrets::new(secrets);
        self
    }

    /// How long `sync()` waits for tables and indexes to become ACTIVE (default 120 s).
    pub fn sync_timeout(mut self, timeout: Duration) -> Self {
        self.sync_timeout = timeout;
        self
    }

    /// Validates the configuration, starts the embedded engine if asked, and
    /// builds the handle. Sends no request.
    pub async fn build(self) -> Result<Dynamite> {
        let table_options = TableOptionsByTable::resolve(
            &self.prefix,
            self.default_table_options.clone(),
            &self.table_options,
        )?;
        let registry = Registry::with_metas(self.prefix, &self.tables).resolve()?;
        let cursor_keys = self.cursor_secrets.keys()?;

        let retry = RetryConfig::standard()
            .with_retry_mode(self.retry_mode)
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(50));
        let metrics = Metrics::default();

        if let Some(base) = &self.shared {
            return Ok(Dynamite {
                inner: Arc::new(Inner {
                    client: base.inner.client.clone(),
                    registry,
                    metrics: base.inner.metrics.clone(),
                    trace: base.inner.trace.clone(),
                    scan_segments: self.scan_segments,
                    write_id: self.write_id.clone(),
                    exact_writes: self.exact_writes,
                    stats: std::sync::Mutex::default(),
                    concurrency: self.concurrency,
                    strict: self.strict,
                    max_is_in_queries: self.max_is_in_queries,
                    sync_timeout: self.sync_timeout,
                    cursor_keys,
                    table_options,
                    #[cfg(feature = "embedded")]
                    embedded: base.inner.embedded.clone(),
                }),
            });
        }

        let trace = crate::trace::TraceSettings::new(self.trace_values);
        #[cfg(feature = "embedded")]
        let mut embedded = None;
        let config = match &self.source {
            #[cfg(feature = "embedded")]
            Source::Embedded { path } => {
                let engine = crate::embedded::EmbeddedEngine::start(path.as_deref())?;
                let config = aws_sdk_dynamodb::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    // Never dialled: the HTTP client hands requests to the engine.
                    .endpoint_url("http://embedded.dynamite.invalid")
                    .http_client(engine.http_client())
                    .credentials_provider(Credentials::new(
                        "dynamite",
                        "dynamite",
                        None,
                        None,
                        "dynamite-embedded",
                    ))
                    .retry_config(retry)
                    .interceptor(MetricsInterceptor::new(metrics.clone(), trace.clone()));
                let config = with_budget(config, self.retry_budget).build();
                embedded = Some(engine);
                config
            }
            Source::Configured | Source::Environment => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if matches!(self.source, Source::Configured) {
                    let region = self
                        .region
                        .clone()
                        .unwrap_or_else(|| "us-east-1".to_owned());
                    loader = loader.region(Region::new(region));
                } else if let Some(region) = &self.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(endpoint) = &self.endpoint {
                    loader = loader.endpoint_url(endpoint.clone());
                }
                if let Some((id, secret)) = &self.credentials {
                    loader = loader.credentials_provider(Credentials::new(
                        id,
                        secret,
                        None,
                        None,
                        "dynamite-static",
                    ));
                }
                let shared = loader.load().await;
                let config = aws_sdk_dynamodb::config::Builder::from(&shared)
                    .retry_config(retry)
                    .interceptor(MetricsInterceptor::new(metrics.clone(), trace.clone()));
                with_budget(config, self.retry_budget).build()
            }
        };

        Ok(Dynamite {
            inner: Arc::new(Inner {
                client: aws_sdk_dynamodb::Client::from_conf(config),
                registry,
                metrics,
                trace,
                scan_segments: self.scan_segments,
                write_id: self.write_id,
                exact_writes: self.exact_writes,
                stats: std::sync::Mutex::default(),
                concurrency: self.concurrency,
                strict: self.strict,
                max_is_in_queries: self.max_is_in_queries,
                sync_timeout: self.sync_timeout,
                cursor_keys,
                table_options,
                #[cfg(feature = "embedded")]
                embedded,
            }),
        })
    }
}
