//! Declarations that just work: an `Option<String>` field takes `&str`
//! wherever a `String` field does (create setter, column comparisons,
//! `update().set`), and a literal default fits its field's type
//! (`default = 0` on an `f64` is `0.0`).

use dynamite::prelude::*;

#[derive(Table, Debug, Clone, PartialEq)]
#[dynamite(table = "decl_members")]
pub struct Member {
    #[dynamite(primary_key)]
    pub id: String,
    pub nick: Option<String>,
    pub age: Option<u32>,
    #[dynamite(default = 0)]
    pub score: f64,
    #[dynamite(default = 3)]
    pub ratio: Option<f32>,
    #[dynamite(default = -2)]
    pub offset: f64,
    #[dynamite(default = 255)]
    pub level: u8,
    #[dynamite(default = -128)]
    pub floor: i8,
    #[dynamite(default = 'b')]
    pub grade: char,
    #[dynamite(default = true)]
    pub active: bool,
    #[dynamite(default = "n/a")]
    pub note: Option<String>,
}

async fn nicks(db: &Dynamite, filter: Condition<Member>) -> Vec<String> {
    let mut ids: Vec<String> = Member::query()
        .filter(filter)
        .all(db)
        .await
        .expect("query")
        .into_iter()
        .map(|m| m.id)
        .collect();
    ids.sort();
    ids
}

#[dynamite::test(models(Member))]
async fn an_optional_string_takes_str_in_setters_columns_and_updates(db: Dynamite) {
    let owned = String::from("cy");
    Member::create()
        .id("a")
        .nick("ada")
        .age(30)
        .exec(&db)
        .await
        .expect("create a");
    Member::create()
        .id("b")
        .nick(Some(String::from("bo")))
        .age(Some(31))
        .exec(&db)
        .await
        .expect("create b");
    Member::create()
        .id("c")
        .nick(&owned)
        .age(None)
        .exec(&db)
        .await
        .expect("create c");
    Member::create()
        .id("d")
        .nick(None)
        .exec(&db)
        .await
        .expect("create d");

    let read = |id: &'static str| {
        let db = &db;
        async move {
            Member::get(db, id)
                .await
                .expect("get")
                .expect("the row exists")
        }
    };
    assert_eq!(read("a").await.nick.as_deref(), Some("ada"));
    assert_eq!(read("b").await.nick.as_deref(), Some("bo"));
    assert_eq!(read("c").await.nick.as_deref(), Some("cy"));
    assert_eq!(read("d").await.nick, None);
    assert_eq!(
        (
            read("a").await.age,
            read("b").await.age,
            read("c").await.age
        ),
        (Some(30), Some(31), None)
    );

    assert_eq!(nicks(&db, Member::NICK.eq("ada")).await, ["a"]);
    assert_eq!(nicks(&db, Member::NICK.eq(&owned)).await, ["c"]);
    assert_eq!(
        nicks(&db, Member::NICK.is_in(["ada", "bo"])).await,
        ["a", "b"]
    );
    assert_eq!(nicks(&db, Member::NICK.begins_with("b")).await, ["b"]);
    assert_eq!(
        nicks(&db, Member::NICK.between("b", "cz")).await,
        ["b", "c"]
    );
    assert_eq!(nicks(&db, Member::NICK.gt("bo")).await, ["c"]);
    // What compiled before still does: an owned value, an `Option`, a bare integer.
    assert_eq!(
        nicks(&db, Member::NICK.eq(Some(String::from("bo")))).await,
        ["b"]
    );
    assert_eq!(nicks(&db, Member::AGE.lt(31)).await, ["a"]);

    let a = read("a").await;
    let a = a
        .update()
        .set(Member::NICK, "ada2")
        .exec(&db)
        .await
        .expect("update a");
    assert_eq!(a.nick.as_deref(), Some("ada2"));
    Member::update_key("c")
        .set(Member::NICK, &owned[..1])
        .exec(&db)
        .await
        .expect("update c");
    assert_eq!(read("c").await.nick.as_deref(), Some("c"));
    let updated = Member::update_where(Member::NICK.eq("bo"))
        .set(Member::NICK, "bob")
        .exec(&db)
        .await
        .expect("update where");
    assert_eq!(updated, 1);
    assert_eq!(read("b").await.nick.as_deref(), Some("bob"));
    // `None` still removes the attribute.
    Member::update_key("a")
        .set(Member::NICK, None)
        .exec(&db)
        .await
        .expect("remove a's nick");
    assert_eq!(read("a").await.nick, None);
    assert_eq!(
        nicks(&db, Member::NICK.is_in(["ada2", "bob", "c"])).await,
        ["b", "c"]
    );
}

#[dynamite::test(models(Member))]
async fn literal_defaults_fit_their_field_types(db: Dynamite) {
    let built = Member::create().id("m").build();
    let expected = Member {
        id: "m".into(),
        nick: None,
        age: None,
        score: 0.0,
        ratio: Some(3.0),
        offset: -2.0,
        level: u8::MAX,
        floor: i8::MIN,
        grade: 'b',
        active: true,
        note: Some("n/a".into()),
    };
    assert_eq!(built, expected);
    let created = Member::create().id("m").exec(&db).await.expect("create");
    assert_eq!(created, expected);
    let stored = Member::get(&db, "m")
        .await
        .expect("get")
        .expect("the row exists");
    assert_eq!(stored, expected);
    assert_eq!(nicks(&db, Member::SCORE.eq(0.0)).await, ["m"]);
    assert_eq!(nicks(&db, Member::OFFSET.lt(-1.5)).await, ["m"]);
    // A set value still wins over the default.
    let set = Member::create()
        .id("n")
        .score(2.5)
        .ratio(None)
        .level(1)
        .build();
    assert_eq!((set.score, set.ratio, set.level), (2.5, None, 1));
}

/// `#[dynamite(crate = "..")]`: the generated code reaches the runtime by
/// the given path (a renamed dependency), for every derive.
mod renamed_runtime {
    use dynamite as db;

    #[derive(db::Attribute, Debug, Clone, PartialEq)]
    #[dynamite(crate = "db")]
    pub struct Colour {
        pub name: String,
    }

    #[derive(db::Table, Debug, Clone)]
    #[dynamite(crate = "db", table = "renamed_notes", pk = "NOTE#{id}", sk = "NOTE")]
    pub struct Note {
        pub id: String,
        pub colour: Colour,
    }

    #[derive(db::Entities, Debug)]
    #[dynamite(crate = "db")]
    pub enum Item {
        Note(Note),
    }

    #[tokio::test]
    async fn every_derive_takes_the_runtime_by_another_path() {
        use db::prelude::*;
        let db = crate::common::builder()
            .table::<Note>()
            .build()
            .await
            .unwrap();
        db.sync().await.unwrap();
        let colour = Colour {
            name: "teal".into(),
        };
        Note::create()
            .id("n1")
            .colour(colour.clone())
            .exec(&db)
            .await
            .unwrap();
        let note = Note::get(&db, "n1").await.unwrap().unwrap();
        assert_eq!(note.colour, colour);
        let items = db::Partition::<Item>::of::<Note>("n1")
            .all(&db)
            .await
            .unwrap();
        assert!(matches!(items.as_slice(), [Item::Note(n)] if n.id == "n1"));
    }
}
