//! Clock helpers: ISO-8601 timestamps (the fixed-width stored form of every
//! timestamp type, and a parser for RFC 3339) and monotonic ULIDs, without
//! a date crate.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, like JavaScript's `Date.prototype.toISOString`.
pub(crate) fn now_iso8601() -> String {
    format_iso8601(now_millis())
}

pub(crate) fn format_iso8601(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The stored form of every timestamp type: RFC 3339 in UTC with nine
/// fraction digits, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, always 30 characters,
/// so text order is time order. `None` for years outside 0000-9999, which
/// have no fixed-width form.
pub(crate) fn format_fixed_utc(secs: i64, nanos: u32) -> Option<String> {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) || nanos >= 1_000_000_000 {
        return None;
    }
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    ))
}

/// Parses an RFC 3339 timestamp (any fraction width, `Z` or a numeric
/// offset, `T`, `t` or a space between date and time) into seconds since
/// the Unix epoch and nanoseconds. Reads every form Dynamite ever wrote.
pub(crate) fn parse_rfc3339(text: &str) -> Option<(i64, u32)> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter().try_fold(0_i64, |n, d| {
            n.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if b.len() < 20
        || separators.iter().any(|(i, c)| b[*i] != *c)
        || !matches!(b[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut rest = &b[19..];
    let mut nanos = 0_u32;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        for (i, d) in fraction[..len].iter().enumerate() {
            if i < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
        }
        nanos *= 10_u32.pow(9 - len.min(9) as u32);
        rest = &fraction[len..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let (h, m) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    let month_days = [
        31,
        28 + i64::from(is_leap(year)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&month)
        && (1..=month_days[(month - 1) as usize]).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
    Some((secs, nanos))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Howard Hinnant's civil-to-days algorithm (days since 1970-01-01).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

static ULIDS: Mutex<Option<ulid::Generator>> = Mutex::new(None);

/// A ULID, monotonic within the process.
pub(crate) fn next_ulid() -> String {
    let mut guard = ULIDS.lock().unwrap_or_else(|e| e.into_inner());
    let generator = guard.get_or_insert_with(ulid::Generator::new);
    match generator.generate() {
        Ok(id) => id.to_string(),
        // The random part overflowed within one millisecond: fall back to a fresh one.
        Err(_) => ulid::Ulid::new().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(
            format_iso8601(1_700_000_000_000),
            "2023-11-14T22:13:20.000Z"
        );
    }

    #[test]
    fn fixed_width_utc_round_trips_and_reads_older_forms() {
        assert_eq!(
            format_fixed_utc(0, 0).as_deref(),
            Some("1970-01-01T00:00:00.000000000Z")
        );
        assert_eq!(
            format_fixed_utc(-1, 500_000_000).as_deref(),
            Some("1969-12-31T23:59:59.500000000Z")
        );
        assert_eq!(format_fixed_utc(253_402_300_800, 0), None, "year 10000");
        for (text, expected) in [
            ("1970-01-01T00:00:00Z", (0, 0)),
            ("1970-01-01T00:00:00.5Z", (0, 500_000_000)),
            ("1970-01-01T00:00:00.500000001Z", (0, 500_000_001)),
            ("1970-01-01T01:00:00+01:00", (0, 0)),
            ("1969-12-31T19:00:00.123-05:00", (0, 123_000_000)),
            ("2000-02-29t12:00:00z", (951_825_600, 0)),
            (
                "2000-02-29 12:00:00.1234567891Z",
                (951_825_600, 123_456_789),
            ),
        ] {
            assert_eq!(parse_rfc3339(text), Some(expected), "{text}");
        }
        for bad in [
            "",
            "2001-02-29T00:00:00Z",
            "2000-13-01T00:00:00Z",
            "2000-01-01T24:00:00Z",
            "2000-01-01T00:00:00",
            "2000-01-01T00:00:00.Z",
            "2000-01-01T00:00:00+1:00",
            "not a timestamp at all",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        for secs in [-62_167_219_200, -1, 0, 951_782_400, 253_402_300_799] {
            let text = format_fixed_utc(secs, 7).unwrap();
            assert_eq!(parse_rfc3339(&text), Some((secs, 7)), "{text}");
        }
    }

    #[test]
    fn ulids_are_monotonic() {
        let a = next_ulid();
        let b = next_ulid();
        assert!(a < b);
    }
}
