//! What `sync()` does about a table's TTL and [`TableOptions`]: the
//! settings CreateTable takes, and for an existing table the difference
//! between what it has and what the models and options want, made (by
//! `sync()`) or reported (by `sync_plan()`).
//!
//! A change that would lose data or protection (turning a stream,
//! point-in-time recovery or deletion protection off, changing a stream's
//! view or the TTL attribute) is never made: it is reported as
//! [`Withheld`]. So is an option the endpoint does not implement (neither
//! emulator implements point-in-time recovery).

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    PointInTimeRecoverySpecification, PointInTimeRecoveryStatus, StreamSpecification,
    StreamViewType, TableDescription, Tag, TimeToLiveSpecification, TimeToLiveStatus,
};

use crate::client::Dynamite;
use crate::error::{Error, Result, sdk_error};
use crate::sync_billing::{
    billing_matches, billing_mode, billing_update, keeps_caps, provisioned_throughput, without_caps,
};
use crate::sync_report::{Change, SyncReport, Withheld, WithheldReason};
use crate::table_options::{Billing, StreamView, TableOptions};
use crate::table_spec::TableSpec;
use crate::table_status::wait_active;

fn build_error(operation: &'static str) -> impl Fn(aws_sdk_dynamodb::error::BuildError) -> Error {
    move |e| Error::backend(operation, e)
}

fn stream_specification(view: Option<StreamView>) -> Result<StreamSpecification> {
    let builder = StreamSpecification::builder().stream_enabled(view.is_some());
    let builder = match view {
        Some(view) => builder.stream_view_type(StreamViewType::from(view.as_str())),
        None => builder,
    };
    builder.build().map_err(build_error("UpdateTable"))
}

fn tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(build_error("TagResource"))
        })
        .collect()
}

/// CreateTable with the options it takes: billing, deletion protection,
/// stream, tags (the caller adds the on-demand maximum throughput). TTL and point-in-time
/// recovery need the table ACTIVE: [`after_create`].
pub(crate) fn create_settings(
    request: CreateTableFluentBuilder,
    options: &TableOptions,
) -> Result<CreateTableFluentBuilder> {
    let billing = options.billing_mode();
    let mut request = request
        .billing_mode(billing_mode(billing))
        .set_provisioned_throughput(provisioned_throughput(billing)?)
        .set_deletion_protection_enabled(options.deletion_protection_enabled());
    if let Some(Some(view)) = options.stream_view() {
        request = request.stream_specification(stream_specification(Some(view))?);
    }
    if !options.tags().is_empty() {
        request = request.set_tags(Some(tags(options.tags())?));
    }
    Ok(request)
}

/// The changes a new table's options and TTL make, in the order `sync()`
/// makes them (those CreateTable takes first).
pub(crate) fn new_table_changes(spec: &TableSpec) -> Vec<Change> {
    let table = &spec.name;
    let options = &spec.options;
    let mut changes = Vec::new();
    if let Some(billing) = options.billing_mode()
        && billing != Billing::on_demand()
    {
        changes.push(Change::SetBilling {
            table: table.clone(),
            billing,
        });
    }
    if options.deletion_protection_enabled() == Some(true) {
        changes.push(Change::EnableDeletionProtection {
            table: table.clone(),
        });
    }
    if let Some(Some(view)) = options.stream_view() {
        changes.push(Change::EnableStream {
            table: table.clone(),
            view,
        });
    }
    for (key, value) in options.tags() {
        changes.push(Change::Tag {
            table: table.clone(),
            key: key.clone(),
            value: value.clone(),
        });
    }
    if let Some(attribute) = spec.enabled_ttl() {
        changes.push(Change::EnableTtl {
            table: table.clone(),
            attribute: attribute.to_owned(),
        });
    }
    if options.point_in_time_recovery_enabled() == Some(true) {
        changes.push(Change::EnablePointInTimeRecovery {
            table: table.clone(),
        });
    }
    changes
}

/// After CreateTable (table ACTIVE): TTL and point-in-time recovery,
/// reported in `report` (or withheld when the endpoint lacks them). Tags
/// given to CreateTable by an endpoint that cannot list them (DynamoDB
/// Local accepts and drops them) are reported as withheld, not as made.
pub(crate) async fn after_create(
    db: &Dynamite,
    spec: &TableSpec,
    report: &mut SyncReport,
) -> Result<()> {
    if !spec.options.tags().is_empty()
        && let Some(created) = crate::table_status::describe(db, &spec.name).await?
        && current_tags(db, &created).await?.is_none()
    {
        let (tags, kept): (Vec<Change>, Vec<Change>) = std::mem::take(&mut report.changes)
            .into_iter()
            .partition(|c| matches!(c, Change::Tag { table, .. } if *table == spec.name));
        report.changes = kept;
        report
            .withheld
            .extend(tags.into_iter().map(|change| {
                Withheld {
                    change,
                    reason: WithheldReason::Unsupported {
                        operation: "ListTagsOfResource",
                        message:
                            "the endpoint cannot show the table's tags, so they may not be set"
                                .to_owned(),
                    },
                }
            }));
    }
    if let Some(wanted @ Billing::OnDemand { .. }) = spec.options.billing_mode()
        && wanted != without_caps(wanted)
        && let Some(created) = crate::table_status::describe(db, &spec.name).await?
        && !billing_matches(wanted, &created)
    {
        let set = Change::SetBilling {
            table: spec.name.clone(),
            billing: wanted,
        };
        report.changes.retain(|c| *c != set);
        report.withheld.push(caps_unsupported(&spec.name, wanted));
    }
    if let Some(attribute) = spec.enabled_ttl() {
        enable_ttl(db, spec, attribute, report).await?;
    }
    if spec.options.point_in_time_recovery_enabled() == Some(true) {
        enable_point_in_time_recovery(db, spec, report).await?;
    }
    Ok(())
}

/// An endpoint's way of saying it does not implement an operation or a
/// parameter: `UnknownOperationException`, or a message saying so.
fn unsupported<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<String> {
    let code = error.code().unwrap_or_default();
    let message = error.message().unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    let says = [
        "not supported",
        "unsupported",
        "not implemented",
        "unknown operation",
    ]
    .iter()
    .any(|s| lower.contains(s));
    (code == "UnknownOperationException" || code.contains("NotImplemented") || says).then(|| {
        if message.is_empty() {
            code.to_owned()
        } else {
            format!("{code}: {message}")
        }
    })
}

/// On-demand caps an endpoint cannot keep (a half-declared maximum on
/// DynamoDB Local): withheld, so the plan settles.
fn caps_unsupported(table: &str, wanted: Billing) -> Withheld {
    Withheld {
        change: Change::SetBilling {
            table: table.to_owned(),
            billing: wanted,
        },
        reason: WithheldReason::Unsupported {
            operation: "UpdateTable",
            message: "the endpoint keeps an on-demand maximum only when both reads and writes \
                      have one"
                .to_owned(),
        },
    }
}

/// DynamoDB's "not now": a limit on how often a setting may change
/// (billing-mode switches, capacity decreases, the TTL change lock) or on
/// concurrent control-plane operations. `sync()` withholds the change and
/// says why; a later `sync()` makes it.
fn refused_for_now<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<String> {
    let code = error.code().unwrap_or_default();
    let message = error.message().unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    let limited = code == "LimitExceededException"
        || lower.contains("multiple times within a fixed interval")
        || lower.contains("limited to once");
    limited
        .then(|| format!("DynamoDB refuses it for now ({code}: {message}); run sync() again later"))
}

/// Files the answer to a request making `change`: made, withheld when the
/// endpoint does not implement it, or the error. `true` when made.
fn record<T, E>(
    report: &mut SyncReport,
    change: Change,
    operation: &'static str,
    result: std::result::Result<T, SdkError<E, HttpResponse>>,
) -> Result<bool>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => {
            report.changes.push(change);
            Ok(true)
        }
        Err(e) => {
            let reason = match (unsupported(&e), refused_for_now(&e)) {
                (Some(message), _) => WithheldReason::Unsupported { operation, message },
                (None, Some(why)) => WithheldReason::NotNow(why),
                (None, None) => return Err(sdk_error(operation, change.table(), e)),
            };
            report.withheld.push(Withheld { change, reason });
            Ok(false)
        }
    }
}

/// The TTL attribute and status of a table (`None`: the endpoint does not
/// implement DescribeTimeToLive).
pub(crate) async fn current_ttl(
    db: &Dynamite,
    table: &str,
) -> Result<Option<(Option<String>, TimeToLiveStatus)>> {
    match db
        .client()
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
    {
        Ok(out) => {
            let description = out.time_to_live_description();
            let status = description
                .and_then(|d| d.time_to_live_status())
                .cloned()
                .unwrap_or(TimeToLiveStatus::Disabled);
            let attribute = description
                .and_then(|d| d.attribute_name())
                .map(str::to_owned);
            Ok(Some((attribute, status)))
        }
        Err(e) if unsupported(&e).is_some() => Ok(None),
        Err(e) => Err(sdk_error("DescribeTimeToLive", table, e)),
    }
}

async fn enable_ttl(
    db: &Dynamite,
    spec: &TableSpec,
    attribute: &'static str,
    report: &mut SyncReport,
) -> Result<()> {
    let change = Change::EnableTtl {
        table: spec.name.clone(),
        attribute: attribute.to_owned(),
    };
    let specification = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(attribute)
        .build()
        .map_err(build_error("UpdateTimeToLive"))?;
    let result = db
        .client()
        .update_time_to_live()
        .table_name(&spec.name)
        .time_to_live_specification(specification)
        .send()
        .await;
    record(report, change, "UpdateTimeToLive", result).map(drop)
}

/// Whether point-in-time recovery is on (`None`: the endpoint cannot say).
async fn current_point_in_time_recovery(db: &Dynamite, table: &str) -> Result<Option<bool>> {
    match db
        .client()
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.continuous_backups_description()
                .and_then(|d| d.point_in_time_recovery_description())
                .and_then(|p| p.point_in_time_recovery_status())
                == Some(&PointInTimeRecoveryStatus::Enabled),
        )),
        Err(e) if unsupported(&e).is_some() => Ok(None),
        Err(e) => Err(sdk_error("DescribeContinuousBackups", table, e)),
    }
}

async fn enable_point_in_time_recovery(
    db: &Dynamite,
    spec: &TableSpec,
    report: &mut SyncReport,
) -> Result<()> {
    let change = Change::EnablePointInTimeRecovery {
        table: spec.name.clone(),
    };
    let specification = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(true)
        .build()
        .map_err(build_error("UpdateContinuousBackups"))?;
    let result = db
        .client()
        .update_continuous_backups()
        .table_name(&spec.name)
        .point_in_time_recovery_specification(specification)
        .send()
        .await;
    record(report, change, "UpdateContinuousBackups", result).map(drop)
}

fn current_stream(table: &TableDescription) -> Option<StreamView> {
    table
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .and_then(|v| StreamView::parse(v.as_str()))
}

/// The table's tags (`None`: the endpoint does not implement
/// ListTagsOfResource, or the table has no ARN).
async fn current_tags(
    db: &Dynamite,
    table: &TableDescription,
) -> Result<Option<BTreeMap<String, String>>> {
    let Some(arn) = table.table_arn() else {
        return Ok(None);
    };
    let name = table.table_name().unwrap_or_default();
    let mut tags = BTreeMap::new();
    let mut next: Option<String> = None;
    loop {
        let result = db
            .client()
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(next.take())
            .send()
            .await;
        match result {
            Ok(out) => {
                for tag in out.tags() {
                    tags.insert(tag.key().to_owned(), tag.value().to_owned());
                }
                match out.next_token() {
                    Some(token) => next = Some(token.to_owned()),
                    None => return Ok(Some(tags)),
                }
            }
            Err(e) if unsupported(&e).is_some() => return Ok(None),
            Err(e) => return Err(sdk_error("ListTagsOfResource", name, e)),
        }
    }
}

/// One change to an existing table: made when `apply`, else only reported.
enum Step {
    Make(Change),
    Withhold(Withheld),
}

/// `sync()` makes the changes (waiting for ACTIVE after each UpdateTable,
/// until the deadline); `sync_plan()` reports them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Apply { deadline: Instant },
    Plan,
}

/// An existing table: what its TTL and options lack, made (in
/// [`Mode::Apply`]) one request at a time, or reported; or withheld.
pub(crate) async fn reconcile(
    db: &Dynamite,
    spec: &TableSpec,
    existing: &TableDescription,
    mode: Mode,
    report: &mut SyncReport,
) -> Result<()> {
    let table = &spec.name;
    let options = &spec.options;
    let mut steps = Vec::new();

    if let Some(wanted) = options.billing_mode() {
        // What the endpoint can keep: caps only where it reports them.
        let sendable = if keeps_caps(wanted, existing) {
            wanted
        } else {
            without_caps(wanted)
        };
        if !billing_matches(sendable, existing) {
            steps.push(Step::Make(Change::SetBilling {
                table: table.clone(),
                billing: sendable,
            }));
        }
        if sendable != wanted {
            steps.push(Step::Withhold(caps_unsupported(table, wanted)));
        }
    }
    match (
        options.deletion_protection_enabled(),
        existing.deletion_protection_enabled().unwrap_or(false),
    ) {
        (Some(true), false) => steps.push(Step::Make(Change::EnableDeletionProtection {
            table: table.clone(),
        })),
        (Some(false), true) => steps.push(Step::Withhold(Withheld {
            change: Change::DisableDeletionProtection {
                table: table.clone(),
            },
            reason: WithheldReason::LosesProtection(
                "turning deletion protection off lets the table be deleted; do it yourself"
                    .to_owned(),
            ),
        })),
        _ => {}
    }
    if let Some(wanted) = options.stream_view() {
        let current = current_stream(existing);
        match (current, wanted) {
            (None, Some(view)) => steps.push(Step::Make(Change::EnableStream {
                table: table.clone(),
                view,
            })),
            (Some(current), Some(view)) if current != view => {
                steps.push(Step::Withhold(Withheld {
                    change: Change::EnableStream {
                        table: table.clone(),
                        view,
                    },
                    reason: WithheldReason::LosesData(format!(
                        "the stream has view {}; changing it means disabling the stream, whose \
                     records are lost",
                        current.as_str()
                    )),
                }))
            }
            (Some(_), None) => steps.push(Step::Withhold(Withheld {
                change: Change::DisableStream {
                    table: table.clone(),
                },
                reason: WithheldReason::LosesData(
                    "disabling the stream loses its records".to_owned(),
                ),
            })),
            _ => {}
        }
    }
    if !options.tags().is_empty() {
        match current_tags(db, existing).await? {
            Some(current) => {
                for (key, value) in options.tags() {
                    if current.get(key) != Some(value) {
                        steps.push(Step::Make(Change::Tag {
                            table: table.clone(),
                            key: key.clone(),
                            value: value.clone(),
                        }));
                    }
                }
            }
            // The endpoint cannot list tags (DynamoDB Local): whether they
            // are set cannot be known, so they are withheld, not planned
            // forever.
            None => {
                for (key, value) in options.tags() {
                    steps.push(Step::Withhold(Withheld {
                        change: Change::Tag {
                            table: table.clone(),
                            key: key.clone(),
                            value: value.clone(),
                        },
                        reason: WithheldReason::Unsupported {
                            operation: "ListTagsOfResource",
                            message: "the endpoint cannot show the table's tags".to_owned(),
                        },
                    }));
                }
            }
        }
    }
    if spec.ttl.is_some()
        && spec.options.time_to_live_enabled() == Some(false)
        && let Some((_, TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)) =
            current_ttl(db, table).await?
    {
        steps.push(Step::Withhold(Withheld {
            change: Change::DisableTtl {
                table: table.clone(),
            },
            reason: WithheldReason::NotNow(
                "turning TTL off is left to you: AWS then blocks enabling it again for \
                 about an hour"
                    .to_owned(),
            ),
        }));
    }
    if let Some(attribute) = spec.enabled_ttl() {
        match current_ttl(db, table).await? {
            Some((_, TimeToLiveStatus::Disabled)) | None => {
                steps.push(Step::Make(Change::EnableTtl {
                    table: table.clone(),
                    attribute: attribute.to_owned(),
                }))
            }
            Some((Some(current), TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling))
                if current != attribute =>
            {
                steps.push(Step::Withhold(Withheld {
                    change: Change::EnableTtl {
                        table: table.clone(),
                        attribute: attribute.to_owned(),
                    },
                    reason: WithheldReason::TtlAttributeInUse { current },
                }))
            }
            Some((_, TimeToLiveStatus::Disabling)) => steps.push(Step::Withhold(Withheld {
                change: Change::EnableTtl {
                    table: table.clone(),
                    attribute: attribute.to_owned(),
                },
                reason: WithheldReason::NotNow(
                    "TTL is being disabled on this table; AWS allows enabling it again about an \
                     hour later: run sync() then"
                        .to_owned(),
                ),
            })),
            Some(_) => {}
        }
    }
    if let Some(wanted) = options.point_in_time_recovery_enabled() {
        match (wanted, current_point_in_time_recovery(db, table).await?) {
            (true, Some(true)) | (false, Some(false) | None) => {}
            (true, Some(false)) => steps.push(Step::Make(Change::EnablePointInTimeRecovery {
                table: table.clone(),
            })),
            // The endpoint does not implement it (neither emulator does).
            (true, None) => steps.push(Step::Withhold(Withheld {
                change: Change::EnablePointInTimeRecovery {
                    table: table.clone(),
                },
                reason: WithheldReason::Unsupported {
                    operation: "DescribeContinuousBackups",
                    message: "the endpoint cannot show point-in-time recovery".to_owned(),
                },
            })),
            (false, Some(true)) => steps.push(Step::Withhold(Withheld {
                change: Change::DisablePointInTimeRecovery {
                    table: table.clone(),
                },
                reason: WithheldReason::LosesData(
                    "turning point-in-time recovery off deletes its backups".to_owned(),
                ),
            })),
        }
    }

    for step in steps {
        match (step, mode) {
            (Step::Withhold(withheld), _) => report.withheld.push(withheld),
            (Step::Make(change), Mode::Plan) => report.changes.push(change),
            (Step::Make(change), Mode::Apply { deadline }) => {
                if make(db, spec, existing, change, report).await? {
                    wait_active(db, &spec.name, deadline).await?;
                }
            }
        }
    }
    Ok(())
}

/// Sends one change; an endpoint that does not implement it gets it
/// withheld. Returns whether an UpdateTable was sent (the table is
/// UPDATING until it is done).
async fn make(
    db: &Dynamite,
    spec: &TableSpec,
    existing: &TableDescription,
    change: Change,
    report: &mut SyncReport,
) -> Result<bool> {
    let table = spec.name.as_str();
    match &change {
        Change::SetBilling { billing, .. } => {
            let request = db.client().update_table().table_name(table);
            match billing_update(request, *billing, existing)? {
                Some(request) => record(report, change, "UpdateTable", request.send().await),
                None => Ok(false),
            }
        }
        Change::EnableDeletionProtection { .. } => {
            let request = db
                .client()
                .update_table()
                .table_name(table)
                .deletion_protection_enabled(true);
            record(report, change, "UpdateTable", request.send().await)
        }
        Change::EnableStream { view, .. } => {
            let request = db
                .client()
                .update_table()
                .table_name(table)
                .stream_specification(stream_specification(Some(*view))?);
            record(report, change, "UpdateTable", request.send().await)
        }
        Change::Tag { key, value, .. } => {
            let Some(arn) = existing.table_arn() else {
                report.withheld.push(Withheld {
                    change,
                    reason: WithheldReason::Unsupported {
                        operation: "TagResource",
                        message: "the endpoint reports no table ARN to tag".to_owned(),
                    },
                });
                return Ok(false);
            };
            let tag = BTreeMap::from([(key.clone(), value.clone())]);
            let request = db
                .client()
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags(&tag)?));
            // Tagging leaves the table ACTIVE: nothing to wait for.
            record(report, change, "TagResource", request.send().await).map(|_| false)
        }
        Change::EnableTtl { .. } => {
            if let Some(attribute) = spec.enabled_ttl() {
                enable_ttl(db, spec, attribute, report).await?;
            }
            Ok(false)
        }
        Change::EnablePointInTimeRecovery { .. } => {
            enable_point_in_time_recovery(db, spec, report).await?;
            Ok(false)
        }
        // Never made: only ever withheld.
        Change::CreateTable { .. }
        | Change::CreateIndex { .. }
        | Change::DisableTtl { .. }
        | Change::DisableDeletionProtection { .. }
        | Change::DisableStream { .. }
        | Change::DisablePointInTimeRecovery { .. } => Ok(false),
    }
}
