//! Table options `sync()` manages besides keys and indexes: billing,
//! deletion protection, streams, tags and point-in-time recovery (TTL
//! comes from the model's `#[dynamite(ttl)]` field).
//!
//! Set them per table with
//! [`DynamiteBuilder::table_options`](crate::DynamiteBuilder::table_options),
//! or for every table with
//! [`default_table_options`](crate::DynamiteBuilder::default_table_options).
//! An option left unset is not managed: `sync()` neither sets nor changes
//! it. `sync()` never makes a change that would lose data or protection
//! (turning a stream, point-in-time recovery or deletion protection off):
//! [`crate::SyncReport::withheld`] reports it instead.
//!
//! ```
//! use dynamite::table_options::{Billing, StreamView, TableOptions};
//!
//! let production = TableOptions::new()
//!     .billing(Billing::on_demand().max_throughput(1_000, 500))
//!     .deletion_protection(true)
//!     .stream(StreamView::NewAndOldImages)
//!     .point_in_time_recovery(true)
//!     .tag("team", "shop");
//! assert_eq!(production.tags().get("team").map(String::as_str), Some("shop"));
//! ```

use std::collections::BTreeMap;
use std::fmt;

/// How a table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Billing {
    /// Pay per request (DynamoDB's on-demand mode), optionally capped.
    OnDemand {
        /// At most this many read request units per second (`None`: no cap).
        max_read_request_units: Option<i64>,
        /// At most this many write request units per second (`None`: no cap).
        max_write_request_units: Option<i64>,
    },
    /// Provisioned capacity, for the table and each of its GSIs.
    Provisioned {
        /// Read capacity units.
        read_capacity_units: i64,
        /// Write capacity units.
        write_capacity_units: i64,
    },
}

impl Billing {
    /// On-demand without a cap (what `sync()` creates when nothing is set).
    pub const fn on_demand() -> Self {
        Billing::OnDemand {
            max_read_request_units: None,
            max_write_request_units: None,
        }
    }

    /// Provisioned capacity units, for the table and each GSI.
    pub const fn provisioned(read_capacity_units: i64, write_capacity_units: i64) -> Self {
        Billing::Provisioned {
            read_capacity_units,
            write_capacity_units,
        }
    }

    /// On-demand with a maximum throughput (request units per second).
    /// On provisioned billing this changes nothing.
    pub const fn max_throughput(self, read_request_units: i64, write_request_units: i64) -> Self {
        match self {
            Billing::OnDemand { .. } => Billing::OnDemand {
                max_read_request_units: Some(read_request_units),
                max_write_request_units: Some(write_request_units),
            },
            provisioned => provisioned,
        }
    }

    /// `PAY_PER_REQUEST` or `PROVISIONED`.
    pub fn mode(&self) -> &'static str {
        match self {
            Billing::OnDemand { .. } => "PAY_PER_REQUEST",
            Billing::Provisioned { .. } => "PROVISIONED",
        }
    }
}

impl Default for Billing {
    fn default() -> Self {
        Billing::on_demand()
    }
}

impl fmt::Display for Billing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Billing::OnDemand {
                max_read_request_units,
                max_write_request_units,
            } => {
                f.write_str("on-demand")?;
                if max_read_request_units.is_some() || max_write_request_units.is_some() {
                    let show = |v: &Option<i64>| v.map_or("none".to_owned(), |v| v.to_string());
                    write!(
                        f,
                        " (max {} reads / {} writes per second)",
                        show(max_read_request_units),
                        show(max_write_request_units)
                    )?;
                }
                Ok(())
            }
            Billing::Provisioned {
                read_capacity_units,
                write_capacity_units,
            } => write!(
                f,
                "provisioned ({read_capacity_units} read / {write_capacity_units} write units)"
            ),
        }
    }
}

/// What a DynamoDB stream record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamView {
    /// Only the key attributes.
    KeysOnly,
    /// The item as it is after the change.
    NewImage,
    /// The item as it was before the change.
    OldImage,
    /// Both.
    NewAndOldImages,
}

impl StreamView {
    /// DynamoDB's name: `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE`, `NEW_AND_OLD_IMAGES`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StreamView::KeysOnly => "KEYS_ONLY",
            StreamView::NewImage => "NEW_IMAGE",
            StreamView::OldImage => "OLD_IMAGE",
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        [
            StreamView::KeysOnly,
            StreamView::NewImage,
            StreamView::OldImage,
            StreamView::NewAndOldImages,
        ]
        .into_iter()
        .find(|v| v.as_str() == name)
    }
}

/// The options of one table (or the defaults of every table). Unset
/// options are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableOptions {
    billing: Option<Billing>,
    deletion_protection: Option<bool>,
    /// `Some(None)`: no stream.
    stream: Option<Option<StreamView>>,
    point_in_time_recovery: Option<bool>,
    time_to_live: Option<bool>,
    tags: BTreeMap<String, String>,
}

impl TableOptions {
    /// No option managed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The billing mode (default: on-demand, uncapped).
    pub fn billing(mut self, billing: Billing) -> Self {
        self.billing = Some(billing);
        self
    }

    /// Deletion protection: the table cannot be deleted while it is on.
    pub fn deletion_protection(mut self, enabled: bool) -> Self {
        self.deletion_protection = Some(enabled);
        self
    }

    /// A DynamoDB stream with this view.
    pub fn stream(mut self, view: StreamView) -> Self {
        self.stream = Some(Some(view));
        self
    }

    /// No stream: created without one. `sync()` never turns an existing
    /// stream off (its records would be lost); it reports it.
    pub fn no_stream(mut self) -> Self {
        self.stream = Some(None);
        self
    }

    /// Point-in-time recovery (continuous backups).
    pub fn point_in_time_recovery(mut self, enabled: bool) -> Self {
        self.point_in_time_recovery = Some(enabled);
        self
    }

    /// Whether `sync()` enables TTL on the models' `#[dynamite(ttl)]`
    /// attribute (the default: yes). `false` leaves TTL off, for tables
    /// whose TTL is managed elsewhere or endpoints where it costs (DynamoDB
    /// Local 3.3.1 stops building new indexes once 8 of its tables have
    /// TTL on). Reads hide expired rows either way. A table whose TTL is
    /// already on is never turned off: `SyncReport::withheld` says so.
    pub fn time_to_live(mut self, enabled: bool) -> Self {
        self.time_to_live = Some(enabled);
        self
    }

    /// A tag on the table (tags already on the table and not named here
    /// are kept).
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// The billing mode, if managed.
    pub fn billing_mode(&self) -> Option<Billing> {
        self.billing
    }

    /// Deletion protection, if managed.
    pub fn deletion_protection_enabled(&self) -> Option<bool> {
        self.deletion_protection
    }

    /// The stream, if managed (`Some(None)`: none).
    pub fn stream_view(&self) -> Option<Option<StreamView>> {
        self.stream
    }

    /// Point-in-time recovery, if managed.
    pub fn point_in_time_recovery_enabled(&self) -> Option<bool> {
        self.point_in_time_recovery
    }

    /// Whether TTL is enabled, if managed (`None`: enabled where a model
    /// declares a `ttl` field).
    pub fn time_to_live_enabled(&self) -> Option<bool> {
        self.time_to_live
    }

    /// The tags, sorted by key.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// These options over `defaults`: each option set here wins; tags are
    /// merged (a key set here wins).
    pub(crate) fn over(&self, defaults: &TableOptions) -> TableOptions {
        let mut tags = defaults.tags.clone();
        tags.extend(self.tags.clone());
        TableOptions {
            billing: self.billing.or(defaults.billing),
            deletion_protection: self.deletion_protection.or(defaults.deletion_protection),
            stream: self.stream.or(defaults.stream),
            point_in_time_recovery: self
                .point_in_time_recovery
                .or(defaults.point_in_time_recovery),
            time_to_live: self.time_to_live.or(defaults.time_to_live),
            tags,
        }
    }
}
