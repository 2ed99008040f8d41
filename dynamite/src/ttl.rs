//! Time to live: the `#[dynamite(ttl)]` field and what "expired" means.
//!
//! DynamoDB deletes an item some time (typically within days) after the
//! epoch-seconds number in the table's TTL attribute has passed. Dynamite
//! stores that attribute as epoch SECONDS (`N`) whatever the field's Rust
//! type ([`Expiry`]), and treats a row whose time has passed as gone at
//! once: reads leave it out (a condition in the same request), `create` may
//! overwrite it, `save` / `update` / `delete` answer [`crate::Error::NotFound`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynamite::Result<()> {
//! use dynamite::prelude::*;
//! use std::time::{Duration, SystemTime};
//!
//! #[derive(Table, Debug, Clone)]
//! struct Session {
//!     #[dynamite(primary_key)]
//!     id: String,
//!     #[dynamite(ttl)]
//!     expires_at: SystemTime,
//! }
//!
//! let db = Dynamite::embedded().table::<Session>().build().await?;
//! db.sync().await?; // also enables TTL on `expires_at`
//! let hour = Duration::from_secs(3600);
//! Session::create().id("live").expires_at(SystemTime::now() + hour).exec(&db).await?;
//! Session::create().id("old").expires_at(SystemTime::now() - hour).exec(&db).await?;
//!
//! assert_eq!(Session::query().count(&db).await?, 1);
//! assert!(Session::get(&db, "old").await?.is_none());
//! assert_eq!(Session::query().with_expired().count(&db).await?, 2);
//! # Ok(())
//! # }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::number::Decimal;
use crate::value::{Attribute, AttributeValue, Item, ValueError};

/// A type a `#[dynamite(ttl)]` field can have: it converts to and from
/// whole seconds since the Unix epoch, the only form DynamoDB's TTL reads.
///
/// Implemented for `i64` and `u64` (meaning seconds), [`SystemTime`],
/// `chrono::DateTime<Utc>` and `time::OffsetDateTime` (behind their
/// features), and `Option` of each (`None`: the row never expires).
/// Fractions of a second are dropped: an instant is stored as the second it
/// falls in, so a row expires at most one second early.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a `ttl` field",
    label = "a TTL is stored as epoch seconds",
    note = "use `i64` or `u64` (seconds), `SystemTime`, `chrono::DateTime<Utc>`, \
            `time::OffsetDateTime`, or an `Option` of one of them"
)]
pub trait Expiry: Attribute {
    /// The instant as whole epoch seconds; `None` for "never expires".
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ValueError>;

    /// The value for stored epoch seconds (`None`: the attribute is absent).
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ValueError>;
}

fn required<T>(
    seconds: Option<i64>,
    convert: impl FnOnce(i64) -> Result<T, ValueError>,
) -> Result<T, ValueError> {
    seconds.map_or(Err(ValueError::Missing), convert)
}

impl Expiry for i64 {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ValueError> {
        Ok(Some(*self))
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ValueError> {
        required(seconds, Ok)
    }
}

impl Expiry for u64 {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ValueError> {
        i64::try_from(*self)
            .map(Some)
            .map_err(|_| ValueError::Number {
                value: self.to_string(),
                reason: "is too large for epoch seconds",
            })
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ValueError> {
        required(seconds, |s| {
            u64::try_from(s).map_err(|_| ValueError::Number {
                value: s.to_string(),
                reason: "is before 1970, which `u64` seconds cannot hold",
            })
        })
    }
}

impl Expiry for SystemTime {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ValueError> {
        let seconds = match self.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).ok(),
            // Before 1970: the second it falls in, rounding down.
            Err(e) => {
                let before = e.duration();
                let whole = i64::try_from(before.as_secs()).ok();
                whole.map(|s| {
                    if before.subsec_nanos() > 0 {
                        -s - 1
                    } else {
                        -s
                    }
                })
            }
        };
        seconds.map(Some).ok_or_else(|| {
            ValueError::Invalid(format!("{self:?} is outside the range of epoch seconds"))
        })
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ValueError> {
        required(seconds, |s| {
            let offset = Duration::from_secs(s.unsigned_abs());
            let instant = if s >= 0 {
                UNIX_EPOCH.checked_add(offset)
            } else {
                UNIX_EPOCH.checked_sub(offset)
            };
            instant.ok_or_else(|| ValueError::Number {
                value: s.to_string(),
                reason: "is outside the range of `SystemTime`",
            })
        })
    }
}

#[cfg(feature = "chrono")]
impl Expiry for chrono::DateTime<chrono::Utc> {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ValueError> {
        Ok(Some(self.timestamp()))
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ValueError> {
        required(seconds, |s| {
            chrono::DateTime::from_timestamp(s, 0).ok_or_else(|| ValueError::Number {
                value: s.to_string(),
                reason: "is outside the range of `chrono::DateTime`",
            })
        })
    }
}

#[cfg(feature = "time")]
impl Expiry for time::OffsetDateTime {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ValueError> {
        Ok(Some(self.unix_timestamp()))
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ValueError> {
        required(seconds, |s| {
            time::OffsetDateTime::from_unix_timestamp(s).map_err(|_| ValueError::Number {
                value: s.to_string(),
                reason: "is outside the range of `time::OffsetDateTime`",
            })
        })
    }
}

impl<T: Expiry> Expiry for Option<T> {
    fn to_epoch_seconds(&self) -> Result<Option<i64>, ValueError> {
        match self {
            Some(inner) => inner.to_epoch_seconds(),
            None => Ok(None),
        }
    }
    fn from_epoch_seconds(seconds: Option<i64>) -> Result<Self, ValueError> {
        match seconds {
            Some(s) => T::from_epoch_seconds(Some(s)).map(Some),
            None => Ok(None),
        }
    }
}

/// The value as stored: `N` epoch seconds, `None` to leave it out.
pub(crate) fn to_stored<T: Expiry>(value: &T) -> Result<Option<AttributeValue>, ValueError> {
    Ok(value
        .to_epoch_seconds()?
        .map(|s| AttributeValue::N(s.to_string())))
}

/// The value as a comparison operand (`NULL` for "never").
pub(crate) fn to_value<T: Expiry>(value: &T) -> Result<AttributeValue, ValueError> {
    Ok(to_stored(value)?.unwrap_or(AttributeValue::Null(true)))
}

/// Reads a stored TTL attribute (absent or NULL: no expiry).
pub(crate) fn from_stored<T: Expiry>(value: Option<&AttributeValue>) -> Result<T, ValueError> {
    T::from_epoch_seconds(stored_seconds(value)?)
}

/// The epoch seconds of a stored TTL attribute; absent and NULL are `None`.
/// A number decodes as an `i64` field does, so any notation of a whole
/// number is read (`1E+3`, `1000.0`, as another program may have written
/// it); a fraction, a number beyond `i64` or another type is an error (the
/// row does not decode).
fn stored_seconds(value: Option<&AttributeValue>) -> Result<Option<i64>, ValueError> {
    match value {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(number @ AttributeValue::N(_)) => i64::from_value(number).map(Some),
        Some(other) => Err(ValueError::wrong_type("N (epoch seconds)", other)),
    }
}

/// The current time in epoch seconds.
pub(crate) fn now_seconds() -> i64 {
    crate::time::now_millis().div_euclid(1000)
}

/// Dynamite's one definition of "expired": the item's TTL attribute `name`
/// is a top-level `N` whose exact decimal value is below `now` (epoch
/// seconds). An absent attribute, a NULL, a string, binary, boolean, set,
/// list or map never expires; a number is compared exactly, whatever its
/// notation or size (`1.5`, `-5`, `1E+125`: never parsed to an integer, so
/// a milliseconds value is a second far in the future). It is the in-memory
/// twin of the condition `#ttl < :now`, which DynamoDB evaluates the same
/// way (false for every non-number), and applies to rows that passed more
/// than five years ago too, which DynamoDB's own sweep leaves stored.
pub(crate) fn is_expired(name: &str, item: &Item, now: i64) -> bool {
    match item.get(name) {
        Some(AttributeValue::N(n)) => {
            Decimal::parse(n).is_some_and(|stored| stored < Decimal::from(now))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_rounds_down_to_its_second() {
        let t = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(t.to_epoch_seconds().unwrap(), Some(1));
        let before = UNIX_EPOCH - Duration::from_millis(1_500);
        assert_eq!(before.to_epoch_seconds().unwrap(), Some(-2));
        assert_eq!(
            SystemTime::from_epoch_seconds(Some(-2)).unwrap(),
            UNIX_EPOCH - Duration::from_secs(2)
        );
    }

    #[test]
    fn stored_form_is_whole_seconds() {
        assert_eq!(
            to_stored(&Some(1_700_000_000_i64)).unwrap(),
            Some(AttributeValue::N("1700000000".into()))
        );
        assert_eq!(to_stored(&None::<i64>).unwrap(), None);
        assert!(from_stored::<i64>(Some(&AttributeValue::N("1.5".into()))).is_err());
        assert_eq!(
            from_stored::<i64>(Some(&AttributeValue::N("1E+3".into()))).unwrap(),
            1000
        );
        assert!(from_stored::<i64>(Some(&AttributeValue::N("1E+125".into()))).is_err());
        assert!(from_stored::<Option<i64>>(Some(&AttributeValue::S("5".into()))).is_err());
        assert!(from_stored::<i64>(None).is_err());
        assert_eq!(from_stored::<Option<i64>>(None).unwrap(), None);
        assert!(u64::from_epoch_seconds(Some(-1)).is_err());
    }

    #[test]
    fn expiry_is_strictly_before_now() {
        let mut item = Item::new();
        item.insert("exp".into(), AttributeValue::N("100".into()));
        assert!(is_expired("exp", &item, 101));
        assert!(!is_expired("exp", &item, 100));
        item.insert("exp".into(), AttributeValue::Null(true));
        assert!(!is_expired("exp", &item, 101));
    }

    /// Every value another program may store, compared exactly: numbers of
    /// any notation by decimal value, every other type never expired.
    #[test]
    fn expiry_compares_exact_decimals_and_only_numbers() {
        let now = 1_700_000_000;
        let n = |t: &str| AttributeValue::N(t.to_owned());
        let expired = |v: AttributeValue| {
            let item: Item = [("exp".to_owned(), v)].into_iter().collect();
            is_expired("exp", &item, now)
        };
        let tiny = format!("0.{}1", "0".repeat(120));
        for past in [
            "1e3",
            "1E+3",
            "-5",
            "1.5",
            "0",
            &tiny,
            "1699999999",
            "1699999999.999999",
            "-1E+125",
            "1.699999999E+9",
        ] {
            assert!(expired(n(past)), "{past} has passed");
        }
        let ms = (now * 1000).to_string();
        for future in [
            "1700000000",
            "1700000000.0",
            "1700000000.000001",
            "1.7E+9",
            "99999999999999999999999999999999999999",
            "1E+125",
            &ms,
        ] {
            assert!(!expired(n(future)), "{future} has not passed");
        }
        for other in [
            AttributeValue::S("5".into()),
            AttributeValue::B(vec![1u8].into()),
            AttributeValue::Bool(true),
            AttributeValue::Null(true),
            AttributeValue::Ns(vec!["5".into()]),
            AttributeValue::Ss(vec!["5".into()]),
            AttributeValue::L(vec![n("5")]),
            AttributeValue::M(Default::default()),
        ] {
            assert!(!expired(other.clone()), "{other:?} never expires");
        }
        assert!(
            !is_expired("exp", &Item::new(), now),
            "absent never expires"
        );
    }
}
