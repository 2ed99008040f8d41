//! A table as DynamoDB describes it now: DescribeTable, and waiting until
//! the table and its indexes are ACTIVE.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{IndexStatus, TableDescription, TableStatus};

use crate::client::Dynamite;
use crate::error::{Error, Result, sdk_error};

/// The table's description, `None` when it does not exist.
pub(crate) async fn describe(db: &Dynamite, table: &str) -> Result<Option<TableDescription>> {
    match db.client().describe_table().table_name(table).send().await {
        Ok(out) => Ok(out.table),
        Err(e) => match e.as_service_error() {
            Some(DescribeTableError::ResourceNotFoundException(_)) => Ok(None),
            _ => Err(sdk_error("DescribeTable", table, e)),
        },
    }
}

pub(crate) fn is_active(table: &TableDescription) -> bool {
    table.table_status() == Some(&TableStatus::Active)
        && table
            .global_secondary_indexes()
            .iter()
            .all(|g| g.index_status() == Some(&IndexStatus::Active))
}

/// Waits until the table and its indexes are ACTIVE; returns the
/// description that said so.
pub(crate) async fn wait_active(
    db: &Dynamite,
    table: &str,
    deadline: Instant,
) -> Result<TableDescription> {
    let mut delay = Duration::from_millis(50);
    loop {
        if let Some(d) = describe(db, table).await?
            && is_active(&d)
        {
            return Ok(d);
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout(format!(
                "table {table} and its indexes to become ACTIVE"
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
