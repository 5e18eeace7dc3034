//! Generators for every sampler type, reproducible from a seed.
//!
//! Params are read from the raw JSON of the column (kept raw in the format so it exports
//! unchanged) into typed specs here, with the JSON path of any bad field.

mod person;
mod rng;
mod time;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use rng::Rng;
pub use time::{format_datetime, parse_datetime};

use crate::error::ValidationError;

/// The `sampler_type` values this build generates.
pub const SAMPLER_TYPES: &[&str] = &[
    "category",
    "subcategory",
    "uniform",
    "gaussian",
    "bernoulli",
    "datetime",
    "timedelta",
    "uuid",
    "person",
];

#[derive(Debug, Clone, PartialEq)]
pub enum SamplerSpec {
    Category {
        values: Vec<Value>,
        weights: Option<Vec<f64>>,
    },
    Subcategory {
        category: String,
        values: Map<String, Value>,
    },
    Uniform {
        low: f64,
        high: f64,
        decimal_places: Option<u32>,
    },
    Gaussian {
        mean: f64,
        stddev: f64,
        decimal_places: Option<u32>,
    },
    Bernoulli {
        p: f64,
    },
    Datetime {
        start: i64,
        end: i64,
        unit: String,
    },
    Timedelta {
        dt_min: i64,
        dt_max: i64,
        reference_column_name: String,
        unit_seconds: i64,
    },
    Uuid {
        prefix: String,
        short_form: bool,
        uppercase: bool,
    },
    Person {
        locale: String,
        sex: Option<String>,
        age_min: u32,
        age_max: u32,
    },
}

#[derive(Deserialize)]
struct CategoryParams {
    values: Vec<Value>,
    #[serde(default)]
    weights: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct SubcategoryParams {
    category: String,
    values: Map<String, Value>,
}

#[derive(Deserialize)]
struct UniformParams {
    low: f64,
    high: f64,
    #[serde(default)]
    decimal_places: Option<u32>,
}

#[derive(Deserialize)]
struct GaussianParams {
    mean: f64,
    stddev: f64,
    #[serde(default)]
    decimal_places: Option<u32>,
}

#[derive(Deserialize)]
struct BernoulliParams {
    p: f64,
}

#[derive(Deserialize)]
struct DatetimeParams {
    start: String,
    end: String,
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Deserialize)]
struct TimedeltaParams {
    dt_min: i64,
    dt_max: i64,
    reference_column_name: String,
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Deserialize)]
struct UuidParams {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    short_form: Option<bool>,
    #[serde(default)]
    uppercase: Option<bool>,
}

#[derive(Deserialize)]
struct PersonParams {
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    age_range: Option<[u32; 2]>,
}

fn read<T: DeserializeOwned>(
    params: &Map<String, Value>,
    path: &str,
) -> Result<T, ValidationError> {
    serde_path_to_error::deserialize(Value::Object(params.clone())).map_err(|err| {
        let inner = err.path().to_string();
        let path = if inner == "." {
            path.to_string()
        } else {
            format!("{path}.{inner}")
        };
        ValidationError::InvalidParams {
            path,
            reason: err.into_inner().to_string(),
        }
    })
}

fn bad(path: &str, field: &str, reason: impl Into<String>) -> ValidationError {
    ValidationError::InvalidParams {
        path: format!("{path}.{field}"),
        reason: reason.into(),
    }
}

impl SamplerSpec {
    /// Reads the params of a sampler. `path` is where the params object sits
    /// (`recipe.columns[2].params`); `type_path` where `sampler_type` sits.
    pub fn parse(
        sampler_type: &str,
        params: &Map<String, Value>,
        path: &str,
        type_path: &str,
    ) -> Result<SamplerSpec, ValidationError> {
        let spec = match sampler_type {
            "category" => {
                let p: CategoryParams = read(params, path)?;
                if p.values.is_empty() {
                    return Err(bad(path, "values", "at least one value is needed"));
                }
                if let Some(weights) = &p.weights {
                    if weights.len() != p.values.len() {
                        return Err(bad(
                            path,
                            "weights",
                            format!("{} weights for {} values", weights.len(), p.values.len()),
                        ));
                    }
                    if weights.iter().any(|w| !w.is_finite() || *w < 0.0)
                        || weights.iter().sum::<f64>() <= 0.0
                    {
                        return Err(bad(
                            path,
                            "weights",
                            "weights must be non-negative with a positive sum",
                        ));
                    }
                }
                SamplerSpec::Category {
                    values: p.values,
                    weights: p.weights,
                }
            }
            "subcategory" => {
                let p: SubcategoryParams = read(params, path)?;
                for (parent, list) in &p.values {
                    match list.as_array() {
                        Some(items) if !items.is_empty() => {}
                        _ => {
                            return Err(bad(
                                path,
                                &format!("values.{parent}"),
                                "a non-empty list of values is needed",
                            ));
                        }
                    }
                }
                SamplerSpec::Subcategory {
                    category: p.category,
                    values: p.values,
                }
            }
            "uniform" => {
                let p: UniformParams = read(params, path)?;
                if !(p.low.is_finite() && p.high.is_finite() && p.low <= p.high) {
                    return Err(bad(path, "high", "low must not exceed high"));
                }
                SamplerSpec::Uniform {
                    low: p.low,
                    high: p.high,
                    decimal_places: p.decimal_places,
                }
            }
            "gaussian" => {
                let p: GaussianParams = read(params, path)?;
                if !(p.mean.is_finite() && p.stddev.is_finite() && p.stddev >= 0.0) {
                    return Err(bad(path, "stddev", "stddev must be a non-negative number"));
                }
                SamplerSpec::Gaussian {
                    mean: p.mean,
                    stddev: p.stddev,
                    decimal_places: p.decimal_places,
                }
            }
            "bernoulli" => {
                let p: BernoulliParams = read(params, path)?;
                if !(0.0..=1.0).contains(&p.p) {
                    return Err(bad(path, "p", "p must be between 0 and 1"));
                }
                SamplerSpec::Bernoulli { p: p.p }
            }
            "datetime" => {
                let p: DatetimeParams = read(params, path)?;
                let start = parse_datetime(&p.start)
                    .ok_or_else(|| bad(path, "start", "not an ISO 8601 date or date-time"))?;
                let end = parse_datetime(&p.end)
                    .ok_or_else(|| bad(path, "end", "not an ISO 8601 date or date-time"))?;
                if end < start {
                    return Err(bad(path, "end", "end is before start"));
                }
                let unit = p.unit.unwrap_or_else(|| "D".to_string());
                if !matches!(unit.as_str(), "Y" | "M" | "W" | "D" | "h" | "m" | "s") {
                    return Err(bad(path, "unit", "expected one of Y, M, W, D, h, m, s"));
                }
                SamplerSpec::Datetime { start, end, unit }
            }
            "timedelta" => {
                let p: TimedeltaParams = read(params, path)?;
                if p.dt_min >= p.dt_max {
                    return Err(bad(path, "dt_max", "dt_max must be greater than dt_min"));
                }
                let unit = p.unit.unwrap_or_else(|| "D".to_string());
                let unit_seconds = time::unit_seconds(&unit)
                    .ok_or_else(|| bad(path, "unit", "expected one of D, h, m, s"))?;
                SamplerSpec::Timedelta {
                    dt_min: p.dt_min,
                    dt_max: p.dt_max,
                    reference_column_name: p.reference_column_name,
                    unit_seconds,
                }
            }
            "uuid" => {
                let p: UuidParams = read(params, path)?;
                SamplerSpec::Uuid {
                    prefix: p.prefix.unwrap_or_default(),
                    short_form: p.short_form.unwrap_or(false),
                    uppercase: p.uppercase.unwrap_or(false),
                }
            }
            "person" => {
                let p: PersonParams = read(params, path)?;
                let locale = p.locale.unwrap_or_else(|| "en_US".to_string());
                if !person::LOCALES.contains(&locale.as_str()) {
                    return Err(bad(
                        path,
                        "locale",
                        format!("no built-in names for `{locale}` (available: en_US)"),
                    ));
                }
                if let Some(sex) = &p.sex
                    && sex != "Male"
                    && sex != "Female"
                {
                    return Err(bad(path, "sex", "expected `Male` or `Female`"));
                }
                let [age_min, age_max] = p.age_range.unwrap_or([18, 114]);
                if age_min > age_max {
                    return Err(bad(path, "age_range", "the first age exceeds the second"));
                }
                SamplerSpec::Person {
                    locale,
                    sex: p.sex,
                    age_min,
                    age_max,
                }
            }
            other => {
                return Err(ValidationError::InvalidParams {
                    path: type_path.to_string(),
                    reason: format!(
                        "unknown sampler type `{other}` (known: {})",
                        SAMPLER_TYPES.join(", ")
                    ),
                });
            }
        };
        Ok(spec)
    }

    /// The column this sampler reads from the row, if any.
    pub fn reference(&self) -> Option<(&str, &'static str)> {
        match self {
            SamplerSpec::Subcategory { category, .. } => Some((category, "category")),
            SamplerSpec::Timedelta {
                reference_column_name,
                ..
            } => Some((reference_column_name, "reference_column_name")),
            _ => None,
        }
    }

    /// One value. `row` holds the columns generated before this one.
    pub fn sample(&self, rng: &mut Rng, row: &Map<String, Value>) -> Result<Value, String> {
        Ok(match self {
            SamplerSpec::Category { values, weights } => {
                let i = match weights {
                    Some(w) => rng.weighted(w),
                    None => rng.below(values.len() as u64) as usize,
                };
                values.get(i).cloned().unwrap_or(Value::Null)
            }
            SamplerSpec::Subcategory { category, values } => {
                let parent = row
                    .get(category)
                    .ok_or_else(|| format!("the parent column `{category}` has no value"))?;
                let key = match parent {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let list = values
                    .get(&key)
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("no subcategory values for `{key}`"))?;
                let i = rng.below(list.len() as u64) as usize;
                list.get(i).cloned().unwrap_or(Value::Null)
            }
            SamplerSpec::Uniform {
                low,
                high,
                decimal_places,
            } => number(round(low + rng.next_f64() * (high - low), *decimal_places)),
            SamplerSpec::Gaussian {
                mean,
                stddev,
                decimal_places,
            } => number(round(mean + stddev * rng.normal(), *decimal_places)),
            SamplerSpec::Bernoulli { p } => Value::from(i64::from(rng.next_f64() < *p)),
            SamplerSpec::Datetime { start, end, unit } => sample_datetime(rng, *start, *end, unit),
            SamplerSpec::Timedelta {
                dt_min,
                dt_max,
                reference_column_name,
                unit_seconds,
            } => {
                let reference = row
                    .get(reference_column_name)
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        format!("the reference column `{reference_column_name}` holds no date")
                    })?;
                let base = parse_datetime(reference).ok_or_else(|| {
                    format!("`{reference}` in `{reference_column_name}` is not a date")
                })?;
                // dt_max is exclusive, as in Data Designer.
                let steps = rng.range_i64(*dt_min, dt_max - 1);
                let date_only = !reference.contains(['T', ' ']) && unit_seconds % 86_400 == 0;
                let at = base.saturating_add(steps.saturating_mul(*unit_seconds));
                Value::from(format_datetime(at, date_only))
            }
            SamplerSpec::Uuid {
                prefix,
                short_form,
                uppercase,
            } => {
                let id = uuid::Builder::from_random_bytes(rng.bytes16()).into_uuid();
                let mut text = if *short_form {
                    id.simple().to_string()[..8].to_string()
                } else {
                    id.hyphenated().to_string()
                };
                if *uppercase {
                    text = text.to_uppercase();
                }
                Value::from(format!("{prefix}{text}"))
            }
            SamplerSpec::Person {
                locale,
                sex,
                age_min,
                age_max,
            } => {
                let sex = match sex {
                    Some(s) => s.clone(),
                    None if rng.below(2) == 0 => "Female".to_string(),
                    None => "Male".to_string(),
                };
                let firsts = if sex == "Female" {
                    person::FEMALE_FIRST
                } else {
                    person::MALE_FIRST
                };
                let first = firsts[rng.below(firsts.len() as u64) as usize];
                let last = person::LAST[rng.below(person::LAST.len() as u64) as usize];
                let age = rng.range_i64(i64::from(*age_min), i64::from(*age_max));
                serde_json::json!({
                    "first_name": first,
                    "last_name": last,
                    "sex": sex,
                    "age": age,
                    "locale": locale,
                    "email_address": format!(
                        "{}.{}@example.com",
                        first.to_lowercase(),
                        last.to_lowercase()
                    ),
                })
            }
        })
    }
}

fn round(value: f64, places: Option<u32>) -> f64 {
    match places {
        Some(p) => {
            let scale = 10f64.powi(p.min(15) as i32);
            (value * scale).round() / scale
        }
        None => value,
    }
}

fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn sample_datetime(rng: &mut Rng, start: i64, end: i64, unit: &str) -> Value {
    if unit == "Y" || unit == "M" {
        // Calendar steps: whole months (or years) after the start, never past the end.
        let months_per_step = if unit == "Y" { 12 } else { 1 };
        let (sy, sm, sd) = ymd(start);
        let (ey, em, _) = ymd(end);
        let total_months = (ey - sy) * 12 + i64::from(em) - i64::from(sm);
        let steps = (total_months / months_per_step).max(0);
        let k = rng.range_i64(0, steps) * months_per_step;
        let month0 = i64::from(sm) - 1 + k;
        let year = sy + month0.div_euclid(12);
        let month = (month0.rem_euclid(12) + 1) as u32;
        let text = format!("{year:04}-{month:02}-{:02}", sd.min(28));
        return Value::from(text);
    }
    let step = time::unit_seconds(unit).unwrap_or(86_400);
    let steps = (end - start) / step;
    let at = start + rng.range_i64(0, steps) * step;
    Value::from(format_datetime(at, step % 86_400 == 0))
}

fn ymd(seconds: i64) -> (i64, u32, u32) {
    let text = format_datetime(seconds, true);
    let mut parts = text.splitn(3, '-');
    let y = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1970);
    let m = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1);
    let d = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1);
    (y, m, d)
}

/// `convert_to` on a sampled value: `int` truncates as Data Designer's cast does.
pub fn convert(value: Value, to: &str) -> Result<Value, String> {
    match to {
        "int" => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value),
            Value::Number(n) => Ok(Value::from(n.as_f64().unwrap_or(0.0).trunc() as i64)),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(|f| Value::from(f.trunc() as i64))
                .map_err(|_| format!("`{s}` is not a number")),
            Value::Bool(b) => Ok(Value::from(i64::from(*b))),
            other => Err(format!("{other} cannot become an int")),
        },
        "float" => match &value {
            Value::Number(n) => Ok(number(n.as_f64().unwrap_or(0.0))),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(number)
                .map_err(|_| format!("`{s}` is not a number")),
            Value::Bool(b) => Ok(number(f64::from(u8::from(*b)))),
            other => Err(format!("{other} cannot become a float")),
        },
        "str" => Ok(match value {
            Value::String(s) => Value::String(s),
            other => Value::String(other.to_string()),
        }),
        other => Err(format!("unknown conversion `{other}`")),
    }
}

/// The `convert_to` values accepted.
pub const CONVERSIONS: &[&str] = &["int", "float", "str"];
