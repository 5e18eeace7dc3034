//! ISO 8601 text for Parquet dates, times and timestamps, without a calendar dependency: the
//! proleptic Gregorian arithmetic is a few lines and the crate needs nothing else from one.

use parquet::basic::TimeUnit;

/// `YYYY-MM-DD` for a count of days since 1970-01-01.
pub(crate) fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{}-{m:02}-{d:02}", year_text(y))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction][Z]`; the fraction appears only when non-zero, with as many
/// digits as the unit has.
pub(crate) fn format_timestamp(value: i64, unit: TimeUnit, utc: bool) -> String {
    let per_second = units_per_second(unit);
    let seconds = value.div_euclid(per_second);
    let fraction = value.rem_euclid(per_second);
    let days = seconds.div_euclid(86_400);
    let secs_of_day = seconds.rem_euclid(86_400);
    let mut text = format!(
        "{}T{}",
        format_date(days),
        clock_text(secs_of_day, fraction, unit)
    );
    if utc {
        text.push('Z');
    }
    text
}

/// `HH:MM:SS[.fraction]` for a time of day counted from midnight.
pub(crate) fn format_time(value: i64, unit: TimeUnit) -> String {
    let per_second = units_per_second(unit);
    clock_text(
        value.div_euclid(per_second),
        value.rem_euclid(per_second),
        unit,
    )
}

fn clock_text(seconds: i64, fraction: i64, unit: TimeUnit) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    let mut text = format!("{h:02}:{m:02}:{s:02}");
    if fraction != 0 {
        let digits = match unit {
            TimeUnit::MILLIS => 3,
            TimeUnit::MICROS => 6,
            TimeUnit::NANOS => 9,
        };
        text.push_str(&format!(".{fraction:0digits$}"));
    }
    text
}

fn units_per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::MILLIS => 1_000,
        TimeUnit::MICROS => 1_000_000,
        TimeUnit::NANOS => 1_000_000_000,
    }
}

fn year_text(y: i64) -> String {
    if y < 0 {
        format!("-{:04}", y.unsigned_abs())
    } else {
        format!("{y:04}")
    }
}

/// Days since 1970-01-01 to (year, month, day), counting in 400-year eras of 146,097 days so
/// leap rules fall out of integer division.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, so the leap day is the last day of the year.
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_across_leap_years_and_before_the_epoch() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(format_date(11_016), "2000-02-29");
        assert_eq!(format_date(11_017), "2000-03-01");
        assert_eq!(format_date(-719_468), "0000-03-01");
    }

    #[test]
    fn timestamps_carry_their_unit_precision() {
        assert_eq!(
            format_timestamp(0, TimeUnit::MILLIS, true),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            format_timestamp(-1, TimeUnit::MILLIS, true),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            format_timestamp(1_704_164_645_000_001, TimeUnit::MICROS, false),
            "2024-01-02T03:04:05.000001"
        );
        // Extreme values stay text, never a panic.
        let _ = format_timestamp(i64::MIN, TimeUnit::MILLIS, true);
        let _ = format_timestamp(i64::MAX, TimeUnit::NANOS, true);
    }

    #[test]
    fn times_of_day() {
        assert_eq!(format_time(3_723_004, TimeUnit::MILLIS), "01:02:03.004");
        assert_eq!(format_time(0, TimeUnit::NANOS), "00:00:00");
    }
}
