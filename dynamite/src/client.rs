//! The [`Dynamite`] handle: SDK client, registry of tables, configuration.
//!
//! Every operation takes the handle explicitly (`&db`), like SeaORM's
//! connection. Cloning it is cheap (an `Arc`).

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryMode};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

use crate::error::{Error, Result};
use crate::metrics::{Metrics, MetricsInterceptor};
use crate::model::{Table, TableMeta};

/// Default number of requests one operation keeps in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A registered model: its metadata and the full (prefixed) table name.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub(crate) meta: &'static TableMeta,
    pub(crate) table_name: String,
    /// Every GSI of the table: declared ones and foreign-key ones.
    pub(crate) indexes: Vec<crate::schema::IndexSpec>,
}

struct Inner {
    client: aws_sdk_dynamodb::Client,
    prefix: String,
    tables: HashMap<TypeId, Registered>,
    order: Vec<TypeId>,
    metrics: Metrics,
    concurrency: usize,
    sync_timeout: Duration,
    #[cfg(feature = "embedded")]
    embedded: Option<Arc<crate::embedded::EmbeddedServer>>,
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
            .field("prefix", &self.inner.prefix)
            .field("tables", &self.inner.tables.len())
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
    Embedded { path: Option<PathBuf> },
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
    sync_timeout: Duration,
    shared: Option<Dynamite>,
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
    #[cfg(feature = "embedded")]
    pub fn embedded() -> DynamiteBuilder {
        DynamiteBuilder::new(Source::Embedded { path: None })
    }

    /// The SDK client, for requests Dynamite does not model.
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.inner.client
    }

    /// The HTTP endpoint of the embedded engine this handle started (for
    /// other DynamoDB tools), `None` for other backends. The engine stops
    /// when the last handle using it is dropped.
    #[cfg(feature = "embedded")]
    pub fn embedded_endpoint(&self) -> Option<&str> {
        self.inner
            .embedded
            .as_deref()
            .map(crate::embedded::EmbeddedServer::endpoint)
    }

    /// Request metrics of this handle (shared with its clones).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The table prefix.
    pub fn table_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// How many requests one operation keeps in flight.
    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    pub(crate) fn sync_timeout(&self) -> Duration {
        self.inner.sync_timeout
    }

    /// The full table name of a registered model.
    pub fn table_name<T: Table>(&self) -> Result<String> {
        self.registered::<T>().map(|r| r.table_name.clone())
    }

    pub(crate) fn registered<T: Table>(&self) -> Result<&Registered> {
        self.inner
            .tables
            .get(&TypeId::of::<T>())
            .ok_or(Error::NotRegistered {
                model: T::META.model,
            })
    }

    /// Every registered model, in registration order.
    pub(crate) fn registry(&self) -> impl Iterator<Item = &Registered> {
        self.inner
            .order
            .iter()
            .filter_map(|id| self.inner.tables.get(id))
    }

    /// The registration of a model's metadata.
    pub(crate) fn registered_meta(&self, meta: &TableMeta) -> Result<&Registered> {
        self.registry()
            .find(|r| crate::schema::same_model(r.meta, meta))
            .ok_or(Error::NotRegistered { model: meta.model })
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
            sync_timeout: Duration::from_secs(120),
            shared: None,
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
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        if let Source::Embedded { path: p } = &mut self.source {
            *p = Some(path.into());
        }
        self
    }

    /// Registers a model. Operations on unregistered models fail with
    /// [`Error::NotRegistered`].
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

    /// How long `sync()` waits for tables and indexes to become ACTIVE (default 120 s).
    pub fn sync_timeout(mut self, timeout: Duration) -> Self {
        self.sync_timeout = timeout;
        self
    }

    /// Validates the configuration, starts the embedded engine if asked, and
    /// builds the handle. Sends no request.
    pub async fn build(self) -> Result<Dynamite> {
        let mut tables = HashMap::new();
        let mut order = Vec::new();
        let mut seen_names: HashMap<String, &'static str> = HashMap::new();
        for (id, meta) in &self.tables {
            let table_name = format!("{}{}", self.prefix, meta.table_name);
            validate_table_name(&table_name)?;
            if let Some(other) = seen_names.insert(table_name.clone(), meta.model) {
                return Err(Error::Config(format!(
                    "models `{other}` and `{}` both map to table `{table_name}`",
                    meta.model
                )));
            }
            tables.insert(
                *id,
                Registered {
                    meta,
                    table_name,
                    indexes: Vec::new(),
                },
            );
            order.push(*id);
        }
        crate::schema::resolve_indexes(&mut tables, &order)?;

        let retry = RetryConfig::standard()
            .with_retry_mode(self.retry_mode)
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(50));
        let metrics = Metrics::default();

        if let Some(base) = &self.shared {
            return Ok(Dynamite {
                inner: Arc::new(Inner {
                    client: base.inner.client.clone(),
                    prefix: self.prefix,
                    tables,
                    order,
                    metrics: base.inner.metrics.clone(),
                    concurrency: self.concurrency,
                    sync_timeout: self.sync_timeout,
                    #[cfg(feature = "embedded")]
                    embedded: base.inner.embedded.clone(),
                }),
            });
        }

        #[cfg(feature = "embedded")]
        let mut embedded = None;
        let config = match &self.source {
            #[cfg(feature = "embedded")]
            Source::Embedded { path } => {
                let server = crate::embedded::EmbeddedServer::start(path.as_deref())?;
                let config = aws_sdk_dynamodb::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    .endpoint_url(server.endpoint())
                    .credentials_provider(Credentials::new(
                        "dynamite",
                        "dynamite",
                        None,
                        None,
                        "dynamite-embedded",
                    ))
                    .retry_config(retry)
                    .interceptor(MetricsInterceptor::new(metrics.clone()))
                    .build();
                embedded = Some(Arc::new(server));
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
                aws_sdk_dynamodb::config::Builder::from(&shared)
                    .retry_config(retry)
                    .interceptor(MetricsInterceptor::new(metrics.clone()))
                    .build()
            }
        };

        Ok(Dynamite {
            inner: Arc::new(Inner {
                client: aws_sdk_dynamodb::Client::from_conf(config),
                prefix: self.prefix,
                tables,
                order,
                metrics,
                concurrency: self.concurrency,
                sync_timeout: self.sync_timeout,
                #[cfg(feature = "embedded")]
                embedded,
            }),
        })
    }
}

/// DynamoDB's table-name rules: 3 to 255 characters of `[A-Za-z0-9_.-]`.
pub(crate) fn validate_table_name(name: &str) -> Result<()> {
    let reason = if name.len() < 3 {
        Some("shorter than 3 characters".to_owned())
    } else if name.len() > 255 {
        Some("longer than 255 characters".to_owned())
    } else {
        name.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .map(|c| format!("character {c:?} is not allowed (only A-Z a-z 0-9 _ - .)"))
    };
    match reason {
        Some(reason) => Err(Error::InvalidTableName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_dynamodb_rules() {
        assert!(validate_table_name("users").is_ok());
        assert!(validate_table_name("a.b-c_d9").is_ok());
        assert!(validate_table_name("ab").is_err());
        assert!(validate_table_name("bad name").is_err());
        assert!(validate_table_name(&"x".repeat(256)).is_err());
    }
}
