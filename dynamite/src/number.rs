//! DynamoDB numbers as exact decimals: parsing, comparison, and the rules
//! DynamoDB enforces on a number it stores (at most 38 significant digits,
//! magnitude from 1E-130 to under 1E+126), checked before anything is sent.

use std::cmp::Ordering;

/// A decimal number `0.d1d2d3... x 10^exponent`, normalised: no leading or
/// trailing zeros in `digits`, and zero is `digits == ""` (never negative).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    /// Parses DynamoDB's number text (`-12.5`, `1E+3`, `.5`); `None` when it
    /// is not a number.
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let leading = all.iter().take_while(|d| **d == 0).count();
        if leading == all.len() {
            return Some(Decimal {
                negative: false,
                digits: Vec::new(),
                exponent: 0,
            });
        }
        let trailing = all.iter().rev().take_while(|d| **d == 0).count();
        let digits = all[leading..all.len() - trailing].to_vec();
        // value = 0.all x 10^(int.len() + exponent); dropping `leading`
        // zeros moves the point left by that much.
        let int_len = i64::try_from(int.len()).ok()?;
        let leading = i64::try_from(leading).ok()?;
        let exponent = exponent.checked_add(int_len)?.checked_sub(leading)?;
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    fn magnitude_cmp(&self, other: &Decimal) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |d: &Decimal| match (d.is_zero(), d.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        let magnitude = self.magnitude_cmp(other);
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Decimal {
    /// The exact decimal value of an integer.
    fn from(value: i64) -> Decimal {
        let text = value.unsigned_abs().to_string();
        let mut digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Decimal {
                negative: false,
                digits,
                exponent: 0,
            };
        }
        Decimal {
            negative: value < 0,
            digits,
            // At most 20 digits: the length always fits.
            exponent: i64::try_from(text.len()).unwrap_or(i64::MAX),
        }
    }
}

/// DynamoDB keeps at most 38 significant digits (leading and trailing zeros
/// do not count: `1E+37` written out in full is one digit).
pub(crate) const MAX_DIGITS: usize = 38;

impl Decimal {
    /// Significant digits (none for zero).
    fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    /// The decimal exponent of the leading digit: `d.ddd x 10^e`.
    fn leading_exponent(&self) -> i64 {
        self.exponent - 1
    }

    /// Whether the value is an integer (`1E+2`, `5.0` are).
    pub(crate) fn is_integer(&self) -> bool {
        usize::try_from(self.exponent).is_ok_and(|e| e >= self.digits.len())
    }

    /// An integer written out (`-120`), when it has at most `max_digits`
    /// digits; `None` for a fraction or a longer integer (nothing is
    /// allocated for a huge exponent).
    pub(crate) fn integer_text(&self, max_digits: usize) -> Option<String> {
        if self.is_zero() {
            return Some("0".to_owned());
        }
        let width = usize::try_from(self.exponent).ok()?;
        if !self.is_integer() || width > max_digits {
            return None;
        }
        let mut text = String::with_capacity(width + 1);
        if self.negative {
            text.push('-');
        }
        text.extend(self.digits.iter().map(|d| char::from(b'0' + d)));
        text.extend(std::iter::repeat_n('0', width - self.digits.len()));
        Some(text)
    }
}

/// Why DynamoDB would refuse a number: `None` when `text` is a number it
/// stores exactly (valid syntax, at most 38 significant digits, zero or a
/// magnitude from 1E-130 to under 1E+126). Never allocates by exponent.
pub(crate) fn refusal(text: &str) -> Option<&'static str> {
    // DynamoDB parses the text as given: `" 1"` is not a number to it.
    if text.trim() != text {
        return Some("not a number (surrounding whitespace)");
    }
    let Some(number) = Decimal::parse(text) else {
        return Some("not a number");
    };
    if number.significant_digits() > MAX_DIGITS {
        return Some("more than 38 significant digits");
    }
    if !number.is_zero() && !(-130..=125).contains(&number.leading_exponent()) {
        return Some("out of DynamoDB's range (1E-130 to 9.99E+125)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_and_leading_zeros_are_not_significant() {
        let ten_pow_38 = format!("1{}", "0".repeat(38));
        assert!(refusal(&ten_pow_38).is_none());
        assert!(refusal(&format!("0.{}1", "0".repeat(60))).is_none());
        assert!(refusal("1.5000000000000000000000000000000000000000000").is_none());
        assert!(refusal(&"1".repeat(38)).is_none());
        assert!(refusal(&"1".repeat(39)).is_some());
        assert!(refusal(&format!("-{}", "9".repeat(39))).is_some());
        assert!(refusal(" 1").is_some() && refusal("1 ").is_some());
    }

    #[test]
    fn integers_are_written_out_without_allocating_by_exponent() {
        let text = |t: &str| Decimal::parse(t).and_then(|d| d.integer_text(40));
        assert_eq!(text("1E+2").as_deref(), Some("100"));
        assert_eq!(text("-5.0").as_deref(), Some("-5"));
        assert_eq!(text("0.0E+5").as_deref(), Some("0"));
        assert_eq!(text("5.5"), None);
        assert_eq!(text("1E+2147483647"), None);
        assert!(Decimal::parse("1E+2147483647").is_some_and(|d| d.is_integer()));
    }

    #[test]
    fn integers_convert_exactly() {
        for v in [0, 1, -1, 10, -120, 1_700_000_000, i64::MAX, i64::MIN] {
            assert_eq!(
                Decimal::from(v),
                Decimal::parse(&v.to_string()).unwrap(),
                "{v}"
            );
        }
    }

    #[test]
    fn the_range_is_dynamodbs() {
        assert!(refusal("9.99E+125").is_none());
        assert!(refusal("1E+126").is_some());
        assert!(refusal("1E-130").is_none());
        assert!(refusal("1E-131").is_some());
        assert!(refusal("0E+999").is_none());
        assert!(refusal("1E+2147483647").is_some());
        assert!(refusal("1E+99999999999999999999").is_some());
        assert!(refusal("abc").is_some());
        assert!(refusal("").is_some());
    }
}
