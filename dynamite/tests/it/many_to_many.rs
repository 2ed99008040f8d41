//! Many-to-many through a junction model: `has_many(through = ..)`
//! includes (differential against an in-memory reference, request and
//! round counts) and the set writes `replace` / `add` / `remove`
//! (one transaction, chunks, concurrent writers, a retry after a
//! cancellation).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder};
use dynamite_testkit::faults::{Fault, Proxy, Schedule};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::common;

#[derive(Table, Debug, Clone)]
pub struct MStudent {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    #[dynamite(has_many(through = MEnrollment, foreign_key = "student_id", far_key = "course_id"))]
    pub courses: HasMany<MCourse>,
}

#[derive(Table, Debug, Clone)]
pub struct MCourse {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    pub level: i32,
    #[dynamite(has_many(foreign_key = "course_id"))]
    pub lessons: HasMany<MLesson>,
    /// The reverse side: its foreign key is the junction's sort key.
    #[dynamite(has_many(through = MEnrollment, foreign_key = "course_id", far_key = "student_id"))]
    pub students: HasMany<MStudent>,
}

/// The junction, keyed by the pair: one link is one item.
#[derive(Table, Debug, Clone)]
pub struct MEnrollment {
    #[dynamite(primary_key)]
    pub student_id: String,
    #[dynamite(sort_key)]
    pub course_id: String,
    pub grade: Option<String>,
}

#[derive(Table, Debug, Clone)]
pub struct MLesson {
    #[dynamite(primary_key)]
    pub id: String,
    pub course_id: String,
    pub minutes: i32,
}

/// A junction keyed by its own id: includes work, set writes refuse it.
#[derive(Table, Debug, Clone)]
pub struct LooseLink {
    #[dynamite(primary_key)]
    pub id: String,
    pub student_id: String,
    pub course_id: String,
}

#[derive(Table, Debug, Clone)]
pub struct LooseStudent {
    #[dynamite(primary_key)]
    pub id: String,
    #[dynamite(has_many(through = LooseLink, foreign_key = "student_id", far_key = "course_id"))]
    pub courses: HasMany<MCourse>,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<MStudent>()
        .table::<MCourse>()
        .table::<MEnrollment>()
        .table::<MLesson>()
        .table::<LooseLink>()
        .table::<LooseStudent>()
}

pub(crate) async fn db() -> Dynamite {
    let db = register(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db.metrics().reset();
    db
}

pub(crate) fn course_id(i: usize) -> String {
    format!("c{i:04}")
}

async fn courses(db: &Dynamite, n: usize) {
    let rows: Vec<MCourse> = (0..n)
        .map(|i| {
            MCourse::create()
                .id(course_id(i))
                .name(format!("Course {i}"))
                .level((i % 5) as i32)
                .build()
        })
        .collect();
    MCourse::put_many(db, rows).await.unwrap();
}

async fn linked(db: &Dynamite, student: &str) -> Vec<String> {
    let rows = MEnrollment::query()
        .filter(MEnrollment::STUDENT_ID.eq(student))
        .consistent()
        .all(db)
        .await
        .unwrap();
    rows.into_iter().map(|e| e.course_id).collect()
}

// ------------------------------------------------------------ includes

#[derive(Debug, Clone)]
struct Dataset {
    students: usize,
    /// (level of each course; `None`: a course id linked but never created)
    courses: Vec<Option<i32>>,
    links: BTreeSet<(usize, usize)>,
    /// minutes of each lesson, by course
    lessons: Vec<(usize, i32)>,
}

fn dataset() -> impl Strategy<Value = Dataset> {
    (
        2usize..7,
        proptest::collection::vec(proptest::option::weighted(0.9, 0i32..5), 3..12),
    )
        .prop_flat_map(|(students, courses)| {
            let n = courses.len();
            (
                Just(students),
                Just(courses),
                proptest::collection::btree_set((0..students, 0..n), 0..(students * n)),
                proptest::collection::vec((0..n, 0i32..60), 0..20),
            )
        })
        .prop_map(|(students, courses, links, lessons)| Dataset {
            students,
            courses,
            links,
            lessons,
        })
}

#[derive(Debug, Clone)]
struct Case {
    /// `Some(s)`: the root pins student `s` (key propagation); else a Scan.
    student: Option<usize>,
    min_level: Option<i32>,
    limit: Option<usize>,
    desc: bool,
    /// Project the far rows to `id` and `name`.
    project: bool,
    /// Include each course's lessons of at least this many minutes.
    lessons: Option<i32>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::option::of(0usize..8),
        proptest::option::of(0i32..5),
        proptest::option::of(0usize..5),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0i32..60),
    )
        .prop_map(|(student, min_level, limit, desc, project, lessons)| Case {
            student,
            min_level,
            limit,
            desc,
            project,
            lessons,
        })
}

async fn seed(db: &Dynamite, data: &Dataset) {
    let students: Vec<MStudent> = (0..data.students)
        .map(|s| {
            MStudent::create()
                .id(format!("s{s}"))
                .name(format!("S{s}"))
                .build()
        })
        .collect();
    MStudent::put_many(db, students).await.unwrap();
    let courses: Vec<MCourse> = data
        .courses
        .iter()
        .enumerate()
        .filter_map(|(i, level)| {
            level.map(|l| {
                MCourse::create()
                    .id(course_id(i))
                    .name(format!("Course {i}"))
                    .level(l)
                    .build()
            })
        })
        .collect();
    MCourse::put_many(db, courses).await.unwrap();
    let links: Vec<MEnrollment> = data
        .links
        .iter()
        .map(|(s, c)| {
            MEnrollment::create()
                .student_id(format!("s{s}"))
                .course_id(course_id(*c))
                .build()
        })
        .collect();
    MEnrollment::put_many(db, links).await.unwrap();
    let lessons: Vec<MLesson> = data
        .lessons
        .iter()
        .enumerate()
        .map(|(i, (c, minutes))| {
            MLesson::create()
                .id(format!("l{i:03}"))
                .course_id(course_id(*c))
                .minutes(*minutes)
                .build()
        })
        .collect();
    MLesson::put_many(db, lessons).await.unwrap();
}

fn relation(case: &Case) -> dynamite::Relation<MStudent, MCourse> {
    let mut courses = MStudent::courses();
    if let Some(l) = case.min_level {
        courses = courses.filter(MCourse::LEVEL.ge(l));
    }
    if let Some(n) = case.limit {
        courses = courses.limit(n);
    }
    if case.desc {
        courses = courses.order(Desc);
    }
    if case.project {
        courses = courses.attributes((MCourse::ID, MCourse::NAME));
    }
    if let Some(m) = case.lessons {
        courses = courses.include(MCourse::lessons().filter(MLesson::MINUTES.ge(m)));
    }
    courses
}

/// The graph as lines (students by id), from the database.
fn lines(students: &[MStudent]) -> Vec<String> {
    let mut out = Vec::new();
    let mut students: Vec<&MStudent> = students.iter().collect();
    students.sort_by(|a, b| a.id.cmp(&b.id));
    let lesson_lines = |lessons: &HasMany<MLesson>| {
        let mut lines: Vec<String> = lessons
            .iter()
            .map(|l| format!("    lesson {} {}", l.id, l.minutes))
            .collect();
        lines.sort();
        lines
    };
    for s in students {
        out.push(format!("student {}", s.id));
        // Projected far rows (`attributes(..)`) are never full courses.
        if let Some(courses) = s.courses.projected() {
            assert!(s.courses.loaded().is_none() && s.courses.is_empty());
            for c in courses {
                let (id, name) = (c.get(MCourse::ID).unwrap(), c.get(MCourse::NAME).unwrap());
                out.push(format!("  course {id} {name}"));
                if let Some(lessons) = c.related(|c| &c.lessons) {
                    out.extend(lesson_lines(lessons));
                }
            }
            continue;
        }
        for c in s.courses.iter() {
            out.push(format!("  course {} {}", c.id, c.name));
            out.extend(lesson_lines(&c.lessons));
        }
    }
    out
}

/// The same graph from the dataset, in memory.
fn reference(data: &Dataset, case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    let mut students: Vec<usize> = match case.student {
        Some(s) if s < data.students => vec![s],
        Some(_) => Vec::new(),
        None => (0..data.students).collect(),
    };
    students.sort_by_key(|s| format!("s{s}"));
    for s in students {
        out.push(format!("student s{s}"));
        let mut far: Vec<usize> = data
            .links
            .iter()
            .filter(|(ls, _)| *ls == s)
            .map(|(_, c)| *c)
            .filter(|c| {
                data.courses[*c].is_some_and(|level| case.min_level.is_none_or(|m| level >= m))
            })
            .collect();
        far.sort_by_key(|c| course_id(*c));
        if case.desc {
            far.reverse();
        }
        if let Some(n) = case.limit {
            far.truncate(n);
        }
        for c in far {
            out.push(format!("  course {} Course {c}", course_id(c)));
            if let Some(m) = case.lessons {
                let mut lessons: Vec<String> = data
                    .lessons
                    .iter()
                    .enumerate()
                    .filter(|(_, (lc, minutes))| *lc == c && *minutes >= m)
                    .map(|(i, (_, minutes))| format!("    lesson l{i:03} {minutes}"))
                    .collect();
                lessons.sort();
                out.extend(lessons);
            }
        }
    }
    out
}

#[test]
fn through_include_differential() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 60,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    for round in 0..3 {
        let data = dataset().new_tree(&mut runner).unwrap().current();
        let db = rt.block_on(async {
            let db = db().await;
            seed(&db, &data).await;
            db
        });
        let result = runner.run(&case(), |case| {
            let got = rt.block_on(async {
                let query = MStudent::query().include(relation(&case));
                let query = match case.student {
                    Some(s) => query.filter(MStudent::ID.eq(format!("s{s}"))),
                    None => query,
                };
                db.metrics().reset();
                let rows = query.all(&db).await;
                (rows, db.metrics().count("BatchGetItem"))
            });
            let (rows, batches) = got;
            let rows = rows.map_err(|e| TestCaseError::fail(format!("{case:?}: {e}")))?;
            prop_assert_eq!(
                lines(&rows),
                reference(&data, &case),
                "dataset {}: {:?}",
                round,
                case
            );
            // Every far row of the round in one BatchGetItem (< 100 keys).
            prop_assert!(batches <= 1, "{} BatchGetItem calls: {:?}", batches, case);
            Ok(())
        });
        if let Err(e) = result {
            panic!("dataset {round} {data:?}: {e}");
        }
    }
}

#[dynamite::test(registry = register)]
async fn through_include_of_one_student_is_three_requests_in_two_rounds(db: Dynamite) {
    courses(&db, 6).await;
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    MStudent::courses()
        .replace(&db, "s1", [course_id(4), course_id(1), course_id(3)])
        .await
        .unwrap();
    db.metrics().reset();
    let s = MStudent::query()
        .filter(MStudent::ID.eq("s1"))
        .include(
            MStudent::courses()
                .filter(MCourse::LEVEL.ge(2))
                .order(Desc)
                .limit(1),
        )
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = s.courses.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [course_id(4).as_str()]);
    assert_eq!(db.metrics().count("GetItem"), 1);
    assert_eq!(
        db.metrics().count("Query"),
        1,
        "the junction, with the student read"
    );
    assert_eq!(db.metrics().count("BatchGetItem"), 1);
    assert_eq!(db.metrics().data_plane_requests(), 3);
    assert_eq!(db.metrics().rounds(), 2);

    let explain = MStudent::query()
        .filter(MStudent::ID.eq("s1"))
        .include(
            MStudent::courses()
                .filter(MCourse::LEVEL.ge(2))
                .order(Desc)
                .limit(1),
        )
        .explain(&db)
        .to_string();
    // (table names carry the test's prefix on DynamoDB Local)
    assert!(explain.contains("round 1: GetItem "), "{explain}");
    assert!(
        explain.contains("m_enrollments index student_id_index key student_id"),
        "{explain}"
    );
    assert!(
        explain.contains("round 2: `courses`: BatchGetItem "),
        "{explain}"
    );
    assert!(
        explain.contains(
            "m_courses by id filter in memory level >= 2 (the rows of every parent in this \
             round; then per parent: distinct, by key desc, at most 1)"
        ),
        "{explain}"
    );

    // Lazy, from the row.
    db.metrics().reset();
    let lazy = MStudent::courses().of(&s).all(&db).await.unwrap();
    assert_eq!(lazy.len(), 3);
    assert_eq!(
        db.metrics().data_plane_requests(),
        2,
        "Query + BatchGetItem"
    );
}

#[dynamite::test(registry = register)]
async fn nested_includes_read_only_for_the_far_rows_kept(db: Dynamite) {
    courses(&db, 5).await;
    for c in 0..5 {
        MLesson::create()
            .id(format!("l{c}"))
            .course_id(course_id(c))
            .minutes(30)
            .exec(&db)
            .await
            .unwrap();
    }
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    MStudent::courses()
        .replace(&db, "s1", (0..5).map(course_id))
        .await
        .unwrap();
    db.metrics().reset();
    let s = MStudent::query()
        .filter(MStudent::ID.eq("s1"))
        .include(
            MStudent::courses()
                .order(Desc)
                .limit(1)
                .include(MCourse::lessons()),
        )
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.courses.len(), 1);
    assert_eq!(s.courses[0].id, course_id(4));
    assert_eq!(s.courses[0].lessons.len(), 1);
    // The junction Query, then the lessons of the one course kept.
    assert_eq!(db.metrics().count("Query"), 2);
    assert_eq!(db.metrics().rounds(), 3);
}

#[dynamite::test(registry = register)]
async fn through_include_of_150_far_rows_is_one_batch_round(db: Dynamite) {
    courses(&db, 150).await;
    for s in 0..3 {
        MStudent::create()
            .id(format!("s{s}"))
            .name("x")
            .exec(&db)
            .await
            .unwrap();
        let far: Vec<String> = (0..150).filter(|c| c % 3 != s).map(course_id).collect();
        MStudent::courses()
            .replace(&db, format!("s{s}"), far)
            .await
            .unwrap();
    }
    db.metrics().reset();
    let students = MStudent::query()
        .include(MStudent::courses().include(MCourse::lessons()))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(students.len(), 3);
    assert!(students.iter().all(|s| s.courses.len() == 100));
    // Scan of students; the junction per student; 150 distinct courses in
    // two BatchGetItem calls of one round; their lessons (one Scan of the
    // small lesson table beats 150 Queries).
    assert_eq!(db.metrics().count("Query"), 3);
    assert_eq!(db.metrics().count("Scan"), 2);
    assert_eq!(db.metrics().count("BatchGetItem"), 2);
    assert_eq!(db.metrics().rounds(), 4);
}

#[dynamite::test(registry = register)]
async fn regression_the_reverse_side_reads_a_junction_keyed_by_the_pair(db: Dynamite) {
    // Its foreign-key GSI once had the junction's sort key as both of its
    // keys, and CreateTable refused it.
    courses(&db, 3).await;
    for s in ["s1", "s2", "s3"] {
        MStudent::create()
            .id(s)
            .name(s.to_uppercase())
            .exec(&db)
            .await
            .unwrap();
    }
    MStudent::courses()
        .add(&db, "s2", [course_id(1)])
        .await
        .unwrap();
    MStudent::courses()
        .add(&db, "s1", [course_id(1), course_id(2)])
        .await
        .unwrap();
    let change = MCourse::students()
        .replace(&db, course_id(2), ["s3", "s2"])
        .await
        .unwrap();
    assert_eq!(
        (change.added.len(), change.removed),
        (2, vec!["s1".to_owned()])
    );
    let mut courses = MCourse::query()
        .include(MCourse::students())
        .all(&db)
        .await
        .unwrap();
    courses.sort_by(|a, b| a.id.cmp(&b.id));
    let got: Vec<Vec<&str>> = courses
        .iter()
        .map(|c| c.students.iter().map(|s| s.id.as_str()).collect())
        .collect();
    assert_eq!(got, [vec![], vec!["s1", "s2"], vec!["s2", "s3"]]);
}

#[dynamite::test(registry = register)]
async fn through_include_skips_links_to_missing_far_rows(db: Dynamite) {
    courses(&db, 2).await;
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    MEnrollment::create()
        .student_id("s1")
        .course_id("gone")
        .exec(&db)
        .await
        .unwrap();
    MEnrollment::create()
        .student_id("s1")
        .course_id(course_id(1))
        .exec(&db)
        .await
        .unwrap();
    let s = MStudent::query()
        .filter(MStudent::ID.eq("s1"))
        .include(MStudent::courses())
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = s.courses.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [course_id(1).as_str()]);
}

#[dynamite::test(registry = register)]
async fn through_include_works_with_an_id_keyed_junction_but_set_writes_refuse_it(db: Dynamite) {
    courses(&db, 3).await;
    LooseStudent::create().id("s1").exec(&db).await.unwrap();
    for (id, c) in [("a", 2), ("b", 0), ("c", 2)] {
        LooseLink::create()
            .id(id)
            .student_id("s1")
            .course_id(course_id(c))
            .exec(&db)
            .await
            .unwrap();
    }
    let s = LooseStudent::query()
        .filter(LooseStudent::ID.eq("s1"))
        .include(LooseStudent::courses())
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = s.courses.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [course_id(0).as_str(), course_id(2).as_str()],
        "distinct"
    );
    db.metrics().reset();
    let err = LooseStudent::courses()
        .replace(&db, "s1", [course_id(1)])
        .await
        .unwrap_err();
    assert!(matches!(err, dynamite::Error::Config(_)), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
}

// ----------------------------------------------------------- set writes

#[dynamite::test(registry = register)]
async fn replace_of_five_is_one_transaction(db: Dynamite) {
    courses(&db, 10).await;
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let change = MStudent::courses()
        .replace(&db, "s1", (0..5).map(course_id))
        .await
        .unwrap();
    assert_eq!(change.added, (0..5).map(course_id).collect::<Vec<_>>());
    assert!(change.removed.is_empty() && change.unchanged.is_empty());
    assert_eq!(change.chunks.len(), 1);
    assert_eq!(change.attempts, 1);
    assert_eq!(db.metrics().count("GetItem"), 1, "the parent and its guard");
    assert_eq!(db.metrics().count("Query"), 1, "the junction");
    assert_eq!(db.metrics().count("TransactWriteItems"), 1);
    assert_eq!(db.metrics().data_plane_requests(), 3);

    db.metrics().reset();
    let change = MStudent::courses()
        .replace(
            &db,
            "s1",
            [course_id(3), course_id(7), course_id(3), course_id(4)],
        )
        .await
        .unwrap();
    assert_eq!(change.added, [course_id(7)]);
    assert_eq!(change.removed, [course_id(0), course_id(1), course_id(2)]);
    assert_eq!(change.unchanged, [course_id(3), course_id(4)]);
    assert_eq!(db.metrics().count("TransactWriteItems"), 1);
    assert_eq!(
        linked(&db, "s1").await,
        [course_id(3), course_id(4), course_id(7)]
    );

    // Nothing to change: no write at all.
    db.metrics().reset();
    let change = MStudent::courses()
        .replace(&db, "s1", [course_id(7), course_id(4), course_id(3)])
        .await
        .unwrap();
    assert!(change.chunks.is_empty() && change.added.is_empty() && change.removed.is_empty());
    assert_eq!(db.metrics().count("TransactWriteItems"), 0);

    // add / remove
    let change = MStudent::courses()
        .add(&db, "s1", [course_id(3), course_id(9)])
        .await
        .unwrap();
    assert_eq!(
        (change.added, change.unchanged),
        (vec![course_id(9)], vec![course_id(3)])
    );
    let change = MStudent::courses()
        .remove(&db, "s1", [course_id(9), course_id(8)])
        .await
        .unwrap();
    assert_eq!(
        (change.removed, change.unchanged),
        (vec![course_id(9)], vec![course_id(8)])
    );
    assert_eq!(
        linked(&db, "s1").await,
        [course_id(3), course_id(4), course_id(7)]
    );

    // Replacing with nothing unlinks everything.
    let change = MStudent::courses()
        .replace(&db, "s1", Vec::<String>::new())
        .await
        .unwrap();
    assert_eq!(change.removed.len(), 3);
    assert!(linked(&db, "s1").await.is_empty());
}

#[dynamite::test(registry = register)]
async fn replace_of_150_goes_in_checked_chunks(db: Dynamite) {
    courses(&db, 300).await;
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let change = MStudent::courses()
        .replace(&db, "s1", (0..150).map(course_id))
        .await
        .unwrap();
    assert_eq!(change.added.len(), 150);
    let sizes: Vec<usize> = change.chunks.iter().map(|c| c.added.len()).collect();
    assert_eq!(
        sizes,
        [49, 49, 49, 3],
        "each link and the check of its far row, and the guard: 99 + 1 operations"
    );
    assert_eq!(db.metrics().count("TransactWriteItems"), 4);
    // Over several transactions the far rows are read first (consistent
    // BatchGetItem, 100 keys a call): a missing one writes nothing.
    assert_eq!(db.metrics().count("BatchGetItem"), 2);
    assert_eq!(db.metrics().data_plane_requests(), 8);
    assert_eq!(
        linked(&db, "s1").await,
        (0..150).map(course_id).collect::<Vec<_>>()
    );

    // 150 out, 150 in: 300 writes, 4 chunks.
    db.metrics().reset();
    let change = MStudent::courses()
        .replace(&db, "s1", (150..300).map(course_id))
        .await
        .unwrap();
    assert_eq!((change.added.len(), change.removed.len()), (150, 150));
    // 150 links with their checks (300 operations), then 150 removals.
    assert_eq!(change.chunks.len(), 5);
    assert_eq!(db.metrics().count("TransactWriteItems"), 5);
    assert_eq!(
        linked(&db, "s1").await,
        (150..300).map(course_id).collect::<Vec<_>>()
    );
}

#[dynamite::test(registry = register)]
async fn set_writes_refuse_missing_parents_and_empty_keys(db: Dynamite) {
    courses(&db, 3).await;
    let err = MStudent::courses()
        .replace(&db, "nobody", [course_id(1)])
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    db.metrics().reset();
    let err = MStudent::courses()
        .replace(&db, "", [course_id(1)])
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    let err = MStudent::courses()
        .add(&db, "s1", [course_id(1), String::new()])
        .await
        .unwrap_err();
    assert!(err.is_missing_key(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0, "nothing sent");
    assert!(linked(&db, "s1").await.is_empty());
    // attach / detach of junction rows belong to the junction's has_many.
    let s = MStudent::get(&db, "s1").await.unwrap().unwrap();
    let course = MCourse::get(&db, course_id(1)).await.unwrap().unwrap();
    let err = MStudent::courses()
        .detach(&db, &s, &course)
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
}

#[dynamite::test(registry = register, flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replaces_end_with_one_of_the_two_sets(db: Dynamite) {
    courses(&db, 20).await;
    for round in 0..8 {
        let student = format!("s{round}");
        MStudent::create()
            .id(student.as_str())
            .name("x")
            .exec(&db)
            .await
            .unwrap();
        MStudent::courses()
            .replace(&db, student.as_str(), (0..6).map(course_id))
            .await
            .unwrap();
        let a: Vec<String> = (round..round + 7).map(course_id).collect();
        let b: Vec<String> = (10..20)
            .rev()
            .step_by(round % 3 + 1)
            .map(course_id)
            .collect();
        let (ra, rb) = tokio::join!(
            MStudent::courses().replace(&db, student.as_str(), a.clone()),
            MStudent::courses().replace(&db, student.as_str(), b.clone()),
        );
        ra.unwrap();
        rb.unwrap();
        let got: BTreeSet<String> = linked(&db, &student).await.into_iter().collect();
        let a: BTreeSet<String> = a.into_iter().collect();
        let b: BTreeSet<String> = b.into_iter().collect();
        assert!(
            got == a || got == b,
            "round {round}: {got:?} is neither {a:?} nor {b:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_replace_re_reads_and_retries() {
    let backend = register(common::builder()).build().await.unwrap();
    backend.sync().await.unwrap();
    courses(&backend, 10).await;
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&backend)
        .await
        .unwrap();
    MStudent::courses()
        .replace(&backend, "s1", [course_id(0), course_id(1)])
        .await
        .unwrap();
    let endpoint = common::endpoint()
        .or_else(|| backend.embedded_endpoint().map(str::to_owned))
        .unwrap();
    let prefix = backend.table_prefix().to_owned();
    // The first TransactWriteItems through the proxy waits while another
    // writer (its own handle and runtime, straight to the backend) links
    // course 9: the guard changes under the first writer.
    let interfered = Arc::new(AtomicBool::new(false));
    let schedule: Schedule = {
        let (endpoint, prefix, interfered) = (endpoint.clone(), prefix.clone(), interfered.clone());
        Arc::new(move |_n, target: &str| {
            if target.ends_with("TransactWriteItems") && !interfered.swap(true, Ordering::SeqCst) {
                let (endpoint, prefix) = (endpoint.clone(), prefix.clone());
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        let other = register(
                            dynamite_testkit::backend::remote(endpoint).table_prefix(prefix),
                        )
                        .build()
                        .await
                        .unwrap();
                        MStudent::courses()
                            .add(&other, "s1", [course_id(9)])
                            .await
                            .unwrap();
                    });
                })
                .join()
                .unwrap();
            }
            Fault::None
        })
    };
    let proxy = Proxy::start(&endpoint, schedule).await;
    let faulty = register(dynamite_testkit::backend::remote(&proxy.url).table_prefix(prefix))
        .build()
        .await
        .unwrap();
    let change = MStudent::courses()
        .replace(&faulty, "s1", [course_id(1), course_id(2)])
        .await
        .unwrap();
    assert!(interfered.load(Ordering::SeqCst));
    assert_eq!(change.attempts, 2, "cancelled once, then re-read");
    assert_eq!(faulty.metrics().count("TransactWriteItems"), 2);
    let mut removed = change.removed.clone();
    removed.sort();
    assert_eq!(
        removed,
        [course_id(0), course_id(9)],
        "the second read saw course 9"
    );
    assert_eq!(change.added, [course_id(2)]);
    assert_eq!(linked(&backend, "s1").await, [course_id(1), course_id(2)]);
    drop(proxy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_that_fails_reports_the_chunks_that_applied() {
    let backend = register(common::builder()).build().await.unwrap();
    backend.sync().await.unwrap();
    courses(&backend, 150).await;
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&backend)
        .await
        .unwrap();
    let endpoint = common::endpoint()
        .or_else(|| backend.embedded_endpoint().map(str::to_owned))
        .unwrap();
    // The second TransactWriteItems gets a 500, and the SDK may not retry.
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let schedule: Schedule = {
        let seen = seen.clone();
        Arc::new(move |_n, target: &str| {
            if target.ends_with("TransactWriteItems") && seen.fetch_add(1, Ordering::SeqCst) == 1 {
                Fault::ServerError
            } else {
                Fault::None
            }
        })
    };
    let proxy = Proxy::start(&endpoint, schedule).await;
    let faulty = register(
        dynamite_testkit::backend::remote(&proxy.url)
            .table_prefix(backend.table_prefix())
            .max_attempts(1),
    )
    .build()
    .await
    .unwrap();
    let err = MStudent::courses()
        .replace(&faulty, "s1", (0..150).map(course_id))
        .await
        .unwrap_err();
    let dynamite::Error::SetPartiallyChanged {
        chunks_applied,
        added,
        removed,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(
        (*chunks_applied, added.len(), removed.len()),
        (1, 49, 0),
        "{err}"
    );
    assert_eq!(
        linked(&backend, "s1").await.len(),
        49,
        "the first chunk, and only it"
    );
    // Calling again finishes.
    let change = MStudent::courses()
        .replace(&backend, "s1", (0..150).map(course_id))
        .await
        .unwrap();
    assert_eq!((change.added.len(), change.unchanged.len()), (101, 49));
    assert_eq!(linked(&backend, "s1").await.len(), 150);
    drop(proxy);
}

#[dynamite::test(registry = register)]
async fn include_reference_counts_match_after_writes(db: Dynamite) {
    // The include and the junction agree after a sequence of set writes.
    courses(&db, 12).await;
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in 0..4 {
        let id = format!("s{s}");
        MStudent::create()
            .id(id.as_str())
            .name("x")
            .exec(&db)
            .await
            .unwrap();
        let far: Vec<String> = (s..12).step_by(s + 1).map(course_id).collect();
        MStudent::courses()
            .replace(&db, id.as_str(), far.clone())
            .await
            .unwrap();
        MStudent::courses()
            .remove(&db, id.as_str(), [course_id(s)])
            .await
            .unwrap();
        let mut set: BTreeSet<String> = far.into_iter().collect();
        set.remove(&course_id(s));
        expected.insert(id, set);
    }
    let students = MStudent::query()
        .include(MStudent::courses())
        .all(&db)
        .await
        .unwrap();
    for s in students {
        let got: BTreeSet<String> = s.courses.iter().map(|c| c.id.clone()).collect();
        assert_eq!(Some(&got), expected.get(&s.id));
    }
}

// ------------------------------------------- set writes on every key shape

/// A user in a shared table, keyed by a template.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "mm_shared", pk = "USER#{id}", sk = "PROFILE")]
pub struct SUser {
    pub id: String,
    #[dynamite(has_many(through = SMember, foreign_key = "user_id", far_key = "group_id"))]
    pub groups: HasMany<SGroup>,
}

/// The far side in the same shared table; soft-deletable.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "mm_shared", pk = "GROUP#{id}", sk = "META")]
pub struct SGroup {
    pub id: String,
    pub title: String,
    #[dynamite(deleted_at)]
    pub deleted_at: Option<i64>,
}

/// The junction, keyed by the pair through its templates.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "mm_shared", pk = "USER#{user_id}", sk = "MEMBER#{group_id}")]
pub struct SMember {
    pub user_id: String,
    pub group_id: String,
}

/// A parent with a composite key `(org, id)`, joined on `id`.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "mm_shared", pk = "ORG#{org}", sk = "SEAT#{id}")]
pub struct SSeat {
    pub org: String,
    pub id: String,
    #[dynamite(has_many(through = SSeatGroup, foreign_key = "seat_id", far_key = "group_id"))]
    pub groups: HasMany<SGroup>,
}

#[derive(Table, Debug, Clone)]
#[dynamite(table = "mm_shared", pk = "SEAT#{seat_id}", sk = "GROUP#{group_id}")]
pub struct SSeatGroup {
    pub seat_id: String,
    pub group_id: String,
}

/// The shared-table models (and the course models their far rows use).
fn register_shared(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<SUser>()
        .table::<SGroup>()
        .table::<SMember>()
        .table::<SSeat>()
        .table::<SSeatGroup>()
        .table::<MCourse>()
        .table::<MLesson>()
        .table::<MStudent>()
        .table::<MEnrollment>()
}

async fn shared_db() -> Dynamite {
    let db = register_shared(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db
}

fn group_id(g: usize) -> String {
    format!("g{g}")
}

/// Groups g0..g5 exist (g4 soft-deleted); g6, g7 never do.
async fn groups(db: &Dynamite) {
    for g in 0..6 {
        SGroup::create()
            .id(group_id(g))
            .title(format!("Group {g}"))
            .exec(db)
            .await
            .unwrap();
    }
    SGroup::get(db, group_id(4))
        .await
        .unwrap()
        .unwrap()
        .delete(db)
        .await
        .unwrap();
}

const LIVE_GROUPS: [usize; 5] = [0, 1, 2, 3, 5];

/// The junction rows of user `u` (consistent).
async fn members(db: &Dynamite, user: &str) -> BTreeSet<String> {
    let rows = SMember::query()
        .filter(SMember::USER_ID.eq(user))
        .consistent()
        .all(db)
        .await
        .unwrap();
    rows.into_iter().map(|m| m.group_id).collect()
}

#[derive(Debug, Clone)]
enum SetOp {
    Replace(Vec<usize>),
    Add(Vec<usize>),
    Remove(Vec<usize>),
}

fn set_op() -> impl Strategy<Value = SetOp> {
    let groups = proptest::collection::vec(0usize..8, 0..4);
    prop_oneof![
        groups.clone().prop_map(SetOp::Replace),
        groups.clone().prop_map(SetOp::Add),
        groups.prop_map(SetOp::Remove),
    ]
}

/// Random sequences of replace / add / remove on a shared-table parent
/// and far side (key templates), some naming missing or soft-deleted far
/// rows, against a reference set: a change that links a missing row is
/// `NotFound` and writes nothing; the junction always equals the
/// reference, and so does the include.
#[test]
fn shared_table_set_writes_differential() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cases = std::env::var("DYNAMITE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let result = runner.run(&proptest::collection::vec(set_op(), 1..7), |ops| {
        rt.block_on(async {
            let db = shared_db().await;
            groups(&db).await;
            SUser::create().id("u1").exec(&db).await.unwrap();
            let mut reference: BTreeSet<String> = BTreeSet::new();
            for op in &ops {
                let (given, change) = match op {
                    SetOp::Replace(g) => (
                        g,
                        SUser::groups()
                            .replace(&db, "u1", g.iter().map(|g| group_id(*g)))
                            .await,
                    ),
                    SetOp::Add(g) => (
                        g,
                        SUser::groups()
                            .add(&db, "u1", g.iter().map(|g| group_id(*g)))
                            .await,
                    ),
                    SetOp::Remove(g) => (
                        g,
                        SUser::groups()
                            .remove(&db, "u1", g.iter().map(|g| group_id(*g)))
                            .await,
                    ),
                };
                let given: BTreeSet<String> = given.iter().map(|g| group_id(*g)).collect();
                let live = |g: &String| LIVE_GROUPS.iter().any(|l| group_id(*l) == *g);
                let links_missing = match op {
                    SetOp::Replace(_) | SetOp::Add(_) => {
                        given.iter().any(|g| !reference.contains(g) && !live(g))
                    }
                    SetOp::Remove(_) => false,
                };
                match change {
                    Err(e) if links_missing && e.is_not_found() => {}
                    Err(e) => return Err(TestCaseError::fail(format!("{op:?}: {e}"))),
                    Ok(_) if links_missing => {
                        return Err(TestCaseError::fail(format!("{op:?}: linked a missing row")));
                    }
                    Ok(_) => match op {
                        SetOp::Replace(_) => reference = given.clone(),
                        SetOp::Add(_) => reference.extend(given.iter().cloned()),
                        SetOp::Remove(_) => reference.retain(|g| !given.contains(g)),
                    },
                }
                let stored = members(&db, "u1").await;
                prop_assert_eq!(&stored, &reference, "after {:?}", op);
            }
            let user = SUser::query()
                .filter(SUser::ID.eq("u1"))
                .include(SUser::groups())
                .first(&db)
                .await
                .unwrap()
                .unwrap();
            let shown: BTreeSet<String> = user.groups.iter().map(|g| g.id.clone()).collect();
            let live: BTreeSet<String> = reference
                .iter()
                .filter(|g| LIVE_GROUPS.iter().any(|l| group_id(*l) == **g))
                .cloned()
                .collect();
            prop_assert_eq!(shown, live);
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Set writes on a shared-table far model used to fail: the far key was
/// converted to the rendered key attributes (`pk`, `sk`), which hold no
/// `id` field (a configuration error for every call).
#[dynamite::test(registry = register_shared)]
async fn regression_set_writes_take_a_far_model_keyed_by_templates(db: Dynamite) {
    groups(&db).await;
    SUser::create().id("u1").exec(&db).await.unwrap();
    let change = SUser::groups()
        .replace(&db, "u1", [group_id(0), group_id(2)])
        .await
        .unwrap();
    assert_eq!(change.added, [group_id(0), group_id(2)]);
    let change = SUser::groups()
        .replace(&db, "u1", [group_id(2), group_id(3)])
        .await
        .unwrap();
    assert_eq!(
        (change.added, change.removed, change.unchanged),
        (vec![group_id(3)], vec![group_id(0)], vec![group_id(2)])
    );
    assert_eq!(
        members(&db, "u1").await,
        BTreeSet::from([group_id(2), group_id(3)])
    );
    // A composite-key parent (`(org, id)`, joined on `id`).
    SSeat::create()
        .org("o1")
        .id("seat1")
        .exec(&db)
        .await
        .unwrap();
    SSeat::groups()
        .add(&db, ("o1", "seat1"), [group_id(1)])
        .await
        .unwrap();
    let seat = SSeat::query()
        .filter(SSeat::ORG.eq("o1") & SSeat::ID.eq("seat1"))
        .include(SSeat::groups())
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = seat.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, [group_id(1).as_str()]);
    let err = SSeat::groups()
        .add(&db, ("o2", "seat1"), [group_id(1)])
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "no seat1 in o2: {err}");
}

/// Linking to a far row that does not exist used to write a dangling
/// junction row. Now it is `NotFound` and nothing is written, in one
/// transaction and over several (the far rows are read first).
#[dynamite::test(registry = register_shared)]
async fn regression_linking_a_missing_far_row_is_not_found_and_writes_nothing(db: Dynamite) {
    groups(&db).await;
    SUser::create().id("u1").exec(&db).await.unwrap();
    SUser::groups().add(&db, "u1", [group_id(0)]).await.unwrap();
    for missing in [group_id(7), group_id(4)] {
        let err = SUser::groups()
            .add(&db, "u1", [group_id(1), missing.clone()])
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{missing}: {err}");
        assert!(
            err.to_string().contains(&format!("GROUP#{missing}")),
            "{err}"
        );
        assert_eq!(members(&db, "u1").await, BTreeSet::from([group_id(0)]));
    }
    // Over several transactions: 60 courses and one missing.
    courses(&db, 60).await;
    MStudent::create()
        .id("s1")
        .name("Ada")
        .exec(&db)
        .await
        .unwrap();
    let far: Vec<String> = (0..61).map(course_id).collect();
    db.metrics().reset();
    let err = MStudent::courses()
        .replace(&db, "s1", far)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(db.metrics().count("TransactWriteItems"), 0);
    assert!(linked(&db, "s1").await.is_empty());
}

/// `attach` to a parent deleted since it was read used to create a child
/// pointing at nothing: it is `NotFound` now, and no child is written.
#[dynamite::test(registry = register_shared)]
async fn regression_attach_to_a_missing_parent_is_not_found(db: Dynamite) {
    courses(&db, 1).await;
    let course = MCourse::get(&db, course_id(0)).await.unwrap().unwrap();
    let lesson = MCourse::lessons()
        .attach(
            &db,
            &course,
            MLesson::create().id("l1").course_id("x").minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(lesson.course_id, course_id(0));
    let err = MCourse::lessons()
        .attach(
            &db,
            &course,
            MLesson::create().id("l1").course_id("x").minutes(5),
        )
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err}");
    course.clone().delete(&db).await.unwrap();
    let err = MCourse::lessons()
        .attach(
            &db,
            &course,
            MLesson::create().id("l2").course_id("x").minutes(5),
        )
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(MLesson::get(&db, "l2").await.unwrap().is_none());
}
