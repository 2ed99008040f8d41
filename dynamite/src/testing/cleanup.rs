//! A test's tables on a shared endpoint: named apart by a prefix of their
//! own, deleted afterwards.

use crate::client::Dynamite;

/// A table prefix no other test shares: the test's name (its last path
/// segment, at most 32 characters), 8 random hex digits, `_`.
pub(super) fn unique_prefix(test: &str) -> String {
    let last = test.rsplit("::").next().unwrap_or(test);
    let name: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(32)
        .collect();
    let run = uuid::Uuid::new_v4().simple().to_string();
    format!("{name}_{}_", &run[..8])
}

/// The tables whose name starts with `prefix`, from ListTables.
pub(super) async fn tables_with_prefix(db: &Dynamite, prefix: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut start = None;
    loop {
        let page = db
            .client()
            .list_tables()
            .set_exclusive_start_table_name(start)
            .send()
            .await
            .map_err(|e| crate::error::sdk_error("ListTables", "", e).to_string())?;
        names.extend(
            page.table_names()
                .iter()
                .filter(|n| n.starts_with(prefix))
                .cloned(),
        );
        start = page.last_evaluated_table_name;
        if start.is_none() {
            return Ok(names);
        }
    }
}

/// Deletes every table named with `db`'s prefix (none without a prefix:
/// never a whole endpoint's tables).
pub(super) async fn delete_tables(db: &Dynamite) -> Result<(), String> {
    let prefix = db.table_prefix();
    if prefix.is_empty() {
        return Ok(());
    }
    for name in tables_with_prefix(db, prefix).await? {
        let deleted = db.client().delete_table().table_name(&name).send().await;
        if let Err(e) = deleted {
            let e = crate::error::sdk_error("DeleteTable", &name, e);
            // Gone already (a test deleting its own table): what was wanted.
            if !matches!(e, crate::Error::Schema { .. }) {
                return Err(e.to_string());
            }
        }
    }
    Ok(())
}
