#[dynamite::test]
fn not_async(db: dynamite::Dynamite) {
    let _ = db;
}

#[dynamite::test]
struct NotAFunction;

#[dynamite::test]
#[test]
async fn twice() {}

#[dynamite::test]
async fn generic<T>() {}

fn main() {}
