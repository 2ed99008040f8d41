//! [`Changes`]: what one update writes, as `before_update` hooks see it.

/// What an update will change, handed to `Hooks::before_update`: the
/// stored names of the attributes it sets, removes, and adds to
/// (`increment`, `add`, `append`). Dynamite's own bookkeeping (`updated_at`,
/// the version, the write id) is not listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub(crate) set: Vec<String>,
    pub(crate) removed: Vec<String>,
    pub(crate) added: Vec<String>,
}

impl Changes {
    /// Attributes given a new value.
    pub fn set(&self) -> &[String] {
        &self.set
    }
    /// Attributes removed.
    pub fn removed(&self) -> &[String] {
        &self.removed
    }
    /// Attributes added to (numbers incremented, sets unioned, lists appended).
    pub fn added(&self) -> &[String] {
        &self.added
    }
    /// Whether the update changes `attribute` in any way.
    pub fn touches(&self, attribute: &str) -> bool {
        [&self.set, &self.removed, &self.added]
            .iter()
            .any(|list| list.iter().any(|a| a == attribute))
    }
}
