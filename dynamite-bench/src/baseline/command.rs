//! `--baseline sdk`: seeds (or verifies) the layouts and measures each
//! query against its baseline.

use super::run::{self, CaseReport, Effort};
use crate::shop::Scale;
use crate::workload::{self, Backend, BenchResult, QueryId};

/// The e-commerce queries on the multi-table layout (tables under
/// `prefix`) and, with `single_layout`, on the single-table layout (under
/// `<prefix>single_`), each against its baseline.
pub async fn ecommerce(
    backend: &Backend,
    scale: Scale,
    prefix: &str,
    seed: bool,
    single_layout: bool,
    queries: &[QueryId],
    effort: Effort,
) -> BenchResult<Vec<CaseReport>> {
    let multi = backend.connect(prefix).await?;
    if seed {
        workload::seed(&multi, scale, None).await?;
    } else {
        workload::verify_seeded(&multi, scale).await?;
    }
    let mut cases = run::multi(&multi, backend.scan_segments, queries, effort).await?;
    if single_layout {
        let single_prefix = format!("{prefix}single_");
        let single =
            crate::single::register(backend.base_builder(&single_prefix).same_backend_as(&multi))
                .build()
                .await
                .map_err(|e| format!("build the single-layout handle: {e}"))?;
        single
            .sync()
            .await
            .map_err(|e| format!("sync the single layout: {e}"))?;
        if seed {
            crate::single::seed(&single, scale).await?;
        }
        cases.extend(run::single(&single, backend.scan_segments, queries, effort).await?);
    }
    Ok(cases)
}

/// P1 and P2 of the projects workload (`tenants` tenants under `prefix`)
/// against their baseline.
pub async fn projects(
    backend: &Backend,
    prefix: &str,
    tenants: usize,
    seed: bool,
    effort: Effort,
) -> BenchResult<Vec<CaseReport>> {
    let db = crate::projects::register(backend.base_builder(prefix))
        .build()
        .await
        .map_err(|e| format!("build the handle: {e}"))?;
    if seed {
        db.sync().await.map_err(|e| format!("sync: {e}"))?;
        crate::projects::seed(&db, tenants).await?;
    }
    run::projects(&db, backend.scan_segments, effort).await
}
