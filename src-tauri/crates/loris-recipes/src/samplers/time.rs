//! Civil dates without a calendar crate: recipes only need ISO 8601 dates and date-times in UTC.

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Seconds since the epoch for `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` (or a space instead of
/// `T`), with an optional trailing `Z`. Other offsets are not accepted.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('Z');
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    // Four-digit years keep every later computation in seconds far from overflow.
    if !(-9999..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    if let Some(time) = time {
        let mut parts = time.splitn(3, ':');
        let h: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let s: f64 = parts
            .next()
            .map(str::parse)
            .transpose()
            .ok()?
            .unwrap_or(0.0);
        if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0.0..61.0).contains(&s) {
            return None;
        }
        seconds += h * 3600 + m * 60 + s as i64;
    }
    Some(seconds)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` when `date_only`, else `YYYY-MM-DDTHH:MM:SS`.
pub fn format_datetime(seconds: i64, date_only: bool) -> String {
    let days = seconds.div_euclid(86_400);
    let rem = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if date_only {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }
}

/// Seconds in one step of a unit (`D`, `h`, `m`, `s`; `W` for weeks). Years and months are
/// handled as calendar steps by the datetime sampler, not here.
pub fn unit_seconds(unit: &str) -> Option<i64> {
    match unit {
        "W" => Some(7 * 86_400),
        "D" => Some(86_400),
        "h" => Some(3600),
        "m" => Some(60),
        "s" => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in ["1970-01-01", "2000-02-29", "2024-12-31", "1899-03-01"] {
            let s = parse_datetime(text).unwrap();
            assert_eq!(format_datetime(s, true), text);
        }
        let s = parse_datetime("2024-05-06T07:08:09Z").unwrap();
        assert_eq!(format_datetime(s, false), "2024-05-06T07:08:09");
        assert_eq!(parse_datetime("2023-02-29"), None);
        assert_eq!(parse_datetime("nope"), None);
        assert_eq!(parse_datetime("99999999999999-01-01"), None);
    }
}
