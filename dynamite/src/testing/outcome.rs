//! What a test body, a fixture function or a seed function may return:
//! nothing, or a `Result` whose error is shown when it fails.

/// A test's or a set-up function's result: `()` or `Result<(), E>` with
/// `E: Debug` (as `#[test]` accepts).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a test result",
    label = "a test, fixture or seed returns `()` or `Result<(), E>` with `E: Debug`"
)]
pub trait TestResult {
    /// `Err` with the error's `Debug` form when the test or step failed.
    fn into_result(self) -> Result<(), String>;
}

impl TestResult for () {
    fn into_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: std::fmt::Debug> TestResult for Result<(), E> {
    fn into_result(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:?}"))
    }
}
