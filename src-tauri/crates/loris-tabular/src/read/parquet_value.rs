//! Parquet record fields as JSON values.
//!
//! The record API's own JSON conversion is behind a feature this workspace leaves off, and its
//! timestamp text is not ISO 8601, so the mapping lives here: numbers and booleans stay
//! themselves, dates and timestamps become ISO strings, decimals become exact strings, binary
//! becomes text when it is UTF-8 (base64 otherwise), and lists, maps and groups nest.

use parquet::basic::TimeUnit;
use parquet::record::Field;
use serde_json::{Map, Number, Value};

use super::temporal::{format_date, format_time, format_timestamp};

/// What the schema says about a top-level column that the field alone cannot tell: nanosecond
/// timestamps and times reach the record API as plain `Long`s, and non-UTC timestamps look like
/// UTC ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Temporal {
    Timestamp { unit: TimeUnit, utc: bool },
    Time { unit: TimeUnit },
}

/// A top-level column's value, using what the schema says about the column.
pub(crate) fn column_to_json(field: &Field, temporal: Option<Temporal>) -> Value {
    match (temporal, field) {
        (Some(Temporal::Timestamp { unit, utc }), Field::Long(v)) => {
            Value::String(format_timestamp(*v, unit, utc))
        }
        (Some(Temporal::Timestamp { utc, .. }), Field::TimestampMillis(v)) => {
            Value::String(format_timestamp(*v, TimeUnit::MILLIS, utc))
        }
        (Some(Temporal::Timestamp { utc, .. }), Field::TimestampMicros(v)) => {
            Value::String(format_timestamp(*v, TimeUnit::MICROS, utc))
        }
        (Some(Temporal::Time { unit }), Field::Long(v)) => Value::String(format_time(*v, unit)),
        _ => field_to_json(field),
    }
}

pub(crate) fn field_to_json(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(n) => Value::from(*n),
        Field::Short(n) => Value::from(*n),
        Field::Int(n) => Value::from(*n),
        Field::Long(n) => Value::from(*n),
        Field::UByte(n) => Value::from(*n),
        Field::UShort(n) => Value::from(*n),
        Field::UInt(n) => Value::from(*n),
        Field::ULong(n) => Value::from(*n),
        Field::Float16(n) => float(f64::from(*n)),
        Field::Float(n) => float(f64::from(*n)),
        Field::Double(n) => float(*n),
        Field::Decimal(d) => Value::String(decimal_text(d.data(), d.scale())),
        Field::Str(s) => Value::String(s.clone()),
        Field::Bytes(b) => match std::str::from_utf8(b.data()) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => Value::String(base64(b.data())),
        },
        Field::Date(days) => Value::String(format_date(i64::from(*days))),
        Field::TimeMillis(v) => Value::String(format_time(i64::from(*v), TimeUnit::MILLIS)),
        Field::TimeMicros(v) => Value::String(format_time(*v, TimeUnit::MICROS)),
        // The legacy converted types TIMESTAMP_MILLIS/MICROS mean UTC-adjusted instants.
        Field::TimestampMillis(v) => Value::String(format_timestamp(*v, TimeUnit::MILLIS, true)),
        Field::TimestampMicros(v) => Value::String(format_timestamp(*v, TimeUnit::MICROS, true)),
        Field::Group(row) => Value::Object(
            row.get_column_iter()
                .map(|(name, field)| (name.clone(), field_to_json(field)))
                .collect::<Map<String, Value>>(),
        ),
        Field::ListInternal(list) => {
            Value::Array(list.elements().iter().map(field_to_json).collect())
        }
        Field::MapInternal(map) => Value::Object(
            map.entries()
                .iter()
                .map(|(k, v)| {
                    let key = match field_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, field_to_json(v))
                })
                .collect(),
        ),
    }
}

/// JSON has no NaN or infinity; those become null rather than failing the row.
fn float(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// The exact decimal text of a big-endian two's-complement unscaled integer.
fn decimal_text(bytes: &[u8], scale: i32) -> String {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    // Magnitude as base-256 digits, most significant first.
    let mut magnitude: Vec<u8> = if negative {
        twos_complement_negate(bytes)
    } else {
        bytes.to_vec()
    };
    let mut digits = Vec::new();
    while magnitude.iter().any(|&b| b != 0) {
        let mut remainder: u32 = 0;
        for byte in magnitude.iter_mut() {
            let acc = (remainder << 8) | u32::from(*byte);
            *byte = (acc / 10) as u8;
            remainder = acc % 10;
        }
        digits.push(b'0' + remainder as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    let mut text = String::from_utf8(digits).unwrap_or_default();
    if scale > 0 {
        let scale = scale as usize;
        if text.len() <= scale {
            text = format!("{}{}", "0".repeat(scale + 1 - text.len()), text);
        }
        text.insert(text.len() - scale, '.');
    } else if scale < 0 {
        text.push_str(&"0".repeat(scale.unsigned_abs() as usize));
    }
    if negative && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        text.insert(0, '-');
    }
    text
}

fn twos_complement_negate(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = bytes.iter().map(|b| !b).collect();
    for byte in out.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
    out
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit_and_sign() {
        assert_eq!(decimal_text(&12345i32.to_be_bytes(), 2), "123.45");
        assert_eq!(decimal_text(&(-5i32).to_be_bytes(), 3), "-0.005");
        assert_eq!(decimal_text(&0i64.to_be_bytes(), 2), "0.00");
        assert_eq!(decimal_text(&7i32.to_be_bytes(), -2), "700");
        let big = i128::MAX.to_be_bytes();
        assert_eq!(decimal_text(&big, 0), i128::MAX.to_string());
        let small = i128::MIN.to_be_bytes();
        assert_eq!(decimal_text(&small, 0), i128::MIN.to_string());
        assert_eq!(decimal_text(&[], 0), "0");
    }

    #[test]
    fn base64_pads_like_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn nanosecond_columns_become_iso_text() {
        let ts = Temporal::Timestamp {
            unit: TimeUnit::NANOS,
            utc: true,
        };
        assert_eq!(
            column_to_json(&Field::Long(1_700_000_000_123_456_789), Some(ts)),
            Value::String("2023-11-14T22:13:20.123456789Z".into())
        );
        assert_eq!(field_to_json(&Field::Long(5)), Value::from(5));
        assert_eq!(field_to_json(&Field::Double(f64::NAN)), Value::Null);
        assert_eq!(
            field_to_json(&Field::Date(19_000)),
            Value::String("2022-01-08".into())
        );
    }
}
