//! Billing in `sync()`: what a table is billed now, whether that is what
//! the options want, and the one UpdateTable that gets it there.
//!
//! - Provisioned: the table and every GSI (including one created in the
//!   same `sync()`) get the declared capacity; only what differs is sent
//!   (DynamoDB refuses an update that changes nothing).
//! - On-demand caps: DynamoDB merges `OnDemandThroughput` member by
//!   member (an omitted member keeps its stored value, only `-1` removes
//!   it), so a member declared absent but stored is sent as `-1`. Absent
//!   and `-1` compare equal.
//! - DynamoDB Local keeps caps only when both members are declared (its
//!   ARNs name the region `ddblocal`): a half-declared maximum is withheld
//!   there as unsupported, never planned forever.

use aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndexUpdate, OnDemandThroughput, ProvisionedThroughput,
    TableDescription, UpdateGlobalSecondaryIndexAction,
};

use crate::error::{Error, Result};
use crate::table_options::Billing;

fn build_error(operation: &'static str) -> impl Fn(aws_sdk_dynamodb::error::BuildError) -> Error {
    move |e| Error::backend(operation, e)
}

/// The provisioned throughput of `billing`, if provisioned.
pub(crate) fn provisioned_throughput(
    billing: Option<Billing>,
) -> Result<Option<ProvisionedThroughput>> {
    match billing {
        Some(Billing::Provisioned {
            read_capacity_units,
            write_capacity_units,
        }) => ProvisionedThroughput::builder()
            .read_capacity_units(read_capacity_units)
            .write_capacity_units(write_capacity_units)
            .build()
            .map(Some)
            .map_err(build_error("CreateTable")),
        _ => Ok(None),
    }
}

/// CreateTable's caps: the declared members only (CreateTable refuses
/// `-1`; an absent member is no maximum).
pub(crate) fn create_on_demand_throughput(billing: Option<Billing>) -> Option<OnDemandThroughput> {
    match billing {
        Some(Billing::OnDemand {
            max_read_request_units,
            max_write_request_units,
        }) if max_read_request_units.is_some() || max_write_request_units.is_some() => Some(
            OnDemandThroughput::builder()
                .set_max_read_request_units(max_read_request_units)
                .set_max_write_request_units(max_write_request_units)
                .build(),
        ),
        _ => None,
    }
}

pub(crate) fn billing_mode(billing: Option<Billing>) -> BillingMode {
    match billing {
        Some(Billing::Provisioned { .. }) => BillingMode::Provisioned,
        _ => BillingMode::PayPerRequest,
    }
}

/// The billing of an existing table, from its description (caps of `-1`
/// or below 1 read as absent).
pub(crate) fn current_billing(table: &TableDescription) -> Billing {
    let mode = table
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .cloned();
    let throughput = table.provisioned_throughput();
    let read = throughput
        .and_then(|t| t.read_capacity_units())
        .unwrap_or(0);
    let write = throughput
        .and_then(|t| t.write_capacity_units())
        .unwrap_or(0);
    let provisioned = match mode {
        Some(BillingMode::PayPerRequest) => false,
        Some(BillingMode::Provisioned) => true,
        // No summary: a table created before on-demand existed, unless it
        // reports no capacity.
        _ => read > 0 || write > 0,
    };
    if provisioned {
        return Billing::provisioned(read, write);
    }
    let cap = |v: Option<i64>| v.filter(|v| *v > 0);
    let on_demand = table.on_demand_throughput();
    Billing::OnDemand {
        max_read_request_units: cap(on_demand.and_then(|o| o.max_read_request_units())),
        max_write_request_units: cap(on_demand.and_then(|o| o.max_write_request_units())),
    }
}

/// The region a table's ARN names: `ddblocal` on DynamoDB Local,
/// `dynoxide` on the embedded engine.
fn arn_region(table: &TableDescription) -> Option<&str> {
    table
        .table_arn()
        .and_then(|arn| arn.strip_prefix("arn:aws:dynamodb:"))
        .and_then(|rest| rest.split(':').next())
}

/// Whether the endpoint can keep `wanted`'s caps. DynamoDB Local keeps a
/// maximum only when both members have one: a `-1` member clears both,
/// a lone member fails with InternalFailure.
pub(crate) fn keeps_caps(wanted: Billing, table: &TableDescription) -> bool {
    match wanted {
        Billing::OnDemand {
            max_read_request_units: r,
            max_write_request_units: w,
        } if r.is_some() != w.is_some() => arn_region(table) != Some("ddblocal"),
        _ => true,
    }
}

/// Whether the endpoint applies per-GSI capacity after CreateTable. The
/// embedded engine accepts UpdateTable's GSI capacity and ignores it (it
/// reports 0, or the capacity given at CreateTable): there the GSIs'
/// capacity is not compared.
fn applies_index_capacity(table: &TableDescription) -> bool {
    arn_region(table) != Some("dynoxide")
}

/// `billing` without its on-demand caps.
pub(crate) fn without_caps(billing: Billing) -> Billing {
    match billing {
        Billing::OnDemand { .. } => Billing::on_demand(),
        provisioned => provisioned,
    }
}

/// The GSIs (by name) whose provisioned capacity is not `(read, write)`.
/// A GSI reported without capacity, or with 0 (which AWS never gives a
/// GSI of a provisioned table), counts as having it: the embedded engine
/// reports 0 for GSIs created or updated by UpdateTable.
fn indexes_off_capacity(table: &TableDescription, read: i64, write: i64) -> Vec<String> {
    if !applies_index_capacity(table) {
        return Vec::new();
    }
    table
        .global_secondary_indexes()
        .iter()
        .filter(|g| {
            g.provisioned_throughput().is_some_and(|t| {
                let reported = |v: Option<i64>| v.filter(|v| *v > 0);
                let (r, w) = (
                    reported(t.read_capacity_units()),
                    reported(t.write_capacity_units()),
                );
                (r.is_some() || w.is_some()) && (r != Some(read) || w != Some(write))
            })
        })
        .filter_map(|g| g.index_name().map(str::to_owned))
        .collect()
}

/// Whether the table is billed as `wanted`: mode, capacity of the table
/// and of every GSI, caps (absent and `-1` equal).
pub(crate) fn billing_matches(wanted: Billing, table: &TableDescription) -> bool {
    let current = current_billing(table);
    match wanted {
        Billing::Provisioned {
            read_capacity_units,
            write_capacity_units,
        } => {
            current == wanted
                && indexes_off_capacity(table, read_capacity_units, write_capacity_units).is_empty()
        }
        Billing::OnDemand { .. } => current == wanted,
    }
}

/// The UpdateTable that bills `table` as `wanted`, sending only what
/// differs (`None`: nothing differs).
pub(crate) fn billing_update(
    request: UpdateTableFluentBuilder,
    wanted: Billing,
    table: &TableDescription,
) -> Result<Option<UpdateTableFluentBuilder>> {
    if billing_matches(wanted, table) {
        return Ok(None);
    }
    let current = current_billing(table);
    let switching = billing_mode(Some(current)) != billing_mode(Some(wanted));
    let mut request = request;
    if switching {
        request = request.billing_mode(billing_mode(Some(wanted)));
    }
    match wanted {
        Billing::Provisioned {
            read_capacity_units: read,
            write_capacity_units: write,
        } => {
            let throughput = provisioned_throughput(Some(wanted))?;
            if switching || current != wanted {
                request = request.set_provisioned_throughput(throughput.clone());
            }
            // A switch gives every GSI its capacity (DynamoDB requires it);
            // otherwise only those whose capacity differs.
            let indexes: Vec<String> = if switching {
                table
                    .global_secondary_indexes()
                    .iter()
                    .filter_map(|g| g.index_name().map(str::to_owned))
                    .collect()
            } else {
                indexes_off_capacity(table, read, write)
            };
            for name in indexes {
                let action = UpdateGlobalSecondaryIndexAction::builder()
                    .index_name(name)
                    .set_provisioned_throughput(throughput.clone())
                    .build()
                    .map_err(build_error("UpdateTable"))?;
                request = request.global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder().update(action).build(),
                );
            }
        }
        Billing::OnDemand {
            max_read_request_units,
            max_write_request_units,
        } => {
            let (stored_read, stored_write) = match current {
                Billing::OnDemand {
                    max_read_request_units,
                    max_write_request_units,
                } => (max_read_request_units, max_write_request_units),
                Billing::Provisioned { .. } => (None, None),
            };
            // Declared: sent. Absent but stored: -1 (an omitted member
            // keeps its stored value). Absent and not stored: omitted.
            let member =
                |wanted: Option<i64>, stored: Option<i64>| wanted.or_else(|| stored.map(|_| -1));
            let read = member(max_read_request_units, stored_read);
            let write = member(max_write_request_units, stored_write);
            if read.is_some() || write.is_some() {
                request = request.on_demand_throughput(
                    OnDemandThroughput::builder()
                        .set_max_read_request_units(read)
                        .set_max_write_request_units(write)
                        .build(),
                );
            }
        }
    }
    Ok(Some(request))
}

/// The capacity a GSI created on an existing table gets: none on an
/// on-demand table; on a provisioned one the declared capacity when the
/// options want provisioned billing, else the table's own (a later step
/// of the same `sync()` switches it).
pub(crate) fn index_throughput(
    existing: &TableDescription,
    wanted: Option<Billing>,
) -> Result<Option<ProvisionedThroughput>> {
    match (current_billing(existing), wanted) {
        (Billing::OnDemand { .. }, _) => Ok(None),
        (_, Some(provisioned @ Billing::Provisioned { .. })) => {
            provisioned_throughput(Some(provisioned))
        }
        (provisioned, _) => provisioned_throughput(Some(provisioned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{BillingModeSummary, OnDemandThroughput};

    fn on_demand_table(read: Option<i64>, write: Option<i64>) -> TableDescription {
        TableDescription::builder()
            .table_arn("arn:aws:dynamodb:us-east-1:1:table/t")
            .billing_mode_summary(
                BillingModeSummary::builder()
                    .billing_mode(BillingMode::PayPerRequest)
                    .build(),
            )
            .on_demand_throughput(
                OnDemandThroughput::builder()
                    .set_max_read_request_units(read)
                    .set_max_write_request_units(write)
                    .build(),
            )
            .build()
    }

    #[test]
    fn absent_and_minus_one_caps_are_equal() {
        let table = on_demand_table(Some(-1), Some(-1));
        assert!(billing_matches(Billing::on_demand(), &table));
        let table = on_demand_table(Some(10), Some(-1));
        assert!(billing_matches(
            Billing::OnDemand {
                max_read_request_units: Some(10),
                max_write_request_units: None
            },
            &table
        ));
    }

    #[test]
    fn ddblocal_keeps_only_full_caps() {
        let table = TableDescription::builder()
            .table_arn("arn:aws:dynamodb:ddblocal:000000000000:table/t")
            .build();
        let half = Billing::OnDemand {
            max_read_request_units: Some(1),
            max_write_request_units: None,
        };
        assert!(!keeps_caps(half, &table));
        assert!(keeps_caps(
            Billing::on_demand().max_throughput(1, 2),
            &table
        ));
        assert!(keeps_caps(half, &on_demand_table(None, None)));
    }
}
