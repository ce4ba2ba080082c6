//! How a person reads dates and times: one rule, applied on the server, so that a page, an
//! email and a PDF show the same date the same way. A person's own choice wins; a page without
//! one follows the browser's language; an email follows the workspace's default.

use chrono::{DateTime, NaiveDate, Utc};
pub use chrono_tz::{TZ_VARIANTS, Tz};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The order of day, month and year, how they are written, and the clock that goes with it
/// where it is the custom. Stored and configured by its pattern (`dd.mm.yyyy`). Until the pages
/// are translated, month names are English, so other languages get their numeric form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateFormat {
    /// 7 Dec 2026, 14:05: English outside North America.
    #[serde(rename = "d mmm yyyy")]
    DayMonthYear,
    /// Dec 7, 2026, 2:05 PM: the United States and a few others.
    #[serde(rename = "mmm d, yyyy")]
    MonthDayYear,
    /// 2026-12-07 14:05: ISO 8601, East Asia's order, Swedish.
    #[serde(rename = "yyyy-mm-dd")]
    YearMonthDay,
    /// 07.12.2026, 14:05: German and much of Central and Eastern Europe.
    #[serde(rename = "dd.mm.yyyy")]
    DottedDayMonthYear,
    /// 07/12/2026 14:05: French, Spanish, Italian, Portuguese, Greek.
    #[serde(rename = "dd/mm/yyyy")]
    SlashedDayMonthYear,
}

impl DateFormat {
    pub const ALL: [DateFormat; 5] = [
        DateFormat::DayMonthYear,
        DateFormat::MonthDayYear,
        DateFormat::YearMonthDay,
        DateFormat::DottedDayMonthYear,
        DateFormat::SlashedDayMonthYear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::DayMonthYear => "d mmm yyyy",
            DateFormat::MonthDayYear => "mmm d, yyyy",
            DateFormat::YearMonthDay => "yyyy-mm-dd",
            DateFormat::DottedDayMonthYear => "dd.mm.yyyy",
            DateFormat::SlashedDayMonthYear => "dd/mm/yyyy",
        }
    }

    /// The format a language tag (`en-US`, `de`, `ja-JP`) customarily writes dates in.
    pub fn for_language(tag: &str) -> DateFormat {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        let language = parts.next().unwrap_or_default();
        let region = parts.find(|p| p.len() == 2 || p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()));
        match (language, region) {
            ("en", None | Some("us" | "ph" | "um" | "as" | "gu" | "mp" | "pr" | "vi")) => DateFormat::MonthDayYear,
            ("en", _) => DateFormat::DayMonthYear,
            ("ja" | "zh" | "ko" | "hu" | "lt" | "mn" | "sv", _) => DateFormat::YearMonthDay,
            (
                "de" | "da" | "nb" | "nn" | "no" | "fi" | "pl" | "cs" | "sk" | "ru" | "uk" | "be" | "tr" | "ro" | "hr" | "sl" | "sr" | "bs"
                | "bg" | "et" | "lv" | "is" | "kk" | "az",
                _,
            ) => DateFormat::DottedDayMonthYear,
            ("fr" | "es" | "it" | "pt" | "el" | "ca" | "gl" | "vi" | "id" | "ms", _) => DateFormat::SlashedDayMonthYear,
            _ => DateFormat::DayMonthYear,
        }
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DateFormat {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        DateFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim())
            .ok_or_else(|| crate::Error::invalid("date_format", "choose one of the date formats offered"))
    }
}

/// A date format in a time zone: how one viewer reads every date and time Portico shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateStyle {
    pub format: DateFormat,
    pub zone: Tz,
}

impl DateStyle {
    pub fn new(format: DateFormat, zone: Tz) -> Self {
        DateStyle { format, zone }
    }

    /// A calendar day (a due date, an issue date): it has no time and no zone.
    pub fn day(&self, day: impl AsDay) -> String {
        let day = day.as_day();
        match self.format {
            DateFormat::DayMonthYear => day.format("%-d %b %Y").to_string(),
            DateFormat::MonthDayYear => day.format("%b %-d, %Y").to_string(),
            DateFormat::YearMonthDay => day.format("%Y-%m-%d").to_string(),
            DateFormat::DottedDayMonthYear => day.format("%d.%m.%Y").to_string(),
            DateFormat::SlashedDayMonthYear => day.format("%d/%m/%Y").to_string(),
        }
    }

    /// A moment (when a comment was written), in the viewer's time zone.
    pub fn moment(&self, at: impl AsMoment) -> String {
        let local = at.as_moment().with_timezone(&self.zone);
        match self.format {
            DateFormat::DayMonthYear => local.format("%-d %b %Y, %H:%M").to_string(),
            DateFormat::MonthDayYear => local.format("%b %-d, %Y, %-I:%M %p").to_string(),
            DateFormat::YearMonthDay => local.format("%Y-%m-%d %H:%M").to_string(),
            DateFormat::DottedDayMonthYear => local.format("%d.%m.%Y, %H:%M").to_string(),
            DateFormat::SlashedDayMonthYear => local.format("%d/%m/%Y %H:%M").to_string(),
        }
    }

    /// The day a moment falls on in the viewer's time zone (for "uploaded on").
    pub fn moment_day(&self, at: impl AsMoment) -> String {
        self.day(at.as_moment().with_timezone(&self.zone).date_naive())
    }

    /// The time zone's name, for a tooltip or a settings page.
    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }
}

/// A calendar day, however many references away (templates hold `&&NaiveDate`).
pub trait AsDay {
    fn as_day(&self) -> NaiveDate;
}

impl AsDay for NaiveDate {
    fn as_day(&self) -> NaiveDate {
        *self
    }
}

impl<T: AsDay + ?Sized> AsDay for &T {
    fn as_day(&self) -> NaiveDate {
        (**self).as_day()
    }
}

/// A moment, however many references away.
pub trait AsMoment {
    fn as_moment(&self) -> DateTime<Utc>;
}

impl AsMoment for DateTime<Utc> {
    fn as_moment(&self) -> DateTime<Utc> {
        *self
    }
}

impl<T: AsMoment + ?Sized> AsMoment for &T {
    fn as_moment(&self) -> DateTime<Utc> {
        (**self).as_moment()
    }
}

/// A time zone by its IANA name, refused by name when unknown.
pub fn parse_zone(name: &str) -> crate::Result<Tz> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| crate::Error::invalid("time_zone", "choose a time zone from the list"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn languages_pick_their_customary_order() {
        assert_eq!(DateFormat::for_language("en-US"), DateFormat::MonthDayYear);
        assert_eq!(DateFormat::for_language("en"), DateFormat::MonthDayYear);
        assert_eq!(DateFormat::for_language("en-GB"), DateFormat::DayMonthYear);
        assert_eq!(DateFormat::for_language("en_AU"), DateFormat::DayMonthYear);
        assert_eq!(DateFormat::for_language("de-DE"), DateFormat::DottedDayMonthYear);
        assert_eq!(DateFormat::for_language("fr"), DateFormat::SlashedDayMonthYear);
        assert_eq!(DateFormat::for_language("sv-SE"), DateFormat::YearMonthDay);
        assert_eq!(DateFormat::for_language("nl"), DateFormat::DayMonthYear);
        assert_eq!(DateFormat::for_language("ja"), DateFormat::YearMonthDay);
        assert_eq!(DateFormat::for_language("zh-Hant-TW"), DateFormat::YearMonthDay);
        assert_eq!(DateFormat::for_language(""), DateFormat::DayMonthYear);
    }

    #[test]
    fn a_day_and_a_moment_read_alike_in_each_format() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 23, 30, 0).unwrap();
        let style = |format, zone| DateStyle::new(format, zone);
        let utc = chrono_tz::UTC;
        assert_eq!(style(DateFormat::DayMonthYear, utc).day(day), "7 Dec 2026");
        assert_eq!(style(DateFormat::MonthDayYear, utc).day(day), "Dec 7, 2026");
        assert_eq!(style(DateFormat::YearMonthDay, utc).day(day), "2026-12-07");
        assert_eq!(style(DateFormat::DottedDayMonthYear, utc).day(day), "07.12.2026");
        assert_eq!(style(DateFormat::SlashedDayMonthYear, utc).moment(at), "07/12/2026 23:30");
        assert_eq!(style(DateFormat::DayMonthYear, utc).moment(at), "7 Dec 2026, 23:30");
        assert_eq!(style(DateFormat::MonthDayYear, utc).moment(at), "Dec 7, 2026, 11:30 PM");
        // In Berlin that moment is already the next day.
        let berlin = style(DateFormat::DayMonthYear, chrono_tz::Europe::Berlin);
        assert_eq!(berlin.moment(at), "8 Dec 2026, 00:30");
        assert_eq!(berlin.moment_day(at), "8 Dec 2026");
        assert_eq!(
            style(DateFormat::YearMonthDay, chrono_tz::Asia::Tokyo).moment(at),
            "2026-12-08 08:30"
        );
    }

    #[test]
    fn unknown_formats_and_zones_are_refused_by_name() {
        for format in DateFormat::ALL {
            assert_eq!(format.as_str().parse::<DateFormat>().unwrap(), format);
        }
        assert!(matches!(
            "mdy".parse::<DateFormat>(),
            Err(crate::Error::Invalid { field: "date_format", .. })
        ));
        assert_eq!(parse_zone("Europe/Paris").unwrap(), chrono_tz::Europe::Paris);
        assert!(matches!(
            parse_zone("Mars/Olympus"),
            Err(crate::Error::Invalid { field: "time_zone", .. })
        ));
    }
}
