//! Time to live: `#[dynamite(ttl)]` stored as epoch seconds, expired rows
//! hidden from every read and treated as absent by every write, TTL
//! enabled by `sync()`, and the embedded engine's sweep.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dynamite::prelude::*;
use dynamite::table_options::TableOptions;
use dynamite::{Change, DynamiteBuilder, Error, WithheldReason};
use futures::TryStreamExt;

use crate::common::builder;

#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_accounts")]
pub struct Account {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(has_many(foreign_key = "account_id"))]
    pub sessions: HasMany<Session>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_sessions")]
pub struct Session {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub account_id: String,
    pub note: String,
    #[dynamite(ttl)]
    pub expires_at: SystemTime,
    #[dynamite(belongs_to(foreign_key = "account_id"))]
    pub account: BelongsTo<Account>,
}

/// Every supported Rust type of a TTL field, in one model.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_seconds")]
pub struct Grant {
    #[dynamite(primary_key)]
    pub id: String,
    /// `None`: never expires.
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_chrono")]
pub struct ChronoLease {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(ttl)]
    pub ends: chrono::DateTime<chrono::Utc>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "ttl_time")]
pub struct TimeLease {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(ttl)]
    pub ends: time::OffsetDateTime,
}

const HOUR: Duration = Duration::from_secs(3600);

/// How long ago the suite's expired rows expired: more than five years.
/// DynamoDB (and DynamoDB Local 3.3.1, within seconds) deletes items whose
/// TTL passed less than five years ago; older ones it never deletes, so
/// these rows stay stored for `with_expired` to see on every backend.
/// Deleting them also stalls DynamoDB Local's online index creation
/// (indexes stay CREATING: "Only 5 tables with online indexes can be
/// created simultaneously"), which other tests of the suite need.
pub(crate) const LONG_AGO: Duration = Duration::from_secs(6 * 366 * 24 * 3600);

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Account>()
        .table::<Session>()
        .table::<Grant>()
        .table::<ChronoLease>()
        .table::<TimeLease>()
}

fn epoch(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Accounts a1 (live s1, s2; expired x1) and a2 (expired x2 only).
async fn seed(db: &Dynamite) {
    let now = SystemTime::now();
    for a in ["a1", "a2"] {
        Account::create().id(a).exec(db).await.unwrap();
    }
    for (id, account, expires) in [
        ("s1", "a1", now + HOUR),
        ("s2", "a1", now + 2 * HOUR),
        ("x1", "a1", now - LONG_AGO - HOUR),
        ("x2", "a2", now - LONG_AGO - 2 * HOUR),
    ] {
        Session::create()
            .id(id)
            .account_id(account)
            .note(id)
            .expires_at(expires)
            .exec(db)
            .await
            .unwrap();
    }
}

fn ids(sessions: &[Session]) -> Vec<&str> {
    let mut ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    ids
}

#[dynamite::test(registry = register)]
async fn the_ttl_attribute_is_stored_as_epoch_seconds(db: Dynamite) {
    let at = UNIX_EPOCH + Duration::from_millis(4_102_444_800_900); // 2100-01-01T00:00:00.9Z
    Session::create()
        .id("s")
        .account_id("a")
        .note("n")
        .expires_at(at)
        .exec(&db)
        .await
        .unwrap();
    let raw = db
        .client()
        .get_item()
        .table_name(db.table_name::<Session>().unwrap())
        .key("id", AttributeValue::S("s".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(raw["expires_at"], AttributeValue::N("4102444800".into()));
    let back = Session::get(&db, "s").await.unwrap().unwrap();
    assert_eq!(
        back.expires_at,
        UNIX_EPOCH + Duration::from_secs(4_102_444_800)
    );

    Grant::create()
        .id("g")
        .until(4_102_444_800)
        .exec(&db)
        .await
        .unwrap();
    Grant::create().id("forever").exec(&db).await.unwrap();
    let ends = chrono::DateTime::from_timestamp(4_102_444_800, 0).unwrap();
    ChronoLease::create()
        .id("c")
        .ends(ends)
        .exec(&db)
        .await
        .unwrap();
    let ends = time::OffsetDateTime::from_unix_timestamp(4_102_444_800)
        .unwrap()
        .to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
    TimeLease::create()
        .id("t")
        .ends(ends)
        .exec(&db)
        .await
        .unwrap();
    for (table, key, attribute) in [
        (db.table_name::<Grant>().unwrap(), "g", "until"),
        (db.table_name::<ChronoLease>().unwrap(), "c", "ends"),
        (db.table_name::<TimeLease>().unwrap(), "t", "ends"),
    ] {
        let raw = db
            .client()
            .get_item()
            .table_name(table)
            .key("id", AttributeValue::S(key.into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(
            raw[attribute],
            AttributeValue::N("4102444800".into()),
            "{key}"
        );
    }
    assert_eq!(
        Grant::get(&db, "forever").await.unwrap().unwrap().until,
        None
    );
    assert_eq!(
        TimeLease::get(&db, "t").await.unwrap().unwrap().ends,
        time::OffsetDateTime::from_unix_timestamp(4_102_444_800).unwrap()
    );
}

#[dynamite::test(registry = register)]
async fn filter_values_on_the_ttl_column_are_encoded_as_epoch_seconds(db: Dynamite) {
    seed(&db).await;
    let now = SystemTime::now();
    let soon = Session::query()
        .filter(Session::EXPIRES_AT.lt(now + 90 * 60 * Duration::from_secs(1)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ids(&soon), ["s1"]);
    let between = Session::query()
        .with_expired()
        .filter(Session::EXPIRES_AT.between(now - LONG_AGO - 3 * HOUR, now - LONG_AGO - HOUR / 2))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ids(&between), ["x1", "x2"]);
    let updated = Session::update_key("s1")
        .set(Session::EXPIRES_AT, now + 5 * HOUR)
        .exec(&db)
        .await;
    assert!(updated.is_ok(), "{updated:?}");
    let s1 = Session::get(&db, "s1").await.unwrap().unwrap();
    assert_eq!(epoch(s1.expires_at), epoch(now + 5 * HOUR));
    let seconds = Grant::query()
        .filter(Grant::UNTIL.gt(0))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(seconds, 0);
}

#[dynamite::test(registry = register)]
async fn every_read_hides_expired_rows_unless_asked(db: Dynamite) {
    seed(&db).await;

    assert!(Session::get(&db, "x1").await.unwrap().is_none());
    assert!(Session::get(&db, "s1").await.unwrap().is_some());
    let many = Session::get_many(&db, ["s1", "x1", "s2", "x2"])
        .await
        .unwrap();
    assert_eq!(ids(&many), ["s1", "s2"]);
    // Scan, GSI Query, count, stream, page.
    assert_eq!(ids(&Session::query().all(&db).await.unwrap()), ["s1", "s2"]);
    let by_account = Session::query()
        .filter(Session::ACCOUNT_ID.eq("a1"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ids(&by_account), ["s1", "s2"]);
    assert_eq!(Session::query().count(&db).await.unwrap(), 2);
    let streamed: Vec<Session> = Session::query().stream(&db).try_collect().await.unwrap();
    assert_eq!(ids(&streamed), ["s1", "s2"]);
    let page = Session::query().limit(1).page(&db, None).await.unwrap();
    let next = page.next.clone().expect("a second page");
    let rest = Session::query()
        .limit(5)
        .page(&db, Some(&next))
        .await
        .unwrap();
    assert_eq!(
        page.items.len() + rest.items.len(),
        2,
        "cursors survive the clock"
    );
    // The condition is in the same request: one Scan, nothing filtered after.
    db.metrics().reset();
    Session::query().all(&db).await.unwrap();
    assert_eq!(db.metrics().count("Scan"), 1);
    let explained = Session::query().explain(&db).to_string();
    assert!(explained.contains("NOT (expires_at < :now)"), "{explained}");

    // Includes: children and parents.
    let accounts = Account::query()
        .include(Account::sessions())
        .all(&db)
        .await
        .unwrap();
    for account in &accounts {
        let expected: &[&str] = if account.id == "a1" {
            &["s1", "s2"]
        } else {
            &[]
        };
        assert_eq!(ids(&account.sessions), expected, "{}", account.id);
    }
    let lazy = Account::sessions().of_key("a1").all(&db).await.unwrap();
    assert_eq!(ids(&lazy), ["s1", "s2"]);

    // Transactions read the same way.
    let mut read = db.transact_get();
    read.get::<Session>("x1").get::<Session>("s1");
    let rows = read.send().await.unwrap();
    assert!(rows.get::<Session>(0).unwrap().is_none());
    assert!(rows.get::<Session>(1).unwrap().is_some());

    // with_expired sees what DynamoDB still stores.
    let all = Session::query().with_expired().all(&db).await.unwrap();
    assert_eq!(ids(&all), ["s1", "s2", "x1", "x2"]);
    assert_eq!(Session::query().with_expired().count(&db).await.unwrap(), 4);
}

#[dynamite::test(registry = register)]
async fn writes_treat_an_expired_row_as_absent(db: Dynamite) {
    seed(&db).await;
    let now = SystemTime::now();
    let expired = Session::query()
        .with_expired()
        .filter(Session::ID.eq("x1"))
        .first(&db)
        .await
        .unwrap()
        .unwrap();

    // save / update / delete: not found, and nothing changes.
    let mut stale = expired.clone();
    stale.note = "changed".into();
    assert!(stale.save(&db).await.unwrap_err().is_not_found());
    let updated = Session::update_key("x1")
        .set(Session::NOTE, "changed")
        .exec(&db)
        .await;
    assert!(updated.unwrap_err().is_not_found());
    assert!(
        expired
            .clone()
            .delete(&db)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        Session::delete_key(&db, "x1")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let changed = Session::update_where(Session::ACCOUNT_ID.eq("a1"))
        .set(Session::NOTE, "bulk")
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(changed, 2, "update_where leaves expired rows alone");
    let still = Session::query()
        .with_expired()
        .filter(Session::ID.eq("x1"))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.note, "x1");

    // create: an expired row may be overwritten; a live one never.
    let fresh = Session::create()
        .id("x1")
        .account_id("a2")
        .note("new")
        .expires_at(now + HOUR)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(fresh.note, "new");
    assert_eq!(Session::get(&db, "x1").await.unwrap().unwrap().note, "new");
    let taken = Session::create()
        .id("s1")
        .account_id("a2")
        .note("dup")
        .expires_at(now + HOUR)
        .exec(&db)
        .await;
    assert!(
        matches!(taken, Err(Error::AlreadyExists { .. })),
        "{taken:?}"
    );

    // In a transaction too.
    let mut tx = db.transaction();
    tx.create(
        Session::create()
            .id("x2")
            .account_id("a2")
            .note("tx")
            .expires_at(now + HOUR),
    );
    tx.commit().await.unwrap();
    assert_eq!(Session::get(&db, "x2").await.unwrap().unwrap().note, "tx");
}

#[tokio::test]
async fn sync_enables_ttl_once_and_reports_a_different_attribute() {
    // Asked explicitly: on DynamoDB Local the suite leaves TTL off otherwise.
    let enabled = TableOptions::new().time_to_live(true);
    let db = builder()
        .table::<Grant>()
        .table_options::<Grant>(enabled.clone())
        .build()
        .await
        .unwrap();
    let plan = db.sync_plan().await.unwrap();
    let table = db.table_name::<Grant>().unwrap();
    let enable = Change::EnableTtl {
        table: table.clone(),
        attribute: "until".into(),
    };
    assert!(plan.changes.contains(&enable), "{plan}");
    let report = db.sync().await.unwrap();
    assert_eq!(report, plan, "sync does what sync_plan said");
    let described = db
        .client()
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let ttl = described.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("until"));
    assert!(matches!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED" | "ENABLING")
    ));
    assert!(db.sync().await.unwrap().is_empty(), "idempotent");

    // A model of the same table whose TTL attribute is another: reported,
    // never made (AWS blocks re-enabling for about an hour).
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_seconds")]
    struct GrantV2 {
        #[dynamite(primary_key)]
        id: String,
        #[dynamite(ttl)]
        valid_until: i64,
    }
    let v2 = dynamite::Dynamite::builder()
        .same_backend_as(&db)
        .table_prefix(db.table_prefix())
        .table::<GrantV2>()
        .table_options::<GrantV2>(enabled)
        .build()
        .await
        .unwrap();
    for report in [v2.sync_plan().await.unwrap(), v2.sync().await.unwrap()] {
        assert!(report.changes.is_empty(), "{report}");
        assert_eq!(report.withheld.len(), 1, "{report}");
        assert_eq!(
            report.withheld[0].reason,
            WithheldReason::TtlAttributeInUse {
                current: "until".into()
            }
        );
        assert!(report.to_string().contains("not made"), "{report}");
    }
}

#[tokio::test]
async fn models_sharing_a_table_with_ttl_must_agree_on_the_attribute() {
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_shared", pk = "U#{id}", sk = "U")]
    struct Visitor {
        id: String,
        #[dynamite(ttl)]
        gone_at: i64,
    }
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_shared", pk = "U#{id}", sk = "V")]
    struct Visit {
        id: String,
        #[dynamite(ttl)]
        expires: i64,
    }
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_shared", pk = "U#{id}", sk = "W")]
    struct Wave {
        id: String,
        #[dynamite(ttl)]
        gone_at: Option<i64>,
    }
    let clash = builder()
        .table::<Visitor>()
        .table::<Visit>()
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&clash, Error::Config(m) if m.contains("TTL attributes differ")),
        "{clash}"
    );
    #[derive(Table, Debug, Clone)]
    #[dynamite(table = "ttl_shared", pk = "U#{id}", sk = "X")]
    struct Plain {
        id: String,
    }
    let agreed = builder().table::<Visitor>().table::<Wave>().build().await;
    assert!(agreed.is_ok());
    // A model without TTL shares the table with models that have one.
    let mixed = builder()
        .table::<Plain>()
        .table::<Visitor>()
        .table::<Wave>()
        .build()
        .await;
    assert!(mixed.is_ok());
}

#[dynamite::test(registry = register)]
async fn the_embedded_engine_sweeps_expired_rows_on_request(db: Dynamite) {
    seed(&db).await;
    if crate::common::endpoint().is_some() {
        // Another endpoint sweeps on its own schedule.
        assert!(matches!(db.sweep_expired().await, Err(Error::Config(_))));
        return;
    }
    assert_eq!(Session::query().with_expired().count(&db).await.unwrap(), 4);
    assert_eq!(db.sweep_expired().await.unwrap(), 2);
    assert_eq!(
        ids(&Session::query().with_expired().all(&db).await.unwrap()),
        ["s1", "s2"]
    );
    // What the reads hid is exactly what DynamoDB deleted.
    assert_eq!(ids(&Session::query().all(&db).await.unwrap()), ["s1", "s2"]);
}

/// A model for the differential test: an index, a plain attribute, and an
/// optional TTL (`None`: never expires).
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "ttl_leases")]
pub struct Lease {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(index)]
    pub account: String,
    pub rank: u32,
    #[dynamite(ttl)]
    pub until: Option<i64>,
}

/// A filter over `Lease`, evaluated by the backend and by the reference.
#[derive(Debug, Clone)]
enum LeaseFilter {
    Account(u8),
    RankLt(u32),
    /// `until < now + minutes`.
    UntilLt(i64),
    /// `until >= now + minutes`.
    UntilGe(i64),
    And(Box<LeaseFilter>, Box<LeaseFilter>),
    Or(Box<LeaseFilter>, Box<LeaseFilter>),
    Not(Box<LeaseFilter>),
}

impl LeaseFilter {
    fn condition(&self, now: i64) -> Condition<Lease> {
        match self {
            LeaseFilter::Account(a) => Lease::ACCOUNT.eq(format!("a{a}")),
            LeaseFilter::RankLt(r) => Lease::RANK.lt(*r),
            LeaseFilter::UntilLt(m) => Lease::UNTIL.lt(now + m * 60),
            LeaseFilter::UntilGe(m) => Lease::UNTIL.ge(now + m * 60),
            LeaseFilter::And(a, b) => a.condition(now).and(b.condition(now)),
            LeaseFilter::Or(a, b) => a.condition(now).or(b.condition(now)),
            LeaseFilter::Not(a) => a.condition(now).not(),
        }
    }

    /// DynamoDB's semantics: a comparison with an absent attribute is false.
    fn holds(&self, row: &Lease, now: i64) -> bool {
        match self {
            LeaseFilter::Account(a) => row.account == format!("a{a}"),
            LeaseFilter::RankLt(r) => row.rank < *r,
            LeaseFilter::UntilLt(m) => row.until.is_some_and(|u| u < now + m * 60),
            LeaseFilter::UntilGe(m) => row.until.is_some_and(|u| u >= now + m * 60),
            LeaseFilter::And(a, b) => a.holds(row, now) && b.holds(row, now),
            LeaseFilter::Or(a, b) => a.holds(row, now) || b.holds(row, now),
            LeaseFilter::Not(a) => !a.holds(row, now),
        }
    }
}

fn lease_filter() -> impl proptest::strategy::Strategy<Value = LeaseFilter> {
    use proptest::prelude::*;
    let minutes = prop_oneof![-300i64..-1, 1i64..300, Just(-LONG_AGO_MINUTES - 30)];
    let leaf = prop_oneof![
        (0u8..3).prop_map(LeaseFilter::Account),
        (0u32..10).prop_map(LeaseFilter::RankLt),
        minutes.clone().prop_map(LeaseFilter::UntilLt),
        minutes.prop_map(LeaseFilter::UntilGe),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| LeaseFilter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| LeaseFilter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| LeaseFilter::Not(Box::new(a))),
        ]
    })
}

/// Rows as `(account, rank, expiry in minutes from now)`: never within a
/// minute of now, so the clock cannot move a row across the line mid-case;
/// expired ones more than five years ago ([`LONG_AGO`]).
fn lease_rows() -> impl proptest::strategy::Strategy<Value = Vec<(u8, u32, Option<i64>)>> {
    use proptest::prelude::*;
    let minutes = prop_oneof![(-600i64..-1).prop_map(|m| m - LONG_AGO_MINUTES), 1i64..600];
    proptest::collection::vec((0u8..3, 0u32..10, proptest::option::of(minutes)), 0..14)
}

const LONG_AGO_MINUTES: i64 = LONG_AGO.as_secs() as i64 / 60;

fn sorted(mut rows: Vec<Lease>) -> Vec<Lease> {
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows
}

/// Every read plan (Scan, GSI Query, count, BatchGetItem, and after the
/// embedded engine's sweep, `with_expired`) against the reference: read
/// everything, drop the expired rows, evaluate the filter in memory.
/// Seeded, shrinking to a minimal case.
#[test]
fn expired_rows_are_hidden_by_every_plan_as_by_the_reference() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = builder().table::<Lease>().build().await.unwrap();
        db.sync().await.unwrap();
        db
    });
    let embedded = crate::common::endpoint().is_none();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let checked = std::cell::Cell::new(0usize);
    let result = runner.run(&(lease_rows(), lease_filter()), |(rows, filter)| {
        let outcome: Result<(), String> = rt.block_on(async {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            // A clean table: delete what the previous case left.
            let old = Lease::query().with_expired().all(&db).await.unwrap();
            Lease::delete_many(&db, old.iter().map(|l| l.id.clone()))
                .await
                .unwrap();
            let rows: Vec<Lease> = rows
                .iter()
                .enumerate()
                .map(|(i, (account, rank, minutes))| Lease {
                    id: format!("l{i:02}"),
                    account: format!("a{account}"),
                    rank: *rank,
                    until: minutes.map(|m| now + m * 60),
                })
                .collect();
            Lease::put_many(&db, rows.clone()).await.unwrap();
            let live = |r: &&Lease| r.until.is_none_or(|u| u >= now);
            let wanted: Vec<Lease> = rows
                .iter()
                .filter(live)
                .filter(|r| filter.holds(r, now))
                .cloned()
                .collect();
            let found = Lease::query()
                .filter(filter.condition(now))
                .all(&db)
                .await
                .map_err(|e| e.to_string())?;
            if sorted(found.clone()) != wanted {
                return Err(format!("query: {found:?}\nwanted {wanted:?}"));
            }
            // The same filter pinned to one account: a GSI Query.
            let one = LeaseFilter::And(Box::new(LeaseFilter::Account(1)), Box::new(filter.clone()));
            let by_account = Lease::query()
                .filter(one.condition(now))
                .all(&db)
                .await
                .map_err(|e| e.to_string())?;
            let wanted_one: Vec<Lease> = wanted
                .iter()
                .filter(|r| r.account == "a1")
                .cloned()
                .collect();
            if sorted(by_account.clone()) != wanted_one {
                return Err(format!("GSI query: {by_account:?}\nwanted {wanted_one:?}"));
            }
            let count = Lease::query()
                .filter(filter.condition(now))
                .count(&db)
                .await
                .map_err(|e| e.to_string())?;
            if count != wanted.len() {
                return Err(format!("count {count}, wanted {}", wanted.len()));
            }
            let by_key = Lease::get_many(&db, rows.iter().map(|r| r.id.clone()))
                .await
                .map_err(|e| e.to_string())?;
            let visible: Vec<Lease> = rows.iter().filter(live).cloned().collect();
            if sorted(by_key.clone()) != visible {
                return Err(format!("get_many: {by_key:?}\nwanted {visible:?}"));
            }
            if embedded {
                // What reads hid is what the sweep deletes.
                db.sweep_expired().await.map_err(|e| e.to_string())?;
                let stored = Lease::query().with_expired().all(&db).await.unwrap();
                if sorted(stored.clone()) != visible {
                    return Err(format!("after the sweep: {stored:?}\nwanted {visible:?}"));
                }
            }
            checked.set(checked.get() + 1);
            Ok(())
        });
        outcome.map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_eq!(checked.get(), 48);
}

#[tokio::test]
async fn time_to_live_false_leaves_ttl_off_and_never_turns_it_off() {
    let with = |enabled: bool, base: Option<&Dynamite>| {
        let b = match base {
            Some(db) => Dynamite::builder()
                .same_backend_as(db)
                .table_prefix(db.table_prefix()),
            None => builder(),
        };
        b.table::<Grant>()
            .table_options::<Grant>(TableOptions::new().time_to_live(enabled))
            .build()
    };
    let off = with(false, None).await.unwrap();
    let table = off.table_name::<Grant>().unwrap();
    let report = off.sync().await.unwrap();
    assert!(
        !report
            .changes
            .iter()
            .any(|c| matches!(c, Change::EnableTtl { .. })),
        "{report}"
    );
    let status = |db: Dynamite| {
        let table = table.clone();
        async move {
            db.client()
                .describe_time_to_live()
                .table_name(table)
                .send()
                .await
                .unwrap()
                .time_to_live_description()
                .and_then(|d| d.time_to_live_status())
                .map(|s| s.as_str().to_owned())
        }
    };
    assert_eq!(status(off.clone()).await.as_deref(), Some("DISABLED"));
    // Reads hide expired rows all the same.
    Grant::create().id("old").until(1).exec(&off).await.unwrap();
    assert!(Grant::get(&off, "old").await.unwrap().is_none());

    let on = with(true, Some(&off)).await.unwrap();
    assert!(
        on.sync()
            .await
            .unwrap()
            .changes
            .contains(&Change::EnableTtl {
                table: table.clone(),
                attribute: "until".into()
            })
    );
    let off_again = with(false, Some(&off)).await.unwrap();
    for report in [
        off_again.sync_plan().await.unwrap(),
        off_again.sync().await.unwrap(),
    ] {
        assert!(report.changes.is_empty(), "{report}");
        assert_eq!(
            report
                .withheld
                .iter()
                .map(|w| &w.change)
                .collect::<Vec<_>>(),
            [&Change::DisableTtl {
                table: table.clone()
            }],
            "{report}"
        );
    }
    assert!(matches!(
        status(off_again).await.as_deref(),
        Some("ENABLED" | "ENABLING")
    ));
}
