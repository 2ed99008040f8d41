//! The e-commerce workload: seeding (put_many against a loop of single
//! creates) and the five include queries Q6–Q10, measured by request,
//! round, item and wall time.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::{Duration, Instant};

use dynamite::prelude::*;
use dynamite::sdk::error::ProvideErrorMetadata;
use dynamite::{DynamiteBuilder, Query};
use dynamite_testkit::backend;

use crate::shop::{
    self, GraphSize, Order, OrderItem, Product, Review, Scale, User, order_id, product_id, user_id,
};

/// Errors of the benchmark itself (setup, wrong results), as text.
pub type BenchResult<T> = std::result::Result<T, String>;

fn err(context: &str) -> impl FnOnce(dynamite::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// Where the tables live.
#[derive(Debug, Clone, Default)]
pub struct Backend {
    /// A DynamoDB endpoint (DynamoDB Local); `None` is the embedded engine.
    pub endpoint: Option<String>,
    /// With the embedded engine: persist its data in this SQLite file.
    pub path: Option<String>,
    /// Requests one operation keeps in flight (`None`: Dynamite's default, 16).
    pub concurrency: Option<usize>,
    /// Parallel Scan segments (`None`: Dynamite's default, from table size).
    pub scan_segments: Option<u32>,
}

impl Backend {
    pub fn name(&self) -> String {
        let name = match &self.endpoint {
            Some(url) => format!("endpoint {url}"),
            None => match &self.path {
                Some(p) => format!("embedded engine (file {p})"),
                None => "embedded engine (in memory)".to_owned(),
            },
        };
        let name = match self.concurrency {
            Some(n) => format!("{name}, concurrency {n}"),
            None => name,
        };
        match self.scan_segments {
            Some(n) => format!("{name}, {n} scan segment(s)"),
            None => name,
        }
    }

    /// A builder for this backend with the five models and `prefix`.
    pub fn builder(&self, prefix: &str) -> DynamiteBuilder {
        shop::register(self.base_builder(prefix))
    }

    /// A builder for this backend and `prefix`, no model registered.
    pub fn base_builder(&self, prefix: &str) -> DynamiteBuilder {
        let builder = backend::builder(self.endpoint.as_deref());
        let builder = match (&self.endpoint, &self.path) {
            (None, Some(p)) => builder.path(p),
            _ => builder,
        };
        let builder = match self.concurrency {
            Some(n) => builder.concurrency(n),
            None => builder,
        };
        let builder = match self.scan_segments {
            Some(n) => builder.scan_segments(n),
            None => builder,
        };
        builder.table_prefix(prefix)
    }

    /// Builds the handle and creates any missing table and index.
    pub async fn connect(&self, prefix: &str) -> BenchResult<Dynamite> {
        self.connect_shared(None, prefix).await
    }

    /// Like [`Backend::connect`], on the backend of `base` when given (one
    /// embedded engine for several prefixes).
    pub async fn connect_shared(
        &self,
        base: Option<&Dynamite>,
        prefix: &str,
    ) -> BenchResult<Dynamite> {
        let builder = match base {
            Some(base) => self.builder(prefix).same_backend_as(base),
            None => self.builder(prefix),
        };
        let db = builder.build().await.map_err(err("build the handle"))?;
        db.sync().await.map_err(err("sync the tables"))?;
        db.metrics().reset();
        Ok(db)
    }
}

// ------------------------------------------------------------------ metrics

/// What one measured operation sent, from the handle's metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requests {
    /// Data-plane requests by operation name.
    pub by_operation: BTreeMap<String, u64>,
    /// All data-plane requests.
    pub total: u64,
    /// SDK retries (HTTP attempts beyond the first).
    pub retries: u64,
    /// Rounds of concurrent requests (reads with includes only).
    pub rounds: u64,
    /// Items DynamoDB read (scanned count for Query / Scan).
    pub items_read: u64,
    /// Capacity units DynamoDB reported.
    pub capacity_units: f64,
}

impl Requests {
    /// Reads the counters of `db` (since its last reset).
    pub fn of(db: &Dynamite) -> Self {
        let metrics = db.metrics();
        let by_operation = metrics
            .snapshot()
            .into_iter()
            .filter(|(name, stats)| {
                dynamite::metrics::DATA_PLANE.contains(&name.as_str()) && stats.requests > 0
            })
            .map(|(name, stats)| (name, stats.requests))
            .collect();
        Requests {
            by_operation,
            total: metrics.data_plane_requests(),
            retries: metrics.snapshot().values().map(|s| s.retries).sum::<u64>(),
            rounds: metrics.rounds(),
            items_read: metrics.items_read(),
            capacity_units: metrics.capacity_units(),
        }
    }

    /// "GetItem 1, Query 1".
    pub fn operations(&self) -> String {
        if self.by_operation.is_empty() {
            return "-".to_owned();
        }
        self.by_operation
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The same requests (capacity compared to 0.01 units).
    pub fn same_requests(&self, other: &Self) -> bool {
        self.by_operation == other.by_operation
            && self.total == other.total
            && self.rounds == other.rounds
            && self.items_read == other.items_read
            && (self.capacity_units - other.capacity_units).abs() < 0.01
    }
}

/// Median, min and max of wall times.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
}

impl Timing {
    pub fn of(samples: &[Duration]) -> Self {
        if samples.is_empty() {
            return Timing::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort();
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        };
        Timing {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        }
    }
}

/// Milliseconds, for printing and JSON.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ------------------------------------------------------------------ queries

/// The five include queries of the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueryId {
    Q6,
    Q7,
    Q8,
    Q9,
    Q10,
    /// `first()` of a key list of 150 ids with an include.
    Q11,
}

impl QueryId {
    pub const ALL: [QueryId; 6] = [
        QueryId::Q6,
        QueryId::Q7,
        QueryId::Q8,
        QueryId::Q9,
        QueryId::Q10,
        QueryId::Q11,
    ];

    pub fn name(self) -> &'static str {
        match self {
            QueryId::Q6 => "Q6",
            QueryId::Q7 => "Q7",
            QueryId::Q8 => "Q8",
            QueryId::Q9 => "Q9",
            QueryId::Q10 => "Q10",
            QueryId::Q11 => "Q11",
        }
    }

    pub fn shape(self) -> &'static str {
        match self {
            QueryId::Q6 => "first user + orders",
            QueryId::Q7 => "first order + user + items.product",
            QueryId::Q8 => "first product + reviews.user",
            QueryId::Q9 => "first user + orders.items.product + reviews.product",
            QueryId::Q10 => "all users + completed orders",
            QueryId::Q11 => "first of 150 user ids + orders",
        }
    }

    /// Rows of the object graph the query returns at `scale` (roots and
    /// included rows; a product reached twice counts twice).
    pub fn expected_rows(self, scale: Scale) -> usize {
        let first_user_reviews = shop::REVIEWS_PER_USER.min(scale.reviews());
        match self {
            // user + 5 orders
            QueryId::Q6 => 1 + shop::ORDERS_PER_USER,
            // order + user + 3 items + 3 products
            QueryId::Q7 => 2 + 2 * shop::ITEMS_PER_ORDER,
            // product + its reviews + one user each
            QueryId::Q8 => 1 + 2 * scale.reviews_of_product(0),
            // user + orders + items + products + reviews + products
            QueryId::Q9 => {
                1 + shop::ORDERS_PER_USER
                    + 2 * shop::ORDERS_PER_USER * shop::ITEMS_PER_ORDER
                    + 2 * first_user_reviews
            }
            QueryId::Q10 => scale.users + scale.completed_orders(),
            QueryId::Q11 => 1 + shop::ORDERS_PER_USER,
        }
    }

    pub(crate) fn q6() -> Query<User> {
        User::query()
            .filter(User::ID.eq(user_id(0)))
            .include(User::orders())
    }

    pub(crate) fn q7() -> Query<Order> {
        Order::query()
            .filter(Order::ID.eq(order_id(0)))
            .include(Order::user())
            .include(Order::items().include(OrderItem::product()))
    }

    pub(crate) fn q8() -> Query<Product> {
        Product::query()
            .filter(Product::ID.eq(product_id(0)))
            .include(Product::reviews().include(Review::user()))
    }

    pub(crate) fn q9() -> Query<User> {
        User::query()
            .filter(User::ID.eq(user_id(0)))
            .include(User::orders().include(Order::items().include(OrderItem::product())))
            .include(User::reviews().include(Review::product()))
    }

    pub(crate) fn q11() -> Query<User> {
        User::query()
            .filter(User::ID.is_in((0..150).map(user_id)))
            .include(User::orders())
    }

    pub(crate) fn q10() -> Query<User> {
        User::query().include(User::orders().filter(Order::STATUS.eq("completed")))
    }

    /// `explain(&db)` of the query: the requests round by round.
    pub fn explain(self, db: &Dynamite) -> String {
        let text = match self {
            QueryId::Q6 => Self::q6().explain(db),
            QueryId::Q7 => Self::q7().explain(db),
            QueryId::Q8 => Self::q8().explain(db),
            QueryId::Q9 => Self::q9().explain(db),
            QueryId::Q10 => Self::q10().explain(db),
            QueryId::Q11 => Self::q11().explain(db),
        }
        .to_string();
        text.replace(db.table_prefix(), "")
    }

    /// Runs the query once and returns the rows of the object graph it returned.
    pub async fn run(self, db: &Dynamite) -> BenchResult<usize> {
        async fn first<T: Table + GraphSize>(
            q: Query<T>,
            db: &Dynamite,
            name: &str,
        ) -> BenchResult<usize> {
            let row = q
                .first(db)
                .await
                .map_err(|e| format!("{name}: {e}"))?
                .ok_or_else(|| {
                    format!("{name}: the first row is missing (is the table seeded?)")
                })?;
            Ok(row.graph_size())
        }
        let name = self.name();
        match self {
            QueryId::Q6 => first(Self::q6(), db, name).await,
            QueryId::Q7 => first(Self::q7(), db, name).await,
            QueryId::Q8 => first(Self::q8(), db, name).await,
            QueryId::Q9 => first(Self::q9(), db, name).await,
            QueryId::Q11 => first(Self::q11(), db, name).await,
            QueryId::Q10 => {
                let users = Self::q10()
                    .all(db)
                    .await
                    .map_err(|e| format!("{name}: {e}"))?;
                if users
                    .iter()
                    .flat_map(|u| u.orders.iter())
                    .any(|o| o.status != "completed")
                {
                    return Err(format!("{name}: an order that is not completed came back"));
                }
                Ok(users.iter().map(GraphSize::graph_size).sum())
            }
        }
    }

    /// Runs the query once, measured: metrics reset before, read after.
    pub async fn measure_once(self, db: &Dynamite, scale: Scale) -> BenchResult<Sample> {
        db.metrics().reset();
        let start = Instant::now();
        let rows = self.run(db).await?;
        let wall = start.elapsed();
        let requests = Requests::of(db);
        let expected = self.expected_rows(scale);
        if rows != expected {
            return Err(format!(
                "{}: returned {rows} rows, expected {expected} at scale {} (wrong data under this prefix?)",
                self.name(),
                scale.users
            ));
        }
        Ok(Sample {
            wall,
            rows,
            requests,
        })
    }
}

impl fmt::Display for QueryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for QueryId {
    type Err = String;
    fn from_str(s: &str) -> BenchResult<Self> {
        QueryId::ALL
            .into_iter()
            .find(|q| q.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown query `{s}` (expected Q6 to Q11)"))
    }
}

/// One measured run of a query.
#[derive(Debug, Clone)]
pub struct Sample {
    pub wall: Duration,
    pub rows: usize,
    pub requests: Requests,
}

/// A query measured over several runs.
#[derive(Debug, Clone)]
pub struct QueryReport {
    pub query: QueryId,
    pub explain: String,
    /// Requests of the first measured run.
    pub requests: Requests,
    /// Rows of the returned object graph.
    pub items_returned: usize,
    /// Whether every run sent the same requests.
    pub stable: bool,
    pub samples: Vec<Duration>,
    pub timing: Timing,
}

impl QueryReport {
    pub fn new(query: QueryId, explain: String, samples: &[Sample]) -> Self {
        let first = samples.first();
        let requests = first.map(|s| s.requests.clone()).unwrap_or_default();
        let stable = samples.iter().all(|s| s.requests.same_requests(&requests));
        let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        QueryReport {
            query,
            explain,
            items_returned: first.map_or(0, |s| s.rows),
            requests,
            stable,
            timing: Timing::of(&walls),
            samples: walls,
        }
    }

    /// Items read per item returned.
    pub fn read_ratio(&self) -> f64 {
        if self.items_returned == 0 {
            return 0.0;
        }
        self.requests.items_read as f64 / self.items_returned as f64
    }
}

/// Measures each query: one warm-up run, then `runs` measured runs.
pub async fn measure_queries(
    db: &Dynamite,
    scale: Scale,
    queries: &[QueryId],
    runs: usize,
) -> BenchResult<Vec<QueryReport>> {
    let mut reports = Vec::new();
    for &q in queries {
        q.measure_once(db, scale).await?;
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            samples.push(q.measure_once(db, scale).await?);
        }
        reports.push(QueryReport::new(q, q.explain(db), &samples));
    }
    Ok(reports)
}

// ------------------------------------------------------------------ seeding

/// One seeding method's cost on one table or in total.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    pub wall: Duration,
    pub requests: Requests,
}

impl Phase {
    fn add(&mut self, other: &Phase) {
        self.wall += other.wall;
        self.requests.total += other.requests.total;
        self.requests.retries += other.requests.retries;
        self.requests.items_read += other.requests.items_read;
        self.requests.capacity_units += other.requests.capacity_units;
        for (name, n) in &other.requests.by_operation {
            *self.requests.by_operation.entry(name.clone()).or_default() += n;
        }
    }
}

/// Seeding of one table.
#[derive(Debug, Clone)]
pub struct TableSeed {
    pub table: &'static str,
    pub rows: usize,
    pub put_many: Phase,
    pub create_loop: Option<Phase>,
}

/// The seeding measurement.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub rows: usize,
    pub tables: Vec<TableSeed>,
    pub put_many: Phase,
    pub create_loop: Option<Phase>,
    /// The fewest BatchWriteItem calls that can store the dataset.
    pub floor: u64,
    /// Time of `sync()` (control plane), not part of either total.
    pub sync: Duration,
}

impl SeedReport {
    /// How many times faster put_many was than the create loop.
    pub fn speedup(&self) -> Option<f64> {
        let create = self.create_loop.as_ref()?;
        let put = self.put_many.wall.as_secs_f64();
        (put > 0.0).then(|| create.wall.as_secs_f64() / put)
    }
}

async fn measured<F: Future<Output = BenchResult<()>>>(
    db: &Dynamite,
    f: impl FnOnce() -> F,
) -> BenchResult<Phase> {
    db.metrics().reset();
    let start = Instant::now();
    f().await?;
    let wall = start.elapsed();
    Ok(Phase {
        wall,
        requests: Requests::of(db),
    })
}

/// Seeds one table with `put_many` on `db` and, when `create_loop` is
/// given, with a loop of single creates there; alternates which goes first.
async fn seed_table<T, B, I>(
    db: &Dynamite,
    create_loop: Option<&Dynamite>,
    rows: impl Fn() -> I,
    put_first: bool,
) -> BenchResult<TableSeed>
where
    T: Table,
    B: Create<Model = T>,
    I: Iterator<Item = B>,
{
    let put = || {
        measured(db, || async {
            T::put_many(db, rows().map(Create::build))
                .await
                .map_err(err("put_many"))
        })
    };
    let single = |cl: &Dynamite| {
        let cl = cl.clone();
        let rows = rows();
        async move {
            measured(&cl, || async {
                for row in rows {
                    row.exec(&cl).await.map_err(err("create"))?;
                }
                Ok(())
            })
            .await
        }
    };
    let (put_many, create) = match create_loop {
        None => (put().await?, None),
        Some(cl) if put_first => {
            let p = put().await?;
            (p, Some(single(cl).await?))
        }
        Some(cl) => {
            let c = single(cl).await?;
            (put().await?, Some(c))
        }
    };
    Ok(TableSeed {
        table: T::META.table_name,
        rows: 0,
        put_many,
        create_loop: create,
    })
}

/// Deletes the tables of `db` if they exist, and waits until they are gone.
pub async fn drop_tables(db: &Dynamite) -> BenchResult<()> {
    let names = [
        db.table_name::<User>(),
        db.table_name::<Product>(),
        db.table_name::<Order>(),
        db.table_name::<OrderItem>(),
        db.table_name::<Review>(),
    ];
    for name in names {
        let name = name.map_err(err("table name"))?;
        match db.client().delete_table().table_name(&name).send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceNotFoundException") => continue,
            Err(e) => return Err(format!("delete table {name}: {}", e.into_service_error())),
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match db.client().describe_table().table_name(&name).send().await {
                Err(e) if e.code() == Some("ResourceNotFoundException") => break,
                _ if Instant::now() > deadline => {
                    return Err(format!("table {name} still exists 60 s after DeleteTable"));
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    Ok(())
}

/// Seeds the dataset at `scale` into `db` with `put_many`. With
/// `create_loop_prefix`, also stores it with a loop of single `create`
/// calls into tables under that prefix (dropped before and after),
/// interleaved table by table with the put_many measurement.
pub async fn seed(
    db: &Dynamite,
    scale: Scale,
    create_loop_prefix: Option<&str>,
) -> BenchResult<SeedReport> {
    let mut sync = Duration::ZERO;
    let create_loop = match create_loop_prefix {
        Some(prefix) => {
            let cl = shop::register(Dynamite::builder())
                .concurrency(db.concurrency())
                .same_backend_as(db)
                .table_prefix(prefix)
                .build()
                .await
                .map_err(err("build the create-loop handle"))?;
            drop_tables(&cl).await?;
            let start = Instant::now();
            cl.sync()
                .await
                .map_err(err("sync the create-loop tables"))?;
            sync += start.elapsed();
            Some(cl)
        }
        None => None,
    };
    let cl = create_loop.as_ref();
    let rows = scale.rows();
    let mut tables = vec![
        seed_table(db, cl, || scale.users(), true).await?,
        seed_table(db, cl, || scale.products_rows(), false).await?,
        seed_table(db, cl, || scale.orders_rows(), true).await?,
        seed_table(db, cl, || scale.items_rows(), false).await?,
        seed_table(db, cl, || scale.reviews_rows(), true).await?,
    ];
    for (t, n) in tables.iter_mut().zip(rows) {
        t.rows = n;
    }
    if let Some(cl) = &create_loop {
        drop_tables(cl).await?;
    }
    let mut put_many = Phase::default();
    let mut create_total = create_loop.as_ref().map(|_| Phase::default());
    for t in &tables {
        put_many.add(&t.put_many);
        if let (Some(total), Some(c)) = (create_total.as_mut(), t.create_loop.as_ref()) {
            total.add(c);
        }
    }
    db.metrics().reset();
    Ok(SeedReport {
        rows: scale.total_rows(),
        tables,
        put_many,
        create_loop: create_total,
        floor: scale.batch_write_floor(),
        sync,
    })
}

/// Checks that `db` holds the dataset of `scale` (for `--no-seed`): the
/// first and last row of every table exist and the row after the last user does not.
pub async fn verify_seeded(db: &Dynamite, scale: Scale) -> BenchResult<()> {
    let missing = |what: String| {
        format!(
            "{what} is missing under prefix `{}`: seed it first (run without --no-seed, same --prefix and --scale)",
            db.table_prefix()
        )
    };
    for id in [user_id(0), user_id(scale.users - 1)] {
        if User::get(db, id.clone())
            .await
            .map_err(err("verify"))?
            .is_none()
        {
            return Err(missing(format!("user {id}")));
        }
    }
    if User::get(db, user_id(scale.users))
        .await
        .map_err(err("verify"))?
        .is_some()
    {
        return Err(format!(
            "prefix `{}` holds more than {} users: it was seeded at a larger scale",
            db.table_prefix(),
            scale.users
        ));
    }
    let last_product = product_id(scale.products() - 1);
    if Product::get(db, last_product.clone())
        .await
        .map_err(err("verify"))?
        .is_none()
    {
        return Err(missing(format!("product {last_product}")));
    }
    let last_order = order_id(scale.orders() - 1);
    if Order::get(db, last_order.clone())
        .await
        .map_err(err("verify"))?
        .is_none()
    {
        return Err(missing(format!("order {last_order}")));
    }
    let last_item = shop::item_id(scale.orders() - 1, shop::ITEMS_PER_ORDER - 1);
    if OrderItem::get(db, last_item.clone())
        .await
        .map_err(err("verify"))?
        .is_none()
    {
        return Err(missing(format!("order item {last_item}")));
    }
    let last_review = shop::review_id(scale.users - 1, shop::REVIEWS_PER_USER - 1);
    if Review::get(db, last_review.clone())
        .await
        .map_err(err("verify"))?
        .is_none()
    {
        return Err(missing(format!("review {last_review}")));
    }
    db.metrics().reset();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seeds_both_ways_and_every_query_returns_the_expected_graph() {
        let backend = Backend::default();
        let db = backend.connect("smoke_").await.unwrap();
        let scale = Scale::new(6);
        let seed = seed(&db, scale, Some("smoke_cl_")).await.unwrap();
        assert_eq!(seed.rows, scale.total_rows());
        assert_eq!(seed.put_many.requests.total, scale.batch_write_floor());
        let create = seed.create_loop.as_ref().unwrap();
        assert_eq!(create.requests.by_operation["PutItem"], seed.rows as u64);
        verify_seeded(&db, scale).await.unwrap();
        assert!(
            verify_seeded(&db, Scale::new(7)).await.is_err(),
            "a larger scale is not seeded"
        );
        assert!(
            verify_seeded(&db, Scale::new(5)).await.is_err(),
            "a smaller scale is detected"
        );
        let reports = measure_queries(&db, scale, &QueryId::ALL, 2).await.unwrap();
        for r in &reports {
            assert_eq!(r.items_returned, r.query.expected_rows(scale), "{r:?}");
            assert!(r.stable, "{r:?}");
            assert_eq!(r.samples.len(), 2);
            assert!(r.explain.starts_with("round 1:"), "{}", r.explain);
        }
    }

    #[test]
    fn timing_takes_the_median() {
        let ms = Duration::from_millis;
        let t = Timing::of(&[ms(5), ms(1), ms(3)]);
        assert_eq!((t.median, t.min, t.max), (ms(3), ms(1), ms(5)));
        assert_eq!(Timing::of(&[ms(1), ms(2), ms(4), ms(8)]).median, ms(3));
    }

    #[test]
    fn query_names_parse() {
        assert_eq!("q10".parse::<QueryId>().unwrap(), QueryId::Q10);
        assert!("Q5".parse::<QueryId>().is_err());
    }
}
