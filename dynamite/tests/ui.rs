//! Compile-fail tests for the diagnostics of `#[derive(Table)]` and
//! `#[derive(Attribute)]`, grouped by category under `tests/ui/`.
//! Regenerate the expected output with `TRYBUILD=overwrite`.

// Tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}
