//! Money: amounts are whole minor units (`i64`: cents, yen, fils) of an ISO 4217 currency.
//! Arithmetic that can produce fractions of a minor unit happens in `rust_decimal` and is
//! rounded by the one rule below. No float ever touches an amount.
//!
//! **The rounding rule**: a computed amount is rounded to the currency's minor unit, half away
//! from zero (2.5 → 3, −2.5 → −3), once, at the point where it is printed.

use crate::{Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// Amounts beyond this many minor units are refused: far above any real invoice, and far
/// below where `i64` sums of many of them could overflow.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// An ISO 4217 currency and the number of digits of its minor unit.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_digits: u32,
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Active ISO 4217 currencies with a minor unit other than two digits.
const ZERO_DIGITS: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
];
const THREE_DIGITS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
const FOUR_DIGITS: &[&str] = &["CLF", "UYW"];
/// Active ISO 4217 currencies with two-digit minor units.
const TWO_DIGITS: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD",
    "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST",
    "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
];

impl Currency {
    /// A currency from its ISO 4217 code (any case, surrounding spaces ignored).
    pub fn parse(code: &str) -> Result<Currency> {
        let wanted = code.trim().to_ascii_uppercase();
        let tables: [(&[&'static str], u32); 4] = [(TWO_DIGITS, 2), (ZERO_DIGITS, 0), (THREE_DIGITS, 3), (FOUR_DIGITS, 4)];
        tables
            .iter()
            .find_map(|(codes, digits)| {
                codes.iter().find(|c| **c == wanted).map(|code| Currency {
                    code,
                    minor_digits: *digits,
                })
            })
            .ok_or_else(|| {
                Error::invalid(
                    "currency",
                    format!(
                        "{} is not a currency code: use a three-letter ISO 4217 code such as EUR, USD or JPY.",
                        code.trim()
                    ),
                )
            })
    }

    /// Every code, sorted: for pickers.
    pub fn codes() -> Vec<&'static str> {
        let mut codes = [TWO_DIGITS, ZERO_DIGITS, THREE_DIGITS, FOUR_DIGITS].concat();
        codes.sort_unstable();
        codes
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn minor_digits(&self) -> u32 {
        self.minor_digits
    }

    /// An amount in this currency's units (12.5 EUR) as a decimal of its minor units (1250).
    pub fn minor_of(&self, units: Decimal) -> Decimal {
        units * Decimal::from(10i64.pow(self.minor_digits))
    }

    /// Minor units as a decimal amount in the currency's units, with its digits (1250 → 12.50).
    pub fn units_of(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.minor_digits)
    }

    /// A typed amount (`1234.5`, `1,234.50`, `-3`) as exact minor units. Refuses more decimals
    /// than the currency has and amounts beyond [`MAX_MINOR`].
    pub fn parse_amount(&self, field: &'static str, text: &str) -> Result<i64> {
        let units = parse_decimal(field, text)?;
        if units.scale() > self.minor_digits {
            let digits = match self.minor_digits {
                0 => "no decimals".to_owned(),
                1 => "at most 1 decimal".to_owned(),
                n => format!("at most {n} decimals"),
            };
            return Err(Error::invalid(field, format!("{} amounts have {digits}.", self.code)));
        }
        let minor = self.minor_of(units);
        to_minor(field, minor)
    }

    /// `EUR 1,234.50`, `JPY 1,235`, `-USD 3.00`: unambiguous in any language. Pages show the
    /// same amount in the viewer's locale through the browser.
    pub fn format(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        format!("{sign}{} {}", self.code, self.format_number(minor.unsigned_abs()))
    }

    /// `1,234.50` with the currency's digits, no code.
    pub fn format_plain(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        format!("{sign}{}", self.format_number(minor.unsigned_abs()))
    }

    fn format_number(&self, minor: u64) -> String {
        let scale = 10u64.pow(self.minor_digits);
        let (whole, fraction) = (minor / scale, minor % scale);
        let digits = whole.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if self.minor_digits > 0 {
            grouped.push('.');
            grouped.push_str(&format!("{fraction:0width$}", width = self.minor_digits as usize));
        }
        grouped
    }
}

/// Rounds a decimal number of minor units to a whole one by the rounding rule.
pub fn round_minor(minor: Decimal) -> Decimal {
    minor.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
}

/// A whole decimal number of minor units as `i64`, within [`MAX_MINOR`].
pub fn to_minor(field: &'static str, minor: Decimal) -> Result<i64> {
    let rounded = round_minor(minor);
    i64::try_from(rounded)
        .ok()
        .filter(|m| m.abs() <= MAX_MINOR)
        .ok_or_else(|| Error::invalid(field, "That amount is too large."))
}

/// A decimal number as people type it: `1234.5`, `1,234.50`, ` 3 `. Thousands separators are
/// commas; the decimal point is a dot.
pub fn parse_decimal(field: &'static str, text: &str) -> Result<Decimal> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    if cleaned.is_empty() {
        return Err(Error::invalid(field, "Enter a number."));
    }
    if !cleaned.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') || cleaned.contains('e') {
        return Err(Error::invalid(field, format!("{} is not a number.", text.trim())));
    }
    cleaned
        .parse::<Decimal>()
        .map(|d| d.normalize())
        .map_err(|_| Error::invalid(field, format!("{} is not a number.", text.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_know_their_minor_digits() {
        assert_eq!(Currency::parse("eur").unwrap().minor_digits(), 2);
        assert_eq!(Currency::parse(" JPY ").unwrap().minor_digits(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_digits(), 3);
        let err = Currency::parse("XYZ").unwrap_err().to_string();
        assert!(err.contains("XYZ is not a currency code"), "{err}");
        assert!(Currency::parse("").is_err());
        let all = [TWO_DIGITS, ZERO_DIGITS, THREE_DIGITS, FOUR_DIGITS].concat();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "each code once");
        assert!(all.iter().all(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase())));
    }

    #[test]
    fn amounts_parse_exactly_and_refuse_extra_decimals() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(eur.parse_amount("price", "1,234.5").unwrap(), 123_450);
        assert_eq!(eur.parse_amount("price", "0.10").unwrap(), 10);
        assert_eq!(eur.parse_amount("price", "-3").unwrap(), -300);
        assert_eq!(eur.parse_amount("price", "2.500").unwrap(), 250, "trailing zeros are not decimals");
        let err = eur.parse_amount("price", "0.001").unwrap_err().to_string();
        assert!(err.contains("EUR amounts have at most 2 decimals"), "{err}");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.parse_amount("price", "1500").unwrap(), 1500);
        assert!(jpy.parse_amount("price", "1500.5").unwrap_err().to_string().contains("no decimals"));
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.parse_amount("price", "1.234").unwrap(), 1234);
        for bad in ["", "abc", "1e3", "1.2.3", "NaN", "--1", "12 34"] {
            assert!(eur.parse_amount("price", bad).is_err(), "{bad:?}");
        }
        assert!(
            eur.parse_amount("price", "1000000000000000")
                .unwrap_err()
                .to_string()
                .contains("too large")
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_minor(Decimal::new(25, 1)), Decimal::from(3));
        assert_eq!(round_minor(Decimal::new(-25, 1)), Decimal::from(-3));
        assert_eq!(round_minor(Decimal::new(249, 2)), Decimal::from(2));
    }

    #[test]
    fn amounts_print_with_the_currency_digits() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(eur.format(123_456_789), "EUR 1,234,567.89");
        assert_eq!(eur.format(-5), "-EUR 0.05");
        assert_eq!(eur.format(0), "EUR 0.00");
        assert_eq!(Currency::parse("JPY").unwrap().format(1_234_567), "JPY 1,234,567");
        assert_eq!(Currency::parse("KWD").unwrap().format(1_234_567), "KWD 1,234.567");
        assert_eq!(Currency::parse("KWD").unwrap().format_plain(999), "0.999");
        assert_eq!(eur.units_of(1250).to_string(), "12.50");
    }
}
