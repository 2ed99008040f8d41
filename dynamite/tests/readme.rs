//! The repository's README and the copy packaged with the crate (the one
//! whose examples run as doc-tests) must not drift apart.

#[test]
fn the_packaged_readme_is_the_repository_readme() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    // Outside the repository (a packaged crate) there is no root README.
    let Ok(repository) = std::fs::read_to_string(&root) else {
        return;
    };
    assert!(
        repository == include_str!("../README.md"),
        "README.md and dynamite/README.md differ: run `cp README.md dynamite/README.md`"
    );
}
