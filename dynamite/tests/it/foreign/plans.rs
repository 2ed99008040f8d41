//! Every read plan against the reference, on random foreign datasets.

use super::*;

// ---------------------------------------------------------------- filters

/// A filter on the attributes foreign data spoils, with DynamoDB's
/// semantics for the reference: a comparison with an absent attribute or
/// another type is false.
#[derive(Debug, Clone)]
pub(super) enum F {
    RankLt(i64),
    NoteBegins(&'static str),
    NoteIsNone,
    And(Box<F>, Box<F>),
    Or(Box<F>, Box<F>),
    Not(Box<F>),
}

impl F {
    fn condition<M: Table>(
        &self,
        rank: Column<M, i64>,
        note: Column<M, Option<String>>,
    ) -> Condition<M> {
        match self {
            F::RankLt(k) => rank.lt(*k),
            F::NoteBegins(p) => note.begins_with(*p),
            F::NoteIsNone => note.is_none(),
            F::And(a, b) => a.condition(rank, note).and(b.condition(rank, note)),
            F::Or(a, b) => a.condition(rank, note).or(b.condition(rank, note)),
            F::Not(a) => a.condition(rank, note).not(),
        }
    }

    fn holds(&self, item: &Item) -> bool {
        match self {
            // The drawn numbers are few digits or far beyond: f64 orders them.
            F::RankLt(k) => {
                matches!(item.get("rank"), Some(AV::N(t)) if t.parse::<f64>().is_ok_and(|v| v < *k as f64))
            }
            F::NoteBegins(p) => matches!(item.get("note"), Some(AV::S(t)) if t.starts_with(p)),
            F::NoteIsNone => matches!(item.get("note"), None | Some(AV::Null(_))),
            F::And(a, b) => a.holds(item) && b.holds(item),
            F::Or(a, b) => a.holds(item) || b.holds(item),
            F::Not(a) => !a.holds(item),
        }
    }
}

fn filter() -> BoxedStrategy<Option<F>> {
    let leaf = prop_oneof![
        (-1i64..9).prop_map(F::RankLt),
        proptest::sample::select(vec!["a", "b"]).prop_map(F::NoteBegins),
        Just(F::NoteIsNone),
    ];
    let tree = leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| F::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| F::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| F::Not(Box::new(a))),
        ]
    });
    proptest::option::weighted(0.7, tree).boxed()
}

// ---------------------------------------------------------------- the reference

/// What a read answers: rows (sorted by key), or a decode error.
#[derive(Debug, PartialEq)]
enum Answer<R> {
    Rows(Vec<R>),
    Decode,
}

/// The reference over `selected` items (already narrowed by key and
/// filter): a decode error if one visible item cannot decode, else its
/// rows.
fn expect<M: Clone + std::fmt::Debug, K: Ord>(
    selected: impl IntoIterator<Item = Fate<M>>,
    key: impl Fn(&M) -> K,
) -> Answer<M> {
    let mut rows = Vec::new();
    for fate in selected {
        match fate {
            Fate::Hidden(_) => {}
            Fate::Undecodable => return Answer::Decode,
            Fate::Row(r) => rows.push(r),
        }
    }
    rows.sort_by_key(|r| key(r));
    Answer::Rows(rows)
}

/// A read's outcome as an [`Answer`]; any error but `Decode` is a failure.
fn answer<R: std::fmt::Debug, K: Ord>(
    got: dynamite::Result<Vec<R>>,
    key: impl Fn(&R) -> K,
) -> Result<Answer<R>, String> {
    match got {
        Ok(mut rows) => {
            rows.sort_by_key(|r| key(r));
            Ok(Answer::Rows(rows))
        }
        Err(e) if e.is_decode() => Ok(Answer::Decode),
        Err(e) => Err(format!("unexpected error: {e}")),
    }
}

/// Every page of a query (two rows a page) as one answer: a decode error
/// on any page is the answer.
async fn paged<M: Table + Clone>(
    db: &Dynamite,
    query: impl Fn() -> dynamite::Query<M>,
) -> dynamite::Result<Vec<M>> {
    let mut rows = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let page = query().limit(2).page(db, cursor.as_ref()).await?;
        rows.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(rows),
        }
    }
    panic!("paging did not end");
}

fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, wanted: &T) -> Result<(), String> {
    if got == *wanted {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}\n  wanted {wanted:?}"))
    }
}

/// How often each fate was drawn, so a run shows (and asserts) that it
/// met rows, decode errors and every reason to hide.
#[derive(Default)]
struct Tally(std::cell::RefCell<std::collections::BTreeMap<String, usize>>);

impl Tally {
    fn add<M>(&self, fate: &Fate<M>) {
        let name = match fate {
            Fate::Hidden(why) => format!("hidden: {why}"),
            Fate::Undecodable => "undecodable".to_owned(),
            Fate::Row(_) => "row".to_owned(),
        };
        *self.0.borrow_mut().entry(name).or_default() += 1;
    }

    /// Prints the tally and checks every fate in `wanted` occurred.
    fn assert_saw(&self, what: &str, wanted: &[&str]) {
        let seen = self.0.borrow();
        eprintln!("{what}: {seen:?}");
        for w in wanted {
            assert!(
                seen.get(*w).is_some_and(|n| *n > 0),
                "{what} never drew {w}: {seen:?}"
            );
        }
    }
}

fn count_of<M>(selected: &[Fate<M>]) -> usize {
    selected.iter().filter(|f| f.visible()).count()
}

// ---------------------------------------------------------------- the properties

fn cases() -> u32 {
    std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(24)
}

fn run<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), String>) -> usize
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let ran = std::cell::Cell::new(0usize);
    let result = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        test(value).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    ran.get()
}

/// Foreign `Ticket` items (own table): every read plan agrees with the
/// reference.
#[test]
fn foreign_items_read_alike_on_every_plan() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ticket_db());
    let table = db.table_name::<Ticket>().unwrap();
    let now = now();
    let items = (0..8usize).map(|i| ticket(i, now)).collect::<Vec<_>>();
    let strategy = (items, filter(), proptest::sample::select(QUEUES.to_vec()));
    let tally = Tally::default();
    let ran = run(strategy, |(items, f, queue)| {
        items.iter().for_each(|t| tally.add(&t.fate));
        rt.block_on(async {
            let raw: Vec<Item> = items.iter().map(|t| t.item.clone()).collect();
            store_raw(&db, &table, &["id"], &raw).await;
            check_tickets(&db, &items, f.as_ref(), queue).await
        })
    });
    eprintln!("foreign tickets: {ran} cases");
    tally.assert_saw(
        "ticket fates",
        &[
            "row",
            "undecodable",
            "hidden: expired",
            "hidden: soft-deleted",
        ],
    );
}

pub(super) async fn check_tickets(
    db: &Dynamite,
    items: &[ForeignTicket],
    f: Option<&F>,
    queue: &str,
) -> Result<(), String> {
    let key = |t: &Ticket| t.id.clone();
    let holds = |t: &ForeignTicket| f.is_none_or(|f| f.holds(&t.item));
    let cond = || f.map(|f| f.condition(Ticket::RANK, Ticket::NOTE));
    let query = || {
        let q = Ticket::query();
        match cond() {
            Some(c) => q.filter(c),
            None => q,
        }
    };
    // Scan.
    let selected: Vec<Fate<Ticket>> = items
        .iter()
        .filter(|t| holds(t))
        .map(|t| t.fate.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    check("scan all", answer(query().all(db).await, key)?, &wanted)?;
    check("scan pages", answer(paged(db, query).await, key)?, &wanted)?;
    check(
        "scan count",
        query().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // GSI Query.
    let in_queue = |t: &ForeignTicket| matches!(t.item.get("queue"), Some(AV::S(q)) if q == queue);
    let selected: Vec<Fate<Ticket>> = items
        .iter()
        .filter(|t| holds(t) && in_queue(t))
        .map(|t| t.fate.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let by_queue = || {
        let q = Ticket::query().filter(Ticket::QUEUE.eq(queue));
        match cond() {
            Some(c) => q.filter(c),
            None => q,
        }
    };
    check("gsi all", answer(by_queue().all(db).await, key)?, &wanted)?;
    check(
        "gsi pages",
        answer(paged(db, by_queue).await, key)?,
        &wanted,
    )?;
    check(
        "gsi count",
        by_queue().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // Keyed reads: GetItem, BatchGetItem, TransactGetItems.
    for (i, t) in items.iter().enumerate() {
        let id = format!("t{i}");
        let got = answer(
            Ticket::get(db, id.as_str())
                .await
                .map(|r| r.into_iter().collect()),
            key,
        )?;
        check(&format!("get {id}"), got, &expect([t.fate.clone()], key))?;
        let mut tx = db.transact_get();
        tx.get::<Ticket>(id.as_str());
        let got = match tx.send().await {
            Ok(out) => answer(out.get::<Ticket>(0).map(|r| r.into_iter().collect()), key)?,
            Err(e) => answer::<Ticket, String>(Err(e), key)?,
        };
        check(
            &format!("transact_get {id}"),
            got,
            &expect([t.fate.clone()], key),
        )?;
    }
    let ids: Vec<String> = (0..items.len()).map(|i| format!("t{i}")).collect();
    let got = answer(Ticket::get_many(db, ids).await, key)?;
    check(
        "get_many",
        got,
        &expect(items.iter().map(|t| t.fate.clone()), key),
    )?;
    // Includes (children through the GSI) and lazy loads: per parent, its
    // visible children; one undecodable child fails the read.
    let children = |desk: &str| {
        let of_desk =
            |t: &&ForeignTicket| matches!(t.item.get("queue"), Some(AV::S(q)) if q == desk);
        expect(items.iter().filter(of_desk).map(|t| t.fate.clone()), key)
    };
    let wanted = if QUEUES.iter().any(|q| children(q) == Answer::Decode) {
        Answer::Decode
    } else {
        Answer::Rows(
            QUEUES
                .iter()
                .map(|q| ((*q).to_owned(), children(q)))
                .collect(),
        )
    };
    let got = match Desk::query().include(Desk::tickets()).all(db).await {
        Ok(desks) => {
            let mut rows: Vec<(String, Answer<Ticket>)> = desks
                .into_iter()
                .map(|d| {
                    let mut kids: Vec<Ticket> = d.tickets.iter().cloned().collect();
                    kids.sort_by_key(key);
                    (d.id, Answer::Rows(kids))
                })
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            Answer::Rows(rows)
        }
        Err(e) if e.is_decode() => Answer::Decode,
        Err(e) => return Err(format!("include: {e}")),
    };
    check("include", got, &wanted)?;
    for desk in QUEUES {
        let got = answer(Desk::tickets().of_key(*desk).all(db).await, key)?;
        check(&format!("lazy {desk}"), got, &children(desk))?;
    }
    Ok(())
}

/// Foreign items of a shared table: spoiled `Job`s and `JobTwin`s at
/// colliding keys; every plan of both models agrees with the reference.
#[test]
fn foreign_items_in_a_shared_table_read_alike_on_every_plan() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = builder()
            .table::<Job>()
            .table::<JobTwin>()
            .build()
            .await
            .unwrap();
        db.sync().await.unwrap();
        db
    });
    let table = db.table_name::<Job>().unwrap();
    let keys = [
        Job::META.partition_key.name,
        Job::META.sort_key.unwrap().name,
    ];
    let now = now();
    let items = TENANTS
        .iter()
        .flat_map(|t| (0..4u16).map(move |id| shared(t, id, now)))
        .collect::<Vec<_>>();
    let strategy = (
        items,
        filter(),
        proptest::sample::select(TENANTS.to_vec()),
        proptest::sample::select(QUEUES.to_vec()),
    );
    let (jobs, twins) = (Tally::default(), Tally::default());
    let ran = run(strategy, |(items, f, tenant, queue)| {
        items.iter().for_each(|t| {
            jobs.add(&t.job);
            twins.add(&t.twin);
        });
        rt.block_on(async {
            let raw: Vec<Item> = items.iter().map(|t| t.item.clone()).collect();
            store_raw(&db, &table, &keys, &raw).await;
            check_shared(&db, &items, f.as_ref(), tenant, queue).await
        })
    });
    eprintln!("foreign shared items: {ran} cases");
    let all = [
        "row",
        "undecodable",
        "hidden: expired",
        "hidden: another entity",
    ];
    jobs.assert_saw("job fates", &all);
    twins.assert_saw("twin fates", &all);
}

/// The rendered key attributes of an item, as `(partition, sort)`.
fn rendered(item: &Item, pk: &str, sk: &str) -> (String, String) {
    let text = |name: &str| match item.get(name) {
        Some(AV::S(v)) => v.clone(),
        _ => String::new(),
    };
    (text(pk), text(sk))
}

async fn check_shared(
    db: &Dynamite,
    items: &[ForeignShared],
    f: Option<&F>,
    tenant: &str,
    queue: &str,
) -> Result<(), String> {
    let pk = Job::META.partition_key.name;
    let sk = Job::META.sort_key.unwrap().name;
    let gsi = Job::META
        .indexes
        .iter()
        .find(|x| x.name == "gsi1")
        .unwrap()
        .partition_key
        .name;
    let key = |j: &Job| (j.tenant.clone(), j.id);
    let holds = |t: &ForeignShared| f.is_none_or(|f| f.holds(&t.item));
    let with = |q: dynamite::Query<Job>| match f {
        Some(f) => q.filter(f.condition(Job::RANK, Job::NOTE)),
        None => q,
    };
    // Scan (filters on plain attributes only).
    let selected: Vec<Fate<Job>> = items
        .iter()
        .filter(|t| holds(t))
        .map(|t| t.job.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let scan = || with(Job::query());
    check("job scan", answer(scan().all(db).await, key)?, &wanted)?;
    check(
        "job scan pages",
        answer(paged(db, scan).await, key)?,
        &wanted,
    )?;
    check(
        "job scan count",
        scan().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // A partition: a filter on a templated field holds where the rendered
    // key AND the field's own attribute say so (a spoiled `tenant` beside
    // a well-formed key is not in the partition the user asked for).
    let partition = format!("T#{tenant}");
    let field_is = |item: &Item, name: &str, value: &str| matches!(item.get(name), Some(AV::S(v)) if v == value);
    let selected: Vec<Fate<Job>> = items
        .iter()
        .filter(|t| {
            holds(t)
                && rendered(&t.item, pk, sk).0 == partition
                && field_is(&t.item, "tenant", tenant)
        })
        .map(|t| t.job.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let part = || with(Job::query().filter(Job::TENANT.eq(tenant)));
    check("job partition", answer(part().all(db).await, key)?, &wanted)?;
    check(
        "job partition pages",
        answer(paged(db, part).await, key)?,
        &wanted,
    )?;
    check(
        "job partition count",
        part().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // The overloaded GSI.
    let gsi_partition = format!("Q#{queue}");
    let selected: Vec<Fate<Job>> = items
        .iter()
        .filter(|t| {
            holds(t)
                && matches!(t.item.get(gsi), Some(AV::S(v)) if *v == gsi_partition)
                && field_is(&t.item, "queue", queue)
        })
        .map(|t| t.job.clone())
        .collect();
    let wanted = expect(selected.clone(), key);
    let by_queue = || with(Job::query().filter(Job::QUEUE.eq(queue)));
    check("job gsi", answer(by_queue().all(db).await, key)?, &wanted)?;
    check(
        "job gsi pages",
        answer(paged(db, by_queue).await, key)?,
        &wanted,
    )?;
    check(
        "job gsi count",
        by_queue().count(db).await.map_err(|e| e.to_string())?,
        &count_of(&selected),
    )?;
    // Keyed reads of both models.
    let mut all_keys = Vec::new();
    for (t, id) in TENANTS
        .iter()
        .flat_map(|t| (0..4u16).map(move |id| (*t, id)))
    {
        all_keys.push((t, id));
    }
    let twin_key = |j: &JobTwin| (j.tenant.clone(), j.id);
    for ((t, id), item) in all_keys.iter().zip(items) {
        let got = answer(
            Job::get(db, (*t, *id))
                .await
                .map(|r| r.into_iter().collect()),
            key,
        )?;
        check(
            &format!("job get {t}/{id}"),
            got,
            &expect([item.job.clone()], key),
        )?;
        let got = answer(
            JobTwin::get(db, (*t, *id))
                .await
                .map(|r| r.into_iter().collect()),
            twin_key,
        )?;
        check(
            &format!("twin get {t}/{id}"),
            got,
            &expect([item.twin.clone()], twin_key),
        )?;
        // TransactGetItems (one item per request: a transaction may not
        // read one item twice).
        let mut tx = db.transact_get();
        tx.get::<Job>((*t, *id));
        let got = match tx.send().await {
            Ok(out) => answer(out.get::<Job>(0).map(|r| r.into_iter().collect()), key)?,
            Err(e) => answer::<Job, _>(Err(e), key)?,
        };
        check(
            &format!("job transact_get {t}/{id}"),
            got,
            &expect([item.job.clone()], key),
        )?;
        let mut tx = db.transact_get();
        tx.get::<JobTwin>((*t, *id));
        let got = match tx.send().await {
            Ok(out) => answer(
                out.get::<JobTwin>(0).map(|r| r.into_iter().collect()),
                twin_key,
            )?,
            Err(e) => answer::<JobTwin, _>(Err(e), twin_key)?,
        };
        check(
            &format!("twin transact_get {t}/{id}"),
            got,
            &expect([item.twin.clone()], twin_key),
        )?;
    }
    let got = answer(Job::get_many(db, all_keys.clone()).await, key)?;
    check(
        "job get_many",
        got,
        &expect(items.iter().map(|t| t.job.clone()), key),
    )?;
    let got = answer(JobTwin::get_many(db, all_keys.clone()).await, twin_key)?;
    check(
        "twin get_many",
        got,
        &expect(items.iter().map(|t| t.twin.clone()), twin_key),
    )?;
    let twins = answer(JobTwin::query().all(db).await, twin_key)?;
    check(
        "twin scan",
        twins,
        &expect(items.iter().map(|t| t.twin.clone()), twin_key),
    )?;
    Ok(())
}
