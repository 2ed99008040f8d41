//! Named keys: `Model::key().<field>(..)..` is accepted wherever a key is
//! and addresses exactly the row the tuple `(..)` of the same parts does.

use dynamite::prelude::*;
use dynamite::{Dynamite, DynamiteBuilder, Partition};
use proptest::prelude::*;

use crate::common::builder;

/// Three key fields, in order of first appearance in the templates.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(
    table = "nk_shared",
    pk = "T#{tenant_id}",
    sk = "TASK#{project_id}#{id}"
)]
struct NkTask {
    tenant_id: String,
    project_id: String,
    id: String,
    title: String,
    #[dynamite(belongs_to(foreign_key = ["tenant_id", "project_id"]))]
    project: BelongsTo<NkProject>,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "nk_shared", pk = "T#{tenant_id}", sk = "PROJECT#{id}")]
struct NkProject {
    tenant_id: String,
    id: String,
    #[dynamite(has_many(foreign_key = ["tenant_id", "project_id"]))]
    tasks: HasMany<NkTask>,
}

#[derive(dynamite::Entities, Debug)]
enum NkItem {
    Project(NkProject),
    Task(NkTask),
}

/// A composite table key with a numeric sort key.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "nk_events")]
struct NkEvent {
    #[dynamite(primary_key)]
    stream: String,
    #[dynamite(sort_key)]
    seq: i64,
    body: String,
}

fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<NkTask>()
        .table::<NkProject>()
        .table::<NkEvent>()
}

async fn db() -> Dynamite {
    let db = register(builder()).build().await.unwrap();
    db.sync().await.unwrap();
    db
}

async fn task(db: &Dynamite, tenant: &str, project: &str, id: &str) -> NkTask {
    NkTask::create()
        .tenant_id(tenant)
        .project_id(project)
        .id(id)
        .title(format!("{tenant}/{project}/{id}"))
        .exec(db)
        .await
        .unwrap()
}

#[dynamite::test(registry = register)]
async fn a_named_key_is_accepted_by_every_read_and_write_by_key(db: Dynamite) {
    NkProject::create()
        .tenant_id("t1")
        .id("p1")
        .exec(&db)
        .await
        .unwrap();
    let a = task(&db, "t1", "p1", "a").await;
    task(&db, "t1", "p1", "b").await;
    // The swapped tuple addresses another (absent) row; the named key
    // cannot be swapped, and its setters may come in any order.
    assert!(NkTask::get(&db, ("p1", "t1", "a")).await.unwrap().is_none());
    let got = NkTask::get(&db, NkTask::key().id("a").project_id("p1").tenant_id("t1"))
        .await
        .unwrap();
    assert_eq!(got.as_ref(), Some(&a));
    assert_eq!(
        NkTask::get(&db, a.key()).await.unwrap().as_ref(),
        Some(&a),
        "row.key() still works"
    );
    let many = NkTask::get_many(
        &db,
        [
            NkTask::key().tenant_id("t1").project_id("p1").id("a"),
            NkTask::key().tenant_id("t1").project_id("p1").id("b"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(many.len(), 2);
    let updated = NkTask::update_key(NkTask::key().tenant_id("t1").project_id("p1").id("a"))
        .set(NkTask::TITLE, "renamed".to_owned())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(updated.title, "renamed");
    let lazy = NkTask::project()
        .of_key(NkTask::key().tenant_id("t1").project_id("p1").id("a"))
        .get(&db)
        .await
        .unwrap();
    assert_eq!(lazy.map(|p| p.id), Some("p1".to_owned()));
    let children = NkProject::tasks()
        .of_key(NkProject::key().tenant_id("t1").id("p1"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(children.len(), 2);
    let partition = Partition::<NkItem>::of::<NkProject>(NkProject::key().tenant_id("t1").id("p1"))
        .all(&db)
        .await
        .unwrap();
    assert!(
        matches!(&partition[..], [NkItem::Project(p), NkItem::Task(a), NkItem::Task(b)]
            if p.id == "p1" && a.id == "a" && b.id == "b"),
        "the project and its two tasks: {partition:?}"
    );
    let mut tx = db.transaction();
    tx.delete_key::<NkTask>(NkTask::key().tenant_id("t1").project_id("p1").id("b"));
    tx.commit().await.unwrap();
    NkTask::delete_key(&db, NkTask::key().tenant_id("t1").project_id("p1").id("a"))
        .await
        .unwrap();
    assert_eq!(NkTask::query().count(&db).await.unwrap(), 0);

    // A numeric part: an integer literal takes the field's type.
    NkEvent::create()
        .stream("s")
        .seq(7)
        .body("seven")
        .exec(&db)
        .await
        .unwrap();
    let seven = NkEvent::get(&db, NkEvent::key().stream("s").seq(7))
        .await
        .unwrap();
    assert_eq!(seven.map(|e| e.body), Some("seven".to_owned()));
    NkEvent::delete_many(&db, [NkEvent::key().seq(7).stream("s")])
        .await
        .unwrap();
    assert!(NkEvent::get(&db, ("s", 7)).await.unwrap().is_none());
}

/// Differential: on random parts (the separator `#` and empty strings
/// included) and setters in random order, the named key and the tuple of
/// the same parts give the same answer: the same row, or the same typed
/// error before sending. `DYNAMITE_CASES` cases (default 40).
#[test]
fn named_keys_address_what_tuples_address_on_random_parts() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = db().await;
        for (t, p, i) in [("t1", "p1", "a"), ("t1", "p2", "a"), ("t2", "p1", "b")] {
            task(&db, t, p, i).await;
        }
        db
    });
    let part = || proptest::sample::select(vec!["t1", "t2", "p1", "p2", "a", "b", "", "x#y"]);
    let mut runner = crate::common::seeded_runner(40);
    let result = runner.run(&(part(), part(), part(), 0..6u8), |(t, p, i, order)| {
        // The setters in each of the six orders.
        let key = NkTask::key();
        let key = match order {
            0 => key.tenant_id(t).project_id(p).id(i),
            1 => key.tenant_id(t).id(i).project_id(p),
            2 => key.project_id(p).tenant_id(t).id(i),
            3 => key.project_id(p).id(i).tenant_id(t),
            4 => key.id(i).tenant_id(t).project_id(p),
            _ => key.id(i).project_id(p).tenant_id(t),
        };
        let (named, tuple) = rt.block_on(async {
            let named = NkTask::get(&db, key).await;
            let tuple = NkTask::get(&db, (t, p, i)).await;
            (named, tuple)
        });
        match (named, tuple) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(&a, &b);
                if let Some(row) = a {
                    prop_assert_eq!(
                        (
                            row.tenant_id.as_str(),
                            row.project_id.as_str(),
                            row.id.as_str()
                        ),
                        (t, p, i)
                    );
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "named {a:?} but tuple {b:?}"),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
