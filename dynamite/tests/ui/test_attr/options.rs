use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
struct User {
    #[dynamite(primary_key)]
    id: String,
}

#[dynamite::test(modles(User))]
async fn misspelled(db: Dynamite) {}

#[dynamite::test(models(User), models(User))]
async fn duplicate(db: Dynamite) {}

#[dynamite::test(models(User), flavor = "single_thread")]
async fn unknown_flavor(db: Dynamite) {}

#[dynamite::test(models(User), worker_threads = 2)]
async fn workers_need_multi_thread(db: Dynamite) {}

#[dynamite::test(flavor = "multi_thread", worker_threads = 0)]
async fn no_workers() {}

#[dynamite::test(start_paused = true)]
async fn paused() {}

#[dynamite::test(seed = "catalog", registry(app))]
async fn not_paths() {}

#[dynamite::test(models())]
async fn no_models() {}

fn main() {}
