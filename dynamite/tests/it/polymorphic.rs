//! Polymorphic `belongs_to`: a type field plus an id field, loaded as an
//! `#[derive(Entities)]` enum; every target table read in one BatchGetItem
//! round (differential against an in-memory reference, request counts,
//! unknown types, missing targets, nesting).

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder, Entities};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::common;

#[derive(Table, Debug, Clone)]
pub struct PPost {
    #[dynamite(primary_key)]
    pub id: String,
    pub title: String,
    #[dynamite(has_many(foreign_key = "post_id"))]
    pub comments: HasMany<PComment>,
}

#[derive(Table, Debug, Clone)]
pub struct PVideo {
    #[dynamite(primary_key)]
    pub id: String,
    pub url: String,
}

/// A target in a shared table, keyed by a template.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "p_shared", pk = "PHOTO#{id}", sk = "PHOTO")]
pub struct PPhoto {
    pub id: String,
    pub caption: String,
}

#[derive(Entities, Debug, Clone)]
pub enum Target {
    Post(PPost),
    Video(PVideo),
    Photo(PPhoto),
}

#[derive(Table, Debug, Clone)]
pub struct PComment {
    #[dynamite(primary_key)]
    pub id: String,
    /// Where a thread of comments hangs (for the nested include).
    #[dynamite(index)]
    pub post_id: Option<String>,
    pub kind: Option<String>,
    pub target_id: Option<String>,
    #[dynamite(belongs_to(
        foreign_key = "target_id",
        type_key = "kind",
        targets(PPost = "post", PVideo = "video", PPhoto = "photo")
    ))]
    pub target: BelongsTo<Target>,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<PPost>()
        .table::<PVideo>()
        .table::<PPhoto>()
        .table::<PComment>()
}

async fn db() -> Dynamite {
    let db = register(common::builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db.metrics().reset();
    db
}

async fn targets(db: &Dynamite, n: usize) {
    for i in 0..n {
        PPost::create()
            .id(format!("p{i}"))
            .title(format!("Post {i}"))
            .exec(db)
            .await
            .unwrap();
        PVideo::create()
            .id(format!("v{i}"))
            .url(format!("https://v/{i}"))
            .exec(db)
            .await
            .unwrap();
        PPhoto::create()
            .id(format!("f{i}"))
            .caption(format!("Photo {i}"))
            .exec(db)
            .await
            .unwrap();
    }
}

async fn comment(db: &Dynamite, id: &str, kind: Option<&str>, target: Option<&str>) {
    PComment::create()
        .id(id)
        .kind(kind.map(str::to_owned))
        .target_id(target.map(str::to_owned))
        .exec(db)
        .await
        .unwrap();
}

fn describe(target: Option<&Target>) -> String {
    match target {
        Some(Target::Post(p)) => format!("post {} {}", p.id, p.title),
        Some(Target::Video(v)) => format!("video {} {}", v.id, v.url),
        Some(Target::Photo(f)) => format!("photo {} {}", f.id, f.caption),
        None => "none".to_owned(),
    }
}

#[dynamite::test(registry = register)]
async fn mixed_targets_are_one_batch_get_round(db: Dynamite) {
    targets(&db, 3).await;
    comment(&db, "c1", Some("post"), Some("p0")).await;
    comment(&db, "c2", Some("video"), Some("v1")).await;
    comment(&db, "c3", Some("photo"), Some("f2")).await;
    comment(&db, "c4", Some("post"), Some("p0")).await;
    comment(&db, "c5", Some("video"), Some("p1")).await; // a post id under "video": no such video
    comment(&db, "c6", None, None).await;
    db.metrics().reset();
    let mut comments = PComment::query()
        .include(PComment::target())
        .all(&db)
        .await
        .unwrap();
    comments.sort_by(|a, b| a.id.cmp(&b.id));
    let got: Vec<String> = comments
        .iter()
        .map(|c| format!("{} {}", c.id, describe(c.target.as_deref())))
        .collect();
    assert_eq!(
        got,
        [
            "c1 post p0 Post 0",
            "c2 video v1 https://v/1",
            "c3 photo f2 Photo 2",
            "c4 post p0 Post 0",
            "c5 none",
            "c6 none",
        ]
    );
    assert!(comments.iter().all(|c| c.target.is_loaded()));
    assert_eq!(db.metrics().count("Scan"), 1);
    assert_eq!(
        db.metrics().count("BatchGetItem"),
        1,
        "three tables, one call"
    );
    assert_eq!(db.metrics().data_plane_requests(), 2);
    assert_eq!(db.metrics().rounds(), 2);
}

#[dynamite::test(registry = register)]
async fn an_unknown_type_value_is_a_typed_error(db: Dynamite) {
    targets(&db, 1).await;
    comment(&db, "c1", Some("post"), Some("p0")).await;
    comment(&db, "c2", Some("podcast"), Some("p0")).await;
    let err = PComment::query()
        .include(PComment::target())
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.is_unknown_target(), "{err}");
    assert!(err.to_string().contains("podcast"), "{err}");
    // Lazily: before anything is sent.
    let c2 = PComment::get(&db, "c2").await.unwrap().unwrap();
    db.metrics().reset();
    let err = PComment::target().of(&c2).get(&db).await.unwrap_err();
    assert!(err.is_unknown_target(), "{err}");
    assert_eq!(db.metrics().data_plane_requests(), 0);
    // The known one.
    let c1 = PComment::get(&db, "c1").await.unwrap().unwrap();
    let t = PComment::target().of(&c1).get(&db).await.unwrap();
    assert_eq!(describe(t.as_ref()), "post p0 Post 0");
}

#[dynamite::test(registry = register)]
async fn a_missing_target_is_none(db: Dynamite) {
    targets(&db, 1).await;
    comment(&db, "c1", Some("photo"), Some("gone")).await;
    comment(&db, "c2", Some("photo"), None).await;
    let comments = PComment::query()
        .include(PComment::target())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(comments.len(), 2);
    for c in &comments {
        assert!(c.target.is_loaded() && c.target.is_none(), "{c:?}");
    }
}

#[dynamite::test(registry = register)]
async fn nested_under_another_include(db: Dynamite) {
    targets(&db, 2).await;
    for (id, kind, target) in [
        ("c1", "video", "v0"),
        ("c2", "photo", "f1"),
        ("c3", "post", "p1"),
    ] {
        PComment::create()
            .id(id)
            .post_id(Some("p0".to_owned()))
            .kind(Some(kind.to_owned()))
            .target_id(Some(target.to_owned()))
            .exec(&db)
            .await
            .unwrap();
    }
    db.metrics().reset();
    let post = PPost::query()
        .filter(PPost::ID.eq("p0"))
        .include(PPost::comments().include(PComment::target()))
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    let mut got: Vec<String> = post
        .comments
        .iter()
        .map(|c| format!("{} {}", c.id, describe(c.target.as_deref())))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "c1 video v0 https://v/0",
            "c2 photo f1 Photo 1",
            "c3 post p1 Post 1"
        ]
    );
    // GetItem + comments Query (one round), then one BatchGetItem.
    assert_eq!(db.metrics().count("BatchGetItem"), 1);
    assert_eq!(db.metrics().data_plane_requests(), 3);
    assert_eq!(db.metrics().rounds(), 2);
    let explain = PPost::query()
        .filter(PPost::ID.eq("p0"))
        .include(PPost::comments().include(PComment::target()))
        .explain(&db)
        .to_string();
    assert!(
        explain.contains("parents whose kind = \"photo\""),
        "{explain}"
    );
}

#[derive(Debug, Clone)]
struct Row {
    kind: Option<usize>,
    target: Option<usize>,
}

const KINDS: [&str; 3] = ["post", "video", "photo"];
const PREFIX: [&str; 3] = ["p", "v", "f"];

#[test]
fn polymorphic_include_differential() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 24,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let rows = (
        proptest::option::weighted(0.9, 0usize..3),
        proptest::option::weighted(0.9, 0usize..6),
    )
        .prop_map(|(kind, target)| Row { kind, target });
    let strategy = (1usize..5, proptest::collection::vec(rows, 0..30));
    let result = runner.run(&strategy, |(present, rows)| {
        let got = rt.block_on(async {
            let db = db().await;
            targets(&db, present).await;
            for (i, row) in rows.iter().enumerate() {
                let kind = row.kind.map(|k| KINDS[k]);
                let target = match (row.kind, row.target) {
                    (Some(k), Some(t)) => Some(format!("{}{t}", PREFIX[k])),
                    (None, Some(t)) => Some(format!("p{t}")),
                    (_, None) => None,
                };
                comment(&db, &format!("c{i:02}"), kind, target.as_deref()).await;
            }
            db.metrics().reset();
            let comments = PComment::query().include(PComment::target()).all(&db).await;
            (comments, db.metrics().count("BatchGetItem"))
        });
        let (comments, batches) = got;
        let mut comments = comments.map_err(|e| TestCaseError::fail(e.to_string()))?;
        comments.sort_by(|a, b| a.id.cmp(&b.id));
        let got: Vec<String> = comments
            .iter()
            .map(|c| describe(c.target.as_deref()))
            .collect();
        let expected: Vec<String> = rows
            .iter()
            .map(|row| match (row.kind, row.target) {
                (Some(k), Some(t)) if t < present => match k {
                    0 => format!("post p{t} Post {t}"),
                    1 => format!("video v{t} https://v/{t}"),
                    _ => format!("photo f{t} Photo {t}"),
                },
                _ => "none".to_owned(),
            })
            .collect();
        prop_assert_eq!(got, expected);
        prop_assert!(batches <= 1, "{} BatchGetItem calls", batches);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
